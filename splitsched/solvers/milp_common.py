"""What every exact backend shares: the one decoder, warm starts, bounds.

The decoder trusts only the discrete part of a backend's answer (the chosen
cuts and the order of the stages on each processor) and recomputes integer
start times with :func:`splitsched.solvers.timing.earliest_schedule`. Floating
point noise in a backend's start times can therefore never reach
``evaluate``; since the earliest schedule of fixed cuts and orders is never
later than any feasible one, no on-time job is lost by the repair (a job that
still misses, which only noise beyond a microsecond could cause, is dropped).
Zero-length stages occupy no processor: ``earliest_schedule`` starts them at
their own ready time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
import time
from collections.abc import Iterator, Mapping, Sequence

import numpy as np

from splitsched.evaluate import evaluate
from splitsched.formulations.milp import MilpModel
from splitsched.problem import Instance, Schedule
from splitsched.solvers.base import all_dropped, get_solver, solve
from splitsched.solvers.timing import earliest_schedule

WARM_START_SOLVERS = ("dp-edf", "edf-greedy-cut")
# Share of an exact solver's time limit its dp-edf warm start may use: the DP's
# exact pass can take seconds on large overloaded batches, and a hint from its
# cut-short first pass is weaker.
WARM_START_SHARE = 0.3
EPS = 1e-6


def misses_bound(total_weight: int, on_time_bound: float | None) -> float | None:
    """Turn an upper bound on on-time weight into a lower bound on weighted misses."""
    if on_time_bound is None or not math.isfinite(on_time_bound):
        return None
    return float(max(0, total_weight - math.floor(on_time_bound + EPS)))


def on_time_weight(instance: Instance, schedule: Schedule) -> int:
    """Weight of the jobs that ``schedule`` completes on time (as evaluated)."""
    return instance.total_weight - evaluate(instance, schedule).weighted_misses


def _stage_order(ends: dict[str, float]) -> list[str]:
    """Jobs in the order of their stage ends (disjoint stages: the order of their starts)."""
    return sorted(ends, key=lambda jid: (ends[jid], jid))


def repair(instance: Instance, solver: str, cuts: dict[str, int | None],
           gpu_ends: dict[str, float], cpu_ends: dict[str, float]) -> Schedule:
    """Earliest integer schedule of the given cuts in the orders given by stage ends.

    Jobs that then miss their deadline are dropped and the schedule recomputed
    until every kept job is on time.
    """
    while True:
        sched = earliest_schedule(
            instance, solver, cuts,
            _stage_order({j: t for j, t in gpu_ends.items() if cuts.get(j) is not None}),
            _stage_order({j: t for j, t in cpu_ends.items() if cuts.get(j) is not None}))
        ev = evaluate(instance, sched)
        late = [j for j, k in cuts.items() if k is not None and not ev.on_time[j]]
        if not late:
            return sched
        for j in late:
            cuts[j] = None


def decode(instance: Instance, model: MilpModel, values: Mapping[str, float] | Sequence[float]
           | np.ndarray, solver: str) -> Schedule:
    """Turn a backend's variable values into a feasible Schedule.

    Parameters
    ----------
    values:
        Column values by name, or an array in ``model.variables`` order.
    """
    if isinstance(values, Mapping):
        named = values
        val = [float(named.get(v.name, 0.0) or 0.0) for v in model.variables]
    else:
        val = [float(v) for v in values]
    cuts: dict[str, int | None] = {j.id: None for j in instance.jobs}
    gpu_ends: dict[str, float] = {}
    cpu_ends: dict[str, float] = {}
    for w in model.windows:
        chosen = [k for k in w.cuts if val[model.y[w.index, k]] > 0.5]
        if not chosen:
            continue
        k = chosen[0]
        jid = w.job.id
        cuts[jid] = k
        if k > 0:
            gpu_ends[jid] = val[model.gpu_start[w.index]] + w.a(k)
        if k < w.stages.num_layers:
            cpu_ends[jid] = val[model.cpu_start[w.index]] + w.b(k)
    return repair(instance, solver, cuts, gpu_ends, cpu_ends)


def warm_start(instance: Instance, time_limit_s: float, seed: int) -> tuple[Schedule, str]:
    """A good feasible schedule to start from: dp-edf if registered, else edf-greedy-cut.

    Returns the schedule (every job dropped if both fail) and the solver used.
    """
    for name in WARM_START_SOLVERS:
        try:
            get_solver(name)
        except KeyError:
            continue
        res = solve(instance, name, time_limit_s=max(time_limit_s, 1e-3), seed=seed, threads=1)
        if res.schedule is not None and res.status != "error":
            return res.schedule, name
    return all_dropped(instance, "none"), "none"


def on_time_plans(instance: Instance, schedule: Schedule) -> dict[str, tuple[int, int | None,
                                                                         int | None]]:
    """Job id -> (cut, gpu_start, cpu_start) for the jobs ``schedule`` has on time."""
    ev = evaluate(instance, schedule)
    out: dict[str, tuple[int, int | None, int | None]] = {}
    for plan in schedule.plans:
        if plan.cut is not None and ev.on_time.get(plan.job, False):
            out[plan.job] = (plan.cut, plan.gpu_start, plan.cpu_start)
    return out


def warm_start_values(instance: Instance, model: MilpModel, schedule: Schedule) -> dict[str, float]:
    """Values of every model column that reproduce ``schedule`` (its on-time jobs).

    Absent stages sit at their lower bound; an order binary is 1 when the
    first job's stage ends before the second's starts or either is absent,
    which satisfies every row of :func:`~splitsched.formulations.milp.build_milp`
    for a feasible schedule.
    """
    plans = on_time_plans(instance, schedule)
    vals = {v.name: v.lower for v in model.variables}
    gpu_span: dict[int, tuple[float, float]] = {}
    cpu_span: dict[int, tuple[float, float]] = {}
    for w in model.windows:
        plan = plans.get(w.job.id)
        if plan is None or plan[0] not in w.cuts:
            continue
        k, g, c = plan
        vals[model.variables[model.y[w.index, k]].name] = 1.0
        if g is not None:
            vals[f"sg_{w.index}"] = float(g)
            if k in w.gpu_busy_cuts:
                gpu_span[w.index] = (g, g + w.a(k))
        if c is not None:
            vals[f"sc_{w.index}"] = float(c)
            if k in w.cpu_busy_cuts:
                cpu_span[w.index] = (c, c + w.b(k))
    for orders, spans in ((model.gpu_order, gpu_span), (model.cpu_order, cpu_span)):
        for (i, j), col in orders.items():
            first = i not in spans or j not in spans or spans[i][1] <= spans[j][0]
            vals[model.variables[col].name] = 1.0 if first else 0.0
    return vals


def relabel(schedule: Schedule, solver: str) -> Schedule:
    """The same plans, credited to ``solver``."""
    return dataclasses.replace(schedule, solver=solver)


def better_of(instance: Instance, found: Schedule | None, fallback: Schedule) -> Schedule:
    """The schedule with more on-time weight (``found`` on ties)."""
    if found is None:
        return fallback
    return found if on_time_weight(instance, found) >= on_time_weight(instance, fallback) \
        else fallback


@contextlib.contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Send what native solver code prints (HiGHS' banner) to /dev/null.

    HiGHS writes to file descriptor 1 from C++ even when asked to be quiet,
    which would corrupt ``splitsched solve --json``'s one-object stdout.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def remaining(deadline: float) -> float:
    """Seconds left until ``deadline`` (a ``time.perf_counter`` value), at least 0.05."""
    return max(0.05, deadline - time.perf_counter())
