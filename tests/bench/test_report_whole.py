"""``splitsched report`` writes ``RUN_DIR/report/`` staged: all its files or none (a
newcomer's attack, findings 2, 9 and 10), and never removes what it did not write (a
second attack: a ``report`` link to the run directory replaced the whole run).

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
from tests.helpers.cli import main, refused, snapshot


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


def _old_report(run: Path, tmp_path: Path) -> None:
    """A previous report in ``run``, told apart from a new one by its solvers table."""
    shutil.copytree(tmp_path / "first_report", run / "report")
    (run / "report" / "solvers.csv").write_text("an older table\n")


def test_a_rebuilt_report_is_byte_identical(run: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    first = snapshot(tmp_path / "first_report")
    assert "report.html" in first and "runs.parquet" in first and "gantt.png" in first
    assert main(capsys, "report", str(run))[0] == 0  # into no report folder
    assert snapshot(run / "report") == first
    mode = (run / "report").stat().st_mode & 0o777
    assert main(capsys, "report", str(run))[0] == 0  # over the previous report
    assert snapshot(run / "report") == first
    assert (run / "report").stat().st_mode & 0o777 == mode
    assert sorted(p.name for p in run.iterdir() if p.name.startswith(".report")) == []


def test_report_path_is_a_file(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "report").write_text("my notes")
    before = snapshot(run)
    line = refused(capsys, "report", str(run))
    assert f"{run / 'report'}:" in line and "not a directory" in line
    assert snapshot(run) == before


@pytest.mark.parametrize("removed", ["instances", "schedules"])
@pytest.mark.parametrize("old_report", [False, True], ids=["no report", "old report"])
def test_a_missing_input_writes_no_table(removed: str, old_report: bool, run: Path,
                                         tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    shutil.rmtree(run / removed)
    if old_report:
        _old_report(run, tmp_path)
    before = snapshot(run)
    line = refused(capsys, "report", str(run))
    assert f"{run / removed}/" in line and "no such file" in line  # the Gantt's file
    assert snapshot(run) == before


def test_an_unknown_gantt_instance_writes_nothing(run: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(run)
    line = refused(capsys, "report", str(run), "--gantt-instance", "nope")
    assert "--gantt-instance" in line and "'nope'" in line
    assert snapshot(run) == before


def test_a_failure_while_writing_keeps_the_old_report(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _old_report(run, tmp_path)
    before = snapshot(run)

    def boom(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("splitsched.bench.report.render", boom)  # after tables and plots
    with pytest.raises(OSError, match="No space"):
        build_report(run)
    assert snapshot(run) == before


def test_an_unknown_gantt_solver_writes_nothing(run: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # A name in --gantt-solvers that never ran was silently left out of the chart.
    before = snapshot(run)
    line = refused(capsys, "report", str(run), "--gantt-solvers", "nope,fifo-gpu")
    assert line.startswith("error: --gantt-solvers:") and "'nope'" in line
    assert "edf-greedy-cut, fifo-gpu" in line  # the solvers it did run
    assert snapshot(run) == before


def test_a_file_given_as_run_directory_is_named_a_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "mi9.json"
    afile.write_text("{}")
    line = refused(capsys, "report", str(afile))
    assert line.startswith(f"error: {afile}: RUN_DIR: is a file;") and "run directory" in line
    assert afile.read_text() == "{}"


def test_stale_staging_folders_of_a_killed_report_are_removed(
        run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A report killed outright leaves its hidden folder; the next report removes exactly
    # those (the pattern .report.XXXXXXXX.tmp holding the marker file), nothing that
    # only looks like them: a user's folder of that name without the marker is kept.
    from splitsched.bench.staging import MARKER

    stale = [run / ".report.ab12cd_9.tmp", run / ".report.zz00zz00.tmp"]
    for folder in stale:
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "table.csv").write_text("half written\n")
        (folder / MARKER).write_text("")
    kept_dirs = [run / ".report.short.tmp", run / ".report.ab12cd_9.tmpx",
                 run / ".reports.ab12cd_9.tmp", run / "report.ab12cd_9.tmp",
                 run / ".report.AB12CD_9.tmp", run / ".report.20261129.old"]
    for folder in kept_dirs:
        folder.mkdir()
        (folder / MARKER).write_text("")
    unmarked = run / ".report.backup_1.tmp"  # the pattern, but a user's: no marker
    unmarked.mkdir()
    (unmarked / "keep.txt").write_text("precious")
    kept_file = run / ".report.ab12cd90.tmp"  # a file, not a folder
    kept_file.write_text("mine")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("keep")
    (elsewhere / MARKER).write_text("")
    kept_link = run / ".report.link0000.tmp"  # a link to a folder: not followed, kept
    kept_link.symlink_to(elsewhere)
    assert main(capsys, "report", str(run))[0] == 0
    assert not any(folder.exists() for folder in stale)
    assert all(folder.is_dir() for folder in kept_dirs)
    assert (unmarked / "keep.txt").read_text() == "precious"
    assert kept_file.read_text() == "mine"
    assert kept_link.is_symlink() and (elsewhere / "keep.txt").read_text() == "keep"
    assert snapshot(run / "report") == snapshot(tmp_path / "first_report")


def test_files_the_report_does_not_write_are_kept(
        run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # A user's notes in report/ were deleted when the folder was replaced whole.
    _old_report(run, tmp_path)
    (run / "report" / "NOTES.md").write_text("my notes\n")
    (run / "report" / "mine").mkdir()
    (run / "report" / "mine" / "data.csv").write_text("1,2\n")
    assert main(capsys, "report", str(run))[0] == 0
    assert (run / "report" / "NOTES.md").read_text() == "my notes\n"
    assert (run / "report" / "mine" / "data.csv").read_text() == "1,2\n"
    new = snapshot(run / "report")
    for name, data in snapshot(tmp_path / "first_report").items():
        assert new[name] == data, name  # every report file rewritten (solvers.csv too)


def test_a_report_link_writes_into_its_target_and_keeps_the_link(
        run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    docs = tmp_path / "mydocs"
    (docs / "sub").mkdir(parents=True)
    (docs / "thesis.tex").write_text("\\begin{document}\n")
    (docs / "sub" / "data.csv").write_text("3,4\n")
    (run / "report").symlink_to(docs)
    assert main(capsys, "report", str(run))[0] == 0
    assert (run / "report").is_symlink()
    assert (docs / "thesis.tex").read_text() == "\\begin{document}\n"
    assert (docs / "sub" / "data.csv").read_text() == "3,4\n"
    assert (docs / "report.html").is_file()


def test_a_live_reports_staging_folder_is_left_alone(run: Path) -> None:
    # Two reports of one run directory at once: the second must not remove the folder the
    # first is building (it holds a lock on it while it builds).
    from splitsched.bench.staging import remove_stale_staging, staged_folder

    with staged_folder(run / "report") as building:
        (building / "part.csv").write_text("being written\n")
        assert remove_stale_staging(run / "report") == []
        assert (building / "part.csv").is_file()
    assert (run / "report" / "part.csv").is_file()


def test_a_folder_where_the_report_writes_a_file_changes_nothing(
        run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The files sorted before the clash were already moved in: a new report.html beside
    # old tables (a third attack). Every destination is checked before the first move.
    _old_report(run, tmp_path)
    (run / "report" / "runs.csv").unlink()
    (run / "report" / "runs.csv").mkdir()
    (run / "report" / "runs.csv" / "keep.txt").write_text("mine")
    before = snapshot(run)
    line = refused(capsys, "report", str(run))
    assert "a folder stands where the report writes a file" in line and "runs.csv" in line
    assert snapshot(run) == before


@pytest.mark.parametrize("target, reason", [
    (".", "the run directory or a folder above it"),  # replaced the whole run (exit 0)
    ("..", "the run directory or a folder above it"),
    ("schedules", "another folder of the run directory"),  # mixed the report into it
    ("instances", "another folder of the run directory"),
])
def test_a_report_link_to_the_run_directory_above_or_inside_is_refused(
        target: str, reason: str, run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "report").symlink_to(target)
    before = snapshot(run)
    assert reason in refused(capsys, "report", str(run))
    assert snapshot(run) == before


def test_a_report_link_loop_is_named_a_loop(run: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (run / "report").symlink_to("r2")
    (run / "r2").symlink_to("report")
    assert "a link loop" in refused(capsys, "report", str(run))


@pytest.mark.parametrize("old_report", [False, True], ids=["no report", "old report"])
def test_ctrl_c_while_the_files_are_moved_in_changes_nothing(
        old_report: bool, run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Ctrl-C between two of the final renames left a mix of new and old files and exited
    # 130 without a word (a newcomer's attack). The moves are one step now: the signal is
    # held until they end, then every file is put back and the command says so.
    import os
    import signal

    if old_report:
        _old_report(run, tmp_path)
    before = snapshot(run)
    real_replace = os.replace
    calls: list[object] = []

    def replace_then_ctrl_c(src: object, dest: object) -> None:
        real_replace(src, dest)  # type: ignore[arg-type]
        if Path(str(dest)).parent == run / "report":  # a move into the report folder
            calls.append(dest)
            if len(calls) == 3:  # the third file moved in: Ctrl-C
                os.kill(os.getpid(), signal.SIGINT)

    monkeypatch.setattr("splitsched.bench.staging.os.replace", replace_then_ctrl_c)
    code, _, err = main(capsys, "report", str(run))
    monkeypatch.undo()
    assert len(calls) >= 3  # the interrupt came among the moves
    assert code == 130, err
    assert "report written" not in err
    assert f"interrupted: the report was not written; {run / 'report'} is as it was" in \
        " ".join(err.split())
    assert snapshot(run) == before  # no staging folder left either


def test_ctrl_c_while_the_report_is_built_says_it_was_not_written(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _old_report(run, tmp_path)
    before = snapshot(run)

    def ctrl_c(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("splitsched.bench.report.render", ctrl_c)  # after tables and plots
    code, _, err = main(capsys, "report", str(run))
    assert code == 130, err
    assert "report written" not in err and "the report was not written" in err
    assert snapshot(run) == before


@pytest.mark.parametrize("signum, code, how", [("SIGINT", 130, "interrupted"),
                                               ("SIGTERM", 143, "terminated")])
def test_a_signal_whose_exception_was_lost_still_stops_the_report(
        signum: str, code: int, how: str, run: Path, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Python drops an exception raised by a signal handler inside a garbage-collector
    # callback: the report went on and exited 0 after a SIGTERM (a newcomer's attack, 4 in
    # about 130). The handler's record of the signal still stops it before the moves.
    import signal

    from splitsched.bench import staging

    _old_report(run, tmp_path)
    before = snapshot(run)

    def render_then_lose(*args: object, **kwargs: object) -> object:
        staging.ARRIVED.append(getattr(signal, signum))  # the handler ran, its raise lost
        return real_render(*args, **kwargs)

    import splitsched.bench.report as report_mod
    real_render = report_mod.render
    monkeypatch.setattr(report_mod, "render", render_then_lose)
    got, _, err = main(capsys, "report", str(run))
    assert got == code, err
    assert "report written" not in err
    assert f"{how}: the report was not written" in " ".join(err.split())
    assert snapshot(run) == before


def test_a_signal_a_library_turned_into_another_error_is_still_an_interrupt(
        run: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # Ctrl-C during matplotlib's import or drawing came out as a RuntimeError or
    # ValueError: a traceback and exit 1 (a newcomer's attack). The handler's record tells.
    import signal

    from splitsched.bench import staging

    _old_report(run, tmp_path)
    before = snapshot(run)

    def broken_by_ctrl_c(*args: object, **kwargs: object) -> None:
        staging.ARRIVED.append(signal.SIGINT)
        raise ValueError("Invalid bounding box")

    monkeypatch.setattr("splitsched.bench.report.render", broken_by_ctrl_c)
    got, _, err = main(capsys, "report", str(run))
    assert got == 130, err
    assert "Traceback" not in err and "the report was not written" in err
    assert snapshot(run) == before


def test_an_error_without_a_signal_is_not_called_an_interrupt(
        run: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("a real bug")

    monkeypatch.setattr("splitsched.bench.report.render", broken)
    with pytest.raises(ValueError, match="a real bug"):
        main(capsys, "report", str(run))
