"""Pictures, apart from solving and benchmarking.

Every drawing function takes the ``ax`` (a matplotlib Axes) to draw on, or
creates one with ``matplotlib.pyplot.subplots`` when none is given, and
returns it. Nothing here picks a backend, shows or saves a figure at import
or draw time: that is the caller's business (:func:`save_figure` /
:func:`save_png` write one file atomically; :func:`write_schedule_plot` draws
and writes one schedule as PNG, SVG or self-contained HTML). Data are
integer microseconds; time axes are labelled in ms.

* :func:`plot_schedule`: one schedule's GPU and CPU lanes as planned
  (hand-offs, every job's release, deadline and completion, misses marked);
* :func:`planned_vs_actual`: a replay run against the plan, four lanes;
* :func:`performance_profile`, :func:`series_by_solver` and :func:`ecdf`:
  the benchmark and online reports' plots, from plain per-series data, each
  series with its own colour-blind-safe (colour, marker) pair
  (:func:`series_styles`).
"""

from splitsched.plot._axes import OKABE_ITO, series_styles
from splitsched.plot.gantt import (
    draw_stage_bars,
    job_colors,
    planned_vs_actual,
    plot_schedule,
    schedule_figsize,
)
from splitsched.plot.report import ecdf, performance_profile, series_by_solver
from splitsched.plot.save import (
    SCHEDULE_SUFFIXES,
    save_figure,
    save_png,
    schedule_figure,
    write_schedule_plot,
)

__all__ = ["OKABE_ITO", "SCHEDULE_SUFFIXES", "draw_stage_bars", "ecdf", "job_colors",
           "performance_profile", "planned_vs_actual", "plot_schedule", "save_figure",
           "save_png", "schedule_figsize", "schedule_figure", "series_by_solver",
           "series_styles", "write_schedule_plot"]
