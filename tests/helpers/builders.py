"""Instances the tests share: hand-made counterexamples, small networks, seeded random ones.

Every test builds its instances from here (or from the committed sets via the
fixtures in ``tests/conftest.py``); the brute-force optimum is in
:mod:`tests.helpers.oracle`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from splitsched.problem import Instance, Job, Network


def two_layer(name: str, gpu: tuple[int, int], cpu: tuple[int, int], handoff: int = 0) -> Network:
    """A 2-layer chain: cuts 0 (CPU only), 1 (split), 2 (GPU only)."""
    return Network(name=name, layer_names=("l1", "l2"), gpu_us=gpu, cpu_us=cpu,
                   handoff_us=(0, handoff, 0))


def random_tiny_instance(rng: random.Random, n_jobs: int, *, max_layers: int = 3,
                         with_release: bool = True, with_handoff: bool = True,
                         max_weight: int = 1, zero_layers: bool = False) -> Instance:
    """A seeded random tiny instance for brute-force comparisons.

    1-3 distinct networks of 1..``max_layers`` layers with times 1..20 and
    hand-offs 0..10 on inner cuts; releases 0..20; each deadline leaves a slack
    around the network's best isolated latency, so that some jobs fit and
    contention makes others miss. Weights 1..``max_weight``. With
    ``zero_layers`` about a third of the layer times are 0, so that some
    stages have zero length (they occupy no processor).
    """

    def layer_time() -> int:
        return 0 if zero_layers and rng.random() < 0.35 else rng.randint(1, 20)

    networks = []
    for n in range(rng.randint(1, 3)):
        layers = rng.randint(1, max_layers)
        inner = [rng.randint(0, 10) if with_handoff else 0 for _ in range(layers - 1)]
        networks.append(Network(
            name=f"net{n}", layer_names=tuple(f"l{i}" for i in range(layers)),
            gpu_us=tuple(layer_time() for _ in range(layers)),
            cpu_us=tuple(layer_time() for _ in range(layers)),
            handoff_us=(0, *inner, 0)))
    jobs = []
    for i in range(n_jobs):
        net = rng.choice(networks)
        release = rng.randint(0, 20) if with_release else 0
        best = net.stages.best_latency
        slack = max(0, best + rng.randint(-best // 4, 25))
        jobs.append(Job(id=f"j{i}", network=net.name, release=release,
                        deadline=release + slack, weight=rng.randint(1, max_weight)))
    return Instance(id=f"tiny-{rng.random():.8f}", networks=tuple(networks), jobs=tuple(jobs))


def chain_network(name: str, gpu: Sequence[int], cpu: Sequence[int],
                  handoff: Sequence[int] | None = None) -> Network:
    """A network from per-layer times; ``handoff`` lists the inner cuts' lags."""
    inner = list(handoff) if handoff is not None else [0] * (len(gpu) - 1)
    return Network(name=name, layer_names=tuple(f"{name}-{i}" for i in range(len(gpu))),
                   gpu_us=tuple(gpu), cpu_us=tuple(cpu), handoff_us=(0, *inner, 0))


def edf_counterexample() -> Instance:
    """docs/design.md, "The problem": A (a=5, b=1, d=7), B (a=1, b=5, d=8), both released at 0.

    Each network has two layers; only cut 1 (GPU layer 1, CPU layer 2, no
    hand-off) can meet the deadline, every other cut takes over 100 us. EDF
    runs A then B: B's CPU stage ends at 11 > 8. B then A: GPU B [0,1),
    A [1,6); CPU B [1,6), A [6,7): both on time.
    """
    net_a = chain_network("net-a", gpu=(5, 100), cpu=(100, 1))
    net_b = chain_network("net-b", gpu=(1, 100), cpu=(100, 5))
    jobs = (Job("A", "net-a", release=0, deadline=7), Job("B", "net-b", release=0, deadline=8))
    return Instance(id="edf-counterexample", networks=(net_a, net_b), jobs=jobs)


def handoff_counterexample() -> Instance:
    """Different orders on the two processors beat every common order.

    j: a=1, h=10, b=1, d=12; k: a=1, h=0, b=5, d=7; both released at 0 (cut 1
    of two-layer networks; the other cuts take over 100 us). GPU j [0,1),
    k [1,2); CPU k [2,7), j [11,12): both on time. Common order j,k: k's CPU
    stage ends at 17 > 7; k,j: j's CPU stage starts at 12, ends 13 > 12.
    """
    net_j = chain_network("net-j", gpu=(1, 100), cpu=(100, 1), handoff=(10,))
    net_k = chain_network("net-k", gpu=(1, 100), cpu=(100, 5))
    jobs = (Job("j", "net-j", release=0, deadline=12), Job("k", "net-k", release=0, deadline=7))
    return Instance(id="handoff-counterexample", networks=(net_j, net_k), jobs=jobs)


def random_medium_instance(rng: random.Random, n_jobs: int, *, layers: int = 6) -> Instance:
    """A larger random instance (too big for the oracle) for time-limit checks."""
    nets = tuple(
        chain_network(f"m{i}", gpu=[rng.randint(5, 60) for _ in range(layers)],
                      cpu=[rng.randint(10, 150) for _ in range(layers)],
                      handoff=[rng.randint(0, 40) for _ in range(layers - 1)])
        for i in range(3))
    jobs = []
    t = 0
    for i in range(n_jobs):
        net = rng.choice(nets)
        t += rng.randint(0, 60)
        jobs.append(Job(id=f"j{i:02d}", network=net.name, release=t,
                        deadline=t + int(rng.uniform(1.0, 3.0) * net.stages.best_latency)))
    return Instance(id=f"medium-{n_jobs}", networks=nets, jobs=tuple(jobs))


