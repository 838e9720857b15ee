"""Output folders and help text, for every command.

The rule (docs/reliability.md, "Outputs"): a folder missing above an output file or run
directory is created, and one line ``note: FLAG: created folder PATH`` on stderr names
it; an output whose folders exist gets no note. Help shows boolean flags, ``--help``
included, without a ``<bool>`` metavar.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from splitsched.io import write_instance
from tests.helpers.builders import edf_counterexample
from tests.helpers.cli import CSV, main


@pytest.fixture()
def made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Path]:
    """An instance, its dp-edf schedule, a 2-run trace, a set and a CSV under tmp_path/in."""
    src = tmp_path / "in"
    src.mkdir()
    inst, sched, trace = src / "inst.json", src / "sched.json", src / "trace.jsonl"
    write_instance(edf_counterexample(), inst)
    assert main(capsys, "solve", str(inst), "-s", "dp-edf", "-o", str(sched))[0] == 0
    assert main(capsys, "replay", str(inst), str(sched), "--runs", "2", "--trace",
                str(trace))[0] == 0
    (src / "set").mkdir()
    write_instance(edf_counterexample(), src / "set" / "edf.json")
    (src / "t.csv").write_text(CSV)
    return {"inst": inst, "sched": sched, "trace": trace, "set": src / "set", "csv": src / "t.csv"}


# (arguments, the output they write, the flag the note names); {new}: tmp_path/new/deeper.
CASES = [
    (["solve", "{inst}", "-s", "dp-edf", "-o", "{new}/s.json"], "s.json", "--output"),
    (["solve", "{inst}", "-s", "dp-edf", "--plot", "{new}/g.svg"], "g.svg", "--plot"),
    (["plot", "{inst}", "{sched}", "-o", "{new}/g.png"], "g.png", "--output"),
    (["generate", "--device", "mi9", "--jobs", "3", "-o", "{new}/g.json"], "g.json",
     "--output"),
    (["profile", "--from-csv", "{csv}", "-o", "{new}/p.json"], "p.json", "--output"),
    (["replay", "{inst}", "{sched}", "--trace", "{new}/t.jsonl"], "t.jsonl", "--trace"),
    (["compare", "{inst}", "{sched}", "{trace}", "--plot", "{new}/c.png"], "c.png", "--plot"),
    (["bench", "--set", "{set}", "--solvers", "edf-gpu", "--time-limit", "5", "-o",
      "{new}/run"], "run/runs.jsonl", "--output"),
    (["online", "{inst}", "--policy", "fifo-gpu", "--offline", "none", "-o", "{new}/o.json"],
     "o.json", "--output"),
    (["online", "--set", "{set}", "--policies", "fifo-gpu", "--offline", "dp-edf", "-o",
      "{new}/orun"], "orun/runs.jsonl", "--output"),
    # Folders as outputs: the folder named is created with the folders above it.
    (["sets", "build", "smoke", "--out", "{new}"], "smoke/manifest.json", "--out"),
    (["profiles", "import", "--out", "{new}"], "mi9.json", "--out"),
]


@pytest.mark.parametrize("args, written, flag", CASES, ids=[" ".join([*c[0][:2], c[2]])
                                                           for c in CASES])
def test_missing_folders_are_created_and_named(
        args: list[str], written: str, flag: str, made: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    new = tmp_path / "new" / "deeper"
    code, out, err = main(capsys, *(a.format(new=new, **made) for a in args))
    assert code == 0, (out, err)
    assert (new / written).is_file()
    notes = [line for line in err.splitlines() if line.startswith("note: ")]
    assert notes == [f"note: {flag}: created folder {new}"], err


@pytest.mark.parametrize("args, written, flag", CASES[:3], ids=["solve -o", "solve --plot",
                                                                "plot -o"])
def test_existing_folders_get_no_note(args: list[str], written: str, flag: str,
                                      made: dict[str, Path], tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(capsys, *(a.format(new=tmp_path, **made) for a in args))
    assert code == 0, (out, err)
    assert (tmp_path / written).is_file()
    assert "note:" not in err and "created folder" not in err


def _commands() -> list[list[str]]:
    """The path of every command and command group, the root included."""
    import typer

    from splitsched.cli import app

    paths: list[list[str]] = []

    def walk(cmd: object, path: list[str]) -> None:
        paths.append(path)
        for name, sub in getattr(cmd, "commands", {}).items():
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), [])
    return paths


@pytest.mark.parametrize("path", _commands(), ids=lambda p: " ".join(p) or "(root)")
def test_help_shows_flags_without_a_metavar(path: list[str],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = main(capsys, *path, "--help")
    assert code == 0, err
    assert "<bool>" not in out and "<Path" not in out, out
    help_rows = [line for line in out.splitlines() if "--help" in line]
    assert len(help_rows) == 1, out
    words = help_rows[0].strip("│ ").split()
    assert words[:2] == ["--help", "Show"], help_rows[0]
