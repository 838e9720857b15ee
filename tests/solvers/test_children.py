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
import threading
import time

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
