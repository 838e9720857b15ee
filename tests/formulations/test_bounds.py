"""Energetic upper bounds on the on-time weight, checked against the brute-force oracle."""

from __future__ import annotations

import random

from splitsched.formulations import job_windows
from splitsched.formulations.bounds import (
    aggregate_bound,
    cut_energy_rows,
    energy_rows,
    window_bound,
)
from splitsched.problem import Instance, Job, Network
from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum, optimum_witness


def _single_layer_gpu(name: str, gpu: int) -> Network:
    """One layer: cut 1 runs it on the GPU (gpu us); cut 0 runs it on the CPU, 1000 us."""
    return Network(name=name, layer_names=("l1",), gpu_us=(gpu,), cpu_us=(1000,),
                   handoff_us=(0, 0))


def test_window_bound_strictly_stronger_than_pooled_energy() -> None:
    # Two jobs due at 10 whose only on-time cut is GPU-only, 6 us each. Pooled over
    # both processors their work (12) fits in 2 * 10 = 20, so the classic bound
    # allows both; the GPU alone offers 10 < 12, so at most one is on time.
    nets = (_single_layer_gpu("n1", 6), _single_layer_gpu("n2", 6))
    inst = Instance(id="two-gpu-jobs", networks=nets,
                    jobs=(Job("a", "n1", 0, 10), Job("b", "n2", 0, 10)))
    assert aggregate_bound(inst).upper_bound == 2
    assert window_bound(inst).upper_bound == 1
    assert inst.total_weight - optimum(inst) == 1


def test_window_bound_sees_the_handoff_lag() -> None:
    # Job a: two layers, only the split cut fits: GPU 4, hand-off 4, CPU 2, due at 10,
    # so its GPU stage must end by 10 - 4 - 2 = 4. Job b: GPU-only 5 us due at 8.
    # On [0, 8] the GPU must run a's 4 and b's 5 > 8: only one of them is on time.
    net_a = Network(name="na", layer_names=("l1", "l2"), gpu_us=(4, 100), cpu_us=(100, 2),
                    handoff_us=(0, 4, 0))
    inst = Instance(id="lag", networks=(net_a, _single_layer_gpu("nb", 5)),
                    jobs=(Job("a", "na", 0, 10), Job("b", "nb", 0, 8)))
    assert aggregate_bound(inst).upper_bound == 2
    assert window_bound(inst).upper_bound == 1
    assert inst.total_weight - optimum(inst) == 1


def test_bounds_never_cut_off_the_optimum() -> None:
    rng = random.Random(41)
    for i in range(150):
        inst = random_tiny_instance(rng, rng.randint(1, 5), max_weight=3,
                                    zero_layers=i % 3 == 0)
        best_on_time = inst.total_weight - optimum(inst)
        win, agg = window_bound(inst), aggregate_bound(inst)
        assert win.proven and agg.proven
        assert best_on_time <= win.upper_bound <= agg.upper_bound, inst


def test_energy_rows_hold_for_an_optimal_schedule() -> None:
    rng = random.Random(42)
    for i in range(150):
        inst = random_tiny_instance(rng, rng.randint(2, 5), max_weight=2,
                                    zero_layers=i % 2 == 0)
        witness = optimum_witness(inst)
        accepted = {inst.job_index[j] for j, k in witness.cuts.items() if k is not None}
        for row in energy_rows(inst):
            assert sum(int(row.coef[j]) for j in accepted) <= row.capacity, (row, inst)
        chosen = {(inst.job_index[j], k) for j, k in witness.cuts.items() if k is not None}
        for crow in cut_energy_rows(job_windows(inst)):
            used = sum(int(c) for j, k, c in zip(crow.job, crow.cut, crow.coef, strict=True)
                       if (int(j), int(k)) in chosen)
            assert used <= crow.capacity, (crow, inst)
