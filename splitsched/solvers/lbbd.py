"""``lbbd``: logic-based Benders decomposition over the accepted set.

The problem splits into *which jobs are on time* (the master) and *can this
set all be on time* (the subproblem):

* **Master** (CP-SAT, one 0/1 variable ``y_j`` per job): maximise the accepted
  weight subject to the energetic rows of
  :mod:`splitsched.formulations.bounds` (valid for every schedule) and to the
  cuts learnt so far, and to ``sum w_j y_j >= incumbent + 1``. Its optimum is
  an upper bound on the on-time weight; if it has no solution, the incumbent
  is optimal. The model is built once and extended; the energetic rows
  enter lazily (the LP's binding rows and the most loaded first, then those
  an answer violates). Before the first solve, the master's LP relaxation
  (:func:`splitsched.formulations.bounds.lp_bound`, certified in exact
  arithmetic) gives a bound that stands even if no master solve finishes;
  CP-SAT's objective bound counts only with a solution (FEASIBLE/OPTIMAL),
  never after UNKNOWN.
* **Subproblem** for the master's set S, split into *blocks* where no job
  window ``[r, d]`` crosses (the blocks share no processor time and are
  checked alone, smallest first). Per block: first the paper's DP recursion
  with no drop option in EDF order on both processors (Pareto labels of GPU
  and CPU free times), then an order search that moves the job where the DP
  fails a few places up (or an earlier job after it); a surviving label is a
  schedule. Otherwise the exact branch and bound of
  :mod:`splitsched.solvers.feasibility` (chronological, energetic pruning,
  dominance between partial schedules) within a small node and time budget;
  for a block whose jobs are all released together and with
  ``SAME_RELEASE_DP`` set (off by default, see there), then the subset DP of
  :func:`splitsched.solvers.feasibility.same_release_check` (every common
  order, lags relaxed so that common orders suffice: its refutation is a
  proof); if these run out, the exact CP-SAT model of
  :mod:`splitsched.formulations.cp` on the block alone, every job forced on
  time, plus per-processor energetic rows over the cut literals (redundant,
  for CP-SAT's LP) and symmetry rows (interchangeable jobs, same network and
  release, complete in deadline order). A schedule for every block makes S
  the optimum. An INFEASIBLE block is turned into a small subset C that is
  itself proven infeasible: a binary search for the shortest infeasible
  prefix in EDF order, then a deletion filter (drop a job, re-check, keep
  the drop if still INFEASIBLE); a proof on a smaller block replaces the set.
* **Cut**: ``sum_{j in C} y_j <= |C| - 1``. It is valid for every schedule
  because a schedule keeping all of C on time would, with every other job
  dropped, put all of C on time (dropping a job never delays another). For
  each job of C, the same cut with that job replaced by a job of the same
  network that is released no earlier and due no later (no easier to fit) is
  valid too, and is added.

Only a proof ever makes a cut: the branch and bound's refutation, an
INFEASIBLE answer of CP-SAT, or a job with no cut that can meet its deadline. A subproblem that runs
out of time gives a no-good on exactly S (``sum_{S} y - sum_{not S} y <=
|S| - 1``), which removes only S itself; such a set's weight is kept aside and
the reported bound is never below it.

Status ``optimal`` only when the master proves that nothing beats the
incumbent; the bound (weighted misses) is total weight minus the smallest
proven master bound (or minus the heaviest unresolved set, if larger).
Searching the accepted set rather than the schedule is the classic split of
Hooker and Ottosson ("Logic-based Benders decomposition", Math. Prog. 2003)
and Hooker ("Planning and scheduling by logic-based Benders decomposition",
Oper. Res. 2007).
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

from splitsched.evaluate import evaluate
from splitsched.formulations import JobWindow, job_windows
from splitsched.formulations.bounds import (
    CutRow,
    EnergyRow,
    cut_energy_rows,
    energy_rows,
    lp_bound,
)
from splitsched.formulations.cp import build_cp, completion_var, new_solver, proven_objective_bound
from splitsched.problem import Instance, Job, JobPlan, Schedule, edf_key
from splitsched.solvers.base import SolverOutput, all_dropped, register
from splitsched.solvers.cpsat import add_hint, decode_cp
from splitsched.solvers.dp import solve_dp_edf
from splitsched.solvers.exact import native_stdout_silenced
from splitsched.solvers.feasibility import (
    FEASIBLE,
    INFEASIBLE,
    FeasibilityResult,
    all_on_time,
    same_release_check,
)
from splitsched.solvers.timing import earliest_schedule

NAME = "lbbd"
DP_SHARE = 0.2        # share of the limit the dp-edf incumbent may use
CORE_SHARE = 0.1      # share of the time left one core-shrinking check may use
CHECK_LIMIT_S = 2.0   # ... and at most this
MIN_CHECK_S = 0.02
LIFT_LIMIT = 40       # lifted copies per core
HINT_SUB = False      # hinting the subproblem with the incumbent slowed its proofs
ORDER_TRIES = 60      # DP runs of the order search before CP-SAT
MOVE_SPAN = 6         # places a failing job may move up in the order search
ROWS_SHARE = 0.25     # share of the limit that building master rows may use
# The exact branch and bound of solvers/feasibility.py gets a small budget before CP-SAT:
# measured with scripts/subproblem_compare.py on demo's subproblems (2 s each, load ~7),
# it decided 14 of 17 (CP-SAT 16), 6 of them at its root node (0.00-0.05 s against
# CP-SAT's 0.05-0.19 s), but needed 0.1-2.5 s or more where CP-SAT took 0.07-1.7 s.
BB_MAX_JOBS = 24       # blocks larger than this skip it: it decided none of the blocks it
                       # was given on the heavy n40/n80 reference instances (the largest
                       # it decided: 11 jobs, on demo); a node of a 40-80 job block took
                       # 2-85 ms
BB_SHARE = 0.5         # share of a subproblem's limit the branch and bound may use
BB_LIMIT_S = 0.1       # ... and at most this
BB_NODES = 200         # node limit of one branch-and-bound run
LP_SHARE = 0.2        # share of the time left that the master's LP relaxation may use
SUB_ROWS_SHARE = 0.3  # share of a CP-SAT subproblem's limit for building its energetic rows
LAZY_FIRST = 50       # master rows added at once (beside the LP's binding rows), by load
LAZY_BATCH = 50       # violated master rows added per lazy round
# The subset DP for blocks released together (feasibility.same_release_check) is off: on
# the v2 batch sets (hybrid, 30 s, 2 threads, 2-core machine under load) it certified no
# instance more, and with it hybrid took 11.8-12.5 s instead of 3.1-5.4 s on
# v2-batch-mi9-n20-l4-s2 (its share of the Benders phase); on the subproblems of
# v2-batch-vivo_z3-n40-l4-s1 it refuted sets of 14-16 jobs in 0.5 s where the branch and
# bound ran out after 5 s, but larger sets took it past its budget.
SAME_RELEASE_DP = False
SR_SHARE = 0.7        # share of a subproblem's limit for the subset DP (one common release)
SR_LIMIT_S = 3.0      # ... and at most this


@dataclass
class _State:
    instance: Instance
    windows: tuple[JobWindow, ...]
    t_end: float
    seed: int
    threads: int
    best_weight: int = 0
    best_schedule: Schedule | None = None
    cuts: list[tuple[int, ...]] = field(default_factory=list)
    cut_keys: set[tuple[int, ...]] = field(default_factory=set)
    nogoods: list[tuple[int, ...]] = field(default_factory=list)
    unresolved_weight: int = 0
    stats: dict[str, Any] = field(default_factory=dict)
    upper: int | None = None     # proven upper bound on the on-time weight, once known
    binding_rows: list[EnergyRow] = field(default_factory=list)  # the LP's binding rows

    def left(self) -> float:
        return self.t_end - time.perf_counter()

    def weight(self, jobs: tuple[int, ...]) -> int:
        return sum(self.instance.jobs[j].weight for j in jobs)

    def bump(self, key: str, by: float = 1) -> None:
        self.stats[key] = self.stats.get(key, 0) + by


# ------------------------------------------------------------------ subproblem
def sub_instance(instance: Instance, jobs: tuple[int, ...]) -> Instance:
    """The instance with only ``jobs`` (indices into ``instance.jobs``, kept in that order)
    and the networks they run."""
    picked = tuple(instance.jobs[j] for j in jobs)
    nets = {j.network for j in picked}
    return Instance(id=f"{instance.id}/sub", networks=tuple(n for n in instance.networks
                                                            if n.name in nets), jobs=picked)


def _front(g: np.ndarray, c: np.ndarray, cut: np.ndarray, parent: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 2-D Pareto front of (GPU free, CPU free), one copy of duplicates."""
    order = np.lexsort((c, g))
    g, c, cut, parent = g[order], c[order], cut[order], parent[order]
    best_before = np.minimum.accumulate(np.r_[np.iinfo(np.int64).max, c[:-1]])
    keep = c < best_before
    return g[keep], c[keep], cut[keep], parent[keep]


