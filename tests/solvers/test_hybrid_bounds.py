"""Bounds inside ``hybrid`` and the Benders master: per-cut rows in the master, the LP first."""

from __future__ import annotations

import random
import time
from typing import Any

import pytest
from ortools.sat.python import cp_model

from splitsched.formulations import job_windows
from splitsched.formulations.bounds import cut_energy_rows, cut_lp_bound
from splitsched.formulations.cp import InterruptibleCpSolver
from splitsched.problem import Instance, Job, JobPlan, Network, Schedule
from splitsched.solve import solve
from splitsched.solvers.hybrid import _rows_branch
from splitsched.solvers.lbbd import run_lbbd
from tests.helpers.builders import random_tiny_instance, three_either_way
from tests.helpers.oracle import optimum


def test_master_with_per_cut_rows_matches_the_oracle() -> None:
    # every per-cut row and the cut LP's bound handed to the Benders loop: it must still
    # prove exactly the optimum (the rows and the bound remove no schedule)
    rng = random.Random(71)
    for i in range(50):
        inst = random_tiny_instance(rng, rng.randint(2, 6), max_weight=3,
                                    zero_layers=i % 3 == 0)
        best = inst.total_weight - optimum(inst)
        windows = job_windows(inst)
        rows = cut_energy_rows(windows)
        lp = cut_lp_bound(inst, windows=windows)
        st, upper = run_lbbd(inst, t_end=time.perf_counter() + 20, seed=0, threads=1,
                             warm_start=None, rows_until=time.perf_counter() + 5,
                             windows=windows, cut_rows=rows, upper_bound=lp.upper_bound)
        assert upper == best == st.best_weight, (upper, best, st.stats, inst)


def test_hybrid_proves_with_the_cut_lp_where_the_energy_bound_allows_all() -> None:
    # five jobs due at 10, each 3 us on the GPU or 9 us on the CPU: four fit (three on
    # the GPU, one on the CPU); every accepted-set energy row allows all five
    # (tests/formulations/test_bounds_lp.py), the LP over the cut choice allows four
    net = Network(name="n", layer_names=("l1",), gpu_us=(3,), cpu_us=(9,), handoff_us=(0, 0))
    inst = Instance(id="gpu-or-cpu", networks=(net,),
                    jobs=tuple(Job(f"j{i}", "n", 0, 10) for i in range(5)))
    res = solve(inst, "hybrid", time_limit_s=20, seed=0, threads=1)
    assert res.status == "optimal" and res.missed == 1 and res.bound == 1
    assert res.stats["cut_lp_upper_bound"] == 4


class _NoTimeSolver(InterruptibleCpSolver):
    """CP-SAT that stops at once: every solve ends UNKNOWN (no solution, no proof)."""

    def solve(self, model: cp_model.CpModel,
              solution_callback: cp_model.CpSolverSolutionCallback | None = None) -> Any:
        self.parameters.max_time_in_seconds = 0.0
        return super().solve(model, solution_callback)


def test_an_unfinished_master_proves_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    # CP-SAT's objective bound after UNKNOWN reads 0.0 for a maximisation: taken as a
    # bound it would "prove" the incumbent optimal. With every CP-SAT call cut short the
    # Benders loop may only report what its LP proves.
    import splitsched.formulations.cp as cp_module

    monkeypatch.setattr(cp_module, "InterruptibleCpSolver", _NoTimeSolver)  # cp_solver's class
    rng = random.Random(72)
    wrong_start = 0
    for i in range(40):
        inst = random_tiny_instance(rng, rng.randint(3, 6), max_weight=3,
                                    zero_layers=i % 3 == 0)
        best = inst.total_weight - optimum(inst)
        empty = Schedule(instance_id=inst.id, solver="test",
                         plans=tuple(JobPlan(job=j.id, cut=None) for j in inst.jobs))
        st, upper = run_lbbd(inst, t_end=time.perf_counter() + 5, seed=0, threads=1,
                             warm_start=empty, rows_until=time.perf_counter() + 1)
        assert upper >= best, (upper, best, st.stats, inst)
        wrong_start += best > 0
    assert wrong_start > 20  # the empty start is beatable often enough to mean something



@pytest.mark.parametrize(("best", "expected"), [(2, 2), (1, 2), (0, 2), (3, 3)])
def test_rows_branch_lowers_the_bound_to_the_rows_integer_optimum(best: int,
                                                                  expected: int) -> None:
    # The cut LP allows 3 on time (10/6 per processor, floor of 10/3); the rows' integer
    # optimum is 2 (one 6 us stage per processor before 10), which is also the optimum.
    # From the LP's 3, the phase proves 2 whatever the incumbent below it, and stops at
    # an incumbent that already meets the bound.
    inst = three_either_way()
    assert inst.total_weight - optimum(inst) == 2
    windows = job_windows(inst)
    rows = cut_energy_rows(windows, extra_starts=False)
    assert cut_lp_bound(inst, windows=windows, rows=rows, branch=False).upper_bound == 3
    stats: dict[str, Any] = {}
    assert _rows_branch(inst, windows, rows, best, 3, 30.0, stats) == expected
    assert stats["rows_branch_upper_bound"] == expected


def test_rows_branch_closes_a_gap_of_many_weight_units() -> None:
    # The same three jobs of weight 2^20: the cut LP allows 3 * 2^20, the rows' integer
    # optimum (and the optimum) is 2 * 2^20. Proving one weight unit less per tree would
    # need 2^20 trees; the phase must reach the rows' optimum all the same.
    w = 2**20
    inst = three_either_way(w)
    assert inst.total_weight - optimum(inst) == 2 * w
    windows = job_windows(inst)
    rows = cut_energy_rows(windows, extra_starts=False)
    assert cut_lp_bound(inst, windows=windows, rows=rows, branch=False).upper_bound == 3 * w
    stats: dict[str, Any] = {}
    assert _rows_branch(inst, windows, rows, 0, 3 * w, 60.0, stats) == 2 * w
