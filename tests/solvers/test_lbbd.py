"""``lbbd`` (logic-based Benders) against the brute-force oracle."""

from __future__ import annotations

import random
import time

from splitsched.evaluate import evaluate
from splitsched.formulations import job_windows
from splitsched.problem import Instance, Job
from splitsched.solve import solve
from splitsched.solvers.lbbd import (
    _blocks,
    _check,
    _core,
    _cp_check,
    _edf_all_on_time,
    _State,
)
from tests.helpers.builders import chain_network, edf_counterexample, random_tiny_instance
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


def test_set_check_agrees_with_brute_force_and_never_calls_a_feasible_set_infeasible() -> None:
    # The subproblem's answer for a fixed accepted set (every job on time), with its
    # blocks, symmetry rows and energetic rows, against the oracle on that set alone.
    # All releases at 0 in half the cases, so that interchangeable jobs (same network,
    # same release) are common and the symmetry rows are exercised.
    rng = random.Random(54)
    seen = {"feasible": 0, "infeasible": 0}
    for i in range(200):
        inst = random_tiny_instance(rng, rng.randint(3, 5), with_release=i % 2 == 0,
                                    zero_layers=i % 3 == 0)
        st = _State(inst, job_windows(inst), time.perf_counter() + 30, 0, 1)
        live = [w.index for w in job_windows(inst) if w.cuts]
        if not live:
            continue
        size = len(live) if i % 3 else rng.randint(1, len(live))  # mostly the whole set
        subset = tuple(sorted(rng.sample(live, size)))
        ans = _check(st, subset, 20.0)
        truth = optimum(_sub(inst, subset))
        assert ans.status != "unknown", inst
        seen[ans.status] += 1
        if ans.status == "infeasible":
            assert truth > 0, (subset, inst)
            assert set(ans.subset) <= set(subset)
            assert optimum(_sub(inst, ans.subset)) > 0, (ans.subset, inst)
        else:
            assert truth == 0, (subset, inst)
            assert ans.schedule is not None
            ev = evaluate(inst, ans.schedule)
            assert ev.feasible and all(ev.on_time[inst.jobs[j].id] for j in subset)
    assert seen["feasible"] >= 20 and seen["infeasible"] >= 20, seen


def test_symmetry_rows_keep_interchangeable_jobs_feasible() -> None:
    # Three copies of one network released together, due at 12, 8 and 4: only the
    # order of completions by deadline (4, 8, 12) meets all three. The symmetry rows
    # order completions by deadline, so the set must still be found feasible.
    net = chain_network("n", gpu=(4,), cpu=(50,))
    jobs = (Job("late", "n", 0, 12), Job("mid", "n", 0, 8), Job("early", "n", 0, 4))
    inst = Instance(id="three-copies", networks=(net,), jobs=jobs)
    st = _State(inst, job_windows(inst), time.perf_counter() + 30, 0, 1)
    assert _edf_all_on_time(st, (0, 1, 2)) is not None  # EDF finds it too
    ans = _cp_check(st, (0, 1, 2), 10.0)
    assert ans.status == "feasible" and ans.schedule is not None
    ev = evaluate(inst, ans.schedule)
    assert ev.feasible and ev.weighted_misses == 0


def test_blocks_split_only_where_no_window_crosses() -> None:
    net = chain_network("n", gpu=(4,), cpu=(50,))
    jobs = (Job("a", "n", 0, 10), Job("b", "n", 5, 20), Job("c", "n", 20, 30),
            Job("d", "n", 25, 26), Job("e", "n", 40, 50))
    inst = Instance(id="blocks", networks=(net,), jobs=jobs)
    st = _State(inst, job_windows(inst), time.perf_counter() + 30, 0, 1)
    assert _blocks(st, (0, 1, 2, 3, 4)) == [(0, 1), (2, 3), (4,)]
    assert _blocks(st, (0, 4)) == [(0,), (4,)]
