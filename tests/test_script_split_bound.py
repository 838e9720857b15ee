"""scripts/split_bound.py: its bound never exceeds the brute-force optimum; bad input."""

from __future__ import annotations

import random

from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum
from tests.helpers.paths import REPO_ROOT
from tests.helpers.scripts import ScriptResult, load_script, run_program, run_script

DEMO = REPO_ROOT / "splitsched/data/sets/demo"

split_bound = load_script("split_bound")


def _run(*args: str) -> ScriptResult:
    return run_script("split_bound", *args)


def test_the_two_parts_bound_the_optimum() -> None:
    # the parts share no processor time: their bounds' sum never exceeds the optimum
    rng = random.Random(17)
    for _ in range(20):
        inst = random_tiny_instance(rng, 5, max_weight=3)
        best = optimum(inst)
        for t in sorted({j.release for j in inst.jobs} | {j.deadline for j in inst.jobs}):
            due = tuple(i for i, j in enumerate(inst.jobs) if j.deadline <= t)
            later = tuple(i for i, j in enumerate(inst.jobs) if j.release >= t)
            assert not set(due) & set(later)
            total = (split_bound.part_bound(inst, due, 2.0)[0]
                     + split_bound.part_bound(inst, later, 2.0)[0])
            assert total <= best, (inst, t)


def test_bad_input_exits_2() -> None:
    missing = run_program("split_bound", "no-such-file.json")
    assert missing.returncode == 2 and "no-such-file.json" in missing.stderr
    for flag, bad in (("--seconds", "0"), ("--seconds", "nan"), ("--step", "0")):
        res = _run(str(DEMO / "batch-mi9-n8-l2p5-s1.json"), flag, bad)
        assert res.returncode == 2 and flag in res.stderr
