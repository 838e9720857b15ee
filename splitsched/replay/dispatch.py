"""The two dispatch policies, written once for every backend.

A schedule fixes, per processor (lane), the order of its stages. Replaying it
means running each lane's stages in that order, each when

* its job is released,
* for a CPU stage after a GPU stage: that GPU stage and its hand-off are done,
* its lane is free, and
* (policy ``time`` only) its planned start time has come.

Policy ``order`` starts each stage as soon as the first three hold; ``time``
also waits for the planned start. Dropped jobs are not run.

:func:`run_lane` is the one loop that applies these rules. A backend supplies a
:class:`StageRunner` (how a stage and a hand-off are executed and timed) and an
``Exchange`` (how the CPU lane learns when a job's hand-off is done). The
simulator runs the GPU lane, then the CPU lane, in one thread on a virtual
clock (the GPU lane never waits for the CPU lane, so this is exact); the torch
backend runs the two lanes in two threads on the wall clock.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from splitsched.evaluate import evaluate
from splitsched.io import InputError
from splitsched.problem import CPU, GPU, Instance, Schedule, occupies
from splitsched.replay.trace import StageRecord

POLICIES = ("order", "time")


@dataclass(frozen=True)
class PlannedStage:
    """A stage as the schedule places it, with what is needed to run it."""

    job: str
    network: str
    processor: str
    cut: int
    num_layers: int
    release: int
    planned_start: int
    planned_end: int
    handoff_us: int
    follows_gpu: bool

    @property
    def planned_duration(self) -> int:
        return self.planned_end - self.planned_start


def require_replayable(instance: Instance, schedule: Schedule,
                       path: str | os.PathLike[str] | None = None) -> None:
    """Refuse a schedule that breaks a rule of the problem (a cut out of range,
    overlapping stages, a missing start, ...): replaying it would measure
    something no solver may plan.

    Raises
    ------
    InputError
        ``field`` ``plans``, the first violations as the reason; ``path``
        names the schedule file when given.
    """
    ev = evaluate(instance, schedule)
    if not ev.feasible:
        more = f" (and {len(ev.violations) - 3} more)" if len(ev.violations) > 3 else ""
        raise InputError(path, "plans", "infeasible schedule, not replayed: "
                         + "; ".join(ev.violations[:3]) + more)


def lane_programs(instance: Instance, schedule: Schedule) -> dict[str, list[PlannedStage]]:
    """Each lane's stages in planned order (start time, then job order).

    Raises
    ------
    InputError
        If the schedule is infeasible (:func:`require_replayable`).
    """
    require_replayable(instance, schedule)
    lanes: dict[str, list[PlannedStage]] = {GPU: [], CPU: []}
    plans = schedule.plan_by_job
    for job in instance.jobs:
        plan = plans.get(job.id)
        if plan is None or plan.cut is None:
            continue
        st = instance.stages_of(job)
        k, last = plan.cut, st.num_layers
        common = dict(job=job.id, network=job.network, cut=k, num_layers=last,
                      release=job.release, handoff_us=int(st.h[k]))
        if k > 0:
            if plan.gpu_start is None:
                raise ValueError(f"job {job.id!r}: cut {k} needs a gpu_start")
            lanes[GPU].append(PlannedStage(processor=GPU, planned_start=plan.gpu_start,
                                           planned_end=plan.gpu_start + int(st.a[k]),
                                           follows_gpu=False, **common))  # type: ignore[arg-type]
        if k < last:
            if plan.cpu_start is None:
                raise ValueError(f"job {job.id!r}: cut {k} needs a cpu_start")
            lanes[CPU].append(PlannedStage(processor=CPU, planned_start=plan.cpu_start,
                                           planned_end=plan.cpu_start + int(st.b[k]),
                                           follows_gpu=k > 0, **common))  # type: ignore[arg-type]
    order = instance.job_index
    for stages in lanes.values():
        stages.sort(key=lambda s: (s.planned_start, order[s.job]))
    return lanes


class StageRunner(Protocol):
    """How a backend executes and times things (all times in us from t0)."""

    def run_stage(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        """Run ``stage`` starting no earlier than ``not_before``; return (start, end)."""
        ...

    def run_handoff(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        """Move ``stage``'s cut tensor from the GPU lane to the CPU lane; (start, end)."""
        ...


