"""The report's figures: data from the certification, drawn by :mod:`splitsched.plot`.

* performance profile of runtime (Dolan and More 2002): a *problem* is an
  (instance, seed) pair; a run counts as having solved it when it reaches the
  instance's best known misses, otherwise its time is infinite; runtimes are
  floored at :data:`TIME_FLOOR_S` so that microsecond timer noise does not
  dominate the ratios;
* miss rate against load (against the number of jobs when the sweep has a
  single load), gap against number of jobs: medians with the interquartile
  range; runtime against number of jobs (log scale): the shifted geometric
  mean as in the table, with the interquartile range and the time limit;
* a Gantt chart of one instance under several solvers
  (:func:`splitsched.plot.plot_schedule`, one subplot each).

Each drawing function returns its caption (what the plot shows, in words),
which the report prints under it.

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

from splitsched.bench.certify import (
    Certification,
    RunMetrics,
    is_solved,
    shifted_geometric_mean,
)
from splitsched.bench.tables import DEFAULT_SHIFT_S, stats_runtime
from splitsched.plot import (
    performance_profile,
    plot_schedule,
    save_png,
    schedule_figsize,
    series_by_solver,
)
from splitsched.problem import Instance, Schedule, counted

TIME_FLOOR_S = 1e-4


def _solvers(cert: Certification) -> list[str]:
    return sorted({m.record.solver for m in cert.runs})


def profile_times(cert: Certification) -> dict[tuple[str, int], dict[str, float]]:
    """Per (instance sha256, seed): each solver's floored runtime, inf where not best found."""
    times: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for m in cert.runs:
        r = m.record
        key = (r.instance_sha256, int(r.seed))
        t = max(stats_runtime(r), TIME_FLOOR_S) if m.best_found else math.inf
        times[key][r.solver] = min(t, times[key].get(r.solver, math.inf))
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
            if r.solver != s or (solved_only and not is_solved(r)):
                continue
            x, y = x_of(m), y_of(m)
            if x is None or y is None or not math.isfinite(float(x)):
                continue
            pts[float(x)].append(float(y))
        points[s] = dict(pts)
    return points


def _figure(figsize: tuple[float, float]) -> Figure:
    return Figure(figsize=figsize)


def _distinct(cert: Certification, key: str) -> list[float]:
    return sorted({float(getattr(m.record, key)) for m in cert.runs
                   if getattr(m.record, key) is not None})


def _save_series(cert: Certification, path: Path, x_of: Callable[[RunMetrics], Any],
                 y_of: Callable[[RunMetrics], Any], solved_only: bool = True,
                 **kwargs: Any) -> None:
    fig = _figure((8.5, 4.5))
    series_by_solver(points_by_solver(cert, x_of, y_of, solved_only), ax=fig.add_subplot(),
                     **kwargs)
    save_png(fig, path)


def miss_rate_vs_load(cert: Certification, path: Path) -> str:
    """Median miss rate of solved runs (with IQR) against instance load, per solver; returns
    the caption.

    When every instance has the same load (one column), the x axis is the number
    of jobs instead, and the caption says so.
    """
    loads = _distinct(cert, "load")
    ylabel = "miss rate (median over solved runs; bars: IQR)"
    if len(loads) >= 2:
        _save_series(cert, path, lambda m: m.record.load,
                     lambda m: m.record.miss_rate,
                     xlabel="load (generator's offered load, else best-cut work / horizon)",
                     ylabel=ylabel, title="Miss rate against load")
        return ("Miss rate (misses / jobs) of each solver's solved runs against the instances' "
                "load: the median over the runs at each load, the bar from the 25th to the "
                "75th percentile.")
    one = f"{loads[0]:g}" if loads else "unknown"
    _save_series(cert, path, lambda m: m.record.n_jobs,
                 lambda m: m.record.miss_rate, xlabel="number of jobs", ylabel=ylabel,
                 title=f"Miss rate against number of jobs (one load in this set: {one})",
                 integer_x=True, logx="auto")
    return (f"Every instance of this sweep has the same load ({one}), so a plot against load "
            "would be a single column: the miss rate (misses / jobs) of each solver's solved "
            "runs is drawn against the number of jobs instead; median, bar from the 25th to "
            "the 75th percentile.")


def gap_vs_jobs(cert: Certification, path: Path) -> str:
    """Median gap to the best known misses (with IQR) against the number of jobs; returns
    the caption."""
    _save_series(cert, path, lambda m: m.record.n_jobs, lambda m: m.gap_best,
                 xlabel="number of jobs",
                 ylabel="gap to best known (weighted misses; median, bars: IQR)",
                 title="Gap against number of jobs", integer_x=True, logx="auto")
    return ("Gap of each solved run (its weighted misses minus the best known of the "
            "instance, 0 = matches the best) against the number of jobs: median per solver, "
            "bar from the 25th to the 75th percentile.")


def runtime_vs_jobs(cert: Certification, path: Path, shift_s: float = DEFAULT_SHIFT_S) -> str:
    """Runtime against number of jobs, log scale: the shifted geometric mean (as the table's
    ``sgm_runtime_s``) with the IQR, failed runs at their time limit, the limit drawn;
    returns the caption."""
    limits = _distinct(cert, "time_limit_s")
    _save_series(cert, path, lambda m: m.record.n_jobs,
                 lambda m: max(stats_runtime(m.record), TIME_FLOOR_S), solved_only=False,
                 xlabel="number of jobs",
                 ylabel=f"runtime (s; shifted geometric mean, shift {shift_s:g} s; bars: IQR)",
                 title="Runtime against number of jobs", logy=True, integer_x=True,
                 logx="auto", center=lambda v: shifted_geometric_mean(v, shift_s),
                 hlines=[(t, f"time limit {t:g} s") for t in limits])
    return (f"Runtime of every run against the number of jobs, log scale: the shifted "
            f"geometric mean (shift {shift_s:g} s, as sgm_runtime_s in the table) per solver, "
            f"bar from the 25th to the 75th percentile; runs that ended abnormally count at "
            f"their time limit (dashed line); runtimes below {TIME_FLOOR_S * 1000:g} ms are "
            f"drawn at {TIME_FLOOR_S * 1000:g} ms.")


