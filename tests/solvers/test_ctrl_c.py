"""Ctrl-C still raises ``KeyboardInterrupt`` after a CP-SAT solve in the process.

CP-SAT's default ``catch_sigint_signal`` left SIGINT at its default action after a
solve, so a later Ctrl-C killed an ``online --set`` sweep (whose offline reference is
``cpsat`` by default) outright: no ``--resume`` hint, exit -2 instead of 130 (a
newcomer's report). Every CP-SAT solver is made by ``formulations.cp.cp_solver``.
"""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

SCRIPT = """
import os, signal, time
from splitsched.solve import solve
from tests.helpers.builders import edf_counterexample
for name in {names!r}:
    solve(edf_counterexample(), name, time_limit_s=2, seed=0, threads=1)
try:
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(5)
except KeyboardInterrupt:
    print("KeyboardInterrupt raised")
"""


@pytest.mark.parametrize("names", [("cpsat",), ("hybrid", "lbbd", "lns-cpsat")])
def test_sigint_after_a_cp_sat_solve_is_python_s(names: tuple[str, ...]) -> None:
    # hybrid and lbbd run CP-SAT inside; lns-cpsat its window searches.
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(names=names)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != -signal.SIGINT, "killed by SIGINT: CP-SAT took the signal"
    assert proc.returncode == 0, proc.stderr
    assert "KeyboardInterrupt raised" in proc.stdout
