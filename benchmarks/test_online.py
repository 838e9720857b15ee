"""Online decision latency (issue 11's target: ``replan:dp-edf`` median <= 1 ms and
p99 <= 10 ms per decision with up to 20 pending jobs).

Run with ``python -m pytest benchmarks/test_online.py --benchmark-only``.

* ``test_online_run``: whole online runs of ``replan:dp-edf`` (and the greedy
  ``edf-greedy-cut`` for scale) on the ``poisson-n20``, ``poisson-n40`` and
  ``periodic-n20`` sets; pytest-benchmark times the run, and ``extra_info``
  holds the per-decision latency summary (wall clock and thread CPU time,
  microseconds: count, median, p99, max) and the largest number of pending
  jobs seen at a decision.
* ``test_one_decision``: one ``replan:dp-edf`` decision from a fresh policy
  (no current plan, so the DP always runs) with N = 5, 10, 15, 20 pending
  jobs taken from a ``poisson-n40`` instance, all released now with their own
  relative deadlines, both processors idle: the worst case per N.
"""

from __future__ import annotations

from typing import Any

import pytest

from splitsched.io import read_instance
from splitsched.online import OnlineState, PolicyOptions, make_policy, run_online
from splitsched.online.metrics import latency_summary
from splitsched.problem import CPU, GPU, Instance, Job
from splitsched.sets import SETS_DIR, iter_set_files

SETS = ("poisson-n20", "poisson-n40", "periodic-n20")
INSTANCES = [read_instance(p) for s in SETS for p in iter_set_files(SETS_DIR / s)]
BUDGET = PolicyOptions(replan_budget_ms=50)


@pytest.mark.parametrize("policy", ["replan:dp-edf", "edf-greedy-cut"])
@pytest.mark.parametrize("inst", INSTANCES, ids=[i.id for i in INSTANCES])
def test_online_run(benchmark: Any, inst: Instance, policy: str) -> None:
    runs = []

    def once() -> None:
        runs.append(run_online(inst, make_policy(policy, BUDGET)))

    benchmark.pedantic(once, rounds=3, iterations=1, warmup_rounds=1)
    wall = [v for r in runs for v in r.latencies_us]
    cpu = [v for r in runs for v in r.cpu_latencies_us]
    benchmark.extra_info.update({
        "instance": inst.id, "policy": policy,
        "weighted_misses": runs[-1].evaluation.weighted_misses,
        "decision_wall_us": latency_summary(wall), "decision_cpu_us": latency_summary(cpu),
        "max_pending": max(d.pending + d.committed for r in runs for d in r.decisions),
    })
    assert runs[-1].evaluation.feasible


def _state(n: int) -> OnlineState:
    inst = next(i for i in INSTANCES if i.num_jobs >= 40)
    jobs = tuple(Job(j.id, j.network, 0, j.deadline - j.release, j.weight)
                 for j in inst.jobs[:n])
    return OnlineState(now=0, networks=inst.network_by_name, pending=jobs, committed=(),
                       running={GPU: None, CPU: None})


@pytest.mark.parametrize("n", [5, 10, 15, 20])
def test_one_decision(benchmark: Any, n: int) -> None:
    state = _state(n)

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        policy = make_policy("replan:dp-edf", BUDGET)
        policy.reset(0)
        return (policy,), {}

    decision = benchmark.pedantic(lambda p: p.decide(state), setup=setup, rounds=30,
                                  warmup_rounds=2)
    benchmark.extra_info["pending"] = n
    benchmark.extra_info["starts"] = len(decision.starts)
