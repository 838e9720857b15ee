"""``milp-ortools-scip``, ``milp-ortools-highs``: the MILP through OR-Tools' pywraplp.

The same model as the PuLP backends (:mod:`splitsched.formulations.milp`),
loaded into ``pywraplp.Solver.CreateSolver("SCIP" | "HIGHS")``. The bound is
``Objective().BestBound()``; the relative MIP gap is set to 0 so that
OPTIMAL is a proof.

Warm start: ``SetHint`` with the dp-edf schedule for SCIP. With the HiGHS
interface of the installed OR-Tools (9.15, HiGHS 1.12) ``SetHint`` followed
by ``Solve`` crashes the process (segmentation fault, checked on a 2-column
model), so HiGHS runs without a hint; the dp-edf schedule is still kept
when HiGHS finds nothing better. The same build also crashes when highspy
(which PuLP imports) was loaded into the process before pywraplp:
:mod:`splitsched.solvers.milp_pulp` therefore imports pywraplp first, and this
backend refuses (status error) rather than crash when the order was wrong.
"""

from __future__ import annotations

import importlib
import sys
import time
from dataclasses import asdict
from typing import Any

from splitsched.formulations.milp import (
    DEFAULT_MILP_SETTINGS,
    INF,
    MilpModel,
    MilpSettings,
    build_milp,
)
from splitsched.problem import Instance, Schedule
from splitsched.solvers.base import SolverOutput, SolveStatus, register
from splitsched.solvers.exact import misses_bound, native_stdout_silenced, remaining
from splitsched.solvers.milp_solution import decode, start_values

# OR-Tools bundles its own HiGHS (1.12); if highspy's newer HiGHS was loaded into the
# process first, pywraplp's HiGHS crashes (segmentation fault) in Solve. Record it here.
HIGHSPY_LOADED_FIRST = ("highspy" in sys.modules
                        and "ortools.linear_solver.pywraplp" not in sys.modules)
pywraplp: Any = importlib.import_module("ortools.linear_solver.pywraplp")

HINT_SUPPORTED = {"SCIP": True, "HIGHS": False}


def to_pywraplp(model: MilpModel, solver: Any) -> list[Any]:
    """Load the solver-neutral model into ``solver`` (maximise); returns its variables."""
    inf = solver.infinity()
    cols = [solver.IntVar(v.lower, v.upper, v.name) if v.integer
            else solver.NumVar(v.lower, v.upper, v.name) for v in model.variables]
    for row in model.rows:
        ct = solver.Constraint(-inf if row.lower == -INF else row.lower,
                               inf if row.upper == INF else row.upper, row.name)
        for i, c in zip(row.cols, row.coeffs, strict=True):
            ct.SetCoefficient(cols[i], c)
    obj = solver.Objective()
    for i, c in model.objective.items():
        obj.SetCoefficient(cols[i], c)
    obj.SetMaximization()
    return cols


def _status_name(code: int) -> str:
    names = {pywraplp.Solver.OPTIMAL: "OPTIMAL", pywraplp.Solver.FEASIBLE: "FEASIBLE",
             pywraplp.Solver.INFEASIBLE: "INFEASIBLE", pywraplp.Solver.UNBOUNDED: "UNBOUNDED",
             pywraplp.Solver.ABNORMAL: "ABNORMAL", pywraplp.Solver.NOT_SOLVED: "NOT_SOLVED",
             pywraplp.Solver.MODEL_INVALID: "MODEL_INVALID"}
    return names.get(code, str(code))


