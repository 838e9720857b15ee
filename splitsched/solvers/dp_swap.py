"""The order DP with one deferred or pulled-ahead stage: the GPU and CPU orders may differ.

The paper's DP (:func:`splitsched.solvers.dp.run_dp`) runs both processors in
one common job order. The best schedule may need different orders on the two
processors (`docs/design.md`, "The problem"; on ``v2-poisson-redmi-n40-l4-s1-w``
the certified optimum runs EDF jobs 8 then 4 on the GPU but 4, 7, 8 on the
CPU). This DP walks a common order too, but its label may hold one *pending*
job: its GPU stage is placed, its CPU stage is not yet. A job becomes pending
in two ways: *deferred* (at its own step its GPU stage runs, its CPU stage
waits) or *pulled ahead* (at an earlier step, at most ``displacement`` places
before its own, its GPU stage runs before that step's job's). Its CPU stage
is placed at the end of any step from its own position on, at the latest
``displacement`` steps after it. So the GPU order is the common order with
one job at a time moved up to ``displacement`` places earlier, and the CPU
order the common order with one job at a time moved up to ``displacement``
places later.

Label: accepted weight ``m`` (pending job not counted), GPU and CPU free times
``g``, ``c`` (us), and the pending job (its position, the time its CPU stage
is ready, its length, its cut). At step i, from each label:

* with nothing pending, optionally pull job x (i < x <= i + displacement)
  ahead with one of its cuts (its GPU stage runs first, from ``g``);
* then job i: if it is the pending job it has nothing more to do now;
  else drop it, or run it with one of its cuts: the GPU stage as early as
  possible, then the CPU stage either at once or, when nothing is pending
  and the CPU stage is not empty, deferred;
* then a pending job stays pending (fewer than ``displacement`` steps after
  its own) and/or, from its own step on, its CPU stage is placed now (on
  time, or that label is discarded).

With ``whole = w > 0`` the one slot may instead hold a job *moved whole*
(both stages, one cut) up to ``w`` places in the common order, so that the
DP also covers the re-insertion of one job at a time (the local search's
move) on top of the pulls and deferrals:

* *run ahead*: with nothing pending, at step i, job x (i < x <= i + w) runs
  whole before job i's stages, with a cut ``movable`` allows; it is then
  pending only as a mark (no CPU stage left, counted at its own step);
* *postponed*: with nothing pending, job i (when it has any cut) is skipped
  at its step and runs whole after the job of one of the next ``w`` steps,
  with any of its on-time-alone cuts (chosen then).

After the last job nothing may be pending. Times follow the DP step's rules
(a zero-length stage occupies nothing: ``dp_kernel._successor``). A label is
dropped when another with the same pending job and cut has weight ``>=`` and
every time (GPU, CPU, pending ready time) ``<=`` (Pareto dominance; labels
without a pending job form a staircase per weight, as in the DP's step).

With ``displacement = 0`` nothing is pulled and a deferred stage is placed in
its own step: the CPU order is the common order, and the DP is exactly the
order DP (tests hold it to ``run_dp`` and to the brute force). Exact within
its schedule class when ``beam`` is None; with a ``beam`` it keeps at most
that many labels per job of each kind (with and without a pending job):
half by weight (a pending job's included), smallest makespan first, the
other half spread evenly over the rest, a heuristic. ``movable`` restricts
which cuts a deferred or pulled job may take (a search around a known
schedule). Compiled with numba (:func:`_step`, one call per job).

Why whole moves: dp-ls reads a round's common order off the last schedule
(:func:`splitsched.solvers.heuristics.stage_order`), and an order one
re-insertion away from the right one can keep a round from the optimum
whatever the beam: on ``v2-poisson-redmi-n40-l4-s1-w`` from the order read
off the best schedule of dp-ls's local search with seed 1 (11 weighted
misses; the code before whole moves) a round without them stays at 11 with
beams of 128 and 2048, and with that order's EDF job 4 moved two places
later it reaches the certified optimum 10 at beam 128; on
``v2-poisson-redmi-n40-l3-s1-w`` (seed 1, 7; optimum 6) the same holds with
job 15 moved three places earlier. A postponed job may take any cut (with
only ``movable`` cuts the seed 1 walks stayed at 7 and 11 over four rounds);
a job run ahead only a movable one (any cut there made a round build about
1.7 times the labels).


The answer is the cuts and the two processor orders; the schedule is built
by :func:`splitsched.solvers.timing.earliest_schedule` from them (the rule's
one home), and the caller evaluates it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from splitsched.problem import Instance, Job, Schedule
from splitsched.solvers.dp import prepare
from splitsched.solvers.dp_kernel import merge_min_stairs, spread_beam
from splitsched.solvers.timing import earliest_schedule

NONE = -1  # no pending job


@dataclass(frozen=True)
class SwapResult:
    """The best label's on-time weight, makespan (us), cuts and processor orders (job ids).

    ``complete`` is False when the pass stopped at its ``deadline`` or
    ``max_work`` (then the other fields describe no schedule: weight -1).
    ``labels`` counts the candidate labels built.
    """

    weight: int
    makespan: int
    cuts: dict[str, int | None]
    gpu: list[str]
    cpu: list[str]
    complete: bool
    labels: int

    def schedule(self, instance: Instance, solver: str) -> Schedule:
        """The earliest schedule of these cuts and orders."""
        return earliest_schedule(instance, solver, self.cuts, self.gpu, self.cpu)


# a label row: m, g, c, pending position (NONE: none), its CPU-ready time, its CPU
# stage (us), its cut; an action row: cut of this step's job (-1: dropped or pulled
# before), deferred (0/1), position of the pending job placed at this step (-1: none),
# position of the job pulled at this step (-1: none; a job run whole ahead of its place
# counts as pulled), position of a postponed job run whole at this step (-1: none), its cut
M, G, C, Q, QR, QB, QK = range(7)
COLS = 7
ACOLS = 6
EARLY = 1 << 12  # QK of a job run whole ahead of its place: its cut + EARLY
LATE = 2 * EARLY  # QK of a job postponed whole (its cut is chosen when it runs)


@nb.njit(cache=True)
def _push(buf: np.ndarray, act: np.ndarray, par: np.ndarray, n: int, row: np.ndarray,
          arow: np.ndarray, parent: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Append a candidate (doubling the buffers when full)."""  # pragma: no cover (compiled)
    if n == len(buf):
        nb_ = np.empty((2 * n, COLS), np.int64)
        nb_[:n] = buf
        na = np.empty((2 * n, ACOLS), np.int64)
        na[:n] = act
        npar = np.empty(2 * n, np.int64)
        npar[:n] = par
        buf, act, par = nb_, na, npar
    buf[n] = row
    act[n] = arow
    par[n] = parent
    return buf, act, par, n + 1


