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
integer weight in ``1..problem.MAX_WEIGHT``; every job of that network gets
it, every other job weight 1. A network stands for an application, so a
weight is a priority class: in the v2 library's weighted sets an AR
pipeline's per-frame network (e.g. ``acl-mobilenet`` on huawei_p40) has
weight 3 and the background jobs (photo classification with the inception
and NASNet families) weight 1, so missing one AR frame costs as much as
missing three background jobs.
Weights never touch the random stream: the same parameters with and without
weights give the same releases, deadlines and networks. Unweighted
parameters record no ``weights`` key and keep the ids and bytes they had
before weights existed; weighted instances carry ``-w`` at the end of their
id.

Instance ids
------------
:meth:`GeneratorParams.instance_id` (``batch-mi9-n10-l1-s0``, ``-w`` when
weighted) names scenario, device, jobs, load and seed only; it is the id of
the shipped sets (whose grids fix each device's mix and slack, so ids are
unique within a set) and stays as it is, so the sets rebuild byte for byte.
``splitsched generate`` and :func:`generate` use
:meth:`GeneratorParams.distinct_id` instead: the same id plus a suffix for
every parameter the plain id leaves out, so two different instances never
share an id (``-k1p5`` for ``slack`` 1.5, ``-m`` and 6 hex digits for a mix
other than all the device's networks in name order, ``-c`` and 6 hex digits
for the weights' values before the ``-w``). With default models and slack
and no weights the two ids are the same.

Time bounds
-----------
Every release and deadline must lie in ``0..problem.MAX_TIME_US`` (2**40 us).
The generator refuses, with an :class:`~splitsched.io.InputError` naming the
parameter (``slack`` or ``load``), parameters whose instance would not:

* batch: a deadline is ``ceil(f * best)`` with ``1 <= f <= slack`` drawn,
  so ``slack * max best <= MAX_TIME_US`` (in floating point, as the draw
  computes it) is what makes every seed's instance valid; it is checked
  before drawing. Without ``slack`` the default
  ``max(1.5, n / load)`` is checked the same way, naming ``load`` when
  ``n / load`` is the slack (e.g. ``load`` 5e-324).
* poisson: ``slack * max best <= MAX_TIME_US`` is checked before drawing
  (naming ``slack``); the releases are a random walk, so the bound on them
  and on the deadlines is checked on the draw itself, before any job is
  built (naming ``load``: a low load spreads the arrivals; or ``slack``
  when given and only release plus slack passes the bound).
* periodic: ``slack`` is refused (deadlines are implicit, one period); the
  periods come from the random UUniFast shares, so the chosen jobs'
  deadlines are checked on the draw (naming ``load``).

The instance-wide bounds are checked before drawing too: ``jobs`` times the
longest chain plus ``MAX_TIME_US`` within ``MAX_INSTANCE_SUM_US`` (naming
``jobs``), ``jobs`` times the largest weight within ``MAX_TOTAL_WEIGHT``
(naming ``weights``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np

from splitsched.io import InputError
from splitsched.problem import (
    MAX_INSTANCE_SUM_US,
    MAX_TIME_US,
    MAX_TOTAL_WEIGHT,
    MAX_WEIGHT,
    Instance,
    InvariantError,
    Job,
    Network,
    shown_value,
)

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
        """``SCENARIO-DEVICE-nJOBS-lLOAD-sSEED`` (``-w`` when weighted): the shipped sets' ids.

        Models, slack and the weights' values are not in it (see :meth:`distinct_id`).
        """
        load = f"{self.load:g}".replace(".", "p")
        tail = "-w" if self.weights else ""
        return f"{self.scenario}-{self.device}-n{self.jobs}-l{load}-s{self.seed}{tail}"

    def distinct_id(self, device_models: Sequence[str]) -> str:
        """:meth:`instance_id` plus a suffix for each parameter it leaves out.

        ``device_models`` is every network of the device; the default mix is
        all of them in name order. Suffixes, in this order: ``-k`` and the
        slack (shortest exact decimal, ``.`` as ``p``) when ``slack`` is
        given; ``-m`` and the first 6 hex digits of the sha256 of the mix
        (comma-joined, in the given order, which changes the draw) when it
        is not the default; ``-c`` and 6 hex digits of the sha256 of the
        weights (``name=weight`` comma-joined, sorted) then ``-w`` when
        weighted (so a weighted id still ends in ``-w``). The load is
        written exactly (``repr``) when ``%g`` would round it. With default
        models and slack and no weights this is :meth:`instance_id`.
        """
        load = f"{self.load:g}"
        if float(load) != self.load:
            load = repr(self.load)
        parts = [f"{self.scenario}-{self.device}-n{self.jobs}-l{load.replace('.', 'p')}"
                 f"-s{self.seed}"]
        if self.slack is not None:
            parts.append("k" + _exact(self.slack))
        if self.models != tuple(sorted(device_models)):
            parts.append("m" + _digest(",".join(self.models)))
        if self.weights:  # the values as a hash; "-w" stays the last token of a weighted id
            parts += ["c" + _digest(",".join(f"{m}={w}" for m, w in self.weights)), "w"]
        return "-".join(parts)

    def weight_of(self, network: str) -> int:
        """The weight of a job of ``network`` (1 unless listed in ``weights``)."""
        return dict(self.weights).get(network, 1)


def _exact(x: float) -> str:
    """``x`` as its shortest exact decimal, ``.`` as ``p`` and no trailing ``.0``."""
    text = repr(float(x))
    return text.removesuffix(".0").replace(".", "p")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:6]


def weight_pairs(weights: dict[str, int] | None) -> tuple[tuple[str, int], ...]:
    """``{network: weight}`` as the sorted pairs :class:`GeneratorParams` keeps (hashable)."""
    return tuple(sorted((weights or {}).items()))


def _check(params: GeneratorParams, networks: dict[str, Network]) -> None:
    if params.scenario not in SCENARIOS:
        known = ", ".join(SCENARIOS)
        raise InputError(None, "scenario",
                         f"unknown scenario {params.scenario!r}; choose from {known}")
    if params.jobs < 1:
        raise InputError(None, "jobs", f"must be >= 1, got {shown_value(params.jobs)}")
    if not 0 < params.load < math.inf:
        raise InputError(None, "load", f"must be a finite number > 0, got {params.load}")
    if params.slack is not None and not 1 <= params.slack < math.inf:
        raise InputError(None, "slack", f"must be a finite number >= 1, got {params.slack}")
    if params.slack is not None and params.scenario == "periodic":
        raise InputError(None, "slack", "does not apply to the periodic scenario (its "
                         "deadlines are implicit: release + period); leave it out")
    if not 0 <= params.seed <= 2**32 - 1:
        raise InputError(None, "seed", f"must be an integer in 0..{2**32 - 1}, "
                                       f"got {shown_value(params.seed)}")
    if not params.models:
        raise InputError(None, "models", "needs at least one model")
    twice = sorted({m for m in params.models if params.models.count(m) > 1})
    if twice:
        raise InputError(None, "models", f"{', '.join(map(repr, twice))} named more than once")
    for m in params.models:
        if m not in networks:
            raise InputError(None, "models", f"device {params.device!r} has no network {m!r}; "
                             f"it has: {', '.join(sorted(networks))}")
    for m, w in params.weights:
        if m not in params.models:
            raise InputError(None, "weights", f"network {m!r} is not in the model mix "
                             f"({', '.join(params.models)})")
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= MAX_WEIGHT:
            raise InputError(None, "weights", f"weight of {m!r} must be an integer in "
                             f"1..{MAX_WEIGHT}, got {shown_value(w)}")
    names = [m for m, _ in params.weights]
    twice = sorted({m for m in names if names.count(m) > 1})
    if twice:
        raise InputError(None, "weights", f"{', '.join(map(repr, twice))} given more than once")


def _check_bounds(params: GeneratorParams, networks: dict[str, Network],
                  best: dict[str, int]) -> float:
    """Refuse, before drawing, parameters whose instance breaks a bound for every seed
    (see "Time bounds" in the module docstring); returns the effective slack."""
    n = params.jobs
    chain = max(networks[m].chain_bound_us for m in params.models)
    if n * chain + MAX_TIME_US > MAX_INSTANCE_SUM_US:
        raise InputError(None, "jobs", f"{n} jobs of up to {chain} us each break the "
                         f"instance bound {MAX_INSTANCE_SUM_US} us (problem.MAX_INSTANCE_SUM_US)")
    heaviest = max((w for _, w in params.weights), default=1)
    if n * heaviest > MAX_TOTAL_WEIGHT:
        raise InputError(None, "weights", f"{n} jobs of weight up to {heaviest} may exceed the "
                         f"total weight bound {MAX_TOTAL_WEIGHT} (problem.MAX_TOTAL_WEIGHT)")
    top = max(best.values())
    widest = max(params.models, key=lambda m: (best[m], m))
    if params.scenario == "periodic":
        return 1.0
    if params.slack is not None:
        slack, field, why = params.slack, "slack", f"slack {params.slack:g}"
    elif params.scenario == "poisson":
        slack, field, why = 3.0, "slack", "the default slack 3"
    else:
        slack = max(1.5, n / params.load)
        if slack == 1.5:
            field, why = "slack", "the default slack 1.5"
        else:
            field, why = "load", (f"the default slack jobs / load = {n} / {params.load:g} "
                                  f"= {slack:.6g}")
    if not slack * top <= MAX_TIME_US:
        fix = ("raise --load or give --slack" if field == "load"
               else "give a smaller slack")
        raise InputError(None, field, f"{why} gives {widest!r} (best latency {top} us) "
                         f"deadlines up to {slack * top:.6g} us after release, beyond the time "
                         f"bound {MAX_TIME_US} us (problem.MAX_TIME_US; slack x best latency "
                         f"must stay within it, here slack <= "
                         f"{_down(MAX_TIME_US / top, top)}): {fix}")
    return slack


def _down(limit: float, top: int) -> str:
    """``limit`` rounded down to 6 significant digits, as text: a slack that passes the check
    ``slack * top <= MAX_TIME_US`` (the largest one printed in the refusal)."""
    step = 10.0 ** (math.floor(math.log10(limit)) - 5)
    value = math.floor(limit / step) * step
    while value * top > MAX_TIME_US:
        value -= step
    return f"{value:.6g}"


def _period_reason(params: GeneratorParams, model: str, period: int, share: float) -> str:
    return (f"load {params.load:g} split by UUniFast gives {model!r} the utilisation share "
            f"{share:.3g}, so a period of {period} us (best latency / max(share, 1e-9)); its jobs' "
            "deadlines (release + period) "
            f"pass the time bound {MAX_TIME_US} us (problem.MAX_TIME_US): raise --load")


T = TypeVar("T")

PROGRESS_EVERY = 4096
"""Jobs built between two calls of a generator's ``progress`` hook."""


def _counted(items: Iterable[T], progress: Callable[[int], None] | None) -> Iterator[T]:
    """``items`` unchanged, calling ``progress`` with the count so far every
    :data:`PROGRESS_EVERY` items and once at the end."""
    if progress is None:
        yield from items
        return
    count = 0
    for count, item in enumerate(items, start=1):
        yield item
        if count % PROGRESS_EVERY == 0:
            progress(count)
    progress(count)


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
                       provenance: dict[str, Any] | None = None,
                       progress: Callable[[int], None] | None = None) -> Instance:
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
    progress:
        Called with the number of jobs built so far, every :data:`PROGRESS_EVERY`
        jobs and once at the end (a progress display; it does not change the draws).

    Raises
    ------
    InputError
        Unknown scenario, jobs < 1, load <= 0, slack < 1, slack given to the
        periodic scenario, an empty mix or one naming a network twice, a
        network the device lacks, a weight that is not an integer in
        1..MAX_WEIGHT or names a network outside the mix or twice, or
        parameters whose releases or deadlines would pass ``MAX_TIME_US``
        (see "Time bounds" in the module docstring).
    """
    _check(params, networks)
    rng = np.random.Generator(np.random.PCG64(params.seed))
    models = list(params.models)
    best = {m: networks[m].stages.best_latency for m in models}
    idle = sorted(m for m, b in best.items() if b <= 0)
    if idle:  # a job of no work has no load, period or deadline to speak of
        raise InputError(None, "models", f"network(s) {', '.join(idle)} take 0 us at every "
                         "cut: no workload can be generated from them")
    slack = _check_bounds(params, networks, best)
    n = params.jobs
    releases: list[int]
    deadlines: list[int]
    chosen: list[str]
    if params.scenario == "batch":
        chosen = [models[i] for i in rng.integers(0, len(models), size=n)]
        factors = rng.uniform(1.0, slack, size=n)
        releases = [0] * n
        deadlines = [math.ceil(f * best[m]) for f, m in zip(factors, chosen, strict=True)]
    elif params.scenario == "poisson":
        chosen = [models[i] for i in rng.integers(0, len(models), size=n)]
        mean_best = float(np.mean([best[m] for m in chosen]))
        gaps = rng.exponential(mean_best / params.load, size=n)
        gaps[0] = 0.0
        arrive = np.floor(np.cumsum(gaps))
        last = float(arrive[-1])
        if not last <= MAX_TIME_US:  # also inf and NaN (load 5e-324: a mean gap of inf)
            raise InputError(None, "load", f"load {params.load:g} spreads the {n} arrivals "
                             f"(mean gap {mean_best / params.load:.6g} us) so that the last "
                             f"is released at {last:.6g} us, beyond the time bound "
                             f"{MAX_TIME_US} us (problem.MAX_TIME_US): raise --load or lower "
                             "--jobs")
        releases = [int(t) for t in arrive]
        deadlines = [r + math.ceil(slack * best[m]) for r, m in zip(releases, chosen, strict=True)]
        late = max(range(n), key=lambda i: deadlines[i])
        if deadlines[late] > MAX_TIME_US:  # releases near the bound, plus the slack
            raise InputError(None, "load" if params.slack is None else "slack",
                             f"with load {params.load:g} job {late} is released at "
                             f"{releases[late]} us and its deadline, release + ceil(slack "
                             f"{slack:g} x best latency {best[chosen[late]]} us) = "
                             f"{deadlines[late]} us, passes the time bound {MAX_TIME_US} us "
                             "(problem.MAX_TIME_US): raise --load, lower --slack or lower "
                             "--jobs")
    else:  # periodic
        shares = _uunifast(rng, len(models), params.load)
        periods = [max(best[m], math.ceil(best[m] / max(u, 1e-9)))
                   for m, u in zip(models, shares, strict=True)]
        if max(periods) >= 2**63:  # past numpy's int64 draw (a network of hours)
            i = periods.index(max(periods))
            raise InputError(None, "load", _period_reason(params, models[i], periods[i],
                                                          float(shares[i])))
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
        _, app, name, period = max(arrivals, key=lambda a: a[0] + a[3])
        if max(deadlines) > MAX_TIME_US:
            raise InputError(None, "load", _period_reason(params, name, period,
                                                          float(shares[app])))
    width = len(str(n - 1))
    jobs = tuple(Job(id=f"j{i:0{width}d}", network=m, release=r, deadline=d,
                     weight=params.weight_of(m))
                 for i, (m, r, d) in enumerate(_counted(zip(chosen, releases, deadlines,
                                                            strict=True), progress)))
    used = sorted(set(chosen))
    prov: dict[str, Any] = dict(provenance or {})
    prov["generator"] = params.as_dict() | {"effective_slack": slack}
    prov["device"] = params.device
    prov["scenario"] = params.scenario
    prov["seed"] = params.seed
    return Instance(id=params.instance_id(), networks=tuple(networks[m] for m in used),
                    jobs=jobs, provenance=prov)



def generate_instance(params: GeneratorParams, networks: dict[str, Network],
                      provenance: dict[str, Any] | None = None, *,
                      distinct_id: bool = False,
                      progress: Callable[[int], None] | None = None) -> Instance:
    """One seeded instance of ``params`` over ``networks`` (see :func:`_generate_instance`).

    ``distinct_id``: name the instance :meth:`GeneratorParams.distinct_id`
    with ``networks`` as the device's networks (what ``splitsched generate``
    does) instead of :meth:`GeneratorParams.instance_id` (the sets' ids).
    ``progress``: called with the number of jobs built so far (every
    :data:`PROGRESS_EVERY` and at the end); the instance is the same with or without.

    Raises
    ------
    InputError
        A bad parameter, or parameters whose instance would break a stated
        bound of :mod:`splitsched.problem` (e.g. ``load`` 1e-300 spreads the
        releases beyond 2**40 us); the error names the parameter (``slack``,
        ``load``, ``jobs`` or ``weights``), never a job.
    """
    try:
        inst = _generate_instance(params, networks, provenance, progress)
    except InvariantError as exc:  # a safety net: _check_bounds and the draw checks come first
        raise InputError(None, "load", "with these jobs, load and slack the instance breaks "
                         f"a stated bound ({str(exc)[:120]}...)") from None
    if distinct_id:
        inst = dataclasses.replace(inst, id=params.distinct_id(tuple(networks)))
    return inst


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
        parameters, device and profile recorded in ``provenance``; its id is
        :meth:`GeneratorParams.distinct_id` (as ``splitsched generate``).

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
                             provenance={"profile": profile.device, "soc": profile.soc},
                             distinct_id=True)


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


def load_note(inst: Instance) -> str | None:
    """Why a batch instance's recorded load says more than its deadlines do, or None.

    In the batch scenario the default slack is ``max(1.5, n / load)``: past
    ``load = n / 1.5`` the slack stays at its floor 1.5 and a higher load changes
    nothing (a newcomer's attack, 2026-12-02: ``--load 1e30`` gave the jobs of
    ``--load 10`` at n = 10, and ``show`` printed "offered load: 1e+30")."""
    gen = inst.provenance.get("generator")
    load = offered_load(inst)
    if not isinstance(gen, Mapping) or gen.get("scenario") != "batch" or load is None \
            or gen.get("slack") is not None or not isinstance(gen.get("jobs"), int):
        return None
    n = gen["jobs"]
    if n / load >= 1.5:
        return None
    return (f"in the batch scenario a load above jobs / 1.5 = {n / 1.5:g} has no effect: the "
            f"deadlines' slack stays at its floor 1.5 (give --slack for other deadlines)")


def describe(inst: Instance) -> dict[str, Any]:
    """Summary facts of an instance (what ``splitsched show`` prints).

    Two different loads, both named: ``offered_load`` is the generator's
    ``load`` parameter as recorded in the provenance (None for an instance
    made by hand), ``horizon_load`` is :func:`horizon_load` computed from the
    jobs (best-isolated-latency work over first release to last deadline;
    the batch scenario's deadline spread makes it differ from the offered
    load), ``load_note`` says when the offered load had no effect
    (:func:`load_note`). Times in us; ``mean_slack`` is the mean of (deadline - release) /
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
            "load_note": load_note(inst),
            "mean_slack": float(np.mean(slacks)) if slacks else 0.0, "networks": rows}
