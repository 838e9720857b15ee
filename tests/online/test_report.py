"""The online report is computed from the records alone: a hand-made record set,
hand-computed tables.

The set (10 jobs per instance; A at load 1.5, offline best 0 proven; B at
load 3, offline best 2 not proven):

====== ======== === ========= ====== ======================
policy instance run miss rate regret decision latencies, us
====== ======== === ========= ====== ======================
p1     A        0   0.1       1      10, 20, 30
p1     A        1   0.3       3      40
p1     B        0   0.5       0      50
p1     B        1   (error)
p2     A        0   0.0       0      5
p2     B        0   0.2       -1     7, 9
static A        0   0.0       0      (none)
====== ======== === ========= ====== ======================

plus a second line for (p1, A, run 0) with miss rate 0.9, as a hand-merged
file might hold: it must not count.

By hand: p1 has 4 runs, 1 error, mean miss rate (0.1 + 0.3 + 0.5) / 3 =
0.3, mean regret 4/3, max 3, no-regret share 1/3; its 5 latencies pooled
have median 30, max 50 and p99 (linear interpolation at rank 0.99 * 4 =
3.96) 40 + 0.96 * 10 = 49.6. p2: mean miss rate 0.1, mean regret -0.5, max
0, share 1; latencies 5, 7, 9: median 7, p99 at rank 1.98: 7 + 0.98 * 2 =
8.96, max 9. By load: p1 at 1.5 has 2 runs, miss rate 0.2, regret 2.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from splitsched.bench.records import RunRecord, append_record
from splitsched.online.records import read_online_runs
from splitsched.online.report import build_report, load_rows, policy_rows
from splitsched.solvers.base import SolveStatus

LOAD = {"A": 1.5, "B": 3.0}
BEST = {"A": (0, True), "B": (2, False)}


def _rec(kind: str, inst: str, policy: str | None, run: int | None, miss_rate: float | None,
         regret: int | None, lat: list[float] | None) -> RunRecord:
    best, proven = BEST[inst]
    common: dict[str, Any] = dict(
        instance_id=inst, instance_sha256=inst * 64, seed=0, threads=1, n_jobs=10,
        total_weight=10, load=LOAD[inst], load_source="params.load", kind=kind, policy=policy,
        run=run, offline_best=best, offline_proven=proven, offline_source="hand")
    if kind == "offline":
        status = SolveStatus.OPTIMAL if proven else SolveStatus.FEASIBLE
        return RunRecord(**common, solver="cpsat", time_limit_s=10.0, status=status,
                         missed=best, feasible=True)
    if miss_rate is None:
        return RunRecord(**common, solver=str(policy), time_limit_s=0.05,
                         status=SolveStatus.ERROR, error="ValueError: boom")
    assert regret is not None
    return RunRecord(**common, solver=str(policy), time_limit_s=0.05,
                     status=SolveStatus.FEASIBLE, feasible=True, miss_rate=miss_rate,
                     misses=round(miss_rate * 10), missed=best + regret, regret=regret,
                     latency_us=lat, cpu_latency_us=None if lat is None else [v + 1 for v in lat])


RECORDS = [
    _rec("offline", "A", None, None, None, None, None),
    _rec("offline", "B", None, None, None, None, None),
    _rec("online", "A", "p1", 0, 0.1, 1, [10, 20, 30]),
    _rec("online", "A", "p1", 1, 0.3, 3, [40]),
    _rec("online", "B", "p1", 0, 0.5, 0, [50]),
    _rec("online", "B", "p1", 1, None, None, None),
    _rec("online", "A", "p2", 0, 0.0, 0, [5]),
    _rec("online", "B", "p2", 0, 0.2, -1, [7, 9]),
    _rec("static", "A", "static", 0, 0.0, 0, None),
    _rec("online", "A", "p1", 0, 0.9, 9, [1000]),  # the same run twice: dropped
]


@pytest.fixture()
def run_dir(tmp_path: Path) -> Path:
    for rec in RECORDS:
        append_record(tmp_path / "runs.jsonl", rec)
    return tmp_path


def test_policy_table_by_hand(run_dir: Path) -> None:
    build_report(run_dir)
    with open(run_dir / "report" / "policies.csv", newline="") as fh:
        rows = {r["policy"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"p1", "p2", "static"}
    p1, p2, static = rows["p1"], rows["p2"], rows["static"]
    assert (p1["runs"], p1["errors"], p1["decisions"]) == ("4", "1", "5")
    assert float(p1["mean_miss_rate"]) == pytest.approx(0.3)
    assert float(p1["mean_regret"]) == pytest.approx(4 / 3, rel=1e-3)
    assert float(p1["max_regret"]) == 3
    assert float(p1["no_regret_share"]) == pytest.approx(1 / 3, rel=1e-3)
    assert float(p1["latency_median_us"]) == 30
    assert float(p1["latency_p99_us"]) == pytest.approx(49.6)
    assert float(p1["latency_max_us"]) == 50
    assert float(p1["cpu_max_us"]) == 51
    assert (p2["runs"], p2["errors"], p2["decisions"]) == ("2", "0", "3")
    assert float(p2["mean_miss_rate"]) == pytest.approx(0.1)
    assert float(p2["mean_regret"]) == pytest.approx(-0.5)
    assert float(p2["max_regret"]) == 0 and float(p2["no_regret_share"]) == 1
    assert float(p2["latency_median_us"]) == 7
    assert float(p2["latency_p99_us"]) == pytest.approx(8.96)
    assert (static["runs"], static["decisions"], static["latency_median_us"]) == ("1", "0", "")
    assert float(static["mean_regret"]) == 0


def test_rows_exactly(run_dir: Path) -> None:
    from splitsched.bench.records import unique_records

    records, dropped = unique_records(read_online_runs(run_dir).records)
    assert dropped == 1
    p1 = next(r for r in policy_rows(records) if r["policy"] == "p1")
    assert p1["mean_regret"] == pytest.approx(4 / 3) and p1["no_regret_share"] == 1 / 3
    by_load = {(r["policy"], r["load"]): r for r in load_rows(records)}
    assert set(by_load) == {("p1", 1.5), ("p1", 3.0), ("p2", 1.5), ("p2", 3.0),
                            ("static", 1.5)}
    assert by_load[("p1", 1.5)]["runs"] == 2
    assert by_load[("p1", 1.5)]["mean_miss_rate"] == pytest.approx(0.2)
    assert by_load[("p1", 1.5)]["mean_regret"] == pytest.approx(2.0)
    assert by_load[("p1", 3.0)]["runs"] == 1  # the error record is not a point
    assert by_load[("p2", 3.0)]["mean_regret"] == -1


def test_report_files_and_text(run_dir: Path) -> None:
    out = build_report(run_dir)
    for name in ("policies.md", "policies.csv", "by_load.csv", "miss_rate_vs_load.png",
                 "regret.png", "latency.png", "report.md"):
        assert (out / name).stat().st_size > 0, name
    text = (out / "report.md").read_text()
    assert "2 instances; offline best proven optimal on 1." in text
    assert "1 duplicate record of a run already counted was ignored." in text
    with open(out / "by_load.csv", newline="") as fh:
        assert len(list(csv.DictReader(fh))) == 5
