"""Run a script of `scripts/` in this process, or as a program.

A script started as a program loads the whole solver stack (about 3 s on the CI
machine) before it reads its first argument, so a bad-input test per case as a
subprocess cost minutes of CI. `run_script` calls the script's `main(argv)` in this
process instead and captures what it prints; `run_program` starts it for real, which
each script's tests still do once, so the `__main__` entry point and its exit status
stay tested end to end.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import subprocess
import sys
from dataclasses import dataclass
from types import ModuleType

from tests.helpers.paths import REPO_ROOT

SCRIPTS_DIR = REPO_ROOT / "scripts"


@dataclass(frozen=True)
class ScriptResult:
    """What a run printed and returned, as `subprocess.CompletedProcess` names them."""

    returncode: int
    stdout: str
    stderr: str


def load_script(name: str) -> ModuleType:
    """The module of `scripts/<name>.py`, loaded once per test process."""
    key = f"_splitsched_script_{name}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, SCRIPTS_DIR / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return sys.modules[key]


def exit_status(code: object) -> int:
    """The process exit status ``sys.exit(code)`` gives: None 0, an int itself, else 1."""
    return 0 if code is None else code if isinstance(code, int) else 1


def run_script(name: str, *args: str) -> ScriptResult:
    """`main(args)` of `scripts/<name>.py` in this process; argparse's exits count as returns."""
    main = load_script(name).main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse refuses an argument with exit(2)
            code = exit_status(exc.code)
    return ScriptResult(code, out.getvalue(), err.getvalue())


def run_program(name: str, *args: str) -> ScriptResult:
    """`python scripts/<name>.py args` as a program, from the repository root."""
    proc = subprocess.run([sys.executable, str(SCRIPTS_DIR / f"{name}.py"), *args],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    return ScriptResult(proc.returncode, proc.stdout, proc.stderr)
