"""A long dp-ls search: does a better schedule exist than the best known?

Usage (from the repository root)::

    PYTHONPATH=. python scripts/primal_probe.py FILE [FILE ...] --seconds 20 --seeds 3

Per instance and seed it runs dp-ls's phases (dp-edf, the other orders, the
local search) with no work limit and ``--seconds`` of wall clock and CPU
time, then its swap walk (no work limit, up to ``--seconds`` more), and
prints the weighted misses of both. A probe
for the reference library's open instances: when no seed finds a schedule
below the best known, the missing piece is more likely the bound than the
schedule (evidence, not a proof). One thread; the answer depends on the
machine's speed and load (state it with the numbers).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from splitsched.io import InputError, read_instance
from splitsched.solvers import heuristics


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", help="instance files")
    ap.add_argument("--seconds", type=float, default=20.0, help="per seed (> 0)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (>= 1)")
    args = ap.parse_args()
    if not (math.isfinite(args.seconds) and args.seconds > 0) or args.seeds < 1:
        ap.error("--seconds must be a positive number and --seeds >= 1")
    try:
        instances = [read_instance(Path(p)) for p in args.paths]
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    heuristics.BUDGET_S = heuristics.CPU_BUDGET_S = args.seconds
    heuristics.KICK_PATIENCE = 10**9  # only the clock ends the search
    for inst in instances:
        for seed in range(args.seeds):
            t0 = time.perf_counter()
            best, _budget, stats = heuristics.dp_ls_phases(inst, "probe", args.seconds, seed,
                                                          work=math.inf)
            walked, _ = heuristics.swap_phase(
                inst, "probe", best, heuristics.Budget(time.perf_counter() + args.seconds),
                stats, max_work=math.inf, rounds=heuristics.SWAP_ROUNDS)
            print(f"{inst.id} seed {seed}: local search {inst.total_weight - best.weight}, "
                  f"swap walk {inst.total_weight - walked.weight} weighted misses, "
                  f"{stats.get('ls_kicks')} kicks, {time.perf_counter() - t0:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
