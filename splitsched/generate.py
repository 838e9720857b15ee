"""Workload scenarios -> instances, seeded and deterministic.

Every scenario draws from one ``numpy.random.Generator(PCG64(seed))`` in a
fixed order, so the same parameters give the same bytes. Times derive from a
device profile: a job's *best isolated latency* ``best_j`` is the smallest
``a(k) + h(k) + b(k)`` of its network (both processors idle).

*Load* means offered work per unit time, measured in best isolated latency:
``sum_j best_j / horizon``. With pipelining across the two processors a load
somewhat above 1 can still be met; far above it cannot.

Scenarios
---------
batch
    n jobs released at 0 (the paper's setting: a set of jobs waiting);
    ``d_j = ceil(s_j * best_j)`` with ``s_j ~ U[1, slack]``. Default slack is
    ``max(1.5, n / load)``, which makes the latest deadline about
    ``sum best / load``.
periodic
    One app per model in the mix, each with a period; implicit deadlines
    (``d = release + period``). Per-app utilisations ``best_i / period_i``
    split ``load`` by UUniFast; random phases; the n earliest releases form
    the instance.
poisson
    Arrivals of a Poisson process at rate ``load / mean(best)``; each job's
    model drawn from the mix; ``d_j = r_j + ceil(slack * best_j)`` (default
    slack 3).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from splitsched.io import InputError
from splitsched.problem import Instance, Job, Network

SCENARIOS = ("batch", "periodic", "poisson")


@dataclass(frozen=True)
class GeneratorParams:
    """Everything that determines an instance (recorded in its provenance)."""

    scenario: str
    device: str
    models: tuple[str, ...]
    jobs: int
    load: float = 1.0
    slack: float | None = None
    seed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {"scenario": self.scenario, "device": self.device, "models": list(self.models),
                "jobs": self.jobs, "load": self.load, "slack": self.slack, "seed": self.seed}

    def instance_id(self) -> str:
        load = f"{self.load:g}".replace(".", "p")
        return f"{self.scenario}-{self.device}-n{self.jobs}-l{load}-s{self.seed}"


def _check(params: GeneratorParams, networks: dict[str, Network]) -> None:
    if params.scenario not in SCENARIOS:
        known = ", ".join(SCENARIOS)
        raise InputError(None, "--scenario",
                         f"unknown scenario {params.scenario!r}; choose from {known}")
    if params.jobs < 1:
        raise InputError(None, "--jobs", f"must be >= 1, got {params.jobs}")
    if not 0 < params.load < math.inf:
        raise InputError(None, "--load", f"must be a finite number > 0, got {params.load}")
    if params.slack is not None and not 1 <= params.slack < math.inf:
        raise InputError(None, "--slack", f"must be a finite number >= 1, got {params.slack}")
    if not 0 <= params.seed <= 2**32 - 1:
        raise InputError(None, "--seed", f"must be an integer in 0..{2**32 - 1}, "
                                         f"got {params.seed}")
    if not params.models:
        raise InputError(None, "--models", "needs at least one model")
    for m in params.models:
        if m not in networks:
            raise InputError(None, "--models", f"device {params.device!r} has no network {m!r}; "
                             f"it has: {', '.join(sorted(networks))}")


def _uunifast(rng: np.random.Generator, n: int, total: float) -> np.ndarray:
    """Split ``total`` utilisation into n shares, uniform over the simplex (Bini & Buttazzo)."""
    shares = np.empty(n)
    remaining = total
    for i in range(n - 1):
        nxt = remaining * rng.random() ** (1.0 / (n - 1 - i))
        shares[i] = remaining - nxt
        remaining = nxt
    shares[-1] = remaining
    return shares


def generate_instance(params: GeneratorParams, networks: dict[str, Network],
                      provenance: dict[str, Any] | None = None) -> Instance:
    """Build one instance from a device's networks.

    Parameters
    ----------
    params:
        Scenario, model mix, size, load, slack and seed.
    networks:
        The device profile's networks by name.
    provenance:
        Extra facts to record (e.g. the profile's source); generator
        parameters are always recorded.
    """
    _check(params, networks)
    rng = np.random.Generator(np.random.PCG64(params.seed))
    models = list(params.models)
    best = {m: networks[m].stages.best_latency for m in models}
    n = params.jobs
    releases: list[int]
    deadlines: list[int]
    chosen: list[str]
    if params.scenario == "batch":
        slack = params.slack if params.slack is not None else max(1.5, n / params.load)
        chosen = [models[i] for i in rng.integers(0, len(models), size=n)]
        factors = rng.uniform(1.0, slack, size=n)
        releases = [0] * n
        deadlines = [math.ceil(f * best[m]) for f, m in zip(factors, chosen, strict=True)]
    elif params.scenario == "poisson":
        slack = params.slack if params.slack is not None else 3.0
        chosen = [models[i] for i in rng.integers(0, len(models), size=n)]
        mean_best = float(np.mean([best[m] for m in chosen]))
        gaps = rng.exponential(mean_best / params.load, size=n)
        gaps[0] = 0.0
        releases = [int(t) for t in np.floor(np.cumsum(gaps))]
        deadlines = [r + math.ceil(slack * best[m]) for r, m in zip(releases, chosen, strict=True)]
    else:  # periodic
        slack = 1.0
        shares = _uunifast(rng, len(models), params.load)
        periods = [max(best[m], math.ceil(best[m] / max(u, 1e-9)))
                   for m, u in zip(models, shares, strict=True)]
        phases = [int(rng.integers(0, p)) for p in periods]
        per_app = math.ceil(n / len(models)) * len(models)
        arrivals: list[tuple[int, int, str, int]] = []
        for idx, (m, p, ph) in enumerate(zip(models, periods, phases, strict=True)):
            arrivals += [(ph + i * p, idx, m, p) for i in range(per_app)]
        arrivals.sort()
        arrivals = arrivals[:n]
        releases = [a[0] for a in arrivals]
        deadlines = [a[0] + a[3] for a in arrivals]
        chosen = [a[2] for a in arrivals]
    width = len(str(n - 1))
    jobs = tuple(Job(id=f"j{i:0{width}d}", network=m, release=r, deadline=d)
                 for i, (m, r, d) in enumerate(zip(chosen, releases, deadlines, strict=True)))
    used = sorted(set(chosen))
    prov: dict[str, Any] = dict(provenance or {})
    prov["generator"] = params.as_dict() | {"effective_slack": slack}
    prov["device"] = params.device
    prov["scenario"] = params.scenario
    prov["seed"] = params.seed
    return Instance(id=params.instance_id(), networks=tuple(networks[m] for m in used),
                    jobs=jobs, provenance=prov)


def horizon_load(inst: Instance) -> float:
    """Best-latency work over the horizon from the first release to the last deadline."""
    if not inst.jobs:
        return 0.0
    horizon = max(j.deadline for j in inst.jobs) - min(j.release for j in inst.jobs)
    work = sum(inst.stages_of(j).best_latency for j in inst.jobs)
    return work / horizon if horizon > 0 else float("inf")


def describe(inst: Instance) -> dict[str, Any]:
    """Summary facts of an instance (what ``splitsched show`` prints)."""
    best = {n.name: n.stages.best_latency for n in inst.networks}
    rel = [j.release for j in inst.jobs]
    dl = [j.deadline for j in inst.jobs]
    horizon = max(dl, default=0) - min(rel, default=0)
    slacks = [(j.deadline - j.release) / max(best[j.network], 1) for j in inst.jobs]
    rows = []
    for net in inst.networks:
        st = net.stages
        rows.append({"name": net.name, "jobs": sum(j.network == net.name for j in inst.jobs),
                     "layers": net.num_layers, "gpu_only": int(st.a[-1]), "cpu_only": int(st.b[0]),
                     "best_cut": st.best_cut, "best": st.best_latency})
    return {"jobs": inst.num_jobs, "first_release": min(rel, default=0),
            "last_release": max(rel, default=0), "horizon": horizon,
            "load": horizon_load(inst),
            "mean_slack": float(np.mean(slacks)) if slacks else 0.0, "networks": rows}
