"""One solver-neutral MILP of the problem (disjunctive, window big-Ms).

The model is plain data (variables with bounds and integrality, sparse rows
with lower/upper sides, a linear objective); every MILP backend translates it
one to one, so all backends solve the same model.

Variables (job index j, pruned cut k, see :mod:`splitsched.formulations`):

* ``y_j_k`` binary: job j is on time with cut k. At most one per job; none
  means dropped. Cuts that can never be on time are not in the model.
* ``sg_j`` / ``sc_j`` continuous: GPU / CPU stage start, bounded by the job's
  window (only for jobs that have a cut with that stage).
* ``og_i_j`` / ``oc_i_j`` binary, i < j: i's GPU (CPU) stage precedes j's.
  Only for pairs whose positive-length stages can overlap in time; other
  pairs are ordered by their windows already.

Rows:

* ``assign_j``: ``sum_k y_j_k <= 1``.
* ``gdl_j``: ``sg_j + sum_{k>0} (a+h+b)(k) y_j_k <= d_j`` (GPU stage early
  enough for the rest of the job); ``crel_j``: ``sc_j - sum_{k<L} (a+h)(k)
  y_j_k >= r_j``; ``cdl_j``: ``sc_j + sum_{k<L} b(k) y_j_k <= d_j``. These
  are valid without a big-M for any choice (with no cut they reduce to the
  variable bounds) and give the stage windows per chosen cut.
* ``hand_j`` (only jobs with a split cut 0 < k < L): ``sc_j >= sg_j + a(k) +
  h(k)`` when a split cut is chosen, relaxed by ``M = sg_hi - sc_lo`` else.
* ``gA_i_j`` / ``gB_i_j`` (and ``cA``/``cB`` on the CPU): the disjunction
  ``s_i + p_i <= s_j`` if ``o_i_j`` else ``s_j + p_j <= s_i``, with stage
  length ``p = sum_k len(k) y_k`` over positive-length cuts. ``A`` carries
  extra slack ``M (1 - pres_i) + M (1 - pres_j)`` (``pres`` = a positive
  length stage is chosen), so an absent stage never constrains (take o = 1).
  ``M_ij = latest end (or start) of i - earliest start of j``, from the
  windows, never a global horizon.
* Energy rows ``eg_*`` / ``ec_*``: for a time interval [t1, t2] (t1 a
  release or earliest CPU start, t2 a latest GPU end or deadline), the work of
  the (job, cut) stages whose window lies inside [t1, t2] is at most
  ``t2 - t1``. They hold in every feasible schedule (those stages are disjoint
  inside the interval) and cut off the fractional points where halved order
  binaries switch the disjunctions off and far more work is declared on time
  than an interval can hold: the big-M LP bound is otherwise close to "all on
  time". Rows that involve a single job (implied by pruning) or whose
  largest possible left side fits anyway (never binding) are left out, each
  interval shrinks to the tightest one holding the same stages, and only the
  most overloaded rows are kept, a few per job (see ``_energy_rows``), so the
  model stays near-linear in size.

Objective: maximise the on-time weight ``sum w_j y_j_k``; misses are
``total_weight - objective``. No secondary objective (it could only slow
the proof of the primary).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from splitsched.formulations import (
    JobWindow,
    cpu_windows_overlap,
    gpu_windows_overlap,
    job_windows,
)
from splitsched.problem import Instance

INF = float("inf")


class BuildTimeout(TimeoutError):
    """Model building passed its deadline (the solve's time limit covers building).

    The pair rows are quadratic in the number of jobs whose windows overlap:
    a 1000-job single-machine instance has about 500,000 order binaries and
    takes minutes to build, so a backend would overrun its limit before it
    starts. Backends catch this and report the warm start as a timeout.
    """


def build_deadline(t_end: float, time_limit_s: float) -> float:
    """The deadline for building a model whose solve must end by ``t_end``.

    ``t_end`` less 2 % of the limit, at most 0.5 s: the time to free a
    half-built model (0.4 s for the 3 million rows built in 10 s of a
    1000-job instance), so that a run stopped while building still ends
    within the harness's tolerance (``splitsched.solve.time_tolerance_s``).
    """
    return t_end - min(0.5, 0.02 * time_limit_s)


def check_deadline(deadline: float | None, what: str) -> None:
    """Raise :class:`BuildTimeout` if ``time.perf_counter()`` is past ``deadline``."""
    if deadline is not None and time.perf_counter() > deadline:
        raise BuildTimeout(f"time limit reached while {what}")


@dataclass(frozen=True)
class Variable:
    """A model column: bounds and whether it must be integral."""

    name: str
    lower: float
    upper: float
    integer: bool


@dataclass(frozen=True)
class Row:
    """``lower <= sum coeffs[t] * x[cols[t]] <= upper`` (an infinite side is absent)."""

    name: str
    cols: tuple[int, ...]
    coeffs: tuple[float, ...]
    lower: float = -INF
    upper: float = INF


@dataclass
class MilpModel:
    """The whole model plus the maps a decoder needs (job index, cut) -> column."""

    variables: list[Variable] = field(default_factory=list)
    rows: list[Row] = field(default_factory=list)
    objective: dict[int, float] = field(default_factory=dict)
    sense: str = "max"
    total_weight: int = 0
    windows: tuple[JobWindow, ...] = ()
    y: dict[tuple[int, int], int] = field(default_factory=dict)
    gpu_start: dict[int, int] = field(default_factory=dict)
    cpu_start: dict[int, int] = field(default_factory=dict)
    gpu_order: dict[tuple[int, int], int] = field(default_factory=dict)
    cpu_order: dict[tuple[int, int], int] = field(default_factory=dict)
    big_m: dict[str, float] = field(default_factory=dict)
    index: dict[str, int] = field(default_factory=dict)

    def add_var(self, name: str, lower: float, upper: float, integer: bool) -> int:
        col = len(self.variables)
        self.variables.append(Variable(name, float(lower), float(upper), integer))
        self.index[name] = col
        return col

    def add_row(self, name: str, terms: dict[int, float], lower: float = -INF,
                upper: float = INF) -> None:
        cols = tuple(c for c, v in terms.items() if v != 0)
        self.rows.append(Row(name, cols, tuple(float(terms[c]) for c in cols),
                             float(lower), float(upper)))

    def row_count(self, prefix: str) -> int:
        """Number of rows whose name starts with ``prefix`` (e.g. ``"eg_"``)."""
        return sum(1 for r in self.rows if r.name.startswith(prefix))


def _add_job(model: MilpModel, w: JobWindow) -> None:
    j, r, d = w.index, w.release, w.deadline
    for k in w.cuts:
        col = model.add_var(f"y_{j}_{k}", 0, 1, True)
        model.y[j, k] = col
        model.objective[col] = float(w.job.weight)
    y = {k: model.y[j, k] for k in w.cuts}
    model.add_row(f"assign_{j}", {y[k]: 1.0 for k in w.cuts}, upper=1)
    if w.gpu_cuts:
        sg = model.add_var(f"sg_{j}", r, w.gpu_start_hi, False)
        model.gpu_start[j] = sg
        model.add_row(f"gdl_{j}", {sg: 1.0} | {y[k]: w.stages.total(k) for k in w.gpu_cuts},
                      upper=d)
    if w.cpu_cuts:
        sc = model.add_var(f"sc_{j}", w.cpu_start_lo, w.cpu_start_hi, False)
        model.cpu_start[j] = sc
        model.add_row(f"crel_{j}", {sc: 1.0} | {y[k]: -(w.a(k) + w.h(k)) for k in w.cpu_cuts},
                      lower=r)
        model.add_row(f"cdl_{j}", {sc: 1.0} | {y[k]: w.b(k) for k in w.cpu_cuts}, upper=d)
    if w.split_cuts:
        big_m = max(0, w.gpu_start_hi - w.cpu_start_lo)
        terms = {model.cpu_start[j]: 1.0, model.gpu_start[j]: -1.0}
        terms |= {y[k]: -(w.a(k) + w.h(k) + big_m) for k in w.split_cuts}
        model.add_row(f"hand_{j}", terms, lower=-big_m)
        model.big_m[f"hand_{j}"] = big_m


def _merge(*parts: dict[int, float]) -> dict[int, float]:
    """Sum sparse coefficient maps."""
    out: dict[int, float] = {}
    for part in parts:
        for col, v in part.items():
            out[col] = out.get(col, 0.0) + v
    return out


@dataclass(frozen=True)
class _Side:
    """How one processor's stages look to the pair and energy rows."""

    tag: str  # "g" or "c"
    starts: dict[int, int]
    orders: dict[tuple[int, int], int]
    busy: str  # JobWindow attribute with the positive-length cuts
    length: str  # JobWindow method giving the stage length of a cut
    reach: dict[int, int]  # job -> latest end (or start) of this stage
    earliest: dict[int, int]  # job -> earliest start of this stage


def _add_pair(model: MilpModel, side: _Side, p: JobWindow, q: JobWindow) -> None:
    """Disjunction between the stages of p and q on one processor."""
    i, j = p.index, q.index
    o = model.add_var(f"o{side.tag}_{i}_{j}", 0, 1, True)
    side.orders[i, j] = o
    m_ij = float(side.reach[i] - side.earliest[j])
    m_ji = float(side.reach[j] - side.earliest[i])

    def lengths(w: JobWindow) -> dict[int, float]:
        size = getattr(w, side.length)
        return {model.y[w.index, k]: float(size(k)) for k in getattr(w, side.busy)}

    def presence(w: JobWindow, coef: float) -> dict[int, float]:
        return {model.y[w.index, k]: coef for k in getattr(w, side.busy)}

    s_i, s_j = side.starts[i], side.starts[j]
    # A: s_i + p_i - s_j <= M_ij (1 - o) + M_ij (1 - pres_i) + M_ij (1 - pres_j)
    model.add_row(f"{side.tag}A_{i}_{j}",
                  _merge({s_i: 1.0, s_j: -1.0, o: m_ij}, lengths(p), presence(p, m_ij),
                         presence(q, m_ij)), upper=3 * m_ij)
    # B: s_j + p_j - s_i <= M_ji o
    model.add_row(f"{side.tag}B_{i}_{j}", _merge({s_j: 1.0, s_i: -1.0, o: -m_ji}, lengths(q)),
                  upper=0.0)
    model.big_m[f"{side.tag}A_{i}_{j}"] = m_ij
    model.big_m[f"{side.tag}B_{i}_{j}"] = m_ji


@dataclass(frozen=True)
class MilpSettings:
    """Tuning of the MILP model (every ``milp-*`` backend reads it; recorded in run stats).

    Attributes
    ----------
    energy_rows:
        Whether to add the interval energy rows (valid, tightening). Default True.
    energy_rows_per_job:
        Per processor, keep at most this many energy rows per job. Default 2.
    energy_nonzeros_per_job:
        Per processor, and at most this many coefficients per job. Default 600
        (commit 031ada6: the n = 80 model went from 2.9M to 180k nonzeros, its
        build from 3.3 s to 0.5 s, and CBC began to honour its time limit).
    """

    energy_rows: bool = True
    energy_rows_per_job: int = 2
    energy_nonzeros_per_job: int = 600


DEFAULT_MILP_SETTINGS = MilpSettings()


def _energy_rows(model: MilpModel, tag: str, items: list[tuple[int, int, int, int, int]],
                 lows: set[int], highs: set[int], settings: MilpSettings,
                 deadline: float | None = None) -> None:
    """Add the most overloaded energy rows over stages ``(job, cut, length, lo, hi)``.

    Every stage of (job, cut) lies in [lo, hi]. Candidate intervals pair one
    value of ``lows`` with one of ``highs`` (O(n^2) pairs, scanned with numpy);
    each is shrunk to the tightest interval holding the same stages (a valid
    and stronger row), duplicates merge, and rows whose largest possible left
    side fits (never binding) or that hold one job are left out. Of the rest,
    those with the largest overload (the most work declared per unit of
    interval when every inside job takes its longest cut) are kept, within
    ``settings.energy_rows_per_job`` rows and ``settings.energy_nonzeros_per_job``
    coefficients per job: dense rows over long intervals would otherwise make the model
    cubic in size and slow every backend (any subset of valid rows is valid).
    """
    if not items:
        return
    job = np.array([it[0] for it in items])
    length = np.array([it[2] for it in items], dtype=np.int64)
    lo = np.array([it[3] for it in items], dtype=np.int64)
    hi = np.array([it[4] for it in items], dtype=np.int64)
    by_job = np.argsort(job, kind="stable")  # items grouped by job for reduceat
    firsts = np.flatnonzero(np.r_[True, np.diff(job[by_job]) != 0])
    n_jobs = len(firsts)
    t2s = np.array(sorted(highs), dtype=np.int64)
    candidates: dict[tuple[int, int], float] = {}
    for t1 in sorted(lows):
        check_deadline(deadline, "scanning the MILP's energy rows")
        inside = (lo[None, :] >= t1) & (hi[None, :] <= t2s[:, None])  # (t2, item)
        inside_len = np.where(inside, length[None, :], 0)[:, by_job]
        longest = np.maximum.reduceat(inside_len, firsts, axis=1)  # (t2, job)
        work = longest.sum(axis=1)
        count = (longest > 0).sum(axis=1)
        for r in np.flatnonzero((count >= 2) & (t2s > t1)):
            lo_in, hi_in = int(lo[inside[r]].min()), int(hi[inside[r]].max())
            if work[r] > hi_in - lo_in:
                candidates[lo_in, hi_in] = max(candidates.get((lo_in, hi_in), 0.0),
                                               float(work[r]) / (hi_in - lo_in))
    ranked = sorted(candidates, key=lambda w: (-candidates[w], w))
    budget_rows = settings.energy_rows_per_job * n_jobs
    budget_nz = settings.energy_nonzeros_per_job * n_jobs
    for n, (t1, t2) in enumerate(ranked[:budget_rows]):
        members = np.flatnonzero((lo >= t1) & (hi <= t2))
        if len(members) > budget_nz:
            break
        budget_nz -= len(members)
        model.add_row(f"e{tag}_{n}", {model.y[int(job[i]), items[i][1]]: float(length[i])
                                      for i in members}, upper=float(t2 - t1))


def build_milp(instance: Instance, *, settings: MilpSettings = DEFAULT_MILP_SETTINGS,
               deadline: float | None = None) -> MilpModel:
    """Build the solver-neutral MILP of ``instance``.

    Parameters
    ----------
    instance:
        The problem.
    settings:
        Whether and how many energy rows to add (:class:`MilpSettings`).
    deadline:
        A ``time.perf_counter()`` value; building stops with
        :class:`BuildTimeout` once it is passed (checked once per job).

    Returns
    -------
    MilpModel
        Columns, rows, objective (maximise on-time weight) and the maps from
        (job index, cut) and job index to columns that the decoder reads.

    Raises
    ------
    BuildTimeout
        When ``deadline`` passes during building.
    """
    windows = job_windows(instance)
    model = MilpModel(total_weight=instance.total_weight, windows=windows)
    live = [w for w in windows if w.cuts]
    for w in live:
        _add_job(model, w)
    gpu = _Side("g", model.gpu_start, model.gpu_order, "gpu_busy_cuts", "a",
                reach={w.index: max(w.gpu_end_hi, w.gpu_start_hi) for w in live},
                earliest={w.index: w.release for w in live})
    cpu = _Side("c", model.cpu_start, model.cpu_order, "cpu_busy_cuts", "b",
                reach={w.index: w.deadline for w in live},
                earliest={w.index: w.cpu_start_lo for w in live})
    for x, p in enumerate(live):
        for y, q in enumerate(live[x + 1:]):
            if y % 128 == 0:
                check_deadline(deadline, "building the MILP's pair rows")
            if gpu_windows_overlap(p, q):
                _add_pair(model, gpu, p, q)
            if cpu_windows_overlap(p, q):
                _add_pair(model, cpu, p, q)
    if settings.energy_rows:
        check_deadline(deadline, "building the MILP's energy rows")
        gpu_items = [(w.index, k, w.a(k), w.release, w.deadline - w.h(k) - w.b(k))
                     for w in live for k in w.gpu_busy_cuts]
        cpu_items = [(w.index, k, w.b(k), w.release + w.a(k) + w.h(k), w.deadline)
                     for w in live for k in w.cpu_busy_cuts]
        busy_g = [w for w in live if w.gpu_busy_cuts]
        busy_c = [w for w in live if w.cpu_busy_cuts]
        _energy_rows(model, "g", gpu_items, {w.release for w in busy_g},
                     {w.gpu_end_hi for w in busy_g}, settings, deadline)
        _energy_rows(model, "c", cpu_items, {w.cpu_busy_start_lo for w in busy_c},
                     {w.deadline for w in busy_c}, settings, deadline)
    return model
