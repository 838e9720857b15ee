"""dp-edf at scale: every n = 80 instance of the shipped sets, and 1000 jobs.

Targets (issue 10): median <= 100 ms on every n = 80 instance, batch n = 80
finished (status ``feasible``, not ``timeout``) within 1 s, n = 1000 within 5 s.
Run ``python -m pytest benchmarks/test_dp_speed.py --benchmark-only``;
``extra_info`` holds status, misses and label counts, so a saved run shows
which instances finished. The 1000-job instances are generated (poisson, mi9,
all its networks, loads 1.5 and 3, seed 1), not committed.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import set_instances

from splitsched.generate import GeneratorParams, generate_instance
from splitsched.problem import Instance
from splitsched.profiles.store import load_device
from splitsched.solve import solve

TIME_LIMIT_S = 10.0  # as in the reference sweep: a run past it returns `timeout`
N80 = set_instances("batch-n80") + set_instances("poisson-n80")


def _n1000(load: float) -> Instance:
    """As `splitsched generate --scenario poisson --device mi9 --jobs 1000 --load L --seed 1`."""
    nets = load_device("mi9").networks
    params = GeneratorParams(scenario="poisson", device="mi9", models=tuple(sorted(nets)),
                             jobs=1000, load=load, seed=1)
    return generate_instance(params, dict(nets))


def _record(benchmark: Any, inst: Instance, res: Any) -> None:
    benchmark.extra_info.update({"instance": inst.id, "status": res.status, "missed": res.missed,
                                 "labels_total": res.stats.get("labels_total")})


@pytest.mark.parametrize("inst", N80, ids=[i.id for i in N80])
def test_dp_edf_all_n80(benchmark: Any, inst: Instance) -> None:
    res = benchmark.pedantic(solve, args=(inst, "dp-edf"), kwargs={"time_limit_s": TIME_LIMIT_S},
                             rounds=5, iterations=1, warmup_rounds=1)
    _record(benchmark, inst, res)
    assert res.status in ("feasible", "timeout")


@pytest.mark.parametrize("load", [1.5, 3.0])
def test_dp_edf_n1000(benchmark: Any, load: float) -> None:
    inst = _n1000(load)
    res = benchmark.pedantic(solve, args=(inst, "dp-edf"), kwargs={"time_limit_s": 600.0},
                             rounds=1, iterations=1)
    _record(benchmark, inst, res)
    assert res.status == "feasible"
