"""Compiled (numba) inner step of the label DP of :mod:`splitsched.solvers.dp`.

One call processes one job for a whole label set: expand every label by
"drop" and by every cut, discard labels that cannot reach the target weight,
keep the Pareto front, optionally thin to a beam, and discard labels whose
remaining jobs cannot lift them to the lower bound. It implements exactly the
rules the numpy version of the DP used (see ``dp.py``), with one ordering
convention made explicit:

* Candidates are numbered as the numpy version built them: first the "drop"
  successor of every label, in label order, then the "accept" successors in
  (label, cut) order. Kept labels stay in that order.
* Of several identical labels (same weight, GPU and CPU free time) the first
  in that numbering is kept. (The numpy version used an unstable sort there,
  so which copy it kept depended on numpy's sort kernel; the answer's weight
  and makespan never depended on it.)

Times are integer microseconds in int64 arrays; weights are int64.
"""

from __future__ import annotations

import numba as nb
import numpy as np

DROP = -1
INF = 2 ** 61  # "no limit" for a free time in the reach regions (far beyond any schedule)
_NO_CORNERS = np.zeros((0, 0), dtype=np.int64)
_NO_COUNTS = np.zeros(0, dtype=np.int64)


@nb.njit(cache=True)
def _floor_index(grid: np.ndarray, x: int) -> int:
    """Largest i with grid[i] <= x, or 0 when x lies below the grid."""
    i = int(np.searchsorted(grid, x, side="right")) - 1
    return i if i > 0 else 0


@nb.njit(cache=True)
def _stable_order(primary: np.ndarray, secondary: np.ndarray) -> np.ndarray:
    """Indices sorting by (primary, secondary, index); stable merge sorts."""
    o1 = np.argsort(secondary, kind="mergesort")
    o2 = np.argsort(primary[o1], kind="mergesort")
    return o1[o2]


