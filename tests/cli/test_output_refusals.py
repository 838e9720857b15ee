"""Outputs refused before any work (a newcomer's attack, findings 1, 8 and 18).

Each case exits 2 with one ``error:`` line naming the path and the option, and
leaves nothing behind: no output written (``solve`` writes no schedule when its
``--plot`` path is bad), no input overwritten (its bytes are compared), no folder
created through a dangling link.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from splitsched.io import InputError, write_instance
from splitsched.plot import save_png
from tests.helpers.builders import edf_counterexample
from tests.helpers.cli import CSV, main, refused


@pytest.fixture()
def made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Path]:
    """An instance, its dp-edf schedule, a 2-run trace and an ordinary file, in tmp_path."""
    inst, sched, trace = tmp_path / "inst.json", tmp_path / "sched.json", tmp_path / "t.jsonl"
    write_instance(edf_counterexample(), inst)
    assert main(capsys, "solve", str(inst), "-s", "dp-edf", "-o", str(sched))[0] == 0
    assert main(capsys, "replay", str(inst), str(sched), "--runs", "2", "--trace",
                str(trace))[0] == 0
    (tmp_path / "afile").write_text("x")
    return {"inst": inst, "sched": sched, "trace": trace}


def _refused(capsys: pytest.CaptureFixture[str], args: list[str], *words: str) -> str:
    line = refused(capsys, *args)
    for word in words:
        assert word in line, line
    return line


def _listing(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


# Finding 1: an output folder path through a file.
THROUGH_A_FILE = [
    (["solve", "{inst}", "-s", "dp-edf", "-o", "{tmp}/s2.json", "--plot", "{tmp}/afile/x.png"],
     "--plot"),
    (["plot", "{inst}", "{sched}", "-o", "{tmp}/afile/x.png"], "--output"),
    (["solve", "{inst}", "-s", "dp-edf", "-o", "{tmp}/afile/s.json"], "--output"),
]


@pytest.mark.parametrize("args, option", THROUGH_A_FILE,
                         ids=["solve --plot", "plot -o", "solve -o"])
def test_a_path_through_a_file_is_refused_before_any_work(
        args: list[str], option: str, made: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    before = _listing(tmp_path)
    _refused(capsys, [a.format(tmp=tmp_path, **made) for a in args], "afile/", option,
             "not a directory")
    assert _listing(tmp_path) == before  # in particular: solve wrote no s2.json


def test_save_figure_through_a_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    with pytest.raises(InputError, match="cannot create its folder"):
        save_png(Figure(), tmp_path / "afile" / "x.png")
    assert (tmp_path / "afile").read_text() == "x"


# Finding 8: an output that is one of the command's inputs ({x}: the input it names).
AS_INPUT = [
    (["solve", "{inst}", "-s", "dp-edf", "-o", "{inst}"], "inst", "--output"),
    (["plot", "{inst}", "{svg}", "-o", "{svg}"], "svg", "--output"),
    (["online", "{inst}", "--policy", "fifo-gpu", "--offline", "none", "-o", "{inst}"],
     "inst", "--output"),
    (["replay", "{inst}", "{sched}", "--trace", "{inst}"], "inst", "--trace"),
    (["replay", "{inst}", "{sched}", "--trace", "{sched}"], "sched", "--trace"),
    (["compare", "{inst}", "{sched}", "{png}", "--plot", "{png}"], "png", "--plot"),
    (["compare", "{inst}", "{sched}", "{trace}", "--plot", "{link}"], "inst", "--plot"),
]


@pytest.mark.parametrize("args, victim, option", AS_INPUT,
                         ids=["solve -o", "plot -o", "online -o", "replay --trace inst",
                              "replay --trace sched", "compare --plot", "through a link"])
def test_an_output_that_is_an_input_is_refused(
        args: list[str], victim: str, option: str, made: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    # An input under a picture's name (plot and compare accept only picture suffixes),
    # and a link to the instance under one.
    paths = dict(made, svg=tmp_path / "sched.svg", png=tmp_path / "trace.png",
                 link=tmp_path / "inst-link.png")
    shutil.copy(made["sched"], paths["svg"])
    shutil.copy(made["trace"], paths["png"])
    paths["link"].symlink_to(made["inst"])
    before = _listing(tmp_path)
    _refused(capsys, [a.format(**paths) for a in args], option, "is the input file",
             str(made[victim]) if victim in made else str(paths[victim]))
    assert _listing(tmp_path) == before


def test_online_files_named_after_the_output_may_not_be_an_input(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """With two policies ``online -o y.json`` writes ``y.<policy>.r0.json``: an input
    of that name is refused as well, and under noise ``y.r0.instance.json``."""
    cases = [("y.fifo-gpu.r0.json", "y.json", []), ("w.r0.instance.json", "w.json",
                                                     ["--noise-cv", "0.1"])]
    for name, out, extra in cases:
        inst = tmp_path / name
        write_instance(edf_counterexample(), inst)
        before = _listing(tmp_path)
        _refused(capsys, ["online", str(inst), "--policy", "fifo-gpu,edf-gpu", "--offline",
                          "none", "-o", str(tmp_path / out), *extra],
                 "--output", "is the input file", name)
        assert _listing(tmp_path) == before


def test_solve_refuses_one_file_for_two_outputs(made: dict[str, Path], tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    # (-o refuses a picture's name, so the one file is reached through a link.)
    both = tmp_path / "both.svg"
    both.write_text("old")
    (tmp_path / "both.json").symlink_to(both)
    _refused(capsys, ["solve", str(made["inst"]), "-s", "dp-edf", "-o",
                      str(tmp_path / "both.json"), "--plot", str(both)],
             "--plot", "the same file as --output")
    assert both.read_text() == "old"


# Finding 18: an output given through a dangling link.
DANGLING = [
    (["solve", "{inst}", "-s", "dp-edf", "-o", "{link}"], "--output"),
    (["solve", "{inst}", "-s", "dp-edf", "--plot", "{linkpng}"], "--plot"),
    (["solve", "{inst}", "-s", "dp-edf", "-o", "{linkdir}/x.json"], "--output"),
    (["plot", "{inst}", "{sched}", "-o", "{linkpng}"], "--output"),
    (["replay", "{inst}", "{sched}", "--trace", "{link}"], "--trace"),
    (["compare", "{inst}", "{sched}", "{trace}", "--plot", "{linkpng}"], "--plot"),
    (["online", "{inst}", "--policy", "fifo-gpu", "--offline", "none", "-o", "{link}"],
     "--output"),
    (["online", "--set", "{setdir}", "--policies", "fifo-gpu", "--offline", "dp-edf", "-o",
      "{linkdir}"], "--output"),
    (["bench", "--set", "{setdir}", "--solvers", "edf-gpu", "--time-limit", "5", "-o",
      "{linkdir}"], "--output"),
    # the finding's own command: generate created the link's target folder
    (["generate", "--device", "mi9", "--jobs", "3", "-o", "{link}"], "--output"),
    (["profile", "--from-csv", "{csv}", "--name", "p", "-o", "{link}"], "--output"),
]


@pytest.mark.parametrize("args, option", DANGLING,
                         ids=["solve -o", "solve --plot", "solve -o through a folder link",
                              "plot -o", "replay --trace", "compare --plot", "online -o",
                              "online --set -o", "bench -o", "generate -o", "profile -o"])
def test_a_dangling_link_as_output_is_refused(
        args: list[str], option: str, made: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    gone = tmp_path / "missing"
    paths = dict(made, link=tmp_path / "link.json", linkpng=tmp_path / "link.png",
                 linkdir=tmp_path / "linkdir", setdir=tmp_path / "set",
                 csv=tmp_path / "stages.csv")
    paths["csv"].write_text(CSV)
    paths["link"].symlink_to(gone / "dir" / "x.json")
    paths["linkpng"].symlink_to(gone / "dir" / "x.png")
    paths["linkdir"].symlink_to(gone / "run")
    paths["setdir"].mkdir()
    write_instance(edf_counterexample(), paths["setdir"] / "edf.json")
    before = _listing(tmp_path)
    _refused(capsys, [a.format(**paths) for a in args], option, "a dangling link",
             str(gone))
    assert not gone.exists()
    assert _listing(tmp_path) == before


@pytest.mark.parametrize("command", [
    ["bench", "--solvers", "edf-gpu", "--time-limit", "5"],
    ["online", "--policies", "fifo-gpu", "--offline", "dp-edf"],
], ids=["bench", "online --set"])
def test_a_set_directory_as_its_own_run_directory_is_refused(
        command: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The sweep would write its records and copies among the set's instance files (a
    later ``--set`` of it would then read ``sweep.json`` as an instance)."""
    setdir = tmp_path / "set"
    setdir.mkdir()
    write_instance(edf_counterexample(), setdir / "edf.json")
    before = _listing(tmp_path)
    _refused(capsys, [*command, "--set", str(setdir), "-o", str(tmp_path / "." / "set")],
             "--output", "is the set directory")
    assert _listing(tmp_path) == before and sorted(p.name for p in setdir.iterdir()) == [
        "edf.json"]


