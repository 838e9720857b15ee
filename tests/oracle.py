"""Brute-force oracle: the true minimum weighted misses of a tiny instance.

Used by the tests of every solver that claims something about optimality.

Why enumeration is exhaustive: a schedule is fixed by the set of accepted
jobs, each accepted job's cut, and the order of stages on each processor. For
fixed cuts and orders the earliest (semi-active) schedule starts every stage
as early as the rules allow, so it minimises every stage's end and every
completion time at once: it is on time wherever any schedule with those cuts
and orders is. A late job is no better than a dropped one, and dropping a job
only frees the processors (it never delays another stage). Hence enumerating
accepted sets x cuts x orders, each with its earliest schedule, finds the
optimum. Accepted sets are tried from the heaviest down, and the first one
that some (cuts, orders) makes entirely on time gives the optimum; partial
orders that already make a job late are abandoned (the earliest schedule of a
prefix never changes when more stages are appended).

Modes: ``edf_order`` restricts both processors to the EDF order (deadline,
release, id) of the accepted jobs, which is what ``dp-edf`` optimises;
``same_order`` restricts both processors to one common (free) order.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from splitsched.problem import Instance, Job, Network, Schedule
from splitsched.solvers.timing import earliest_schedule


@dataclass(frozen=True)
class _Option:
    """One cut of one job with its stage durations (None: no such stage)."""

    cut: int
    a: int | None
    h: int
    b: int | None


@dataclass(frozen=True)
class Witness:
    """An optimal choice: cuts (None = dropped) and the two processor orders."""

    misses: int
    cuts: dict[str, int | None]
    gpu_order: tuple[str, ...]
    cpu_order: tuple[str, ...]

    def schedule(self, instance: Instance) -> Schedule:
        return earliest_schedule(instance, "oracle", self.cuts, self.gpu_order, self.cpu_order)


def _edf_key(job: Job) -> tuple[int, int, str]:
    return (job.deadline, job.release, job.id)


def _options(instance: Instance, job: Job) -> list[_Option]:
    """Cuts that can meet the deadline at least when the job runs alone."""
    st = instance.stages_of(job)
    out = []
    for k in st.cuts:
        if job.release + st.total(k) <= job.deadline:
            # a zero-length stage occupies no processor (as in evaluate): absent here
            out.append(_Option(k, int(st.a[k]) if st.a[k] > 0 else None, int(st.h[k]),
                               int(st.b[k]) if st.b[k] > 0 else None))
    return out


def _cpu_feasible(tasks: tuple[tuple[int, int, int], ...]) -> tuple[int, ...] | None:
    """One-machine sequencing with releases and deadlines, by backtracking.

    ``tasks`` are (ready, duration, deadline); returns an order meeting every
    deadline, or None.
    """

    @cache
    def search(t: int, left: frozenset[int]) -> tuple[int, ...] | None:
        if not left:
            return ()
        for i in left:
            ready, dur, dl = tasks[i]
            if max(t, ready) + dur > dl:
                return None  # t only grows: this task can never fit any more
        for i in sorted(left, key=lambda i: (tasks[i][2], tasks[i][0])):
            ready, dur, _ = tasks[i]
            rest = search(max(t, ready) + dur, left - {i})
            if rest is not None:
                return (i, *rest)
        return None

    return search(0, frozenset(range(len(tasks))))


def _free_orders(jobs: Sequence[Job], choice: Sequence[_Option]
                 ) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """Any GPU order x any CPU order for fixed cuts: a pair that meets all deadlines."""
    gpu = [i for i, o in enumerate(choice) if o.a is not None]
    cpu = [i for i, o in enumerate(choice) if o.b is not None]

    def gpu_search(t: int, left: list[int], ends: dict[int, int],
                   order: list[int]) -> tuple[list[int], list[int]] | None:
        if not left:
            tasks = []
            for i in cpu:
                o, job = choice[i], jobs[i]
                ready = max(job.release, ends.get(i, job.release) + o.h)
                tasks.append((ready, o.b or 0, job.deadline))
            cpu_seq = _cpu_feasible(tuple(tasks))
            return None if cpu_seq is None else (list(order), [cpu[p] for p in cpu_seq])
        for i in left:
            o, job = choice[i], jobs[i]
            end = max(t, job.release) + (o.a or 0)
            tail = o.h + (o.b or 0)
            if end + tail > job.deadline:
                continue
            ends[i] = end
            order.append(i)
            found = gpu_search(end, [x for x in left if x != i], ends, order)
            order.pop()
            if found is not None:
                return found
        return None

    found = gpu_search(0, gpu, {}, [])
    if found is None:
        return None
    g, c = found
    return tuple(jobs[i].id for i in g), tuple(jobs[i].id for i in c)


def _one_order(jobs: Sequence[Job], options: Sequence[list[_Option]], fixed: bool
               ) -> tuple[dict[str, int], tuple[str, ...]] | None:
    """One common order on both processors (the given one if ``fixed``), cuts free."""

    def search(gt: int, ct: int, left: list[int], picked: list[tuple[int, int]]
               ) -> list[tuple[int, int]] | None:
        if not left:
            return picked
        for i in left[:1] if fixed else left:
            job = jobs[i]
            for o in options[i]:
                g, c, gpu_end = gt, ct, job.release
                if o.a is not None:
                    g = gpu_end = max(gt, job.release) + o.a
                finish = gpu_end + o.h
                if o.b is not None:
                    c = finish = max(ct, finish) + o.b
                if finish > job.deadline:
                    continue
                found = search(g, c, [x for x in left if x != i], [*picked, (i, o.cut)])
                if found is not None:
                    return found
        return None

    found = search(0, 0, list(range(len(jobs))), [])
    if found is None:
        return None
    return {jobs[i].id: k for i, k in found}, tuple(jobs[i].id for i, _ in found)


def _subsets_heaviest_first(jobs: Sequence[Job]) -> Iterator[tuple[int, ...]]:
    subsets = [s for r in range(len(jobs) + 1) for s in itertools.combinations(range(len(jobs)), r)]
    subsets.sort(key=lambda s: -sum(jobs[i].weight for i in s))
    yield from subsets


def optimum_witness(instance: Instance, *, edf_order: bool = False,
                    same_order: bool = False) -> Witness:
    """The optimum (minimum weighted misses) with a schedule that attains it.

    Parameters
    ----------
    instance:
        A tiny instance (n <= 5 jobs, up to 4 cuts per job).
    edf_order:
        Both processors run the accepted jobs in EDF order (deadline, release, id).
    same_order:
        Both processors run the accepted jobs in one common order (any order).
    """
    if instance.num_jobs > 6:
        raise ValueError("the oracle is for tiny instances (at most 6 jobs)")
    candidates = [j for j in instance.jobs if _options(instance, j)]
    if edf_order:
        candidates.sort(key=_edf_key)
    total = instance.total_weight
    for subset in _subsets_heaviest_first(candidates):
        jobs = [candidates[i] for i in subset]
        options = [_options(instance, j) for j in jobs]
        misses = total - sum(j.weight for j in jobs)
        cuts: dict[str, int | None] = {j.id: None for j in instance.jobs}
        if edf_order or same_order:
            found = _one_order(jobs, options, fixed=edf_order)
            if found is None:
                continue
            chosen, order = found
            cuts.update(chosen)
            last = {j.id: instance.stages_of(j).num_layers for j in jobs}
            return Witness(misses, cuts, tuple(x for x in order if chosen[x] > 0),
                           tuple(x for x in order if chosen[x] < last[x]))
        for choice in itertools.product(*options):
            orders = _free_orders(jobs, choice)
            if orders is not None:
                cuts.update({j.id: o.cut for j, o in zip(jobs, choice, strict=True)})
                return Witness(misses, cuts, orders[0], orders[1])
    raise AssertionError("unreachable: the empty set is always feasible")


def optimum(instance: Instance, *, edf_order: bool = False, same_order: bool = False) -> int:
    """Minimum weighted misses over all schedules (or over the restricted orders).

    See the module docstring for why the enumeration is exhaustive.
    """
    return optimum_witness(instance, edf_order=edf_order, same_order=same_order).misses


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


# Scale factors of ``random_us_instance``: from times of a few hundred microseconds to a
# few seconds (the phones' range), none a round number, so that scaled sums do not
# line up by accident.
US_SCALES = (997, 10007, 100003, 250000, 1000003)


def random_us_instance(rng: random.Random, n_jobs: int, *, max_layers: int = 3,
                       max_weight: int = 3, zero_layers: bool = True,
                       scale: int | None = None) -> Instance:
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
    Sizes: ``n_jobs`` <= 6 keeps :func:`optimum` fast.
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
                        deadline=release + slack, weight=rng.randint(1, max_weight)))
    return Instance(id=f"us-{factor}-{rng.random():.8f}", networks=tuple(networks),
                    jobs=tuple(jobs))


def chain_network(name: str, gpu: Sequence[int], cpu: Sequence[int],
                  handoff: Sequence[int] | None = None) -> Network:
    """A network from per-layer times; ``handoff`` lists the inner cuts' lags."""
    inner = list(handoff) if handoff is not None else [0] * (len(gpu) - 1)
    return Network(name=name, layer_names=tuple(f"{name}-{i}" for i in range(len(gpu))),
                   gpu_us=tuple(gpu), cpu_us=tuple(cpu), handoff_us=(0, *inner, 0))


def edf_counterexample() -> Instance:
    """DESIGN section 1: A (a=5, b=1, d=7), B (a=1, b=5, d=8), both released at 0.

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
