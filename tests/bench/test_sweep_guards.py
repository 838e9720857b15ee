"""A sweep's guards against results that would mislead: an address-space limit the worker
cannot honour, an instance edited under its id between a sweep and its ``--resume``, and a
full disk while records are written."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from splitsched.bench.records import read_runs
from splitsched.bench.sweep import SweepConfig, run_sweep
from splitsched.bench.worker import address_space_mb, unmet_memory_limit
from splitsched.io import InputError
from tests.bench.test_sweep import make_set
from tests.helpers.paths import REPO_ROOT


# ----------------------------------------------------------------- unmet memory limit
def test_a_limit_below_the_mapped_size_is_unmet_and_says_both_numbers() -> None:
    why = unmet_memory_limit(1, 770.4)
    assert why is not None
    assert "--mem-limit-mb 1" in why and "770.4 MiB" in why
    assert unmet_memory_limit(771, 770.4) is None
    assert unmet_memory_limit(None, 770.4) is None
    assert unmet_memory_limit(1, None) is None  # nothing known (no /proc): not refused


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_address_space_is_read_from_proc() -> None:
    size = address_space_mb()
    assert size is not None
    # this process holds at least the interpreter and pytest, and VmSize >= VmRSS
    rss_kb = next(int(line.split()[1]) for line in
                  Path("/proc/self/status").read_text().splitlines()
                  if line.startswith("VmRSS:"))
    assert size >= rss_kb / 1024.0 > 1


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="needs Linux /proc")
def test_a_one_mib_limit_makes_error_runs_never_results(tmp_path: Path) -> None:
    """The worker maps hundreds of MiB before it solves: 1 MiB cannot be honoured, and a
    run must not pass (or fail with memout) as if it had run under that limit."""
    run_dir = tmp_path / "run"
    res = run_sweep(SweepConfig(set_ref=str(make_set(tmp_path / "set")),
                                solvers=("fifo-gpu",), run_dir=run_dir, time_limit_s=5,
                                mem_limit_mb=1))
    recs = read_runs(run_dir / "runs.jsonl").records
    assert len(recs) == len(res.new_records) == 2
    for rec in recs:
        assert rec.status == "error", rec
        assert not rec.feasible and rec.missed is None
        assert rec.error is not None and "--mem-limit-mb 1 (MiB)" in rec.error
        assert "VmSize" in rec.error


# ----------------------------------------------------------------- edited instance on resume
def _edit_keeping_id(path: Path) -> tuple[str, str]:
    """Move the first job's deadline of the instance in ``path`` 7 us later, keeping its id;
    (sha256 before, sha256 after)."""
    from dataclasses import replace

    from splitsched.io import instance_sha256, read_instance, write_instance

    inst = read_instance(path)
    job = inst.jobs[0]
    edited = replace(inst, jobs=(replace(job, deadline=job.deadline + 7), *inst.jobs[1:]))
    assert edited.id == inst.id
    write_instance(edited, path)
    return instance_sha256(inst), instance_sha256(edited)


BENCH = ("bench", "--solvers", "fifo-gpu", "--time-limit", "5")
ONLINE = ("online", "--policies", "fifo-gpu", "--offline", "dp-edf", "--offline-limit", "5")


@pytest.mark.parametrize("command", [BENCH, ONLINE], ids=["bench", "online"])
def test_resume_refuses_an_instance_edited_under_its_recorded_id(
        command: tuple[str, ...], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.cli import main, refused, snapshot

    set_dir = make_set(tmp_path / "set")
    out = tmp_path / "run"
    code, _, err = main(capsys, *command, "--set", str(set_dir), "-o", str(out))
    assert code == 0, err
    before = snapshot(out)
    old, new = _edit_keeping_id(set_dir / "pair.json")
    line = refused(capsys, *command, "--set", str(set_dir), "-o", str(out), "--resume")
    assert str(set_dir / "pair.json") in line and "'pair'" in line
    assert old in line and new in line
    assert "restore the file" in line and "new -o" in line
    assert snapshot(out) == before  # refused before any work: nothing written


# ----------------------------------------------------------------- a full disk
def test_a_failed_append_leaves_the_file_as_it_was(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The disk fills in the middle of a record: part of the line is written, then ENOSPC.
    The file is cut back to the records before it, and the error names file and reason."""
    from splitsched.bench import records as records_mod
    from splitsched.bench.records import WriteFailure, append_json_line

    path = tmp_path / "runs.jsonl"
    append_json_line(path, {"n": 1})
    before = path.read_bytes()
    real_write = os.write
    calls = []

    def disk_fills(fd: int, data: bytes) -> int:
        calls.append(len(data))
        if len(calls) == 1:
            return real_write(fd, bytes(data[:5]))  # a short write: the disk is nearly full
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(records_mod.os, "write", disk_fills)
    with pytest.raises(WriteFailure) as exc:
        append_json_line(path, {"n": 2, "pad": "x" * 100})
    monkeypatch.undo()
    assert len(calls) == 2  # the short write was followed up, then the failure
    assert str(exc.value) == f"{path}: cannot write: {os.strerror(errno.ENOSPC)}"
    assert path.read_bytes() == before  # no torn line
    append_json_line(path, {"n": 3})
    assert path.read_text().splitlines() == ['{"n":1}', '{"n":3}']


