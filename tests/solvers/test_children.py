"""A solve stopped by Ctrl-C or SIGTERM leaves no backend process running.

PuLP runs CBC as a child process; an interrupt in PuLP's wait for it left CBC running,
orphaned, until its own time limit (``splitsched solve -s milp-pulp-cbc`` killed with
SIGTERM: a core busy for minutes after the command had exited 143).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from splitsched.io import read_instance
from splitsched.solve import solve
from splitsched.solvers.children import child_pids, reaped_children
from tests.helpers.paths import SETS_DIR

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc"), reason="needs Linux /proc")


def _alive(pid: int) -> bool:
    """Whether ``pid`` is a live (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] != b"Z"
    except OSError:
        return False


def test_children_started_in_the_block_die_with_its_exception() -> None:
    older = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        with pytest.raises(KeyboardInterrupt), reaped_children():
            newer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
            assert newer.pid in child_pids()
            raise KeyboardInterrupt
        assert not _alive(newer.pid)
        assert _alive(older.pid)  # not the block's: left alone
    finally:
        older.kill()
        older.wait()


def test_an_interrupted_cbc_solve_leaves_no_cbc_running() -> None:
    inst = read_instance(SETS_DIR / "v2" / "ar-poisson-n40" / "v2-poisson-redmi-n40-l4-s3-w.json")
    seen: list[int] = []
    before = child_pids()

    def interrupt_once_cbc_runs() -> None:
        for _ in range(1200):  # CBC starts after the model is built: wait up to 60 s
            new = child_pids() - before
            if new:
                seen.extend(new)
                # A real signal: it interrupts the wait for CBC (the CLI makes SIGTERM the same).
                os.kill(os.getpid(), signal.SIGINT)
                return
            time.sleep(0.05)

    watcher = threading.Thread(target=interrupt_once_cbc_runs, daemon=True)
    watcher.start()
    with pytest.raises(KeyboardInterrupt):
        solve(inst, "milp-pulp-cbc", time_limit_s=120, seed=0, threads=1)
        time.sleep(5)  # the solve ended before CBC was seen: let the watcher's interrupt land
    watcher.join()
    assert seen, "CBC was never started"
    assert not [pid for pid in seen if _alive(pid)], "CBC still running after the interrupt"


# A Ctrl-C that Python loses (raised inside a library callback, as numba's compile
# callbacks do) lets the solve go on; the CLI's watcher then ends the process with
# os._exit, where no except clause runs. Here the main thread swallows the signal and
# has started a child: the watcher must kill it before exiting.
LOST_INTERRUPT = """
import os, signal, subprocess, sys, time
from splitsched.cli.options import said_when_interrupted
with said_when_interrupted():
    signal.signal(signal.SIGINT, lambda *a: None)  # the interrupt is lost
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    print(child.pid, flush=True)
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(30)
"""


def test_the_cli_watcher_kills_children_when_it_ends_the_process() -> None:
    proc = subprocess.run([sys.executable, "-c", LOST_INTERRUPT], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 130, proc.stderr
    assert "interrupted: nothing was written" in proc.stderr
    child = int(proc.stdout.split()[0])
    time.sleep(0.2)
    assert not _alive(child)


def test_an_interrupted_cbc_solve_leaves_no_files(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    test_an_interrupted_cbc_solve_leaves_no_cbc_running()
    assert list(tmp_path.iterdir()) == []  # PuLP's model, start and log files: gone
