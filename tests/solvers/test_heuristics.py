"""dp-orders and dp-ls: never better than the optimum, never worse than dp-edf; Johnson ties."""

from __future__ import annotations

import random

import pytest

from splitsched.problem import Instance, Job, edf_key
from splitsched.solve import solve
from splitsched.solvers.base import get_solver
from splitsched.solvers.dp import run_dp
from splitsched.solvers.heuristics import johnson_key
from tests.helpers.builders import chain_network, edf_counterexample, random_tiny_instance
from tests.helpers.oracle import optimum

HEURISTICS = ("dp-orders", "dp-ls")
BIG = 10_000


def _tiny(seed: int, count: int) -> list[Instance]:
    rng = random.Random(seed)
    return [random_tiny_instance(rng, rng.randint(1, 5), max_weight=rng.choice((1, 1, 3)),
                                 zero_layers=rng.random() < 0.2)
            for _ in range(count)]


@pytest.mark.parametrize("name", HEURISTICS)
def test_heuristics_are_registered_as_heuristics(name: str) -> None:
    assert get_solver(name).exact is False


@pytest.mark.parametrize("name", HEURISTICS)
def test_between_the_optimum_and_dp_edf_on_tiny_instances(name: str) -> None:
    for inst in _tiny(seed=41 if name == "dp-orders" else 42, count=120):
        res = solve(inst, name, time_limit_s=0.05)
        assert res.status == "feasible", res.stats
        assert res.bound is None
        assert res.evaluation is not None and res.evaluation.feasible
        assert res.missed is not None
        assert res.missed >= optimum(inst), inst
        assert res.missed <= optimum(inst, edf_order=True), inst  # what dp-edf reaches


def test_local_search_beats_edf_on_the_edf_counterexample() -> None:
    # A (a=5, b=1, d=7), B (a=1, b=5, d=8): EDF order loses B, B then A meets both.
    # No fixed rule of dp-orders puts B first (distinct deadlines, A has less laxity);
    # one re-insertion move does.
    inst = edf_counterexample()
    assert solve(inst, "dp-edf").missed == 1
    assert solve(inst, "dp-orders", time_limit_s=0.5).missed == 1
    assert solve(inst, "dp-ls", time_limit_s=0.5).missed == 0


def _flow_shop(rng: random.Random, n: int) -> Instance:
    """Two machines, one usable cut per job (GPU a, then CPU b, no hand-off), all released
    at 0, one common deadline; the other cuts take over BIG us and never fit."""
    nets, jobs = [], []
    times = [(rng.randint(1, 20), rng.randint(1, 20)) for _ in range(n)]
    total = sum(a + b for a, b in times)
    deadline = rng.randint(max(a + b for a, b in times), max(a + b for a, b in times) + total // 2)
    for i, (a, b) in enumerate(times):
        nets.append(chain_network(f"n{i}", gpu=(a, BIG), cpu=(BIG, b)))
        jobs.append(Job(f"j{i}", f"n{i}", release=0, deadline=deadline,
                        weight=rng.choice((1, 1, 2))))
    return Instance(id=f"flow-{rng.random():.6f}", networks=tuple(nets), jobs=tuple(jobs))


def test_johnson_ties_make_the_order_dp_exact_on_two_machine_common_deadline() -> None:
    """Johnson (1954): in that order any job set reaches its smallest two-machine makespan."""
    rng = random.Random(1954)
    edf_lost = 0
    for _ in range(150):
        inst = _flow_shop(rng, rng.randint(2, 5))
        best = inst.total_weight - optimum(inst)  # brute force over all orders on both machines
        order = sorted(inst.jobs, key=lambda j: johnson_key(inst, j))
        assert run_dp(inst, order).accepted_weight == best, inst
        assert solve(inst, "dp-orders", time_limit_s=0.5).missed == inst.total_weight - best
        edf = run_dp(inst, sorted(inst.jobs, key=edf_key)).accepted_weight
        assert edf <= best
        edf_lost += edf < best
    assert edf_lost > 0, "EDF with id ties should lose on some of these instances"
