"""LP bounds on the on-time weight (accepted-set LP, per-cut LP) against the brute-force oracle."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from splitsched.formulations import job_windows
from splitsched.formulations.bounds import (
    EnergyRow,
    _cut_index,
    _cut_lagrangian,
    aggregate_bound,
    cut_energy_rows,
    cut_lp_bound,
    energy_rows,
    lagrangian_bound,
    lp_bound,
    window_bound,
)
from splitsched.problem import Instance, Job, Network
from tests.helpers.builders import random_tiny_instance, random_us_instance
from tests.helpers.oracle import optimum


def _gpu_or_cpu(gpu: int, cpu: int) -> Network:
    """One layer: cut 1 runs it on the GPU (``gpu`` us), cut 0 on the CPU (``cpu`` us)."""
    return Network(name="n", layer_names=("l1",), gpu_us=(gpu,), cpu_us=(cpu,),
                   handoff_us=(0, 0))


def test_cut_lp_strictly_stronger_than_the_energy_bound() -> None:
    # Five jobs due at 10, each either 3 us on the GPU or 9 us on the CPU. The GPU
    # fits three (9 <= 10), the CPU one: four on time at most. The accepted-set rows
    # take each job's cheapest cut per multiplier pair: (1, 1) -> 3 each, 15 <= 20;
    # (2, 1) -> min(6, 9) = 6 each, 30 <= 30; (1, 2) -> 3 each, 15 <= 30: all five
    # fit, so even their integer optimum (window_bound) allows 5. The LP over the
    # cut choice keeps the processors apart: sum x_gpu <= 10/3, sum x_cpu <= 10/9,
    # together 4.44 -> at most 4.
    inst = Instance(id="gpu-or-cpu", networks=(_gpu_or_cpu(3, 9),),
                    jobs=tuple(Job(f"j{i}", "n", 0, 10) for i in range(5)))
    assert inst.total_weight - optimum(inst) == 4
    assert aggregate_bound(inst).upper_bound == 5
    assert window_bound(inst).upper_bound == 5
    assert lp_bound(inst, energy_rows(inst)).upper_bound == 5
    assert cut_lp_bound(inst).upper_bound == 4


def test_lp_bounds_never_cut_off_the_optimum() -> None:
    rng = random.Random(43)
    for i in range(150):
        inst = random_tiny_instance(rng, rng.randint(1, 6), max_weight=3,
                                    zero_layers=i % 3 == 0)
        best = inst.total_weight - optimum(inst)
        windows = job_windows(inst)
        rows = energy_rows(inst, windows=windows)
        assert best <= lp_bound(inst, rows, windows=windows).upper_bound, inst
        assert best <= cut_lp_bound(inst, windows=windows).upper_bound, inst
        # generating rows a few at a time ends at the same kind of proof
        assert best <= cut_lp_bound(inst, windows=windows, batch=1).upper_bound, inst


def test_lagrangian_certificates_hold_for_any_multipliers() -> None:
    # the bound is an exact evaluation of LP duality: any u >= 0 must give a valid bound,
    # however far from the LP optimum it is
    rng = random.Random(44)
    checked = 0
    for i in range(120):
        inst = random_tiny_instance(rng, rng.randint(2, 6), max_weight=3,
                                    zero_layers=i % 2 == 0)
        best = inst.total_weight - optimum(inst)
        windows = job_windows(inst)
        rows = energy_rows(inst, windows=windows)
        live = [bool(w.cuts) for w in windows]
        weights = [j.weight for j in inst.jobs]
        crows = cut_energy_rows(windows, extra_starts=False)
        flat = _cut_index(windows)
        flat_job = np.array([j for (j, _k) in sorted(flat, key=flat.__getitem__)],
                            dtype=np.int64)
        cut_rows = [(np.array([flat[int(j), int(k)] for j, k in zip(r.job, r.cut, strict=True)],
                              dtype=np.int64), r.coef, r.capacity) for r in crows]
        for _ in range(5):
            u = [Fraction(rng.randint(0, 4), rng.randint(1, 40)) for _ in rows]
            assert best <= lagrangian_bound(weights, live, rows, u), inst
            d = [rng.choice([0.0, -1.0, rng.random() / 10]) for _ in crows]
            if flat:
                assert best <= _cut_lagrangian(np.array(weights), flat_job, inst.num_jobs,
                                               cut_rows, d), inst
        checked += bool(rows) + bool(crows)
    assert checked > 20  # the rows exist often enough for the check to mean something


def test_lagrangian_bound_refuses_bad_multipliers() -> None:
    row = EnergyRow(0, 10, (1, 1), np.array([3], dtype=np.int64), 2)
    with pytest.raises(ValueError, match="multipliers: 0 values for 1 rows"):
        lagrangian_bound([1], [True], [row], [])
    with pytest.raises(ValueError, match=">= 0"):
        lagrangian_bound([1], [True], [row], [Fraction(-1)])
    # u = 1/3 on 3 y <= 2: 2/3 + max(0, 1 - 1) = 2/3, so no job fits (floor 0)
    assert lagrangian_bound([1], [True], [row], [Fraction(1, 3)]) == Fraction(2, 3)


def test_lp_bounds_hold_at_microsecond_scale() -> None:
    # coefficients of millions of microseconds, where floating-point LP duals are least
    # exact: the rational certificate must still never cut off the optimum
    rng = random.Random(45)
    for _ in range(60):
        inst = random_us_instance(rng, rng.randint(2, 6))
        best = inst.total_weight - optimum(inst)
        windows = job_windows(inst)
        rows = energy_rows(inst, windows=windows)
        assert best <= lp_bound(inst, rows, windows=windows).upper_bound, inst
        assert best <= cut_lp_bound(inst, windows=windows).upper_bound, inst
