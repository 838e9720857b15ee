"""MILP columns <-> schedules: the one decoder and the warm-start values.

The decoder trusts only the discrete part of a backend's answer (the chosen
cuts and the order of the stages on each processor) and recomputes integer
start times with :func:`splitsched.solvers.timing.earliest_schedule`.
Floating-point noise in a backend's start times can therefore never reach
``evaluate``; the earliest schedule of fixed cuts and orders is never later
than any feasible one, so no on-time job is lost (a job that still ends late,
which only noise beyond a microsecond could cause, counts as a miss when the
harness evaluates it). Zero-length stages occupy no processor:
``earliest_schedule`` starts them at their own ready time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from splitsched.formulations.milp import MilpModel
from splitsched.problem import Instance, Schedule
from splitsched.solvers.exact import start_plans
from splitsched.solvers.timing import earliest_schedule


def _stage_order(ends: dict[str, float]) -> list[str]:
    """Jobs in the order of their stage ends (disjoint stages: the order of their starts)."""
    return sorted(ends, key=lambda jid: (ends[jid], jid))


def decode(instance: Instance, model: MilpModel, values: Mapping[str, float] | Sequence[float]
           | np.ndarray, solver: str) -> Schedule:
    """Turn a backend's column values into a feasible Schedule.

    Parameters
    ----------
    values:
        Column values by name, or an array in ``model.variables`` order.
    """
    if isinstance(values, Mapping):
        val = [float(values.get(v.name, 0.0) or 0.0) for v in model.variables]
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
    return earliest_schedule(instance, solver, cuts, _stage_order(gpu_ends),
                             _stage_order(cpu_ends))


def start_values(model: MilpModel, schedule: Schedule) -> dict[str, float]:
    """Values of every model column that reproduce a warm start (its kept jobs).

    ``schedule`` must keep on-time jobs only (the harness's warm starts do).
    Absent stages sit at their lower bound; an order binary is 1 when the
    first job's stage ends before the second's starts or either is absent,
    which satisfies every row of :func:`~splitsched.formulations.milp.build_milp`
    for a feasible schedule.
    """
    plans = start_plans(schedule)
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