def _solve_ortools(instance: Instance, backend: str, name: str, *, time_limit_s: float,
                   seed: int, threads: int, warm_start: Schedule | None,
                   settings: MilpSettings | None = None) -> SolverOutput:
    t_end = time.perf_counter() + time_limit_s
    settings = settings or DEFAULT_MILP_SETTINGS
    stats: dict[str, Any] = {"settings": asdict(settings)}
    try:
        if backend == "HIGHS" and HIGHSPY_LOADED_FIRST:
            raise RuntimeError("highspy was imported before OR-Tools' pywraplp; its HiGHS would "
                               "crash this process (import splitsched.solvers first)")
        solver = pywraplp.Solver.CreateSolver(backend)
        if solver is None:
            raise RuntimeError(f"OR-Tools has no {backend} solver in this build")
        solver.SuppressOutput()
        model = build_milp(instance, settings=settings)
        stats |= {"columns": len(model.variables), "rows": len(model.rows),
                  "order_binaries": len(model.gpu_order) + len(model.cpu_order)}
        cols = to_pywraplp(model, solver)
        if HINT_SUPPORTED[backend] and warm_start is not None:
            values = start_values(model, warm_start)
            solver.SetHint(cols, [values[v.name] for v in model.variables])
        if backend == "SCIP":
            solver.SetSolverSpecificParametersAsString(
                f"randomization/randomseedshift = {seed}\n")
        solver.SetNumThreads(max(1, threads))
        solver.SetTimeLimit(max(1, int(remaining(t_end) * 1000)))
        params = pywraplp.MPSolverParameters()
        params.SetDoubleParam(params.RELATIVE_MIP_GAP, 0.0)
        t0 = time.perf_counter()
        with native_stdout_silenced():
            code = solver.Solve(params)
        stats["backend_wall_s"] = time.perf_counter() - t0
    except Exception as exc:  # a missing backend or a crash is a result, not an exception
        return SolverOutput(schedule=None, status=SolveStatus.ERROR,
                            stats=stats | {"error": f"{backend}: {type(exc).__name__}: {exc}"})
    stats |= {"backend_status": _status_name(code), "nodes": solver.nodes()}
    found: Schedule | None = warm_start
    bound: float | None = None
    if code in (pywraplp.Solver.OPTIMAL, pywraplp.Solver.FEASIBLE):
        found = decode(instance, model, [v.solution_value() for v in cols], name)
        stats["objective_on_time"] = solver.Objective().Value()
        bound = solver.Objective().BestBound()
        if code == pywraplp.Solver.OPTIMAL:
            bound = max(bound, stats["objective_on_time"])
    stats["bound_on_time"] = bound
    if code == pywraplp.Solver.OPTIMAL:
        status = SolveStatus.OPTIMAL
    elif code in (pywraplp.Solver.INFEASIBLE, pywraplp.Solver.UNBOUNDED,
                  pywraplp.Solver.ABNORMAL, pywraplp.Solver.MODEL_INVALID):
        return SolverOutput(schedule=found, status=SolveStatus.ERROR,
                            stats=stats | {"error": f"{backend}: {_status_name(code)}"})
    else:  # FEASIBLE, NOT_SOLVED, or HiGHS' unnamed "no solution yet" code at the time limit
        status = SolveStatus.TIMEOUT
    return SolverOutput(schedule=found, status=status,
                        bound=misses_bound(instance.total_weight, bound), stats=stats)


@register("milp-ortools-scip", "disjunctive MILP (window big-Ms, energy rows) via OR-Tools + "
          "SCIP, warm start as hint", exact=True, uses_warm_start=True,
          start_note="SetHint with every column")
def solve_milp_ortools_scip(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                            warm_start: Schedule | None = None,
                            settings: MilpSettings | None = None) -> SolverOutput:
    """Solve the MILP with SCIP through pywraplp; see the module docstring."""
    return _solve_ortools(instance, "SCIP", "milp-ortools-scip", time_limit_s=time_limit_s,
                          seed=seed, threads=threads, warm_start=warm_start,
                          settings=settings)


@register("milp-ortools-highs", "disjunctive MILP (window big-Ms, energy rows) via OR-Tools + "
          "HiGHS", exact=True, uses_warm_start=True,
          start_note="not passed to HiGHS (SetHint crashes OR-Tools 9.15's HiGHS 1.12); "
                     "the harness keeps the warm start when HiGHS finds nothing better")
def solve_milp_ortools_highs(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                             warm_start: Schedule | None = None,
                            settings: MilpSettings | None = None) -> SolverOutput:
    """Solve the MILP with HiGHS through pywraplp; see the module docstring."""
    return _solve_ortools(instance, "HIGHS", "milp-ortools-highs", time_limit_s=time_limit_s,
                          seed=seed, threads=threads, warm_start=warm_start,
                          settings=settings)
