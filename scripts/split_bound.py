"""A lower bound on the misses from splitting an instance in time.

Usage (from the repository root)::

    PYTHONPATH=. python scripts/split_bound.py FILE [--seconds 15] [--step 8] [--at T]

For a time ``t``, the jobs due by ``t`` and the jobs released at or after ``t``
share no processor time (the first are done by ``t`` when on time, the second
start at ``t`` or later), and dropping the jobs in neither delays no one; so
the weighted misses of every schedule are at least the sum of the two parts'
optima, and at least the sum of their proven bounds. Each part is solved alone
by ``hybrid`` (``--seconds``, one thread, through the checked solve path). The
script prints, for every ``--step``-th distinct release or deadline ``t`` (or
only ``--at T``), both parts' sizes, best found and proven bound, and the best
sum of bounds.

Measured (README, "Reference results", on v2-poisson-mi9-n80-l2-s1, best known
5, 2026-11-30, load about 3): with ``--seconds 15 --step 8``, 18 times, best
sum 4; ``--at 3324752 --seconds 300``: the 28 jobs due by then 1 miss
(certified), the 51 released from then 4 found, bound 3. Exit status 2 for a
bad file or argument.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from splitsched.io import InputError, read_instance
from splitsched.problem import Instance
from splitsched.solve import solve
from splitsched.solvers.exact import native_stdout_silenced
from splitsched.solvers.lbbd import sub_instance


def part_bound(instance: Instance, jobs: tuple[int, ...], seconds: float
               ) -> tuple[int, int | None, str]:
    """(proven bound, weighted misses found, status) of ``jobs`` solved alone by hybrid."""
    if not jobs:
        return 0, 0, "empty"
    with native_stdout_silenced():  # HiGHS' banner on fd 1
        res = solve(sub_instance(instance, jobs), "hybrid", time_limit_s=seconds, threads=1)
    bound = 0 if res.bound is None else math.ceil(res.bound - 1e-9)
    return bound, res.weighted_misses, res.status.value


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="an instance file")
    ap.add_argument("--seconds", type=float, default=15.0, help="hybrid's limit per part")
    ap.add_argument("--step", type=int, default=8, help="every step-th distinct time")
    ap.add_argument("--at", type=int, default=None, help="only this time (us)")
    args = ap.parse_args(argv)
    if not (math.isfinite(args.seconds) and args.seconds > 0):
        print("error: --seconds: must be a finite number > 0", file=sys.stderr)
        return 2
    if args.step < 1:
        print("error: --step: must be >= 1", file=sys.stderr)
        return 2
    try:
        instance = read_instance(Path(args.file))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    jobs = instance.jobs
    times = ([args.at] if args.at is not None
             else sorted({j.release for j in jobs} | {j.deadline for j in jobs})[::args.step])
    best = 0
    for t in times:
        due = tuple(i for i, j in enumerate(jobs) if j.deadline <= t)
        later = tuple(i for i, j in enumerate(jobs) if j.release >= t)
        if args.at is None and (not due or not later):
            continue
        t0 = time.perf_counter()
        first, second = part_bound(instance, due, args.seconds), \
            part_bound(instance, later, args.seconds)
        best = max(best, first[0] + second[0])
        print(f"t={t}: due by t {len(due)} jobs (bound, found, status) {first}; released "
              f"from t {len(later)} {second}; in neither {len(jobs) - len(due) - len(later)}; "
              f"bound {first[0] + second[0]} ({time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"{instance.id}: best split bound {best} weighted misses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
