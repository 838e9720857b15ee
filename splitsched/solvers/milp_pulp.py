"""``milp-pulp-cbc`` and ``milp-pulp-highs``: the MILP through PuLP.

The model of :mod:`splitsched.formulations.milp` is copied column by column
and row by row into a ``pulp.LpProblem`` that *minimises* the negated on-time
weight (see :data:`CBC_MINIMISE` for why); the backend only differs in the
PuLP solver object:

* CBC (``PULP_CBC_CMD``, the bundled binary 2.10.3): the warm start is a MIP
  start (PuLP's ``warmStart``: initial values of every column). PuLP does not
  expose CBC's best bound, so it is read from CBC's log (``Lower bound:`` of
  the final summary after an early stop); None when the log lacks it.
* HiGHS (``pulp.HiGHS``, the highspy API): the warm start is passed with
  ``Highs.setSolution`` just before the run (PuLP's HiGHS class has no
  warm-start option); the bound is HiGHS' ``mip_dual_bound``; the
  integrality tolerance is tightened (:data:`HIGHS_OPTIONS`).

Both stop at an absolute gap below one: weights are integers, so a gap
under 1 proves the incumbent optimal. The time limit covers building and
translating the model (:class:`~splitsched.formulations.milp.BuildTimeout`);
the backend gets what is left, less the share for the CP-SAT re-check of its
bound (the budget and the re-check are
:func:`splitsched.solvers.milp_solution.drive_milp`'s). Every status and
bound is a claim that the harness checks
(:func:`splitsched.solvers.exact.check_claims`).
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
import warnings
from typing import Any

# isort: off
# OR-Tools' pywraplp must be loaded before highspy (imported by PuLP): the other order
# crashes pywraplp's bundled HiGHS (see splitsched.solvers.milp_ortools).
from ortools.linear_solver import pywraplp  # noqa: F401
import pulp
# isort: on

from splitsched.formulations.milp import INF, MilpModel, MilpSettings, check_deadline
from splitsched.problem import Instance, Schedule
from splitsched.solvers.base import SolverOutput, SolveStatus, register
from splitsched.solvers.children import reaped_children
from splitsched.solvers.exact import native_stdout_silenced
from splitsched.solvers.milp_solution import BackendAnswer, drive_milp, start_values

ABS_GAP = 0.999

# CBC is given the model as a minimisation (of the negated on-time weight). On a
# maximisation PuLP runs CBC 2.10.3 with ``-max``, and ``-max`` together with a MIP start
# gives false proofs: on ../shared/cases/solver-claims/cbc-*.json CBC reported
# "Optimal" with 1 and 2 misses where 0 and 2 are optimal, and bounds of 3 where 2 is
# optimal. Its log shows why: "MIPStart provided solution with cost 2" for a start of
# on-time weight 2, i.e. the start's cost taken with the wrong sign, after which the
# root cuts "changed objective from -3 to -2", cutting off the optimum. Without the
# start, or as a minimisation with the same start, the answers are right (the cost
# is then printed as -2). The minimisation keeps the MIP start, so CBC still starts
# from the warm start (log: "MIPStart provided solution"), and scripts/
# false_proof_check.py measures the result (README, reliability).
CBC_MINIMISE = True

# HiGHS' integrality tolerance (mip_feasibility_tolerance, default 1e-6) times a big-M
# of a few million microseconds lets a "binary" at 0.9999995 relax a disjunction by
# about 1 us: HiGHS then returns a point that is feasible only within tolerance (two
# stages overlapping by 1 us), which no integer schedule with the same cuts and orders
# reaches, and the decoded schedule loses a job (pulp-highs-unproven-tiny.json: 2
# misses, optimum 0). At 1e-9 the play is below 0.01 us for big-Ms up to 1e7 us, so the
# decoder's earliest schedule meets every deadline the backend's point meets.
#
# presolve off (as OR-Tools' HiGHS, milp_ortools.SPECIFIC_PARAMS): on tiny instances
# with times scaled by about 1e5 and weights up to 1e6 (a newcomer's screen, 2026-11-30),
# HiGHS 1.16 with presolve reported "Optimal" at 99991 weighted misses where 2 are
# optimal (its own dual bound said otherwise), or a false bound; without presolve all
# 385 re-run instances (and the case files) were proven right.
HIGHS_OPTIONS: dict[str, Any] = {"mip_feasibility_tolerance": 1e-9, "presolve": "off"}

def to_pulp(model: MilpModel, name: str = "splitsched", *, minimise: bool = True,
            deadline: float | None = None) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Translate the solver-neutral model into a PuLP problem.

    With ``minimise`` (the default) the objective is the negated on-time weight,
    minimised; otherwise the on-time weight, maximised. The backends are given
    the minimisation: see :data:`CBC_MINIMISE`. Raises
    :class:`~splitsched.formulations.milp.BuildTimeout` once ``deadline`` (a
    ``time.perf_counter()`` value) passes.
    """
    prob = pulp.LpProblem(name, pulp.LpMinimize if minimise else pulp.LpMaximize)
    cols = [prob.add_variable(v.name, lowBound=v.lower, upBound=v.upper,
                              cat=pulp.LpInteger if v.integer else pulp.LpContinuous)
            for v in model.variables]
    sign = -1.0 if minimise else 1.0
    prob += pulp.lpSum(sign * c * cols[i] for i, c in model.objective.items())
    for n, row in enumerate(model.rows):
        if n % 1000 == 0:
            check_deadline(deadline, "loading the MILP into PuLP")
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


