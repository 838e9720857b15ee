"""A time-indexed relaxation of the problem: non-preemptive stages and the GPU -> CPU lag.

The energetic rows of :mod:`splitsched.formulations.bounds` let a stage's work
spread over its window as if it could be preempted. This model keeps every
stage in one piece on a coarse time grid and ties each CPU stage to its own
GPU stage, and so bounds the on-time weight where non-preemption matters.

Floor scaling (why the coarse grid is a relaxation)
---------------------------------------------------
Pick a step ``D`` (integer microseconds) and an origin ``o`` (at most the
earliest release). Map every start ``s`` to ``s' = floor((s - o) / D)``. For
reals ``x, y``, ``floor(x + y) >= floor(x) + floor(y)`` (superadditivity).
Per cut k with stages ``a, h, b`` of a job with release ``r`` and deadline
``d``, the scaled rules are

* GPU start in ``[floor((r - o)/D), floor((d - a - h - b - o)/D)]`` and CPU
  start in ``[floor((r + a + h - o)/D), floor((d - b - o)/D)]``: the images of
  the real start windows (floor is monotone, and a real on-time schedule has
  ``r <= g <= d - a - h - b`` and ``r + a + h <= c <= d - b``);
* lag: CPU start ``>= GPU start + floor((a + h)/D)``, since ``c >= g + a + h``
  gives ``c' >= floor((g - o)/D + (a + h)/D) >= g' + floor((a + h)/D)``;
* one stage at a time with scaled lengths ``p' = floor(p / D)``: if a stage
  ends before another starts on one processor, ``s1 + p1 <= s2``, then
  ``s1' + p1' <= floor((s1 + p1 - o)/D) <= s2'``, so the scaled stages
  ``[s', s' + p')`` of a processor are disjoint (a stage with ``p' = 0``
  occupies nothing, which only relaxes).

So every feasible schedule maps to a scaled schedule with the same cuts and
on-time jobs, and the scaled optimum's on-time weight bounds the real one's
(the issue's plain map, ``r' = floor(r/D)``, ``h' = floor(h/D)``, ...,
is implied: each rule above is at least as tight). :func:`scale_schedule`
computes the map, :func:`check_scaled` checks these rules and
:func:`schedule_point` gives the model's point; the tests run all three on
optimal schedules of oracle-solved instances.

The model (Pritsker, Watters and Wolfe 1969, in cumulative form)
-----------------------------------------------------------------
Per job ``j`` and scaled cut ``c`` (below), with the scaled windows above

* columns ``X[c, t]`` = "the GPU stage has started at or before slot ``t``"
  over the GPU window, non-decreasing in ``t``;
* columns ``Y[c, t]`` likewise over the CPU window.

A stage with scaled length 0 has no columns (it occupies nothing, and the
windows already carry the lag). The last column of the cut's last stage is
``z[c]``, "(j, c) on time"; the rows are

* ``X[c, t-1] - X[c, t] <= 0`` (the same for ``Y``): monotone;
* ``Y[c, t] - X[c, min(t - lag', gpu_hi)] <= 0``: the CPU stage starts after
  the GPU stage and the lag (``t - lag' >= gpu_lo`` on the whole CPU window);
* per processor and slot ``s``: ``sum_c X[c, s] - X[c, s - a'] <= 1`` (the
  stages running in slot ``s``; ``X`` is its last value past the window and 0
  before it): two non-zeros per column, most of them;
* per job: ``sum_c z[c] <= 1``;
* optionally, energetic rows over the real cuts (``energy_rows``, see
  :func:`build_model`) on the ``z`` columns;

all columns in ``[0, 1]``, maximise ``sum w_j z[c]``. A scaled schedule
gives a 0/1 point of this polytope (:func:`schedule_point`) with objective its
on-time weight, so the LP optimum bounds it.

Scaled cuts. A job's pruned cuts (:func:`splitsched.formulations.job_windows`)
are scaled to ``(a', lag', b', windows)``; equal ones are one (exact), and one
that another is componentwise weaker than (smaller lengths and lag, wider
windows) is dropped (exact: its schedules stay feasible for the weaker one,
shorter stages started at the same slots). With ``groups = G``, the
survivors (in cut order) are merged into at most ``G`` runs of consecutive
cuts, each taking the componentwise weakest values of its members: still a
relaxation by the same argument, weaker but smaller. The runs minimise the
summed spread of ``a'`` and ``b'`` (a small dynamic program).

The proof. The LP is solved in floating point (HiGHS simplex or interior
point); its row duals, clipped at 0 and rounded down to multiples of
``2**-40``, are a certificate ``u >= 0`` whose Lagrangian value

    ``sum_i u_i rhs_i + sum_col max(0, c_col - (A^T u)_col)``

bounds the LP (box ``[0, 1]`` columns, weak duality) and is computed in
integers (:func:`certified_bound`). Its floor is the bound on the on-time
weight; a poor dual only weakens it. All times are integer microseconds.

Measured (v2 library, interior point, one thread, 2-core machine under load
3-5; scripts/bound_table.py --time-indexed): at ``D`` = 10 ms (35k-67k
columns, 1-3 minutes) the LP alone is never stronger than the energetic cut
LP of :func:`splitsched.formulations.bounds.cut_lp_bound` on the open n = 40
instances (equal on 3, weaker on 3: e.g. v2-poisson-redmi-n40-l2-s2-w 2
misses against 3); at 5 ms (130k columns, 11 minutes) snapdragon l4-s1
reaches the energetic LP's 8. With the energetic rows added, 10 ms lifts
v2-poisson-redmi-n40-l4-s3-w to 9 misses (both LPs alone: 8; the cut
branch and bound's 9) in about 2 minutes, and at 2.5 ms (201k columns, 1.08M
non-zeros, 13 minutes) v2-poisson-redmi-n40-l4-s2-w to 13 misses (LP 12.021;
reference bound 12, best known 14; at 10 ms and 5 ms: 12). At n = 80 and 20 ms: mi9 l2-s1 3
misses (reference 4) in 1 minute; huawei_mate_20 l4-s1 (batch, wide
windows) has 469k columns and no LP within 500 s. Fractional ``z`` spreads a job
over its window, so non-preemption moves the LP little on these instances.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

# isort: off
# OR-Tools' pywraplp must be loaded before highspy (see splitsched.formulations.bounds).
from ortools.linear_solver import pywraplp  # noqa: F401
import highspy
# isort: on

from splitsched.formulations import JobWindow, job_windows
from splitsched.formulations.bounds import LAGRANGE_SCALE as SCALE
from splitsched.formulations.bounds import CutRow, cut_lp_bound
from splitsched.problem import Instance, Schedule


@dataclass(frozen=True)
class ScaledCut:
    """One column block of the model: a job and the real cuts it stands for.

    ``a``, ``b`` are scaled stage lengths and ``lag`` the scaled GPU-start to
    CPU-start distance ``floor((a + h) / D)`` (grid slots); ``gpu_lo``..``gpu_hi``
    and ``cpu_lo``..``cpu_hi`` the scaled start windows. For every real cut in
    ``cuts`` its own values are at least ``a``, ``lag``, ``b``, ``gpu_lo``,
    ``cpu_lo`` and at most ``gpu_hi``, ``cpu_hi``. ``gpu_col`` (``cpu_col``)
    is the first column of ``X`` (``Y``), -1 without that stage (scaled
    length 0); ``z_col`` is the cut's on-time column.
    """

    job: int
    cuts: tuple[int, ...]
    a: int
    lag: int
    b: int
    gpu_lo: int
    gpu_hi: int
    cpu_lo: int
    cpu_hi: int
    gpu_col: int = -1
    cpu_col: int = -1
    z_col: int = -1


@dataclass(frozen=True)
class TimeIndexedModel:
    """The LP ``max obj . x, A x <= rhs, 0 <= x <= 1`` of the module docstring.

    ``matrix`` is an int64 CSR matrix of shape (rows, columns) with entries
    in {-1, 1} (and positive energies in us on the rows of ``energy_rows``);
    ``rhs`` int64 (rows,); ``obj`` int64 (columns,) holds the job
    weights on the ``z`` columns, 0 elsewhere. ``step_us`` is ``D``,
    ``origin_us`` is ``o``, ``slots`` the grid length.
    """

    step_us: int
    origin_us: int
    slots: int
    cuts: tuple[ScaledCut, ...]
    matrix: sp.csr_matrix
    rhs: np.ndarray
    obj: np.ndarray
    groups: int | None = None
    by_real_cut: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    @property
    def num_cols(self) -> int:
        return int(self.matrix.shape[1])

    @property
    def num_rows(self) -> int:
        return int(self.matrix.shape[0])

    @property
    def nonzeros(self) -> int:
        return int(self.matrix.nnz)

    def scale(self, t: int) -> int:
        """A real time (us) on the grid: ``floor((t - o) / D)``."""
        return (t - self.origin_us) // self.step_us


def _key(c: ScaledCut) -> tuple[int, ...]:
    return (c.a, c.lag, c.b, c.gpu_lo, -c.gpu_hi, c.cpu_lo, -c.cpu_hi)


def _weaker(u: tuple[int, ...], t: tuple[int, ...]) -> bool:
    """Whether ``u`` is componentwise at most ``t`` (every schedule of t's cut fits u's)."""
    return all(x <= y for x, y in zip(u, t, strict=True))


def _meet(job: int, run: list[ScaledCut]) -> ScaledCut:
    """The componentwise weakest cut of ``run``: a relaxation of each member."""
    return ScaledCut(job, tuple(sorted(k for c in run for k in c.cuts)),
                     min(c.a for c in run), min(c.lag for c in run), min(c.b for c in run),
                     min(c.gpu_lo for c in run), max(c.gpu_hi for c in run),
                     min(c.cpu_lo for c in run), max(c.cpu_hi for c in run))


def _pareto(job: int, cuts: list[ScaledCut]) -> list[ScaledCut]:
    """Merge equal scaled cuts and drop those another one is weaker than (exact);
    each survivor keeps the real cuts it covers."""
    merged: dict[tuple[int, ...], list[ScaledCut]] = {}
    for c in cuts:
        merged.setdefault(_key(c), []).append(c)
    keys = list(merged)
    alive = [t for t in keys if not any(u != t and _weaker(u, t) for u in keys)]
    out = {t: list(merged[t]) for t in alive}
    for t in keys:
        if t not in out:
            out[next(u for u in alive if _weaker(u, t))].extend(merged[t])
    res = [_meet(job, run) for run in out.values()]  # equal keys: the meet is each of them
    return sorted(res, key=lambda c: c.cuts[0])


def _merge_runs(job: int, cuts: list[ScaledCut], groups: int) -> list[ScaledCut]:
    """At most ``groups`` runs of consecutive cuts, each replaced by its :func:`_meet`;
    the runs minimise the summed spread of ``a`` and ``b`` (dynamic program)."""
    m = len(cuts)
    if m <= groups:
        return cuts

    def cost(i: int, j: int) -> int:  # run cuts[i:j]
        aa, bb = [c.a for c in cuts[i:j]], [c.b for c in cuts[i:j]]
        return max(aa) - min(aa) + max(bb) - min(bb)

    inf = math.inf
    best = [[inf] * (m + 1) for _ in range(groups + 1)]
    back = [[0] * (m + 1) for _ in range(groups + 1)]
    best[0][0] = 0
    for g in range(1, groups + 1):
        for j in range(1, m + 1):
            for i in range(g - 1, j):
                if best[g - 1][i] < inf:
                    v = best[g - 1][i] + cost(i, j)
                    if v < best[g][j]:
                        best[g][j], back[g][j] = v, i
    g = min(range(1, groups + 1), key=lambda q: best[q][m])
    runs: list[tuple[int, int]] = []
    j = m
    while g > 0:
        i = back[g][j]
        runs.append((i, j))
        j, g = i, g - 1
    return [_meet(job, cuts[i:j]) for i, j in reversed(runs)]


def scaled_cuts_of(window: JobWindow, step_us: int, origin_us: int,
                   groups: int | None = None, merge: bool = True) -> list[ScaledCut]:
    """The scaled cuts of one job (module docstring), columns not yet assigned.

    Per real pruned cut k: ``a' = floor(a/D)``, ``lag' = floor((a + h)/D)``,
    ``b' = floor(b/D)``, and each stage's real start window mapped by
    ``floor((t - o)/D)``: GPU ``[r, d - a - h - b]``, CPU ``[r + a + h, d - b]``.
    Equal and dominated ones are merged (:func:`_pareto`) only with ``merge``.
    """
    D, o = step_us, origin_us
    r, d = window.release, window.deadline
    cuts = []
    for k in window.cuts:
        a, h, b = window.a(k), window.h(k), window.b(k)
        cuts.append(ScaledCut(window.index, (k,), a // D, (a + h) // D, b // D,
                              (r - o) // D, (d - a - h - b - o) // D,
                              (r + a + h - o) // D, (d - b - o) // D))
    if merge:
        cuts = _pareto(window.index, cuts)
    if groups is not None:
        cuts = _merge_runs(window.index, cuts, groups)
    return cuts


class _Rows:
    """Row collector in COO form (every entry +-1)."""

    def __init__(self) -> None:
        self.r: list[np.ndarray] = []
        self.c: list[np.ndarray] = []
        self.v: list[np.ndarray] = []
        self.rhs: list[np.ndarray] = []
        self.n = 0

    def add_pairs(self, plus: np.ndarray, minus: np.ndarray, rhs: int) -> None:
        """Rows ``x[plus[i]] - x[minus[i]] <= rhs``, one per i."""
        m = len(plus)
        if m == 0:
            return
        ids = np.arange(self.n, self.n + m, dtype=np.int64)
        self.r += [ids, ids]
        self.c += [plus.astype(np.int64), minus.astype(np.int64)]
        self.v += [np.ones(m, dtype=np.int64), -np.ones(m, dtype=np.int64)]
        self.rhs.append(np.full(m, rhs, dtype=np.int64))
        self.n += m

    def add_coo(self, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, rhs: np.ndarray
                ) -> None:
        """Rows ``self.n + rows`` with entries ``(cols, vals)`` and right-hand sides ``rhs``."""
        self.r.append(rows.astype(np.int64) + self.n)
        self.c.append(cols.astype(np.int64))
        self.v.append(vals.astype(np.int64))
        self.rhs.append(rhs.astype(np.int64))
        self.n += len(rhs)

    def matrix(self, n_cols: int) -> tuple[sp.csr_matrix, np.ndarray]:
        if not self.r:
            return sp.csr_matrix((0, n_cols), dtype=np.int64), np.zeros(0, dtype=np.int64)
        mat = sp.csr_matrix((np.concatenate(self.v), (np.concatenate(self.r),
                                                      np.concatenate(self.c))),
                            shape=(self.n, n_cols), dtype=np.int64)
        return mat, np.concatenate(self.rhs)


def build_model(instance: Instance, step_us: int, *, groups: int | None = None,
                windows: tuple[JobWindow, ...] | None = None,
                origin_us: int | None = None,
                energy_rows: list[CutRow] | None = None) -> TimeIndexedModel:
    """The time-indexed LP of the module docstring on a grid of ``step_us`` microseconds.

    Parameters
    ----------
    instance:
        The problem.
    step_us:
        ``D`` in integer microseconds, >= 1 (1 keeps every length exactly).
    groups:
        Merge each job's scaled cuts into at most this many runs (None: keep all).
    windows:
        ``job_windows(instance)`` if already computed.
    origin_us:
        ``o``; default the earliest release (any integer at most it keeps the
        relaxation valid).
    energy_rows:
        Energetic rows over the real cuts (:func:`splitsched.formulations.bounds.
        cut_energy_rows`, in real microseconds, so without the grid's rounding)
        added on the ``z`` columns: a scaled cut takes the smallest coefficient
        of the real cuts it covers (0 if one is absent), valid because a
        schedule's real cut satisfies the row with its own coefficient. With
        these rows equal and dominated scaled cuts are not merged (a merged
        cut would take the smaller real energy of its members).

    Raises
    ------
    ValueError
        If ``step_us < 1`` or ``groups < 1``.
    """
    if step_us < 1:
        raise ValueError(f"step_us: must be >= 1, got {step_us}")
    if groups is not None and groups < 1:
        raise ValueError(f"groups: must be >= 1 or None, got {groups}")
    if windows is None:
        windows = job_windows(instance)
    first = min((j.release for j in instance.jobs), default=0)
    if origin_us is None:
        origin_us = first
    if origin_us > first:
        raise ValueError(f"origin_us: must be <= the earliest release {first}, got {origin_us}")
    D, o = step_us, origin_us
    cuts: list[ScaledCut] = []
    by_real: dict[tuple[int, int], int] = {}
    col = 0
    for w in windows:
        if not w.cuts:
            continue
        for sc in scaled_cuts_of(w, D, o, groups, merge=not energy_rows):
            gcol = ccol = -1
            if sc.a > 0:
                gcol, col = col, col + (sc.gpu_hi - sc.gpu_lo + 1)
            if sc.b > 0:
                ccol, col = col, col + (sc.cpu_hi - sc.cpu_lo + 1)
            if sc.b > 0:
                z = ccol + (sc.cpu_hi - sc.cpu_lo)
            elif sc.a > 0:
                z = gcol + (sc.gpu_hi - sc.gpu_lo)
            else:
                z, col = col, col + 1
            for k in sc.cuts:
                by_real[w.index, k] = len(cuts)
            cuts.append(ScaledCut(sc.job, sc.cuts, sc.a, sc.lag, sc.b, sc.gpu_lo, sc.gpu_hi,
                                  sc.cpu_lo, sc.cpu_hi, gcol, ccol, z))
    n_cols = col
    obj = np.zeros(n_cols, dtype=np.int64)
    for c in cuts:
        obj[c.z_col] = instance.jobs[c.job].weight
    rows = _Rows()
    slots = 1 + max([c.gpu_hi + c.a for c in cuts if c.a > 0]
                    + [c.cpu_hi + c.b for c in cuts if c.b > 0] + [0])
    # monotone and lag rows
    mono_p: list[np.ndarray] = []
    mono_m: list[np.ndarray] = []
    lag_p: list[np.ndarray] = []
    lag_m: list[np.ndarray] = []
    for c in cuts:
        for first, lo, hi in ((c.gpu_col, c.gpu_lo, c.gpu_hi), (c.cpu_col, c.cpu_lo, c.cpu_hi)):
            if first >= 0 and hi > lo:
                ids = np.arange(first, first + hi - lo, dtype=np.int64)
                mono_p.append(ids)
                mono_m.append(ids + 1)
        if c.gpu_col >= 0 and c.cpu_col >= 0:
            # Y[t] <= X[min(t - lag, gpu_hi)]; t - lag >= gpu_lo since cpu_lo >= gpu_lo + lag
            t = np.arange(c.cpu_lo, c.cpu_hi + 1, dtype=np.int64)
            lag_p.append(c.cpu_col + t - c.cpu_lo)
            lag_m.append(c.gpu_col + np.minimum(t - c.lag, c.gpu_hi) - c.gpu_lo)
    if mono_p:
        rows.add_pairs(np.concatenate(mono_p), np.concatenate(mono_m), 0)
    if lag_p:
        rows.add_pairs(np.concatenate(lag_p), np.concatenate(lag_m), 0)
    # capacity rows, one per processor and slot
    for which in ("gpu", "cpu"):
        rr: list[np.ndarray] = []
        cc: list[np.ndarray] = []
        vv: list[np.ndarray] = []
        for c in cuts:
            p = c.a if which == "gpu" else c.b
            first = c.gpu_col if which == "gpu" else c.cpu_col
            lo, hi = (c.gpu_lo, c.gpu_hi) if which == "gpu" else (c.cpu_lo, c.cpu_hi)
            if first < 0:
                continue
            # + X[min(s, hi)] for s in [lo, hi + p - 1]
            s = np.arange(lo, hi + p, dtype=np.int64)
            rr.append(s)
            cc.append(first + np.minimum(s, hi) - lo)
            vv.append(np.ones(len(s), dtype=np.int64))
            # - X[s - p] for s - p in [lo, hi - 1] (X[hi] - X[hi] cancels past the window)
            t = np.arange(lo, hi, dtype=np.int64)
            rr.append(t + p)
            cc.append(first + t - lo)
            vv.append(-np.ones(len(t), dtype=np.int64))
        if rr:
            rows.add_coo(np.concatenate(rr), np.concatenate(cc), np.concatenate(vv),
                         np.ones(slots, dtype=np.int64))
    # one cut per job
    per_job: dict[int, list[int]] = {}
    for c in cuts:
        per_job.setdefault(c.job, []).append(c.z_col)
    jr: list[int] = []
    jc: list[int] = []
    for i, zs in enumerate(z for z in per_job.values() if len(z) > 1):
        jr += [i] * len(zs)
        jc += zs
    n_assign = sum(1 for z in per_job.values() if len(z) > 1)
    if n_assign:
        rows.add_coo(np.array(jr), np.array(jc), np.ones(len(jc), dtype=np.int64),
                     np.ones(n_assign, dtype=np.int64))
    if energy_rows:
        er: list[int] = []
        ec: list[int] = []
        ev: list[int] = []
        for i, row in enumerate(energy_rows):
            coef = {(int(j), int(k)): int(v)
                    for j, k, v in zip(row.job, row.cut, row.coef, strict=True)}
            for ci in sorted({by_real[jk] for jk in coef if jk in by_real}):
                sc = cuts[ci]
                v = min(coef.get((sc.job, k), 0) for k in sc.cuts)
                if v > 0:
                    er.append(i)
                    ec.append(sc.z_col)
                    ev.append(v)
        rows.add_coo(np.array(er, dtype=np.int64), np.array(ec, dtype=np.int64),
                     np.array(ev, dtype=np.int64),
                     np.array([r.capacity for r in energy_rows], dtype=np.int64))
    mat, rhs = rows.matrix(n_cols)
    mat.sum_duplicates()
    return TimeIndexedModel(D, o, slots, tuple(cuts), mat, rhs, obj, groups, by_real)


def certified_bound(model: TimeIndexedModel, duals: np.ndarray) -> int:
    """Floor of the exact Lagrangian value of ``duals`` (module docstring), in integers.

    ``duals`` (rows,) are floats; each is clipped at 0 and rounded down to a
    multiple of ``2**-40``. The result bounds ``max obj . x`` over
    ``A x <= rhs, 0 <= x <= 1`` and so the on-time weight of every schedule.

    Raises
    ------
    ValueError
        If ``duals`` has the wrong length.
    """
    duals = np.asarray(duals, dtype=np.float64)
    if duals.shape != (model.num_rows,):
        raise ValueError(f"duals: {duals.shape} values for {model.num_rows} rows")
    ok = np.isfinite(duals) & (duals > 0)
    u = np.zeros(model.num_rows, dtype=object)
    u[ok] = [math.floor(float(x) * SCALE) for x in duals[ok]]
    ui = u.astype(object)
    mat = model.matrix
    # int64 only if no product or sum can overflow (checked in floating point with margin)
    worst = float(np.max(abs(mat).T.dot(ui.astype(np.float64)), initial=0.0))
    worst_rhs = float(np.abs(model.rhs).astype(np.float64).dot(ui.astype(np.float64)))
    if max(worst, worst_rhs) < 2.0**60 and int(model.obj.max(initial=0)) * SCALE < 2**60:
        u64 = ui.astype(np.int64)
        const = int(sum(int(x) for x in (u64 * model.rhs).tolist()))
        red = model.obj.astype(np.int64) * SCALE - mat.T.dot(u64)
        pos = int(sum(int(x) for x in red[red > 0].tolist()))
    else:  # Python integers throughout
        const = sum(int(a) * int(b) for a, b in zip(ui.tolist(), model.rhs.tolist(), strict=True))
        coo = mat.tocoo()
        redl = [int(w) * SCALE for w in model.obj.tolist()]
        for r, c, v in zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True):
            if ui[r]:
                redl[c] -= int(ui[r]) * int(v)
        pos = sum(x for x in redl if x > 0)
    return (const + pos) // SCALE


@dataclass(frozen=True)
class TimeIndexedBound:
    """What :func:`time_indexed_bound` found.

    ``upper_bound`` bounds the on-time weight of every schedule (certified);
    ``lp_value`` is the LP's floating-point optimum (None if it did not
    finish), ``status`` HiGHS' model status in words, ``seconds`` the wall
    time (building included), ``build_s`` the building alone; the model's
    size in ``rows``, ``cols``, ``nonzeros``.
    """

    upper_bound: int
    lp_value: float | None
    status: str
    seconds: float
    build_s: float
    rows: int
    cols: int
    nonzeros: int
    step_us: int
    groups: int | None


def _highs(model: TimeIndexedModel, method: str, time_limit_s: float, threads: int,
           integer: bool = False) -> highspy.Highs:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("time_limit", max(float(time_limit_s), 1e-3))
    if method == "ipm":
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
    elif method == "simplex":
        h.setOptionValue("solver", "simplex")
    elif method == "pdlp":
        h.setOptionValue("solver", "pdlp")
    elif method != "choose":
        raise ValueError(f"method: must be 'simplex', 'ipm', 'pdlp' or 'choose', got {method!r}")
    n = model.num_cols
    no_i = np.array([], dtype=np.int32)
    h.addCols(n, -model.obj.astype(np.float64), np.zeros(n), np.ones(n), 0, no_i, no_i,
              np.array([], dtype=np.float64))
    mat = model.matrix
    if model.num_rows:
        h.addRows(model.num_rows, np.full(model.num_rows, -highspy.kHighsInf),
                  model.rhs.astype(np.float64), mat.nnz, mat.indptr.astype(np.int32),
                  mat.indices.astype(np.int32), mat.data.astype(np.float64))
    if integer:
        h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                np.full(n, highspy.HighsVarType.kInteger))
    return h


def time_indexed_bound(instance: Instance, step_us: int, *, groups: int | None = None,
                       method: str = "ipm", time_limit_s: float = 60.0, threads: int = 1,
                       windows: tuple[JobWindow, ...] | None = None,
                       origin_us: int | None = None,
                       energetic: bool = False) -> TimeIndexedBound:
    """Certified upper bound on the on-time weight from the time-indexed LP.

    Builds :func:`build_model` (``step_us``, ``groups``, ``origin_us`` as
    there), solves its LP with HiGHS (``method``: ``"ipm"`` interior point
    without crossover, ``"simplex"``, ``"pdlp"`` or ``"choose"``), and certifies
    the row duals with :func:`certified_bound`. Without an optimal LP (time
    limit, failure) the bound is the total weight of the jobs with a pruned
    cut (trivially valid). Misses are at least ``total_weight - upper_bound``.
    With ``energetic``, the rows with a positive multiplier in
    :func:`splitsched.formulations.bounds.cut_lp_bound`'s certificate (its LP
    alone, up to a quarter of the time) are added (``build_model``'s
    ``energy_rows``): the LP is then at most both LPs' values.

    Raises
    ------
    ValueError
        On a bad ``step_us``, ``groups`` or ``method``.
    """
    t0 = time.perf_counter()
    if windows is None:
        windows = job_windows(instance)
    extra = None
    if energetic:  # the rows that certify the energetic LP (its positive multipliers)
        extra = cut_lp_bound(instance, windows=windows, branch=False,
                             time_limit_s=max(time_limit_s / 4, 1.0)).binding
    model = build_model(instance, step_us, groups=groups, windows=windows, origin_us=origin_us,
                        energy_rows=extra)
    t1 = time.perf_counter()
    live = sum(instance.jobs[w.index].weight for w in windows if w.cuts)
    h = _highs(model, method, time_limit_s - (t1 - t0), threads)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    best, lp_value = live, None
    sol = h.getSolution()
    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        lp_value = -float(h.getInfo().objective_function_value)
    if sol.dual_valid:  # any duals >= 0 certify a bound, optimal or not
        duals = np.asarray(sol.row_dual, dtype=np.float64)
        for sign in (1.0, -1.0):  # either sign convention of the duals
            best = min(best, certified_bound(model, sign * duals))
    return TimeIndexedBound(best, lp_value, status, time.perf_counter() - t0, t1 - t0,
                            model.num_rows, model.num_cols, model.nonzeros, step_us, groups)


def time_indexed_mip(instance: Instance, step_us: int, *, groups: int | None = None,
                     time_limit_s: float = 60.0, threads: int = 1
                     ) -> tuple[float | None, float | None, str]:
    """HiGHS branch and bound on the same model with 0/1 columns (measurement only).

    Returns ``(dual bound, primal value, status)`` as HiGHS reports them, in
    on-time weight; the dual bound is HiGHS' floating-point value, NOT a proof.
    """
    model = build_model(instance, step_us, groups=groups)
    h = _highs(model, "choose", time_limit_s, threads, integer=True)
    h.run()
    info = h.getInfo()
    bound = -float(info.mip_dual_bound) if math.isfinite(info.mip_dual_bound) else None
    primal = -float(info.objective_function_value) if info.primal_solution_status else None
    return bound, primal, h.modelStatusToString(h.getModelStatus())


# ---------------------------------------------------------------------------
# The floor map (module docstring), for tests and for checking the model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaledPlan:
    """One on-time job of a scaled schedule: real cut, scaled starts (None: no stage)."""

    job: int
    cut: int
    gpu_start: int | None
    cpu_start: int | None


def scale_schedule(instance: Instance, schedule: Schedule, step_us: int,
                   origin_us: int | None = None) -> list[ScaledPlan]:
    """The on-time jobs of a feasible ``schedule`` mapped by ``floor((t - o) / D)``.

    A job is kept if it has a cut and its last stage ends by its deadline;
    dropped and late jobs are left out (a late job is a miss either way). The
    caller passes a schedule that ``evaluate`` finds feasible (this module sits
    beside ``evaluate`` and does not re-check it).
    """
    if origin_us is None:
        origin_us = min((j.release for j in instance.jobs), default=0)
    out = []
    for i, job in enumerate(instance.jobs):
        plan = schedule.plan_by_job[job.id]
        if plan.cut is None:
            continue
        st = instance.stages_of(job)
        if plan.cpu_start is not None:
            end = plan.cpu_start + int(st.b[plan.cut])
        elif plan.gpu_start is not None:
            end = plan.gpu_start + int(st.a[plan.cut])
        else:
            continue
        if end > job.deadline:
            continue
        g = None if plan.gpu_start is None else (plan.gpu_start - origin_us) // step_us
        c = None if plan.cpu_start is None else (plan.cpu_start - origin_us) // step_us
        out.append(ScaledPlan(i, plan.cut, g, c))
    return out


def check_scaled(instance: Instance, plans: list[ScaledPlan], step_us: int,
                 origin_us: int | None = None) -> list[str]:
    """Violations of the scaled rules by ``plans`` (empty: all feasible and on time).

    Scaled rules of a job's real cut (module docstring): its GPU start lies in
    ``[floor((r - o)/D), floor((d - a - h - b - o)/D)]``, its CPU start in
    ``[floor((r + a + h - o)/D), floor((d - b - o)/D)]`` and at least the GPU
    start plus ``floor((a + h)/D)``; stages of positive scaled length
    (``floor(p/D)``) on one processor are pairwise disjoint as ``[s, s + p')``.
    """
    if origin_us is None:
        origin_us = min((j.release for j in instance.jobs), default=0)
    windows = job_windows(instance)
    bad: list[str] = []
    busy: dict[str, list[tuple[int, int, int]]] = {"gpu": [], "cpu": []}
    for p in plans:
        w = windows[p.job]
        last = w.stages.num_layers
        if p.cut not in w.cuts:
            bad.append(f"job {w.job.id}: cut {p.cut} is pruned (never on time)")
            continue
        a, h, b = w.a(p.cut), w.h(p.cut), w.b(p.cut)
        D, o, r, d = step_us, origin_us, w.release, w.deadline
        one = ScaledCut(p.job, (p.cut,), a // D, (a + h) // D, b // D, (r - o) // D,
                        (d - a - h - b - o) // D, (r + a + h - o) // D, (d - b - o) // D)
        if p.cut > 0:
            if p.gpu_start is None or not one.gpu_lo <= p.gpu_start <= one.gpu_hi:
                bad.append(f"job {w.job.id}: GPU start {p.gpu_start} outside "
                           f"[{one.gpu_lo}, {one.gpu_hi}]")
                continue
            if one.a > 0:
                busy["gpu"].append((p.gpu_start, p.gpu_start + one.a, p.job))
        if p.cut < last:
            if p.cpu_start is None or not one.cpu_lo <= p.cpu_start <= one.cpu_hi:
                bad.append(f"job {w.job.id}: CPU start {p.cpu_start} outside "
                           f"[{one.cpu_lo}, {one.cpu_hi}]")
                continue
            if p.gpu_start is not None and p.cpu_start < p.gpu_start + one.lag:
                bad.append(f"job {w.job.id}: CPU start {p.cpu_start} before GPU start "
                           f"{p.gpu_start} + lag {one.lag}")
            if one.b > 0:
                busy["cpu"].append((p.cpu_start, p.cpu_start + one.b, p.job))
    for proc, iv in busy.items():
        iv.sort()
        for (_s1, e1, j1), (s2, _e2, j2) in itertools.pairwise(iv):
            if s2 < e1:
                bad.append(f"{proc}: jobs {j1} and {j2} overlap")
    return bad


def schedule_point(model: TimeIndexedModel, instance: Instance, plans: list[ScaledPlan]
                   ) -> np.ndarray:
    """The 0/1 column vector of a scaled schedule (module docstring), shape (columns,).

    Each on-time job sets the step columns of the scaled cut covering its real
    cut: ``X[t] = 1`` from its scaled GPU start on, ``Y[t] = 1`` from its CPU
    start on (a ``z``-only cut sets ``z``). Raises KeyError for a cut the model
    does not cover (pruned: not on time in any schedule).
    """
    x = np.zeros(model.num_cols, dtype=np.int64)
    for p in plans:
        c = model.cuts[model.by_real_cut[p.job, p.cut]]
        if c.gpu_col >= 0:
            assert p.gpu_start is not None
            assert c.gpu_lo <= p.gpu_start
            x[c.gpu_col + p.gpu_start - c.gpu_lo:c.gpu_col + c.gpu_hi - c.gpu_lo + 1] = 1
        if c.cpu_col >= 0:
            assert p.cpu_start is not None
            assert c.cpu_lo <= p.cpu_start
            x[c.cpu_col + p.cpu_start - c.cpu_lo:c.cpu_col + c.cpu_hi - c.cpu_lo + 1] = 1
        if c.gpu_col < 0 and c.cpu_col < 0:
            x[c.z_col] = 1
    return x
