"""What a run is measured by: misses, regret, decision latency; and the comparators.

* *Regret* of a run = its weighted misses minus the offline best of the same
  instance: the fewest weighted misses of a clairvoyant schedule (every job
  known at time 0, profiled times). The offline best is either solved here
  (:func:`offline_best`, an exact solver within a time limit: ``optimal``
  when proven) or read from bench records (:func:`best_known_from_runs`:
  the minimum over feasible runs, ``certified`` when the best proven bound
  meets it).
* The *static* comparison replays the offline schedule under the same drawn
  times with :mod:`splitsched.replay.dispatch` (policy ``order``), exactly as
  ``replay --backend sim`` executes a schedule (:func:`replay_static`).
* Decision latency: the wall-clock time of each ``policy.decide`` call, in
  microseconds; summarised by median, p99 (numpy's linear interpolation) and
  max.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from splitsched.evaluate import Evaluation, evaluate
from splitsched.problem import GPU, Instance, JobPlan, Schedule
from splitsched.replay.dispatch import PlannedStage, execute, lane_programs


@dataclass(frozen=True)
class OfflineBest:
    """The clairvoyant comparator of an instance.

    ``weighted_misses``: best value; ``proven``: True when it is a proven
    optimum; ``source``: where it comes from, in words; ``schedule``: the
    schedule when solved here (None when read from records).
    """

    weighted_misses: int
    proven: bool
    source: str
    schedule: Schedule | None = None


def latency_summary(latencies_us: Sequence[float]) -> dict[str, float | int | None]:
    """``count``, ``median``, ``p99``, ``max`` and ``mean`` of decision latencies (us)."""
    if len(latencies_us) == 0:
        return {"count": 0, "median": None, "p99": None, "max": None, "mean": None}
    arr = np.asarray(latencies_us, dtype=float)
    return {"count": len(arr), "median": float(np.median(arr)),
            "p99": float(np.percentile(arr, 99)), "max": float(arr.max()),
            "mean": float(arr.mean())}


def offline_best(instance: Instance, solvers: Sequence[str] = ("cpsat",),
                 time_limit_s: float = 10.0, seed: int = 0) -> OfflineBest:
    """Solve ``instance`` offline with each solver; the best evaluated schedule wins.

    ``proven`` is True when a solver reported ``optimal`` for the winning
    value, or a proven bound equal to it. Raises RuntimeError when no solver
    returned a feasible schedule.
    """
    from splitsched.solve import solve

    best: OfflineBest | None = None
    bound = -math.inf
    for name in solvers:
        res = solve(instance, name, time_limit_s=time_limit_s, seed=seed, threads=1)
        if res.bound is not None:
            bound = max(bound, res.bound)
        if res.schedule is None or res.missed is None or res.status == "error":
            continue
        if best is None or res.missed < best.weighted_misses:
            best = OfflineBest(res.missed, res.status == "optimal",
                               f"{name} ({res.status}, {time_limit_s:g} s)", res.schedule)
    if best is None:
        raise RuntimeError(f"no offline solver ({', '.join(solvers)}) gave a schedule for "
                           f"{instance.id!r}")
    if not best.proven and bound >= best.weighted_misses:
        best = OfflineBest(best.weighted_misses, True, best.source + ", bound met",
                           best.schedule)
    return best


def best_known_from_runs(path: str | Path) -> dict[str, OfflineBest]:
    """Per instance sha256, the best known weighted misses in a bench ``runs.jsonl``.

    A run counts when its status is optimal, feasible or timeout and its
    schedule was evaluated feasible; ``proven`` when the largest reported
    bound (ceil) reaches the best value. Of an online sweep's records only
    the ``offline`` ones count (a policy's run is not a clairvoyant schedule,
    and under noise not even one of this instance).

    Raises
    ------
    splitsched.io.InputError
        The file is malformed (see :func:`splitsched.bench.records.read_runs`),
        or holds no record at all (an empty file, or one whose only line does
        not parse): nothing could be compared with.
    """
    from splitsched.bench.records import read_runs
    from splitsched.io import InputError

    best: dict[str, int] = {}
    bound: dict[str, float] = {}
    who: dict[str, str] = {}
    records = read_runs(path).records
    if not records:
        raise InputError(path, "--best-known", "no run record in this file (a bench "
                         "runs.jsonl is expected)")
    for rec in records:
        if rec.kind not in (None, "offline"):
            continue
        sha = rec.instance_sha256
        if rec.bound is not None:
            bound[sha] = max(bound.get(sha, -math.inf), float(rec.bound))
        if rec.status.value in ("optimal", "feasible", "timeout") and rec.solved \
                and rec.missed is not None and (sha not in best or rec.missed < best[sha]):
            best[sha] = int(rec.missed)
            who[sha] = rec.solver
    return {sha: OfflineBest(v, sha in bound and math.ceil(bound[sha] - 1e-9) >= v,
                             f"best known in {path} ({who[sha]})")
            for sha, v in best.items()}


class DrawnRunner:
    """A replay :class:`~splitsched.replay.dispatch.StageRunner` whose stages last
    what the realized instance says (the same draws the online run sees)."""

    def __init__(self, realized: Instance) -> None:
        self._realized = realized

    def run_stage(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        job = self._realized.jobs[self._realized.job_index[stage.job]]
        st = self._realized.stages_of(job)
        length = int(st.a[stage.cut] if stage.processor == GPU else st.b[stage.cut])
        return not_before, not_before + length

    def run_handoff(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        job = self._realized.jobs[self._realized.job_index[stage.job]]
        return not_before, not_before + int(self._realized.stages_of(job).h[stage.cut])


def replay_static(instance: Instance, schedule: Schedule,
                  realized: Instance) -> tuple[Schedule, Evaluation]:
    """Replay ``schedule`` in its planned orders with the durations of ``realized``.

    Returns the executed schedule (actual starts, for ``realized``) and its
    evaluation against ``realized``.
    """
    records = execute(lane_programs(instance, schedule), "order", DrawnRunner(realized),
                      concurrent=False)
    starts: dict[tuple[str, str], int] = {(r.job, r.processor): r.actual_start for r in records}
    plans = []
    for p in (schedule.plan_by_job[j.id] for j in instance.jobs):
        if p.cut is None:
            plans.append(JobPlan(job=p.job, cut=None))
        else:
            plans.append(JobPlan(job=p.job, cut=p.cut, gpu_start=starts.get((p.job, "gpu")),
                                 cpu_start=starts.get((p.job, "cpu"))))
    executed = Schedule(instance_id=realized.id, solver=f"static:{schedule.solver}",
                        plans=tuple(plans))
    return executed, evaluate(realized, executed)


def run_summary(ev: Evaluation, best: OfflineBest | None) -> dict[str, Any]:
    """Misses, miss rates and regret of an evaluated run."""
    return {"misses": ev.misses, "weighted_misses": ev.weighted_misses,
            "miss_rate": ev.miss_rate, "weighted_miss_rate": ev.weighted_miss_rate,
            "feasible": ev.feasible,
            "regret": None if best is None else ev.weighted_misses - best.weighted_misses}