def _order_all_on_time(st: _State, order: list[Job]) -> tuple[Schedule | None, int]:
    """Keep every job of ``order`` on time with both processors in this order, if possible.

    The dp-edf recursion with no drop option: labels (GPU free, CPU free),
    Pareto-filtered after each job; a zero-length stage occupies nothing.
    Returns a schedule if some label survives every job, else None and the
    position of the first job no label could keep on time (None proves
    nothing outside this order).
    """
    inst = st.instance
    g = np.zeros(1, dtype=np.int64)
    c = np.zeros(1, dtype=np.int64)
    steps: list[tuple[np.ndarray, np.ndarray]] = []
    for pos, job in enumerate(order):
        stg = inst.stages_of(job)
        last = stg.num_layers
        r, d = job.release, job.deadline
        cuts = np.flatnonzero(r + stg.isolated <= d)
        a, h, b = stg.a[cuts][None, :], stg.h[cuts][None, :], stg.b[cuts][None, :]
        k = cuts[None, :]
        gpu_busy, cpu_busy = stg.gpu_busy[cuts][None, :], stg.cpu_busy[cuts][None, :]
        gpu_end = np.where(gpu_busy, np.maximum(g[:, None], r) + a, r)
        g_new = np.where(gpu_busy, gpu_end, g[:, None])
        ready = np.where(k == 0, r, gpu_end + h)
        cpu_end = np.where(cpu_busy, np.maximum(c[:, None], ready) + b, ready)
        c_new = np.where(cpu_busy, cpu_end, c[:, None])
        finish = np.where(k == last, gpu_end, cpu_end)
        par, col = np.nonzero(finish <= d)
        if len(par) == 0:
            return None, pos
        g, c, cut, parent = _front(g_new[par, col], c_new[par, col], cuts[col], par)
        steps.append((cut, parent))
    cuts_of: dict[str, int | None] = {j.id: None for j in inst.jobs}
    idx = 0
    for job, (cut, parent) in zip(reversed(order), reversed(steps), strict=True):
        cuts_of[job.id] = int(cut[idx])
        idx = int(parent[idx])
    chosen = {j.id: int(cuts_of[j.id] or 0) for j in order}
    gpu_order = [j.id for j in order if chosen[j.id] > 0]
    cpu_order = [j.id for j in order if chosen[j.id] < inst.stages_of(j).num_layers]
    sched = earliest_schedule(inst, NAME, cuts_of, gpu_order, cpu_order)
    ok = _on_time_weight(inst, sched) == sum(j.weight for j in order)
    return (sched, len(order)) if ok else (None, 0)


