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
  it is a heuristic (`docs/design.md`, "The problem", gives instances where
  another order, or different orders on the two processors, saves more
  jobs). Hence its status
  is ``feasible``, never ``optimal``, and it reports no bound.
* A cut k runs the GPU prefix (layers 1..k) and then the CPU suffix; the
  hand-off ``h(k)`` is a time lag occupying neither processor; stages are
  non-preemptive and start as early as the order allows (the earliest
  schedule of :mod:`splitsched.solvers.timing`).
* Weighted jobs: the label's ``m`` is the accepted weight, not a count.

A label is ``(m, G, C)``: accepted weight, GPU free time, CPU free time. One
label dominates another if its ``m`` is not smaller and neither ``G`` nor
``C`` is larger; the earliest schedule is monotone in ``G`` and ``C``, so a
dominated label can never lead to a better answer. The answer is the label
with the largest ``m``, then the smallest makespan ``max(G, C)``;
back-pointers (parent label, cut) per job rebuild its cuts, and the schedule
itself comes from ``earliest_schedule`` in EDF order.

Speed (none of these changes the exact pass's weight or makespan):

* The step over one job is compiled (:mod:`splitsched.solvers.dp_kernel`,
  numba): labels stay sorted by weight then GPU free time, each weight level a
  staircase, so a level's new labels are a k-way merge of runs that arrive
  sorted, swept once; no label set is ever sorted as a whole. Stretches of
  steps that need no Python-side bound run in one compiled call
  (``dp_kernel.dp_pass``): a numba call costs about 9 us of argument
  dispatch, which dominated small passes when every step was a call.
* A first pass keeps only ``settings.beam`` labels per stage; its answer is a real
  EDF-order schedule, so its weight is a lower bound, and the exact second
  pass discards every label that cannot reach it. Three upper bounds on what
  the remaining jobs can add serve: the jobs that still fit alone, a
  completion table computed backwards on a grid of free times
  (:func:`completion_bound`, built once the label sets grow), and on very
  large label sets :class:`CapacityBound`.
* Which exact pass comes first depends on how fine the reach regions below
  can be: when ``settings.reach_budget`` gives every region at least
  ``settings.reach_first_corners`` corners (n = 80: 385 or more), the search
  for a *better* answer than the beam's (:func:`_exact_within_edf`) runs
  straight away; otherwise (n = 1000: about 31) the plain exact pass runs
  first, and it stops when one stage holds more than
  ``settings.plain_max_labels`` labels, and that search takes over. (On the
  heavy batch n = 80 instances the plain pass grows to hundreds of thousands
  of labels per weight level, almost all of them able to reach the optimal
  weight with some makespan, and was abandoned after 0.2-1 s; on n = 1000 the
  coarse regions made the search 3-4 times slower than the plain pass,
  measured with the regions thinned by count.)
  Reach regions (:func:`reach_bound`, computed backwards: per position and
  extra weight e the free times from which e more can be added, or e within
  a makespan below the incumbent's) are exact unions of quadrants, thinned to
  an outer approximation (runs of consecutive corners of equal length along
  the staircase merged into one); a label outside its region cannot beat the
  incumbent. The compiled step tests every candidate against its region
  before the Pareto merge (one pointer per sorted run walks the region's
  corners), so discarded candidates cost no merge; the completion table and
  :class:`CapacityBound` are not used in these passes (the regions are
  tighter). Guided beam passes (ranked by the weight a label may still
  reach, then by its slack in that region) improve the incumbent, and a last
  pass keeping every label that may beat it either finds the optimum or
  proves the incumbent optimal (no label survives). The weight and the
  makespan returned are the DP's optimum; among schedules with the same
  weight and makespan the one returned may differ from the plain pass's
  choice.
* When the beam pass already accepts every job that can fit (no schedule has
  more weight), its answer is returned without an exact pass: the weight is
  then optimal but the makespan need not be the smallest of that weight
  (measured on fresh 10-job online states: 6 of 24 differ, e.g. 250,986 vs
  248,368 us). The objective is the weight; makespan only ranks labels.
* Of identical labels the first one built is kept (drops before accepts,
  cuts ascending). The numpy version it replaces chose among identical labels
  through an unstable sort, so the cuts it returned for equally good
  schedules varied with numpy's sort kernel; weight and makespan did not, and
  ``tests/data/dp_edf_reference.json`` pins them for the committed sets.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from splitsched.problem import Instance, Job, Schedule, edf_key
from splitsched.solvers.base import SolverOutput, register
from splitsched.solvers.dp_kernel import (
    INF,
    best_label,
    dp_pass,
    dp_step_reach,
    grid_bound_tables,
    pareto_keep,
    reach_tables,
    trace_back,
)
from splitsched.solvers.timing import earliest_schedule

NAME = "dp-edf"
DROP = -1  # back-pointer cut code for a dropped job
_NO_LIMIT = 2 ** 62
# candidates (labels x (cuts + 1)) one compiled call of run_dp expands before the
# deadline is checked again (only with a deadline): about 1.6 ms (the plain pass over
# a fresh 20-job online state, about 225,000 candidates, took 3.5 ms on a quiet core)
DRIVER_WORK = 100_000


@dataclass(frozen=True)
class DpSettings:
    """Tuning of ``dp-edf``: speed only, never the exact pass's answer (recorded in run stats).

    Attributes
    ----------
    beam:
        Labels per stage kept by the first, heuristic pass, whose answer is
        the lower bound of the exact pass. Default 64.
    grid:
        Grid points per free-time axis of :func:`completion_bound`; 0 switches
        it off. Default 48.
    grid_min_labels:
        The completion bound is built once a label set is this large (small
        runs finish faster without it). Default 1000.
    capacity_min_labels:
        :class:`CapacityBound` is applied only to label sets larger than this
        (it costs more than it saves on small ones). Default 4000.
    capacity_thresholds:
        Threshold jobs :class:`CapacityBound` tries per step. Default 12.
    plain_max_labels:
        The plain exact pass stops when one stage holds more labels than this,
        and the reach search takes over. Default 25000 (the n = 1000
        benchmark instances stay below it).
    reach_first_corners:
        Skip the plain pass and start with the reach search when the reach
        regions get at least this many corners each (``reach_budget / ((n +
        1) * regions)``). Default 256: every n = 80 instance of the shipped
        sets starts with the reach search, the n = 1000 benchmark with the
        plain pass.
    reach_size:
        Extra weights tracked per position by the reach regions (beyond them
        the last region, a superset, is used). Default 32.
    reach_budget, reach_corners:
        Corners per region: ``reach_budget / ((n + 1) * regions)`` clipped to
        ``reach_corners`` (min, max). More corners, tighter regions, slower
        builds. Defaults 1 000 000 and (128, 4096), measured on the shipped
        n = 80 sets (``scripts/dp_speed.py``) with the regions thinned by
        length: 2 000 000 and (256, 4096) took 20-40 % more CPU on most batch
        instances, 500 000 up to twice as much on v2 batch mate_20 l4-s1 and
        l4-s3 (looser regions, larger last passes); a cap of 32768 let
        instances with two regions per position build 12 345 corners each
        at 0.2 s a build, where 4096 leave their last pass as fast.
    guide_beam, guide_rounds:
        Labels per stage of a guided beam pass, and at most this many guided
        passes (each with regions rebuilt for the improved incumbent).
        Defaults 256 and 3.
    """

    beam: int = 64
    reach_size: int = 32
    reach_budget: int = 1_000_000
    reach_corners: tuple[int, int] = (128, 4096)
    guide_beam: int = 256
    guide_rounds: int = 3
    reach_first_corners: int = 256
    plain_max_labels: int = 25_000
    grid: int = 48
    grid_min_labels: int = 1000
    capacity_min_labels: int = 4000
    capacity_thresholds: int = 12


DEFAULT_DP_SETTINGS = DpSettings()
BEAM = DEFAULT_DP_SETTINGS.beam  # the first pass's beam (other orders' DPs reuse it)


def pareto_mask(m: np.ndarray, g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Mark the labels that no other label dominates (one copy of duplicates).

    Parameters
    ----------
    m, g, c:
        Accepted weight (larger is better), GPU and CPU free times (smaller is
        better, >= 0), one entry per label (int64).

    Returns
    -------
    numpy.ndarray
        Boolean mask over the input labels; of identical labels the first is kept.

    Notes
    -----
    Compiled (:func:`splitsched.solvers.dp_kernel.pareto_keep`): labels are
    visited by GPU free time, then weight (heaviest first), then CPU free
    time, then position; a Fenwick tree of prefix minima over weight levels
    tells whether a visited label of at least the same weight has a CPU free
    time no larger. O(N log N).
    """
    return np.asarray(pareto_keep(np.ascontiguousarray(m, dtype=np.int64),
                                  np.ascontiguousarray(g, dtype=np.int64),
                                  np.ascontiguousarray(c, dtype=np.int64)))


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
        busy_gpu = fits & (st.a > 0)
        gpu_limit[i] = (job.deadline - int(st.isolated[busy_gpu].min())
                        if busy_gpu.any() else never)
        # cuts that leave the GPU idle (k = 0, or a zero-length GPU stage) need only the CPU
        idle_gpu = fits & (st.a == 0)
        if not idle_gpu.any():
            cpu_limit[i] = never
        elif (st.b[idle_gpu] == 0).any():
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
            d = int(self.deadline[pos:t + 1].max())  # = deadline[t] in EDF order
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


def _options(instance: Instance, job: Job
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The job's cuts that meet its deadline when it runs alone, with (a, h, b) of each."""
    st = instance.stages_of(job)
    ks = np.flatnonzero(job.release + st.isolated <= job.deadline).astype(np.int64)
    return ks, st.a[ks], st.h[ks], st.b[ks]


@dataclass(frozen=True)
class Run:
    """One DP pass: the best label's weight, makespan ``max(G, C)`` and cuts; label counts."""

    accepted_weight: int
    cuts: dict[str, int | None]
    complete: bool
    labels_max: int
    labels_total: int
    makespan: int = 0


def completion_bound(instance: Instance, jobs: list[Job], grid: int = DEFAULT_DP_SETTINGS.grid
                     ) -> tuple[np.ndarray, np.ndarray]:
    """Grids and tables of upper bounds on what jobs ``pos..`` can still add.

    Position pos's grid runs from the smallest release among jobs ``pos..``
    (below it every free time gives the same future) to the deadline of job
    ``pos - 1`` (a label after ``pos`` jobs has both processors free by then),
    ``grid`` points evenly spaced. See :func:`grid_bound_tables` for why the
    table bounds the exact future from above.

    Returns
    -------
    grids, table:
        int64 arrays of shape (n + 1, grid) and (n + 1, grid, grid).
    """
    n = len(jobs)
    rel = np.array([j.release for j in jobs], dtype=np.int64)
    low = np.append(np.minimum.accumulate(rel[::-1])[::-1], 0) if n else np.zeros(1, np.int64)
    grids = np.empty((n + 1, grid), dtype=np.int64)
    for pos in range(n + 1):
        lo = int(low[pos])
        hi = max(lo, jobs[pos - 1].deadline) if pos > 0 else lo
        grids[pos] = np.linspace(lo, hi, grid).astype(np.int64)
    opts = [_options(instance, j) for j in jobs]
    start = np.zeros(n + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(o[0]) for o in opts])

    def flat(i: int) -> np.ndarray:
        return (np.concatenate([o[i] for o in opts]).astype(np.int64) if n
                else np.zeros(0, np.int64))
    table = grid_bound_tables(
        grids, start, flat(0), flat(1), flat(2), flat(3),
        np.array([instance.stages_of(j).num_layers for j in jobs], dtype=np.int64),
        rel, np.array([j.deadline for j in jobs], dtype=np.int64),
        np.array([j.weight for j in jobs], dtype=np.int64))
    return grids, table


def _flat_options(opts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every job's on-time-alone cuts, flattened: (start offsets, ks, a, h, b)."""
    start = np.zeros(len(opts) + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(o[0]) for o in opts])

    def flat(i: int) -> np.ndarray:
        return (np.concatenate([o[i] for o in opts]).astype(np.int64) if opts
                else np.zeros(0, np.int64))
    return start, flat(0), flat(1), flat(2), flat(3)


def reach_bound(instance: Instance, jobs: list[Job], lower_bound: int, size: int, corners: int,
                makespan_bound: int | None = None, prepared: Prepared | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reach regions (:func:`~splitsched.solvers.dp_kernel.reach_tables`) for a lower bound.

    Position pos tracks ``e = lower_bound - W(pos) + s`` for ``s < size``,
    ``W(pos)`` the weight of the jobs before pos: the extra weight a label
    after pos jobs needs to reach ``lower_bound``. With ``makespan_bound`` M,
    region e holds the free times from which e + 1 more can be added, or e
    more with a final makespan ``max(G, C) <= M`` (for a search that must beat
    an incumbent of weight ``lower_bound`` and makespan M + 1); without it,
    those from which e more can be added. Returns ``lo`` (n + 1,) and the
    tables ``xs``, ``ys`` (n + 1, size, corners), ``ns`` (n + 1, size); see
    :func:`~splitsched.solvers.dp_kernel.reach_tables`.
    """
    weights = np.array([j.weight for j in jobs], dtype=np.int64)
    lo = lower_bound - np.concatenate([[0], np.cumsum(weights)]).astype(np.int64)
    prep = prepared if prepared is not None else prepare(instance, jobs)
    start, ks, a, h, b, rel, dl = prep.flat
    xs, ys, ns = reach_tables(start, ks, a, h, b, prep.layers, rel, dl, weights, lo, size,
                              corners, INF if makespan_bound is None else makespan_bound)
    return lo, xs, ys, ns


@dataclass
class Prepared:
    """What every pass over one job order needs, computed once (see :func:`prepare`)."""

    options: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]
    layers: np.ndarray
    gpu_limit: np.ndarray
    cpu_limit: np.ndarray
    weights: np.ndarray
    capacity_thresholds: int
    instance: Instance
    jobs: list[Job]
    _capacity: CapacityBound | None = None
    _flat: tuple[np.ndarray, ...] | None = None

    @property
    def capacity(self) -> CapacityBound:
        if self._capacity is None:
            self._capacity = CapacityBound(self.instance, self.jobs, self.capacity_thresholds)
        return self._capacity

    @property
    def flat(self) -> tuple[np.ndarray, ...]:
        """(start offsets, ks, a, h, b) of :func:`_flat_options`, then release and deadline
        per job (us), as :func:`splitsched.solvers.dp_kernel.dp_pass` takes them."""
        if self._flat is None:
            n = len(self.jobs)
            self._flat = (*_flat_options(self.options),
                          np.fromiter((j.release for j in self.jobs), np.int64, n),
                          np.fromiter((j.deadline for j in self.jobs), np.int64, n))
        return self._flat

    def subset(self, idx: list[int]) -> Prepared:
        """The inputs of the jobs at positions ``idx`` (in that order) of :attr:`jobs`."""
        sel = np.array(idx, dtype=np.int64)
        return Prepared([self.options[i] for i in idx], self.layers[sel], self.gpu_limit[sel],
                        self.cpu_limit[sel], self.weights[sel], self.capacity_thresholds,
                        self.instance, [self.jobs[i] for i in idx])


def prepare(instance: Instance, jobs: list[Job],
            settings: DpSettings = DEFAULT_DP_SETTINGS) -> Prepared:
    """Per job: on-time-alone cuts with their stage times, L, fit limits and weight."""
    gpu_limit, cpu_limit, weights = _fit_thresholds(instance, jobs)
    return Prepared([_options(instance, j) for j in jobs],
                    np.array([instance.stages_of(j).num_layers for j in jobs], dtype=np.int64),
                    gpu_limit, cpu_limit, weights, settings.capacity_thresholds, instance, jobs)


def run_dp(instance: Instance, jobs: list[Job], *, lower_bound: int = 0,
           beam: int | None = None, deadline: float = float("inf"),
           grid: int | None = None, free: tuple[int, int] = (0, 0),
           reach: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None,
           prepared: Prepared | None = None, max_labels: int | None = None,
           settings: DpSettings = DEFAULT_DP_SETTINGS, driver: bool = True) -> Run:
    """Run the label DP over ``jobs``: both processors in this order (``dp-edf``: EDF).

    Exact within the given order: no other schedule that runs the accepted
    jobs' stages in this order on both processors accepts more weight (or the
    same weight with a smaller makespan).

    Parameters
    ----------
    lower_bound:
        An accepted weight some schedule in this order achieves. Labels that
        cannot reach it even by accepting every remaining job are discarded;
        this never loses the optimum (which is at least ``lower_bound``). A
        larger value (a target) may leave no label: ValueError.
    beam:
        Keep at most this many labels per stage (a heuristic pass); None keeps
        the whole Pareto front (exact within EDF order).
    deadline:
        ``time.perf_counter()`` value after which the pass stops; jobs not yet
        processed are dropped and ``complete`` is False.
    grid:
        Grid points per axis of :func:`completion_bound`, used with a
        ``lower_bound``; 0 switches it off; None: ``settings.grid``.
    free:
        Times (us, >= 0) at which the GPU and the CPU become free, the start
        label (default both 0). The online ``replan:dp-edf`` policy starts
        from the busy processors' expected free times.
    reach:
        Reach regions of :func:`reach_bound` built for ``lower_bound``: the
        pass then keeps only labels inside their region (a search for an
        answer better than the incumbent those regions were built for), and
        raises ValueError when no label is left.
    prepared:
        :func:`prepare`'s per-job data for ``jobs`` (computed when None).
    max_labels:
        Stop (``complete`` False) when a stage holds more labels than this.
    settings:
        The bounds' tuning (:class:`DpSettings`); ``beam`` is the argument above.
    driver:
        True (default): run stretches of steps in one compiled call
        (:func:`~splitsched.solvers.dp_kernel.dp_pass`) wherever no
        Python-side bound applies: every stage while the label sets stay
        below ``settings.grid_min_labels`` / ``settings.capacity_min_labels``
        (when those bounds are on) and ``max_labels``; larger stages, and all
        stages once the completion table is built, go step by step. With a
        ``deadline``, a compiled call stops after :data:`DRIVER_WORK`
        candidates so that the clock is checked between calls. False: every
        step from Python (the reference the tests compare against). Both
        build identical labels in identical order, hence the same answer
        and cuts (unless the deadline cuts a pass short: it is checked at
        different points).
    """
    grid = settings.grid if grid is None else grid
    no_grid = (np.zeros(0, np.int64), np.zeros((1, 1), np.int64))
    bound = None  # built once the label sets grow (small runs finish faster without it)
    n = len(jobs)
    remaining = sum(j.weight for j in jobs)
    prep = prepared if prepared is not None else prepare(instance, jobs, settings)
    gpu_limit, cpu_limit, weights = prep.gpu_limit, prep.cpu_limit, prep.weights
    no_reach = (0, np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64),
                np.zeros(0, np.int64))
    m = np.zeros(1, dtype=np.int64)
    g = np.full(1, free[0], dtype=np.int64)
    c = np.full(1, free[1], dtype=np.int64)
    # back-pointers: blocks of consecutive stages (parent, cut, stage offsets)
    blocks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    labels_max = labels_total = 1
    grid_on = lower_bound > 0 and grid > 0 and reach is None
    capacity_on = lower_bound > 0 and reach is None
    # the compiled pass hands a stage back once it is large enough that a Python-side
    # bound (completion table, capacity bound) or the label cap may apply to it
    stop = min([_NO_LIMIT] + [settings.grid_min_labels] * grid_on
               + [settings.capacity_min_labels] * capacity_on
               + ([max_labels] if max_labels is not None else []))
    if driver:
        start, ks_all, a_all, h_all, b_all, rel, dl = prep.flat
        r_lo, r_x, r_y, r_n = reach if reach is not None else (
            np.zeros(n + 1, np.int64), np.zeros((n + 1, 0, 0), np.int64),
            np.zeros((n + 1, 0, 0), np.int64), np.zeros((n + 1, 0), np.int64))
        work = 0 if deadline == float("inf") else DRIVER_WORK
    pos = 0
    while pos < n:
        if time.perf_counter() > deadline:
            break
        pending = None
        if driver and bound is None and not (grid_on and len(m) > settings.grid_min_labels):
            status, done, m, g, c, par, cut, offs, held = dp_pass(
                m, g, c, pos, start, ks_all, a_all, h_all, b_all, prep.layers, rel, dl,
                weights, gpu_limit, cpu_limit, lower_bound, beam or 0, r_lo, r_x, r_y, r_n, stop,
                work)
            if status == 3:
                raise ValueError(f"lower_bound {lower_bound} exceeds every schedule in this "
                                 "order")
            if done > 0:
                blocks.append((par, cut, offs))
                labels_max = max(labels_max, int(np.diff(offs).max()))
                labels_total += int(offs[-1])
                remaining -= int(weights[pos:pos + done].sum())
                pos += done
            if status != 2:
                continue
            pending = held  # the next stage goes through the Python-side checks below
        job = jobs[pos]
        remaining -= job.weight
        if pending is not None:
            m2, g2, c2, parent, cut = pending
        else:
            if bound is None and grid_on and len(m) > settings.grid_min_labels:
                bound = completion_bound(instance, jobs, grid)
            ks, a, h, b = prep.options[pos]
            m2, g2, c2, parent, cut = dp_step_reach(
                m, g, c, ks, a, h, b, int(prep.layers[pos]),
                job.release, job.deadline, job.weight, remaining, lower_bound, beam or 0,
                gpu_limit[pos + 1:], cpu_limit[pos + 1:], weights[pos + 1:],
                *((bound[0][pos + 1], bound[1][pos + 1]) if bound is not None else no_grid),
                *((int(reach[0][pos + 1]), reach[1][pos + 1], reach[2][pos + 1],
                   reach[3][pos + 1]) if reach is not None else no_reach))
            if len(m2) == 0:
                raise ValueError(f"lower_bound {lower_bound} exceeds every schedule in this "
                                 "order")
        if capacity_on and len(m2) > settings.capacity_min_labels and pos + 1 < n:
            keep = np.flatnonzero(m2 + prep.capacity.bound(pos + 1, g2, c2) >= lower_bound)
            if 0 < len(keep) < len(m2):
                m2, g2, c2, parent, cut = m2[keep], g2[keep], c2[keep], parent[keep], cut[keep]
        if max_labels is not None and len(m2) > max_labels:
            break  # too many labels for this pass: the caller tries another way
        m, g, c = m2, g2, c2
        blocks.append((parent, cut, np.array([0, len(m)], dtype=np.int64)))
        labels_max = max(labels_max, len(m))
        labels_total += len(m)
        pos += 1

    idx = best_label(m, g, c)
    accepted_weight = int(m[idx])
    makespan = int(max(g[idx], c[idx]))
    chosen: list[np.ndarray] = []
    for par, cut, offs in reversed(blocks):
        ks_chosen, idx = trace_back(par, cut, offs, idx)
        chosen.append(ks_chosen)
    stage_cuts = np.concatenate(chosen[::-1]).tolist() if chosen else []
    cuts: dict[str, int | None] = {j.id: None for j in jobs}
    for job, k in zip(jobs[:len(stage_cuts)], stage_cuts, strict=True):  # stage i: job i
        if k != DROP:
            cuts[job.id] = k
    return Run(accepted_weight, cuts, pos == n, labels_max, labels_total, makespan)


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
                 warm_start: Schedule | None = None,
                 settings: DpSettings | None = None) -> SolverOutput:
    """Run the DP; see the module docstring for what it assumes.

    A first pass keeps only ``settings.beam`` labels per stage: its answer is a real
    EDF-order schedule, so its weight is a lower bound that lets the exact
    second pass discard hopeless labels. Returns status ``feasible``, or
    ``timeout`` when ``time_limit_s`` ran out before the exact pass finished
    (the best schedule found so far is returned). ``stats`` holds
    ``labels_max`` and ``labels_total`` of the exact pass. ``warm_start`` is
    accepted for the solver contract and not used: a schedule in another order
    says nothing about the best one in EDF order. ``settings`` (:class:`DpSettings`,
    default :data:`DEFAULT_DP_SETTINGS`) is recorded in ``stats["settings"]``.
    """
    settings = settings or DEFAULT_DP_SETTINGS
    deadline = time.perf_counter() + time_limit_s
    jobs = sorted(instance.jobs, key=edf_key)
    prep = prepare(instance, jobs, settings)
    first = run_dp(instance, jobs, beam=settings.beam, deadline=deadline, settings=settings,
                   prepared=prep)
    can_fit = sum(j.weight for j in jobs
                  if j.release + instance.stages_of(j).best_latency <= j.deadline)
    stats: dict[str, Any] = {"beam_weight": first.accepted_weight, "labels_max": 0,
                             "labels_total": 0, "guided_rounds": 0}
    complete = first.complete
    best = first
    total = sum(j.weight for j in jobs)
    size = min(settings.reach_size, total - first.accepted_weight + 1)
    reach_first = (settings.reach_budget // ((len(jobs) + 1) * size)
                   >= settings.reach_first_corners)
    if not (first.complete and first.accepted_weight == can_fit) and reach_first:
        # regions fine enough for this n: the reach search straight away
        stats["reach_first"] = True
        best, complete = _exact_within_edf(instance, jobs, first, settings, deadline, stats,
                                           prep)
    elif not (first.complete and first.accepted_weight == can_fit):
        # the plain exact pass, as long as its label sets stay small; else the reach search
        plain = run_dp(instance, jobs, lower_bound=first.accepted_weight, deadline=deadline,
                       settings=settings, prepared=prep, max_labels=settings.plain_max_labels)
        stats["labels_max"], stats["labels_total"] = plain.labels_max, plain.labels_total
        complete = plain.complete
        if complete or plain.accepted_weight > first.accepted_weight:
            best = plain
        if not complete and time.perf_counter() < deadline:
            stats["plain_stopped"] = True
            best, complete = _exact_within_edf(instance, jobs, best, settings, deadline, stats,
                                               prep)
    stats.update({"accepted_weight": best.accepted_weight, "settings": asdict(settings)})
    return SolverOutput(schedule=_schedule(instance, jobs, best.cuts),
                        status="feasible" if complete else "timeout",
                        bound=None, stats=stats)


def better(a: Run, b: Run) -> bool:
    """Is ``a``'s answer better than ``b``'s: more weight, or as much and a smaller makespan?"""
    return (a.accepted_weight, -a.makespan) > (b.accepted_weight, -b.makespan)


def reach_to_beat(instance: Instance, jobs: list[Job], run: Run, corners: int,
                  prepared: Prepared, size: int = DEFAULT_DP_SETTINGS.reach_size
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reach regions (:func:`reach_bound`) of "more weight than ``run``, or as much
    with a smaller makespan", tracking at most ``size`` extra weights."""
    size = min(size, int(prepared.weights.sum()) - run.accepted_weight + 1)
    return reach_bound(instance, jobs, run.accepted_weight, size, corners,
                       makespan_bound=run.makespan - 1, prepared=prepared)


def _exact_within_edf(instance: Instance, jobs: list[Job], first: Run, settings: DpSettings,
                      deadline: float, stats: dict[str, Any], prep: Prepared
                      ) -> tuple[Run, bool]:
    """The DP's optimum within EDF order, starting from the incumbent ``first``.

    Every pass below keeps only labels that may still beat the incumbent
    (more weight, or as much weight and a smaller makespan), judged by the
    reach regions built for it (:func:`reach_bound`). Guided beam passes
    (ranked by the weight a label may still reach, then its slack) improve
    the incumbent cheaply; the last pass keeps every such label, so it finds
    a better schedule whenever one exists. Returns the answer and whether
    that last pass finished before ``deadline``.
    """
    total = sum(j.weight for j in jobs)
    inc = first
    built_for: Run | None = None
    reach = None

    def build(run: Run) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        size = min(settings.reach_size, total - run.accepted_weight + 1)
        lo, hi = settings.reach_corners
        corners = max(lo, min(hi, settings.reach_budget // ((len(jobs) + 1) * size)))
        return reach_to_beat(instance, jobs, run, corners, prep, settings.reach_size)

    for _ in range(settings.guide_rounds):
        if time.perf_counter() > deadline:
            break
        reach, built_for = build(inc), inc
        stats["guided_rounds"] += 1
        try:
            guided = run_dp(instance, jobs, lower_bound=inc.accepted_weight,
                            beam=settings.guide_beam, deadline=deadline, grid=0,
                            settings=settings, reach=reach, prepared=prep)
        except ValueError:
            break  # the guided pass lost every label that might do better
        if not better(guided, inc):
            break
        inc = guided
    if reach is None or built_for is not inc:
        reach = build(inc)
    try:
        exact = run_dp(instance, jobs, lower_bound=inc.accepted_weight, deadline=deadline,
                       settings=settings, reach=reach, prepared=prep)
    except ValueError:
        return inc, True  # no label may beat the incumbent: it is the optimum
    stats["labels_max"], stats["labels_total"] = exact.labels_max, exact.labels_total
    return (exact if better(exact, inc) else inc), exact.complete
