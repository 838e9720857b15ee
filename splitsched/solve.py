"""The solve harness: one solver run, timed, evaluated once, its claims checked.

``solve(instance, solver)`` is the only way a result is made: the CLI,
``bench``'s workers, ``replay`` and the benchmarks all call it, and no solver
calls it (solvers sit below this module; ``docs/design.md`` draws the layers).
What it does, in order:

1. For a solver registered with ``uses_warm_start`` and no ``warm_start``
   given, it computes one: the first of ``HarnessSettings.warm_start_solvers`` that
   returns a feasible schedule, called directly (not through ``solve``), with
   the whole time limit, evaluated once. Jobs it has late are dropped, so the
   solver receives a schedule whose kept jobs are all on time.
2. It calls the solver with what is left of the time limit: the limit covers
   the whole solve, warm start and model building included.
3. It evaluates the returned schedule once. An infeasible schedule is status
   ``error`` (a solver bug is never a result). If the warm start has fewer
   weighted misses, the warm start is reported instead: an exact solver is
   never worse than the start it was given.
4. It checks the status and bound with
   :func:`splitsched.solvers.exact.check_claims`.
5. A run that took longer than the limit plus :func:`time_tolerance_s` is
   reported as ``timeout`` (its schedule and bound kept), whatever it claimed.
"""

from __future__ import annotations

import dataclasses
import time
import traceback
from dataclasses import dataclass
from typing import Any, TypeVar

from splitsched.evaluate import Evaluation, evaluate
from splitsched.interrupts import interrupt_in
from splitsched.problem import Instance, JobPlan, Schedule, shown_value
from splitsched.solvers.base import (
    SolverInfo,
    SolverOutput,
    SolveStatus,
    UnknownSolverError,
    get_solver,
)
from splitsched.solvers.exact import check_claims


@dataclass(frozen=True)
class HarnessSettings:
    """Tuning of the harness (recorded in every run's stats as ``harness_settings``).

    Attributes
    ----------
    warm_start_solvers:
        Solvers tried, in order, for a warm start. Default ``("dp-edf",
        "edf-greedy-cut")``: both are fast and never fail on a valid instance;
        the second is a safety net.
    min_solver_share:
        A solver is not started with less than this share of its limit left
        after the warm start; the warm start is then the answer (status
        ``timeout``). Default 0.02.
    """

    warm_start_solvers: tuple[str, ...] = ("dp-edf", "edf-greedy-cut")
    min_solver_share: float = 0.02


DEFAULT_HARNESS_SETTINGS = HarnessSettings()


def time_tolerance_s(time_limit_s: float) -> float:
    """Seconds a run may exceed its limit and still count as within it.

    ``max(0.5 s, 5 % of the limit)``: backends check their clock between
    nodes, and the harness's own work (evaluation, decoding) takes
    milliseconds. Beyond it the run is a ``timeout``.
    """
    return max(0.5, 0.05 * time_limit_s)


_StatusT = TypeVar("_StatusT")


def within_time_limit(status: _StatusT, runtime_s: float | None, time_limit_s: float,
                      stats: dict[str, Any]) -> _StatusT | SolveStatus:
    """``status``, or ``timeout`` for an ``optimal``/``feasible`` run past the tolerance.

    The one rule for a run over its limit (the harness applies it, and ``bench``
    again to what a worker reports): beyond ``time_limit_s`` plus
    :func:`time_tolerance_s` the answer is kept but the status is ``timeout``,
    and ``stats["over_time_limit_s"]`` says by how much.
    """
    if runtime_s is not None and runtime_s > time_limit_s + time_tolerance_s(time_limit_s) \
            and status in (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE):
        stats["over_time_limit_s"] = round(runtime_s - time_limit_s, 6)
        return SolveStatus.TIMEOUT
    return status


MAX_SEED = 2**32 - 1


def check_solve_parameters(*, time_limit_s: float, seed: int, threads: int) -> None:
    """Refuse parameters no solve can take (callers check them before any work).

    Raises
    ------
    InputError
        (a ValueError) naming the parameter: ``time_limit_s`` not a finite
        number > 0, ``seed`` not an integer in [0, 2**32 - 1] (numpy's seed
        range), ``threads`` not an integer >= 1.
    """
    from splitsched.io import InputError

    if isinstance(time_limit_s, bool) or not (0 < time_limit_s < float("inf")):
        raise InputError(None, "time_limit_s", f"must be a finite number > 0, got {time_limit_s}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError(None, "seed",
                         f"must be an integer in 0..{MAX_SEED}, got {shown_value(seed)}")
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InputError(None, "threads", f"must be an integer >= 1, got {shown_value(threads)}")