def _bench_with_file_size_limit(limit_bytes: int, *args: str) -> subprocess.CompletedProcess[str]:
    """``splitsched bench ARGS`` in a process whose files may not grow past ``limit_bytes``
    (RLIMIT_FSIZE: a write past it fails with EFBIG, as a full disk fails with ENOSPC;
    Python ignores SIGXFSZ)."""
    code = ("import resource, sys; resource.setrlimit(resource.RLIMIT_FSIZE, "
            f"({limit_bytes}, {limit_bytes})); from splitsched.cli import main; "
            "main(['bench', *sys.argv[1:]])")
    return subprocess.run([sys.executable, "-c", code, *args], cwd=REPO_ROOT, text=True,
                          capture_output=True, timeout=300, check=False)


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


def test_a_write_failing_mid_sweep_exits_3_keeping_whole_records(tmp_path: Path) -> None:
    set_dir = make_set(tmp_path / "set")
    out = tmp_path / "run"
    args = ("--set", str(set_dir), "--solvers", "fifo-gpu", "--time-limit", "5", "-o", str(out))
    # one record (~1.3 kB) fits under 2000 bytes, the second does not
    proc = _bench_with_file_size_limit(2000, *args)
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    runs = out / "runs.jsonl"
    assert _error_lines(proc.stderr) == [f"error: {runs}: cannot write: "
                                         f"{os.strerror(errno.EFBIG)}"]
    assert f"1 run kept in {runs}" in proc.stderr and "--resume" in proc.stderr
    data = runs.read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 1  # whole records only
    loaded = read_runs(runs)
    assert len(loaded.records) == 1 and not loaded.torn
    # with room again, --resume makes the one run left
    code, _err = _cli_bench(*args, "--resume")
    assert code == 0, _err
    assert sorted(r.instance_id for r in read_runs(runs).records) == ["pair", "single"]


def test_a_write_failing_before_any_record_removes_the_new_run_directory(
        tmp_path: Path) -> None:
    set_dir = make_set(tmp_path / "set")
    out = tmp_path / "run"
    # the lock's pid line fits under 300 bytes, an instance copy does not
    proc = _bench_with_file_size_limit(300, "--set", str(set_dir), "--solvers", "fifo-gpu",
                                       "-o", str(out))
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = _error_lines(proc.stderr)
    assert line.startswith(f"error: {out / 'instances'}/") and \
        line.endswith(f": cannot write: {os.strerror(errno.EFBIG)}")
    assert f"{out}, created by this command, was removed" in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["set"]


def test_a_write_failing_before_any_record_keeps_a_directory_it_did_not_create(
        tmp_path: Path) -> None:
    set_dir = make_set(tmp_path / "set")
    out = tmp_path / "run"
    out.mkdir()  # (a folder of other files is refused as -o; a hidden one is not looked at)
    (out / ".notes").write_text("mine")
    proc = _bench_with_file_size_limit(300, "--set", str(set_dir), "--solvers", "fifo-gpu",
                                       "-o", str(out))
    assert proc.returncode == 3, proc.stderr
    assert (out / ".notes").read_text() == "mine"


def _cli_bench(*args: str) -> tuple[int, str]:
    proc = subprocess.run([sys.executable, "-m", "splitsched.cli", "bench", *args],
                          cwd=REPO_ROOT, text=True, capture_output=True, timeout=300,
                          check=False)
    return proc.returncode, proc.stderr


def test_a_schedule_that_cannot_be_written_is_no_verdict_on_the_run(tmp_path: Path) -> None:
    """The solver's schedule is fine; the run directory cannot hold it (here ``schedules``
    is a file, as a full disk fails the write). That is an infrastructure failure that
    stops the sweep, not an ``error`` record blaming the solver's schedule."""
    from splitsched.bench.records import WriteFailure

    out = tmp_path / "run"
    out.mkdir()
    (out / "schedules").write_text("not a folder")
    with pytest.raises(WriteFailure) as exc:
        run_sweep(SweepConfig(set_ref=str(make_set(tmp_path / "set")), solvers=("fifo-gpu",),
                              run_dir=out, time_limit_s=5))
    assert exc.value.path.parent == out / "schedules"
    assert not read_runs(out / "runs.jsonl").records


def test_a_set_given_as_a_file_says_so(tmp_path: Path) -> None:
    """A newcomer's attack (2026-12-02): ``bench --set mi9.json`` (an instance file) said
    "no directory 'mi9.json'"; the file exists, so the message says it is a file."""
    from splitsched.bench.sets import resolve_set

    f = tmp_path / "one.json"
    f.write_text("{}")
    with pytest.raises(InputError, match=r"is a file, not a folder of instance files"):
        resolve_set(str(f))
    with pytest.raises(InputError, match=r"no directory .* and no named set"):
        resolve_set(str(tmp_path / "absent"))
