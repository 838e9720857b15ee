"""dp-orders, dp-ls, lns-cpsat: never better than the optimum (the common-order optimum for
dp-orders), never worse than dp-edf; Johnson ties; PrefixDP exact without a beam limit and
its restarts equal fresh runs; the window search leaves the common order and keeps its caps."""

from __future__ import annotations

import random
from dataclasses import replace

import numpy as np
import pytest

from splitsched.evaluate import evaluate
from splitsched.io import read_instance
from splitsched.problem import Instance, Job, JobPlan, Schedule, edf_key
from splitsched.solve import solve
from splitsched.solvers import heuristics
from splitsched.solvers.base import get_solver
from splitsched.solvers.dp import run_dp
from splitsched.solvers.heuristics import (
    LS_BEAM,
    UNLIMITED,
    WINDOW,
    Budget,
    Candidate,
    PrefixDP,
    _dropped_at_edf_places,
    _local_search,
    _makespan_keep,
    _moves,
    dp_ls_phases,
    johnson_key,
    order_schedule,
    stage_order,
    swap_phase,
    thin,
    thin_numpy,
)
from splitsched.solvers.lns import lns
from tests.helpers.builders import (
    chain_network,
    edf_counterexample,
    handoff_counterexample,
    random_medium_instance,
    random_tiny_instance,
)
from tests.helpers.oracle import optimum
from tests.helpers.paths import SETS_DIR

HEURISTICS = ("dp-orders", "dp-ls", "lns-cpsat")
SEEDS = {"dp-orders": 41, "dp-ls": 42, "lns-cpsat": 43}
BIG = 10_000


def _tiny(seed: int, count: int) -> list[Instance]:
    rng = random.Random(seed)
    return [random_tiny_instance(rng, rng.randint(1, 5), max_weight=rng.choice((1, 1, 3)),
                                 zero_layers=rng.random() < 0.2)
            for _ in range(count)]


@pytest.mark.parametrize("name", HEURISTICS)
def test_heuristics_are_registered_as_heuristics(name: str) -> None:
    assert get_solver(name).exact is False


@pytest.mark.parametrize("name", HEURISTICS)
def test_between_the_optimum_and_dp_edf_on_tiny_instances(name: str) -> None:
    for inst in _tiny(seed=SEEDS[name], count=120):
        res = solve(inst, name, time_limit_s=0.05)
        assert res.status == "feasible", res.stats
        assert res.bound is None
        assert res.evaluation is not None and res.evaluation.feasible
        assert res.missed is not None
        assert res.missed >= optimum(inst), inst
        assert res.missed <= optimum(inst, edf_order=True), inst  # what dp-edf reaches


def test_local_search_beats_edf_on_the_edf_counterexample() -> None:
    # A (a=5, b=1, d=7), B (a=1, b=5, d=8): EDF order loses B, B then A meets both.
    # No fixed rule of dp-orders puts B first (distinct deadlines, A has less laxity);
    # one re-insertion move does.
    inst = edf_counterexample()
    assert solve(inst, "dp-edf").missed == 1
    assert solve(inst, "dp-orders", time_limit_s=0.5).missed == 1
    assert solve(inst, "dp-ls", time_limit_s=0.5).missed == 0


