"""Bad inputs a newcomer tried on the CLI: each is refused with one line and exit 2.

(The second round of hostile testing: a file as ``sets build --out``, an online sweep
without an offline best, a profile of no work, an empty run directory, a set named twice.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splitsched", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=300)


def _refused(res: subprocess.CompletedProcess[str], *words: str) -> None:
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), res.stderr
    assert "Traceback" not in res.stderr
    for w in words:
        assert w in lines[0], lines[0]


def test_sets_build_into_a_file(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_text("{}")
    _refused(_run("sets", "build", "smoke", "--out", "f.json", cwd=tmp_path), "not a directory")


def test_online_sweep_without_an_offline_best(tmp_path: Path) -> None:
    _refused(_run("online", "--set", "smoke", "--policies", "edf-gpu", "--offline", "none",
                  "-o", "on", cwd=tmp_path), "--offline")
    assert not (tmp_path / "on").exists()


def test_a_profile_of_no_work_generates_nothing(tmp_path: Path) -> None:
    (tmp_path / "z.csv").write_text("layer,gpu_us,cpu_us,handoff_us\nconv1,0,0,0\n")
    assert _run("profile", "--from-csv", "z.csv", "-o", "z.json", cwd=tmp_path).returncode == 0
    for scenario in ("periodic", "batch", "poisson"):
        _refused(_run("generate", "--scenario", scenario, "--profile", "z.json", "--jobs", "4",
                      "--seed", "1", "-o", "o.json", cwd=tmp_path), "0 us")
    assert not (tmp_path / "o.json").exists()


@pytest.mark.parametrize("out", ["", "."])
def test_bench_never_writes_into_the_current_folder(tmp_path: Path, out: str) -> None:
    _refused(_run("bench", "--set", "smoke", "--solvers", "edf-gpu", "-o", out, cwd=tmp_path),
             "-o")
    assert list(tmp_path.iterdir()) == []


def test_a_set_named_twice_is_refused(tmp_path: Path) -> None:
    _refused(_run("bench", "--set", "smoke,smoke", "--solvers", "edf-gpu", "-o", "b",
                  cwd=tmp_path), "'smoke' named more than once in 'smoke,smoke'")
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize("option", [["--load", "1e-300"], ["--slack", "1e300"]])
def test_parameters_that_break_the_bounds_name_the_flag(tmp_path: Path,
                                                        option: list[str]) -> None:
    _refused(_run("generate", "--device", "mi9", *option, "-o", "g.json", cwd=tmp_path),
             f"error: {option[0]}:", "time bound", "MAX_TIME_US")
    assert not (tmp_path / "g.json").exists()


def test_solve_prints_a_large_bound_in_full(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """A job of weight 2**31 - 1 that cannot meet its deadline (its fastest cut takes 11 us,
    the deadline is 8 us): the optimum and its bound are 2147483647, and the text line says
    so (it printed bound=2.14748e+09 next to weighted 2147483647)."""
    from splitsched.cli import main
    from splitsched.io import write_instance
    from splitsched.problem import Instance, Job
    from tests.helpers.builders import chain_network

    w = 2**31 - 1
    net = chain_network("n", gpu=(5, 7), cpu=(9, 4), handoff=(2,))
    inst = Instance(id="heavy", networks=(net,),
                    jobs=(Job("late", "n", 0, 8, w), Job("easy", "n", 0, 100, 1)))
    write_instance(inst, tmp_path / "i.json")
    with pytest.raises(SystemExit) as exc:  # in process: this checkout, not an installed copy
        main(["solve", str(tmp_path / "i.json"), "-s", "hybrid", "--time-limit", "10", "-o",
              str(tmp_path / "s.json")])
    text = capsys.readouterr().out
    assert exc.value.code in (0, None), text
    assert f"weighted {w};" in text and f"bound={w} " in text, text


@pytest.mark.parametrize("args, option, text", [
    (["bench", "--set", "smoke", "--solvers", "dp-edf,,edf-gpu"], "--solvers",
     "empty name in 'dp-edf,,edf-gpu' (a stray comma?)"),
    (["bench", "--set", "smoke", "--solvers", "dp-edf,"], "--solvers",
     "empty name in 'dp-edf,' (a stray comma?)"),
    (["bench", "--set", "smoke", "--solvers", " , "], "--solvers",
     "empty list ' , '; name at least one"),
    (["bench", "--set", "smoke,", "--solvers", "edf-gpu"], "--set",
     "empty name in 'smoke,' (a stray comma?)"),
    (["bench", "--set", "smoke", "--solvers", "edf-gpu,dp-edf,edf-gpu"], "--solvers",
     "'edf-gpu' named more than once in 'edf-gpu,dp-edf,edf-gpu'"),
    (["online", "--set", "smoke", "--policy", "fifo-gpu,,edf-gpu"], "--policy",
     "empty name in 'fifo-gpu,,edf-gpu' (a stray comma?)"),
    (["online", "--set", "smoke", "--policy", "fifo-gpu", "--offline", "dp-edf,,"],
     "--offline", "empty name in 'dp-edf,,' (a stray comma?)"),
])
def test_a_stray_comma_in_a_list_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            args: list[str], option: str, text: str) -> None:
    """Empty items of a comma list were dropped in silence by bench and online (generate's
    --models refused them): a stray comma now gets one line naming the option."""
    from tests.helpers.cli import refused

    out = tmp_path / "run"
    line = refused(capsys, *args, "-o", str(out))
    assert line == f"error: {option}: {text}", line
    assert not out.exists()


def test_a_stray_comma_in_the_report_gantt_solvers_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.cli import main, refused

    out = tmp_path / "run"
    assert main(capsys, "bench", "--set", "smoke", "--solvers", "edf-gpu", "-o", str(out))[0] == 0
    line = refused(capsys, "report", str(out), "--gantt-solvers", "edf-gpu,,")
    assert line == "error: --gantt-solvers: empty name in 'edf-gpu,,' (a stray comma?)", line
    assert not (out / "report").exists()


DEMO = "splitsched/data/sets/demo/batch-mi9-n8-l2p5-s1.json"


@pytest.mark.parametrize("args, name, what", [
    (["solve", DEMO, "-s", "edf-gpu", "-o"], "x.png",
     "the schedule is written as JSON: give a .json name; a picture of it: --plot x.png"),
    (["generate", "--device", "mi9", "-o"], "g.SVG",
     "the instance is written as JSON: give a .json name"),
    (["online", DEMO, "--policy", "edf-gpu", "--offline", "dp-edf", "-o"], "r.html",
     "the realized schedule is written as JSON: give a .json name"),
    (["profile", "--from-csv", "z.csv", "-o"], "p.pdf",
     "the profile is written as JSON: give a .json name"),
])
def test_a_json_output_with_a_picture_name_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        args: list[str], name: str, what: str) -> None:
    """`solve -o so.png` wrote JSON into so.png without a word (a newcomer wanted a picture)."""
    from tests.helpers.cli import CSV, refused
    from tests.helpers.paths import REPO_ROOT

    (tmp_path / "z.csv").write_text(CSV)
    monkeypatch.chdir(tmp_path)
    args = [str(REPO_ROOT / a) if a == DEMO else a for a in args]
    line = refused(capsys, *args, name)
    suffix = name[name.rindex("."):].lower()
    assert line == f"error: {name}: --output: a picture's name ({suffix}), but {what}", line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["z.csv"]


def test_a_folder_given_as_plot_is_named_a_folder(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.cli import refused
    from tests.helpers.paths import REPO_ROOT

    line = refused(capsys, "solve", str(REPO_ROOT / DEMO), "-s", "edf-gpu", "--plot",
                   str(tmp_path))
    assert line == f"error: {tmp_path}: --plot: is a directory; give a file name", line