class Exchange:
    """Hand-off completion times, passed from the GPU lane to the CPU lane.

    ``inline=True`` runs each hand-off at once in the caller (simulation: the
    GPU lane runs to completion first). Otherwise hand-offs run on a helper
    thread, so they occupy neither lane, and the CPU lane blocks until its
    job's hand-off is done.
    """

    def __init__(self, inline: bool) -> None:
        self._inline = inline
        self._pool = None if inline else ThreadPoolExecutor(max_workers=1,
                                                            thread_name_prefix="handoff")
        self._done: dict[str, Future[tuple[int, int]]] = {}
        self._lock = threading.Lock()
        self._failed: BaseException | None = None

    def _future(self, job: str) -> Future[tuple[int, int]]:
        with self._lock:
            if job not in self._done:
                self._done[job] = Future()
            return self._done[job]

    def start(self, stage: PlannedStage, gpu_end: int, runner: StageRunner) -> None:
        fut = self._future(stage.job)

        def work() -> None:
            try:
                fut.set_result(runner.run_handoff(stage, gpu_end))
            except BaseException as exc:
                fut.set_exception(exc)

        if self._pool is None:
            work()
        else:
            self._pool.submit(work)

    def wait(self, job: str) -> tuple[int, int]:
        """Block until ``job``'s hand-off is done; return its (start, end)."""
        return self._future(job).result()

    def fail(self, exc: BaseException) -> None:
        """Unblock every waiter with ``exc`` (the GPU lane died)."""
        self._failed = exc
        with self._lock:
            futures = list(self._done.values())
        for fut in futures:
            if not fut.done():
                fut.set_exception(exc)

    def expect(self, jobs: list[str]) -> None:
        """Create the futures the CPU lane will wait on (before lanes start)."""
        for job in jobs:
            self._future(job)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def run_lane(stages: list[PlannedStage], policy: str, runner: StageRunner,
             exchange: Exchange, record: Callable[[StageRecord], None]) -> None:
    """Run one lane's stages in order under ``policy``: the dispatch rules, once."""
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; known: {', '.join(POLICIES)}")
    free = 0
    for st in stages:
        ready = st.release
        hand: tuple[int, int] | None = None
        if st.follows_gpu:
            hand = exchange.wait(st.job)
            ready = max(ready, hand[1])
        # a planned stage that occupies nothing (problem.occupies) runs when ready
        busy = occupies(st.planned_duration)
        not_before = max(free, ready) if busy else ready
        if policy == "time":
            not_before = max(not_before, st.planned_start)
        start, end = runner.run_stage(st, not_before)
        if busy:
            free = end
        record(StageRecord(job=st.job, processor=st.processor, cut=st.cut,
                           planned_start=st.planned_start, planned_end=st.planned_end,
                           actual_start=start, actual_end=end, ready=ready,
                           handoff_start=hand[0] if hand else None,
                           handoff_end=hand[1] if hand else None))
        if st.processor == GPU and st.cut < st.num_layers:
            exchange.start(st, end, runner)


def execute(lanes: dict[str, list[PlannedStage]], policy: str, runner: StageRunner, *,
            concurrent: bool) -> list[StageRecord]:
    """Replay both lanes; records come back sorted by actual start.

    ``concurrent=False``: GPU lane then CPU lane in this thread (virtual time).
    ``concurrent=True``: one thread per lane, hand-offs on a third thread.
    """
    records: list[StageRecord] = []
    lock = threading.Lock()

    def record(r: StageRecord) -> None:
        with lock:
            records.append(r)

    exchange = Exchange(inline=not concurrent)
    exchange.expect([s.job for s in lanes[CPU] if s.follows_gpu])
    try:
        if not concurrent:
            run_lane(lanes[GPU], policy, runner, exchange, record)
            run_lane(lanes[CPU], policy, runner, exchange, record)
        else:
            errors: list[BaseException] = []

            def lane(name: str) -> None:
                try:
                    run_lane(lanes[name], policy, runner, exchange, record)
                except BaseException as exc:
                    errors.append(exc)
                    exchange.fail(exc)

            threads = [threading.Thread(target=lane, args=(name,), name=f"lane-{name}")
                       for name in (GPU, CPU)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
    finally:
        exchange.close()
    records.sort(key=lambda r: (r.actual_start, r.processor, r.job))
    return records
