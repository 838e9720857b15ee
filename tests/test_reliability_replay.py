"""Issue 13 at replay and compare: kinds 3, 6, 12 and 14, each reproducer a test.

The instance is hand-made (two jobs on one two-layer network) and its plan is
written by hand, so every stage the replay must run is known.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from splitsched.io import InputError, instance_sha256, write_instance, write_schedule
from splitsched.problem import Instance, Job, JobPlan, Network, Schedule
from splitsched.replay.compare import _Dist, check_trace, compare, replay_and_compare
from splitsched.replay.noise import NoiseModel
from splitsched.replay.sim import iter_simulate, simulate
from splitsched.replay.trace import (
    TraceStamp,
    TraceWriter,
    read_trace_file,
    write_trace,
)

# a = (0, 10, 30), h = (0, 5, 0), b = (50, 25, 0)
NET = Network(name="net", layer_names=("l1", "l2"), gpu_us=(10, 20), cpu_us=(25, 25),
              handoff_us=(0, 5, 0))
INST = Instance(id="pair", networks=(NET,),
                jobs=(Job("j0", "net", 0, 100), Job("j1", "net", 0, 100),
                      Job("j2", "net", 0, 200)))
# j0: cut 1, GPU [0,10), hand-off to 15, CPU [15,40); j1: cut 2 (GPU only) [10,40);
# j2: cut 0 (CPU only) [40,90). Three jobs, four stages per run.
PLAN = Schedule(instance_id="pair", solver="by-hand", instance_sha256=instance_sha256(INST),
                plans=(JobPlan("j0", 1, 0, 15), JobPlan("j1", 2, 10, None),
                       JobPlan("j2", 0, None, 40)))
OTHER = replace(PLAN, plans=(JobPlan("j0", 2, 0, None), JobPlan("j1", 2, 30, None),
                             JobPlan("j2", 0, None, 0)))


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "splitsched.cli", *args], capture_output=True,
                          text=True, timeout=120)


def one_line_exit_2(res: subprocess.CompletedProcess[str], needle: str) -> None:
    assert res.returncode == 2, (res.stdout, res.stderr)
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], res.stderr


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    ipath, spath, tpath = tmp_path / "i.json", tmp_path / "s.json", tmp_path / "t.jsonl"
    write_instance(INST, ipath)
    write_schedule(PLAN, spath)
    write_trace(simulate(INST, PLAN, runs=3, seed=1), tpath, INST, PLAN)
    return ipath, spath, tpath


def test_hand_plan_is_feasible_and_has_four_stages() -> None:
    from splitsched.evaluate import evaluate

    assert evaluate(INST, PLAN).feasible and evaluate(INST, OTHER).feasible
    assert len(simulate(INST, PLAN, runs=1)[0].stages) == 4


# ----------------------------------------------------------------- kind 12: traces
def test_trace_carries_what_it_belongs_to(files: tuple[Path, Path, Path]) -> None:
    _, _, tpath = files
    tf = read_trace_file(tpath)
    assert tf.stamp == TraceStamp.of(INST, PLAN, 3)
    check_trace(tf, INST, PLAN, tpath)


def test_truncated_trace_is_refused(files: tuple[Path, Path, Path], tmp_path: Path) -> None:
    ipath, spath, tpath = files
    lines = tpath.read_text().splitlines(keepends=True)
    assert len(lines) == 15  # 3 runs x (1 header + 4 stages)
    cut = tmp_path / "cut.jsonl"
    for keep in (13, 10, 5, 1):  # mid-run, whole runs missing, header only
        cut.write_text("".join(lines[:keep]))
        with pytest.raises(InputError, match="truncated"):
            read_trace_file(cut)
    cut.write_text("".join(lines[:13]))
    one_line_exit_2(cli("compare", str(ipath), str(spath), str(cut)), "truncated")


def _edit(tpath: Path, lineno: int, key: str, value: object) -> None:
    lines = tpath.read_text().splitlines()
    rec = json.loads(lines[lineno])
    rec[key] = value
    lines[lineno] = json.dumps(rec)
    tpath.write_text("\n".join(lines) + "\n")


@pytest.mark.parametrize("key, value, needle", [
    ("job", "j-unknown", "unexpected"),
    ("processor", "npu", "unknown processor"),
    ("cut", 99, "stages differ"),
    ("actual_end", "628008", "actual_end"),
    ("actual_end", True, "actual_end"),
    ("actual_end", 1.5, "actual_end"),
])
def test_edited_stage_is_refused(files: tuple[Path, Path, Path], key: str, value: object,
                                 needle: str) -> None:
    _, _, tpath = files
    _edit(tpath, 2, key, value)
    with pytest.raises(InputError, match=needle):
        check_trace(read_trace_file(tpath), INST, PLAN, tpath)


def test_nan_time_is_refused(files: tuple[Path, Path, Path]) -> None:
    _, _, tpath = files
    text = tpath.read_text().splitlines()
    text[1] = text[1].replace('"actual_end": ', '"actual_end": NaN, "x": ', 1)
    tpath.write_text("\n".join(text) + "\n")
    with pytest.raises(InputError, match="line 2"):
        read_trace_file(tpath)


def test_trace_of_another_schedule_is_refused(files: tuple[Path, Path, Path],
                                              tmp_path: Path) -> None:
    ipath, _, tpath = files
    other = tmp_path / "other.json"
    write_schedule(OTHER, other)
    one_line_exit_2(cli("compare", str(ipath), str(other), str(tpath)), "schedule_sha256")


def test_writer_refuses_a_short_trace(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    with pytest.raises(InputError, match="promised 3"), \
            TraceWriter(path, TraceStamp.of(INST, PLAN, 3)) as w:
        w.add(simulate(INST, PLAN, runs=1)[0])
    assert not path.exists()


# ----------------------------------------------------------------- kinds 6, 3: replay input
def test_replay_refuses_an_infeasible_schedule(files: tuple[Path, Path, Path],
                                               tmp_path: Path) -> None:
    ipath, _, _ = files
    clash = tmp_path / "clash.json"  # j1's GPU stage overlaps j0's
    write_schedule(replace(PLAN, plans=(JobPlan("j0", 1, 0, 15), JobPlan("j1", 2, 5, None),
                                        JobPlan("j2", 0, None, 40))), clash)
    one_line_exit_2(cli("replay", str(ipath), str(clash)), "infeasible schedule")
    with pytest.raises(InputError, match="overlap"):
        simulate(INST, replace(PLAN, plans=(JobPlan("j0", 1, 0, 15), JobPlan("j1", 2, 5, None),
                                            JobPlan("j2", 0, None, 40))))


def test_replay_of_an_out_of_range_cut_is_refused(files: tuple[Path, Path, Path],
                                                  tmp_path: Path) -> None:
    ipath, _, _ = files
    bad = tmp_path / "cut.json"
    write_schedule(replace(PLAN, plans=(JobPlan("j0", 7, 0, 15), *PLAN.plans[1:])), bad)
    one_line_exit_2(cli("replay", str(ipath), str(bad)), "cut 7 out of range")


@pytest.mark.parametrize("args, needle", [
    (["--seed", "-1"], "--seed"),
    (["--cv", "inf"], "--cv"),
    (["--cv", "nan"], "--cv"),
    (["--runs", "0"], "--runs"),
])
def test_replay_options_are_checked(files: tuple[Path, Path, Path], args: list[str],
                                    needle: str) -> None:
    ipath, spath, _ = files
    one_line_exit_2(cli("replay", str(ipath), str(spath), *args), needle)


def test_library_refuses_non_finite_cv_and_negative_seed() -> None:
    with pytest.raises(InputError, match="cv"):
        NoiseModel(cv=float("inf"))
    with pytest.raises(InputError, match="seed"):
        simulate(INST, PLAN, seed=-1)


def test_trace_output_directory_is_refused_before_replaying(files: tuple[Path, Path, Path],
                                                            tmp_path: Path) -> None:
    ipath, spath, _ = files
    one_line_exit_2(cli("replay", str(ipath), str(spath), "--trace", str(tmp_path)),
                    "is a directory")


# ----------------------------------------------------------------- kind 14: bounded work
def test_replay_streams_runs_and_reports_progress(tmp_path: Path) -> None:
    stream = iter_simulate(INST, PLAN, runs=50, seed=3)
    assert iter(stream) is stream  # an iterator: runs are made one at a time
    seen: list[int] = []
    path = tmp_path / "t.jsonl"
    report = replay_and_compare(INST, PLAN, stream, total_runs=50, trace_path=path,
                                on_run=seen.append)
    assert seen == list(range(1, 51)) and report["runs"] == 50
    assert len(read_trace_file(path).runs) == 50
    # the streamed report equals the report of the same runs held in a list
    again = compare(INST, PLAN, simulate(INST, PLAN, runs=50, seed=3))
    assert again == report


def test_bounded_sample_keeps_exact_moments() -> None:
    d = _Dist(cap=10)
    for v in range(1000):
        d.add(float(v))
    s = d.summary()
    assert len(d.sample) == 10 and s["sample"] == 10.0
    assert s["n"] == 1000.0 and s["mean"] == 499.5 and s["min"] == 0.0 and s["max"] == 999.0


def test_per_run_list_is_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    compare_mod = importlib.import_module("splitsched.replay.compare")
    monkeypatch.setattr(compare_mod, "PER_RUN_CAP", 3)
    report = compare(INST, PLAN, iter_simulate(INST, PLAN, runs=7, seed=0,
                                               noise=NoiseModel(cv=0)))
    assert len(report["measured"]["per_run"]) == 3 and report["measured"]["per_run_truncated"]
    assert report["measured"]["misses_mean"] == 0.0  # zero noise: the plan holds
