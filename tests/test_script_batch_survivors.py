"""scripts/batch_survivors.py: its report on a small batch instance and its errors (the
refutation it runs is tested in tests/solvers/test_twins.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers.paths import REPO_ROOT
from tests.helpers.scripts import ScriptResult, run_program, run_script

DEMO = REPO_ROOT / "splitsched/data/sets/demo/batch-mi9-n8-l2p5-s1.json"


def _run(*args: str) -> ScriptResult:
    return run_script("batch_survivors", *args)


def test_refutes_one_miss_less_than_the_optimum() -> None:
    # hybrid certifies 3 misses on this demo instance
    # (results/reference/certify/demo-5s-1thread-hybrid-55f393d.csv): no set of 6 of its
    # jobs can all be on time, so every count vector is refuted
    out = _run(str(DEMO), "--misses", "3")
    assert out.returncode == 0, out.stderr
    assert "open: 0" in out.stdout, out.stdout


def test_bad_input_exits_2() -> None:
    missing = run_program("batch_survivors", "no-such-file.json", "--misses", "2")
    assert missing.returncode == 2 and "no-such-file.json" in missing.stderr
    res = _run(str(DEMO), "--misses", "0")
    assert res.returncode == 2 and "--misses" in res.stderr
    poisson = REPO_ROOT / "splitsched/data/sets/demo/poisson-mi9-n8-l2p5-s1.json"
    res = _run(str(poisson), "--misses", "1")
    assert res.returncode == 2 and "release" in res.stderr


def test_bad_limits_and_an_empty_instance_exit_2(tmp_path: Path) -> None:
    # found by a review: a time limit of 0, below 0 or NaN ran every vector at no time and
    # exited 0 with all of them "unknown"
    for seconds in ("0", "-1", "nan", "inf", "1e-400"):
        res = _run(str(DEMO), "--misses", "3", f"--seconds={seconds}")
        assert res.returncode == 2 and "--seconds" in res.stderr, (seconds, res.stderr)
    res = _run(str(DEMO), "--misses", "3", "--max-vectors", "0")
    assert res.returncode == 2 and "--max-vectors" in res.stderr
    data = json.loads(DEMO.read_text())
    data["jobs"] = []
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps(data))
    res = _run(str(empty), "--misses", "1")
    assert res.returncode == 2 and "empty.json" in res.stderr and "jobs" in res.stderr
