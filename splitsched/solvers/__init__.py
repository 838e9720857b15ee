"""Solvers, one module per family, all behind one registry (see ``base``).

Importing this package registers every built-in solver. (``milp_pulp`` loads
OR-Tools' pywraplp before PuLP itself: see the note there.)
"""

from splitsched.solvers import (  # noqa: F401  (importing registers the solvers)
    cpsat,
    dp,
    greedy,
    milp_ortools,
    milp_pulp,
)
from splitsched.solvers.base import (
    SolveResult,
    SolverOutput,
    get_solver,
    register,
    solve,
    solver_names,
)

__all__ = ["SolveResult", "SolverOutput", "get_solver", "register", "solve", "solver_names"]
