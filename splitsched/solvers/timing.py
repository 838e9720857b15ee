"""Earliest start times for fixed cuts and fixed processor orders.

Given each job's cut and the order of stages on each processor, the earliest
feasible schedule is unique: the GPU runs its stages back to back from each
release, the CPU starts each stage at the latest of its own availability, the
release and the GPU end plus hand-off. A stage that occupies nothing
(:func:`splitsched.problem.occupies`) starts when ready and blocks no one.
Greedy solvers, decoders and the tests' brute-force oracle all use this one
routine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from splitsched.problem import Instance, Job, JobPlan, Schedule


def earliest_schedule(instance: Instance, solver: str, cuts: Mapping[str, int | None],
                      gpu_order: Sequence[str], cpu_order: Sequence[str]) -> Schedule:
    """Build the earliest schedule for given cuts and per-processor orders.

    Parameters
    ----------
    cuts:
        Job id -> cut, or None (dropped). Jobs absent from the mapping are dropped.
    gpu_order, cpu_order:
        Job ids in the order their GPU (cut > 0) and CPU (cut < L) stages run.
        Every job with such a stage must appear exactly once in that order.
    """
    jobs = instance.jobs
    idx = instance.job_index
    gpu_start: dict[str, int] = {}
    gpu_end: dict[str, int] = {}
    cpu_start: dict[str, int] = {}
    # A stage that occupies nothing starts when ready, whatever the order.
    for job in jobs:
        k = cuts.get(job.id)
        if k is not None and k > 0 and not instance.stages_of(job).gpu_busy[k]:
            gpu_start[job.id] = gpu_end[job.id] = job.release
    t = 0
    for jid in gpu_order:
        job = jobs[idx[jid]]
        k = cuts[jid]
        assert k is not None and k > 0, f"job {jid} has no GPU stage"
        st = instance.stages_of(job)
        if not st.gpu_busy[k]:
            continue
        length = int(st.a[k])
        s = max(t, job.release)
        gpu_start[jid] = s
        t = s + length
        gpu_end[jid] = t

    def ready_for_cpu(job: Job, k: int) -> int:
        if k == 0:
            return job.release
        return max(job.release, gpu_end[job.id] + int(instance.stages_of(job).h[k]))

    for job in jobs:
        k = cuts.get(job.id)
        if k is not None and k < instance.stages_of(job).num_layers \
                and not instance.stages_of(job).cpu_busy[k]:
            cpu_start[job.id] = ready_for_cpu(job, k)
    t = 0
    for jid in cpu_order:
        job = jobs[idx[jid]]
        k = cuts[jid]
        st = instance.stages_of(job)
        assert k is not None and k < st.num_layers, f"job {jid} has no CPU stage"
        if not st.cpu_busy[k]:
            continue
        length = int(st.b[k])
        s = max(t, ready_for_cpu(job, k))
        cpu_start[jid] = s
        t = s + length
    plans = []
    for job in jobs:
        k = cuts.get(job.id)
        if k is None:
            plans.append(JobPlan(job=job.id, cut=None))
        else:
            plans.append(JobPlan(job=job.id, cut=k, gpu_start=gpu_start.get(job.id),
                                 cpu_start=cpu_start.get(job.id)))
    return Schedule(instance_id=instance.id, solver=solver, plans=tuple(plans))
