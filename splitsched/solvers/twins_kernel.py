"""Compiled (numba) expansion of one state of the DP over counts of :mod:`splitsched.solvers.twins`.

The numpy version (``_CountDp._expand``) spends most of its time in the
overhead of some forty small array operations per state: on
v2-batch-huawei_mate_20-n80-l4-s1 the DP expands about half a million states
of a few hundred labels each. This kernel does the same work for one state
in one call. It implements exactly the rules of the numpy version (the
module docstring of ``twins.py`` says why they are sound); a test holds the
two to the same layers on random instances.

Moves come out grouped by destination: per group ``q``, first the GPU-only
move (to the lowest hole, or slot ``P``), then the CPU-user moves by the slot
they take, each destination's labels reduced to their Pareto front (the
layer's merge keeps the same front; this holds far fewer labels meanwhile:
4.8 GB resident at most instead of 7.3 GB on
v2-batch-huawei_mate_20-n80-l4-s3's vector (20, 17, 18)). ``keys`` lists
each destination once, as ``(q, code)``: ``code == -1`` for the GPU-only
move, else the slot taken. Times are integer microseconds in int64 arrays.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from splitsched.solvers.feasibility import _G, _GC  # option classes (numba: constants)


@nb.njit(cache=True)
def expand_state(g: np.ndarray, c: np.ndarray, pos: np.ndarray, hole: np.ndarray,
                 dl: np.ndarray, m: np.ndarray, cls: np.ndarray, a: np.ndarray,
                 h: np.ndarray, b: np.ndarray, nopt: np.ndarray, a_g: np.ndarray,
                 h_g: np.ndarray, work: np.ndarray, wts: np.ndarray, release: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Every surviving move of one state's labels.

    Parameters
    ----------
    g, c : (L,) int64
        The labels' GPU and CPU free times.
    pos, hole : (G,) int64
        Per group the next slot ``P`` and the bit mask of the holes below it.
    dl : (G, M) int64
        Per group the deadlines of its slots, ascending (``m[q]`` of them).
    cls, a, h, b : (G, O) int64
        Per group its options' class and (relaxed) stage table (``nopt[q]``).
    a_g, h_g : (G,) int64
        Per group its shortest GPU-only stage (0: none) and that option's lag.
    work : (W, G) int64
        Per weight pair the cheapest ``alpha a + beta b`` of one twin.
    wts : (W, 2) int64
        The energetic test's weight pairs.

    Returns
    -------
    keys : (K, 2) int64
        The destinations ``(q, code)`` in output order.
    bounds : (K + 1,) int64
        Destination ``k``'s moves are rows ``bounds[k]:bounds[k + 1]``.
    ng, nc : (N,) int64
        The moved labels' GPU and CPU free times.
    """
    n_lab = g.shape[0]
    n_grp = pos.shape[0]
    n_w = wts.shape[0]
    empty2 = np.zeros((0, 2), dtype=np.int64)
    empty1 = np.zeros(1, dtype=np.int64)
    empty0 = np.zeros(0, dtype=np.int64)
    # the slots left per group: the holes (filled by GPU-only twins) and every slot from P
    n_rest = 0
    for q in range(n_grp):
        for i in range(pos[q]):
            if (hole[q] >> i) & 1:
                n_rest += 1
        n_rest += m[q] - pos[q]
    d_rest = np.empty(n_rest, dtype=np.int64)
    w_rest = np.empty((n_w, n_rest), dtype=np.int64)
    rest_min = np.full(n_grp, np.iinfo(np.int64).max, dtype=np.int64)
    k = 0
    for q in range(n_grp):
        for i in range(pos[q]):
            if (hole[q] >> i) & 1:
                d_rest[k] = dl[q, i]
                for w in range(n_w):
                    w_rest[w, k] = wts[w, 0] * a_g[q]
                k += 1
        for i in range(pos[q], m[q]):
            d_rest[k] = dl[q, i]
            for w in range(n_w):
                w_rest[w, k] = work[w, q]
            k += 1
        # the earliest slot left (holes lie below P, so a hole when there is one)
        for i in range(m[q]):
            if i >= pos[q] or (hole[q] >> i) & 1:
                rest_min[q] = dl[q, i]
                break
    order = np.argsort(d_rest, kind="mergesort")
    d_sorted = d_rest[order]
    cum = np.empty((n_w, n_rest), dtype=np.int64)
    for w in range(n_w):
        s = 0
        for r in range(n_rest):
            s += w_rest[w, order[r]]
            cum[w, r] = s
    # The energetic test: for each deadline D left and weight pair (alpha, beta), the
    # twins due by D need cum <= alpha (D - g)^+ + beta (D - c)^+. Past both free times
    # that is cum - (alpha + beta) D <= -alpha g - beta c: one suffix maximum per pair
    # decides every such D at once (the same answer as checking each D, faster).
    tail = np.empty((n_w, n_rest + 1), dtype=np.int64)
    for w in range(n_w):
        tail[w, n_rest] = np.iinfo(np.int64).min
        for r in range(n_rest - 1, -1, -1):
            v = cum[w, r] - (wts[w, 0] + wts[w, 1]) * d_sorted[r]
            tail[w, r] = v if v > tail[w, r + 1] else tail[w, r + 1]
    alive = np.ones(n_lab, dtype=np.bool_)
    for li in range(n_lab):
        gi, ci = g[li], c[li]
        ok = True
        lo, hi = (gi, ci) if gi <= ci else (ci, gi)
        i1 = np.searchsorted(d_sorted, lo, side="right")   # D <= both free times: no room
        i2 = np.searchsorted(d_sorted, hi, side="right")   # D past both: the suffix maximum
        if i1 > 0:
            for w in range(n_w):
                if cum[w, i1 - 1] > 0:
                    ok = False
                    break
        if ok:
            for r in range(i1, i2):     # room on the earlier-free processor only
                gap_g = d_sorted[r] - gi if d_sorted[r] > gi else 0
                gap_c = d_sorted[r] - ci if d_sorted[r] > ci else 0
                for w in range(n_w):
                    if cum[w, r] > wts[w, 0] * gap_g + wts[w, 1] * gap_c:
                        ok = False
                        break
                if not ok:
                    break
        if ok and i2 < n_rest:
            for w in range(n_w):
                if tail[w, i2] > -wts[w, 0] * gi - wts[w, 1] * ci:
                    ok = False
                    break
        if ok:
            # the i-th hole from the lowest: the i-th GPU-only twin from now
            for q in range(n_grp):
                j = 0
                for i in range(pos[q]):
                    if (hole[q] >> i) & 1:
                        j += 1
                        if gi + j * a_g[q] + h_g[q] > dl[q, i]:
                            ok = False
                            break
                if not ok:
                    break
        alive[li] = ok
    n_opt_max = cls.shape[1]
    fin = np.empty((n_grp, n_lab, n_opt_max), dtype=np.int64)
    ngs = np.empty((n_grp, n_lab, n_opt_max), dtype=np.int64)
    ncs = np.empty((n_grp, n_lab, n_opt_max), dtype=np.int64)
    for q in range(n_grp):
        if m[q] - pos[q] <= 0 and hole[q] == 0:
            continue    # nothing left of this group
        for li in range(n_lab):
            any_fits = False
            for o in range(nopt[q]):
                # place_next: each label placed next with each option, at its earliest
                ge = max(g[li], release) + a[q, o]
                kind = cls[q, o]
                if kind == _GC:
                    ce = max(c[li], ge + h[q, o]) + b[q, o]
                    f, xg, xc = ce, ge, ce
                elif kind == _G:
                    f, xg, xc = ge + h[q, o], ge, c[li]
                else:
                    ce = max(c[li], release + h[q, o]) + b[q, o]
                    f, xg, xc = ce, g[li], ce
                fin[q, li, o], ngs[q, li, o], ncs[q, li, o] = f, xg, xc
                if f <= rest_min[q]:
                    any_fits = True
            # the twin that will take the group's earliest slot left, placed now or later
            if not any_fits:
                alive[li] = False
    if not alive.any():
        return empty2, empty1, empty0, empty0
    # the moves: count per destination, then fill
    cap = 0
    for q in range(n_grp):
        cap += n_lab * nopt[q]
    out_q = np.empty(cap, dtype=np.int64)
    out_code = np.empty(cap, dtype=np.int64)
    out_g = np.empty(cap, dtype=np.int64)
    out_c = np.empty(cap, dtype=np.int64)
    n = 0
    for q in range(n_grp):
        if m[q] - pos[q] <= 0 and hole[q] == 0:
            continue
        p, mq = pos[q], m[q]
        if hole[q]:
            g_slot = 0
            while not (hole[q] >> g_slot) & 1:
                g_slot += 1
        else:
            g_slot = p if p < mq else -1
        for li in range(n_lab):
            if not alive[li]:
                continue
            for o in range(nopt[q]):
                f = fin[q, li, o]
                if cls[q, o] == _G:
                    if g_slot >= 0 and f <= dl[q, g_slot]:
                        out_q[n], out_code[n] = q, -1
                        out_g[n], out_c[n] = ngs[q, li, o], ncs[q, li, o]
                        n += 1
                    continue
                # a CPU user takes the first slot from P on whose deadline it meets
                s_min = np.searchsorted(dl[q, :mq], f, side="left")
                if s_min < p:
                    s_min = p
                if a_g[q] > 0:
                    e_max = (f - ngs[q, li, o] - h_g[q] - 1) // a_g[q]
                    if e_max < 0:
                        e_max = 0
                    s_max = min(p + e_max, mq - 1)
                else:
                    s_max = p
                if s_min <= s_max:
                    out_q[n], out_code[n] = q, s_min
                    out_g[n], out_c[n] = ngs[q, li, o], ncs[q, li, o]
                    n += 1
    if n == 0:
        return empty2, empty1, empty0, empty0
    # group by destination (per group the GPU-only move first, then slots ascending),
    # a counting sort that keeps (label, option) order within each
    span = dl.shape[1] + 2
    count = np.zeros(n_grp * span + 1, dtype=np.int64)
    for i in range(n):
        count[out_q[i] * span + out_code[i] + 2] += 1
    n_keys = 0
    for kk in range(1, n_grp * span + 1):
        if count[kk] > 0:
            n_keys += 1
        count[kk] += count[kk - 1]
    keys = np.empty((n_keys, 2), dtype=np.int64)
    bounds = np.empty(n_keys + 1, dtype=np.int64)
    j = 0
    for kk in range(n_grp * span):
        if count[kk + 1] > count[kk]:
            keys[j, 0] = kk // span
            keys[j, 1] = kk % span - 1
            bounds[j] = count[kk]
            j += 1
    bounds[n_keys] = n
    sg = np.empty(n, dtype=np.int64)
    sc = np.empty(n, dtype=np.int64)
    for i in range(n):
        kk = out_q[i] * span + out_code[i] + 1
        sg[count[kk]] = out_g[i]
        sc[count[kk]] = out_c[i]
        count[kk] += 1
    # each destination's moves reduced to their Pareto front here, so that the next
    # layer holds (and merges) far fewer labels; the merge's filter keeps the same set
    kept = 0
    for j in range(n_keys):
        lo, hi = bounds[j], bounds[j + 1]
        fg, fc = pareto_free_times(sg[lo:hi], sc[lo:hi])
        bounds[j] = kept
        for i in range(fg.shape[0]):
            sg[kept + i] = fg[i]
            sc[kept + i] = fc[i]
        kept += fg.shape[0]
    bounds[n_keys] = kept
    return keys, bounds, sg[:kept], sc[:kept]


