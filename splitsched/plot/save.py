"""Writing figures: the one saver (PNG or SVG, atomically) and the schedule picture files.

:func:`save_figure` writes any figure; :func:`save_png` is it for PNG (every
report plot). :func:`write_schedule_plot` draws one schedule
(:func:`~splitsched.plot.gantt.plot_schedule`) into ``.png``, ``.svg`` or a
self-contained ``.html`` (the SVG inline, with a per-job caption table; no
script, no external file).
"""

from __future__ import annotations

import html
import io
import os
from pathlib import Path

from matplotlib.figure import Figure

from splitsched.evaluate import evaluate, job_table
from splitsched.io import InputError, atomic_write_text
from splitsched.plot.gantt import plot_schedule, schedule_figsize
from splitsched.problem import Instance, Schedule, counted

FIGURE_SUFFIXES = (".png", ".svg")
SCHEDULE_SUFFIXES = (*FIGURE_SUFFIXES, ".html")


def save_figure(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """Write ``fig`` to ``path`` as PNG or SVG (by the suffix), atomically (temporary file,
    then rename).

    The bounding box is tightened to the drawn content (legends outside the
    Axes included). Parent folders are created. The figure is left open:
    closing it (``plt.close(fig)`` for a pyplot figure) is the caller's
    business. Returns the path written.

    Raises
    ------
    InputError
        The suffix is not ``.png`` or ``.svg``; the folder above ``path`` cannot
        be created (a file stands on its path); the write failed (``ENOSPC``,
        permission: an existing file is then untouched).
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in FIGURE_SUFFIXES:
        raise InputError(out, "(suffix)", f"cannot write a figure as {suffix or 'no suffix'!r}; "
                         f"use one of {', '.join(FIGURE_SUFFIXES)}")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # a file where a folder should be, a read-only place
        raise InputError(out, "(file)", f"cannot create its folder {out.parent}: "
                         f"{exc.strerror or exc}") from None
    tmp = out.with_name(f".{out.name}.tmp{suffix}")
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format=suffix[1:])
        os.replace(tmp, out)
    except OSError as exc:  # ENOSPC, permission: the old file stays
        raise InputError(out, "(file)", f"cannot write: {exc.strerror or exc}") from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return out


def save_png(fig: Figure, path: str | os.PathLike[str], *, dpi: int = 110) -> Path:
    """:func:`save_figure` for a PNG (the report plots); ``path`` must end in ``.png``."""
    return save_figure(fig, path, dpi=dpi)


def schedule_figure(instance: Instance, schedule: Schedule, *,
                    title: str | None = None) -> Figure:
    """A bare :class:`~matplotlib.figure.Figure` (no pyplot, no backend) holding
    :func:`~splitsched.plot.gantt.plot_schedule` of one schedule."""
    fig = Figure(figsize=schedule_figsize(instance.num_jobs))
    plot_schedule(instance, schedule, ax=fig.add_subplot(), title=title)
    return fig


def write_schedule_plot(instance: Instance, schedule: Schedule,
                        path: str | os.PathLike[str], *, title: str | None = None) -> Path:
    """Draw one schedule (:func:`~splitsched.plot.gantt.plot_schedule`) into ``path``.

    The suffix picks the format: ``.png``, ``.svg``, or ``.html`` (one
    self-contained page: the SVG inline, a caption and a table of every job's
    cut, stage times, completion and outcome in ms; no script, nothing fetched).
    Written atomically; returns the path.

    Raises
    ------
    InputError
        The suffix is none of ``.png``, ``.svg``, ``.html``.
    """
    out = Path(path)
    suffix = out.suffix.lower()
    if suffix not in SCHEDULE_SUFFIXES:
        raise InputError(out, "(suffix)", f"cannot write a schedule plot as "
                         f"{suffix or 'no suffix'!r}; use one of {', '.join(SCHEDULE_SUFFIXES)}")
    fig = schedule_figure(instance, schedule, title=title)
    if suffix != ".html":
        return save_figure(fig, out)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    atomic_write_text(out, schedule_page(instance, schedule, buf.getvalue()))
    return out


def _ms(us: int | None) -> str:
    return "" if us is None else f"{us / 1000:.3f}"


def schedule_page(instance: Instance, schedule: Schedule, svg: str) -> str:
    """The self-contained HTML page of :func:`write_schedule_plot`: ``svg`` inline, a caption
    and the per-job table (:func:`splitsched.evaluate.job_table`, times in ms)."""
    ev = evaluate(instance, schedule)
    rows = job_table(instance, schedule, ev)
    svg_body = svg[svg.find("<svg"):]  # drop the XML prolog and doctype: inline in HTML
    esc = html.escape
    head = ("job", "network", "weight", "cut", "release", "GPU start", "GPU end",
            "hand-off", "CPU start", "CPU end", "completion", "deadline", "lateness",
            "outcome")
    body = []
    for r in rows:
        cut = "dropped" if r.cut is None else f"{r.cut}/{r.layers}"
        cells = (r.job, r.network, str(r.weight), cut, _ms(r.release), _ms(r.gpu_start),
                 _ms(r.gpu_end), _ms(r.handoff_us), _ms(r.cpu_start), _ms(r.cpu_end),
                 _ms(r.completion), _ms(r.deadline), _ms(r.lateness),
                 r.outcome.replace("_", " "))
        cls = "" if r.on_time else " class='miss'"
        body.append(f"<tr{cls}>" + "".join(f"<td>{esc(c)}</td>" for c in cells) + "</tr>")
    title = f"{instance.id} / {schedule.solver}"
    caption = (f"Schedule of instance {esc(instance.id)} ({counted(instance.num_jobs, 'job')}) by "
               f"{esc(schedule.solver)}: "
               f"{counted(ev.weighted_misses, 'weighted miss', 'weighted misses')}, "
               f"{ev.misses} of {counted(instance.num_jobs, 'job')} missed, makespan "
               f"{ev.makespan / 1000:.3f} ms"
               + ("" if ev.feasible else f"; NOT FEASIBLE: {esc('; '.join(ev.violations))}")
               + ". Top: one lane per processor (GPU, CPU), a bar per stage in its job's "
               "colour, an arrow per hand-off; below: each job's window from release to "
               "deadline with its completion. Times in ms; the table gives every job's "
               "stages (cut k of L layers: layers 1..k on the GPU).")
    style = ("body{font-family:system-ui,Helvetica,Arial,sans-serif;margin:20px;color:#222}"
             "table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #ccc;"
             "padding:2px 6px;text-align:right}th{background:#f0f0f0}td:nth-child(-n+2),"
             "th:nth-child(-n+2){text-align:left}tr.miss td{background:#fde8e8}"
             "figure{margin:0}figcaption{max-width:70em;margin:6px 0 14px}svg{max-width:100%;"
             "height:auto}")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{esc(title)}</title><style>{style}</style></head><body>\n"
            f"<h1>{esc(title)}</h1>\n<figure>{svg_body}\n<figcaption>{caption}</figcaption>"
            f"</figure>\n<table><caption>Per job (times in ms)</caption><thead><tr>"
            + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>\n"
            + "\n".join(body) + "\n</tbody></table>\n</body></html>\n")

