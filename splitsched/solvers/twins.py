"""Identical jobs released together: on-time sets as count vectors, and an exact DP over them.

Batch instances release many copies of a few networks at one time. Two jobs
are *twins* when they share network, weight and release (a *group*); they
differ only in their deadlines. Two facts make such instances small:

**Due-last symmetry.** If twin ``p`` is on time and twin ``q``, due no
earlier (ties by index), is missed, ``q`` can take ``p``'s whole plan (same
stage table, same release, completion ``<= d_p <= d_q``) and ``p`` be
dropped, at the same on-time weight. So some optimal schedule keeps, in every
group, the twins due last, and an on-time set is one count per group
(:func:`minimal_vectors`). A superset of an infeasible set is infeasible, so
proving that no schedule keeps weight ``>= target`` on time means refuting
each *minimal* count vector of weight ``>= target``.

**A DP over counts** (:func:`count_vector_check`, jobs of one release only).
:func:`splitsched.solvers.feasibility.same_release_check` searches every
common order of the jobs over *sets* (``2^n`` of them); here the state is the
count of twins placed per group (``prod (c_q + 1)``: a few thousand on the
batch instances' vectors of 30-60 jobs). Its relaxations, each of which only
lets more through, so that "no label survives" is a proof:

* the lags of GPU-then-CPU options are lowered to ``h' = min(h, mu)``,
  ``mu = min (b + h)`` over them (moving a GPU stage after the next one's,
  the argument of ``same_release_check``, needs ``h'_i <= b_j + h'_j``, which
  this gives), or, in turn, the options with the smallest ``b + h`` become
  GPU-only (done at GPU end ``+ h + b``, their CPU stage dropped), which
  raises ``mu``; then some optimal schedule of the relaxed problem uses one
  common order ``pi`` of its jobs, and the DP's earliest placement in ``pi``
  is no later. The lags of GPU-only options are lowered to at most
  ``min (a + h' + b)`` over the GPU-then-CPU options (so a GPU-only twin
  finishes no later than a CPU user after it) and, within a group, to
  ``min (a + h)`` over its GPU-only options (so its GPU-only twins finish in
  GPU order; without this a converted option, lag ``h + b``, ahead of a true
  GPU-only one, lag 0, finishes after it: a review found a false refutation);
* twins are interchangeable, so what matters is the finish times of a
  group's positions in ``pi``: the twins' deadlines can be matched to them iff
  the sorted matching (earliest finish, earliest deadline) works. Take ``pi``
  with each CPU-only job as early as the two processor orders allow. Then a
  twin that uses the CPU (GPU-then-CPU or CPU-only) finishes no earlier than
  every twin before it in ``pi``, and a GPU-only twin finishes no later than
  every twin after it. So the ``k``-th twin of a group in ``pi`` (``k`` from
  1) has finish rank ``<= k`` if GPU-only, and ``<= k + e`` if it uses the
  CPU, where ``e`` counts the GPU-only twins after it that finish earlier:
  they start on the GPU after its label's GPU free time ``g'``, one after
  another, so ``e <= (f - g' - H_G - 1) // A_G`` (``A_G``, ``H_G`` the
  group's shortest GPU-only stage and lag). The DP checks the finish ``f``
  against the ``k``-th (or ``min(c, k + e)``-th) deadline of the group's
  chosen twins. Without GPU-only options ``e = 0``: twins then go in deadline
  order, and the DP is ``same_release_check`` on the count states, as strong;
* within a state, labels beaten in both free times are dropped (the Pareto
  front), and across states (:func:`prune_later_slots`) so are the labels of a
  state whose slots left lie lower than another's, with as many of them and
  ``P`` no lower (*Dominance* below). This changes no answer (a test runs the
  DP with and without it) and holds far fewer labels: on
  v2-batch-huawei_mate_20-n80-l4-s3's vector (20, 17, 18), 0.51 M labels and
  0.7 s instead of 233.6 M and 185 s;
* a label is pruned when, for a deadline ``D`` and a weight pair of
  :data:`splitsched.solvers.feasibility.ENERGY_WEIGHTS`, the twins left due
  by ``D`` (each group's left twins taking its largest chosen deadlines,
  which only weakens the test) need more than the room after the label, or
  when a group left cannot place one more twin by its latest deadline.

A surviving order is rebuilt with the real lags, the twins matched to its
finish times in sorted order, and checked by ``evaluate``; a set is
``feasible`` only with such a schedule. Rebuilding needs every label's
parent; a refutation does not: :func:`refute_vector`'s last try first runs
the same DP keeping only each label's two free times and only the layer at
hand (up to :func:`refute_label_budget` labels), which can refute a set but not
schedule it, and the DP with parents only where a path gets through. That is
what refutes the 57-job vectors of the n = 80 batch instances. It expands a state
and filters a next state's labels in compiled code
(:mod:`splitsched.solvers.twins_kernel`, the same moves as ``_expand``: a
test holds the two together on every state of random instances), 4.4 times
less CPU time than the numpy code on v2-batch-huawei_mate_20-n80-l4-s3's
vector (19, 18, 18): 17.7 s against 78.2 s, 32.4 M labels both.

**Dominance.** Per group let ``R`` be the slots left (the holes and every
slot from ``P`` on). Say ``(S', l')`` *dominates* ``(S, l)`` when the label
``l'`` is no later than ``l`` in both free times and, in every group, ``R'``
has as many slots as ``R``, its ``i``-th lowest slot is at or above ``R``'s
``i``-th, and ``P' <= P`` (``P' = P`` in a group with no GPU-only option of
positive length, ``A_G = 0``). Claim: if some path of moves completes from
``(S, l)``, one completes from ``(S', l')``; so dropping a dominated label loses
no answer. Proof, by induction on the moves left, following the path's next
move (group, option) from ``(S', l')``. Placing is monotone in the free times,
so the next label is no later. The state's tests pass: the energetic test's
slots are due no earlier, fewer of them are holes (a hole carries the GPU-only
work, an open slot the cheapest, no more), the ``i``-th hole is no earlier
and ``g`` no later, the earliest slot left is no earlier. A GPU-only twin takes
the lowest slot of ``R'``, due no earlier than ``R``'s; both lists lose their
lowest slot and the relation holds. A CPU user finishing at ``f' <= f`` takes
slot ``s' = max(first slot due by f', P') <= s``; ``R'`` and ``R`` lose ``s'``
and ``s``, and the relation holds (checked slot by slot, with ``P' <= P``).
It remains that ``s' <= P' + e'``, the move's limit: if ``s' > P'``, then
``s' - 1`` is a hole of the next state, due before ``f'``, and it is its
``j``-th hole with ``j >= s' - P'``; the next state dominates the path's, whose
hole test passes (a completing path passes every test, and at its end no hole
is left), so ``g' + j A_G + H_G <= d_{s'-1} < f'`` with ``g'`` the GPU free
time after the move, which gives ``j <= (f' - g' - H_G - 1) // A_G = e'``.
(With ``A_G = 0`` the move takes slot ``P = P'`` in both.) The Pareto front is
the case ``S' = S``, :func:`prune_later_slots` the general case. Not a move-by-move
monotonicity: with earlier free times a CPU user may take a lower slot, and
its limit ``e'`` may shrink; the hole test of the next state is what keeps the
move open.

The due-last symmetry is the exchange argument of Moore and Hodgson's
single-machine rule (Moore, "An n job, one machine sequencing algorithm for
minimizing the number of late jobs", Management Science 1968) applied to a
group of identical jobs; counting identical items instead of subsets is the
high-multiplicity view of scheduling (Hochbaum and Shamir, "Strongly
polynomial algorithms for the high multiplicity scheduling problem",
Operations Research 1991).
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from splitsched.evaluate import evaluate
from splitsched.formulations import job_windows
from splitsched.formulations.bounds import cut_lp_bound
from splitsched.problem import Instance, Schedule
from splitsched.solvers.feasibility import (
    _G,
    _GC,
    ENERGY_WEIGHTS,
    FEASIBLE,
    INFEASIBLE,
    ORDERS_TRIED,
    UNKNOWN,
    FeasibilityResult,
    _job_options,
    _Opt,
    _pareto_front,
    energy_fits,
    place_next,
)
from splitsched.solvers.lbbd import sub_instance
from splitsched.solvers.timing import earliest_schedule
from splitsched.solvers.twins_kernel import expand_state, pareto_free_times

#: count vectors enumerated at most by :func:`refute_on_time` (more: no attempt)
MAX_VECTORS = 20_000
#: labels of one :func:`count_vector_check` at most
LABEL_LIMIT = 2_000_000
#: labels of the first, cheap try on each count vector in :func:`refute_on_time`
FIRST_LABELS = 100_000
#: memory the DP without paths (:func:`refute_vector`'s last try) may hold: this share of
#: the machine's physical memory or of the container's memory limit (cgroup), whichever is
#: smaller, and at most half of the process's address-space limit when one is set
#: (``splitsched bench --mem-limit-mb``); see :func:`refute_label_budget`
REFUTE_MEMORY_SHARE = 0.25
#: where a container's memory limit is read: cgroup v2, then v1 ("max" or a huge number:
#: none)
CGROUP_MEMORY_FILES = ("/sys/fs/cgroup/memory.max",
                       "/sys/fs/cgroup/memory/memory.limit_in_bytes")
#: bytes per label held by the DP without paths, measured: 4.8 GB resident at most with
#: 101.9 M labels held at once (v2-batch-huawei_mate_20-n80-l4-s3's vector (20, 17, 18),
#: refuted after 233.6 M labels in all, 123 s of CPU time on the 2-core machine)
BYTES_PER_HELD_LABEL = 48


def cgroup_memory_limit(files: Sequence[str] | None = None) -> int | None:
    """The container's memory limit in bytes: the first of ``files`` (default
    :data:`CGROUP_MEMORY_FILES`) that holds a number below 2**60; None when none does (no
    file, ``max``, unreadable, or no limit)."""
    for path in CGROUP_MEMORY_FILES if files is None else files:
        try:
            with open(path, encoding="ascii") as fh:
                text = fh.read().strip()
        except (OSError, UnicodeDecodeError):
            continue
        if text.isdigit() and 0 < int(text) < 2**60:
            return int(text)
    return None


def refute_label_budget() -> int:
    """Labels the DP without paths may hold at once on this machine (see
    :data:`REFUTE_MEMORY_SHARE`); 10 M when the machine does not say its memory.

    A container's limit counts (a review: under a cgroup limit below a quarter of the
    physical memory the process would be killed rather than stop at its budget).
    """
    try:
        pages, page = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 10_000_000
    if pages <= 0 or page <= 0:     # -1: unknown (a review)
        return 10_000_000
    memory = pages * page
    limit = cgroup_memory_limit()
    if limit is not None:
        memory = min(memory, limit)
    budget = memory * REFUTE_MEMORY_SHARE
    try:
        import resource  # Unix only

        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY and soft > 0:
            budget = min(budget, soft / 2)
    except (ImportError, ValueError, OSError):
        pass
    return max(1, int(budget // BYTES_PER_HELD_LABEL))
#: smallest values of ``b + h`` whose options :func:`count_vector_check` converts in turn
TAU_TRIES = 2
#: seconds the per-cut LP may take to refute one count vector before the DP runs
LP_SECONDS = 2.0


@dataclass(frozen=True)
class TwinGroup:
    """Jobs with one network, weight and release; ``members`` in (deadline, index) order."""

    members: tuple[int, ...]
    weight: int
    release: int


def twin_groups(instance: Instance) -> list[TwinGroup]:
    """The instance's groups of twins, leaving out jobs that can never be on time.

    Returns
    -------
    list[TwinGroup]
        One per (network, weight, release), in that key's order; a job with no
        cut that meets its deadline alone is in none.
    """
    found: dict[tuple[str, int, int], list[int]] = {}
    for w in job_windows(instance):
        if w.cuts:
            found.setdefault((w.job.network, w.job.weight, w.release), []).append(w.index)
    out = []
    for key in sorted(found):
        members = sorted(found[key], key=lambda j: (instance.jobs[j].deadline, j))
        out.append(TwinGroup(tuple(members), key[1], key[2]))
    return out


def minimal_vectors(groups: Sequence[TwinGroup], target: int, limit: int = MAX_VECTORS,
                    t_end: float | None = None) -> list[tuple[int, ...]] | None:
    """Count vectors of on-time weight ``>= target`` that fall below it without any one twin.

    ``v[q]`` twins of group ``q`` on time (by the due-last symmetry, its
    ``v[q]`` due last). Every on-time set of weight ``>= target`` contains the
    set of one of them. Returns None when there are more than ``limit``, or
    when ``t_end`` (a ``time.perf_counter()`` time) passes first (80 groups of
    one job each reach the default limit in about 1 s).
    """
    n = len(groups)
    sizes = [len(g.members) for g in groups]
    weights = [g.weight for g in groups]
    # the most weight groups q.. can add
    tail = [0] * (n + 1)
    for q in range(n - 1, -1, -1):
        tail[q] = tail[q + 1] + sizes[q] * weights[q]
    out: list[tuple[int, ...]] = []
    vec = [0] * n
    calls = [0]

    def walk(q: int, total: int, lightest: int) -> bool:
        calls[0] += 1
        if t_end is not None and calls[0] % 4096 == 0 and time.perf_counter() > t_end:
            return False
        if total - lightest >= target:
            return True                     # not minimal, nor anything above it
        if total >= target:
            # the rest stays 0: one more twin anywhere would make the vector non-minimal
            out.append(tuple(vec[:q]) + (0,) * (n - q))
            return len(out) <= limit
        if q == n or total + tail[q] < target:
            return True
        for c in range(sizes[q] + 1):
            vec[q] = c
            ok = walk(q + 1, total + c * weights[q],
                      min(lightest, weights[q]) if c else lightest)
            if not ok:
                return False
        vec[q] = 0
        return True

    if not walk(0, 0, 1 << 62):
        return None
    return out


def chosen_jobs(groups: Sequence[TwinGroup], counts: Sequence[int]) -> list[int]:
    """The jobs of a count vector: each group's ``counts[q]`` twins due last."""
    return sorted(j for g, c in zip(groups, counts, strict=True) if c
                  for j in g.members[len(g.members) - c:])


