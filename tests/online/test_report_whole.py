"""The online report is written whole or not at all, and needs records (a newcomer's
attack, findings 2 and 16).

An online run directory whose ``RUN_DIR/report`` is a file, or whose ``runs.jsonl`` is
empty, is refused with exit 2 and one ``error:`` line naming the path, leaving the
directory as it was (as the bench report does); a failure in the middle of the writing
keeps the previous report; a rebuilt report is byte-identical; an online sweep into a
directory whose ``report`` is a file is refused before it runs anything.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from splitsched.bench.records import append_record
from splitsched.io import InputError, write_instance
from splitsched.online.report import build_report
from splitsched.online.sweep import CONFIG_FILE
from tests.helpers.builders import edf_counterexample
from tests.helpers.cli import main, refused, snapshot
from tests.online.test_report import RECORDS


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    """The hand-made records of tests/online/test_report.py, with an ``online.json``."""
    run = tmp_path / "run"
    run.mkdir()
    for rec in RECORDS:
        append_record(run / "runs.jsonl", rec)
    (run / CONFIG_FILE).write_text("{}\n")
    return run


def test_a_rebuilt_report_is_byte_identical(run_dir: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(capsys, "report", str(run_dir))[0] == 0
    first = snapshot(run_dir / "report")
    assert {"report.md", "policies.csv", "latency.png"} <= set(first)
    assert main(capsys, "report", str(run_dir))[0] == 0
    assert snapshot(run_dir / "report") == first
    assert [p.name for p in run_dir.iterdir() if p.name.startswith(".report")] == []


def test_report_path_is_a_file(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run_dir / "report").write_text("my notes")
    before = snapshot(run_dir)
    line = refused(capsys, "report", str(run_dir))
    assert f"{run_dir / 'report'}:" in line and "not a directory" in line
    assert snapshot(run_dir) == before


def test_empty_runs_file_is_refused_as_in_bench(run_dir: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (run_dir / "runs.jsonl").write_text("")
    before = snapshot(run_dir)
    line = refused(capsys, "report", str(run_dir))
    assert f"{run_dir / 'runs.jsonl'}:" in line and "no run records" in line
    assert snapshot(run_dir) == before
    with pytest.raises(InputError, match="no such directory"):
        build_report(run_dir / "absent")


def test_a_failure_while_writing_keeps_the_old_report(
        run_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_report(run_dir)
    (run_dir / "report" / "policies.csv").write_text("an older table\n")
    before = snapshot(run_dir)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("splitsched.online.report._latency_plot", boom)  # after the tables
    with pytest.raises(OSError, match="No space"):
        build_report(run_dir)
    assert snapshot(run_dir) == before


def test_a_sweep_is_refused_before_it_runs_when_its_report_cannot_be_written(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "set").mkdir()
    write_instance(edf_counterexample(), tmp_path / "set" / "edf.json")
    run = tmp_path / "orun"
    run.mkdir()
    (run / "report").write_text("my notes")
    line = refused(capsys, "online", "--set", str(tmp_path / "set"), "--policies",
                    "fifo-gpu", "--offline", "dp-edf", "-o", str(run))
    assert f"{run / 'report'}:" in line and "not a directory" in line
    assert sorted(p.name for p in run.iterdir()) == ["report"]


def test_sigterm_while_the_files_are_moved_in_changes_nothing(
        run_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # As Ctrl-C (tests/bench/test_report_whole.py): `kill PID` between two of the final
    # renames puts every file back; the command says so and exits 143.
    import os
    import signal

    assert main(capsys, "report", str(run_dir))[0] == 0
    (run_dir / "report" / "policies.csv").write_text("an older table\n")
    before = snapshot(run_dir)
    real_replace = os.replace
    moved: list[object] = []

    def replace_then_sigterm(src: object, dest: object) -> None:
        real_replace(src, dest)  # type: ignore[arg-type]
        if Path(str(dest)).parent == run_dir / "report":
            moved.append(dest)
            if len(moved) == 2:
                os.kill(os.getpid(), signal.SIGTERM)

    handler = signal.getsignal(signal.SIGTERM)
    monkeypatch.setattr("splitsched.bench.staging.os.replace", replace_then_sigterm)
    code, _, err = main(capsys, "report", str(run_dir))
    monkeypatch.undo()
    assert signal.getsignal(signal.SIGTERM) == handler  # put back
    assert code == 143, err
    assert "report written" not in err
    assert f"terminated: the report was not written; {run_dir / 'report'} is as it was" in \
        " ".join(err.split())
    assert snapshot(run_dir) == before
