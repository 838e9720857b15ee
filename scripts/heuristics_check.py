"""Per-instance gap of dp-edf and the DP heuristics to the reference sweep's best known.

Usage (from the repository root)::

    python scripts/heuristics_check.py [--solvers dp-edf,dp-orders,dp-ls]
        [--time-limit 1] [--sets batch-n5,...] [--json out.jsonl]

Reads the best known weighted misses per instance from
``results/reference/report/instances.csv`` (minimum over every run of the
reference sweep), solves every instance of the reference sets at one thread
with each solver through ``splitsched.solvers.base.solve`` (misses as
evaluated), and prints one line per instance: best known, each solver's
misses, gap and wall-clock seconds; then per solver how many instances reach
the best known (n <= 40 and n = 80 apart), the largest gap, and the largest
runtime. Timings are wall clock on whatever machine runs it: note its load.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from splitsched.io import read_instance
from splitsched.sets import SETS_DIR, iter_set_files
from splitsched.solve import solve

REFERENCE_SETS = ("batch-n5", "batch-n10", "batch-n20", "batch-n40", "batch-n80",
                  "poisson-n5", "poisson-n10", "poisson-n20", "poisson-n40", "poisson-n80",
                  "periodic-n20")
BEST_KNOWN = Path("results/reference/report/instances.csv")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solvers", default="dp-edf,dp-orders,dp-ls")
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--sets", default=",".join(REFERENCE_SETS))
    ap.add_argument("--json", type=Path, default=None, help="append one JSON line per run")
    args = ap.parse_args(argv)
    solvers = args.solvers.split(",")
    with BEST_KNOWN.open() as f:
        best = {r["instance_id"]: int(r["best_known"]) for r in csv.DictReader(f)}
    rows = []
    for name in args.sets.split(","):
        for path in iter_set_files(SETS_DIR / name):
            inst = read_instance(path)
            line = [f"{inst.id:34s} best {best.get(inst.id, '?')!s:>3}"]
            for s in solvers:
                res = solve(inst, s, time_limit_s=args.time_limit, threads=1)
                known = best.get(inst.id)
                gap = None if res.missed is None or known is None else res.missed - known
                rec = {"instance": inst.id, "n": inst.num_jobs, "solver": s, "status": res.status,
                       "missed": res.missed, "best_known": best.get(inst.id), "gap": gap,
                       "seconds": round(res.runtime_s, 4)}
                rows.append(rec)
                line.append(f"{s} {res.missed!s:>3} ({gap:+d}) {res.runtime_s:6.3f}s"
                            if gap is not None else f"{s} {res.missed} {res.status}")
                if args.json:
                    with args.json.open("a") as out:
                        out.write(json.dumps(rec) + "\n")
            print("  ".join(line), flush=True)
    print()
    for s in solvers:
        mine = [r for r in rows if r["solver"] == s and r["gap"] is not None]
        small = [r for r in mine if r["n"] <= 40]
        large = [r for r in mine if r["n"] > 40]
        print(f"{s:10s} best known reached: n<=40 {sum(r['gap'] <= 0 for r in small)}/{len(small)}"
              f", n=80 {sum(r['gap'] <= 0 for r in large)}/{len(large)}; "
              f"better than best known on {sum(r['gap'] < 0 for r in mine)}; "
              f"max gap {max((r['gap'] for r in mine), default=0)}; "
              f"max time {max((r['seconds'] for r in mine), default=0):.3f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