def performance_profile_png(cert: Certification, path: Path) -> str:
    """The performance profile of runtime (see the module docstring), as a PNG; returns the
    caption."""
    fig = _figure((8.5, 4.5))
    performance_profile(profile_times(cert), solvers=_solvers(cert), ax=fig.add_subplot())
    save_png(fig, path)
    return ("Performance profile (Dolan and More 2002): for each solver, the fraction of "
            "(instance, seed) problems it solved, i.e. reached the best known misses, within "
            "tau times the fastest such run's time (runtimes floored at "
            f"{TIME_FLOOR_S * 1000:g} ms). Higher and further left is better; the value at "
            "tau = 1 is the share where it was fastest.")


def choose_gantt_instance(cert: Certification, max_jobs: int = 40) -> str | None:
    """The instance whose solvers disagree most (smaller first on ties): the telling one."""
    spread: dict[str, tuple[int, int]] = {}
    for sha, c in cert.instances.items():
        vals = [int(m.record.missed) for m in cert.runs
                if m.record.instance_sha256 == sha and is_solved(m.record)
                and m.record.missed is not None]
        if not vals:
            continue
        penalty = 0 if c.n_jobs <= max_jobs else 1
        spread[sha] = (penalty * 10**9 - (max(vals) - min(vals)), c.n_jobs)
    return min(spread, key=lambda k: spread[k]) if spread else None


def gantt_png(instance: Instance, schedules: Sequence[Schedule], path: Path,
              titles: Sequence[str] | None = None) -> None:
    """One Gantt subplot per schedule (:func:`splitsched.plot.plot_schedule`, shared time
    axis in ms, the symbol legend beside the first), as a PNG."""
    n = max(len(schedules), 1)
    per = min(schedule_figsize(instance.num_jobs)[1], 6.0)
    fig = Figure(figsize=(11, per * n), layout="constrained")
    axes = fig.subplots(n, 1, sharex=True, squeeze=False)
    for idx, sched in enumerate(schedules):
        plot_schedule(instance, sched, ax=axes[idx][0], title=titles[idx] if titles else None,
                      legend=idx == 0)
    lefts = [ax.get_xlim()[0] for row in axes for ax in row]
    rights = [ax.get_xlim()[1] for row in axes for ax in row]  # the latest of all schedules
    axes[-1][0].set_xlim(min(lefts), max(rights))
    for row in axes[:-1]:
        row[0].set_xlabel("")
    fig.suptitle(f"Instance {instance.id}", fontsize=11)
    save_png(fig, path)


def gantt_caption(instance: Instance, schedules: Sequence[Schedule],
                  note: str | None = None) -> str:
    """What the report's Gantt shows, and why dp-edf is not in it when it is not."""
    solvers = ", ".join(s.solver for s in schedules)
    text = (f"Schedules of instance {instance.id} ({counted(instance.num_jobs, 'job')}) by "
            f"{solvers}, "
            "one panel each on a shared time axis (ms). In each panel: GPU and CPU lanes "
            "with a bar per stage (job colour), arrows for the GPU-to-CPU hand-offs, a row "
            "per job from release (>) to deadline (|) with its completion (dot: on time, "
            "red X: late; 'dropped' when dropped); late jobs' stages are hatched red.")
    return f"{text} {note}" if note else text


def draw_plots(cert: Certification, report_dir: Path,
               gantt_input: tuple[Instance, Sequence[Schedule]] | None, *,
               shift_s: float = DEFAULT_SHIFT_S,
               gantt_note: str | None = None) -> tuple[dict[str, Path], dict[str, str]]:
    """Draw every plot into ``report_dir``; returns (name -> PNG path, name -> caption)."""
    out = {"performance_profile": report_dir / "performance_profile.png",
           "miss_rate_vs_load": report_dir / "miss_rate_vs_load.png",
           "gap_vs_jobs": report_dir / "gap_vs_jobs.png",
           "runtime_vs_jobs": report_dir / "runtime_vs_jobs.png"}
    captions = {
        "performance_profile": performance_profile_png(cert, out["performance_profile"]),
        "miss_rate_vs_load": miss_rate_vs_load(cert, out["miss_rate_vs_load"]),
        "gap_vs_jobs": gap_vs_jobs(cert, out["gap_vs_jobs"]),
        "runtime_vs_jobs": runtime_vs_jobs(cert, out["runtime_vs_jobs"], shift_s),
    }
    if gantt_input is not None:
        path = report_dir / "gantt.png"
        gantt_png(gantt_input[0], gantt_input[1], path)
        out["gantt"] = path
        captions["gantt"] = gantt_caption(gantt_input[0], gantt_input[1], gantt_note)
    return out, captions


def all_plots(cert: Certification, report_dir: Path,
              gantt_input: tuple[Instance, Sequence[Schedule]] | None) -> Mapping[str, Path]:
    """Draw every plot into ``report_dir``; returns name -> PNG path (see :func:`draw_plots`)."""
    return draw_plots(cert, report_dir, gantt_input)[0]
