"""The records of an online sweep: the bench's :class:`~splitsched.bench.records.RunRecord`.

An online sweep writes ``RUN_DIR/runs.jsonl`` with the bench's one writer
(:func:`~splitsched.bench.records.append_record`: one line, flushed and
fsynced) and reads it with the bench's one reader
(:func:`~splitsched.bench.records.read_runs`: every field checked, a torn
last line skipped). Three kinds of record (field ``kind``):

``offline``
    One per instance: the clairvoyant comparator (``missed`` =
    ``offline_best``; ``schedule_file`` its schedule when one was solved or
    found).
``online``
    One per (instance, policy, run): the policy's realized schedule,
    evaluated against the run's realized instance; decision latencies.
``static``
    One per (instance, run): the offline schedule replayed in its planned
    orders under the same drawn times.

Identity (what ``--resume`` skips): :func:`splitsched.bench.records.online_run_key`.
This module builds those records (:func:`online_run_record`,
:func:`static_record`, :func:`offline_record`, :func:`error_record`) and
reads a run directory's (:func:`read_online_runs`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from splitsched.bench.records import (
    RUNS_FILE,
    LoadedRuns,
    RunRecord,
    read_runs,
)
from splitsched.evaluate import Evaluation
from splitsched.io import InputError
from splitsched.online.engine import OnlineRun
from splitsched.online.metrics import OfflineBest, latency_summary
from splitsched.solvers.base import SolveStatus

STATIC = "static"  # the policy name of the replayed offline best schedule
OFFLINE = "offline"
ONLINE = "online"


@dataclass(frozen=True)
class RecordBase:
    """What every record of one instance in one sweep shares (provenance and settings).

    ``load`` is the generator's load parameter, or the horizon load when the
    instance has none (``load_source`` says which), as in bench records.
    """

    set: str
    instance_id: str
    instance_sha256: str
    instance_file: str | None
    instance_copy: str | None
    instance_params: dict[str, Any]
    n_jobs: int
    total_weight: int
    load: float | None
    load_source: str | None
    seed: int
    replan_budget_ms: float
    noise_cv: float
    use_measured_sd: bool
    versions: dict[str, Any]
    machine: dict[str, Any]

    def fields(self) -> dict[str, Any]:
        return {"set": self.set, "instance_id": self.instance_id,
                "instance_sha256": self.instance_sha256, "instance_file": self.instance_file,
                "instance_copy": self.instance_copy, "instance_params": self.instance_params,
                "n_jobs": self.n_jobs, "total_weight": self.total_weight, "load": self.load,
                "load_source": self.load_source, "seed": self.seed,
                "replan_budget_ms": self.replan_budget_ms, "noise_cv": self.noise_cv,
                "use_measured_sd": self.use_measured_sd, "versions": self.versions,
                "machine": self.machine, "threads": 1, "mem_limit_mb": None, "grace_s": None,
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}


def _best_fields(best: OfflineBest | None) -> dict[str, Any]:
    if best is None:
        return {}
    return {"offline_best": best.weighted_misses, "offline_proven": best.proven,
            "offline_source": best.source}


def _quality(ev: Evaluation, best: OfflineBest | None) -> dict[str, Any]:
    return {"feasible": ev.feasible, "missed": ev.weighted_misses, "misses": ev.misses,
            "miss_rate": ev.miss_rate, "weighted_miss_rate": ev.weighted_miss_rate,
            "makespan": ev.makespan, "violations": list(ev.violations[:20]),
            "regret": None if best is None else ev.weighted_misses - best.weighted_misses}


def _status(ev: Evaluation) -> tuple[SolveStatus, str | None]:
    if ev.feasible:
        return SolveStatus.FEASIBLE, None
    return SolveStatus.ERROR, "infeasible realized schedule: " + "; ".join(ev.violations[:5])


def _us(values: Sequence[float]) -> list[float]:
    return [round(float(v), 1) for v in values]


def online_run_record(base: RecordBase, policy: str, run_index: int, run: OnlineRun,
                      best: OfflineBest | None, wall_s: float) -> RunRecord:
    """The record of one policy's run (``kind`` online); ``wall_s`` seconds of the whole run."""
    wall, cpu = _us(run.latencies_us), _us(run.cpu_latencies_us)
    lat = latency_summary(wall)  # of the stored values: the record agrees with itself
    status, error = _status(run.evaluation)
    return RunRecord(**base.fields(), kind=ONLINE, solver=policy, policy=policy,
                     run=run_index, time_limit_s=base.replan_budget_ms / 1000.0,
                     status=status, claimed_status=status.value, error=error,
                     **_quality(run.evaluation, best), **_best_fields(best),
                     decisions=len(run.decisions),
                     max_pending=max((d.pending for d in run.decisions), default=0),
                     latency_median_us=lat["median"], latency_p99_us=lat["p99"],
                     latency_max_us=lat["max"], latency_us=wall, cpu_latency_us=cpu,
                     stats={"policy": dict(run.policy_stats),
                            "realized_instance_id": run.realized.id},
                     wall_s=round(wall_s, 6))