@nb.njit(cache=True)
def _staircase(buf: np.ndarray, idx: np.ndarray, keep: np.ndarray) -> None:
    """Mark in ``keep`` the labels of ``idx`` (sorted by weight desc, then GPU, then CPU
    free time) that no label of the same or a larger weight dominates (GPU and CPU free
    times both ``<=``; the first of equal labels kept)."""  # pragma: no cover (compiled)
    sg = np.empty(len(idx), np.int64)  # kept labels of the heavier levels: g asc, c desc
    sc = np.empty(len(idx), np.int64)
    ns = 0
    lg = np.empty(len(idx), np.int64)
    lc = np.empty(len(idx), np.int64)
    t = 0
    big = np.int64(1) << 62
    while t < len(idx):
        u = t
        while u < len(idx) and buf[idx[u], M] == buf[idx[t], M]:
            u += 1
        # this level, g ascending: kept iff c below the level's running minimum and
        # below the heavier staircase's c at the last step with g' <= g
        nl = 0
        p = -1
        level_c = big
        for v in range(t, u):
            x = idx[v]
            while p + 1 < ns and sg[p + 1] <= buf[x, G]:
                p += 1
            heavier_c = sc[p] if p >= 0 else big
            if buf[x, C] < level_c and buf[x, C] < heavier_c:
                keep[x] = True
                level_c = buf[x, C]
                lg[nl] = buf[x, G]
                lc[nl] = buf[x, C]
                nl += 1
        # merge the level's kept labels into the staircase (both g ascending)
        mg = np.empty(ns + nl, np.int64)
        mc = np.empty(ns + nl, np.int64)
        k_ = merge_min_stairs(sg, sc, ns, lg, lc, 0, nl, mg, mc)
        sg[:k_] = mg[:k_]
        sc[:k_] = mc[:k_]
        ns = k_
        t = u


