"""The exact solvers (cpsat and the four MILP backends) against known optima."""

from __future__ import annotations

import random

import pytest

from splitsched.problem import Instance, Job, Network
from splitsched.solve import solve
from splitsched.solvers import get_solver
from tests.helpers.builders import edf_counterexample, random_tiny_instance, two_layer
from tests.helpers.oracle import optimum

EXACT = ["cpsat", "milp-pulp-cbc", "milp-pulp-highs", "milp-ortools-scip",
         "milp-ortools-highs"]
BIG = 1000


def counterexample_orders() -> Instance:
    """j: a=1, h=10, b=1, d=12; k: a=1, h=0, b=5, d=7; both released at 0.

    Both on time needs j first on the GPU (its lag is long) and k first on the
    CPU: GPU j [0,1), k [1,2); CPU k [2,7), j [11,12). Any common order misses one.
    """
    nj = two_layer("j-net", gpu=(1, BIG), cpu=(BIG, 1), handoff=10)
    nk = two_layer("k-net", gpu=(1, BIG), cpu=(BIG, 5), handoff=0)
    return Instance(id="orders", networks=(nj, nk),
                    jobs=(Job("j", "j-net", 0, 12), Job("k", "k-net", 0, 7)))


def zero_length_stage() -> Instance:
    """z: GPU [0,2), hand-off 3, a 0-us CPU stage at 5 (d=5); q: CPU-only [0,10) (d=10).

    The zero-length stage sits inside q's CPU stage, which ``evaluate`` allows:
    both are on time (hand-computed optimum 0).
    """
    z = two_layer("z", gpu=(2, BIG), cpu=(BIG, 0), handoff=3)
    q = Network(name="q", layer_names=("l1",), gpu_us=(BIG,), cpu_us=(10,), handoff_us=(0, 0))
    return Instance(id="zero", networks=(z, q), jobs=(Job("z", "z", 0, 5), Job("q", "q", 0, 10)))


@pytest.mark.parametrize("name", EXACT)
def test_registered_as_exact(name: str) -> None:
    assert get_solver(name).exact


@pytest.mark.parametrize("name", EXACT)
@pytest.mark.parametrize("make", [edf_counterexample, counterexample_orders, zero_length_stage])
def test_counterexamples_solved_to_zero_misses(name: str, make) -> None:  # type: ignore[no-untyped-def]
    inst = make()
    res = solve(inst, name, time_limit_s=10)
    assert res.status == "optimal", res.stats
    assert res.missed == 0 and res.bound == 0


def test_orders_counterexample_really_needs_two_orders() -> None:
    inst = counterexample_orders()
    assert optimum(inst) == 0
    assert optimum(inst, same_order=True) == 1


@pytest.mark.parametrize("seed", range(15))
def test_exact_solvers_match_the_oracle(seed: int) -> None:
    rng = random.Random(seed)
    inst = random_tiny_instance(rng, rng.randint(2, 5), max_weight=rng.choice([1, 3]))
    best = optimum(inst)
    for name in EXACT:
        res = solve(inst, name, time_limit_s=10)
        assert res.status != "error", (name, res.stats)
        assert res.missed is not None and res.missed >= best, name  # never beats the optimum
        assert res.bound is None or res.bound <= best, name  # a bound is a bound
        if res.status == "optimal":
            assert res.missed == best, name


@pytest.mark.parametrize("name", EXACT)
def test_short_time_limit_still_gives_a_valid_answer(name: str) -> None:
    rng = random.Random(7)
    inst = random_tiny_instance(rng, 14, max_layers=4, max_weight=3)
    res = solve(inst, name, time_limit_s=0.3)
    assert res.status in ("optimal", "feasible", "timeout"), res.stats
    assert res.missed is not None and res.evaluation is not None and res.evaluation.feasible
    assert res.bound is None or res.bound <= res.missed


def test_cbc_binary_missing_is_an_error_status(monkeypatch: pytest.MonkeyPatch) -> None:
    import pulp

    def broken(*args: object, **kwargs: object) -> None:
        raise pulp.PulpSolverError("cannot execute cbc")

    monkeypatch.setattr(pulp, "PULP_CBC_CMD", broken)
    out = get_solver("milp-pulp-cbc").fn(edf_counterexample(), time_limit_s=5, seed=0, threads=1)
    assert out.status == "error" and "cannot execute cbc" in out.stats["error"]


def test_highs_crash_is_an_error_status(monkeypatch: pytest.MonkeyPatch) -> None:
    from splitsched.solvers import milp_pulp

    def crash(self: object, lp: object) -> None:
        raise RuntimeError("HiGHS went away")

    monkeypatch.setattr(milp_pulp._HighsWarm, "callSolver", crash)
    out = get_solver("milp-pulp-highs").fn(edf_counterexample(), time_limit_s=5, seed=0,
                                           threads=1)
    assert out.status == "error" and "HiGHS went away" in out.stats["error"]


@pytest.mark.parametrize("name", ["milp-ortools-scip", "milp-ortools-highs"])
def test_ortools_backend_missing_is_an_error_status(name: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from splitsched.solvers import milp_ortools

    monkeypatch.setattr(milp_ortools.pywraplp.Solver, "CreateSolver",
                        staticmethod(lambda backend: None))
    out = get_solver(name).fn(edf_counterexample(), time_limit_s=5, seed=0, threads=1)
    assert out.status == "error" and "no" in out.stats["error"]


def test_cbc_log_bound_is_read_in_on_time_weight() -> None:
    from splitsched.solvers.milp_pulp import _cbc_bound

    log = ("Result - Stopped on time limit\n\nObjective value:                13.00000000\n"
           "Upper bound:                    16.973\nGap:                            -0.23\n")
    assert _cbc_bound(log) == 16.973
    assert _cbc_bound("Result - Optimal solution found\n") is None
