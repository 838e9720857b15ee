"""Upper bounds on the on-time weight: energetic rows over the accepted set.

Every cut k of a pruned job j (see :mod:`splitsched.formulations`) gives its
two stages fixed windows, however the other jobs are placed:

* GPU stage, length ``a(k)``, inside ``[r, d - h(k) - b(k)]`` (the hand-off
  and the CPU stage must still fit before the deadline);
* CPU stage, length ``b(k)``, inside ``[r + a(k) + h(k), d]`` (the GPU stage
  and the hand-off come first).

A zero-length stage occupies nothing and counts for nothing. For a time
interval ``[t1, t2)``, a non-preemptive stage with window ``[lo, hi]`` and
length ``p`` runs at least

    m = max(0, min(p, t2 - t1, lo + p - t1, t2 - hi + p))

inside it (energetic reasoning: shifted as far left, or right, as its window
allows, this much still overlaps the interval; Baptiste, Le Pape and Nuijten,
"Constraint-Based Scheduling", 2001, ch. 3). One processor offers at most
``t2 - t1`` in the interval, so for every accepted set with cuts,
``sum_j m_gpu(j, k_j) <= t2 - t1`` and the same on the CPU.

The cut is a choice, so a row over the accepted set alone (one 0/1 variable
``y_j`` per job) takes, for multipliers ``lg, lc >= 0``, the cheapest cut:

    sum_j y_j * min_k (lg * m_gpu(j, k) + lc * m_cpu(j, k)) <= (lg + lc) * (t2 - t1)

which is valid because the weighted sum of the two processors' rows holds for
every cut choice. ``(1, 0)`` and ``(0, 1)`` are each processor alone, ``(1, 1)``
both together, and the uneven pairs catch jobs that can shift work between the
processors only at a price. Intervals run from each release to each later
deadline; a row is kept only if it can bind (its coefficients sum to more than
its capacity).

:func:`window_bound` solves the 0/1 knapsack over these rows exactly (CP-SAT)
and so bounds the on-time weight of every schedule; :func:`aggregate_bound` is
the classic bound it strengthens: both processors pooled, the cheapest total
work ``min_k a(k) + b(k)`` of the jobs released at or after ``t1`` with
deadline at or before ``t2`` must fit in ``2 (t2 - t1)``. All times are
integer microseconds.

Over the (job, cut) choice, :func:`cut_energy_rows` gives each processor's
rows on its own (the windows above are already each stage's head- and
tail-adjusted window); :func:`cut_lp_bound` solves their LP and
:func:`cut_branch_bound` their integer program by branch and bound, every
node certified by an exact Lagrangian value (:func:`check_branch_certificate`
re-checks a whole tree). The integer optimum is what the rows can prove at
best: the knapsack bound of every window at once.
"""

from __future__ import annotations

import heapq
import math
import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np
from ortools.sat.python import cp_model

# isort: off
# OR-Tools' pywraplp must be loaded before highspy: the other order crashes pywraplp's
# bundled HiGHS (see splitsched.solvers.milp_ortools, which refuses to run then).
from ortools.linear_solver import pywraplp  # noqa: F401
import highspy
# isort: on

from splitsched.formulations import JobWindow, job_windows
from splitsched.formulations.cp import cp_solver, proven_objective_bound
from splitsched.problem import Instance

# Multipliers (GPU, CPU) of the aggregated rows; see the module docstring.
MULTIPLIERS: tuple[tuple[int, int], ...] = ((1, 0), (0, 1), (1, 1), (2, 1), (1, 2))


@dataclass(frozen=True)
class StageItems:
    """The stages of every (job, pruned cut) on one processor, as parallel arrays.

    ``job`` indexes ``instance.jobs``, ``cut`` is k, ``lo``/``hi`` bound the
    stage's window and ``p`` is its length (> 0 only: zero-length stages are
    left out). All int64, one entry per stage.
    """

    job: np.ndarray
    cut: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    p: np.ndarray

    def mandatory(self, t1: int, t2: np.ndarray) -> np.ndarray:
        """Energy each stage must spend inside ``[t1, t2)``, shape (len(t2), stages)."""
        t2c = t2[:, None]
        m = np.minimum(np.minimum(self.p[None, :], t2c - t1),
                       np.minimum(self.lo[None, :] + self.p[None, :] - t1,
                                  t2c - self.hi[None, :] + self.p[None, :]))
        return np.maximum(m, 0)


@dataclass(frozen=True)
class EnergyRow:
    """``sum_j coef[j] * y_j <= capacity`` over the accepted-set variables ``y``.

    ``coef`` has one int64 entry per job of the instance (0 for jobs that
    cannot be on time). ``t1``, ``t2`` and ``multipliers`` say where it comes from.
    """

    t1: int
    t2: int
    multipliers: tuple[int, int]
    coef: np.ndarray
    capacity: int


def _stage_items(windows: tuple[JobWindow, ...]) -> tuple[StageItems, StageItems]:
    gpu: list[tuple[int, int, int, int, int]] = []
    cpu: list[tuple[int, int, int, int, int]] = []
    for w in windows:
        for k in w.cuts:
            a, h, b = w.a(k), w.h(k), w.b(k)
            if a > 0:
                gpu.append((w.index, k, w.release, w.deadline - h - b, a))
            if b > 0:
                cpu.append((w.index, k, w.release + a + h, w.deadline, b))

    def pack(rows: list[tuple[int, int, int, int, int]]) -> StageItems:
        arr = np.array(rows, dtype=np.int64).reshape(-1, 5)
        return StageItems(*(arr[:, i].copy() for i in range(5)))

    return pack(gpu), pack(cpu)


def _cut_index(windows: tuple[JobWindow, ...]) -> dict[tuple[int, int], int]:
    """Position of each (job, pruned cut) in one flat list."""
    out: dict[tuple[int, int], int] = {}
    for w in windows:
        for k in w.cuts:
            out[w.index, k] = len(out)
    return out


