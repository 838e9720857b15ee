#!/usr/bin/env bash
# Regenerate the reference results of the instance library v2 (splitsched/data/sets/v2/*).
# 1. The sweep: the paper's DP, the new heuristics (dp-orders, dp-ls, lns-cpsat), three greedy
#    baselines and the exact solvers cpsat, lbbd and hybrid, 10 s per run, one thread per run,
#    two runs at a time (about 45 minutes on 2 cores).
# 2. The follow-ups: `hybrid` at issue 9's limit (60 s, 2 threads, one run at a time) on every
#    instance the table over the runs so far leaves open (about 25 minutes, then about 15).
#    certify60 was made with the code of commit f542d40, certify60b with that of 8e4ccca
#    (hybrid's dp-ls incumbent phase), certify60d with that of 1f764af (dp-ls's local search
#    at 800,000 labels; certify60c is a check run of 40f748f on certify60's 24 instances, not
#    a round); rerunning the rounds with today's code is the same procedure: each round only
#    adds runs, the table takes the best over all of them.
# 3. certify60e: hybrid at the same limits on certify60's 24 instances (all that were open
#    after the sweep, so every one still open), code of commit 55f393d (the rows' branch and
#    bound after the incumbent phase); its runs count in the table too (certify60e-main is
#    the same run with the code before, 35bfbcc, for comparison; not in the table).
# 4. certify60f: hybrid at the same limits on certify60's 7 batch instances (every job
#    released at 0), code of commit 70d131f (the twins phase: count vectors refuted by the
#    DP over counts); its runs count in the table too.
# 5. certify-casesplit: the exact solver case-split (on-time count cases, each probed by the
#    fixed-set branch and bound, then a CP-SAT decision model; 2 cases at once) at 2400 s,
#    2 threads, on the instances with n <= 40 still open after step 4
#    (v2-poisson-redmi-n40-l4-s3-w), code of commit 4ca89c0 (near-identical jobs merged
#    first); its runs count in the table too.
# 6. certify-twins: hybrid at 3000 s, 1 thread, two runs at a time (16 GiB each), on the two
#    batch instances with n = 80 still open after step 5 (v2-batch-huawei_mate_20-n80-l4-s1
#    and -l4-s3), code of commit 0fd8dba (the twins phase's DP over counts goes on without
#    paths past its 2 M labels); its runs count in the table too.
# 7. certify-n80: hybrid at issue 9's limit (60 s, 2 threads, one run at a time) on the 12
#    instances with n = 80 (batch-n80 and poisson-n80), code of commit 07f488c (the twins
#    phase's DP drops labels dominated across hole masks, runs without paths first, and has
#    half the limit); its runs count in the table too.
# Then the report and the per-instance table results/reference/v2/instances.{md,csv} over all.
# RESUME=1 continues an interrupted run (either step).
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
shift $(( $# > 0 ? 1 : 0 ))
follows=("$@")
(( ${#follows[@]} )) || follows=(results/reference/v2/certify60 results/reference/v2/certify60b
                           results/reference/v2/certify60d)
done_dirs=("$out")
for follow in "${follows[@]}"; do
  open_dir="$follow-open"  # a fixed path: --resume checks the set is the same
  if [[ -z "${RESUME:-}" || ! -d "$open_dir" ]]; then
    rm -rf "$open_dir"
    python scripts/open_instances.py results/reference/v2/instances.csv "$open_dir"
  fi
  splitsched bench --set "$open_dir" --solvers hybrid --time-limit 60 --threads 2 \
    --workers 1 -o "$follow" ${RESUME:+--resume}
  rm -rf "$open_dir"
  splitsched report "$follow"
  done_dirs+=("$follow")
  python scripts/library_table.py "${done_dirs[@]}" --library v2 --out results/reference
done
check=results/reference/v2/certify60e
splitsched bench --set results/reference/v2/certify60/instances --solvers hybrid \
  --time-limit 60 --threads 2 --workers 1 -o "$check" ${RESUME:+--resume}
splitsched report "$check"
python scripts/library_table.py "${done_dirs[@]}" "$check" --library v2 --out results/reference
batch=results/reference/v2/certify60f-set  # a fixed path: --resume checks the set is the same
if [[ -z "${RESUME:-}" || ! -d "$batch" ]]; then
  rm -rf "$batch" && mkdir -p "$batch"
  cp results/reference/v2/certify60/instances/v2-batch-* "$batch"/
fi
twins=results/reference/v2/certify60f
splitsched bench --set "$batch" --solvers hybrid --time-limit 60 --threads 2 --workers 1 \
  -o "$twins" ${RESUME:+--resume}
rm -rf "$batch"
splitsched report "$twins"
python scripts/library_table.py "${done_dirs[@]}" "$check" "$twins" --library v2 \
  --out results/reference
cases=results/reference/v2/certify-casesplit-set  # a fixed path: --resume checks the set
if [[ -z "${RESUME:-}" || ! -d "$cases" ]]; then
  rm -rf "$cases"
  python scripts/open_instances.py results/reference/v2/instances.csv "$cases" --max-n 40
fi
split=results/reference/v2/certify-casesplit
splitsched bench --set "$cases" --solvers case-split --time-limit 2400 --threads 2 --workers 1 \
  -o "$split" ${RESUME:+--resume}
rm -rf "$cases"
splitsched report "$split"
python scripts/library_table.py "${done_dirs[@]}" "$check" "$twins" "$split" --library v2 \
  --out results/reference
long=results/reference/v2/certify-twins-set  # a fixed path: --resume checks the set is the same
if [[ -z "${RESUME:-}" || ! -d "$long" ]]; then
  rm -rf "$long" && mkdir -p "$long"
  cp results/reference/v2/certify60/instances/v2-batch-huawei_mate_20-n80-l4-s[13]__* "$long"/
fi
twins_long=results/reference/v2/certify-twins
splitsched bench --set "$long" --solvers hybrid --time-limit 3000 --threads 1 --workers 2 \
  --mem-limit-mb 16384 -o "$twins_long" ${RESUME:+--resume}
rm -rf "$long"
splitsched report "$twins_long"
python scripts/library_table.py "${done_dirs[@]}" "$check" "$twins" "$split" "$twins_long" \
  --library v2 --out results/reference
certify_n80=results/reference/v2/certify-n80
splitsched bench --set v2/batch-n80,v2/poisson-n80 --solvers hybrid --time-limit 60 --threads 2 \
  --workers 1 -o "$certify_n80" ${RESUME:+--resume}
splitsched report "$certify_n80"
python scripts/library_table.py "${done_dirs[@]}" "$check" "$twins" "$split" "$twins_long" \
  "$certify_n80" --library v2 --out results/reference
