"""``lbbd`` (logic-based Benders) against the brute-force oracle."""

from __future__ import annotations

import random
import time

from splitsched.formulations import job_windows
from splitsched.problem import Instance
from splitsched.solve import solve
from splitsched.solvers.lbbd import _core, _State
from tests.helpers.builders import edf_counterexample, random_tiny_instance
from tests.helpers.oracle import optimum


def _sub(inst: Instance, jobs: tuple[int, ...]) -> Instance:
    return Instance(id="sub", networks=inst.networks, jobs=tuple(inst.jobs[j] for j in jobs))


def test_lbbd_matches_the_oracle_on_tiny_instances() -> None:
    rng = random.Random(51)
    for i in range(80):
        inst = random_tiny_instance(rng, rng.randint(1, 5), max_weight=3,
                                    with_release=i % 4 != 0, zero_layers=i % 3 == 0)
        opt = optimum(inst)
        res = solve(inst, "lbbd", time_limit_s=20, seed=0, threads=1)
        assert res.status == "optimal", (res.status, res.stats, inst)
        assert res.missed == opt, inst
        assert res.bound is not None and res.bound == opt, inst


def test_lbbd_never_claims_more_than_it_proves_under_a_short_limit() -> None:
    rng = random.Random(52)
    for _ in range(40):
        inst = random_tiny_instance(rng, 5, max_weight=3)
        opt = optimum(inst)
        res = solve(inst, "lbbd", time_limit_s=0.05, seed=1, threads=1)
        assert res.status in ("optimal", "timeout", "feasible"), res.stats
        assert res.missed is not None and res.missed >= opt
        if res.status == "optimal":
            assert res.missed == opt
        assert res.bound is not None and res.bound <= opt, (res.bound, opt, inst)


def test_cores_are_infeasible_sets() -> None:
    # A core must be a set of jobs that cannot all be on time (the oracle's optimum
    # on those jobs alone is a miss): that is what makes the Benders cut valid.
    rng = random.Random(53)
    checked = 0
    for i in range(120):
        inst = random_tiny_instance(rng, 5, max_weight=1, zero_layers=i % 2 == 0)
        live = tuple(w.index for w in job_windows(inst) if w.cuts)
        if not live or optimum(_sub(inst, live)) == 0:
            continue
        st = _State(inst, job_windows(inst), time.perf_counter() + 20, 0, 1)
        core = _core(st, live)
        assert set(core) <= set(live)
        assert optimum(_sub(inst, core)) > 0, (core, inst)
        checked += 1
    assert checked >= 20


def test_lbbd_leaves_edf_order_when_it_must() -> None:
    res = solve(edf_counterexample(), "lbbd", time_limit_s=10)
    assert res.status == "optimal" and res.missed == 0
