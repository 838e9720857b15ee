"""Online mode: jobs revealed at their release, decided as they come.

:func:`run_online` runs a :class:`Policy` event by event on an instance
(optionally under drawn noise, :func:`realized_instance`) and returns the
realized schedule, its evaluation and the log of decisions; :mod:`.policies`
holds the built-in policies (greedy rules online, ``replan:<solver>``);
:mod:`.metrics` the comparators (offline best, static replay) and latency
summaries; :mod:`.sweep` runs policies over a set with durable records.
"""

from splitsched.online.draws import realized_instance
from splitsched.online.engine import DecisionRecord, OnlineRun, run_online
from splitsched.online.policies import (
    FixedPlanPolicy,
    PolicyOptions,
    UnknownPolicyError,
    make_policy,
    policy_summaries,
    register_policy,
)
from splitsched.online.state import Committed, Decision, OnlineState, Policy, PolicyError, Start

__all__ = ["Committed", "Decision", "DecisionRecord", "FixedPlanPolicy", "OnlineRun",
           "OnlineState", "Policy", "PolicyError", "PolicyOptions", "Start",
           "UnknownPolicyError", "make_policy", "policy_summaries", "realized_instance",
           "register_policy", "run_online"]