@dataclass(frozen=True)
class SolveResult:
    """A solver run, as every report sees it.

    Attributes
    ----------
    solver:
        The registered name.
    schedule:
        The reported schedule (credited to ``solver``), or None.
    status:
        A :class:`~splitsched.solvers.base.SolveStatus`, after the checks.
    weighted_misses:
        Weighted misses of ``schedule`` as evaluated, or None.
    bound:
        A checked lower bound on the weighted misses, or None.
    runtime_s:
        Wall-clock seconds of the whole solve (warm start included).
    stats:
        The solver's stats plus the harness's (``warm_start``,
        ``schedule_source``, ``proof_contradiction``, ``error``, ...).
    evaluation:
        The :class:`~splitsched.evaluate.Evaluation` of ``schedule``.
    """

    solver: str
    schedule: Schedule | None
    status: SolveStatus
    weighted_misses: int | None
    bound: float | None
    runtime_s: float
    stats: dict[str, Any]
    evaluation: Evaluation | None = None

    @property
    def missed(self) -> int | None:
        """Alias of ``weighted_misses`` (the name used in files and records)."""
        return self.weighted_misses

    def summary(self) -> dict[str, Any]:
        """One JSON-able line: status, weighted misses, miss count, rate, makespan, bound."""
        ev = self.evaluation
        return {
            "solver": self.solver,
            "status": self.status.value,
            "weighted_misses": self.weighted_misses,
            "misses": ev.misses if ev else None,
            "miss_rate": ev.miss_rate if ev else None,
            "makespan_us": ev.makespan if ev else None,
            "bound": self.bound,
            "runtime_s": round(self.runtime_s, 6),
        }


@dataclass(frozen=True)
class WarmStart:
    """A warm start: a schedule whose kept jobs are all on time, and where it came from."""

    schedule: Schedule
    weighted_misses: int
    source: str
    evaluation: Evaluation | None = None


def _on_time_only(schedule: Schedule, ev: Evaluation) -> Schedule:
    """Drop the late jobs of a feasible schedule (still feasible; same weighted misses)."""
    plans = tuple(p if p.cut is None or ev.on_time.get(p.job, False)
                  else JobPlan(job=p.job, cut=None) for p in schedule.plans)
    return dataclasses.replace(schedule, plans=plans)


def _warm_start(schedule: Schedule, ev: Evaluation, source: str) -> WarmStart:
    """The warm start of a feasible ``schedule`` (evaluated as ``ev``): its late jobs
    dropped (:func:`_on_time_only`), its evaluation kept when nothing was dropped."""
    if all(ev.on_time.get(p.job, False) for p in schedule.plans if p.cut is not None):
        return WarmStart(schedule, ev.weighted_misses, source, ev)
    return WarmStart(_on_time_only(schedule, ev), ev.weighted_misses, source)


def _checked_warm_start(instance: Instance, warm: WarmStart) -> WarmStart:
    """A caller's warm start, evaluated here: its stated weighted misses are not trusted
    (a newcomer's attack: a schedule with 5 misses stated as 0 made ``case-split``,
    ``cpsat`` and ``hybrid`` report ``optimal`` with bound 0 beside 5 misses), and its
    late jobs are dropped (:func:`_warm_start`, as for :func:`compute_warm_start`).

    Raises
    ------
    TypeError
        When ``warm`` is not a :class:`WarmStart` holding a ``Schedule``.
    ValueError
        When its schedule is for another instance id (it came back in the result), or is
        not a feasible schedule of ``instance`` (unknown jobs, cuts out of range,
        overlaps: a solver given its cuts failed with an IndexError).
    """
    if not isinstance(warm, WarmStart) or not isinstance(warm.schedule, Schedule):
        raise TypeError(f"warm_start: expected a WarmStart holding a Schedule, got "
                        f"{type(warm).__name__}")
    if warm.schedule.instance_id != instance.id:  # as io.check_schedule_matches refuses
        raise ValueError(f"warm_start: schedule is for instance {warm.schedule.instance_id!r}, "
                         f"not {instance.id!r}")
    ev = evaluate(instance, warm.schedule)
    if not ev.feasible:
        raise ValueError(f"warm_start: not a feasible schedule of instance {instance.id!r}: "
                         + "; ".join(ev.violations[:3]))
    return _warm_start(warm.schedule, ev, warm.source)


def raise_interrupt(exc: BaseException) -> None:
    """Raise the ``KeyboardInterrupt`` (a Ctrl-C, or the CLI's SIGTERM) that native code
    turned into ``exc``, if any: numba's ``SystemError: CPUDispatcher(...) returned a
    result with an exception set`` has the interrupt as its cause. Such an ``exc`` is the
    interrupt's outcome, not a solver failure: ``solve`` reported it as status ``error``
    (and the CLI exited 1, not 130). Returns for any other exception."""
    found = interrupt_in(exc)
    if found is not None:
        raise found


