"""Online sweep records are bench RunRecords: one writer, one reader, checked fields.

Facts: an online record written with the bench's writer reads back equal
with the bench's reader and validates against the published ``record``
schema; its quality fields are the evaluation of its realized schedule on
the realized instance, its regret is weighted misses minus the offline
best, its latency summary is the median / p99 / max of the latencies it
stores; a bench record carries none of the online fields; an old-format
online line, an unknown kind and a non-number latency are refused naming
the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from splitsched.bench.records import (
    OLD_ONLINE_SCHEMA,
    ONLINE_FIELDS,
    RunRecord,
    append_record,
    online_run_key,
    read_runs,
    run_key,
)
from splitsched.bench.sets import SetEntry, params_of
from splitsched.evaluate import evaluate
from splitsched.io import InputError, instance_sha256, read_instance
from splitsched.online import make_policy, realized_instance, run_online
from splitsched.online.metrics import OfflineBest
from splitsched.online.records import (
    RecordBase,
    offline_record,
    online_run_record,
    read_online_runs,
    static_record,
)
from splitsched.online.sweep import OnlineConfig, record_base
from splitsched.problem import Instance
from splitsched.replay.noise import NoiseModel
from splitsched.schema import validate
from splitsched.sets import SETS_DIR, iter_set_files
from splitsched.solve import solve
from splitsched.solvers.base import SolveStatus


def _instance() -> tuple[Path, Instance]:
    path = next(iter(iter_set_files(SETS_DIR / "poisson-n10")))
    return path, read_instance(path)


def _base(cfg: OnlineConfig, run_dir: Path) -> tuple[Instance, RecordBase]:
    path, inst = _instance()
    entry = SetEntry(file=path, instance=inst, sha256=instance_sha256(inst),
                     params=params_of(inst))
    return inst, record_base(entry, cfg, set_name="poisson-n10", run_dir=run_dir)


def test_online_record_round_trips_and_states_its_run(tmp_path: Path) -> None:
    cfg = OnlineConfig(policies=("edf-greedy-cut",), noise_cv=0.2, seed=3)
    inst, base = _base(cfg, tmp_path)
    realized = realized_instance(inst, NoiseModel(cv=0.2), 3, 1)
    run = run_online(inst, make_policy("edf-greedy-cut"), realized=realized, seed=4)
    best = OfflineBest(1, True, "hand-made")
    rec = online_run_record(base, "edf-greedy-cut", 1, run, best, wall_s=0.5)

    path = tmp_path / "runs.jsonl"
    append_record(path, rec)
    append_record(path, rec.replace(run=2))
    back = read_runs(path).records
    assert back[0] == rec and back[1].run == 2
    validate("record", json.loads(path.read_text().splitlines()[0]), where="line 1")

    ev = evaluate(realized, run.schedule)
    assert (rec.missed, rec.misses, rec.feasible) == (ev.weighted_misses, ev.misses, True)
    assert rec.miss_rate == ev.misses / inst.num_jobs
    assert rec.regret == ev.weighted_misses - 1
    assert (rec.kind, rec.policy, rec.solver, rec.run, rec.seed) == \
        ("online", "edf-greedy-cut", "edf-greedy-cut", 1, 3)
    assert rec.status == SolveStatus.FEASIBLE and rec.noise_cv == 0.2
    assert rec.key == online_run_key("online", base.instance_sha256, "edf-greedy-cut", 3, 1)
    assert rec.key != back[1].key
    lat = np.asarray(rec.latency_us, dtype=float)
    assert rec.decisions == len(run.decisions) == lat.size > 0
    assert rec.latency_median_us == pytest.approx(float(np.median(lat)))
    assert rec.latency_p99_us == pytest.approx(float(np.percentile(lat, 99)))
    assert rec.latency_max_us == pytest.approx(float(lat.max()))
    assert rec.load == 1.5 and rec.load_source == "params.load"  # poisson-n10 l1p5, first file


def test_static_and_offline_records_validate(tmp_path: Path) -> None:
    cfg = OnlineConfig(policies=("fifo-gpu",))
    inst, base = _base(cfg, tmp_path)
    res = solve(inst, "dp-edf", time_limit_s=10)
    assert res.schedule is not None and res.missed is not None
    best = OfflineBest(res.missed, False, "dp-edf", res.schedule)
    ev = evaluate(inst, res.schedule)
    offline = offline_record(base, "dp-edf", 10.0, best, ev, "offline/x.json")
    static = static_record(base, 0, ev, best, inst.id, wall_s=0.1)
    assert offline.key == ("offline", base.instance_sha256)
    assert (offline.missed, offline.offline_best, offline.status) == \
        (res.missed, res.missed, SolveStatus.FEASIBLE)
    assert static.regret == 0 and static.kind == "static" and static.policy == "static"
    none = offline_record(base, "cpsat", 10.0, None, None, None, error="no schedule")
    assert none.status == SolveStatus.NO_SOLUTION and none.offline_best is None
    path = tmp_path / "runs.jsonl"
    for rec in (offline, static, none):
        append_record(path, rec)
        validate("record", rec.to_dict(), where="test")
    assert read_runs(path).records == [offline, static, none]


def test_a_bench_record_carries_no_online_field() -> None:
    rec = RunRecord(instance_id="i", instance_sha256="s", solver="dp-edf", seed=0,
                    time_limit_s=1.0, threads=1, status=SolveStatus.OPTIMAL)
    d = rec.to_dict()
    assert not set(ONLINE_FIELDS) & set(d)
    assert rec.key == run_key("s", "dp-edf", 0, 1.0, 1)
    assert RunRecord.from_dict(d) == rec


def _line(**changes: object) -> str:
    rec = RunRecord(instance_id="i", instance_sha256="s", solver="p", seed=0,
                    time_limit_s=0.05, threads=1, status=SolveStatus.FEASIBLE, kind="online",
                    policy="p", run=0, latency_us=[1.0, 2.0])
    return json.dumps({**rec.to_dict(), **changes})


@pytest.mark.parametrize("changes, field, words", [
    ({"schema": OLD_ONLINE_SCHEMA}, "line 1", "old format"),
    ({"kind": "replay"}, "line 1.kind", "expected one of"),
    ({"latency_us": [1.0, "slow"]}, "line 1.latency_us", "finite numbers"),
    ({"regret": 1.5}, "line 1.regret", "expected integer"),
])
def test_bad_online_lines_are_refused_naming_the_file(tmp_path: Path, changes: dict[str, object],
                                                      field: str, words: str) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(_line(**changes) + "\n" + _line(run=1) + "\n")
    with pytest.raises(InputError) as exc:
        read_runs(path)
    assert exc.value.field == field and words in exc.value.reason
    assert str(path) in str(exc.value)


def test_old_format_run_directory_says_what_to_do(tmp_path: Path) -> None:
    old = {"schema": OLD_ONLINE_SCHEMA, "version": 1, "kind": "online", "policy": "fifo-gpu",
           "run": 0, "status": "ok"}
    (tmp_path / "runs.jsonl").write_text(json.dumps(old) + "\n")
    with pytest.raises(InputError, match="run the sweep again into a new run directory"):
        read_online_runs(tmp_path)


def test_bench_records_are_not_an_online_run_directory(tmp_path: Path) -> None:
    rec = RunRecord(instance_id="i", instance_sha256="s", solver="dp-edf", seed=0,
                    time_limit_s=1.0, threads=1, status=SolveStatus.OPTIMAL)
    append_record(tmp_path / "runs.jsonl", rec)
    with pytest.raises(InputError, match="bench run directory"):
        read_online_runs(tmp_path)


def test_best_known_reads_bench_and_offline_records_only(tmp_path: Path) -> None:
    """A policy's run is not a clairvoyant schedule: only bench runs and an online
    sweep's ``offline`` records give the best known value (and a file without any
    bound, which used to overflow, reads as not proven)."""
    from splitsched.online.metrics import best_known_from_runs

    def rec(missed: int, **online: object) -> RunRecord:
        return RunRecord(instance_id="i", instance_sha256="s", solver="x", seed=0,
                         time_limit_s=1.0, threads=1, status=SolveStatus.FEASIBLE,
                         feasible=True, missed=missed, **online)  # type: ignore[arg-type]

    path = tmp_path / "runs.jsonl"
    append_record(path, rec(3))
    append_record(path, rec(1, kind="online", policy="p", run=0))
    append_record(path, rec(0, kind="static", policy="static", run=0))
    best = best_known_from_runs(path)["s"]
    assert best.weighted_misses == 3 and not best.proven  # no bound anywhere: not proven
    append_record(path, rec(2, kind="offline"))
    assert best_known_from_runs(path)["s"].weighted_misses == 2
