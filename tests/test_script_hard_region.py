"""scripts/hard_region.py: its table reads the bench's run records (objects, not dicts)."""

from __future__ import annotations

import importlib.util

from splitsched.bench.records import RUNS_FILE, read_runs
from tests.helpers.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "hard_region.py"
RUN = REPO_ROOT / "results" / "reference" / "v2" / "run"

_spec = importlib.util.spec_from_file_location("hard_region", SCRIPT)
assert _spec is not None and _spec.loader is not None
hard_region = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(hard_region)


def test_the_table_counts_every_instance_dp_edf_ran_on_once() -> None:
    # it indexed RunRecord objects as dicts and failed with a TypeError (found by mypy)
    text = hard_region.table(RUN)
    records = read_runs(RUN / RUNS_FILE).records
    ran = {r.instance_sha256 for r in records if r.solver == "dp-edf" and r.feasible}
    rows = [line.split("|") for line in text.splitlines()
            if line.startswith("| ") and line.split("|")[2].strip().isdigit()]
    assert rows and sum(int(cells[4]) for cells in rows) == len(ran)