def energy_rows(instance: Instance, *, multipliers: tuple[tuple[int, int], ...] = MULTIPLIERS,
                windows: tuple[JobWindow, ...] | None = None,
                deadline: float | None = None) -> list[EnergyRow]:
    """All binding energetic rows over the accepted set (module docstring).

    Parameters
    ----------
    instance:
        The problem.
    multipliers:
        Pairs ``(lg, lc)`` of non-negative integers, not both 0.
    windows:
        ``job_windows(instance)`` if already computed.
    deadline:
        A ``time.perf_counter()`` value: past it, no further interval start is
        tried and the dominance filter is skipped (every row returned is
        still valid; there are only fewer of them).

    Returns
    -------
    list[EnergyRow]
        Rows whose coefficients sum to more than their capacity (the others
        can never bind), for intervals from each release to each later deadline.
    """
    if windows is None:
        windows = job_windows(instance)
    n = instance.num_jobs
    gpu, cpu = _stage_items(windows)
    flat = _cut_index(windows)
    n_cuts = len(flat)
    if n_cuts == 0:
        return []
    # stage -> flat (job, cut) position, so that GPU and CPU parts of one cut add up
    gpu_pos = np.array([flat[int(j), int(k)] for j, k in zip(gpu.job, gpu.cut, strict=True)],
                       dtype=np.int64)
    cpu_pos = np.array([flat[int(j), int(k)] for j, k in zip(cpu.job, cpu.cut, strict=True)],
                       dtype=np.int64)
    cut_job = np.empty(n_cuts, dtype=np.int64)
    for (j, _k), pos in flat.items():
        cut_job[pos] = j
    has_cut = np.zeros(n, dtype=bool)
    has_cut[cut_job] = True
    starts = np.unique([w.release for w in windows if w.cuts])
    ends = np.unique([w.deadline for w in windows if w.cuts])
    # order cuts by job so that a per-job minimum is one reduceat
    order = np.argsort(cut_job, kind="stable")
    seg_starts = np.flatnonzero(np.r_[True, np.diff(cut_job[order]) != 0])
    seg_jobs = cut_job[order][seg_starts]
    rows: list[EnergyRow] = []
    for t1 in starts:
        if deadline is not None and time.perf_counter() > deadline:
            break
        t2 = ends[ends > t1]
        if len(t2) == 0:
            continue
        mg = np.zeros((len(t2), n_cuts), dtype=np.int64)
        mc = np.zeros((len(t2), n_cuts), dtype=np.int64)
        if len(gpu_pos):
            np.add.at(mg.T, gpu_pos, gpu.mandatory(int(t1), t2).T)
        if len(cpu_pos):
            np.add.at(mc.T, cpu_pos, cpu.mandatory(int(t1), t2).T)
        for lg, lc in multipliers:
            combo = (lg * mg + lc * mc)[:, order]
            per_job = np.minimum.reduceat(combo, seg_starts, axis=1)  # (len(t2), jobs with cuts)
            caps = (lg + lc) * (t2 - t1)
            for r in np.flatnonzero(per_job.sum(axis=1) > caps):
                coef = np.zeros(n, dtype=np.int64)
                coef[seg_jobs] = per_job[r]
                rows.append(EnergyRow(int(t1), int(t2[r]), (lg, lc), coef, int(caps[r])))
    return _strongest(rows, deadline)


DOMINANCE_WINDOW = 200  # a row is compared with this many kept rows before it


def _strongest(rows: list[EnergyRow], deadline: float | None = None) -> list[EnergyRow]:
    """Drop exact duplicates and rows another row dominates (coef >= and capacity <=).

    Row' dominates row if ``coef'/cap' >= coef/cap`` everywhere (compared
    scaled, in integers; float64 holds the products of the microsecond values
    exactly below 2^53). Past ``deadline`` only duplicates are dropped.
    """
    rows = sorted(rows, key=lambda r: (r.capacity, -int(r.coef.sum())))
    kept: list[EnergyRow] = []
    seen: set[tuple[int, bytes]] = set()
    if not rows:
        return kept
    n = len(rows[0].coef)
    window = np.zeros((DOMINANCE_WINDOW, n), dtype=np.float64)
    caps = np.zeros(DOMINANCE_WINDOW, dtype=np.float64)
    filled = 0
    for row in rows:
        key = (row.capacity, row.coef.tobytes())
        if key in seen:
            continue
        seen.add(key)
        if deadline is None or time.perf_counter() <= deadline:
            m = min(filled, DOMINANCE_WINDOW)
            if m and np.any(np.all(window[:m] * float(row.capacity)
                                   >= row.coef[None, :] * caps[:m, None], axis=1)):
                continue
        slot = filled % DOMINANCE_WINDOW
        window[slot] = row.coef
        caps[slot] = row.capacity
        filled += 1
        kept.append(row)
    return kept


def aggregate_rows(instance: Instance, windows: tuple[JobWindow, ...] | None = None
                   ) -> list[EnergyRow]:
    """The classic pooled energy rows (module docstring): ``sum min_k (a+b) y <= 2 (t2 - t1)``.

    A job counts in the row of ``[t1, t2]`` only if ``t1 <= r`` and ``d <= t2``.
    """
    if windows is None:
        windows = job_windows(instance)
    n = instance.num_jobs
    work = np.zeros(n, dtype=np.int64)
    rel = np.zeros(n, dtype=np.int64)
    dl = np.zeros(n, dtype=np.int64)
    live = np.zeros(n, dtype=bool)
    for w in windows:
        if w.cuts:
            live[w.index] = True
            work[w.index] = min(w.a(k) + w.b(k) for k in w.cuts)
            rel[w.index], dl[w.index] = w.release, w.deadline
    rows = []
    for t1 in np.unique(rel[live]):
        for t2 in np.unique(dl[live]):
            if t2 <= t1:
                continue
            coef = np.where(live & (rel >= t1) & (dl <= t2), work, 0)
            cap = 2 * int(t2 - t1)
            if int(coef.sum()) > cap:
                rows.append(EnergyRow(int(t1), int(t2), (1, 1), coef, cap))
    return rows


@dataclass(frozen=True)
class KnapsackResult:
    """The best accepted set under some rows: its weight, or a bound if unproven."""

    upper_bound: int
    proven: bool
    accepted: tuple[int, ...]


def solve_rows(instance: Instance, rows: list[EnergyRow], *, time_limit_s: float = 10.0,
               windows: tuple[JobWindow, ...] | None = None) -> KnapsackResult:
    """Maximise the accepted weight subject to ``rows`` (CP-SAT, one thread).

    Jobs without a pruned cut are never accepted. ``upper_bound`` is CP-SAT's
    proven objective bound (the optimum when ``proven``); it bounds the
    on-time weight of every schedule as long as every row is valid.
    """
    if windows is None:
        windows = job_windows(instance)
    model = cp_model.CpModel()
    y = [model.new_bool_var(f"y{j}") for j in range(instance.num_jobs)]
    for w in windows:
        if not w.cuts:
            model.add(y[w.index] == 0)
    for row in rows:
        nz = np.flatnonzero(row.coef)
        model.add(sum(int(row.coef[j]) * y[j] for j in nz) <= row.capacity)
    model.maximize(sum(job.weight * y[j] for j, job in enumerate(instance.jobs)))
    solver = cp_solver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = 1
    code = solver.solve(model)
    if code == cp_model.OPTIMAL:
        acc = tuple(j for j in range(instance.num_jobs) if solver.boolean_value(y[j]))
        return KnapsackResult(round(solver.objective_value), True, acc)
    proven = proven_objective_bound(solver, code)
    bound = instance.total_weight if proven is None else proven
    return KnapsackResult(int(np.floor(bound + 1e-6)), False, ())


def window_bound(instance: Instance, *, time_limit_s: float = 10.0) -> KnapsackResult:
    """Upper bound on the on-time weight from :func:`energy_rows` (module docstring)."""
    windows = job_windows(instance)
    return solve_rows(instance, energy_rows(instance, windows=windows),
                      time_limit_s=time_limit_s, windows=windows)


def aggregate_bound(instance: Instance, *, time_limit_s: float = 10.0) -> KnapsackResult:
    """Upper bound on the on-time weight from :func:`aggregate_rows` (the classic one)."""
    windows = job_windows(instance)
    return solve_rows(instance, aggregate_rows(instance, windows),
                      time_limit_s=time_limit_s, windows=windows)


@dataclass(frozen=True)
class CutRow:
    """``sum coef * x[job, cut] <= capacity`` over the (job, cut) literals of one processor."""

    processor: str
    t1: int
    t2: int
    job: np.ndarray
    cut: np.ndarray
    coef: np.ndarray
    capacity: int


