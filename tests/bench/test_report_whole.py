"""``splitsched report`` writes ``RUN_DIR/report/`` whole or not at all (a newcomer's
attack, findings 2, 9 and 10).

Every refusal (``RUN_DIR/report`` a file, the Gantt instance's copy or a schedule
missing, an unknown ``--gantt-instance``) exits 2 with one ``error:`` line naming the
path or option, and leaves the run directory as it was: no report folder when there
was none, the previous report byte for byte when there was one, no temporary folder.
A failure in the middle of the writing (a plot that raises) does the same. A rebuilt
report is byte-identical to the first.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from splitsched.bench.report import build_report
from splitsched.bench.sweep import SweepConfig, run_sweep
from splitsched.io import write_instance
from tests.helpers.builders import edf_counterexample, handoff_counterexample
from tests.helpers.cli import main


@pytest.fixture(scope="module")
def done_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished sweep of two greedy rules on two instances, with its report."""
    root = tmp_path_factory.mktemp("report_whole")
    (root / "set").mkdir()
    write_instance(edf_counterexample(), root / "set" / "edf.json")
    write_instance(handoff_counterexample(), root / "set" / "handoff.json")
    run_dir = root / "run"
    run_sweep(SweepConfig(set_ref=str(root / "set"), solvers=("edf-greedy-cut", "fifo-gpu"),
                          run_dir=run_dir, time_limit_s=5.0, workers=1))
    build_report(run_dir)
    return run_dir


@pytest.fixture()
def run(done_run: Path, tmp_path: Path) -> Path:
    """A copy of the finished run, its report moved to ``tmp_path/first_report``."""
    copy = tmp_path / "run"
    shutil.copytree(done_run, copy)
    (copy / "report").rename(tmp_path / "first_report")
    return copy


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every entry under ``folder`` (hidden ones included): file bytes, None for a folder."""
    return {str(p.relative_to(folder)): (None if p.is_dir() else p.read_bytes())
            for p in sorted(folder.rglob("*"))}


def _old_report(run: Path, tmp_path: Path) -> None:
    """A previous report in ``run``, told apart from a new one by its solvers table."""
    shutil.copytree(tmp_path / "first_report", run / "report")
    (run / "report" / "solvers.csv").write_text("an older table\n")


def _refused(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = main(capsys, *args)
    assert code == 2, (out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_a_rebuilt_report_is_byte_identical(run: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    first = _snapshot(tmp_path / "first_report")
    assert "report.html" in first and "runs.parquet" in first and "gantt.png" in first
    assert main(capsys, "report", str(run))[0] == 0  # into no report folder
    assert _snapshot(run / "report") == first
    mode = (run / "report").stat().st_mode & 0o777
    assert main(capsys, "report", str(run))[0] == 0  # over the previous report
    assert _snapshot(run / "report") == first
    assert (run / "report").stat().st_mode & 0o777 == mode
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".report")) == []


def test_report_path_is_a_file(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "report").write_text("my notes")
    before = _snapshot(run)
    line = _refused(capsys, "report", str(run))
    assert f"{run / 'report'}:" in line and "not a directory" in line
    assert _snapshot(run) == before


@pytest.mark.parametrize("removed", ["instances", "schedules"])
@pytest.mark.parametrize("old_report", [False, True], ids=["no report", "old report"])
def test_a_missing_input_writes_no_table(removed: str, old_report: bool, run: Path,
                                         tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(run / removed)
    if old_report:
        _old_report(run, tmp_path)
    before = _snapshot(run)
    line = _refused(capsys, "report", str(run))
    assert f"{run / removed}/" in line and "no such file" in line  # the Gantt's file
    assert _snapshot(run) == before


def test_an_unknown_gantt_instance_writes_nothing(run: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = _snapshot(run)
    line = _refused(capsys, "report", str(run), "--gantt-instance", "nope")
    assert "--gantt-instance" in line and "'nope'" in line
    assert _snapshot(run) == before


def test_a_failure_while_writing_keeps_the_old_report(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_report(run, tmp_path)
    before = _snapshot(run)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("splitsched.bench.report.render", boom)  # after tables and plots
    with pytest.raises(OSError, match="No space"):
        build_report(run)
    assert _snapshot(run) == before
