"""scripts/accepted_set.py against the demo's certified optimum (2 misses: j5, j6)."""

from __future__ import annotations

import subprocess
import sys

from tests.helpers.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "accepted_set.py"
DEMO = REPO_ROOT / "splitsched/data/sets/demo/batch-huawei_p40-n8-l2p5-s1.json"  # optimum 2


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


def test_an_optimal_on_time_set_is_feasible() -> None:
    res = _run(str(DEMO), "--missed", "j5,j6", "--seconds", "60")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "6 jobs on time (weight 6 of 8), 2 missed" in res.stdout
    assert "CP-SAT: FEASIBLE" in res.stdout and "checked: 2 weighted misses" in res.stdout


def test_a_set_larger_than_the_optimum_allows_is_infeasible() -> None:
    # 7 or 8 jobs on time would beat the certified optimum of 2 misses
    for missed in ("", "j5", "j6"):
        res = _run(str(DEMO), "--missed", missed, "--seconds", "60")
        assert res.returncode == 0, res.stdout + res.stderr
        assert "CP-SAT: INFEASIBLE" in res.stdout
        assert "(all on time" not in res.stdout  # dp-ls cannot keep them all either


def test_bad_input_exits_2() -> None:
    missing = _run("no-such-file.json", "--missed", "j1")
    assert missing.returncode == 2 and "no-such-file.json" in missing.stderr
    for flag, bad in (("--missed", "j1,nope"), ("--seconds", "0"), ("--seconds", "inf"),
                      ("--threads", "0")):
        args = [str(DEMO), "--missed", "j1", flag, bad]
        res = _run(*args)
        assert res.returncode == 2 and flag in res.stderr, (flag, bad, res.stderr)
        assert res.stdout == ""
    res = _run(str(DEMO), "--missed", "j1,nope")
    assert "'nope'" in res.stderr and str(DEMO) in res.stderr


def test_dp_cuts_leave_only_the_sequencing() -> None:
    # dp-ls keeps the optimal set on time, so with its cuts CP-SAT finds a schedule too
    res = _run(str(DEMO), "--missed", "j5,j6", "--seconds", "60", "--dp-cuts")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "(all on time: the set is feasible)" in res.stdout
    assert "CP-SAT with dp-ls's cuts: FEASIBLE" in res.stdout
    assert res.stdout.count("checked: 2 weighted misses") == 2
