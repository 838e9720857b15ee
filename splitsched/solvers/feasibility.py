"""Can every job of a fixed set be on time? An exact branch and bound.

The subproblem of :mod:`splitsched.solvers.lbbd`: given the accepted jobs,
decide whether one schedule puts *all* of them on time (two processors, a cut
per job, hand-off lags, releases, deadlines, non-preemptive stages, possibly
different orders on GPU and CPU). The answer is ``feasible`` with a schedule,
``infeasible`` (a proof: the whole search space was refuted), or ``unknown``
at the node or time limit.

**Options.** Each job's cuts that can meet its deadline alone
(``r + a + h + b <= d``) become options ``(A, H, B)`` with ``A = a(k)`` if the
GPU stage occupies the GPU (:func:`splitsched.problem.occupies`) else 0, and
likewise ``B``; a zero-length stage occupies nothing. Classes: GPU then CPU
(``A > 0, B > 0``), GPU only (``B = 0``, done at ``GPU end + H``), CPU only
(``A = 0``, ready at ``r + H``), and trivial (``A = B = 0``: on time whatever
the others do, left out of the search). Within a class, an option no better
than another in every component (``A``, ``A + H``, ``B``) is dropped: with
the same orders the earliest schedule is no later with the better one.

**Search space.** For fixed cuts and orders the earliest (semi-active)
schedule is on time wherever any schedule with those cuts and orders is
(:mod:`splitsched.solvers.timing`). List its stages by start time, GPU first
on ties: each stage then starts at ``max(processor free, ready)``, and never
before the previous stage of the list started. The search builds such lists
stage by stage: a node keeps the *effective* free times ``tg``, ``tc`` (the
processor's free time, raised to the last start; a GPU stage after a CPU stage
that started at ``s`` starts at ``s + 1`` or later), the jobs not started,
and the *pending* jobs (GPU stage done, CPU stage left) with their CPU ready
time and CPU length. A child places one stage: the GPU stage of a job not
started with one of its options, the CPU stage of a pending job, or the CPU
stage of a CPU-only option. Every list the search can build is a valid
schedule (it only ever delays stages), and the list of every earliest
schedule is among them, so the search is exact.

**Pruning** (each removes no node that has an on-time completion):

* *options* that cannot be on time even when placed next are dropped; a job
  without one, or a pending job that cannot end by its deadline, fails the
  node;
* *energy*: for every interval ``[t1, D]`` (``t1`` the node's time or a later
  release or CPU ready time, ``D`` a deadline), the jobs that must run inside
  it (released at or after ``t1``, due by ``D``) need on the GPU and the CPU
  together at least ``sum_j min_o (alpha A_o + beta B_o)`` over their options
  still possible, for each weight pair ``(alpha, beta)`` of
  :data:`ENERGY_WEIGHTS`, which must fit in ``alpha (D - max(t1, tg)) +
  beta (D - max(t1, tc))`` (a Lagrangian view of the two capacities; with
  ``(1, 0)`` and ``(0, 1)`` the per-processor checks, with ``(1, 1)`` both
  processors together); then the same with partial overlaps (energetic
  reasoning): per option, the part of its GPU stage (window ``[max(tg, r),
  d - H - B]``) and of its CPU stage (window from ``max(tc, GPU start + A + H)``
  to ``d``) that lies in ``[t1, t2]`` wherever the stage sits in its window,
  for the node's time and the next :data:`MAX_T1` - 1 release or ready times
  as ``t1`` and every deadline as ``t2``;
* *deadline prefixes with one cut choice*: the per-interval tests take each
  job's cheapest option separately for every interval; this one chooses one
  option per job for all deadlines ``D`` at once (jobs in deadline order,
  Pareto labels of GPU and CPU work as the DP's), requiring
  ``tg + GPU work <= D`` and ``tc + CPU work <= D`` for the jobs due by
  ``D`` (labels above :data:`PREFIX_LABELS` are merged into their
  componentwise minimum, which only weakens the test);
* *active stages*: a stage that would start at ``s`` on a processor is not
  placed next if another stage of that processor, available now, would end by
  ``s`` for every option it may still use (on the GPU: a job with no CPU-only
  option left) (placing it first delays nothing
  and ends it earlier: a schedule with smaller total start time);
* *look-ahead*: a stage is not placed next if it would end after the latest
  start that another job's stage on the same processor must keep (a pending
  CPU stage by ``d - B``; the GPU stage of a job with no CPU-only option left
  by ``d - A - H - B`` over its options), since that job could then no
  longer be on time;
* *dominance*: a node is refuted when a refuted node with the same jobs not
  started and the same pending jobs had free times, ready times and CPU
  lengths all no larger (every completion of the new node is a completion of
  the old one, no later), as the DP's Pareto labels are compared.

The schedule-generation view follows the classic branch and bound for
sequencing with releases and deadlines (Carlier, "The one-machine sequencing
problem", EJOR 1982; active and semi-active schedules as in Baker and
Trietsch, "Principles of Sequencing and Scheduling", 2009); the partial
overlap test is the energetic reasoning of constraint-based scheduling
(Baptiste, Le Pape and Nuijten, "Constraint-Based Scheduling", 2001), here
with a cut choice per job.

Measured with ``scripts/subproblem_compare.py`` (2-core machine under load):
on the small subproblems of ``demo`` it often decides at its root node where
CP-SAT needs 0.05-0.2 s, but on larger or tighter sets CP-SAT (with the
per-cut energetic rows) decides what this search does not, which is why
``lbbd`` gives it only a small budget before CP-SAT.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from splitsched.evaluate import evaluate
from splitsched.problem import Instance, JobPlan, Schedule, plan_for_cut
from splitsched.solvers.timing import earliest_schedule

FEASIBLE = "feasible"
INFEASIBLE = "infeasible"
UNKNOWN = "unknown"

#: (alpha, beta) weights of the energetic test: GPU work x alpha + CPU work x beta.
ENERGY_WEIGHTS: tuple[tuple[int, int], ...] = ((1, 0), (0, 1), (1, 1), (1, 2), (2, 1),
                                               (1, 3), (3, 1))
_TIME_CHECK_EVERY = 1   # nodes between clock reads (a node of an 80-job set took ~85 ms)
MAX_T1 = 4          # interval starts of the overlap test: the node's time and the next ones
PREFIX_LABELS = 64  # labels kept by the deadline-prefix test before merging
ORDERS_TRIED = 20   # surviving orders of same_release_check rebuilt with the real lags

# option classes
_GC = 0   # GPU stage then CPU stage
_G = 1    # GPU stage only (done at GPU end + H)
_C = 2    # CPU stage only (ready at r + H)


@dataclass(frozen=True)
class FeasibilityResult:
    """The answer of :func:`all_on_time`.

    ``status`` is ``"feasible"`` (``schedule`` keeps every checked job on time
    and drops every other job of the instance), ``"infeasible"`` (proven: no
    schedule keeps them all on time) or ``"unknown"`` (node or time limit).
    ``nodes`` counts the search nodes expanded.
    """

    status: str
    schedule: Schedule | None = None
    nodes: int = 0


@dataclass(frozen=True)
class _Opt:
    cls: int
    cut: int
    a: int
    h: int
    b: int


@dataclass
class _Job:
    index: int          # in instance.jobs
    release: int
    deadline: int
    gpu_opts: tuple[_Opt, ...]   # classes _GC and _G
    cpu_opts: tuple[_Opt, ...]   # class _C


def _pareto(opts: list[_Opt]) -> list[_Opt]:
    """Drop every option some other option of the list beats in A, A + H and B."""
    keep: list[_Opt] = []
    for o in sorted(set(opts), key=lambda o: (o.a, o.a + o.h, o.b, o.cut)):
        if any(p.a <= o.a and p.a + p.h <= o.a + o.h and p.b <= o.b for p in keep):
            continue
        keep.append(o)
    return keep


def _job_options(instance: Instance, index: int) -> tuple[_Job, _Opt | None]:
    """The job's options by class, and a trivial option if it has one."""
    job = instance.jobs[index]
    st = instance.stages_of(job)
    gc: list[_Opt] = []
    g: list[_Opt] = []
    c: list[_Opt] = []
    trivial: _Opt | None = None
    for k in st.cuts:
        if job.release + st.total(k) > job.deadline:
            continue
        a = int(st.a[k]) if st.gpu_busy[k] else 0
        b = int(st.b[k]) if st.cpu_busy[k] else 0
        h = int(st.h[k])
        if a > 0 and b > 0:
            gc.append(_Opt(_GC, k, a, h, b))
        elif a > 0:
            g.append(_Opt(_G, k, a, h, 0))
        elif b > 0:
            c.append(_Opt(_C, k, 0, h, b))
        elif trivial is None or h < trivial.h:
            trivial = _Opt(_C, k, 0, h, 0)
    gpu = _pareto(gc) + _pareto(g)
    return _Job(index, job.release, job.deadline, tuple(gpu), tuple(_pareto(c))), trivial


