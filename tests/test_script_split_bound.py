"""scripts/split_bound.py: its bound never exceeds the brute-force optimum; bad input."""

from __future__ import annotations

import importlib.util
import random
import subprocess
import sys

from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum
from tests.helpers.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "split_bound.py"
DEMO = REPO_ROOT / "splitsched/data/sets/demo"

_spec = importlib.util.spec_from_file_location("split_bound", SCRIPT)
assert _spec is not None and _spec.loader is not None
split_bound = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(split_bound)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO_ROOT,
                          capture_output=True, text=True, timeout=300, check=False)


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
    missing = _run("no-such-file.json")
    assert missing.returncode == 2 and "no-such-file.json" in missing.stderr
    for flag, bad in (("--seconds", "0"), ("--seconds", "nan"), ("--step", "0")):
        res = _run(str(DEMO / "batch-mi9-n8-l2p5-s1.json"), flag, bad)
        assert res.returncode == 2 and flag in res.stderr