def compute_warm_start(instance: Instance, time_limit_s: float, seed: int,
                       solvers: tuple[str, ...] = DEFAULT_HARNESS_SETTINGS.warm_start_solvers
                       ) -> WarmStart:
    """The warm start the harness gives a solver (see the module docstring).

    ``solvers`` are tried in order. Raises nothing: if every one fails,
    every job is dropped.
    """
    for name in solvers:
        try:
            out = get_solver(name).fn(instance, time_limit_s=time_limit_s, seed=seed, threads=1)
        except Exception as exc:  # a broken warm start only costs the start
            raise_interrupt(exc)
            continue
        if out.schedule is None:
            continue
        ev = evaluate(instance, out.schedule)
        if not ev.feasible:
            continue
        return _warm_start(out.schedule, ev, name)
    dropped = Schedule(instance_id=instance.id, solver="none",
                       plans=tuple(JobPlan(job=j.id, cut=None) for j in instance.jobs))
    return WarmStart(dropped, instance.total_weight, "none")


def stamp_schedule(schedule: Schedule, *, instance_sha256: str, status: str,
                   bound: float | None, runtime_s: float | None, time_limit_s: float,
                   seed: int, threads: int) -> Schedule:
    """``schedule`` as written to a file: the instance's hash and the run's facts in ``meta``.

    The one stamp of a solved schedule (``splitsched solve -o`` and every
    schedule of a ``bench`` run directory): ``meta`` keeps what the schedule
    already had and sets ``status``, ``bound`` (weighted misses, or None),
    ``runtime_s`` (seconds, or None when unknown), ``time_limit_s``, ``seed``
    and ``threads``.
    """
    meta = {**dict(schedule.meta), "status": str(status), "bound": bound,
            "runtime_s": runtime_s, "time_limit_s": time_limit_s, "seed": seed,
            "threads": threads}
    return dataclasses.replace(schedule, instance_sha256=instance_sha256, meta=meta)


def _error(solver: str, t0: float, stats: dict[str, Any]) -> SolveResult:
    return SolveResult(solver=solver, schedule=None, status=SolveStatus.ERROR,
                       weighted_misses=None, bound=None,
                       runtime_s=time.perf_counter() - t0, stats=stats)


def load_solver(solver: str, settings: HarnessSettings = DEFAULT_HARNESS_SETTINGS, *,
                warm_start: bool = True) -> SolverInfo:
    """Import a solver and, if it uses a warm start (and ``warm_start``), the warm
    start's solvers.

    :func:`solve` calls it before its clock starts; a caller that times the
    whole call (``bench``'s worker, whose hard-kill clock starts when the
    child says it is about to solve) calls it first, so that loading counts
    against neither clock. Importing ``dp-edf``'s module loads numba and its
    compiled kernels: 0.7 s in a fresh process (``python -X importtime``; a
    newcomer's report), and 18 s where numba's cache is cold (a fresh clone,
    the 2-core machine): inside ``bench``'s hard-kill clock it got ``bench
    --solvers cpsat`` killed at 5 s + 5 s grace in a fresh clone. Inside the
    solve's clock it was charged to the solvers that load the DP lazily
    (``cpsat``, the MILPs) and not to those whose module imports it
    (``lbbd``, ``hybrid``). With ``warm_start`` False (the caller gives a
    warm start, so none is computed) only the solver is imported. An unknown
    warm-start name is left to :func:`compute_warm_start` (which skips it).

    Raises
    ------
    UnknownSolverError
        For an unregistered ``solver``.
    """
    info = get_solver(solver)
    if info.uses_warm_start and warm_start:
        for name in settings.warm_start_solvers:
            try:
                get_solver(name)
            except UnknownSolverError:
                continue
    return info


def _call(info: SolverInfo, instance: Instance, limit: float, seed: int, threads: int,
          warm: WarmStart | None) -> SolverOutput:
    kwargs: dict[str, Any] = {"time_limit_s": limit, "seed": seed, "threads": threads}
    if info.uses_warm_start:
        kwargs["warm_start"] = warm.schedule if warm is not None else None
    return info.fn(instance, **kwargs)


