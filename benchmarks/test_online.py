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
  ``fast`` (the default policy: ``run_dp`` with per-job inputs cached per
  network, ``dpinput.prepare_cached``, and no re-validation,
  :mod:`splitsched.online.dpinput`) or ``reference`` (the validated
  sub-instance and ``run_dp`` with ``prepare``; same decisions,
  ``tests/online/test_policies_fast.py``). ``extra_info["decision_cpu_us"]``
  is the thread CPU time per decision.

Figures (2 shared cores, load average 5.8 to 7.4 from other sessions, so wall
times include waiting for a core and CPU times vary by up to 1.5x between runs
of the same code; CPU times are still the steadier number). The fast path
first had its own copy of ``run_dp``'s driver loop (``run_dp_cached``); it now
calls ``run_dp`` with ``prepared=``. Runs alternated, 2 before, 6 after:

* Fresh decision, CPU median per decision, fast path: N=5 0.54-0.83 ms before,
  0.66-0.88 after; N=10 2.8-4.3 vs 2.5-4.3; N=15 5.3-7.2 vs 5.1-7.8; N=20
  6.9-9.9 vs 6.7-10.0 ms (reference path in the same runs: N=20 7.2-11.6 ms).
  Interleaved in one process (old loop vs ``run_dp`` + ``prepare_cached``, same
  answers): 2 jobs 67 vs 79 us median, 5 jobs 663 vs 674 us, 20 jobs 9.1 vs
  9.1 ms: the shared driver costs about 10 us per call (its label and
  back-pointer records), nothing measurable from 5 jobs on. From N=10 on the
  compiled DP step takes about 90 % of a fresh decision: at N=20 the exact
  pass (lower bound 0, no current plan) builds about 9,800 labels (up to
  1,200 per job) over 23 cuts per job, about 225,000 candidates.
* Whole runs (18 instances, 3 runs each way): the median decision of a run,
  wall, 25-272 us before (median over runs 82-109 us), 25-364 us after
  (88-93 us); per-run p99, CPU time, median over runs 493-657 us before,
  461-674 us after. Most decisions keep the current plan without running the
  DP; a DP call in a run has 2 jobs at the median.
* dp-edf's reach search (beam pass, then ``solvers.dp._exact_within_edf``
  from its incumbent) instead of the one exact pass, for fresh decisions:
  over 180 states (windows of 10, 15, 20 jobs, every 5th start, of the
  ``poisson-n40``, ``poisson-n20`` and ``periodic-n20`` instances; interleaved,
  min of 3 per state) it gave the same weight and makespan in every state,
  and was slower: with the default settings 1.7-2.0x per state in the median
  (worst 4.8x); with no guided rounds and 32-1,024 corners per region 1.03-1.11x
  in the median, worst 2.5-3.1x, p90 at N=20 17.6 vs 8.1 ms (the plain pass's
  median there 6.3 ms). On this file's one state per N that cheap variant
  happened to be faster (N=20 4.1-5.1 vs 6.7-9.6 ms, 2 runs), which the wider
  sample does not bear out. So the online path keeps the one exact pass.
  Issue 11's median target holds over runs; a fresh 20-job decision stays
  several ms (over the 1 ms median, under the 10 ms p99 only when the machine
  is quiet) until the DP step itself (``solvers/dp_kernel.py``) gets faster.
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
