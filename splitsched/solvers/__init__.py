"""Solvers, one module per family, all behind one registry (see ``base``).

Families are imported on demand: ``get_solver(name)`` imports the one module
that registers ``name``, and ``solver_names()`` imports them all.
"""

from splitsched.solvers.base import (
    SolveResult,
    SolverOutput,
    get_solver,
    register,
    solve,
    solver_names,
)

__all__ = ["SolveResult", "SolverOutput", "get_solver", "register", "solve", "solver_names"]
