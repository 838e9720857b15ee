"""dp-edf's compiled pass (dp_kernel.dp_pass) builds exactly the step-by-step loop's labels.

The reference is the loop itself: one ``dp_step_reach`` call per job with the arguments
``run_dp`` gives it. Identical labels in identical order at every stage mean identical
answers and cuts; ``run_dp`` with and without the compiled pass is compared on whole runs,
including the hand-overs to the Python-side bounds (completion table, capacity bound,
label cap) and the deadline chunks.
"""

from __future__ import annotations

import random
import time

import numpy as np
import pytest

import splitsched.solvers.dp as dp_module
from splitsched.problem import Instance, Job, edf_key
from splitsched.solvers.dp import DpSettings, Run, prepare, reach_bound, run_dp
from splitsched.solvers.dp_kernel import dp_pass, dp_step_reach
from tests.helpers.builders import random_medium_instance, random_tiny_instance

Labels = tuple[np.ndarray | None, ...]


def _instances(seed: int) -> list[Instance]:
    rng = random.Random(seed)
    out = [random_tiny_instance(rng, rng.randint(1, 7), max_weight=rng.choice((1, 1, 4)),
                                zero_layers=rng.random() < 0.3)
           for _ in range(60)]
    out += [random_medium_instance(rng, rng.randint(8, 22)) for _ in range(8)]
    return out


def _loop(inst: Instance, free: tuple[int, int], lower_bound: int, beam: int,
          reach: tuple[np.ndarray, ...] | None) -> list[Labels]:
    """Every stage's (m, g, c, parent, cut), one dp_step_reach call per job (stops at an
    empty stage, which is included)."""
    jobs = sorted(inst.jobs, key=edf_key)
    prep = prepare(inst, jobs)
    m = np.zeros(1, np.int64)
    g = np.full(1, free[0], np.int64)
    c = np.full(1, free[1], np.int64)
    remaining = sum(j.weight for j in jobs)
    stages: list[Labels] = []
    for pos, job in enumerate(jobs):
        remaining -= job.weight
        ks, a, h, b = prep.options[pos]
        rt = ((int(reach[0][pos + 1]), reach[1][pos + 1], reach[2][pos + 1], reach[3][pos + 1])
              if reach is not None else
              (0, np.zeros((0, 0), np.int64), np.zeros((0, 0), np.int64), np.zeros(0, np.int64)))
        out = dp_step_reach(m, g, c, ks, a, h, b, int(prep.layers[pos]), job.release,
                            job.deadline, job.weight, remaining, lower_bound, beam,
                            prep.gpu_limit[pos + 1:], prep.cpu_limit[pos + 1:],
                            prep.weights[pos + 1:], np.zeros(0, np.int64),
                            np.zeros((1, 1), np.int64), *rt)
        stages.append(out)
        if len(out[0]) == 0:
            break
        m, g, c = out[0], out[1], out[2]
    return stages


def _driven(inst: Instance, free: tuple[int, int], lower_bound: int, beam: int,
            reach: tuple[np.ndarray, ...] | None, work: int, stop: int) -> list[Labels]:
    """The same stages from dp_pass, called again after each stop (work limit, label
    count), as run_dp does. dp_pass returns the labels after its last stage only: the
    other stages carry None there (with ``work`` 1 every stage is a last stage)."""
    jobs = sorted(inst.jobs, key=edf_key)
    n = len(jobs)
    prep = prepare(inst, jobs)
    start, ks, a, h, b, rel, dl = prep.flat
    r_lo, r_x, r_y, r_n = reach if reach is not None else (
        np.zeros(n + 1, np.int64), np.zeros((n + 1, 0, 0), np.int64),
        np.zeros((n + 1, 0, 0), np.int64), np.zeros((n + 1, 0), np.int64))
    m = np.zeros(1, np.int64)
    g = np.full(1, free[0], np.int64)
    c = np.full(1, free[1], np.int64)
    stages: list[Labels] = []
    pos = 0
    while pos < n:
        status, done, m2, g2, c2, par, cut, offs, held = dp_pass(
            m, g, c, pos, start, ks, a, h, b, prep.layers, rel, dl, prep.weights,
            prep.gpu_limit, prep.cpu_limit, lower_bound, beam, r_lo, r_x, r_y, r_n, stop, work)
        assert len(offs) == done + 1 and offs[0] == 0
        assert done >= 1 or status in (2, 3)
        for s in range(done):
            sl = slice(offs[s], offs[s + 1])
            stages.append((None, None, None, par[sl], cut[sl]))  # labels filled below
            assert 0 < offs[s + 1] - offs[s] <= stop
        if done:
            stages[-1] = (m2, g2, c2, stages[-1][3], stages[-1][4])
        else:
            assert m2 is m
        pos += done
        if status == 3:
            stages.append((np.zeros(0, np.int64),) * 5)
            return stages
        if status == 0:
            assert pos == n
        elif status == 1:
            assert work > 0 and pos < n
        else:  # the stage that went over ``stop``, handed back, not taken in
            assert status == 2 and len(held[0]) > stop
            stages.append(held)
            m2, g2, c2 = held[0], held[1], held[2]
            pos += 1
        m, g, c = m2, g2, c2
    return stages


