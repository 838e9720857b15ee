"""An exact integer re-check of a floating-point MILP backend's bound.

The MILP backends (CBC, HiGHS, SCIP) decide in floating point, on big-M rows
whose coefficients reach millions at microsecond scale; a feasibility or
integrality tolerance of 1e-6 relative then leaves about a microsecond of
play, which is exactly what decides whether a job is on time. The 3,000
instance check (``scripts/false_proof_check.py``) still caught OR-Tools'
SCIP and HiGHS claiming false optima after every setting that could be tuned
(issue 8). So a MILP backend's bound is reported only once CP-SAT, which
reasons on integers, proves it: no schedule puts more on time than the bound
allows (the CP model of :mod:`splitsched.formulations.cp` plus one row,
``on-time weight >= total - bound + 1``, is INFEASIBLE). A FEASIBLE answer
refutes the bound with a schedule, which is handed to the harness so that
:func:`splitsched.solvers.exact.check_claims` records the contradiction; no
answer within the time left drops the bound (``stats["bound_unconfirmed"]``)
and with it any ``optimal``.
"""

from __future__ import annotations

import dataclasses
import math
import time
from typing import Any

from ortools.sat.python import cp_model

from splitsched.formulations.cp import build_cp, cp_solver
from splitsched.problem import Instance
from splitsched.solvers.base import SolverOutput, SolveStatus
from splitsched.solvers.cpsat import decode_cp
from splitsched.solvers.exact import EPS

# Share of a MILP run's time (after building) kept for the re-check. A bound of 0
# needs none; the share is then simply not used.
CONFIRM_SHARE = 0.2
MIN_CONFIRM_S = 0.05


def confirm_bound(instance: Instance, out: SolverOutput, *, deadline: float, seed: int,
                  threads: int) -> SolverOutput:
    """``out`` with its bound checked by CP-SAT before ``deadline`` (a perf_counter value).

    Returns
    -------
    SolverOutput
        Unchanged for no bound or a bound of 0 (always true). Otherwise
        ``stats["bound_check"]`` is ``confirmed`` (the bound stands),
        ``refuted`` (the schedule CP-SAT found, which beats the bound, is
        returned with the claimed bound, for the harness to record), or
        ``unknown`` (no bound, no ``optimal``; the claimed value in
        ``stats["bound_unconfirmed"]``).
    """
    if out.bound is None or out.bound <= EPS:
        return out
    total = instance.total_weight
    claimed_on_time = total - math.ceil(out.bound - EPS)  # at most this much on time
    stats: dict[str, Any] = dict(out.stats)
    left = deadline - time.perf_counter()
    code = cp_model.UNKNOWN
    t0 = time.perf_counter()
    if left >= MIN_CONFIRM_S:
        cp = build_cp(instance)
        cp.model.clear_objective()
        cp.model.add(sum(cp.windows[j].job.weight * var for (j, _k), var in cp.x.items())
                     >= claimed_on_time + 1)
        solver = cp_solver()
        solver.parameters.max_time_in_seconds = max(MIN_CONFIRM_S,
                                                    deadline - time.perf_counter())
        solver.parameters.random_seed = seed
        solver.parameters.num_workers = max(1, threads)
        code = solver.solve(cp.model)
    stats["bound_check_s"] = round(time.perf_counter() - t0, 6)
    if code == cp_model.INFEASIBLE:
        return dataclasses.replace(out, stats=stats | {"bound_check": "confirmed"})
    if code in (cp_model.FEASIBLE, cp_model.OPTIMAL):
        return dataclasses.replace(out, schedule=decode_cp(cp, instance, solver),
                                   stats=stats | {"bound_check": "refuted"})
    status = SolveStatus(out.status)
    return dataclasses.replace(
        out, bound=None,
        status=SolveStatus.TIMEOUT if status is SolveStatus.OPTIMAL else status,
        stats=stats | {"bound_check": "unknown", "bound_unconfirmed": out.bound})