@nb.njit(cache=True)
def pareto_free_times(g: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The labels no other label beats in both free times, one per duplicate.

    ``g``, ``c``: (L,) int64. Returns the kept GPU and CPU free times in
    ascending ``g`` (the same set as ``feasibility._pareto_front``).
    """
    n = g.shape[0]
    order = np.argsort(g)
    keep_g = np.empty(n, dtype=np.int64)
    keep_c = np.empty(n, dtype=np.int64)
    k = 0
    best = np.iinfo(np.int64).max
    i = 0
    while i < n:
        gi = g[order[i]]
        low = c[order[i]]
        j = i + 1
        while j < n and g[order[j]] == gi:     # equal GPU times: only the least CPU time
            if c[order[j]] < low:
                low = c[order[j]]
            j += 1
        if low < best:
            keep_g[k] = gi
            keep_c[k] = low
            k += 1
            best = low
        i = j
    return keep_g[:k], keep_c[:k]


def warm_up() -> None:
    """Compile (or load from numba's cache) both kernels on a tiny input.

    Called once when the module is imported, as :func:`splitsched.solvers.dp_kernel.warm_up`,
    so that no time limit pays for compilation: with a cold cache, ``hybrid`` on
    ``demo``'s batch-huawei_p40-n8-l2p5-s1 took 1.60 s against 0.66 s warm, the
    difference spent compiling these kernels inside its limit (a newcomer's report).
    """
    one = np.zeros(1, dtype=np.int64)
    grid = np.ones((1, 1), dtype=np.int64)
    expand_state(one, one, one, one, 10 * grid, one + 1, np.full((1, 1), _GC, np.int64),
                 grid, 0 * grid, grid, one + 1, one, one, 0 * grid,
                 np.ones((1, 2), dtype=np.int64), 0)
    pareto_free_times(one, one)


warm_up()
