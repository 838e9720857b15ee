"""dp-edf's reach regions and the search built on them: outer approximations, same optimum."""

from __future__ import annotations

import random

import numpy as np
import pytest

from splitsched.evaluate import evaluate
from splitsched.problem import Instance, edf_key
from splitsched.solvers.dp import (
    DpSettings,
    _schedule,
    reach_bound,
    run_dp,
    solve_dp_edf,
)
from splitsched.solvers.dp_kernel import reach_contains
from tests.helpers.builders import random_medium_instance, random_tiny_instance
from tests.helpers.oracle import optimum

# the reach search from the start: no plain pass, tiny tables (coarse regions), one guided round
REACH_ONLY = DpSettings(plain_max_labels=0, reach_budget=1, reach_corners=(2, 2), guide_rounds=1)
REACH_FINE = DpSettings(plain_max_labels=0)
# the plain exact pass first (dp-edf's path for large n, where the regions would be coarse),
# stopped early so that the reach search takes over on the larger instances
PLAIN_FIRST = DpSettings(reach_first_corners=10 ** 9, plain_max_labels=50)


def _tiny(seed: int, count: int) -> list[Instance]:
    rng = random.Random(seed)
    return [random_tiny_instance(rng, rng.randint(1, 5), max_weight=rng.choice((1, 1, 3)),
                                 zero_layers=rng.random() < 0.3)
            for _ in range(count)]


@pytest.mark.parametrize("corners", [1, 2, 64])
def test_reach_regions_contain_every_start_that_reaches(corners: int) -> None:
    """From any start (G, C): if the exact DP adds weight e (within makespan M when it adds
    exactly e), the start lies in region e, however coarse the table."""
    rng = random.Random(70 + corners)
    for inst in _tiny(seed=71 + corners, count=60):
        jobs = sorted(inst.jobs, key=edf_key)
        total = inst.total_weight
        horizon = max(j.deadline for j in jobs)
        for _ in range(6):
            lb = rng.randint(1, total)
            mk = rng.choice([None, rng.randint(0, horizon)])
            lo, xs, ys, ns = reach_bound(inst, jobs, lb, total - lb + 1, corners, mk)
            g0, c0 = rng.randint(0, horizon), rng.randint(0, horizon)
            run = run_dp(inst, jobs, free=(g0, c0))  # exact within EDF order
            # region e holds the starts that add >= e (mk None), or add >= e + 1, or add
            # >= e within makespan mk; the run is the exact DP from that start
            for e in range(lb, total + 1):
                if mk is None:
                    qualifies = run.accepted_weight >= e
                else:
                    qualifies = run.accepted_weight >= e + 1 or (
                        run.accepted_weight == e and run.makespan <= mk)
                if qualifies:
                    assert reach_contains(int(lo[0]), xs[0], ys[0], ns[0], e, g0, c0), \
                        (inst, lb, mk, e, g0, c0)


def test_reach_regions_are_exact_when_not_thinned() -> None:
    """With corners enough for every region, a start outside region e cannot add e."""
    rng = random.Random(5)
    for inst in _tiny(seed=6, count=80):
        jobs = sorted(inst.jobs, key=edf_key)
        total = inst.total_weight
        horizon = max(j.deadline for j in jobs)
        lo, xs, ys, ns = reach_bound(inst, jobs, 1, total, 4096)
        assert ns.max() < 4096
        for _ in range(5):
            g0, c0 = rng.randint(0, horizon), rng.randint(0, horizon)
            best = run_dp(inst, jobs, free=(g0, c0)).accepted_weight
            for e in range(1, total + 1):
                inside = reach_contains(int(lo[0]), xs[0], ys[0], ns[0], e, g0, c0)
                assert inside == (best >= e), (inst, e, g0, c0, best)


@pytest.mark.parametrize("settings", [REACH_ONLY, REACH_FINE, PLAIN_FIRST],
                         ids=["coarse", "fine", "plain-first"])
def test_reach_search_equals_the_edf_order_optimum(settings: DpSettings) -> None:
    searched = 0
    for inst in _tiny(seed=17, count=200):
        out = solve_dp_edf(inst, time_limit_s=60.0, seed=0, threads=1, settings=settings)
        assert out.status == "feasible" and out.schedule is not None
        ev = evaluate(inst, out.schedule)
        assert ev.feasible and ev.weighted_misses == optimum(inst, edf_order=True), inst
        searched += out.stats["guided_rounds"] > 0 or out.stats["labels_total"] > 0
    assert searched >= 40  # an exact pass ran (the others had every job that fits)


@pytest.mark.parametrize("settings", [REACH_ONLY, REACH_FINE, PLAIN_FIRST],
                         ids=["coarse", "fine", "plain-first"])
def test_reach_search_keeps_weight_and_makespan_of_the_plain_dp(settings: DpSettings) -> None:
    """On medium instances the reach search returns the plain exact pass's weight and makespan."""
    rng = random.Random(23)
    for inst in [random_medium_instance(rng, n) for n in (20, 30, 40)]:
        jobs = sorted(inst.jobs, key=edf_key)
        plain = run_dp(inst, jobs, grid=0)
        out = solve_dp_edf(inst, time_limit_s=120.0, seed=0, threads=1, settings=settings)
        assert out.status == "feasible" and out.schedule is not None
        assert out.stats["accepted_weight"] == plain.accepted_weight
        a = evaluate(inst, _schedule(inst, jobs, plain.cuts))
        b = evaluate(inst, out.schedule)
        assert b.feasible
        assert (a.weighted_misses, a.makespan) == (b.weighted_misses, b.makespan)


