"""Measured against planned: misses, lateness and stage prediction error.

The planned numbers always come from :func:`splitsched.evaluate.evaluate`;
the measured ones from a trace (a job's completion is the end of its last
executed stage; a dropped job is a miss in both). A trace is checked against
the instance and schedule it claims to replay (:func:`check_trace`) before
anything is counted. :func:`compare` streams: its memory grows with the
number of jobs and a bounded sample, not with the number of runs.
"""

from __future__ import annotations

import math
import os
import random
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from splitsched.evaluate import evaluate
from splitsched.io import InputError, instance_sha256, schedule_sha256
from splitsched.problem import Instance, Schedule
from splitsched.replay.dispatch import lane_programs
from splitsched.replay.trace import TraceFile, TraceRun, TraceStamp, TraceWriter

PERCENTILES = (50, 90, 95, 99)
# Percentiles of stage errors are exact up to this many values, then computed from a
# uniform reservoir sample of this size (mean, mean |err|, min and max stay exact).
SAMPLE_CAP = 200_000
# The per-run list of the report is kept up to this many runs (the per-run misses feed
# the miss-rate mean and p95 at any count).
PER_RUN_CAP = 10_000


def expected_stages(instance: Instance, schedule: Schedule) -> set[tuple[str, str, int]]:
    """(job, processor, cut) of every stage one replay of ``schedule`` runs."""
    lanes = lane_programs(instance, schedule)
    return {(st.job, st.processor, st.cut) for lane in lanes.values() for st in lane}


def check_trace(trace: TraceFile, instance: Instance, schedule: Schedule,
                path: str | os.PathLike[str] | None = None) -> None:
    """Refuse a trace that is not a replay of ``schedule`` on ``instance``.

    Raises
    ------
    InputError
        Another instance or schedule (ids or hashes differ), or a run whose
        stages are not exactly the schedule's (unknown jobs, a stage on the
        wrong processor or cut, missing or repeated stages), or a stage that
        starts before its job's release.
    """
    if trace.stamp.instance_sha256 != instance_sha256(instance):
        raise InputError(path, "instance_sha256", "trace was made for another instance (or "
                                                  "another version of it)")
    if trace.stamp.schedule_sha256 != schedule_sha256(schedule):
        raise InputError(path, "schedule_sha256", "trace replays another schedule")
    expected = expected_stages(instance, schedule)
    for run in trace.runs:
        h = run.header
        if h.instance_id != instance.id:
            raise InputError(path, "instance_id",
                             f"trace is for instance {h.instance_id!r}, not {instance.id!r}")
        if h.solver != schedule.solver:
            raise InputError(path, "solver", f"trace replays a schedule by {h.solver!r}, not "
                                             f"{schedule.solver!r}")
        got = [(s.job, s.processor, s.cut) for s in run.stages]
        if len(got) != len(set(got)) or set(got) != expected:
            extra = sorted(set(got) - expected)[:3]
            missing = sorted(expected - set(got))[:3]
            raise InputError(path, f"run {h.run}", "stages differ from the schedule's: "
                             f"unexpected {extra}, missing {missing}"
                             + (", repeated stages" if len(got) != len(set(got)) else ""))
        for s in run.stages:  # a replay waits for each job's release (replay/dispatch.py)
            release = instance.jobs[instance.job_index[s.job]].release
            if s.actual_start < release:
                raise InputError(path, f"run {h.run}", f"the {s.processor} stage of job "
                                 f"{s.job!r} starts at {s.actual_start} us, before the job's "
                                 f"release at {release} us: no replay runs a job before it "
                                 f"is released (an edited or foreign trace?)")


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


class _Dist:
    """Exact count, mean, mean |x|, min, max; percentiles exact up to ``cap`` values, then
    from a uniform reservoir sample of ``cap`` values (seeded: reports are reproducible)."""

    def __init__(self, cap: int = SAMPLE_CAP, seed: int = 0) -> None:
        self.n = 0
        self.total = 0.0
        self.total_abs = 0.0
        self.lo = math.inf
        self.hi = -math.inf
        self.cap = cap
        self.sample: list[float] = []
        self._rng = random.Random(seed)

    def add(self, x: float) -> None:
        self.n += 1
        self.total += x
        self.total_abs += abs(x)
        self.lo = min(self.lo, x)
        self.hi = max(self.hi, x)
        if len(self.sample) < self.cap:
            self.sample.append(x)
        else:
            j = self._rng.randrange(self.n)
            if j < self.cap:
                self.sample[j] = x

    def summary(self) -> dict[str, float | None]:
        if not self.n:
            return {"n": 0, "mean": None, "mean_abs": None,
                    **{f"p{p}": None for p in PERCENTILES}, "sample": 0}
        arr = np.asarray(self.sample, dtype=float)
        out: dict[str, float | None] = {"n": float(self.n), "mean": self.total / self.n,
                                        "mean_abs": self.total_abs / self.n,
                                        "min": self.lo, "max": self.hi}
        for p in PERCENTILES:
            out[f"p{p}"] = float(np.percentile(arr, p))
        out["sample"] = float(arr.size)
        return out