# A review: `-o newdir/` (a folder that does not exist yet) wrote a FILE named newdir, and
# `-o ""` was read as the current folder. The typed text is kept (options.typed_path).
FOLDER_TYPED = [
    (["solve", "{inst}", "-s", "dp-edf", "-o", "{tmp}/newdir/"], "--output"),
    (["solve", "{inst}", "-s", "dp-edf", "--plot", "{tmp}/newdir/"], "--plot"),
    (["plot", "{inst}", "{sched}", "-o", "{tmp}/newdir/"], "--output"),
    (["generate", "--device", "mi9", "--jobs", "3", "-o", "{tmp}/newdir/"], "--output"),
    (["replay", "{inst}", "{sched}", "--trace", "{tmp}/newdir/"], "--trace"),
    (["compare", "{inst}", "{sched}", "{trace}", "--plot", "{tmp}/newdir/"], "--plot"),
    (["online", "{inst}", "--policy", "fifo-gpu", "--offline", "none", "-o", "{tmp}/newdir/"],
     "--output"),
    (["profile", "--from-csv", "{tmp}/p.csv", "-o", "{tmp}/newdir/"], "--output"),
]


@pytest.mark.parametrize("args, option", FOLDER_TYPED,
                         ids=[f"{a[0]} {o}" for a, o in FOLDER_TYPED])
