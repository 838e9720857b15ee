"""Refute every schedule with fewer than M weighted misses on a batch instance, vector by vector.

Usage (from the repository root)::

    PYTHONPATH=. python scripts/batch_survivors.py FILE --misses M [--seconds S]

Proving that a schedule with ``M`` misses is optimal means refuting every
on-time set of weight ``>= total - M + 1``. For identical jobs released
together (a *group*: same network, weight and release) some optimal schedule
keeps each group's jobs due last, so the sets are count vectors
(:mod:`splitsched.solvers.twins`). The script lists the minimal ones and
settles each as :func:`splitsched.solvers.twins.refute_on_time` does (the DP
over counts with few labels, the per-cut LP over its jobs, the DP with every
label, then without paths up to the memory budget), printing how each was
settled and the ones left open. ``hybrid`` runs the same refutation as one of
its phases; this script shows the vectors. ``--seconds`` is per vector.

Measured on the 2-core machine: v2-batch-vivo_z3-n40-l4-s1 with
``--misses 12``: 304 vectors, all refuted (2.5 s); v2-batch-huawei_mate_20-n80-l4-s3
with ``--misses 26 --seconds 900``: 345 vectors, all refuted in 3.0 s, 0.3 GB
resident at most (code of commit 48649dc; 147 s and 4.9 GB with that of
35bafac, before the dominance between states); -l4-s1 with ``--misses 24``:
300 vectors in 5.5 s (354 s before). Exit status 2 for a bad file or
argument.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

from splitsched.io import InputError, read_instance
from splitsched.solvers.exact import native_stdout_silenced
from splitsched.solvers.twins import (
    INFEASIBLE,
    MAX_VECTORS,
    Refutation,
    minimal_vectors,
    refute_vector,
    twin_groups,
)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="an instance file")
    ap.add_argument("--misses", type=int, required=True,
                    help="weighted misses of a known schedule (refute every set with fewer)")
    ap.add_argument("--seconds", type=float, default=60.0, help="time limit per vector")
    ap.add_argument("--max-vectors", type=int, default=MAX_VECTORS)
    args = ap.parse_args(argv)
    if not (math.isfinite(args.seconds) and args.seconds > 0):
        print(f"error: --seconds: must be a finite number > 0, got {args.seconds}",
              file=sys.stderr)
        return 2
    if args.max_vectors < 1:
        print(f"error: --max-vectors: must be >= 1, got {args.max_vectors}", file=sys.stderr)
        return 2
    try:
        instance = read_instance(Path(args.file))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not instance.jobs:
        print(f"error: {args.file}: jobs: none (nothing to refute)", file=sys.stderr)
        return 2
    if not 1 <= args.misses <= instance.total_weight:
        print(f"error: --misses: must be in 1..{instance.total_weight} (the total weight of "
              f"{args.file})", file=sys.stderr)
        return 2
    groups = twin_groups(instance)
    if len({g.release for g in groups}) > 1:
        print(f"error: {args.file}: jobs: release times differ (the DP over counts needs one)",
              file=sys.stderr)
        return 2
    sizes = [len(g.members) for g in groups]
    target = instance.total_weight - args.misses + 1
    vectors = minimal_vectors(groups, target, args.max_vectors)
    if vectors is None:
        print(f"error: more than --max-vectors {args.max_vectors} count vectors "
              f"({len(groups)} groups of sizes {sizes})", file=sys.stderr)
        return 2
    print(f"{instance.id}: {len(groups)} groups (sizes {sizes}), on-time weight >= {target}: "
          f"{len(vectors)} minimal count vectors")
    t0 = time.perf_counter()
    tally = Refutation("refuted")
    open_ = []
    for v in vectors:
        with native_stdout_silenced():  # HiGHS' banner on fd 1
            res = refute_vector(instance, groups, v, time.perf_counter() + args.seconds,
                                args.seconds, "batch-survivors", tally)
        if res is not None and res.status != INFEASIBLE:
            open_.append((v, res.status))
    print(f"refuted: {tally.by_dp} by the DP over counts, {tally.by_lp} by the LP; "
          f"open: {len(open_)} ({time.perf_counter() - t0:.1f} s)")
    for v, status in open_:
        print("  " + " ".join(str(c) for c in v) + f"  ({status})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
