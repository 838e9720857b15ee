"""Side by side: exact solvers' time to certify and final gap on the same instances.

Usage (from the repository root)::

    python scripts/certify_compare.py splitsched/data/sets/demo --time-limit 5 --threads 1
    python scripts/certify_compare.py splitsched/data/sets/batch-n20 \\
        splitsched/data/sets/poisson-n20 --solvers lbbd,cpsat --time-limit 60 --threads 2 \\
        --markdown out.md --csv out.csv

Each (instance, solver) runs once, in this process, one after another, through
:func:`splitsched.solvers.base.solve` (so every answer is re-evaluated and its
runtime is measured around the solver call only). Per run it prints the
status, the weighted misses, the proven bound, the time to certify (the
runtime when the status is ``optimal``, else ``-``) and the gap (misses minus
bound). A summary per solver gives how many were certified, the median and
maximum time to certify and the sum of the final gaps. Timings depend on the
machine's load: state it with the numbers.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
from pathlib import Path

from splitsched.io import read_instance
from splitsched.solve import solve
from splitsched.solvers.base import get_solver


def _instance_files(paths: list[str]) -> list[Path]:
    files: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            files.extend(sorted(f for f in p.glob("*.json") if f.name != "manifest.json"))
        elif p.is_file():
            files.append(p)
        else:
            raise SystemExit(f"error: {p}: no such file or directory")
    return files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", help="instance files or set directories")
    ap.add_argument("--solvers", default="lbbd,cpsat")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--csv", help="write the per-run rows to this CSV file")
    ap.add_argument("--markdown", help="write the per-run table and the summary as markdown")
    args = ap.parse_args(argv)
    if args.time_limit <= 0:
        raise SystemExit("error: --time-limit must be > 0")
    solvers = [s.strip() for s in args.solvers.split(",") if s.strip()]
    for name in solvers:
        get_solver(name)  # unknown names fail here; imports happen before any timing
    rows = []
    for f in _instance_files(args.paths):
        inst = read_instance(f)
        for name in solvers:
            res = solve(inst, name, time_limit_s=args.time_limit, seed=args.seed,
                        threads=args.threads)
            gap = (res.missed - res.bound) if res.missed is not None and res.bound is not None \
                else None
            row = {"instance": inst.id, "n": inst.num_jobs, "solver": name,
                   "status": res.status, "misses": res.missed, "bound": res.bound,
                   "runtime_s": round(res.runtime_s, 3),
                   "certify_s": round(res.runtime_s, 3) if res.status == "optimal" else None,
                   "gap": gap}
            rows.append(row)
            print(f"{inst.id:40s} n={inst.num_jobs:3d} {name:10s} {res.status:8s} "
                  f"misses={res.missed} bound={res.bound} time={res.runtime_s:7.2f}s "
                  f"gap={gap}", flush=True)
    summary = []
    for name in solvers:
        mine = [r for r in rows if r["solver"] == name]
        cert = [float(r["certify_s"]) for r in mine if r["certify_s"] is not None]
        gaps = [float(r["gap"]) for r in mine if r["gap"] is not None]
        summary.append({
            "solver": name, "runs": len(mine), "certified": len(cert),
            "median_certify_s": round(statistics.median(cert), 3) if cert else None,
            "max_certify_s": round(max(cert), 3) if cert else None,
            "open": len(mine) - len(cert), "sum_gap": sum(gaps),
            "unbounded": sum(1 for r in mine if r["gap"] is None)})
    print()
    for s in summary:
        print("  ".join(f"{k}={v}" for k, v in s.items()))
    if args.csv and rows:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)
    if args.markdown and rows:
        lines = [f"time limit {args.time_limit} s, {args.threads} thread(s), seed {args.seed}",
                 "", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join("-" if v is None else str(v) for v in r.values()) + " |"
                  for r in rows]
        lines += ["", "| " + " | ".join(summary[0]) + " |", "|" + "---|" * len(summary[0])]
        lines += ["| " + " | ".join("-" if v is None else str(v) for v in s.values()) + " |"
                  for s in summary]
        Path(args.markdown).write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
