"""A newcomer's attack, findings 14 and 17 and the flags accepted but ignored.

A file of the wrong kind is named as what it is (a file for a run directory, an
instance or schedule for a trace or a runs.jsonl, a run directory for a set, two files
with one instance id); an option that does nothing in the use it is given in is
refused, naming it, instead of being silently ignored. Each refusal exits 2 with one
``error:`` line and writes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from splitsched.io import dumps, instance_to_dict, read_instance, write_instance
from tests.helpers.builders import edf_counterexample
from tests.helpers.cli import CSV, main, refused


@pytest.fixture()
def solved(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, Path]:
    """An instance file (pretty-printed, as the CLI writes it) and its dp-edf schedule."""
    inst, sched = tmp_path / "inst.json", tmp_path / "dp.json"
    write_instance(edf_counterexample(), inst)
    code, _, err = main(capsys, "solve", str(inst), "-o", str(sched))
    assert code == 0, err
    return inst, sched


def _compact(path: Path, dest: Path) -> Path:
    """``path``'s JSON on one line (a JSON-lines reader parses its first line fine)."""
    dest.write_text(json.dumps(json.loads(path.read_text())) + "\n")
    return dest


# --------------------------------------------------------------------- finding 14
@pytest.mark.parametrize("compact", [False, True], ids=["pretty", "one line"])
def test_compare_names_an_instance_or_schedule_given_as_trace(
        solved: tuple[Path, Path], tmp_path: Path, compact: bool,
        capsys: pytest.CaptureFixture[str]) -> None:
    inst, sched = solved
    for given, kind in ((inst, "splitsched-instance file (an instance)"),
                        (sched, "splitsched-schedule file (a schedule)")):
        path = _compact(given, tmp_path / f"c-{given.name}") if compact else given
        plot = tmp_path / "cmp.png"
        line = refused(capsys, "compare", str(inst), str(sched), str(path),
                        "--plot", str(plot))
        assert line == f"error: {path}: format: this is a {kind}; expected a " \
                       "splitsched-trace file (a replay trace)"
        assert not plot.exists()


