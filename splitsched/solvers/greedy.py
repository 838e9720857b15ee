"""Greedy baselines: what inference frameworks do today, and simple EDF rules.

All share one non-preemptive list scheduler: whenever a job is dispatched it
takes the earliest start on the processors its cut needs. The ``fifo-*``
rules know no deadlines and run every job; the ``edf-*`` rules drop, at
dispatch, a job that can no longer meet its deadline.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable

from splitsched.problem import Instance, Job, JobPlan, Schedule, StageTable, edf_key
from splitsched.solvers.base import SolverOutput, register

CutChoice = Callable[[StageTable], list[int]]


def _fifo_key(job: Job) -> tuple[int, int, str]:
    return (job.release, 0, job.id)


class OutOfTime(Exception):
    """The list scheduler passed its deadline; ``schedule`` drops every job not yet placed."""

    def __init__(self, schedule: Schedule, placed: int) -> None:
        super().__init__(f"time limit reached after placing {placed} jobs")
        self.schedule = schedule
        self.placed = placed


_CLOCK_EVERY = 256  # jobs between two looks at the clock


def list_schedule(instance: Instance, solver: str, priority: Callable[[Job], tuple[int, int, str]],
                  choices: CutChoice, drop_late: bool,
                  deadline: float | None = None) -> Schedule:
    """Dispatch released jobs by priority; each takes its earliest-ending cut.

    The dispatch time is the earliest moment at which some pending job could
    start on a processor its cut options use (non-idling); among the jobs
    released by then the one with the smallest priority key goes next.
    O(n log n) with heaps: pending jobs are grouped by the processors their
    options use (a job of group u can start at max(release, free_u)), and the
    released ones wait in a heap by priority.

    ``deadline`` (a ``time.perf_counter()`` value): the clock is read every
    few hundred jobs, and past it :class:`OutOfTime` is raised carrying the
    schedule so far with every remaining job dropped.
    """
    # cut options and the processors they may use (uses GPU, uses CPU), per network
    by_net = {n.name: choices(n.stages) for n in instance.networks}
    net_uses = {name: (any(k > 0 for k in ks),
                       any(k < instance.network_by_name[name].stages.num_layers for k in ks))
                for name, ks in by_net.items()}
    options = {j.id: by_net[j.network] for j in instance.jobs}
    jobs = list(instance.jobs)
    keys = [priority(j) for j in jobs]
    groups: dict[tuple[bool, bool], list[tuple[int, int]]] = {}
    for i, j in enumerate(jobs):
        groups.setdefault(net_uses[j.network], []).append((j.release, i))
    for heap in groups.values():
        heapq.heapify(heap)
    by_release = sorted(range(len(jobs)), key=lambda i: (jobs[i].release, i))
    next_release = 0
    released: list[tuple[tuple[int, int, str], int]] = []
    done = [False] * len(jobs)
    gpu_free = cpu_free = 0
    plans: dict[str, JobPlan] = {}
    for placed in range(len(jobs)):
        if deadline is not None and placed % _CLOCK_EVERY == 0 and placed \
                and time.perf_counter() > deadline:
            raise OutOfTime(Schedule(instance_id=instance.id, solver=solver,
                                     plans=tuple(plans.get(j.id) or JobPlan(job=j.id, cut=None)
                                                 for j in instance.jobs)), placed)
        # non-idling dispatch: the earliest moment some pending job could start
        now: int | None = None
        for group, heap in groups.items():
            while heap and done[heap[0][1]]:
                heapq.heappop(heap)
            if heap:
                t = max(heap[0][0], _first_free(group, gpu_free, cpu_free))
                now = t if now is None else min(now, t)
        assert now is not None
        while next_release < len(by_release) and jobs[by_release[next_release]].release <= now:
            i = by_release[next_release]
            heapq.heappush(released, (keys[i], i))
            next_release += 1
        while True:  # the released job of smallest priority that is still pending
            _, i = heapq.heappop(released)
            if not done[i]:
                break
        done[i] = True
        job = jobs[i]
        st = instance.stages_of(job)
        last = st.num_layers
        finish, k, g, c = earliest_finish_cut(st, options[job.id], job.release, gpu_free,
                                              cpu_free)
        if drop_late and finish > job.deadline:
            plans[job.id] = JobPlan(job=job.id, cut=None)
            continue
        if st.gpu_busy[k]:
            gpu_free = g + int(st.a[k])
        if st.cpu_busy[k]:
            cpu_free = c + int(st.b[k])
        plans[job.id] = JobPlan(job=job.id, cut=k, gpu_start=g if k > 0 else None,
                                cpu_start=c if k < last else None)
    return Schedule(instance_id=instance.id, solver=solver,
                    plans=tuple(plans[j.id] for j in instance.jobs))


def earliest_finish_cut(st: StageTable, options: list[int], ready: int, gpu_free: int,
                        cpu_free: int) -> tuple[int, int, int, int]:
    """The cut of ``options`` that ends the job earliest: ``(finish, cut, gpu_s, cpu_s)``.

    The job is ready at ``ready``; the GPU and CPU are free from ``gpu_free``
    and ``cpu_free`` (us). Each stage starts as early as it can; a stage that
    occupies nothing (:func:`splitsched.problem.occupies`) starts when ready.
    ``cpu_s`` is -1 for the GPU-only cut. Ties keep the first option. The one
    cut rule of list scheduling (the ``edf-*`` / ``fifo-*`` rules, and the
    online greedy policies).
    """
    last = st.num_layers
    best: tuple[int, int, int, int] | None = None
    for k in options:
        g = max(gpu_free, ready) if st.gpu_busy[k] else ready
        g_end = g + int(st.a[k])
        if k < last:
            cpu_ready = ready if k == 0 else g_end + int(st.h[k])
            c = max(cpu_free, cpu_ready) if st.cpu_busy[k] else cpu_ready
            finish = c + int(st.b[k])
        else:
            c, finish = -1, g_end
        if best is None or finish < best[0]:
            best = (finish, k, g, c)
    if best is None:
        raise ValueError("no cut to choose from")
    return best


def _first_free(uses: tuple[bool, bool], gpu_free: int, cpu_free: int) -> int:
    """When the earliest of the processors a job may use becomes free."""
    uses_gpu, uses_cpu = uses
    return min(gpu_free if uses_gpu else cpu_free, cpu_free if uses_cpu else gpu_free)


def _gpu_only(st: StageTable) -> list[int]:
    return [st.num_layers]


def _cpu_only(st: StageTable) -> list[int]:
    return [0]


def _best_single(st: StageTable) -> list[int]:
    last = st.num_layers
    return [last] if st.a[last] <= st.b[0] else [0]


def _every_cut(st: StageTable) -> list[int]:
    return list(st.cuts)


def _make(name: str, summary: str, priority: Callable[[Job], tuple[int, int, str]],
          choices: CutChoice, drop_late: bool) -> None:
    def run(instance: Instance, *, time_limit_s: float, seed: int, threads: int) -> SolverOutput:
        try:
            schedule = list_schedule(instance, name, priority, choices, drop_late,
                                     deadline=time.perf_counter() + time_limit_s)
        except OutOfTime as stop:
            return SolverOutput(schedule=stop.schedule, status="timeout",
                                stats={"placed_before_limit": stop.placed})
        return SolverOutput(schedule=schedule, status="feasible")

    run.__name__ = f"solve_{name.replace('-', '_')}"
    register(name, summary)(run)


_make("fifo-gpu", "every job whole on the GPU in release order, none dropped "
      "(what inference frameworks do today)", _fifo_key, _gpu_only, False)
_make("fifo-cpu", "every job whole on the CPU in release order, none dropped",
      _fifo_key, _cpu_only, False)
_make("edf-gpu", "every job whole on the GPU, earliest deadline first, late jobs dropped",
      edf_key, _gpu_only, True)
_make("edf-cpu", "every job whole on the CPU, earliest deadline first, late jobs dropped",
      edf_key, _cpu_only, True)
_make("edf-best-single", "each job whole on its faster processor, EDF, late jobs dropped",
      edf_key, _best_single, True)
_make("edf-greedy-cut", "EDF list scheduling; each job takes the cut that ends it earliest "
      "given both processors' availability; late jobs dropped", edf_key, _every_cut, True)


