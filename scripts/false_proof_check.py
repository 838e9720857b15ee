"""Large random check that no exact solver reports a false proof (issue 8).

Draws tiny microsecond-scale instances (``tests/helpers/builders.py``'s
``random_us_instance``: 2-6 jobs, 1-3 layers per network so 2-4 cuts, hand-off
lags, releases, weights 1..3, zero-length stages, times scaled so that 1 us
decides on-time), computes each one's optimum with the brute-force oracle
(which shares no code with the solvers but ``earliest_schedule``), runs every
exact backend through the harness (``splitsched.solve.solve``, as the CLI and
``bench`` do) and counts per backend:

* ``false_optimal``: the run reports ``optimal`` with more weighted misses
  than the optimum;
* ``false_bound``: the run reports a bound above the optimum;
* ``refuted``: the backend claimed a proof that the harness refuted with a
  verified schedule (``stats["proof_contradiction"]``): the report stayed
  honest, but the backend was wrong;
* ``unproven``: the run ends without ``optimal`` on a tiny instance;
* ``errors``: status ``error``; ``beats_oracle``: fewer misses than the
  optimum (an oracle or evaluation bug).

It prints a progress line every ``--progress`` instances and the table at the
end; instances with a false claim, a refutation or an unproven run are
written to ``--save`` (if given) as instance files. Exit status 1 when any
``false_optimal``, ``false_bound`` or ``refuted`` count is not 0.

Usage (from the repository root)::

    python scripts/false_proof_check.py --instances 3000 --seed 1
    python scripts/false_proof_check.py --instances 3000 --seed 1 --heavy-weights

``--heavy-weights`` draws each weight from {1, 2, 3, 1000, 99991, 1000000}
(objective coefficients over six orders of magnitude; a newcomer's screen
caught the MILP backends there). Not a test: it takes about an hour on one core.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from splitsched.io import write_instance  # noqa: E402
from splitsched.problem import Instance  # noqa: E402
from splitsched.solve import solve  # noqa: E402
from splitsched.solvers.base import get_solver, solver_names  # noqa: E402
from tests.helpers.builders import HEAVY_WEIGHTS, random_us_instance  # noqa: E402
from tests.helpers.oracle import optimum  # noqa: E402

EPS = 1e-6
COUNTS = ("runs", "false_optimal", "false_bound", "refuted", "unproven", "errors",
          "beats_oracle")


def instance_for(seed: int, index: int, heavy: bool = False) -> Instance:
    """The ``index``-th instance of the check with ``seed`` (reproducible one by one);
    ``heavy``: weights from ``HEAVY_WEIGHTS`` (1 to 1e6) instead of 1..3."""
    rng = random.Random(f"false-proof-check:{seed}:{index}")
    return random_us_instance(rng, rng.randint(2, 6), max_layers=3, max_weight=3,
                              zero_layers=rng.random() < 0.5,
                              weights=HEAVY_WEIGHTS if heavy else None)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", type=int, default=3000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--heavy-weights", action="store_true",
                    help="weights from {1, 2, 3, 1000, 99991, 1000000} instead of 1..3")
    ap.add_argument("--solvers", default="",
                    help="comma-separated exact solvers (default: every registered exact one)")
    ap.add_argument("--time-limit", type=float, default=20.0,
                    help="seconds per run (default 20; tiny instances take well under 1 s)")
    ap.add_argument("--progress", type=int, default=50, help="a progress line every N instances")
    ap.add_argument("--save", type=Path, default=None,
                    help="folder for instances with a false claim, refutation or unproven run")
    args = ap.parse_args(argv)
    names = ([n for n in args.solvers.split(",") if n] if args.solvers
             else [n for n in solver_names() if get_solver(n).exact])
    counts = {n: Counter({c: 0 for c in COUNTS}) for n in names}
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    print(f"false-proof check: {args.instances} instances, seed {args.seed}, "
          f"solvers {', '.join(names)}, limit {args.time_limit:g} s", flush=True)
    for i in range(args.instances):
        inst = instance_for(args.seed, i, args.heavy_weights)
        opt = optimum(inst)
        bad: list[str] = []
        for name in names:
            res = solve(inst, name, time_limit_s=args.time_limit, seed=0, threads=1)
            c = counts[name]
            c["runs"] += 1
            what = []
            if res.status == "error":
                what.append("errors")
            if res.status == "optimal" and res.missed is not None and res.missed > opt:
                what.append("false_optimal")
            if res.bound is not None and res.bound > opt + EPS:
                what.append("false_bound")
            if "proof_contradiction" in res.stats:
                what.append("refuted")
            if res.status != "optimal":
                what.append("unproven")
            if res.missed is not None and res.missed < opt:
                what.append("beats_oracle")
            for w in what:
                c[w] += 1
            if what:
                bad.append(f"{name}: {'/'.join(what)} status={res.status.value} "
                           f"missed={res.missed} bound={res.bound} optimum={opt}")
        if bad:
            print(f"  instance {i} ({inst.id}, {inst.num_jobs} jobs): " + "; ".join(bad),
                  flush=True)
            if args.save is not None:
                write_instance(inst, args.save / f"seed{args.seed}-{i}.json")
        if (i + 1) % args.progress == 0 or i + 1 == args.instances:
            el = time.perf_counter() - t0
            summary = ", ".join(
                f"{n} {counts[n]['false_optimal']}/{counts[n]['false_bound']}/"
                f"{counts[n]['refuted']}/{counts[n]['unproven']}" for n in names)
            print(f"[{i + 1}/{args.instances} {el:.0f} s] false-optimal/false-bound/refuted/"
                  f"unproven: {summary}", flush=True)
    print()
    header = f"{'solver':<20}" + "".join(f"{c:>14}" for c in COUNTS)
    print(header)
    for n in names:
        print(f"{n:<20}" + "".join(f"{counts[n][c]:>14}" for c in COUNTS))
    print(f"\n{args.instances} instances (seed {args.seed}) in "
          f"{time.perf_counter() - t0:.0f} s")
    failed = any(counts[n][c] for n in names for c in ("false_optimal", "false_bound",
                                                        "refuted", "beats_oracle"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
