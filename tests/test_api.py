"""The public Python API: ``import splitsched`` and its ``__all__``; the docs example runs."""

from __future__ import annotations

import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import splitsched

ROOT = Path(__file__).resolve().parents[1]


def _fresh(code: str) -> str:
    """Run ``code`` in a new interpreter (nothing imported yet) and return its stdout."""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_all_lists_exactly_the_public_table() -> None:
    assert sorted(splitsched.__all__) == sorted(["__version__", *splitsched._PUBLIC])
    assert len(set(splitsched.__all__)) == len(splitsched.__all__)
    for name in ("read_instance", "write_instance", "read_schedule", "write_schedule",
                 "generate", "solve", "SolveResult", "SolveStatus", "evaluate", "Evaluation",
                 "job_table", "Instance", "Network", "Job", "Schedule", "JobPlan",
                 "solver_names", "register", "load_device", "list_devices", "json_schema"):
        assert name in splitsched.__all__, name


@pytest.mark.parametrize("name", sorted(splitsched._PUBLIC))
def test_every_public_name_imports_from_its_module_and_is_documented(name: str) -> None:
    value = getattr(splitsched, name)
    module = __import__(splitsched._PUBLIC[name], fromlist=[name])
    assert value is getattr(module, name)
    if callable(value):
        doc = inspect.getdoc(value) or ""
        assert len(doc) > 20, f"{name} has no real docstring"


def test_star_import_gives_every_name() -> None:
    names: dict[str, object] = {}
    exec("from splitsched import *", names)
    assert set(splitsched.__all__) <= set(names)


def test_functions_named_like_modules_stay_functions_whatever_is_imported_first() -> None:
    # splitsched.solve imports splitsched.evaluate (the module) before anyone asks
    # for the function; the package attribute must still be the function.
    out = _fresh(
        "import splitsched.solve, splitsched.generate\n"
        "import splitsched, types, importlib\n"
        "from splitsched import evaluate, solve, generate\n"
        "from splitsched.evaluate import job_table\n"
        "m = importlib.import_module('splitsched.evaluate')\n"
        "print(all(callable(f) and not isinstance(f, types.ModuleType)\n"
        "          for f in (evaluate, solve, generate, splitsched.evaluate)),\n"
        "      isinstance(m, types.ModuleType), m.evaluate is evaluate,\n"
        "      m.job_table is job_table)\n")
    assert out.split() == ["True", "True", "True", "True"]


def test_import_splitsched_loads_no_heavy_dependency() -> None:
    out = _fresh("import sys, splitsched\n"
                 "heavy = ('numpy', 'pydantic', 'pandas', 'ortools', 'pulp', 'highspy',\n"
                 "         'matplotlib', 'typer', 'rich', 'torch', 'splitsched.problem')\n"
                 "print([m for m in heavy if m in sys.modules])\n")
    assert out.strip() == "[]"


def test_version_and_unknown_names() -> None:
    assert isinstance(splitsched.__version__, str) and splitsched.__version__
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        splitsched.nope  # noqa: B018
    assert "solve" in dir(splitsched)


def _doc_code(path: Path) -> str:
    blocks = re.findall(r"```python\n(.*?)```", path.read_text(encoding="utf-8"), re.S)
    assert blocks, f"{path} has no python block"
    return "\n".join(blocks)


def test_docs_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    exec(compile(_doc_code(ROOT / "docs" / "python.md"), "docs/python.md", "exec"), {})
    printed = capsys.readouterr().out
    # It wrote the files it says, and they are what the CLI reads.
    inst = splitsched.read_instance(tmp_path / "instance.json")
    sched = splitsched.read_schedule(tmp_path / "schedule.json")
    ev = splitsched.evaluate(inst, sched)
    assert ev.feasible
    assert f"{ev.misses} of {inst.num_jobs} jobs missed, makespan {ev.makespan} us" in printed
    assert len(splitsched.job_table(inst, sched, ev)) == inst.num_jobs == 8


def test_generate_matches_the_cli(tmp_path: Path) -> None:
    """``splitsched.generate`` and ``splitsched generate --device`` make the same file."""
    from splitsched.cli import main

    out = tmp_path / "cli.json"
    argv = sys.argv
    sys.argv = ["splitsched", "generate", "--device", "mi9", "--scenario", "poisson",
                "--jobs", "6", "--load", "1.2", "--seed", "3", "-o", str(out)]
    try:
        with pytest.raises(SystemExit) as exc:
            main()
    finally:
        sys.argv = argv
    assert exc.value.code in (0, None)
    api = splitsched.generate("mi9", scenario="poisson", jobs=6, load=1.2, seed=3)
    splitsched.write_instance(api, tmp_path / "api.json")
    assert json.loads((tmp_path / "api.json").read_text()) == json.loads(out.read_text())


def test_generate_refuses_an_unknown_device() -> None:
    with pytest.raises(splitsched.InputError, match="unknown device 'nokia'"):
        splitsched.generate("nokia")


def test_readme_python_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    """The README's "From Python" block runs as written and prints what it says."""
    monkeypatch.chdir(tmp_path)
    exec(compile(_doc_code(ROOT / "README.md"), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "dp-edf" in printed and (tmp_path / "gantt.png").stat().st_size > 0
