"""JSON round trips and refusals that name file, field and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from splitsched.io import (
    InputError,
    instance_sha256,
    instance_to_dict,
    read_instance,
    read_schedule,
    write_instance,
    write_schedule,
)
from splitsched.problem import JobPlan, Schedule
from tests.helpers.builders import edf_counterexample


def test_instance_round_trip(tmp_path: Path) -> None:
    inst = edf_counterexample()
    path = tmp_path / "i.json"
    write_instance(inst, path)
    back = read_instance(path)
    assert back == inst
    assert instance_sha256(back) == instance_sha256(inst)
    assert path.read_text() == (write_instance(back, tmp_path / "j.json")
                                or (tmp_path / "j.json").read_text())


def test_schedule_round_trip(tmp_path: Path) -> None:
    s = Schedule(instance_id="x", solver="hand", plans=(JobPlan("A", 1, 0, 5), JobPlan("B", None)))
    write_schedule(s, tmp_path / "s.json")
    assert read_schedule(tmp_path / "s.json") == s


def _broken(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    data = instance_to_dict(edf_counterexample())
    mutate(data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("mutate, field, reason", [
    (lambda d: d["jobs"][0].__setitem__("release", -5), "jobs[0].release", "integer >= 0"),
    (lambda d: d["jobs"][1].__setitem__("deadline", None), "jobs[1].deadline", "integer"),
    (lambda d: d["jobs"][0].pop("network"), "jobs[0].network", "required"),
    (lambda d: d["networks"][0].__setitem__("handoff_us", [0, 0]), "networks[0].handoff_us",
     "L+1"),
    (lambda d: d["networks"][1]["layers"][0].__setitem__("gpu_us", -1),
     "networks[1].layers[0].gpu_us", "integer >= 0"),
    (lambda d: d.__setitem__("format", "other"), "format", "splitsched-instance"),
    (lambda d: d["jobs"][0].__setitem__("network", "nope"), "jobs[0].network", "unknown network"),
    (lambda d: d["jobs"][0].__setitem__("deadline", 0) or d["jobs"][0].__setitem__("release", 3),
     "jobs[0].deadline", "before release"),
])
def test_refusals_name_the_field(tmp_path: Path, mutate, field: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    path = _broken(tmp_path, mutate)
    with pytest.raises(InputError) as info:
        read_instance(path)
    err = info.value
    assert err.path == str(path)
    assert err.field == field
    assert reason in err.reason


def test_missing_and_unparsable_files(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_instance(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        read_instance(bad)


@pytest.mark.parametrize("value", ["abc", "0", "-5", ""])
def test_bad_input_size_variable_is_a_clear_error(
        value: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A bad SPLITSCHED_MAX_INPUT_BYTES is refused when a file is read (exit 2), not at import."""
    from splitsched.io import read_instance
    from tests.helpers.cli import main
    from tests.helpers.paths import SETS_DIR

    monkeypatch.setenv("SPLITSCHED_MAX_INPUT_BYTES", value)
    inst = sorted((SETS_DIR / "smoke").glob("batch-*.json"))[0]
    with pytest.raises(InputError, match="SPLITSCHED_MAX_INPUT_BYTES"):
        read_instance(inst)
    code, _, err = main(capsys, "evaluate", str(inst), str(inst))
    assert code == 2 and "SPLITSCHED_MAX_INPUT_BYTES" in err and "Traceback" not in err


def test_input_size_variable_caps_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from splitsched.io import read_json

    f = tmp_path / "x.json"
    f.write_text("[1, 2, 3]")
    monkeypatch.setenv("SPLITSCHED_MAX_INPUT_BYTES", "4")
    with pytest.raises(InputError, match="more than the limit of 4 bytes"):
        read_json(f)
    monkeypatch.setenv("SPLITSCHED_MAX_INPUT_BYTES", "100")
    assert read_json(f) == [1, 2, 3]