def static_record(base: RecordBase, run_index: int, ev: Evaluation, best: OfflineBest,
                  realized_id: str, wall_s: float) -> RunRecord:
    """The record of the offline best schedule replayed under run ``run_index``'s draws."""
    status, error = _status(ev)
    solver = best.schedule.solver if best.schedule is not None else "?"
    return RunRecord(**base.fields(), kind=STATIC, solver=STATIC, policy=STATIC,
                     run=run_index, time_limit_s=base.replan_budget_ms / 1000.0,
                     status=status, claimed_status=status.value, error=error,
                     **_quality(ev, best), **_best_fields(best), decisions=0,
                     stats={"static_schedule_solver": solver,
                            "realized_instance_id": realized_id},
                     wall_s=round(wall_s, 6))


def error_record(base: RecordBase, kind: str, policy: str, run_index: int,
                 best: OfflineBest | None, error: str, wall_s: float) -> RunRecord:
    """A run whose policy raised: ``status`` error, the error in words, no quality."""
    return RunRecord(**base.fields(), kind=kind, solver=policy, policy=policy, run=run_index,
                     time_limit_s=base.replan_budget_ms / 1000.0, status=SolveStatus.ERROR,
                     claimed_status=SolveStatus.ERROR.value, error=error,
                     **_best_fields(best), wall_s=round(wall_s, 6))


def offline_record(base: RecordBase, solvers: str, time_limit_s: float,
                   best: OfflineBest | None, ev: Evaluation | None,
                   schedule_file: str | None, error: str | None = None) -> RunRecord:
    """The instance's comparator (``kind`` offline): ``optimal`` when proven, else
    ``feasible``; ``no_solution`` with ``error`` when there is none."""
    if best is None:
        status = SolveStatus.NO_SOLUTION
    else:
        status = SolveStatus.OPTIMAL if best.proven else SolveStatus.FEASIBLE
    quality: dict[str, Any] = {}
    if best is not None:
        quality = {"missed": best.weighted_misses, "feasible": True}
        if ev is not None:
            quality = _quality(ev, best)
            quality.pop("regret")
    return RunRecord(**base.fields(), kind=OFFLINE, solver=solvers, policy=None, run=None,
                     time_limit_s=time_limit_s, status=status, claimed_status=status.value,
                     error=error, schedule_file=schedule_file, **quality,
                     **_best_fields(best))


def read_online_runs(run_dir: str | os.PathLike[str]) -> LoadedRuns:
    """The records of an online run directory (``RUN_DIR/runs.jsonl``; missing: none).

    Raises
    ------
    InputError
        The file is malformed (as :func:`splitsched.bench.records.read_runs`),
        holds the old online format (``splitsched-online-run``: rerun into a
        new directory), or holds bench records (no ``kind``): a bench run
        directory, not an online one.
    """
    path = Path(run_dir) / RUNS_FILE
    loaded = read_runs(path)
    for i, rec in enumerate(loaded.records, start=1):
        if rec.kind is None:
            raise InputError(path, f"line {i}", "a bench run record (no 'kind'): this is a "
                             "bench run directory, not an online sweep's; use `splitsched "
                             "report` for it, or give the online sweep another -o")
    return loaded
