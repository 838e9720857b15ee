"""``evaluate(instance, schedule)``: the single source of truth.

Checks every rule of the problem (``docs/design.md``, "The problem") and computes the metrics
that results report. No solver's own objective is ever reported without
passing through here.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from splitsched.problem import CPU, GPU, Instance, Schedule, occupies


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