def _same(loop: list[Labels], driven: list[Labels]) -> None:
    assert len(loop) == len(driven)
    for want, got in zip(loop, driven, strict=True):
        for i in range(5):
            if got[i] is not None:
                np.testing.assert_array_equal(want[i], got[i])


@pytest.mark.parametrize("work,stop", [(0, 2 ** 62), (1, 2 ** 62), (7, 3), (0, 1)])
def test_dp_pass_builds_the_loops_labels(work: int, stop: int) -> None:
    """Stage by stage the same labels, parents and cuts, in the same order: plain, beam,
    lower bound, reach regions, other start labels; in one call or many."""
    rng = random.Random(900 + work + stop % 97)
    for inst in _instances(seed=901 + work):
        jobs = sorted(inst.jobs, key=edf_key)
        total = inst.total_weight
        horizon = max(j.deadline for j in jobs)
        free = rng.choice([(0, 0), (rng.randint(0, horizon // 2), rng.randint(0, horizon // 2))])
        beam = rng.choice([0, 0, 1, 2, 5])
        lb = rng.choice([0, rng.randint(1, total)])
        reach = None
        if lb > 0 and rng.random() < 0.5:
            mk = rng.choice([None, rng.randint(0, horizon)])
            reach = reach_bound(inst, jobs, lb, rng.randint(1, total - lb + 1),
                                rng.choice([1, 2, 64]), mk)
        loop = _loop(inst, free, lb, beam, reach)
        driven = _driven(inst, free, lb, beam, reach, work, stop)
        _same(loop, driven)


def _run(inst: Instance, jobs: list[Job], **kw: object) -> Run | str:
    try:
        return run_dp(inst, jobs, **kw)  # type: ignore[arg-type]
    except ValueError as exc:
        return str(exc)


SMALL_BOUNDS = DpSettings(grid_min_labels=3, capacity_min_labels=5, grid=4)


@pytest.mark.parametrize("settings", [DpSettings(), SMALL_BOUNDS])
def test_run_dp_with_and_without_the_compiled_pass(settings: DpSettings,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """The same Run (weight, makespan, cuts, label counts, complete) or the same error,
    with every option that decides where the compiled pass hands over to Python."""
    rng = random.Random(77)
    for inst in _instances(seed=78):
        jobs = sorted(inst.jobs, key=edf_key)
        total = inst.total_weight
        horizon = max(j.deadline for j in jobs)
        lb = rng.choice([0, rng.randint(1, total)])
        kw: dict[str, object] = {
            "lower_bound": lb,
            "beam": rng.choice([None, None, 1, 3]),
            "free": rng.choice([(0, 0), (rng.randint(0, horizon // 2), 0)]),
            "max_labels": rng.choice([None, None, 2, 6]),
            "grid": rng.choice([None, 0]),
            "settings": settings,
        }
        if lb > 0 and rng.random() < 0.4:
            mk = rng.choice([None, rng.randint(0, horizon)])
            kw["reach"] = reach_bound(inst, jobs, lb, rng.randint(1, total - lb + 1),
                                      rng.choice([1, 2, 64]), mk)
        want = _run(inst, jobs, driver=False, **kw)
        assert _run(inst, jobs, **kw) == want
        # a far deadline: the compiled pass runs in chunks, the clock checked between them
        monkeypatch.setattr(dp_module, "DRIVER_WORK", rng.choice([1, 10]))
        assert _run(inst, jobs, deadline=time.perf_counter() + 3600, **kw) == want
        monkeypatch.undo()


def test_a_passed_deadline_stops_before_the_first_step() -> None:
    inst = random_medium_instance(random.Random(5), 12)
    jobs = sorted(inst.jobs, key=edf_key)
    run = run_dp(inst, jobs, deadline=time.perf_counter() - 1)
    assert not run.complete and run.accepted_weight == 0
    assert all(k is None for k in run.cuts.values())
