"""The time-indexed relaxation: the floor map, the model's validity, its certified bound."""

from __future__ import annotations

import random

import numpy as np
import pytest

from splitsched.evaluate import evaluate
from splitsched.formulations import job_windows
from splitsched.formulations.bounds import cut_branch_bound, cut_energy_rows, cut_lp_bound
from splitsched.formulations.time_indexed import (
    ScaledPlan,
    build_model,
    certified_bound,
    check_scaled,
    scale_schedule,
    schedule_point,
    time_indexed_bound,
)
from splitsched.problem import Instance, Job, Network
from tests.helpers.builders import random_tiny_instance, random_us_instance
from tests.helpers.oracle import optimum, optimum_witness


def _gpu_job_network(name: str, gpu: int) -> Network:
    """One layer: cut 1 runs it on the GPU for ``gpu`` us; cut 0 (1000 us on the CPU)
    never meets the deadlines below, so it is pruned: a one-processor job."""
    return Network(name=name, layer_names=("l",), gpu_us=(gpu,), cpu_us=(1000,),
                   handoff_us=(0, 0))


def _steps(inst: Instance) -> list[int]:
    """Grid steps around the instance's own time scale, most of them not dividing it
    (step 1 only where the horizon is short: the model has a column per slot)."""
    unit = max(1, max(j.deadline for j in inst.jobs) // 40)
    return ([1] if unit <= 50 else []) + [unit // 3 + 1, unit, 2 * unit + 7, 5 * unit + 3]


def _check_map_and_point(inst: Instance) -> None:
    """An optimal schedule maps to a feasible scaled schedule and to a point of every model."""
    wit = optimum_witness(inst)
    sched = wit.schedule(inst)
    ev = evaluate(inst, sched)
    assert ev.feasible and ev.weighted_misses == wit.misses
    on_time = inst.total_weight - wit.misses
    rows = cut_energy_rows(job_windows(inst))
    for step in _steps(inst):
        plans = scale_schedule(inst, sched, step)
        assert sum(inst.jobs[p.job].weight for p in plans) == on_time
        assert check_scaled(inst, plans, step) == []
        for groups, energy in ((None, None), (1, None), (2, None), (None, rows), (2, rows)):
            model = build_model(inst, step, groups=groups, energy_rows=energy)
            x = schedule_point(model, inst, plans)
            assert np.all(model.matrix @ x <= model.rhs), (inst.id, step, groups)
            assert int(model.obj @ x) == on_time


@pytest.mark.parametrize("seed", range(25))
def test_an_optimal_schedule_is_a_point_of_the_scaled_model(seed: int) -> None:
    rng = random.Random(seed)
    _check_map_and_point(random_tiny_instance(rng, rng.randint(2, 5), max_weight=3,
                                              zero_layers=seed % 3 == 0))


@pytest.mark.parametrize("seed", range(15))
def test_the_floor_map_on_microsecond_instances(seed: int) -> None:
    # times of thousands to millions of us, steps that do not divide them
    rng = random.Random(100 + seed)
    _check_map_and_point(random_us_instance(rng, rng.randint(2, 5)))


def test_the_floor_map_catches_a_broken_schedule() -> None:
    # Two 6 us GPU jobs with release 0 and deadline 12, mapped with step 1: a schedule
    # that overlaps them (both at 0) breaks the scaled rules as well.
    nets = (_gpu_job_network("n", 6),)
    inst = Instance(id="two", networks=nets,
                    jobs=(Job("a", "n", 0, 12), Job("b", "n", 0, 12)))
    bad = [ScaledPlan(0, 1, 0, None), ScaledPlan(1, 1, 3, None)]
    assert any("overlap" in v for v in check_scaled(inst, bad, 1))
    assert check_scaled(inst, [ScaledPlan(0, 1, 0, None), ScaledPlan(1, 1, 6, None)], 1) == []
    late = [ScaledPlan(0, 1, 7, None)]  # 7 + 6 > 12
    assert check_scaled(inst, late, 1) != []


@pytest.mark.parametrize("seed", range(30))
def test_the_bound_never_cuts_off_the_optimum(seed: int) -> None:
    rng = random.Random(1000 + seed)
    inst = random_tiny_instance(rng, rng.randint(2, 5), max_weight=3,
                                zero_layers=seed % 4 == 0)
    best = inst.total_weight - optimum(inst)
    for step in (1, 2, 5):
        for groups in (None, 2):
            for method in ("simplex", "ipm"):
                res = time_indexed_bound(inst, step, groups=groups, method=method)
                assert res.upper_bound >= best, (seed, step, groups, method, res)
        res = time_indexed_bound(inst, step, energetic=True)
        assert res.upper_bound >= best, (seed, step, res)


@pytest.mark.parametrize("seed", range(8))
def test_the_bound_on_microsecond_instances(seed: int) -> None:
    rng = random.Random(2000 + seed)
    inst = random_us_instance(rng, rng.randint(2, 5))
    best = inst.total_weight - optimum(inst)
    for step in _steps(inst)[-3:]:
        assert time_indexed_bound(inst, step).upper_bound >= best


def test_non_preemption_makes_it_strictly_stronger_than_the_energetic_rows() -> None:
    # One processor (each job's CPU cut takes 1000 us and is pruned):
    #   A: p = 6, window [2, 12];  B: p = 1, window [4, 5];  C: p = 6, window [6, 16].
    # With preemption all three fit: A [2, 4) + [5, 9), B [4, 5), C [9, 15). So every
    # energetic row holds with all three accepted: e.g. on [4, 12) A must spend
    # min(6, 8, 2 + 6 - 4, 12 - 12 + 6) = 4, B 1, C min(6, 6, 6 + 6 - 4, 12 - 16 + 6) = 2,
    # 7 <= 8; on [2, 16) 6 + 1 + 6 = 13 <= 14. The rows' LP and even their integer
    # optimum allow 3 on time.
    # Without preemption B sits at [4, 5), so A (6 long, by 12) runs in [5, 11), and C
    # (6 long, from 6, by 16) cannot follow it (11 + 6 = 17 > 16) nor precede it (C
    # ends >= 12, A would end >= 18): two on time at most. The time-indexed LP at
    # D = 1 proves it.
    nets = (_gpu_job_network("a", 6), _gpu_job_network("b", 1), _gpu_job_network("c", 6))
    inst = Instance(id="pmtn", networks=nets,
                    jobs=(Job("A", "a", 2, 12), Job("B", "b", 4, 5), Job("C", "c", 6, 16)))
    assert inst.total_weight - optimum(inst) == 2
    assert cut_lp_bound(inst, branch=False).upper_bound == 3
    assert cut_branch_bound(inst).upper_bound == 3
    for method in ("simplex", "ipm"):
        assert time_indexed_bound(inst, 1, method=method).upper_bound == 2
    assert time_indexed_bound(inst, 1, energetic=True).upper_bound == 2


def test_the_lag_couples_the_two_processors() -> None:
    # Two jobs, each with one split cut only (cuts 0 and 2 are pruned): GPU 3, lag 4,
    # CPU 3, release 0, deadline 13. Alone, one fits (3 + 4 + 3 = 10 <= 13). Both:
    # the second GPU stage ends at 6, its CPU stage starts at 10 and ends at 13 <= 13,
    # and the first's CPU stage runs [7, 10): both on time. With deadline 12 the
    # second misses (ends 13) whatever the order: one on time, and the time-indexed
    # LP at D = 1 proves it.
    net = Network(name="s", layer_names=("g", "c"), gpu_us=(3, 1000), cpu_us=(1000, 3),
                  handoff_us=(0, 4, 0))
    for deadline, best in ((13, 2), (12, 1)):
        inst = Instance(id=f"lag{deadline}", networks=(net,),
                        jobs=(Job("x", "s", 0, deadline), Job("y", "s", 0, deadline)))
        assert inst.total_weight - optimum(inst) == best
        assert time_indexed_bound(inst, 1).upper_bound == best


def test_the_certificate_is_exact_and_any_nonnegative_dual_is_valid() -> None:
    rng = random.Random(7)
    inst = random_tiny_instance(rng, 4, max_weight=3)
    model = build_model(inst, 1)
    # zero duals: every column's objective counts
    assert certified_bound(model, np.zeros(model.num_rows)) == int(model.obj.sum())
    # negative duals are clipped to 0
    assert certified_bound(model, -np.ones(model.num_rows)) == int(model.obj.sum())
    # any non-negative dual bounds the optimum (weak duality)
    best = inst.total_weight - optimum(inst)
    for _ in range(20):
        u = np.array([rng.random() * rng.choice([0, 0, 1, 3]) for _ in range(model.num_rows)])
        assert certified_bound(model, u) >= best
    with pytest.raises(ValueError, match="duals"):
        certified_bound(model, np.zeros(model.num_rows + 1))


def test_bad_parameters_are_refused() -> None:
    inst = random_tiny_instance(random.Random(3), 3)
    with pytest.raises(ValueError, match="step_us"):
        build_model(inst, 0)
    with pytest.raises(ValueError, match="groups"):
        build_model(inst, 1, groups=0)
    with pytest.raises(ValueError, match="origin_us"):
        build_model(inst, 1, origin_us=max(j.release for j in inst.jobs) + 1)
    with pytest.raises(ValueError, match="method"):
        time_indexed_bound(inst, 1, method="barrier")
