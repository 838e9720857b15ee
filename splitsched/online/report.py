"""The report of an online sweep: tables and plots in ``RUN_DIR/report/``.

* ``policies.md|csv``: per policy (``static`` is the offline schedule
  replayed under the same draws): runs, errors, mean miss rate, mean and max
  regret (weighted misses minus the offline best), the share of runs with no
  regret, and decision latency pooled over all its decisions (median, p99,
  max, microseconds);
* ``by_load.csv`` and ``miss_rate_vs_load.png``: mean miss rate per policy and
  generator load;
* ``regret.png``: mean regret per policy and load;
* ``latency.png``: the distribution (empirical CDF, log scale) of decision
  latency per policy;
* ``report.md``: the above with the definitions.

Everything is computed from the run directory's records alone
(:func:`splitsched.online.records.read_online_runs`: bench
:class:`~splitsched.bench.records.RunRecord` lines), one record per key
(:func:`~splitsched.bench.records.unique_records`: a run recorded twice in a
hand-merged file counts once). Error records count as runs and errors but
not in the means.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from splitsched.bench.records import RUNS_FILE, RunRecord, unique_records
from splitsched.bench.staging import check_folder_output, check_run_dir, staged_folder
from splitsched.io import InputError, atomic_write_text
from splitsched.online.records import OFFLINE, ONLINE, STATIC, read_online_runs
from splitsched.plot import ecdf, save_png, series_by_solver
from splitsched.problem import counted
from splitsched.solvers.base import SolveStatus


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


def _table(rows: list[dict[str, Any]], cols: list[str]) -> tuple[str, str]:
    md = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    csv = [",".join(cols)]
    for r in rows:
        md.append("| " + " | ".join(_fmt(r.get(c)) for c in cols) + " |")
        csv.append(",".join(_fmt(r.get(c)) for c in cols))
    return "\n".join(md) + "\n", "\n".join(csv) + "\n"


def _ok(r: RunRecord) -> bool:
    return r.status != SolveStatus.ERROR and r.miss_rate is not None


def _regrets(recs: list[RunRecord]) -> list[int]:
    return [r.regret for r in recs if r.regret is not None]


def policy_rows(records: list[RunRecord]) -> list[dict[str, Any]]:
    """One summary row per policy (see the module docstring)."""
    by: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.kind in (ONLINE, STATIC):
            by[str(r.policy)].append(r)
    rows = []
    for pol in sorted(by):
        recs = by[pol]
        ok = [r for r in recs if _ok(r)]
        regrets = _regrets(ok)
        lat = np.array([v for r in ok for v in r.latency_us or []], dtype=float)
        cpu = np.array([v for r in ok for v in r.cpu_latency_us or []], dtype=float)
        rows.append({
            "policy": pol, "runs": len(recs), "errors": len(recs) - len(ok),
            "mean_miss_rate": float(np.mean([r.miss_rate for r in ok])) if ok else None,
            "mean_regret": float(np.mean(regrets)) if regrets else None,
            "max_regret": max(regrets) if regrets else None,
            "no_regret_share": (sum(1 for g in regrets if g <= 0) / len(regrets)
                                if regrets else None),
            "decisions": int(lat.size),
            "latency_median_us": float(np.median(lat)) if lat.size else None,
            "latency_p99_us": float(np.percentile(lat, 99)) if lat.size else None,
            "latency_max_us": float(lat.max()) if lat.size else None,
            "cpu_median_us": float(np.median(cpu)) if cpu.size else None,
            "cpu_p99_us": float(np.percentile(cpu, 99)) if cpu.size else None,
            "cpu_max_us": float(cpu.max()) if cpu.size else None,
        })
    return rows


def load_rows(records: list[RunRecord]) -> list[dict[str, Any]]:
    """Mean miss rate and regret per (policy, load)."""
    acc: dict[tuple[str, float], list[RunRecord]] = defaultdict(list)
    for r in records:
        if r.kind in (ONLINE, STATIC) and _ok(r) and r.load is not None:
            acc[(str(r.policy), float(r.load))].append(r)
    rows = []
    for (pol, load), recs in sorted(acc.items()):
        regrets = _regrets(recs)
        rows.append({"policy": pol, "load": load, "runs": len(recs),
                     "mean_miss_rate": float(np.mean([r.miss_rate for r in recs])),
                     "mean_regret": float(np.mean(regrets)) if regrets else None})
    return rows


def _by_load_plot(rows: list[dict[str, Any]], key: str, ylabel: str, path: Path) -> None:
    points: dict[str, dict[float, list[float]]] = {}
    for pol in sorted({r["policy"] for r in rows}):
        points[pol] = {float(r["load"]): [float(r[key])] for r in rows
                       if r["policy"] == pol and r[key] is not None}
    fig = Figure(figsize=(7, 4.5))
    series_by_solver(points, xlabel="offered load (generator parameter)", ylabel=ylabel,
                     dashed=("static",), ax=fig.add_subplot())
    save_png(fig, path)


def _latency_plot(records: list[RunRecord], path: Path) -> None:
    by: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.kind == ONLINE and _ok(r):
            by[str(r.policy)].extend(r.latency_us or [])
    fig = Figure(figsize=(7, 4.5))
    ecdf({pol: by[pol] for pol in sorted(by)}, xlabel="decision latency (us, wall clock)",
         ylabel="share of decisions <= x", marks=(1000, 10000), ax=fig.add_subplot())
    save_png(fig, path)


POLICY_COLS = ["policy", "runs", "errors", "mean_miss_rate", "mean_regret", "max_regret",
               "no_regret_share", "decisions", "latency_median_us", "latency_p99_us",
               "latency_max_us", "cpu_median_us", "cpu_p99_us", "cpu_max_us"]
LOAD_COLS = ["policy", "load", "runs", "mean_miss_rate", "mean_regret"]


def build_report(run_dir: Path) -> Path:
    """Write ``run_dir/report/`` from ``run_dir/runs.jsonl``; returns the report folder.

    The report is staged, as the bench report
    (:func:`splitsched.bench.staging.staged_folder`): built beside
    ``run_dir/report`` and its files moved in at the end, so a failure leaves
    the previous report (or none) exactly as it was; other files there are kept.

    Raises
    ------
    InputError
        No such directory (or a file given for it); no records in it (an empty or missing runs file:
        nothing to report); the runs file is malformed, of the old online
        format, or a bench one (:func:`splitsched.online.records.read_online_runs`);
        ``run_dir/report`` is a file; a write failed.
    """
    run_dir = Path(run_dir)
    check_run_dir(run_dir)
    records, dropped = unique_records(read_online_runs(run_dir).records)
    if not records:
        raise InputError(run_dir / RUNS_FILE, "(file)", "no run records (run `splitsched "
                         "online --set ... -o RUN_DIR` first)")
    final = run_dir / "report"
    check_folder_output(final)
    prow = policy_rows(records)
    lrow = load_rows(records)
    pmd, pcsv = _table(prow, POLICY_COLS)
    lmd, lcsv = _table(lrow, LOAD_COLS)
    offline = [r for r in records if r.kind == OFFLINE]
    proven = sum(1 for r in offline if r.offline_proven)
    text = [
        f"# Online sweep: {run_dir.name}", "",
        f"{counted(len(offline), 'instance')}; offline best proven optimal on {proven}. "
        "Regret = weighted misses of the run minus the offline best (clairvoyant, "
        "profiled times); negative when the offline best is not optimal. "
        "`static` replays the offline best schedule in its planned orders under the same "
        "drawn times as the online policies (it knows every job in advance: a comparator, "
        "not an online policy). Latency: wall clock (`latency_*`) and thread CPU time "
        "(`cpu_*`) of each decision, microseconds, on the machine named in online.json "
        "(on a shared machine the wall clock includes waiting for a core)."
        + (f" {counted(dropped, 'duplicate record')} of a run already counted "
           f"{'was' if dropped == 1 else 'were'} ignored."
           if dropped else ""), "",
        "## Per policy", "", pmd, "## Per policy and load", "", lmd,
        "![miss rate vs load](miss_rate_vs_load.png)", "", "![regret](regret.png)", "",
        "![latency](latency.png)", "",
    ]
    with staged_folder(final) as out:  # its files moved into report/ at the end
        atomic_write_text(out / "policies.md", pmd)
        atomic_write_text(out / "policies.csv", pcsv)
        atomic_write_text(out / "by_load.csv", lcsv)
        if lrow:
            _by_load_plot(lrow, "mean_miss_rate", "mean miss rate",
                          out / "miss_rate_vs_load.png")
            _by_load_plot(lrow, "mean_regret", "mean regret (weighted misses - offline best)",
                          out / "regret.png")
        _latency_plot(records, out / "latency.png")
        atomic_write_text(out / "report.md", "\n".join(text))
    return final