def _split_jobs(instance: Instance, picked: list[int]
                ) -> tuple[list[_Job], dict[int, _Opt]] | None:
    """The jobs to search and the trivially placed ones (index -> option), or None.

    None when some job has no cut that can meet its deadline (the set is infeasible).
    """
    searched: list[_Job] = []
    trivial: dict[int, _Opt] = {}
    for j in picked:
        job, triv = _job_options(instance, j)
        if triv is not None:
            trivial[j] = triv
        elif not job.gpu_opts and not job.cpu_opts:
            return None
        else:
            searched.append(job)
    return searched, trivial


class _Search:
    def __init__(self, jobs: list[_Job], t_end: float, node_limit: int) -> None:
        self.jobs = jobs
        self.n = len(jobs)
        self.t_end = t_end
        self.node_limit = node_limit
        self.nodes = 0
        self.out_of_budget = False
        self.memo: dict[tuple[int, int], list[tuple[int, ...]]] = {}
        self.moves: list[tuple[int, _Opt | None, int, int]] = []  # job, option, GPU/CPU start
        self.weights = np.array(ENERGY_WEIGHTS, dtype=np.int64)  # (m, 2)
        # every option of every job, flat
        self.opts: list[_Opt] = [o for j in jobs for o in (*j.gpu_opts, *j.cpu_opts)]
        owner = [i for i, j in enumerate(jobs) for _ in (*j.gpu_opts, *j.cpu_opts)]
        self.o_job = np.array(owner, dtype=np.int64)
        self.o_cls = np.array([o.cls for o in self.opts], dtype=np.int64)
        self.o_a = np.array([o.a for o in self.opts], dtype=np.int64)
        self.o_h = np.array([o.h for o in self.opts], dtype=np.int64)
        self.o_b = np.array([o.b for o in self.opts], dtype=np.int64)
        self.o_rel = np.array([jobs[i].release for i in owner], dtype=np.int64)
        self.o_dl = np.array([jobs[i].deadline for i in owner], dtype=np.int64)
        self.o_cost = (self.o_a[:, None] * self.weights[None, :, 0]
                       + self.o_b[:, None] * self.weights[None, :, 1])    # (options, m)
        self.release = np.array([j.release for j in jobs], dtype=np.int64)
        self.deadline = np.array([j.deadline for j in jobs], dtype=np.int64)
        self.big = np.iinfo(np.int64).max // 4

    # ------------------------------------------------------------------ helpers
    def _dominated(self, key: tuple[int, int], label: tuple[int, ...]) -> bool:
        for old in self.memo.get(key, ()):
            if all(x <= y for x, y in zip(old, label, strict=True)):
                return True
        return False

    def _energy_ok(self, tg: int, tc: int, rel: np.ndarray, dl: np.ndarray,
                   cost: np.ndarray) -> bool:
        """Energetic test over intervals [t1, D]; ``cost`` is (jobs, weights)."""
        rel = np.maximum(rel, min(tg, tc))
        starts = np.unique(rel)
        ends = np.unique(dl)
        inside = (rel[None, :] >= starts[:, None]).astype(np.int64)        # (S, jobs)
        due = (dl[:, None] <= ends[None, :])                                # (jobs, E)
        span_g = np.maximum(ends[None, :] - np.maximum(starts[:, None], tg), 0)
        span_c = np.maximum(ends[None, :] - np.maximum(starts[:, None], tc), 0)
        for w in range(cost.shape[1]):
            alpha, beta = int(self.weights[w, 0]), int(self.weights[w, 1])
            need = inside @ (cost[:, w:w + 1] * due)                        # (S, E)
            if np.any(need > alpha * span_g + beta * span_c):
                return False
        return True

    def _overlap_ok(self, tg: int, tc: int, ok: np.ndarray, ge_lo: np.ndarray,
                    pend: list[tuple[int, int, int]]) -> bool:
        """Energetic reasoning with partial overlaps over intervals [t1, t2].

        Per option, the part of its GPU stage (window ``[max(tg, r), d - H - B]``)
        and of its CPU stage (window ``[max(tc, GPU start + A + H), d]``, or
        ``[max(tc, r + H), d]`` CPU only) that lies inside ``[t1, t2]`` wherever
        the stage is placed in its window; per job the cheapest option.
        """
        idx = np.flatnonzero(ok)
        if len(idx) == 0 and not pend:
            return True
        t_now = min(tg, tc)
        cand = np.unique(np.r_[self.o_rel[idx], [p[0] for p in pend], tg, tc])
        cand = cand[cand >= t_now][:MAX_T1]
        t2 = np.unique(np.r_[self.o_dl[idx], [p[2] for p in pend]])
        t1 = cand[:, None]                                    # (S, 1)
        t2 = t2[None, :]                                      # (1, E)
        span = t2 - t1                                        # (S, E)

        def part(p: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
            p3, lo3, hi3 = p[:, None, None], lo[:, None, None], hi[:, None, None]
            v = np.minimum(np.minimum(p3, span[None]),
                           np.minimum(lo3 + p3 - t1[None], t2[None] - hi3 + p3))
            return np.maximum(v, 0)

        a, h, b = self.o_a[idx], self.o_h[idx], self.o_b[idx]
        cls = self.o_cls[idx]
        dl = self.o_dl[idx]
        g_lo = ge_lo[idx]
        g_hi = np.where(cls == _GC, dl - h - b, dl - h)
        c_lo = np.where(cls == _C, np.maximum(tc, self.o_rel[idx] + h),
                        np.maximum(tc, g_lo + a + h))
        wg = part(a, g_lo, g_hi)                              # (O, S, E)
        wc = part(b, c_lo, dl)
        owner = self.o_job[idx]
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]]) if len(idx) else idx
        if pend:
            pb = np.array([p[1] for p in pend], dtype=np.int64)
            plo = np.array([max(tc, p[0]) for p in pend], dtype=np.int64)
            phi = np.array([p[2] for p in pend], dtype=np.int64)
            pend_c = part(pb, plo, phi).sum(axis=0)           # (S, E)
        else:
            pend_c = np.zeros(span.shape, dtype=np.int64)
        cap_g = np.maximum(t2 - np.maximum(t1, tg), 0)
        cap_c = np.maximum(t2 - np.maximum(t1, tc), 0)
        for alpha, beta in ENERGY_WEIGHTS:
            need = beta * pend_c
            if len(idx):
                need = need + np.minimum.reduceat(alpha * wg + beta * wc, starts,
                                                  axis=0).sum(axis=0)
            if np.any(need > alpha * cap_g + beta * cap_c):
                return False
        return True

    def _prefix_ok(self, tg: int, tc: int, todo_ids: list[int], ok: np.ndarray,
                   pending: list[tuple[int, int, int]]) -> bool:
        """One cut choice for all jobs at once, checked on every deadline prefix.

        Jobs (not started, and pending with their CPU length) in deadline
        order; labels ``(GPU work, CPU work)`` so far, one per choice of
        options, Pareto-filtered as the DP's labels; a label survives a job
        due at ``d`` if ``tg + GPU work <= d`` and ``tc + CPU work <= d``
        (every stage of the jobs due by ``d`` lies in ``[tg, d]`` or ``[tc, d]``;
        no work on a processor needs nothing of it).
        No label left: no schedule of this node is on time. Above
        :data:`PREFIX_LABELS` labels, neighbours are merged into their
        componentwise minimum (more optimistic, so the test stays valid).
        """
        items: list[tuple[int, np.ndarray, np.ndarray]] = []
        for i in todo_ids:
            sel = ok & (self.o_job == i)
            items.append((self.jobs[i].deadline, self.o_a[sel], self.o_b[sel]))
        for _ready, length, due in pending:
            items.append((due, np.zeros(1, dtype=np.int64),
                          np.array([length], dtype=np.int64)))
        items.sort(key=lambda t: t[0])
        sa = np.zeros(1, dtype=np.int64)
        sb = np.zeros(1, dtype=np.int64)
        top = np.iinfo(np.int64).max
        for d, a, b in items:
            na = (sa[:, None] + a[None, :]).ravel()
            nb = (sb[:, None] + b[None, :]).ravel()
            keep = ((na == 0) | (tg + na <= d)) & ((nb == 0) | (tc + nb <= d))
            if not keep.any():
                return False
            na, nb = na[keep], nb[keep]
            order = np.lexsort((nb, na))
            na, nb = na[order], nb[order]
            front = nb < np.minimum.accumulate(np.r_[top, nb[:-1]])
            na, nb = na[front], nb[front]
            if len(na) > PREFIX_LABELS:
                group = np.arange(len(na)) * PREFIX_LABELS // len(na)
                starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
                na = np.minimum.reduceat(na, starts)
                nb = np.minimum.reduceat(nb, starts)
            sa, sb = na, nb
        return True

    # ------------------------------------------------------------------- search
    def run(self) -> bool | None:
        """True: an on-time schedule is in ``moves``; False: proven none; None: limit."""
        all_jobs = (1 << self.n) - 1
        found = self._node(all_jobs, {}, 0, 0)
        if found:
            return True
        return None if self.out_of_budget else False

    def _node(self, todo: int, pending: dict[int, tuple[int, int, int]], tg: int,
              tc: int) -> bool:
        """Search from this node. ``pending``: job -> (CPU ready, B, deadline)."""
        if not todo and not pending:
            return True
        self.nodes += 1
        if self.nodes % _TIME_CHECK_EVERY == 0 and time.perf_counter() > self.t_end:
            self.out_of_budget = True
        if self.nodes > self.node_limit:
            self.out_of_budget = True
        if self.out_of_budget:
            return False
        pend_ids = tuple(sorted(pending))
        pmask = 0
        for i in pend_ids:
            pmask |= 1 << i
        key = (todo, pmask)
        label = (tg, tc, *(pending[i][0] for i in pend_ids), *(pending[i][1] for i in pend_ids))
        if self._dominated(key, label):
            return False
        if not self._expand(todo, pending, pend_ids, tg, tc):
            if not self.out_of_budget:
                self.memo.setdefault(key, []).append(label)
            return False
        return True

    def _expand(self, todo: int, pending: dict[int, tuple[int, int, int]],
                pend_ids: tuple[int, ...], tg: int, tc: int) -> bool:
        jobs = self.jobs
        # pending jobs must still end on time
        for i in pend_ids:
            ready, b, d = pending[i]
            if max(tc, ready) + b > d:
                return False
        todo_ids = [i for i in range(self.n) if todo >> i & 1]
        # options still possible for the jobs not started (placed next at the earliest)
        is_todo = np.zeros(self.n, dtype=bool)
        is_todo[todo_ids] = True
        live = is_todo[self.o_job]
        gs = np.maximum(self.o_rel, tg)
        ge = gs + self.o_a
        cls = self.o_cls
        end = np.where(cls == _GC, np.maximum(tc, ge + self.o_h) + self.o_b,
                       np.where(cls == _G, ge + self.o_h,
                                np.maximum(tc, self.o_rel + self.o_h) + self.o_b))
        ok = live & (end <= self.o_dl)
        if todo_ids:
            count = np.bincount(self.o_job[ok], minlength=self.n)
            if np.any(count[todo_ids] == 0):
                return False
        # energetic test
        if len(todo_ids) + len(pend_ids) > 1:
            best = np.full((self.n, len(ENERGY_WEIGHTS)), self.big, dtype=np.int64)
            np.minimum.at(best, self.o_job[ok], self.o_cost[ok])
            rel = np.concatenate((self.release[todo_ids],
                                  np.array([pending[i][0] for i in pend_ids], dtype=np.int64)))
            dl = np.concatenate((self.deadline[todo_ids],
                                 np.array([pending[i][2] for i in pend_ids], dtype=np.int64)))
            pend_b = np.array([pending[i][1] for i in pend_ids], dtype=np.int64)
            cost = np.concatenate((best[todo_ids], pend_b[:, None] * self.weights[None, :, 1]))
            if not self._energy_ok(tg, tc, rel, dl, cost):
                return False
            if not self._prefix_ok(tg, tc, todo_ids, ok, [pending[i] for i in pend_ids]):
                return False
            if not self._overlap_ok(tg, tc, ok, gs,
                                                [pending[i] for i in pend_ids]):
                return False

        # active-stage rule: a stage that would start at s waits if another stage of
        # the same processor, available now, ends by s whatever option it uses.
        # Look-ahead: a stage may not go next if it ends after the latest start some
        # other job's stage on that processor must keep (it could no longer fit).
        big = self.big
        ok_idx = np.flatnonzero(ok)
        o_job = self.o_job[ok_idx]
        is_cpu_only = self.o_cls[ok_idx] == _C
        n = self.n
        has_c = np.zeros(n, dtype=bool)
        has_c[o_job[is_cpu_only]] = True
        has_g = np.zeros(n, dtype=bool)
        has_g[o_job[~is_cpu_only]] = True
        gpu_end_max = np.full(n, -1, dtype=np.int64)
        np.maximum.at(gpu_end_max, o_job[~is_cpu_only], ge[ok_idx][~is_cpu_only])
        gpu_only = has_g & ~has_c            # jobs that must use the GPU now
        gpu_bound_end = np.where(gpu_only, gpu_end_max, big)
        # latest GPU start a GPU-bound job must keep (over its options still possible)
        lat_g = np.full(n, -big, dtype=np.int64)
        g_sel = ok_idx[~is_cpu_only]
        tail = np.where(self.o_cls[g_sel] == _GC, self.o_h[g_sel] + self.o_b[g_sel],
                        self.o_h[g_sel])
        np.maximum.at(lat_g, self.o_job[g_sel], self.o_dl[g_sel] - self.o_a[g_sel] - tail)
        lat_g = np.where(gpu_only, lat_g, big)
        # CPU: pending jobs must start their CPU stage by d - B
        p_end = {i: max(tc, pending[i][0]) + pending[i][1] for i in pend_ids}
        p_lat = {i: pending[i][2] - pending[i][1] for i in pend_ids}

        def two_smallest(values: np.ndarray) -> tuple[int, int, int]:
            """(smallest, its index, second smallest) of ``values`` (big if absent)."""
            if len(values) == 0:
                return int(big), -1, int(big)
            k = int(np.argmin(values))
            first = int(values[k])
            if len(values) == 1:
                return first, k, int(big)
            rest = values.copy()
            rest[k] = big
            return first, k, int(rest.min())

        ge1, ge1_at, ge2 = two_smallest(gpu_bound_end)
        lg1, lg1_at, lg2 = two_smallest(lat_g)
        pe = sorted((e, i) for i, e in p_end.items())
        pl = sorted((e, i) for i, e in p_lat.items())

        def other_min(pairs: list[tuple[int, int]], me: int) -> int:
            for v, y in pairs:
                if y != me:
                    return v
            return int(big)

        # children: (order key, start, kind 0=GPU 1=pending CPU 2=CPU only, job, option);
        # tried by deadline, then by the job's completion time if placed now
        children: list[tuple[tuple[int, ...], int, int, int, int]] = []
        for x in ok_idx.tolist():
            i = int(self.o_job[x])
            d = int(self.o_dl[x])
            if self.o_cls[x] == _C:
                cs = max(tc, int(self.o_rel[x] + self.o_h[x]))
                if other_min(pe, -1) <= cs or other_min(pl, -1) < cs + int(self.o_b[x]):
                    continue
                children.append(((d, int(end[x]), cs), cs, 2, i, int(x)))
            else:
                s = int(gs[x])
                blocked = (ge1 if ge1_at != i else ge2) <= s
                if blocked or (lg1 if lg1_at != i else lg2) < s + int(self.o_a[x]):
                    continue
                children.append(((d, int(end[x]), s), s, 0, i, int(x)))
        for i in pend_ids:
            ready, b, d = pending[i]
            cs = max(tc, ready)
            if other_min(pe, i) <= cs or other_min(pl, i) < cs + b:
                continue
            children.append(((d, cs + b, cs), cs, 1, i, -1))
        children.sort()
        for _key, start, kind, i, x in children:
            if kind == 0:
                o = self.opts[x]
                g_end = start + o.a
                if o.cls == _GC:
                    new_pending = dict(pending)
                    new_pending[i] = (g_end + o.h, o.b, jobs[i].deadline)
                    self.moves.append((i, o, start, -1))
                    found = self._node(todo & ~(1 << i), new_pending, g_end, max(tc, start))
                else:
                    self.moves.append((i, o, start, g_end + o.h))
                    found = self._node(todo & ~(1 << i), pending, g_end, max(tc, start))
            elif kind == 2:
                o = self.opts[x]
                self.moves.append((i, o, jobs[i].release, start))
                found = self._node(todo & ~(1 << i), pending, max(tg, start + 1), start + o.b)
            else:
                new_pending = dict(pending)
                _ready, b, _dd = new_pending.pop(i)
                self.moves.append((i, None, -1, start))
                found = self._node(todo, new_pending, max(tg, start + 1), start + b)
            if found:
                return True
            self.moves.pop()
            if self.out_of_budget:
                return False
        return False


