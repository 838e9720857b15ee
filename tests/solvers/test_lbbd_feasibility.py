"""``lbbd``'s subproblem with the exact branch and bound of ``solvers/feasibility.py``."""

from __future__ import annotations

import random
import time

import pytest

from splitsched.evaluate import evaluate
from splitsched.formulations import job_windows
from splitsched.problem import Instance
from splitsched.solve import solve
from splitsched.solvers import lbbd
from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum


def _sub(inst: Instance, jobs: tuple[int, ...]) -> Instance:
    return Instance(id="sub", networks=inst.networks, jobs=tuple(inst.jobs[j] for j in jobs))


def test_bb_check_answers_are_proofs() -> None:
    # Every answer of the branch-and-bound step of the subproblem against the oracle on
    # that set alone: a schedule keeps all on time, "infeasible" names a set that is.
    rng = random.Random(61)
    seen = {"feasible": 0, "infeasible": 0, "unknown": 0}
    for i in range(150):
        inst = random_tiny_instance(rng, rng.randint(2, 6), with_release=i % 2 == 0,
                                    zero_layers=i % 3 == 0)
        live = [w.index for w in job_windows(inst) if w.cuts]
        if not live:
            continue
        jobs = tuple(sorted(rng.sample(live, rng.randint(1, len(live)))))
        st = lbbd._State(inst, job_windows(inst), time.perf_counter() + 30, 0, 1)
        ans = lbbd._bb_check(st, jobs, 20.0)
        seen[ans.status] += 1
        if ans.status == "infeasible":
            assert set(ans.subset) <= set(jobs)
            assert optimum(_sub(inst, ans.subset)) > 0, (ans.subset, inst)
        elif ans.status == "feasible":
            assert ans.schedule is not None
            ev = evaluate(inst, ans.schedule)
            assert ev.feasible and all(ev.on_time[inst.jobs[j].id] for j in jobs)
    assert seen["feasible"] >= 20 and seen["infeasible"] >= 10, seen


def test_lbbd_with_the_branch_and_bound_on_every_block_matches_the_oracle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lbbd, "BB_MAX_JOBS", 1 << 30)
    rng = random.Random(62)
    used = 0
    for i in range(40):
        inst = random_tiny_instance(rng, rng.randint(2, 5), max_weight=3,
                                    with_release=i % 4 != 0, zero_layers=i % 3 == 0)
        opt = optimum(inst)
        res = solve(inst, "lbbd", time_limit_s=20, seed=0, threads=1)
        assert res.status == "optimal", (res.status, res.stats, inst)
        assert res.missed == opt and res.bound == opt, inst
        used += int(res.stats.get("sub_bb_calls", 0))
    assert used >= 5  # the branch and bound really answered subproblems here


def test_lbbd_with_the_same_release_dp_matches_the_oracle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The subset DP step (off by default) switched on and run before the branch and
    # bound decides anything: every release 0, so every block qualifies.
    monkeypatch.setattr(lbbd, "SAME_RELEASE_DP", True)
    monkeypatch.setattr(lbbd, "BB_MAX_JOBS", 0)
    rng = random.Random(63)
    used = 0
    for i in range(40):
        inst = random_tiny_instance(rng, rng.randint(2, 6), max_weight=3,
                                    with_release=False, zero_layers=i % 3 == 0)
        opt = optimum(inst)
        res = solve(inst, "lbbd", time_limit_s=20, seed=0, threads=1)
        assert res.status == "optimal", (res.status, res.stats, inst)
        assert res.missed == opt and res.bound == opt, inst
        used += int(res.stats.get("sub_sr_infeasible", 0))
    assert used >= 5  # the DP really refuted subproblems here