def cut_energy_rows(windows: tuple[JobWindow, ...], *, extra_starts: bool = True,
                    deadline: float | None = None) -> list[CutRow]:
    """Energetic rows per processor over the (job, cut) choice (module docstring).

    Intervals start at each release (and, with ``extra_starts``, at each
    distinct earliest CPU start and end at each distinct deadline and latest
    GPU end of a cut); a row is kept if the jobs' largest coefficients sum to
    more than its capacity (it could bind when every job is accepted). Past
    ``deadline`` (a ``time.perf_counter()`` value) no further interval start is
    tried: the rows returned are valid, only fewer.
    """
    gpu, cpu = _stage_items(windows)
    rows: list[CutRow] = []
    releases = np.unique([w.release for w in windows if w.cuts])
    deadlines = np.unique([w.deadline for w in windows if w.cuts])
    for name, items in (("gpu", gpu), ("cpu", cpu)):
        if len(items.p) == 0:
            continue
        starts, ends = releases, deadlines
        if extra_starts:
            starts = np.unique(np.r_[releases, items.lo]) if name == "cpu" else releases
            ends = np.unique(np.r_[deadlines, items.hi]) if name == "gpu" else deadlines
        n = int(items.job.max()) + 1
        for t1 in starts:
            if deadline is not None and time.perf_counter() > deadline:
                break
            t2 = ends[ends > t1]
            if len(t2) == 0:
                continue
            mand = items.mandatory(int(t1), t2)
            per_job = np.zeros((len(t2), n), dtype=np.int64)
            np.maximum.at(per_job.T, items.job, mand.T)
            for r in np.flatnonzero(per_job.sum(axis=1) > t2 - t1):
                nz = np.flatnonzero(mand[r])
                rows.append(CutRow(name, int(t1), int(t2[r]), items.job[nz], items.cut[nz],
                                   mand[r, nz], int(t2[r] - t1)))
    return rows


_ZERO = Fraction(0)


@dataclass(frozen=True)
class LpBound:
    """The LP relaxation of the accepted-set knapsack, certified exactly.

    ``upper_bound`` bounds the on-time weight of every schedule (an integer:
    the floor of an exact rational bound). ``multipliers`` holds one
    non-negative rational per row of the input (0 for most rows): the
    certificate, and the rows that matter most (the LP's binding ones).
    """

    upper_bound: int
    multipliers: tuple[Fraction, ...]

    def binding(self) -> list[int]:
        """Indices of the rows with a positive multiplier."""
        return [i for i, u in enumerate(self.multipliers) if u > 0]


def lagrangian_bound(weights: list[int], live: list[bool], rows: list[EnergyRow],
                     multipliers: list[Fraction]) -> Fraction:
    """``sum_i u_i cap_i + sum_j max(0, w_j - sum_i u_i coef_ij)`` over the live jobs, exactly.

    For every ``u >= 0`` this bounds ``max sum w_j y_j`` over 0/1 vectors ``y``
    (0 on dead jobs) that satisfy every row: each satisfied row adds
    ``u_i (cap_i - coef_i y) >= 0`` to the objective, and the result, a sum of
    ``y_j`` times the reduced weight plus a constant, is at most the constant
    plus its positive reduced weights. This is the Lagrangian (LP duality)
    bound; exact rational arithmetic makes it independent of the LP solver's
    floating-point tolerances.

    Raises
    ------
    ValueError
        If a multiplier is negative or the lengths differ.
    """
    if len(multipliers) != len(rows):
        raise ValueError(f"multipliers: {len(multipliers)} values for {len(rows)} rows")
    if any(u < 0 for u in multipliers):
        raise ValueError("multipliers: must be >= 0")
    total = Fraction(0)
    reduced = [Fraction(w) for w in weights]
    for u, row in zip(multipliers, rows, strict=True):
        if u == 0:
            continue
        total += u * row.capacity
        for j in np.flatnonzero(row.coef):
            reduced[j] -= u * int(row.coef[j])
    return total + sum((max(Fraction(0), r) for r, ok in zip(reduced, live, strict=True) if ok),
                       Fraction(0))


def lp_bound(instance: Instance, rows: list[EnergyRow], *,
             windows: tuple[JobWindow, ...] | None = None,
             time_limit_s: float = 10.0) -> LpBound:
    """Upper bound on the on-time weight from the LP relaxation of ``rows`` (HiGHS dual simplex).

    The LP ``max sum w_j y_j, 0 <= y_j <= 1`` (0 for jobs without a pruned cut)
    subject to the rows is solved in floating point; its row duals, clipped to
    ``>= 0`` and read as exact rationals, are then only a certificate:
    :func:`lagrangian_bound` evaluates them exactly, so the bound is valid
    whatever the LP solver's accuracy (a poor dual only weakens it). Without
    a dual (time limit, solver failure) the bound is the total live weight.
    It is often within one unit of the integer knapsack's optimum
    (:func:`solve_rows`) and takes a fraction of its time on the n = 80 sets.
    """
    if windows is None:
        windows = job_windows(instance)
    weights = [job.weight for job in instance.jobs]
    live = [bool(w.cuts) for w in windows]
    trivial = sum(w for w, ok in zip(weights, live, strict=True) if ok)
    zero = tuple(_ZERO for _ in rows)
    if not rows:
        return LpBound(trivial, zero)
    n = instance.num_jobs
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(float(time_limit_s), 1e-3))
    h.setOptionValue("threads", 1)
    inf = highspy.kHighsInf
    h.addCols(n, np.array([-float(w) for w in weights]), np.zeros(n),
              np.array([1.0 if ok else 0.0 for ok in live]), 0, np.array([], dtype=np.int32),
              np.array([], dtype=np.int32), np.array([], dtype=np.float64))
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for row in rows:
        nz = np.flatnonzero(row.coef)
        starts.append(len(index))
        index.extend(nz.tolist())
        value.extend(row.coef[nz].astype(np.float64).tolist())
    h.addRows(len(rows), np.full(len(rows), -inf), np.array([float(r.capacity) for r in rows]),
              len(index), np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32),
              np.array(value, dtype=np.float64))
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return LpBound(trivial, zero)
    duals = h.getSolution().row_dual
    best = (Fraction(trivial), zero)
    for sign in (1.0, -1.0):  # the sign convention of a minimisation's duals, either way
        u = tuple(Fraction(sign * d) if sign * d > 0 else _ZERO for d in map(float, duals))
        value_ = lagrangian_bound(weights, live, rows, list(u))
        if value_ < best[0]:
            best = (value_, u)
    return LpBound(min(trivial, math.floor(best[0])), best[1])


@dataclass(frozen=True)
class CutLpBound:
    """The LP relaxation over the (job, cut) choice with per-processor energetic rows.

    ``upper_bound`` bounds the on-time weight of every schedule; ``binding``
    holds the rows with a positive multiplier in its certificate (the ones
    worth giving another model); ``rounds`` and ``active`` say how many LPs
    the row generation solved and with how many rows. ``lp_upper_bound`` is
    the LP's own bound and ``branch_nodes`` the nodes of the branch and bound
    (:func:`cut_branch_bound`) that lowered it to ``upper_bound``, if any.
    """

    upper_bound: int
    binding: list[CutRow]
    rounds: int
    active: int
    lp_upper_bound: int | None = None
    branch_nodes: int = 0


