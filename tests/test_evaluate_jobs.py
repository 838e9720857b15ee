"""Per-job detail of a schedule (``job_table``) and what ``splitsched evaluate`` prints.

Every expected number below is computed by hand from the stage table of
``NET``: a = (0, 10, 30), h = (0, 5, 0), b = (50, 25, 0) (L = 2).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from splitsched.evaluate import evaluate, job_table
from splitsched.io import instance_sha256, write_instance, write_schedule
from splitsched.problem import Instance, Job, JobPlan, Network, Schedule

NET = Network(name="net", layer_names=("l1", "l2"), gpu_us=(10, 20), cpu_us=(25, 25),
              handoff_us=(0, 5, 0))
INST = Instance(id="five", networks=(NET,), jobs=(
    Job("j0", "net", 0, 30),
    Job("j1", "net", 0, 50),
    Job("j2", "net", 5, 200),
    Job("j3", "net", 10, 130),
    Job("j4", "net", 0, 100, weight=3),
))
# GPU: j0 [0, 30) (cut 2), j1 [30, 40) (cut 1), j4 [40, 50) (cut 1).
# CPU: j1 [45, 70) (ready 40 + 5), j3 [70, 120) (cut 0), j4 [120, 145) (ready 55).
FEASIBLE = Schedule(instance_id="five", solver="by-hand", plans=(
    JobPlan("j0", 2, gpu_start=0),
    JobPlan("j1", 1, gpu_start=30, cpu_start=45),
    JobPlan("j2", None),
    JobPlan("j3", 0, cpu_start=70),
    JobPlan("j4", 1, gpu_start=40, cpu_start=120),
))


def row(job: str, weight: int, release: int, deadline: int, cut: int | None,
        gpu: tuple[int, int] | None, handoff: int | None, ready: int | None,
        cpu: tuple[int, int] | None, completion: int | None, outcome: str) -> dict[str, Any]:
    return {"job": job, "network": "net", "weight": weight, "release": release,
            "deadline": deadline, "layers": 2, "cut": cut,
            "gpu_start": gpu[0] if gpu else None, "gpu_end": gpu[1] if gpu else None,
            "handoff_us": handoff, "cpu_ready": ready,
            "cpu_start": cpu[0] if cpu else None, "cpu_end": cpu[1] if cpu else None,
            "completion": completion,
            "lateness": None if completion is None else completion - deadline,
            "on_time": outcome == "on_time", "outcome": outcome}


EXPECTED = [
    row("j0", 1, 0, 30, 2, (0, 30), 0, None, None, 30, "on_time"),        # lateness 0
    row("j1", 1, 0, 50, 1, (30, 40), 5, 45, (45, 70), 70, "late"),        # lateness 20
    row("j2", 1, 5, 200, None, None, None, None, None, None, "dropped"),
    row("j3", 1, 10, 130, 0, None, 0, 10, (70, 120), 120, "on_time"),     # lateness -10
    row("j4", 3, 0, 100, 1, (40, 50), 5, 55, (120, 145), 145, "late"),    # lateness 45
]


def test_job_table_of_a_hand_computed_schedule() -> None:
    ev = evaluate(INST, FEASIBLE)
    assert ev.feasible and ev.misses == 3 and ev.weighted_misses == 5 and ev.makespan == 145
    rows = job_table(INST, FEASIBLE, ev)
    assert [r.as_dict() for r in rows] == EXPECTED
    assert [r.lateness for r in rows] == [0, 20, None, -10, 45]
    # Computing the evaluation inside gives the same rows.
    assert job_table(INST, FEASIBLE) == rows


def test_job_table_marks_broken_and_missing_plans() -> None:
    # j3 starts its CPU stage at 5, before its release 10 (and on top of j1): invalid,
    # although it would end by its deadline; j2 has no plan at all.
    broken = Schedule(instance_id="five", solver="by-hand", plans=(
        JobPlan("j0", 2, gpu_start=0),
        JobPlan("j1", 1, gpu_start=30, cpu_start=45),
        JobPlan("j3", 0, cpu_start=5),
        JobPlan("j4", 1, gpu_start=40, cpu_start=120),
    ))
    ev = evaluate(INST, broken)
    assert not ev.feasible
    rows = {r.job: r for r in job_table(INST, broken, ev)}
    assert rows["j3"].outcome == "invalid" and rows["j3"].completion == 55
    assert rows["j3"].lateness == 55 - 130 and not rows["j3"].on_time
    assert rows["j2"].outcome == "unplanned" and rows["j2"].cut is None


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from splitsched.cli import main

    monkeypatch.setattr(sys, "argv", ["splitsched", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    inst, sched = tmp_path / "five.json", tmp_path / "sched.json"
    write_instance(INST, inst)
    from dataclasses import replace

    write_schedule(replace(FEASIBLE, instance_sha256=instance_sha256(INST)), sched)
    return inst, sched


def test_cli_evaluate_json_has_every_job(files: tuple[Path, Path],
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    code = _main(monkeypatch, "evaluate", str(files[0]), str(files[1]), "--json")
    assert code == 0
    got = json.loads(capsys.readouterr().out)
    assert got["jobs"] == EXPECTED
    assert (got["feasible"], got["misses"], got["weighted_misses"], got["makespan"]) == \
        (True, 3, 5, 145)
    assert got["weighted_miss_rate"] == 5 / 7
    code = _main(monkeypatch, "evaluate", str(files[0]), str(files[1]), "--json", "--no-jobs")
    assert code == 0 and "jobs" not in json.loads(capsys.readouterr().out)


def test_cli_evaluate_prints_the_table(files: tuple[Path, Path],
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(monkeypatch, "evaluate", str(files[0]), str(files[1])) == 0
    text = capsys.readouterr().out
    for head in ("GPU start", "GPU end", "hand-off", "CPU start", "CPU end", "completion",
                 "deadline", "lateness", "outcome"):
        assert head in text
    lines = {line.split()[1]: line for line in text.splitlines()
             if line.split()[1:2] and line.split()[1] in {"j0", "j1", "j2", "j3", "j4"}}
    cells = [c.strip() for c in lines["j1"].split("│")[1:-1]]
    assert cells == ["j1", "net", "1/2", "30", "40", "5", "45", "70", "70", "50", "20", "late"]
    assert "dropped" in lines["j2"]
    assert "misses: 3 of 5" in text and "weighted misses 5; makespan 145 us" in text


def test_cli_evaluate_exit_codes(tmp_path: Path, files: tuple[Path, Path],
                                 monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    write_schedule(Schedule(instance_id="five", solver="by-hand", plans=(
        JobPlan("j0", 2, gpu_start=0), JobPlan("j1", 2, gpu_start=10),  # GPU overlap
        JobPlan("j2", None), JobPlan("j3", None), JobPlan("j4", None))), bad)
    assert _main(monkeypatch, "evaluate", str(files[0]), str(bad), "--json") == 1
    assert json.loads(capsys.readouterr().out)["feasible"] is False
    other = tmp_path / "other.json"
    write_schedule(Schedule(instance_id="another", solver="x", plans=()), other)
    assert _main(monkeypatch, "evaluate", str(files[0]), str(other)) == 2
    assert "instance_id" in capsys.readouterr().err
    assert _main(monkeypatch, "evaluate", str(files[0]), str(tmp_path / "absent.json")) == 2
