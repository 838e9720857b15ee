"""The one resume check of bench and online sweeps (bench.sweep.refuse_other_settings)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from splitsched.bench.sweep import refuse_other_settings
from splitsched.io import InputError


def _dir(tmp_path: Path, settings: object | None, runs: str) -> tuple[Path, Path]:
    if settings is not None:
        (tmp_path / "sweep.json").write_text(json.dumps(settings))
    (tmp_path / "runs.jsonl").write_text(runs)
    return tmp_path / "sweep.json", tmp_path / "runs.jsonl"


def test_same_settings_pass_and_numbers_compare_as_floats(tmp_path: Path) -> None:
    path, runs = _dir(tmp_path, {"time_limit_s": 5, "solvers": ["a", "b"]}, "{}\n")
    refuse_other_settings(path, {"time_limit_s": 5.0, "solvers": ("a", "b")},
                          ["time_limit_s", "solvers"], runs=runs)


def test_every_difference_is_listed(tmp_path: Path) -> None:
    path, runs = _dir(tmp_path, {"time_limit_s": 5, "seeds": 1}, "")
    with pytest.raises(InputError) as exc:
        refuse_other_settings(path, {"time_limit_s": 10, "seeds": 2}, ["time_limit_s", "seeds"],
                              runs=runs)
    assert "time_limit_s: 5 -> 10" in str(exc.value) and "seeds: 1 -> 2" in str(exc.value)


def test_a_boolean_is_not_the_number_one(tmp_path: Path) -> None:
    path, runs = _dir(tmp_path, {"runs": True}, "")
    with pytest.raises(InputError, match="runs: True -> 1"):
        refuse_other_settings(path, {"runs": 1}, ["runs"], runs=runs)


def test_missing_settings_beside_recorded_runs_is_refused(tmp_path: Path) -> None:
    path, runs = _dir(tmp_path, None, '{"solver": "x"}\n')
    with pytest.raises(InputError, match="cannot be checked"):
        refuse_other_settings(path, {"seeds": 1}, ["seeds"], runs=runs)
    runs.write_text("")  # nothing recorded yet: a fresh directory
    refuse_other_settings(path, {"seeds": 1}, ["seeds"], runs=runs)


def test_missing_ok_tolerates_a_key_an_older_file_lacks(tmp_path: Path) -> None:
    path, runs = _dir(tmp_path, {"seeds": 1}, "")
    refuse_other_settings(path, {"seeds": 1, "grace_s": 3}, ["seeds", "grace_s"], runs=runs,
                          missing_ok=True)
    with pytest.raises(InputError, match="grace_s"):
        refuse_other_settings(path, {"seeds": 1, "grace_s": 3}, ["seeds", "grace_s"], runs=runs)
