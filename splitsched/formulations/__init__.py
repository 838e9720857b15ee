"""Mathematical models of the problem, built once from an Instance.

``milp`` builds one solver-neutral MILP, ``cp`` the CP-SAT interval model.
Both start from the same per-job facts computed here: which cuts can ever be
on time, and the time windows their stages must lie in.

Pruning is sound: a job with cut k completes no earlier than
``r + a(k) + h(k) + b(k)`` (both stages and the lag run one after the other
even on idle processors), so a cut with ``r + a + h + b > d`` can never be on
time, and a late job counts exactly like a dropped one. Leaving such cuts out
of a model removes no on-time schedule.
"""

from __future__ import annotations

from dataclasses import dataclass

from splitsched.problem import Instance, Job, StageTable


@dataclass(frozen=True)
class JobWindow:
    """What the models need to know about one job, in integer microseconds.

    Attributes
    ----------
    index, job, stages:
        Position in ``instance.jobs``, the job and its stage table.
    cuts:
        The cuts that can be on time (``r + a + h + b <= d``), ascending.
    gpu_cuts, cpu_cuts, split_cuts:
        Those of ``cuts`` with a GPU stage (k > 0), a CPU stage (k < L),
        and both (0 < k < L, the only ones with a hand-off lag).
    gpu_busy_cuts, cpu_busy_cuts:
        Those with a GPU (CPU) stage of positive length: only such stages can
        overlap another one (:func:`splitsched.problem.occupies`).
    gpu_start_hi:
        Latest GPU start over ``gpu_cuts``: ``max d - a - h - b``.
    gpu_end_hi:
        Latest GPU end over ``gpu_busy_cuts``: ``max d - h - b``.
    cpu_start_lo:
        Earliest CPU start over ``cpu_cuts``: ``r + min a + h``.
    cpu_busy_start_lo:
        Earliest CPU start over ``cpu_busy_cuts``.
    cpu_start_hi:
        Latest CPU start over ``cpu_cuts``: ``max d - b``.
    """

    index: int
    job: Job
    stages: StageTable
    cuts: tuple[int, ...]
    gpu_cuts: tuple[int, ...]
    cpu_cuts: tuple[int, ...]
    split_cuts: tuple[int, ...]
    gpu_busy_cuts: tuple[int, ...]
    cpu_busy_cuts: tuple[int, ...]
    gpu_start_hi: int
    gpu_end_hi: int
    cpu_start_lo: int
    cpu_busy_start_lo: int
    cpu_start_hi: int

    @property
    def release(self) -> int:
        return self.job.release

    @property
    def deadline(self) -> int:
        return self.job.deadline

    def a(self, k: int) -> int:
        return int(self.stages.a[k])

    def h(self, k: int) -> int:
        return int(self.stages.h[k])

    def b(self, k: int) -> int:
        return int(self.stages.b[k])


def job_window(instance: Instance, index: int) -> JobWindow:
    """Compute the pruned cuts and stage windows of job ``index``."""
    job = instance.jobs[index]
    st = instance.stages_of(job)
    last = st.num_layers
    r, d = job.release, job.deadline
    cuts = tuple(k for k in st.cuts if r + st.total(k) <= d)
    gpu = tuple(k for k in cuts if k > 0)
    cpu = tuple(k for k in cuts if k < last)
    split = tuple(k for k in cuts if 0 < k < last)
    gpu_busy = tuple(k for k in gpu if st.gpu_busy[k])  # problem.occupies
    cpu_busy = tuple(k for k in cpu if st.cpu_busy[k])

    def hi(values: list[int]) -> int:
        return max(values, default=r)

    def lo(values: list[int]) -> int:
        return min(values, default=d)

    return JobWindow(
        index=index, job=job, stages=st, cuts=cuts, gpu_cuts=gpu, cpu_cuts=cpu,
        split_cuts=split, gpu_busy_cuts=gpu_busy, cpu_busy_cuts=cpu_busy,
        gpu_start_hi=hi([d - st.total(k) for k in gpu]),
        gpu_end_hi=hi([d - int(st.h[k] + st.b[k]) for k in gpu_busy]),
        cpu_start_lo=lo([r + int(st.a[k] + st.h[k]) for k in cpu]),
        cpu_busy_start_lo=lo([r + int(st.a[k] + st.h[k]) for k in cpu_busy]),
        cpu_start_hi=hi([d - int(st.b[k]) for k in cpu]),
    )


def job_windows(instance: Instance) -> tuple[JobWindow, ...]:
    """One :class:`JobWindow` per job, in instance order (pruned cuts may be empty)."""
    return tuple(job_window(instance, i) for i in range(instance.num_jobs))


def gpu_windows_overlap(p: JobWindow, q: JobWindow) -> bool:
    """Whether positive-length GPU stages of p and q could ever overlap in time."""
    return (bool(p.gpu_busy_cuts) and bool(q.gpu_busy_cuts)
            and p.release < q.gpu_end_hi and q.release < p.gpu_end_hi)


def cpu_windows_overlap(p: JobWindow, q: JobWindow) -> bool:
    """Whether positive-length CPU stages of p and q could ever overlap in time."""
    return (bool(p.cpu_busy_cuts) and bool(q.cpu_busy_cuts)
            and p.cpu_busy_start_lo < q.deadline and q.cpu_busy_start_lo < p.deadline)
