"""dp_swap: the order DP with one deferred or pulled-ahead stage.

Facts: it never beats the brute-force optimum; with displacement 0 it is the
plain order DP; on a hand-made 3-job instance it keeps every job on time
where no common order does; its schedules pass evaluate with the weight it
reports; it stops at its work limit. With whole moves (``whole``): never
better than the brute force either, never worse than without, at least as
good as the order DP over every order one re-insertion away, and on a
hand-made 2-job instance it finds the one schedule that needs a job moved
whole (no pull or deferral reaches it)."""

from __future__ import annotations

import itertools
import random

import pytest

from splitsched.evaluate import evaluate
from splitsched.problem import Instance, Job, edf_key
from splitsched.solvers.dp import run_dp
from splitsched.solvers.dp_swap import swap_dp
from tests.helpers.builders import (
    chain_network,
    handoff_counterexample,
    random_medium_instance,
    random_tiny_instance,
)
from tests.helpers.oracle import optimum

BIG = 1000


def _tiny(seed: int, count: int) -> list[Instance]:
    rng = random.Random(seed)
    return [random_tiny_instance(rng, rng.randint(1, 5), max_weight=rng.choice((1, 1, 3)),
                                 zero_layers=rng.random() < 0.2)
            for _ in range(count)]


def _misses(inst: Instance, order: list[Job], displacement: int, beam: int | None = None,
            whole: int = 0) -> int:
    """Weighted misses of swap_dp's schedule, as evaluated (and equal to what it reports)."""
    res = swap_dp(inst, order, displacement=displacement, beam=beam, whole=whole)
    assert res.complete
    ev = evaluate(inst, res.schedule(inst, "test"))
    assert ev.feasible, ev.violations
    assert ev.weighted_misses == inst.total_weight - res.weight, inst
    return ev.weighted_misses


@pytest.mark.parametrize("displacement", [0, 1, 2, 4])
def test_never_better_than_the_optimum_on_tiny_instances(displacement: int) -> None:
    for inst in _tiny(seed=300 + displacement, count=80):
        order = sorted(inst.jobs, key=edf_key)
        assert _misses(inst, order, displacement) >= optimum(inst), inst
        assert _misses(inst, order, displacement, beam=3) >= optimum(inst), inst


def test_displacement_zero_is_the_order_dp() -> None:
    rng = random.Random(11)
    instances = _tiny(seed=12, count=60) + [random_medium_instance(rng, 10) for _ in range(8)]
    for inst in instances:
        order = list(inst.jobs)
        rng.shuffle(order)
        expected = inst.total_weight - run_dp(inst, order).accepted_weight
        assert _misses(inst, order, 0) == expected, inst


def test_more_displacement_never_loses_without_a_beam() -> None:
    """Each displacement's schedules include the smaller one's (exact Pareto front)."""
    for inst in _tiny(seed=21, count=60):
        order = sorted(inst.jobs, key=edf_key)
        found = [_misses(inst, order, d) for d in range(4)]
        assert found == sorted(found, reverse=True), inst


def _three_jobs() -> Instance:
    """j: a=1, h=10, b=1, d=12; k: a=1, h=0, b=5, d=7 (both released at 0, cut 1 of
    two-layer networks, other cuts over BIG us); l: CPU only, b=3, released at 7, d=10.

    GPU j [0,1), k [1,2); CPU k [2,7), l [7,10), j [11,12): all on time (CPU order
    k, l, j, GPU order j, k). In any common order one job is late: j before k on
    both puts k's CPU stage after j's, which is ready at 11 (ends 17 > 7); k before
    j on both starts j's GPU stage at 1 at the earliest, so its CPU stage is ready
    at 12 and ends 13 > 12.
    """
    nets = (chain_network("net-j", gpu=(1, BIG), cpu=(BIG, 1), handoff=(10,)),
            chain_network("net-k", gpu=(1, BIG), cpu=(BIG, 5)),
            chain_network("net-l", gpu=(BIG,), cpu=(3,)))
    jobs = (Job("j", "net-j", release=0, deadline=12), Job("k", "net-k", release=0, deadline=7),
            Job("l", "net-l", release=7, deadline=10))
    return Instance(id="three-jobs", networks=nets, jobs=jobs)


def test_three_jobs_need_different_orders_and_the_extension_finds_them() -> None:
    inst = _three_jobs()
    assert optimum(inst) == 0
    assert optimum(inst, same_order=True) == 1
    best_common = 0
    for order in itertools.permutations(inst.jobs):
        weight = run_dp(inst, list(order)).accepted_weight
        assert _misses(inst, list(order), 0) == 3 - weight
        best_common = max(best_common, weight)
    assert best_common == 2  # one job late in every common order
    edf = sorted(inst.jobs, key=edf_key)  # k (d=7), l (d=10), j (d=12)
    # j's GPU stage is pulled ahead of k's, two places: displacement 2 is needed from EDF
    assert _misses(inst, edf, 1) == 1
    res = swap_dp(inst, edf, displacement=2)
    assert inst.total_weight - res.weight == 0
    assert res.gpu == ["j", "k"] and res.cpu == ["k", "l", "j"]
    # from the order j, k, l: j's CPU stage deferred after k's and l's
    jkl = [inst.jobs[0], inst.jobs[1], inst.jobs[2]]
    assert _misses(inst, jkl, 1) == 1 and _misses(inst, jkl, 2) == 0


