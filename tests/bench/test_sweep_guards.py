"""A sweep's guards against results that would mislead: an address-space limit the worker
cannot honour, an instance edited under its id between a sweep and its ``--resume``, and a
full disk while records are written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from splitsched.bench.records import read_runs
from splitsched.bench.sweep import SweepConfig, run_sweep
from splitsched.bench.worker import address_space_mb, unmet_memory_limit
from tests.bench.test_sweep import make_set


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