def compare(instance: Instance, schedule: Schedule, runs: Iterable[TraceRun], *,
            on_run: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Summarise replay runs against the plan, one run at a time.

    Parameters
    ----------
    runs:
        Any iterable of runs (a list, or :func:`~splitsched.replay.sim.iter_simulate`).
    on_run:
        Called with the number of runs counted so far (progress display).

    Returns
    -------
    dict
        ``planned`` (misses, miss_rate as evaluated), ``measured`` (per run
        misses and miss rate, the list up to :data:`PER_RUN_CAP` runs; mean
        and p95 of the miss rate), ``jobs`` (per job: deadline, planned and
        mean measured completion, mean and max lateness, probability of a
        miss), ``stage_error_us`` (actual minus planned stage duration:
        mean, mean_abs, min, max exact; percentiles from at most
        :data:`SAMPLE_CAP` values, ``sample`` says how many; overall and per
        processor), ``start_delay_us``, ``gpu_lane`` notes from the headers.

    Raises
    ------
    ValueError
        No runs.
    """
    ev = evaluate(instance, schedule)
    n = instance.num_jobs
    per_run_misses = array("q")
    per_run_index = array("q")
    miss_count = {j.id: 0 for j in instance.jobs}
    c_sum: dict[str, int] = {j.id: 0 for j in instance.jobs}
    c_n: dict[str, int] = {j.id: 0 for j in instance.jobs}
    c_max: dict[str, int] = {}
    errors = {"all": _Dist(), "gpu": _Dist(seed=1), "cpu": _Dist(seed=2)}
    start_delay = _Dist(seed=3)
    first: TraceRun | None = None
    notes: set[str] = set()
    count = 0
    for run in runs:
        first = first or run
        if run.header.gpu_lane_note:
            notes.add(run.header.gpu_lane_note)
        missed = run_misses(instance, schedule, run)
        for jid, m in missed.items():
            miss_count[jid] += int(m)
        for jid, c in run.completion().items():
            if jid in c_sum:
                c_sum[jid] += c
                c_n[jid] += 1
                c_max[jid] = max(c_max.get(jid, c), c)
        per_run_misses.append(sum(missed.values()))
        per_run_index.append(run.header.run)
        for s in run.stages:
            err = float(s.actual_duration - s.planned_duration)
            errors["all"].add(err)
            errors[s.processor].add(err)
            start_delay.add(float(s.actual_start - s.planned_start))
        count += 1
        if on_run is not None:
            on_run(count)
    if first is None:
        raise ValueError("no runs to compare")
    misses_arr = np.asarray(per_run_misses, dtype=float)
    rates = misses_arr / n if n else np.zeros(count)
    jobs: list[dict[str, Any]] = []
    for job in instance.jobs:
        k = c_n[job.id]
        mean_c = c_sum[job.id] / k if k else None
        jobs.append({
            "job": job.id, "deadline": job.deadline,
            "planned_completion": ev.completion[job.id],
            "planned_on_time": ev.on_time[job.id],
            "measured_completion_mean": mean_c,
            "lateness_mean": (mean_c - job.deadline) if mean_c is not None else None,
            "lateness_max": (c_max[job.id] - job.deadline) if k else None,
            "miss_probability": miss_count[job.id] / count,
        })
    per_run = [{"run": int(r), "misses": int(m), "miss_rate": int(m) / n if n else 0.0}
               for r, m in zip(per_run_index[:PER_RUN_CAP], per_run_misses[:PER_RUN_CAP],
                               strict=True)]
    return {
        "instance_id": instance.id, "solver": schedule.solver,
        "backend": first.header.backend, "policy": first.header.policy,
        "gpu_lane": first.header.gpu_lane, "notes": sorted(notes),
        "runs": count,
        "planned": {"misses": ev.misses, "miss_rate": ev.miss_rate, "feasible": ev.feasible,
                    "makespan": ev.makespan},
        "measured": {"miss_rate_mean": float(rates.mean()),
                     "miss_rate_p95": float(np.percentile(rates, 95)),
                     "misses_mean": float(misses_arr.mean()),
                     "per_run": per_run,
                     "per_run_truncated": count > PER_RUN_CAP},
        "jobs": jobs,
        "stage_error_us": {k: d.summary() for k, d in errors.items()},
        "start_delay_us": start_delay.summary(),
    }


def replay_and_compare(instance: Instance, schedule: Schedule, runs: Iterable[TraceRun], *,
                       total_runs: int, trace_path: str | os.PathLike[str] | None = None,
                       on_run: Callable[[int], None] | None = None) -> dict[str, Any]:
    """Consume replay runs once: stream them into a trace file (if asked) and compare.

    Memory does not grow with ``total_runs``; the trace file appears only
    when every run is in (:class:`~splitsched.replay.trace.TraceWriter`).
    """
    if trace_path is None:
        return compare(instance, schedule, runs, on_run=on_run)
    with TraceWriter(trace_path, TraceStamp.of(instance, schedule, total_runs)) as writer:

        def tee() -> Iterator[TraceRun]:
            for run in runs:
                writer.add(run)
                yield run

        return compare(instance, schedule, tee(), on_run=on_run)


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