LAGRANGE_SCALE = 1 << 40  # multipliers are rounded down to multiples of 2^-40 (still >= 0)


def _cut_lagrangian(weights: np.ndarray, flat_job: np.ndarray, n_jobs: int,
                    rows: list[tuple[np.ndarray, np.ndarray, int]], duals: list[float]) -> int:
    """Floor of ``sum_i u_i cap_i + sum_j max(0, max_k (w_j - sum_i u_i coef_i[j, k]))``.

    ``rows`` are (flat cut positions, coefficients, capacity); ``u_i`` is
    ``duals[i]`` rounded down to a multiple of ``1 / LAGRANGE_SCALE`` (0 when
    negative). Valid for every ``u >= 0`` because each job takes at most one
    cut (the same argument as :func:`lagrangian_bound`); computed in Python
    integers, so exactly.
    """
    scale = LAGRANGE_SCALE
    red = np.array([int(weights[j]) * scale for j in flat_job], dtype=object)
    total = 0
    for (pos, coef, cap), d in zip(rows, duals, strict=True):
        u = math.floor(d * scale) if d > 0 and math.isfinite(d) else 0
        if u == 0:
            continue
        total += u * cap
        red[pos] -= u * coef.astype(object)
    best = [0] * n_jobs
    for j, r in zip(flat_job.tolist(), red.tolist(), strict=True):
        if r > best[j]:
            best[j] = r
    return (total + sum(best)) // scale


@dataclass(frozen=True)
class _RowLayout:
    """Cut rows laid out for the LPs: per row its flat cut positions, and all rows as CSR."""

    flat_job: np.ndarray  # (cut positions,) the job of each flat cut position
    positions: list[np.ndarray]  # per row, the flat positions of its coefficients
    indptr: np.ndarray  # (rows + 1,) CSR row starts over all_pos / all_coef
    all_pos: np.ndarray
    all_coef: np.ndarray
    caps: np.ndarray  # (rows,) capacities

    def load(self) -> np.ndarray:
        """Per row, its coefficient sum per unit of capacity (a cheap overload proxy)."""
        return np.add.reduceat(self.all_coef, self.indptr[:-1]) / np.maximum(self.caps, 1.0)

    def violated(self, x: np.ndarray, in_active: np.ndarray, batch: int) -> list[int]:
        """At most ``batch`` rows outside the LP that ``x`` violates, most violated first."""
        activity = np.add.reduceat(self.all_coef * x[self.all_pos], self.indptr[:-1])
        excess = (activity - self.caps) / self.caps
        excess[in_active] = 0.0
        viol = np.flatnonzero(excess > 1e-9)
        return viol[np.argsort(-excess[viol])][:batch].tolist()


def _row_layout(n_jobs: int, windows: tuple[JobWindow, ...], flat: dict[tuple[int, int], int],
                rows: list[CutRow]) -> _RowLayout:
    """Lay ``rows`` out over the flat cut positions ``flat`` (see :func:`_cut_index`)."""
    flat_job = np.empty(len(flat), dtype=np.int64)
    for (j, _k), pos in flat.items():
        flat_job[pos] = j
    table = np.full((n_jobs, 1 + max(max(w.cuts, default=0) for w in windows)), -1,
                    dtype=np.int64)
    for (j, k), pos in flat.items():
        table[j, k] = pos
    positions = [table[r.job, r.cut] for r in rows]
    indptr = np.r_[0, np.cumsum([len(q) for q in positions])].astype(np.int64)
    all_pos = np.concatenate(positions) if rows else np.zeros(0, dtype=np.int64)
    all_coef = (np.concatenate([r.coef for r in rows]).astype(np.float64) if rows
                else np.zeros(0, dtype=np.float64))
    caps = np.array([r.capacity for r in rows], dtype=np.float64)
    return _RowLayout(flat_job, positions, indptr, all_pos, all_coef, caps)


def _add_lp_rows(h: Any, ids: list[int], positions: list[np.ndarray], rows: list[CutRow],
                 caps: np.ndarray) -> None:
    """Add the cut rows ``ids`` to the HiGHS model ``h`` (each ``<= caps[i]``, by cut positions)."""
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []
    for i in ids:
        starts.append(len(index))
        index.extend(positions[i].tolist())
        value.extend(rows[i].coef.astype(np.float64).tolist())
    h.addRows(len(ids), np.full(len(ids), -highspy.kHighsInf), caps[ids], len(index),
              np.array(starts, dtype=np.int32), np.array(index, dtype=np.int32),
              np.array(value, dtype=np.float64))


def cut_lp_bound(instance: Instance, *, windows: tuple[JobWindow, ...] | None = None,
                 rows: list[CutRow] | None = None, time_limit_s: float = 10.0,
                 batch: int = 400, branch: bool = True,
                 branch_share: float = 0.5) -> CutLpBound:
    """Upper bound on the on-time weight: LP over ``x[j, k]`` with :func:`cut_energy_rows`.

    Variables ``0 <= x[j, k] <= 1`` per job and pruned cut, ``sum_k x[j, k] <= 1``,
    maximise ``sum w_j x[j, k]`` subject to the per-processor energetic rows
    (each processor on its own interval, the cut choice kept, so this is at
    least as strong as every aggregated row of :func:`energy_rows` on the same
    interval). Rows are generated: start with the ``batch`` most overloaded,
    solve (HiGHS dual simplex), add the ``batch`` most violated rows, repeat
    until none is violated or the time is up. Every LP's duals certify a bound
    exactly (:func:`_cut_lagrangian`), so stopping early only weakens it.

    On poisson-mi9-n80-l3-s1 (v1 set) the full LP gives on-time weight <= 67
    (13 misses) where the aggregated rows' LP gives 70 and their integer
    optimum 69.

    With ``branch`` (the default), up to ``branch_share`` of ``time_limit_s``
    (and never past it) goes to :func:`cut_branch_bound` over the same rows,
    asked each time to prove one step less than the bound so far
    (``floor = bound - g``, ``g`` the gcd of the weights of the jobs that can
    be on time, to a multiple of which the bound is rounded; depth first)
    until it fails or its time is up:
    the rows' integer optimum, certified exactly. A caller that knows an
    incumbent does better calling :func:`cut_branch_bound` with its weight as
    ``floor``.
    On the v2 library this certifies e.g. v2-batch-huawei_mate_20-n80-l2-s2
    (5 misses, the LP proves 4; scripts/bound_table.py).
    """
    t_end = time.perf_counter() + time_limit_s
    if windows is None:
        windows = job_windows(instance)
    weights = np.array([job.weight for job in instance.jobs], dtype=np.int64)
    live_total = int(sum(weights[w.index] for w in windows if w.cuts))
    flat = _cut_index(windows)
    if not flat:
        return CutLpBound(0, [], 0, 0, 0)
    if rows is None:
        rows = cut_energy_rows(windows, extra_starts=False, deadline=t_end)
    if not rows:
        return CutLpBound(live_total, [], 0, 0, live_total)
    lay = _row_layout(instance.num_jobs, windows, flat, rows)
    flat_job, positions, caps = lay.flat_job, lay.positions, lay.caps


    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    nv = len(flat)
    h.addCols(nv, -weights[flat_job].astype(np.float64), np.zeros(nv), np.ones(nv), 0,
              np.array([], dtype=np.int32), np.array([], dtype=np.int32),
              np.array([], dtype=np.float64))
    inf = highspy.kHighsInf
    for w in windows:
        if len(w.cuts) > 1:
            ii = np.array([flat[w.index, k] for k in w.cuts], dtype=np.int32)
            h.addRow(-inf, 1.0, len(ii), ii, np.ones(len(ii)))
    n_assign = h.getNumRow()
    active: list[int] = []
    in_active = np.zeros(len(rows), dtype=bool)

    def add(ids: list[int]) -> None:
        _add_lp_rows(h, ids, positions, rows, caps)
        active.extend(ids)
        in_active[ids] = True

    # first rows: the largest coefficient sum per unit of capacity (a cheap overload proxy)
    add(np.argsort(-lay.load())[:batch].tolist())
    best = live_total
    best_binding: list[CutRow] = []
    rounds = 0
    while True:
        left = t_end - time.perf_counter()
        if left <= 0:
            break
        h.setOptionValue("time_limit", left)
        h.run()
        rounds += 1
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        sol = h.getSolution()
        duals = list(sol.row_dual)[n_assign:]
        act_rows = [(positions[i], rows[i].coef, rows[i].capacity) for i in active]
        for sign in (1.0, -1.0):  # either sign convention of a maximisation's duals
            signed = [sign * d for d in duals]
            value = _cut_lagrangian(weights, flat_job, instance.num_jobs, act_rows, signed)
            if value < best:
                best = value
                best_binding = [rows[i] for i, d in zip(active, signed, strict=True)
                                if d * LAGRANGE_SCALE >= 1]
        viol = lay.violated(np.asarray(sol.col_value, dtype=np.float64), in_active, batch)
        if not viol:
            break
        add(viol)
    g = live_weight_gcd(windows)
    lp_upper = min(best, live_total) // g * g
    upper, nodes = lp_upper, 0
    if branch:
        b_end = min(t_end, time.perf_counter() + branch_share * time_limit_s)
        upper, nodes = branch_down(instance, windows, rows, lp_upper, floor=0, t_end=b_end)
    return CutLpBound(upper, best_binding, rounds, len(active), lp_upper, nodes)