def test_a_file_output_typed_as_a_folder_is_refused(
        made: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        args: list[str], option: str) -> None:
    (tmp_path / "p.csv").write_text(CSV)
    before = _listing(tmp_path)
    filled = [a.format(tmp=tmp_path, **made) for a in args]
    line = _refused(capsys, filled, option, "ends in '/'", "names a folder")
    assert line.startswith(f"error: {tmp_path}/newdir/: {option}:"), line
    assert not (tmp_path / "newdir").exists()  # neither a file nor a folder
    assert _listing(tmp_path) == before


EMPTY = [
    (["solve", "{inst}", "-s", "dp-edf", "-o", ""], "--output", "file"),
    (["solve", "{inst}", "-s", "dp-edf", "--plot", ""], "--plot", "file"),
    (["plot", "{inst}", "{sched}", "-o", ""], "--output", "file"),
    (["generate", "--device", "mi9", "--jobs", "3", "-o", ""], "--output", "file"),
    (["replay", "{inst}", "{sched}", "--trace", ""], "--trace", "file"),
    (["compare", "{inst}", "{sched}", "{trace}", "--plot", ""], "--plot", "file"),
    (["online", "{inst}", "--policy", "fifo-gpu", "--offline", "none", "-o", ""], "--output",
     "file"),
    (["online", "--set", "{tmp}", "--policy", "fifo-gpu", "--offline", "none", "-o", ""],
     "--output", "folder"),
    (["profile", "--from-csv", "{tmp}/p.csv", "-o", ""], "--output", "file"),
    (["bench", "--set", "smoke", "--solvers", "dp-edf", "-o", ""], "--output", "folder"),
    (["sets", "build", "smoke", "--out", ""], "--out", "folder"),
    (["profiles", "import", "--out", ""], "--out", "folder"),
]


@pytest.mark.parametrize("args, option, kind", EMPTY,
                         ids=[f"{' '.join(a[:2])} {o}" for a, o, _ in EMPTY])
def test_an_empty_output_path_is_refused(
        made: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, args: list[str], option: str, kind: str) -> None:
    (tmp_path / "p.csv").write_text(CSV)
    monkeypatch.chdir(tmp_path)  # "" was read as "."
    before = _listing(tmp_path)
    line = _refused(capsys, [a.format(tmp=tmp_path, **made) for a in args])
    assert line == f"error: {option}: an empty path; give a {kind} name", line
    assert _listing(tmp_path) == before
