"""The report plots: distinct looks per series, legends outside, integer and log axes,
medians with the interquartile range, captions that say what a plot shows."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from splitsched.bench.certify import certify, shifted_geometric_mean
from splitsched.bench.plots import miss_rate_vs_load, runtime_vs_jobs
from splitsched.bench.records import RunRecord, parse_status
from splitsched.plot import performance_profile, series_by_solver


def _lines(ax: Any) -> dict[str, Line2D]:
    return {ln.get_label(): ln for ln in ax.get_lines() if not ln.get_label().startswith("_")}


def test_thirteen_solvers_get_distinct_colour_marker_pairs_and_an_outside_legend() -> None:
    names = [f"solver-{i:02d}" for i in range(13)]
    points = {s: {5.0: [float(i)], 10.0: [float(i) + 1]} for i, s in enumerate(names)}
    fig = Figure(figsize=(8, 4))
    FigureCanvasAgg(fig)
    ax = series_by_solver(points, xlabel="number of jobs", ylabel="y", integer_x=True,
                          ax=fig.add_subplot())
    lines = _lines(ax)
    assert sorted(lines) == names
    pairs = {(ln.get_color(), ln.get_marker()) for ln in lines.values()}
    assert len(pairs) == 13
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == names
    fig.canvas.draw()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1  # beside, not over


def test_median_and_interquartile_range_are_drawn() -> None:
    ys = [1.0, 2.0, 3.0, 4.0, 100.0]  # median 3; inclusive quartiles 2 and 4
    fig = Figure()
    ax = series_by_solver({"a": {7.0: ys}}, xlabel="x", ylabel="y", ax=fig.add_subplot())
    assert list(_lines(ax)["a"].get_ydata()) == [3.0]
    spans = [seg for c in ax.collections if isinstance(c, LineCollection)
             for seg in c.get_segments()]
    assert [(seg[0][1], seg[1][1]) for seg in spans] == [(2.0, 4.0)]
    ax2 = series_by_solver({"a": {7.0: ys}}, xlabel="x", ylabel="y", ax=Figure().add_subplot(),
                           center=lambda v: shifted_geometric_mean(v, 1.0))
    assert math.isclose(_lines(ax2)["a"].get_ydata()[0], shifted_geometric_mean(ys, 1.0))


def test_job_count_axes_have_integer_ticks_and_decades_get_log_scales() -> None:
    few = series_by_solver({"a": {3.0: [1.0], 4.0: [2.0], 5.0: [1.5]}}, xlabel="jobs",
                           ylabel="y", integer_x=True, ax=Figure().add_subplot())
    assert few.get_xscale() == "linear"
    assert all(float(t).is_integer() for t in few.get_xticks())
    wide = series_by_solver({"a": {5.0: [1e-4], 20.0: [0.1], 80.0: [2.0]}}, xlabel="jobs",
                            ylabel="s", integer_x=True, logx="auto", logy="auto",
                            hlines=[(2.0, "time limit 2 s")], ax=Figure().add_subplot())
    assert (wide.get_xscale(), wide.get_yscale()) == ("log", "log")
    assert list(wide.get_xticks()) == [5.0, 20.0, 80.0]
    assert "time limit 2 s" in [t.get_text() for t in wide.get_legend().get_texts()]


def test_performance_profile_marks_every_curve_beyond_its_start() -> None:
    times = {("i", s): {"a": 1.0, "b": 2.0 + s, "c": math.inf} for s in range(20)}
    ax = performance_profile(times, ax=Figure().add_subplot())
    lines = _lines(ax)
    assert sorted(lines) == ["a", "b", "c"]
    assert len({(ln.get_color(), ln.get_marker()) for ln in lines.values()}) == 3
    b = lines["b"]
    assert len(range(len(b.get_xdata()))[b.get_markevery()]) > 1  # not only the first point


def rec(inst: str, solver: str, n: int, load: float, missed: int, runtime: float,
        status: str = "feasible") -> RunRecord:
    return RunRecord(instance_id=inst, instance_sha256="sha-" + inst, solver=solver, seed=0,
                     threads=1, status=parse_status(status), missed=missed, bound=None,
                     feasible=status == "feasible", n_jobs=n, load=load, time_limit_s=2.0,
                     runtime_s=runtime, miss_rate=missed / n)


def test_one_load_is_plotted_against_jobs_and_the_caption_says_so(tmp_path: Path) -> None:
    records = [rec(f"i{n}", s, n, 1.5, m, 0.01) for n in (5, 10, 20)
               for s, m in (("dp-edf", 0), ("edf-greedy-cut", 1))]
    caption = miss_rate_vs_load(certify(records), tmp_path / "m.png")
    assert "same load (1.5)" in caption and "number of jobs" in caption
    assert (tmp_path / "m.png").stat().st_size > 0
    two = [*records, rec("j", "dp-edf", 5, 3.0, 2, 0.01)]
    assert "against the instances' load" in miss_rate_vs_load(certify(two), tmp_path / "n.png")


def test_runtime_caption_names_the_table_statistic(tmp_path: Path) -> None:
    records = [rec("a", "cpsat", 5, 1.0, 0, 0.5), rec("b", "cpsat", 10, 1.0, 0, 0.0,
                                                     status="killed")]
    caption = runtime_vs_jobs(certify(records), tmp_path / "r.png", shift_s=1.0)
    assert "shifted geometric mean (shift 1 s" in caption and "time limit" in caption
    assert (tmp_path / "r.png").stat().st_size > 0
