"""scripts/accepted_set.py against the demo's certified optimum (2 misses: j5, j6)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers.paths import REPO_ROOT
from tests.helpers.scripts import ScriptResult, run_program, run_script

DEMO = REPO_ROOT / "splitsched/data/sets/demo/batch-huawei_p40-n8-l2p5-s1.json"  # optimum 2


def _run(*args: str) -> ScriptResult:
    return run_script("accepted_set", *args)


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
    missing = run_program("accepted_set", "no-such-file.json", "--missed", "j1")
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


def test_missed_id_takes_an_id_with_a_comma_verbatim(tmp_path: Path) -> None:
    data = json.loads(DEMO.read_text())
    for job in data["jobs"]:
        if job["id"] == "j5":
            job["id"] = "j5, x"
    path = tmp_path / "ids.json"
    path.write_text(json.dumps(data))
    res = _run(str(path), "--missed", "j6", "--missed-id", "j5, x", "--seconds", "60")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "2 missed" in res.stdout and "CP-SAT: FEASIBLE" in res.stdout
    split = _run(str(path), "--missed", "j5, x,j6")
    assert split.returncode == 2 and "--missed-id takes one verbatim" in split.stderr


@pytest.mark.parametrize("script", ["accepted_set.py", "case_split.py"])
def test_ctrl_c_while_starting_is_one_line_and_130(script: str) -> None:
    # SIGINT 0.3 s in: imports, reading the file or the first solve; was a traceback and
    # death by SIGINT. An 80-job instance: on the demo the script can finish within 0.3 s
    # and the signal then lands in the interpreter's shutdown.
    big = REPO_ROOT / "splitsched/data/sets/poisson-n80/poisson-huawei_p40-n80-l3-s1.json"
    args = {"accepted_set.py": ["--missed", "", "--seconds", "60"],
            "case_split.py": ["--misses", "1", "--budget", "60"]}[script]
    proc = subprocess.Popen([sys.executable, str(REPO_ROOT / "scripts" / script), str(big),
                             *args], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and err.startswith("interrupted")
