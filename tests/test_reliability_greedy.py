"""Issue 13, kind 11: greedy solves on huge instances check the clock.

The list scheduler now uses heaps (O(n log n)); it is checked against the
quadratic textbook loop it replaced (kept here as the reference definition)
on random instances with many ties, and its time limit is checked to stop it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest

from splitsched.evaluate import evaluate
from splitsched.problem import Instance, Job, JobPlan, Network, Schedule, edf_key
from splitsched.solvers import greedy
from splitsched.solvers.base import get_solver


def reference(instance: Instance, priority: Callable[[Job], tuple[int, int, str]],
              choices: greedy.CutChoice, drop_late: bool) -> Schedule:
    """The definition: at the earliest moment some pending job could start, the released
    job of smallest priority takes its earliest-ending cut (quadratic, obviously right)."""
    pending = sorted(instance.jobs, key=priority)
    options = {j.id: choices(instance.stages_of(j)) for j in instance.jobs}
    uses = {j.id: (any(k > 0 for k in options[j.id]),
                   any(k < instance.stages_of(j).num_layers for k in options[j.id]))
            for j in instance.jobs}
    gpu_free = cpu_free = 0
    plans: dict[str, JobPlan] = {}
    while pending:
        now = min(max(j.release, greedy._first_free(uses[j.id], gpu_free, cpu_free))
                  for j in pending)
        job = next(j for j in pending if j.release <= now)
        pending.remove(job)
        st = instance.stages_of(job)
        last = st.num_layers
        best = None
        for k in options[job.id]:
            g = job.release if st.a[k] == 0 else max(gpu_free, job.release)
            g_end = g + int(st.a[k])
            if k < last:
                ready = job.release if k == 0 else g_end + int(st.h[k])
                c = ready if st.b[k] == 0 else max(cpu_free, ready)
                finish = c + int(st.b[k])
            else:
                c, finish = -1, g_end
            if best is None or finish < best[0]:
                best = (finish, k, g, c)
        assert best is not None
        finish, k, g, c = best
        if drop_late and finish > job.deadline:
            plans[job.id] = JobPlan(job=job.id, cut=None)
            continue
        if st.a[k] > 0:
            gpu_free = g + int(st.a[k])
        if st.b[k] > 0:
            cpu_free = c + int(st.b[k])
        plans[job.id] = JobPlan(job=job.id, cut=k, gpu_start=g if k > 0 else None,
                                cpu_start=c if k < last else None)
    return Schedule(instance_id=instance.id, solver="ref",
                    plans=tuple(plans[j.id] for j in instance.jobs))


def random_instance(seed: int, n: int) -> Instance:
    rng = random.Random(seed)
    nets = []
    for m in range(3):
        layers = rng.randint(1, 4)
        gpu = tuple(rng.choice([0, 1, 3, 5, 8]) for _ in range(layers))
        cpu = tuple(rng.choice([0, 2, 4, 9]) for _ in range(layers))
        hand = (0, *(rng.randint(0, 3) for _ in range(layers - 1)), 0)
        nets.append(Network(name=f"n{m}", layer_names=tuple(f"l{i}" for i in range(layers)),
                            gpu_us=gpu, cpu_us=cpu, handoff_us=hand))
    jobs = []
    for i in range(n):
        r = rng.choice([0, 0, 5, 10, 12, 30])  # many equal releases: ties matter
        jobs.append(Job(f"j{i:02d}", f"n{rng.randrange(3)}", r, r + rng.randint(0, 40),
                        rng.randint(1, 3)))
    return Instance(id=f"r{seed}", networks=tuple(nets), jobs=tuple(jobs))


RULES = [(greedy._fifo_key, greedy._gpu_only, False), (greedy._fifo_key, greedy._cpu_only, False),
         (edf_key, greedy._best_single, True), (edf_key, greedy._every_cut, True)]


@pytest.mark.parametrize("seed", range(25))
def test_heap_scheduler_equals_the_definition(seed: int) -> None:
    inst = random_instance(seed, 3 + seed)
    for priority, choices, drop in RULES:
        got = greedy.list_schedule(inst, "ref", priority, choices, drop)
        assert got.plans == reference(inst, priority, choices, drop).plans
        assert evaluate(inst, got).feasible


def test_greedy_stops_at_its_limit_with_a_feasible_answer() -> None:
    net = Network(name="n", layer_names=("a", "b"), gpu_us=(3, 4), cpu_us=(5, 6),
                  handoff_us=(0, 1, 0))
    inst = Instance(id="many", networks=(net,),
                    jobs=tuple(Job(f"j{i}", "n", i, i + 50) for i in range(20_000)))
    with pytest.raises(greedy.OutOfTime) as stop:
        greedy.list_schedule(inst, "x", edf_key, greedy._every_cut, True,
                             deadline=time.perf_counter())  # already past
    assert stop.value.placed == greedy._CLOCK_EVERY
    sched = stop.value.schedule
    assert sum(p.cut is not None for p in sched.plans) <= greedy._CLOCK_EVERY
    assert evaluate(inst, sched).feasible
    out = get_solver("edf-greedy-cut").fn(inst, time_limit_s=1e-9, seed=0, threads=1)
    assert out.status == "timeout" and out.stats["placed_before_limit"] >= greedy._CLOCK_EVERY
