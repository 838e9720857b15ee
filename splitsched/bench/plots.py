"""Report plots (PNG, matplotlib's Agg backend, no display needed).

* performance profile of runtime (Dolan and More 2002): a *problem* is an
  (instance, seed) pair; a run counts as having solved it when it reaches the
  instance's best known misses, otherwise its time is infinite; runtimes are
  floored at :data:`TIME_FLOOR_S` so that microsecond timer noise does not
  dominate the ratios;
* miss rate against load, gap against number of jobs, runtime against number
  of jobs (log scale), per solver;
* a Gantt chart of one instance under several solvers, GPU and CPU lanes,
  hand-offs drawn from the GPU stage's end to the CPU stage's start, late
  jobs hatched red with their deadline marked, dropped jobs listed.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from splitsched.bench.certify import Certification, is_solved
from splitsched.bench.records import RunRecord
from splitsched.bench.tables import stats_runtime
from splitsched.evaluate import evaluate
from splitsched.problem import CPU, GPU, Instance, Schedule

TIME_FLOOR_S = 1e-4
_MARKERS = "os^Dv<>px*h"


def save_figure(fig: Figure, path: Path) -> None:
    """Write a PNG atomically and close the figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110, bbox_inches="tight")
    plt.close(fig)
    os.replace(tmp, path)


def _missed(r: RunRecord) -> int:
    assert r.missed is not None
    return r.missed


def _solvers(cert: Certification) -> list[str]:
    return sorted({m.record.solver for m in cert.runs})


