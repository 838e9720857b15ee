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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache

from splitsched.problem import Instance, Job, Schedule, edf_key
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
        candidates.sort(key=edf_key)
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