_CBC_BOUND = re.compile(r"^(Upper|Lower) bound:\s*(-?[0-9.eE+-]+)", re.MULTILINE)


_CBC_START = re.compile(r"MIPStart provided solution with cost\s*(-?[0-9.eE+-]+)")


def _cbc_bound(log_text: str) -> float | None:
    """Best bound on the on-time weight from CBC's final summary, or None.

    CBC prints the bound in the problem's own sense when it stops early (and
    nothing when it proves optimality): ``Lower bound:`` on the negated
    on-time weight for the minimisation the backend is given (see
    :data:`CBC_MINIMISE`), ``Upper bound:`` on the on-time weight for a
    maximisation.
    """
    m = _CBC_BOUND.search(log_text)
    if m is None:
        return None
    value = float(m.group(2))
    return -value if m.group(1) == "Lower" else value


def _on_time(prob: pulp.LpProblem) -> float | None:
    """The on-time weight of the backend's solution (the objective in the right sign)."""
    value = pulp.value(prob.objective)
    if value is None:
        return None
    return -float(value) if prob.sense == pulp.LpMinimize else float(value)


class _HighsWarm(pulp.HiGHS):
    """PuLP's HiGHS API solver that hands the variables' initial values to HiGHS.

    The values are put in a list first and assigned to ``col_value`` once:
    highspy returns a *copy* of the vector on each attribute read, so item
    assignment (``sol.col_value[i] = x``) is silently lost and HiGHS was given
    the all-zero point (every job dropped) instead of the warm start. Whether
    HiGHS took the start is recorded in ``start_accepted`` (``setSolution``'s
    status) and checked by the tests through the first incumbent.
    """

    start_accepted: bool | None = None

    def callSolver(self, lp: pulp.LpProblem) -> None:
        import highspy

        variables = lp.variables()
        if all(v.varValue is not None for v in variables):
            values = [0.0] * len(variables)
            for v in variables:
                values[v.index] = float(v.varValue)
            sol = highspy.HighsSolution()
            sol.col_value = values
            sol.value_valid = True
            status = lp.solverModel.setSolution(sol)
            self.start_accepted = status == highspy.HighsStatus.kOk
        lp.solverModel.run()