def live_weight_gcd(windows: tuple[JobWindow, ...]) -> int:
    """The gcd of the weights of the jobs with a cut that can meet their deadline (1 if none).

    Every on-time weight is a multiple of it, so a bound on it rounds down to one.
    """
    return math.gcd(*(w.job.weight for w in windows if w.cuts)) or 1


def branch_down(instance: Instance, windows: tuple[JobWindow, ...], rows: list[CutRow],
                upper: int, *, floor: int, t_end: float) -> tuple[int, int]:
    """Lower ``upper`` toward the integer optimum of ``rows``, never below ``floor``.

    ``upper`` is a proven bound on the on-time weight; :func:`cut_branch_bound`
    is asked to prove one step less (``g`` = :func:`live_weight_gcd`, to a
    multiple of which the bound is rounded: with every weight 2^20, one
    weight unit per tree would take 2^20 trees for one job), and again while
    it succeeds, until ``t_end`` (a ``time.perf_counter()`` value). Returns
    the bound that stands and the trees' nodes.
    """
    g = live_weight_gcd(windows)
    upper = upper // g * g
    nodes = 0
    while floor < upper and time.perf_counter() < t_end:
        tree = cut_branch_bound(instance, windows=windows, rows=rows,
                                floor=max(floor, upper - g),
                                time_limit_s=t_end - time.perf_counter())
        nodes += tree.nodes
        if not tree.proven or tree.upper_bound >= upper:
            break
        upper = tree.upper_bound // g * g
    return upper, nodes


# ---------------------------------------------------------------------------
# Branch and bound over the cut rows: their integer optimum, certified exactly
# ---------------------------------------------------------------------------

FREE, DROPPED, FORCED = 0, 1, 2  # a job's state at a node of the tree
FIX_ROUNDS = 4  # reduced-cost fixing, then the LP again, at most this often per node
# A row whose dual was 0 at the last LP of this many nodes in a row leaves the LP (it comes
# back when violated): deep in the tree most of the root's rows are slack, and each LP
# costs about its number of nonzeros. On v2-poisson-redmi-n40-l3-s2-w, proving 9 misses
# (floor 49) took 42.2 s with every row kept (917 rows per LP on average), 21.3 / 15.5 /
# 14.9 / 13.8 / 14.4 / 18.3 s at 3 / 10 / 20 / 40 / 80 / 200 (270 rows per LP at 40), with
# the same node count within 5 % (scripts/bound_table.py's measurement, 2-core machine,
# load about 1, one run each). Dropping rows between a node's rounds instead cycled.
ROW_IDLE_NODES = 40


@dataclass(frozen=True)
class BranchNode:
    """One node of a :func:`cut_branch_bound` tree (the certificate).

    ``state`` gives each job FREE, DROPPED or FORCED (accepted with one of its
    ``allowed`` cuts); ``allowed[j]`` is a tuple of cuts (all pruned cuts at the
    root). A node is either a leaf, certified by ``multipliers`` (integer
    numerators over ``LAGRANGE_SCALE``, one per entry of ``row_ids``, indices
    into the rows the tree was built from) with ``bound`` the floor of its exact
    Lagrangian value, or it is split by ``children``: on job ``job`` into
    (DROPPED, FORCED), or on a FORCED job's cuts into two parts of ``allowed``.
    ``open_leaf`` marks a node whose own LP did not finish (time): its
    certificate is then its parent's multipliers, valid in every sub-node.
    """

    state: tuple[int, ...]
    allowed: tuple[tuple[int, ...], ...]
    bound: int
    row_ids: tuple[int, ...] = ()
    multipliers: tuple[int, ...] = ()
    job: int = -1
    children: tuple[BranchNode, ...] = ()
    open_leaf: bool = False


@dataclass(frozen=True)
class CutBranchBound:
    """The integer optimum (or a bound on it) of the cut rows, with its proof.

    ``upper_bound`` bounds the on-time weight of every schedule: it is
    ``max(floor, bound of every leaf)`` of ``tree`` (leaves at or below
    ``floor`` were not split further). ``proven`` is True when no leaf was left
    open (the bound is then the rows' integer optimum, or ``floor`` if that is
    larger). ``nodes`` counts the LPs solved; ``root`` is the root LP's bound.
    """

    upper_bound: int
    proven: bool
    nodes: int
    root: int
    tree: BranchNode