def all_on_time(instance: Instance, jobs: Sequence[int], *, time_limit_s: float = 10.0,
                node_limit: int = 10**9, solver: str = "feasibility") -> FeasibilityResult:
    """Decide whether every job of ``jobs`` can be on time (all others dropped).

    Parameters
    ----------
    instance:
        The problem; times in integer microseconds.
    jobs:
        Indices into ``instance.jobs`` of the jobs that must all be on time.
    time_limit_s, node_limit:
        Stop with ``"unknown"`` after this many seconds or expanded nodes.
    solver:
        Name written into the returned schedule.

    Returns
    -------
    FeasibilityResult
        ``feasible`` with a schedule (every job of ``jobs`` on time, the rest
        dropped), ``infeasible`` when the search refuted every schedule, or
        ``unknown``. The method and why it is exact: the module docstring.
    """
    t_end = time.perf_counter() + max(0.0, time_limit_s)
    picked = sorted(set(int(j) for j in jobs))
    split = _split_jobs(instance, picked)
    if split is None:
        return FeasibilityResult(INFEASIBLE)
    searched, trivial = split
    searched.sort(key=lambda j: (j.deadline, j.release, j.index))
    search = _Search(searched, t_end, node_limit)
    found = search.run()
    if found is None:
        return FeasibilityResult(UNKNOWN, nodes=search.nodes)
    if not found:
        return FeasibilityResult(INFEASIBLE, nodes=search.nodes)
    cuts: dict[int, int] = {}
    gpu: dict[int, int] = {}
    cpu: dict[int, int] = {}
    for i, o, gs, cs in search.moves:
        j = searched[i].index
        if o is not None:
            cuts[j] = o.cut
            gpu[j] = gs
        if cs >= 0:
            cpu[j] = cs
    for j, o in trivial.items():
        release = instance.jobs[j].release
        cuts[j] = o.cut
        gpu[j] = release
        cpu[j] = release + o.h
    plans: list[JobPlan] = []
    for j, real in enumerate(instance.jobs):
        if j in cuts:
            plans.append(plan_for_cut(real, instance.stages_of(real), cuts[j], gpu.get(j),
                                      cpu.get(j)))
        else:
            plans.append(JobPlan(job=real.id, cut=None))
    sched = Schedule(instance_id=instance.id, solver=solver, plans=tuple(plans))
    return FeasibilityResult(FEASIBLE, schedule=sched, nodes=search.nodes)