@nb.njit(cache=True, inline="always")
def _whole(g: int, c: int, release: int, a: int, h: int, b: int, cpu_only: bool,
           gpu_only: bool) -> tuple[int, int, int, int, int]:
    """One job run whole from free times ``(g, c)``: ``(GPU end, GPU free, CPU-ready, CPU
    free, finish)``; a zero-length stage starts when ready and occupies nothing."""
    if a == 0:
        gend, g2 = release, g
    else:
        gend = max(g, release) + a
        g2 = gend
    ready = release if cpu_only else gend + h
    if b == 0:
        cend, c2 = ready, c
    else:
        cend = max(c, ready) + b
        c2 = cend
    return gend, g2, ready, c2, gend if gpu_only else cend


@nb.njit(cache=True)
def _step(cur: np.ndarray, i: int, disp: int, rel: np.ndarray, dl: np.ndarray,
          wt: np.ndarray, last: np.ndarray, ostart: np.ndarray, ok: np.ndarray,
          oa: np.ndarray, oh: np.ndarray, ob: np.ndarray, mobile: np.ndarray, beam: int,
          whole: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:  # pragma: no cover
    """One job of the order: new labels, their parents and actions, candidates built.

    ``mobile``: per option, whether a job may take it when deferred, pulled ahead or run
    whole ahead of its place; a job run whole after its place (``whole`` places at most)
    may take any of its options."""
    n = len(rel)
    buf = np.empty((max(16, 4 * len(cur)), COLS), np.int64)
    act = np.empty((len(buf), ACOLS), np.int64)
    par = np.empty(len(buf), np.int64)
    cnt = 0
    row = np.empty(COLS, np.int64)
    arow = np.empty(ACOLS, np.int64)
    arow[4], arow[5] = -1, -1
    r, d, w = rel[i], dl[i], wt[i]
    pre = np.empty((1 + (disp + whole) * (ostart[n] - ostart[0]) + 1, 7), np.int64)
    has_cut = ostart[i + 1] > ostart[i]  # some cut can be on time: it may be postponed
    for pi in range(len(cur)):
        m, g, c, q = cur[pi, M], cur[pi, G], cur[pi, C], cur[pi, Q]
        # pre-states: (g, c, q, qr, qb, qk, pulled)
        npre = 1
        pre[0, 0], pre[0, 1], pre[0, 2] = g, c, q
        pre[0, 3], pre[0, 4], pre[0, 5], pre[0, 6] = cur[pi, QR], cur[pi, QB], cur[pi, QK], -1
        if q == NONE:
            for x in range(i + 1, min(n, i + 1 + disp)):
                for o in range(ostart[x], ostart[x + 1]):
                    if oa[o] == 0 or not mobile[o]:
                        continue
                    gend = max(g, rel[x]) + oa[o]
                    fin = gend if ok[o] == last[x] else gend + oh[o] + ob[o]
                    if fin <= dl[x]:
                        pre[npre, 0], pre[npre, 1], pre[npre, 2] = gend, c, x
                        pre[npre, 3], pre[npre, 4] = gend + oh[o], ob[o]
                        pre[npre, 5], pre[npre, 6] = ok[o], x
                        npre += 1
            # run job x whole (both stages) before this step's job: it is done, pending
            # only as a mark (CPU-ready = its end, no CPU stage left) until its place
            for x in range(i + 1, min(n, i + 1 + whole)):
                for o in range(ostart[x], ostart[x + 1]):
                    if not mobile[o]:
                        continue
                    _, gx, _, cx, fin = _whole(g, c, rel[x], oa[o], oh[o], ob[o],
                                               ok[o] == 0, ok[o] == last[x])
                    if fin <= dl[x]:
                        pre[npre, 0], pre[npre, 1], pre[npre, 2] = gx, cx, x
                        pre[npre, 3], pre[npre, 4] = fin, 0
                        pre[npre, 5], pre[npre, 6] = ok[o] + EARLY, x
                        npre += 1
        for s in range(npre):
            g1, c1, q1, qr1, qb1, qk1, pulled = (pre[s, 0], pre[s, 1], pre[s, 2], pre[s, 3],
                                                 pre[s, 4], pre[s, 5], pre[s, 6])
            # "after" rows are emitted through _emit below: (m, g, c, q, qr, qb, qk) + action
            for o in range(-1, ostart[i + 1] - ostart[i]):
                if q1 == i and o >= 0:
                    break  # this job's GPU stage was pulled ahead: it is pending already
                deferred_too = False
                if o < 0:  # drop (or, when pulled ahead, nothing to do now)
                    m2, g2, c2, kk = m, g1, c1, -1
                    ok_on = True
                else:
                    oi = ostart[i] + o
                    k, b = ok[oi], ob[oi]
                    _, g2, ready, c2, fin = _whole(g1, c1, r, oa[oi], oh[oi], b, k == 0,
                                                   k == last[i])
                    ok_on = fin <= d
                    m2, kk = m + w, k
                    deferred_too = q1 == NONE and b > 0 and ready + b <= d and mobile[oi]
                for variant in range(3):
                    if variant == 0:
                        if not ok_on:
                            continue
                        mm, gg, cc, qq, qr, qb, qk, dfr = m2, g2, c2, q1, qr1, qb1, qk1, 0
                    elif variant == 1:
                        if not deferred_too:
                            continue
                        mm, gg, cc, qq, qr, qb, qk, dfr = m, g2, c1, i, ready, b, kk, 1
                    else:  # postpone this job whole (run later, after a later step's job)
                        if o >= 0 or whole == 0 or q1 != NONE or not has_cut:
                            continue
                        mm, gg, cc, qq, qr, qb, qk, dfr = m, g1, c1, i, 0, 0, LATE, 0
                    if qq == NONE:
                        row[M], row[G], row[C], row[Q], row[QR], row[QB], row[QK] = \
                            mm, gg, cc, NONE, 0, 0, 0
                        arow[0], arow[1], arow[2], arow[3] = kk, dfr, -1, pulled
                        buf, act, par, cnt = _push(buf, act, par, cnt, row, arow, pi)
                        continue
                    wait = i - qq
                    if wait < (whole if qk == LATE else disp):
                        row[M], row[G], row[C], row[Q], row[QR], row[QB], row[QK] = \
                            mm, gg, cc, qq, qr, qb, qk
                        arow[0], arow[1], arow[2], arow[3] = kk, dfr, -1, pulled
                        buf, act, par, cnt = _push(buf, act, par, cnt, row, arow, pi)
                    if qk == LATE:
                        if wait < 1:
                            continue
                        # run the postponed job whole now, after this step's job
                        for ol in range(ostart[qq], ostart[qq + 1]):
                            _, g3, _, c3, fin2 = _whole(gg, cc, rel[qq], oa[ol], oh[ol], ob[ol],
                                                        ok[ol] == 0, ok[ol] == last[qq])
                            if fin2 <= dl[qq]:
                                row[M], row[G], row[C], row[Q], row[QR], row[QB], row[QK] = \
                                    mm + wt[qq], g3, c3, NONE, 0, 0, 0
                                arow[0], arow[1], arow[2], arow[3] = kk, dfr, -1, pulled
                                arow[4], arow[5] = qq, ok[ol]
                                buf, act, par, cnt = _push(buf, act, par, cnt, row, arow, pi)
                                arow[4], arow[5] = -1, -1
                        continue
                    if wait >= 0:
                        if qb == 0:
                            end, c3 = qr, cc
                        else:
                            end = max(cc, qr) + qb
                            c3 = end
                        if end <= dl[qq]:
                            row[M], row[G], row[C], row[Q], row[QR], row[QB], row[QK] = \
                                mm + wt[qq], gg, c3, NONE, 0, 0, 0
                            arow[0], arow[1], arow[2], arow[3] = \
                                kk, dfr, qq if qk < EARLY else -1, pulled
                            buf, act, par, cnt = _push(buf, act, par, cnt, row, arow, pi)
    buf, act, par = buf[:cnt], act[:cnt], par[:cnt]
    # Pareto per pending group (q, qk): order by group, weight desc, g, c, qr (stable sorts)
    total = 0
    for j in range(n):
        total += wt[j]
    order = np.argsort(buf[:, QR], kind="mergesort")
    order = order[np.argsort(buf[order, C], kind="mergesort")]
    order = order[np.argsort(buf[order, G], kind="mergesort")]
    key = (buf[:, Q] + 1) * (1 << 20) + buf[:, QK]
    key = key * (total + 1) + (total - buf[:, M])
    order = order[np.argsort(key[order], kind="mergesort")]
    keep = np.zeros(cnt, np.bool_)
    kept = np.empty(cnt, np.int64)
    start = 0
    while start < cnt:
        end = start
        gk = (buf[order[start], Q], buf[order[start], QK])
        while end < cnt and buf[order[end], Q] == gk[0] and buf[order[end], QK] == gk[1]:
            end += 1
        nk = 0
        if gk[0] == NONE:
            _staircase(buf, order[start:end], keep)
            start = end
            continue
        for t in range(start, end):
            x = order[t]
            dom = False
            for u in range(nk):
                y = kept[u]
                if buf[y, G] <= buf[x, G] and buf[y, C] <= buf[x, C] \
                        and buf[y, QR] <= buf[x, QR]:
                    dom = True
                    break
            if not dom:
                keep[x] = True
                kept[nk] = x
                nk += 1
        start = end
    sel = np.flatnonzero(keep)
    if beam > 0:
        # each kind apart: weight (a pending job's included) desc, makespan, g
        parts = []
        for kind in range(2):
            idx = np.empty(len(sel), np.int64)
            k2 = 0
            for t in range(len(sel)):
                if (buf[sel[t], Q] == NONE) == (kind == 0):
                    idx[k2] = sel[t]
                    k2 += 1
            idx = idx[:k2]
            if k2 > beam:
                pot = buf[idx, M].copy()
                mk = np.maximum(buf[idx, G], buf[idx, C])
                for t in range(k2):
                    if kind == 1:
                        pot[t] += wt[buf[idx[t], Q]]
                        mk[t] = max(mk[t], buf[idx[t], QR] + buf[idx[t], QB])
                o2 = np.argsort(buf[idx, G], kind="mergesort")
                o2 = o2[np.argsort(mk[o2], kind="mergesort")]
                o2 = o2[np.argsort(-pot[o2], kind="mergesort")]
                idx = spread_beam(idx[o2], beam)
            parts.append(idx)
        sel = np.sort(np.concatenate((parts[0], parts[1])))
    return buf[sel], par[sel], act[sel], cnt


def swap_dp(instance: Instance, order: list[Job], *, displacement: int,
            beam: int | None = None, deadline: float = float("inf"),
            max_work: float = float("inf"), stop: Callable[[], bool] | None = None,
            movable: dict[str, set[int]] | None = None, whole: int = 0) -> SwapResult:
    """Run the DP with one deferred CPU stage over ``order`` (module docstring).

    Parameters
    ----------
    order:
        The common order (every job of the instance once).
    displacement:
        How many later jobs' CPU stages a deferred CPU stage may wait for
        (>= 0; 0: the plain order DP).
    beam:
        Labels kept per job (None: the whole Pareto front; else >= 3).
    deadline:
        ``time.perf_counter()`` value after which the pass stops (incomplete).
    max_work:
        Candidate labels the pass may build before it stops (incomplete).
    stop:
        Called between jobs; True stops the pass (incomplete).
    movable:
        Per job id, the cuts with which the job may be deferred or pulled
        ahead, or run whole ahead of its place (a job not listed: none);
        None: every cut. Fewer labels, and a search around a known
        schedule's cuts.
    whole:
        How many places a job may move whole, earlier or later (>= 0; 0:
        none; module docstring).

    Raises
    ------
    ValueError
        ``displacement < 0``, ``whole < 0``, ``beam < 3``, or ``order`` not the
        instance's jobs once each.
    """
    if displacement < 0:
        raise ValueError(f"displacement must be >= 0, got {displacement}")
    if whole < 0:
        raise ValueError(f"whole must be >= 0, got {whole}")
    if beam is not None and beam < 3:
        raise ValueError(f"beam must be >= 3, got {beam}")
    if sorted(j.id for j in order) != sorted(j.id for j in instance.jobs):
        raise ValueError("order must hold every job of the instance exactly once")
    n = len(order)
    # the DP's own inputs: on-time-alone cuts (k, a, h, b) flattened, release, deadline
    prep = prepare(instance, order)
    ostart, ok, oa, oh, ob, rel, dl = prep.flat
    wt, last = prep.weights, prep.layers
    mobile = np.array([movable is None or int(k) in movable.get(j.id, ())
                       for j, (ks, _a, _h, _b) in zip(order, prep.options, strict=True)
                       for k in ks], np.bool_)
    cur = np.zeros((1, COLS), np.int64)
    cur[0, Q] = NONE
    stages: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    work = 0
    for i in range(n):
        if time.perf_counter() >= deadline or work > max_work or (stop is not None and stop()):
            return SwapResult(-1, 0, {}, [], [], False, work)
        cur, par, act, built = _step(cur, i, displacement, rel, dl, wt, last, ostart, ok, oa,
                                     oh, ob, mobile, beam or 0, whole)
        work += built
        stages.append((cur, par, act))
    if n == 0:
        return SwapResult(0, 0, {}, [], [], True, work)
    finals = [x for x in range(len(cur)) if cur[x, Q] == NONE]
    idx = min(finals, key=lambda x: (-int(cur[x, M]), int(max(cur[x, G], cur[x, C]))))
    weight, makespan = int(cur[idx, M]), int(max(cur[idx, G], cur[idx, C]))
    # walk back: events (step, rank within the step, position) on each processor; a
    # pulled job's GPU stage runs before the step's own, a placed pending CPU stage after
    cuts_out: dict[str, int | None] = {j.id: None for j in order}
    gpu_events: list[tuple[int, int, int]] = []
    cpu_events: list[tuple[int, int, int]] = []
    for i in range(n - 1, -1, -1):
        labs, par, act = stages[i]
        k, deferred, placed, pulled, late, late_cut = (int(x) for x in act[idx])
        if k >= 0:
            cuts_out[order[i].id] = k
            gpu_events.append((i, 1, i))
            if not deferred:
                cpu_events.append((i, 0, i))
        if placed >= 0:
            cpu_events.append((i, 1, placed))
        if pulled >= 0:
            gpu_events.append((i, 0, pulled))
            qk = int(labs[idx, QK])  # pending after its pull
            cuts_out[order[pulled].id] = qk % EARLY
            if qk >= EARLY:  # run whole: its CPU stage before this step's job's too
                cpu_events.append((i, -1, pulled))
        if late >= 0:  # a postponed job run whole after this step's job
            cuts_out[order[late].id] = late_cut
            gpu_events.append((i, 2, late))
            cpu_events.append((i, 2, late))
        idx = int(par[idx])
    gpu = [order[p].id for _, _, p in sorted(gpu_events)
           if (kp := cuts_out[order[p].id]) is not None and kp > 0]
    cpu = [order[p].id for _, _, p in sorted(cpu_events)
           if (kp := cuts_out[order[p].id]) is not None and kp < last[p]]
    return SwapResult(weight, makespan, cuts_out, gpu, cpu, True, work)


def _warm_up() -> None:
    """Compile (or load from numba's cache) :func:`_step` at import, so that no solver's
    time limit pays for it (as ``dp_kernel.warm_up`` does for the DP)."""
    one = np.ones(2, np.int64)
    cur = np.zeros((1, COLS), np.int64)
    cur[0, Q] = NONE
    _step(cur, 0, 1, one * 0, one * 10, one, one, np.array([0, 1, 2], np.int64),
          one, one, one * 0, one, np.ones(2, np.bool_), 2, 1)


_warm_up()
