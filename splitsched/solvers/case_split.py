"""Certify a lower bound on the weighted misses by splitting into cases on on-time counts.

To prove that every schedule misses weight ``M`` or more, every schedule with on-time
weight ``T = total - M + 1`` or more must be refuted. Dropping an on-time job keeps a
schedule feasible, so it is enough to refute the schedules whose on-time weight lies in
``[T, T + w_max - 1]`` (``w_max`` the largest weight): one above that keeps the same
window after a job is dropped. Jobs of one network and one weight form a *class*; a
*case* fixes how many jobs of some classes are on time, and some single jobs on time or
missed. The cases are split class by class (heaviest first; only counts that can still
reach the window), then, once every class count is fixed, job by job (the earliest
released open job of any class with a choice: missed, or on time), so that they always
cover every schedule in the window.

Each case is first probed with the fixed-set branch and bound
(:func:`splitsched.solvers.feasibility.all_on_time`; node limits, :func:`probe`): when
the jobs the case forces on time cannot all be on time the case is refuted (dropping
jobs keeps a schedule feasible), and an open job that cannot be on time with them is
fixed missed. Its root tests (one cut per job for every deadline prefix, energetic
reasoning) refuted in 0.01 s a fully fixed case of v2-poisson-mi9-n80-l2-s1 (j16, j17,
j23 and j38 missed) that CP-SAT left undecided for 60 s. Then the case is a decision
model: the CP-SAT model with the per-cut energetic rows
(:func:`splitsched.solvers.hybrid.pick_rows`, the cut LP's binding rows first) and the
symmetry rows of :func:`splitsched.solvers.hybrid.add_symmetry_rows` (with its start rows
across releases, :data:`START_ROWS`), plus the window
and the case's constraints (the LP that ranks the rows is exact: its bound alone
certifies a claim it reaches, and it is the bound of a split left open). ``INFEASIBLE``
refutes a case; a case CP-SAT leaves undecided within its limit is split
(``count_leaf_s`` while a class count is open, ``leaf_s`` after; CP-SAT's deterministic
time, so the tree does not depend on the machine's load); one with every job fixed is
tried again later with twice the limit; a solution is a schedule with on-time weight
``>= T``: the claim is false, and that schedule is returned. With ``threads`` > 1 that
many cases are decided at once, each in its own thread.

The split runs first on the instance with the windows of near-identical jobs merged
(:mod:`splitsched.solvers.merge`): a relaxation whose twins the symmetry rows order, so
that the search no longer tells apart schedules that differ only by which of two almost
identical jobs is missed. It certifies the instance when all its cases are refuted; when
it yields a schedule the instance does not keep, the instance itself is split.

Why it works where the whole model does not (v2-poisson-redmi-n40-l4-s3-w, best known
10, all of ``hybrid``'s bounds at 9 for 1200 s): with the counts fixed the LP relaxation
is much tighter and most cases die at CP-SAT's root in about two seconds, most of it
presolve (0.8 s with the inclusion detection between rows off). The split is the one a
helper session found by hand (2026-11-30): the weight-3 misses first, then
pnasnet-mobile's and nasnet-mobile's, then single jobs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from splitsched.evaluate import evaluate
from splitsched.formulations import JobWindow, job_windows
from splitsched.formulations.bounds import CutRow, cut_energy_rows, cut_lp_bound
from splitsched.formulations.cp import CpModel, new_solver
from splitsched.formulations.interruptible import STOP_RETRY_S
from splitsched.problem import Instance, Schedule
from splitsched.solvers.base import SolverOutput, register
from splitsched.solvers.cpsat import decode_cp
from splitsched.solvers.exact import native_stdout_silenced
from splitsched.solvers.feasibility import INFEASIBLE, UNKNOWN, all_on_time
from splitsched.solvers.heuristics import dp_ls_phases
from splitsched.solvers.hybrid import NNZ_BUDGET, add_symmetry_rows, model_with_rows, pick_rows
from splitsched.solvers.merge import MERGE_SHARE, hull_windows, merge_groups

LEAF_S = 120.0      # CP-SAT's limit per case before it is split, once every count is fixed
COUNT_LEAF_S = 2.0  # the same while a class count is open (see case_split)

MIN_RETRY_S = 1e-3
"""The least limit a fully fixed case is retried with (seconds; from 1e-300 doubling alone
took about 1,000 rounds to reach 1 ms)."""

PROBE_NODES = 20
"""Most nodes per probe of one open job (:func:`probe`)."""

PROBE_JOBS = 4
"""Open jobs probed per round (:func:`probe`): the earliest released, the next ones the
split would branch on. A probe costs 0.35-0.45 s on v2-poisson-mi9-n80-l2-s1's cases
(mostly the root tests on 70-odd jobs); probing all 14 open jobs took 3.4-6.8 s a case
there. On v2-poisson-redmi-n40-l4-s3-w probing saved 4 of 58 cases."""

PRECHECK_NODES = 1000
"""Most nodes the fixed-set branch and bound expands per case (about 0.2 s at the 5,000
nodes per second measured on v2-poisson-mi9-n80-l2-s1's leaves; it refutes at its root or
not at all there, and it holds the GIL that the other cases' CP-SAT solves do not need)."""

MERGED_TAG = "merged instance: "
"""Prefix of the open cases of the merged instance (:func:`case_split`): a case of the
relaxation, which may count more jobs on time than the instance can hold."""

SETUP_SHARE = 0.25
"""Most of ``budget_s`` that :func:`case_split` spends on the energetic rows and their LP."""

START_ROWS = True
"""Whether the decision models get the start rows across releases
(:func:`splitsched.solvers.hybrid.add_symmetry_rows` with ``start_rows``). Measured
(2026-12-02, ``scripts/case_split.py``, one thread, CP-SAT's deterministic limits, so the
case counts do not depend on the load): v2-poisson-redmi-n40-l4-s3-w ``--misses 10``
certified in 26 cases with them, 29 without; on v2-poisson-mi9-n80-l2-s1 the count case
(inception-v3 26, pnasnet-mobile 22, acl-squeezenet 17, inception-v4 11 on time, no merge)
refuted with seeds 0-3 in 6-12 s with them, without them open at 30 units with seed 0
(5.6-22.5 s with seeds 1-3)."""


@dataclass(frozen=True)
class Case:
    """Fixed on-time counts (class index -> count) and fixed jobs (job index -> on time)."""

    counts: tuple[tuple[int, int], ...] = ()
    jobs: tuple[tuple[int, bool], ...] = ()

    def describe(self, instance: Instance, classes: list[tuple[str, int, list[int]]]) -> str:
        parts = [f"{classes[c][0]}/w{classes[c][1]} on time={n}" for c, n in self.counts]
        parts += [f"{instance.jobs[j].id} {'on time' if on else 'missed'}" for j, on in self.jobs]
        return "; ".join(parts) or "(all schedules)"


def settle(case: Case, classes: list[tuple[str, int, list[int]]]
           ) -> tuple[dict[int, bool], bool]:
    """The jobs decided in every schedule of ``case`` (its fixed jobs, and the open jobs of
    a count that takes all of them or none, to a fixpoint), and whether the counts can
    still be met (False: the case holds no schedule)."""
    decided = dict(case.jobs)
    changed = True
    while changed:
        changed = False
        for c, n in case.counts:
            members = classes[c][2]
            on = sum(1 for j in members if decided.get(j) is True)
            open_jobs = [j for j in members if j not in decided]
            if not on <= n <= on + len(open_jobs):
                return decided, False
            if open_jobs and n in (on, on + len(open_jobs)):
                decided.update((j, n > on) for j in open_jobs)
                changed = True
    return decided, True


@dataclass
class CaseSplitResult:
    """What a case split did.

    ``certified``: every case refuted, so every schedule misses weight ``misses`` or more.
    ``schedule``: a schedule CP-SAT found with on-time weight ``>= total - misses + 1``
    (the claim is false), else None. ``open_cases``: the cases left undecided when the
    budget ran out. ``log``: per case tried, ``(description, status, seconds)``.
    ``merged_groups``: groups of near-identical jobs merged (:mod:`splitsched.solvers.
    merge`; 0: the split ran on the instance alone); open cases of the merged instance
    start with :data:`MERGED_TAG`. ``fell_back``: the merged instance had a schedule the
    instance does not keep, so the instance itself was split after it, with the budget
    left (none left: its one open case is ``(all schedules)``). ``lp_bound``: the
    weighted misses the per-cut LP proves (the total weight minus
    :func:`splitsched.formulations.bounds.cut_lp_bound`'s certified on-time bound; without
    rows or time for the LP, the weight of the jobs that can never be on time); with a
    merge, the larger of the instance's and the merged instance's (a relaxation: its bound
    holds for the instance, but it is weaker); ``>= misses`` certifies at once, before any
    case (``merged_groups`` is then 0: no merged instance was split).
    """

    misses: int
    certified: bool
    schedule: Schedule | None
    open_cases: list[str]
    log: list[tuple[str, str, float]] = field(default_factory=list)
    wall_s: float = 0.0
    merged_groups: int = 0
    fell_back: bool = False
    lp_bound: int = 0


def job_classes(instance: Instance) -> list[tuple[str, int, list[int]]]:
    """``(network, weight, job indices)`` per class, heaviest first, then larger classes."""
    groups: dict[tuple[str, int], list[int]] = {}
    for i, job in enumerate(instance.jobs):
        groups.setdefault((job.network, job.weight), []).append(i)
    return sorted(((net, w, idx) for (net, w), idx in groups.items()),
                  key=lambda c: (-c[1], -len(c[2]), c[0]))


def live_classes(instance: Instance, windows: Sequence[JobWindow]
                 ) -> list[tuple[str, int, list[int]]]:
    """:func:`job_classes` holding only the jobs that can be on time (a cut within their
    window, ``windows`` from :func:`splitsched.formulations.job_windows`): the classes
    the split counts."""
    return [(net, w, live) for net, w, members in job_classes(instance)
            if (live := [i for i in members if windows[i].cuts])]


def _children(case: Case, classes: list[tuple[str, int, list[int]]], instance: Instance,
              lo_t: int, hi_t: int) -> list[Case]:
    """The cases that split ``case``: the next class's counts that can still put the
    on-time weight in ``[lo_t, hi_t]``, or once all are fixed, one job missed / on time
    (the earliest released open job of a class with a choice)."""
    fixed = dict(case.counts)
    if len(fixed) < len(classes):
        c = len(fixed)
        low = sum(classes[k][1] * n for k, n in fixed.items())
        high = low + sum(classes[k][1] * len(classes[k][2]) for k in range(c, len(classes)))
        _net, w, members = classes[c]
        return [Case((*case.counts, (c, n)), case.jobs) for n in range(len(members) + 1)
                if low + w * n <= hi_t and high - w * (len(members) - n) >= lo_t]
    decided, ok = settle(case, classes)
    choice = [j for *_rest, members in classes for j in members if j not in decided]
    if not ok or not choice:
        return []
    # the earliest released: where the schedule starts, the fewest alternatives later
    j = min(choice, key=lambda i: (instance.jobs[i].release, i))
    return [Case(case.counts, (*case.jobs, (j, False))),
            Case(case.counts, (*case.jobs, (j, True)))]


def _guided(children: list[Case], classes: list[tuple[str, int, list[int]]],
            on: frozenset[int] | None) -> list[Case]:
    """``children`` nearest the guide's on-time set ``on`` first (None: as they are): by
    the sum over fixed classes of ``|count - the guide's count|`` plus the fixed jobs the
    guide decides otherwise; ties keep their order. Siblings differ in their last choice
    only, so this ranks that choice. The cases nearest a schedule one miss short of the
    window are the ones CP-SAT leaves open longest; started first, they run beside the
    easy ones instead of after them."""
    if on is None:
        return children

    def distance(case: Case) -> int:
        counts = sum(abs(n - sum(1 for j in classes[c][2] if j in on))
                     for c, n in case.counts)
        return counts + sum(1 for j, v in case.jobs if (j in on) != v)

    return sorted(children, key=distance)


def case_split(instance: Instance, misses: int, *, leaf_s: float = LEAF_S,
               count_leaf_s: float = COUNT_LEAF_S, budget_s: float = 3600.0, threads: int = 1,
               seed: int = 0, merge: float = MERGE_SHARE, guide: Schedule | None = None,
               progress: Callable[[str], None] | None = None) -> CaseSplitResult:
    """Try to prove that every schedule of ``instance`` misses weight ``misses`` or more.

    First on the instance with near-identical jobs merged (:func:`splitsched.solvers.
    merge.merge_windows` with share ``merge``; 0: not merged), a relaxation: all its cases
    refuted certifies the instance. When a case of the merged instance yields a schedule,
    it is checked on the instance (:func:`splitsched.evaluate.evaluate`): with on-time
    weight in reach there too it refutes the claim; otherwise the merged instance was too
    loose and the split starts again on the instance itself with the budget left.

    Parameters
    ----------
    instance:
        The problem.
    misses:
        The claimed lower bound on the weighted misses (e.g. the best known, to certify it).
    leaf_s:
        CP-SAT's limit per case with every class count fixed before the case is split, in
        its deterministic time (work units calibrated to about a second; 0.85-0.95 per
        second of a long case measured on v2-poisson-redmi-n40-l4-s3-w), so that which
        cases are decided does not depend on the machine's load or on ``threads``; a case
        with every job fixed (nothing left to split) that stays undecided is tried again,
        with twice its last limit, once every other case is decided. Long (120) because
        splitting such a case rarely makes its children easier: on
        v2-poisson-redmi-n40-l4-s3-w the case fixing every count took 67-135 units to
        refute whole (seeds 0 to 5), its split at 10 units per case about 250 s of CPU
        (54 cases in all, 136 s at 2 threads; with 120 and the merged instance: 29 cases,
        55 s).
    count_leaf_s:
        The same for the cases that still split on a class count: short, because those
        that CP-SAT refutes at all it mostly refutes at its root (0.8-2 s on
        v2-poisson-redmi-n40-l4-s3-w).
    budget_s:
        Wall-clock budget for the whole split (seconds); a case running at its end is
        stopped, and the cases left are reported open.
    threads:
        Cases decided at once, each by one CP-SAT worker in its own thread (CP-SAT
        releases the GIL). More workers on one case did not help: on
        v2-poisson-redmi-n40-l4-s3-w with 30 s per case, 596 s with 2 workers per case,
        584 s with one. With 1 the cases are decided one by one in the calling thread.
    seed:
        CP-SAT's seed per case.
    merge:
        The share of :func:`splitsched.solvers.merge.merge_groups` (0 for none).
    guide:
        A schedule of ``instance`` (e.g. the incumbent whose misses are claimed): the
        cases nearest its on-time set are decided first (:func:`_guided`). Only the order
        changes, never which cases are refuted.
    progress:
        Called with one line per decided case, and one when the split moves from the
        merged instance to the instance.

    Returns
    -------
    CaseSplitResult
        ``certified`` only when every case was refuted (CP-SAT ``INFEASIBLE``);
        ``schedule`` is always a schedule of ``instance`` (checked).

    Raises
    ------
    ValueError
        ``merge`` negative or not finite; ``guide`` a schedule of another instance (another
        id, or plans of jobs the instance does not have).
    """
    t0 = time.perf_counter()
    if not 0 <= merge < float("inf"):  # a negative or NaN share must not mean "no merge"
        raise ValueError(f"merge must be a finite number >= 0, got {merge!r}")
    on = None
    if guide is not None:
        if guide.instance_id != instance.id:  # its on-time set would name other jobs
            raise ValueError(f"guide: a schedule of instance {guide.instance_id!r}, "
                             f"not of {instance.id!r}")
        # the same id is not enough (an edited instance keeps it): plans of jobs the
        # instance lacks would leave its on-time set empty or naming other jobs
        if unknown := sorted({p.job for p in guide.plans} - set(instance.job_index)):
            raise ValueError(f"guide: plans of jobs {unknown[:5]!r} that instance "
                             f"{instance.id!r} does not have")
        ev = evaluate(instance, guide)
        on = frozenset(instance.job_index[i] for i, kept in ev.on_time.items() if kept)
    merging = merge_groups(instance, merge) if merge > 0 else []
    if not merging:
        return _split(instance, misses, leaf_s, count_leaf_s, budget_s, threads, seed, on,
                      progress)
    # the instance's own LP first: the merged instance's is weaker (its windows are wider;
    # a newcomer's attack: 6 against 8 weighted misses on v2-poisson-oneplus3-n20-l4-s1,
    # whose 8 the instance's LP certifies at once), and the fall-back reuses its rows
    own = _setup(instance, budget_s)
    if own.lp_bound >= misses:
        return _by_lp(misses, own.lp_bound, t0, progress)
    groups = len(merging)
    first = _split(hull_windows(instance, merging), misses, leaf_s, count_leaf_s,
                   budget_s - (time.perf_counter() - t0), threads, seed, on, progress)
    first.lp_bound = max(first.lp_bound, own.lp_bound)
    first.merged_groups = groups
    if first.schedule is None:  # certified, or open at the end of the budget: its cases
        first.open_cases = [f"{MERGED_TAG}{c}" for c in first.open_cases]  # not the instance's
        return first
    ev = evaluate(instance, first.schedule)
    if ev.feasible and ev.weighted_misses < misses:
        return first  # a schedule of the instance too: the claim is false
    first.fell_back = True
    first.schedule = None
    left = budget_s - (time.perf_counter() - t0)
    if progress is not None:
        progress(f"the merged instance ({groups} groups) has a schedule with "
                 f"{misses - 1} or fewer weighted misses that the instance does not keep: "
                 + ("splitting the instance itself" if left > 0 else
                    "no time left to split the instance itself"))
    if left <= 0:
        first.open_cases = ["(all schedules)"]  # of the instance: nothing of it decided
        first.wall_s = time.perf_counter() - t0
        return first
    second = _split(instance, misses, leaf_s, count_leaf_s, left, threads, seed, on, progress,
                    own)
    second.log = first.log + second.log
    second.lp_bound = max(first.lp_bound, second.lp_bound)
    second.merged_groups = groups
    second.fell_back = True
    second.wall_s = time.perf_counter() - t0
    return second


@dataclass(frozen=True)
class _Setup:
    """What a split of one instance starts from: its job windows, energetic rows, the
    per-cut LP's binding rows, and the weighted misses the LP proves."""

    windows: tuple[JobWindow, ...]
    rows: list[CutRow]
    binding: list[CutRow]
    lp_bound: int


def _setup(instance: Instance, budget_s: float) -> _Setup:
    """The rows and their LP within :data:`SETUP_SHARE` of ``budget_s`` (a newcomer's
    attack: on 300 jobs they took 70 s of a 5 s limit; fewer rows are still valid rows).
    The LP is exact (its duals certify it); without rows, or without time for it, the
    bound is the weight of the jobs with no cut inside their window."""
    t0 = time.perf_counter()
    windows = job_windows(instance)
    rows = cut_energy_rows(windows, extra_starts=False,
                           deadline=t0 + SETUP_SHARE / 2 * budget_s)
    total = instance.total_weight
    bound = total - sum(w.job.weight for w in windows if w.cuts)  # never on time
    binding: list[CutRow] = []
    lp_s = t0 + SETUP_SHARE * budget_s - time.perf_counter()
    if rows and lp_s > 0:
        with native_stdout_silenced():  # HiGHS' banner on fd 1
            lp = cut_lp_bound(instance, windows=windows, rows=rows,
                              time_limit_s=min(60.0, lp_s), branch=False)
        binding = list(lp.binding)
        bound = max(bound, total - lp.upper_bound)
    return _Setup(windows, rows, binding, bound)


def _by_lp(misses: int, bound: int, t0: float,
           progress: Callable[[str], None] | None) -> CaseSplitResult:
    """Certified by the LP alone: every schedule in the window refuted, no case needed."""
    if progress is not None:
        progress(f"the per-cut LP proves >= {bound} weighted misses")
    return CaseSplitResult(misses=misses, certified=True, schedule=None, open_cases=[],
                           wall_s=time.perf_counter() - t0, lp_bound=bound)


def _split(instance: Instance, misses: int, leaf_s: float, count_leaf_s: float,
           budget_s: float, threads: int, seed: int, on: frozenset[int] | None,
           progress: Callable[[str], None] | None,
           setup: _Setup | None = None) -> CaseSplitResult:
    """:func:`case_split` on one instance, no merging (``setup``: its rows and LP, when
    computed already)."""
    t0 = time.perf_counter()
    t_stop = t0 + budget_s
    total = instance.total_weight
    lo_t = max(0, total - misses + 1)  # above total: no schedule misses that much
    hi_t = lo_t + max((j.weight for j in instance.jobs), default=1) - 1
    result = CaseSplitResult(misses=misses, certified=lo_t > total, schedule=None,
                             open_cases=[])
    if result.certified:
        return result
    if setup is None:
        setup = _setup(instance, budget_s)
    if setup.lp_bound >= misses:
        return _by_lp(misses, setup.lp_bound, t0, progress)
    result.lp_bound = setup.lp_bound  # a split that stays open still has it
    windows = setup.windows
    # one model with the rows and symmetry rows; each case adds its rows to a clone of it
    # (rebuilding it took 0.16 s of a 0.8 s case on v2-poisson-redmi-n40-l4-s3-w)
    base = model_with_rows(instance, pick_rows(setup.rows, setup.binding, NNZ_BUDGET))
    add_symmetry_rows(base, instance, start_rows=START_ROWS)
    classes = live_classes(instance, windows)

    def first_limit(case: Case) -> float:  # leaf_s once every class count is fixed
        return leaf_s if len(case.counts) == len(classes) else count_leaf_s

    stack = [(Case(), first_limit(Case()))]
    deferred: list[tuple[Case, float]] = []  # fully fixed cases left undecided
    stopped: list[Case] = []  # cut off by the budget (or a stop): open, never retried
    running = _Running()
    pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None
    busy: dict[Future[_Answer], tuple[Case, float]] = {}
    try:
        while stack or deferred or busy:
            left = t_stop - time.perf_counter()
            if not stack and not busy and left > 0:  # only fully fixed ones: twice as long
                stack = [(c, 2 * max(limit, MIN_RETRY_S)) for c, limit in reversed(deferred)]
                deferred = []
            if left <= 0 and not busy:
                break
            done: list[tuple[Case, float, _Answer]] = []
            if pool is None:
                case, limit = stack.pop()
                done.append((case, limit, _decide(instance, base, classes, case, lo_t, hi_t,
                                                  limit, t_stop, seed, running)))
            else:
                while left > 0 and stack and len(busy) < threads:
                    case, limit = stack.pop()
                    busy[pool.submit(_decide, instance, base, classes, case, lo_t, hi_t,
                                     limit, t_stop, seed, running)] = (case, limit)
                finished, _ = wait(busy, return_when=FIRST_COMPLETED)
                done += [(*busy.pop(f), f.result()) for f in finished]
            for case, limit, (status, seconds, found, probed, by, cut) in done:
                text = case.describe(instance, classes)
                case = probed  # its children split the probed case
                result.log.append((text, status, seconds))
                if progress is not None:
                    progress(f"{status:10s} {seconds:7.1f} s  {text}{by}")
                if found is not None:
                    if result.schedule is None:
                        result.schedule = found
                    continue
                if cut:  # stopped by the budget before its own limit: open, not split, and
                    stopped.append(case)  # not retried (with time left to the ms it was)
                elif status != "INFEASIBLE":
                    children = _guided(_children(case, classes, instance, lo_t, hi_t),
                                       classes, on)
                    if not children:  # every class and job fixed, still undecided
                        deferred.append((case, limit))
                    stack.extend((child, first_limit(child)) for child in reversed(children))
            if result.schedule is not None:  # the claim is false: nothing else to decide
                running.stop_all()
                for f in list(busy):
                    busy.pop(f)
                    f.exception()  # waits; their answers do not matter now
                stack, deferred, stopped = [], [], []
                break
    except BaseException:  # Ctrl-C: the cases running in other threads stop too
        running.stop_all()
        raise
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
    result.open_cases += [c.describe(instance, classes)
                          for c in stopped + [c for c, _limit in deferred + stack]]
    result.certified = result.schedule is None and not result.open_cases
    result.wall_s = time.perf_counter() - t0
    return result


_Answer = tuple[str, float, "Schedule | None", Case, str, bool]
"""A case's status, its seconds, the schedule found (if any), the case with the jobs
:func:`probe` fixed missed (its children split that), and who decided it (a suffix for
the progress line), and whether the budget (or a stop) ended it before its own limit."""


class _Running:
    """The CP-SAT solves running now in any thread, to stop them all at once (a worker
    thread's solve does not see a Ctrl-C: :mod:`splitsched.formulations.interruptible`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._solvers: set[cp_model.CpSolver] = set()
        self._stopped = False

    def add(self, solver: cp_model.CpSolver) -> bool:
        """Register ``solver``; False when everything was stopped already (do not solve)."""
        with self._lock:
            if not self._stopped:
                self._solvers.add(solver)
            return not self._stopped

    def remove(self, solver: cp_model.CpSolver) -> None:
        with self._lock:
            self._solvers.discard(solver)

    def stop_all(self) -> None:
        """Stop every solve and return once none is running. A solve registered but not
        yet started ignores ``stop_search`` (ortools 9.15: nothing to stop before
        ``solve`` has set up), so it is asked again every :data:`STOP_RETRY_S` (as
        :mod:`splitsched.formulations.interruptible` does); later ones never start."""
        with self._lock:
            self._stopped = True
        while True:
            with self._lock:
                left = list(self._solvers)
            if not left:
                return
            for solver in left:
                solver.stop_search()
            time.sleep(STOP_RETRY_S)


def _search(instance: Instance, jobs: list[int], nodes: int, t_end: float) -> str:
    """The fixed-set branch and bound's answer on ``jobs`` within ``nodes`` nodes and the
    time left to ``t_end`` (``unknown`` when none is left)."""
    left = t_end - time.perf_counter()
    if left <= 0:
        return UNKNOWN
    return all_on_time(instance, jobs, time_limit_s=left, node_limit=nodes).status


def probe(instance: Instance, case: Case, classes: list[tuple[str, int, list[int]]],
          t_end: float) -> tuple[Case, bool]:
    """``case`` with the open jobs that cannot be on time fixed missed, and whether the
    case is refuted.

    Every schedule of the case has the forced jobs (on time in :func:`settle`) on time. An
    open job that cannot be on time with them (the fixed-set branch and bound refutes the
    set within :data:`PROBE_NODES` nodes, mostly at its root; the :data:`PROBE_JOBS`
    earliest released open jobs are probed) is missed in every schedule of the case,
    which may force the rest of its class on time (its count): repeated until nothing
    changes. Refuted: the forced jobs cannot all be on time (dropping jobs keeps a
    schedule feasible; :data:`PRECHECK_NODES` nodes), or a class has too few jobs left
    for its count."""
    kept: set[tuple[int, ...]] = set()  # sets not refuted: the next round's search is the same

    def refuted(jobs: list[int], nodes: int) -> bool:
        key = tuple(jobs)
        if key in kept:
            return False
        if _search(instance, jobs, nodes, t_end) == INFEASIBLE:
            return True
        kept.add(key)
        return False

    while True:
        decided, ok = settle(case, classes)
        if not ok:
            return case, True  # a count can no longer be met
        forced = sorted(j for j, on in decided.items() if on)
        if forced and refuted(forced, PRECHECK_NODES):
            return case, True
        if len(case.counts) < len(classes):
            return case, False  # a class count open: no job to probe yet
        open_jobs = sorted((j for *_rest, members in classes for j in members
                            if j not in decided), key=lambda i: (instance.jobs[i].release, i))
        missed = [j for j in open_jobs[:PROBE_JOBS]  # the next to split on
                  if refuted(sorted((*forced, j)), PROBE_NODES)]
        if not missed:
            return case, False
        case = Case(case.counts, (*case.jobs, *((j, False) for j in missed)))


def _decide(instance: Instance, base: CpModel, classes: list[tuple[str, int, list[int]]],
            case: Case, lo_t: int, hi_t: int, limit: float, t_stop: float, seed: int,
            running: _Running) -> _Answer:
    """The status of one case, its seconds, the schedule found (if any), and who decided
    it: first :func:`probe` (the fixed-set branch and bound, node limits only), then CP-SAT
    with one worker on the probed case, ``limit`` its deterministic time; both stop at the
    wall-clock time ``t_stop`` (``time.perf_counter``) too.

    The case's rows go into a clone of ``base``: the clone keeps the variable indices, so
    ``base``'s variables name its variables and decode its solution."""
    t = time.perf_counter()
    case, refuted = probe(instance, case, classes, t_stop)
    if refuted:
        return ("INFEASIBLE", time.perf_counter() - t, None, case,
                "  (fixed-set branch and bound)", False)
    m = base.model.clone()
    on_time = {w.index: cp_model.LinearExpr.sum([base.x[w.index, k] for k in w.cuts])
               for w in base.windows if w.cuts}  # classes hold only these jobs
    weight = cp_model.LinearExpr.weighted_sum(list(on_time.values()),
                                              [base.windows[j].job.weight for j in on_time])
    m.add(weight >= lo_t)
    m.add(weight <= hi_t)
    for c, n in case.counts:
        m.add(cp_model.LinearExpr.sum([on_time[j] for j in classes[c][2]]) == n)
    for j, on in case.jobs:
        m.add(on_time[j] == int(on))
    solver = new_solver(max(0.0, t_stop - time.perf_counter()), threads=1, seed=seed)
    solver.parameters.max_deterministic_time = limit
    # the inclusion detection between the energetic rows took 0.6 of a 1.9 s case
    # (v2-poisson-redmi-n40-l4-s3-w) and finds nothing a refutation needs
    solver.parameters.presolve_inclusion_work_limit = 0
    if not running.add(solver):
        return "UNKNOWN", time.perf_counter() - t, None, case, "", True
    try:
        code = solver.solve(m)
    finally:
        running.remove(solver)
    found = decode_cp(base, instance, solver) if code in (cp_model.OPTIMAL,
                                                        cp_model.FEASIBLE) else None
    # CP-SAT may return a few ms before t_stop when its wall-clock limit ends the solve
    # (a newcomer's attack), so "cut off" is read from the work done, not the clock
    cut = code == cp_model.UNKNOWN and solver.deterministic_time < limit - 1e-6
    return solver.status_name(code), time.perf_counter() - t, found, case, "", cut


NAME = "case-split"
PRIMAL_S = 1.0   # dp-ls's search for the first incumbent (its own cap is 1 s too)


@register(NAME, "certifies an incumbent (dp-ls's, or a better schedule a case yields) by "
          "splitting into on-time count cases, each a CP-SAT decision model with energetic "
          "rows, near-identical jobs merged first (a relaxation); for limits of minutes; "
          "open at its limit, it reports the per-cut LP's bound",
          exact=True, uses_warm_start=True,
          start_note="the warm start is the first incumbent whose misses are certified")
def solve_case_split(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                     warm_start: Schedule | None = None) -> SolverOutput:
    """Certify the incumbent's weighted misses by :func:`case_split`.

    The incumbent is the better of ``warm_start`` and dp-ls's search (within
    :data:`PRIMAL_S`). While time is left, :func:`case_split` tries to prove that every
    schedule misses at least the incumbent's weight: all cases refuted is ``optimal``
    with that bound; a case that yields a schedule with fewer misses makes it the
    incumbent and the split starts again; open cases at the limit end the run
    (``timeout``) with the per-cut LP's bound (:attr:`CaseSplitResult.lp_bound`), which
    certifies the incumbent at once where it reaches it.

    Returns
    -------
    SolverOutput
        ``optimal`` with ``bound`` the incumbent's weighted misses when certified, else
        ``timeout`` and ``bound`` the per-cut LP's (None when no round computed it or it
        proves nothing); ``stats``: rounds, cases tried, open cases, groups of
        near-identical jobs merged, whether a round fell back to the instance, the LP's
        bound.
    """
    t_end = time.perf_counter() + time_limit_s
    start_cuts = ({p.job: p.cut for p in warm_start.plans} if warm_start is not None else None)
    cand, _budget, _st = dp_ls_phases(instance, NAME, min(PRIMAL_S, 0.05 * time_limit_s), seed,
                                      start_cuts=start_cuts)
    schedule = cand.schedule
    misses = evaluate(instance, schedule).weighted_misses
    stats: dict[str, Any] = {"rounds": 0, "cases": 0, "open_cases": 0, "primal_misses": misses}
    status = "timeout"
    while (left := t_end - time.perf_counter()) > 0:
        stats["rounds"] += 1
        res = case_split(instance, misses, leaf_s=min(LEAF_S, left),
                         count_leaf_s=min(COUNT_LEAF_S, left), budget_s=left,
                         threads=threads, seed=seed, guide=schedule)
        stats["cases"] += len(res.log)
        stats["open_cases"] = len(res.open_cases)
        stats["merged_groups"] = res.merged_groups
        stats["fell_back"] = res.fell_back or stats.get("fell_back", False)
        stats["lp_bound"] = max(res.lp_bound, stats.get("lp_bound", 0))
        if res.certified:
            status = "optimal"
            break
        if res.schedule is None:
            break
        ev = evaluate(instance, res.schedule)
        if not ev.feasible or ev.weighted_misses >= misses:  # never: the model is exact
            stats["error"] = "a case's schedule is not better than the incumbent"
            break
        schedule, misses = res.schedule, ev.weighted_misses
    schedule = Schedule(instance_id=schedule.instance_id, solver=NAME, plans=schedule.plans)
    lp = stats.get("lp_bound", 0)
    bound = float(misses) if status == "optimal" else (float(lp) if lp > 0 else None)
    return SolverOutput(schedule=schedule, status=status, bound=bound, stats=stats)
