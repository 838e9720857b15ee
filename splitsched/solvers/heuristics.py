"""Heuristics around the paper's DP: other job orders, and local search over the order.

``dp-edf`` is exact only within earliest-deadline order (`docs/design.md`, "The problem": EDF
order is not always best). The DP itself (:func:`splitsched.solvers.dp.run_dp`)
is exact within *any* common order of the two processors, so a better order
gives a better schedule. Two solvers use that:

``dp-orders``
    dp-edf's schedule, then the DP over a few other orders (EDF with deadline
    ties broken by Johnson's rule on each job's stage times; least laxity;
    release order); the best schedule wins. On two-machine instances with one
    common deadline, no release times and no hand-off lag, Johnson's order
    makes the order-restricted DP exact (Johnson 1954: for any set of jobs
    that order gives the smallest makespan of a two-machine flow shop, so a set
    fits before the deadline iff it fits in that order).
``dp-ls``
    ``dp-orders``, then iterated local search over the order: a move takes
    one job and re-inserts it up to ``WINDOW`` positions earlier (a dropped
    job also up to ``WINDOW`` later, or a job just before a dropped one
    later; and, tried last, a kept job at its release place when that is
    farther earlier, :func:`_moves`); each neighbour is scored by the DP in
    that order with a beam of ``LS_BEAM`` labels per job (faster than the exact DP, and on the
    reference sets it finds more: more neighbours fit in the time),
    discarding labels that cannot beat the incumbent *before* the beam is
    applied, and restarting from the first position the move changes (the
    labels before it are kept). After the last position a move changes, the
    jobs are the stored order's, so labels that cannot reach one more unit
    of weight through that suffix (its reach regions,
    :func:`~splitsched.solvers.dp_kernel.reach_tables`, built once per
    incumbent and counted in the work limit) are dropped at once: most
    neighbours end a few steps after the move instead of at the last job
    (on the v2 ``poisson-mi9-n80`` instances about 9 times more neighbours
    for the same work, which is what reaches their best known at ``l2-s1``
    and ``l4-s3``). The beam (:func:`thin`, compiled) keeps half its labels
    by potential weight and smallest makespan and spreads the other half over
    the rest, so that labels with one processor late and the other early
    survive; every second descent uses the plain makespan beam instead (the
    two find different schedules). A move is taken when the neighbour
    accepts more weight; at a local optimum the best order, with its dropped
    jobs put back at their EDF places, is perturbed (seeded) by moving one
    dropped job up to ``3 WINDOW`` places earlier and ``KICK`` random
    re-insertions, and the descent starts again, until ``max(KICK_PATIENCE,
    2 n)`` kicks in a row improve nothing, the search has built ``LS_WORK``
    labels in all (a work limit: the answer does not depend on the machine's
    load), or a cap below is reached. The steps of one neighbour's pass run
    in one compiled loop (:func:`_prefix_steps`; one call per pass instead of
    one per job: a quarter to a half less CPU time for the same neighbours,
    ``benchmarks/test_local_search_speed.py``). Then, while time is
    left, once midway (when the search has built ``SWAP_MIDWAY`` labels, one
    round of at most ``SWAP_MIDWAY_WORK`` labels, on the best so far) and at
    the end (up to ``SWAP_ROUNDS`` rounds, :func:`swap_phase`; continuing
    the midway walk when the final best order is the one it started from):
    the DP of :mod:`splitsched.solvers.dp_swap` over a common order read off
    the best schedule (:func:`stage_order`: the jobs with a CPU stage by its
    start, the others at their EDF places among them), in which one job at
    a time may have its CPU stage deferred after, or its GPU stage pulled
    ahead of, the stages of up to ``SWAP_DISPLACEMENT`` other jobs, so that
    the two processors run different orders, and in the final rounds may
    instead move whole up to ``SWAP_WHOLE`` places (:func:`swap_phase`; a
    job the best schedule keeps moves with its cut +- ``SWAP_SPREAD``
    layers; a beam of ``SWAP_BEAM`` labels per kind and at most
    ``SWAP_WORK`` candidate labels); each next round starts from the order
    read off the last round's schedule (a walk). Which order a round starts
    from decides: on ``v2-poisson-redmi-n40-l3-s1-w`` (optimum 6) one round
    from the local search's order stays at 7 (displacement 2 to 6, beams up
    to 512), while from an optimal schedule's CPU order displacement 2 and a
    beam of 128 reach 6. Two changes made the walk reach the certified
    optima of both redmi instances (6 and 10) on every one of twelve seeds
    (0 to 11; before: 6 and 6 of the twelve): a GPU-only or dropped job read
    at its EDF place instead of at its GPU start or its old place (10 and 8
    of twelve), and the whole moves in the final rounds (12 and 12; with
    ``SWAP_BEAM`` 128 the rounds ended at the 1 s cap after 2 or 3 of them:
    11 and 12). With ``LS_WORK`` at 800,000 labels (raised from 400,000
    with the compiled loop) the local search alone reaches the best known on
    three more reference instances; on ``l3-s1-w`` dp-ls uses 0.87 to 0.95
    CPU s and can end at the 1 s CPU cap after three of its four final
    rounds (one or two seeds of twelve, depending on the load; README).

Both start from dp-edf's schedule computed under the same time limit, so they
are never worse than dp-edf; they report ``feasible`` (never a proof) and no
bound. Time: dp-edf, then the other phases until ``min(time_limit_s,
BUDGET_S)`` of wall clock or ``min(time_limit_s, CPU_BUDGET_S)`` of the
process's CPU time after the start, whichever comes first (:class:`Budget`;
the other orders are bounded work, n x ``ORDER_BEAM`` labels each, and the
local search stops at ``LS_WORK``). On a loaded machine a cap can cut the
search short, and then the answer depends on the load; dp-edf itself runs
under a wall-clock limit too (its exact pass may time out), and on the
heaviest v2 batch n = 80 instances it alone needs more than 1 CPU second
here, so the caps leave nothing for the other phases there.

When dp-edf's exact pass does not finish within ``time_limit_s`` (status
``timeout``; ``stats["dp_edf_status"]``), the start is the best schedule that
dp-edf returned by then (its reach search's incumbent), so the heuristic is
still no worse than dp-edf run alone under the same limit *on the same
machine load*; the other phases then get no time. On the shared 2-core
development machine at load 5-6 this happened on the batch n = 40/80
instances at ``l3``/``l4`` (v1) and on most v2 batch n = 40/80 ones, where
dp-edf alone needs 0.3 to 0.8 CPU seconds.

When dp-edf finishes but takes most of the budget (measured by emulation:
dp-edf's exact answer computed beforehand, then X CPU seconds burnt in its
place; the v2 ``batch-huawei_mate_20-n80`` and ``poisson-mi9-n80-l2``
instances, CPU cap only): at X = 0.6 the other orders run and the local
search gets 18 to 370 neighbours, every answer is dp-edf's or better and the
three ``poisson-mi9-n80-l2`` instances reach their best known; at X = 0.9 the
other orders take nearly all the rest (the local search gets 0 to 45
neighbours): the ``mate_20`` answers are dp-edf's, and of the
``poisson-mi9-n80-l2`` ones s1 and s3 still reach their best known through
the other orders (s2 stays at dp-edf's 6, best known 5). lns-cpsat's
window search gets no time in either case. The end is the CPU or wall end
above, whichever comes first, checked between jobs of a DP pass (a pass
over another order checks the wall end only), so a run ends within about
one DP step of it (measured: at most 0.03 CPU s past 1 s).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numba as nb
import numpy as np

from splitsched.evaluate import evaluate
from splitsched.problem import Instance, Job, Schedule, edf_key
from splitsched.solvers.base import SolverOutput, register
from splitsched.solvers.dp import DROP, prepare, run_dp, solve_dp_edf
from splitsched.solvers.dp_kernel import INF, dp_step_reach, reach_tables, spread_beam
from splitsched.solvers.dp_swap import swap_dp
from splitsched.solvers.timing import earliest_schedule

BUDGET_S = 1.0  # a phone-speed heuristic: at most this long, whatever the harness allows
CPU_BUDGET_S = 1.0  # and at most this much CPU time of the process (a loaded machine's cap)
ORDER_BEAM = 256  # labels per job when the DP runs over another order
LS_BEAM = 48  # labels per job when local search scores a neighbour
WINDOW = 4  # a job moves at most this many positions
RELEASE_MOVES = True  # and a kept job also to its release place, when that is farther earlier
KICK = 3  # random re-insertions that restart a descent from the best order
KICK_PATIENCE = 100  # stop after max(this, 2 n) kicks that did not improve the best
LS_WORK = 800_000  # labels the local search may build (a work limit: same answer at any load)
REACH = True  # prune neighbours by the stored suffix's reach regions (off: the plain DP)
REACH_SIZE = 6  # weights tracked per position by the suffix reach regions of a neighbour's test
REACH_CORNERS = 64  # corners per reach region
SWAP_DISPLACEMENT = 2  # dp-ls's last phase: a stage may move this many jobs (dp_swap)
SWAP_BEAM = 96  # labels per job (and per kind: with / without a pending job) there
SWAP_SPREAD = 3  # a kept job moves with its cut in the best schedule, +- this many layers
SWAP_WORK = 400_000  # candidate labels that phase may build (a work limit)
SWAP_MIDWAY = 400_000  # dp-ls: the swap phase also runs once when the search has built this
SWAP_MIDWAY_WORK = 200_000  # many labels, on the best so far, with this work limit per round
SWAP_MIDWAY_ROUNDS = 1  # and this many rounds
SWAP_ROUNDS = 4  # dp-ls's last phase: swap rounds, each from the last one's CPU order
SWAP_WHOLE = 2  # final rounds: a job may also move whole this many places (dp_swap)
SWAP_MARGIN_S = 0.05  # it stops this long before the budget's end (one step is not cut short)


def _best_cut_times(instance: Instance, job: Job) -> tuple[int, int]:
    """GPU and CPU stage (us) of the job's cut with the smallest isolated latency."""
    st = instance.stages_of(job)
    k = st.best_cut
    return int(st.a[k]), int(st.b[k])


