"""The fast path of ``replan:dp-edf`` gives the reference path's answers.

``ReplanPolicy(fast=True)`` (the default) builds the DP's sub-problem from
cached stage tables and unvalidated jobs (:mod:`splitsched.online.dpinput`);
``fast=False`` builds it through the validated ``SubInstanceBuilder``. Facts
checked: the sub-problems are equal (same jobs, same networks, same EDF order),
and over whole runs (set instances, with and without noise; random tiny
instances with zero-length stages and weights) both paths propose the same
plan at every event and so make the same decisions and the same schedule;
``prepare_cached`` (the fast path's per-job DP inputs) equals ``prepare``, and
``run_dp`` with it returns the answer it returns without it (weight, makespan,
cuts, label counts) with and without bounds, beam, reach regions and start label.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import numpy as np
import pytest

from splitsched.io import read_instance
from splitsched.online import OnlineState, policies, realized_instance, run_online
from splitsched.online.dpinput import (
    dp_subproblem,
    prepare_cached,
    trusted_instance,
    trusted_job,
)
from splitsched.online.plan import Plan, Prediction
from splitsched.online.policies import ReplanPolicy, SubInstanceBuilder, dp_edf_search
from splitsched.online.state import Committed, Running, net_table
from splitsched.problem import CPU, GPU, Instance, Job, edf_key
from splitsched.replay.noise import NoiseModel
from splitsched.sets import SETS_DIR, iter_set_files
from splitsched.solvers.dp import DEFAULT_DP_SETTINGS, DpSettings, prepare, reach_bound, run_dp
from tests.helpers.builders import random_tiny_instance

BUDGET_MS = 60_000.0  # no decision may run out of budget (answers would depend on timing)


def _set(name: str, count: int) -> list[Instance]:
    return [read_instance(p) for p in list(iter_set_files(SETS_DIR / name))[:count]]


class _Recording(ReplanPolicy):
    """ReplanPolicy that logs each proposal (event time, plan) it makes."""

    def __init__(self, fast: bool) -> None:
        super().__init__("dp-edf", BUDGET_MS, fast=fast)
        self.log: list[tuple[int, Plan | None]] = []

    def propose(self, state: OnlineState, current: Prediction) -> Plan | None:
        plan = super().propose(state, current)
        self.log.append((state.now, plan))
        return plan


def _both(inst: Instance, real: Instance | None = None, seed: int = 0
          ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    out = []
    for fast in (True, False):
        policy = _Recording(fast)
        run = run_online(inst, policy, realized=real, seed=seed)
        assert run.policy_stats["timeouts"] == 0
        out.append((policy.log, [(d.time, d.starts, d.drops) for d in run.decisions],
                    run.schedule.plans, run.policy_stats))
    return tuple(out[0]), tuple(out[1])


@pytest.mark.parametrize("name", ["poisson-n20", "periodic-n20", "poisson-n40"])
def test_fast_and_reference_paths_decide_alike_on_sets(name: str) -> None:
    solves = 0
    for inst in _set(name, 2):
        for real in (None, realized_instance(inst, NoiseModel(cv=0.2), seed=5, run=0)):
            fast, ref = _both(inst, real)
            assert fast == ref
            solves += fast[3]["solves"]
    assert solves > 0  # the DP did run, so the comparison covers its path


def test_fast_and_reference_paths_decide_alike_on_tiny_instances() -> None:
    """Zero-length stages, hand-offs, weights, releases: the branches of the plan code."""
    rng = random.Random(11)
    solves = 0
    for _ in range(40):
        inst = random_tiny_instance(rng, rng.randint(2, 7), max_layers=4,
                                    max_weight=rng.choice((1, 4)),
                                    zero_layers=rng.random() < 0.5)
        fast, ref = _both(inst, seed=rng.randint(0, 99))
        assert fast == ref
        solves += fast[3]["solves"]
    assert solves > 20


def _busy_state(inst: Instance, now: int) -> OnlineState:
    """Jobs released by ``now`` pending (but the first two), the first one running on
    the GPU with a CPU stage to come, the second one on the CPU."""
    jobs = sorted(inst.jobs, key=lambda j: (j.release, j.id))
    first, second, rest = jobs[0], jobs[1], [j for j in jobs[2:] if j.release <= now]
    st = inst.stages_of(first)
    k = max(1, st.num_layers // 2)
    ready = now + int(st.a[k]) + int(st.h[k])
    return OnlineState(
        now=now, networks=inst.network_by_name, pending=tuple(rest),
        committed=(Committed(first, k, now, None, ready),),
        running={GPU: Running(first.id, k, now, now + int(st.a[k])),
                 CPU: Running(second.id, 0, now, now + int(inst.stages_of(second).b[0]))})


def test_dp_subproblem_equals_the_validated_sub_instance() -> None:
    inst = _set("poisson-n40", 1)[0]
    for now in (0, inst.jobs[10].release, inst.jobs[25].release):
        state = _busy_state(inst, now)
        builder = SubInstanceBuilder()
        sub, kind = builder.build(state, blockers=False)
        fast, jobs, committed = dp_subproblem(state, SubInstanceBuilder().committed_network)
        assert fast.jobs == sub.jobs
        assert fast.networks == sub.networks
        assert jobs == sorted(sub.jobs, key=edf_key)
        assert committed == {j for j, what in kind.items() if what == "committed"} != set()
        for j in jobs:
            for arr in ("a", "h", "b"):
                assert getattr(fast.stages_of(j), arr).tolist() == \
                    getattr(sub.stages_of(j), arr).tolist()


def test_trusted_objects_equal_validated_ones() -> None:
    inst = _set("poisson-n20", 1)[0]
    job = inst.jobs[3]
    assert trusted_job(job.id, job.network, job.release, job.deadline, job.weight) == job
    assert trusted_job("x", "n", 0, 5, 2) == Job("x", "n", 0, 5, 2)
    copy = trusted_instance(inst.id, inst.networks, inst.jobs)
    assert copy == inst
    assert copy.stages_of(job) is inst.stages_of(job)


def test_net_table_holds_the_stage_table() -> None:
    inst = _set("poisson-n20", 1)[0]
    for net in inst.networks:
        t = net_table(net)
        st = net.stages
        assert (t.a, t.h, t.b) == (st.a.tolist(), st.h.tolist(), st.b.tolist())
        assert t.gpu_busy == [x > 0 for x in t.a] and t.cpu_busy == [x > 0 for x in t.b]
        assert t.num_layers == net.num_layers
        assert t.min_isolated == min(x + y + z for x, y, z in zip(t.a, t.h, t.b, strict=True))
        assert net_table(net) is t


def _cases() -> list[tuple[Instance, tuple[int, int]]]:
    """Random tiny instances (zero-length stages, releases, weights) with random
    start labels, and set instances from idle and busy processors."""
    rng = random.Random(5)
    cases: list[tuple[Instance, tuple[int, int]]] = []
    for _ in range(150):
        inst = random_tiny_instance(rng, rng.randint(1, 7), max_layers=4,
                                    max_weight=rng.choice((1, 5)),
                                    zero_layers=rng.random() < 0.5)
        cases.append((inst, (rng.randint(0, 8), rng.randint(0, 8))))
    for inst in _set("poisson-n20", 2) + _set("periodic-n20", 1):
        cases.append((inst, (0, 0)))
        cases.append((inst, (3000, 500)))
    return cases


def test_prepare_cached_equals_prepare() -> None:
    """The per-job inputs cached per network are ``prepare``'s, array for array
    (jobs of the same network with different slacks share a network's cache)."""
    for inst, _ in _cases():
        jobs = sorted(inst.jobs, key=edf_key)
        ref, fast = prepare(inst, jobs), prepare_cached(inst, jobs)
        assert len(fast.options) == len(ref.options) == len(jobs)
        for f, r in zip(fast.options, ref.options, strict=True):
            for x, y in zip(f, r, strict=True):
                assert x.dtype == y.dtype == np.int64
                assert x.tolist() == y.tolist()
        for field in ("layers", "gpu_limit", "cpu_limit", "weights"):
            x, y = getattr(fast, field), getattr(ref, field)
            assert x.dtype == y.dtype == np.int64
            assert x.tolist() == y.tolist(), field
        assert (fast.capacity_thresholds, fast.instance, fast.jobs) == \
            (ref.capacity_thresholds, ref.instance, ref.jobs)


def test_run_dp_with_cached_inputs_equals_run_dp() -> None:
    """``run_dp`` with ``prepare_cached``'s inputs returns the Run (weight, makespan,
    cuts, completeness, label counts) it returns without them, from various start
    labels, with and without a lower bound and a beam, with the completion and
    capacity bounds switched on from the first step, and with the reach search's
    regions; one cached ``Prepared`` serves several passes unchanged."""
    eager = DpSettings(grid_min_labels=0, capacity_min_labels=0, grid=8)
    bounded = 0
    for inst, free in _cases():
        jobs = sorted(inst.jobs, key=edf_key)
        prep = prepare_cached(inst, jobs)
        best = run_dp(inst, jobs, free=free)
        assert run_dp(inst, jobs, free=free, prepared=prep) == best
        assert run_dp(inst, jobs, free=free, beam=4, prepared=prep) == \
            run_dp(inst, jobs, free=free, beam=4)
        for lb in {best.accepted_weight, best.accepted_weight // 2}:
            for settings in (DEFAULT_DP_SETTINGS, eager):
                ref = run_dp(inst, jobs, free=free, lower_bound=lb, settings=settings)
                assert run_dp(inst, jobs, free=free, lower_bound=lb, settings=settings,
                              prepared=prepare_cached(inst, jobs, settings)) == ref
                bounded += lb > 0
        if free == (0, 0) and best.accepted_weight > 1:
            # regions for a weaker incumbent: the search finds the optimum's weight again
            lb = best.accepted_weight - 1
            reach = reach_bound(inst, jobs, lb, 4, 256, prepared=prep)
            ref = run_dp(inst, jobs, lower_bound=lb, reach=reach)
            assert run_dp(inst, jobs, lower_bound=lb, reach=reach, prepared=prep) == ref
            assert ref.accepted_weight == best.accepted_weight
        assert run_dp(inst, jobs, free=free, prepared=prep) == best
    assert bounded > 100
    inst, free = _cases()[-1]
    jobs = sorted(inst.jobs, key=edf_key)
    too_high = inst.total_weight + 1
    with pytest.raises(ValueError, match="exceeds every schedule"):
        run_dp(inst, jobs, lower_bound=too_high)
    with pytest.raises(ValueError, match="exceeds every schedule"):
        run_dp(inst, jobs, lower_bound=too_high, prepared=prepare_cached(inst, jobs))


# ------------------------------------------------------------------ dp_edf_search
def _place(inst: Instance, job: Job, k: int, g: int, c: int) -> tuple[int, int, int]:
    """Run ``job`` with cut k after the GPU and CPU free times g, c, earliest start
    (a zero-length stage occupies nothing): (new g, new c, completion)."""
    st = inst.stages_of(job)
    a, h, b = int(st.a[k]), int(st.h[k]), int(st.b[k])
    gpu_end = job.release if a == 0 else max(g, job.release) + a
    g = g if a == 0 else gpu_end
    ready = job.release if k == 0 else gpu_end + h
    cpu_end = ready if b == 0 else max(c, ready) + b
    c = c if b == 0 else cpu_end
    return g, c, (gpu_end if k == st.num_layers else cpu_end)


def _edf_brute_force(inst: Instance, jobs: list[Job], free: tuple[int, int]
                     ) -> tuple[int, int]:
    """The best (on-time weight, then smallest makespan) over every EDF-order
    choice (drop, or any cut) for the jobs, from GPU/CPU free times ``free``.

    Timing stated here from the model (docs/design.md): a job's GPU stage starts
    at max(release, GPU free), its CPU stage at max(CPU free, ready), ready =
    the release for cut 0, else the GPU stage's end plus the hand-off; a
    zero-length stage occupies nothing (ends when ready, leaves the processor's
    free time as it was); a job ends with its last positive stage (cut L: the
    GPU stage). Makespan: max(GPU free, CPU free) at the end.
    """
    best = (0, max(free))
    choices = [[None, *range(inst.stages_of(j).num_layers + 1)] for j in jobs]
    for pick in itertools.product(*choices):
        g, c, weight, ok = free[0], free[1], 0, True
        for job, k in zip(jobs, pick, strict=True):
            if k is None:
                continue
            g, c, finish = _place(inst, job, k, g, c)
            if finish > job.deadline:
                ok = False
                break
            weight += job.weight
        if ok and (weight, -max(g, c)) > (best[0], -best[1]):
            best = (weight, max(g, c))
    return best


def _replayed(inst: Instance, jobs: list[Job], cuts: dict[str, int | None],
              free: tuple[int, int]) -> tuple[int, int]:
    """(weight, makespan) of the given cuts in EDF order with the brute force's timing,
    every accepted job on time (asserted)."""
    g, c, weight = free[0], free[1], 0
    for job in jobs:
        k = cuts[job.id]
        if k is None:
            continue
        g, c, finish = _place(inst, job, k, g, c)
        assert finish <= job.deadline
        weight += job.weight
    return weight, max(g, c)


def test_dp_edf_search_finds_the_edf_optimum_on_tiny_instances(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """From any start label, with the search on from the first job (lower bound 0)
    and the plain pass (the search off, or a lower bound): the best weight, then the
    smallest makespan, of all EDF-order schedules (brute force), attained by the cuts
    returned; a lower bound above the optimum raises ValueError, one at or below it
    changes nothing."""
    rng = random.Random(23)
    searched = 0
    for _ in range(120):
        inst = random_tiny_instance(rng, rng.randint(1, 5), max_layers=3,
                                    max_weight=rng.choice((1, 5)),
                                    zero_layers=rng.random() < 0.5)
        jobs = sorted(inst.jobs, key=edf_key)
        free = (rng.randint(0, 15), rng.randint(0, 15)) if rng.random() < 0.5 else (0, 0)
        best = _edf_brute_force(inst, jobs, free)
        for search_from in (0, 100):
            monkeypatch.setattr(policies, "SEARCH_MIN_JOBS", search_from)
            for lb in sorted({0, best[0] // 2, best[0]}):
                run, complete = dp_edf_search(inst, jobs, prepare_cached(inst, jobs), free, lb)
                assert complete
                assert (run.accepted_weight, run.makespan) == best
                assert _replayed(inst, jobs, run.cuts, free) == best
                searched += search_from == 0 and lb == 0 and best[0] > 0
            with pytest.raises(ValueError):
                dp_edf_search(inst, jobs, prepare_cached(inst, jobs), free, best[0] + 1)
    assert searched > 60


@pytest.mark.parametrize("name", ["poisson-n40", "poisson-n20", "periodic-n20"])
def test_dp_edf_search_equals_the_plain_exact_pass_on_set_windows(name: str) -> None:
    """Windows of 10 to 20 jobs of the sets, all released now, from idle and busy
    processors, no lower bound (the search's branch) and the optimum's weight as one
    (the plain pass's): the plain exact pass's weight and makespan, attained by the
    cuts returned."""
    for inst in _set(name, 1):
        for n in (10, 15, 20):
            for start in range(0, inst.num_jobs - n + 1, 7):
                pend = tuple(Job(j.id, j.network, 0, j.deadline - j.release, j.weight)
                             for j in inst.jobs[start:start + n])
                sub = Instance(id="w", networks=inst.networks, jobs=pend)
                jobs = sorted(pend, key=edf_key)
                for free in ((0, 0), (3000, 500)):
                    plain = run_dp(sub, jobs, free=free)
                    for lb in (0, plain.accepted_weight):
                        run, complete = dp_edf_search(sub, jobs, prepare_cached(sub, jobs),
                                                      free, lb)
                        assert complete
                        assert (run.accepted_weight, run.makespan) == \
                            (plain.accepted_weight, plain.makespan)
                        assert _replayed(sub, jobs, run.cuts, free) == \
                            (plain.accepted_weight, plain.makespan)


def test_fast_and_reference_paths_decide_alike_on_fresh_states() -> None:
    """No current plan, 10 to 20 jobs pending (the search's branch in the policy):
    both paths propose the same plan and start the same stages."""
    inst = _set("poisson-n40", 1)[0]
    for n in (10, 15, 20):
        for start in (0, 9, 20):
            pend = tuple(Job(j.id, j.network, 0, j.deadline - j.release, j.weight)
                         for j in inst.jobs[start:start + n])
            state = OnlineState(now=0, networks=inst.network_by_name, pending=pend,
                                committed=(), running={GPU: None, CPU: None})
            out = []
            for fast in (True, False):
                policy = _Recording(fast)
                decision = policy.decide(state)
                assert policy.counts["solves"] == 1 and policy.counts["timeouts"] == 0
                out.append((policy.log, decision))
            assert out[0] == out[1]
            assert out[0][0][0][1] is not None and out[0][1].starts
