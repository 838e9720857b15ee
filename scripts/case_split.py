"""Certify a lower bound on the weighted misses by splitting into on-time count cases.

Usage (from the repository root)::

    PYTHONPATH=. python scripts/case_split.py FILE --misses M [--leaf-seconds 120]
        [--count-leaf-seconds 2] [--merge 0.1] [--budget 3600] [--threads 1]

Runs :func:`splitsched.solvers.case_split.case_split`: every schedule with on-time weight
in ``[total - M + 1, total - M + w_max]`` is refuted case by case (on-time counts per
class of jobs of one network and weight, then single jobs), each case probed by the
fixed-set branch and bound and then a CP-SAT decision model with the per-cut energetic
rows; ``--threads N`` decides N cases at once; ``--merge`` first splits the instance with
near-identical jobs merged (:mod:`splitsched.solvers.merge`), a relaxation. It prints one
line per case (status, seconds, the case), then ``certified: every schedule misses >= M``,
or the open cases with the per-cut LP's bound, or the schedule CP-SAT found with fewer
misses (checked by :func:`splitsched.evaluate.evaluate`).

Measured (README, "Reference results"; 2026-11-30, the machine otherwise idle):
v2-poisson-redmi-n40-l4-s3-w with ``--misses 10`` (best known 10, ``hybrid`` stuck at 9
for 1200 s) is certified, 29 cases, in 55 s with ``--threads 2``. Exit status 0 when
certified, 1 when not (open cases or a better schedule), 2 for a bad file or argument,
130 on Ctrl-C (one line, no traceback).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

try:  # standard library only: loads at once
    from splitsched.interrupts import interrupt_in
except KeyboardInterrupt:
    print("interrupted: not certified", file=sys.stderr)
    sys.exit(130)

try:  # a Ctrl-C while the solver stack loads: one line and 130, not a traceback
    from splitsched.evaluate import evaluate
    from splitsched.io import InputError, read_instance
    from splitsched.solvers.case_split import COUNT_LEAF_S, LEAF_S, case_split
    from splitsched.solvers.merge import MERGE_SHARE
except BaseException as exc:
    if interrupt_in(exc) is None:
        raise
    print("interrupted: not certified", file=sys.stderr)
    sys.exit(130)


def main(argv: list[str] | None = None) -> int:
    t0 = time.perf_counter()
    try:
        return _main(argv)
    except BaseException as exc:  # reading the file or splitting: one line, no traceback
        if interrupt_in(exc) is None:
            raise
        print(f"interrupted after {time.perf_counter() - t0:.1f} s: not certified",
              file=sys.stderr)
        return 130


def _main(argv: list[str] | None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="an instance file")
    ap.add_argument("--misses", type=int, required=True, help="the bound to certify")
    ap.add_argument("--leaf-seconds", type=float, default=LEAF_S,
                    help="CP-SAT's limit per case before it is split (every count fixed; "
                    "its deterministic time, about seconds)")
    ap.add_argument("--count-leaf-seconds", type=float, default=COUNT_LEAF_S,
                    help="the same while a class count is still open")
    ap.add_argument("--merge", type=float, default=MERGE_SHARE,
                    help="merge the windows of jobs of one class whose releases and deadlines "
                    "lie within this share of the class's shortest relative deadline, and "
                    "split that relaxation first (0: do not merge)")
    ap.add_argument("--budget", type=float, default=3600.0, help="seconds for the whole split")
    ap.add_argument("--threads", type=int, default=1,
                    help="cases decided at once (one CP-SAT worker each)")
    args = ap.parse_args(argv)
    for flag, value in (("--leaf-seconds", args.leaf_seconds),
                        ("--count-leaf-seconds", args.count_leaf_seconds),
                        ("--budget", args.budget)):
        if not (math.isfinite(value) and value > 0):
            print(f"error: {flag}: must be a finite number > 0", file=sys.stderr)
            return 2
    if not (math.isfinite(args.merge) and args.merge >= 0):
        print("error: --merge: must be a finite number >= 0", file=sys.stderr)
        return 2
    if not 1 <= args.threads <= 1024:
        print("error: --threads: must be in 1..1024", file=sys.stderr)
        return 2
    try:
        instance = read_instance(Path(args.file))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not 0 <= args.misses <= instance.total_weight + 1:
        print(f"error: --misses: must be in 0..{instance.total_weight + 1}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    res = case_split(instance, args.misses, leaf_s=args.leaf_seconds,
                     count_leaf_s=args.count_leaf_seconds, budget_s=args.budget,
                     threads=args.threads, merge=args.merge,
                     progress=lambda line: print(line, flush=True))
    cases = len(res.log)
    took = f"{cases} cases, {time.perf_counter() - t0:.1f} s"
    if res.merged_groups:
        took += (f", {res.merged_groups} groups of near-identical jobs merged"
                 + ("; the merged instance had a schedule the instance does not keep"
                    if res.fell_back else ""))
    if res.schedule is not None:
        ev = evaluate(instance, res.schedule)
        print(f"{instance.id}: not certified: CP-SAT found a schedule with "
              f"{ev.weighted_misses} weighted misses (feasible: {ev.feasible}); {took}")
        return 1
    if res.certified:
        print(f"{instance.id}: certified: every schedule misses >= {args.misses} "
              f"(weighted); {took}")
        return 0
    lp = f" (the per-cut LP proves >= {res.lp_bound} weighted misses)" if res.lp_bound else ""
    print(f"{instance.id}: not certified: {len(res.open_cases)} cases open{lp}; {took}")
    for case in res.open_cases:
        print(f"  open: {case}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
