#!/usr/bin/env bash
# Regenerate the reference results of the instance library v2 (splitsched/data/sets/v2/*):
# the paper's DP, the new heuristics (dp-orders, dp-ls, lns-cpsat), three greedy baselines
# and the exact solvers cpsat, lbbd and hybrid, 10 s per run, one thread per run, two runs at
# a time; then the report and the per-instance table results/reference/v2/instances.{md,csv}.
# About 30 minutes on 2 cores. RESUME=1 continues an interrupted sweep.
# The v1 reference (results/reference/runs.jsonl, report/) was made by an earlier version
# of this script (commit 4c84b5e) and is kept as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/reference/v2/run}
solvers=dp-edf,dp-orders,dp-ls,lns-cpsat,edf-greedy-cut,edf-best-single,fifo-gpu,cpsat,lbbd,hybrid
splitsched bench --set v2 --solvers "$solvers" --time-limit 10 --threads 1 --workers 2 \
  -o "$out" ${RESUME:+--resume}
splitsched report "$out"
python scripts/library_table.py "$out" --library v2 --out results/reference
