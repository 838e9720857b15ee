"""On-time sets a bound must refute, for instances whose identical jobs share a release.

Usage (from the repository root)::

    PYTHONPATH=. python scripts/batch_survivors.py FILE --misses M [--seconds S]

Proving that no schedule has at most ``M - 1`` weighted misses (so that a
schedule with ``M`` is optimal) means refuting every on-time set of weight
``>= total - M + 1``. For jobs of one *group* (same network, weight and
release) a symmetry shrinks that family: if job ``p`` of a group is on time
and ``q`` of the same group, due no earlier, is missed, ``q`` can take ``p``'s
whole plan (same stage table, same release, completion ``<= d_p <= d_q``) and
``p`` be dropped, at the same on-time weight. Repeating this (each step moves
an on-time slot to a job due later, ties by index) ends, so some optimal
schedule keeps, in every group, the jobs due last. Its on-time set is then
given by one count per group, and since a superset of an infeasible set is
infeasible, only the minimal count vectors of weight ``>= total - M + 1``
need refuting.

The script enumerates them (at most ``--max-vectors``), refutes each it can
with the LP over its jobs' per-cut energetic rows
(:func:`splitsched.formulations.bounds.cut_lp_bound` on the sub-instance, no
branching; a refutation is exact: the LP's bound is certified in integers),
and prints the survivors: the sets that only a sequencing argument (or a
schedule) can settle. Measured on the 2-core machine (load about 1):
v2-batch-vivo_z3-n40-l4-s1 with ``--misses 12`` has 304 vectors, 3 survive
(5 s); v2-batch-huawei_mate_20-n80-l4-s1 with ``--misses 24`` has 300, 4
survive (29 s). Exit status 2 for a bad file or argument.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import time
from pathlib import Path

from splitsched.formulations import job_windows
from splitsched.formulations.bounds import cut_lp_bound
from splitsched.io import InputError, read_instance
from splitsched.problem import Instance
from splitsched.solvers.lbbd import sub_instance


def groups_of(instance: Instance) -> list[list[int]]:
    """Job indices per group (network, weight, release), each due last first.

    Jobs without a cut that can meet their deadline are left out (never on time).
    """
    found: dict[tuple[str, int, int], list[int]] = {}
    for w in job_windows(instance):
        if w.cuts:
            found.setdefault((w.job.network, w.job.weight, w.release), []).append(w.index)
    for members in found.values():
        members.sort(key=lambda j: (-instance.jobs[j].deadline, j))
    return [found[k] for k in sorted(found)]


def minimal_vectors(sizes: list[int], weights: list[int], target: int,
                    limit: int) -> list[tuple[int, ...]] | None:
    """Count vectors of weight ``>= target`` that drop below it without any one job.

    None when there are more than ``limit``.
    """
    out: list[tuple[int, ...]] = []
    for v in itertools.product(*[range(s + 1) for s in sizes]):
        total = sum(c * w for c, w in zip(v, weights, strict=True))
        if total < target:
            continue
        if any(c > 0 and total - w >= target for c, w in zip(v, weights, strict=True)):
            continue
        out.append(v)
        if len(out) > limit:
            return None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="an instance file")
    ap.add_argument("--misses", type=int, required=True,
                    help="weighted misses of a known schedule (refute every set with fewer)")
    ap.add_argument("--seconds", type=float, default=5.0, help="LP time limit per set")
    ap.add_argument("--max-vectors", type=int, default=100_000)
    args = ap.parse_args(argv)
    try:
        instance = read_instance(Path(args.file))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not 1 <= args.misses <= instance.total_weight:
        print(f"error: --misses: must be in 1..{instance.total_weight} (the total weight)",
              file=sys.stderr)
        return 2
    groups = groups_of(instance)
    sizes = [len(g) for g in groups]
    weights = [instance.jobs[g[0]].weight for g in groups]
    target = instance.total_weight - args.misses + 1
    vectors = minimal_vectors(sizes, weights, target, args.max_vectors)
    if vectors is None:
        print(f"error: more than --max-vectors {args.max_vectors} count vectors "
              f"({len(groups)} groups of sizes {sizes})", file=sys.stderr)
        return 2
    print(f"{instance.id}: {len(groups)} groups (sizes {sizes}), on-time weight >= {target}: "
          f"{len(vectors)} minimal count vectors")
    t0 = time.perf_counter()
    survivors = []
    for v in vectors:
        jobs = [j for g, c in zip(groups, v, strict=True) for j in g[:c]]
        lp = cut_lp_bound(sub_instance(instance, tuple(sorted(jobs))), time_limit_s=args.seconds,
                          branch=False)
        if lp.upper_bound >= sum(instance.jobs[j].weight for j in jobs):
            survivors.append(v)
    print(f"refuted by the LP: {len(vectors) - len(survivors)}, survivors: {len(survivors)} "
          f"({time.perf_counter() - t0:.1f} s)")
    for v in survivors:
        print("  " + " ".join(str(c) for c in v))
    return 0


if __name__ == "__main__":
    sys.exit(main())
