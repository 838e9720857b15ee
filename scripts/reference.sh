#!/usr/bin/env bash
# Regenerate results/reference: every built-in solver on every scenario set, 10 s per run,
# one thread per run, two runs at a time, then the report. Takes about 20 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-results/reference}
sets=batch-n5,batch-n10,batch-n20,batch-n40,batch-n80,poisson-n5,poisson-n10,poisson-n20,poisson-n40,poisson-n80,periodic-n20
splitsched bench --set "$sets" --solvers all --time-limit 10 --threads 1 --workers 2 -o "$out" \
  ${RESUME:+--resume}
splitsched report "$out"
