"""``dp-edf``: the paper's dynamic program over Pareto labels, in EDF order.

What the paper states (Li, Ng, Abdelzaher, RTCSA 2022, in its abstract, the
part we could check): a set of DNN jobs with deadlines waits; each DNN is
partitioned between the mobile GPU and CPU; a dynamic-programming approach
solves the joint partitioning and scheduling problem, minimising the deadline
miss rate. The DP's structure below follows this project's specification of
that approach (jobs in earliest-deadline order; each dropped or accepted with
a cut that meets its deadline; a state holds the accepted count and the times
the GPU and the CPU become free; dominated states are discarded); we have not
checked it line by line against the paper's full text.

What this implementation assumes, so that "exact" has a precise meaning:

* Both processors run the accepted jobs' stages in EDF order (deadline, then
  release, then id). Within that order the DP is exact; for the real problem
  it is a heuristic (``docs/design.md``, "The problem", gives instances where another order, or
  different orders on the two processors, saves more jobs). Hence its status
  is ``feasible``, never ``optimal``, and it reports no bound.
* A cut k runs the GPU prefix (layers 1..k) and then the CPU suffix; the
  hand-off ``h(k)`` is a time lag occupying neither processor; stages are
  non-preemptive and start as early as the order allows (the earliest
  schedule of :mod:`splitsched.solvers.timing`).
* Weighted jobs: the label's ``m`` is the accepted weight, not a count.

A label is ``(m, G, C)``: accepted weight, GPU free time, CPU free time. One
label dominates another if its ``m`` is not smaller and neither ``G`` nor
``C`` is larger; the earliest schedule is monotone in ``G`` and ``C``, so a
dominated label can never lead to a better answer. Label sets live in numpy
arrays; every cut of a job is tried for every label in one vectorised step.
The answer is the label with the largest ``m``, then the smallest makespan
``max(G, C)``; back-pointers (parent label, cut) per job rebuild its cuts, and
the schedule itself comes from ``earliest_schedule`` in EDF order.

Speed: a first pass keeps only ``DpSettings.beam`` labels per stage; its answer is a real
EDF-order schedule, so its weight is a lower bound, and the exact second pass
discards every label that cannot reach it even if it accepted every later job
that may still fit. Neither shortcut changes the exact pass's answer.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

import numpy as np

from splitsched.problem import Instance, Job, Schedule, StageTable, edf_key
from splitsched.solvers.base import SolverOutput, register
from splitsched.solvers.timing import earliest_schedule

NAME = "dp-edf"
DROP = -1  # back-pointer cut code for a dropped job


@dataclass(frozen=True)
class DpSettings:
    """Tuning of ``dp-edf``: speed only, never the exact pass's answer (recorded in run stats).

    Attributes
    ----------
    beam:
        Labels per stage kept by the first, heuristic pass, whose answer is
        the lower bound of the exact pass. Default 64.
    capacity_min_labels:
        :class:`CapacityBound` is computed only for label sets larger than
        this (it costs more than it saves on small ones). Default 256.
    capacity_thresholds:
        Threshold jobs :class:`CapacityBound` tries per step. Default 12.
    """

    beam: int = 64
    capacity_min_labels: int = 256
    capacity_thresholds: int = 12


DEFAULT_DP_SETTINGS = DpSettings()


@dataclass(frozen=True)
class Labels:
    """A set of labels as parallel int64 arrays (one entry per label)."""

    m: np.ndarray
    g: np.ndarray
    c: np.ndarray

    def __len__(self) -> int:
        return len(self.m)


@dataclass(frozen=True)
class Step:
    """Back-pointers of one DP stage: for each new label, its parent and cut."""

    parent: np.ndarray
    cut: np.ndarray


def _level_ranks(m: np.ndarray) -> np.ndarray:
    """Rank of each label's weight level: 0 for the largest ``m``, then 1, ..."""
    top = int(m.max())
    if top - int(m.min()) <= 4 * len(m):
        return top - m  # dense enough: empty levels cost nothing
    _, inverse = np.unique(-m, return_inverse=True)
    return inverse.astype(np.int64)


