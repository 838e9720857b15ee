"""scripts/heuristics_check.py: an --instances id outside the selected sets is an error
(exit 2, naming it), not an empty table; a valid id runs and reports its gap."""

from __future__ import annotations

from tests.helpers.scripts import ScriptResult, run_program, run_script


def _run(*args: str) -> ScriptResult:
    return run_script("heuristics_check", *args)


def test_an_instance_outside_the_selected_sets_is_refused() -> None:
    res = run_program("heuristics_check", "--instances", "v2-poisson-redmi-n40-l3-s1-w",
                      "--solvers", "dp-edf")
    assert res.returncode == 2
    assert "v2-poisson-redmi-n40-l3-s1-w" in res.stderr and "--library" in res.stderr
    assert res.stdout == ""


def test_a_listed_instance_runs() -> None:
    res = _run("--sets", "batch-n5", "--instances", "batch-huawei_p40-n5-l1p5-s1",
               "--solvers", "dp-edf")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("batch-huawei_p40-n5-l1p5-s1")
