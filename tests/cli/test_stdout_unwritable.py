"""Standard output that cannot be written: a full device, a closed descriptor, a broken pipe.

Each command that prints ends with exit status 1; a full device or a closed stdout says so
in one line (``error: standard output: cannot write: REASON``), never with a traceback;
a broken pipe ends quietly, as a reader that has gone expects (docs/reliability.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")

ENOSPC = "error: standard output: cannot write: No space left on device"
EBADF = "error: standard output: cannot write: Bad file descriptor"


def _run(args: list[str], cwd: Path, stdout: object,
         **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splitsched", *args], stdout=stdout,
                          stderr=subprocess.PIPE, text=True, cwd=cwd, timeout=300,
                          **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with an instance ``i.json`` and a schedule ``s.json`` of it."""
    folder = tmp_path_factory.mktemp("stdout")
    for args in (["generate", "--device", "redmi", "--jobs", "3", "-o", "i.json"],
                 ["solve", "i.json", "--solver", "edf-gpu", "-o", "s.json"]):
        res = _run(args, folder, subprocess.DEVNULL)
        assert res.returncode == 0, res.stderr
    return folder


COMMANDS = [
    ["--version"], ["solvers"], ["schema", "instance"], ["sets", "list"], ["show", "i.json"],
    ["evaluate", "i.json", "s.json", "--json"], ["evaluate", "i.json", "s.json"],
    ["solve", "i.json", "--solver", "edf-gpu", "-o", "out.json"],
    ["generate", "--device", "redmi", "--jobs", "3", "-o", "g.json"],
]


def _one_error_line(res: subprocess.CompletedProcess[str], line: str) -> None:
    assert res.returncode == 1, res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines() == [line], res.stderr


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_full_device_is_one_line(files: Path, args: list[str]) -> None:
    with open("/dev/full", "w") as full:
        _one_error_line(_run(args, files, full), ENOSPC)


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_a_closed_stdout_is_one_line(files: Path, args: list[str]) -> None:
    res = _run(args, files, None, preexec_fn=lambda: os.close(1))
    _one_error_line(res, EBADF)


def test_a_closed_stdout_is_no_error_where_nothing_is_printed(files: Path) -> None:
    # `schema` with a bad name prints only to stderr: the closed stdout changes nothing
    res = _run(["schema", "nope"], files, None, preexec_fn=lambda: os.close(1))
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr


@pytest.mark.parametrize("args", [["solvers"], ["schema", "instance"], ["--version"]],
                         ids=" ".join)
def test_a_broken_pipe_ends_quietly(files: Path, args: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        res = _run(args, files, write_end)
    finally:
        os.close(write_end)
    assert res.returncode == 1, res.stderr
    assert res.stderr == "", res.stderr


@pytest.mark.parametrize("how", ["closed", "full"])
def test_stderr_that_cannot_be_written_keeps_the_exit_status(files: Path, how: str) -> None:
    """No message can be read, but the status still tells: 2 for bad input, 0 for success."""
    def run(args: list[str]) -> subprocess.CompletedProcess[str]:
        if how == "closed":
            return subprocess.run([sys.executable, "-m", "splitsched", *args],
                                  stdout=subprocess.PIPE, text=True, cwd=files, timeout=300,
                                  preexec_fn=lambda: os.close(2))
        with open("/dev/full", "w") as full:
            return subprocess.run([sys.executable, "-m", "splitsched", *args],
                                  stdout=subprocess.PIPE, stderr=full, text=True, cwd=files,
                                  timeout=300)

    assert run(["show", "no-such.json"]).returncode == 2
    ok = run(["show", "i.json"])
    assert ok.returncode == 0 and ok.stdout.startswith("instance ")
