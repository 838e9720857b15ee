"""Where a drawing function gets its Axes when the caller gives none."""

from __future__ import annotations

from matplotlib.axes import Axes


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
