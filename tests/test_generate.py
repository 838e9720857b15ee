"""Generator facts: determinism, scenario rules, and the committed sets."""

from __future__ import annotations

import itertools
import math
from pathlib import Path
from typing import Any

import pytest

from splitsched.generate import GeneratorParams, describe, generate_instance
from splitsched.io import InputError, dumps, instance_to_dict, read_json
from splitsched.problem import MAX_TIME_US, MAX_WEIGHT
from splitsched.sets import SETS_DIR, build_set, load_specs, verify_set
from tests.helpers.builders import two_layer

NETS = {"g": two_layer("g", gpu=(10, 10), cpu=(40, 40), handoff=3),
        "c": two_layer("c", gpu=(50, 50), cpu=(5, 5), handoff=2)}


def params(**kw: Any) -> GeneratorParams:
    base: dict[str, Any] = {"scenario": "poisson", "device": "toy", "models": ("g", "c"),
                            "jobs": 30, "load": 1.5, "slack": None, "seed": 7}
    return GeneratorParams(**(base | kw))


@pytest.mark.parametrize("scenario", ["batch", "periodic", "poisson"])
def test_same_seed_same_bytes(scenario: str) -> None:
    a = dumps(instance_to_dict(generate_instance(params(scenario=scenario), NETS)))
    b = dumps(instance_to_dict(generate_instance(params(scenario=scenario), NETS)))
    c = dumps(instance_to_dict(generate_instance(params(scenario=scenario, seed=8), NETS)))
    assert a == b
    assert a != c


def test_batch_rules() -> None:
    inst = generate_instance(params(scenario="batch", slack=2.0), NETS)
    assert inst.num_jobs == 30
    for job in inst.jobs:
        best = inst.network_by_name[job.network].stages.best_latency
        assert job.release == 0
        assert best <= job.deadline <= math.ceil(2.0 * best)


def test_poisson_rules() -> None:
    inst = generate_instance(params(slack=3.0), NETS)
    releases = [j.release for j in inst.jobs]
    assert releases == sorted(releases) and releases[0] == 0
    for job in inst.jobs:
        best = inst.network_by_name[job.network].stages.best_latency
        assert job.deadline == job.release + math.ceil(3.0 * best)


def test_periodic_rules() -> None:
    inst = generate_instance(params(scenario="periodic", jobs=12), NETS)
    by_model: dict[str, list[tuple[int, int]]] = {}
    for job in inst.jobs:
        by_model.setdefault(job.network, []).append((job.release, job.deadline))
    for windows in by_model.values():
        periods = {d - r for r, d in windows}
        assert len(periods) == 1  # implicit deadline = one period
        (period,) = periods
        starts = sorted(r for r, _ in windows)
        assert all(b - a == period for a, b in itertools.pairwise(starts))


def test_bad_parameters() -> None:
    with pytest.raises(InputError, match="models"):
        generate_instance(params(models=("nope",)), NETS)
    with pytest.raises(InputError, match="load"):
        generate_instance(params(load=-1.0), NETS)
    with pytest.raises(InputError, match="scenario"):
        generate_instance(params(scenario="bursty"), NETS)


def test_describe_counts() -> None:
    info = describe(generate_instance(params(), NETS))
    assert info["jobs"] == 30
    assert sum(row["jobs"] for row in info["networks"]) == 30


def test_committed_sets_match_their_manifests() -> None:
    specs = load_specs()
    for name in ("smoke", "demo", "batch-n80", "poisson-n80"):
        assert name in specs
        directory = SETS_DIR / name
        assert verify_set(directory) == [], name
        manifest = read_json(directory / "manifest.json")
        assert len(manifest["instances"]) == len(specs[name].grid)


def test_rebuilding_a_set_gives_the_same_bytes(tmp_path: Path) -> None:
    spec = load_specs()["smoke"]
    build_set(spec, tmp_path)
    for f in (tmp_path / "smoke").glob("*.json"):
        assert f.read_bytes() == (SETS_DIR / "smoke" / f.name).read_bytes(), f.name


# --- job weights (priority classes) -------------------------------------------------------


@pytest.mark.parametrize("scenario", ["batch", "periodic", "poisson"])
def test_weights_follow_the_network_and_leave_the_draw_alone(scenario: str) -> None:
    plain = generate_instance(params(scenario=scenario), NETS)
    weighted = generate_instance(params(scenario=scenario, weights=(("g", 3),)), NETS)
    assert [(j.network, j.release, j.deadline) for j in weighted.jobs] == \
        [(j.network, j.release, j.deadline) for j in plain.jobs]
    assert {j.network for j in weighted.jobs} == {"g", "c"}  # both classes drawn
    for job in weighted.jobs:
        assert job.weight == (3 if job.network == "g" else 1)
    assert all(j.weight == 1 for j in plain.jobs)
    assert weighted.total_weight == plain.num_jobs + 2 * sum(j.network == "g"
                                                             for j in plain.jobs)
    assert weighted.id == plain.id + "-w"
    assert weighted.provenance["generator"]["weights"] == {"g": 3}
    assert "weights" not in plain.provenance["generator"]


