"""A signal after a command has ended does not change its exit status.

(A newcomer's attack: ``report`` printed ``report written`` and then exited 130, killed
by a Ctrl-C in the interpreter's shutdown. Signals during a report:
tests/bench/test_report_whole.py, tests/online/test_report_whole.py; SIGTERM before a
sweep's first run: tests/bench/test_sweep.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

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


# The solve's loading replaced by one that takes the signal inside a ctypes callback, where
# CPython prints the handler's exception and drops it ("Exception ignored on calling ctypes
# callback function"), as llvmlite's cache callback does while numba loads its kernels.
LOST_IN_CALLBACK = """
import ctypes, importlib, os, signal, sys, time

solve_module = importlib.import_module("splitsched.solve")

sig = getattr(signal, sys.argv.pop(1))
real = solve_module.load_solver

def load_solver(*args, **kwargs):
    def callback():
        os.kill(os.getpid(), sig)
        time.sleep(0.05)
    ctypes.CFUNCTYPE(None)(callback)()
    return real(*args, **kwargs)

solve_module.load_solver = load_solver
from splitsched.cli import main
main()
"""


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
def test_a_signal_whose_exception_a_callback_lost_still_stops_the_solve(
        instance: Path, sig: str, status: int, how: str) -> None:
    # The command went on, wrote its schedule and exited 0 with the "Exception ignored"
    # traceback (a sweep of signals 0.5-1.0 s into `solve` found it, on main too).
    res = subprocess.run([sys.executable, "-c", LOST_IN_CALLBACK, sig, "solve", str(instance),
                          "-s", "edf-gpu", "-o", "s.json"], capture_output=True, text=True,
                         cwd=instance.parent, env=_env(), timeout=240)
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines()[-1] == f"{how}: nothing was written", res.stderr
    assert sorted(p.name for p in instance.parent.iterdir()) == ["m.json"]


LOST_IN_BENCH = LOST_IN_CALLBACK.replace('"splitsched.solve"', '"splitsched.bench.sweep"') \
    .replace("load_solver", "load_solvers")


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
def test_a_signal_whose_exception_a_callback_lost_still_stops_bench(
        tmp_path: Path, sig: str, status: int, how: str) -> None:
    # The sweep ran every run and exited 0 ("consistency checks passed").
    res = subprocess.run([sys.executable, "-c", LOST_IN_BENCH, sig, "bench", "--set", "smoke",
                          "--solvers", "edf-gpu", "-o", "run"], capture_output=True,
                         text=True, cwd=tmp_path, env=_env(), timeout=240)
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines()[-1] == (f"{how} before the sweep started: nothing "
                                                   "was written (run does not exist)"), res.stderr


# `python -m splitsched`'s run() with the command line's main followed by SIGTERM and
# SIGINT, as a `kill PID` or Ctrl-C just after the command's last line would come.
AFTER_MAIN = """
import os, signal, sys, time
import splitsched.cli as cli

real = cli.main

def main():
    try:
        real()
    finally:
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.2)

