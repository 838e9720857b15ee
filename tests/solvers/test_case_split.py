"""case_split: its certificates agree with the brute-force oracle on tiny instances."""

from __future__ import annotations

import random

from splitsched.evaluate import evaluate
from splitsched.solvers.case_split import Case, _children, case_split, job_classes
from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum


def test_the_optimum_is_certified_and_one_more_is_refuted_by_a_schedule() -> None:
    rng = random.Random(31)
    for i in range(12):
        inst = random_tiny_instance(rng, rng.randint(3, 6), max_weight=3,
                                    zero_layers=i % 3 == 0)
        best = optimum(inst)
        res = case_split(inst, best, leaf_s=10, budget_s=120)
        assert res.certified and res.schedule is None, (inst, res.log)
        over = case_split(inst, best + 1, leaf_s=10, budget_s=120)
        assert not over.certified and over.schedule is not None, (inst, over.log)
        ev = evaluate(inst, over.schedule)
        assert ev.feasible and ev.weighted_misses <= best


def test_leaves_split_down_to_single_jobs_cover_every_on_time_set() -> None:
    # Splitting every case to its leaves (as an undecided case would be) partitions the
    # on-time sets whose weight lies in the window: each such set in exactly one leaf.
    inst = random_tiny_instance(random.Random(4), 5, max_weight=2)
    classes = job_classes(inst)
    lo_t, hi_t = 3, 4
    leaves: list[Case] = []
    stack = [Case()]
    while stack:
        case = stack.pop()
        kids = _children(case, classes, inst, lo_t, hi_t)
        if kids:
            stack.extend(kids)
        else:
            leaves.append(case)
    weights = [j.weight for j in inst.jobs]
    for mask in range(1 << inst.num_jobs):
        on = {j for j in range(inst.num_jobs) if mask >> j & 1}
        if not lo_t <= sum(weights[j] for j in on) <= hi_t:
            continue
        hits = [leaf for leaf in leaves
                if all(sum(1 for j in classes[c][2] if j in on) == k for c, k in leaf.counts)
                and all((j in on) == v for j, v in leaf.jobs)]
        assert len(hits) == 1, (on, hits)


def test_classes_are_heaviest_first() -> None:
    inst = random_tiny_instance(random.Random(9), 6, max_weight=3)
    ws = [w for _net, w, _members in job_classes(inst)]
    assert ws == sorted(ws, reverse=True)
    assert sorted(j for *_rest, members in job_classes(inst) for j in members) == list(
        range(inst.num_jobs))


def test_tiny_limits_split_to_fixed_cases_and_retry_them_until_decided() -> None:
    # With limits too short for CP-SAT's root, cases are split down to every job fixed,
    # and the undecided ones are tried again with doubled limits: still the oracle's
    # answers, never a certificate from an undecided case.
    rng = random.Random(57)
    retried = 0
    for _ in range(6):
        inst = random_tiny_instance(rng, rng.randint(4, 6), max_weight=2)
        best = optimum(inst)
        res = case_split(inst, best, leaf_s=1e-4, count_leaf_s=1e-4, budget_s=120)
        assert res.certified and res.schedule is None, (inst, res.log)
        texts = [text for text, _status, _s in res.log]
        retried += len(texts) - len(set(texts))
        over = case_split(inst, best + 1, leaf_s=1e-4, count_leaf_s=1e-4, budget_s=120)
        assert over.schedule is not None, (inst, over.log)
        assert evaluate(inst, over.schedule).weighted_misses <= best
    assert retried > 0  # the retry path ran


def test_a_vanishing_limit_is_retried_from_a_millisecond() -> None:
    # 1e-300 s doubled alone would need about 1,000 retries to reach 1 ms (a newcomer's
    # attack: 1,319 cases, all undecided, within a 10 s budget)
    inst = random_tiny_instance(random.Random(8), 5, max_weight=2)
    best = optimum(inst)
    res = case_split(inst, best, leaf_s=1e-300, count_leaf_s=1e-300, budget_s=60)
    assert res.certified, res.log[-3:]
