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

Job weights (priority classes)
------------------------------
The objective counts weighted misses, so a weight says how much a job's
deadline matters. ``GeneratorParams.weights`` maps a network name to an
integer weight >= 1; every job of that network gets it, every other job
weight 1. A network stands for an application, so a weight is a priority
class: in the v2 library's weighted sets an AR pipeline's per-frame network
(e.g. ``acl-mobilenet`` on huawei_p40) has weight 3 and the background jobs
(photo classification with the inception and NASNet families) weight 1, so
missing one AR frame costs as much as missing three background jobs.
Weights never touch the random stream: the same parameters with and without
weights give the same releases, deadlines and networks. Unweighted
parameters record no ``weights`` key and keep the ids and bytes they had
before weights existed; weighted instances carry ``-w`` at the end of their
id.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from splitsched.io import InputError
from splitsched.problem import Instance, InvariantError, Job, Network

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
    weights: tuple[tuple[str, int], ...] = ()
    """(network, weight) pairs, sorted by network; unlisted networks weigh 1."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scenario": self.scenario, "device": self.device,
                               "models": list(self.models), "jobs": self.jobs, "load": self.load,
                               "slack": self.slack, "seed": self.seed}
        if self.weights:  # absent when unweighted: v1 instances keep their bytes
            out["weights"] = dict(self.weights)
        return out

    def instance_id(self) -> str:
        load = f"{self.load:g}".replace(".", "p")
        tail = "-w" if self.weights else ""
        return f"{self.scenario}-{self.device}-n{self.jobs}-l{load}-s{self.seed}{tail}"

    def weight_of(self, network: str) -> int:
        """The weight of a job of ``network`` (1 unless listed in ``weights``)."""
        return dict(self.weights).get(network, 1)


def weight_pairs(weights: dict[str, int] | None) -> tuple[tuple[str, int], ...]:
    """``{network: weight}`` as the sorted pairs :class:`GeneratorParams` keeps (hashable)."""
    return tuple(sorted((weights or {}).items()))


def _check(params: GeneratorParams, networks: dict[str, Network]) -> None:
    if params.scenario not in SCENARIOS:
        known = ", ".join(SCENARIOS)
        raise InputError(None, "scenario",
                         f"unknown scenario {params.scenario!r}; choose from {known}")
    if params.jobs < 1:
        raise InputError(None, "jobs", f"must be >= 1, got {params.jobs}")
    if not 0 < params.load < math.inf:
        raise InputError(None, "load", f"must be a finite number > 0, got {params.load}")
    if params.slack is not None and not 1 <= params.slack < math.inf:
        raise InputError(None, "slack", f"must be a finite number >= 1, got {params.slack}")
    if not 0 <= params.seed <= 2**32 - 1:
        raise InputError(None, "seed", f"must be an integer in 0..{2**32 - 1}, "
                                       f"got {params.seed}")
    if not params.models:
        raise InputError(None, "models", "needs at least one model")
    for m in params.models:
        if m not in networks:
            raise InputError(None, "models", f"device {params.device!r} has no network {m!r}; "
                             f"it has: {', '.join(sorted(networks))}")
    for m, w in params.weights:
        if m not in params.models:
            raise InputError(None, "weights", f"network {m!r} is not in the model mix "
                             f"({', '.join(params.models)})")
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise InputError(None, "weights", f"weight of {m!r} must be an integer >= 1, "
                             f"got {w!r}")


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


def _generate_instance(params: GeneratorParams, networks: dict[str, Network],
                      provenance: dict[str, Any] | None = None) -> Instance:
    """Build one instance from a device's networks.

    Parameters
    ----------
    params:
        Scenario, model mix, size, load, slack, seed and job weights.
    networks:
        The device profile's networks by name.
    provenance:
        Extra facts to record (e.g. the profile's source); generator
        parameters are always recorded.

    Raises
    ------
    InputError
        Unknown scenario, jobs < 1, load <= 0, slack < 1, an empty mix, a
        network the device lacks, or a weight that is not an integer >= 1 or
        names a network outside the mix.
    """
    _check(params, networks)
    rng = np.random.Generator(np.random.PCG64(params.seed))
    models = list(params.models)
    best = {m: networks[m].stages.best_latency for m in models}
    idle = sorted(m for m, b in best.items() if b <= 0)
    if idle:  # a job of no work has no load, period or deadline to speak of
        raise InputError(None, "models", f"network(s) {', '.join(idle)} take 0 us at every "
                         "cut: no workload can be generated from them")
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
    jobs = tuple(Job(id=f"j{i:0{width}d}", network=m, release=r, deadline=d,
                     weight=params.weight_of(m))
                 for i, (m, r, d) in enumerate(zip(chosen, releases, deadlines, strict=True)))
    used = sorted(set(chosen))
    prov: dict[str, Any] = dict(provenance or {})
    prov["generator"] = params.as_dict() | {"effective_slack": slack}
    prov["device"] = params.device
    prov["scenario"] = params.scenario
    prov["seed"] = params.seed
    return Instance(id=params.instance_id(), networks=tuple(networks[m] for m in used),
                    jobs=jobs, provenance=prov)



def generate_instance(params: GeneratorParams, networks: dict[str, Network],
                      provenance: dict[str, Any] | None = None) -> Instance:
    """One seeded instance of ``params`` over ``networks`` (see :func:`_generate_instance`).

    Raises
    ------
    InputError
        A bad parameter, or parameters whose instance would break a stated
        bound of :mod:`splitsched.problem` (e.g. ``load`` 1e-300 spreads the
        releases beyond 2**40 us); the error names ``load``, never a job.
    """
    try:
        return _generate_instance(params, networks, provenance)
    except InvariantError as exc:
        raise InputError(None, "load", "with these jobs, load and slack the instance breaks "
                         f"a stated bound ({str(exc)[:120]}...)") from None


def generate(device: str, *, scenario: str = "batch", jobs: int = 10, load: float = 1.0,
             slack: float | None = None, seed: int = 0,
             models: tuple[str, ...] | list[str] | None = None) -> Instance:
    """One instance from a built-in device profile (what ``splitsched generate`` does).

    Parameters
    ----------
    device:
        A device profile name, one of :func:`splitsched.profiles.store.list_devices`
        (e.g. ``"huawei_p40"``).
    scenario:
        ``batch``, ``periodic`` or ``poisson`` (see the module docstring).
    jobs:
        Number of jobs n (>= 1).
    load:
        Offered load: best-isolated-latency work per unit time (> 0).
    slack:
        Deadline slack factor (>= 1); None for the scenario's default.
    seed:
        Seed of the ``PCG64`` generator: same arguments, same instance.
    models:
        Network names of the mix; None for every network of the device.

    Returns
    -------
    Instance
        Releases, deadlines and stage times in integer microseconds; the
        parameters, device and profile recorded in ``provenance``.

    Raises
    ------
    InputError
        Unknown device (the message lists the known ones), unknown scenario
        or network, or a parameter out of range.
    """
    from splitsched.profiles.store import load_device

    profile = load_device(device)
    mix = tuple(models) if models is not None else tuple(sorted(profile.networks))
    params = GeneratorParams(scenario=scenario, device=profile.device, models=mix, jobs=jobs,
                             load=load, slack=slack, seed=seed)
    return generate_instance(params, profile.networks,
                             provenance={"profile": profile.device, "soc": profile.soc})


def horizon_load(inst: Instance) -> float:
    """Best-latency work over the horizon from the first release to the last deadline."""
    if not inst.jobs:
        return 0.0
    horizon = max(j.deadline for j in inst.jobs) - min(j.release for j in inst.jobs)
    work = sum(inst.stages_of(j).best_latency for j in inst.jobs)
    return work / horizon if horizon > 0 else float("inf")


def offered_load(inst: Instance) -> float | None:
    """The generator's ``load`` parameter recorded in the provenance, or None."""
    gen = inst.provenance.get("generator")
    value = gen.get("load") if isinstance(gen, Mapping) else None
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def describe(inst: Instance) -> dict[str, Any]:
    """Summary facts of an instance (what ``splitsched show`` prints).

    Two different loads, both named: ``offered_load`` is the generator's
    ``load`` parameter as recorded in the provenance (None for an instance
    made by hand), ``horizon_load`` is :func:`horizon_load` computed from the
    jobs (best-isolated-latency work over first release to last deadline;
    the batch scenario's deadline spread makes it differ from the offered
    load). Times in us; ``mean_slack`` is the mean of (deadline - release) /
    best isolated latency.
    """
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
            "horizon_load": horizon_load(inst), "offered_load": offered_load(inst),
            "mean_slack": float(np.mean(slacks)) if slacks else 0.0, "networks": rows}
