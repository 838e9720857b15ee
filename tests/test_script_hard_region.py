"""scripts/hard_region.py: its table reads the bench's run records (objects, not dicts)."""

from __future__ import annotations

from splitsched.bench.records import RUNS_FILE, read_runs
from tests.helpers.paths import REPO_ROOT
from tests.helpers.scripts import load_script

RUN = REPO_ROOT / "results" / "reference" / "v2" / "run"

hard_region = load_script("hard_region")


def test_the_table_counts_every_instance_dp_edf_ran_on_once() -> None:
    # it indexed RunRecord objects as dicts and failed with a TypeError (found by mypy)
    text = hard_region.table(RUN)
    records = read_runs(RUN / RUNS_FILE).records
    ran = {r.instance_sha256 for r in records if r.solver == "dp-edf" and r.feasible}
    rows = [line.split("|") for line in text.splitlines()
            if line.startswith("| ") and line.split("|")[2].strip().isdigit()]
    assert rows and sum(int(cells[4]) for cells in rows) == len(ran)
