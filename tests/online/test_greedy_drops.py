"""The greedy rules that leave hopeless jobs out drop them for good.

Found by hostile input: ``splitsched online`` on 10,000 poisson jobs at load 3
with ``edf-greedy-cut`` did not finish in 400 s (1,000 jobs: 106 s, median
decision 68 ms), because jobs that could no longer end on time stayed pending
and every decision's list schedule, quadratic in the pending jobs, scanned
them (96 % of the pending jobs over 400 such jobs). A job that cannot end on
time even alone from now never will, and with ``drop_late`` the list schedule
leaves it out anyway: dropping it changes no start. Facts checked: the same
realized schedule as the rule that keeps such jobs pending, on set instances
and on an overloaded one; every dropped job could not fit alone when dropped.
"""

from __future__ import annotations

import pytest

from splitsched.generate import generate
from splitsched.io import read_instance
from splitsched.online import OnlineState, run_online
from splitsched.online.plan import dispatch
from splitsched.online.policies import GREEDY_RULES, GreedyPolicy, fits_alone, list_plan
from splitsched.online.state import Decision
from splitsched.problem import Instance
from splitsched.sets import SETS_DIR, iter_set_files


class _KeepsPending(GreedyPolicy):
    """The rule as it was: hopeless jobs left out of the plan but kept pending."""

    def decide(self, state: OnlineState) -> Decision:
        return dispatch(list_plan(state, self._priority, self._choices, self._drop_late), state)


class _Checked(GreedyPolicy):
    """Records whether every job it drops could not fit alone at the time."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.bad_drops: list[str] = []
        self.drops = 0

    def decide(self, state: OnlineState) -> Decision:
        decision = super().decide(state)
        by_id = state.pending_by_id
        self.bad_drops += [j for j in decision.drops if fits_alone(state, by_id[j])]
        self.drops += len(decision.drops)
        return decision


def _instances() -> list[Instance]:
    files = [p for name in ("poisson-n20", "periodic-n20", "batch-n20")
             for p in list(iter_set_files(SETS_DIR / name))[:2]]
    overloaded = generate("mi9", scenario="poisson", jobs=150, load=3, seed=1)
    return [read_instance(p) for p in files] + [overloaded]


DROPPING = [name for name, rule in GREEDY_RULES.items() if rule[2]]


@pytest.mark.parametrize("rule", DROPPING)
def test_dropping_hopeless_jobs_changes_no_start(rule: str) -> None:
    dropped = 0
    for inst in _instances():
        policy = _Checked(rule)
        new = run_online(inst, policy)
        old = run_online(inst, _KeepsPending(rule))
        assert new.schedule.plans == old.schedule.plans, inst.id
        assert new.evaluation.weighted_misses == old.evaluation.weighted_misses
        assert policy.bad_drops == []
        dropped += policy.drops
        assert max(d.pending for d in new.decisions) <= max(d.pending for d in old.decisions)
    assert dropped > 0  # the overloaded instance has hopeless jobs