@nb.njit(cache=True)
def pareto_keep(m: np.ndarray, g: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Mask of labels no other label dominates; of identical ones, the first.

    A label is dominated by one with weight ``>=`` and both free times
    ``<=``. Labels are visited by (G, weight descending, C, index): every
    label that can dominate another comes before it. A prefix-minimum tree
    over weight ranks answers "smallest C among visited labels of weight
    ``>=`` this one" in O(log levels).
    """
    n = len(m)
    keep = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return keep
    levels = np.unique(m)  # ascending
    nlev = len(levels)
    rank = np.empty(n, dtype=np.int64)  # 1 = heaviest level
    for i in range(n):
        rank[i] = nlev - np.searchsorted(levels, m[i])
    key = g * (nlev + 1) + rank  # g < 2**62 / (levels + 1) in any real schedule
    order = _stable_order(key, c)
    big = np.iinfo(np.int64).max
    tree = np.full(nlev + 1, big, dtype=np.int64)  # Fenwick tree of prefix minima
    for idx in order:
        r = rank[idx]
        best = big
        j = r
        while j > 0:
            if tree[j] < best:
                best = tree[j]
            j -= j & (-j)
        if best <= c[idx]:
            continue
        keep[idx] = True
        j = r
        while j <= nlev:
            if c[idx] < tree[j]:
                tree[j] = c[idx]
            j += j & (-j)
    return keep


@nb.njit(cache=True)
def _successor(gi: int, ci: int, r: int, k: int, a: int, h: int, b: int, last: int
               ) -> tuple[int, int, int]:
    """(GPU free, CPU free, completion) after running the job with cut k from (gi, ci).

    A zero-length stage occupies nothing: it runs when ready and leaves that
    processor's free time unchanged (as ``evaluate`` and the timing module do).
    """
    if a == 0:
        gpu_end = r
        g_new = gi
    else:
        gpu_end = (gi if gi > r else r) + a
        g_new = gpu_end
    ready = r if k == 0 else gpu_end + h
    if b == 0:
        cpu_end = ready
        c_new = ci
    else:
        cpu_end = (ci if ci > ready else ready) + b
        c_new = cpu_end
    finish = gpu_end if k == last else cpu_end
    return g_new, c_new, finish


@nb.njit(cache=True)
def _in_region(xs: np.ndarray, ys: np.ndarray, n: int, ptr: int, gv: int, cv: int
               ) -> tuple[bool, int]:
    """Is (``gv``, ``cv``) in the region of corners ``xs[:n]``, ``ys[:n]`` (x ascending)?

    ``ptr`` is a first corner to look at: no corner before it has ``x >= gv``
    (true for the previous answer's pointer when ``gv`` has not decreased).
    Returns the answer and the first corner with ``x >= gv``, the next pointer.
    """
    while ptr < n and xs[ptr] < gv:
        ptr += 1
    return ptr < n and ys[ptr] >= cv, ptr


@nb.njit(cache=True)
def _heap_less(hg: np.ndarray, hc: np.ndarray, hs: np.ndarray, x: int, y: int) -> bool:
    if hg[x] != hg[y]:
        return hg[x] < hg[y]
    if hc[x] != hc[y]:
        return hc[x] < hc[y]
    return hs[x] < hs[y]


@nb.njit(cache=True)
def _sift_down(hg: np.ndarray, hc: np.ndarray, hs: np.ndarray, hp: np.ndarray, size: int,
               pos: int) -> None:
    while True:
        left = 2 * pos + 1
        if left >= size:
            return
        best = left
        if left + 1 < size and _heap_less(hg, hc, hs, left + 1, left):
            best = left + 1
        if not _heap_less(hg, hc, hs, best, pos):
            return
        hg[pos], hg[best] = hg[best], hg[pos]
        hc[pos], hc[best] = hc[best], hc[pos]
        hs[pos], hs[best] = hs[best], hs[pos]
        hp[pos], hp[best] = hp[best], hp[pos]
        pos = best


@nb.njit(cache=True)
def dp_step(m: np.ndarray, g: np.ndarray, c: np.ndarray,
            ks: np.ndarray, a: np.ndarray, h: np.ndarray, b: np.ndarray, last: int,
            r: int, d: int, w: int, remaining: int, lower_bound: int, beam: int,
            gl: np.ndarray, cl: np.ndarray, wr: np.ndarray, ub_grid: np.ndarray,
            ub_table: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Process one job without a reach table: :func:`dp_step_reach` with none."""
    return dp_step_reach(m, g, c, ks, a, h, b, last, r, d, w, remaining, lower_bound, beam,
                         gl, cl, wr, ub_grid, ub_table, 0, _NO_CORNERS, _NO_CORNERS,
                         _NO_COUNTS)


@nb.njit(cache=True)
def dp_step_reach(m: np.ndarray, g: np.ndarray, c: np.ndarray,
                  ks: np.ndarray, a: np.ndarray, h: np.ndarray, b: np.ndarray, last: int,
                  r: int, d: int, w: int, remaining: int, lower_bound: int, beam: int,
                  gl: np.ndarray, cl: np.ndarray, wr: np.ndarray, ub_grid: np.ndarray,
                  ub_table: np.ndarray, reach_lo: int, reach_x: np.ndarray,
                  reach_y: np.ndarray, reach_n: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Process one job; return the new labels (m, g, c) and back-pointers (parent, cut).

    Labels are kept sorted by weight (descending), then GPU free time
    (ascending); within a weight level they form a staircase (CPU free time
    strictly descending), so the next level's candidates from one source and
    one cut arrive already sorted by GPU free time (the successor map is
    monotone). Each new level is a k-way merge of those sorted runs, swept
    once: a candidate is kept iff no kept label of its level and no label of
    a heavier level has GPU and CPU free times both ``<=``. Of identical
    candidates the first in (drop, then cuts ascending) order is kept.

    Parameters
    ----------
    m, g, c:
        Current labels: accepted weight, GPU free time, CPU free time (us).
    ks, a, h, b:
        The job's cuts that meet its deadline when it runs alone, with their
        GPU stage, hand-off and CPU stage (us); ``last`` is the job's L.
    r, d, w:
        Release, deadline (us) and weight of the job.
    remaining:
        Total weight of the jobs after this one.
    lower_bound:
        A weight some schedule in this order reaches (0: none). Labels that
        cannot reach it are discarded; the optimum never is.
    beam:
        Keep at most this many labels (0: all): largest weight, then smallest
        makespan, then smallest GPU free time.
    gl, cl, wr:
        For the jobs after this one: the latest GPU and CPU free times from
        which each can still be on time, and their weights.
    ub_grid, ub_table:
        Grid and table of :func:`grid_bound_tables` for the jobs after this
        one (empty grid: not used).
    reach_lo, reach_x, reach_y, reach_n:
        The reach regions of :func:`reach_tables` at the position after this
        job (``reach_n`` empty: not used): a label of weight ``v`` is kept
        only if its free times lie in the region of ``lower_bound - v``. The
        test is made on every candidate before the merge (so a candidate
        outside its region neither costs a merge step nor dominates
        another); the completion table and fit tests follow on the kept ones.
    """
    n = len(m)
    nk = len(ks)
    # weight levels of the current labels (descending): [lev_start[i], lev_start[i + 1])
    lev_start = np.empty(n + 1, dtype=np.int64)
    nlev = 0
    for i in range(n):
        if i == 0 or m[i] != m[i - 1]:
            lev_start[nlev] = i
            nlev += 1
    lev_start[nlev] = n
    # target weights: v (drop from level v) and v + w (accept from level v)
    tv = np.empty(2 * nlev, dtype=np.int64)
    for li in range(nlev):
        tv[2 * li] = m[lev_start[li]]
        tv[2 * li + 1] = m[lev_start[li]] + w
    tv = np.unique(tv)[::-1]
    # the heaviest candidate that exists: an accept needs one on-time successor
    top = lower_bound
    for li in range(nlev):
        v = m[lev_start[li]]
        if v > top:
            top = v
        if v + w > top:
            found = False
            for i in range(lev_start[li], lev_start[li + 1]):
                for q in range(nk):
                    _, _, fin = _successor(g[i], c[i], r, ks[q], a[q], h[q], b[q], last)
                    if fin <= d:
                        found = True
                        break
                if found:
                    break
            if found:
                top = v + w
    reachable = top - remaining
    cap = n * (nk + 1)
    om = np.empty(cap, dtype=np.int64)
    og = np.empty(cap, dtype=np.int64)
    oc = np.empty(cap, dtype=np.int64)
    op = np.empty(cap, dtype=np.int64)
    ok = np.empty(cap, dtype=np.int64)
    cnt = 0
    # union staircase of the heavier levels kept so far (g ascending, c descending)
    ug = np.empty(cap, dtype=np.int64)
    uc = np.empty(cap, dtype=np.int64)
    un = 0
    tg = np.empty(cap, dtype=np.int64)
    tc = np.empty(cap, dtype=np.int64)
    hg = np.empty(nk + 1, dtype=np.int64)
    hc = np.empty(nk + 1, dtype=np.int64)
    hs = np.empty(nk + 1, dtype=np.int64)
    hp = np.empty(nk + 1, dtype=np.int64)
    rptr = np.zeros(nk + 1, dtype=np.int64)
    no_region = np.zeros(1, dtype=np.int64)
    big = np.iinfo(np.int64).max
    for v in tv:
        if v < reachable:
            break
        # source levels: drop from weight v, accept from weight v - w
        drop_lo = drop_hi = acc_lo = acc_hi = 0
        for li in range(nlev):
            if m[lev_start[li]] == v:
                drop_lo, drop_hi = lev_start[li], lev_start[li + 1]
            if m[lev_start[li]] == v - w:
                acc_lo, acc_hi = lev_start[li], lev_start[li + 1]
        # with reach regions, a candidate outside the region of its weight is never
        # built into the merge: each run's GPU free times rise, so one pointer per run
        # walks the region's corners (x ascending) once
        filt = False
        fx = no_region
        fy = no_region
        fn = 0
        if len(reach_n) > 0:
            rs = int(lower_bound - v - reach_lo)
            if rs >= 0:
                filt = True
                if rs >= len(reach_n):
                    rs = len(reach_n) - 1
                fx, fy, fn = reach_x[rs], reach_y[rs], reach_n[rs]
        for q in range(nk + 1):
            rptr[q] = 0
        size = 0
        # run 0: drops (already a staircase); runs 1..nk: accepts with cut q
        i = drop_lo
        while i < drop_hi:
            if filt:
                inside, rptr[0] = _in_region(fx, fy, fn, rptr[0], g[i], c[i])
                if not inside:
                    i += 1
                    continue
            hg[size], hc[size], hs[size], hp[size] = g[i], c[i], 0, i
            size += 1
            break
        for q in range(nk):
            for i in range(acc_lo, acc_hi):
                gn, cn, fin = _successor(g[i], c[i], r, ks[q], a[q], h[q], b[q], last)
                if fin <= d:
                    if filt:
                        inside, rptr[q + 1] = _in_region(fx, fy, fn, rptr[q + 1], gn, cn)
                        if not inside:
                            continue
                    hg[size], hc[size], hs[size], hp[size] = gn, cn, q + 1, i
                    size += 1
                    break
        for pos in range(size // 2 - 1, -1, -1):
            _sift_down(hg, hc, hs, hp, size, pos)
        run_min = big
        upos = 0  # U points with g <= current candidate's g: [0, upos)
        start = cnt
        while size > 0:
            cg_, cc_, sid, par = hg[0], hc[0], hs[0], hp[0]
            # advance this run to its next on-time successor (inside the region)
            nxt = par + 1
            found = False
            if sid == 0:
                while nxt < drop_hi:
                    if filt:
                        inside, rptr[0] = _in_region(fx, fy, fn, rptr[0], g[nxt], c[nxt])
                        if not inside:
                            nxt += 1
                            continue
                    hg[0], hc[0], hp[0] = g[nxt], c[nxt], nxt
                    found = True
                    break
            else:
                q = sid - 1
                while nxt < acc_hi:
                    gn, cn, fin = _successor(g[nxt], c[nxt], r, ks[q], a[q], h[q], b[q], last)
                    if fin <= d:
                        inside = True
                        if filt:
                            inside, rptr[sid] = _in_region(fx, fy, fn, rptr[sid], gn, cn)
                        if inside:
                            hg[0], hc[0], hp[0] = gn, cn, nxt
                            found = True
                            break
                    nxt += 1
            if not found:
                size -= 1
                hg[0], hc[0], hs[0], hp[0] = hg[size], hc[size], hs[size], hp[size]
            if size > 0:
                _sift_down(hg, hc, hs, hp, size, 0)
            # sweep: same level (running minimum of c) and heavier levels (U)
            if cc_ >= run_min:
                continue
            while upos < un and ug[upos] <= cg_:
                upos += 1
            if upos > 0 and uc[upos - 1] <= cc_:
                continue
            # a run may deliver equal g with falling c: a kept label of equal g is dominated
            while cnt > start and og[cnt - 1] == cg_:
                cnt -= 1
            run_min = cc_
            om[cnt], og[cnt], oc[cnt], op[cnt] = v, cg_, cc_, par
            ok[cnt] = -1 if sid == 0 else ks[sid - 1]
            cnt += 1
        # U <- staircase of U and this level
        tn = merge_min_stairs(ug, uc, un, og, oc, start, cnt, tg, tc)
        ug[:tn] = tg[:tn]
        uc[:tn] = tc[:tn]
        un = tn
    idx = np.arange(cnt)
    if beam > 0 and cnt > beam:
        mk = np.maximum(og[:cnt], oc[:cnt])
        if len(reach_n) > 0:
            # guided: the weight the label may still reach, then the slack in that
            # region (room to finish earlier), then the makespan
            score = om[:cnt].copy()
            slack = np.zeros(cnt, dtype=np.int64)
            for t in range(cnt):
                e_t, sl = reach_best(reach_lo, reach_x, reach_y, reach_n, og[t], oc[t])
                score[t] += e_t
                slack[t] = sl
            order = np.argsort(mk, kind="mergesort")
            order = order[np.argsort(-slack[order], kind="mergesort")]
            order = order[np.argsort(-score[order], kind="mergesort")]
        else:
            order = np.argsort((top - om[:cnt]) * (mk.max() + 1) + mk, kind="mergesort")
        idx = np.sort(order[:beam])  # back to (weight desc, g asc) order
    if lower_bound > 0 and len(gl) > 0 and len(idx) > 0:
        nn = len(idx)
        gs, cs = og[idx], oc[idx]
        gmin, gmax, cmin, cmax = gs.min(), gs.max(), cs.min(), cs.max()
        # jobs that fit from every label or from none need no per-label test
        base = 0
        open_jobs = np.empty(len(gl), dtype=np.int64)
        n_open = 0
        for j in range(len(gl)):
            if gl[j] >= gmax or cl[j] >= cmax:
                base += wr[j]
            elif gl[j] >= gmin or cl[j] >= cmin:
                open_jobs[n_open] = j
                n_open += 1
        keep2 = np.zeros(nn, dtype=np.bool_)
        any_kept = False
        for t in range(nn):
            extra = base
            for q in range(n_open):
                j = open_jobs[q]
                if gs[t] <= gl[j] or cs[t] <= cl[j]:
                    extra += wr[j]
            if om[idx[t]] + extra < lower_bound:
                continue
            if len(ub_grid) > 0:
                ub = ub_table[_floor_index(ub_grid, gs[t]), _floor_index(ub_grid, cs[t])]
                if om[idx[t]] + ub < lower_bound:
                    continue
            keep2[t] = True
            any_kept = True
        if any_kept or len(reach_n) > 0:  # with a reach table: a search for better only
            idx = idx[keep2]
    return om[idx], og[idx], oc[idx], op[idx], ok[idx]


@nb.njit(cache=True)
def grid_bound_tables(grids: np.ndarray, opt_start: np.ndarray, ks: np.ndarray, a: np.ndarray,
                      h: np.ndarray, b: np.ndarray, last: np.ndarray, r: np.ndarray,
                      d: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Upper bounds on the weight jobs ``pos..`` can still add, on a grid of free times.

    ``grids[pos]`` (shape (n + 1, K), ascending) are the grid points of
    position pos, starting at the smallest release among jobs ``pos..``.
    Returns ``U`` of shape (n + 1, K, K): ``U[pos, i, j] >=`` the largest weight
    jobs ``pos..`` (in this order) add from GPU free ``grids[pos, i]`` and CPU
    free ``grids[pos, j]``. The recurrence is the DP's own (drop, or accept
    with an on-time cut), with every successor rounded *down* to the grid of
    the next position; the exact value only falls as free times grow, so
    rounding down can only raise it, and the table stays an upper bound. Free
    times below a grid's first point (the smallest remaining release) give
    the same future as that point.

    Job options are flattened: job p's cuts are ``ks[opt_start[p]:opt_start[p + 1]]``.
    """
    n = len(r)
    kk = grids.shape[1]
    table = np.zeros((n + 1, kk, kk), dtype=np.int64)
    for pos in range(n - 1, -1, -1):
        grid = grids[pos]
        nxt = grids[pos + 1]
        lo, hi = opt_start[pos], opt_start[pos + 1]
        nq = hi - lo
        # per (row i, cut q): GPU successor index, GPU end, CPU-ready time, and the
        # CPU successor index when the CPU is idle by then
        gi_idx = np.empty((kk, nq), dtype=np.int64)
        gpu_end = np.empty((kk, nq), dtype=np.int64)
        ready = np.empty((kk, nq), dtype=np.int64)
        rd_idx = np.empty((kk, nq), dtype=np.int64)
        for i in range(kk):
            x = grid[i]
            for q in range(nq):
                o = lo + q
                if a[o] == 0:
                    ge = r[pos]
                    g_new = x
                else:
                    ge = (x if x > r[pos] else r[pos]) + a[o]
                    g_new = ge
                gi_idx[i, q] = _floor_index(nxt, g_new)
                gpu_end[i, q] = ge
                rd = r[pos] if ks[o] == 0 else ge + h[o]
                ready[i, q] = rd
                rd_idx[i, q] = _floor_index(nxt, rd + b[o])
        # per (column j, cut q): CPU successor index when the CPU is the later one
        cj_idx = np.empty((kk, nq), dtype=np.int64)
        for j in range(kk):
            for q in range(nq):
                cj_idx[j, q] = _floor_index(nxt, grid[j] + b[lo + q])
        for i in range(kk):
            ix = _floor_index(nxt, grid[i])
            for j in range(kk):
                y = grid[j]
                best = table[pos + 1, ix, _floor_index(nxt, y)]
                for q in range(nq):
                    o = lo + q
                    rd = ready[i, q]
                    if b[o] == 0:
                        cpu_end = rd
                        cidx = _floor_index(nxt, y)
                    elif y >= rd:
                        cpu_end = y + b[o]
                        cidx = cj_idx[j, q]
                    else:
                        cpu_end = rd + b[o]
                        cidx = rd_idx[i, q]
                    finish = gpu_end[i, q] if ks[o] == last[pos] else cpu_end
                    if finish > d[pos]:
                        continue
                    val = w[pos] + table[pos + 1, gi_idx[i, q], cidx]
                    if val > best:
                        best = val
                table[pos, i, j] = best
    return table


@nb.njit(cache=True)
def reach_contains(lo: int, xs: np.ndarray, ys: np.ndarray, ns: np.ndarray, e: int,
                   gv: int, cv: int) -> bool:
    """Is (GPU free ``gv``, CPU free ``cv``) in the reach region of extra weight ``e``?

    ``xs``, ``ys``, ``ns`` are one position's regions (see :func:`reach_tables`):
    region ``s`` (for ``e = lo + s``) is the union of the quadrants
    ``G <= xs[s, i], C <= ys[s, i]``, ``i < ns[s]``, corners sorted by ``x``
    ascending (so ``y`` descending). ``e <= 0`` is everywhere; ``e`` beyond
    the last region uses the last one (regions only shrink as ``e`` grows).
    """
    s = e - lo
    if s < 0:
        return True  # not tracked (cannot happen for labels the DP builds): no claim
    if s >= len(ns):
        s = len(ns) - 1
    n = ns[s]
    # first corner with x >= gv: the largest y among corners that allow gv
    i = int(np.searchsorted(xs[s, :n], gv, side="left"))
    return i < n and ys[s, i] >= cv


@nb.njit(cache=True)
def reach_best(lo: int, xs: np.ndarray, ys: np.ndarray, ns: np.ndarray, gv: int, cv: int
               ) -> tuple[int, int]:
    """The largest tracked ``e`` whose region holds (``gv``, ``cv``), and the slack there.

    The slack is the largest ``t`` with (``gv + t``, ``cv + t``) still in that
    region. Returns ``(lo - 1, 0)`` when no tracked region holds the point.
    """
    for s in range(len(ns) - 1, -1, -1):
        n = ns[s]
        i = int(np.searchsorted(xs[s, :n], gv, side="left"))
        if i < n and ys[s, i] >= cv:
            # corners i.. allow gv; x - gv rises and y - cv falls along them
            lo_i, hi_i = i, n
            while lo_i < hi_i:
                mid = (lo_i + hi_i) // 2
                if xs[s, mid] - gv >= ys[s, mid] - cv:
                    hi_i = mid
                else:
                    lo_i = mid + 1
            best = 0
            for j in (lo_i - 1, lo_i):
                if i <= j < n:
                    t = min(xs[s, j] - gv, ys[s, j] - cv)
                    if t > best:
                        best = t
            return lo + s, best
    return lo - 1, 0


@nb.njit(cache=True)
def _preimage_coeffs(k: int, a: int, h: int, b: int, last: int, r: int, d: int
                     ) -> tuple[bool, int, bool, int, int, int, int, int, int]:
    """The preimage of a quadrant under cut k, as constants: the free times (G, C)
    from which cut k lands on time in ``G' <= x, C' <= y`` form a quadrant (every
    constraint of :func:`_successor` is ``max(G, const) + t <= T`` or ``max(C,
    const) + t <= T``; ``tests/solvers/test_dp_reach.py`` holds these constants to
    a constraint-by-constraint version). For a target corner (x, y) it is
    ``G <= min(x - ga, y - gb (if has_gb), gc)``, ``C <= min(y - cb, cc)``, non-empty
    iff ``ok``, ``x >= tx`` and ``y >= ty`` (and both sides >= 0).

    Returns (ok, ga, has_gb, gb, gc, cb, cc, tx, ty).
    """
    ok = True
    ga = 0
    has_gb = False
    gb = 0
    gc = INF
    cb = 0
    cc = INF
    tx = -INF
    ty = -INF
    if a != 0:
        tx = r + a
        ga = a
    if b != 0:
        cb = b
        if k == 0:
            ty = max(ty, r + b)
        elif a == 0:
            ty = max(ty, r + h + b)
        else:
            ty = max(ty, r + a + h + b)
            has_gb = True
            gb = b + a + h
    if k != last:
        t = d
        if b != 0:
            cc = min(cc, d - b)
            t = d - b
        if k == 0:
            ok = ok and r <= t
        elif a == 0:
            ok = ok and r + h <= t
        else:
            ok = ok and r + a + h <= t
            gc = min(gc, t - a - h)
    else:
        if a == 0:
            ok = ok and r <= d
        else:
            ok = ok and r + a <= d
            gc = min(gc, d - a)
    return ok, ga, has_gb, gb, gc, cb, cc, tx, ty


@nb.njit(cache=True)
def spread_beam(idx: np.ndarray, beam: int) -> np.ndarray:  # pragma: no cover (compiled)
    """The first ``beam // 2`` of ``idx``, the rest of the beam spread evenly over the others.

    ``idx`` (labels, best first for the first half); the spread picks
    ``rint(t * (rest - 1) / (num - 1))`` for ``t < num = beam - beam // 2`` over
    the ``rest`` others (first and last included, a repeated pick taken once), i.e.
    ``np.unique(np.linspace(0, rest - 1, num).round())``. The beam rule of
    ``dp-ls`` (:func:`splitsched.solvers.heuristics.thin`) and of
    :mod:`splitsched.solvers.dp_swap`.
    """
    if len(idx) <= beam:
        return idx
    half = beam // 2
    num = beam - half
    rest = len(idx) - half
    out = np.empty(beam, np.int64)
    out[:half] = idx[:half]
    k = half
    step = (rest - 1) / (num - 1) if num > 1 else 0.0
    last = -1
    for t in range(num):
        p = int(np.rint(t * step))
        if p != last:
            out[k] = idx[half + p]
            k += 1
            last = p
    return out[:k]


@nb.njit(cache=True)
def merge_min_stairs(ag: np.ndarray, ac: np.ndarray, na: int, bg: np.ndarray, bc: np.ndarray,
                     b0: int, b1: int, outg: np.ndarray, outc: np.ndarray) -> int:
    """The minimal corners of two staircases ``a[:na]`` and ``b[b0:b1]`` (g ascending, c
    descending) into ``out[:count]``, g ascending; returns count.

    A label is kept iff its c is below that of every label before it in (g, c)
    order; on a tie in g and c the one of ``a`` comes first. The Pareto merge of
    a level's kept labels into the heavier levels' staircase, shared by
    :func:`dp_pass` and :mod:`splitsched.solvers.dp_swap`.
    """
    i, j, n = 0, b0, 0
    run = np.iinfo(np.int64).max
    while i < na or j < b1:
        if j >= b1 or (i < na and (ag[i] < bg[j] or (ag[i] == bg[j] and ac[i] <= bc[j]))):
            x, y = ag[i], ac[i]
            i += 1
        else:
            x, y = bg[j], bc[j]
            j += 1
        if y < run:
            outg[n], outc[n] = x, y
            n += 1
            run = y
    return n


@nb.njit(cache=True)
def _merge_stairs(px: np.ndarray, py: np.ndarray, i0: int, j0: int, j1: int,
                  qx: np.ndarray, qy: np.ndarray, o: int) -> int:
    """The maximal corners of two staircases ``p[i0:j0]``, ``p[j0:j1]`` (x ascending, y
    descending, y >= 0) into ``q[o:o + count]``, x ascending; returns count.

    Walks both from their ends (x descending, then y descending) and keeps a
    corner iff its y beats every corner of larger x.
    """
    i = j0 - 1
    j = j1 - 1
    n = o
    best = -1
    while i >= i0 or j >= j0:
        if j < j0 or (i >= i0 and (px[i] > px[j] or (px[i] == px[j] and py[i] > py[j]))):
            x = px[i]
            y = py[i]
            i -= 1
        else:
            x = px[j]
            y = py[j]
            j -= 1
        if y > best:
            qx[n] = x
            qy[n] = y
            n += 1
            best = y
    for t in range((n - o) // 2):
        u = n - 1 - t
        qx[o + t], qx[u] = qx[u], qx[o + t]
        qy[o + t], qy[u] = qy[u], qy[o + t]
    return n - o


@nb.njit(cache=True)
def _thin(ux: np.ndarray, uy: np.ndarray, un: int, corners: int, ox: np.ndarray,
          oy: np.ndarray) -> int:
    """Thin the staircase ``ux[:un]``, ``uy[:un]`` (x ascending) to at most ``corners``
    corners that cover it: runs of consecutive corners i..j become ``(x_j, y_i)``.

    Runs are cut by length along the staircase (``x_j - x_i + y_i - y_j`` at most
    the finite length over ``corners - 1``), so a long step is never merged over
    while dense stretches are; once ``corners - 1`` runs are out, the rest is one
    run. Returns the number written into ``ox``, ``oy``.
    """
    if corners <= 1:
        ox[0], oy[0] = ux[un - 1], uy[0]
        return 1
    length = 0
    for i in range(1, un):
        st = (ux[i] - ux[i - 1]) + (uy[i - 1] - uy[i])
        if st < INF // 4:
            length += st
    quota = length // (corners - 1)
    q = 0
    i0 = 0
    for i in range(1, un):
        if q < corners - 1 and (ux[i] - ux[i0]) + (uy[i0] - uy[i]) > quota:
            ox[q], oy[q] = ux[i - 1], uy[i0]
            q += 1
            i0 = i
    ox[q], oy[q] = ux[un - 1], uy[i0]
    return q + 1


@nb.njit(cache=True)
def reach_tables(opt_start: np.ndarray, ks: np.ndarray, a: np.ndarray, h: np.ndarray,
                 b: np.ndarray, last: np.ndarray, r: np.ndarray, d: np.ndarray, w: np.ndarray,
                 lo: np.ndarray, size: int, corners: int, final: int
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outer approximations of the free times from which jobs ``pos..`` add weight ``>= e``.

    ``R[pos][e]``, the set of (GPU free, CPU free) from which the jobs
    ``pos..`` (in this order, each dropped or run with an on-time cut, as in
    the DP) can add at least ``e``, satisfies ``R[pos][e] = R[pos + 1][e] ∪
    ⋃_k pre_k(R[pos + 1][e - w_pos])``, where ``pre_k`` is the set of free
    times from which cut k meets the deadline and lands in the given set. Each
    region is a union of quadrants ``G <= x, C <= y`` (the successor is
    built from max and +, so the preimage of a quadrant is a quadrant,
    :func:`_preimage_coeffs`), stored as its maximal corners. When a region has
    more than ``corners`` corners, consecutive ones are merged (``(x_j,
    y_i)`` for the run ``i..j``, runs of equal length along the staircase:
    :func:`_thin`), which only enlarges it: every stored region contains the
    exact one, so a label outside it can never reach ``e``. (Runs of equal
    *count*, used before, merged long steps where corners are sparse; on the
    v2 batch n80 instances the last exact pass kept 2-15 times more labels.)

    Parameters
    ----------
    opt_start, ks, a, h, b:
        The jobs' on-time-alone cuts, flattened: job p's are
        ``ks[opt_start[p]:opt_start[p + 1]]`` with stage times a, h, b (us).
    last, r, d, w:
        Per job: L, release, deadline (us), weight.
    lo:
        Per position 0..n, the smallest ``e`` tracked there; regions ``e = lo[pos]
        + s`` for ``s < size`` are built (``e <= 0`` is everywhere; an ``e``
        beyond the window uses the window's last region, a superset; one below
        the next position's window, which only a ``lo`` that falls by less than
        the job's weight gives, is taken as everywhere). The DP
        passes ``lo[pos] = lower_bound - (weight of jobs before pos)``: a label
        of weight ``v`` after ``pos`` jobs needs ``e = lower_bound - v >= lo[pos]``.
    size, corners:
        Regions per position and corners per region.
    final:
        ``INF``: region e is "can add >= e". Otherwise region e is "can add
        >= e + 1, or >= e ending with both processors free by ``final``"
        (the terminal regions: everything for e <= -1, the quadrant
        (``final``, ``final``) for e = 0, nothing above).

    Returns
    -------
    xs, ys, ns:
        int64 arrays of shape (n + 1, size, corners), (n + 1, size, corners)
        and (n + 1, size): region s of position pos is the first
        ``ns[pos, s]`` corners, x ascending.
    """
    n = len(r)
    xs = np.empty((n + 1, size, corners), dtype=np.int64)
    ys = np.empty((n + 1, size, corners), dtype=np.int64)
    ns = np.zeros((n + 1, size), dtype=np.int64)
    every = 0 if final >= INF else -1  # regions e <= every are everywhere
    for s in range(size):
        if lo[n] + s <= every:
            xs[n, s, 0], ys[n, s, 0], ns[n, s] = INF, INF, 1
        elif lo[n] + s == 0:
            xs[n, s, 0], ys[n, s, 0], ns[n, s] = final, final, 1
    rem = np.zeros(n + 1, dtype=np.int64)  # weight of jobs pos..
    for p in range(n - 1, -1, -1):
        rem[p] = rem[p + 1] + w[p]
    max_cuts = 1
    for p in range(n):
        max_cuts = max(max_cuts, opt_start[p + 1] - opt_start[p])
    cap = corners * (max_cuts + 1) + 1
    px = np.empty(cap, dtype=np.int64)
    py = np.empty(cap, dtype=np.int64)
    qx = np.empty(cap, dtype=np.int64)
    qy = np.empty(cap, dtype=np.int64)
    roff = np.empty(max_cuts + 3, dtype=np.int64)
    roff2 = np.empty(max_cuts + 3, dtype=np.int64)
    allx = np.full(1, INF, dtype=np.int64)
    for pos in range(n - 1, -1, -1):
        for s in range(size):
            e = lo[pos] + s
            if e <= every:
                xs[pos, s, 0], ys[pos, s, 0], ns[pos, s] = INF, INF, 1
                continue
            if e > rem[pos]:
                continue  # more than every remaining job: empty
            # runs (each a staircase) into px, py: run 0 is the drop region
            # R[pos + 1][e] (index e - lo[pos + 1]; the last region if beyond)
            nrun = 0
            fill = 0
            if e <= rem[pos + 1] and e < lo[pos + 1]:
                # below the next position's window (only when lo does not fall by the
                # job's weight, as PrefixDP.suffix_reach's lo): no tracked region
                # contains R[pos + 1][e]; everywhere does
                px[0], py[0] = INF, INF
                roff[0] = 0
                nrun = 1
                fill = 1
            elif e <= rem[pos + 1]:
                sd = min(e - lo[pos + 1], size - 1)
                un = ns[pos + 1, sd]
                px[:un] = xs[pos + 1, sd, :un]
                py[:un] = ys[pos + 1, sd, :un]
                if un > 0:
                    roff[0] = 0
                    nrun = 1
                    fill = un
            # accept: preimages of R[pos + 1][e - w]
            ea = e - w[pos]
            if ea <= every or ea < lo[pos + 1]:  # below the window: everywhere (as above)
                srcx, srcy, sn = allx, allx, 1
            else:
                sa = min(ea - lo[pos + 1], size - 1)
                srcx, srcy, sn = xs[pos + 1, sa], ys[pos + 1, sa], ns[pos + 1, sa]
            for o in range(opt_start[pos], opt_start[pos + 1]):
                # preimages along the staircase: cy never rises, so a corner that
                # does not raise gx is dominated by an earlier one
                rn = fill
                okc, ga, has_gb, gb, gc, cb, cc, tx, ty = _preimage_coeffs(
                    ks[o], a[o], h[o], b[o], last[pos], r[pos], d[pos])
                if not okc:
                    continue
                # x rises and y falls along the staircase, so the corners with a
                # preimage are one window: from the first x >= max(tx, ga) while
                # y >= max(ty, cb, gb), and gx = min(x - ga, y - gb, gc) rises up
                # to the first corner where x - ga reaches the other two terms,
                # after which it never rises again (those corners are dominated)
                xmin = max(tx, ga)
                ymin = max(ty, cb)
                if has_gb:
                    ymin = max(ymin, gb)
                if cc < 0 or gc < 0:
                    continue
                i = np.searchsorted(srcx[:sn], xmin)
                while i < sn:
                    x = srcx[i]
                    y = srcy[i]
                    if y < ymin:
                        break
                    other = gc
                    if has_gb:
                        other = min(other, y - gb)
                    gx = min(x - ga, other)
                    cy = min(y - cb, cc)
                    if not (rn > fill and gx <= px[rn - 1]):
                        if rn > fill and cy == py[rn - 1]:
                            rn -= 1
                        px[rn], py[rn] = gx, cy
                        rn += 1
                    if x - ga >= other:
                        break
                    i += 1
                if rn > fill:
                    roff[nrun] = fill
                    nrun += 1
                    fill = rn
            roff[nrun] = fill
            # the maximal corners of the union of the runs (each a staircase): merge
            # them pairwise, level by level, so dominated corners drop out early
            while nrun > 1:
                m2 = 0
                fill2 = 0
                for q in range(0, nrun, 2):
                    if q + 1 < nrun:
                        k2 = _merge_stairs(px, py, roff[q], roff[q + 1], roff[q + 2], qx, qy,
                                           fill2)
                    else:
                        k2 = roff[q + 1] - roff[q]
                        qx[fill2:fill2 + k2] = px[roff[q]:roff[q + 1]]
                        qy[fill2:fill2 + k2] = py[roff[q]:roff[q + 1]]
                    roff2[m2] = fill2
                    fill2 += k2
                    m2 += 1
                roff2[m2] = fill2
                px, qx = qx, px
                py, qy = qy, py
                roff, roff2 = roff2, roff
                nrun = m2
            un = roff[1] if nrun == 1 else 0
            ux, uy = px, py
            if un > corners:  # merge runs of consecutive corners: an outer approximation
                ns[pos, s] = _thin(ux, uy, un, corners, xs[pos, s], ys[pos, s])
            else:
                xs[pos, s, :un] = ux[:un]
                ys[pos, s, :un] = uy[:un]
                ns[pos, s] = un
    return xs, ys, ns


@nb.njit(cache=True)
def _grow(buf: np.ndarray, need: int) -> np.ndarray:
    """``buf`` itself if it holds ``need`` entries, else a copy at least twice as long."""
    if need <= len(buf):
        return buf
    out = np.empty(max(need, 2 * len(buf)), dtype=np.int64)
    out[:len(buf)] = buf
    return out


@nb.njit(cache=True)
def dp_pass(m: np.ndarray, g: np.ndarray, c: np.ndarray, pos0: int,
            opt_start: np.ndarray, ks: np.ndarray, a: np.ndarray, h: np.ndarray, b: np.ndarray,
            last: np.ndarray, r: np.ndarray, d: np.ndarray, w: np.ndarray,
            gl: np.ndarray, cl: np.ndarray, lower_bound: int, beam: int,
            reach_lo: np.ndarray, reach_x: np.ndarray, reach_y: np.ndarray,
            reach_n: np.ndarray, stop_labels: int, work_limit: int
            ) -> tuple[int, int, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                       np.ndarray, tuple[np.ndarray, ...]]:
    """Run :func:`dp_step_reach` over jobs ``pos0, pos0 + 1, ...`` in one call.

    Each step gets exactly the arguments the step-by-step loop of
    :func:`splitsched.solvers.dp.run_dp` gives it (no completion table), so
    the labels and back-pointers are identical to that loop's.

    Parameters
    ----------
    m, g, c:
        Labels before job ``pos0`` (weight, GPU and CPU free times, us).
    opt_start, ks, a, h, b:
        Every job's on-time-alone cuts, flattened: job p's are
        ``ks[opt_start[p]:opt_start[p + 1]]`` with stage times a, h, b (us).
    last, r, d, w, gl, cl:
        Per job (shape (n,)): L, release, deadline (us), weight, and the
        latest GPU and CPU free times from which it can still be on time.
    lower_bound, beam:
        As :func:`dp_step_reach` (0: none).
    reach_lo, reach_x, reach_y, reach_n:
        Reach tables of :func:`reach_tables` with ``lo``, shapes (n + 1,),
        (n + 1, size, corners) twice and (n + 1, size); ``size`` 0: none.
    stop_labels:
        Stop after a step that leaves more labels than this, without taking
        that stage in: the caller post-processes it (capacity bound, label
        cap).
    work_limit:
        Stop before a step once the steps done have expanded this many
        candidates (labels times (cuts + 1)); at least one step always runs;
        0: no limit. Lets the caller check a wall-clock deadline between calls.

    Returns
    -------
    status, done, m, g, c, parent, cut, offsets, pending:
        ``status`` 0: every job processed; 1: stopped by ``work_limit``; 2:
        a step left more than ``stop_labels`` labels; 3: a step left no
        label. ``done`` stages were taken in (jobs ``pos0 .. pos0 + done -
        1``); stage ``i``'s back-pointers are ``parent``, ``cut`` over
        ``offsets[i]:offsets[i + 1]``, and (m, g, c) are the labels after the
        last of them (the input labels when none). With status 2,
        ``pending`` is the stage of job ``pos0 + done`` that was not taken
        in, (m, g, c, parent, cut); otherwise five empty arrays.
    """
    n = len(r)
    remaining = 0
    for p in range(pos0, n):
        remaining += w[p]
    no_grid = np.zeros(0, dtype=np.int64)
    no_table = np.zeros((1, 1), dtype=np.int64)
    offsets = np.zeros(n - pos0 + 1, dtype=np.int64)
    parent = np.empty(max(1, 4 * len(m)), dtype=np.int64)
    cut = np.empty(max(1, 4 * len(m)), dtype=np.int64)
    status = 0
    done = 0
    work = 0
    pos = pos0
    pending = (no_grid, no_grid, no_grid, no_grid, no_grid)
    while pos < n:
        if work_limit > 0 and work >= work_limit and done > 0:
            status = 1
            break
        lo, hi = opt_start[pos], opt_start[pos + 1]
        remaining -= w[pos]
        work += len(m) * (hi - lo + 1)
        nm, ng, nc, npar, ncut = dp_step_reach(
            m, g, c, ks[lo:hi], a[lo:hi], h[lo:hi], b[lo:hi], last[pos], r[pos], d[pos], w[pos],
            remaining, lower_bound, beam, gl[pos + 1:], cl[pos + 1:], w[pos + 1:],
            no_grid, no_table, reach_lo[pos + 1], reach_x[pos + 1], reach_y[pos + 1],
            reach_n[pos + 1])
        k = len(nm)
        if k == 0:
            status = 3
            break
        if k > stop_labels:
            status = 2
            pending = (nm, ng, nc, npar, ncut)
            break
        off = offsets[done]
        parent = _grow(parent, off + k)
        cut = _grow(cut, off + k)
        parent[off:off + k] = npar
        cut[off:off + k] = ncut
        offsets[done + 1] = off + k
        done += 1
        pos += 1
        m, g, c = nm, ng, nc
    return status, done, m, g, c, parent, cut, offsets[:done + 1], pending


@nb.njit(cache=True)
def best_label(m: np.ndarray, g: np.ndarray, c: np.ndarray) -> int:
    """Index of the label with the largest weight, then the smallest ``max(g, c)``
    (the first such label; ``m`` must not be empty)."""
    best = 0
    for i in range(1, len(m)):
        if m[i] > m[best] or (m[i] == m[best] and max(g[i], c[i]) < max(g[best], c[best])):
            best = i
    return best


@nb.njit(cache=True)
def trace_back(parent: np.ndarray, cut: np.ndarray, offsets: np.ndarray, idx: int
               ) -> tuple[np.ndarray, int]:
    """Follow back-pointers from label ``idx`` of the last stage in ``offsets``.

    Returns the cut of every stage (``-1``: dropped), in stage order, and the
    index of the label before the first stage.
    """
    stages = len(offsets) - 1
    cuts = np.empty(stages, dtype=np.int64)
    for s in range(stages - 1, -1, -1):
        cuts[s] = cut[offsets[s] + idx]
        idx = parent[offsets[s] + idx]
    return cuts, idx


def warm_up() -> None:
    """Compile (or load from numba's cache) every kernel on a tiny input.

    Called once when the module is imported, so that no solver's time limit
    pays for compilation: the first import on a machine compiles for tens of
    seconds and writes the cache next to this file (or in numba's user cache);
    later imports load it in well under a second.
    """
    one = np.zeros(1, dtype=np.int64)
    none = np.zeros(0, dtype=np.int64)
    pareto_keep(one, one, one)
    ks = np.array([0, 1], dtype=np.int64)
    a = np.array([0, 1], dtype=np.int64)
    hb = np.array([1, 0], dtype=np.int64)
    dp_step(one, one, one, ks, a, np.zeros(2, np.int64), hb, 1,
            0, 10, 1, 0, 1, 0, none, none, none, one, np.zeros((1, 1), dtype=np.int64))
    xs, ys, ns = reach_tables(np.array([0, 2], dtype=np.int64), ks, a, np.zeros(2, np.int64), hb,
                              one, np.zeros(1, np.int64), np.array([10], dtype=np.int64),
                              np.ones(1, np.int64), np.ones(2, np.int64), 2, 4, 5)
    reach_best(0, xs[0], ys[0], ns[0], 0, 0)
    dp_step_reach(one, one, one, ks, a, np.zeros(2, np.int64), hb, 1, 0, 10, 1, 0, 1, 2,
                  np.zeros(1, np.int64), np.zeros(1, np.int64), np.ones(1, np.int64), none,
                  np.zeros((1, 1), dtype=np.int64), 0, xs[1], ys[1], ns[1])
    lo = np.zeros(2, dtype=np.int64)
    for rx, ry, rn in ((xs, ys, ns), (np.zeros((2, 0, 0), np.int64),
                                      np.zeros((2, 0, 0), np.int64), np.zeros((2, 0), np.int64))):
        _, _, pm, pg, pc, par, cut, off, _ = dp_pass(
            one, one, one, 0, np.array([0, 2], dtype=np.int64), ks, a, np.zeros(2, np.int64),
            hb, one, np.zeros(1, np.int64), np.array([10], dtype=np.int64),
            np.ones(1, np.int64), one, one, 0, 0, lo, rx, ry, rn, 2 ** 62, 0)
        if len(pm):
            trace_back(par, cut, off, best_label(pm, pg, pc))
    grids = np.zeros((2, 2), dtype=np.int64)
    grid_bound_tables(grids, np.array([0, 2], dtype=np.int64), ks, a, np.zeros(2, np.int64),
                      hb, one, one, np.array([10], dtype=np.int64), np.ones(1, np.int64))


warm_up()
