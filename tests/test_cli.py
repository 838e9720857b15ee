"""The command line: end-to-end calls and exit status 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from _builders import counterexample_edf

from splitsched.io import instance_to_dict, write_instance


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splitsched.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def solved_schedule(instance_file: Path, sched: Path) -> dict:  # type: ignore[type-arg]
    """Solve with fifo-gpu through the CLI and return the schedule file's JSON."""
    made = run("solve", str(instance_file), "--solver", "fifo-gpu", "-o", str(sched))
    assert made.returncode == 0, made.stderr
    return json.loads(sched.read_text())  # type: ignore[no-any-return]


@pytest.fixture()
def instance_file(tmp_path: Path) -> Path:
    path = tmp_path / "inst.json"
    write_instance(counterexample_edf(), path)
    return path


def test_solve_then_evaluate(tmp_path: Path, instance_file: Path) -> None:
    sched = tmp_path / "s.json"
    res = run("solve", str(instance_file), "--solver", "edf-greedy-cut", "--time-limit", "5",
              "-o", str(sched), "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["solver"] == "edf-greedy-cut" and summary["weighted_misses"] == 1
    ev = run("evaluate", str(instance_file), str(sched), "--json")
    assert ev.returncode == 0, ev.stderr
    assert json.loads(ev.stdout) | {"violations": []} == json.loads(ev.stdout)
    assert json.loads(ev.stdout)["misses"] == 1


def test_solvers_lists_baselines() -> None:
    res = run("solvers")
    assert res.returncode == 0
    for name in ("fifo-gpu", "fifo-cpu", "edf-gpu", "edf-cpu", "edf-best-single",
                 "edf-greedy-cut"):
        assert name in res.stdout


@pytest.mark.parametrize("args, needle", [
    (["solve", "{inst}", "--solver", "nope"], "--solver: unknown solver 'nope'"),
    (["solve", "{inst}", "--time-limit", "-1"], "--time-limit: must be > 0"),
    (["solve", "{tmp}/absent.json"], "absent.json: (file): no such file"),
    (["solve", "{bad}"], "jobs[0].release"),
    (["evaluate", "{inst}", "{tmp}/absent.json"], "no such file"),
    (["generate", "--scenario", "weird", "--device", "x", "-o", "{tmp}/o.json"], "device"),
])
def test_bad_input_exits_2(tmp_path: Path, instance_file: Path, args: list[str],
                           needle: str) -> None:
    data = instance_to_dict(counterexample_edf())
    data["jobs"][0]["release"] = -3
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    filled = [a.format(inst=instance_file, tmp=tmp_path, bad=bad) for a in args]
    res = run(*filled)
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert needle in res.stderr
    assert not (tmp_path / "o.json").exists()


def test_schedule_for_another_instance_is_refused(tmp_path: Path, instance_file: Path) -> None:
    sched = tmp_path / "s.json"
    data = solved_schedule(instance_file, sched)
    data["instance_id"] = "other"
    sched.write_text(json.dumps(data))
    res = run("evaluate", str(instance_file), str(sched))
    assert res.returncode == 2 and "instance_id" in res.stderr


def test_infeasible_schedule_exits_1(tmp_path: Path, instance_file: Path) -> None:
    sched = tmp_path / "s.json"
    data = solved_schedule(instance_file, sched)
    data["plans"][1]["gpu_start"] = data["plans"][0]["gpu_start"]  # two GPU stages at once
    sched.write_text(json.dumps(data))
    res = run("evaluate", str(instance_file), str(sched))
    assert res.returncode == 1 and "overlap on gpu" in res.stdout


@pytest.mark.parametrize("solver", ["milp-pulp-highs", "milp-ortools-highs", "cpsat", "dp-edf"])
def test_json_stdout_is_one_object(instance_file: Path, solver: str) -> None:
    """Native solver banners must not reach stdout: --json prints one JSON object."""
    res = run("solve", str(instance_file), "--solver", solver, "--time-limit", "5", "--json")
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["solver"] == solver
    assert summary["weighted_misses"] == (1 if solver == "dp-edf" else 0)
