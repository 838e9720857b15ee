"""Issue 13, kinds 1 and 6 at the command line: usage errors, --version, one-line errors.

Every failure here is one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from splitsched.io import instance_to_dict, write_instance
from tests.helpers.builders import edf_counterexample as counterexample_edf


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splitsched.cli", *args], capture_output=True,
                          text=True, timeout=timeout)


def one_line_exit_2(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, res.stderr
    assert needle in lines[0], lines[0]


@pytest.fixture()
def inst(tmp_path: Path) -> Path:
    path = tmp_path / "inst.json"
    write_instance(counterexample_edf(), path)
    return path


@pytest.mark.parametrize("args, needle", [
    (["solve", "{inst}", "--frobnicate"], "No such option: --frobnicate"),
    (["solve", "{inst}", "--time-limit", "abc"], "--time-limit"),
    (["solve"], "Missing argument"),
    (["no-such-command"], "No such command"),
    (["solve", "{inst}", "--seed", "-1"], "--seed"),
    (["solve", "{inst}", "--time-limit", "inf"], "--time-limit"),
    (["solve", "{inst}", "--time-limit", "nan"], "--time-limit"),
    (["generate", "--device", "mi9", "--load", "inf", "-o", "{tmp}/g.json"], "--load"),
    (["show", "/dev/zero"], "not a regular file"),
])
def test_usage_and_input_errors_are_one_line(tmp_path: Path, inst: Path, args: list[str],
                                             needle: str) -> None:
    res = run(*(a.format(inst=inst, tmp=tmp_path) for a in args))
    one_line_exit_2(res, needle)


def test_version() -> None:
    from splitsched import __version__

    res = run("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"splitsched {__version__}"


def test_help_shows_flags_as_flags() -> None:
    res = run("solve", "--help")
    assert res.returncode == 0
    line = next(ln for ln in res.stdout.splitlines() if "--json" in ln)
    assert "<bool>" not in line


def test_output_directory_is_refused_before_the_solve(tmp_path: Path, inst: Path) -> None:
    out = tmp_path / "dd"
    out.mkdir()
    res = run("solve", str(inst), "-s", "dp-edf", "-o", str(out))
    one_line_exit_2(res, "is a directory")
    assert "status=" not in res.stdout  # refused before solving, not after


def test_fifo_input_is_refused_quickly(tmp_path: Path) -> None:
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    one_line_exit_2(run("show", str(fifo), timeout=60), "not a regular file")


def test_overflowing_instance_is_refused_by_show_and_solve(tmp_path: Path) -> None:
    data = instance_to_dict(counterexample_edf())
    data["networks"][0]["layers"] = [{"name": f"l{i}", "gpu_us": 2**62, "cpu_us": 1}
                                     for i in range(3)]
    data["networks"][0]["handoff_us"] = [0, 0, 0, 0]
    path = tmp_path / "big.json"
    path.write_text(json.dumps(data))
    for cmd in ("show", "solve"):
        one_line_exit_2(run(cmd, str(path)), "networks[0].layers[0].gpu_us")


def test_solve_output_through_symlink_keeps_link(tmp_path: Path, inst: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("{}")
    link = tmp_path / "out.json"
    link.symlink_to(target)
    res = run("solve", str(inst), "-s", "dp-edf", "-o", str(link))
    assert res.returncode == 0, res.stderr
    assert link.is_symlink() and json.loads(target.read_text())["solver"] == "dp-edf"