def _edf_all_on_time(st: _State, jobs: tuple[int, ...]) -> Schedule | None:
    """:func:`_order_all_on_time` in EDF order (deadline, release, id)."""
    order = sorted((st.instance.jobs[j] for j in jobs), key=edf_key)
    return _order_all_on_time(st, order)[0]


def _order_search(st: _State, jobs: tuple[int, ...], tries: int) -> Schedule | None:
    """Look for one common order on both processors that keeps every job on time.

    A heuristic (finds schedules, proves nothing): start from EDF order; when
    the order's DP (:func:`_order_all_on_time`) first fails at a job, move that
    job up to ``MOVE_SPAN`` places earlier, or one of the ``MOVE_SPAN`` jobs
    before it to just after it, and keep the move that gets the DP furthest
    (ties: the first tried); at most ``tries`` DP runs.
    """
    inst = st.instance
    order = sorted((inst.jobs[j] for j in jobs), key=edf_key)
    found, reached = _order_all_on_time(st, order)
    runs = 1
    seen = {tuple(j.id for j in order)}
    while found is None and runs < tries:
        best: tuple[int, list[Job]] | None = None
        job = order[reached]
        lo = max(0, reached - MOVE_SPAN)
        # the failing job moved up, or an earlier job moved just after it
        cands = [[*order[:q], job, *order[q:reached], *order[reached + 1:]]
                 for q in range(reached - 1, lo - 1, -1)]
        cands += [[*order[:q], *order[q + 1:reached + 1], order[q], *order[reached + 1:]]
                  for q in range(reached - 1, lo - 1, -1)]
        for cand in cands:
            key = tuple(j.id for j in cand)
            if key in seen or runs >= tries or st.left() < MIN_CHECK_S:
                continue
            seen.add(key)
            runs += 1
            sched, got = _order_all_on_time(st, cand)
            if sched is not None:
                st.bump("order_search_found")
                return sched
            if got > reached and (best is None or got > best[0]):
                best = (got, cand)
        if best is None:
            break
        reached, order = best
    return found


def _on_time_weight(instance: Instance, schedule: Schedule) -> int:
    return instance.total_weight - evaluate(instance, schedule).weighted_misses


@dataclass(frozen=True)
class _SubAnswer:
    status: str                  # "feasible" | "infeasible" | "unknown"
    schedule: Schedule | None = None
    subset: tuple[int, ...] = ()  # "infeasible": a subset of the checked jobs proven infeasible


