"""The report's figures: data from the certification, drawn by :mod:`splitsched.plot`.

* performance profile of runtime (Dolan and More 2002): a *problem* is an
  (instance, seed) pair; a run counts as having solved it when it reaches the
  instance's best known misses, otherwise its time is infinite; runtimes are
  floored at :data:`TIME_FLOOR_S` so that microsecond timer noise does not
  dominate the ratios;
* miss rate against load, gap against number of jobs, runtime against number
  of jobs (log scale), per solver;
* a Gantt chart of one instance under several solvers
  (:func:`splitsched.plot.gantt`, one subplot each).

Figures are built as bare :class:`matplotlib.figure.Figure` objects (no
pyplot, so no backend is chosen or switched) and written with
:func:`splitsched.plot.save_png`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from splitsched.bench.certify import Certification, RunMetrics, is_solved
from splitsched.bench.tables import stats_runtime
from splitsched.plot import performance_profile, plot_schedule, save_png, series_by_solver
from splitsched.problem import Instance, Schedule

TIME_FLOOR_S = 1e-4


def _solvers(cert: Certification) -> list[str]:
    return sorted({m.record["solver"] for m in cert.runs})


def profile_times(cert: Certification) -> dict[tuple[str, int], dict[str, float]]:
    """Per (instance sha256, seed): each solver's floored runtime, inf where not best found."""
    times: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for m in cert.runs:
        r = m.record
        key = (r["instance_sha256"], int(r["seed"]))
        t = max(stats_runtime(r), TIME_FLOOR_S) if m.best_found else math.inf
        times[key][r["solver"]] = min(t, times[key].get(r["solver"], math.inf))
    return times


def points_by_solver(cert: Certification, x_of: Callable[[RunMetrics], Any],
                     y_of: Callable[[RunMetrics], Any],
                     solved_only: bool = True) -> dict[str, dict[float, list[float]]]:
    """Solver -> x -> y values, over the (solved) runs where both are known and x finite."""
    points: dict[str, dict[float, list[float]]] = {}
    for s in _solvers(cert):
        pts: dict[float, list[float]] = defaultdict(list)
        for m in cert.runs:
            r = m.record
            if r["solver"] != s or (solved_only and not is_solved(r)):
                continue
            x, y = x_of(m), y_of(m)
            if x is None or y is None or not math.isfinite(float(x)):
                continue
            pts[float(x)].append(float(y))
        points[s] = dict(pts)
    return points


def _figure(figsize: tuple[float, float]) -> Figure:
    return Figure(figsize=figsize)


def _save_series(cert: Certification, path: Path, x_of: Callable[[RunMetrics], Any],
                 y_of: Callable[[RunMetrics], Any], xlabel: str, ylabel: str, title: str,
                 logy: bool = False, solved_only: bool = True) -> None:
    fig = _figure((7, 4.5))
    series_by_solver(points_by_solver(cert, x_of, y_of, solved_only), xlabel=xlabel,
                     ylabel=ylabel, title=title, logy=logy, ax=fig.add_subplot())
    save_png(fig, path)


def miss_rate_vs_load(cert: Certification, path: Path) -> None:
    """Mean miss rate of solved runs against instance load, per solver."""
    _save_series(cert, path, lambda m: m.record.get("load"),
                 lambda m: m.record.get("miss_rate"), "load (from generator parameters, "
                 "else best-cut work / horizon)", "miss rate (mean over solved runs)",
                 "Miss rate against load")


def gap_vs_jobs(cert: Certification, path: Path) -> None:
    """Mean gap to the best known misses against the number of jobs, per solver."""
    _save_series(cert, path, lambda m: m.record.get("n_jobs"), lambda m: m.gap_best,
                 "number of jobs", "gap to best known (weighted misses, mean)",
                 "Gap against number of jobs")


def runtime_vs_jobs(cert: Certification, path: Path) -> None:
    """Mean runtime (failed runs at their time limit) against number of jobs, log scale."""
    _save_series(cert, path, lambda m: m.record.get("n_jobs"),
                 lambda m: max(stats_runtime(m.record), TIME_FLOOR_S),
                 "number of jobs", "runtime (s, mean; failed runs at the time limit)",
                 "Runtime against number of jobs", logy=True, solved_only=False)


def performance_profile_png(cert: Certification, path: Path) -> None:
    """The performance profile of runtime (see the module docstring), as a PNG."""
    fig = _figure((7, 4.5))
    performance_profile(profile_times(cert), solvers=_solvers(cert), ax=fig.add_subplot())
    save_png(fig, path)


def choose_gantt_instance(cert: Certification, max_jobs: int = 40) -> str | None:
    """The instance whose solvers disagree most (smaller first on ties): the telling one."""
    spread: dict[str, tuple[int, int]] = {}
    for sha, c in cert.instances.items():
        vals = [int(m.record["missed"]) for m in cert.runs
                if m.record["instance_sha256"] == sha and is_solved(m.record)]
        if not vals:
            continue
        penalty = 0 if c.n_jobs <= max_jobs else 1
        spread[sha] = (penalty * 10**9 - (max(vals) - min(vals)), c.n_jobs)
    return min(spread, key=lambda k: spread[k]) if spread else None


def gantt_png(instance: Instance, schedules: Sequence[Schedule], path: Path,
              titles: Sequence[str] | None = None) -> None:
    """One Gantt subplot per schedule (shared time axis), as a PNG."""
    n = max(len(schedules), 1)
    fig = _figure((11, 1.9 * n + 0.8))
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)
    for idx, sched in enumerate(schedules):
        plot_schedule(instance, sched, ax=axes[idx][0], title=titles[idx] if titles else None)
    right = max(ax.get_xlim()[1] for row in axes for ax in row)  # the latest of all schedules
    axes[-1][0].set_xlim(0, right)
    axes[-1][0].set_xlabel("time (us); arrows: hand-off GPU->CPU; red hatched: late; "
                           "dotted red: its deadline")
    fig.suptitle(f"Instance {instance.id}", fontsize=11)
    save_png(fig, path)


def all_plots(cert: Certification, report_dir: Path,
              gantt_input: tuple[Instance, Sequence[Schedule]] | None) -> Mapping[str, Path]:
    """Draw every plot into ``report_dir``; returns name -> PNG path."""
    out = {"performance_profile": report_dir / "performance_profile.png",
           "miss_rate_vs_load": report_dir / "miss_rate_vs_load.png",
           "gap_vs_jobs": report_dir / "gap_vs_jobs.png",
           "runtime_vs_jobs": report_dir / "runtime_vs_jobs.png"}
    performance_profile_png(cert, out["performance_profile"])
    miss_rate_vs_load(cert, out["miss_rate_vs_load"])
    gap_vs_jobs(cert, out["gap_vs_jobs"])
    runtime_vs_jobs(cert, out["runtime_vs_jobs"])
    if gantt_input is not None:
        path = report_dir / "gantt.png"
        gantt_png(gantt_input[0], gantt_input[1], path)
        out = {**out, "gantt": path}
    return out
