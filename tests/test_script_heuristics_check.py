"""scripts/heuristics_check.py: an --instances id outside the selected sets is an error
(exit 2, naming it), not an empty table; a valid id runs and reports its gap."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "heuristics_check.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_an_instance_outside_the_selected_sets_is_refused() -> None:
    res = _run("--instances", "v2-poisson-redmi-n40-l3-s1-w", "--solvers", "dp-edf")
    assert res.returncode == 2
    assert "v2-poisson-redmi-n40-l3-s1-w" in res.stderr and "--library" in res.stderr
    assert res.stdout == ""


def test_a_listed_instance_runs() -> None:
    res = _run("--sets", "batch-n5", "--instances", "batch-huawei_p40-n5-l1p5-s1",
               "--solvers", "dp-edf")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("batch-huawei_p40-n5-l1p5-s1")