cli.main = main
sys.argv[0] = "splitsched"
from splitsched.__main__ import run
run()
"""


def test_a_signal_just_after_the_command_keeps_its_exit_status(tmp_path: Path) -> None:
    # Between the command's end and the interpreter's shutdown, run() restored the default
    # handlers: SIGTERM killed the process (-15) after its last line.
    res = subprocess.run([sys.executable, "-c", AFTER_MAIN, "solvers"], capture_output=True,
                         text=True, cwd=tmp_path, env=_env(), timeout=300)
    assert res.returncode == 0, (res.returncode, res.stderr)
    assert "dp-edf" in res.stdout and res.stderr == ""


# Runs the CLI with one library function replaced: the signal SIG is sent to this process
# from inside it (before or after the real call, or from a timer one second into it), as a
# Ctrl-C or `kill PID` at that moment would.
SIGNAL_IN = '''
import importlib, os, signal, sys, threading

module, name, when, sig = sys.argv[1:5]
del sys.argv[1:5]
mod = importlib.import_module(module)
real = getattr(mod, name)
signum = getattr(signal, sig)

def patched(*args, **kwargs):
    if when == "before":
        os.kill(os.getpid(), signum)
    if when == "during":
        threading.Timer(1.0, os.kill, (os.getpid(), signum)).start()
    result = real(*args, **kwargs)
    if when == "after":
        os.kill(os.getpid(), signum)
    return result

setattr(mod, name, patched)
from splitsched.cli import main
main()
'''


def _signal_in(tmp_path: Path, target: str, when: str, sig: str,
               *args: str) -> subprocess.CompletedProcess[str]:
    module, name = target.rsplit(".", 1)
    return subprocess.run([sys.executable, "-c", SIGNAL_IN, module, name, when, sig, *args],
                          capture_output=True, text=True, cwd=tmp_path, env=_env(),
                          timeout=240)


GENERATE = ("generate", "--device", "mi9", "--jobs", "50", "-o", "g.json")


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
def test_an_interrupted_generate_says_nothing_was_written(tmp_path: Path, sig: str,
                                                          status: int, how: str) -> None:
    res = _signal_in(tmp_path, "splitsched.generate.generate_instance", "before", sig,
                     *GENERATE)
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines() == [f"{how}: nothing was written"], res.stderr
    assert list(tmp_path.iterdir()) == []  # no instance, no temporary file


def test_a_generate_interrupted_after_its_write_names_the_file(tmp_path: Path) -> None:
    res = _signal_in(tmp_path, "splitsched.io.write_instance", "after", "SIGINT", *GENERATE)
    assert res.returncode == 130, res.stderr
    assert res.stderr.strip().splitlines() == [
        "interrupted: wrote g.json (--output); nothing else was written"], res.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]
    json.loads((tmp_path / "g.json").read_text())  # whole


def test_an_interrupted_generate_leaves_the_old_file_whole(tmp_path: Path) -> None:
    (tmp_path / "g.json").write_text("old")
    res = _signal_in(tmp_path, "splitsched.generate.generate_instance", "after", "SIGTERM",
                     *GENERATE)
    assert res.returncode == 143, res.stderr
    assert res.stderr.strip().splitlines() == ["terminated: nothing was written"]
    assert [p.name for p in tmp_path.iterdir()] == ["g.json"]
    assert (tmp_path / "g.json").read_text() == "old"


@pytest.fixture()
def instance(tmp_path: Path) -> Path:
    """An instance on which CP-SAT runs to its time limit (40 jobs, load 2)."""
    res = subprocess.run([sys.executable, "-m", "splitsched", "generate", "--device", "mi9",
                          "--jobs", "40", "--load", "2", "-o", "m.json"], capture_output=True,
                         text=True, cwd=tmp_path, env=_env(), timeout=240)
    assert res.returncode == 0, res.stderr
    return tmp_path / "m.json"


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
def test_a_solve_in_native_code_stops_at_the_signal(instance: Path, sig: str, status: int,
                                                    how: str) -> None:
    # The signal comes one second into a CP-SAT solve of a 600 s limit: the solve holds
    # the main thread in native code; the command still stops (well before the limit:
    # the subprocess timeout is 240 s) and says that nothing was written.
    res = _signal_in(instance.parent, "splitsched.solve.solve", "during", sig, "solve",
                     str(instance), "-s", "cpsat", "--time-limit", "600", "-o", "s.json",
                     "--plot", "s.png")
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines() == [f"{how}: nothing was written"], res.stderr
    assert sorted(p.name for p in instance.parent.iterdir()) == ["m.json"]


def test_a_solve_interrupted_after_its_schedule_names_it(instance: Path) -> None:
    res = _signal_in(instance.parent, "splitsched.io.write_schedule", "after", "SIGINT",
                     "solve", str(instance), "-s", "edf-gpu", "-o", "s.json")
    assert res.returncode == 130, res.stderr
    assert res.stderr.strip().splitlines() == [
        "interrupted: wrote s.json (--output); nothing else was written"], res.stderr


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
def test_an_interrupt_before_the_command_is_one_line_not_a_traceback(
        tmp_path: Path, sig: str, status: int, how: str) -> None:
    # A Ctrl-C while typer builds the command (imports, every annotation read) printed a
    # traceback and killed the process by SIGINT (a newcomer's attack); then `aborted`, and
    # SIGTERM killed it without a word (a review).
    res = _signal_in(tmp_path, "typer.main.get_command", "before", sig, "solvers")
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines() == [f"{how}: nothing was written"], res.stderr


# `python -m splitsched` with an import hook that sends SIG when MODULE is first imported:
# a Ctrl-C or `kill PID` that far into the start-up, whenever the machine makes it happen.
SIGNAL_ON_IMPORT = """
import importlib.abc, os, signal, sys

