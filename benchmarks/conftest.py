"""Instances for the benchmark suites: the committed named sets.

``smoke`` (4 tiny instances) for every solver, and the six n = 80 instances
of ``poisson-n80`` (3 devices x loads 1.5 and 3.0) for the parts whose speed
matters at scale: dp-edf, model building, evaluate.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from splitsched.io import read_instance
from splitsched.problem import Instance
from splitsched.sets import SETS_DIR, iter_set_files


def set_instances(name: str) -> list[Instance]:
    directory: Path = SETS_DIR / name
    files = list(iter_set_files(directory))
    if not files:
        pytest.exit(f"instance set {name!r} missing in {directory}: run `splitsched sets build`",
                    returncode=2)
    return [read_instance(p) for p in files]


SMOKE = set_instances("smoke")
POISSON_N80 = set_instances("poisson-n80")


@pytest.fixture(params=POISSON_N80, ids=[i.id for i in POISSON_N80])
def n80_instance(request: pytest.FixtureRequest) -> Instance:
    inst: Instance = request.param
    return inst
