"""Solvers, one module per family, all behind one registry (see ``base``).

Importing this package registers every built-in solver.
"""

from splitsched.solvers import greedy  # noqa: F401  (registers the greedy baselines)
from splitsched.solvers.base import (
    SolveResult,
    SolverOutput,
    get_solver,
    register,
    solve,
    solver_names,
)

__all__ = ["SolveResult", "SolverOutput", "get_solver", "register", "solve", "solver_names"]