def _node_lagrangian(weights: np.ndarray, flat: dict[tuple[int, int], int],
                     state: tuple[int, ...], allowed: tuple[tuple[int, ...], ...],
                     rows: list[tuple[np.ndarray, np.ndarray, int]],
                     scaled: list[int]) -> int:
    """Floor of the Lagrangian bound of one node, in exact integers.

    For integer multipliers ``scaled`` (``u_i * LAGRANGE_SCALE``, all >= 0) this is
    ``floor((sum_i u_i cap_i + sum_j best_j) / LAGRANGE_SCALE)`` with ``best_j`` the
    largest reduced weight ``w_j * S - sum_i u_i coef_i[j, k]`` over the job's
    allowed cuts, also 0 (drop it) when the job is FREE, only 0 when DROPPED.
    A FORCED job with no allowed cut, or whose every cut has a negative reduced
    weight, still takes one: the bound may then be negative (no point in the
    node). Valid for every 0/1 choice in the node that satisfies the rows, by
    the argument of :func:`lagrangian_bound`.

    Raises
    ------
    ValueError
        If a multiplier is negative.
    """
    const, red = _node_terms(len(flat), rows, scaled)
    total = const
    for j, st in enumerate(state):
        if st == DROPPED:
            continue
        term = _job_term(int(weights[j]), st, [red[flat[j, k]] for k in allowed[j]])
        if term is None:
            return -1  # forced with no cut left: no point in the node
        total += term
    return total // LAGRANGE_SCALE


def _job_term(weight: int, state: int, red: list[int]) -> int | None:
    """One job's share of :func:`_node_lagrangian` (scaled); None: FORCED without a cut."""
    vals = [weight * LAGRANGE_SCALE + r for r in red]
    if state == FREE:
        return max([0, *vals])
    return max(vals) if vals else None


def _node_terms(n_cuts: int, rows: list[tuple[np.ndarray, np.ndarray, int]],
                scaled: list[int]) -> tuple[int, list[int]]:
    """``sum_i u_i cap_i`` and ``-sum_i u_i coef_i[p]`` per flat cut ``p``, exact integers.

    Raises ValueError if a multiplier is negative.
    """
    if any(u < 0 for u in scaled):
        raise ValueError("multipliers: must be >= 0")
    used = [(r, u) for r, u in zip(rows, scaled, strict=True) if u > 0]
    const = sum(u * cap for (_p, _c, cap), u in used)
    red_arr = np.zeros(n_cuts, dtype=np.int64)
    if used:
        pos = np.concatenate([p for (p, _c, _cap), _u in used])
        coef = np.concatenate([c for (_p, c, _cap), _u in used])
        mult = np.repeat(np.array([u for _r, u in used], dtype=object),
                         [len(p) for (p, _c, _cap), _u in used])
        # int64 only when no product or sum can overflow; else Python integers
        worst = sum(u * int(np.abs(c).sum()) for (_p, c, _cap), u in used)
        if worst < 2**62:
            np.subtract.at(red_arr, pos, mult.astype(np.int64) * coef.astype(np.int64))
        else:
            red_arr = red_arr.astype(object)
            np.subtract.at(red_arr, pos, mult * coef.astype(object))
    return const, [int(v) for v in red_arr.tolist()]


def check_branch_certificate(instance: Instance, rows: list[CutRow], result: CutBranchBound,
                             *, floor: int = 0,
                             windows: tuple[JobWindow, ...] | None = None) -> bool:
    """Re-check a :func:`cut_branch_bound` tree exactly (integers only).

    Checks that the root allows every pruned cut of every job, that each split
    covers its node (DROPPED and FORCED children of a FREE job, or a FORCED
    job's allowed cuts partitioned), that each leaf's multipliers give at most
    its bound, that each leaf's bound is at most ``result.upper_bound`` or at
    most ``floor`` (a leaf not split further), and that ``result.upper_bound``
    is at least ``floor`` or at least the total weight of the jobs with a
    pruned cut. Then every schedule's on-time weight is at most
    ``result.upper_bound``. Returns True when everything holds.
    """
    if windows is None:
        windows = job_windows(instance)
    flat = _cut_index(windows)
    weights = np.array([job.weight for job in instance.jobs], dtype=np.int64)
    packed = []
    for r in rows:
        packed.append((np.array([flat[int(j), int(k)] for j, k in zip(r.job, r.cut, strict=True)],
                                dtype=np.int64), r.coef, r.capacity))
    root = result.tree
    if root.state != tuple(FREE for _ in windows):
        return False
    if root.allowed != tuple(w.cuts for w in windows):
        return False
    cap = int(sum(weights[w.index] for w in windows if w.cuts))
    if result.upper_bound < min(floor, cap):
        return False
    if result.upper_bound >= cap:
        return True  # the total live weight bounds the on-time weight by itself
    stack = [root]
    while stack:
        node = stack.pop()
        if node.children:
            a, b = node.children
            j = node.job
            if not 0 <= j < len(windows):
                return False
            same = [i for i in range(len(windows)) if i != j]
            for c in (a, b):
                if any(c.state[i] != node.state[i] or c.allowed[i] != node.allowed[i]
                       for i in same):
                    return False
            if node.state[j] == FREE:
                if (a.state[j], b.state[j]) != (DROPPED, FORCED) or b.allowed[j] != node.allowed[j]:
                    return False
            elif node.state[j] == FORCED:
                if a.state[j] != FORCED or b.state[j] != FORCED:
                    return False
                if sorted(a.allowed[j] + b.allowed[j]) != sorted(node.allowed[j]):
                    return False
            else:
                return False
            stack.extend(node.children)
            continue
        if node.bound > result.upper_bound and node.bound > floor:
            return False
        sub = [packed[i] for i in node.row_ids]
        if len(sub) != len(node.multipliers):
            return False
        if _node_lagrangian(weights, flat, node.state, node.allowed, sub,
                            list(node.multipliers)) > node.bound:
            return False
    return True