# ------------------------------------------------------------ common release: subset DP
@dataclass(frozen=True)
class _Front:
    """Pareto labels of one placed set: free times and back pointers (parallel arrays)."""

    g: np.ndarray        # GPU free time
    c: np.ndarray        # CPU free time
    parent: np.ndarray   # label index in the parent set's front
    job: np.ndarray      # position (in the searched list) of the job placed last
    opt: np.ndarray      # option index of that job


def _pareto_front(g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Indices of the labels no other label beats in both free times (one per duplicate)."""
    order = np.lexsort((c, g))
    cs = c[order]
    best_before = np.minimum.accumulate(np.r_[np.iinfo(np.int64).max, cs[:-1]])
    return order[cs < best_before]


def energy_fits(g: np.ndarray, c: np.ndarray, d_rest: np.ndarray, cum: np.ndarray,
                wts: np.ndarray) -> np.ndarray:
    """Which labels leave room for the jobs left: shape (labels,) of bool.

    ``g``, ``c``: the labels' GPU and CPU free times, shape (labels, 1);
    ``d_rest``: the deadlines of the jobs left, ascending, shape (rest,);
    ``cum``: per weight pair ``(alpha, beta)`` of ``wts`` (shape (m, 2)), the
    cumulative cheapest ``alpha A + beta B`` of those jobs in that order, shape
    (m, rest). A label fails when, for some deadline ``D`` and pair, the jobs
    due by ``D`` need more than ``alpha (D - g)^+ + beta (D - c)^+``.
    """
    gap_g = np.maximum(d_rest[None, :] - g, 0)                   # (labels, rest)
    gap_c = np.maximum(d_rest[None, :] - c, 0)
    room = wts[:, 0, None, None] * gap_g[None] + wts[:, 1, None, None] * gap_c[None]
    return (cum[:, None, :] <= room).all(axis=(0, 2))


def place_next(g: np.ndarray, c: np.ndarray, release: int, cls: np.ndarray, a: np.ndarray,
               h: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each label placed next with each option, at its earliest: (finish, GPU free, CPU free).

    ``g``, ``c``: shape (labels, 1); ``cls``, ``a``, ``h``, ``b``: the
    options' class and stage table, shape (options,). A GPU stage starts at
    ``max(g, release)``; a GPU-then-CPU option's CPU stage at ``max(c, GPU end
    + h)``; a GPU-only option is done at GPU end ``+ h``; a CPU-only one is
    ready at ``release + h``. Results have shape (labels, options).
    """
    k, a, h, b = cls[None, :], a[None, :], h[None, :], b[None, :]
    ge = np.maximum(g, release) + a
    ce_split = np.maximum(c, ge + h) + b
    ce_cpu = np.maximum(c, release + h) + b
    fin = np.where(k == _GC, ce_split, np.where(k == _G, ge + h, ce_cpu))
    ng = np.where(k == _C, g, ge)
    nc = np.where(k == _GC, ce_split, np.where(k == _C, ce_cpu, c))
    return fin, ng, nc


def same_release_check(instance: Instance, jobs: Sequence[int], *, time_limit_s: float = 10.0,
                       label_limit: int = 2_000_000,
                       solver: str = "feasibility") -> FeasibilityResult:
    """Decide whether every job of ``jobs`` can be on time when all are released together.

    Only for sets whose jobs share one release time ``R`` (raises ``ValueError``
    otherwise). A dynamic program over the *set* of jobs placed so far, one
    job at a time on both processors (GPU stage at the GPU's free time, CPU
    stage at ``max(CPU free, GPU end + lag)``), keeping per set the Pareto
    labels (GPU free, CPU free), as the dp-edf recursion keeps them per EDF
    prefix. It searches every common order, with every split option's lag
    lowered to ``h' = min(h, b_min)`` (``b_min``: the shortest CPU stage over
    the split options of these jobs).

    Why a refutation is a proof. Lowering lags only relaxes the problem.
    In the relaxed problem, with one release, any schedule that keeps every
    job on time can be changed into one with the same order on both
    processors for the jobs that use both: pack the GPU stages to the left
    (nothing is released later); while two consecutive (among split jobs)
    GPU stages ``i`` then ``j`` run ``j`` first on the CPU, move ``i`` to just
    after ``j`` on the GPU: the stages between move earlier, and ``i`` now ends
    where ``j`` ended, at most ``S_j^C - h'_j``, while ``S_i^C >= S_j^C + b_j``;
    so ``i``'s CPU stage still may start as before because ``h'_i <= b_min <=
    b_j + h'_j``. Jobs with one processor only merge into that common order, and
    the DP's earliest placement in that order is no later than the schedule.
    So "no label survives" refutes the relaxed problem, hence the real one.
    (The classic permutation argument of the two-machine flow shop, Conway,
    Maxwell and Miller, "Theory of Scheduling", 1967, extended to the cut
    choice and to lags bounded by ``b_min``.)

    A label (GPU free ``g``, CPU free ``c``) is pruned when some job not placed
    yet would miss its deadline even if placed next, or when for some deadline
    ``D`` and weight pair ``(alpha, beta)`` of :data:`ENERGY_WEIGHTS` the jobs
    left that are due by ``D`` need more than ``alpha (D - g)^+ + beta (D -
    c)^+`` (each at its cheapest ``alpha A + beta B``; they all run after
    ``g`` on the GPU and after ``c`` on the CPU).

    Returns
    -------
    FeasibilityResult
        ``infeasible`` (proven), ``feasible`` with a schedule (the surviving
        order rebuilt with the real lags and checked to keep every job on
        time), or ``unknown`` (time or label limit, or the order found for the
        relaxed lags misses a deadline with the real ones). ``nodes`` counts
        the labels created.

    Raises
    ------
    ValueError
        If the jobs' release times differ.
    """
    t_end = time.perf_counter() + max(0.0, time_limit_s)
    picked = sorted(set(int(j) for j in jobs))
    if len({instance.jobs[j].release for j in picked}) > 1:
        raise ValueError("same_release_check: jobs: release times differ")
    split = _split_jobs(instance, picked)
    if split is None:
        return FeasibilityResult(INFEASIBLE)
    searched, trivial = split
    searched.sort(key=lambda j: (j.deadline, j.index))
    release = instance.jobs[picked[0]].release if picked else 0
    dp = _SubsetDp(searched, release, t_end, label_limit, relaxed=True)
    found = dp.run()
    if found is False:
        return FeasibilityResult(INFEASIBLE, nodes=dp.labels)
    if found is None:
        return FeasibilityResult(UNKNOWN, nodes=dp.labels)
    for order in dp.orders(ORDERS_TRIED):
        sched = _order_schedule(instance, searched, trivial, order, solver)
        if sched is not None:
            return FeasibilityResult(FEASIBLE, schedule=sched, nodes=dp.labels)
    # the relaxed lags let an order through that the real ones do not: the same DP with
    # the real lags (a search for a schedule only: it proves nothing)
    real = _SubsetDp(searched, release, t_end, label_limit - dp.labels, relaxed=False)
    if real.run():
        for order in real.orders(ORDERS_TRIED):
            sched = _order_schedule(instance, searched, trivial, order, solver)
            if sched is not None:
                return FeasibilityResult(FEASIBLE, schedule=sched, nodes=dp.labels + real.labels)
    return FeasibilityResult(UNKNOWN, nodes=dp.labels + real.labels)


def _order_schedule(instance: Instance, searched: list[_Job], trivial: dict[int, _Opt],
                    order: list[tuple[int, _Opt]], solver: str) -> Schedule | None:
    """The earliest schedule of one common order with its options and the real lags,
    if it keeps every job on time (checked by ``evaluate``), else None."""
    cuts: dict[str, int | None] = {j.id: None for j in instance.jobs}
    for i, o in order:
        cuts[instance.jobs[searched[i].index].id] = o.cut
    for j, o in trivial.items():
        cuts[instance.jobs[j].id] = o.cut
    # zero-length stages occupy nothing: their place in an order does not matter
    seq = [searched[i].index for i, _o in order] + sorted(trivial)
    gpu_order = [instance.jobs[j].id for j in seq if (cuts[instance.jobs[j].id] or 0) > 0]
    cpu_order = [instance.jobs[j].id for j in seq if (cuts[instance.jobs[j].id] or 0)
                 < instance.stages_of(instance.jobs[j]).num_layers]
    sched = earliest_schedule(instance, solver, cuts, gpu_order, cpu_order)
    ev = evaluate(instance, sched)
    keep = [searched[i].index for i, _o in order] + list(trivial)
    if ev.feasible and all(ev.on_time[instance.jobs[j].id] for j in keep):
        return sched
    return None


class _SubsetDp:
    """The DP of :func:`same_release_check` over placed sets (bit masks of ``jobs``)."""

    def __init__(self, jobs: list[_Job], release: int, t_end: float, label_limit: int,
                 *, relaxed: bool) -> None:
        n = len(jobs)
        self.n, self.release, self.t_end, self.label_limit = n, release, t_end, label_limit
        self.opts = [list(j.gpu_opts) + list(j.cpu_opts) for j in jobs]
        b_min = min((o.b for os_ in self.opts for o in os_ if o.cls == _GC), default=0)
        self.cls = [np.array([o.cls for o in os_], dtype=np.int64) for os_ in self.opts]
        self.a = [np.array([o.a for o in os_], dtype=np.int64) for os_ in self.opts]
        self.b = [np.array([o.b for o in os_], dtype=np.int64) for os_ in self.opts]
        self.h = [np.array([min(o.h, b_min) if relaxed and o.cls == _GC else o.h
                            for o in os_], dtype=np.int64) for os_ in self.opts]
        self.dl = np.array([j.deadline for j in jobs], dtype=np.int64)
        self.wts = np.array(ENERGY_WEIGHTS, dtype=np.int64)
        # cheapest alpha * GPU work + beta * CPU work per job, per weight pair: (m, n)
        self.work = np.array([[min(al * o.a + be * o.b for o in os_) for os_ in self.opts]
                              for al, be in ENERGY_WEIGHTS],
                             dtype=np.int64).reshape(len(ENERGY_WEIGHTS), n)
        self.layers: list[dict[int, _Front]] = []
        self.labels = 0

    def run(self) -> bool | None:
        """True if some order keeps every job on time, False if none, None at a limit."""
        n = self.n
        empty = np.zeros(1, dtype=np.int64)
        layer: dict[int, _Front] = {0: _Front(empty, empty, empty - 1, empty - 1, empty - 1)}
        self.labels = 1
        for _step in range(n):
            self.layers.append(layer)
            nxt: dict[int, list[tuple[np.ndarray, ...]]] = {}
            for mask, fr in layer.items():
                if time.perf_counter() > self.t_end or self.labels > self.label_limit:
                    return None
                self._expand(mask, fr, nxt)
            layer = {}
            for mask, parts in nxt.items():
                g = np.concatenate([p[0] for p in parts])
                c = np.concatenate([p[1] for p in parts])
                keep = _pareto_front(g, c)
                layer[mask] = _Front(g[keep], c[keep],
                                     np.concatenate([p[2] for p in parts])[keep],
                                     np.concatenate([p[3] for p in parts])[keep],
                                     np.concatenate([p[4] for p in parts])[keep])
                self.labels += len(keep)
            if not layer:
                return False
        self.layers.append(layer)
        return True

    def _expand(self, mask: int, fr: _Front, nxt: dict[int, list[tuple[np.ndarray, ...]]]
                ) -> None:
        rest = [i for i in range(self.n) if not mask >> i & 1]
        g, c = fr.g[:, None], fr.c[:, None]
        # energy over the jobs left, by deadline (jobs are sorted by deadline)
        d_rest = self.dl[rest]
        cum = np.cumsum(self.work[:, rest], axis=1)                  # (m, rest)
        alive = energy_fits(g, c, d_rest, cum, self.wts)
        if not alive.any():
            return
        moves = []
        for i in rest:
            fin, ng, nc = place_next(g, c, self.release, self.cls[i], self.a[i], self.h[i],
                                     self.b[i])
            ok = fin <= self.dl[i]
            alive &= ok.any(axis=1)  # a job that cannot be on time even next
            moves.append((i, ng, nc, ok))
        if not alive.any():
            return
        for i, ng, nc, ok in moves:
            rows, cols = np.nonzero(ok & alive[:, None])
            if len(rows):
                nxt.setdefault(mask | (1 << i), []).append(
                    (ng[rows, cols], nc[rows, cols], rows, np.full(len(rows), i), cols))

    def orders(self, limit: int) -> list[list[tuple[int, _Opt]]]:
        """Up to ``limit`` orders (job position, option) of surviving full labels."""
        n = self.n
        if n == 0:
            return [[]]
        last = self.layers[n][(1 << n) - 1]
        out = []
        for start in range(min(limit, len(last.g))):
            order: list[tuple[int, _Opt]] = []
            mask, idx, fr = (1 << n) - 1, start, last
            for back in range(n, 0, -1):
                i, o, p = int(fr.job[idx]), int(fr.opt[idx]), int(fr.parent[idx])
                order.append((i, self.opts[i][o]))
                mask &= ~(1 << i)
                idx = p
                fr = self.layers[back - 1][mask]
            order.reverse()
            out.append(order)
        return out
