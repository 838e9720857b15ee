"""The CP-SAT model: cut literals, one optional interval per job and processor.

Per job j (pruned cuts only, see :mod:`splitsched.formulations`):

* ``x[j, k]`` Boolean: job j is on time with cut k; ``add_at_most_one`` over k
  (none = dropped).
* ``gpu_start[j]`` in [r, latest GPU start], ``cpu_start[j]`` in [earliest
  CPU start, latest CPU start] (the windows of the pruned cuts).
* One optional GPU interval ``[gpu_start, gpu_start + gpu_size)`` with
  ``gpu_size = sum_k a(k) x[j, k]`` and presence ``gpu_on = sum_k x[j, k]``
  over the cuts whose GPU stage has positive length; the same on the CPU with
  ``b(k)``. One ``add_no_overlap`` per processor.
* Deadline and release rows that need no enforcement literal (they reduce to
  the domains when no cut is chosen): ``gpu_start + sum_{k>0} (a+h+b)(k) x
  <= d``, ``cpu_start - sum_{k<L} (a+h)(k) x >= r``, ``cpu_start + sum_{k<L}
  b(k) x <= d``.
* The hand-off only for split cuts: ``cpu_start >= gpu_start + a(k) + h(k)``
  enforced by ``x[j, k]``, 0 < k < L.
* Objective: maximise ``sum w_j x[j, k]`` (on-time weight).

Why one interval per job and processor rather than one per (job, cut): the
start variable is the one the no-overlap reasoning pushes, and sharing it
means every cut of a job sees the same propagation at once; the number of
intervals in each ``NoOverlap`` is n instead of n * |K|, which keeps the
disjunctive and energetic propagators (quadratic or n log n in their
intervals) cheap. The price is a variable size, whose lower bound (the
shortest remaining cut) is what the propagators use until the cut is fixed;
CP-SAT branches on the cut literals early, so that gap closes fast.

Zero-length stages (a cut whose GPU or CPU part takes 0 us) get no interval:
``evaluate`` lets them sit anywhere, whereas CP-SAT's ``NoOverlap`` forbids a
zero-size interval strictly inside another one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ortools.sat.python import cp_model

from splitsched.formulations import JobWindow, job_windows
from splitsched.formulations.interruptible import stop_on_signal
from splitsched.problem import Instance


@dataclass
class CpModel:
    """The CP-SAT model and the variables a decoder or a hint needs."""

    model: cp_model.CpModel
    windows: tuple[JobWindow, ...]
    x: dict[tuple[int, int], cp_model.IntVar] = field(default_factory=dict)
    gpu_start: dict[int, cp_model.IntVar] = field(default_factory=dict)
    cpu_start: dict[int, cp_model.IntVar] = field(default_factory=dict)
    gpu_size: dict[int, cp_model.IntVar] = field(default_factory=dict)
    cpu_size: dict[int, cp_model.IntVar] = field(default_factory=dict)
    gpu_end: dict[int, cp_model.IntVar] = field(default_factory=dict)
    cpu_end: dict[int, cp_model.IntVar] = field(default_factory=dict)
    gpu_on: dict[int, cp_model.IntVar] = field(default_factory=dict)
    cpu_on: dict[int, cp_model.IntVar] = field(default_factory=dict)
    gpu_intervals: list[cp_model.IntervalVar] = field(default_factory=list)
    cpu_intervals: list[cp_model.IntervalVar] = field(default_factory=list)


def _optional_stage(cp: CpModel, w: JobWindow, tag: str, start: cp_model.IntVar,
                    busy: tuple[int, ...], length: dict[int, int]) -> None:
    """Add the optional interval of one stage (GPU or CPU) of job ``w``."""
    m, j = cp.model, w.index
    sizes = sorted({0, *(length[k] for k in busy)})
    size = m.new_int_var_from_domain(cp_model.Domain.from_values(sizes), f"{tag}_size_{j}")
    on = m.new_bool_var(f"{tag}_on_{j}")
    m.add(size == sum(length[k] * cp.x[j, k] for k in busy))
    m.add(on == sum(cp.x[j, k] for k in busy))
    lo, hi = (w.release, w.deadline)
    end = m.new_int_var(lo, hi, f"{tag}_end_{j}")
    interval = m.new_optional_interval_var(start, size, end, on, f"{tag}_{j}")
    if tag == "gpu":
        cp.gpu_size[j], cp.gpu_on[j], cp.gpu_end[j] = size, on, end
        cp.gpu_intervals.append(interval)
    else:
        cp.cpu_size[j], cp.cpu_on[j], cp.cpu_end[j] = size, on, end
        cp.cpu_intervals.append(interval)


def _add_job(cp: CpModel, w: JobWindow) -> None:
    m, j, r, d = cp.model, w.index, w.release, w.deadline
    for k in w.cuts:
        cp.x[j, k] = m.new_bool_var(f"x_{j}_{k}")
    m.add_at_most_one(cp.x[j, k] for k in w.cuts)
    if w.gpu_cuts:
        sg = m.new_int_var(r, w.gpu_start_hi, f"gpu_start_{j}")
        cp.gpu_start[j] = sg
        m.add(sg + sum(w.stages.total(k) * cp.x[j, k] for k in w.gpu_cuts) <= d)
        if w.gpu_busy_cuts:
            _optional_stage(cp, w, "gpu", sg, w.gpu_busy_cuts, {k: w.a(k) for k in w.cuts})
    if w.cpu_cuts:
        sc = m.new_int_var(w.cpu_start_lo, w.cpu_start_hi, f"cpu_start_{j}")
        cp.cpu_start[j] = sc
        m.add(sc - sum((w.a(k) + w.h(k)) * cp.x[j, k] for k in w.cpu_cuts) >= r)
        m.add(sc + sum(w.b(k) * cp.x[j, k] for k in w.cpu_cuts) <= d)
        if w.cpu_busy_cuts:
            _optional_stage(cp, w, "cpu", sc, w.cpu_busy_cuts, {k: w.b(k) for k in w.cuts})
    for k in w.split_cuts:
        m.add(cp.cpu_start[j] >= cp.gpu_start[j] + w.a(k) + w.h(k)).only_enforce_if(cp.x[j, k])


def build_cp(instance: Instance) -> CpModel:
    """Build the CP-SAT model of ``instance`` (maximise on-time weight).

    Returns
    -------
    CpModel
        The ``cp_model.CpModel`` and, per job index (and cut), its variables.
    """
    cp = CpModel(model=cp_model.CpModel(), windows=job_windows(instance))
    for w in cp.windows:
        if w.cuts:
            _add_job(cp, w)
    cp.model.add_no_overlap(cp.gpu_intervals)
    cp.model.add_no_overlap(cp.cpu_intervals)
    cp.model.maximize(sum(cp.windows[j].job.weight * var for (j, _k), var in cp.x.items()))
    return cp


def completion_var(cp: CpModel, j: int, name: str) -> cp_model.IntVar:
    """A new variable equal to job ``j``'s completion when it is on time (us).

    Completion is the CPU stage's end for a cut with a CPU stage, else the GPU
    stage's end; the variable is free when no cut of ``j`` is chosen. Domain:
    the job's window [release, deadline].
    """
    w = cp.windows[j]
    var = cp.model.new_int_var(w.release, w.deadline, name)
    last = w.stages.num_layers
    for k in w.cuts:
        if k < last:
            cp.model.add(var == cp.cpu_start[j] + w.b(k)).only_enforce_if(cp.x[j, k])
        else:
            cp.model.add(var == cp.gpu_start[j] + w.a(k)).only_enforce_if(cp.x[j, k])
    return var


class InterruptibleCpSolver(cp_model.CpSolver):
    """A CP-SAT solver whose ``solve`` a Ctrl-C or SIGTERM stops within milliseconds
    (:func:`splitsched.formulations.interruptible.stop_on_signal`); Python's handler then
    runs as the solve returns (``KeyboardInterrupt`` from the API)."""

    def solve(self, model: cp_model.CpModel,
              solution_callback: cp_model.CpSolverSolutionCallback | None = None
              ) -> Any:  # cp_model_helper.CpSolverStatus
        with stop_on_signal(self.stop_search):
            return super().solve(model, solution_callback)


def cp_solver() -> cp_model.CpSolver:
    """A CP-SAT solver that leaves the process's Ctrl-C handling to Python and stops at
    a Ctrl-C or SIGTERM (:class:`InterruptibleCpSolver`): every CP-SAT solve of the
    project is made here.

    With its default ``catch_sigint_signal`` CP-SAT installs its own SIGINT handler
    for the solve and leaves the signal at its default action afterwards (checked
    with ortools 9.15: ``SigCgt`` of ``/proc/self/status`` loses SIGINT), so a
    later Ctrl-C killed an ``online --set`` sweep outright instead of raising
    ``KeyboardInterrupt`` (no ``--resume`` hint; a newcomer's report).
    """
    solver = InterruptibleCpSolver()
    solver.parameters.catch_sigint_signal = False
    return solver


def new_solver(time_limit_s: float, *, threads: int, seed: int) -> cp_model.CpSolver:
    """A CP-SAT solver with the run's limit (seconds), worker threads (at least 1) and
    random seed: the one setup of every CP-SAT solve of a run (``cpsat``, ``lbbd``'s
    master and subproblems, ``hybrid``)."""
    solver = cp_solver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = max(1, threads)
    solver.parameters.random_seed = seed
    return solver


def proven_objective_bound(solver: cp_model.CpSolver, code: Any) -> float | None:
    """CP-SAT's best objective bound of a finished ``solve`` if it is a proof, else None.

    Only a search that found a solution (status OPTIMAL or FEASIBLE) has a bound
    to report: after an UNKNOWN stop ``best_objective_bound`` reads 0.0 for a
    maximisation (measured: the Benders master of poisson-mi9-n80-l3-s1 after
    0.5-4 s; `cpsat` on v2 batch-huawei_mate_20-n80 instances at 10 s), which as
    on-time weight would claim that every job is missed. Used by every caller that
    turns CP-SAT's bound into a claim (``cpsat``, ``lbbd``, ``hybrid``,
    :func:`splitsched.formulations.bounds.window_bound`).
    """
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    bound = float(solver.best_objective_bound)
    return bound if bound == bound and abs(bound) != float("inf") else None
