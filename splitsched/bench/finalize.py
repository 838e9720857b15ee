"""Turn a worker's raw result into a record, re-evaluated on the submitting side.

Nothing a worker says about quality is trusted: the schedule it returns is
written to ``RUN_DIR/schedules/`` atomically, read back, checked against the
run directory's own copy of the instance and evaluated here with
:func:`splitsched.evaluate.evaluate`. The worker's own miss count is kept only
to flag a disagreement.
"""

from __future__ import annotations

import dataclasses
import math
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from splitsched.bench.records import (
    ABNORMAL_END,
    HarnessStatus,
    RecordStatus,
    RunRecord,
    RunSpec,
    WorkerResult,
    parse_status,
    write_run_file,
)
from splitsched.bench.sets import SetEntry
from splitsched.evaluate import evaluate
from splitsched.generate import horizon_load
from splitsched.io import (
    InputError,
    check_schedule_matches,
    dumps,
    read_instance,
    read_schedule,
    schedule_from_dict,
    schedule_to_dict,
)
from splitsched.problem import Instance
from splitsched.solve import stamp_schedule, within_time_limit
from splitsched.solvers.base import SolveStatus

SCHEDULES_DIR = "schedules"
INSTANCES_DIR = "instances"

_instance_cache: dict[Path, Instance] = {}


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:80]


def instance_copy_path(run_dir: Path, entry: SetEntry) -> Path:
    """Where the run directory keeps its own copy of an instance."""
    return run_dir / INSTANCES_DIR / f"{_safe(entry.id)}__{entry.sha256[:12]}.json"


def schedule_path(run_dir: Path, instance_id: str, instance_sha256: str, solver: str,
                  seed: int, time_limit_s: float, threads: int) -> Path:
    """``schedules/<instance>__<sha12>__<solver>__s<seed>__tl<limit>__th<threads>.json``.

    The instance's hash is part of the name: two ids that sanitise alike
    (``coll/x``, ``coll_x``) or an edited instance under the same id never
    share a schedule file.
    """
    name = (f"{_safe(instance_id)}__{instance_sha256[:12]}__{_safe(solver)}__s{seed}"
            f"__tl{_safe(f'{time_limit_s:g}')}__th{threads}.json")
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


def _finite_or_none(value: Any) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _finite_json(value: Any) -> Any:
    """Non-finite floats (a solver's NaN gap) become None: every file stays strict JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _finite_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite_json(v) for v in value]
    return value


def _status_of(raw: WorkerResult) -> RecordStatus:
    try:
        return parse_status(raw.status or HarnessStatus.CRASH.value)
    except ValueError:
        return SolveStatus.ERROR


def build_record(entry: SetEntry, spec: RunSpec, raw: WorkerResult, run_dir: Path,
                 set_name: str) -> RunRecord:
    """Make the stored record of one run.

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

    Nothing the worker says is trusted: the schedule is re-evaluated here, a
    non-finite bound is dropped (noted in ``stats``), and a run that took
    longer than its limit plus :func:`splitsched.solve.time_tolerance_s`
    (:func:`splitsched.solve.within_time_limit`)
    while claiming ``optimal`` or ``feasible`` is recorded as ``timeout``
    (its schedule kept).
    """

    instance = _run_dir_instance(instance_copy_path(run_dir, entry))
    solver, seed = spec.solver, spec.seed
    limit, threads = spec.time_limit_s, spec.threads
    load, load_source = load_value(entry)
    status = _status_of(raw)
    error = raw.error if isinstance(raw.error, str) else None
    stats = _finite_json(raw.stats or {})
    if not isinstance(stats, dict):
        stats = {"value": stats}
    bound = _finite_or_none(raw.bound)
    if raw.bound is not None and bound is None:
        stats["dropped_bound"] = repr(raw.bound)
    runtime = _finite_or_none(raw.runtime_s)
    status = within_time_limit(status, runtime, limit, stats)
    env = raw.environment or {}
    claimed = raw.claimed_status or status.value
    record = RunRecord(
        finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
        set=set_name, instance_id=entry.id, instance_sha256=entry.sha256,
        instance_file=entry.file.name,
        instance_copy=str(instance_copy_path(run_dir, entry).relative_to(run_dir)),
        instance_params=_finite_json(entry.params), n_jobs=instance.num_jobs,
        total_weight=instance.total_weight, load=_finite_or_none(load), load_source=load_source,
        solver=solver, solver_exact=_is_exact(solver), seed=seed,
        time_limit_s=limit, threads=threads, mem_limit_mb=spec.mem_limit_mb,
        grace_s=spec.grace_s, claimed_status=claimed if isinstance(claimed, str) else None,
        bound=bound, runtime_s=runtime, wall_s=_finite_or_none(raw.wall_s),
        peak_rss_mb=_finite_or_none(raw.peak_rss_mb), exit_code=raw.exit_code,
        worker_missed=raw.worker_missed, stats=stats,
        log_tail=str(raw.log_tail or "") if status in ABNORMAL_END else "",
        versions=dict(env.get("versions") or {}), machine=dict(env.get("machine") or {}),
        status=status, error=error)
    sched_dict = raw.schedule
    if sched_dict is None:
        return record
    spath = schedule_path(run_dir, entry.id, entry.sha256, solver, seed, limit, threads)
    try:
        sched = schedule_from_dict(sched_dict)
        sched = dataclasses.replace(sched, meta=_finite_json(dict(sched.meta)))
        sched_dict = schedule_to_dict(stamp_schedule(
            sched, instance_sha256=entry.sha256, status=status.value, bound=bound,
            runtime_s=runtime, time_limit_s=limit, seed=seed, threads=threads))
        text = dumps(sched_dict)
    except InputError as exc:
        return record.replace(status=SolveStatus.ERROR, error=f"unusable schedule: {exc}")
    write_run_file(spath, text)  # a failed write (full disk) is no verdict on the run
    try:
        sched = read_schedule(spath)
        check_schedule_matches(instance, sched, spath)
    except InputError as exc:
        return record.replace(status=SolveStatus.ERROR, error=f"unusable schedule: {exc}")
    ev = evaluate(instance, sched)
    record = record.replace(
        schedule_file=str(spath.relative_to(run_dir)), missed=ev.weighted_misses,
        misses=ev.misses, miss_rate=ev.miss_rate, weighted_miss_rate=ev.weighted_miss_rate,
        makespan=ev.makespan, feasible=ev.feasible, violations=list(ev.violations[:20]))
    if not ev.feasible:
        record = record.replace(status=SolveStatus.ERROR, error="infeasible schedule: "
                                + "; ".join(ev.violations[:5]))
    worker = raw.worker_missed
    if worker is not None and worker != ev.weighted_misses:
        record = record.replace(worker_claim_mismatch=True)
    return record