def performance_profile(cert: Certification, path: Path) -> None:
    """Fraction of problems each solver solves within a factor tau of the fastest."""
    times: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for m in cert.runs:
        r = m.record
        key = (r.instance_sha256, int(r.seed))
        t = max(stats_runtime(r), TIME_FLOOR_S) if m.best_found else math.inf
        times[key][r.solver] = min(t, times[key].get(r.solver, math.inf))
    solvers = _solvers(cert)
    ratios: dict[str, list[float]] = {s: [] for s in solvers}
    for per in times.values():
        best = min(per.values(), default=math.inf)
        for s in solvers:
            t = per.get(s, math.inf)
            ratios[s].append(t / best if math.isfinite(best) and math.isfinite(t) else math.inf)
    finite = [x for v in ratios.values() for x in v if math.isfinite(x)]
    tau_max = max(2.0, max(finite, default=1.0) * 2.0)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    n = max(len(times), 1)
    for i, s in enumerate(solvers):
        xs = sorted(x for x in ratios[s] if math.isfinite(x))
        taus = [1.0, *xs, tau_max]
        fracs = [sum(1 for x in xs if x <= t) / n for t in taus]
        ax.step(taus, fracs, where="post", label=s, marker=_MARKERS[i % len(_MARKERS)],
                markevery=[0], linewidth=1.6)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1.0, tau_max)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("tau (runtime / fastest runtime that reached the best known misses)")
    ax.set_ylabel("fraction of problems")
    ax.set_title(f"Performance profile of runtime ({len(times)} instance-seed problems)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    save_figure(fig, path)


def _scatter_by_solver(cert: Certification, path: Path, x_of: Any, y_of: Any, xlabel: str,
                       ylabel: str, title: str, logy: bool = False,
                       solved_only: bool = True) -> None:
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for i, s in enumerate(_solvers(cert)):
        pts: dict[float, list[float]] = defaultdict(list)
        for m in cert.runs:
            r = m.record
            if r.solver != s or (solved_only and not is_solved(r)):
                continue
            x, y = x_of(m), y_of(m)
            if x is None or y is None or not math.isfinite(float(x)):
                continue
            pts[float(x)].append(float(y))
        if not pts:
            continue
        xs = sorted(pts)
        means = [sum(pts[x]) / len(pts[x]) for x in xs]
        ax.plot(xs, means, marker=_MARKERS[i % len(_MARKERS)], label=s, linewidth=1.2,
                markersize=5, alpha=0.9)
    if logy:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    save_figure(fig, path)


def miss_rate_vs_load(cert: Certification, path: Path) -> None:
    """Mean miss rate of solved runs against instance load, per solver."""
    _scatter_by_solver(cert, path, lambda m: m.record.load,
                       lambda m: m.record.miss_rate, "load (from generator parameters, "
                       "else best-cut work / horizon)", "miss rate (mean over solved runs)",
                       "Miss rate against load")


def gap_vs_jobs(cert: Certification, path: Path) -> None:
    """Mean gap to the best known misses against the number of jobs, per solver."""
    _scatter_by_solver(cert, path, lambda m: m.record.n_jobs, lambda m: m.gap_best,
                       "number of jobs", "gap to best known (weighted misses, mean)",
                       "Gap against number of jobs")


def runtime_vs_jobs(cert: Certification, path: Path) -> None:
    """Mean runtime (failed runs at their time limit) against number of jobs, log scale."""
    _scatter_by_solver(cert, path, lambda m: m.record.n_jobs,
                       lambda m: max(stats_runtime(m.record), TIME_FLOOR_S),
                       "number of jobs", "runtime (s, mean; failed runs at the time limit)",
                       "Runtime against number of jobs", logy=True, solved_only=False)


def choose_gantt_instance(cert: Certification, max_jobs: int = 40) -> str | None:
    """The instance whose solvers disagree most (smaller first on ties): the telling one."""
    spread: dict[str, tuple[int, int]] = {}
    for sha, c in cert.instances.items():
        vals = [_missed(m.record) for m in cert.runs
                if m.record.instance_sha256 == sha and is_solved(m.record)]
        if not vals:
            continue
        penalty = 0 if c.n_jobs <= max_jobs else 1
        spread[sha] = (penalty * 10**9 - (max(vals) - min(vals)), c.n_jobs)
    return min(spread, key=lambda k: spread[k]) if spread else None


def gantt(instance: Instance, schedules: Sequence[Schedule], path: Path,
          titles: Sequence[str] | None = None) -> None:
    """One subplot per schedule, GPU and CPU lanes, hand-offs and misses marked."""
    n = max(len(schedules), 1)
    fig, axes = plt.subplots(n, 1, figsize=(11, 1.9 * n + 0.8), sharex=True, squeeze=False)
    cmap = plt.get_cmap("tab20")
    color = {j.id: cmap(i % 20) for i, j in enumerate(instance.jobs)}
    deadline = {j.id: j.deadline for j in instance.jobs}
    lanes = {GPU: 1.0, CPU: 0.0}
    height = 0.6
    horizon = max((j.deadline for j in instance.jobs), default=1)
    for idx, sched in enumerate(schedules):
        ax = axes[idx][0]
        ev = evaluate(instance, sched)
        ends: dict[str, dict[str, tuple[int, int]]] = defaultdict(dict)
        for st in ev.stages:
            late = not ev.on_time.get(st.job, False)
            y = lanes[st.processor] - height / 2
            ax.broken_barh([(st.start, max(st.end - st.start, 0))], (y, height),
                           facecolors="#f4a6a6" if late else color[st.job],
                           edgecolors="#c00000" if late else "black",
                           hatch="///" if late else None, linewidth=0.6)
            if st.end - st.start > horizon / 40:
                ax.text((st.start + st.end) / 2, lanes[st.processor], st.job, ha="center",
                        va="center", fontsize=6, clip_on=True)
            ends[st.job][st.processor] = (st.start, st.end)
            horizon = max(horizon, st.end)
        for job, procs in ends.items():
            if GPU in procs and CPU in procs:
                ax.annotate("", xy=(procs[CPU][0], lanes[CPU] + height / 2),
                            xytext=(procs[GPU][1], lanes[GPU] - height / 2),
                            arrowprops={"arrowstyle": "->", "color": "#555555", "lw": 0.7})
            if not ev.on_time.get(job, False):
                ax.axvline(deadline[job], color="#c00000", linestyle=":", linewidth=0.8)
        dropped = [p.job for p in sched.plans if p.dropped]
        label = titles[idx] if titles else sched.solver
        drop_txt = f"; dropped: {', '.join(dropped[:12])}{' ...' if len(dropped) > 12 else ''}" \
            if dropped else ""
        ax.set_title(f"{label}: {ev.weighted_misses} missed of {instance.num_jobs}{drop_txt}",
                     fontsize=9, loc="left")
        ax.set_yticks([lanes[CPU], lanes[GPU]], ["CPU", "GPU"])
        ax.set_ylim(-0.6, 1.6)
        ax.grid(True, axis="x", alpha=0.3)
    axes[-1][0].set_xlim(0, horizon * 1.02)
    axes[-1][0].set_xlabel("time (us); arrows: hand-off GPU->CPU; red hatched: late; "
                           "dotted red: its deadline")
    fig.suptitle(f"Instance {instance.id}", fontsize=11)
    save_figure(fig, path)


def all_plots(cert: Certification, report_dir: Path,
              gantt_input: tuple[Instance, Sequence[Schedule]] | None) -> Mapping[str, Path]:
    """Draw every plot into ``report_dir``; returns name -> PNG path."""
    out = {"performance_profile": report_dir / "performance_profile.png",
           "miss_rate_vs_load": report_dir / "miss_rate_vs_load.png",
           "gap_vs_jobs": report_dir / "gap_vs_jobs.png",
           "runtime_vs_jobs": report_dir / "runtime_vs_jobs.png"}
    performance_profile(cert, out["performance_profile"])
    miss_rate_vs_load(cert, out["miss_rate_vs_load"])
    gap_vs_jobs(cert, out["gap_vs_jobs"])
    runtime_vs_jobs(cert, out["runtime_vs_jobs"])
    if gantt_input is not None:
        path = report_dir / "gantt.png"
        gantt(gantt_input[0], gantt_input[1], path)
        out = {**out, "gantt": path}
    return out
