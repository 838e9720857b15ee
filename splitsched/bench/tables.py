"""Report tables: per solver, per instance, and the flat runs table.

Definitions (also printed in the report):

* *solved*: the run has a schedule that passed evaluation;
* *best found*: a solved run whose weighted misses equal the instance's best
  known value; *certified optimal*: best found on a certified instance;
* *mean miss rate*, *mean gap*, *max gap*: over solved runs (gap = weighted
  misses minus best known);
* *median time to proof*: the median runtime of the runs that proved
  optimality themselves (status ``optimal``); *sum of proof gaps*: over all
  runs of a solver that proves bounds, the best known minus the bound the run
  itself proved (0 when it proved optimality; a run without a bound counts
  the whole best known), i.e. the final gap of issue 9's side-by-side
  comparison of exact methods; ``-`` for a solver that proved no bound;
* runtimes: a run that did not end normally (killed, crash, memout, error)
  counts at its time limit; the shifted geometric mean uses a shift of
  :data:`DEFAULT_SHIFT_S` = 1 s (runtimes here are often milliseconds; a
  10 s shift as in Mittelmann's benchmarks would hide every difference).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from splitsched.bench.certify import (
    Certification,
    RunMetrics,
    effective_bound,
    is_solved,
    proven,
    shifted_geometric_mean,
)
from splitsched.bench.records import NORMAL_END, RunRecord
from splitsched.io import atomic_write_text
from splitsched.solvers.base import SolveStatus

DEFAULT_SHIFT_S = 1.0

RUN_COLUMNS = ("instance_id", "instance_sha256", "n_jobs", "load", "solver", "seed",
               "time_limit_s", "threads", "status", "claimed_status", "feasible", "missed",
               "misses", "miss_rate", "weighted_miss_rate", "bound", "runtime_s", "wall_s",
               "peak_rss_mb", "makespan", "schedule_file", "error")


def stats_runtime(record: RunRecord) -> float:
    """The runtime a run counts with in summaries (its time limit if it failed)."""
    runtime = record.runtime_s
    if record.status in NORMAL_END and runtime is not None:
        return float(runtime)
    return float(record.time_limit_s)


def runs_frame(cert: Certification) -> pd.DataFrame:
    """One row per run, with gaps and best-found / certified columns."""
    rows = []
    for m in cert.runs:
        r = m.record
        stored = r.to_dict()
        row = {c: stored.get(c) for c in RUN_COLUMNS}
        row.update(gap_best=m.gap_best, gap_bound=m.gap_bound, best_found=m.best_found,
                   certified_optimal=m.certified_optimal, stats_runtime_s=stats_runtime(r),
                   cpu_model=(r.machine or {}).get("cpu_model"),
                   splitsched_version=(r.versions or {}).get("splitsched"))
        rows.append(row)
    return pd.DataFrame(rows)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _proof_gaps(cert: Certification, ms: Sequence[RunMetrics]) -> int | None:
    """Sum over runs of best known minus the run's own proven bound (None: no run proved a
    bound, so the solver is not compared as an exact method)."""
    bounds = [effective_bound(m.record) for m in ms]
    if all(b is None for b in bounds):
        return None
    total = 0
    for m, bound in zip(ms, bounds, strict=True):
        known = cert.instances[m.record.instance_sha256].best_known
        if known is not None:
            total += max(0, known - (proven(bound) if bound is not None else 0))
    return total


def solver_table(cert: Certification, shift_s: float = DEFAULT_SHIFT_S) -> pd.DataFrame:
    """Per solver: runs, instances, solved, certified optimal, best found, quality, runtime,
    and for exact methods the median time to proof and the sum of proof gaps."""
    by_solver: dict[str, list[Any]] = {}
    for m in cert.runs:
        by_solver.setdefault(m.record.solver, []).append(m)
    rows = []
    for solver in sorted(by_solver):
        ms = by_solver[solver]
        solved = [m for m in ms if is_solved(m.record)]
        gaps = [m.gap_best for m in solved if m.gap_best is not None]
        times = [stats_runtime(m.record) for m in ms]
        statuses = [m.record.status for m in ms]
        proof_times = [stats_runtime(m.record) for m in ms
                       if m.record.status is SolveStatus.OPTIMAL]
        rows.append({
            "solver": solver,
            "runs": len(ms),
            "instances": len({m.record.instance_sha256 for m in ms}),
            "solved": len(solved),
            # runs whose schedule equals the instance's certified optimum (any solver, a
            # heuristic too); proved_optimal: runs that proved it themselves
            "at_certified_optimum": sum(m.certified_optimal for m in ms),
            "proved_optimal": sum(s is SolveStatus.OPTIMAL for s in statuses),
            "best_found": sum(m.best_found for m in ms),
            "failed": sum(s not in NORMAL_END for s in statuses),
            "mean_miss_rate": _mean([float(m.record.miss_rate or 0.0) for m in solved]),
            "mean_gap": _mean([float(g) for g in gaps]),
            "max_gap": max(gaps) if gaps else None,
            "sgm_runtime_s": shifted_geometric_mean(times, shift_s),
            "median_runtime_s": statistics.median(times) if times else None,
            "median_time_to_proof_s": statistics.median(proof_times) if proof_times else None,
            "sum_proof_gaps": _proof_gaps(cert, ms),
        })
    return pd.DataFrame(rows)


def instance_table(cert: Certification) -> pd.DataFrame:
    """Per instance: size, load, best known, best bound, certified, who found the best."""
    rows = [{"instance_id": c.instance_id, "sha256": c.sha256[:12], "n_jobs": c.n_jobs,
             "load": c.load, "best_known": c.best_known, "best_bound": c.best_bound,
             "certified": c.certified, "found_by": ", ".join(c.found_by), "runs": c.runs}
            for c in cert.instances.values()]
    return pd.DataFrame(rows).sort_values("instance_id", kind="stable").reset_index(drop=True)


def flags_table(cert: Certification) -> pd.DataFrame:
    """The consistency flags, one row each."""
    return pd.DataFrame([{"kind": f.kind, "instance_id": f.instance_id, "solver": f.solver,
                          "seed": f.seed, "message": f.message} for f in cert.flags],
                        columns=["kind", "instance_id", "solver", "seed", "message"])


def format_cell(value: Any) -> str:
    """Readable text for a table cell (floats to 4 significant digits, None as '-')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def to_markdown(df: pd.DataFrame) -> str:
    """A GitHub-style Markdown table (no extra dependency)."""
    cols = [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    for row in df.itertuples(index=False):
        cells = [format_cell(v).replace("|", "\\|") for v in row]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_tables(report_dir: Path, cert: Certification,
                 shift_s: float = DEFAULT_SHIFT_S) -> dict[str, pd.DataFrame]:
    """Write solvers/instances/flags tables as CSV and Markdown, runs as CSV and Parquet."""
    report_dir.mkdir(parents=True, exist_ok=True)
    tables = {"solvers": solver_table(cert, shift_s), "instances": instance_table(cert),
              "flags": flags_table(cert), "runs": runs_frame(cert)}
    for name, df in tables.items():
        atomic_write_text(report_dir / f"{name}.csv", df.to_csv(index=False))
        if name == "flags" and df.empty:
            atomic_write_text(report_dir / "flags.md", "No consistency flag: no false optimal "
                              "claim, no bound above a feasible schedule, no refuted proof, no "
                              "infeasible claim, no worker mismatch.\n")
        elif name != "runs":
            atomic_write_text(report_dir / f"{name}.md", to_markdown(df))
    runs = tables["runs"].copy()
    for col in ("bound", "load", "miss_rate", "weighted_miss_rate", "runtime_s", "wall_s",
                "peak_rss_mb"):
        if col in runs:
            runs[col] = pd.to_numeric(runs[col], errors="coerce").astype("float64")
    tmp = report_dir / ".runs.parquet.tmp"
    runs.to_parquet(tmp, index=False)
    tmp.replace(report_dir / "runs.parquet")
    return tables
