"""MILP columns <-> schedules (the one decoder, the warm-start values) and the
one driver every MILP backend runs through (:func:`drive_milp`).

The decoder trusts only the discrete part of a backend's answer (the chosen
cuts and the order of the stages on each processor) and recomputes integer
start times with :func:`splitsched.solvers.timing.earliest_schedule`.
Floating-point noise in a backend's start times can therefore never reach
``evaluate``; the earliest schedule of fixed cuts and orders is never later
than any feasible one, so no on-time job is lost (a job that still ends late,
which only noise beyond a microsecond could cause, counts as a miss when the
harness evaluates it). Zero-length stages occupy no processor:
``earliest_schedule`` starts them at their own ready time.

The driver holds what the backends (``milp-pulp-*``, ``milp-ortools-*``)
share: the time budget (the limit covers building and loading the model,
which stop at :func:`~splitsched.formulations.milp.build_deadline`; the
backend gets all but :data:`~splitsched.solvers.confirm.CONFIRM_SHARE` of
what is left and is not started with less than :data:`MIN_BACKEND_S`) and
the claim tail (the backend's bound on on-time weight turned into a bound
on misses, then re-checked by CP-SAT with
:func:`~splitsched.solvers.confirm.confirm_bound`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np

from splitsched.formulations.milp import (
    DEFAULT_MILP_SETTINGS,
    BuildTimeout,
    MilpModel,
    MilpSettings,
    build_deadline,
    build_milp,
)
from splitsched.problem import Instance, Schedule
from splitsched.solvers.base import SolverOutput, SolveStatus
from splitsched.solvers.confirm import CONFIRM_SHARE, confirm_bound
from splitsched.solvers.exact import misses_bound, start_plans
from splitsched.solvers.timing import earliest_schedule

# The backend is not started with less than this many seconds left after building.
MIN_BACKEND_S = 0.05


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


@dataclass(frozen=True)
class BackendAnswer:
    """What a MILP backend's run ended with (the driver decodes and checks it).

    Attributes
    ----------
    values:
        The solution's column values (by name, or in ``model.variables``
        order), or None when the backend holds no solution (the warm start
        is then the answer).
    status:
        ``OPTIMAL`` (the backend claims a proof) or ``TIMEOUT``; ignored when
        ``error`` is set.
    bound_on_time:
        The backend's upper bound on the on-time weight, or None.
    error:
        The backend's failure in words (status ``error``), or None.
    """

    values: Mapping[str, float] | Sequence[float] | None
    status: SolveStatus = SolveStatus.TIMEOUT
    bound_on_time: float | None = None
    error: str | None = None


class MilpBackend(Protocol):
    """One MILP backend as :func:`drive_milp` runs it, in this order.

    ``open`` (before building), ``load`` (copy the model in; may raise
    :class:`~splitsched.formulations.milp.BuildTimeout` at ``deadline``),
    ``start`` (warm start, seed, threads), ``run`` (search for at most
    ``limit_s`` seconds, adding its facts to ``stats``). An exception from
    any of them is handed to ``failed``, which returns the answer or
    re-raises; ``in_run`` tells whether it came from ``run``.
    """

    def open(self) -> None: ...

    def load(self, model: MilpModel, *, deadline: float) -> None: ...

    def start(self, model: MilpModel, warm_start: Schedule | None, *, seed: int,
              threads: int) -> None: ...

    def run(self, limit_s: float, *, seed: int, threads: int, warm: bool,
            stats: dict[str, Any]) -> BackendAnswer: ...

    def failed(self, exc: Exception, *, in_run: bool, t_end: float,
               warm_start: Schedule | None, stats: dict[str, Any]) -> SolverOutput: ...


def timeout_answer(warm_start: Schedule | None, stats: dict[str, Any],
                   note: str) -> SolverOutput:
    """The answer when the limit ends the run before the backend could search."""
    return SolverOutput(schedule=warm_start, status=SolveStatus.TIMEOUT,
                        stats=stats | {"note": note})


def drive_milp(instance: Instance, backend: MilpBackend, solver: str, *, time_limit_s: float,
               seed: int, threads: int, warm_start: Schedule | None,
               settings: MilpSettings | None = None) -> SolverOutput:
    """Build the MILP, run ``backend`` within the budget, decode, and confirm the bound.

    Parameters
    ----------
    solver:
        The registered name the decoded schedule is credited to.
    time_limit_s:
        Covers building and loading the model (both stop at
        :func:`~splitsched.formulations.milp.build_deadline`; then the warm
        start is the answer, status ``timeout``), the backend's search (all
        but ``CONFIRM_SHARE`` of what is left after building; not started
        with less than :data:`MIN_BACKEND_S`) and the CP-SAT re-check of the
        bound (the rest).

    Returns
    -------
    SolverOutput
        ``stats`` holds ``settings``, the model's size (``columns``, ``rows``,
        ``order_binaries``), ``build_s``, the backend's facts and, after a
        search, ``confirm_share`` and the re-check's ``bound_check``. A
        reported bound (a lower bound on weighted misses) is one CP-SAT proved
        (:func:`~splitsched.solvers.confirm.confirm_bound`); it remains a
        claim that the harness checks.
    """
    t_start = time.perf_counter()
    t_end = t_start + time_limit_s
    t_build = build_deadline(t_end, time_limit_s)
    settings = settings or DEFAULT_MILP_SETTINGS
    stats: dict[str, Any] = {"settings": asdict(settings)}
    in_run = False
    try:
        backend.open()
        try:
            model = build_milp(instance, settings=settings, deadline=t_build)
            stats |= {"columns": len(model.variables), "rows": len(model.rows),
                      "order_binaries": len(model.gpu_order) + len(model.cpu_order)}
            backend.load(model, deadline=t_build)
        except BuildTimeout as exc:
            return timeout_answer(warm_start, stats, str(exc))
        backend.start(model, warm_start, seed=seed, threads=threads)
        stats["build_s"] = round(time.perf_counter() - t_start, 6)
        # The backend gets all but CONFIRM_SHARE of what is left: the rest re-checks its bound.
        limit = (t_end - time.perf_counter()) * (1 - CONFIRM_SHARE)
        if limit < MIN_BACKEND_S:
            return timeout_answer(warm_start, stats,
                                  "no time left for the backend after building")
        in_run = True
        answer = backend.run(limit, seed=seed, threads=threads, warm=warm_start is not None,
                             stats=stats)
    except Exception as exc:  # the backend decides: a result, or re-raised
        return backend.failed(exc, in_run=in_run, t_end=t_end, warm_start=warm_start,
                              stats=stats)
    found = warm_start if answer.values is None else decode(instance, model, answer.values,
                                                            solver)
    if answer.error is not None:
        return SolverOutput(schedule=found, status=SolveStatus.ERROR,
                            stats=stats | {"error": answer.error})
    claim = SolverOutput(schedule=found, status=answer.status,
                         bound=misses_bound(instance.total_weight, answer.bound_on_time),
                         stats=stats | {"confirm_share": CONFIRM_SHARE})
    return confirm_bound(instance, claim, deadline=t_end, seed=seed, threads=threads)
