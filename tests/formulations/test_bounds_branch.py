"""The branch and bound over the per-cut rows (cut_branch_bound) against the brute-force oracle."""

from __future__ import annotations

import dataclasses
import itertools
import math
import random

import numpy as np
import pytest

from splitsched.formulations import bounds, job_windows
from splitsched.formulations.bounds import (
    DROPPED,
    FORCED,
    FREE,
    LAGRANGE_SCALE,
    BranchNode,
    _cut_index,
    _node_lagrangian,
    aggregate_bound,
    check_branch_certificate,
    cut_branch_bound,
    cut_energy_rows,
    cut_lp_bound,
    window_bound,
)
from splitsched.problem import Instance, Job, Network
from tests.helpers.builders import random_tiny_instance, three_either_way
from tests.helpers.oracle import optimum


def test_branch_bound_strictly_stronger_than_energy_and_cut_lp() -> None:
    # Each processor fits one 6 us stage before 10 (two need 12 > 10): two on time.
    # Accepted-set rows on [0, 10]: (1, 1) -> min(6, 6) = 6 per job, 18 <= 20;
    # (2, 1) and (1, 2) -> 6 per job, 18 <= 30; (1, 0) and (0, 1) -> 0 (the other
    # cut has no stage there): all three fit, so window_bound and the pooled bound
    # say 3. The LP over the cut choice: x_gpu total <= 10/6 and x_cpu total <= 10/6,
    # 10/3 in all, floor 3. Its integer optimum: at most one x per processor, 2.
    inst = three_either_way()
    assert aggregate_bound(inst).upper_bound == 3
    assert window_bound(inst).upper_bound == 3
    assert cut_lp_bound(inst, branch=False).upper_bound == 3
    result = cut_branch_bound(inst)
    assert result.proven and result.upper_bound == 2 and result.root == 3
    assert cut_lp_bound(inst).upper_bound == 2  # the default runs the branch and bound
    assert inst.total_weight - optimum(inst) == 2
    rows = cut_energy_rows(job_windows(inst), extra_starts=False)
    assert check_branch_certificate(inst, rows, cut_branch_bound(inst, rows=rows))


def test_branch_bound_never_cuts_off_the_optimum() -> None:
    rng = random.Random(91)
    stronger = 0
    for i in range(120):
        inst = random_tiny_instance(rng, rng.randint(1, 6), max_weight=3,
                                    zero_layers=i % 3 == 0)
        best = inst.total_weight - optimum(inst)
        windows = job_windows(inst)
        rows = cut_energy_rows(windows, extra_starts=bool(i % 2))
        lp = cut_lp_bound(inst, windows=windows, rows=rows, branch=False)
        result = cut_branch_bound(inst, windows=windows, rows=rows)
        assert result.proven
        assert best <= result.upper_bound <= lp.upper_bound, inst
        assert check_branch_certificate(inst, rows, result, windows=windows)
        # a floor (an incumbent's weight) only stops the search early, never below it
        floor = rng.randint(0, inst.total_weight)
        live = sum(w.job.weight for w in windows if w.cuts)
        cut = cut_branch_bound(inst, windows=windows, rows=rows, floor=floor)
        assert cut.upper_bound == min(live, max(floor, result.upper_bound)), inst
        assert check_branch_certificate(inst, rows, cut, floor=floor, windows=windows)
        assert best <= cut_lp_bound(inst, windows=windows, rows=rows).upper_bound, inst
        stronger += result.upper_bound < lp.upper_bound
    assert stronger > 0  # the integer optimum is strictly below the LP somewhere


def test_certificate_check_rejects_tampering() -> None:
    inst = three_either_way()
    rows = cut_energy_rows(job_windows(inst), extra_starts=False)
    result = cut_branch_bound(inst, rows=rows)
    assert check_branch_certificate(inst, rows, result)
    # claiming one less than proven: some leaf's bound exceeds it
    assert not check_branch_certificate(inst, rows, dataclasses.replace(result, upper_bound=1))
    # a leaf that claims less than its multipliers give
    leaves = []
    stack = [result.tree]
    while stack:
        node = stack.pop()
        if node.children:
            stack.extend(node.children)
        else:
            leaves.append(node)
    root = result.tree

    def replace_leaf(node: BranchNode, target: BranchNode, new: BranchNode) -> BranchNode:
        if node is target:
            return new
        kids = tuple(replace_leaf(c, target, new) for c in node.children)
        return dataclasses.replace(node, children=kids)

    top = max(leaves, key=lambda n: n.bound)
    assert top.bound == 2 and not top.open_leaf
    lied = dataclasses.replace(top, bound=1)
    bad = dataclasses.replace(result, tree=replace_leaf(root, top, lied), upper_bound=1)
    assert not check_branch_certificate(inst, rows, bad)
    # a split that forgets a side (both children FORCED on a FREE job): the root LP
    # (10/3) is fractional, so the root is split
    assert len(root.children) == 2 and root.state[root.job] == FREE
    a, b = root.children
    forced = dataclasses.replace(a, state=b.state)
    bad = dataclasses.replace(result, tree=dataclasses.replace(root, children=(forced, b)))
    assert not check_branch_certificate(inst, rows, bad)


