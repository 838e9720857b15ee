"""The solver contract (DESIGN section 3) and the one registry of names.

A solver is a function ``fn(instance, *, time_limit_s, seed, threads)`` that
returns a :class:`SolverOutput`. :func:`solve` wraps it: it times the call,
turns any exception into status ``error``, and re-evaluates the schedule with
:func:`splitsched.evaluate.evaluate`, so the reported misses never come from a
solver's own objective.
"""

from __future__ import annotations

import importlib
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from splitsched.evaluate import Evaluation, evaluate
from splitsched.problem import Instance, JobPlan, Schedule

STATUSES = ("optimal", "feasible", "no_solution", "timeout", "error")


@dataclass(frozen=True)
class SolverOutput:
    """What a solver function returns, before evaluation.

    ``bound`` is a proven lower bound on the weighted misses, or None.
    """

    schedule: Schedule | None
    status: str
    bound: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SolveResult:
    """A solver run, as every report sees it (misses as evaluated)."""

    solver: str
    schedule: Schedule | None
    status: str
    missed: int | None
    bound: float | None
    runtime_s: float
    stats: dict[str, Any]
    evaluation: Evaluation | None = None

    def summary(self) -> dict[str, Any]:
        ev = self.evaluation
        return {
            "solver": self.solver,
            "status": self.status,
            "missed": self.missed,
            "misses": ev.misses if ev else None,
            "miss_rate": ev.miss_rate if ev else None,
            "bound": self.bound,
            "runtime_s": round(self.runtime_s, 6),
        }


class SolverFn(Protocol):
    def __call__(self, instance: Instance, *, time_limit_s: float, seed: int,
                 threads: int) -> SolverOutput: ...


@dataclass(frozen=True)
class SolverInfo:
    name: str
    summary: str
    fn: SolverFn
    exact: bool = False


_REGISTRY: dict[str, SolverInfo] = {}


class UnknownSolverError(KeyError):
    """Raised for a solver name that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0])


def register(name: str, summary: str, *, exact: bool = False) -> Callable[[SolverFn], SolverFn]:
    """Decorator: add a solver function to the registry under ``name``."""

    def deco(fn: SolverFn) -> SolverFn:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"solver {name!r} registered twice")
        _REGISTRY[name] = SolverInfo(name=name, summary=summary, fn=fn, exact=exact)
        return fn

    return deco


def unregister(name: str) -> None:
    """Remove a solver (tests register throw-away solvers)."""
    _REGISTRY.pop(name, None)


# The module that registers each built-in solver. Importing only the module a name
# needs keeps a benchmark worker's start-up short (OR-Tools with pandas, PuLP and
# HiGHS take about a second to import); a test checks this table against the modules.
BUILTIN_MODULES = {
    "fifo-gpu": "greedy", "fifo-cpu": "greedy", "edf-gpu": "greedy", "edf-cpu": "greedy",
    "edf-best-single": "greedy", "edf-greedy-cut": "greedy",
    "dp-edf": "dp",
    "dp-orders": "heuristics", "dp-ls": "heuristics",
    "cpsat": "cpsat",
    "milp-pulp-cbc": "milp_pulp", "milp-pulp-highs": "milp_pulp",
    "milp-ortools-scip": "milp_ortools", "milp-ortools-highs": "milp_ortools",
}


def _import_family(module: str) -> None:
    importlib.import_module(f"splitsched.solvers.{module}")


def _load_builtin() -> None:
    """Import every built-in solver family (registers them all)."""
    for module in sorted(set(BUILTIN_MODULES.values())):
        _import_family(module)


def solver_names() -> list[str]:
    _load_builtin()
    return sorted(_REGISTRY)


def get_solver(name: str) -> SolverInfo:
    if name not in _REGISTRY:
        if name in BUILTIN_MODULES:
            _import_family(BUILTIN_MODULES[name])
        else:
            _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(_REGISTRY))
        raise UnknownSolverError(f"unknown solver {name!r}; known solvers: {known}") from None


def all_dropped(instance: Instance, solver: str) -> Schedule:
    """The trivial feasible schedule: every job dropped."""
    return Schedule(instance_id=instance.id, solver=solver,
                    plans=tuple(JobPlan(job=j.id, cut=None) for j in instance.jobs))


def solve(instance: Instance, solver: str, *, time_limit_s: float = 10.0, seed: int = 0,
          threads: int = 1) -> SolveResult:
    """Run a registered solver and evaluate its schedule.

    A solver exception becomes status ``error`` with the message in
    ``stats["error"]``. A schedule that ``evaluate`` rejects also becomes
    ``error`` (a solver bug must never be reported as a result).
    """
    info = get_solver(solver)
    if time_limit_s <= 0:
        raise ValueError(f"time_limit_s must be > 0, got {time_limit_s}")
    t0 = time.perf_counter()
    try:
        out = info.fn(instance, time_limit_s=time_limit_s, seed=seed, threads=threads)
    except Exception as exc:  # the contract: never an exception out of solve
        runtime = time.perf_counter() - t0
        return SolveResult(solver=solver, schedule=None, status="error", missed=None,
                           bound=None, runtime_s=runtime,
                           stats={"error": f"{type(exc).__name__}: {exc}",
                                  "traceback": traceback.format_exc(limit=5)})
    runtime = time.perf_counter() - t0
    stats = dict(out.stats)
    status = out.status
    if status not in STATUSES:
        stats["error"] = f"solver returned unknown status {status!r}"
        status = "error"
    if out.schedule is None:
        return SolveResult(solver=solver, schedule=None, status=status, missed=None,
                           bound=out.bound, runtime_s=runtime, stats=stats)
    ev = evaluate(instance, out.schedule)
    if not ev.feasible:
        stats["error"] = "infeasible schedule: " + "; ".join(ev.violations[:5])
        stats["claimed_status"] = status
        status = "error"
    return SolveResult(solver=solver, schedule=out.schedule, status=status,
                       missed=ev.weighted_misses, bound=out.bound, runtime_s=runtime,
                       stats=stats, evaluation=ev)
