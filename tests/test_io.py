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


# --------------------------------------------------------------------------- text encodings
def test_utf8_bom_is_stripped_and_reads_the_same(tmp_path: Path) -> None:
    """Windows tools write a BOM: the file must read exactly as without it."""
    inst = edf_counterexample()
    plain = tmp_path / "plain.json"
    write_instance(inst, plain)
    bom = tmp_path / "bom.json"
    bom.write_bytes(b"\xef\xbb\xbf" + plain.read_bytes())
    assert read_instance(bom) == read_instance(plain) == inst


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    """PowerShell's ``>`` writes UTF-16 (with a BOM as "utf-16"; LE/BE: NUL bytes, no BOM)."""
    path = tmp_path / "ps.json"
    path.write_bytes(json.dumps(instance_to_dict(edf_counterexample())).encode(encoding))
    with pytest.raises(InputError) as exc:
        read_instance(path)
    assert exc.value.path == str(path)
    assert "UTF-16 encoded (a PowerShell redirect?); save it as UTF-8" in exc.value.reason


def test_undecodable_byte_names_its_line(tmp_path: Path) -> None:
    from splitsched.io import TextDecodeError, decode_text

    path = tmp_path / "latin1.json"
    path.write_bytes('{\n  "id": "caf\u00e9"\n}\n'.encode("latin-1"))  # 0xe9 on line 2
    with pytest.raises(InputError) as exc:
        read_instance(path)
    assert (exc.value.path, exc.value.field) == (str(path), "line 2")
    assert "0xe9" in exc.value.reason and "not UTF-8" in exc.value.reason
    with pytest.raises(TextDecodeError) as dec:
        decode_text(b"ok\nok\n\x00\x01binary")
    assert dec.value.line == 3 and "binary" in dec.value.reason
    assert decode_text(b"\xef\xbb\xbfa\xc3\xa9") == "a\u00e9"  # one BOM stripped, UTF-8 kept
    with pytest.raises(TextDecodeError, match="second byte-order mark") as two:
        decode_text(b"\xef\xbb\xbf\xef\xbb\xbf{}")  # Python's "decode using utf-8-sig" before
    assert two.value.line == 1


# --------------------------------------------------------------------------- duplicate keys
def test_a_key_given_twice_is_refused_naming_it(tmp_path: Path) -> None:
    """``json`` keeps the last of two equal keys silently; the readers refuse them."""
    from splitsched.io import parse_json_text

    path = tmp_path / "twice.json"
    text = json.dumps(instance_to_dict(edf_counterexample()))
    path.write_text(text.replace('"deadline": ', '"deadline": 1, "deadline": ', 1))
    with pytest.raises(InputError) as exc:
        read_instance(path)
    assert (exc.value.path, exc.value.field) == (str(path), "jobs[0].deadline")
    assert "'deadline' given twice" in exc.value.reason
    with pytest.raises(InputError) as exc:
        parse_json_text('{"a": 1, "a": 1}', "f.json")
    assert exc.value.field == "a"
    with pytest.raises(InputError) as exc:
        parse_json_text(b'{"x": [{"k": 1}, {"k": 2, "k": 3}]}', "runs.jsonl", "line 7")
    assert exc.value.field == "line 7, x[1].k"
    assert parse_json_text('{"a": {"a": 1}, "b": [{"a": 2}]}', "f.json") == \
        {"a": {"a": 1}, "b": [{"a": 2}]}  # the same key in different objects is fine


# --------------------------------------------------------------------------- wrong kind
def test_a_file_of_another_kind_is_named(tmp_path: Path) -> None:
    from splitsched.io import read_profile
    from tests.helpers.paths import SHIPPED_DIR

    inst_path, sched_path = tmp_path / "i.json", tmp_path / "s.json"
    write_instance(edf_counterexample(), inst_path)
    write_schedule(Schedule(instance_id="x", solver="hand", plans=()), sched_path)
    profile = SHIPPED_DIR / "profiles" / "mi9.json"
    for reader, path, found, expected in (
            (read_instance, sched_path, "splitsched-schedule", "splitsched-instance"),
            (read_instance, profile, "splitsched-profile", "splitsched-instance"),
            (read_schedule, inst_path, "splitsched-instance", "splitsched-schedule"),
            (read_profile, inst_path, "splitsched-instance", "splitsched-profile")):
        with pytest.raises(InputError) as exc:
            reader(path)
        assert (exc.value.path, exc.value.field) == (str(path), "format")
        assert exc.value.reason.startswith(f"this is a {found} file")
        assert f"expected a {expected} file" in exc.value.reason
        assert "more errors" not in exc.value.reason


def test_show_a_schedule_says_so_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                        ) -> None:
    from tests.helpers.cli import main

    sched = tmp_path / "dp.json"
    write_schedule(Schedule(instance_id="x", solver="hand", plans=()), sched)
    code, _, err = main(capsys, "show", str(sched))
    assert code == 2 and "Traceback" not in err
    assert f"{sched}: format: this is a splitsched-schedule file" in err


@pytest.mark.parametrize("piece", [1, 7, 1 << 20])
def test_json_written_in_pieces_is_the_canonical_text(
        piece: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # generate's progress display writes a large instance in pieces: the bytes must be
    # those of dumps() (the shipped sets are hashed), whatever the piece size.
    from splitsched.io import dumps, write_json_pieces

    data = {"b": [1, 2.5, {"z": None, "a": True}], "a": "naïve \u2603 \"quoted\"\n",
            "c": [], "d": {}, "e": [[]], "f": -0.0, "g": 10**30}
    monkeypatch.setattr("splitsched.io.WRITE_PIECE_CHARS", piece)
    seen: list[int] = []
    out = tmp_path / "d.json"
    write_json_pieces(out, data, seen.append)
    assert out.read_bytes() == dumps(data).encode("utf-8")
    assert seen == sorted(seen) and seen[-1] == len(dumps(data))


def test_json_written_in_pieces_refuses_nan_and_writes_nothing(tmp_path: Path) -> None:
    from splitsched.io import NonFiniteError, write_json_pieces

    out = tmp_path / "d.json"
    out.write_text("old\n")
    with pytest.raises(NonFiniteError, match=r"x\[1\]: non-finite"):
        write_json_pieces(out, {"x": [1.0, float("nan")]}, lambda n: None)
    assert out.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d.json"]