def test_node_lagrangian_is_exact_for_huge_multipliers() -> None:
    # the int64 fast path must agree with plain Python integers, and multipliers past
    # 2^62 must switch to Python integers rather than overflow
    rng = random.Random(92)
    for i in range(60):
        inst = random_tiny_instance(rng, rng.randint(2, 5), max_weight=3)
        windows = job_windows(inst)
        rows = cut_energy_rows(windows)
        if not rows:
            continue
        flat = _cut_index(windows)
        packed = [(np.array([flat[int(j), int(k)] for j, k in zip(r.job, r.cut, strict=True)],
                            dtype=np.int64), r.coef, r.capacity) for r in rows]
        big = 2**70 if i % 2 else LAGRANGE_SCALE
        mults = [rng.randint(0, big) if rng.random() < 0.5 else 0 for _ in rows]
        state = tuple(rng.choice((FREE, DROPPED, FORCED)) if w.cuts else DROPPED
                      for w in windows)
        allowed = tuple(w.cuts for w in windows)
        weights = np.array([j.weight for j in inst.jobs], dtype=np.int64)
        # reference, in plain Python integers
        total = sum(u * cap for (_p, _c, cap), u in zip(packed, mults, strict=True))
        red = {p: 0 for p in flat.values()}
        for (pos, coef, _cap), u in zip(packed, mults, strict=True):
            for p, c in zip(pos.tolist(), coef.tolist(), strict=True):
                red[p] -= u * c
        for j, st in enumerate(state):
            vals = [int(weights[j]) * LAGRANGE_SCALE + red[flat[j, k]] for k in allowed[j]]
            if st == FREE:
                total += max([0, *vals])
            elif st == FORCED:
                total += max(vals)
        assert _node_lagrangian(weights, flat, state, allowed, packed, mults) == \
            total // LAGRANGE_SCALE


def _rows_integer_optimum(inst: Instance, windows: tuple, rows: list) -> int:
    """The largest on-time weight of a cut choice (or drop) per job that meets every row."""
    best = 0
    choices = [[None, *w.cuts] for w in windows]
    for pick in itertools.product(*choices):
        if all(sum(int(c) for j, k, c in zip(r.job, r.cut, r.coef, strict=True)
                   if pick[int(j)] == int(k)) <= r.capacity for r in rows):
            best = max(best, sum(w.job.weight for w, k in zip(windows, pick, strict=True)
                                 if k is not None))
    return best


@pytest.mark.parametrize("idle_nodes", [1, 2, 10**9])
def test_branch_bound_is_the_rows_integer_optimum_when_rows_leave_the_lp(
        monkeypatch: pytest.MonkeyPatch, idle_nodes: int) -> None:
    # Rows idle at ROW_IDLE_NODES nodes leave the node LPs and come back when violated:
    # with 1 (rows leave after every node), 2 and never, the proven bound is the brute
    # force's integer optimum of the same rows and its certificate checks.
    monkeypatch.setattr(bounds, "ROW_IDLE_NODES", idle_nodes)
    rng = random.Random(17)
    checked = 0
    for _ in range(60):
        inst = random_tiny_instance(rng, rng.randint(2, 5), max_weight=3)
        windows = job_windows(inst)
        if math.prod(len(w.cuts) + 1 for w in windows) > 20_000:
            continue
        rows = cut_energy_rows(windows, extra_starts=False)
        result = cut_branch_bound(inst, windows=windows, rows=rows, batch=1)
        assert result.proven
        assert result.upper_bound == _rows_integer_optimum(inst, windows, rows), inst
        assert check_branch_certificate(inst, rows, result, windows=windows)
        checked += 1
    assert checked >= 40


def test_branch_bound_is_the_rows_optimum_when_the_lp_takes_a_forced_slack() -> None:
    # Found by fuzzing (random_tiny_instance, seed 12, draw 86). In one node j0, j1 and j3
    # are FORCED, j1 with its one cut left; the node LP took 1/15 of j1's elastic slack
    # (it costs the total weight plus one, but freeing j1's stage let more weight in),
    # every other x was integral, so the tree took the node for an integral LP and raised
    # its proven bound to that node's Lagrangian bound: 2636568 or 2636569, where the rows'
    # integer optimum (brute force over every cut choice) and the optimum are 2436050.
    net0 = Network(name="net0", layer_names=("a", "b", "c", "d"), gpu_us=(7, 4, 1, 2),
                   cpu_us=(7, 16, 15, 14), handoff_us=(0, 1, 0, 3, 0))
    net1 = Network(name="net1", layer_names=("a",), gpu_us=(15,), cpu_us=(19,),
                   handoff_us=(0, 0))
    jobs = (Job("j0", "net1", 0, 27, 888238), Job("j1", "net1", 20, 36, 432655),
            Job("j2", "net1", 0, 18, 766688), Job("j3", "net1", 20, 39, 129070),
            Job("j4", "net0", 8, 47, 652054), Job("j5", "net0", 2, 21, 180679))
    inst = Instance(id="forced-slack", networks=(net0, net1), jobs=jobs)
    windows = job_windows(inst)
    rows = cut_energy_rows(windows)
    rows_optimum = _rows_integer_optimum(inst, windows, rows)
    assert rows_optimum == inst.total_weight - optimum(inst) == 2436050
    for batch in (2, 200):
        result = cut_branch_bound(inst, windows=windows, rows=rows, batch=batch)
        assert result.proven
        assert result.upper_bound == rows_optimum
        assert check_branch_certificate(inst, rows, result, windows=windows)


def test_cut_lp_bound_branches_in_steps_of_the_weights_gcd() -> None:
    # Three jobs of weight 2^20 (each 6 us on the GPU or the CPU, due at 10): the LP allows
    # 3 * 2^20 on time, the rows' integer optimum (and the optimum) is 2 * 2^20. Asking one
    # weight unit less per tree would need 2^20 trees; stepping by the gcd needs one.
    w = 2**20
    inst = three_either_way(w)
    assert inst.total_weight - optimum(inst) == 2 * w
    assert cut_lp_bound(inst, branch=False).upper_bound == 3 * w
    assert cut_lp_bound(inst, time_limit_s=60).upper_bound == 2 * w
