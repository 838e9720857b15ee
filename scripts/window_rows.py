"""Do exact local optima bound an instance better than its energetic rows?

Usage (from the repository root)::

    PYTHONPATH=. python scripts/window_rows.py FILE [--max-jobs 32] [--seconds 3]

For every window ``[r, d]`` (``r`` a release, ``d`` a deadline) the jobs
that must run inside it (released at or after ``r``, due by ``d``) form a set
``J``; every distinct ``J`` of 2 to ``--max-jobs`` jobs that the paper's DP
in EDF order cannot keep all on time is solved alone by ``hybrid``
(``--seconds``, one thread, through the checked solve path). Its proven bound
gives a row ``sum_{j in J} w_j y_j <= w(J) - misses bound`` over the
accepted set ``y``, valid for every schedule (dropping the other jobs delays
none of ``J``). The script prints the upper bound on the on-time weight from
:func:`splitsched.formulations.bounds.energy_rows` alone and with the window
rows: the LP bound (certified in exact arithmetic,
:func:`~splitsched.formulations.bounds.lp_bound`) and the integer optimum of
the rows (CP-SAT, :func:`~splitsched.formulations.bounds.solve_rows`). A
probe of where an instance's misses come from: if the window rows do not
lower the bound, no window of that size explains the gap.

Measured on the 2-core machine (load about 1, commit 4af0c1c's solvers): on
v2-poisson-mi9-n80-l2-s1 (best known 75 of 80 on time, ``hybrid``'s per-cut
LP proves 76), 1881 windows of 2-32 jobs, 414 rows with a proven loss
(545 s); the energetic rows alone give 79 (LP) and 78 (integer), with the
window rows 76 and 76: no better than the per-cut LP. On
v2-poisson-redmi-n40-l4-s3-w (best known 50 of 60 on time; load about 2,
commit 94006d5's solvers): 672 windows, 386 rows with a proven loss
(550 s); 53 and 53 without, 51 and 51 with the window rows (the bound
``hybrid`` proves). Exit status 2 for a bad file or argument.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from splitsched.formulations import job_windows
from splitsched.formulations.bounds import EnergyRow, energy_rows, lp_bound, solve_rows
from splitsched.io import InputError, read_instance
from splitsched.problem import Instance, edf_key
from splitsched.solve import solve
from splitsched.solvers.dp import run_dp
from splitsched.solvers.exact import native_stdout_silenced
from splitsched.solvers.lbbd import sub_instance


def window_sets(instance: Instance, max_jobs: int) -> list[tuple[int, ...]]:
    """The distinct job sets of the windows ``[r, d]`` with 2 to ``max_jobs`` jobs, smallest
    first (ties in the order found)."""
    jobs = instance.jobs
    seen: dict[tuple[int, ...], None] = {}
    for r in sorted({j.release for j in jobs}):
        for d in sorted({j.deadline for j in jobs}):
            if d <= r:
                continue
            J = tuple(i for i, j in enumerate(jobs) if j.release >= r and j.deadline <= d)
            if 2 <= len(J) <= max_jobs:
                seen.setdefault(J, None)
    return sorted(seen, key=len)


def window_row(instance: Instance, J: tuple[int, ...], seconds: float) -> EnergyRow | None:
    """The row of ``J``, or None when all of ``J`` can be on time (or nothing was proven)."""
    sub = sub_instance(instance, J)
    total = sum(instance.jobs[j].weight for j in J)
    edf = sorted(sub.jobs, key=edf_key)
    if run_dp(sub, edf).accepted_weight >= total:
        return None
    res = solve(sub, "hybrid", time_limit_s=seconds, threads=1)
    if res.bound is None or res.bound < 1:
        return None
    coef = np.zeros(instance.num_jobs, dtype=np.int64)
    for j in J:
        coef[j] = instance.jobs[j].weight
    lo, hi = min(instance.jobs[j].release for j in J), max(instance.jobs[j].deadline for j in J)
    return EnergyRow(lo, hi, (0, 0), coef, total - int(np.ceil(res.bound - 1e-9)))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="an instance file")
    ap.add_argument("--max-jobs", type=int, default=32, help="largest window set solved")
    ap.add_argument("--seconds", type=float, default=3.0, help="hybrid's limit per window")
    args = ap.parse_args(argv)
    if args.max_jobs < 2:
        print("error: --max-jobs: must be >= 2", file=sys.stderr)
        return 2
    if not (math.isfinite(args.seconds) and args.seconds > 0):
        print("error: --seconds: must be a finite number > 0", file=sys.stderr)
        return 2
    try:
        instance = read_instance(Path(args.file))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    windows = job_windows(instance)
    energy = energy_rows(instance, windows=windows)
    sets = window_sets(instance, args.max_jobs)
    rows: list[EnergyRow] = []
    for k, J in enumerate(sets, 1):
        with native_stdout_silenced():  # HiGHS' banner on fd 1
            row = window_row(instance, J, args.seconds)
        if row is not None:
            rows.append(row)
        if k % 50 == 0 or k == len(sets):
            print(f"  {k}/{len(sets)} windows, {len(rows)} rows, "
                  f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    total = instance.total_weight
    largest = min(args.max_jobs, instance.num_jobs)
    print(f"{instance.id}: {len(sets)} windows of 2-{largest} jobs, {len(rows)} rows "
          f"with a proven loss ({time.perf_counter() - t0:.1f} s)")
    for name, rs in (("energetic rows", energy), ("energetic + window rows", energy + rows)):
        with native_stdout_silenced():
            lp = lp_bound(instance, rs, windows=windows)
            ip = solve_rows(instance, rs, windows=windows)
        print(f"  {name}: LP bound {lp.upper_bound} on-time weight ({total - lp.upper_bound} "
              f"misses), integer {'optimum' if ip.proven else 'bound'} {ip.upper_bound} "
              f"({total - ip.upper_bound} misses)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