# Scale factors of random_us_instance: from ms-scale to about a second per base unit.
US_SCALES = (997, 10007, 100003, 250000, 1000003)


# Weights of a priority mix: small ones beside ones of 1e3 to 1e6 (objective
# coefficients spanning six orders of magnitude, as a user's priority classes may).
HEAVY_WEIGHTS = (1, 2, 3, 1000, 99991, 1000000)


def random_us_instance(rng: random.Random, n_jobs: int, *, max_layers: int = 3,
                       max_weight: int = 3, zero_layers: bool = True,
                       scale: int | None = None,
                       weights: tuple[int, ...] | None = None) -> Instance:
    """A tiny instance at microsecond scale on which 1 us decides whether a job is on time.

    The shape is :func:`random_tiny_instance`'s (1-3 networks of 1..``max_layers``
    layers, hand-off lags on inner cuts, releases, weights 1..``max_weight``, with
    ``zero_layers`` about a third of the layer times 0), with every time multiplied by
    ``scale`` (drawn from :data:`US_SCALES` when None) and moved by a few
    microseconds, as measured profiles are. Each deadline is then either the
    scaled one or, for about half of the jobs, exactly ``release + best isolated
    latency + delta`` with ``delta`` in -1..1 us, so that a job fits alone by 0 or 1 us
    or misses by 1 us. Zero-length stages stay 0.

    This is where MILP backends have been caught claiming false proofs: big-M
    rows with coefficients of millions and a feasibility tolerance of about
    1e-6 relative leave about 1 us of play (``../shared/cases/solver-claims``).
    Sizes: ``n_jobs`` <= 6 keeps :func:`optimum` fast. ``weights``, when given,
    is the pool each job's weight is drawn from instead of 1..``max_weight`` (e.g.
    :data:`HEAVY_WEIGHTS`: a newcomer's screen caught MILP backends on weights up to 1e6).
    """
    factor = scale if scale is not None else rng.choice(US_SCALES)
    jitter = max(1, min(3, factor // 300))

    def us(base: int) -> int:
        """A base time in microseconds at this scale; 0 stays 0 (a zero-length stage)."""
        return 0 if base == 0 else max(1, base * factor + rng.randint(-jitter, jitter))

    def layer_time() -> int:
        return 0 if zero_layers and rng.random() < 0.35 else us(rng.randint(1, 20))

    networks = []
    for n in range(rng.randint(1, 3)):
        layers = rng.randint(1, max_layers)
        inner = [us(rng.randint(0, 10)) for _ in range(layers - 1)]
        networks.append(Network(
            name=f"net{n}", layer_names=tuple(f"l{i}" for i in range(layers)),
            gpu_us=tuple(layer_time() for _ in range(layers)),
            cpu_us=tuple(layer_time() for _ in range(layers)),
            handoff_us=(0, *inner, 0)))
    jobs = []
    for i in range(n_jobs):
        net = rng.choice(networks)
        release = us(rng.randint(0, 20))
        best = int(net.stages.best_latency)
        if rng.random() < 0.5:
            slack = max(0, best + rng.randint(-1, 1))
        else:
            slack = max(0, best + us(rng.randint(0, 25)) - rng.randint(0, best // 4))
        jobs.append(Job(id=f"j{i}", network=net.name, release=release,
                        deadline=release + slack,
                        weight=rng.randint(1, max_weight) if weights is None
                        else rng.choice(weights)))
    return Instance(id=f"us-{factor}-{rng.random():.8f}", networks=tuple(networks),
                    jobs=tuple(jobs))


def three_either_way(weight: int = 1) -> Instance:
    """Three jobs due at 10, each one layer of 6 us on the GPU (cut 1) or on the CPU (cut 0).

    Each processor fits one stage before 10, so two are on time (the optimum), while
    the cut LP allows 10/6 per processor, 3 jobs after rounding down: the hand-made case
    where the rows' integer optimum is below their LP. Every job has ``weight``.
    """
    net = Network(name="n", layer_names=("l1",), gpu_us=(6,), cpu_us=(6,), handoff_us=(0, 0))
    return Instance(id=f"three-either-way-w{weight}", networks=(net,),
                    jobs=tuple(Job(f"j{i}", "n", 0, 10, weight) for i in range(3)))


def random_twins_instance(rng: random.Random, n_jobs: int, *, max_weight: int = 2) -> Instance:
    """:func:`random_tiny_instance` with a near-copy of its first ``max(1, n_jobs // 2)``
    jobs (id + ``b``): same network and weight, released up to a third of the window
    later and due up to as much later, so that :mod:`splitsched.solvers.merge` has groups
    to merge."""
    inst = random_tiny_instance(rng, n_jobs, max_weight=max_weight)
    jobs = list(inst.jobs)
    for j in jobs[:max(1, n_jobs // 2)]:
        shift = rng.randint(0, max(0, (j.deadline - j.release) // 3))
        jobs.append(Job(id=j.id + "b", network=j.network, release=j.release + shift,
                        deadline=j.deadline + rng.randint(0, shift), weight=j.weight))
    return Instance(id=inst.id, networks=inst.networks, jobs=tuple(jobs))
