"""Gantt charts: stage bars on processor lanes, drawn by one function.

:func:`draw_stage_bars` is the one drawer of stage bars; :func:`plot_schedule`
(a schedule as planned, checked by :func:`splitsched.evaluate.evaluate`) and
:func:`planned_vs_actual` (a replay run against its plan) only say which bar
goes on which lane. Data are integer microseconds; the time axes are
labelled in milliseconds (:func:`~splitsched.plot._axes.ms_time_axis`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from splitsched.evaluate import Stage, evaluate, job_table
from splitsched.io import InputError
from splitsched.plot._axes import axes_or_new, legend_outside, ms_time_axis
from splitsched.problem import CPU, GPU, Instance, Schedule, counted, occupies
from splitsched.replay.compare import run_misses
from splitsched.replay.trace import TraceRun

LATE_FILL = "#f4a6a6"
LATE_EDGE = "#c00000"
THIN_FRACTION = 1 / 400
"""A stage shorter than this fraction of the visible time span is drawn as a thin marker
(a vertical tick in its job's colour; dotted when the stage has zero length)."""

# Vertical layout of plot_schedule (data units; the y axis is inverted so the GPU is on top).
LANE_Y = {GPU: 0.0, CPU: 1.0}
LANE_HEIGHT = 0.6
WINDOW_TOP = 1.75
WINDOW_PITCH = 0.42
WINDOW_BAND = 30.0
"""Most data units the job rows take (about 71 rows at :data:`WINDOW_PITCH`, where
:func:`schedule_figsize` reaches its height cap): beyond, the rows get closer and their
marks thinner, so that the processor lanes keep about a twentieth of the height (at 5,000
jobs they had a thousandth, and their GPU and CPU labels overlapped)."""
LABELLED_ROWS = 120
"""Most job rows that :func:`plot_schedule` labels one by one (y tick and ``dropped``): at
the figure's height cap (:func:`schedule_figsize`) more would be under ~7 pt apart. Beyond
it every k-th row keeps its tick label and a dropped job is told by its dashed window."""


@dataclass(frozen=True)
class Bar:
    """One stage on one lane: ``y`` is the lane's centre; times in microseconds."""

    job: str
    y: float
    start: int
    end: int
    late: bool = False


JOB_PALETTE = tuple(i for i in range(20) if i not in (6, 7))
"""The ``tab20`` colours that jobs cycle through: all but its two reds (6, 7), which read
as a late stage's fill (:data:`LATE_FILL`) or edge."""


def job_colors(instance: Instance) -> dict[str, Any]:
    """One colour per job (``tab20`` without its reds, cycling), in the instance's job order."""
    cmap = matplotlib.colormaps["tab20"]
    return {j.id: cmap(JOB_PALETTE[i % len(JOB_PALETTE)]) for i, j in enumerate(instance.jobs)}


def overlap_spans(stages: Iterable[Stage], processor: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` times (us) where two or more stages on ``processor`` run at
    once, in time order: what :func:`splitsched.evaluate.evaluate` reports as an overlap.
    A zero-length stage occupies nothing (:func:`splitsched.problem.occupies`)."""
    busy = sorted((s.start, s.end) for s in stages
                  if s.processor == processor and occupies(s.end - s.start))
    spans: list[tuple[int, int]] = []
    reach: int | None = None  # the latest end so far
    for start, end in busy:
        if reach is not None and start < reach:
            lo, hi = start, min(end, reach)
            if spans and lo <= spans[-1][1]:  # one span for a run of overlaps
                lo, hi = spans[-1][0], max(hi, spans[-1][1])
                spans.pop()
            spans.append((lo, hi))
        reach = end if reach is None else max(reach, end)
    return spans


def draw_stage_bars(ax: Axes, bars: Iterable[Bar], colors: Mapping[str, Any], *,
                    height: float = 0.6, label_min_us: float = 0.0,
                    thin_us: float = 0.0, late_hatched: bool = True) -> Axes:
    """Draw stage bars on ``ax``; returns it.

    Bars are drawn as few collections (one per lane and fill kind; the thin markers
    one per line style), not one artist per stage: thousands of stages draw in
    seconds instead of minutes.

    Parameters
    ----------
    bars:
        The stages (times in us).
    colors:
        Job id -> fill colour.
    height:
        Bar height in y data units.
    label_min_us:
        A bar's job id is written inside it when it is longer than this.
    thin_us:
        A stage shorter than this (us) would be an invisible sliver or, with its
        edge, a black bar: it is drawn as a thin vertical marker in its job's
        colour instead (red when late), dotted when its length is zero.
    late_hatched:
        A late bar is hatched red (True) or only edged red (False).
    """
    # (lane y, hatched) -> (x ranges, fill colours, edge colours)
    fills: dict[tuple[float, bool], tuple[list[tuple[int, int]], list[Any], list[Any]]] = {}
    # has length? -> (x, y low, y high, colour) of the thin markers
    ticks: dict[bool, tuple[list[float], list[float], list[float], list[Any]]] = {}
    diamonds: tuple[list[float], list[float], list[Any]] = ([], [], [])
    labels: list[tuple[float, float, str]] = []
    for b in bars:
        length = b.end - b.start
        if length < thin_us or length <= 0:
            x = b.start + length / 2
            color = LATE_EDGE if b.late else colors[b.job]
            xs, lows, highs, cs = ticks.setdefault(length > 0, ([], [], [], []))
            xs.append(x)
            lows.append(b.y - height / 2)
            highs.append(b.y + height / 2)
            cs.append(color)
            if length <= 0:  # a diamond on the lane's edge, so that a dotted tick is found
                diamonds[0].append(x)
                diamonds[1].append(b.y - height / 2)
                diamonds[2].append(color)
            continue
        hatched = b.late and late_hatched
        ranges, faces, edges = fills.setdefault((b.y, hatched), ([], [], []))
        ranges.append((b.start, length))
        faces.append(LATE_FILL if hatched else colors[b.job])
        edges.append(LATE_EDGE if b.late else "#333333")
        if length > max(label_min_us, 0):
            labels.append((b.start + length / 2, b.y, b.job))
    for (y, hatched), (ranges, faces, edges) in fills.items():
        ax.broken_barh(ranges, (y - height / 2, height), facecolors=faces, edgecolors=edges,
                       hatch="///" if hatched else None, linewidth=0.5)
    for has_length, (xs, lows, highs, cs) in ticks.items():
        ax.vlines(xs, lows, highs, colors=cs, linewidth=2.2 if has_length else 1.6,
                  linestyles="solid" if has_length else "dotted")
    if diamonds[0]:
        ax.scatter(diamonds[0], diamonds[1], marker="D", s=3.5 ** 2, c=diamonds[2],
                   edgecolors="#222222", linewidths=0.6, zorder=2.5)
    for x, y, job in labels:
        ax.text(x, y, job, ha="center", va="center", fontsize=6, clip_on=True)
    return ax


def gantt_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` (or a new pyplot Axes) for a Gantt chart: its time and lane axes must be
    linear (times start at 0 and bars are drawn by their widths).

    Raises
    ------
    splitsched.io.InputError
        Naming the ``ax`` parameter, for a polar or other non-rectilinear Axes, or one
        with a log or other non-linear scale.
    """
    ax = axes_or_new(ax, figsize)
    if ax.name != "rectilinear":
        raise InputError(None, "ax", f"a Gantt chart needs a rectilinear Axes; this one is "
                                     f"{ax.name!r}")
    for axis, scale in (("x", ax.get_xscale()), ("y", ax.get_yscale())):
        if scale != "linear":
            raise InputError(None, "ax", f"a Gantt chart needs linear axes; this Axes has a "
                                         f"{scale} {axis} scale")
    return ax


def row_pitch(num_jobs: int) -> float:
    """The distance between two job rows of :func:`plot_schedule` (data units):
    :data:`WINDOW_PITCH`, or less so that all rows fit in :data:`WINDOW_BAND`."""
    return min(WINDOW_PITCH, WINDOW_BAND / max(num_jobs, 1))


def schedule_figsize(num_jobs: int) -> tuple[float, float]:
    """A good (width, height) in inches for :func:`plot_schedule` of ``num_jobs`` jobs."""
    rows = WINDOW_TOP + row_pitch(num_jobs) * max(num_jobs, 1) + 0.6
    return 11.0, min(2.2 + 0.36 * rows, 14.0)


def plot_schedule(instance: Instance, schedule: Schedule, ax: Axes | None = None, *,
                  title: str | None = None, legend: bool = True) -> Axes:
    """Draw one schedule as planned: a Gantt chart with one lane per processor; returns the Axes.

    What is drawn (data in integer microseconds, the time axis in ms):

    * a **GPU** and a **CPU** lane; each stage is a bar in its job's colour with
      the job id inside when there is room; a stage shorter than 1/400 of the
      time span (e.g. 2 us) is a thin tick, a zero-length one a dotted tick;
    * **hand-offs**: a grey line from the GPU stage's end to the CPU stage's
      start of a split job, with a head (``v``) at the CPU end (the hand-off
      lag ``h(k)`` is the gap it spans, or less when the CPU stage waits for
      the CPU); all of them one :class:`~matplotlib.collections.LineCollection`
      with gid ``handoffs``;
    * below the lanes, one **window row per job**, in the instance's order:
      a line in the job's colour from its release (``>``) to its deadline
      (``|``), and its completion: a dot when on time, a red ``X`` when late
      (with a red segment from the deadline to it); a dropped job's line is
      dashed, and ``dropped`` is written on it in red (up to
      :data:`LABELLED_ROWS` jobs);
    * **misses**: a late job's stages are hatched red and its deadline is a
      dotted red line across the lanes;
    * **overlaps** (an infeasible schedule): where two stages run at once on a
      processor, a red crossed box on that lane (gid ``overlap-gpu`` /
      ``overlap-cpu``); the jobs' own marks follow their completion times, as
      :func:`~splitsched.evaluate.evaluate` counts them;
    * the title: ``title`` (default the schedule's solver), the weighted
      misses and how many of the jobs missed.

    Parameters
    ----------
    instance, schedule:
        The problem and a schedule for it (any schedule: it is evaluated with
        :func:`splitsched.evaluate.evaluate`; a job whose own plan breaks a
        rule is drawn as not on time, stages that overlap are crossed red).
    ax:
        Where to draw; None: a new pyplot figure sized by :func:`schedule_figsize`.
    title:
        Start of the title (default: ``schedule.solver``).
    legend:
        Draw the symbol legend to the right of the Axes.

    Returns
    -------
    Axes
        ``ax``; its y tick labels are ``GPU``, ``CPU`` and the job ids (beyond
        :data:`LABELLED_ROWS` jobs, every k-th job's).

    Raises
    ------
    splitsched.io.InputError
        For an ``ax`` that is not a rectilinear Axes with linear scales (:func:`gantt_axes`).

    Every kind of mark is one artist (a collection or one ``Line2D``) whatever the
    number of jobs: 5,000 jobs draw in seconds.
    """
    ax = gantt_axes(ax, schedule_figsize(instance.num_jobs))
    ev = evaluate(instance, schedule)
    rows = job_table(instance, schedule, ev)
    colors = job_colors(instance)
    ends = [st.end for st in ev.stages]
    left = min([0, *(r.release for r in rows)])
    right = max([1, *(r.deadline for r in rows), *ends])
    span = right - left
    thin = span * THIN_FRACTION
    bars = [Bar(st.job, LANE_Y[st.processor], st.start, st.end,
                late=not ev.on_time.get(st.job, False)) for st in ev.stages]
    draw_stage_bars(ax, bars, colors, height=LANE_HEIGHT, label_min_us=span / 45, thin_us=thin)
    half = LANE_HEIGHT / 2
    overlapping = False
    for proc, y in LANE_Y.items():  # crossed red where stages overlap (infeasible)
        spans = overlap_spans(ev.stages, proc)
        if spans:
            overlapping = True
            ax.broken_barh([(lo, hi - lo) for lo, hi in spans], (y - half - 0.06, 2 * half + 0.12),
                           facecolors="none", edgecolors=LATE_EDGE, hatch="xxx", linewidth=1.2,
                           zorder=3, gid=f"overlap-{proc}")
    handoffs = [((r.gpu_end, LANE_Y[GPU] + half), (r.cpu_start, LANE_Y[CPU] - half))
                for r in rows if r.gpu_end is not None and r.cpu_start is not None]
    if handoffs:  # one collection of shafts and one of heads, however many split jobs
        ax.add_collection(LineCollection(handoffs, colors="#555555", linewidths=0.7,
                                         gid="handoffs"))
        ax.plot([b[0] for _, b in handoffs], [b[1] for _, b in handoffs], marker="v",
                color="#555555", markersize=3.5, linestyle="none")
    late_deadlines = [r.deadline for r in rows if r.outcome == "late"]
    if late_deadlines:  # across the lanes
        ax.vlines(late_deadlines, LANE_Y[GPU] - half - 0.2, LANE_Y[CPU] + half + 0.2,
                  colors=LATE_EDGE, linestyles="dotted", linewidth=0.8)
    pitch = row_pitch(len(rows))
    shrink = pitch / WINDOW_PITCH  # 1 up to ~71 rows; the marks thin out with the rows
    ys = [WINDOW_TOP + pitch * (i + 0.5) for i in range(len(rows))]  # window rows
    for dropped in (False, True):
        sel = [i for i, r in enumerate(rows) if (r.completion is None) == dropped]
        if sel:
            ax.hlines([ys[i] for i in sel], [rows[i].release for i in sel],
                      [rows[i].deadline for i in sel], colors=[colors[rows[i].job] for i in sel],
                      linewidth=max(2.4 * shrink, 0.4),
                      linestyles="dashed" if dropped else "solid")
    ax.plot([r.release for r in rows], ys, marker=">", color="#222222",
            markersize=max(4 * shrink, 1.0), linestyle="none")
    ax.plot([r.deadline for r in rows], ys, marker="|", color="#222222",
            markersize=max(8 * shrink, 1.5), markeredgewidth=max(1.6 * shrink, 0.4),
            linestyle="none")
    if len(rows) <= LABELLED_ROWS:
        for r, y in zip(rows, ys, strict=True):
            if r.completion is None:
                ax.text((r.release + r.deadline) / 2, y, "dropped", color=LATE_EDGE,
                        fontsize=6, ha="center", va="center", clip_on=True,
                        bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    # (row, y, completion) of every job that completes
    placed = [(r, y, r.completion) for r, y in zip(rows, ys, strict=True)
              if r.completion is not None]
    on_time = [p for p in placed if p[0].on_time]
    if on_time:
        ax.scatter([c for _, _, c in on_time], [y for _, y, _ in on_time], marker="o",
                   s=max(4.5 * shrink, 1.5) ** 2, c=[colors[r.job] for r, _, _ in on_time],
                   edgecolors="#222222", linewidths=max(shrink, 0.3), zorder=2.5)
    late = [p for p in placed if not p[0].on_time]
    overdue = [(r, y, c) for r, y, c in late if c > r.deadline]
    if overdue:
        ax.hlines([y for _, y, _ in overdue], [r.deadline for r, _, _ in overdue],
                  [c for _, _, c in overdue], colors=LATE_EDGE, linewidth=1.0)
    if late:
        ax.plot([c for _, _, c in late], [y for _, y, _ in late], marker="X",
                color=LATE_EDGE, markersize=max(6 * shrink, 2.0), linestyle="none")
    bottom = WINDOW_TOP + pitch * len(rows)
    ax.axhline((LANE_Y[CPU] + half + WINDOW_TOP) / 2, color="#999999", linewidth=0.6)
    # A label per job row while they fit (LABELLED_ROWS); beyond, every k-th row's, so that
    # the labels stay legible and their layout does not take most of the drawing time.
    every = max(1, math.ceil(len(rows) / LABELLED_ROWS))
    labelled = [r.job for r in rows][::every]
    ax.set_yticks([LANE_Y[GPU], LANE_Y[CPU], *ys[::every]], ["GPU", "CPU", *labelled])
    for label in ax.get_yticklabels()[2:]:
        label.set_fontsize(6 if len(labelled) > 30 else 7)
    ax.set_ylim(bottom + 0.1, LANE_Y[GPU] - half - 0.25)  # inverted: GPU on top
    ax.set_xlim(left - span * 0.01, left + span * 1.03)  # room for the marks at the first time
    ax.grid(True, axis="x", alpha=0.3)
    ms_time_axis(ax)
    ax.set_ylabel("lanes; job windows")
    missed = sum(1 for r in rows if not r.on_time)
    ax.set_title(f"{title or schedule.solver}: "
                 f"{counted(ev.weighted_misses, 'weighted miss', 'weighted misses')} "
                 f"({missed} of {counted(instance.num_jobs, 'job')} missed)"
                 + ("" if ev.feasible else f"; INFEASIBLE: {len(ev.violations)} violation"
                    + ("s" if len(ev.violations) > 1 else "")),
                 fontsize=9, loc="left")
    if legend:
        legend_outside(ax, handles=schedule_legend_handles(thin, overlap=overlapping))
    return ax


def schedule_legend_handles(thin_us: float, *, overlap: bool = False) -> list[Any]:
    """The symbol legend of :func:`plot_schedule` (labels are what the tests look for);
    with ``overlap``, also the mark of stages that overlap."""
    handles = [
        Patch(facecolor="#c6dbef", edgecolor="#333333", linewidth=0.5,
              label="stage (colour: job)"),
        Patch(facecolor=LATE_FILL, edgecolor=LATE_EDGE, hatch="///", label="stage of a late job"),
        Line2D([], [], color="#1f77b4", linewidth=2.2,
               label=f"stage < {max(thin_us, 1) / 1000:.3g} ms (thin tick)"),
        Line2D([], [], color="#1f77b4", linewidth=1.6, linestyle="dotted", marker="D",
               markersize=3.5, markeredgecolor="#222222", markeredgewidth=0.6,
               label="zero-length stage"),
        Line2D([], [], marker="v", color="#555555", linewidth=0.7, markersize=3.5,
               label="hand-off GPU -> CPU"),
        Line2D([], [], color="#888888", linewidth=2.4, label="job window"),
        Line2D([], [], marker=">", color="#222222", linestyle="none", markersize=4,
               label="release"),
        Line2D([], [], marker="|", color="#222222", linestyle="none", markersize=8,
               markeredgewidth=1.6, label="deadline"),
        Line2D([], [], marker="o", markerfacecolor="#c6dbef", markeredgecolor="#222222",
               linestyle="none", markersize=4.5, label="completion (on time)"),
        Line2D([], [], marker="X", color=LATE_EDGE, linestyle="none", markersize=6,
               label="completion (late)"),
        Line2D([], [], color="#888888", linewidth=2.4, linestyle="dashed",
               label="dropped job's window"),
        Line2D([], [], color=LATE_EDGE, linestyle=":", linewidth=0.8,
               label="deadline of a late job"),
    ]
    if overlap:
        handles.append(Patch(facecolor="none", edgecolor=LATE_EDGE, hatch="xxx",
                             label="stages overlap (infeasible)"))
    return handles


def planned_vs_actual(instance: Instance, schedule: Schedule, run: TraceRun, *,
                      ax: Axes | None = None) -> Axes:
    """A replay run against its plan: GPU and CPU lanes, planned and actual; returns the Axes.

    Each stage is a bar labelled with its job; a red edge marks a job that
    missed its deadline in the run shown; every job's deadline is a thin
    dotted line in its colour. The time axis is in ms. An ``ax`` that is not a
    rectilinear Axes with linear scales raises :class:`splitsched.io.InputError`
    (:func:`gantt_axes`).
    """
    ax = gantt_axes(ax, (12, 3.2))
    missed = run_misses(instance, schedule, run)
    lanes: Sequence[tuple[str, str]] = [(GPU, "planned"), (GPU, "actual"), (CPU, "planned"),
                                        (CPU, "actual")]
    rows = {lane: float(i) for i, lane in enumerate(reversed(lanes))}
    colors = job_colors(instance)
    bars = [Bar(s.job, rows[(s.processor, kind)], start, end, late=missed.get(s.job, False))
            for s in run.stages
            for kind, start, end in (("planned", s.planned_start, s.planned_end),
                                     ("actual", s.actual_start, s.actual_end))]
    times = [t for b in bars for t in (b.start, b.end)] + [j.deadline for j in instance.jobs]
    span = (max(times) - min(times)) if times else 1
    draw_stage_bars(ax, bars, colors, height=0.7, late_hatched=False,
                    thin_us=span * THIN_FRACTION)
    for job in instance.jobs:
        ax.axvline(job.deadline, color=colors[job.id], linewidth=0.4, linestyle=":")
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([f"{p.upper()} {k}" for p, k in reversed(lanes)])
    ms_time_axis(ax)
    h = run.header
    title = (f"{h.instance_id} / {h.solver}: backend {h.backend}, policy {h.policy}, "
             f"run {h.run}")
    if h.gpu_lane_note:
        title += f"\n{h.gpu_lane_note}"
    ax.set_title(title, fontsize=9)
    return ax