def test_the_handoff_counterexample_is_solved_with_displacement_one() -> None:
    inst = handoff_counterexample()
    for order in itertools.permutations(inst.jobs):
        assert _misses(inst, list(order), 0) == 1
        assert _misses(inst, list(order), 1) == 0


def test_stops_at_its_work_limit_and_rejects_bad_arguments() -> None:
    inst = random_medium_instance(random.Random(5), 12)
    order = sorted(inst.jobs, key=edf_key)
    full = swap_dp(inst, order, displacement=2, beam=32)
    assert full.complete and full.labels > 0
    cut = swap_dp(inst, order, displacement=2, beam=32, max_work=full.labels // 2)
    assert not cut.complete
    assert not swap_dp(inst, order, displacement=2, stop=lambda: True).complete
    with pytest.raises(ValueError, match="displacement"):
        swap_dp(inst, order, displacement=-1)
    with pytest.raises(ValueError, match="beam"):
        swap_dp(inst, order, displacement=1, beam=2)
    with pytest.raises(ValueError, match="every job"):
        swap_dp(inst, order[1:], displacement=1)
    with pytest.raises(ValueError, match="whole"):
        swap_dp(inst, order, displacement=1, whole=-1)


@pytest.mark.parametrize("displacement", [0, 2])
def test_whole_moves_never_beat_the_optimum_nor_lose(displacement: int) -> None:
    rng = random.Random(40 + displacement)
    for inst in _tiny(seed=41 + displacement, count=80):
        order = list(inst.jobs)
        rng.shuffle(order)
        plain = _misses(inst, order, displacement)
        for whole in (1, 2):
            found = _misses(inst, order, displacement, whole=whole)
            assert optimum(inst) <= found <= plain, inst
            assert _misses(inst, order, displacement, beam=3, whole=whole) >= optimum(inst)


def test_whole_moves_cover_every_reinsertion_within_reach() -> None:
    """Exact (no beam): at least as good as the order DP over each order with one job
    re-inserted up to ``whole`` places away (the local search's move)."""
    rng = random.Random(43)
    for inst in _tiny(seed=44, count=60):
        order = list(inst.jobs)
        rng.shuffle(order)
        for whole in (1, 2):
            found = _misses(inst, order, 0, whole=whole)
            for src, dst in itertools.permutations(range(len(order)), 2):
                if abs(src - dst) <= whole:
                    moved = list(order)
                    moved.insert(dst, moved.pop(src))
                    assert found <= inst.total_weight - run_dp(inst, moved).accepted_weight


def _two_tight_jobs() -> Instance:
    """x: a=1, b=1, released at 0, d=2; y: the same stages, d=10 (cut 1 of two-layer
    networks, the other cuts take over BIG us).

    Both on time only with x first on both processors (GPU x [0,1), y [1,2); CPU x
    [1,2), y [2,3)). From the order y, x no pull or deferral gets there: x's GPU stage
    pulled ahead of y's leaves its CPU stage after y's (ends 4 > 2), y's CPU stage
    deferred after x's leaves x's GPU stage after y's (x ends 3 > 2).
    """
    nets = (chain_network("net-x", gpu=(1, BIG), cpu=(BIG, 1)),
            chain_network("net-y", gpu=(1, BIG), cpu=(BIG, 1)))
    jobs = (Job("x", "net-x", release=0, deadline=2), Job("y", "net-y", release=0, deadline=10))
    return Instance(id="two-tight-jobs", networks=nets, jobs=jobs)


def test_a_job_moved_whole_reaches_what_no_pull_or_deferral_does() -> None:
    inst = _two_tight_jobs()
    assert optimum(inst) == 0
    x, y = inst.jobs
    for displacement in (0, 1, 2):
        assert _misses(inst, [y, x], displacement) == 1
    res = swap_dp(inst, [y, x], displacement=0, whole=1)
    assert inst.total_weight - res.weight == 0
    assert res.gpu == ["x", "y"] and res.cpu == ["x", "y"]
    # with no cut movable, x cannot run ahead, but y can still run after x with any cut
    assert _misses(inst, [y, x], 2, whole=1) == 0
    res = swap_dp(inst, [y, x], displacement=2, whole=1, movable={})
    assert inst.total_weight - res.weight == 0 and res.cpu == ["x", "y"]
