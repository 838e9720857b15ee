"""``evaluate(instance, schedule)``: the single source of truth.

Checks every rule of the problem (``docs/design.md``, "The problem") and computes the metrics
that results report. No solver's own objective is ever reported without
passing through here. :func:`job_table` spells the same answer out per job
(cut, stage starts and ends, hand-off, completion, lateness), for people.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from splitsched.problem import CPU, GPU, Instance, Schedule, occupies

# JobRow.outcome values.
ON_TIME = "on_time"
LATE = "late"
DROPPED = "dropped"
INVALID = "invalid"
UNPLANNED = "unplanned"
OUTCOMES = (ON_TIME, LATE, DROPPED, INVALID, UNPLANNED)


@dataclass(frozen=True)
class Stage:
    """One executed stage on one processor, as the schedule places it."""

    job: str
    processor: str
    start: int
    end: int


@dataclass(frozen=True)
class Evaluation:
    """What a schedule achieves, and every rule it breaks (in words)."""

    feasible: bool
    violations: tuple[str, ...]
    completion: Mapping[str, int | None]
    on_time: Mapping[str, bool]
    misses: int
    weighted_misses: int
    miss_rate: float
    weighted_miss_rate: float
    makespan: int
    stages: tuple[Stage, ...] = field(default=(), repr=False)

    def as_dict(self) -> dict[str, object]:
        """The metrics as JSON-able values (times in us); ``stages`` left out."""
        return {
            "feasible": self.feasible,
            "violations": list(self.violations),
            "misses": self.misses,
            "weighted_misses": self.weighted_misses,
            "miss_rate": self.miss_rate,
            "weighted_miss_rate": self.weighted_miss_rate,
            "makespan": self.makespan,
            "completion": dict(self.completion),
            "on_time": dict(self.on_time),
        }


def _check_overlaps(stages: list[Stage], processor: str, violations: list[str]) -> None:
    busy = sorted((s for s in stages if s.processor == processor and occupies(s.end - s.start)),
                  key=lambda s: (s.start, s.end))
    for prev, cur in itertools.pairwise(busy):
        if cur.start < prev.end:
            violations.append(
                f"overlap on {processor}: job {prev.job!r} runs [{prev.start}, {prev.end}) and "
                f"job {cur.job!r} starts at {cur.start}")


def evaluate(instance: Instance, schedule: Schedule) -> Evaluation:
    """Check a schedule against an instance and compute its metrics.

    Parameters
    ----------
    instance:
        The problem.
    schedule:
        One plan per job of the instance.

    Returns
    -------
    Evaluation
        ``feasible`` is true iff ``violations`` is empty. Metrics are computed
        even for an infeasible schedule (a job whose own plan is broken counts
        as a miss), so that a report can show what a broken solver claimed.
    """
    violations: list[str] = []
    completion: dict[str, int | None] = {}
    on_time: dict[str, bool] = {}
    stages: list[Stage] = []

    seen: set[str] = set()
    for listed in schedule.plans:
        if listed.job not in instance.job_index:
            violations.append(f"unknown job {listed.job!r} in schedule")
        elif listed.job in seen:
            violations.append(f"job {listed.job!r} planned more than once")
        seen.add(listed.job)

    plans = schedule.plan_by_job
    for job in instance.jobs:
        plan = plans.get(job.id)
        completion[job.id] = None
        on_time[job.id] = False
        if plan is None:
            violations.append(f"job {job.id!r} has no plan (neither dropped nor scheduled)")
            continue
        if plan.cut is None:
            if plan.gpu_start is not None or plan.cpu_start is not None:
                violations.append(f"job {job.id!r} is dropped but has start times")
            continue
        st = instance.stages_of(job)
        last = st.num_layers
        k = plan.cut
        if not 0 <= k <= last:
            violations.append(f"job {job.id!r}: cut {k} out of range 0..{last}")
            continue
        job_ok = True
        end: int | None = None
        gpu_end: int | None = None
        if k > 0:
            if plan.gpu_start is None:
                violations.append(f"job {job.id!r}: cut {k} has a GPU stage but no gpu_start")
                job_ok = False
            else:
                if plan.gpu_start < job.release:
                    violations.append(f"job {job.id!r}: GPU stage starts at {plan.gpu_start}, "
                                      f"before its release {job.release}")
                    job_ok = False
                gpu_end = plan.gpu_start + int(st.a[k])
                stages.append(Stage(job.id, GPU, plan.gpu_start, gpu_end))
                end = gpu_end
        elif plan.gpu_start is not None:
            violations.append(f"job {job.id!r}: cut 0 is CPU-only but gpu_start is set")
            job_ok = False
        if k < last:
            if plan.cpu_start is None:
                violations.append(f"job {job.id!r}: cut {k} has a CPU stage but no cpu_start")
                job_ok = False
            else:
                if plan.cpu_start < job.release:
                    violations.append(f"job {job.id!r}: CPU stage starts at {plan.cpu_start}, "
                                      f"before its release {job.release}")
                    job_ok = False
                if gpu_end is not None and plan.cpu_start < gpu_end + int(st.h[k]):
                    violations.append(
                        f"job {job.id!r}: hand-off lag not respected: CPU stage starts at "
                        f"{plan.cpu_start}, GPU stage ends at {gpu_end} and the hand-off "
                        f"takes {int(st.h[k])} (earliest {gpu_end + int(st.h[k])})")
                    job_ok = False
                end = plan.cpu_start + int(st.b[k])
                stages.append(Stage(job.id, CPU, plan.cpu_start, end))
        elif plan.cpu_start is not None:
            violations.append(f"job {job.id!r}: cut {k} = L is GPU-only but cpu_start is set")
            job_ok = False
        completion[job.id] = end
        on_time[job.id] = job_ok and end is not None and end <= job.deadline

    _check_overlaps(stages, GPU, violations)
    _check_overlaps(stages, CPU, violations)

    missed = [j for j in instance.jobs if not on_time[j.id]]
    n = instance.num_jobs
    total_w = instance.total_weight
    weighted = sum(j.weight for j in missed)
    ends = [s.end for s in stages]
    return Evaluation(
        feasible=not violations,
        violations=tuple(violations),
        completion=MappingProxyType(completion),
        on_time=MappingProxyType(on_time),
        misses=len(missed),
        weighted_misses=weighted,
        miss_rate=len(missed) / n if n else 0.0,
        weighted_miss_rate=weighted / total_w if total_w else 0.0,
        makespan=max(ends, default=0),
        stages=tuple(stages),
    )


@dataclass(frozen=True)
class JobRow:
    """One job of a schedule, spelled out (all times integer microseconds).

    Attributes
    ----------
    job, network, weight, release, deadline:
        From the instance (``deadline`` is absolute).
    layers:
        L, the network's number of layers (cut ``L`` is GPU-only, ``0`` CPU-only).
    cut:
        The plan's cut k, or None (dropped or no plan).
    gpu_start, gpu_end:
        The GPU stage ``[start, start + a(k))``; None when the cut has no GPU
        stage (k = 0) or the plan gives no start.
    handoff_us:
        h(k), the hand-off lag between the GPU stage's end and the earliest
        CPU start; None without a cut, 0 for k = 0 and k = L.
    cpu_ready:
        Earliest CPU start the rules allow: ``max(release, gpu_end + h(k))``
        (``release`` for k = 0); None without a CPU stage.
    cpu_start, cpu_end:
        The CPU stage ``[start, start + b(k))``; None when the cut has no CPU
        stage (k = L) or the plan gives no start.
    completion:
        End of the last stage, as :func:`evaluate` computes it; None if dropped.
    lateness:
        ``completion - deadline`` (negative: finished early); None if dropped.
    on_time:
        As :func:`evaluate` decides (completion <= deadline and the job's own
        plan breaks no rule).
    outcome:
        ``on_time``, ``late`` (completion after the deadline), ``dropped``,
        ``invalid`` (the job's own plan breaks a rule: see the evaluation's
        violations) or ``unplanned`` (the schedule has no plan for it).
    """

    job: str
    network: str
    weight: int
    release: int
    deadline: int
    layers: int
    cut: int | None
    gpu_start: int | None
    gpu_end: int | None
    handoff_us: int | None
    cpu_ready: int | None
    cpu_start: int | None
    cpu_end: int | None
    completion: int | None
    lateness: int | None
    on_time: bool
    outcome: str

    def as_dict(self) -> dict[str, object]:
        """The row as a JSON-able dict (the keys are the attribute names)."""
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


def job_table(instance: Instance, schedule: Schedule,
              evaluation: Evaluation | None = None) -> list[JobRow]:
    """Per-job detail of a schedule, in the instance's job order.

    Parameters
    ----------
    instance:
        The problem.
    schedule:
        A schedule for it (feasible or not: every job still gets a row).
    evaluation:
        ``evaluate(instance, schedule)`` if already computed; computed here
        otherwise. Completion and on-time come from it, so the table never
        disagrees with the totals.

    Returns
    -------
    list of JobRow
        One row per job of ``instance`` (``len == instance.num_jobs``). Stage
        ends are ``start + a(k)`` and ``start + b(k)`` from the network's stage
        table (:class:`~splitsched.problem.StageTable`).

    Raises
    ------
    Nothing for a bad schedule (that is what the rows and the evaluation's
    violations describe); a cut outside ``0..L`` gives a row without stage
    times.
    """
    ev = evaluation if evaluation is not None else evaluate(instance, schedule)
    plans = schedule.plan_by_job
    rows: list[JobRow] = []
    for job in instance.jobs:
        st = instance.stages_of(job)
        last = st.num_layers
        plan = plans.get(job.id)
        cut = plan.cut if plan is not None else None
        valid_cut = cut is not None and 0 <= cut <= last
        gpu_start = gpu_end = cpu_start = cpu_end = handoff = ready = None
        if valid_cut:
            assert plan is not None and cut is not None
            handoff = int(st.h[cut])
            if cut > 0 and plan.gpu_start is not None:
                gpu_start = plan.gpu_start
                gpu_end = gpu_start + int(st.a[cut])
            if cut < last:
                ready = job.release if gpu_end is None else max(job.release, gpu_end + handoff)
                if plan.cpu_start is not None:
                    cpu_start = plan.cpu_start
                    cpu_end = cpu_start + int(st.b[cut])
        completion = ev.completion.get(job.id)
        on_time = bool(ev.on_time.get(job.id, False))
        if plan is None:
            outcome = UNPLANNED
        elif cut is None:
            outcome = DROPPED
        elif on_time:
            outcome = ON_TIME
        elif completion is not None and completion > job.deadline:
            outcome = LATE
        else:
            outcome = INVALID
        rows.append(JobRow(
            job=job.id, network=job.network, weight=job.weight, release=job.release,
            deadline=job.deadline, layers=last, cut=cut, gpu_start=gpu_start, gpu_end=gpu_end,
            handoff_us=handoff, cpu_ready=ready, cpu_start=cpu_start, cpu_end=cpu_end,
            completion=completion,
            lateness=completion - job.deadline if completion is not None else None,
            on_time=on_time, outcome=outcome))
    return rows
