"""scripts/batch_survivors.py: the group symmetry it rests on (against the brute force), its
count vectors, and its errors."""

from __future__ import annotations

import importlib.util
import itertools
import random
import subprocess
import sys
from types import ModuleType

from splitsched.solvers.lbbd import sub_instance
from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum
from tests.helpers.paths import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "batch_survivors.py"


def _module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("batch_survivors", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_some_optimum_keeps_the_jobs_due_last_of_every_group() -> None:
    # The brute-force optimum equals the best over count vectors whose jobs (the ones due
    # last in each group) can all be on time: the symmetry loses no optimum.
    mod = _module()
    rng = random.Random(5)
    grouped = 0
    for i in range(100):
        inst = random_tiny_instance(rng, rng.randint(2, 5), with_release=i % 2 == 0,
                                    max_weight=2)
        groups = mod.groups_of(inst)
        grouped += any(len(g) > 1 for g in groups)
        best = 0
        for v in itertools.product(*[range(len(g) + 1) for g in groups]):
            jobs = [j for g, c in zip(groups, v, strict=True) for j in g[:c]]
            if not jobs:
                continue
            sub = sub_instance(inst, tuple(sorted(jobs)))
            if optimum(sub) == 0:
                best = max(best, sum(inst.jobs[j].weight for j in jobs))
        assert best == inst.total_weight - optimum(inst), inst
    assert grouped >= 20  # groups with twins occurred (25 with this seed)


def test_minimal_vectors() -> None:
    mod = _module()
    # two groups of 2 jobs, weights 1 and 3; weight >= 4 and minimal:
    # (1, 1) = 4; (2, 1) = 5 drops to 4 without a weight-1 job: not minimal;
    # (0, 2) = 6 drops to 3 without one: minimal; (1, 2) = 7 drops to 6: not minimal.
    assert sorted(mod.minimal_vectors([2, 2], [1, 3], 4, 100)) == [(0, 2), (1, 1)]
    assert mod.minimal_vectors([2, 2], [1, 3], 4, 1) is None  # more than the limit


def test_bad_input_exits_2() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=REPO_ROOT,
                              capture_output=True, text=True, timeout=120, check=False)

    missing = run("no-such-file.json", "--misses", "2")
    assert missing.returncode == 2 and "no-such-file.json" in missing.stderr
    demo = str(REPO_ROOT / "splitsched/data/sets/demo/batch-mi9-n8-l2p5-s1.json")
    res = run(demo, "--misses", "0")
    assert res.returncode == 2 and "--misses" in res.stderr
