"""Bounds on the weighted misses of reference instances: cut LP against its branch and bound.

Usage (from the repository root)::

    PYTHONPATH=. python scripts/bound_table.py splitsched/data/sets/v2/batch-n80 \\
        --time-limit 30 --csv out.csv

Per instance it prints the best known misses and best bound of
``results/reference/v2/instances.csv`` (when listed there), the bound of
:func:`splitsched.formulations.bounds.cut_lp_bound` and that of
:func:`splitsched.formulations.bounds.cut_branch_bound` (given the best known
schedule's on-time weight as its ``floor``, as a solver with that incumbent
would), both in misses, with their times, the branch and bound's node count
and whether it finished. Each tree is re-checked by
:func:`check_branch_certificate` (column ``checked``). One thread; timings
depend on the machine's load: state it with the numbers.

With ``--time-indexed STEP_US`` (repeatable) it adds, per step, the certified
bound of :func:`splitsched.formulations.time_indexed.time_indexed_bound` in
misses (``ti_bound``), the LP's own value in misses (``ti_lp``), its time and
the LP's size; ``--ti-groups``, ``--ti-method`` and ``--ti-energetic`` are passed on, and
``--skip-cut`` leaves out the cut LP and branch and bound (their columns
empty)::

    PYTHONPATH=. python scripts/bound_table.py FILE --skip-cut --time-indexed 10000 \
        --ti-method ipm --ti-time-limit 600
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import sys
import time
from pathlib import Path

from splitsched.formulations import job_windows
from splitsched.formulations.bounds import (
    check_branch_certificate,
    cut_branch_bound,
    cut_energy_rows,
    cut_lp_bound,
)
from splitsched.formulations.time_indexed import time_indexed_bound
from splitsched.io import InputError, atomic_write_text, check_output_path, read_instance

REFERENCE = Path("results/reference/v2/instances.csv")


def _files(paths: list[str]) -> list[Path]:
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.glob("*.json") if f.name != "manifest.json"))
        elif p.is_file():
            out.append(p)
        else:
            raise SystemExit(f"error: {p}: no such file or directory")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", help="instance files or set directories")
    ap.add_argument("--time-limit", type=float, default=30.0,
                    help="seconds for the branch and bound (the LP gets as much)")
    ap.add_argument("--extra-starts", action="store_true",
                    help="rows also from the CPU's earliest starts and GPU's latest ends")
    ap.add_argument("--csv", help="write the rows to this CSV file")
    ap.add_argument("--time-indexed", type=int, action="append", default=[], metavar="STEP_US",
                    help="also the time-indexed LP bound on a grid of this step (repeatable)")
    ap.add_argument("--ti-groups", type=int, default=None,
                    help="merge each job's scaled cuts into at most this many runs")
    ap.add_argument("--ti-method", default="ipm", choices=("ipm", "simplex", "pdlp", "choose"))
    ap.add_argument("--ti-time-limit", type=float, default=600.0,
                    help="seconds for each time-indexed LP")
    ap.add_argument("--ti-energetic", action="store_true",
                    help="add the cut LP's binding energetic rows to the time-indexed LP")
    ap.add_argument("--skip-cut", action="store_true",
                    help="leave out the cut LP and its branch and bound")
    args = ap.parse_args(argv)
    # bad options exit 2 with the usage line (argparse's convention, as for a bad type)
    for name, value in (("--time-limit", args.time_limit), ("--ti-time-limit", args.ti_time_limit)):
        if not (math.isfinite(value) and value > 0):
            ap.error(f"{name} must be a finite number of seconds > 0, got {value}")
    if any(s < 1 for s in args.time_indexed):
        ap.error("--time-indexed must be >= 1 (microseconds)")
    if args.ti_groups is not None and args.ti_groups < 1:
        ap.error("--ti-groups must be >= 1")
    if args.csv:
        try:
            check_output_path(args.csv, "--csv")
        except InputError as exc:
            ap.error(str(exc))
    ref = {}
    if REFERENCE.is_file():
        with REFERENCE.open() as fh:
            ref = {r["instance"]: r for r in csv.DictReader(fh)}
    out = []
    cols = ["instance", "best_known", "ref_bound", "cut_lp", "lp_s", "branch", "branch_s",
            "nodes", "finished", "checked"]
    if args.time_indexed:
        cols += ["ti_step_us", "ti_groups", "ti_bound", "ti_lp", "ti_s", "ti_status",
                 "ti_rows", "ti_cols", "ti_nonzeros"]
    print(" ".join(cols))
    for f in _files(args.paths):
        inst = read_instance(f)
        total = inst.total_weight
        r = ref.get(inst.id, {})
        best = int(r["best_known"]) if r else None
        windows = job_windows(inst)
        row: dict[str, object] = {"instance": inst.id, "best_known": best,
                                  "ref_bound": r.get("best_bound")}
        if not args.skip_cut:
            t0 = time.perf_counter()
            rows = cut_energy_rows(windows, extra_starts=args.extra_starts)
            lp = cut_lp_bound(inst, windows=windows, rows=rows, time_limit_s=args.time_limit)
            t1 = time.perf_counter()
            floor = total - best if best is not None else 0
            bb = cut_branch_bound(inst, windows=windows, rows=rows, floor=floor,
                                  time_limit_s=args.time_limit)
            t2 = time.perf_counter()
            ok = check_branch_certificate(inst, rows, bb, floor=floor, windows=windows)
            row.update({"cut_lp": total - lp.upper_bound, "lp_s": f"{t1 - t0:.1f}",
                        "branch": total - bb.upper_bound, "branch_s": f"{t2 - t1:.1f}",
                        "nodes": bb.nodes, "finished": bb.proven, "checked": ok})
        for step in args.time_indexed or [None]:
            if step is not None:
                ti = time_indexed_bound(inst, step, groups=args.ti_groups,
                                        method=args.ti_method, time_limit_s=args.ti_time_limit,
                                        windows=windows, energetic=args.ti_energetic)
                row.update({"ti_step_us": step, "ti_groups": args.ti_groups,
                            "ti_bound": total - ti.upper_bound,
                            "ti_lp": None if ti.lp_value is None
                            else f"{total - ti.lp_value:.3f}",
                            "ti_s": f"{ti.seconds:.1f}", "ti_status": ti.status.replace(" ", "_"),
                            "ti_rows": ti.rows, "ti_cols": ti.cols, "ti_nonzeros": ti.nonzeros})
            out.append(dict(row))
            print(" ".join(str(row.get(c, "")) for c in cols), flush=True)
    if args.csv:  # written whole at the end, never half
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols)
        w.writeheader()
        w.writerows(out)
        atomic_write_text(args.csv, buf.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
