"""Instances for the benchmark suites.

The solver suite runs over a small committed instance set
(``instances/sets/bench-small``, else ``instances/sets/smoke``). When neither
exists yet (fresh checkout before the sets are built), it falls back to a few
synthetic instances made here, so that ``pytest benchmarks/ --benchmark-only``
always runs; the fallback is named ``synthetic-*`` in the results.

The n = 80 instance for ``dp-edf`` is a poisson workload of the ``huawei_p40``
profile when that profile and the generator exist, else the same scenario on
synthetic 23-layer networks (24 cuts each) with phone-like times.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest

from splitsched.io import read_instance
from splitsched.problem import Instance, Job, Network

REPO = Path(__file__).resolve().parents[1]
SET_DIRS = (REPO / "instances" / "sets" / "bench-small", REPO / "instances" / "sets" / "smoke")


def synthetic_network(rng: random.Random, name: str, layers: int = 23) -> Network:
    """A chain whose layers run 2-5x faster on the GPU, with hand-offs on inner cuts."""
    cpu = [rng.randint(300, 6000) for _ in range(layers)]
    gpu = [max(50, int(c / rng.uniform(2.0, 5.0))) for c in cpu]
    handoff = [0, *(rng.randint(100, 2500) for _ in range(layers - 1)), 0]
    return Network(name=name, layer_names=tuple(f"{name}-l{i}" for i in range(layers)),
                   gpu_us=tuple(gpu), cpu_us=tuple(cpu), handoff_us=tuple(handoff))


def synthetic_poisson(n_jobs: int, seed: int, *, models: int = 4, load: float = 1.0,
                      slack: float = 3.0) -> Instance:
    """Poisson arrivals over a mix of synthetic networks; d = r + ceil(slack * best)."""
    rng = random.Random(seed)
    nets = [synthetic_network(rng, f"synth{i}") for i in range(models)]
    chosen = [rng.choice(nets) for _ in range(n_jobs)]
    mean_best = sum(n.stages.best_latency for n in chosen) / n_jobs
    t = 0.0
    jobs = []
    for i, net in enumerate(chosen):
        if i:
            t += rng.expovariate(load / mean_best)
        release = int(t)
        jobs.append(Job(id=f"j{i:03d}", network=net.name, release=release,
                        deadline=release + math.ceil(slack * net.stages.best_latency)))
    return Instance(id=f"synthetic-poisson-n{n_jobs}-s{seed}", networks=tuple(nets),
                    jobs=tuple(jobs), provenance={"generator": "benchmarks/conftest.py"})


def _profile_poisson(n_jobs: int, seed: int) -> Instance | None:
    try:
        from splitsched.generate import GeneratorParams, generate_instance
        from splitsched.profiles.store import load_device

        profile = load_device("huawei_p40")
    except Exception:  # generator or profile not there yet: caller falls back
        return None
    params = GeneratorParams(scenario="poisson", device="huawei_p40",
                             models=tuple(sorted(profile.networks)), jobs=n_jobs, seed=seed)
    return generate_instance(params, profile.networks)


def poisson_instance(n_jobs: int = 80, seed: int = 1) -> Instance:
    """The n-job poisson benchmark instance (measured profile if available)."""
    return _profile_poisson(n_jobs, seed) or synthetic_poisson(n_jobs, seed)


def bench_instances() -> list[Instance]:
    """The committed small benchmark set, or a synthetic stand-in (see module doc)."""
    for d in SET_DIRS:
        files = sorted(p for p in d.glob("**/*.json") if p.name != "manifest.json") \
            if d.is_dir() else []
        if files:
            return [read_instance(p) for p in files[:6]]
    return [synthetic_poisson(n, seed, models=3) for n, seed in ((8, 1), (12, 2), (16, 3))]


@pytest.fixture(scope="session")
def n80_instance() -> Instance:
    return poisson_instance(80, 1)
