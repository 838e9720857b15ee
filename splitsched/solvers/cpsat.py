"""``cpsat``: the CP-SAT interval model, hinted with the harness's warm start.

Claims: ``optimal`` when CP-SAT proves it (OPTIMAL); FEASIBLE becomes
``timeout`` when the time limit was (about) used up and ``feasible``
otherwise; UNKNOWN returns the warm start as ``timeout``; MODEL_INVALID
(and INFEASIBLE, impossible since dropping every job is feasible) is
``error``. The bound is CP-SAT's best objective bound turned into misses,
reported only when CP-SAT found a solution (on UNKNOWN it reads 0 on-time
weight, which is no proof). The harness checks both
(:func:`splitsched.solvers.exact.check_claims`).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import Any

from ortools.sat.python import cp_model

from splitsched.formulations.cp import CpModel, build_cp, new_solver, proven_objective_bound
from splitsched.problem import Instance, JobPlan, Schedule, plan_for_cut
from splitsched.solvers.base import SolverOutput, SolveStatus, register
from splitsched.solvers.exact import misses_bound, remaining, start_plans

NAME = "cpsat"


@dataclass(frozen=True)
class CpSatSettings:
    """Tuning of ``cpsat`` (recorded in run stats).

    Attributes
    ----------
    time_limit_slack:
        CP-SAT's FEASIBLE after this share of its limit is reported as
        ``timeout`` (the search was cut by the clock), before it as
        ``feasible``. Default 0.95.
    """

    time_limit_slack: float = 0.95


DEFAULT_CPSAT_SETTINGS = CpSatSettings()


def add_hint(cp: CpModel, schedule: Schedule | None) -> None:
    """Hint every model variable with the values of a warm start's kept (on-time) jobs."""
    plans = start_plans(schedule)
    m = cp.model
    for w in cp.windows:
        if not w.cuts:
            continue
        j = w.index
        plan = plans.get(w.job.id)
        k = plan[0] if plan is not None and plan[0] in w.cuts else None
        for c in w.cuts:
            m.add_hint(cp.x[j, c], c == k)
        g = plan[1] if plan is not None and k is not None else None
        c_start = plan[2] if plan is not None and k is not None else None
        if j in cp.gpu_start:
            m.add_hint(cp.gpu_start[j], g if g is not None else w.release)
        if j in cp.cpu_start:
            m.add_hint(cp.cpu_start[j], c_start if c_start is not None else w.cpu_start_lo)
        if j in cp.gpu_on:
            busy = k is not None and k in w.gpu_busy_cuts
            m.add_hint(cp.gpu_on[j], busy)
            size = w.a(k) if busy and k is not None else 0
            m.add_hint(cp.gpu_size[j], size)
            m.add_hint(cp.gpu_end[j], g + size if busy and g is not None else w.release)
        if j in cp.cpu_on:
            busy = k is not None and k in w.cpu_busy_cuts
            m.add_hint(cp.cpu_on[j], busy)
            size = w.b(k) if busy and k is not None else 0
            m.add_hint(cp.cpu_size[j], size)
            m.add_hint(cp.cpu_end[j], c_start + size if busy and c_start is not None
                       else w.release)


def decode_cp(cp: CpModel, instance: Instance, solver: cp_model.CpSolver) -> Schedule:
    """Read the chosen cuts and start times of a CP-SAT solution."""
    plans = []
    for w in cp.windows:
        chosen = [k for k in w.cuts if solver.boolean_value(cp.x[w.index, k])]
        if not chosen:
            plans.append(JobPlan(job=w.job.id, cut=None))
            continue
        k = chosen[0]
        g = solver.value(cp.gpu_start[w.index]) if w.index in cp.gpu_start else None
        c = solver.value(cp.cpu_start[w.index]) if w.index in cp.cpu_start else None
        plans.append(plan_for_cut(w.job, w.stages, k, g, c))
    return Schedule(instance_id=instance.id, solver=NAME, plans=tuple(plans))


@register(NAME, "CP-SAT: cut literals, optional GPU/CPU intervals, no-overlap per processor, "
          "hinted with the warm start", exact=True, uses_warm_start=True,
          start_note="the warm start is a full CP-SAT hint")
def solve_cpsat(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                warm_start: Schedule | None = None,
                settings: CpSatSettings | None = None) -> SolverOutput:
    """Solve with CP-SAT; see the module docstring for statuses and bound."""
    settings = settings or DEFAULT_CPSAT_SETTINGS
    t_end = time.perf_counter() + time_limit_s
    cp = build_cp(instance)
    add_hint(cp, warm_start)
    limit = remaining(t_end)
    solver = new_solver(limit, threads=threads, seed=seed)
    code = solver.solve(cp.model)
    stats: dict[str, Any] = {
        "cpsat_status": solver.status_name(code), "cpsat_wall_s": solver.wall_time,
        "branches": solver.num_branches, "conflicts": solver.num_conflicts,
        "settings": asdict(settings),
    }
    if code == cp_model.MODEL_INVALID:
        return SolverOutput(schedule=None, status=SolveStatus.ERROR,
                            stats=stats | {"error": "CP-SAT: MODEL_INVALID: "
                                           + cp.model.validate()})
    on_time_bound = proven_objective_bound(solver, code)  # None after UNKNOWN: no proof
    if code == cp_model.UNKNOWN:
        return SolverOutput(schedule=warm_start, status=SolveStatus.TIMEOUT, bound=None,
                            stats=stats)
    bound = None if on_time_bound is None else misses_bound(instance.total_weight,
                                                            on_time_bound)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return SolverOutput(schedule=warm_start, status=SolveStatus.ERROR,
                            stats=stats | {"error": f"CP-SAT: {solver.status_name(code)}"})
    stats |= {"objective_on_time": solver.objective_value,
              "bound_on_time": solver.best_objective_bound}
    if code == cp_model.OPTIMAL:
        status = SolveStatus.OPTIMAL
    elif solver.wall_time >= settings.time_limit_slack * limit:
        status = SolveStatus.TIMEOUT
    else:
        status = SolveStatus.FEASIBLE
    return SolverOutput(schedule=decode_cp(cp, instance, solver), status=status, bound=bound,
                        stats=stats)
