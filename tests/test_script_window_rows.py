"""scripts/window_rows.py: its rows never cut the optimum, a known strict gain, bad input."""

from __future__ import annotations

import random

from splitsched.formulations.bounds import lp_bound
from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum
from tests.helpers.paths import REPO_ROOT
from tests.helpers.scripts import ScriptResult, load_script, run_program, run_script

DEMO = REPO_ROOT / "splitsched/data/sets/demo"

window_rows = load_script("window_rows")


def _run(*args: str) -> ScriptResult:
    return run_script("window_rows", *args)


def test_window_rows_keep_the_optimum() -> None:
    # every row bounds the on-time weight of every schedule: the LP over the rows is
    # never below the brute-force optimum's on-time weight
    rng = random.Random(9)
    for _ in range(25):
        inst = random_tiny_instance(rng, 5, max_weight=3)
        rows = [r for J in window_rows.window_sets(inst, 5)
                if (r := window_rows.window_row(inst, J, 2.0)) is not None]
        best = inst.total_weight - optimum(inst)
        assert lp_bound(inst, rows).upper_bound >= best, inst
        for r in rows:
            J = [j for j in range(inst.num_jobs) if r.coef[j]]
            assert r.capacity < sum(inst.jobs[j].weight for j in J)


def test_strictly_stronger_than_the_energetic_rows() -> None:
    # batch-huawei_p40-n8-l2p5-s1: the energetic rows allow all 8 jobs on time; its
    # optimum is 2 misses (hybrid and cpsat certify it, README), which the row of the
    # window holding every job states
    out = _run(str(DEMO / "batch-huawei_p40-n8-l2p5-s1.json"), "--max-jobs", "8")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert "energetic rows: LP bound 8 on-time weight (0 misses)" in lines[1]
    assert "energetic + window rows: LP bound 6 on-time weight (2 misses)" in lines[2]


def test_bad_input_exits_2() -> None:
    missing = run_program("window_rows", "no-such-file.json")
    assert missing.returncode == 2 and "no-such-file.json" in missing.stderr
    res = _run(str(DEMO / "batch-mi9-n8-l2p5-s1.json"), "--max-jobs", "1")
    assert res.returncode == 2 and "--max-jobs" in res.stderr
    for bad in ("0", "inf", "nan"):
        res = _run(str(DEMO / "batch-mi9-n8-l2p5-s1.json"), "--seconds", bad)
        assert res.returncode == 2 and "--seconds" in res.stderr, bad