@pytest.mark.parametrize("kind", ["instance", "schedule", "trace"])
def test_best_known_names_the_kind_of_file_it_was_given(
        solved: tuple[Path, Path], tmp_path: Path, kind: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    inst, sched = solved
    if kind == "trace":
        given = tmp_path / "trace.jsonl"
        assert main(capsys, "replay", str(inst), str(sched), "--trace", str(given))[0] == 0
        found = "splitsched-trace file (a replay trace)"
    else:
        given = inst if kind == "instance" else sched
        found = f"splitsched-{kind} file (a{'n' if kind == 'instance' else ''} {kind})"
    out = tmp_path / "realized.json"
    line = refused(capsys, "online", str(inst), "--best-known", str(given), "-o", str(out))
    assert line == f"error: {given}: format: this is a {found}; expected a splitsched-run " \
                   "file (run records, a runs.jsonl)"
    assert not out.exists()


def test_report_of_a_file_says_it_is_a_file(solved: tuple[Path, Path],
                                            capsys: pytest.CaptureFixture[str]) -> None:
    inst, _ = solved
    line = refused(capsys, "report", str(inst))
    assert line.startswith(f"error: {inst}: RUN_DIR: is a file; expected a run directory")


@pytest.mark.parametrize("marker", ["runs.jsonl", "sweep.json", "online.json"])
def test_bench_set_of_a_run_directory_says_so(tmp_path: Path, marker: str,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    # A run directory holds instance copies and JSON settings beside its records; read as
    # a set, its sweep.json was refused as a malformed instance ("format: Field required").
    run = tmp_path / "run"
    write_instance(edf_counterexample(), run / "edf.json")
    (run / marker).write_text("{}\n" if marker.endswith(".json") else "")
    out = tmp_path / "again"
    line = refused(capsys, "bench", "--set", str(run), "--solvers", "edf-greedy-cut",
                    "-o", str(out))
    assert line == f"error: {run}: (set): a run directory (holds {marker}), not a set; " \
                   "--set expects a set name or a folder of instance JSON files"
    assert not out.exists()


# --------------------------------------------------------------------- finding 17
def test_two_files_with_one_id_are_both_named(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "set"
    write_instance(edf_counterexample(), folder / "a.json")
    data = instance_to_dict(edf_counterexample())
    data["jobs"][0]["deadline"] += 1  # another instance, the same id
    (folder / "b.json").write_text(dumps(data))
    assert read_instance(folder / "b.json").id == "edf-counterexample"
    out = tmp_path / "run"
    line = refused(capsys, "bench", "--set", str(folder), "--solvers", "edf-greedy-cut",
                    "-o", str(out))
    assert line.startswith(f"error: {folder / 'b.json'}: id: instance id "
                           f"'edf-counterexample' is also the id of {folder / 'a.json'}")
    assert "named twice" not in line
    assert not out.exists()


# ------------------------------------------------------------ options that did nothing
@pytest.mark.parametrize(("extra", "flag"), [
    (("--gpu-lane", "cuda"), "--gpu-lane"),
    (("--gpu-lane", "cpu"), "--gpu-lane"),
    (("--cpu-threads", "2"), "--cpu-threads"),
])
def test_replay_sim_refuses_torch_options(solved: tuple[Path, Path], tmp_path: Path,
                                          extra: tuple[str, ...], flag: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    inst, sched = solved
    trace = tmp_path / "t.jsonl"
    line = refused(capsys, "replay", str(inst), str(sched), "--trace", str(trace), *extra)
    assert line.startswith(f"error: {flag}: does nothing here:") and "sim" in line
    assert not trace.exists()


@pytest.mark.parametrize(("extra", "flag"), [
    (("--cv", "0.2"), "--cv"),
    (("--no-measured-sd",), "--measured-sd"),
])
def test_replay_torch_refuses_sim_options(solved: tuple[Path, Path], tmp_path: Path,
                                          extra: tuple[str, ...], flag: str,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    # Refused before PyTorch is looked for: the same answer with or without it.
    inst, sched = solved
    line = refused(capsys, "replay", str(inst), str(sched), "--backend", "torch", *extra)
    assert line.startswith(f"error: {flag}: does nothing here:") and "torch" in line


def test_replay_sim_without_noise_refuses_repeated_runs(
        solved: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """As ``online --runs N`` without noise (a newcomer's attack, 2026-12-02: replay took
    ``--cv 0 --runs 5``, five identical runs); one run, or noise, still runs."""
    inst, sched = solved
    trace = tmp_path / "t.jsonl"
    line = refused(capsys, "replay", str(inst), str(sched), "--cv", "0", "--runs", "5",
                   "--trace", str(trace))
    assert line.startswith("error: --runs: does nothing here: with --cv 0") and "--cv > 0" in line
    assert not trace.exists()
    for extra in (("--cv", "0"), ("--cv", "0.1", "--runs", "3")):
        code, _, err = main(capsys, "replay", str(inst), str(sched), *extra)
        assert code == 0, err


def test_replay_sim_with_its_defaults_still_runs(solved: tuple[Path, Path],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    inst, sched = solved
    code, out, err = main(capsys, "replay", str(inst), str(sched), "--runs", "2")
    assert code == 0, err
    assert "backend sim" in out


@pytest.mark.parametrize(("extra", "flag"), [
    (("--handoff-us", "5"), "--handoff-us"),
    (("--backend", "litert"), "--backend"),
    (("--backend", "torch"), "--backend"),
    (("--models", "resnet18"), "--models"),
    (("--allow-no-delegate",), "--allow-no-delegate"),
    (("--gpu-lane", "cpu"), "--device"),
])
def test_profile_from_csv_refuses_options_it_does_not_use(
        tmp_path: Path, extra: tuple[str, ...], flag: str,
        capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.csv").write_text(CSV)
    out = tmp_path / "p.json"
    line = refused(capsys, "profile", "--from-csv", str(tmp_path / "t.csv"), "-o", str(out),
                    *extra)
    assert line.startswith(f"error: {flag}: does nothing here: --from-csv")
    assert not out.exists()


def test_profile_from_litert_refuses_torch_options(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "p.json"
    line = refused(capsys, "profile", "--from-litert", "cpu.txt", "gpu.txt", "-o", str(out),
                    "--repeats", "5")
    assert line.startswith("error: --repeats: does nothing here: --from-litert")
    assert not out.exists()


@pytest.mark.parametrize("flag", ["--handoff-us", "--model-name"])
def test_a_pytorch_profile_refuses_file_import_options(
        tmp_path: Path, flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    value = "5" if flag == "--handoff-us" else "net"
    line = refused(capsys, "profile", "-o", str(tmp_path / "p.json"), flag, value)
    assert line.startswith(f"error: {flag}: does nothing here:")


def test_profile_from_csv_with_its_own_options_still_writes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "t.csv").write_text(CSV)
    out = tmp_path / "p.json"
    code, _, err = main(capsys, "profile", "--from-csv", str(tmp_path / "t.csv"), "-o",
                        str(out), "--name", "dev", "--model-name", "net")
    assert code == 0, err
    data = json.loads(out.read_text())
    assert data["device"] == "dev" and [n["name"] for n in data["networks"]] == ["net"]


def test_report_of_an_online_run_refuses_shift(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    # The online report has no runtime means: --shift did nothing there.
    run = tmp_path / "online-run"
    run.mkdir()
    (run / "online.json").write_text("{}\n")
    line = refused(capsys, "report", str(run), "--shift", "-3")
    assert line.startswith("error: --shift: does nothing here:") and str(run) in line
    assert sorted(p.name for p in run.iterdir()) == ["online.json"]


ONLINE_UNUSED = [
    # one instance: --resume continues a sweep only
    (("--policy", "fifo-gpu", "--offline", "none", "--resume"), "--resume", "sweep"),
    # nothing solved offline: no time limit to give it
    (("--policy", "fifo-gpu", "--offline", "none", "--offline-limit", "5"), "--offline-limit",
     "--offline none"),
    # the greedy rules never re-solve: no budget to give them
    (("--policy", "edf-gpu", "--offline", "none", "--replan-budget-ms", "5"),
     "--replan-budget-ms", "never replans"),
    (("--policies", "fifo-gpu,edf-greedy-cut", "--offline", "none", "--replan-budget-ms",
      "5"), "--replan-budget-ms", "never replans"),
    # no noise: every run sees the same stage times
    (("--policy", "fifo-gpu", "--offline", "none", "--runs", "3"), "--runs", "--noise-cv"),
    (("--policy", "fifo-gpu", "--offline", "none", "--no-measured-sd"), "--measured-sd",
     "--noise-cv"),
]


@pytest.mark.parametrize(("extra", "flag", "why"), ONLINE_UNUSED)
def test_online_refuses_options_that_do_nothing(solved: tuple[Path, Path], tmp_path: Path,
                                                extra: tuple[str, ...], flag: str, why: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    inst, _ = solved
    out = tmp_path / "o.json"
    line = refused(capsys, "online", str(inst), *extra, "-o", str(out))
    assert line.startswith(f"error: {flag}: does nothing here:") and why in line, line
    assert not out.exists()


def test_online_refuses_offline_options_beside_best_known(
        solved: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    inst, _ = solved
    runs = tmp_path / "runs.jsonl"
    runs.write_text("")
    for extra, flag in ((("--offline", "dp-edf"), "--offline"),
                        (("--offline-limit", "5"), "--offline-limit")):
        line = refused(capsys, "online", str(inst), "--policy", "fifo-gpu", "--best-known",
                       str(runs), *extra, "-o", str(tmp_path / "o.json"))
        assert line.startswith(f"error: {flag}: does nothing here:") and "--best-known" in line


@pytest.mark.parametrize("extra", [
    ("--policy", "replan:edf-gpu", "--offline", "none", "--replan-budget-ms", "5"),
    ("--policies", "fifo-gpu,replan:dp-edf", "--offline", "none", "--replan-budget-ms", "5"),
    ("--policy", "fifo-gpu", "--offline", "edf-gpu", "--offline-limit", "5"),
    ("--policy", "fifo-gpu", "--offline", "none", "--noise-cv", "0.1", "--runs", "3",
     "--no-measured-sd"),
])
def test_online_takes_those_options_where_they_act(solved: tuple[Path, Path], tmp_path: Path,
                                                   extra: tuple[str, ...],
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    inst, _ = solved
    out = tmp_path / "o.json"
    code, _, err = main(capsys, "online", str(inst), *extra, "-o", str(out))
    assert code == 0, err
    assert list(tmp_path.glob("o*.json"))  # one realized schedule per policy and run


def test_compare_refuses_plot_run_without_plot(solved: tuple[Path, Path], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    inst, sched = solved
    trace = tmp_path / "t.jsonl"
    code, _, err = main(capsys, "replay", str(inst), str(sched), "--runs", "2", "--trace",
                        str(trace))
    assert code == 0, err
    line = refused(capsys, "compare", str(inst), str(sched), str(trace), "--plot-run", "1")
    assert line.startswith("error: --plot-run: does nothing here:") and "--plot" in line
    code, _, err = main(capsys, "compare", str(inst), str(sched), str(trace), "--plot-run",
                        "1", "--plot", str(tmp_path / "c.png"))
    assert code == 0, err
