"""The messages of a newcomer's mistakes say what is wrong in the user's terms.

(Third round of hostile testing: a file given as a folder, an unknown ``--device``, an
empty file, a JSON list as an instance, a NaN time limit.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from splitsched.io import InputError, read_instance, read_schedule
from splitsched.paths import DATA_DIR
from tests.helpers.cli import refused


def test_profiles_import_raw_of_a_file_says_it_is_a_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    raw = tmp_path / "mi9.json"
    raw.write_text("{}")
    line = refused(capsys, "profiles", "import", "--raw", str(raw), "--out",
                   str(tmp_path / "out"))
    assert line.startswith(f"error: {raw}: --raw: a file, not a folder"), line
    line = refused(capsys, "profiles", "import", "--raw", str(tmp_path / "none"), "--out",
                   str(tmp_path / "out"))
    assert "--raw: no such folder" in line, line


def test_generate_unknown_device_names_the_flag_and_the_devices(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = refused(capsys, "generate", "--device", "nope", "-o", str(tmp_path / "g.json"))
    assert line.startswith("error: --device: unknown device 'nope'"), line
    for known in sorted(p.stem for p in (Path(str(DATA_DIR)) / "profiles").glob("*.json")):
        assert known in line
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("text, reason", [("", "the file is empty"),
                                          (" \n\t\n", "the file is empty (only whitespace)")])
def test_an_empty_file_says_it_is_empty(tmp_path: Path, text: str, reason: str,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "e.json"
    path.write_text(text)
    for reader in (read_instance, read_schedule):
        with pytest.raises(InputError) as exc:
            reader(path)
        assert exc.value.reason == reason
    assert refused(capsys, "show", str(path)) == f"error: {path}: (file): {reason}"


@pytest.mark.parametrize("text, kind", [("[]", "a list"), ('"x"', "a string"),
                                        ("3", "a number"), ("null", "null"),
                                        ("true", "true (a boolean)")])
def test_a_json_value_not_an_object_is_named(tmp_path: Path, text: str, kind: str,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "x.json"
    path.write_text(text)
    line = refused(capsys, "show", str(path))
    assert line == (f"error: {path}: (root): expected a JSON object (a splitsched-instance "
                    f"file), got {kind}"), line
    with pytest.raises(InputError, match=r"expected a JSON object \(a splitsched-schedule"):
        read_schedule(path)


@pytest.mark.parametrize("args, flag", [
    (["solve", "{inst}", "--time-limit", "{v}", "-o", "{out}/s.json"], "--time-limit"),
    (["online", "{inst}", "--policy", "replan:dp-edf", "--offline", "none",
      "--replan-budget-ms", "{v}", "-o", "{out}/o.json"], "--replan-budget-ms"),
])
@pytest.mark.parametrize("value", ["nan", "inf", "-inf"])
def test_a_non_finite_time_says_finite(tmp_path: Path, args: list[str], flag: str, value: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from splitsched.io import write_instance
    from tests.helpers.builders import edf_counterexample

    inst = tmp_path / "i.json"
    write_instance(edf_counterexample(), inst)
    out = tmp_path / "out"
    out.mkdir()
    given = [a.format(inst=inst, out=out, v=value) for a in args]
    line = refused(capsys, *[f"{flag}={value}" if a == value and value.startswith("-") else a
                             for a in given if not (a == flag and value.startswith("-"))])
    assert line == f"error: {flag}: must be a finite number > 0, got {value}", line
    assert list(out.iterdir()) == []


def test_a_count_of_one_takes_the_singular(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    # "1 runs", "of 1 jobs" (a review): every count+noun goes through problem.counted.
    import dataclasses

    from splitsched.io import write_instance
    from splitsched.problem import counted
    from tests.helpers.builders import edf_counterexample
    from tests.helpers.cli import main

    assert [counted(n, "run") for n in (0, 1, 2)] == ["0 runs", "1 run", "2 runs"]
    assert counted(1, "policy", "policies") == "1 policy"
    assert counted(3, "policy", "policies") == "3 policies"
    edf = edf_counterexample()
    one = dataclasses.replace(edf, networks=edf.networks[:1], jobs=edf.jobs[:1])
    path = tmp_path / "one.json"
    write_instance(one, path)
    code, out, _ = main(capsys, "show", str(path))
    assert code == 0 and f"instance {one.id}: 1 job, 1 network" in out, out
    code, out, _ = main(capsys, "solve", str(path), "-s", "dp-edf", "-o",
                        str(tmp_path / "s.json"))
    assert code == 0 and "misses=0 of 1 job (weighted" in out, out
    code, out, _ = main(capsys, "plot", str(path), str(tmp_path / "s.json"), "-o",
                        str(tmp_path / "g.svg"))
    assert code == 0 and "0 weighted misses (0 of 1 job)" in out, out
    code, out, _ = main(capsys, "generate", "--device", "mi9", "--jobs", "1", "--models",
                        "inception-v3", "-o", str(tmp_path / "g.json"))
    assert code == 0 and "(1 job, 1 network)" in out, out
    for text in (out, *(p.read_text() for p in tmp_path.glob("*.json"))):
        assert " 1 jobs" not in text and " 1 networks" not in text
