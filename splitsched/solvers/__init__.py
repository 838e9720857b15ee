"""Solvers, one module per family, all behind one registry (see ``base``).

Families are imported on demand: ``get_solver(name)`` imports the one module
that registers ``name``, and ``solver_names()`` imports them all. Running a
solver is the harness's job (:func:`splitsched.solve.solve`, one layer up).
"""

from splitsched.solvers.base import (
    SolverOutput,
    SolveStatus,
    get_solver,
    register,
    solver_names,
)

__all__ = ["SolveStatus", "SolverOutput", "get_solver", "register", "solver_names"]
