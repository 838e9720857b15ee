"""dp-ls's local search at a fixed amount of work: the time its neighbour passes take.

The search (:func:`splitsched.solvers.heuristics._local_search`, from the
dp-edf / other-orders start computed outside the timing) stops after
``WORK`` labels, with no time cap, so every run does the same work and only
the speed varies; ``extra_info`` holds the answer (weighted misses) and the
neighbours scored, which must not change when only the speed does. Run
``python -m pytest benchmarks/test_local_search_speed.py --benchmark-only
--benchmark-timer time.process_time`` (CPU time: this VM's wall clock varied
by up to half between identical runs).

Measured 2026-11-29 on the 2-core machine (Python 3.11.7, numpy 2.4.6, numba
0.68.1), CPU time, median of 5 rounds, three runs alternating the two codes
(range of the three medians), load average about 1. Before: commit 5be94fc
(one compiled step call per job, from Python); after: commit 53b919a (the
pass in one compiled loop, ``heuristics._prefix_steps``). Same neighbours and
answers in every run:

=================================  ============  ============  ======  ==========
instance                           before        after         misses  neighbours
=================================  ============  ============  ======  ==========
v2-poisson-mi9-n80-l2-s2           288-420 ms    211-280 ms    5       1546
v2-poisson-redmi-n40-l3-s1-w       427-524 ms    223-315 ms    7       3037
v2-batch-huawei_mate_20-n80-l2-s3  258-311 ms    187-239 ms    3       85
=================================  ============  ============  ======  ==========

Commit 752f681 then made the suffix reach regions exact for every weight (a
weight below a position's tracked window had indexed the regions with a
negative offset): the pruning is a little weaker, so the same work scores
fewer neighbours. One run of this file at commit 03f9e24 (load average about
1): 350 ms, 4 misses, 1484 neighbours (mi9); 359 ms, 7, 2873 (redmi); 219 ms,
3, 85 (mate_20).
"""

from __future__ import annotations

from typing import Any

import pytest

from splitsched.io import read_instance
from splitsched.problem import Instance
from splitsched.sets import SETS_DIR
from splitsched.solvers import heuristics

WORK = 400_000
NAMES = (
    ("poisson-n80", "v2-poisson-mi9-n80-l2-s2"),
    ("ar-poisson-n40", "v2-poisson-redmi-n40-l3-s1-w"),
    ("batch-n80", "v2-batch-huawei_mate_20-n80-l2-s3"),
)
INSTANCES = [read_instance(SETS_DIR / "v2" / d / f"{n}.json") for d, n in NAMES]


@pytest.mark.parametrize("inst", INSTANCES, ids=[i.id for i in INSTANCES])
def test_local_search_fixed_work(benchmark: Any, inst: Instance,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(heuristics, "BUDGET_S", float("inf"))
    monkeypatch.setattr(heuristics, "CPU_BUDGET_S", float("inf"))
    # the start (dp-edf and the other orders) once, outside the timing
    start = heuristics.dp_ls_phases(inst, "bench", 1e9, 0, work=0)[0]
    stats: dict[str, object] = {}

    def run() -> heuristics.Candidate:
        stats.clear()
        return heuristics._local_search(inst, "bench", start, heuristics.UNLIMITED, stats, 0,
                                        WORK)

    best = benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    benchmark.extra_info.update(misses=inst.total_weight - best.weight,
                                neighbours=stats["ls_evaluated"], labels=stats["ls_labels"])