def johnson_key(instance: Instance, job: Job) -> tuple[int, int, int, int, str]:
    """EDF with deadline ties broken by Johnson's rule on the best cut's (a, b).

    Within one deadline: jobs with ``a < b`` first by ascending ``a``, then the
    others by descending ``b`` (Johnson 1954, two-machine flow shop).
    """
    a, b = _best_cut_times(instance, job)
    if a < b:
        return (job.deadline, 0, a, job.release, job.id)
    return (job.deadline, 1, -b, job.release, job.id)


def laxity_key(instance: Instance, job: Job) -> tuple[int, int, str]:
    """Least laxity first: latest start ``d - best isolated latency``, then EDF."""
    return (job.deadline - instance.stages_of(job).best_latency, job.deadline, job.id)


def release_key(instance: Instance, job: Job) -> tuple[int, int, str]:
    """Release order (FIFO), deadline ties."""
    return (job.release, job.deadline, job.id)


ORDERS: dict[str, Callable[[Instance, Job], tuple[int | str, ...]]] = {
    "edf-johnson": johnson_key, "least-laxity": laxity_key, "release": release_key,
}


def can_fit(instance: Instance) -> int:
    """Weight of the jobs that meet their deadline at least when run alone (a ceiling)."""
    return sum(j.weight for j in instance.jobs
               if j.release + instance.stages_of(j).best_latency <= j.deadline)


def order_schedule(instance: Instance, solver: str, jobs: Sequence[Job],
                   cuts: dict[str, int | None]) -> Schedule:
    """Earliest schedule of the chosen cuts with both processors in the order ``jobs``."""
    accepted = [j for j in jobs if cuts.get(j.id) is not None]
    gpu = [j.id for j in accepted if (cuts[j.id] or 0) > 0]
    cpu = [j.id for j in accepted
           if (k := cuts[j.id]) is not None and k < instance.stages_of(j).num_layers]
    return earliest_schedule(instance, solver, cuts, gpu, cpu)