def _sort_by(k1: np.ndarray, k2: np.ndarray, k3: np.ndarray) -> np.ndarray:
    """Indices sorting by (k1, k2, k3), all non-negative int64.

    One argsort of a packed key when the three ranges fit in 63 bits (always,
    for microsecond schedules shorter than about a day), else ``lexsort``;
    the packed sort is several times faster on the DP's label sets.
    """
    s2, s3 = int(k2.max()) + 1, int(k3.max()) + 1
    if (int(k1.max()) + 1) * s2 * s3 < 2**62:
        return np.argsort((k1 * s2 + k2) * s3 + k3)
    return np.lexsort((k3, k2, k1))


def pareto_mask(m: np.ndarray, g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Mark the labels that no other label dominates (one copy of duplicates).

    Parameters
    ----------
    m, g, c:
        Accepted weight (larger is better), GPU and CPU free times (smaller is
        better, >= 0), one entry per label.

    Returns
    -------
    numpy.ndarray
        Boolean mask over the input labels.

    Notes
    -----
    Two sweeps. (1) Within each weight level, a 2-D staircase: sorted by
    ``G`` then ``C``, a label is dominated iff an earlier label of its level
    has ``C' <= C`` (exact duplicates: the first copy stays). One running
    minimum serves all levels: ``C`` is shifted down by ``rank * (max C + 1)``
    so that a level never sees a smaller value from a previous one. (2) Across
    levels, on the survivors sorted by ``G``, then rank, then ``C``: a label
    is dominated iff an earlier one has rank ``<=`` its own and ``C' <= C``
    (every earlier one has ``G' <= G``; a same-level one cannot qualify after
    sweep 1). A prefix minimum of ``C`` per rank threshold answers that for
    all labels of a level at once.
    """
    n = len(m)
    if n <= 1:
        return np.ones(n, dtype=bool)
    rank = _level_ranks(m)
    keep = np.zeros(n, dtype=bool)
    order = _sort_by(rank, g, c)
    shift = int(c.max()) + 1
    shifted = c[order] - rank[order] * shift
    running = np.minimum.accumulate(shifted)
    first = np.ones(n, dtype=bool)
    first[1:] = running[:-1] > shifted[1:]
    alive = order[first]
    if int(rank.max()) == 0 or len(alive) <= 1:
        keep[alive] = True
        return keep
    order2 = alive[_sort_by(g[alive], rank[alive], c[alive])]
    r2, c2 = rank[order2], c[order2]
    levels = np.arange(int(r2.max()) + 1)
    big = np.iinfo(np.int64).max
    masked = np.where(r2[None, :] <= levels[:, None], c2[None, :], big)
    prefix = np.minimum.accumulate(masked, axis=1)
    before = np.full(len(order2), big, dtype=np.int64)
    before[1:] = prefix[r2[1:], np.arange(len(order2) - 1)]
    keep[order2[before > c2]] = True
    return keep


def _expand(labels: Labels, job: Job, st: StageTable) -> tuple[Labels, Step]:
    """All successors of every label for one job: drop, or any on-time cut."""
    last = st.num_layers
    r, d, w = job.release, job.deadline, job.weight
    cuts = np.flatnonzero(r + st.isolated <= d)  # the others are late even when idle
    a, h, b = st.a[cuts][None, :], st.h[cuts][None, :], st.b[cuts][None, :]
    k = cuts[None, :]
    g_old, c_old = labels.g[:, None], labels.c[:, None]
    # A stage that occupies nothing (problem.occupies; always so for k = 0 on the GPU
    # and k = L on the CPU) runs when ready and leaves the free time unchanged.
    gpu_busy, cpu_busy = st.gpu_busy[cuts][None, :], st.cpu_busy[cuts][None, :]
    gpu_end = np.where(gpu_busy, np.maximum(g_old, r) + a, r)
    g_new = np.where(gpu_busy, gpu_end, g_old)
    ready = np.where(k == 0, r, gpu_end + h)
    cpu_end = np.where(cpu_busy, np.maximum(c_old, ready) + b, ready)
    c_new = np.where(cpu_busy, cpu_end, c_old)
    finish = np.where(k == last, gpu_end, cpu_end)
    parent_idx, col = np.nonzero(finish <= d)
    n = len(labels)
    m = np.concatenate((labels.m, labels.m[parent_idx] + w))
    g = np.concatenate((labels.g, g_new[parent_idx, col]))
    c = np.concatenate((labels.c, c_new[parent_idx, col]))
    parent = np.concatenate((np.arange(n), parent_idx))
    cut = np.concatenate((np.full(n, DROP), cuts[col]))
    return Labels(m, g, c), Step(parent, cut)


def _fit_thresholds(instance: Instance, jobs: list[Job]
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per job, the latest GPU and CPU free times from which it can still fit.

    A cut whose GPU stage takes time ends no earlier than
    ``max(G, r) + a + h + b``; a cut that leaves the GPU idle (k = 0 or a
    zero-length GPU stage) ends no earlier than ``max(C, r + h) + b``. So a job
    can be on time from a label only if ``G <= gpu_limit`` or
    ``C <= cpu_limit`` (a limit is -1 where even idle processors are too late).
    Free times only grow, so a job that cannot fit now never will.
    """
    gpu_limit = np.empty(len(jobs), dtype=np.int64)
    cpu_limit = np.empty(len(jobs), dtype=np.int64)
    never, always = -1, np.iinfo(np.int64).max
    for i, job in enumerate(jobs):
        st = instance.stages_of(job)
        fits = job.release + st.isolated <= job.deadline
        busy_gpu = fits & st.gpu_busy
        gpu_limit[i] = (job.deadline - int(st.isolated[busy_gpu].min())
                        if busy_gpu.any() else never)
        # cuts that leave the GPU idle (k = 0, or a zero-length GPU stage) need only the CPU
        idle_gpu = fits & ~st.gpu_busy
        if not idle_gpu.any():
            cpu_limit[i] = never
        elif (~st.cpu_busy[idle_gpu]).any():
            cpu_limit[i] = always  # a cut that occupies neither processor always fits
        else:
            cpu_limit[i] = job.deadline - int(st.b[idle_gpu].min())
    weights = np.array([j.weight for j in jobs], dtype=np.int64)
    return gpu_limit, cpu_limit, weights


class CapacityBound:
    """An upper bound on the weight the remaining jobs can still add to a label.

    For a threshold job t (EDF position), the remaining jobs up to t must run
    all their processing (``min_k a(k) + b(k)``: the hand-off occupies
    neither processor) before ``d_t``, on a GPU free from ``G`` and a CPU free
    from ``C``: at most ``(d_t - G)+ + (d_t - C)+`` microseconds. The best
    weight that fits is at most the fractional knapsack value (items by work
    per weight), and every job after t may add its whole weight. Any
    threshold gives a valid bound; a few spread over the remaining jobs are
    tried and the smallest is kept.
    """

    def __init__(self, instance: Instance, jobs: list[Job],
                 thresholds: int = DEFAULT_DP_SETTINGS.capacity_thresholds) -> None:
        self.thresholds = thresholds
        work = []
        for job in jobs:
            st = instance.stages_of(job)
            fits = job.release + st.isolated <= job.deadline
            work.append(int((st.a + st.b)[fits].min()) if fits.any() else 0)
        self.work = np.array(work, dtype=np.int64)
        self.weight = np.array([j.weight for j in jobs], dtype=np.int64)
        self.deadline = np.array([j.deadline for j in jobs], dtype=np.int64)

    def bound(self, pos: int, g: np.ndarray, c: np.ndarray) -> np.ndarray:
        """Per label (free times g, c), the most weight jobs ``pos..`` can add."""
        n = len(self.work)
        best = np.full(len(g), int(self.weight[pos:].sum()), dtype=np.int64)
        for t in np.unique(np.linspace(pos, n - 1, self.thresholds).round().astype(int)):
            work, weight = self.work[pos:t + 1], self.weight[pos:t + 1]
            order = np.argsort(work / weight, kind="stable")
            cum_p = np.cumsum(work[order])
            cum_w = np.cumsum(weight[order])
            d = self.deadline[t]
            cap = np.maximum(d - g, 0) + np.maximum(d - c, 0)
            full = np.searchsorted(cum_p, cap, side="right")  # items that fit whole
            value = np.where(full > 0, cum_w[np.maximum(full - 1, 0)], 0).astype(np.float64)
            part = full < len(order)
            nxt = order[np.minimum(full, len(order) - 1)]
            left = cap - np.where(full > 0, cum_p[np.maximum(full - 1, 0)], 0)
            value += np.where(part, left * weight[nxt] / np.maximum(work[nxt], 1), 0.0)
            after = int(self.weight[t + 1:].sum())
            best = np.minimum(best, np.floor(value + 1e-9).astype(np.int64) + after)
        return best


def _drop_hopeless(labels: Labels, steps: list[Step], lower_bound: int, gpu_limit: np.ndarray,
                   cpu_limit: np.ndarray, weights: np.ndarray, capacity: CapacityBound,
                   pos: int, capacity_min_labels: int) -> tuple[Labels, list[Step]]:
    """Discard labels that cannot reach ``lower_bound``, by two upper bounds.

    One counts every remaining job that may still fit alone; the other is
    :class:`CapacityBound`. The kept labels are re-indexed, so the last step's
    back-pointers are filtered alongside.
    """
    may_fit = ((labels.g[:, None] <= gpu_limit[None, :])
               | (labels.c[:, None] <= cpu_limit[None, :]))
    extra = may_fit.astype(np.int64) @ weights
    if len(labels) > capacity_min_labels:  # worth its cost only on large label sets
        extra = np.minimum(extra, capacity.bound(pos, labels.g, labels.c))
    reach = labels.m + extra
    keep = np.flatnonzero(reach >= lower_bound)
    if len(keep) == len(labels) or len(keep) == 0 or not steps:  # 0: bound was not valid
        return labels, steps
    last = steps[-1]
    steps[-1] = Step(last.parent[keep], last.cut[keep])
    return Labels(labels.m[keep], labels.g[keep], labels.c[keep]), steps


def _prune(labels: Labels, step: Step, reachable: int) -> tuple[Labels, Step]:
    """Keep the Pareto labels that can still reach an accepted weight ``>= reachable``."""
    idx = np.flatnonzero(labels.m >= reachable)
    front = pareto_mask(labels.m[idx], labels.g[idx], labels.c[idx])
    idx = idx[front]
    return (Labels(labels.m[idx], labels.g[idx], labels.c[idx]),
            Step(step.parent[idx], step.cut[idx]))


def _thin(labels: Labels, step: Step, beam: int) -> tuple[Labels, Step]:
    """Keep at most ``beam`` labels: largest weight first, then smallest makespan."""
    if len(labels) <= beam:
        return labels, step
    idx = np.lexsort((np.maximum(labels.g, labels.c), -labels.m))[:beam]
    return (Labels(labels.m[idx], labels.g[idx], labels.c[idx]),
            Step(step.parent[idx], step.cut[idx]))


def _best(labels: Labels) -> int:
    """Index of the label with the largest weight, then the smallest makespan."""
    makespan = np.maximum(labels.g, labels.c)
    return int(np.lexsort((makespan, -labels.m))[0])


@dataclass(frozen=True)
class Run:
    """One pass of the DP: the best label's weight and cuts, and label counts."""

    accepted_weight: int
    cuts: dict[str, int | None]
    complete: bool
    labels_max: int
    labels_total: int


def run_dp(instance: Instance, jobs: list[Job], *, lower_bound: int = 0,
           beam: int | None = None, deadline: float = float("inf"),
           free: tuple[int, int] = (0, 0),
           settings: DpSettings = DEFAULT_DP_SETTINGS) -> Run:
    """Run the label DP over ``jobs`` (already in EDF order).

    Parameters
    ----------
    lower_bound:
        An accepted weight some EDF-order schedule achieves. Labels that
        cannot reach it even by accepting every remaining job are discarded;
        this never loses the optimum (which is at least ``lower_bound``).
    beam:
        Keep at most this many labels per stage (a heuristic pass); None keeps
        the whole Pareto front (exact within EDF order).
    deadline:
        ``time.perf_counter()`` value after which the pass stops; jobs not yet
        processed are dropped and ``complete`` is False.
    free:
        Times (us, >= 0) at which the GPU and the CPU become free, the start
        label ``(0, G, C)``; ``(0, 0)`` is the offline problem. The online
        re-planner (:mod:`splitsched.online`) passes the busy processors'
        expected free times.
    settings:
        The capacity bound's tuning (``capacity_*``); ``beam`` is the argument above.
    """
    remaining = sum(j.weight for j in jobs)
    gpu_limit, cpu_limit, weights = _fit_thresholds(instance, jobs)
    capacity = CapacityBound(instance, jobs, settings.capacity_thresholds)
    labels = Labels(np.zeros(1, dtype=np.int64), np.full(1, free[0], dtype=np.int64),
                    np.full(1, free[1], dtype=np.int64))
    steps: list[Step] = []
    labels_max = labels_total = 1
    for pos, job in enumerate(jobs):
        if time.perf_counter() > deadline:
            break
        if lower_bound > 0:
            labels, steps = _drop_hopeless(labels, steps, lower_bound, gpu_limit[pos:],
                                           cpu_limit[pos:], weights[pos:], capacity, pos,
                                           settings.capacity_min_labels)
        st = instance.stages_of(job)
        remaining -= job.weight
        expanded, step = _expand(labels, job, st)
        reachable = max(lower_bound, int(expanded.m.max())) - remaining
        labels, step = _prune(expanded, step, reachable)
        if beam is not None:
            labels, step = _thin(labels, step, beam)
        steps.append(step)
        labels_max = max(labels_max, len(labels))
        labels_total += len(labels)

    cuts: dict[str, int | None] = {j.id: None for j in jobs}
    idx = _best(labels)
    accepted_weight = int(labels.m[idx])
    for job, step in zip(reversed(jobs[:len(steps)]), reversed(steps), strict=True):
        cut = int(step.cut[idx])
        if cut != DROP:
            cuts[job.id] = cut
        idx = int(step.parent[idx])
    return Run(accepted_weight, cuts, len(steps) == len(jobs), labels_max, labels_total)


def _schedule(instance: Instance, jobs: list[Job], cuts: dict[str, int | None]) -> Schedule:
    """The earliest schedule of the chosen cuts with both processors in EDF order."""
    accepted = {j.id: k for j in jobs if (k := cuts[j.id]) is not None}
    gpu_order = [jid for jid, k in accepted.items() if k > 0]
    cpu_order = [j.id for j in jobs
                 if j.id in accepted and accepted[j.id] < instance.stages_of(j).num_layers]
    return earliest_schedule(instance, NAME, cuts, gpu_order, cpu_order)


@register(NAME, "the paper's DP: EDF order, drop or choose a cut per job, Pareto labels "
                "(m, GPU free, CPU free); exact only within EDF order")
def solve_dp_edf(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                 settings: DpSettings | None = None) -> SolverOutput:
    """Run the DP; see the module docstring for what it assumes.

    A first pass keeps only ``settings.beam`` labels per stage: its answer is a real
    EDF-order schedule, so its weight is a lower bound that lets the exact
    second pass discard hopeless labels. Returns status ``feasible``, or
    ``timeout`` when ``time_limit_s`` ran out before the exact pass finished
    (the best schedule found so far is returned). ``stats`` holds
    ``labels_max`` and ``labels_total`` of the exact pass, and ``settings``
    (:class:`DpSettings`, default :data:`DEFAULT_DP_SETTINGS`).
    """
    settings = settings or DEFAULT_DP_SETTINGS
    deadline = time.perf_counter() + time_limit_s
    jobs = sorted(instance.jobs, key=edf_key)
    first = run_dp(instance, jobs, beam=settings.beam, deadline=deadline, settings=settings)
    can_fit = sum(j.weight for j in jobs
                  if j.release + instance.stages_of(j).best_latency <= j.deadline)
    if first.complete and first.accepted_weight == can_fit:
        exact = first  # every job that can be on time alone is: nothing left to search
    else:
        exact = run_dp(instance, jobs, lower_bound=first.accepted_weight, deadline=deadline,
                       settings=settings)
    best = exact if exact.complete or exact.accepted_weight > first.accepted_weight else first
    stats = {"labels_max": exact.labels_max, "labels_total": exact.labels_total,
             "accepted_weight": best.accepted_weight, "beam_weight": first.accepted_weight,
             "settings": asdict(settings)}
    return SolverOutput(schedule=_schedule(instance, jobs, best.cuts),
                        status="feasible" if exact.complete else "timeout",
                        bound=None, stats=stats)
