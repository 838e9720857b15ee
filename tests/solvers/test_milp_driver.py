"""The one MILP driver (solvers/milp_solution.drive_milp) with stand-in backends.

What it promises every backend: the order of the calls, a timeout with the warm start
when building runs out of time or no time is left for the search, the backend's own
answer to an exception, an error status for a backend's failure, and a bound only
through the CP-SAT re-check (a false bound is refuted with a schedule that beats it).
"""

from __future__ import annotations

import random
import time
from typing import Any

import pytest

from splitsched.formulations.milp import BuildTimeout, MilpModel
from splitsched.problem import Instance, Schedule
from splitsched.solvers import get_solver
from splitsched.solvers.base import SolverOutput, SolveStatus
from splitsched.solvers.milp_solution import BackendAnswer, drive_milp
from tests.helpers.builders import edf_counterexample, random_tiny_instance
from tests.helpers.oracle import optimum


class Fake:
    """A backend that records its calls and answers what it is told."""

    def __init__(self, answer: BackendAnswer | None = None, *, load_error: Exception | None = None,
                 run_error: Exception | None = None) -> None:
        self.answer = answer or BackendAnswer(None)
        self.load_error, self.run_error = load_error, run_error
        self.calls: list[str] = []
        self.limit_s: float | None = None
        self.failed_in_run: bool | None = None
        self.start_until: float | None = None  # start() sleeps until this perf_counter value

    def open(self) -> None:
        self.calls.append("open")

    def load(self, model: MilpModel, *, deadline: float) -> None:
        self.calls.append("load")
        if self.load_error is not None:
            raise self.load_error

    def start(self, model: MilpModel, warm_start: Schedule | None, *, seed: int,
              threads: int) -> None:
        self.calls.append("start")
        if self.start_until is not None:
            time.sleep(max(0.0, self.start_until - time.perf_counter()))

    def run(self, limit_s: float, *, seed: int, threads: int, warm: bool,
            stats: dict[str, Any]) -> BackendAnswer:
        self.calls.append("run")
        self.limit_s = limit_s
        if self.run_error is not None:
            raise self.run_error
        return self.answer

    def failed(self, exc: Exception, *, in_run: bool, t_end: float,
               warm_start: Schedule | None, stats: dict[str, Any]) -> SolverOutput:
        self.failed_in_run = in_run
        return SolverOutput(schedule=None, status=SolveStatus.ERROR, stats={"error": str(exc)})


def _drive(backend: Fake, time_limit_s: float = 5.0, warm_start: Schedule | None = None,
           instance: Instance | None = None) -> SolverOutput:
    return drive_milp(instance or edf_counterexample(), backend, "fake",
                      time_limit_s=time_limit_s, seed=0, threads=1, warm_start=warm_start)


def test_calls_in_order_and_the_search_gets_at_most_the_budget() -> None:
    fake = Fake()
    out = _drive(fake, time_limit_s=5.0)
    assert fake.calls == ["open", "load", "start", "run"]
    assert fake.limit_s is not None and 0 < fake.limit_s <= 5.0 * (1 - 0.2)
    assert out.status == SolveStatus.TIMEOUT and out.bound is None
    assert {"settings", "columns", "rows", "order_binaries", "build_s"} <= set(out.stats)


def test_build_timeout_answers_the_warm_start() -> None:
    inst = edf_counterexample()
    warm = get_solver("edf-gpu").fn(inst, time_limit_s=5, seed=0, threads=1).schedule
    assert warm is not None
    fake = Fake(load_error=BuildTimeout("time limit reached while loading"))
    out = _drive(fake, warm_start=warm)
    assert fake.calls == ["open", "load"]
    assert out.status == SolveStatus.TIMEOUT and out.schedule is warm
    assert out.stats["note"] == "time limit reached while loading"


def test_no_time_left_for_the_search_is_a_timeout_without_a_run() -> None:
    fake = Fake()
    fake.start_until = time.perf_counter() + 2.0 - 0.04  # then (at most 0.04 s) * 0.8 is left
    out = _drive(fake, time_limit_s=2.0)
    assert fake.calls == ["open", "load", "start"]
    assert "run" not in fake.calls
    assert out.status == SolveStatus.TIMEOUT
    assert out.stats["note"] == "no time left for the backend after building"


@pytest.mark.parametrize("where", ["load", "run"])
def test_an_exception_goes_to_the_backend_with_where_it_came_from(where: str) -> None:
    boom = RuntimeError("boom")
    fake = Fake(load_error=boom) if where == "load" else Fake(run_error=boom)
    out = _drive(fake)
    assert fake.failed_in_run is (where == "run")
    assert out.status == SolveStatus.ERROR and out.stats["error"] == "boom"


def test_a_backend_error_is_an_error_status() -> None:
    out = _drive(Fake(BackendAnswer(None, error="X: ABNORMAL")))
    assert out.status == SolveStatus.ERROR and out.stats["error"] == "X: ABNORMAL"
    assert out.bound is None


def test_a_false_bound_is_refuted_with_a_better_schedule() -> None:
    """Claim 'optimal, at most 0 on time' (2 misses): CP-SAT finds both on time."""
    inst = edf_counterexample()
    assert optimum(inst) == 0
    out = _drive(Fake(BackendAnswer(None, SolveStatus.OPTIMAL, bound_on_time=0.0)))
    assert out.bound == float(inst.total_weight)  # the claim, kept for the harness to check
    assert out.stats["bound_check"] == "refuted"
    assert out.schedule is not None


def test_a_true_bound_is_confirmed() -> None:
    """Claim the oracle's optimum as the bound: CP-SAT proves no schedule does better."""
    for seed in range(50):
        inst = random_tiny_instance(random.Random(seed), 5, max_weight=3)
        best = optimum(inst)
        if best > 0:
            break
    assert best > 0
    claim = BackendAnswer(None, SolveStatus.OPTIMAL,
                          bound_on_time=float(inst.total_weight - best) + 0.4)
    out = _drive(Fake(claim), time_limit_s=10.0, instance=inst)
    assert out.stats["bound_check"] == "confirmed"
    assert out.bound == float(best) and out.status == SolveStatus.OPTIMAL
