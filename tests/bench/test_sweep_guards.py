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
