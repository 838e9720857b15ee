"""CPU time of ``dp-edf`` per instance, and its answers (accepted weight, makespan).

Usage (from the repository root; ``PYTHONPATH=.`` so that this tree's package is
measured, not the installed one)::

    PYTHONPATH=. python scripts/dp_speed.py [--repeat R] [--save FILE | --check FILE] \
        INSTANCE.json ...

Per instance: ``solve_dp_edf`` once to warm up, then R timed solves
(``time.process_time``, CPU seconds of this process, so waiting for a core on a
loaded machine does not count); prints min, median and max, the load average
(1 minute) before and after, the accepted weight and the makespan of the
schedule. ``--save`` writes {instance: [weight, makespan]}; ``--check`` compares
with such a file and exits 1 on any difference.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from splitsched.evaluate import evaluate
from splitsched.io import read_instance
from splitsched.solvers.dp import solve_dp_edf


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("files", nargs="+")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--save")
    ap.add_argument("--check")
    args = ap.parse_args()
    answers: dict[str, list[int]] = {}
    bad = 0
    ref = json.loads(Path(args.check).read_text()) if args.check else {}
    for path in args.files:
        if path.endswith("manifest.json"):
            continue
        inst = read_instance(path)
        out = solve_dp_edf(inst, time_limit_s=60, seed=0, threads=1)
        times = []
        load0 = os.getloadavg()[0]
        for _ in range(args.repeat):
            t = time.process_time()
            out = solve_dp_edf(inst, time_limit_s=60, seed=0, threads=1)
            times.append(time.process_time() - t)
        load1 = os.getloadavg()[0]
        assert out.schedule is not None
        ans = [int(out.stats["accepted_weight"]), int(evaluate(inst, out.schedule).makespan)]
        answers[inst.id] = ans
        flag = ""
        if args.check and inst.id in ref and ref[inst.id] != ans:
            flag, bad = f"  DIFFERS (was {ref[inst.id]})", bad + 1
        print(f"{inst.id:40s} cpu min {min(times):.3f} med {statistics.median(times):.3f} "
              f"max {max(times):.3f} s  load {load0:.1f}-{load1:.1f}  {out.status} "
              f"w={ans[0]} mk={ans[1]} rounds={out.stats.get('guided_rounds')}{flag}",
              flush=True)
    if args.save:
        with open(args.save, "w") as f:
            json.dump(answers, f, indent=1, sort_keys=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