# ------------------------------------------------------------------ the DP over counts
def _moved(p: int, hole: int, slot: int, *, gpu_only: bool) -> tuple[int, int]:
    """A group's (next slot P, holes below P) once a twin takes ``slot``: a GPU-only twin
    fills a hole (or slot P itself); a CPU user takes a slot from P on and leaves the slots
    it skips as holes."""
    if gpu_only:
        return (p, hole & ~(1 << slot)) if slot < p else (p + 1, hole)
    return slot + 1, hole | (((1 << slot) - 1) ^ ((1 << p) - 1))


def prune_later_slots(layer: dict[tuple[int, ...], tuple[np.ndarray, ...]],
                      widths: Sequence[int], same_p: Sequence[bool]) -> int:
    """Drop, in one layer of the DP over counts, the labels of a state that a state with
    its slots left later dominates; returns how many were dropped.

    ``layer`` maps a state (per group: next slot ``P``, hole mask below ``P``) to its
    labels (GPU free times, CPU free times, then any path fields, all filtered alike);
    states with no label are removed. ``widths[q]``: group ``q``'s slots (at most 63);
    ``same_p[q]``: whether ``P`` must be equal in that group (no GPU-only option of
    positive length, ``A_G = 0``). A label of state ``A`` is dropped when a label of a
    state ``B`` has both free times no later and, in every group, ``B`` has as many slots
    left as ``A`` (its holes and every slot from ``P`` on), its ``i``-th lowest at or above
    ``A``'s ``i``-th, and ``P_B <= P_A`` (equal where ``same_p``): the module docstring's
    *Dominance*, which proves that this loses no path. Each state is compared with the
    other states' labels as they were before this call: the relation is a strict partial
    order between states, so a dropped label's beater, if dropped too, has a beater of its
    own, up to a state that keeps its labels. Measured on
    v2-batch-huawei_mate_20-n80-l4-s3's vector (20, 17, 18): 0.51 M labels and 0.7 s,
    against 2.0 M and 2.2 s with equal ``P`` only (commit d3e3725) and 233.6 M and 185 s
    with no dominance.
    """
    for state in [s for s, fr in layer.items() if not len(fr[0])]:
        del layer[state]            # no label: nothing to keep (a review)
    n_grp = len(widths)
    buckets: dict[tuple[int, ...], list[tuple[int, ...]]] = {}
    for state in layer:
        key = tuple(widths[q] - state[2 * q] + int(state[2 * q + 1]).bit_count()
                    for q in range(n_grp)) + tuple(state[2 * q] for q in range(n_grp)
                                                   if same_p[q])
        buckets.setdefault(key, []).append(state)
    bit = np.arange(64, dtype=np.int64)
    dropped = 0
    for states in buckets.values():
        if len(states) < 2:
            continue
        pos = np.array([state[0::2] for state in states], dtype=np.int64)      # (k, G)
        # the slots left as a bit mask: the holes and every slot from P to the width
        left = np.array([[state[2 * q + 1] | (((1 << widths[q]) - 1) ^ ((1 << state[2 * q]) - 1))
                          for q in range(n_grp)] for state in states], dtype=np.int64)
        # slots left below each position, per group: B's are later, one by one, iff B
        # has no more of them below every position than A
        below = np.cumsum((left[:, :, None] >> bit) & 1, axis=2).reshape(len(states), -1)
        fronts = [layer[state] for state in states]
        for a, state in enumerate(states):
            later = np.flatnonzero((below <= below[a]).all(axis=1)
                                   & (pos <= pos[a]).all(axis=1))
            later = later[later != a]
            if not len(later):
                continue
            g, c = pareto_free_times(np.concatenate([fronts[b][0] for b in later]),
                                     np.concatenate([fronts[b][1] for b in later]))
            # the kept front ascends in g with c falling: the least c among g' <= g
            at = np.searchsorted(g, fronts[a][0], side="right") - 1
            beaten = (at >= 0) & (c[np.maximum(at, 0)] <= fronts[a][1])
            if beaten.any():
                dropped += int(beaten.sum())
                keep = ~beaten
                if keep.any():
                    layer[state] = tuple(f[keep] for f in fronts[a])
                else:
                    del layer[state]
    return dropped


