"""A re-planning budget too small for the solver still gives a plan.

Found by hostile input (``splitsched online --replan-budget-ms 0.01`` on 25 jobs
released at once): ``replan:dp-edf``'s first decision ran out of budget inside
its beam pass, proposed a plan that accepted nothing, started nothing, and with
no event to come the run ended with all 25 jobs missed (the same with
``replan:cpsat``, ``replan:lns-cpsat``, ``replan:dp-ls``). Facts checked here:
with the deadline already passed, :func:`dp_edf_search` returns the beam pass's
answer (a real EDF-order schedule, its weight); with no noise an online run then
puts at least that weight on time (the policy adopts a plan only when its
exact prediction is better); a solver that fails or returns nothing is replaced
by that beam plan.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from splitsched.io import read_instance
from splitsched.online import run_online
from splitsched.online.policies import SEARCH_BEAM, ReplanPolicy, dp_edf_search
from splitsched.problem import Instance, edf_key
from splitsched.sets import SETS_DIR, iter_set_files
from splitsched.solvers.base import SolverOutput
from splitsched.solvers.dp import prepare, run_dp


def _batch(count: int) -> list[Instance]:
    """batch-n20 instances: 20 jobs, all released at 0 (a fresh decision over 20 jobs)."""
    return [read_instance(p) for p in list(iter_set_files(SETS_DIR / "batch-n20"))[:count]]


def _beam_weight(inst: Instance) -> int:
    jobs = sorted(inst.jobs, key=edf_key)
    return run_dp(inst, jobs, beam=SEARCH_BEAM, free=(0, 0),
                  prepared=prepare(inst, jobs)).accepted_weight


def _on_time_weight(inst: Instance, run: Any) -> int:
    return sum(j.weight for j in inst.jobs) - run.evaluation.weighted_misses


@pytest.mark.parametrize("inst", _batch(3), ids=lambda i: i.id)
def test_dp_edf_search_past_its_deadline_returns_the_beam_answer(inst: Instance) -> None:
    jobs = sorted(inst.jobs, key=edf_key)
    prep = prepare(inst, jobs)
    run, complete = dp_edf_search(inst, jobs, prep, (0, 0), 0, deadline=0.0)
    assert not complete
    assert run.accepted_weight == _beam_weight(inst) > 0


@pytest.mark.parametrize("inst", _batch(3), ids=lambda i: i.id)
def test_replan_dp_edf_with_a_tiny_budget_still_schedules(inst: Instance) -> None:
    policy = ReplanPolicy("dp-edf", 1e-6)  # 1 ns: every exact pass runs out at once
    run = run_online(inst, policy)
    assert run.evaluation.feasible
    assert _on_time_weight(inst, run) >= _beam_weight(inst) > 0


def _failing(*_: Any, **__: Any) -> SolverOutput:
    raise RuntimeError("out of budget")


def _empty(instance: Instance, **_: Any) -> SolverOutput:
    return SolverOutput(schedule=None, status="timeout")


@pytest.mark.parametrize("fn", [_failing, _empty], ids=["raises", "no schedule"])
def test_a_solver_that_gives_nothing_falls_back_to_the_beam_plan(fn: Any) -> None:
    inst = _batch(1)[0]
    policy = ReplanPolicy("edf-gpu", 50.0)
    policy.info = dataclasses.replace(policy.info, fn=fn)
    run = run_online(inst, policy)
    assert run.evaluation.feasible
    assert _on_time_weight(inst, run) >= _beam_weight(inst) > 0
    assert run.policy_stats["fallbacks"] >= 1 and run.policy_stats["adopted"] == 0