def _flow_shop(rng: random.Random, n: int) -> Instance:
    """Two machines, one usable cut per job (GPU a, then CPU b, no hand-off), all released
    at 0, one common deadline; the other cuts take over BIG us and never fit."""
    nets, jobs = [], []
    times = [(rng.randint(1, 20), rng.randint(1, 20)) for _ in range(n)]
    total = sum(a + b for a, b in times)
    deadline = rng.randint(max(a + b for a, b in times), max(a + b for a, b in times) + total // 2)
    for i, (a, b) in enumerate(times):
        nets.append(chain_network(f"n{i}", gpu=(a, BIG), cpu=(BIG, b)))
        jobs.append(Job(f"j{i}", f"n{i}", release=0, deadline=deadline,
                        weight=rng.choice((1, 1, 2))))
    return Instance(id=f"flow-{rng.random():.6f}", networks=tuple(nets), jobs=tuple(jobs))


def test_johnson_ties_make_the_order_dp_exact_on_two_machine_common_deadline() -> None:
    """Johnson (1954): in that order any job set reaches its smallest two-machine makespan."""
    rng = random.Random(1954)
    edf_lost = 0
    for _ in range(150):
        inst = _flow_shop(rng, rng.randint(2, 5))
        best = inst.total_weight - optimum(inst)  # brute force over all orders on both machines
        order = sorted(inst.jobs, key=lambda j: johnson_key(inst, j))
        assert run_dp(inst, order).accepted_weight == best, inst
        assert solve(inst, "dp-orders", time_limit_s=0.5).missed == inst.total_weight - best
        edf = run_dp(inst, sorted(inst.jobs, key=edf_key)).accepted_weight
        assert edf <= best
        edf_lost += edf < best
    assert edf_lost > 0, "EDF with id ties should lose on some of these instances"


def test_window_search_leaves_the_common_order_on_the_handoff_counterexample() -> None:
    # docs/design.md: only different orders on the two processors keep both jobs on time;
    # the DP heuristics run one common order and lose one (dp-ls's dp_swap phase moves only
    # jobs its best schedule keeps, and that keeps one of the two), the CP-SAT window
    # search does not.
    inst = handoff_counterexample()
    assert optimum(inst) == 0
    assert solve(inst, "dp-ls", time_limit_s=0.5).missed == 1
    res = solve(inst, "lns-cpsat", time_limit_s=1.0)
    assert res.status == "feasible" and res.bound is None
    assert res.missed == 0


def test_window_search_is_deterministic_under_its_work_limit() -> None:
    """With no clock in play (an unlimited budget) the same seed gives the same schedule."""
    rng = random.Random(7)
    for _ in range(3):
        inst = random_medium_instance(rng, 14)
        start = dp_ls_phases(inst, "test", 100.0, seed=0, work=0)[0]  # dp-edf, other orders
        runs = [lns(inst, start, 3, {}) for _ in range(2)]
        assert runs[0].schedule == runs[1].schedule
        assert runs[0].weight >= start.weight


def test_prefix_dp_stops_at_its_work_limit() -> None:
    rng = random.Random(8)
    inst = random_medium_instance(rng, 12)
    order = sorted(inst.jobs, key=edf_key)
    dp = PrefixDP(inst, 48)
    assert dp.run(order, 0, 0) is not None
    used = dp.used
    assert used > 0
    dp.work = used // 2
    assert dp.run(order, 0, 0) is None  # the work counter keeps counting across runs


@pytest.mark.parametrize("name", ("dp-orders",))
def test_common_order_heuristics_never_beat_the_best_common_order(name: str) -> None:
    """dp-orders runs the two processors in one common order: the same-order oracle bounds
    it (dp-ls's last phase, dp_swap, may leave the common order: tests/solvers/test_dp_swap.py)."""
    for inst in _tiny(seed=SEEDS[name] + 100, count=60):
        res = solve(inst, name, time_limit_s=0.05)
        assert res.missed is not None
        assert res.missed >= optimum(inst, same_order=True), inst


def test_prefix_dp_without_a_beam_limit_is_exact_in_edf_order() -> None:
    for inst in _tiny(seed=9, count=60):
        order = sorted(inst.jobs, key=edf_key)
        res = PrefixDP(inst, 10**6).run(order, 0, 0)
        assert res is not None
        assert inst.total_weight - res[0] == optimum(inst, edf_order=True), inst


def test_prefix_dp_restart_equals_a_fresh_run() -> None:
    """Re-running only the jobs after a shared prefix gives the labels of a whole new run."""
    rng = random.Random(10)
    for _ in range(20):
        inst = random_medium_instance(rng, rng.randint(6, 14))
        order = list(inst.jobs)
        rng.shuffle(order)
        dp = PrefixDP(inst, 16)
        first = dp.run(order, 0, 0)
        assert first is not None
        dp.adopt(order, 0, first[1])
        for _ in range(5):
            src, dst = rng.randrange(len(order)), rng.randrange(len(order))
            new = list(order)
            new.insert(dst, new.pop(src))
            lo = min(src, dst)
            again = dp.run(new, lo, 0)
            fresh = PrefixDP(inst, 16).run(new, 0, 0)
            assert again is not None and fresh is not None
            assert again[0] == fresh[0]
            for mine, theirs in zip(again[1], fresh[1][lo:], strict=True):
                for x, y in zip(mine, theirs, strict=True):
                    assert np.array_equal(x, y)


def test_prefix_dp_with_nothing_after_first_keeps_the_prefix() -> None:
    """No job after ``first`` (an instance without jobs, or a restart at the end): the
    best weight of the prefix and no new step (it raised IndexError)."""
    inst = random_medium_instance(random.Random(3), 6)
    order = sorted(inst.jobs, key=edf_key)
    dp = PrefixDP(inst, 16)
    whole = dp.run(order, 0, 0)
    assert whole is not None
    dp.adopt(order, 0, whole[1])
    assert dp.run(order, len(order), 0) == (whole[0], [])
    empty = replace(inst, id="no-jobs", jobs=())
    assert PrefixDP(empty, 16).run([], 0, 0) == (0, [])


def _reach_matches_plain(rng: random.Random, inst: Instance, extra: int) -> int:
    """Neighbours of a random order scored with and without the stored suffix's reach
    regions, for targets around the stored best (and ``extra`` above it): same answer.
    Returns how many reached their target."""
    tested = 0
    order = list(inst.jobs)
    rng.shuffle(order)
    dp = PrefixDP(inst, 10**6)
    first = dp.run(order, 0, 0)
    assert first is not None
    dp.adopt(order, 0, first[1])
    for target in sorted({first[0] - 1, first[0], first[0] + 1, first[0] + extra}):
        dp.suffix_reach(target)
        for _ in range(6):
            src, dst = rng.randrange(len(order)), rng.randrange(len(order))
            new = list(order)
            new.insert(dst, new.pop(src))
            lo, hi = min(src, dst), max(src, dst)
            pruned = dp.run(new, lo, target, same_from=hi + 1)
            plain = PrefixDP(inst, 10**6).run(new, 0, target)
            assert (pruned is None) == (plain is None), inst
            if plain is not None and pruned is not None:
                assert pruned[0] == plain[0]
                tested += 1
    return tested


def test_suffix_reach_drops_no_label_the_exact_dp_needs() -> None:
    """Without a beam limit, a neighbour run with the stored order's suffix regions reaches a
    target exactly when the plain run does, with the same best weight (the regions are outer
    approximations: they drop only labels that cannot reach the target)."""
    rng = random.Random(14)
    tested = sum(_reach_matches_plain(rng, random_medium_instance(rng, rng.randint(5, 12)), 1)
                 for _ in range(40))
    assert tested > 50


def test_suffix_reach_drops_no_label_the_exact_dp_needs_with_heavy_jobs() -> None:
    """As above with weights 1..40 (more than the REACH_SIZE weights tracked per position):
    a neighbour's label heavier than the stored best needs a weight below the tracked
    window, whose region must be taken as everywhere (it was read out of bounds: wrong
    regions, and a segmentation fault with weights of 2^28 through ``solve -s dp-ls``)."""
    rng = random.Random(15)
    tested = 0
    for _ in range(40):
        base = random_medium_instance(rng, rng.randint(5, 12))
        inst = replace(base, jobs=tuple(replace(j, weight=rng.randint(1, 40))
                                        for j in base.jobs))
        tested += _reach_matches_plain(rng, inst, 40)
    assert tested > 50


def test_dp_ls_with_weights_near_the_schema_limit() -> None:
    """Weights 2^28..3 * 2^28 (the schema allows up to 2^31 - 1): dp-ls ends (it crashed in
    the reach regions), feasible, never worse than dp-edf."""
    base = random_medium_instance(random.Random(5), 40)
    inst = replace(base, jobs=tuple(replace(j, weight=2**28 * (1 + i % 3))
                                    for i, j in enumerate(base.jobs)))
    edf = solve(inst, "dp-edf", time_limit_s=10.0)
    res = solve(inst, "dp-ls", time_limit_s=10.0)
    assert res.status == "feasible" and res.missed is not None and edf.missed is not None
    assert res.missed <= edf.missed


def test_window_search_spends_nothing_past_its_cpu_cap() -> None:
    rng = random.Random(11)
    inst = random_medium_instance(rng, 14)
    start = dp_ls_phases(inst, "test", 100.0, seed=0, work=0)[0]
    stats: dict[str, object] = {}
    assert lns(inst, start, 3, stats, Budget(float("inf"), cpu_end=0.0)) is start
    assert stats["lns_subproblems"] == 0


def test_thin_keeps_at_most_the_beam_and_both_ends_of_the_labels() -> None:
    rng = np.random.default_rng(12)
    for _ in range(50):
        n = int(rng.integers(1, 200))
        m = np.sort(rng.integers(0, 4, n))[::-1]
        g = np.concatenate([np.sort(rng.integers(0, 1000, (m == v).sum()))
                            for v in np.unique(m)[::-1]])
        c = rng.integers(0, 1000, n)
        later = int(rng.integers(0, 5))
        gl, cl = rng.integers(0, 1000, later), rng.integers(0, 1000, later)
        wr = rng.integers(1, 4, later)
        beam = int(rng.integers(3, 60))
        keep = thin(m, g, c, beam, gl, cl, wr)
        assert len(keep) == min(n, beam)
        assert np.all(np.diff(keep) > 0)
        assert keep[0] == 0 and keep[-1] == n - 1
        # the heaviest potential (weight + later jobs that fit alone) is among the kept
        fit = (g[:, None] <= gl[None, :]) | (c[:, None] <= cl[None, :])
        potential = m + fit.astype(np.int64) @ wr
        assert potential[keep].max() == potential.max()


def test_compiled_thin_keeps_the_same_labels_as_the_numpy_statement() -> None:
    """Ties on potential and makespan, ties of the even spread's rounding (x.5), later jobs
    that fit from every label, from none, or from some: same indices."""
    rng = np.random.default_rng(21)
    for trial in range(400):
        n = int(rng.integers(1, 300))
        span = 40 if trial % 2 else 10**7  # small span: many ties
        m = np.sort(rng.integers(0, 12, n))[::-1].astype(np.int64)
        g = rng.integers(0, span, n).astype(np.int64)
        c = rng.integers(0, span, n).astype(np.int64)
        later = int(rng.integers(0, 40))
        gl = rng.integers(-span // 4, span + span // 4, later).astype(np.int64)
        cl = rng.integers(-span // 4, span + span // 4, later).astype(np.int64)
        wr = rng.integers(1, 5, later).astype(np.int64)
        beam = int(rng.integers(3, 80))
        assert np.array_equal(thin(m, g, c, beam, gl, cl, wr),
                              thin_numpy(m, g, c, beam, gl, cl, wr))


def test_compiled_makespan_beam_keeps_the_lexsort_statement() -> None:
    """PrefixDP's makespan beam (compiled, inside its step loop) keeps exactly
    ``np.sort(np.lexsort((max(g, c), -m))[:beam])``, ties included."""
    rng = np.random.default_rng(22)
    for trial in range(300):
        n = int(rng.integers(1, 200))
        span = 30 if trial % 2 else 10**7
        m = np.sort(rng.integers(0, 10, n))[::-1].astype(np.int64)
        g = rng.integers(0, span, n).astype(np.int64)
        c = rng.integers(0, span, n).astype(np.int64)
        beam = int(rng.integers(1, 60))
        assert np.array_equal(_makespan_keep(m, g, c, beam),
                              np.sort(np.lexsort((np.maximum(g, c), -m))[:beam]))


def test_beams_keep_the_heaviest_labels_at_the_schema_limits() -> None:
    """Label weights up to the total-weight limit (2^53) and makespans up to 2^61 us: the
    compiled beams still keep their lexsort statements (a key packing weight and makespan
    into one int64 overflows there and keeps the lightest labels)."""
    rng = np.random.default_rng(23)
    for trial in range(200):
        n = int(rng.integers(2, 200))
        top = 2**53 if trial % 2 else 2**31
        m = np.sort(rng.integers(0, top, n))[::-1].astype(np.int64)
        m[rng.integers(0, n, n // 3)] = m[0]  # ties on the weight
        span = 2**61 if trial % 3 == 0 else 10**6
        g = rng.integers(0, span, n).astype(np.int64)
        c = rng.integers(0, span, n).astype(np.int64)
        beam = int(rng.integers(1, 60))
        assert np.array_equal(_makespan_keep(m, g, c, beam),
                              np.sort(np.lexsort((np.maximum(g, c), -m))[:beam]))
        later = int(rng.integers(0, 10))
        gl = rng.integers(0, span, later).astype(np.int64)
        cl = rng.integers(0, span, later).astype(np.int64)
        wr = rng.integers(1, 2**31, later).astype(np.int64)
        assert np.array_equal(thin(m, g, c, max(beam, 3), gl, cl, wr),
                              thin_numpy(m, g, c, max(beam, 3), gl, cl, wr))


@pytest.mark.parametrize("makespan_beam", [False, True])
def test_prefix_dp_scales_with_the_weights(makespan_beam: bool) -> None:
    """Every weight times K = 2^28 (jobs of weight 1..3, within the schema's 2^31 - 1): the
    DP's comparisons are the same, so the beam DP's best label weighs exactly K times as
    much, with either beam (the makespan beam kept the lightest labels there)."""
    K = 2**28
    for s in range(6):
        base = random_medium_instance(random.Random(s), 30)
        inst = replace(base, jobs=tuple(replace(j, weight=1 + (s + i) % 3)
                                        for i, j in enumerate(base.jobs)))
        big = replace(inst, id=inst.id + "-big",
                      jobs=tuple(replace(j, weight=j.weight * K) for j in inst.jobs))
        got = []
        for case in (inst, big):
            dp = PrefixDP(case, 4)
            dp.makespan_beam = makespan_beam
            res = dp.run(sorted(case.jobs, key=edf_key), 0, 0)
            assert res is not None
            got.append(res[0])
        assert got[1] == K * got[0]


def test_local_search_calls_its_checkpoint_once_and_keeps_its_answer() -> None:
    """The checkpoint (dp-ls's midway swap phase) runs once, on the best so far, once the
    labels built pass ``checkpoint_at``; a better answer it returns is kept to the end,
    and the search still ends never worse than its start."""
    rng = random.Random(9)
    inst = random_medium_instance(rng, 14)
    start = dp_ls_phases(inst, "test", 100.0, seed=0, work=0)[0]
    seen: list[int] = []

    def better(best: Candidate) -> Candidate:  # a stand-in that "finds" one more unit
        seen.append(best.weight)
        return Candidate(best.order, best.schedule, best.weight + 1000, best.makespan)

    out = _local_search(inst, "test", start, UNLIMITED, {}, 0, 20_000, checkpoint=better,
                        checkpoint_at=0)
    assert len(seen) == 1 and seen[0] >= start.weight
    assert out.weight >= seen[0] + 1000
    never = _local_search(inst, "test", start, UNLIMITED, {}, 0, 20_000, checkpoint=better,
                          checkpoint_at=10**9)
    assert len(seen) == 1 and never.weight >= start.weight


def test_stage_order_reads_the_cpu_order_and_the_others_at_their_edf_places() -> None:
    """The handoff counterexample's optimum runs j, k on the GPU and k, j on the CPU
    (builders.handoff_counterexample): its common order for the next swap round is the
    CPU order k, j. A job without a CPU stage (GPU-only or dropped) goes to its EDF place
    among the jobs with one, not by its GPU start (j's GPU stage starts first, at 0, but
    k's deadline 7 comes before j's 12)."""
    inst = handoff_counterexample()
    j, k = inst.jobs
    opt = Schedule(inst.id, "test", (JobPlan("j", 1, 0, 11), JobPlan("k", 1, 1, 2)))
    assert evaluate(inst, opt).feasible and evaluate(inst, opt).weighted_misses == 0
    assert [x.id for x in stage_order(opt, [j, k])] == ["k", "j"]
    gpu_only = Schedule(inst.id, "test", (JobPlan("j", 2, 0, None), JobPlan("k", 1, 1, 2)))
    assert [x.id for x in stage_order(gpu_only, [j, k])] == ["k", "j"]
    dropped = Schedule(inst.id, "test", (JobPlan("j", 2, 0, None), JobPlan("k", None)))
    assert [x.id for x in stage_order(dropped, [j, k])] == ["k", "j"]  # k: EDF first


def test_swap_walk_never_loses_weight_and_keeps_its_round_count() -> None:
    rng = random.Random(14)
    for _ in range(4):
        inst = random_medium_instance(rng, 12)
        start = dp_ls_phases(inst, "test", 100.0, seed=0, work=20_000)[0]
        stats: dict[str, object] = {}
        best, walk = swap_phase(inst, "test", start, UNLIMITED, stats, rounds=3)
        assert best.weight >= start.weight
        assert evaluate(inst, best.schedule).weighted_misses == inst.total_weight - best.weight
        assert isinstance(stats["swap_rounds"], int) and stats["swap_rounds"] <= 3
        if walk is not None:  # a continuation: one more round from there never loses either
            more, _ = swap_phase(inst, "test", best, UNLIMITED, {}, rounds=1, walk=walk)
            assert more.weight >= best.weight


def test_dp_ls_runs_the_final_swap_when_the_midway_one_stopped(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The last swap phase is left out only when the midway one already ran to completion
    on the same order: a midway pass cut short by its (smaller) work limit is not "the same
    pass again" (with the midway pass at the first kick and 1 label of work, the final pass
    was left out whenever the search kept the midway order)."""
    monkeypatch.setattr(heuristics, "SWAP_MIDWAY", 0)
    monkeypatch.setattr(heuristics, "SWAP_MIDWAY_WORK", 1)
    # work limits only, no clock: the answer must not depend on the machine's load
    monkeypatch.setattr(heuristics, "LS_WORK", 20_000)
    monkeypatch.setattr(heuristics, "BUDGET_S", 1000.0)
    monkeypatch.setattr(heuristics, "CPU_BUDGET_S", 1000.0)
    for s in range(4):
        inst = random_medium_instance(random.Random(s), 24)
        stats = heuristics.solve_dp_ls(inst, time_limit_s=100.0, seed=0, threads=1).stats
        assert stats["swap_midway"] == "stopped"
        assert stats["swap"] == "complete", s


def test_thinned_beam_keeps_the_schedule_a_makespan_beam_loses() -> None:
    """v2-batch-vivo_z3-n40-l2-s1: EDF order with the jobs at EDF positions 2 and 3 swapped
    keeps all 40 jobs on time (the exact DP finds it; EDF order keeps 39); the labels it
    passes through have one processor late and the other early, which a beam of the
    smallest makespans drops. The local search's beam (``thin``) keeps them."""
    inst = read_instance(SETS_DIR / "v2" / "batch-n40" / "v2-batch-vivo_z3-n40-l2-s1.json")
    edf = sorted(inst.jobs, key=edf_key)
    order = [*edf[:2], edf[3], edf[2], *edf[4:]]
    assert inst.total_weight == 40
    exact = run_dp(inst, order, lower_bound=40)
    schedule = order_schedule(inst, "test", order, exact.cuts)
    assert evaluate(inst, schedule).feasible and evaluate(inst, schedule).weighted_misses == 0
    with pytest.raises(ValueError):
        run_dp(inst, edf, lower_bound=40)  # no schedule in EDF order keeps all 40
    res = PrefixDP(inst, LS_BEAM).run(order, 0, 40)
    assert res is not None and res[0] == 40


def test_dropped_jobs_go_back_to_their_edf_places_and_kept_jobs_keep_their_order() -> None:
    rng = random.Random(13)
    for _ in range(30):
        inst = random_medium_instance(rng, rng.randint(2, 12))
        order = list(inst.jobs)
        rng.shuffle(order)
        dropped = {j.id for j in order if rng.random() < 0.3}
        out = _dropped_at_edf_places(order, dropped)
        assert sorted(j.id for j in out) == sorted(j.id for j in order)
        assert [j for j in out if j.id not in dropped] == [j for j in order if j.id not in dropped]
        kept = [j for j in out if j.id not in dropped]
        for i, job in enumerate(out):
            if job.id in dropped:  # right before the first kept job later in EDF order
                first_later = next((k for k, j in enumerate(kept) if edf_key(j) > edf_key(job)),
                                   len(kept))
                assert sum(j.id not in dropped for j in out[:i]) == first_later


def test_a_given_dp_edf_schedule_starts_the_phases_where_dp_edf_would() -> None:
    """``start_cuts`` from dp-edf's own schedule (what hybrid hands over) lead to the same
    start and, under a work limit (no clock in play), the same search result."""
    dp_edf = get_solver("dp-edf").fn
    rng = random.Random(23)
    for _ in range(3):
        inst = random_medium_instance(rng, 14)
        out = dp_edf(inst, time_limit_s=100.0, seed=0, threads=1)
        assert out.schedule is not None
        cuts = {p.job: p.cut for p in out.schedule.plans}
        for work in (0, 20_000):
            own = dp_ls_phases(inst, "test", 100.0, seed=1, work=work)
            given = dp_ls_phases(inst, "test", 100.0, seed=1, work=work, start_cuts=cuts)
            assert given[0].schedule == own[0].schedule
            assert given[2]["given_start_weight"] == own[2]["dp_edf_weight"]
            assert "dp_edf_status" not in given[2]


def test_kept_jobs_move_to_their_release_place_when_it_is_beyond_the_window() -> None:
    """The last moves take each kept job to its release place (before the first job of the
    order released after it), only when that is more than ``WINDOW`` places earlier."""
    rng = random.Random(31)
    for _ in range(20):
        inst = random_medium_instance(rng, rng.randint(2, 16))
        order = list(inst.jobs)
        rng.shuffle(order)
        dropped = {j.id for j in order if rng.random() < 0.3}
        moves = _moves(order, dropped)
        long = [(i, at) for i, at in moves if at < i - WINDOW]
        want = []
        for i, job in enumerate(order):
            at = next((p for p, j in enumerate(order) if j.release > job.release), i)
            if job.id not in dropped and at < i - WINDOW:
                want.append((i, at))
        assert long == want
        assert len(set(moves)) == len(moves)


# where dp-ls's local search with seed 1 ended (the code before the release-place moves)
REDMI_L3_S2_LS_ORDER = [
    "j00", "j02", "j05", "j07", "j09", "j11", "j10", "j12", "j13", "j14", "j16", "j01", "j15",
    "j03", "j04", "j18", "j19", "j06", "j21", "j08", "j24", "j23", "j26", "j27", "j28", "j30",
    "j31", "j32", "j17", "j33", "j34", "j35", "j20", "j38", "j22", "j39", "j25", "j29", "j36",
    "j37"]


def test_the_release_place_move_leaves_a_window_local_optimum() -> None:
    """v2-poisson-redmi-n40-l3-s2-w (certified optimum 9 weighted misses, total weight 58):
    from the order where dp-ls's local search with seed 1 ended at 10, no re-insertion
    within ``WINDOW`` places, nor any other move of the search, accepts more weight under
    its beam, while j01 (released at 54 ms, due at 1680 ms) moved to its release place
    (10 places earlier) accepts 49, the optimum."""
    inst = read_instance(SETS_DIR / "v2" / "ar-poisson-n40" / "v2-poisson-redmi-n40-l3-s2-w.json")
    byid = {j.id: j for j in inst.jobs}
    order = [byid[i] for i in REDMI_L3_S2_LS_ORDER]
    assert inst.total_weight == 58
    dp = PrefixDP(inst, LS_BEAM)
    first = dp.run(order, 0, 0)
    assert first is not None and first[0] == 48
    dp.adopt(order, 0, first[1])
    dropped = {jid for jid, k in dp.cuts().items() if k is None}
    moves = _moves(order, dropped)
    src = REDMI_L3_S2_LS_ORDER.index("j01")
    assert (src, 1) in moves  # its release place: after j00, before j02
    for a, b in moves:
        new = list(order)
        new.insert(b, new.pop(a))
        res = dp.run(new, min(a, b), 49)
        if (a, b) == (src, 1):
            assert res is not None and res[0] == 49
        else:
            assert res is None or res[0] <= 48, (a, b)