class _PulpBackend:
    """One PuLP run, as :func:`~splitsched.solvers.milp_solution.drive_milp` drives it.

    An exception while building or translating the model is re-raised (the
    harness records it); one from the backend's run is a result: status
    ``error``, or ``timeout`` with the warm start when the limit had passed
    (CBC killed by its own time limit before writing a solution file).
    """

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.prob: Any = None
        self.cols: list[pulp.LpVariable] = []

    def open(self) -> None:
        pass

    def load(self, model: MilpModel, *, deadline: float) -> None:
        self.prob, self.cols = to_pulp(
            model, minimise=CBC_MINIMISE if self.backend == "cbc" else True, deadline=deadline)

    def start(self, model: MilpModel, warm_start: Schedule | None, *, seed: int,
              threads: int) -> None:
        if warm_start is not None:
            values = start_values(model, warm_start)
            for var in self.cols:
                var.setInitialValue(values[var.name])

    def run(self, limit_s: float, *, seed: int, threads: int, warm: bool,
            stats: dict[str, Any]) -> BackendAnswer:
        backend, prob = self.backend, self.prob
        # CBC's files (model, MIP start, solution, log) go in a folder of this run, removed
        # whatever happens: PuLP deletes its files only after a finished solve, so every
        # interrupted one left megabytes in /tmp.
        scratch = tempfile.TemporaryDirectory(prefix="splitsched-cbc-") if backend == "cbc" \
            else contextlib.nullcontext(None)
        bound: float | None = None
        with warnings.catch_warnings(), scratch as folder:
            warnings.simplefilter("ignore")
            if folder is not None:  # CBC
                log_path = os.path.join(folder, "cbc.log")
                solver: Any = pulp.PULP_CBC_CMD(
                    msg=False, timeLimit=limit_s, threads=threads, warmStart=warm,
                    gapAbs=ABS_GAP, gapRel=0.0, logPath=log_path,
                    options=[f"randomCbcSeed {seed + 1}"])
                solver.tmpDir = folder
            else:
                solver = _HighsWarm(msg=False, timeLimit=limit_s, threads=threads,
                                    gapAbs=ABS_GAP, gapRel=0.0, random_seed=seed,
                                    **HIGHS_OPTIONS)
            t0 = time.perf_counter()
            with native_stdout_silenced(), reaped_children():  # no orphaned CBC
                prob.solve(solver)
            stats["backend_wall_s"] = time.perf_counter() - t0
            if folder is not None:
                with open(log_path, encoding="utf-8", errors="replace") as fh:
                    log_text = fh.read()
                bound = _cbc_bound(log_text)
                start = _CBC_START.search(log_text)
                if start is not None:  # CBC's first incumbent: the MIP start it accepted
                    stats["start_on_time"] = -float(start.group(1)) if CBC_MINIMISE \
                        else float(start.group(1))
            else:
                stats["start_accepted"] = solver.start_accepted
                info = prob.solverModel.getInfo()
                bound = -float(info.mip_dual_bound)  # the model minimises -on_time
                stats["nodes"] = int(info.mip_node_count)
        sol_status = prob.sol_status
        stats |= {"pulp_status": pulp.LpStatus[prob.status],
                  "pulp_solution": pulp.LpSolution.get(sol_status, str(sol_status)),
                  "objective_on_time": _on_time(prob), "bound_on_time": bound}
        values = None
        if sol_status in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
            values = {v.name: v.varValue for v in self.cols}
        if sol_status == pulp.LpSolutionOptimal:
            obj = _on_time(prob) or 0.0
            bound = float(max(obj, bound)) if bound is not None else float(obj)
            return BackendAnswer(values, SolveStatus.OPTIMAL, bound)
        if sol_status in (pulp.LpSolutionIntegerFeasible, pulp.LpSolutionNoSolutionFound):
            return BackendAnswer(values, SolveStatus.TIMEOUT, bound)
        return BackendAnswer(values, error=f"{backend}: {stats['pulp_solution']}")

    def failed(self, exc: Exception, *, in_run: bool, t_end: float,
               warm_start: Schedule | None, stats: dict[str, Any]) -> SolverOutput:
        if not in_run:
            raise exc
        # A missing binary or a crash is a result, not an exception.
        message = f"{self.backend}: {type(exc).__name__}: {exc}"
        if time.perf_counter() >= t_end:
            # CBC killed by its own time limit before writing a solution file: a timeout
            # with the warm start, not a backend failure.
            return SolverOutput(schedule=warm_start, status=SolveStatus.TIMEOUT,
                                stats=stats | {"backend_error": message})
        return SolverOutput(schedule=None, status=SolveStatus.ERROR,
                            stats=stats | {"error": message})


def _solve_pulp(instance: Instance, backend: str, name: str, *, time_limit_s: float, seed: int,
                threads: int, warm_start: Schedule | None,
                settings: MilpSettings | None = None) -> SolverOutput:
    return drive_milp(instance, _PulpBackend(backend), name, time_limit_s=time_limit_s,
                      seed=seed, threads=threads, warm_start=warm_start, settings=settings)


@register("milp-pulp-cbc", "disjunctive MILP (window big-Ms, energy rows) via PuLP + CBC, "
          "warm start", exact=True, uses_warm_start=True,
          start_note="MIP start (initial values of every column; the model is a "
                     "minimisation, as CBC's -max with a MIP start gave false proofs)")
def solve_milp_pulp_cbc(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                        warm_start: Schedule | None = None,
                        settings: MilpSettings | None = None) -> SolverOutput:
    """Solve the MILP with CBC through PuLP; see the module docstring."""
    return _solve_pulp(instance, "cbc", "milp-pulp-cbc", time_limit_s=time_limit_s, seed=seed,
                       threads=threads, warm_start=warm_start, settings=settings)


@register("milp-pulp-highs", "disjunctive MILP (window big-Ms, energy rows) via PuLP + HiGHS, "
          "warm start", exact=True, uses_warm_start=True,
          start_note="MIP start (Highs.setSolution with every column)")
def solve_milp_pulp_highs(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                          warm_start: Schedule | None = None,
                        settings: MilpSettings | None = None) -> SolverOutput:
    """Solve the MILP with HiGHS (highspy) through PuLP; see the module docstring."""
    return _solve_pulp(instance, "highs", "milp-pulp-highs", time_limit_s=time_limit_s,
                       seed=seed, threads=threads, warm_start=warm_start,
                          settings=settings)