def solve(instance: Instance, solver: str, *, time_limit_s: float = 10.0, seed: int = 0,
          threads: int = 1, warm_start: WarmStart | None = None,
          settings: HarnessSettings = DEFAULT_HARNESS_SETTINGS) -> SolveResult:
    """Run a registered solver; evaluate and check its answer.

    Parameters
    ----------
    instance:
        The problem.
    solver:
        A registered name (``splitsched.solvers.base.solver_names()``).
    time_limit_s:
        Wall-clock limit of the whole solve, seconds (> 0).
    seed, threads:
        Passed to the solver.
    warm_start:
        A ready warm start (e.g. shared by several exact runs); computed when
        the solver uses one and none is given. Evaluated before the clock starts: its
        ``weighted_misses`` are recomputed and its late jobs dropped.
    settings:
        The harness's tuning (:class:`HarnessSettings`).

    Returns
    -------
    SolveResult
        Never raises for a solver failure: an exception becomes status
        ``error`` with the message in ``stats["error"]``.

    Raises
    ------
    UnknownSolverError
        For an unregistered name.
    ValueError
        For a non-positive or non-finite ``time_limit_s``, ``threads < 1``, or a
        ``warm_start`` for another instance id or not a feasible schedule of ``instance``.
    TypeError
        For a ``warm_start`` that is not a :class:`WarmStart`.
    KeyboardInterrupt
        At a Ctrl-C, also one that native code turned into another error
        (:func:`raise_interrupt`).
    """
    info = get_solver(solver)
    check_solve_parameters(time_limit_s=time_limit_s, seed=seed, threads=threads)
    if warm_start is not None:
        warm_start = _checked_warm_start(instance, warm_start)
    load_solver(solver, settings, warm_start=warm_start is None)
    t0 = time.perf_counter()
    stats: dict[str, Any] = {"harness_settings": {
        "warm_start_solvers": list(settings.warm_start_solvers),
        "min_solver_share": settings.min_solver_share}}
    try:
        warm = warm_start
        if info.uses_warm_start and warm is None:
            warm = compute_warm_start(instance, time_limit_s, seed, settings.warm_start_solvers)
        if warm is not None:
            stats |= {"warm_start": warm.source, "warm_start_misses": warm.weighted_misses}
        left = time_limit_s - (time.perf_counter() - t0)
        if warm is not None and left < settings.min_solver_share * time_limit_s:
            out = SolverOutput(schedule=warm.schedule, status=SolveStatus.TIMEOUT,
                               stats={"note": "no time left after the warm start"})
        else:
            out = _call(info, instance, left, seed, threads, warm)
    except Exception as exc:  # the contract: never an exception out of solve
        raise_interrupt(exc)  # but a Ctrl-C is the caller's, not a solver failure
        return _error(solver, t0, {"error": f"{type(exc).__name__}: {exc}",
                                   "traceback": traceback.format_exc(limit=5)})
    runtime = time.perf_counter() - t0
    stats |= dict(out.stats)
    try:
        claimed = SolveStatus(out.status)
    except ValueError:
        return _error(solver, t0, stats | {"error": f"solver returned unknown status "
                                                    f"{out.status!r}"})
    verified: list[tuple[str, int]] = []
    schedule, ev = out.schedule, None
    if warm is not None:
        verified.append(("warm_start:" + warm.source, warm.weighted_misses))
    if schedule is not None:
        ev = evaluate(instance, schedule)
        if not ev.feasible:
            stats |= {"error": "infeasible schedule: " + "; ".join(ev.violations[:5]),
                      "claimed_status": claimed.value}
            return SolveResult(solver=solver, schedule=schedule, status=SolveStatus.ERROR,
                               weighted_misses=ev.weighted_misses, bound=None,
                               runtime_s=runtime, stats=stats, evaluation=ev)
        verified.append(("solver", ev.weighted_misses))
    if warm is not None and (ev is None or warm.weighted_misses < ev.weighted_misses):
        schedule = warm.schedule
        ev = warm.evaluation if warm.evaluation is not None else evaluate(instance, schedule)
        stats["schedule_source"] = "warm_start"
        verified.append(("warm_start:" + warm.source, warm.weighted_misses))
    if claimed is SolveStatus.ERROR:
        return SolveResult(solver=solver, schedule=schedule, status=SolveStatus.ERROR,
                           weighted_misses=ev.weighted_misses if ev else None, bound=None,
                           runtime_s=runtime, stats=stats, evaluation=ev)
    checked = check_claims(claimed_status=claimed, claimed_bound=out.bound, verified=verified,
                           exact=info.exact)
    status, bound = checked.status, checked.bound
    if checked.contradiction is not None:
        stats["proof_contradiction"] = {"backend": solver, **checked.contradiction}
    if checked.notes:
        stats["claim_notes"] = list(checked.notes)
    status = within_time_limit(status, runtime, time_limit_s, stats)
    if schedule is not None and schedule.solver != solver:
        schedule = dataclasses.replace(schedule, solver=solver)
    return SolveResult(solver=solver, schedule=schedule, status=status,
                       weighted_misses=ev.weighted_misses if ev else None, bound=bound,
                       runtime_s=runtime, stats=stats, evaluation=ev)
