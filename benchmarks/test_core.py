"""Deterministic parts at n = 80: building each model, and evaluate().

These are the costs every exact run and every benchmark record pays before or
after a solver works; they must stay small next to the time limits.
"""

from __future__ import annotations

from typing import Any

from splitsched.evaluate import evaluate
from splitsched.formulations.cp import build_cp
from splitsched.formulations.milp import build_milp
from splitsched.problem import Instance
from splitsched.solve import solve


def test_build_milp_n80(benchmark: Any, n80_instance: Instance) -> None:
    model = benchmark(build_milp, n80_instance)
    benchmark.extra_info.update({"columns": len(model.variables), "rows": len(model.rows)})


def test_build_cp_n80(benchmark: Any, n80_instance: Instance) -> None:
    benchmark(build_cp, n80_instance)


def test_evaluate_n80(benchmark: Any, n80_instance: Instance) -> None:
    schedule = solve(n80_instance, "edf-greedy-cut").schedule
    assert schedule is not None
    ev = benchmark(evaluate, n80_instance, schedule)
    assert ev.feasible
    benchmark.extra_info["misses"] = ev.misses
