"""scripts/case_split.py: certifies a demo optimum, refutes one more, exits 2 on bad input."""

from __future__ import annotations

from tests.helpers.paths import REPO_ROOT
from tests.helpers.scripts import ScriptResult, run_program, run_script

DEMO = REPO_ROOT / "splitsched/data/sets/demo/batch-huawei_p40-n8-l2p5-s1.json"  # optimum 2


def _run(*args: str) -> ScriptResult:
    return run_script("case_split", *args)


def test_the_demo_optimum_is_certified_and_one_more_is_refuted() -> None:
    ok = _run(str(DEMO), "--misses", "2", "--budget", "120")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "certified: every schedule misses >= 2" in ok.stdout
    over = _run(str(DEMO), "--misses", "3", "--budget", "120")
    assert over.returncode == 1, over.stdout + over.stderr
    assert "found a schedule with 2 weighted misses (feasible: True)" in over.stdout


def test_bad_input_exits_2() -> None:
    missing = run_program("case_split", "no-such-file.json", "--misses", "1")
    assert missing.returncode == 2 and "no-such-file.json" in missing.stderr
    for flag, bad in (("--misses", "-1"), ("--misses", "99"), ("--budget", "0"),
                      ("--leaf-seconds", "nan"), ("--count-leaf-seconds", "0"), ("--threads", "0"),
                      ("--threads", "2000"), ("--merge", "-0.1"), ("--merge", "inf")):
        args = [str(DEMO), "--misses", "2", flag, bad] if flag != "--misses" else [
            str(DEMO), flag, bad]
        res = _run(*args)
        assert res.returncode == 2 and flag in res.stderr, (flag, bad, res.stderr)
        assert res.stdout == ""
