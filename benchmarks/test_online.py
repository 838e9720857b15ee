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
  relative deadlines, both processors idle: the worst case per N. ``path``:
  ``fast`` (the default policy: DP inputs cached per network, no
  re-validation, :mod:`splitsched.online.dpinput`) or ``reference`` (the
  validated sub-instance and ``run_dp``; same decisions,
  ``tests/online/test_policies_fast.py``). ``extra_info["decision_cpu_us"]``
  is the thread CPU time per decision.

Figures (2 shared cores, load average 7 to 8 from other sessions, so wall
times include waiting for a core; CPU times are the steadier number; 3 runs of
the file before and after the fast path, alternated, 2 more after):

* Whole runs (18 instances): the median decision of a run, wall, was
  23-346 us before (median over runs 127-143 us), 23-213 us after (75-82 us);
  the per-run p99, CPU time, median over runs 522-780 us before, 406-586 us
  after (wall p99 4.6 to 12.7 ms under this load, both before and after).
  Most decisions keep the current plan without running the DP; a DP call in
  a run has 2 jobs at the median, where ``run_dp``'s Python set-up took about
  85 % of the call and the cached inputs cut the call 2.5 to 3 times.
* Fresh decision, CPU median per decision, fast vs reference in the same run:
  N=5 0.48 vs 0.70 ms; N=10 2.7-2.8 vs 3.3 ms; N=15 5.2 vs 5.8-7.4 ms;
  N=20 7.1-9.4 vs 8.6-10.8 ms (wall medians under the load: N=5 0.48 ms,
  N=20 14 to 29 ms). From N=10 on, the compiled DP step itself takes about
  90 % of a fresh decision: at N=20 the exact pass (lower bound 0, no
  current plan) builds about 9,800 labels (up to 1,200 per job) over 23 cuts
  per job, about 225,000 candidates; the target's median holds over runs,
  but a fresh 20-job decision stays several ms until the DP step itself
  (``solvers/dp_kernel.py``) gets faster.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from splitsched.io import read_instance
from splitsched.online import OnlineState, PolicyOptions, make_policy, run_online
from splitsched.online.metrics import latency_summary
from splitsched.online.policies import ReplanPolicy
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


@pytest.mark.parametrize("path", ["fast", "reference"])
@pytest.mark.parametrize("n", [5, 10, 15, 20])
def test_one_decision(benchmark: Any, n: int, path: str) -> None:
    state = _state(n)

    def setup() -> tuple[tuple[Any, ...], dict[str, Any]]:
        policy = ReplanPolicy("dp-edf", BUDGET.replan_budget_ms, fast=path == "fast")
        policy.reset(0)
        return (policy,), {}

    cpu_us: list[float] = []

    def decide(policy: ReplanPolicy) -> Any:
        c0 = time.thread_time_ns()
        out = policy.decide(state)
        cpu_us.append((time.thread_time_ns() - c0) / 1000.0)
        return out

    decision = benchmark.pedantic(decide, setup=setup, rounds=30, warmup_rounds=2)
    benchmark.extra_info["decision_cpu_us"] = latency_summary(cpu_us[2:])
    benchmark.extra_info["pending"] = n
    benchmark.extra_info["path"] = path
    benchmark.extra_info["starts"] = len(decision.starts)
