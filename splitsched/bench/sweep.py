"""Sweeps: every (instance, solver, seed) of a set, on a local pool or a Dask cluster.

Both executors only *dispatch*: each run goes through
:func:`splitsched.bench.worker.run_isolated`, which starts a fresh child
process with a hard kill, so isolation is the same wherever a run executes.
Results come back to the submitting process, which re-evaluates the schedule
(:mod:`splitsched.bench.finalize`) and appends the record to
``RUN_DIR/runs.jsonl`` at once, flushed and fsynced. An interrupted sweep
therefore loses at most the runs in flight, and ``--resume`` skips every run
whose key (instance sha256, solver, seed, time limit, threads) is recorded.

The local executor is a pool of W threads, each of which waits on one child
process at a time: W runs in parallel, each in a process of its own that is
started for that run and never reused (the equivalent of a process pool with
``maxtasksperchild=1``, plus the hard kill a pool cannot give).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitsched.bench.certify import Flag, consistency_flags
from splitsched.bench.finalize import build_record, instance_copy_path
from splitsched.bench.machine import environment
from splitsched.bench.records import (
    RUNS_FILE,
    append_record,
    finished_keys,
    read_runs,
    repair_runs,
    run_key,
)
from splitsched.bench.sets import SetEntry, instance_payload, load_sets
from splitsched.bench.worker import (
    DEFAULT_MEM_LIMIT_MB,
    default_grace_s,
    kill_all_live,
    load_extra_module,
    run_isolated,
)
from splitsched.io import InputError, atomic_write_text, dumps, instance_to_dict


@dataclass(frozen=True)
class SweepConfig:
    """Everything a sweep needs; validated by :func:`prepare` before anything is written."""

    set_ref: str
    solvers: tuple[str, ...]
    run_dir: Path
    time_limit_s: float = 10.0
    seeds: int = 1
    threads: int = 1
    workers: int = 1
    mem_limit_mb: int | None = DEFAULT_MEM_LIMIT_MB
    grace_s: float | None = None
    scheduler: str | None = None
    resume: bool = False
    extra_modules: tuple[str, ...] = ()
    startup_timeout_s: float | None = None


@dataclass(frozen=True)
class Task:
    """One planned run: the set entry and the spec a worker receives."""

    entry: SetEntry
    spec: dict[str, Any]


@dataclass
class SweepResult:
    """What a sweep did: records written now, all records, consistency flags."""

    new_records: list[dict[str, Any]] = field(default_factory=list)
    all_records: list[dict[str, Any]] = field(default_factory=list)
    skipped: int = 0
    flags: list[Flag] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    """A validated sweep: the set, the runs still to do, the records already there."""

    config: SweepConfig
    entries: list[SetEntry]
    tasks: list[Task]
    existing: list[dict[str, Any]]
    skipped: int


def _check_config(cfg: SweepConfig) -> None:
    if not cfg.time_limit_s > 0:
        raise InputError(None, "--time-limit", f"must be > 0, got {cfg.time_limit_s}")
    if cfg.seeds < 1:
        raise InputError(None, "--seeds", f"must be >= 1, got {cfg.seeds}")
    if cfg.threads < 1:
        raise InputError(None, "--threads", f"must be >= 1, got {cfg.threads}")
    if cfg.workers < 1:
        raise InputError(None, "--workers", f"must be >= 1, got {cfg.workers}")
    if cfg.mem_limit_mb is not None and cfg.mem_limit_mb < 0:
        raise InputError(None, "--mem-limit-mb", f"must be >= 0, got {cfg.mem_limit_mb}")
    if cfg.grace_s is not None and cfg.grace_s < 0:
        raise InputError(None, "--grace", f"must be >= 0, got {cfg.grace_s}")
    if not cfg.solvers:
        raise InputError(None, "--solvers", "name at least one solver")
    if len(set(cfg.solvers)) != len(cfg.solvers):
        raise InputError(None, "--solvers", "a solver is named twice")


def _check_solvers(cfg: SweepConfig) -> None:
    from splitsched.solvers.base import UnknownSolverError, get_solver

    for ref in cfg.extra_modules:
        try:
            load_extra_module(ref)
        except (ImportError, OSError) as exc:
            raise InputError(ref, "--solver-module", f"cannot import: {exc}") from None
    for name in cfg.solvers:
        try:
            get_solver(name)
        except UnknownSolverError as exc:
            raise InputError(None, "--solvers", str(exc)) from None


def prepare(cfg: SweepConfig) -> Prepared:
    """Validate a sweep and plan its runs; writes nothing.

    Raises
    ------
    InputError
        Bad option, unknown solver or set, malformed instance, or an existing
        non-empty ``runs.jsonl`` without ``resume``.
    """
    _check_config(cfg)
    _check_solvers(cfg)
    entries = load_sets(cfg.set_ref)
    runs_path = cfg.run_dir / RUNS_FILE
    if cfg.run_dir.exists() and not cfg.run_dir.is_dir():
        raise InputError(cfg.run_dir, "-o", "exists and is not a directory")
    existing: list[dict[str, Any]] = []
    if runs_path.exists() and runs_path.stat().st_size > 0:
        if not cfg.resume:
            raise InputError(runs_path, "(file)", "this run directory already has results; "
                             "use --resume to continue it, or choose a new directory")
        existing = read_runs(runs_path).records
    done = finished_keys(existing)
    grace = cfg.grace_s if cfg.grace_s is not None else default_grace_s(cfg.time_limit_s)
    tasks: list[Task] = []
    skipped = 0
    for entry in entries:
        payload = instance_payload(entry)
        for solver in cfg.solvers:
            for seed in range(cfg.seeds):
                if run_key(entry.sha256, solver, seed, cfg.time_limit_s, cfg.threads) in done:
                    skipped += 1
                    continue
                spec = {"instance": payload, "solver": solver, "seed": seed,
                        "time_limit_s": float(cfg.time_limit_s), "threads": cfg.threads,
                        "mem_limit_mb": cfg.mem_limit_mb or None, "grace_s": grace,
                        "extra_modules": [_portable_ref(m) for m in cfg.extra_modules],
                        "startup_timeout_s": cfg.startup_timeout_s}
                tasks.append(Task(entry, spec))
    return Prepared(cfg, entries, tasks, existing, skipped)


def _portable_ref(ref: str) -> str:
    """A module file is passed by absolute path, so workers find it from any cwd."""
    p = Path(ref)
    return str(p.resolve()) if ref.endswith(".py") or p.is_file() else ref


def _write_run_dir(prep: Prepared) -> None:
    cfg = prep.config
    cfg.run_dir.mkdir(parents=True, exist_ok=True)
    repair_runs(cfg.run_dir / RUNS_FILE)  # cut a torn last line before appending
    for entry in prep.entries:
        path = instance_copy_path(cfg.run_dir, entry)
        if not path.exists():
            atomic_write_text(path, dumps(instance_to_dict(entry.instance)))
    meta = {"set": cfg.set_ref, "solvers": list(cfg.solvers), "time_limit_s": cfg.time_limit_s,
            "seeds": cfg.seeds, "threads": cfg.threads, "workers": cfg.workers,
            "mem_limit_mb": cfg.mem_limit_mb, "grace_s": cfg.grace_s,
            "scheduler": cfg.scheduler, "extra_modules": list(cfg.extra_modules),
            "submitted_from": environment()}
    atomic_write_text(cfg.run_dir / "sweep.json", dumps(meta))


RawStream = Generator[tuple[Task, dict[str, Any]], None, None]


def _local_results(tasks: Sequence[Task], workers: int) -> RawStream:
    """Yield (task, raw result) as runs finish, W at a time."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="splitsched-run")
    pending: dict[Future[dict[str, Any]], Task] = {}
    queue = list(reversed(tasks))
    try:
        while queue or pending:
            while queue and len(pending) < workers:
                task = queue.pop()
                pending[pool.submit(run_isolated, task.spec)] = task
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                task = pending.pop(fut)
                yield task, _result_or_crash(fut)
    finally:
        if pending:
            kill_all_live()
        pool.shutdown(wait=True, cancel_futures=True)


