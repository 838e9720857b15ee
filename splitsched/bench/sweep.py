"""Sweeps: every (instance, solver, seed) of a set, on a local pool or a Dask cluster.

Both executors only *dispatch*: each run goes through
:func:`splitsched.bench.worker.run_isolated`, which starts a fresh child
process with a hard kill, so isolation is the same wherever a run executes.
Results come back to the submitting process, which re-evaluates the schedule
(:mod:`splitsched.bench.finalize`) and appends the record to
``RUN_DIR/runs.jsonl`` at once, flushed and fsynced. An interrupted sweep
therefore loses at most the runs in flight, and ``--resume`` skips every run
whose key (instance sha256, solver, seed, time limit, threads) is recorded.

Guarantees (``docs/reliability.md``):

* one writer per run directory (:class:`~splitsched.bench.records.RunDirLock`,
  taken before anything is written; a second sweep is refused);
* ``--resume`` continues the same sweep only: the settings that define the
  runs (set, solvers, seeds, time limit, threads, memory limit, grace, solver
  modules) must equal those in ``sweep.json``, or it is refused with the
  differences listed; an instance file edited since its runs were recorded
  (its id recorded with another sha256) is refused too;
* with ``--scheduler`` the scheduler is reached before the run directory is
  created;
* a file of the run directory that cannot be written (a full disk) stops
  the sweep with :class:`~splitsched.bench.records.WriteFailure` (``bench``
  exits 3): the records before it stay whole (no torn line) and ``--resume``
  goes on from them; a run directory the sweep created that holds no record
  then is removed;
* an infrastructure failure (scheduler or Dask worker lost, executor error)
  is not a run: it is appended to ``infra.jsonl``, not to ``runs.jsonl``,
  the sweep reports it (``bench`` exits 3) and ``--resume`` runs it again.

The local executor is a pool of W threads, each of which waits on one child
process at a time: W runs in parallel, each in a process of its own that is
started for that run and never reused (the equivalent of a process pool with
``maxtasksperchild=1``, plus the hard kill a pool cannot give).
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import uuid
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from splitsched.bench.certify import Flag, consistency_flags
from splitsched.bench.finalize import INSTANCES_DIR, SCHEDULES_DIR, build_record, instance_copy_path
from splitsched.bench.machine import environment
from splitsched.bench.records import (
    INFRA_FILE,
    LOCK_FILE,
    RUNS_FILE,
    HarnessStatus,
    RunDirLock,
    RunRecord,
    RunSpec,
    WorkerResult,
    WriteFailure,
    append_json_line,
    append_record,
    finished_keys,
    read_runs,
    repair_runs,
    run_key,
    write_run_file,
)
from splitsched.bench.sets import RUN_DIR_FILES, SetEntry, instance_payload, load_sets
from splitsched.bench.worker import (
    DEFAULT_MEM_LIMIT_MB,
    clean_stale_run_dirs,
    default_grace_s,
    kill_all_live,
    load_extra_module,
    run_isolated,
)
from splitsched.io import (
    InputError,
    check_output_dir,
    dumps,
    instance_to_dict,
    read_json,
)
from splitsched.problem import named_twice, shown_value

SWEEP_FILE = "sweep.json"
ONLINE_SWEEP_FILE = "online.json"  # splitsched.online.sweep.CONFIG_FILE (not bench's to write)
# sweep.json keys that define which runs a sweep makes and how: --resume must match them.
RESUME_KEYS = ("set", "solvers", "time_limit_s", "seeds", "threads", "mem_limit_mb", "grace_s",
               "extra_modules")
DASK_CONNECT_TIMEOUT_S = 10.0


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
    spec: RunSpec


@dataclass(frozen=True)
class InfraFailure:
    """A run the infrastructure failed to carry out (not recorded as a run)."""

    instance_id: str
    solver: str
    seed: int
    error: str


@dataclass
class SweepResult:
    """What a sweep did: records written now, all records, consistency flags, and the runs
    lost to infrastructure failures (rerun them with ``--resume``)."""

    new_records: list[RunRecord] = field(default_factory=list)
    all_records: list[RunRecord] = field(default_factory=list)
    skipped: int = 0
    flags: list[Flag] = field(default_factory=list)
    infra_failures: list[InfraFailure] = field(default_factory=list)


@dataclass(frozen=True)
class Prepared:
    """A validated sweep: the set, the runs still to do, the records already there."""

    config: SweepConfig
    entries: list[SetEntry]
    tasks: list[Task]
    existing: list[RunRecord]
    skipped: int


def _check_config(cfg: SweepConfig) -> None:
    if not 0 < cfg.time_limit_s < math.inf:
        raise InputError(None, "--time-limit", f"must be a finite number > 0, "
                                               f"got {cfg.time_limit_s}")
    if cfg.seeds < 1:
        raise InputError(None, "--seeds", f"must be >= 1, got {shown_value(cfg.seeds)}")
    if cfg.threads < 1:
        raise InputError(None, "--threads", f"must be >= 1, got {shown_value(cfg.threads)}")
    if cfg.workers < 1:
        raise InputError(None, "--workers", f"must be >= 1, got {shown_value(cfg.workers)}")
    if cfg.mem_limit_mb is not None and cfg.mem_limit_mb < 1:
        raise InputError(None, "--mem-limit-mb",
                         f"must be >= 1 (MiB), got {shown_value(cfg.mem_limit_mb)}"
                         + ("; 0 is not 'no limit'" if cfg.mem_limit_mb == 0 else ""))
    if cfg.grace_s is not None and not 0 <= cfg.grace_s < math.inf:
        raise InputError(None, "--grace", f"must be a finite number >= 0, got {cfg.grace_s}")
    if not cfg.solvers:
        raise InputError(None, "--solvers", "name at least one solver")
    twice = named_twice(cfg.solvers)
    if twice:
        raise InputError(None, "--solvers", twice)


def _check_solvers(cfg: SweepConfig) -> None:
    from splitsched.solvers.base import UnknownSolverError, get_solver

    for ref in cfg.extra_modules:
        _check_solver_module(ref)
    for name in cfg.solvers:
        try:
            get_solver(name)
        except UnknownSolverError as exc:
            raise InputError(None, "--solvers", str(exc)) from None


def _check_solver_module(ref: str) -> None:
    """Import the ``--solver-module`` ``ref``; refuse it (bad input) when it fails to
    import, is a folder, or registers no solver: such a module was accepted silently and
    the sweep ran without the solvers it was meant to add."""
    from splitsched.solvers.base import BUILTIN_MODULES, registered_solvers

    if Path(ref).is_dir() and (ref.endswith(".py") or os.sep in ref or "/" in ref):
        raise InputError(ref, "--solver-module", "is a folder; give a .py file or the dotted "
                         "name of a module that registers solvers")
    before = set(registered_solvers())
    try:
        module = load_extra_module(ref)
    except Exception as exc:  # any failure of the user's module is bad input
        raise InputError(ref, "--solver-module",
                         f"cannot import: {type(exc).__name__}: {exc}") from None
    after = registered_solvers()
    added = [name for name in after.keys() - before if name not in BUILTIN_MODULES]
    own = [name for name, info in after.items()
           if str(getattr(info.fn, "__module__", "")).partition(".")[0]
           == module.__name__.partition(".")[0] and name not in BUILTIN_MODULES]
    if added or own:
        return
    folder = getattr(module, "__file__", None) is None and hasattr(module, "__path__")
    what = ("is a folder without __init__.py (a namespace package), not a module"
            if folder else "registers no solver")
    raise InputError(ref, "--solver-module", f"{what}: importing it added nothing to the "
                     "solver registry (a solver module decorates its functions with "
                     "splitsched.register(NAME, SUMMARY))")


def load_solvers(cfg: SweepConfig) -> None:
    """Load every solver of the sweep and its warm start's solvers in this process.

    :func:`splitsched.solve.load_solver` compiles numba's kernels where its cache
    is cold, once, before any worker starts: otherwise every worker compiled them
    (about 18 s each on the 2-core machine), and the address space a worker
    measures before applying ``--mem-limit-mb`` (compiling maps more: 913 MiB
    against 753 MiB for ``cpsat``) depended on whether the cache was warm. Call
    it after :func:`prepare` (which refuses bad input first, without compiling
    what the solvers' own modules do not import).
    """
    from splitsched.solve import load_solver

    for name in cfg.solvers:
        load_solver(name)


def sweep_settings(cfg: SweepConfig) -> dict[str, Any]:
    """What ``sweep.json`` records about a sweep (the :data:`RESUME_KEYS` and the rest)."""
    return {"set": cfg.set_ref, "solvers": list(cfg.solvers), "time_limit_s": cfg.time_limit_s,
            "seeds": cfg.seeds, "threads": cfg.threads, "workers": cfg.workers,
            "mem_limit_mb": cfg.mem_limit_mb, "grace_s": cfg.grace_s,
            "scheduler": cfg.scheduler, "extra_modules": list(cfg.extra_modules)}


def check_resume_settings(cfg: SweepConfig) -> None:
    """Refuse ``--resume`` with settings other than the recorded sweep's.

    Raises
    ------
    InputError
        Listing every difference (``name: recorded -> now``).
    """
    # a key an older sweep.json lacks is not a difference
    refuse_other_settings(cfg.run_dir / SWEEP_FILE, sweep_settings(cfg), RESUME_KEYS,
                          runs=cfg.run_dir / RUNS_FILE, missing_ok=True)


def refuse_other_settings(path: Path, now: dict[str, Any], keys: Sequence[str], *,
                          runs: Path, missing_ok: bool = False) -> None:
    """Refuse to resume the run directory whose settings file is ``path`` with settings
    ``now`` that differ from the recorded ones in any of ``keys`` (numbers compared as
    floats, booleans apart from numbers; with ``missing_ok`` a key the file lacks is no
    difference). Without ``path``, a non-empty ``runs`` file cannot be checked: refused.

    Raises
    ------
    InputError
        Naming ``path`` and listing every difference (``name: recorded -> now``); or
        ``path`` is not a JSON object; or ``path`` is missing beside recorded runs.
    """
    if not path.exists():
        if runs.exists() and runs.stat().st_size > 0:
            raise InputError(path, "--resume", "missing, so the settings of the runs in "
                             f"{runs} cannot be checked; run the sweep again into a new "
                             "directory")
        return
    recorded = read_json(path)
    if not isinstance(recorded, dict):
        raise InputError(path, "(root)", "expected a JSON object")
    diffs = [f"{k}: {recorded.get(k)!r} -> {now[k]!r}" for k in keys
             if (k in recorded or not missing_ok) and _norm(recorded.get(k)) != _norm(now[k])]
    if diffs:
        raise InputError(path, "--resume", "this run directory holds another sweep; "
                         "resume it with the same settings or choose a new directory ("
                         + "; ".join(diffs) + ")")


def refuse_changed_instances(entries: Sequence[SetEntry], records: Iterable[RunRecord],
                             runs: Path) -> None:
    """Refuse to resume over an instance file edited since its runs were recorded.

    Records are keyed by the instance's sha256 but reported by its id: an entry
    whose id is recorded (in ``runs``) with another sha256 would add runs of a
    second version under the same id (two rows for one id in every table, a set
    of 2 counted as 3 instances). Checked before any work.

    Raises
    ------
    InputError
        Naming the entry's file, its id, the recorded and the current sha256,
        and how to go on (restore the file, or run into a new directory).
    """
    recorded: dict[str, list[str]] = {}
    for rec in records:
        shas = recorded.setdefault(rec.instance_id, [])
        if rec.instance_sha256 not in shas:
            shas.append(rec.instance_sha256)
    for entry in entries:
        other = [sha for sha in recorded.get(entry.id, ()) if sha != entry.sha256]
        if other:
            raise InputError(entry.file, "id", f"instance {entry.id!r} was recorded in {runs} "
                             f"with sha256 {', '.join(other)}, but this file now has sha256 "
                             f"{entry.sha256}: it changed since those runs, and resuming would "
                             "mix two versions under one id; restore the file as it was, or "
                             "run the sweep into a new -o directory")


def _norm(value: Any) -> Any:
    if isinstance(value, bool):  # True == 1.0 in Python: keep a hand-edited `1` apart from true
        return ("bool", value)
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list | tuple):
        return [_norm(v) for v in value]
    return value


def prepare(cfg: SweepConfig) -> Prepared:
    """Validate a sweep and plan its runs; writes nothing.

    Raises
    ------
    InputError
        Bad option, unknown solver or set, malformed instance, an existing
        non-empty ``runs.jsonl`` without ``resume``, or ``resume`` with
        settings other than the recorded sweep's.
    """
    _check_config(cfg)
    _check_solvers(cfg)
    if str(cfg.run_dir) in ("", "."):
        raise InputError(None, "-o", "name a run directory (not the current folder)")
    entries = load_sets(cfg.set_ref)
    runs_path = cfg.run_dir / RUNS_FILE
    if cfg.run_dir.exists() and not cfg.run_dir.is_dir():
        raise InputError(cfg.run_dir, "-o", "exists and is not a directory")
    if (cfg.run_dir / ONLINE_SWEEP_FILE).exists():
        raise InputError(cfg.run_dir / ONLINE_SWEEP_FILE, "(file)", "this is an online "
                         "sweep's run directory (splitsched online --set); give bench another -o")
    check_output_dir(cfg.run_dir, "-o")  # writable: a file can be made in it
    refuse_foreign_folder(cfg.run_dir)
    RunDirLock.refuse_if_held(cfg.run_dir)  # before the plan is said (taken in execute)
    existing: list[RunRecord] = []
    if runs_path.exists() and runs_path.stat().st_size > 0:
        if not cfg.resume:
            raise InputError(runs_path, "(file)", "this run directory already has results; "
                             "use --resume to continue it, or choose a new directory")
        existing = read_runs(runs_path).records
        for i, rec in enumerate(existing, start=1):
            if rec.kind is not None:  # online.json removed by hand: still not bench's to write
                raise InputError(runs_path, f"record {i}", f"an online sweep's record (kind "
                                 f"{rec.kind!r}): this is an online sweep's run directory; "
                                 "give bench another -o")
    if cfg.resume:
        check_resume_settings(cfg)
        refuse_changed_instances(entries, existing, runs_path)
    tasks, skipped = _plan(cfg, entries, finished_keys(existing))
    return Prepared(cfg, entries, tasks, existing, skipped)


def _plan(cfg: SweepConfig, entries: Sequence[SetEntry],
          done: set[Any]) -> tuple[list[Task], int]:
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
                spec = RunSpec(instance=payload, solver=solver, seed=seed,
                               time_limit_s=float(cfg.time_limit_s), threads=cfg.threads,
                               mem_limit_mb=cfg.mem_limit_mb, grace_s=grace,
                               extra_modules=tuple(_portable_ref(m) for m in cfg.extra_modules),
                               startup_timeout_s=cfg.startup_timeout_s)
                tasks.append(Task(entry, spec))
    return tasks, skipped


def _portable_ref(ref: str) -> str:
    """A module file is passed by absolute path, so workers find it from any cwd."""
    p = Path(ref)
    return str(p.resolve()) if ref.endswith(".py") or p.is_file() else ref


def _write_run_dir(prep: Prepared) -> None:
    cfg = prep.config
    repair_runs(cfg.run_dir / RUNS_FILE)  # cut a torn last line before appending
    for entry in prep.entries:
        path = instance_copy_path(cfg.run_dir, entry)
        if not path.exists():
            write_run_file(path, dumps(instance_to_dict(entry.instance)))
    meta = {**sweep_settings(cfg), "submitted_from": environment()}
    write_run_file(cfg.run_dir / SWEEP_FILE, dumps(meta))


RawStream = Generator[tuple[Task, WorkerResult], None, None]


def _local_results(tasks: Sequence[Task], workers: int) -> RawStream:
    """Yield (task, raw result) as runs finish, W at a time."""
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="splitsched-run")
    pending: dict[Future[WorkerResult], Task] = {}
    queue = list(reversed(tasks))
    try:
        while queue or pending:
            while queue and len(pending) < workers:
                task = queue.pop()
                pending[pool.submit(run_isolated, task.spec)] = task
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for fut in done:
                task = pending.pop(fut)
                yield task, _result_or_infra(fut)
    finally:
        if pending:
            kill_all_live()
        pool.shutdown(wait=True, cancel_futures=True)


def connect_scheduler(address: str, timeout_s: float | None = None) -> Any:
    """A ``distributed.Client`` for ``address``, or InputError if it cannot be reached.

    ``timeout_s`` None: :data:`DASK_CONNECT_TIMEOUT_S`, read at the call (not bound when
    this module loads, so a test can shorten it).
    """
    if timeout_s is None:
        timeout_s = DASK_CONNECT_TIMEOUT_S
    try:
        from distributed import Client
    except ModuleNotFoundError:
        raise InputError(None, "--scheduler", "Dask is not installed: pip install "
                                              "'splitsched[dask]'") from None
    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.registry import backends

    try:  # a malformed address is said to be one at once, not as a failed connection
        scheme, loc = parse_address(address)
        if scheme not in backends:
            raise ValueError(f"unknown address scheme {scheme!r} (Dask's: "
                             f"{', '.join(sorted(backends))})")
        if scheme in ("tcp", "tls", "ws", "wss"):
            port = parse_host_port(loc)[1]
            if not 0 < port < 65536:
                raise ValueError(f"port {port} out of range 1..65535")
    except ValueError as exc:
        raise InputError(None, "--scheduler", f"not a scheduler address: {exc} (expected "
                                              "tcp://HOST:PORT, e.g. tcp://127.0.0.1:8786)"
                         ) from None
    try:
        return Client(address, timeout=timeout_s)
    except Exception as exc:  # OSError, TimeoutError
        raise InputError(None, "--scheduler", f"cannot reach {address!r} within "
                         f"{timeout_s:g} s: {type(exc).__name__}: {exc}") from None


def _dask_results(tasks: Sequence[Task], client: Any) -> RawStream:
    """Yield (task, raw result) from a Dask cluster; each task still isolates its run."""
    from distributed import as_completed

    futures = {client.submit(run_isolated, t.spec, pure=False,
                             key=f"splitsched-run-{uuid.uuid4().hex}"): t for t in tasks}
    try:
        for fut in as_completed(list(futures)):
            yield futures[fut], _result_or_infra(fut)
    finally:
        with contextlib.suppress(Exception):  # the scheduler may be gone
            client.cancel(list(futures))


def _result_or_infra(fut: Any) -> WorkerResult:
    """A failure of the executor itself (worker or scheduler lost, pickling, no temp
    space) is an infrastructure failure: status ``infra``, never a solver's crash."""
    try:
        result: WorkerResult = fut.result()
        return result
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        return WorkerResult(status=HarnessStatus.INFRA.value,
                            error=f"executor failed: {type(exc).__name__}: {exc}")


ProgressHook = Callable[[RunRecord], None]


def execute(prep: Prepared, on_record: ProgressHook | None = None) -> SweepResult:
    """Run the planned tasks, appending one record per finished run.

    Order: load the solvers here (:func:`load_solvers`), reach the scheduler (if
    any), lock the run directory, re-read its records under the lock (runs
    recorded meanwhile are skipped), write the instance copies and
    ``sweep.json``, then run.

    Parameters
    ----------
    prep:
        From :func:`prepare`.
    on_record:
        Called after each record is durably written (progress display).

    Raises
    ------
    InputError
        The scheduler cannot be reached, or another process holds the run
        directory's lock; nothing is written then.
    WriteFailure
        A file of the run directory could not be written (a full disk): the
        records written before are kept whole (``--resume`` goes on from
        them); a run directory this call created that holds no record is
        removed.
    """
    cfg = prep.config
    if prep.tasks:
        load_solvers(cfg)
    clean_stale_run_dirs()
    client = connect_scheduler(cfg.scheduler) if cfg.scheduler else None
    try:
        with locked_run_dir(cfg.run_dir):
            return _execute_locked(prep, client, on_record)
    finally:
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()


# What a run directory of ``bench`` or ``online --set`` may hold besides its marker files
# (RUN_DIR_FILES): records of lost runs, its lock, instance and schedule copies, the report,
# an online sweep's offline schedules (splitsched.online.sweep).
RUN_DIR_NAMES = frozenset({*RUN_DIR_FILES, INFRA_FILE, LOCK_FILE, INSTANCES_DIR, SCHEDULES_DIR,
                           "report", "offline"})


def refuse_foreign_folder(run_dir: Path, option: str = "-o") -> None:
    """A bad-input error when ``run_dir`` is an existing folder that is not a run
    directory (none of :data:`RUN_DIR_FILES`) yet holds something a sweep does not write
    (hidden names aside), naming the first such entry: a set's folder or a folder of the
    user's files, among which the sweep's records and copies would be mixed (and a set
    folder would no longer read as a set). A new, empty or earlier run directory passes.
    """
    if not run_dir.is_dir() or any((run_dir / name).exists() for name in RUN_DIR_FILES):
        return
    foreign = sorted(e.name for e in run_dir.iterdir()
                     if e.name not in RUN_DIR_NAMES and not e.name.startswith("."))
    if foreign:
        more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
        raise InputError(run_dir, option, f"an existing folder that is not a run directory "
                         f"(it holds {foreign[0]}{more}); give a new or empty folder, so "
                         "that the sweep's files are not mixed with others")


@contextlib.contextmanager
def locked_run_dir(run_dir: Path) -> Iterator[None]:
    """The block runs holding ``run_dir``'s lock (:class:`RunDirLock`); on a
    :class:`WriteFailure` (a full disk) a run directory that did not exist before is
    removed if it holds no record (:func:`remove_if_unrecorded`: under the lock, or
    after it when the lock file itself could not be written). Used by ``bench`` and
    ``online --set``."""
    created = not os.path.lexists(run_dir)
    locked = False
    try:
        with RunDirLock(run_dir):
            locked = True
            try:
                yield
            except WriteFailure:
                if created:  # removed under the lock
                    remove_if_unrecorded(run_dir)
                raise
    except WriteFailure:
        if created and not locked:  # the lock file itself could not be written
            remove_if_unrecorded(run_dir)
        raise


def remove_if_unrecorded(run_dir: Path) -> bool:
    """Remove ``run_dir`` (created by the caller) if its ``runs.jsonl`` holds no record:
    after a failure before the first record, what remains (the lock, part of the
    instance copies) is no run directory worth resuming. True if removed."""
    runs = run_dir / RUNS_FILE
    try:
        if runs.exists() and read_runs(runs).records:
            return False
    except InputError:
        return False  # not ours to judge: keep it
    shutil.rmtree(run_dir, ignore_errors=True)
    return not run_dir.exists()


def _execute_locked(prep: Prepared, client: Any, on_record: ProgressHook | None) -> SweepResult:
    cfg = prep.config
    runs_path = cfg.run_dir / RUNS_FILE
    recorded = read_runs(runs_path).records
    refuse_changed_instances(prep.entries, recorded, runs_path)  # records made meanwhile
    done = finished_keys(recorded)
    tasks = [t for t in prep.tasks
             if run_key(t.entry.sha256, t.spec.solver, t.spec.seed, t.spec.time_limit_s,
                        t.spec.threads) not in done]
    _write_run_dir(prep)
    result = SweepResult(skipped=prep.skipped + len(prep.tasks) - len(tasks))
    stream = (_dask_results(tasks, client) if client is not None
              else _local_results(tasks, cfg.workers))
    with contextlib.closing(stream):
        for task, raw in stream:
            if raw.status == HarnessStatus.INFRA.value:
                failure = InfraFailure(task.entry.id, task.spec.solver, task.spec.seed,
                                       str(raw.error))
                result.infra_failures.append(failure)
                append_json_line(cfg.run_dir / INFRA_FILE, {
                    "instance_id": failure.instance_id, "instance_sha256": task.entry.sha256,
                    "solver": failure.solver, "seed": failure.seed, "error": failure.error,
                    "at": datetime.now(UTC).isoformat(timespec="seconds")})
                continue
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
