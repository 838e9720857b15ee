"""A long dp-ls search: does a better schedule exist than the best known?

Usage (from the repository root)::

    PYTHONPATH=. python scripts/primal_probe.py FILE [FILE ...] --seconds 20 --seeds 3
        [--lns-dtime 250]

Per instance and seed it runs dp-ls's phases (dp-edf, the other orders, the
local search) with no work limit and ``--seconds`` of wall clock and CPU
time, then its swap walk (no work limit, up to ``--seconds`` more), and
prints the weighted misses of both. With ``--lns-dtime D`` it then runs
lns-cpsat's window search from the walk's schedule (processors in different
orders; :mod:`splitsched.solvers.lns`) with larger windows than the solver's
(:data:`LNS_SIZES` jobs, :data:`LNS_SUB_DTIME` deterministic seconds each,
fixed jobs within two window widths free to move) until D deterministic
seconds are spent or no window improves. A probe
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
from splitsched.solvers import heuristics, lns

LNS_SIZES = (1, 4, 8, 12, 16, 24)  # window sizes (jobs), tried in turn while nothing improves
LNS_SUB_DTIME = 3.0  # CP-SAT deterministic seconds per window


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", help="instance files")
    ap.add_argument("--seconds", type=float, default=20.0, help="per seed (> 0)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (>= 1)")
    ap.add_argument("--lns-dtime", type=float, default=0.0,
                    help="then the window search for up to this many CP-SAT deterministic "
                         "seconds (0: none)")
    args = ap.parse_args()
    if not (math.isfinite(args.seconds) and args.seconds > 0) or args.seeds < 1:
        ap.error("--seconds must be a positive number and --seeds >= 1")
    if not (math.isfinite(args.lns_dtime) and args.lns_dtime >= 0):
        ap.error("--lns-dtime must be a finite number >= 0")
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
            line = (f"{inst.id} seed {seed}: local search {inst.total_weight - best.weight}, "
                    f"swap walk {inst.total_weight - walked.weight}")
            if args.lns_dtime > 0:
                lns.SIZES, lns.SUB_DTIME, lns.MOVE = LNS_SIZES, LNS_SUB_DTIME, 2
                lns.DTIME_BUDGET = args.lns_dtime
                walked = lns.lns(inst, walked, seed, stats)
                line += (f", window search {inst.total_weight - walked.weight} "
                         f"({stats['lns_subproblems']} windows, {stats['lns_dtime']} "
                         "deterministic s)")
            print(f"{line} weighted misses, {stats.get('ls_kicks')} kicks, "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
