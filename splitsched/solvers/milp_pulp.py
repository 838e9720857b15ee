"""``milp-pulp-cbc`` and ``milp-pulp-highs``: the MILP through PuLP.

The model of :mod:`splitsched.formulations.milp` is copied column by column
and row by row into a ``pulp.LpProblem``; the backend only differs in the
PuLP solver object:

* CBC (``PULP_CBC_CMD``, the bundled binary): warm start from dp-edf through
  PuLP's ``warmStart`` (initial values). PuLP does not expose CBC's best
  bound, so it is read from CBC's log (``Upper bound:`` of the final summary
  after an early stop, in on-time weight); None when the log lacks it.
* HiGHS (``pulp.HiGHS``, the highspy API): the bound is HiGHS'
  ``mip_dual_bound``; the warm start is passed with ``Highs.setSolution``
  just before the run (PuLP's HiGHS class has no warm-start option).

Both stop at an absolute gap below one: weights are integers, so a gap
under 1 proves the incumbent optimal.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import warnings
from dataclasses import asdict
from typing import Any

# isort: off
# OR-Tools' pywraplp must be loaded before highspy (imported by PuLP): the other order
# crashes pywraplp's bundled HiGHS (see splitsched.solvers.milp_ortools).
from ortools.linear_solver import pywraplp  # noqa: F401
import pulp
# isort: on

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

ABS_GAP = 0.999


def to_pulp(model: MilpModel, name: str = "splitsched") -> tuple[pulp.LpProblem,
                                                                   list[pulp.LpVariable]]:
    """Translate the solver-neutral model into a PuLP problem (maximise)."""
    prob = pulp.LpProblem(name, pulp.LpMaximize)
    cols = [prob.add_variable(v.name, lowBound=v.lower, upBound=v.upper,
                              cat=pulp.LpInteger if v.integer else pulp.LpContinuous)
            for v in model.variables]
    prob += pulp.lpSum(c * cols[i] for i, c in model.objective.items())
    for row in model.rows:
        expr = pulp.LpAffineExpression([(cols[i], c) for i, c in zip(row.cols, row.coeffs,
                                                                    strict=True)])
        if row.lower == row.upper:
            prob += (expr == row.lower, row.name)
            continue
        if row.upper < INF:
            prob += (expr <= row.upper, row.name if row.lower == -INF else row.name + "_u")
        if row.lower > -INF:
            prob += (expr >= row.lower, row.name if row.upper == INF else row.name + "_l")
    return prob, cols


_CBC_BOUND = re.compile(r"^Upper bound:\s*(-?[0-9.eE+-]+)", re.MULTILINE)


def _cbc_bound(log_text: str) -> float | None:
    """Best bound on the on-time weight from CBC's final summary.

    For a maximisation CBC prints ``Upper bound:`` in the problem's own sense
    when it stops early (and nothing when it proves optimality).
    """
    m = _CBC_BOUND.search(log_text)
    return float(m.group(1)) if m else None


class _HighsWarm(pulp.HiGHS):
    """PuLP's HiGHS API solver that hands the variables' initial values to HiGHS."""

    def callSolver(self, lp: pulp.LpProblem) -> None:
        import highspy

        variables = lp.variables()
        if all(v.varValue is not None for v in variables):
            sol = highspy.HighsSolution()
            sol.col_value = [0.0] * len(variables)
            for v in variables:
                sol.col_value[v.index] = float(v.varValue)
            sol.value_valid = True
            lp.solverModel.setSolution(sol)
        lp.solverModel.run()


def _solve_pulp(instance: Instance, backend: str, name: str, *, time_limit_s: float, seed: int,
                threads: int, warm_start: Schedule | None,
                settings: MilpSettings | None = None) -> SolverOutput:
    t_end = time.perf_counter() + time_limit_s
    settings = settings or DEFAULT_MILP_SETTINGS
    stats: dict[str, Any] = {"settings": asdict(settings)}
    model = build_milp(instance, settings=settings)
    stats |= {"columns": len(model.variables), "rows": len(model.rows),
              "order_binaries": len(model.gpu_order) + len(model.cpu_order)}
    prob, cols = to_pulp(model)
    if warm_start is not None:
        values = start_values(model, warm_start)
        for var in cols:
            var.setInitialValue(values[var.name])
    limit = remaining(t_end)
    log_path = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if backend == "cbc":
                fd, log_path = tempfile.mkstemp(suffix=".log", prefix="cbc-")
                os.close(fd)
                solver: Any = pulp.PULP_CBC_CMD(
                    msg=False, timeLimit=limit, threads=threads,
                    warmStart=warm_start is not None,
                    gapAbs=ABS_GAP, gapRel=0.0, logPath=log_path,
                    options=[f"randomCbcSeed {seed + 1}"])
            else:
                solver = _HighsWarm(msg=False, timeLimit=limit, threads=threads,
                                    gapAbs=ABS_GAP, gapRel=0.0, random_seed=seed)
            t0 = time.perf_counter()
            with native_stdout_silenced():
                prob.solve(solver)
            stats["backend_wall_s"] = time.perf_counter() - t0
        bound: float | None = None
        if backend == "cbc" and log_path is not None:
            with open(log_path, encoding="utf-8", errors="replace") as fh:
                bound = _cbc_bound(fh.read())
        elif backend == "highs":
            info = prob.solverModel.getInfo()
            bound = -float(info.mip_dual_bound)  # HiGHS minimises -on_time
            stats["nodes"] = int(info.mip_node_count)
    except Exception as exc:  # a missing binary or a crash is a result, not an exception
        message = f"{backend}: {type(exc).__name__}: {exc}"
        if time.perf_counter() >= t_end:
            # CBC killed by its own time limit before writing a solution file: a timeout
            # with the warm start, not a backend failure.
            return SolverOutput(schedule=warm_start, status=SolveStatus.TIMEOUT,
                                stats=stats | {"backend_error": message})
        return SolverOutput(schedule=None, status=SolveStatus.ERROR,
                            stats=stats | {"error": message})
    finally:
        if log_path is not None and os.path.exists(log_path):
            os.unlink(log_path)
    sol_status = prob.sol_status
    stats |= {"pulp_status": pulp.LpStatus[prob.status],
              "pulp_solution": pulp.LpSolution.get(sol_status, str(sol_status)),
              "objective": pulp.value(prob.objective), "bound_on_time": bound}
    found: Schedule | None = warm_start
    if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        found = decode(instance, model, {v.name: v.varValue for v in cols}, name)
    if sol_status == pulp.LpSolutionOptimal:
        obj = pulp.value(prob.objective) or 0.0
        bound = float(max(obj, bound)) if bound is not None else float(obj)
        status = SolveStatus.OPTIMAL
    elif sol_status in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionNoSolutionFound):
        status = SolveStatus.TIMEOUT
    else:
        return SolverOutput(schedule=found, status=SolveStatus.ERROR, bound=None,
                            stats=stats | {"error": f"{backend}: {stats['pulp_solution']}"})
    return SolverOutput(schedule=found, status=status,
                        bound=misses_bound(instance.total_weight, bound), stats=stats)


@register("milp-pulp-cbc", "disjunctive MILP (window big-Ms, energy rows) via PuLP + CBC, "
          "warm start", exact=True, uses_warm_start=True,
          start_note="MIP start (initial values of every column)")
def solve_milp_pulp_cbc(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                        warm_start: Schedule | None = None,
                        settings: MilpSettings | None = None) -> SolverOutput:
    """Solve the MILP with CBC through PuLP; see the module docstring."""
    return _solve_pulp(instance, "cbc", "milp-pulp-cbc", time_limit_s=time_limit_s, seed=seed,
                       threads=threads, warm_start=warm_start, settings=settings)


@register("milp-pulp-highs", "disjunctive MILP (window big-Ms, energy rows) via PuLP + HiGHS, "
          "warm start", exact=True, uses_warm_start=True,
          start_note="MIP start (initial values of every column)")
def solve_milp_pulp_highs(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                          warm_start: Schedule | None = None,
                        settings: MilpSettings | None = None) -> SolverOutput:
    """Solve the MILP with HiGHS (highspy) through PuLP; see the module docstring."""
    return _solve_pulp(instance, "highs", "milp-pulp-highs", time_limit_s=time_limit_s,
                       seed=seed, threads=threads, warm_start=warm_start,
                          settings=settings)
