"""Ids (instance, job, network, profile device) hold no control character.

An id is printed in one-line messages and table rows (``show``, a report's
``instances.md``); a newline or a tab in it broke them. The rule lives in
``problem.check_id``; a file's error names the field (``jobs[1].id``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from splitsched.io import InputError, instance_to_dict, read_instance, read_profile
from splitsched.problem import Instance, InvariantError, Job, Network
from tests.helpers.builders import edf_counterexample
from tests.helpers.cli import refused

# Every character of Unicode category Cc is one of these, and each is refused.
CONTROLS = [chr(c) for c in (*range(0x00, 0x20), *range(0x7F, 0xA0))]


def test_the_control_list_is_unicode_category_cc() -> None:
    import sys
    import unicodedata

    assert [chr(c) for c in range(sys.maxunicode + 1)
            if unicodedata.category(chr(c)) == "Cc"] == CONTROLS


def _net(name: str) -> Network:
    return Network(name=name, layer_names=("a",), gpu_us=(1,), cpu_us=(1,), handoff_us=(0, 0))


# Also refused: the line and paragraph separators (str.splitlines breaks at them: a
# report's table row split in two) and the bidirectional overrides and isolates (they
# reorder what a terminal shows after them); a newcomer's attack.
LINE_AND_BIDI = [chr(c) for c in (0x2028, 0x2029, *range(0x202A, 0x202F),
                                  *range(0x2066, 0x206A))]


@pytest.mark.parametrize("ch", CONTROLS + LINE_AND_BIDI, ids=lambda c: f"U+{ord(c):04X}")
def test_every_control_character_is_refused_in_every_id(ch: str) -> None:
    bad = f"a{ch}b"
    with pytest.raises(InvariantError, match=r"^network .*: name: holds the control"):
        _net(bad)
    with pytest.raises(InvariantError, match=r"^job .*: id: holds the control"):
        Job(id=bad, network="n", release=0, deadline=5)
    with pytest.raises(InvariantError, match=r"^job .*: network: holds the control"):
        Job(id="j", network=bad, release=0, deadline=5)
    with pytest.raises(InvariantError, match=r"^instance .*: id: holds the control"):
        Instance(id=bad, networks=(_net("n"),), jobs=())


@pytest.mark.parametrize("text", ["a|b c", "é-ü", "模型", "a\u00a0b", "x\u200by"])
def test_printable_ids_are_kept(text: str) -> None:
    inst = Instance(id=text, networks=(_net(text),),
                    jobs=(Job(id=text, network=text, release=0, deadline=5),))
    assert inst.id == inst.jobs[0].id == inst.networks[0].name == text


def _write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "inst.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize("where, field", [
    (lambda d: d.__setitem__("id", "a|b\nc"), "id"),
    (lambda d: d["jobs"][1].__setitem__("id", "x\ty"), "jobs[1].id"),
    (lambda d: d["networks"][0].__setitem__("name", "n\x7f"), "networks[0].name"),
])
def test_an_instance_file_names_the_field(tmp_path: Path, where: Any, field: str) -> None:
    data = instance_to_dict(edf_counterexample())
    where(data)
    path = _write(tmp_path, data)
    with pytest.raises(InputError) as exc:
        read_instance(path)
    assert exc.value.field == field and "control character" in exc.value.reason
    assert "\n" not in str(exc.value)


def test_a_profile_device_is_checked(tmp_path: Path) -> None:
    from splitsched.paths import DATA_DIR

    data = json.loads((Path(str(DATA_DIR)) / "profiles" / "mi9.json").read_text())
    data["device"] = "mi\n9"
    path = tmp_path / "p.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError) as exc:
        read_profile(path)
    assert exc.value.field == "device" and "'\\n'" in exc.value.reason


def test_show_refuses_it_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = instance_to_dict(edf_counterexample())
    data["id"] = "a|b\nc"
    path = _write(tmp_path, data)
    line = refused(capsys, "show", str(path))
    assert line.startswith(f"error: {path}: id: holds the control character '\\n'"), line