def test_dropping_a_weighted_job_costs_its_weight() -> None:
    from splitsched.evaluate import evaluate
    from splitsched.problem import JobPlan, Schedule

    inst = generate_instance(params(scenario="batch", jobs=6, weights=(("g", 3),)), NETS)
    dropped = tuple(JobPlan(job=j.id, cut=None) for j in inst.jobs)
    ev = evaluate(inst, Schedule(instance_id=inst.id, solver="none", plans=dropped))
    assert ev.feasible and ev.misses == 6
    assert ev.weighted_misses == inst.total_weight == sum(
        3 if j.network == "g" else 1 for j in inst.jobs)


def test_bad_weights() -> None:
    with pytest.raises(InputError, match=r"weights.*not in the model mix"):
        generate_instance(params(weights=(("nope", 3),)), NETS)
    with pytest.raises(InputError, match=r"weights.*integer in 1\.\.2147483647"):
        generate_instance(params(weights=(("g", 0),)), NETS)


# --- time bounds, weights, models and ids (a newcomer's attack, 2026-11-30) ------------------

BIG = {"g": two_layer("g", gpu=(10, 10), cpu=(40, 40), handoff=3)}  # best latency: 20 us


@pytest.mark.parametrize("scenario", ["batch", "poisson"])
def test_slack_bound_is_exact_for_every_seed(scenario: str) -> None:
    """slack x best latency <= MAX_TIME_US is accepted and every deadline stays within the
    bound, for any seed; a slack one ulp-step beyond is refused naming slack."""
    best = generate_instance(params(models=("g",), jobs=1), BIG).networks[0].stages.best_latency
    limit = MAX_TIME_US / best
    for seed in range(20):
        inst = generate_instance(params(scenario=scenario, models=("g",), jobs=40, load=1e6,
                                        slack=limit, seed=seed), BIG)
        assert max(j.deadline for j in inst.jobs) <= MAX_TIME_US
    with pytest.raises(InputError, match=r"^slack: .*MAX_TIME_US"):
        generate_instance(params(scenario=scenario, models=("g",), slack=limit * 1.000001),
                          BIG)


SLOW = {"s": two_layer("s", gpu=(5000, 5000), cpu=(6000, 6000), handoff=3)}  # best 10000 us


@pytest.mark.parametrize("scenario", ["batch", "poisson", "periodic"])
@pytest.mark.parametrize("load", [5e-324, 1e-300, 1e-12])
def test_tiny_loads_name_load(scenario: str, load: float) -> None:
    """(periodic: a share below 1e-9 gives a period of best x 1e9 = 1e13 us > 2**40.)"""
    with pytest.raises(InputError, match=r"^load: .*MAX_TIME_US"):
        generate_instance(params(scenario=scenario, models=("s",), load=load), SLOW)


def test_periodic_bound_is_checked_on_the_periods_drawn() -> None:
    """The periodic clamp (share >= 1e-9) keeps a 20-us network's period within 2e10 us, so
    even load 5e-324 gives a valid instance: accepted, every deadline within the bound."""
    inst = generate_instance(params(scenario="periodic", load=5e-324), NETS)
    assert max(j.deadline for j in inst.jobs) <= MAX_TIME_US


def test_batch_default_slack_blames_load_and_a_given_slack_lifts_it() -> None:
    with pytest.raises(InputError, match=r"^load: .*jobs / load"):
        generate_instance(params(scenario="batch", load=1e-300), NETS)
    inst = generate_instance(params(scenario="batch", load=1e-300, slack=2.0), NETS)
    assert all(j.deadline <= 2 * 50 for j in inst.jobs)  # best latencies 20 and 10 us


def test_periodic_refuses_slack() -> None:
    with pytest.raises(InputError, match=r"^slack: .*periodic"):
        generate_instance(params(scenario="periodic", slack=2.0), NETS)


def test_weight_bounds_name_weights() -> None:
    with pytest.raises(InputError, match=r"^weights: .*1\.\.2147483647"):
        generate_instance(params(weights=(("g", MAX_WEIGHT + 1),)), NETS)
    inst = generate_instance(params(weights=(("g", MAX_WEIGHT),)), NETS)
    assert max(j.weight for j in inst.jobs) == MAX_WEIGHT
    with pytest.raises(InputError, match=r"^weights: .*more than once"):
        generate_instance(params(weights=(("g", 2), ("g", 3))), NETS)


def test_models_named_twice_are_refused() -> None:
    with pytest.raises(InputError, match=r"^models: 'g' named more than once"):
        generate_instance(params(models=("g", "c", "g")), NETS)


def test_distinct_ids_cover_models_slack_weights_and_exact_load() -> None:
    device = tuple(NETS)
    base = params(models=("c", "g"))
    assert base.distinct_id(device) == base.instance_id()  # the default mix: all, sorted
    variants = [base, params(models=("c", "g"), slack=1.0), params(models=("c", "g"), slack=2.5),
                params(models=("g",)), params(models=("g", "c")),
                params(models=("c", "g"), load=1.5000001),
                params(models=("c", "g"), weights=(("g", 2),)),
                params(models=("c", "g"), weights=(("g", 3),))]
    ids = [v.distinct_id(device) for v in variants]
    assert len(set(ids)) == len(ids), ids
    assert ids[1].endswith("-k1") and ids[2].endswith("-k2p5")
    assert ids[6].endswith("-w") and ids[7].endswith("-w")
    # the sets' id function is unchanged: models, slack and weight values are not in it
    assert {v.instance_id() for v in variants[:5]} == {"poisson-toy-n30-l1p5-s7"}
