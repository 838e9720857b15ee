"""A signal after a command has ended does not change its exit status.

(A newcomer's attack: ``report`` printed ``report written`` and then exited 130, killed
by a Ctrl-C in the interpreter's shutdown. Signals during a report:
tests/bench/test_report_whole.py, tests/online/test_report_whole.py; SIGTERM before a
sweep's first run: tests/bench/test_sweep.py.)
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.helpers.paths import REPO_ROOT


def _env() -> dict[str, str]:
    """This checkout's package first, whatever the current folder."""
    return {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}

# Runs the CLI in a fresh interpreter with one object whose finalizer, in the
# interpreter's shutdown (after the command ended and printed its last line), sends this
# process SIGINT and SIGTERM, as a Ctrl-C or `kill PID` then would.
LATE_SIGNALS = '''
import os, signal, sys, time

class Late:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGINT)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.2)

holder = type(sys)("late_signal_holder")
holder.obj = Late()
sys.modules["late_signal_holder"] = holder
from splitsched.cli import main
main()
'''


def test_a_signal_after_the_command_ended_keeps_its_exit_status(tmp_path: Path) -> None:
    res = subprocess.run([sys.executable, "-c", LATE_SIGNALS, "solvers"], capture_output=True,
                         text=True, cwd=tmp_path, env=_env(), timeout=300)
    assert res.returncode == 0, (res.returncode, res.stderr)  # not killed (-2, shell 130)
    assert "dp-edf" in res.stdout