def _symmetry_rows(cp: Any, sub: Instance) -> int:
    """Order the completions of interchangeable jobs by deadline; returns the rows added.

    Two jobs of one network released together can swap their whole plans (cut
    and start times): every rule sees only the stage table and the release.
    Given a schedule where all of them are on time, handing their plans out by
    completion, earliest to the job due first, keeps every one on time (the
    k-th earliest completion is at most the k-th earliest deadline). So
    requiring ``completion_i <= completion_j`` for ``d_i <= d_j`` (ties by
    index) removes no answer to "can all be on time". Completion is the CPU
    stage's end for a cut with a CPU stage, else the GPU stage's end.
    """
    model = cp.model
    groups: dict[tuple[str, int], list[int]] = {}
    for w in cp.windows:
        if w.cuts:
            groups.setdefault((w.job.network, w.release), []).append(w.index)
    added = 0
    comp: dict[int, Any] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda j: (sub.jobs[j].deadline, j))
        for j in members:
            comp[j] = completion_var(cp, j, f"comp_{j}")
        for i, j in itertools.pairwise(members):
            model.add(comp[i] <= comp[j])
            added += 1
    return added


def _cp_check(st: _State, jobs: tuple[int, ...], limit: float) -> _SubAnswer:
    """Can every job of ``jobs`` be on time? The CP-SAT model with every job forced.

    The model of :func:`splitsched.formulations.cp.build_cp` on these jobs
    alone, one cut forced per job, plus the per-processor energetic rows of
    :func:`splitsched.formulations.bounds.cut_energy_rows` (redundant: valid
    for every schedule, they only give CP-SAT's LP the energy view) and the
    symmetry rows of :func:`_symmetry_rows`.
    """
    inst = st.instance
    sub = sub_instance(inst, jobs)
    cp = build_cp(sub)
    model = cp.model
    model.clear_objective()
    for w in cp.windows:
        model.add_exactly_one(cp.x[w.index, k] for k in w.cuts)
    now, limit = time.perf_counter(), min(limit, st.left())
    stop = now + limit  # building counts against the limit
    rows_stop = now + SUB_ROWS_SHARE * limit
    for row in cut_energy_rows(cp.windows, extra_starts=False, deadline=rows_stop):
        if time.perf_counter() > rows_stop:  # the rows are redundant: fewer is still exact
            break
        model.add(cp_model.LinearExpr.weighted_sum(
            [cp.x[int(j), int(k)] for j, k in zip(row.job, row.cut, strict=True)],
            row.coef.tolist()) <= row.capacity)
    st.bump("symmetry_rows", _symmetry_rows(cp, sub))
    if HINT_SUB and st.best_schedule is not None:
        add_hint(cp, st.best_schedule)
    limit = min(stop - time.perf_counter(), st.left())
    if limit < MIN_CHECK_S:
        return _SubAnswer("unknown")
    solver = new_solver(limit, threads=st.threads, seed=st.seed)
    code = solver.solve(model)
    st.bump("sub_cp_solves")
    st.bump("sub_cp_s", solver.wall_time)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        local = decode_cp(cp, sub, solver)
        plans = {p.job: p for p in local.plans}
        full = tuple(plans.get(j.id) or _dropped(j) for j in inst.jobs)
        sched = Schedule(instance_id=inst.id, solver=NAME, plans=full)
        if _on_time_weight(inst, sched) == st.weight(jobs):
            return _SubAnswer("feasible", schedule=sched)
        return _SubAnswer("unknown")  # never trust a decoded schedule that misses
    if code == cp_model.INFEASIBLE:
        return _SubAnswer("infeasible", subset=jobs)
    return _SubAnswer("unknown")


def _dropped(job: Job) -> JobPlan:
    return JobPlan(job=job.id, cut=None)


