"""The benchmark report's plots, from plain per-solver data.

The data (which run solved which problem, its runtime, its gap) is the
benchmark's business (:mod:`splitsched.bench.plots` prepares it); these
functions only draw.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from matplotlib.axes import Axes

from splitsched.plot._axes import axes_or_new

MARKERS = "os^Dv<>px*h"


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
        The curves, in order (default: every solver in ``times``, sorted).
    ax:
        Where to draw (a new figure if None).

    Returns
    -------
    Axes
        With one step curve per solver over tau on a log2 axis.
    """
    ax = axes_or_new(ax, (7, 4.5))
    names = list(solvers) if solvers is not None else sorted({s for per in times.values()
                                                               for s in per})
    ratios: dict[str, list[float]] = {s: [] for s in names}
    for per in times.values():
        best = min(per.values(), default=math.inf)
        for s in names:
            t = per.get(s, math.inf)
            ratios[s].append(t / best if math.isfinite(best) and math.isfinite(t) else math.inf)
    finite = [x for v in ratios.values() for x in v if math.isfinite(x)]
    tau_max = max(2.0, max(finite, default=1.0) * 2.0)
    n = max(len(times), 1)
    for i, s in enumerate(names):
        xs = sorted(x for x in ratios[s] if math.isfinite(x))
        taus = [1.0, *xs, tau_max]
        fracs = [sum(1 for x in xs if x <= t) / n for t in taus]
        ax.step(taus, fracs, where="post", label=s, marker=MARKERS[i % len(MARKERS)],
                markevery=[0], linewidth=1.6)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1.0, tau_max)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau (runtime / fastest runtime that reached the best known misses)")
    ax.set_ylabel("fraction of problems")
    ax.set_title(f"Performance profile of runtime ({len(times)} instance-seed problems)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    return ax


def series_by_solver(points: Mapping[str, Mapping[float, Sequence[float]]], *, xlabel: str,
                     ylabel: str, title: str | None = None, logy: bool = False,
                     dashed: Collection[str] = (), ax: Axes | None = None) -> Axes:
    """One line per solver (or policy) through the mean y at each x.

    Parameters
    ----------
    points:
        Solver -> x -> the y values observed there (their mean is drawn).
        Solvers keep their position in the mapping for marker choice; one
        with no points draws nothing.
    dashed:
        Series drawn with a dashed line (a reference, e.g. the offline schedule).
    """
    ax = axes_or_new(ax, (7, 4.5))
    for i, (s, pts) in enumerate(points.items()):
        if not pts:
            continue
        xs = sorted(pts)
        means = [sum(pts[x]) / len(pts[x]) for x in xs]
        ax.plot(xs, means, marker=MARKERS[i % len(MARKERS)], label=s, linewidth=1.2,
                markersize=5, alpha=0.9, linestyle="--" if s in dashed else "-")
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title is not None:
        ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    return ax


def ecdf(values: Mapping[str, Sequence[float]], *, xlabel: str, ylabel: str,
         floor: float = 1.0, marks: Sequence[float] = (), ax: Axes | None = None) -> Axes:
    """Empirical CDF per series on a log x axis (values floored at ``floor``).

    Parameters
    ----------
    values:
        Series name -> observed values (e.g. decision latencies, us); empty
        series draw nothing; the legend shows each series' count.
    marks:
        x positions of thin grey reference lines (e.g. 1 ms and 10 ms).
    """
    ax = axes_or_new(ax, (7, 4.5))
    for name, vals in values.items():
        xs = sorted(max(float(v), floor) for v in vals)
        if xs:
            ax.step(xs, [(i + 1) / len(xs) for i in range(len(xs))], where="post",
                    label=f"{name} (n={len(xs)})")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    for x in marks:
        ax.axvline(x, color="grey", linewidth=0.8, linestyle=":")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return ax