@dataclass(frozen=True)
class Budget:
    """When the heuristic's phases stop: a wall-clock and a CPU-time end.

    ``wall_end`` is a ``time.perf_counter()`` value, ``cpu_end`` a
    ``time.process_time()`` value (the process's CPU seconds, all threads).
    """

    wall_end: float
    cpu_end: float = float("inf")

    def over(self) -> bool:
        return time.perf_counter() >= self.wall_end or time.process_time() >= self.cpu_end

    def left(self) -> float:
        """Seconds left before the nearer end (<= 0 when over)."""
        return min(self.wall_end - time.perf_counter(), self.cpu_end - time.process_time())


UNLIMITED = Budget(float("inf"))


@dataclass
class Candidate:
    """A schedule with the order it came from and its evaluated on-time weight."""

    order: list[Job]
    schedule: Schedule
    weight: int
    makespan: int

    def better_than(self, other: Candidate) -> bool:
        return (self.weight, -self.makespan) > (other.weight, -other.makespan)


def _candidate(instance: Instance, solver: str, order: list[Job],
               cuts: dict[str, int | None]) -> Candidate:
    return _evaluated(instance, solver, order, order_schedule(instance, solver, order, cuts))


def _evaluated(instance: Instance, solver: str, order: list[Job],
               schedule: Schedule) -> Candidate:
    """A DP's schedule (feasible by construction, checked) as a candidate of ``order``."""
    ev = evaluate(instance, schedule)
    if not ev.feasible:  # the DP's schedules are feasible by construction
        raise AssertionError(f"{solver}: infeasible schedule: {ev.violations[:3]}")
    return Candidate(order, schedule, instance.total_weight - ev.weighted_misses, ev.makespan)


def _start(instance: Instance, solver: str, time_limit_s: float,
           cuts: Mapping[str, int | None] | None = None
           ) -> tuple[Candidate, Budget, dict[str, object]]:
    """dp-edf's schedule under the same time limit, relabelled; and when to stop.

    dp-edf gets the whole ``time_limit_s``, so the result is never worse than
    dp-edf's under that limit; the other phases run until ``BUDGET_S`` of wall
    clock or ``CPU_BUDGET_S`` of CPU time after the start, whichever comes
    first (nothing is left for them when dp-edf alone takes longer). Given
    ``cuts`` (job id -> cut or None, e.g. dp-edf's schedule that a caller
    already has), the start is those cuts in EDF order instead, and dp-edf
    does not run again.
    """
    t0, cpu0 = time.perf_counter(), time.process_time()
    edf = sorted(instance.jobs, key=edf_key)
    stats: dict[str, object] = {}
    key = "given_start"
    if cuts is None:
        out = solve_dp_edf(instance, time_limit_s=time_limit_s, seed=0, threads=1)
        assert out.schedule is not None
        cuts = {p.job: p.cut for p in out.schedule.plans}
        key, stats["dp_edf_status"] = "dp_edf", out.status
    start = _candidate(instance, solver, edf, dict(cuts))
    budget = Budget(t0 + min(time_limit_s, BUDGET_S), cpu0 + min(time_limit_s, CPU_BUDGET_S))
    return start, budget, stats | {f"{key}_weight": start.weight,
                                   f"{key}_seconds": round(time.perf_counter() - t0, 4)}


def _orders(instance: Instance, solver: str, best: Candidate, budget: Budget,
            stats: dict[str, object]) -> Candidate:
    """Try the DP over every order of :data:`ORDERS`; keep the best schedule."""
    tried = []
    ceiling = can_fit(instance)
    for name, key in ORDERS.items():
        if budget.over() or best.weight >= ceiling:
            break
        keys = {j.id: key(instance, j) for j in instance.jobs}
        order = sorted(instance.jobs, key=lambda j: keys[j.id])
        run = run_dp(instance, order, beam=ORDER_BEAM, deadline=budget.wall_end, grid=0)
        if not run.complete:
            break
        cand = _candidate(instance, solver, order, run.cuts)
        tried.append(name)
        if cand.better_than(best):
            best = cand
            stats["best_order"] = name
    stats["orders_tried"] = tried
    return best


State = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def thin(m: np.ndarray, g: np.ndarray, c: np.ndarray, beam: int, gl: np.ndarray,
         cl: np.ndarray, wr: np.ndarray) -> np.ndarray:
    """Indices (ascending) of at most ``beam`` labels to keep of the DP's labels.

    ``m, g, c`` are the labels as the DP's step returns them (weight
    descending, then GPU free time ascending; times in us); ``gl, cl, wr``
    the later jobs' latest GPU and CPU free times (us) from which each can
    still be on time alone, and their weights. Half the beam (``beam // 2``)
    goes to the labels with the largest *potential*, ``m`` plus the weight of
    the later jobs that could still fit (each alone) from the label, smaller
    makespan first; the rest is spread evenly over the other labels in the
    DP's order, its first and last label included (``beam >= 3``): the
    heaviest label with the GPU free earliest and the lightest with the CPU
    free earliest.

    Why not the compiled step's own beam (heaviest, then smallest makespan):
    it drops the labels whose one processor runs late while the other has
    room, and some schedules need exactly those. On
    ``v2-batch-vivo_z3-n40-l2-s1`` in EDF order with the jobs at EDF
    positions 2 and 3 swapped, the exact DP keeps all 40 jobs on time (EDF
    order: 39, the reference's best: 40), the compiled makespan beam with up
    to 1024 labels per job keeps 39, and this rule with 48 keeps 40 (tests).
    """
    return _thin(m, g, c, beam, gl, cl, wr)


