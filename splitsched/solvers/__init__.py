"""Solvers, one module per family, all behind one registry (see ``base``).

Families are imported on demand: ``get_solver(name)`` imports the one module
that registers ``name``, and ``solver_names()`` imports them all. Running a
solver is the harness's job (:func:`splitsched.solve.solve`, one layer up).
"""

from splitsched.solvers.base import (
    SolverInfo,
    SolverOutput,
    SolveStatus,
    UnknownSolverError,
    get_solver,
    register,
    solver_names,
)

__all__ = ["SolveStatus", "SolverInfo", "SolverOutput", "UnknownSolverError", "get_solver",
           "register", "solver_names"]