def _blocks(st: _State, jobs: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Split ``jobs`` where no window ``[r, d]`` crosses: the parts never interact.

    Every stage of a job on time lies inside ``[r, d]``, so if every job of one
    part is due by the time every job of the next part is released, the parts
    share no processor time and each can be checked alone.
    """
    inst = st.instance
    order = sorted(jobs, key=lambda j: (inst.jobs[j].release, inst.jobs[j].deadline))
    blocks: list[list[int]] = []
    reach = None
    for j in order:
        job = inst.jobs[j]
        if reach is None or job.release >= reach:
            blocks.append([])
            reach = job.deadline
        blocks[-1].append(j)
        reach = max(reach, job.deadline)
    return [tuple(sorted(b)) for b in blocks]


def _check_block(st: _State, jobs: tuple[int, ...], limit: float) -> _SubAnswer:
    """One block: EDF-order DP and order search first (cheap, prove feasibility only),
    then the exact branch and bound on a small budget, then CP-SAT if still undecided."""
    if any(not st.windows[j].cuts for j in jobs):
        bad = next(j for j in jobs if not st.windows[j].cuts)
        return _SubAnswer("infeasible", subset=(bad,))
    found = _order_search(st, jobs, ORDER_TRIES)
    if found is not None:
        return _SubAnswer("feasible", schedule=found)
    t0 = time.perf_counter()
    if len(jobs) <= BB_MAX_JOBS:
        ans = _bb_check(st, jobs, limit)
        if ans.status != "unknown":
            return ans
    if SAME_RELEASE_DP and len({st.instance.jobs[j].release for j in jobs}) == 1:
        ans = _same_release_check(st, jobs, limit - (time.perf_counter() - t0))
        if ans.status != "unknown":
            return ans
    ans = _cp_check(st, jobs, limit - (time.perf_counter() - t0))
    st.bump(f"sub_cp_{ans.status}")
    return ans


def _sub_answer(st: _State, jobs: tuple[int, ...], res: FeasibilityResult) -> _SubAnswer:
    """A feasibility test's verdict on ``jobs`` as a subproblem answer.

    A "feasible" schedule counts only if it really keeps every job on time.
    """
    if res.status == FEASIBLE and res.schedule is not None:
        if _on_time_weight(st.instance, res.schedule) == st.weight(jobs):
            return _SubAnswer("feasible", schedule=res.schedule)
        return _SubAnswer("unknown")  # never trust a schedule that misses
    if res.status == INFEASIBLE:
        return _SubAnswer("infeasible", subset=jobs)
    return _SubAnswer("unknown")


def _same_release_check(st: _State, jobs: tuple[int, ...], limit: float) -> _SubAnswer:
    """The subset DP of :func:`splitsched.solvers.feasibility.same_release_check` (jobs
    released together only), within ``SR_SHARE`` of ``limit``."""
    t0 = time.perf_counter()
    budget = min(SR_SHARE * limit, SR_LIMIT_S, st.left())
    if budget < MIN_CHECK_S:
        return _SubAnswer("unknown")
    res = same_release_check(st.instance, jobs, time_limit_s=budget, solver=NAME)
    st.bump(f"sub_sr_{res.status}")
    st.bump("sub_sr_s", time.perf_counter() - t0)
    return _sub_answer(st, jobs, res)


def _bb_check(st: _State, jobs: tuple[int, ...], limit: float) -> _SubAnswer:
    """The exact branch and bound of :mod:`splitsched.solvers.feasibility`, within
    ``BB_SHARE`` of ``limit`` (at most ``BB_LIMIT_S``) and ``BB_NODES`` nodes."""
    t0 = time.perf_counter()
    budget = min(BB_LIMIT_S, BB_SHARE * limit, st.left())
    if budget < MIN_CHECK_S:
        return _SubAnswer("unknown")
    res = all_on_time(st.instance, jobs, time_limit_s=budget, node_limit=BB_NODES,
                      solver=NAME)
    st.bump("sub_bb_calls")
    st.bump(f"sub_bb_{res.status}")
    st.bump("sub_bb_nodes", res.nodes)
    st.bump("sub_bb_s", time.perf_counter() - t0)
    return _sub_answer(st, jobs, res)


def _check(st: _State, jobs: tuple[int, ...], limit: float) -> _SubAnswer:
    """Can every job of ``jobs`` be on time? Block by block (:func:`_blocks`).

    Blocks are checked smallest first; an infeasible block is the answer (its
    jobs are the proven subset), an unknown block makes the answer unknown
    unless a later block is proven infeasible.
    """
    if not jobs:
        return _SubAnswer("feasible")
    t_end = time.perf_counter() + limit
    plans: dict[str, JobPlan] = {}
    unknown = False
    for block in sorted(_blocks(st, jobs), key=len):
        ans = _check_block(st, block, t_end - time.perf_counter())
        if ans.status == "infeasible":
            return ans
        if ans.status == "unknown" or ans.schedule is None:
            unknown = True
            continue
        ids = {st.instance.jobs[j].id for j in block}
        plans.update((p.job, p) for p in ans.schedule.plans if p.job in ids)
    if unknown:
        return _SubAnswer("unknown")
    inst = st.instance
    sched = Schedule(instance_id=inst.id, solver=NAME,
                     plans=tuple(plans.get(j.id) or _dropped(j) for j in inst.jobs))
    if _on_time_weight(inst, sched) != st.weight(jobs):
        return _SubAnswer("unknown")
    return _SubAnswer("feasible", schedule=sched)


def _check_limit(st: _State) -> float:
    return min(CHECK_LIMIT_S, CORE_SHARE * max(st.left(), 0.0))


def _core(st: _State, infeasible: tuple[int, ...]) -> tuple[int, ...]:
    """A small subset of a proven-infeasible set that is itself proven infeasible.

    The jobs in EDF order; a binary search finds the shortest EDF prefix
    proven infeasible (prefixes nest, so infeasibility is monotone in the
    length), then a deletion filter drops every job whose removal keeps the
    rest proven infeasible. Each proof may name a smaller infeasible subset
    (one block, :func:`_check`), which then replaces the current set. A check
    that runs out of time counts as "not proven": the job stays, so the
    answer is always proven infeasible.
    """
    inst = st.instance
    order = sorted(infeasible, key=lambda j: edf_key(inst.jobs[j]))
    current = list(order)
    lo, hi = 1, len(order)  # prefix of length hi is proven infeasible
    while lo < hi:
        mid = (lo + hi) // 2
        limit = _check_limit(st)
        if limit < MIN_CHECK_S:
            break
        ans = _check(st, tuple(sorted(order[:mid])), limit)
        if ans.status == "infeasible":
            hi = mid
            current = [j for j in order if j in set(ans.subset)]
        else:
            lo = mid + 1
    if len(current) > hi:
        current = order[:hi]
    for j in list(reversed(current)):
        if j not in current or len(current) == 1:
            continue
        limit = _check_limit(st)
        if limit < MIN_CHECK_S:
            break
        ans = _check(st, tuple(sorted(set(current) - {j})), limit)
        if ans.status == "infeasible":
            keep = set(ans.subset)
            current = [i for i in current if i in keep]
    return tuple(sorted(current))


def _harder(st: _State, j: int) -> list[int]:
    """Jobs no easier than j to fit: same network, released no earlier, due no later."""
    a = st.instance.jobs[j]
    return [i for i, b in enumerate(st.instance.jobs)
            if i != j and b.network == a.network and b.release >= a.release
            and b.deadline <= a.deadline and st.windows[i].cuts]


def _add_cut(st: _State, core: tuple[int, ...]) -> None:
    key = tuple(sorted(core))
    if key not in st.cut_keys:
        st.cut_keys.add(key)
        st.cuts.append(key)
    lifted = 0
    for j in core:
        for i in _harder(st, j):
            if i in core or lifted >= LIFT_LIMIT:
                continue
            alt = tuple(sorted((set(core) - {j}) | {i}))
            if alt not in st.cut_keys:
                st.cut_keys.add(alt)
                st.cuts.append(alt)
                lifted += 1
    st.bump("lifted_cuts", lifted)


# ---------------------------------------------------------------------- master
@dataclass(frozen=True)
class _MasterAnswer:
    status: str                 # "optimal" | "infeasible" | "unknown"
    accepted: tuple[int, ...] = ()
    bound: int | None = None    # proven upper bound on the weight of any allowed set


class _Master:
    """The master model, built once and extended: rows first, then cuts and no-goods as learnt.

    Building the rows is the expensive part (thousands of rows on the n = 80
    sets: seconds in Python), so it happens once; each solve adds only the
    cuts and no-goods learnt since the last one and moves the objective's
    window to ``[incumbent + 1, proven upper bound]``.
    """

    def __init__(self, st: _State, rows: list[EnergyRow], deadline: float,
                 cut_rows: list[CutRow]) -> None:
        n = st.instance.num_jobs
        self.model = cp_model.CpModel()
        self.y = [self.model.new_bool_var(f"y{j}") for j in range(n)]
        for w in st.windows:
            if not w.cuts:
                self.model.add(self.y[w.index] == 0)
        # rows over the cut choice: x[j, k] for the jobs they name, y_j = sum_k x[j, k]
        x: dict[tuple[int, int], cp_model.IntVar] = {}
        for j in sorted({int(j) for row in cut_rows for j in row.job}):
            cuts = st.windows[j].cuts
            for k in cuts:
                x[j, k] = self.model.new_bool_var(f"x{j}_{k}")
            self.model.add(self.y[j] == sum(x[j, k] for k in cuts))
        for crow in cut_rows:
            self.model.add(cp_model.LinearExpr.weighted_sum(
                [x[int(j), int(k)] for j, k in zip(crow.job, crow.cut, strict=True)],
                crow.coef.tolist()) <= crow.capacity)
        # Energetic rows lazily: the LP's binding rows and the most loaded ones first, the
        # rest only once a master answer violates them (a master with fewer rows is a
        # relaxation: its bound stands). Solving with all of them took 10 s and more.
        self.complete = True
        self.deadline = deadline
        self.rows = rows
        self.matrix = (np.stack([r.coef for r in rows]) if rows
                       else np.zeros((0, n), dtype=np.int64))
        self.caps = np.array([r.capacity for r in rows], dtype=np.int64)
        self.pending = np.ones(len(rows), dtype=bool)
        binding = {id(r) for r in st.binding_rows}
        first = [i for i, r in enumerate(rows) if id(r) in binding]
        load = self.matrix.sum(axis=1) / np.maximum(self.caps, 1)
        first += [int(i) for i in np.argsort(-load)[:LAZY_FIRST] if int(i) not in first]
        self._add_rows(first)
        total = sum(w.job.weight for w in st.windows if w.cuts)
        self.objective = self.model.new_int_var(0, max(total, 0), "accepted_weight")
        self.model.add(self.objective == cp_model.LinearExpr.weighted_sum(
            self.y, [job.weight for job in st.instance.jobs]))
        self.model.maximize(self.objective)
        self.cuts_added = 0
        self.nogoods_added = 0

    def _add_rows(self, ids: list[int]) -> None:
        for i in ids:
            if time.perf_counter() > self.deadline:
                self.complete = False  # fewer rows: still a valid (weaker) master
                break
            row = self.rows[i]
            nz = np.flatnonzero(row.coef)
            self.model.add(cp_model.LinearExpr.weighted_sum([self.y[j] for j in nz],
                                                             row.coef[nz].tolist())
                           <= row.capacity)
            self.pending[i] = False

    def add_violated(self, accepted: tuple[int, ...]) -> int:
        """Add the pending rows that ``accepted`` violates (most violated first, at most
        ``LAZY_BATCH``); returns how many were added."""
        if not self.pending.any() or not accepted:
            return 0
        used = self.matrix[:, list(accepted)].sum(axis=1)
        excess = np.where(self.pending, (used - self.caps) / np.maximum(self.caps, 1), 0.0)
        viol = np.flatnonzero(excess > 0)
        ids = viol[np.argsort(-excess[viol])][:LAZY_BATCH].tolist()
        self._add_rows(ids)
        return len(ids)

    def sync(self, st: _State) -> None:
        for cut in st.cuts[self.cuts_added:]:
            self.model.add(sum(self.y[j] for j in cut) <= len(cut) - 1)
        self.cuts_added = len(st.cuts)
        n = len(self.y)
        for good in st.nogoods[self.nogoods_added:]:
            inside = set(good)
            self.model.add(sum(self.y[j] for j in good)
                           - sum(self.y[j] for j in range(n) if j not in inside)
                           <= len(good) - 1)
        self.nogoods_added = len(st.nogoods)
        domain = self.objective.proto.domain  # [lo, hi]: created by new_int_var
        lo = st.best_weight + 1
        hi = min(int(domain[1]), st.upper) if st.upper is not None else int(domain[1])
        domain[0], domain[1] = lo, max(lo, hi)
        if lo > hi:  # nothing can beat the incumbent: make the model infeasible
            self.model.add_bool_or([])


def _solve_master(st: _State, master: _Master, hint: tuple[int, ...]) -> _MasterAnswer:
    n = st.instance.num_jobs
    master.sync(st)
    model, y = master.model, master.y
    model.clear_hints()
    hint_set = set(hint)
    for j in range(n):
        model.add_hint(y[j], j in hint_set)
    left = st.left()
    if left < MIN_CHECK_S:
        return _MasterAnswer("unknown")
    solver = new_solver(left, threads=st.threads, seed=st.seed)
    code = solver.solve(model)
    st.bump("master_solves")
    st.bump("master_s", solver.wall_time)
    if code == cp_model.INFEASIBLE:
        return _MasterAnswer("infeasible", bound=st.best_weight)
    if code == cp_model.OPTIMAL:
        acc = tuple(j for j in range(n) if solver.boolean_value(y[j]))
        return _MasterAnswer("optimal", acc, round(solver.objective_value))
    # Without a solution CP-SAT's bound is no proof (proven_objective_bound); the LP
    # bound of run_lbbd stands in for it then.
    bound = proven_objective_bound(solver, code)
    if bound is not None:
        return _MasterAnswer("unknown", bound=math.floor(bound + 1e-6))
    return _MasterAnswer("unknown")


# ---------------------------------------------------------------------- solver
def _incumbent(instance: Instance, limit: float, seed: int,
               warm_start: Schedule | None) -> tuple[int, Schedule]:
    """The starting incumbent: the harness's warm start (its kept jobs are on time by
    contract), else dp-edf's schedule computed here (when called outside the harness)."""
    if warm_start is not None:
        weight = sum(instance.jobs[instance.job_index[p.job]].weight
                     for p in warm_start.plans if p.cut is not None)
        return weight, dataclasses.replace(warm_start, solver=NAME)
    dp = solve_dp_edf(instance, time_limit_s=max(limit, 1e-3), seed=seed, threads=1)
    best = dp.schedule
    assert best is not None
    weight = _on_time_weight(instance, best) if evaluate(instance, best).feasible else 0
    if weight == 0:
        best = all_dropped(instance, NAME)
    return weight, dataclasses.replace(best, solver=NAME)


