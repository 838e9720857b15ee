"""Pictures, apart from solving and benchmarking.

Every drawing function takes the ``ax`` (a matplotlib Axes) to draw on, or
creates one with ``matplotlib.pyplot.subplots`` when none is given, and
returns it. Nothing here picks a backend, shows or saves a figure at import
or draw time: that is the caller's business (:func:`save_png` writes one PNG
atomically). Times on the x axes are integer microseconds.

* :func:`gantt`: one schedule's GPU and CPU lanes as planned (hand-offs,
  late jobs and their deadlines marked);
* :func:`planned_vs_actual`: a replay run against the plan, four lanes;
* :func:`performance_profile`, :func:`series_by_solver` and :func:`ecdf`:
  the benchmark and online reports' plots, from plain per-series data.
"""

from splitsched.plot.gantt import draw_stage_bars, gantt, job_colors, planned_vs_actual
from splitsched.plot.report import ecdf, performance_profile, series_by_solver
from splitsched.plot.save import save_png

__all__ = ["draw_stage_bars", "ecdf", "gantt", "job_colors", "performance_profile",
           "planned_vs_actual", "save_png", "series_by_solver"]
