"""Fixtures every test directory shares, and the ``--solvers`` option.

``--solvers a,b`` keeps only the solver-parametrized tests whose solver is
``a`` or ``b`` (a test is solver-parametrized when one of its parameters
``solver`` or ``name`` takes a registered solver name); every other test
runs as usual. Example: ``python -m pytest tests/solvers --solvers dp-edf,cpsat``.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from splitsched.io import read_instance, write_instance
from splitsched.problem import Instance
from tests.helpers.builders import edf_counterexample, handoff_counterexample
from tests.helpers.paths import SETS_DIR

SOLVER_PARAMETERS = ("solver", "name")


def pytest_configure(config: pytest.Config) -> None:
    # A shell without job control starts a background command (`bash .ci/run &`, nohup)
    # with Ctrl-C ignored, and the processes the Ctrl-C tests start inherit that: they
    # would wait for a signal that never comes. Python's own handler here means a child
    # started by exec gets the default action back, as from a terminal.
    if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--solvers", action="store", default=None, metavar="A,B",
                     help="run solver-parametrized tests only for these solvers "
                          "(comma-separated registered names)")


def selected_solvers(config: pytest.Config) -> frozenset[str] | None:
    """The ``--solvers`` selection, or None when every solver runs."""
    value = config.getoption("--solvers")
    if not value:
        return None
    names = frozenset(s.strip() for s in value.split(",") if s.strip())
    from splitsched.solvers import solver_names

    unknown = names - set(solver_names())
    if unknown:
        raise pytest.UsageError(f"--solvers: unknown solver(s) {', '.join(sorted(unknown))}")
    return names


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    chosen = selected_solvers(config)
    if chosen is None:
        return
    from splitsched.solvers import solver_names

    known = set(solver_names())
    keep, drop = [], []
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        solvers = {v for k, v in params.items()
                   if k in SOLVER_PARAMETERS and isinstance(v, str) and v in known}
        (drop if solvers and not solvers <= chosen else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture()
def edf_instance() -> Instance:
    """The EDF counterexample (docs/design.md, "The problem"): B before A meets both."""
    return edf_counterexample()


@pytest.fixture()
def instance_file(tmp_path: Path) -> Path:
    """The EDF counterexample written to ``tmp_path/inst.json``."""
    path = tmp_path / "inst.json"
    write_instance(edf_counterexample(), path)
    return path


@pytest.fixture()
def tmp_set(tmp_path: Path) -> Path:
    """A set directory of two instances: the EDF and the hand-off counterexamples."""
    directory = tmp_path / "set"
    directory.mkdir()
    write_instance(edf_counterexample(), directory / "edf.json")
    write_instance(handoff_counterexample(), directory / "handoff.json")
    return directory


@pytest.fixture(scope="session")
def smoke_instances() -> list[Instance]:
    """The committed ``smoke`` set's instances, in file order (empty if it is not built)."""
    return [read_instance(p) for p in sorted((SETS_DIR / "smoke").glob("*.json"))
            if p.name != "manifest.json"]
