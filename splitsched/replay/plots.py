"""Planned against actual timelines, one picture (matplotlib, Agg backend).

Four lanes: GPU planned, GPU actual, CPU planned, CPU actual. Each stage is a
bar labelled with its job; a red edge marks a job that missed its deadline in
the run shown.
"""

from __future__ import annotations

import os

from splitsched.problem import CPU, GPU, Instance, Schedule
from splitsched.replay.compare import run_misses
from splitsched.replay.trace import TraceRun


def plot_timelines(instance: Instance, schedule: Schedule, run: TraceRun,
                   path: str | os.PathLike[str]) -> None:
    """Draw the plan and one measured run as a Gantt chart and save it to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    missed = run_misses(instance, schedule, run)
    lanes = [(GPU, "planned"), (GPU, "actual"), (CPU, "planned"), (CPU, "actual")]
    rows = {lane: i for i, lane in enumerate(reversed(lanes))}
    cmap = plt.get_cmap("tab20")
    color = {j.id: cmap(i % 20) for i, j in enumerate(instance.jobs)}
    fig, ax = plt.subplots(figsize=(12, 3.2))
    for s in run.stages:
        for kind, start, end in (("planned", s.planned_start, s.planned_end),
                                 ("actual", s.actual_start, s.actual_end)):
            y = rows[(s.processor, kind)]
            edge = "red" if missed.get(s.job) else "black"
            ax.barh(y, max(end - start, 1), left=start, height=0.7, color=color[s.job],
                    edgecolor=edge, linewidth=0.8)
            if end - start > 0:
                ax.text(start + (end - start) / 2, y, s.job, ha="center", va="center",
                        fontsize=6, clip_on=True)
    for job in instance.jobs:
        ax.axvline(job.deadline, color=color[job.id], linewidth=0.4, linestyle=":")
    ax.set_yticks(range(len(lanes)))
    ax.set_yticklabels([f"{p.upper()} {k}" for p, k in reversed(lanes)])
    ax.set_xlabel("time (us)")
    h = run.header
    title = (f"{h.instance_id} / {h.solver}: backend {h.backend}, policy {h.policy}, "
             f"run {h.run}")
    if h.gpu_lane_note:
        title += f"\n{h.gpu_lane_note}"
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    tmp = f"{os.fspath(path)}.tmp.png"
    try:
        fig.savefig(tmp, dpi=120)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        if os.path.exists(tmp):
            os.unlink(tmp)