def _on_time_jobs(instance: Instance, schedule: Schedule) -> tuple[int, ...]:
    ev = evaluate(instance, schedule)
    return tuple(i for i, j in enumerate(instance.jobs) if ev.on_time[j.id])


def run_lbbd(instance: Instance, *, t_end: float, seed: int, threads: int,
             warm_start: Schedule | None, rows_until: float,
             windows: tuple[JobWindow, ...] | None = None,
             cut_rows: list[CutRow] | None = None,
             upper_bound: int | None = None) -> tuple[_State, int]:
    """The Benders loop until proven or ``t_end`` (a ``time.perf_counter()`` value).

    Returns the state (incumbent, learnt cores in ``cuts``, stats) and a
    proven upper bound on the on-time weight of every schedule (equal to
    the incumbent's weight when optimality is proven). Master rows are built
    until ``rows_until`` at the latest. ``cut_rows`` (per-processor rows over
    the cut choice, :func:`splitsched.formulations.bounds.cut_energy_rows`)
    are added to the master over cut variables of their jobs, and
    ``upper_bound`` is a bound on the on-time weight already proven (both
    optional; both must be valid for every schedule).
    """
    t0 = time.perf_counter()
    if windows is None:
        windows = job_windows(instance)
    weight, schedule = _incumbent(instance, DP_SHARE * max(t_end - t0, 0.0), seed, warm_start)
    st = _State(instance, windows, t_end, seed, threads, best_weight=weight,
                best_schedule=schedule)
    upper = sum(w.job.weight for w in windows if w.cuts)
    if upper_bound is not None:
        upper = min(upper, max(upper_bound, weight))
    rows: list[EnergyRow] = []
    if weight < upper:
        rows = energy_rows(instance, windows=windows, deadline=min(rows_until, t_end))
    st.stats.update(incumbent_start=weight, rows=len(rows), rows_s=time.perf_counter() - t0)
    if weight < upper and rows and st.left() > MIN_CHECK_S:
        # the LP relaxation of the master: a bound at once, whatever the master does next
        with native_stdout_silenced():  # HiGHS' banner on fd 1
            lp = lp_bound(instance, rows, windows=windows, time_limit_s=LP_SHARE * st.left())
        upper = min(upper, max(lp.upper_bound, weight))
        st.binding_rows = [rows[i] for i in lp.binding()]
        st.stats.update(lp_upper_bound=lp.upper_bound, lp_binding_rows=len(st.binding_rows),
                        lp_s=time.perf_counter() - t0 - st.stats["rows_s"])
    st.upper = upper
    hint = _on_time_jobs(instance, schedule)
    model: _Master | None = None
    while weight < upper:
        if st.left() <= MIN_CHECK_S:
            break
        if model is None:
            model = _Master(st, rows, st.t_end, cut_rows or [])
            st.stats.update(master_rows_complete=model.complete)
        master = _solve_master(st, model, hint)
        if master.bound is not None:
            upper = min(upper, max(master.bound, st.best_weight, st.unresolved_weight))
            st.upper = upper
        if master.status == "infeasible":
            upper = max(st.best_weight, st.unresolved_weight)
            break
        if master.status != "optimal":
            break
        chosen = master.accepted
        if model.add_violated(chosen):
            st.bump("lazy_rounds")
            continue  # the answer breaks an energetic row: re-solve before any subproblem
        ans = _check(st, chosen, st.left())
        found = ans.schedule
        if ans.status == "infeasible":
            core = _core(st, ans.subset or chosen)
            st.bump("core_size_total", len(core))
            _add_cut(st, core)
        elif ans.status == "unknown":
            st.nogoods.append(chosen)
            st.unresolved_weight = max(st.unresolved_weight, st.weight(chosen))
        if found is not None:
            st.best_weight = weight = _on_time_weight(instance, found)
            st.best_schedule = schedule = found
            hint = chosen
        st.bump("iterations")
        weight = st.best_weight
    upper = max(upper, st.best_weight)
    st.stats.update(cuts=len(st.cuts), nogoods=len(st.nogoods), on_time=st.best_weight,
                    upper_bound=upper)
    return st, upper


