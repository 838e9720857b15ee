"""What the drawing functions share: a new Axes when none is given, series styles, axes.

* :func:`axes_or_new`: the caller's Axes or a new pyplot one;
* :data:`OKABE_ITO`, :data:`MARKERS`, :func:`series_styles`: a distinct
  (colour, marker) pair per series from a colour-blind-safe palette;
* :func:`ms_time_axis`: an x axis whose data are microseconds, labelled in ms;
* :func:`legend_outside`: the legend to the right of the data, never over it.
"""

from __future__ import annotations

from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.ticker import FuncFormatter

OKABE_ITO: tuple[str, ...] = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7",
                              "#56B4E9", "#000000", "#F0E442")
"""The Okabe-Ito palette (Okabe and Ito 2008, "Color Universal Design"), safe for the common
colour-vision deficiencies; yellow, the faintest on white, comes last."""

MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "*", "h")
"""Marker cycle; its length (11) is coprime to the palette's (8), so the (colour, marker)
pair of series i repeats only after 88 series, and neighbours differ in both."""


def series_styles(names: Sequence[str]) -> dict[str, tuple[str, str]]:
    """Series name -> (colour, marker), by position in ``names``: the i-th series gets colour
    ``i mod 8`` and marker ``i mod 11``, so no two of the first 88 share the pair.

    Callers that draw the same series in several plots pass the same ordered names,
    so a solver keeps its look across a report.
    """
    return {name: (OKABE_ITO[i % len(OKABE_ITO)], MARKERS[i % len(MARKERS)])
            for i, name in enumerate(names)}


def axes_or_new(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax``, or the Axes of a new pyplot figure of ``figsize`` inches.

    pyplot is imported here, at call time, so that importing
    :mod:`splitsched.plot` never selects a backend.
    """
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, new = plt.subplots(figsize=figsize)
    return new


def ms_time_axis(ax: Axes, label: str = "time (ms)") -> Axes:
    """Label the x axis in milliseconds while the data stay integer microseconds.

    Tick labels are ``x / 1000`` written plainly (no offset such as ``1e6``, no
    scientific notation).
    """
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x / 1000:,.{_digits(ax)}f}"))
    ax.set_xlabel(label)
    return ax


def _digits(ax: Axes) -> int:
    """Decimals needed in ms for the current x range (more when it spans under 10 ms)."""
    lo, hi = ax.get_xlim()
    span_ms = abs(hi - lo) / 1000
    return 0 if span_ms >= 10 else 1 if span_ms >= 1 else 2 if span_ms >= 0.1 else 3


def legend_outside(ax: Axes, **kwargs: object) -> None:
    """The legend to the right of the Axes (saved figures use a tight bounding box)."""
    if not ax.get_legend_handles_labels()[0] and "handles" not in kwargs:
        return
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0, fontsize=8,
              frameon=False, **kwargs)