def cut_branch_bound(instance: Instance, *, windows: tuple[JobWindow, ...] | None = None,
                     rows: list[CutRow] | None = None, floor: int = 0,
                     time_limit_s: float = 10.0, batch: int = 200,
                     node_limit: int = 100_000, depth_first: bool = True) -> CutBranchBound:
    """Upper bound on the on-time weight: the integer optimum of :func:`cut_energy_rows`.

    Best-first branch and bound over ``x[j, k]`` (each job takes at most one
    pruned cut; every row of ``rows`` holds). Each node is the LP of
    :func:`cut_lp_bound` with some jobs DROPPED, some FORCED
    (``sum_k x[j, k] >= 1``, elastic: an unmet one costs more than the total
    weight, so every LP has a solution; an LP that takes a slack anyway is
    solved again with the FORCED rows hard, or, without a solution, certified
    empty by its phase-one duals scaled up) and some cuts forbidden; rows are
    generated as in :func:`cut_lp_bound` (``batch`` at a time). A node's bound
    is the floor of an exact Lagrangian value (:func:`_node_lagrangian`) from
    its LP's row duals or its parent's multipliers, whichever is smaller, so
    no floating-point tolerance enters the proof. A node whose bound is at
    most ``floor`` is not split: pass the weight of a known schedule, and the
    result ``max(floor, ...)`` is still a valid upper bound (the nodes left
    out hold nothing better than ``floor``). Branching: a FREE job whose
    ``x[j, :]`` is fractional is DROPPED or FORCED (most fractional ``sum_k x``
    first); else a FORCED job with fractional cuts gets its largest-``x`` cut
    alone against its other cuts.

    This is the knapsack bound of every window at once with the cut choice
    kept, in integers (the issue's "knapsack bounds per deadline"). Times are
    integer microseconds; ``time_limit_s`` and ``node_limit`` stop the search
    (the bound is then the largest over the unexplored nodes, still valid).

    Returns
    -------
    CutBranchBound
        :func:`check_branch_certificate` re-checks its tree exactly.
    """
    t_end = time.perf_counter() + time_limit_s
    if windows is None:
        windows = job_windows(instance)
    n = instance.num_jobs
    weights = np.array([job.weight for job in instance.jobs], dtype=np.int64)
    root_state = tuple(FREE for _ in windows)
    root_allowed = tuple(w.cuts for w in windows)
    flat = _cut_index(windows)
    live_total = int(sum(weights[w.index] for w in windows if w.cuts))
    if not flat:
        leaf = BranchNode(root_state, root_allowed, 0)
        return CutBranchBound(0, True, 0, 0, leaf)
    if rows is None:
        rows = cut_energy_rows(windows, extra_starts=False, deadline=t_end)
    lay = _row_layout(n, windows, flat, rows)
    flat_job, positions, caps = lay.flat_job, lay.positions, lay.caps
    packed = [(positions[i], rows[i].coef, rows[i].capacity) for i in range(len(rows))]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    nv = len(flat)
    live_jobs = [w.index for w in windows if w.cuts]
    # columns: x[j, k] per flat position, then one elastic slack per live job
    slack_col = {j: nv + i for i, j in enumerate(live_jobs)}
    no_idx, no_val = np.array([], dtype=np.int32), np.array([], dtype=np.float64)
    x_cost = -weights[flat_job].astype(np.float64)
    ns = len(live_jobs)
    slack_cost = np.full(ns, float(live_total + 1))
    h.addCols(nv, x_cost, np.zeros(nv), np.ones(nv), 0, no_idx, no_idx, no_val)
    h.addCols(ns, slack_cost, np.zeros(ns), np.zeros(ns), 0, no_idx, no_idx, no_val)
    inf = highspy.kHighsInf
    assign_row: dict[int, int] = {}
    for w in windows:
        if w.cuts:
            ii = [flat[w.index, k] for k in w.cuts] + [slack_col[w.index]]
            assign_row[w.index] = h.getNumRow()
            h.addRow(-inf, 1.0, len(ii), np.array(ii, dtype=np.int32), np.ones(len(ii)))
    n_fixed = h.getNumRow()
    active: list[int] = []
    in_active = np.zeros(len(rows), dtype=bool)

    idle: list[int] = []  # per active row: nodes in a row whose last LP gave it no dual

    def add(ids: list[int]) -> None:
        _add_lp_rows(h, ids, positions, rows, caps)
        active.extend(ids)
        in_active[ids] = True
        idle.extend([0] * len(ids))

    def age(duals: list[float]) -> None:
        """Drop the rows idle at ``ROW_IDLE_NODES`` nodes in a row (generated again if violated)."""
        gone = []
        for i, d in enumerate(duals):
            idle[i] = idle[i] + 1 if abs(d) * LAGRANGE_SCALE < 1 else 0
            if idle[i] >= ROW_IDLE_NODES:
                gone.append(i)
        if not gone:
            return
        h.deleteRows(len(gone), np.array([n_fixed + i for i in gone], dtype=np.int32))
        in_active[[active[i] for i in gone]] = False
        keep = np.ones(len(active), dtype=bool)
        keep[gone] = False
        active[:] = [r for r, k in zip(active, keep, strict=True) if k]
        idle[:] = [a for a, k in zip(idle, keep, strict=True) if k]

    if rows:
        add(np.argsort(-lay.load())[:batch].tolist())

    Cert = tuple[int, tuple[int, ...], tuple[int, ...]]  # bound, row ids, multipliers

    def solve(state: tuple[int, ...], allowed: tuple[tuple[int, ...], ...],
              inherited: Cert, hard: bool = False,
              phase_one: bool = False) -> tuple[Cert, np.ndarray | None]:
        """The node's best certificate (its LPs' or ``inherited``) and its last LP's x."""
        ub = np.zeros(nv)
        for j in live_jobs:
            if state[j] != DROPPED:
                for k in allowed[j]:
                    ub[flat[j, k]] = 1.0
        h.changeColsBounds(nv, np.arange(nv, dtype=np.int32), np.zeros(nv), ub)
        for j in live_jobs:
            forced = state[j] == FORCED
            h.changeRowBounds(assign_row[j], 1.0 if forced else -inf, 1.0)
            h.changeColBounds(slack_col[j], 0.0, 1.0 if forced and not hard else 0.0)
        _b, rids, mults = inherited
        best: Cert = (_node_lagrangian(weights, flat, state, allowed,
                                       [packed[i] for i in rids], list(mults)), rids, mults)
        x_last: np.ndarray | None = None
        last_duals: list[float] | None = None
        while time.perf_counter() < t_end:
            # HiGHS' time limit counts the object's run time so far, over every run
            h.setOptionValue("time_limit",
                             h.getRunTime() + max(t_end - time.perf_counter(), 1e-3))
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                h.clearSolver()  # numerical trouble from a warm start: once more from scratch
                h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break  # no optimal LP: the node keeps the bound it has (always valid)
            sol = h.getSolution()
            duals = list(sol.row_dual)[n_fixed:]
            last_duals = duals
            x_last = np.asarray(sol.col_value, dtype=np.float64)[:nv]
            for sign in (1.0, -1.0):  # either sign convention of the duals
                scaled = [math.floor(sign * d * LAGRANGE_SCALE)
                          if sign * d > 0 and math.isfinite(d) else 0 for d in duals]
                keep = [i for i, u in enumerate(scaled) if u > 0]
                sub = [packed[active[i]] for i in keep]
                mult = [scaled[i] for i in keep]
                # phase one (the slack alone minimised): its duals times 2**t certify
                # a node without a point of the rows once the exact bound is <= eff
                for t in range(61 if phase_one and mult else 1):
                    scaled_t = [u << t for u in mult]
                    value = _node_lagrangian(weights, flat, state, allowed, sub, scaled_t)
                    if value < best[0]:
                        best = (value, tuple(active[i] for i in keep), tuple(scaled_t))
                    if value <= eff:
                        break
            if not rows:
                break
            viol = lay.violated(x_last, in_active, batch)
            if not viol:
                break
            x_last = None  # this LP misses rows: its x is no basis for branching
            add(viol)
        if last_duals is not None:
            # once per node, not between a node's rounds (there a row dropped and
            # generated again could cycle)
            age(last_duals)
        return best, x_last

    records: list[dict[str, Any]] = []
    heap: list[tuple[int, int, int]] = []  # (key, key, record id), see push
    xs: dict[int, np.ndarray] = {}
    eff = floor  # nodes at or below it are not split (raised by integral leaves)

    def record(state: tuple[int, ...], allowed: tuple[tuple[int, ...], ...], cert: Cert,
               is_open: bool) -> int:
        records.append({"state": state, "allowed": allowed, "cert": cert, "open": is_open,
                        "job": -1, "children": ()})
        return len(records) - 1

    def split(rid: int, job: int, kids: tuple[int, int]) -> None:
        records[rid]["job"] = job
        records[rid]["children"] = kids

    def fix(rid: int) -> int:
        """Reduced-cost fixing under the node's multipliers, as a chain of splits.

        With ``T`` the node's scaled Lagrangian value and ``c_j`` a job's share, a
        FREE job with ``(T - c_j) // S <= eff`` is FORCED (its DROPPED side is a
        leaf), one whose FORCED side gives ``<= eff`` is DROPPED, and a FORCED job's
        cuts that alone give ``<= eff`` are split off as a leaf. ``T`` is the same
        along the chain (the kept options keep every share), so each leaf's
        bound is exact. Returns the record at the chain's end.
        """
        rec = records[rid]
        _bound, rids, mults = rec["cert"]
        const, red = _node_terms(nv, [packed[i] for i in rids], list(mults))
        state, allowed = rec["state"], rec["allowed"]
        shares = {j: _job_term(int(weights[j]), state[j],
                               [red[flat[j, k]] for k in allowed[j]])
                  for j in live_jobs if state[j] != DROPPED}
        if any(v is None for v in shares.values()):
            return rid
        total = const + sum(v for v in shares.values() if v is not None)
        scale = LAGRANGE_SCALE
        cur = rid
        for j in live_jobs:
            st = state[j]
            if st == DROPPED:
                continue
            c = shares[j]
            assert c is not None
            vals = {k: int(weights[j]) * scale + red[flat[j, k]] for k in allowed[j]}
            if st == FREE and c > 0 and (total - c) // scale <= eff:
                s0, s1 = list(state), list(state)
                s0[j], s1[j] = DROPPED, FORCED
                leaf = record(tuple(s0), allowed, ((total - c) // scale, rids, mults), False)
                state = tuple(s1)
                nxt = record(state, allowed, rec["cert"], False)
                split(cur, j, (leaf, nxt))
                cur = nxt
            elif st == FREE and c == 0 and vals and (total + max(vals.values())) // scale <= eff:
                s0, s1 = list(state), list(state)
                s0[j], s1[j] = DROPPED, FORCED
                state = tuple(s0)
                nxt = record(state, allowed, rec["cert"], False)
                leaf = record(tuple(s1), allowed,
                              ((total + max(vals.values())) // scale, rids, mults), False)
                split(cur, j, (nxt, leaf))
                cur = nxt
            elif st == FORCED and len(allowed[j]) > 1:
                gone = tuple(k for k in allowed[j] if (total - c + vals[k]) // scale <= eff)
                if gone:
                    keep = tuple(k for k in allowed[j] if k not in gone)
                    a0, a1 = list(allowed), list(allowed)
                    a0[j], a1[j] = gone, keep
                    leaf = record(state, tuple(a0),
                                  ((total - c + max(vals[k] for k in gone)) // scale, rids,
                                   mults), False)
                    allowed = tuple(a1)
                    nxt = record(state, allowed, rec["cert"], False)
                    split(cur, j, (leaf, nxt))
                    cur = nxt
        return cur

    def push(rid: int, depth: int) -> None:
        b = records[rid]["cert"][0]
        if b > eff:
            heapq.heappush(heap, (-depth, -b, rid) if depth_first else (-b, -depth, rid))

    def make(state: tuple[int, ...], allowed: tuple[tuple[int, ...], ...], inherited: Cert,
             depth: int) -> int:
        cert, x = solve(state, allowed, inherited)
        first = rid = record(state, allowed, cert, x is None)
        for _ in range(FIX_ROUNDS):
            if x is None or cert[0] <= eff:
                break
            end = fix(rid)
            if end == rid:
                break
            rid = end
            cert, x = solve(records[rid]["state"], records[rid]["allowed"], cert)
            records[rid]["cert"], records[rid]["open"] = cert, x is None
        if x is not None:
            xs[rid] = x
        push(rid, depth)
        return first

    make(root_state, root_allowed, (live_total, (), ()), 0)
    root_bound = records[0]["cert"][0]
    proven = True
    while heap:
        k0, k1, rid = heap[0]
        depth = -k0 if depth_first else -k1
        rec = records[rid]
        if rec["cert"][0] <= eff:
            heapq.heappop(heap)
            continue
        x = xs.get(rid)
        if x is None or time.perf_counter() > t_end or len(records) >= node_limit:
            proven = False
            break
        heapq.heappop(heap)
        xs.pop(rid, None)
        state, allowed = rec["state"], rec["allowed"]
        y = np.zeros(n)
        np.add.at(y, flat_job, x)
        is_frac = (x > 1e-6) & (x < 1 - 1e-6)
        frac_job = np.zeros(n, dtype=bool)
        frac_job[flat_job[is_frac]] = True
        kids: list[tuple[tuple[int, ...], tuple[tuple[int, ...], ...]]] = []
        free = [j for j in live_jobs if state[j] == FREE and frac_job[j]]
        job = -1
        if free:
            job = min(free, key=lambda j: abs(y[j] - 0.5))
            s0, s1 = list(state), list(state)
            s0[job], s1[job] = DROPPED, FORCED
            kids = [(tuple(s0), allowed), (tuple(s1), allowed)]
        else:
            forced = [j for j in live_jobs if state[j] == FORCED and frac_job[j]
                      and len(allowed[j]) > 1]
            if forced:
                job = forced[0]
                vals = [x[flat[job, k]] for k in allowed[job]]
                top = allowed[job][int(np.argmax(vals))]
                a0, a1 = list(allowed), list(allowed)
                a0[job] = (top,)
                a1[job] = tuple(k for k in allowed[job] if k != top)
                kids = [(state, tuple(a0)), (state, tuple(a1))]
        if job < 0 and any(state[j] == FORCED and y[j] < 1 - 1e-6 for j in live_jobs):
            # the LP took a FORCED job's elastic slack (it can pay: freeing a large
            # stage may let more weight in than the slack costs), so x is no point of
            # the node: once more with the FORCED rows hard, and branch on that x
            # (no optimal LP: the node has no point of the rows, certified by phase
            # one; failing that, e.g. time, the bound is raised as for an integral LP)
            cert, x_hard = solve(state, allowed, rec["cert"], hard=True)
            if x_hard is None:
                h.changeColsCost(nv, np.arange(nv, dtype=np.int32), np.zeros(nv))
                h.changeColsCost(ns, np.arange(nv, nv + ns, dtype=np.int32), np.ones(ns))
                try:
                    cert, _x = solve(state, allowed, cert, phase_one=True)
                finally:
                    h.changeColsCost(nv, np.arange(nv, dtype=np.int32), x_cost)
                    h.changeColsCost(ns, np.arange(nv, nv + ns, dtype=np.int32), slack_cost)
            rec["cert"] = cert
            if x_hard is None:
                eff = max(eff, cert[0])
            elif cert[0] > eff:
                xs[rid] = x_hard
                push(rid, depth)
            continue
        if job < 0:
            # an integral LP: the rows allow this much, so nothing at or below it matters
            eff = max(eff, rec["cert"][0])
            continue
        ids = [make(s, al, rec["cert"], depth + 1) for s, al in kids]
        split(rid, job, (ids[0], ids[1]))
    upper = max(eff, max((records[r]["cert"][0] for _a, _b, r in heap), default=eff))

    def build(rid: int) -> BranchNode:
        rec = records[rid]
        bound, rids, mults = rec["cert"]
        return BranchNode(rec["state"], rec["allowed"], bound, rids, mults, rec["job"],
                          tuple(build(c) for c in rec["children"]), bool(rec["open"]))

    return CutBranchBound(min(upper, live_total), proven, len(records), root_bound, build(0))