def thin_numpy(m: np.ndarray, g: np.ndarray, c: np.ndarray, beam: int, gl: np.ndarray,
               cl: np.ndarray, wr: np.ndarray) -> np.ndarray:
    """:func:`thin` in plain numpy: the rule's reference statement (tests hold
    the compiled :func:`_thin` to it)."""
    n = len(m)
    if n <= beam:
        return np.arange(n)
    mk = np.maximum(g, c)
    potential = m.copy()
    if len(gl):
        # later jobs that fit from every label add a constant, those that fit from none nothing
        always = (gl >= g.max()) | (cl >= c.max())
        varies = ~always & ((gl >= g.min()) | (cl >= c.min()))
        if varies.any():
            fit = (g[:, None] <= gl[None, varies]) | (c[:, None] <= cl[None, varies])
            potential += fit.astype(np.int64) @ wr[varies]
    best = np.lexsort((mk, -potential))[:beam // 2]
    rest = np.ones(n, dtype=bool)
    rest[best] = False
    others = np.flatnonzero(rest)
    picks = np.linspace(0, len(others) - 1, beam - len(best)).round().astype(np.int64)
    return np.sort(np.concatenate((best, others[np.unique(picks)])))


@nb.njit(cache=True)
def _heaviest_first(m: np.ndarray, g: np.ndarray, c: np.ndarray
                    ) -> np.ndarray:  # pragma: no cover (compiled)
    """``np.lexsort((max(g, c), -m))``: indices by ``m`` descending, then makespan, then
    index. Two stable sorts, not one packed key: ``m`` (up to the total weight, 2^53)
    and the makespan share no int64 without overflow (a key ``-m 2^42 + makespan``
    wrapped around for weights of a few million and kept the lightest labels)."""
    mk = np.empty(len(m), dtype=np.int64)
    for i in range(len(m)):
        mk[i] = max(g[i], c[i])
    by_mk = np.argsort(mk, kind="mergesort")
    return by_mk[np.argsort(-m[by_mk], kind="mergesort")]


@nb.njit(cache=True)
def _thin(m: np.ndarray, g: np.ndarray, c: np.ndarray, beam: int, gl: np.ndarray,
          cl: np.ndarray, wr: np.ndarray) -> np.ndarray:  # pragma: no cover (compiled)
    """:func:`thin_numpy` compiled (same indices): the potential's label x job
    fit sum, the sort and the even spread without numpy's per-call overhead
    (about half of dp-ls's time went to thinning in numpy)."""
    n = len(m)
    if n <= beam:
        return np.arange(n)
    gmax, cmax, gmin, cmin = g.max(), c.max(), g.min(), c.min()
    potential = m.copy()
    for j in range(len(gl)):
        if gl[j] >= gmax or cl[j] >= cmax or (gl[j] < gmin and cl[j] < cmin):
            continue  # fits from every label (a constant) or from none
        for i in range(n):
            if g[i] <= gl[j] or c[i] <= cl[j]:
                potential[i] += wr[j]
    # lexsort((makespan, -potential)), stable: potential descending, makespan, index
    order = _heaviest_first(potential, g, c)
    half = beam // 2
    taken = np.zeros(n, dtype=np.bool_)
    for i in range(half):
        taken[order[i]] = True
    # the best half first, then the others in index order; the rest of the beam is spread
    idx = np.empty(n, dtype=np.int64)
    idx[:half] = order[:half]
    k = half
    for i in range(n):
        if not taken[i]:
            idx[k] = i
            k += 1
    return np.sort(spread_beam(idx, beam))


def _warm_up() -> None:
    """Compile (or load from numba's cache) :func:`_thin` when the module is imported, so
    that no solver's time limit pays for it (as ``dp_kernel.warm_up`` does for the DP)."""
    labels = np.arange(4, dtype=np.int64)
    _thin(labels[::-1].copy(), labels, labels[::-1].copy(), 3, labels[:1], labels[:1],
          labels[1:2])
    # and PrefixDP's step loop, with and without reach regions: one job, one cut (k=1 of 1)
    one, zero = np.ones(1, np.int64), np.zeros(1, np.int64)
    arrs = (np.array([0, 1], np.int64), one, one, zero, zero, one, zero,
            np.array([10], np.int64), np.array([10], np.int64), np.array([10], np.int64), one)
    for reach_from, (lo, xs, ys, ns) in ((2, _NO_REACH), (0, (np.zeros(2, np.int64),
                                          np.zeros((2, 1, 1), np.int64),
                                          np.zeros((2, 1, 1), np.int64),
                                          np.ones((2, 1), np.int64)))):
        for mk in (False, True):
            _prefix_steps(zero, zero, zero, zero, 0, *arrs, 0, 3, mk, reach_from, lo, xs, ys,
                          ns, 0, 10)


_NO_REACH = (np.zeros(1, np.int64), np.zeros((1, 0, 0), np.int64), np.zeros((1, 0, 0), np.int64),
             np.zeros((1, 0), np.int64))


@nb.njit(cache=True)
def _makespan_keep(m: np.ndarray, g: np.ndarray, c: np.ndarray, beam: int
                   ) -> np.ndarray:  # pragma: no cover (compiled)
    """``np.sort(np.lexsort((max(g, c), -m))[:beam])``: the heaviest labels, smallest
    makespan first (a stable sort, so ties keep the lower index, as lexsort does)."""
    return np.sort(_heaviest_first(m, g, c)[:beam])


@nb.njit(cache=True)
def _prefix_steps(m: np.ndarray, g: np.ndarray, c: np.ndarray, at: np.ndarray, first: int,
                  ostart: np.ndarray, ok: np.ndarray, oa: np.ndarray, oh: np.ndarray,
                  ob: np.ndarray, layers: np.ndarray, rel: np.ndarray, dl: np.ndarray,
                  gl_all: np.ndarray, cl_all: np.ndarray, w_all: np.ndarray, target: int,
                  beam: int, makespan_beam: bool, reach_from: int, lo: np.ndarray,
                  xs: np.ndarray, ys: np.ndarray, ns: np.ndarray, used: int, work: int
                  ) -> tuple[np.ndarray, np.ndarray, int, int]:  # pragma: no cover
    """:meth:`PrefixDP.run`'s steps in one compiled loop (one call from Python per pass,
    not per job: a quarter to a half less CPU time, ``benchmarks/test_local_search_speed.py``).

    ``at``: instance indices of the jobs at positions ``first..``; the per-job
    arrays are in instance order (``prepare`` over ``instance.jobs``). Runs
    the steps while labels remain and ``used <= work`` (checked before each
    step, ``used`` grows by the labels a step built, plus one). Returns the
    kept labels of every step run, stacked (rows m, g, c, parent, cut) with
    offsets, the new ``used`` and the number of steps run.
    """
    n = len(at)
    gl, cl, wts = gl_all[at], cl_all[at], w_all[at]
    remaining = 0
    for i in range(n):
        remaining += wts[i]
    parts = []
    no_grid = np.zeros(0, np.int64)
    no_table = np.zeros((1, 1), np.int64)
    no_x = np.zeros((0, 0), np.int64)
    no_n = np.zeros(0, np.int64)
    total = 0
    steps = 0
    for i in range(n):
        if used > work:
            break
        j = at[i]
        pos = first + i
        lo_k, hi_k = ostart[j], ostart[j + 1]
        w = w_all[j]
        remaining -= w
        if pos + 1 >= reach_from:  # the stored suffix's reach regions apply from here
            r_lo, r_x, r_y, r_n = lo[pos + 1], xs[pos + 1], ys[pos + 1], ns[pos + 1]
        else:
            r_lo, r_x, r_y, r_n = 0, no_x, no_x, no_n
        m, g, c, parent, cut = dp_step_reach(
            m, g, c, ok[lo_k:hi_k], oa[lo_k:hi_k], oh[lo_k:hi_k], ob[lo_k:hi_k], layers[j],
            rel[j], dl[j], w, remaining, target, 0, gl[i + 1:], cl[i + 1:], wts[i + 1:],
            no_grid, no_table, r_lo, r_x, r_y, r_n)
        used += len(m) + 1
        if len(m) == 0:
            break
        if len(m) > beam:
            if makespan_beam:
                keep = _makespan_keep(m, g, c, beam)
            else:
                keep = _thin(m, g, c, beam, gl[i + 1:], cl[i + 1:], wts[i + 1:])
            m, g, c, parent, cut = m[keep], g[keep], c[keep], parent[keep], cut[keep]
        part = np.empty((5, len(m)), np.int64)
        part[0, :] = m
        part[1, :] = g
        part[2, :] = c
        part[3, :] = parent
        part[4, :] = cut
        parts.append(part)
        total += len(m)
        steps += 1
    out = np.empty((5, total), np.int64)
    offs = np.zeros(steps + 1, np.int64)
    k = 0
    for s in range(steps):
        size = parts[s].shape[1]
        out[:, k:k + size] = parts[s]
        k += size
        offs[s + 1] = k
    return out, offs, used, steps


_warm_up()


class PrefixDP:
    """The beam DP over one order, with the labels after every job kept.

    ``run(order, first, target)`` reruns only jobs ``first..`` of a new order
    whose jobs before ``first`` are those of the stored order.

    It calls the compiled step :func:`splitsched.solvers.dp_kernel.dp_step`
    itself: :func:`~splitsched.solvers.dp.run_dp` starts from one label and
    keeps no label sets, so it cannot restart from a stored prefix (the
    saving that makes a neighbour cheap). The per-job data comes from
    :func:`~splitsched.solvers.dp.prepare`, as run_dp's does.
    """

    def __init__(self, instance: Instance, beam: int) -> None:
        self.instance = instance
        self.beam = beam
        # per-job data (on-time-alone cuts, L, fit limits, weight) does not depend on the
        # order: dp.prepare computes it once in the instance's job order, indexed per run
        self.prep = prepare(instance, list(instance.jobs))
        self.index = {j.id: i for i, j in enumerate(instance.jobs)}
        self.limits = (self.prep.gpu_limit, self.prep.cpu_limit, self.prep.weights)
        self.order: list[Job] = []
        self.states: list[State] = []
        self.budget = UNLIMITED
        self.work = float("inf")  # labels the search may build in all
        self.used = 0
        self.makespan_beam = False  # keep the heaviest labels, smallest makespan first
        self.reach: tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None

    def suffix_reach(self, target: int) -> None:
        """Reach regions of the stored order's suffixes for ``target`` (used by :meth:`run`).

        :func:`~splitsched.solvers.dp_kernel.reach_tables` over the stored
        order: at position p, for the jobs p.. in this order, the free times
        from which they can add weight ``e`` (an outer approximation: a label
        outside the region of ``target - v`` can never reach ``target``).
        The tracked ``e`` at p start one below ``target`` minus the stored
        best label weight after p - 1 jobs (a neighbour's labels lie around
        it) and run for :data:`REACH_SIZE` values; a label needing more uses
        the last region (a superset), a heavier one is not tested.
        """
        n = len(self.order)
        at = [self.index[j.id] for j in self.order]
        flat = self.prep.subset(at).flat
        best = np.array([0] + [int(st[0].max()) for st in self.states], dtype=np.int64)
        lo = target - best - 1
        self.used += n * REACH_SIZE * REACH_CORNERS // 8  # its cost, in label units (about)
        xs, ys, ns = reach_tables(flat[0], flat[1], flat[2], flat[3], flat[4],
                                  self.prep.layers[np.array(at, dtype=np.int64)], flat[5],
                                  flat[6], self.prep.weights[np.array(at, dtype=np.int64)],
                                  lo, REACH_SIZE, REACH_CORNERS, INF)
        self.reach = (target, lo, xs, ys, ns)

    def run(self, order: list[Job], first: int, target: int, same_from: int | None = None
            ) -> tuple[int, list[State]] | None:
        """Labels of every step from ``first`` on.

        None when no label can reach ``target``, ``self.budget`` is over or
        ``self.work`` (labels built, counted in ``self.used``) runs out.
        ``same_from``: positions ``same_from..`` of ``order`` hold the jobs of
        the stored order's; with :meth:`suffix_reach` computed for this
        ``target``, labels after those steps that cannot reach ``target``
        are dropped at once (exactly what the DP would drop later, given
        the regions' outer approximation), so a neighbour that cannot beat
        the stored order usually ends a few steps after its last change.

        The steps run in one compiled call (:func:`_prefix_steps`); the
        budget is read before it (one pass over an order takes milliseconds).
        """
        reach = (self.reach if same_from is not None and self.reach is not None
                 and self.reach[0] == target else None)
        n = len(order)
        if self.used > self.work or self.budget.over():
            return None
        at = np.fromiter((self.index[j.id] for j in order[first:]), dtype=np.int64,
                         count=n - first)
        if first == 0:
            zero = np.zeros(1, dtype=np.int64)
            m, g, c = zero, zero, zero
        else:
            m, g, c = self.states[first - 1][:3]
        if reach is not None and same_from is not None:
            _, lo, xs, ys, ns = reach
            reach_from = same_from
        else:
            lo, xs, ys, ns = _NO_REACH
            reach_from = n + 1  # never
        ostart, ok, oa, oh, ob, rel, dl = self.prep.flat
        gl, cl, wts = self.limits
        out, offs, used, steps = _prefix_steps(
            m, g, c, at, first, ostart, ok, oa, oh, ob, self.prep.layers, rel, dl, gl, cl, wts,
            target, self.beam, self.makespan_beam, reach_from, lo, xs, ys, ns,
            self.used, int(min(self.work, 2**62)))
        self.used = used
        if steps < n - first:  # no label left, or out of work
            return None
        if steps == 0:  # nothing after first: the stored prefix's (or the empty) labels
            return int(m.max()), []
        states: list[State] = [
            (out[0, offs[i]:offs[i + 1]], out[1, offs[i]:offs[i + 1]],
             out[2, offs[i]:offs[i + 1]], out[3, offs[i]:offs[i + 1]],
             out[4, offs[i]:offs[i + 1]]) for i in range(steps)]
        return int(states[-1][0].max()), states

    def adopt(self, order: list[Job], first: int, states: list[State]) -> None:
        self.order = order
        self.states = self.states[:first] + states
        self.reach = None

    def cuts(self) -> dict[str, int | None]:
        """Cuts of the heaviest final label (smallest makespan among those)."""
        m, g, c = self.states[-1][:3]
        idx = int(np.lexsort((np.maximum(g, c), -m))[0])
        out: dict[str, int | None] = {j.id: None for j in self.order}
        for job, state in zip(reversed(self.order), reversed(self.states), strict=True):
            k = int(state[4][idx])
            if k != DROP:
                out[job.id] = k
            idx = int(state[3][idx])
        return out


def _moves(order: list[Job], dropped: set[str]) -> list[tuple[int, int]]:
    """(from, to) re-insertions: dropped jobs earlier, a job before a dropped one later and
    dropped jobs later first, then every job earlier (all within ``WINDOW`` places); last,
    with :data:`RELEASE_MOVES`, each kept job to its *release place* (before the first job
    of ``order`` released after it) when that is more than ``WINDOW`` places earlier.

    Why the release place: a job with a long window (release to deadline) sits at its
    deadline's place, but may have to run its GPU stage among jobs due long before it,
    beyond a ``WINDOW`` move's reach. On ``v2-poisson-redmi-n40-l3-s2-w`` (optimum 9)
    the local search with seeds 1, 3, 4 and 5 (the code before these moves) ends at 10
    from an order where no re-insertion within ``WINDOW`` accepts more weight, and
    EDF job 11 (``j01``, released at 54 ms, due at 1680 ms, run whole on the GPU by the
    optimum) moved 7 or more places earlier (its release place: 10 earlier) reaches 9;
    with these moves all of the seeds 0 to 11 reach 9 (before: 0, 8 and 9 of them).
    """
    n = len(order)
    out = []
    for i in range(n):
        if order[i].id in dropped:
            out += [(i, i - s) for s in range(1, WINDOW + 1) if i - s >= 0]
            out += [(i - s, i) for s in range(1, WINDOW + 1) if i - s >= 0]
            out += [(i, i + s) for s in range(1, WINDOW + 1) if i + s < n]
    for i in range(n):
        if order[i].id not in dropped:
            out += [(i, i - s) for s in range(1, WINDOW + 1) if i - s >= 0]
    if RELEASE_MOVES:
        for i in range(n):
            if order[i].id in dropped:
                continue
            at = next(p for p in range(n) if p == i or order[p].release > order[i].release)
            if at < i - WINDOW:
                out.append((i, at))
    return list(dict.fromkeys(out))  # first occurrence of each move, in order


def _dropped_at_edf_places(order: list[Job], dropped: set[str]) -> list[Job]:
    """``order`` with each dropped job moved before the first kept job later in EDF order.

    Where a dropped job stands does not change the schedule (the kept jobs
    keep their order), but it decides which moves reach it: a job left far
    from its deadline's place by earlier moves is out of a move's reach.
    """
    out = [j for j in order if j.id not in dropped]
    for job in sorted((j for j in order if j.id in dropped), key=edf_key):
        at = next((i for i, j in enumerate(out) if edf_key(j) > edf_key(job)), len(out))
        out.insert(at, job)
    return out


def _descend(dp: PrefixDP, order: list[Job], current: int, budget: Budget,
             counts: dict[str, int]) -> tuple[list[Job], int]:
    """First-improvement descent from ``order`` (already run by ``dp``)."""
    while not budget.over() and dp.used <= dp.work:
        dropped = {jid for jid, k in dp.cuts().items() if k is None}
        if REACH:
            dp.suffix_reach(current + 1)
        for src, dst in _moves(order, dropped):
            if dp.used > dp.work or budget.over():
                return order, current
            new = list(order)
            new.insert(dst, new.pop(src))
            lo, hi = min(src, dst), max(src, dst)
            counts["evaluated"] += 1
            res = dp.run(new, lo, current + 1, same_from=hi + 1)
            if res is None or res[0] <= current:
                continue
            dp.adopt(new, lo, res[1])
            order, current = new, res[0]
            counts["improved"] += 1
            break
        else:
            return order, current
    return order, current


def _local_search(instance: Instance, solver: str, best: Candidate, budget: Budget,
                  stats: dict[str, object], seed: int, work: float = LS_WORK,
                  checkpoint: Callable[[Candidate], Candidate] | None = None,
                  checkpoint_at: float = float("inf")) -> Candidate:
    """Iterated local search over the order (module docstring).

    Descent by re-insertion moves; at a local optimum, the best order so far
    (dropped jobs back at their EDF places) is perturbed, seeded: one
    dropped job moves up to ``3 WINDOW`` places earlier, then ``KICK``
    random re-insertions; descent starts again, with the plain makespan beam
    on every second one, until the time or the work is up, every job that
    can fit alone is on time, or ``max(KICK_PATIENCE, 2 n)`` kicks in a row
    found nothing better. ``checkpoint`` is called once with the best so far
    when the labels built first exceed ``checkpoint_at`` (at a kick); its
    answer (never worse) becomes the best, and the search goes on.
    """
    rng = random.Random(seed)
    dp = PrefixDP(instance, LS_BEAM)
    dp.budget = budget
    dp.work = work
    counts = {"evaluated": 0, "improved": 0, "kicks": 0}
    order = list(best.order)
    ceiling = can_fit(instance)
    patience = max(KICK_PATIENCE, 2 * instance.num_jobs)
    stale = 0
    while not budget.over() and dp.used <= work and best.weight < ceiling \
            and stale <= patience:
        dp.makespan_beam = counts["kicks"] % 2 == 1  # the two beams find different schedules
        first = dp.run(order, 0, 0)
        if first is None:  # out of time
            break
        dp.adopt(order, 0, first[1])
        order, _ = _descend(dp, order, first[0], budget, counts)
        cand = _candidate(instance, solver, order, dp.cuts())
        stale += 1
        if cand.better_than(best):
            best, stale = cand, 0
        if checkpoint is not None and dp.used > checkpoint_at:
            best = checkpoint(best)
            checkpoint = None
        n = len(best.order)
        if n < 2:
            break
        dropped = {q.job for q in best.schedule.plans if q.cut is None}
        order = _dropped_at_edf_places(best.order, dropped)
        late = [i for i, j in enumerate(order) if j.id in dropped and i > 0]
        if late:
            # a dropped job far earlier (beyond a move's reach), then the random re-insertions
            src = rng.choice(late)
            order.insert(max(0, src - rng.randint(1, 3 * WINDOW)), order.pop(src))
        for _ in range(KICK):
            src = rng.randrange(n)
            dst = min(n - 1, max(0, src + rng.randint(-2 * WINDOW, 2 * WINDOW)))
            order.insert(dst, order.pop(src))
        counts["kicks"] += 1
    stats.update({f"ls_{k}": v for k, v in counts.items()}, ls_labels=dp.used)
    return best


def output(best: Candidate, stats: dict[str, object], t0: float) -> SolverOutput:
    stats = dict(stats, accepted_weight=best.weight, seconds=round(time.perf_counter() - t0, 4))
    return SolverOutput(schedule=best.schedule, status="feasible", bound=None, stats=stats)


@register("dp-orders", "dp-edf, then the DP over other job orders (EDF with Johnson ties, "
                       "least laxity, release order); best schedule; at most 1 s after dp-edf")
def solve_dp_orders(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                    warm_start: Schedule | None = None) -> SolverOutput:
    """dp-edf's schedule, improved by the DP over other orders (module docstring).

    Runs dp-edf, then other orders until ``min(time_limit_s, BUDGET_S)`` after
    the start; status ``feasible``; no bound. ``warm_start`` is not used
    (dp-edf's schedule is the start).
    """
    t0 = time.perf_counter()
    best, budget, stats = _start(instance, "dp-orders", time_limit_s)
    best = _orders(instance, "dp-orders", best, budget, stats)
    return output(best, stats, t0)


@register("dp-ls", "dp-orders, then local search over the job order with a beam DP as "
                   "inner step (re-insert a job up to 4 places earlier, or at its release "
                   "place), then an order DP "
                   "whose GPU and CPU orders may differ by one moved job (solvers/dp_swap.py); "
                   "at most 1 s after dp-edf")
def solve_dp_ls(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                warm_start: Schedule | None = None) -> SolverOutput:
    """``dp-orders``, then local search over the order (module docstring).

    Runs dp-edf, then the rest until ``min(time_limit_s, BUDGET_S)`` after the
    start; status ``feasible``; no bound. ``warm_start`` is not used.
    """
    t0 = time.perf_counter()
    best, budget, stats = _start(instance, "dp-ls", time_limit_s)
    best = _orders(instance, "dp-ls", best, budget, stats)
    walks: list[SwapWalk | None] = []

    def midway(best: Candidate) -> Candidate:
        best, walk = swap_phase(instance, "dp-ls", best, budget, stats,
                                max_work=SWAP_MIDWAY_WORK, key="swap_midway",
                                rounds=SWAP_MIDWAY_ROUNDS, whole=0)
        walks.append(walk)
        return best

    best = _local_search(instance, "dp-ls", best, budget, stats, seed, LS_WORK,
                         checkpoint=midway, checkpoint_at=SWAP_MIDWAY)
    # the end's walk; from where the midway one stopped if the search found no other order
    walk = walks[0] if walks and walks[0] is not None and walks[0].source == [
        j.id for j in best.order] else None
    best, _ = swap_phase(instance, "dp-ls", best, budget, stats, rounds=SWAP_ROUNDS, walk=walk)
    return output(best, stats, t0)


@dataclass
class SwapWalk:
    """Where :func:`swap_phase`'s rounds continue: the next common order and the schedule
    whose cuts the movable jobs keep (+- ``SWAP_SPREAD`` layers); ``source``: the
    order of the best candidate the walk started from."""

    order: list[Job]
    schedule: Schedule
    source: list[str]


def stage_order(schedule: Schedule, order: list[Job]) -> list[Job]:
    """A common order read off a schedule: the jobs with a CPU stage by its start (ties by
    ``order``); the others (dropped, or kept with no CPU stage) each before the first job
    with a CPU stage later in EDF order.

    Where the schedule runs the two processors in different orders, this is
    its CPU order; :func:`swap_phase` starts its rounds from it. A job without
    a CPU stage has no CPU start to be read: its EDF place among the CPU
    stages is where the next round can give it one (a GPU-only job read at
    its GPU start, before CPU stages that run long before its deadline, can
    take one only by deferring it past all of them, beyond the swap DP's
    displacement; the DP can still pull its GPU stage ahead).
    """
    rank = {j.id: i for i, j in enumerate(order)}
    byid = {j.id: j for j in order}
    start = {p.job: p.cpu_start for p in schedule.plans
             if p.cut is not None and p.cpu_start is not None}
    kept = sorted(start, key=lambda jid: (start[jid], rank[jid]))
    others = {j.id for j in order if j.id not in start}
    return _dropped_at_edf_places([byid[jid] for jid in kept]
                                  + [j for j in order if j.id in others], others)


def swap_phase(instance: Instance, solver: str, best: Candidate, budget: Budget,
               stats: dict[str, object], max_work: float | None = None,
               key: str = "swap", rounds: int = 1,
               walk: SwapWalk | None = None, whole: int | None = None
               ) -> tuple[Candidate, SwapWalk | None]:
    """The DP with one deferred or pulled-ahead stage, in rounds from the best order.

    Each round runs :func:`~splitsched.solvers.dp_swap.swap_dp` with
    displacement :data:`SWAP_DISPLACEMENT` and beam :data:`SWAP_BEAM` over a
    common order, a job kept by the round's reference schedule movable with
    its cut +- :data:`SWAP_SPREAD` layers, a dropped one not (a search around
    that schedule, in fewer labels; a job that is not moved may take any
    cut): the processors may then run different orders, which no common
    order reaches (on ``v2-poisson-redmi-n40-l4-s1-w`` it turns dp-ls's 11
    weighted misses into the certified optimum 10). With ``whole`` (default
    :data:`SWAP_WHOLE`; dp-ls's midway round passes 0: with whole moves a
    round there needs about 250,000 labels, more than its
    :data:`SWAP_MIDWAY_WORK`, and ran out of work before its end) a job may
    also move whole that many places, ahead with a movable cut or later with
    any cut (:mod:`~splitsched.solvers.dp_swap`). The first round starts from
    the order :func:`stage_order` reads off ``best.schedule`` (or from
    ``walk``, a previous call's continuation, when given); each next one from
    the last round's schedule, its common order read off the same way (its
    CPU order): a walk, whatever each round's weight, that stops after
    ``rounds`` rounds or at a fixed point. On
    ``v2-poisson-redmi-n40-l3-s1-w`` (optimum 6) one round from dp-ls's
    order stays at 7, while the walk reaches 6 from the local search's
    orders (module docstring). A round stops
    :data:`SWAP_MARGIN_S` before ``budget``'s end (the clock is read between
    jobs, and one job's step with the pulls can take tens of ms: measured up
    to 1.064 s wall in all without the margin, at load about 4) or after
    ``max_work`` (default :data:`SWAP_WORK`) candidate labels, and then the
    walk ends. Every schedule a round builds is evaluated and taken only
    when it accepts more weight than the best so far (or the same with a
    smaller makespan), so the answer is never worse. Returns the best and
    where a further call would continue (None: nowhere, the walk stopped or
    reached a fixed point). Stats under ``key``: ``complete`` / ``stopped``
    / ``skipped``, ``_labels``, ``_rounds`` (rounds completed), ``_improved``.
    """
    if budget.left() < SWAP_MARGIN_S or best.weight >= can_fit(instance):
        stats[key] = "skipped"
        return best, walk
    if walk is None:
        walk = SwapWalk(stage_order(best.schedule, best.order), best.schedule,
                        [j.id for j in best.order])
    start_weight = best.weight
    labels = done = 0
    state = "complete"
    nxt: SwapWalk | None = walk
    while nxt is not None and done < rounds:
        if budget.left() < SWAP_MARGIN_S or best.weight >= can_fit(instance):
            break
        cur = nxt
        movable = {p.job: set(range(p.cut - SWAP_SPREAD, p.cut + SWAP_SPREAD + 1))
                   for p in cur.schedule.plans if p.cut is not None}
        res = swap_dp(instance, cur.order, displacement=SWAP_DISPLACEMENT, beam=SWAP_BEAM,
                      max_work=SWAP_WORK if max_work is None else max_work,
                      stop=lambda: budget.left() < SWAP_MARGIN_S, movable=movable,
                      whole=SWAP_WHOLE if whole is None else whole)
        labels += res.labels
        if not res.complete:
            state, nxt = "stopped", None
            break
        done += 1
        schedule = res.schedule(instance, solver)
        cand = _evaluated(instance, solver, cur.order, schedule)
        if cand.better_than(best):
            best = cand
        order = stage_order(schedule, cur.order)
        same = [j.id for j in order] == [j.id for j in cur.order] and schedule == cur.schedule
        nxt = None if same else SwapWalk(order, schedule, walk.source)
    stats.update({key: state, f"{key}_labels": labels, f"{key}_rounds": done})
    if best.weight > start_weight:
        stats[f"{key}_improved"] = best.weight - start_weight
    return best, nxt


def dp_ls_phases(instance: Instance, solver: str, time_limit_s: float, seed: int,
                 work: float = LS_WORK, start_cuts: Mapping[str, int | None] | None = None
                 ) -> tuple[Candidate, Budget, dict[str, object]]:
    """dp-edf, the other orders and the local search (``work`` labels at most).

    ``start_cuts`` (job id -> cut or None) replaces dp-edf's run by a schedule
    the caller has (:func:`_start`). Returns the best candidate, the
    heuristic's :class:`Budget` (its wall-clock and CPU-time ends) and the
    run's stats so far.
    """
    best, budget, stats = _start(instance, solver, time_limit_s, start_cuts)
    best = _orders(instance, solver, best, budget, stats)
    best = _local_search(instance, solver, best, budget, stats, seed, work)
    return best, budget, stats
