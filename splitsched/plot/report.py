"""The benchmark and online reports' plots, from plain per-series data.

The data (which run solved which problem, its runtime, its gap) is the
benchmark's business (:mod:`splitsched.bench.plots` prepares it); these
functions only draw. Every series gets its own (colour, marker) pair from a
colour-blind-safe palette (:func:`~splitsched.plot._axes.series_styles`, by
position, so the same ordered names give the same looks in every plot), and
the legend sits to the right of the data.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Collection, Mapping, Sequence
from itertools import pairwise
from typing import Any, Literal

from matplotlib.axes import Axes
from matplotlib.ticker import FixedLocator, MaxNLocator, NullLocator, ScalarFormatter

from splitsched.plot._axes import axes_or_new, legend_outside, series_styles

DECADE_SPAN = 10.0
"""``"auto"`` log scale: when all values are positive and max / min is at least this (a decade)."""


def performance_profile(times: Mapping[Any, Mapping[str, float]], *,
                        solvers: Sequence[str] | None = None,
                        ax: Axes | None = None) -> Axes:
    """Performance profile (Dolan and More 2002): fraction of problems within tau of the best.

    Parameters
    ----------
    times:
        Per problem, each solver's time (seconds) to solve it; ``math.inf``
        (or absence) where it did not. A problem nobody solved counts in the
        denominator and for no solver.
    solvers:
        The curves, in order (default: every solver in ``times``, sorted);
        the order fixes each curve's colour and marker.
    ax:
        Where to draw (a new figure if None).

    Returns
    -------
    Axes
        With one step curve per solver over tau on a log2 axis, markers along
        each curve, the legend outside the Axes.
    """
    ax = axes_or_new(ax, (8.5, 4.5))
    names = list(solvers) if solvers is not None else sorted({s for per in times.values()
                                                               for s in per})
    styles = series_styles(names)
    ratios: dict[str, list[float]] = {s: [] for s in names}
    for per in times.values():
        best = min(per.values(), default=math.inf)
        for s in names:
            t = per.get(s, math.inf)
            ratios[s].append(t / best if math.isfinite(best) and math.isfinite(t) else math.inf)
    finite = [x for v in ratios.values() for x in v if math.isfinite(x)]
    tau_max = max(2.0, max(finite, default=1.0) * 2.0)
    n = max(len(times), 1)
    for s in names:
        xs = sorted(x for x in ratios[s] if math.isfinite(x))
        taus = [1.0, *xs, tau_max]
        fracs = [sum(1 for x in xs if x <= t) / n for t in taus]
        color, marker = styles[s]
        step = max(1, len(taus) // 8)  # markers along the curve, at most about 9
        ax.step(taus, fracs, where="post", label=s, color=color, marker=marker,
                markevery=slice(0, None, step), markersize=5, linewidth=1.5)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1.0, tau_max)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau (runtime / fastest runtime that reached the best known misses), log2")
    ax.set_ylabel("fraction of problems solved within tau")
    ax.set_title(f"Performance profile of runtime ({len(times)} instance-seed problems)")
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    return ax


def _quartiles(values: Sequence[float]) -> tuple[float, float]:
    if len(values) < 2:
        return values[0], values[0]
    q1, _, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q3


def _log_wanted(values: Sequence[float], scale: bool | Literal["auto"]) -> bool:
    if scale != "auto":
        return bool(scale)
    pos = [v for v in values if v > 0]
    return len(pos) == len(values) and bool(pos) and max(pos) / min(pos) >= DECADE_SPAN


def series_by_solver(points: Mapping[str, Mapping[float, Sequence[float]]], *, xlabel: str,
                     ylabel: str, title: str | None = None,
                     logy: bool | Literal["auto"] = False,
                     logx: bool | Literal["auto"] = False,
                     center: Callable[[Sequence[float]], float] = statistics.median,
                     spread: bool = True, integer_x: bool = False,
                     hlines: Sequence[tuple[float, str]] = (),
                     dashed: Collection[str] = (), ax: Axes | None = None) -> Axes:
    """One line per solver (or policy) through a centre of the y values at each x.

    Parameters
    ----------
    points:
        Solver -> x -> the y values observed there. Solvers keep their
        position in the mapping for their (colour, marker) pair; one with no
        points draws nothing.
    center:
        The line's statistic of the y values at an x (default the median; the
        benchmark passes the shifted geometric mean for runtimes, as its table).
    spread:
        Draw the interquartile range (25th to 75th percentile, inclusive
        method) of the y values at each x as a vertical bar, where there are
        at least two; series are nudged sideways so the bars do not hide each
        other.
    logx, logy:
        Log scale; ``"auto"`` when all values are positive and span at least
        :data:`DECADE_SPAN` (max / min).
    integer_x:
        x is a count (e.g. jobs): ticks only at integers (on a log axis, at
        the x values present).
    hlines:
        Reference lines ``(y, label)`` drawn dashed grey and listed in the
        legend (e.g. the time limit).
    dashed:
        Series drawn with a dashed line (a reference, e.g. the offline schedule).
    """
    ax = axes_or_new(ax, (8.5, 4.5))
    styles = series_styles(list(points))
    drawn = [s for s, pts in points.items() if pts]
    xs_all = sorted({x for s in drawn for x in points[s]})
    ys_all = [y for s in drawn for v in points[s].values() for y in v]
    log_x = _log_wanted(xs_all, logx) if xs_all else False
    # sideways nudge per series, a fraction of the smallest gap between x values
    if log_x:
        gaps = [math.log(b / a) for a, b in pairwise(xs_all)]
    else:
        gaps = [b - a for a, b in pairwise(xs_all)]
    width = 0.3 * min(gaps, default=1.0) if spread and len(drawn) > 1 else 0.0
    for i, s in enumerate(drawn):
        pts = points[s]
        xs = sorted(pts)
        ys = [center(list(pts[x])) for x in xs]
        off = width * ((i + 0.5) / len(drawn) - 0.5)
        px = [x * math.exp(off) if log_x else x + off for x in xs]
        color, marker = styles[s]
        ax.plot(px, ys, marker=marker, color=color, label=s, linewidth=1.3, markersize=5.5,
                alpha=0.95, linestyle="--" if s in dashed else "-")
        if spread:
            for x, x_at in zip(xs, px, strict=True):
                if len(pts[x]) >= 2:
                    lo, hi = _quartiles(list(pts[x]))
                    ax.vlines(x_at, lo, hi, colors=color, linewidth=1.0, alpha=0.8)
    for y, label in hlines:
        ax.axhline(y, color="#555555", linestyle="--", linewidth=1.0, label=label)
    log_y = _log_wanted([*ys_all, *(y for y, _ in hlines)], logy) if ys_all else logy is True
    if log_y:
        ax.set_yscale("log")
    if log_x:
        ax.set_xscale("log")
        if integer_x:
            ax.xaxis.set_major_locator(FixedLocator(xs_all))
            ax.xaxis.set_minor_locator(NullLocator())
            fmt = ScalarFormatter()
            fmt.set_scientific(False)
            ax.xaxis.set_major_formatter(fmt)
    elif integer_x:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    legend_outside(ax)
    return ax


def ecdf(values: Mapping[str, Sequence[float]], *, xlabel: str, ylabel: str,
         floor: float = 1.0, marks: Sequence[float] = (), ax: Axes | None = None) -> Axes:
    """Empirical CDF per series on a log x axis (values floored at ``floor``).

    Parameters
    ----------
    values:
        Series name -> observed values (e.g. decision latencies, us); empty
        series draw nothing; the legend (outside the Axes) shows each
        series' count.
    marks:
        x positions of thin grey reference lines (e.g. 1 ms and 10 ms).
    """
    ax = axes_or_new(ax, (8.5, 4.5))
    styles = series_styles(list(values))
    for name, vals in values.items():
        xs = sorted(max(float(v), floor) for v in vals)
        if xs:
            color, marker = styles[name]
            ax.step(xs, [(i + 1) / len(xs) for i in range(len(xs))], where="post",
                    color=color, marker=marker, markevery=max(1, len(xs) // 8), markersize=4,
                    label=f"{name} (n={len(xs)})")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for x in marks:
        ax.axvline(x, color="grey", linewidth=0.8, linestyle=":")
    ax.grid(alpha=0.3)
    legend_outside(ax)
    return ax
