"""Per-instance gap of dp-edf and the DP heuristics to the best known weighted misses.

Usage (from the repository root)::

    python scripts/heuristics_check.py [--solvers dp-edf,dp-orders,dp-ls]
        [--time-limit 1] [--library v1|v2|all] [--sets batch-n5,...]
        [--instances ID,...] [--seed 0] [--wall-cap S] [--json out.jsonl]
    python scripts/heuristics_check.py --summary out.jsonl [--solvers ...]

Best known weighted misses per instance: for the v1 reference sets
``results/reference/report/instances.csv`` (minimum over every run of the
reference sweep), for the v2 library ``results/reference/v2/instances.csv``
(``scripts/library_table.py``'s table: the fewest any run reached). Solves
every instance of the chosen sets at one thread with each solver through
``splitsched.solve.solve`` (misses as evaluated), and prints one line per
instance: best known, each solver's misses, gap and wall-clock seconds; then
per solver and per set how many instances reach the best known, and overall
(n <= 40 and n >= 80 apart) the count, the largest gap and the largest
runtime (wall clock, and CPU seconds of the process, which include the harness's
warm start); and per library (v1, v2) and n-class the count reached, the
instances one and two or more weighted misses above, and the median and
largest CPU seconds. ``--summary`` prints that summary again from a ``--json``
file. Timings are wall clock on whatever machine runs it: note its load;
``--wall-cap`` lifts the heuristics' 1 s wall-clock cap so that only their
work limits and their 1 s CPU-time cap stop them (about what they reach on a
quiet machine in 1 s; dp-edf inside them still runs under the wall-clock
``--time-limit``).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from splitsched.io import read_instance
from splitsched.sets import SETS_DIR, iter_set_files
from splitsched.solve import solve
from splitsched.solvers import heuristics

V1_SETS = ("batch-n5", "batch-n10", "batch-n20", "batch-n40", "batch-n80",
           "poisson-n5", "poisson-n10", "poisson-n20", "poisson-n40", "poisson-n80",
           "periodic-n20")
V2_SETS = tuple(f"v2/{p.name}" for p in sorted((SETS_DIR / "v2").iterdir()) if p.is_dir())
BEST_KNOWN_V1 = Path("results/reference/report/instances.csv")
BEST_KNOWN_V2 = Path("results/reference/v2/instances.csv")


def best_known() -> dict[str, int]:
    """Best known weighted misses per instance id, v1 and v2 tables together."""
    best: dict[str, int] = {}
    with BEST_KNOWN_V1.open() as f:
        best.update({r["instance_id"]: int(r["best_known"]) for r in csv.DictReader(f)})
    with BEST_KNOWN_V2.open() as f:
        best.update({r["instance"]: int(r["best_known"]) for r in csv.DictReader(f)
                     if r["best_known"] != ""})
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--solvers", default="dp-edf,dp-orders,dp-ls")
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--library", choices=("v1", "v2", "all"), default="v1")
    ap.add_argument("--sets", default=None, help="comma-separated set names (overrides --library)")
    ap.add_argument("--instances", default=None, help="comma-separated instance ids only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--wall-cap", type=float, default=None,
                    help="raise the heuristics' wall-clock cap (heuristics.BUDGET_S, 1 s) to this "
                         "many seconds, so that their work limits and their 1 s CPU-time cap "
                         "(heuristics.CPU_BUDGET_S) decide (a loaded machine; give --time-limit "
                         "as much, or the limit caps them)")
    ap.add_argument("--json", type=Path, default=None, help="append one JSON line per run")
    ap.add_argument("--summary", type=Path, default=None,
                    help="only print the summary of the JSON lines of an earlier --json run")
    args = ap.parse_args(argv)
    solvers = args.solvers.split(",")
    if args.summary is not None:
        with args.summary.open() as f:
            summarise([json.loads(line) for line in f if line.strip()], solvers)
        return 0
    if args.sets:
        sets = args.sets.split(",")
    else:
        sets = list({"v1": V1_SETS, "v2": V2_SETS, "all": V1_SETS + V2_SETS}[args.library])
    only = set(args.instances.split(",")) if args.instances else None
    if args.wall_cap is not None:
        heuristics.BUDGET_S = args.wall_cap
    best = best_known()
    loaded = [(name, read_instance(path)) for name in sets
              for path in iter_set_files(SETS_DIR / name)]
    if only is not None:
        missing = only - {inst.id for _name, inst in loaded}
        if missing:
            print(f"error: --instances: not in the selected sets ({', '.join(sets)}): "
                  f"{', '.join(sorted(missing))} (--library v2 or all for the v2 ids)",
                  file=sys.stderr)
            return 2
    rows = []
    for name, inst in loaded:
        if only is None or inst.id in only:
            line = [f"{inst.id:36s} best {best.get(inst.id, '?')!s:>3}"]
            for s in solvers:
                cpu0 = time.process_time()
                res = solve(inst, s, time_limit_s=args.time_limit, threads=1, seed=args.seed)
                cpu = time.process_time() - cpu0  # with the harness's warm start and checks
                known = best.get(inst.id)
                gap = None if res.missed is None or known is None else res.missed - known
                rec = {"set": name, "instance": inst.id, "n": inst.num_jobs, "solver": s,
                       "status": res.status, "missed": res.missed, "best_known": known,
                       "gap": gap, "seconds": round(res.runtime_s, 4), "cpu_s": round(cpu, 4)}
                rows.append(rec)
                line.append(f"{s} {res.missed!s:>3} ({gap:+d}) {res.runtime_s:6.3f}s cpu {cpu:5.2f}"
                            if gap is not None else f"{s} {res.missed} {res.status}")
                if args.json:
                    with args.json.open("a") as out:
                        out.write(json.dumps(rec) + "\n")
            print("  ".join(line), flush=True)
    summarise(rows, solvers)
    return 0


def summarise(rows: list[dict[str, Any]], solvers: list[str]) -> None:
    """Per solver: best known reached per set, overall, and per library and n-class."""
    print()
    for s in solvers:
        mine = [r for r in rows if r["solver"] == s and r["gap"] is not None]
        per_set: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in mine:
            per_set[r["set"]][0] += r["gap"] <= 0
            per_set[r["set"]][1] += 1
        print(f"{s}: " + ", ".join(f"{k} {v[0]}/{v[1]}" for k, v in per_set.items()))
        small = [r for r in mine if r["n"] <= 40]
        large = [r for r in mine if r["n"] > 40]
        print(f"{s:10s} best known reached: n<=40 {sum(r['gap'] <= 0 for r in small)}/{len(small)}"
              f", n>=80 {sum(r['gap'] <= 0 for r in large)}/{len(large)}; "
              f"better than best known on {sum(r['gap'] < 0 for r in mine)}; "
              f"max gap {max((r['gap'] for r in mine), default=0)}; "
              f"max time {max((r['seconds'] for r in mine), default=0):.3f}s, "
              f"max cpu {max((r['cpu_s'] for r in mine), default=0):.3f}s")
        for lib in ("v1", "v2"):
            for label, test in (("n<=40", lambda n: n <= 40), ("n>=80", lambda n: n > 40)):
                part = [r for r in mine if r["set"].startswith("v2/") == (lib == "v2")
                        and test(r["n"])]
                if not part:
                    continue
                cpus = sorted(r["cpu_s"] for r in part)
                print(f"{'':10s} {lib} {label}: best known {sum(r['gap'] <= 0 for r in part)}"
                      f"/{len(part)}, gap +1 {sum(r['gap'] == 1 for r in part)}, gap >= +2 "
                      f"{sum(r['gap'] >= 2 for r in part)}; cpu median "
                      f"{cpus[len(cpus) // 2]:.3f}s max {cpus[-1]:.3f}s")


if __name__ == "__main__":
    sys.exit(main())
