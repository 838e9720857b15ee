"""Turn a worker's raw result into a record, re-evaluated on the submitting side.

Nothing a worker says about quality is trusted: the schedule it returns is
written to ``RUN_DIR/schedules/`` atomically, read back, checked against the
run directory's own copy of the instance and evaluated here with
:func:`splitsched.evaluate.evaluate`. The worker's own miss count is kept only
to flag a disagreement.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from splitsched.bench.records import RECORD_SCHEMA, RECORD_VERSION
from splitsched.bench.sets import SetEntry
from splitsched.evaluate import evaluate
from splitsched.generate import horizon_load
from splitsched.io import (
    InputError,
    atomic_write_text,
    check_schedule_matches,
    dumps,
    read_instance,
    read_schedule,
    schedule_from_dict,
    schedule_to_dict,
)
from splitsched.problem import Instance
from splitsched.solve import stamp_schedule

SCHEDULES_DIR = "schedules"
INSTANCES_DIR = "instances"

_instance_cache: dict[Path, Instance] = {}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80]


def instance_copy_path(run_dir: Path, entry: SetEntry) -> Path:
    """Where the run directory keeps its own copy of an instance."""
    return run_dir / INSTANCES_DIR / f"{_safe(entry.id)}__{entry.sha256[:12]}.json"


def schedule_path(run_dir: Path, instance_id: str, solver: str, seed: int,
                  time_limit_s: float, threads: int) -> Path:
    """``schedules/<instance>__<solver>__s<seed>__tl<limit>__th<threads>.json``."""
    name = (f"{_safe(instance_id)}__{_safe(solver)}__s{seed}__tl{_safe(f'{time_limit_s:g}')}"
            f"__th{threads}.json")
    return run_dir / SCHEDULES_DIR / name


def _run_dir_instance(path: Path) -> Instance:
    if path not in _instance_cache:
        _instance_cache[path] = read_instance(path)
    return _instance_cache[path]


def _is_exact(solver: str) -> bool | None:
    """Whether the registry marks the solver exact (None if this process does not know it)."""
    from splitsched.solvers.base import UnknownSolverError, get_solver

    try:
        return get_solver(solver).exact
    except UnknownSolverError:
        return None


def load_value(entry: SetEntry) -> tuple[float, str]:
    """The instance's load: the generator's parameter if it has one, else computed."""
    for key in ("load", "utilization", "utilisation"):
        value = entry.params.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), f"params.{key}"
    return horizon_load(entry.instance), "computed"


def build_record(entry: SetEntry, spec: dict[str, Any], raw: dict[str, Any], run_dir: Path,
                 set_name: str) -> dict[str, Any]:
    """Make the stored record of one run (see ``records`` for the format).

    Parameters
    ----------
    entry:
        The set entry the run was made for.
    spec:
        The spec sent to the worker (solver, seed, limits).
    raw:
        What :func:`splitsched.bench.worker.run_isolated` returned.
    run_dir:
        The run directory (holds ``instances/`` and ``schedules/``).
    set_name:
        The ``--set`` argument, for provenance.
    """
    instance = _run_dir_instance(instance_copy_path(run_dir, entry))
    solver, seed = spec["solver"], int(spec["seed"])
    limit, threads = float(spec["time_limit_s"]), int(spec["threads"])
    load, load_source = load_value(entry)
    status = raw.get("status") or "crash"
    error = raw.get("error")
    record: dict[str, Any] = {
        "schema": RECORD_SCHEMA, "version": RECORD_VERSION,
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "set": set_name, "instance_id": entry.id, "instance_sha256": entry.sha256,
        "instance_file": entry.file.name,
        "instance_copy": str(instance_copy_path(run_dir, entry).relative_to(run_dir)),
        "instance_params": entry.params, "n_jobs": instance.num_jobs,
        "total_weight": instance.total_weight, "load": load, "load_source": load_source,
        "solver": solver, "solver_exact": _is_exact(solver), "seed": seed,
        "time_limit_s": limit, "threads": threads,
        "mem_limit_mb": spec.get("mem_limit_mb"), "grace_s": spec.get("grace_s"),
        "claimed_status": raw.get("claimed_status", status),
        "feasible": False, "missed": None, "misses": None, "miss_rate": None,
        "weighted_miss_rate": None, "makespan": None,
        "bound": raw.get("bound"), "runtime_s": raw.get("runtime_s"),
        "wall_s": raw.get("wall_s"), "peak_rss_mb": raw.get("peak_rss_mb"),
        "exit_code": raw.get("exit_code"), "worker_missed": raw.get("worker_missed"),
        "worker_claim_mismatch": False, "schedule_file": None, "violations": [],
        "stats": raw.get("stats") or {},
        "log_tail": raw.get("log_tail", "") if status in ("crash", "memout", "killed",
                                                          "error") else "",
        **(raw.get("environment") or {}),
    }
    sched_dict = raw.get("schedule")
    if sched_dict is not None:
        spath = schedule_path(run_dir, entry.id, solver, seed, limit, threads)
        try:
            sched = schedule_from_dict(sched_dict)
            sched_dict = schedule_to_dict(stamp_schedule(
                sched, instance_sha256=entry.sha256, status=status, bound=raw.get("bound"),
                runtime_s=raw.get("runtime_s"), time_limit_s=limit, seed=seed,
                threads=threads))
            atomic_write_text(spath, dumps(sched_dict))
            sched = read_schedule(spath)
            check_schedule_matches(instance, sched, spath)
        except InputError as exc:
            record.update(status="error", error=f"unusable schedule: {exc}")
            record["claimed_status"] = raw.get("claimed_status", status)
            return record
        ev = evaluate(instance, sched)
        record["schedule_file"] = str(spath.relative_to(run_dir))
        record.update(missed=ev.weighted_misses, misses=ev.misses, miss_rate=ev.miss_rate,
                      weighted_miss_rate=ev.weighted_miss_rate, makespan=ev.makespan,
                      feasible=ev.feasible, violations=list(ev.violations[:20]))
        if not ev.feasible:
            status = "error"
            error = "infeasible schedule: " + "; ".join(ev.violations[:5])
        worker = raw.get("worker_missed")
        if worker is not None and worker != ev.weighted_misses:
            record["worker_claim_mismatch"] = True
    record["status"] = status
    record["error"] = error
    return record
