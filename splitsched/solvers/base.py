"""The solver contract (``docs/design.md``, "Solver contract") and the one registry of names.

A solver is a function ``fn(instance, *, time_limit_s, seed, threads)`` that
returns a :class:`SolverOutput`; a solver registered with
``uses_warm_start=True`` also takes ``warm_start``, a feasible schedule in
which every job that is not dropped is on time. The harness
(:func:`splitsched.solve.solve`, one layer above this package) times the
call, supplies the warm start, evaluates the answer once and checks every
claim; nothing in this package calls it.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from splitsched.problem import Instance, JobPlan, Schedule


class SolveStatus(StrEnum):
    """How a solver run ended (the words written to every file and report).

    ``OPTIMAL``: the schedule is proven optimal (the proof was checked by the
    harness). ``FEASIBLE``: a schedule, no proof, ended before the limit.
    ``TIMEOUT``: the time limit ended the search (the schedule found so far is
    kept). ``NO_SOLUTION``: no schedule. ``ERROR``: the solver failed or
    returned an infeasible schedule.
    """

    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    NO_SOLUTION = "no_solution"
    TIMEOUT = "timeout"
    ERROR = "error"


STATUSES: tuple[str, ...] = tuple(s.value for s in SolveStatus)


@dataclass(frozen=True)
class SolverOutput:
    """What a solver function returns, before the harness evaluates and checks it.

    Attributes
    ----------
    schedule:
        The schedule found, or None.
    status:
        A :class:`SolveStatus` (or its string value).
    bound:
        A claimed lower bound on the weighted misses, or None. The harness
        keeps it only if no verified schedule of the run beats it.
    stats:
        JSON-able facts about the run (backend status, nodes, ...).
    """

    schedule: Schedule | None
    status: SolveStatus | str
    bound: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)


class SolverFn(Protocol):
    def __call__(self, instance: Instance, *, time_limit_s: float, seed: int,
                 threads: int) -> SolverOutput: ...


@dataclass(frozen=True)
class SolverInfo:
    """A registered solver.

    ``exact``: the method can prove optimality (its ``optimal`` and bound are
    claims the harness checks). ``uses_warm_start``: the function takes a
    ``warm_start`` keyword (a schedule whose kept jobs are all on time),
    which the harness computes with the warm-start solvers when not given.
    ``start_note`` says how the solver uses that start (``splitsched
    solvers`` prints it).
    """

    name: str
    summary: str
    fn: Callable[..., SolverOutput]
    exact: bool = False
    uses_warm_start: bool = False
    start_note: str = ""


_REGISTRY: dict[str, SolverInfo] = {}


class UnknownSolverError(KeyError):
    """Raised for a solver name that is not registered."""

    def __str__(self) -> str:
        return str(self.args[0])


def register(name: str, summary: str, *, exact: bool = False, uses_warm_start: bool = False,
             start_note: str = "") -> Callable[[Callable[..., SolverOutput]],
                                               Callable[..., SolverOutput]]:
    """Decorator: add a solver function to the registry under ``name``.

    Raises
    ------
    ValueError
        If another function is already registered under ``name``.
    """

    def deco(fn: Callable[..., SolverOutput]) -> Callable[..., SolverOutput]:
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"solver {name!r} registered twice")
        _REGISTRY[name] = SolverInfo(name=name, summary=summary, fn=fn, exact=exact,
                                     uses_warm_start=uses_warm_start, start_note=start_note)
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
    "dp-orders": "heuristics", "dp-ls": "heuristics", "lns-cpsat": "lns",
    "cpsat": "cpsat",
    "lbbd": "lbbd", "hybrid": "hybrid", "case-split": "case_split",
    "milp-pulp-cbc": "milp_pulp", "milp-pulp-highs": "milp_pulp",
    "milp-ortools-scip": "milp_ortools", "milp-ortools-highs": "milp_ortools",
}


def _import_family(module: str) -> None:
    importlib.import_module(f"splitsched.solvers.{module}")


def _load_builtin() -> None:
    """Import every built-in solver family (registers them all)."""
    for module in sorted(set(BUILTIN_MODULES.values())):
        _import_family(module)


def registered_solvers() -> dict[str, SolverInfo]:
    """The solvers registered so far, by name (a copy; no built-in family is imported)."""
    return dict(_REGISTRY)


def solver_names() -> list[str]:
    """Every registered solver name, sorted (imports every built-in family)."""
    _load_builtin()
    return sorted(_REGISTRY)


def get_solver(name: str) -> SolverInfo:
    """The registered solver ``name``.

    Raises
    ------
    UnknownSolverError
        If no solver of that name is registered (the message lists the known ones).
    """
    if name not in _REGISTRY and name in BUILTIN_MODULES:
        _import_family(BUILTIN_MODULES[name])
    try:
        return _REGISTRY[name]
    except KeyError:
        # the built-in names are known without importing their families (seconds): a
        # typo is refused at once
        names = sorted(set(_REGISTRY) | set(BUILTIN_MODULES))
        raise UnknownSolverError(f"unknown solver {name!r}{_did_you_mean(name, names)}; "
                                 f"known solvers: {', '.join(names)}") from None


def _did_you_mean(name: object, names: list[str]) -> str:
    """``" (did you mean 'dp-edf'?)"`` for a name close to a known one (case, spaces,
    underscores or a typo), else ``""``."""
    if not isinstance(name, str):
        return ""
    key = name.strip().lower().replace("_", "-")
    folded = {n.lower(): n for n in names}
    close = difflib.get_close_matches(key, list(folded), n=1, cutoff=0.75)
    return f" (did you mean {folded[close[0]]!r}?)" if close else ""


def all_dropped(instance: Instance, solver: str) -> Schedule:
    """The trivial feasible schedule: every job dropped."""
    return Schedule(instance_id=instance.id, solver=solver,
                    plans=tuple(JobPlan(job=j.id, cut=None) for j in instance.jobs))