@register(NAME, "logic-based Benders: accepted-set master with energetic rows (CP-SAT), "
          "exact CP-SAT subproblem returning infeasible cores as cuts; warm-start incumbent",
          exact=True, uses_warm_start=True,
          start_note="the warm start is the first incumbent and the master's target")
def solve_lbbd(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
               warm_start: Schedule | None = None) -> SolverOutput:
    """Solve by logic-based Benders decomposition; see the module docstring.

    Parameters
    ----------
    instance:
        The problem.
    time_limit_s:
        Wall-clock limit in seconds for the whole run.
    seed, threads:
        CP-SAT's random seed and worker threads (master and subproblems).
    warm_start:
        A feasible schedule whose kept jobs are on time: the first incumbent
        (dp-edf's schedule is computed here when it is None).

    Returns
    -------
    SolverOutput
        ``optimal`` when proven, else ``timeout``; ``bound`` is a proven lower
        bound on the weighted misses.
    """
    t0 = time.perf_counter()
    st, upper = run_lbbd(instance, t_end=t0 + time_limit_s, seed=seed, threads=threads,
                         warm_start=warm_start, rows_until=t0 + ROWS_SHARE * time_limit_s)
    assert st.best_schedule is not None
    status = "optimal" if st.best_weight >= upper else "timeout"
    return SolverOutput(schedule=st.best_schedule, status=status,
                        bound=float(instance.total_weight - upper), stats=st.stats)
