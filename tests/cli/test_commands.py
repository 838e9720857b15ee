"""The command line: end-to-end calls and exit status 2 on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from splitsched.io import instance_to_dict
from tests.helpers.builders import edf_counterexample
from tests.helpers.cli import main


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splitsched.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=120)


def solved_schedule(instance_file: Path, sched: Path,
                    capsys: pytest.CaptureFixture[str] | None = None
                    ) -> dict:  # type: ignore[type-arg]
    """Solve with fifo-gpu through the CLI and return the schedule file's JSON.

    With ``capsys`` the CLI runs in this process (no interpreter start-up per call)."""
    args = ("solve", str(instance_file), "--solver", "fifo-gpu", "-o", str(sched))
    if capsys is None:
        made = run(*args)
        assert made.returncode == 0, made.stderr
    else:
        code, _out, err = main(capsys, *args)
        assert code == 0, err
    return json.loads(sched.read_text())  # type: ignore[no-any-return]


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
                           needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    data = instance_to_dict(edf_counterexample())
    data["jobs"][0]["release"] = -3
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    filled = [a.format(inst=instance_file, tmp=tmp_path, bad=bad) for a in args]
    code, out, err = main(capsys, *filled)  # in process: the exit status is the CLI's own
    assert code == 2, (out, err)
    assert needle in err
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


def test_python_dash_m_splitsched_is_the_cli() -> None:
    """``python -m splitsched`` and ``python -m splitsched.cli`` list the same solvers."""
    pkg = subprocess.run([sys.executable, "-m", "splitsched", "solvers"], capture_output=True,
                         text=True, timeout=120)
    cli = run("solvers")
    assert pkg.returncode == cli.returncode == 0, pkg.stderr
    assert pkg.stdout == cli.stdout and "dp-edf" in pkg.stdout


def test_library_parameter_errors_name_the_flag(tmp_path: Path) -> None:
    """generate_instance names ``jobs``; the CLI prints the flag ``--jobs`` (exit 2)."""
    res = run("generate", "--device", "mi9", "--jobs", "0", "-o", str(tmp_path / "x.json"))
    assert res.returncode == 2
    assert res.stderr.startswith("error: --jobs: must be >= 1"), res.stderr
    assert not (tmp_path / "x.json").exists()


def test_bench_refuses_an_unknown_solver_before_running(tmp_set: Path, tmp_path: Path) -> None:
    res = run("bench", "--set", str(tmp_set), "--solvers", "dp-edf,nope", "-o",
              str(tmp_path / "run"))
    assert res.returncode == 2
    assert "--solvers" in res.stderr and "'nope'" in res.stderr
    assert not (tmp_path / "run" / "runs.jsonl").exists()


def test_solve_stamps_the_schedule(tmp_path: Path, instance_file: Path) -> None:
    """The written schedule carries the instance hash and the run's facts in meta."""
    from splitsched.io import instance_sha256, read_instance, read_schedule

    out = tmp_path / "s.json"
    res = run("solve", str(instance_file), "--solver", "dp-edf", "--time-limit", "3",
              "--seed", "2", "-o", str(out))
    assert res.returncode == 0, res.stderr
    sched = read_schedule(out)
    assert sched.instance_sha256 == instance_sha256(read_instance(instance_file))
    meta = dict(sched.meta)
    assert {k: meta[k] for k in ("status", "bound", "time_limit_s", "seed", "threads")} == {
        "status": "feasible", "bound": None, "time_limit_s": 3.0, "seed": 2, "threads": 1}
    assert meta["runtime_s"] >= 0


def test_solvers_option_restricts_solver_parametrized_tests() -> None:
    """``--solvers dp-edf`` keeps the dp-edf case of a solver-parametrized test, not others."""
    from tests.helpers.paths import REPO_ROOT

    res = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                          "tests/cli/test_commands.py", "--solvers", "dp-edf", "-p",
                          "no:cacheprovider"], capture_output=True, text=True, cwd=REPO_ROOT,
                         timeout=300)
    assert res.returncode == 0, res.stdout + res.stderr
    ids = [line for line in res.stdout.splitlines() if "test_json_stdout" in line]
    assert ids and all("[dp-edf]" in i for i in ids), ids
    assert "test_solve_then_evaluate" in res.stdout  # not solver-parametrized: kept


def test_plot_and_solve_plot_write_pictures(tmp_path: Path, instance_file: Path) -> None:
    """``plot`` draws a schedule file; ``solve --plot`` draws the answer; both exit 0."""
    sched = tmp_path / "s.json"
    res = run("solve", str(instance_file), "--solver", "dp-edf", "-o", str(sched),
              "--plot", str(tmp_path / "solve.svg"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "solve.svg").read_text().count("<svg") == 1
    for name in ("g.png", "g.html"):
        res = run("plot", str(instance_file), str(sched), "-o", str(tmp_path / name))
        assert res.returncode == 0, res.stderr
        assert (tmp_path / name).stat().st_size > 0
        # dp-edf misses B on the EDF counterexample (one miss: "miss", not "misses")
        assert "1 weighted miss (1 of 2 jobs)" in res.stdout


@pytest.mark.parametrize("args, needle", [
    (["plot", "{inst}", "{sched}", "-o", "{tmp}/g.jpg"], "--output: unknown picture format"),
    (["plot", "{inst}", "{tmp}/absent.json", "-o", "{tmp}/g.png"], "absent.json: (file)"),
    (["plot", "{inst}", "{other}", "-o", "{tmp}/g.png"], "instance_id"),
    (["solve", "{inst}", "--plot", "{tmp}/g.pdf"], "--plot: unknown picture format"),
])
def test_plot_bad_input_exits_2(tmp_path: Path, instance_file: Path, args: list[str],
                                needle: str, capsys: pytest.CaptureFixture[str]) -> None:
    sched = tmp_path / "s.json"
    data = solved_schedule(instance_file, sched, capsys)
    other = tmp_path / "other.json"
    other.write_text(json.dumps(data | {"instance_id": "other"}))
    filled = [a.format(inst=instance_file, sched=sched, other=other, tmp=tmp_path) for a in args]
    code, out, err = main(capsys, *filled)
    assert code == 2, (out, err)
    assert needle in err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith("g.")]


def test_plot_of_an_infeasible_schedule_draws_it_and_exits_1(tmp_path: Path,
                                                              instance_file: Path) -> None:
    sched = tmp_path / "s.json"
    data = solved_schedule(instance_file, sched)
    data["plans"][1]["gpu_start"] = data["plans"][0]["gpu_start"]  # two GPU stages at once
    sched.write_text(json.dumps(data))
    res = run("plot", str(instance_file), str(sched), "-o", str(tmp_path / "g.png"))
    assert res.returncode == 1 and "overlap on gpu" in res.stderr
    assert (tmp_path / "g.png").stat().st_size > 0