target, sig = sys.argv[1:3]
del sys.argv[1:3]

class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target_spec=None):
        if name == target:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), getattr(signal, sig))
        return None

sys.meta_path.insert(0, Hook())
sys.argv[0] = "splitsched"
from splitsched.__main__ import run
run()
"""


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
@pytest.mark.parametrize("module, command", [
    ("splitsched.cli.bench", ("bench", "--set", "smoke", "--solvers", "dp-edf", "-o", "run")),
    ("splitsched.cli.bench", ("solve", "{instance}", "-o", "s.json")),
    ("rich.progress", ("solve", "{instance}", "-o", "s.json")),
    # the last import before solve's own handling (said "terminated", no claim, once)
    ("splitsched.bench.staging", ("solve", "{instance}", "-o", "s.json")),
])
def test_a_signal_early_in_the_start_up_is_the_interrupt_exit(
        tmp_path: Path, module: str, command: tuple[str, ...], sig: str, status: int,
        how: str) -> None:
    # About 0.2 s after `bench` or `solve` started, SIGINT printed `aborted` and SIGTERM
    # killed the process without a word (status -15; a review): a signal during the
    # imports of the command line is the interrupt exit, as one a second later is.
    instance = tmp_path / "i.json"
    instance.write_text("{}")  # never read: the command does not start
    args = [a.format(instance=instance) for a in command]
    res = subprocess.run([sys.executable, "-c", SIGNAL_ON_IMPORT, module, sig, *args],
                         capture_output=True, text=True, cwd=tmp_path, env=_env(),
                         timeout=240)
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines() == [f"{how}: nothing was written"], res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["i.json"]


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
def test_a_signal_in_a_command_without_its_own_handling_is_said(
        tmp_path: Path, sig: str, status: int, how: str) -> None:
    # `show` writes nothing and has no handling of its own: SIGINT exited 130 without a
    # word (typer 0.29 turns the KeyboardInterrupt into Exit(130)), SIGTERM killed it.
    instance = tmp_path / "i.json"
    from splitsched.io import write_instance
    from tests.helpers.builders import edf_counterexample

    write_instance(edf_counterexample(), instance)
    res = _signal_in(tmp_path, "splitsched.generate.describe", "before", sig, "show",
                     str(instance))
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines() == [how], res.stderr


# A dependency that raises when imported (numba: a missing shared library, a numpy it was
# not built for), put first on the path.
@pytest.mark.parametrize("package, error, command", [
    ("numba", "ImportError('libllvmlite.so: cannot open shared object file')",
     ("solve", "{instance}", "-s", "dp-edf")),
    ("numba", "RuntimeError('numpy ABI mismatch')", ("solvers",)),
    ("numba", "RuntimeError('numpy ABI mismatch')",
     ("bench", "--set", "smoke", "--solvers", "dp-edf", "-o", "run")),
    ("pydantic", "ImportError('pydantic_core is not built for this Python')", ("solvers",)),
])
def test_a_broken_dependency_is_one_line_not_a_traceback(
        tmp_path: Path, package: str, error: str, command: tuple[str, ...]) -> None:
    # A traceback and exit 1 (a review): one `error:` line naming the package, exit 1 (an
    # environment failure, as a standard output that cannot be written).
    from splitsched.io import write_instance
    from tests.helpers.builders import edf_counterexample

    instance = tmp_path / "i.json"
    write_instance(edf_counterexample(), instance)
    fake = tmp_path / "fake" / package
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text(f"raise {error}\n")
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path / "fake"), env["PYTHONPATH"]])
    args = [a.format(instance=instance) for a in command]
    res = subprocess.run([sys.executable, "-m", "splitsched", *args], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=240)
    kind, _, reason = error.partition("(")
    assert res.returncode == 1, res.stderr
    assert res.stderr.strip().splitlines() == [
        f"error: the installed package {package} failed to import ({kind}: "
        f"{reason[1:-2]}); reinstall it (pip install --force-reinstall {package}) or fix the "
        "environment"], res.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake", "i.json"]


# A library function replaced by one that takes the signal and turns its KeyboardInterrupt
# into another error, as native code does (pybind11's "ImportError: initialization failed"
# for a Ctrl-C in OR-Tools' import; numba's SystemError in a compile).
CONVERTED = '''
import importlib, os, signal, sys, time

module, name, sig = sys.argv[1:4]
del sys.argv[1:4]
mod = importlib.import_module(module)

def patched(*args, **kwargs):
    try:
        os.kill(os.getpid(), getattr(signal, sig))
        time.sleep(5)
    except KeyboardInterrupt as exc:
        raise ImportError("initialization failed") from exc
    raise AssertionError("the signal did not arrive")

setattr(mod, name, patched)
from splitsched.cli import main
main()
'''


@pytest.mark.parametrize("sig, status, how", [("SIGINT", 130, "interrupted"),
                                              ("SIGTERM", 143, "terminated")])
def test_a_signal_that_native_code_turned_into_an_error_is_still_an_interrupt(
        instance: Path, sig: str, status: int, how: str) -> None:
    res = subprocess.run([sys.executable, "-c", CONVERTED, "splitsched.solve", "solve", sig,
                          "solve", str(instance), "-s", "edf-gpu", "-o", "s.json"],
                         capture_output=True, text=True, cwd=instance.parent, env=_env(),
                         timeout=240)
    assert res.returncode == status, res.stderr
    assert res.stderr.strip().splitlines() == [f"{how}: nothing was written"], res.stderr


# `python -m splitsched` with a sitecustomize that makes the solve take a Ctrl-C inside an
# exec() of a string, as one inside a dataclass's generated __init__ would.
IN_EXEC = '''
import importlib

def solve(*args, **kwargs):
    exec("raise KeyboardInterrupt")

importlib.import_module("splitsched.solve").solve = solve
'''


def test_python_m_exits_130_after_an_interrupt_inside_exec(instance: Path) -> None:
    # CPython's `-m` runner ended such a process by SIGINT (-2) after the command had
    # printed its line and chosen 130.
    site = instance.parent / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(IN_EXEC)
    env = _env()
    env["PYTHONPATH"] = os.pathsep.join([str(site), env["PYTHONPATH"]])
    res = subprocess.run([sys.executable, "-m", "splitsched", "solve", str(instance), "-s",
                          "edf-gpu"], capture_output=True, text=True, cwd=instance.parent,
                         env=env, timeout=240)
    assert res.returncode == 130, res.stderr
    assert res.stderr.strip().splitlines() == ["interrupted: nothing was written"], res.stderr


def test_an_interrupted_plot_says_nothing_was_written(instance: Path) -> None:
    # A newcomer's attack: a Ctrl-C during `plot` exited 130 with nothing said.
    solved = subprocess.run([sys.executable, "-m", "splitsched", "solve", str(instance), "-s",
                             "edf-gpu", "-o", "s.json"], capture_output=True, text=True,
                            cwd=instance.parent, env=_env(), timeout=240)
    assert solved.returncode == 0, solved.stderr
    res = _signal_in(instance.parent, "splitsched.plot.write_schedule_plot", "before", "SIGINT",
                     "plot", str(instance), "s.json", "-o", "g.png")
    assert res.returncode == 130, res.stderr
    assert res.stderr.strip().splitlines() == ["interrupted: nothing was written"], res.stderr
    assert sorted(p.name for p in instance.parent.iterdir()) == ["m.json", "s.json"]


def test_bench_an_interrupt_that_an_import_turned_into_another_error_is_still_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # ortools' module setup turns a KeyboardInterrupt into `ImportError: initialization
    # failed`; a signal while bench checked --solvers gave a traceback and exit 1 (a review)
    import splitsched.cli.bench as bench_cli
    from tests.helpers.cli import main

    def loading(*args: object, **kwargs: object) -> None:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise ImportError("initialization failed")  # noqa: B904 (as pybind11 does)

    monkeypatch.setattr(bench_cli, "_sweep", loading)
    code, _, stderr = main(capsys, "bench", "--set", "smoke", "--solvers", "dp-edf",
                           "-o", str(tmp_path / "run"))
    assert code == 130 and "Traceback" not in stderr
    assert stderr.strip().splitlines() == [
        f"interrupted before the sweep started: nothing was written ({tmp_path / 'run'} "
        "does not exist)"]
