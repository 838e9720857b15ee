"""Subproblems of ``lbbd`` decided by the branch and bound and by CP-SAT, side by side.

Usage (from the repository root)::

    python scripts/subproblem_compare.py splitsched/data/sets/demo --time-limit 5 \\
        --check-limit 2

For each instance, ``lbbd`` runs once (``--time-limit``, 1 thread, no warm start)
and every job set its subproblem checks after the cheap order search failed
(one block) is recorded. Each recorded set is then checked again, alone, by
:func:`splitsched.solvers.feasibility.all_on_time` and by ``lbbd``'s CP-SAT
check, each with ``--check-limit`` seconds. Printed per set: its size, each
method's answer and time; then per method how many sets it decided
(feasible or infeasible), how many the other one decided and it did not, the
median and total time. Both answers are proofs; a contradiction between them
is reported and makes the exit status 1. Timings depend on the machine's
load: state it with the numbers.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from certify_compare import _instance_files  # scripts/ is on sys.path when run as a script

from splitsched.formulations import job_windows
from splitsched.io import read_instance
from splitsched.solvers import lbbd
from splitsched.solvers.feasibility import all_on_time


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("paths", nargs="+", help="instance files or set directories")
    ap.add_argument("--time-limit", type=float, default=5.0, help="lbbd run per instance (s)")
    ap.add_argument("--check-limit", type=float, default=2.0, help="per set and method (s)")
    ap.add_argument("--max-sets", type=int, default=40, help="recorded sets per instance")
    args = ap.parse_args(argv)
    if args.time_limit <= 0 or args.check_limit <= 0:
        raise SystemExit("error: --time-limit and --check-limit must be > 0")
    rows = []
    contradictions = 0
    for f in _instance_files(args.paths):
        inst = read_instance(f)
        seen: list[tuple[int, ...]] = []
        real_bb = lbbd._bb_check

        def record(st: lbbd._State, jobs: tuple[int, ...], limit: float,
                   _seen: list[tuple[int, ...]] = seen) -> lbbd._SubAnswer:
            if jobs not in _seen and len(_seen) < args.max_sets:
                _seen.append(jobs)
            return lbbd._SubAnswer("unknown")  # record only: CP-SAT decides in this run

        real_max = lbbd.BB_MAX_JOBS
        lbbd._bb_check = record
        lbbd.BB_MAX_JOBS = 1 << 30  # every block reaches the recorder
        try:
            lbbd.solve_lbbd(inst, time_limit_s=args.time_limit, seed=0, threads=1)
        finally:
            lbbd._bb_check = real_bb
            lbbd.BB_MAX_JOBS = real_max
        windows = job_windows(inst)
        for jobs in seen:
            t0 = time.perf_counter()
            bb = all_on_time(inst, jobs, time_limit_s=args.check_limit)
            t_bb = time.perf_counter() - t0
            st = lbbd._State(inst, windows, time.perf_counter() + args.check_limit + 1, 0, 1)
            t0 = time.perf_counter()
            cp = lbbd._cp_check(st, jobs, args.check_limit)
            t_cp = time.perf_counter() - t0
            bad = {bb.status, cp.status} == {"feasible", "infeasible"}
            contradictions += bad
            rows.append((inst.id, len(jobs), bb.status, t_bb, bb.nodes, cp.status, t_cp))
            print(f"{inst.id:34s} n={len(jobs):3d} bb={bb.status:10s} {t_bb:6.2f}s "
                  f"nodes={bb.nodes:7d}  cpsat={cp.status:10s} {t_cp:6.2f}s"
                  + ("  CONTRADICTION" if bad else ""), flush=True)
    print()
    for name, status_at, time_at, other_at in (("bb", 2, 3, 5), ("cpsat", 5, 6, 2)):
        decided = [r for r in rows if r[status_at] != "unknown"]
        only = [r for r in decided if r[other_at] == "unknown"]
        times = [float(r[time_at]) for r in rows]
        print(f"{name:6s} sets={len(rows)} decided={len(decided)} "
              f"(infeasible {sum(r[status_at] == 'infeasible' for r in rows)}) "
              f"decided_alone={len(only)} "
              f"median_s={statistics.median(times) if times else 0:.3f} "
              f"total_s={sum(times):.2f}")
    if contradictions:
        print(f"{contradictions} contradiction(s) between the two methods", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
