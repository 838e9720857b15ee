"""Generator facts: determinism, scenario rules, and the committed sets."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from splitsched.generate import GeneratorParams, describe, generate_instance
from splitsched.io import InputError, dumps, instance_to_dict, read_json
from splitsched.sets import SETS_DIR, build_set, load_specs, verify_set
from tests.helpers.builders import two_layer

NETS = {"g": two_layer("g", gpu=(10, 10), cpu=(40, 40), handoff=3),
        "c": two_layer("c", gpu=(50, 50), cpu=(5, 5), handoff=2)}


def params(**kw) -> GeneratorParams:  # type: ignore[no-untyped-def]
    base = {"scenario": "poisson", "device": "toy", "models": ("g", "c"), "jobs": 30,
            "load": 1.5, "slack": None, "seed": 7}
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
    with pytest.raises(InputError, match=r"weights.*integer >= 1"):
        generate_instance(params(weights=(("g", 0),)), NETS)
