#!/usr/bin/env bash
# CI step: a normal (non-editable) install has its data. Build the wheel, install it into a
# fresh venv (dependencies come from this machine's site-packages, so nothing is downloaded),
# then run the main commands from a folder outside the checkout, where only the installed
# package (profiles, sets spec and built sets as package data) can be found.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python -m pip wheel --quiet --disable-pip-version-check --no-deps --no-build-isolation \
  -w "$work/dist" "$repo"
wheel="$(ls "$work"/dist/splitsched-*.whl)"
echo "wheel: $(basename "$wheel"), $(du -k "$wheel" | cut -f1) KiB"
python - "$wheel" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
data = [n for n in names if n.startswith("splitsched/data/")]
print(f"  {len(names)} files, {len(data)} of them package data")
need = ["splitsched/data/sets.toml", "splitsched/data/profiles/mi9.json",
        "splitsched/data/sets/smoke/manifest.json"]
missing = [n for n in need if n not in names]
stray = [n for n in names if not n.startswith(("splitsched/", "splitsched-"))]
if missing or stray:
    sys.exit(f"wheel is wrong: missing {missing}, outside the package {stray}")
PY

python -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps \
  --force-reinstall "$wheel"
bin="$work/venv/bin/splitsched"
cd "$work"  # outside the checkout: the checkout's package cannot be imported from here
where="$("$work/venv/bin/python" -c 'import splitsched, pathlib; print(pathlib.Path(splitsched.__file__).parent)')"
case "$where" in "$repo"*) echo "imported the checkout ($where), not the wheel"; exit 1;; esac
echo "installed package: $where"

set -x
"$bin" profiles | grep -q mi9
"$bin" sets list | grep -q smoke
"$bin" generate --scenario poisson --device mi9 \
  --models acl-squeezenet,inception-v3,inception-v4,pnasnet-mobile --jobs 12 --load 3 --seed 1 \
  -o mi9.json
"$bin" solve mi9.json --solver dp-edf --time-limit 10 -o mi9-dp.json --plot gantt.png
test -s gantt.png
"$bin" evaluate mi9.json mi9-dp.json > /dev/null
"$bin" bench --set smoke --solvers dp-edf,edf-greedy-cut --time-limit 2 -o run
test -s run/runs.jsonl
# building sets must not write into the installed package: refused (2) without --out
rc=0; "$bin" sets build smoke 2> err.txt || rc=$?
test "$rc" -eq 2 && grep -q -- "--out" err.txt
"$bin" sets build smoke --out sets > /dev/null
cmp sets/smoke/manifest.json "$where/data/sets/smoke/manifest.json"  # rebuilt byte for byte
set +x
echo "wheel check passed"
