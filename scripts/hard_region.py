"""Where do the paper's DP and the optimum part ways?  The measurement behind the v2 loads.

Two steps, the sweep in between done by ``splitsched bench``::

    python scripts/hard_region.py build /tmp/hard/instances
    python -m splitsched.cli bench --set /tmp/hard/instances --solvers dp-edf,cpsat \\
        --time-limit 5 --threads 1 --workers 2 -o /tmp/hard/run
    python scripts/hard_region.py table /tmp/hard/run

``build`` writes a probe grid (scenarios batch, poisson, periodic; devices
huawei_p40, mi9, vivo_z3 with the v1 model mixes; loads 1.5 .. 4; n = 10, 20;
seeds 1, 2) as plain instance files, no manifest: the probe is not part of the
library. ``table`` prints, per (scenario, n, load) and per load, how many
instances miss at least one deadline in their best known schedule, how often
``dp-edf`` misses more than the best known, its mean gap to the best known
(a lower bound on its optimality gap) and to the best proven bound (an upper
bound on it), and how many instances the runs certified, as Markdown.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from pathlib import Path

from splitsched.bench.certify import certify
from splitsched.bench.records import RUNS_FILE, read_runs
from splitsched.generate import GeneratorParams, generate_instance
from splitsched.io import write_instance
from splitsched.profiles.store import load_device

SCENARIOS = ("batch", "poisson", "periodic")
LOADS = (1.5, 2.0, 2.5, 3.0, 3.5, 4.0)
JOBS = (10, 20)
SEEDS = (1, 2)
MIXES = {
    "huawei_p40": ("acl-alexnet", "acl-squeezenet", "acl-mobilenet", "acl-mobilenet-v2",
                   "inception-v3"),
    "mi9": ("acl-squeezenet", "inception-v3", "inception-v4", "pnasnet-mobile"),
    "vivo_z3": ("acl-squeezenet", "inception-v3", "nasnet-mobile", "pnasnet-mobile"),
}


def build(out: Path) -> int:
    """Write the probe grid's instances into ``out``; returns how many."""
    out.mkdir(parents=True, exist_ok=True)
    count = 0
    for device, mix in MIXES.items():
        profile = load_device(device)
        for scenario in SCENARIOS:
            for n in JOBS:
                for load in LOADS:
                    for seed in SEEDS:
                        params = GeneratorParams(scenario=scenario, device=device, models=mix,
                                                 jobs=n, load=load, seed=seed)
                        inst = generate_instance(params, profile.networks,
                                                 provenance={"profile": device, "set": "probe"})
                        write_instance(inst, out / f"{inst.id}.json")
                        count += 1
    return count


def table(run_dir: Path) -> str:
    """Markdown table of dp-edf against the best known, per (scenario, load) and per load."""
    records = read_runs(run_dir / RUNS_FILE).records
    cert = certify(records)
    dp: dict[str, int] = {}
    for r in records:
        if r.solver == "dp-edf" and r.feasible and r.missed is not None:
            dp[r.instance_sha256] = int(r.missed)
    rows: dict[tuple[str, int, float], list[Sample]] = defaultdict(list)
    for sha, c in cert.instances.items():
        first = next(r for r in records if r.instance_sha256 == sha)
        params = first.instance_params or {}
        if sha not in dp or c.best_known is None or first.n_jobs is None:
            continue
        key = (str(params.get("scenario")), first.n_jobs, float(params.get("load", 0)))
        rows[key].append((dp[sha], c.best_known, c.best_bound, c.certified))
    lines = ["| scenario | n | load | instances | best known > 0 | dp-edf > best known "
             "| mean dp-edf - best known | mean dp-edf - bound | certified |",
             "|---|---|---|---|---|---|---|---|---|"]
    per_load: dict[float, list[Sample]] = defaultdict(list)
    for (scenario, n, load), vals in sorted(rows.items()):
        per_load[load] += vals
        lines.append(_row(scenario, str(n), load, vals))
    for load, vals in sorted(per_load.items()):
        lines.append(_row("all", "all", load, vals))
    return "\n".join(lines)


Sample = tuple[int, int, int, bool]  # dp-edf misses, best known, best bound, certified


def _row(scenario: str, n: str, load: float, vals: list[Sample]) -> str:
    gaps = [d - b for d, b, _, _ in vals]
    upper = [d - bound for d, _, bound, _ in vals]
    return (f"| {scenario} | {n} | {load:g} | {len(vals)} | {sum(b > 0 for _, b, _, _ in vals)} "
            f"| {sum(g > 0 for g in gaps)} | {sum(gaps) / len(gaps):.2f} "
            f"| {sum(upper) / len(upper):.2f} | {sum(c for *_, c in vals)} |")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="write the probe instances")
    b.add_argument("out", type=Path)
    t = sub.add_parser("table", help="summarise a bench run of dp-edf and cpsat")
    t.add_argument("run_dir", type=Path)
    args = ap.parse_args(argv)
    if args.cmd == "build":
        print(f"wrote {build(args.out)} instances to {args.out}")
    else:
        print(table(args.run_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
