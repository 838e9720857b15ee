"""Gantt charts: stage bars on processor lanes, drawn by one function.

:func:`draw_stage_bars` is the one drawer of stage bars; :func:`gantt` (a
schedule as planned, checked by :func:`splitsched.evaluate.evaluate`) and
:func:`planned_vs_actual` (a replay run against its plan) only say which bar
goes on which lane.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.axes import Axes

from splitsched.evaluate import evaluate
from splitsched.plot._axes import axes_or_new
from splitsched.problem import CPU, GPU, Instance, Schedule
from splitsched.replay.compare import run_misses
from splitsched.replay.trace import TraceRun

LATE_FILL = "#f4a6a6"
LATE_EDGE = "#c00000"


@dataclass(frozen=True)
class Bar:
    """One stage on one lane: ``y`` is the lane's centre; times in microseconds."""

    job: str
    y: float
    start: int
    end: int
    late: bool = False


def job_colors(instance: Instance) -> dict[str, Any]:
    """One colour per job (``tab20``, cycling), in the instance's job order."""
    cmap = matplotlib.colormaps["tab20"]
    return {j.id: cmap(i % 20) for i, j in enumerate(instance.jobs)}


def draw_stage_bars(ax: Axes, bars: Iterable[Bar], colors: Mapping[str, Any], *,
                    height: float = 0.6, label_min_us: float = 0.0,
                    late_hatched: bool = True) -> Axes:
    """Draw stage bars on ``ax``; returns it.

    A bar's job id is written inside it when it is longer than
    ``label_min_us``. A late bar is hatched red (``late_hatched``) or only
    edged red. Zero-length bars are drawn one microsecond wide so they stay
    visible.
    """
    for b in bars:
        hatched = b.late and late_hatched
        ax.broken_barh([(b.start, max(b.end - b.start, 1))], (b.y - height / 2, height),
                       facecolors=LATE_FILL if hatched else colors[b.job],
                       edgecolors=LATE_EDGE if b.late else "black",
                       hatch="///" if hatched else None, linewidth=0.6)
        if b.end - b.start > max(label_min_us, 0):
            ax.text((b.start + b.end) / 2, b.y, b.job, ha="center", va="center", fontsize=6,
                    clip_on=True)
    return ax


def gantt(instance: Instance, schedule: Schedule, *, ax: Axes | None = None,
          title: str | None = None) -> Axes:
    """A schedule's GPU and CPU lanes as planned; returns the Axes.

    Hand-offs are arrows from the GPU stage's end to the CPU stage's start;
    a late job's stages are hatched red and its deadline is a dotted red
    line; dropped jobs are listed in the title, which starts with ``title``
    (default: the schedule's solver) and the weighted misses.
    """
    ax = axes_or_new(ax, (11, 2.7))
    ev = evaluate(instance, schedule)
    lanes = {GPU: 1.0, CPU: 0.0}
    height = 0.6
    deadline = {j.id: j.deadline for j in instance.jobs}
    horizon = max((j.deadline for j in instance.jobs), default=1)
    bars = [Bar(st.job, lanes[st.processor], st.start, st.end,
                late=not ev.on_time.get(st.job, False)) for st in ev.stages]
    draw_stage_bars(ax, bars, job_colors(instance), height=height, label_min_us=horizon / 40)
    spans: dict[str, dict[str, tuple[int, int]]] = {}
    for st in ev.stages:
        spans.setdefault(st.job, {})[st.processor] = (st.start, st.end)
    for job, procs in spans.items():
        if GPU in procs and CPU in procs:
            ax.annotate("", xy=(procs[CPU][0], lanes[CPU] + height / 2),
                        xytext=(procs[GPU][1], lanes[GPU] - height / 2),
                        arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.7})
        if not ev.on_time.get(job, False):
            ax.axvline(deadline[job], color=LATE_EDGE, linestyle=":", linewidth=0.8)
    dropped = [p.job for p in schedule.plans if p.dropped]
    drop_txt = (f"; dropped: {', '.join(dropped[:12])}{' ...' if len(dropped) > 12 else ''}"
                if dropped else "")
    ax.set_title(f"{title or schedule.solver}: {ev.weighted_misses} missed of "
                 f"{instance.num_jobs}{drop_txt}", fontsize=9, loc="left")
    ax.set_yticks([lanes[CPU], lanes[GPU]], ["CPU", "GPU"])
    ax.set_ylim(-0.6, 1.6)
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_xlim(0, max([horizon, *(st.end for st in ev.stages)]) * 1.02)
    return ax


def planned_vs_actual(instance: Instance, schedule: Schedule, run: TraceRun, *,
                      ax: Axes | None = None) -> Axes:
    """A replay run against its plan: GPU and CPU lanes, planned and actual; returns the Axes.

    Each stage is a bar labelled with its job; a red edge marks a job that
    missed its deadline in the run shown; every job's deadline is a thin
    dotted line in its colour.
    """
    ax = axes_or_new(ax, (12, 3.2))
    missed = run_misses(instance, schedule, run)
    lanes: Sequence[tuple[str, str]] = [(GPU, "planned"), (GPU, "actual"), (CPU, "planned"),
                                        (CPU, "actual")]
    rows = {lane: float(i) for i, lane in enumerate(reversed(lanes))}
    colors = job_colors(instance)
    bars = [Bar(s.job, rows[(s.processor, kind)], start, end, late=missed.get(s.job, False))
            for s in run.stages
            for kind, start, end in (("planned", s.planned_start, s.planned_end),
                                     ("actual", s.actual_start, s.actual_end))]
    draw_stage_bars(ax, bars, colors, height=0.7, late_hatched=False)
    for job in instance.jobs:
        ax.axvline(job.deadline, color=colors[job.id], linewidth=0.4, linestyle=":")
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([f"{p.upper()} {k}" for p, k in reversed(lanes)])
    ax.set_xlabel("time (us)")
    h = run.header
    title = (f"{h.instance_id} / {h.solver}: backend {h.backend}, policy {h.policy}, "
             f"run {h.run}")
    if h.gpu_lane_note:
        title += f"\n{h.gpu_lane_note}"
    ax.set_title(title, fontsize=9)
    return ax