def test_reach_region_of_a_hand_computed_job() -> None:
    """One job, a = (0, 2, 5), h = (0, 1, 0), b = (10, 6, 0), deadline 9. Cut 0 is late
    alone; cut 1 needs G <= 9 - 6 - 1 - 2 = 0 and C <= 9 - 6 = 3; cut 2 (GPU only) needs
    G <= 4, any C, which contains cut 1's quadrant. Ending by 6: cut 1 cannot (3 + 6 > 6),
    cut 2 needs G <= 6 - 5 = 1 and the CPU, untouched, free by 6."""
    from splitsched.problem import Job
    from tests.helpers.builders import chain_network

    net = chain_network("n", gpu=(2, 3), cpu=(4, 6), handoff=(1,))
    inst = Instance(id="hand", networks=(net,), jobs=(Job("J", "n", release=0, deadline=9),))

    def corners(mk: int | None) -> set[tuple[int, int]]:
        lo, xs, ys, ns = reach_bound(inst, list(inst.jobs), 1, 1, 8, mk)
        assert np.array_equal(lo, [1, 0])
        return {(int(x), int(y)) for x, y in zip(xs[0, 0, :ns[0, 0]], ys[0, 0, :ns[0, 0]],
                                                 strict=True)}

    assert corners(None) == {(4, 2 ** 61)}
    assert corners(6) == {(1, 6)}


def _preimage(x: int, y: int, k: int, a: int, h: int, b: int, last: int, r: int, d: int
              ) -> tuple[bool, int, int]:
    """The free times (G, C) from which cut k lands in ``G' <= x, C' <= y`` on time.

    Mirrors :func:`_successor` constraint by constraint: every constraint on
    the successor and on the completion is ``max(G, const) + t <= T`` or
    ``max(C, const) + t <= T``, so the set is a quadrant ``G <= gx, C <= cy``
    (returned with True) or empty (False). Free times are >= 0, so a quadrant
    with a negative side is empty too.
    """
    from splitsched.solvers.dp_kernel import INF

    gx = INF
    cy = INF
    ok = True
    # GPU stage: gpu_end = max(G, r) + a (a > 0), or r with G unchanged (a = 0)
    if a == 0:
        gx = min(gx, x)
    else:
        ok = ok and r + a <= x
        gx = min(gx, x - a)
    # ready <= T with ready = r (k = 0), r + h (a = 0), max(G, r) + a + h; three uses
    for use in range(3):
        t = 0
        if use == 0:
            if b == 0:
                cy = min(cy, y)
                continue
            cy = min(cy, y - b)  # CPU end max(C, ready) + b <= y
            t = y - b
        elif use == 1:
            if k == last:
                continue
            if b == 0:
                t = d  # completion = ready
            else:
                cy = min(cy, d - b)
                t = d - b
        else:
            if k != last:
                continue
            # completion = gpu_end <= d
            if a == 0:
                ok = ok and r <= d
            else:
                ok = ok and r + a <= d
                gx = min(gx, d - a)
            continue
        if k == 0:
            ok = ok and r <= t
        elif a == 0:
            ok = ok and r + h <= t
        else:
            ok = ok and r + a + h <= t
            gx = min(gx, t - a - h)
    return ok and gx >= 0 and cy >= 0, gx, cy


def test_preimage_constants_agree_with_the_constraint_by_constraint_preimage() -> None:
    """reach_tables uses _preimage_coeffs; _preimage (above) mirrors _successor line by line."""
    from splitsched.solvers.dp_kernel import INF, _preimage_coeffs, _successor

    rng = random.Random(8)
    for _ in range(20000):
        last = rng.randint(1, 4)
        k = rng.randint(0, last)
        a = 0 if k == 0 or rng.random() < 0.2 else rng.randint(1, 9)
        b = 0 if k == last or rng.random() < 0.2 else rng.randint(1, 9)
        h = 0 if k in (0, last) else rng.randint(0, 4)
        r, d = rng.randint(0, 10), rng.randint(0, 40)
        x = INF if rng.random() < 0.1 else rng.randint(0, 40)
        y = INF if rng.random() < 0.1 else rng.randint(0, 40)
        ok, gx, cy = _preimage(x, y, k, a, h, b, last, r, d)
        okc, ga, has_gb, gb, gc, cb, cc, tx, ty = _preimage_coeffs(k, a, h, b, last, r, d)
        gx2 = min(x - ga, gc, y - gb if has_gb else INF)
        cy2 = min(y - cb, cc)
        ok2 = okc and x >= tx and y >= ty and gx2 >= 0 and cy2 >= 0
        assert ok == ok2, (k, a, h, b, last, r, d, x, y)
        if ok:
            assert (gx, cy) == (gx2, cy2)
            # and the quadrant's corner really lands in (x, y) on time
            g_new, c_new, fin = _successor(gx, cy, r, k, a, h, b, last)
            assert g_new <= x and c_new <= y and fin <= d