class _CountDp:
    """The DP of :func:`count_vector_check` (groups with ``counts[q] > 0`` only)."""

    def __init__(self, instance: Instance, groups: list[TwinGroup], counts: list[int],
                 t_end: float, label_limit: int, *, relaxed: bool,
                 tau: int | None = None, paths: bool = True, dominance: bool = True) -> None:
        self.counts = counts
        self.dominance = dominance
        self.pruned = 0       # labels dropped by the dominance between states
        # without paths a label is its two free times only and a layer is dropped once the
        # next one is built: a refutation needs no path, and at n = 80 the labels of every
        # layer with their parents do not fit in memory (see refute_label_budget)
        self.paths = paths
        self.t_end, self.label_limit = t_end, label_limit
        self.release = groups[0].release
        self.opts: list[list[_Opt]] = []
        self.trivial = False
        for g in groups:
            job, triv = _job_options(instance, g.members[-1])   # the group's latest deadline
            if triv is not None:
                self.trivial = True
            self.opts.append(list(job.gpu_opts) + list(job.cpu_opts))
        if relaxed:
            # a GPU-then-CPU option with b + h below the longest such lag becomes
            # GPU-only, done at GPU end + h + b (its CPU stage dropped: a relaxation);
            # the common-order argument then lowers no lag (h' = min(h, mu) = h)
            if tau is None:
                tau = max((o.h for os_ in self.opts for o in os_ if o.cls == _GC), default=0)
            self.opts = [[_Opt(_G, o.cut, o.a, o.h + o.b, 0)
                          if o.cls == _GC and o.b + o.h < tau else o for o in os_]
                         for os_ in self.opts]
        gc = [o for os_ in self.opts for o in os_ if o.cls == _GC]
        # the common-order argument needs h'_i <= b_j + h'_j for every two GPU-then-CPU
        # options: h' = min(h, mu) with mu = min (b + h) does it
        mu = min((o.b + o.h for o in gc), default=0)
        h_split = [min(o.h, mu) if relaxed else o.h for o in gc]
        # a GPU-only twin before a CPU user in pi must not finish after it
        h_g_cap = min((o.a + h + o.b for o, h in zip(gc, h_split, strict=True)), default=0)

        def lag(o: _Opt) -> int:
            if not relaxed:
                return o.h
            if o.cls == _GC:
                return min(o.h, mu)
            if o.cls == _G and gc:
                return min(o.h, h_g_cap)
            return o.h

        self.cls = [np.array([o.cls for o in os_], dtype=np.int64) for os_ in self.opts]
        self.a = [np.array([o.a for o in os_], dtype=np.int64) for os_ in self.opts]
        self.b = [np.array([o.b for o in os_], dtype=np.int64) for os_ in self.opts]
        self.h = [np.array([lag(o) for o in os_], dtype=np.int64) for os_ in self.opts]
        self.a_g: list[int] = []   # per group: shortest GPU-only stage (0: none) and lag
        self.h_g: list[int] = []
        for q, os_ in enumerate(self.opts):
            g_only = [i for i, o in enumerate(os_) if o.cls == _G]
            if relaxed and g_only:
                # GPU-only twins of a group finish in their GPU order only if h'_i <= a_j +
                # h'_j for every two of its GPU-only options (a converted option's lag h + b
                # exceeds a true GPU-only cut's 0): h' = min(h, nu), nu = min (a + h)
                nu = min(int(self.a[q][i] + self.h[q][i]) for i in g_only)
                for i in g_only:
                    self.h[q][i] = min(int(self.h[q][i]), nu)
            self.a_g.append(min((int(self.a[q][i]) for i in g_only), default=0))
            self.h_g.append(min((int(self.h[q][i]) for i in g_only), default=0))
        self.dl = [np.array(sorted(instance.jobs[j].deadline
                                   for j in g.members[len(g.members) - c:]), dtype=np.int64)
                   for g, c in zip(groups, counts, strict=True)]
        self.wts = np.array(ENERGY_WEIGHTS, dtype=np.int64)
        # cheapest alpha * GPU work + beta * CPU work of one twin, per weight pair: (m, groups)
        self.work = np.array([[min((al * o.a + be * o.b for o in os_), default=0)
                               for os_ in self.opts] for al, be in ENERGY_WEIGHTS],
                             dtype=np.int64).reshape(len(ENERGY_WEIGHTS), len(groups))
        self.layers: list[dict[tuple[int, ...], tuple[np.ndarray, ...]]] = []
        # the same tables padded into 2-D arrays for the compiled expansion (bare mode)
        n_grp, width = len(groups), max((len(os_) for os_ in self.opts), default=0)
        self.k_nopt = np.array([len(os_) for os_ in self.opts], dtype=np.int64)
        self.k_m = np.array([len(d) for d in self.dl], dtype=np.int64)
        self.k_dl = np.full((n_grp, max(self.k_m, default=0)), np.iinfo(np.int64).max,
                            dtype=np.int64)
        self.k_cls, self.k_a, self.k_h, self.k_b = (np.zeros((n_grp, width), dtype=np.int64)
                                                    for _ in range(4))
        for q in range(n_grp):
            self.k_dl[q, :self.k_m[q]] = self.dl[q]
            for arr, src in ((self.k_cls, self.cls), (self.k_a, self.a), (self.k_h, self.h),
                             (self.k_b, self.b)):
                arr[q, :len(src[q])] = src[q]
        self.k_a_g = np.array(self.a_g, dtype=np.int64)
        self.k_h_g = np.array(self.h_g, dtype=np.int64)
        # the kernel takes each hole mask as an int64: groups of up to 63 slots (a review
        # found 65 twins of one network overflowing it); wider ones keep the numpy code
        self.compiled = max(self.k_m, default=0) <= 63
        # for the dominance between states (prune_later_slots): slots per group, and the
        # groups whose P must be equal (no GPU-only option of positive length: no holes)
        self.widths = [int(x) for x in self.k_m]
        self.same_p = [a == 0 for a in self.a_g]
        self.labels = 0
        self.pending = 0      # labels of the layer being built, before the Pareto filter

    def run(self) -> bool | None:
        """True if some path places every twin in a slot, False if none, None at a limit.

        With paths, the limit counts every label kept (those the dominance between
        states drops are not counted); without, the labels held at once (the layer being
        expanded and the next one's, before the Pareto filter).
        Running out of memory (a bench run's address-space limit) is a limit too.
        """
        try:
            return self._run()
        except MemoryError:
            self.layers.clear()
            return None

    def _run(self) -> bool | None:
        empty = np.zeros(1, dtype=np.int64)
        # a state: per group (next slot P, bit mask of the holes below P); labels: GPU
        # free, CPU free, and with paths: parent label, parent state (its position in
        # the layer), group, option
        start = tuple(0 for _ in range(2 * len(self.counts)))
        fields = 6 if self.paths else 2
        layer: dict[tuple[int, ...], tuple[np.ndarray, ...]] = {
            start: (empty, empty, empty - 1, empty - 1, empty - 1, empty - 1)[:fields]}
        self.labels = held = 1
        for _step in range(sum(self.counts)):
            if self.paths:
                self.layers.append(layer)
            nxt: dict[tuple[int, ...], list[tuple[np.ndarray, ...]]] = {}
            for pos, (state, fr) in enumerate(layer.items()):
                used = self.labels if self.paths else held
                if time.perf_counter() > self.t_end or used + self.pending > self.label_limit:
                    return None
                self._expand(pos, state, fr, nxt)
            self.pending = 0
            layer = {}
            before = self.labels
            for i, (state, parts) in enumerate(nxt.items()):
                if i % 1024 == 1023 and time.perf_counter() > self.t_end:
                    return None     # a large layer's merge takes seconds (a review)
                g = np.concatenate([p[0] for p in parts])
                c = np.concatenate([p[1] for p in parts])
                if not self.paths:
                    layer[state] = pareto_free_times(g, c)
                    self.labels += len(layer[state][0])
                    continue
                keep = _pareto_front(g, c)
                layer[state] = (g[keep], c[keep],
                                *(np.concatenate([p[i] for p in parts])[keep]
                                  for i in range(2, fields)))
                self.labels += len(keep)
            nxt.clear()
            if self.dominance and self.compiled:
                dropped = prune_later_slots(layer, self.widths, self.same_p)
                self.pruned += dropped
                self.labels -= dropped
            held = self.labels - before
            if not layer:
                return False
        if self.paths:
            self.layers.append(layer)
        return True

    def _expand(self, pos: int, state: tuple[int, ...], fr: tuple[np.ndarray, ...],
                nxt: dict[tuple[int, ...], list[tuple[np.ndarray, ...]]]) -> None:
        if not self.paths and self.compiled:
            self._expand_compiled(state, fr, nxt)
            return
        g, c = fr[0][:, None], fr[1][:, None]
        slots = [(state[2 * q], state[2 * q + 1]) for q in range(len(self.counts))]
        # the deadlines of the slots left: the holes and every slot from P on; a hole
        # is filled by a GPU-only twin, whose work is its GPU stage
        holes = [self.dl[q][[i for i in range(p) if hole >> i & 1]]
                 for q, (p, hole) in enumerate(slots)]
        rest = [np.concatenate([holes[q], self.dl[q][p:]]).astype(np.int64)
                for q, (p, _hole) in enumerate(slots)]
        left = [q for q in range(len(self.counts)) if len(rest[q])]
        d_rest = np.concatenate([rest[q] for q in left])
        w_rest = np.concatenate([np.concatenate(
            [np.repeat(self.wts[:, :1] * self.a_g[q], len(holes[q]), axis=1),
             np.repeat(self.work[:, q:q + 1], len(rest[q]) - len(holes[q]), axis=1)], axis=1)
            for q in left], axis=1)
        order = np.argsort(d_rest, kind="stable")
        d_rest, cum = d_rest[order], np.cumsum(w_rest[:, order], axis=1)
        alive = energy_fits(g, c, d_rest, cum, self.wts)
        for q in left:
            if len(holes[q]):
                # the i-th hole from the lowest: the i-th GPU-only twin of the group from
                # now, which ends no earlier than g + i A_G + H_G
                i = np.arange(1, len(holes[q]) + 1)
                alive &= (g + i[None, :] * self.a_g[q] + self.h_g[q]
                          <= holes[q][None, :]).all(axis=1)
        if not alive.any():
            return
        moves = []
        for q in left:
            p, hole = slots[q]
            dl, m = self.dl[q], len(self.dl[q])
            kind = self.cls[q][None, :]
            fin, ng, nc = place_next(g, c, self.release, self.cls[q], self.a[q], self.h[q],
                                     self.b[q])
            # the twin that will take the earliest slot left, placed now or later
            alive &= (fin <= rest[q].min()).any(axis=1)
            # the slot each move takes (-1: none), then one next state per slot
            if hole:
                low = (hole & -hole).bit_length() - 1
                g_slot = low                      # a GPU-only twin fills the lowest hole
            else:
                g_slot = p if p < m else -1
            s_min = np.maximum(np.searchsorted(dl, fin, side="left"), p)
            if self.a_g[q] > 0:
                # the holes a CPU user leaves are GPU-only twins after it that finish
                # before it: they start on the GPU after ng, one after another
                e_max = np.maximum((fin - ng - self.h_g[q] - 1) // self.a_g[q], 0)
                s_max = np.minimum(p + e_max, m - 1)
            else:
                s_max = np.full_like(fin, p)
            s_max = np.where(kind == _G, -1, s_max)
            s_min = np.where(kind == _G, m, s_min)
            moves.append((q, p, hole, g_slot, fin, ng, nc, kind, s_min, s_max))
        if not alive.any():
            return
        for q, p, hole, g_slot, fin, ng, nc, kind, s_min, s_max in moves:
            live = alive[:, None]
            base = state[:2 * q], state[2 * q + 2:]
            if g_slot >= 0:
                ok = (kind == _G) & (fin <= self.dl[q][g_slot]) & live
                rows, cols = np.nonzero(ok)
                if len(rows):
                    new = _moved(p, hole, g_slot, gpu_only=True)
                    self._add(nxt, base[0] + new + base[1], ng, nc, rows, cols, pos, q)
            # a CPU user takes the first slot from P on whose deadline it meets (an
            # exchange: any later slot it could take, a later twin can take instead)
            ok = (s_min <= s_max) & live
            if not ok.any():
                continue
            for slot in np.unique(s_min[ok]):
                rows, cols = np.nonzero(ok & (s_min == slot))
                slot = int(slot)
                new = _moved(p, hole, slot, gpu_only=False)
                self._add(nxt, base[0] + new + base[1], ng, nc, rows, cols, pos, q)

    def _expand_compiled(self, state: tuple[int, ...], fr: tuple[np.ndarray, ...],
                         nxt: dict[tuple[int, ...], list[tuple[np.ndarray, ...]]]) -> None:
        """``_expand`` without paths, by :func:`splitsched.solvers.twins_kernel.expand_state`
        (the same moves; a test holds the two to the same layers)."""
        keys, bounds, ng, nc = expand_state(
            fr[0], fr[1], np.array(state[0::2], dtype=np.int64),
            np.array(state[1::2], dtype=np.int64), self.k_dl, self.k_m, self.k_cls, self.k_a,
            self.k_h, self.k_b, self.k_nopt, self.k_a_g, self.k_h_g, self.work, self.wts,
            self.release)
        for k in range(len(keys)):
            q, code = int(keys[k, 0]), int(keys[k, 1])
            p, hole = state[2 * q], state[2 * q + 1]
            if code < 0:        # a GPU-only twin fills the lowest hole, or slot P
                new = _moved(p, hole, (hole & -hole).bit_length() - 1 if hole else p,
                             gpu_only=True)
            else:
                new = _moved(p, hole, code, gpu_only=False)
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            self.pending += hi - lo
            nxt.setdefault(state[:2 * q] + new + state[2 * q + 2:], []).append(
                (ng[lo:hi], nc[lo:hi]))

    def _add(self, nxt: dict[tuple[int, ...], list[tuple[np.ndarray, ...]]],
             key: tuple[int, ...], ng: np.ndarray, nc: np.ndarray, rows: np.ndarray,
             cols: np.ndarray, pos: int, q: int) -> None:
        self.pending += len(rows)
        if not self.paths:
            nxt.setdefault(key, []).append((ng[rows, cols], nc[rows, cols]))
            return
        nxt.setdefault(key, []).append((ng[rows, cols], nc[rows, cols], rows,
                                        np.full(len(rows), pos), np.full(len(rows), q), cols))

    def orders(self, limit: int) -> list[list[tuple[int, _Opt]]]:
        """Up to ``limit`` paths (group position, option) of surviving full labels
        (none without ``paths``)."""
        if not self.paths:
            return []
        n = sum(self.counts)
        if n == 0:
            return [[]]
        fronts = [list(layer.values()) for layer in self.layers]
        last = fronts[n][0]
        out = []
        for start in range(min(limit, len(last[0]))):
            path: list[tuple[int, _Opt]] = []
            idx, fr = start, last
            for back in range(n, 0, -1):
                q, o = int(fr[4][idx]), int(fr[5][idx])
                path.append((q, self.opts[q][o]))
                idx, fr = int(fr[2][idx]), fronts[back - 1][int(fr[3][idx])]
            path.reverse()
            out.append(path)
        return out


def _path_schedule(instance: Instance, groups: list[TwinGroup], counts: list[int],
                   path: list[tuple[int, _Opt]], solver: str) -> Schedule | None:
    """The earliest schedule of one path with the real lags, twins matched to its finish
    times in sorted order, if it keeps every chosen twin on time (checked by ``evaluate``)."""
    chosen = [list(g.members[len(g.members) - c:]) for g, c in zip(groups, counts, strict=True)]

    def build(ident: list[int]) -> Schedule:
        cuts: dict[str, int | None] = {j.id: None for j in instance.jobs}
        for j, (_q, o) in zip(ident, path, strict=True):
            cuts[instance.jobs[j].id] = o.cut
        ids = [instance.jobs[j].id for j in ident]
        gpu = [i for i in ids if (cuts[i] or 0) > 0]
        cpu = [i for i, j in zip(ids, ident, strict=True)
               if (cuts[i] or 0) < instance.stages_of(instance.jobs[j]).num_layers]
        # a CPU stage the relaxation dropped (its option went GPU-only) goes last first,
        # then where its ready time falls among the others' CPU starts
        dropped = {i for i, (_q, o) in zip(ids, path, strict=True) if o.cls == _G} & set(cpu)
        if not dropped:
            return earliest_schedule(instance, solver, cuts, gpu, cpu)
        first = earliest_schedule(instance, solver, cuts, gpu,
                                  [i for i in cpu if i not in dropped] + [i for i in cpu
                                                                          if i in dropped])
        at = {p.job: p for p in first.plans}

        def key(i: str) -> int:
            plan = at[i]
            assert plan.cut is not None and plan.cpu_start is not None
            if i in dropped and plan.gpu_start is not None:
                st = instance.stages_of(instance.jobs[instance.job_index[i]])
                return plan.gpu_start + int(st.a[plan.cut]) + int(st.h[plan.cut])
            return plan.cpu_start

        return earliest_schedule(instance, solver, cuts, gpu, sorted(cpu, key=key))

    # first the k-th twin of a group on its k-th deadline, then by finish time
    nxt = [0] * len(groups)
    ident = []
    for q, _o in path:
        ident.append(chosen[q][nxt[q]])
        nxt[q] += 1
    ev = evaluate(instance, build(ident))
    if not ev.feasible:
        return None
    for q in range(len(groups)):
        pos = [i for i, (p, _o) in enumerate(path) if p == q]
        by_finish = sorted(pos, key=lambda i: (ev.completion[instance.jobs[ident[i]].id], i))
        for i, j in zip(by_finish, chosen[q], strict=True):
            ident[i] = j
    sched = build(ident)
    ev = evaluate(instance, sched)
    if ev.feasible and all(ev.on_time[instance.jobs[j].id] for j in ident):
        return sched
    return None


def count_vector_check(instance: Instance, groups: Sequence[TwinGroup], counts: Sequence[int],
                       *, time_limit_s: float = 10.0, label_limit: int = LABEL_LIMIT,
                       refute_labels: int = 0,
                       solver: str = "feasibility") -> FeasibilityResult:
    """Decide whether each group's ``counts[q]`` twins due last can all be on time.

    The groups' jobs must share one release time (``ValueError`` otherwise);
    see the module docstring for the DP and why its refutation is a proof.
    The DP keeps every label's path (to rebuild a schedule) within
    ``label_limit`` labels created. With ``refute_labels`` > 0 the same
    relaxation runs first without paths, up to ``refute_labels`` labels held at
    once, which can refute the set but not schedule it; the DP with paths runs
    only where it lets a path through.

    Returns
    -------
    FeasibilityResult
        ``infeasible`` (proven), ``feasible`` with a schedule checked by
        ``evaluate`` (it keeps exactly those jobs, all on time), or
        ``unknown`` (time or label limit, a group with a trivial cut, or no
        surviving path that the real lags keep on time). ``nodes`` counts the
        labels created.

    Raises
    ------
    ValueError
        If the used groups' releases differ or a count is out of range.
    """
    t_end = time.perf_counter() + max(0.0, time_limit_s)
    used = [(g, int(c)) for g, c in zip(groups, counts, strict=True) if c]
    if any(c < 0 or c > len(g.members) for g, c in zip(groups, counts, strict=True)):
        raise ValueError("count_vector_check: counts: out of range")
    if len({g.release for g, _c in used}) > 1:
        raise ValueError("count_vector_check: groups: release times differ")
    if not used:
        return FeasibilityResult(FEASIBLE, schedule=earliest_schedule(instance, solver, {}, [],
                                                                      []))
    gs, cs = [g for g, _c in used], [c for _g, c in used]
    labels = bare_labels = 0   # with paths (against label_limit), and without
    for tau in _taus(instance, gs):
        if refute_labels > 0:
            # the DP without paths first: it refutes with the compiled expansion, about 3
            # times faster than the DP with paths (v2-batch-huawei_mate_20-n80-l4-s3's
            # (20, 17, 18): 3.2 s against 9.1 s); the paths are built only for a schedule
            bare = _CountDp(instance, gs, cs, t_end, refute_labels, relaxed=True, tau=tau,
                            paths=False)
            if (early := _settled_at_once(bare)) is not None:
                return early
            found = bare.run()
            bare_labels += bare.labels
            if found is False:
                return FeasibilityResult(INFEASIBLE, nodes=labels + bare_labels)
            if found is None:
                return FeasibilityResult(UNKNOWN, nodes=labels + bare_labels)
            del bare                # not held while the DP with paths runs (a review)
        dp = _CountDp(instance, gs, cs, t_end, label_limit - labels, relaxed=True, tau=tau)
        if (early := _settled_at_once(dp)) is not None:
            return early
        found = dp.run()
        labels += dp.labels
        if found is None and refute_labels > 0:
            # this relaxation lets a path through (the DP without paths found one) but the
            # DP with paths reached its limit before rebuilding it: try the next
            dp.layers.clear()
            continue
        if found is False:
            return FeasibilityResult(INFEASIBLE, nodes=labels + bare_labels)
        if found is None:
            return FeasibilityResult(UNKNOWN, nodes=labels + bare_labels)
        for path in dp.orders(ORDERS_TRIED):
            sched = _path_schedule(instance, gs, cs, path, solver)
            if sched is not None:
                return FeasibilityResult(FEASIBLE, schedule=sched, nodes=labels + bare_labels)
    # every relaxation let a path through that the real lags do not keep on time: the
    # same DP with the real lags (a search for a schedule: it proves nothing)
    real = _CountDp(instance, gs, cs, t_end, label_limit - labels, relaxed=False)
    labels += bare_labels
    if real.run():
        for path in real.orders(ORDERS_TRIED):
            sched = _path_schedule(instance, gs, cs, path, solver)
            if sched is not None:
                return FeasibilityResult(FEASIBLE, schedule=sched, nodes=labels + real.labels)
    return FeasibilityResult(UNKNOWN, nodes=labels + real.labels)


def _settled_at_once(dp: _CountDp) -> FeasibilityResult | None:
    """``unknown`` for a group with a trivial cut, ``infeasible`` for one with no option
    that meets its latest deadline, else None (the DP must run)."""
    if dp.trivial:
        return FeasibilityResult(UNKNOWN)
    if any(not os_ for os_ in dp.opts):
        return FeasibilityResult(INFEASIBLE)
    return None


def _taus(instance: Instance, groups: list[TwinGroup]) -> list[int | None]:
    """The relaxations :func:`count_vector_check` tries, weakest loss first: convert no
    option (every lag lowered to ``mu``), then the options with the smallest ``b + h``
    (:data:`TAU_TRIES` values of it, each one raising ``mu`` past it), then every option
    with ``b + h`` below the longest lag (None: no lag lowered)."""
    split = [o for g in groups for o in _job_options(instance, g.members[-1])[0].gpu_opts
             if o.cls == _GC]
    longest = max((o.h for o in split), default=0)
    small = sorted({o.b + o.h for o in split if o.b + o.h < longest})
    return [0, *(v + 1 for v in small[:TAU_TRIES] if v + 1 < longest), None]


# ------------------------------------------------------------------ refuting a target
@dataclass
class Refutation:
    """What :func:`refute_on_time` settled.

    ``status``: ``"refuted"`` (proven: no schedule keeps weight ``>= target``
    on time), ``"found"`` (``schedule`` keeps at least ``target`` on time,
    checked by ``evaluate``) or ``"unknown"`` (not applicable, too many count
    vectors, or some vector left undecided at a limit). The counts say how
    many vectors were refuted, and by which method.
    """

    status: str
    schedule: Schedule | None = None
    vectors: int = 0
    by_lp: int = 0
    by_dp: int = 0
    labels: int = 0


def refute_on_time(instance: Instance, target: int, *, t_end: float,
                   max_vectors: int = MAX_VECTORS, lp_seconds: float = LP_SECONDS,
                   solver: str = "feasibility") -> Refutation:
    """Prove that no schedule keeps on-time weight ``>= target``, or find one that does.

    Applies when every job that can be on time has one release (batch
    instances). Each minimal count vector (:func:`minimal_vectors`) is
    refuted by :func:`count_vector_check` with :data:`FIRST_LABELS` labels,
    else by the per-cut LP over its jobs
    (:func:`splitsched.formulations.bounds.cut_lp_bound`, no branching; its
    bound is certified in integers), else by :func:`count_vector_check` with
    every label it may take. Stops at the first vector left undecided (at a
    limit or at ``t_end``, a ``time.perf_counter()`` time) or found feasible.

    Measured on the 2-core machine: v2-batch-vivo_z3-n40-l4-s1 at target 29
    (11 misses): 304 vectors, 303 refuted by the first DP try, 1 by the LP,
    2.5 s in all (scripts/batch_survivors.py, load about 1).
    """
    groups = twin_groups(instance)
    if len({g.release for g in groups}) > 1:
        return Refutation("unknown")
    vectors = minimal_vectors(groups, target, max_vectors, t_end)
    if vectors is None:
        return Refutation("unknown")
    out = Refutation("refuted", vectors=len(vectors))
    for v in vectors:
        res = refute_vector(instance, groups, v, t_end, lp_seconds, solver, out)
        if res is None:
            continue
        if res.status == FEASIBLE:
            out.status, out.schedule = "found", res.schedule
        else:
            out.status = "unknown"
        return out
    return out


def refute_vector(instance: Instance, groups: list[TwinGroup], v: tuple[int, ...],
                   t_end: float, lp_seconds: float, solver: str,
                   out: Refutation) -> FeasibilityResult | None:
    """Settle one count vector: None when refuted (counted in ``out``: ``by_dp`` or
    ``by_lp``), else the DP's last answer (``feasible`` with a schedule, or ``unknown``)."""
    # the DP with few labels first (most vectors die early), then the per-cut LP,
    # then the DP with every label it may take
    res = count_vector_check(instance, groups, v, label_limit=FIRST_LABELS,
                             time_limit_s=t_end - time.perf_counter(), solver=solver)
    out.labels += res.nodes
    if res.status == INFEASIBLE:
        out.by_dp += 1
        return None
    if res.status == FEASIBLE:
        return res
    left = t_end - time.perf_counter()
    if left <= 0:
        return res
    jobs = chosen_jobs(groups, v)
    lp = cut_lp_bound(sub_instance(instance, tuple(jobs)), time_limit_s=min(lp_seconds, left),
                      branch=False)
    if lp.upper_bound < sum(instance.jobs[j].weight for j in jobs):
        out.by_lp += 1
        return None
    res = count_vector_check(instance, groups, v, time_limit_s=t_end - time.perf_counter(),
                             refute_labels=refute_label_budget(), solver=solver)
    out.labels += res.nodes
    if res.status == INFEASIBLE:
        out.by_dp += 1
        return None
    return res
