"""Measured against planned: misses, lateness and stage prediction error.

The planned numbers always come from :func:`splitsched.evaluate.evaluate`;
the measured ones from a trace (a job's completion is the end of its last
executed stage; a dropped job is a miss in both).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from splitsched.evaluate import evaluate
from splitsched.problem import Instance, Schedule
from splitsched.replay.trace import TraceRun

PERCENTILES = (50, 90, 95, 99)


def run_misses(instance: Instance, schedule: Schedule, run: TraceRun) -> dict[str, bool]:
    """Per job: did it miss in this run (dropped, not run, or late)?"""
    done = run.completion()
    plans = schedule.plan_by_job
    missed: dict[str, bool] = {}
    for job in instance.jobs:
        plan = plans.get(job.id)
        if plan is None or plan.cut is None or job.id not in done:
            missed[job.id] = True
        else:
            missed[job.id] = done[job.id] > job.deadline
    return missed


def _dist(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"n": 0, "mean": None, "mean_abs": None,
                **{f"p{p}": None for p in PERCENTILES}}
    arr = np.asarray(values, dtype=float)
    out: dict[str, float | None] = {"n": float(arr.size), "mean": float(arr.mean()),
                                    "mean_abs": float(np.abs(arr).mean()),
                                    "min": float(arr.min()), "max": float(arr.max())}
    for p in PERCENTILES:
        out[f"p{p}"] = float(np.percentile(arr, p))
    return out


def compare(instance: Instance, schedule: Schedule, runs: list[TraceRun]) -> dict[str, Any]:
    """Summarise replay runs against the plan.

    Returns
    -------
    dict
        ``planned`` (misses, miss_rate as evaluated), ``measured`` (per run
        misses and miss rate; mean and p95 of the miss rate), ``jobs`` (per
        job: deadline, planned and mean measured completion, mean lateness,
        probability of a miss), ``stage_error_us`` (actual minus planned stage
        duration: mean, mean_abs, percentiles; overall and per processor),
        ``gpu_lane`` notes from the trace headers.
    """
    if not runs:
        raise ValueError("no runs to compare")
    ev = evaluate(instance, schedule)
    n = instance.num_jobs
    per_run: list[dict[str, Any]] = []
    miss_count = {j.id: 0 for j in instance.jobs}
    completions: dict[str, list[int]] = {j.id: [] for j in instance.jobs}
    errors: dict[str, list[float]] = {"all": [], "gpu": [], "cpu": []}
    start_delay: list[float] = []
    for run in runs:
        missed = run_misses(instance, schedule, run)
        for jid, m in missed.items():
            miss_count[jid] += int(m)
        for jid, c in run.completion().items():
            completions.setdefault(jid, []).append(c)
        misses = sum(missed.values())
        per_run.append({"run": run.header.run, "misses": misses,
                        "miss_rate": misses / n if n else 0.0})
        for s in run.stages:
            err = float(s.actual_duration - s.planned_duration)
            errors["all"].append(err)
            errors.setdefault(s.processor, []).append(err)
            start_delay.append(float(s.actual_start - s.planned_start))
    rates = np.asarray([r["miss_rate"] for r in per_run], dtype=float)
    jobs: list[dict[str, Any]] = []
    for job in instance.jobs:
        cs = completions.get(job.id, [])
        mean_c = float(np.mean(cs)) if cs else None
        jobs.append({
            "job": job.id, "deadline": job.deadline,
            "planned_completion": ev.completion[job.id],
            "planned_on_time": ev.on_time[job.id],
            "measured_completion_mean": mean_c,
            "lateness_mean": (mean_c - job.deadline) if mean_c is not None else None,
            "lateness_max": (max(cs) - job.deadline) if cs else None,
            "miss_probability": miss_count[job.id] / len(runs),
        })
    notes = sorted({r.header.gpu_lane_note for r in runs if r.header.gpu_lane_note})
    return {
        "instance_id": instance.id, "solver": schedule.solver,
        "backend": runs[0].header.backend, "policy": runs[0].header.policy,
        "gpu_lane": runs[0].header.gpu_lane, "notes": notes,
        "runs": len(runs),
        "planned": {"misses": ev.misses, "miss_rate": ev.miss_rate, "feasible": ev.feasible,
                    "makespan": ev.makespan},
        "measured": {"miss_rate_mean": float(rates.mean()),
                     "miss_rate_p95": float(np.percentile(rates, 95)),
                     "misses_mean": float(np.mean([r["misses"] for r in per_run])),
                     "per_run": per_run},
        "jobs": jobs,
        "stage_error_us": {k: _dist(v) for k, v in errors.items()},
        "start_delay_us": _dist(start_delay),
    }


def format_report(report: dict[str, Any]) -> list[str]:
    """The comparison as short text lines for the terminal."""
    p, m = report["planned"], report["measured"]
    lines = [f"instance {report['instance_id']}  solver {report['solver']}  "
             f"backend {report['backend']}  policy {report['policy']}  runs {report['runs']}"]
    lines += [f"note: {note}" for note in report["notes"]]
    lines.append(f"planned:  misses {p['misses']}  miss rate {p['miss_rate']:.3f}")
    lines.append(f"measured: misses (mean) {m['misses_mean']:.2f}  miss rate mean "
                 f"{m['miss_rate_mean']:.3f}  p95 {m['miss_rate_p95']:.3f}")
    err = report["stage_error_us"]["all"]
    if err["n"]:
        lines.append(f"stage prediction error (actual - planned duration, us): mean "
                     f"{err['mean']:.1f}  mean |err| {err['mean_abs']:.1f}  p50 {err['p50']:.1f}"
                     f"  p95 {err['p95']:.1f}  max {err['max']:.1f}")
    late = [j for j in report["jobs"] if j["miss_probability"] > 0]
    lines.append(f"jobs that missed in some run: {len(late)} of {len(report['jobs'])}")
    for j in late[:20]:
        lat = j["lateness_mean"]
        lat_s = f"{lat:+.0f} us" if lat is not None else "not run"
        lines.append(f"  {j['job']}: P(miss) {j['miss_probability']:.2f}  mean lateness "
                     f"{lat_s}  planned on time: {j['planned_on_time']}")
    return lines
