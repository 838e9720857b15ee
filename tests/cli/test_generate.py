"""``splitsched generate`` against a newcomer's attack (2026-11-30, findings 3, 8, 12, 15, 17
and the minor ones about generate).

Each refusal is exit status 2, one line ``error: ...`` naming the option and the reason,
no traceback, and nothing written (the output folder stays empty). Ids: two different
instances never share an id; the default parameters keep the plain id.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from splitsched.paths import DATA_DIR
from splitsched.problem import MAX_TIME_US
from tests.helpers.cli import main, refused

MI9 = DATA_DIR / "profiles" / "mi9.json"


def _refused(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> str:
    """Run ``generate ARGS`` (writing into ``folder``); assert the refusal; return the line."""
    before = sorted(folder.iterdir())
    line = refused(capsys, "generate", *args)
    assert sorted(folder.iterdir()) == before  # nothing written
    return line


def _made(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> dict:
    code, stdout, stderr = main(capsys, "generate", *args, "-o", str(out))
    assert code == 0, (stdout, stderr)
    data: dict = json.loads(out.read_text())
    return data


# --- 3: values whose instance would pass the time bound --------------------------------------


@pytest.mark.parametrize("scenario", ["batch", "poisson"])
@pytest.mark.parametrize("slack", ["1e308", "1e12"])
def test_a_huge_slack_names_slack_and_the_bound(scenario: str, slack: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(capsys, tmp_path, "--device", "mi9", "--scenario", scenario,
                    "--slack", slack, "-o", str(tmp_path / "g.json"))
    assert line.startswith("error: --slack: ") and str(MAX_TIME_US) in line, line


@pytest.mark.parametrize("scenario", ["batch", "poisson", "periodic"])
@pytest.mark.parametrize("load", ["5e-324", "1e-300"])
def test_a_tiny_load_names_load_and_the_bound(scenario: str, load: str, tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(capsys, tmp_path, "--device", "mi9", "--scenario", scenario,
                    "--load", load, "-o", str(tmp_path / "g.json"))
    assert line.startswith("error: --load: ") and str(MAX_TIME_US) in line, line


def test_the_largest_slack_the_refusal_names_is_accepted(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The refusal prints the largest slack for the mix; that slack generates an instance
    whose deadlines stay within MAX_TIME_US (the slack x best latency bound is exact)."""
    line = _refused(capsys, tmp_path, "--device", "mi9", "--slack", "1e7", "-o",
                    str(tmp_path / "g.json"))
    largest = line.split("slack <= ")[1].split(")")[0]
    inst = _made(capsys, tmp_path / "g.json", "--device", "mi9", "--slack", largest,
                 "--jobs", "500")
    assert max(j["deadline"] for j in inst["jobs"]) <= MAX_TIME_US


# --- 12, minor: weights and models lists -----------------------------------------------------


