"""Solver benchmarks: every built-in solver on the committed smoke set; dp-edf at n = 80.

Run with ``pytest benchmarks/ --benchmark-only``; the normal ``pytest`` run
(``testpaths = tests``) does not collect this folder. Each run records the
evaluated misses, the bound and the status in ``benchmark.extra_info``, so a
benchmark JSON carries quality next to time.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import SMOKE

from splitsched.problem import Instance
from splitsched.solve import SolveResult, solve
from splitsched.solvers.base import BUILTIN_MODULES, get_solver

TIME_LIMIT_S = 2.0
INSTANCES = SMOKE


def _record(benchmark: Any, res: SolveResult) -> None:
    benchmark.extra_info.update({"status": res.status, "missed": res.missed,
                                 "bound": res.bound, "stats_error": res.stats.get("error")})


@pytest.mark.parametrize("inst", INSTANCES, ids=[i.id for i in INSTANCES])
@pytest.mark.parametrize("name", sorted(BUILTIN_MODULES))
def test_solver(benchmark: Any, name: str, inst: Instance) -> None:
    exact = get_solver(name).exact
    if exact:  # limited by time: few rounds
        res = benchmark.pedantic(solve, args=(inst, name),
                                 kwargs={"time_limit_s": TIME_LIMIT_S, "threads": 1},
                                 rounds=3, iterations=1)
    else:
        res = benchmark(solve, inst, name, time_limit_s=TIME_LIMIT_S)
    _record(benchmark, res)
    assert res.status != "error", res.stats


def test_dp_edf_n80(benchmark: Any, n80_instance: Instance) -> None:
    res = benchmark.pedantic(solve, args=(n80_instance, "dp-edf"),
                             kwargs={"time_limit_s": 60.0}, rounds=7, iterations=1,
                             warmup_rounds=1)
    _record(benchmark, res)
    benchmark.extra_info["instance"] = n80_instance.id
    benchmark.extra_info["labels_max"] = res.stats.get("labels_max")
    assert res.status == "feasible"
