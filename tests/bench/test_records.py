"""The runs file: durable appends, torn last lines, resume keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from splitsched.bench.records import (
    RunRecord,
    append_record,
    finished_keys,
    read_runs,
    record_key,
    repair_runs,
    run_key,
)
from splitsched.io import InputError
from splitsched.solvers.base import SolveStatus


def _rec(i: int) -> RunRecord:
    return RunRecord(instance_id=f"i{i}", instance_sha256=f"h{i}", solver="s", seed=i,
                     time_limit_s=1, threads=1, status=SolveStatus.FEASIBLE)


def test_append_and_read_back(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    for i in range(3):
        append_record(path, _rec(i))
    loaded = read_runs(path)
    assert [r.seed for r in loaded.records] == [0, 1, 2] and not loaded.torn
    assert loaded.good_bytes == path.stat().st_size
    assert read_runs(tmp_path / "missing.jsonl").records == []


def test_torn_last_line_is_ignored_then_truncated(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    append_record(path, _rec(0))
    append_record(path, _rec(1))
    intact = path.stat().st_size
    with open(path, "ab") as fh:
        fh.write(b'{"schema": "splitsched-run", "instance_sha')  # crash mid-write
    loaded = read_runs(path)
    assert len(loaded.records) == 2 and loaded.torn and loaded.good_bytes == intact
    repair_runs(path)
    assert path.stat().st_size == intact
    append_record(path, _rec(2))
    again = read_runs(path)
    assert [r.seed for r in again.records] == [0, 1, 2] and not again.torn


def test_corrupt_middle_line_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    append_record(path, _rec(0))
    with open(path, "a") as fh:
        fh.write("not json\n")
    append_record(path, _rec(1))
    with pytest.raises(InputError) as exc:
        read_runs(path)
    assert exc.value.field == "line 2"


def test_resume_keys_normalise_types() -> None:
    rec = _rec(4)
    assert record_key(rec) == run_key("h4", "s", 4, 1.0, 1)
    assert run_key("h4", "s", 4, 1.0, 1) in finished_keys([rec])
    assert run_key("h4", "s", 4, 2.0, 1) not in finished_keys([rec])


@pytest.mark.parametrize("field, value", [("missed", -3), ("misses", -1), ("runtime_s", -0.5),
                                          ("miss_rate", -0.1), ("offline_best", -2)])
def test_a_negative_count_or_time_is_refused_naming_the_field(tmp_path: Path, field: str,
                                                              value: float) -> None:
    import json

    path = tmp_path / "runs.jsonl"
    append_record(path, _rec(0))
    data = json.loads(path.read_text())
    data[field] = value  # hand-edited
    path.write_text(json.dumps(data) + "\n")
    with pytest.raises(InputError, match=">= 0") as exc:
        read_runs(path)
    assert exc.value.field.endswith(field)


def test_a_negative_regret_is_a_record() -> None:
    """A policy may beat an offline best that was not proven: regret < 0 reads back."""
    import dataclasses

    rec = dataclasses.replace(_rec(0), kind="online", policy="p", run=0, regret=-1)
    assert RunRecord.from_dict(rec.to_dict()).regret == -1