def _dask_results(tasks: Sequence[Task], address: str) -> RawStream:
    """Yield (task, raw result) from a Dask cluster; each task still isolates its run."""
    from distributed import Client, as_completed

    with Client(address) as client:
        futures = {client.submit(run_isolated, t.spec, pure=False,
                                 key=f"splitsched-run-{uuid.uuid4().hex}"): t for t in tasks}
        try:
            for fut in as_completed(list(futures)):
                yield futures[fut], _result_or_crash(fut)
        finally:
            client.cancel(list(futures))


def _result_or_crash(fut: Any) -> dict[str, Any]:
    """A harness failure (worker lost, pickling) becomes a crash record, not an abort."""
    try:
        result: dict[str, Any] = fut.result()
        return result
    except Exception as exc:
        return {"status": "crash", "error": f"executor failed: {type(exc).__name__}: {exc}",
                "environment": environment()}


ProgressHook = Callable[[dict[str, Any]], None]


def execute(prep: Prepared, on_record: ProgressHook | None = None) -> SweepResult:
    """Run the planned tasks, appending one record per finished run.

    Parameters
    ----------
    prep:
        From :func:`prepare`.
    on_record:
        Called after each record is durably written (progress display).
    """
    cfg = prep.config
    _write_run_dir(prep)
    runs_path = cfg.run_dir / RUNS_FILE
    result = SweepResult(skipped=prep.skipped)
    stream = (_dask_results(prep.tasks, cfg.scheduler) if cfg.scheduler
              else _local_results(prep.tasks, cfg.workers))
    with contextlib.closing(stream):
        for task, raw in stream:
            record = build_record(task.entry, task.spec, raw, cfg.run_dir, cfg.set_ref)
            append_record(runs_path, record)
            result.new_records.append(record)
            if on_record is not None:
                on_record(record)
    result.all_records = read_runs(runs_path).records
    result.flags = consistency_flags(result.all_records)
    return result


def run_sweep(cfg: SweepConfig, on_record: ProgressHook | None = None) -> SweepResult:
    """Validate, then run a whole sweep (see module docstring)."""
    return execute(prepare(cfg), on_record)