@pytest.mark.parametrize("option, value, reason", [
    ("--weights", "acl-squeezenet=99999999999999", "1..2147483647"),  # blamed --load before
    ("--weights", "acl-squeezenet=2,acl-squeezenet=3", "more than once"),  # kept 3 before
    ("--weights", "acl-squeezenet=2,", "empty name"),
    ("--weights", "", "empty list"),
    ("--weights", "acl-squeezenet=2.0", "whole number"),  # "expected NETWORK=WEIGHT" before
    ("--weights", "acl-squeezenet", "NETWORK=WEIGHT"),
    ("--models", "", "empty list"),  # meant every network before
    ("--models", "acl-squeezenet,", "empty name"),
    ("--models", "acl-squeezenet,,inception-v3", "empty name"),
    ("--models", "acl-squeezenet,inception-v3,acl-squeezenet", "more than once"),
])
def test_bad_weights_and_model_lists_name_their_option(
        option: str, value: str, reason: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(capsys, tmp_path, "--device", "mi9", f"{option}={value}",
                    "-o", str(tmp_path / "g.json"))
    assert line.startswith(f"error: {option}: ") and reason in line, line


def test_slack_is_refused_for_the_periodic_scenario(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(capsys, tmp_path, "--device", "mi9", "--scenario", "periodic",
                    "--slack", "2", "-o", str(tmp_path / "g.json"))
    assert line.startswith("error: --slack: ") and "periodic" in line, line


# --- 15 and 8: --device with --profile, output over the input --------------------------------


def test_device_and_profile_of_another_device_are_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    line = _refused(capsys, tmp_path, "--device", "huawei_p40", "--profile", str(MI9),
                    "-o", str(tmp_path / "g.json"))
    assert line.startswith("error: --device: ") and "huawei_p40" in line and "mi9" in line


def test_device_and_profile_of_the_same_device_agree(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    both = _made(capsys, tmp_path / "a.json", "--device", "mi9", "--profile", str(MI9))
    alone = _made(capsys, tmp_path / "b.json", "--profile", str(MI9))
    assert both == alone and both["provenance"]["device"] == "mi9"


def test_the_profile_is_never_the_output(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "pp.json"
    shutil.copyfile(MI9, profile)
    (tmp_path / "link.json").symlink_to(profile)
    for out in ("pp.json", "link.json", "./pp.json"):
        line = _refused(capsys, tmp_path, "--profile", str(profile),
                        "-o", str(tmp_path / out))
        assert line.startswith("error: ") and "--output" in line and "input" in line, line
    assert profile.read_bytes() == MI9.read_bytes()


# --- 17: ids ---------------------------------------------------------------------------------


def test_ids_differ_when_the_instances_differ(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    """default, --slack 1, --slack 2, --models x, --models x,y, --models y,x and two weights:
    each a different instance, each its own id; the default keeps the plain id."""
    variants = {
        "default": [],
        "slack1": ["--slack", "1"],
        "slack2": ["--slack", "2"],
        "one": ["--models", "acl-squeezenet"],
        "two": ["--models", "acl-squeezenet,inception-v3"],
        "swapped": ["--models", "inception-v3,acl-squeezenet"],
        "w2": ["--weights", "acl-squeezenet=2"],
        "w3": ["--weights", "acl-squeezenet=3"],
    }
    made = {k: _made(capsys, tmp_path / f"{k}.json", "--device", "mi9", "--jobs", "6", *v)
            for k, v in variants.items()}
    jobs = {k: json.dumps(d["jobs"]) for k, d in made.items()}
    assert len(set(jobs.values())) == len(jobs)  # all different instances ...
    ids = {k: d["id"] for k, d in made.items()}
    assert len(set(ids.values())) == len(ids), ids  # ... so all different ids
    assert ids["default"] == "batch-mi9-n6-l1-s0"
    assert ids["slack1"] == "batch-mi9-n6-l1-s0-k1"
    assert ids["w2"].endswith("-w") and ids["w3"].endswith("-w")


def test_all_the_device_networks_in_name_order_is_the_default_id(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    names = sorted(n["name"] for n in json.loads(MI9.read_text())["networks"])
    listed = _made(capsys, tmp_path / "a.json", "--device", "mi9", "--models", ",".join(names))
    default = _made(capsys, tmp_path / "b.json", "--device", "mi9")
    assert listed == default and default["id"] == "batch-mi9-n10-l1-s0"


# --- minor: `generate --jobs 1000000` worked for half a minute without a sign ---------------

def test_a_long_generate_shows_its_progress_on_a_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    from splitsched.io import dumps, instance_to_dict, read_instance

    screen = io.StringIO()
    monkeypatch.setattr("splitsched.cli.generate.err",
                        Console(file=screen, force_terminal=True, width=120))
    monkeypatch.setattr("splitsched.cli.generate.PROGRESS_MIN_JOBS", 3000)  # a quick test
    monkeypatch.setattr("splitsched.io.WRITE_PIECE_CHARS", 10_000)  # written in many pieces
    out = tmp_path / "big.json"
    code, stdout, _ = main(capsys, "generate", "--device", "mi9", "--jobs", "3000", "--load",
                           "5", "-o", str(out))
    assert code == 0 and "wrote" in stdout
    shown = screen.getvalue()
    assert "generating jobs" in shown and "3000/3000 jobs" in shown
    assert f"writing {out}" in shown and " MB" in shown
    # Written in pieces, the file is still the canonical text of its instance.
    text = out.read_text()
    assert text == dumps(instance_to_dict(read_instance(out)))
    assert len(read_instance(out).jobs) == 3000


def test_no_progress_display_off_a_terminal_or_for_few_jobs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from rich.console import Console

    monkeypatch.setattr("splitsched.cli.generate.PROGRESS_MIN_JOBS", 10)
    code, _, stderr = main(capsys, "generate", "--device", "mi9", "--jobs", "50", "-o",
                           str(tmp_path / "a.json"))
    assert code == 0 and stderr == ""  # stderr is no terminal here
    screen = io.StringIO()
    monkeypatch.setattr("splitsched.cli.generate.err",
                        Console(file=screen, force_terminal=True, width=120))
    code, _, stderr = main(capsys, "generate", "--device", "mi9", "--jobs", "9", "-o",
                           str(tmp_path / "b.json"))
    assert code == 0 and screen.getvalue() == ""  # a terminal, but below the threshold


def test_an_interrupted_write_in_pieces_leaves_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from splitsched.generate import generate
    from splitsched.io import write_instance

    monkeypatch.setattr("splitsched.io.WRITE_PIECE_CHARS", 1000)
    out = tmp_path / "inst.json"
    out.write_text("the old file\n")
    seen: list[int] = []

    def ctrl_c_after_two_pieces(written: int) -> None:
        seen.append(written)
        if len(seen) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_instance(generate("mi9", jobs=200, load=5.0), out, progress=ctrl_c_after_two_pieces)
    assert seen[0] >= 1000 and seen[1] > seen[0]  # two pieces were written
    assert out.read_text() == "the old file\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["inst.json"]  # no temporary file


def test_sets_build_takes_a_library_name_as_bench_does(tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    # `bench --set v2` runs the whole library; `sets build v2` was refused as an unknown
    # set (a newcomer's report). It builds every set of the library, byte for byte the
    # shipped ones.
    code, _out, err = main(capsys, "sets", "build", "v2", "--out", str(tmp_path))
    assert code == 0, err
    shipped = DATA_DIR / "sets" / "v2"
    built = sorted(p.relative_to(tmp_path / "v2") for p in (tmp_path / "v2").rglob("*.json"))
    assert built == sorted(p.relative_to(shipped) for p in shipped.rglob("*.json"))
    assert all((tmp_path / "v2" / p).read_bytes() == (shipped / p).read_bytes() for p in built)
    assert "libraries: v1, v2" in refused(capsys, "sets", "build", "v3")
