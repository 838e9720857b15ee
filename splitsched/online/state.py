"""What an online policy sees and what it answers: the policy interface.

The engine (:mod:`splitsched.online.engine`) calls ``policy.decide(state)`` at
an event (a job's release, a stage's completion, a hand-off's completion, or a
wake-up the policy asked for) whenever a processor is idle and something could
start on it. The :class:`OnlineState` holds only what is known at that moment:
the jobs released so far, the stage tables (profiled, nominal times), what runs
now and since when, and the actual completion times of what has finished. It
never shows a job before its release, nor the actual (noisy) duration of a
stage before it ends.

A :class:`Decision` lists stages to start *now*; a start is final (stages are
non-preemptive, and a job whose first stage has started keeps its cut and must
run its second stage). A job not yet started may be dropped (final) or simply
left waiting. All times are integer microseconds.

To write a policy, implement :class:`Policy` (``name``, ``reset``, ``decide``)
and register a factory with :func:`splitsched.online.policies.register_policy`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, Protocol, TypeVar

from splitsched.problem import CPU, GPU, Job, Network, StageTable

T = TypeVar("T")


@dataclass(frozen=True)
class NetTable:
    """A network's stage table as Python lists, for the per-event code of the policies.

    The same numbers as :attr:`splitsched.problem.Network.stages` (``a``, ``h``,
    ``b`` per cut, integer microseconds, length L+1), as Python ints: indexing
    a numpy array and converting the scalar costs far more than a list look-up
    in the event loop. ``gpu_busy`` / ``cpu_busy`` come from
    :attr:`StageTable.gpu_busy` / ``cpu_busy`` (the rule's home,
    :func:`splitsched.problem.occupies`); ``min_isolated`` is the smallest
    isolated latency over the cuts.
    """

    stages: StageTable
    a: list[int]
    h: list[int]
    b: list[int]
    gpu_busy: list[bool]
    cpu_busy: list[bool]
    num_layers: int
    min_isolated: int

    @classmethod
    def of(cls, stages: StageTable) -> NetTable:
        return cls(stages, stages.a.tolist(), stages.h.tolist(), stages.b.tolist(),
                   stages.gpu_busy.tolist(), stages.cpu_busy.tolist(), stages.num_layers,
                   int(stages.isolated.min()))


class PerNetwork(Generic[T]):
    """``make(network)``, computed once per network object (a call returns the cached value).

    Networks are immutable and few (one per model and profile). An entry holds its
    network, so the id it is keyed by cannot be reused while cached; past
    ``max_size`` entries the cache starts over.
    """

    def __init__(self, make: Callable[[Network], T], max_size: int = 4096) -> None:
        self._make, self._max = make, max_size
        self._cache: dict[int, tuple[Network, T]] = {}

    def __call__(self, network: Network) -> T:
        hit = self._cache.get(id(network))
        if hit is not None and hit[0] is network:
            return hit[1]
        if len(self._cache) >= self._max:
            self._cache.clear()
        value = self._make(network)
        self._cache[id(network)] = (network, value)
        return value


net_table: PerNetwork[NetTable] = PerNetwork(lambda network: NetTable.of(network.stages))
"""The :class:`NetTable` of a network, computed once per network object."""


class PolicyError(RuntimeError):
    """A policy asked for something the rules forbid (a bug in the policy)."""


@dataclass(frozen=True)
class Start:
    """Start one stage now: ``job``'s stage on ``processor`` with cut ``cut``.

    For a job not yet started, ``processor`` is the processor of its first
    stage: ``gpu`` for ``cut > 0``, ``cpu`` for ``cut == 0``. For a committed
    job (first stage done), it is ``cpu`` and ``cut`` is its committed cut.
    """

    job: str
    processor: str
    cut: int


@dataclass(frozen=True)
class Decision:
    """A policy's answer at one event.

    Attributes
    ----------
    starts:
        Stages to start now, at most one per idle processor (a zero-length
        stage occupies nothing and may start on a busy one).
    drops:
        Ids of released, not-yet-started jobs to drop for good.
    wake_at:
        Ask to be called again at this time (us, > now) even if no other
        event happens then; None for no wake-up.
    """

    starts: tuple[Start, ...] = ()
    drops: tuple[str, ...] = ()
    wake_at: int | None = None


@dataclass(frozen=True)
class Running:
    """A stage running on a processor: started at ``start``; ``expected_end``
    is ``start`` plus its profiled (nominal) duration, the actual end being
    unknown until it happens."""

    job: str
    cut: int
    start: int
    expected_end: int


@dataclass(frozen=True)
class Committed:
    """A job whose GPU stage has started and whose CPU stage has not.

    ``ready`` is the actual time its hand-off ended (the CPU stage may start
    from then), or None while the GPU stage or the hand-off still runs;
    ``expected_ready`` is the best prediction from what is known now (equal to
    ``ready`` once known).
    """

    job: Job
    cut: int
    gpu_start: int
    ready: int | None
    expected_ready: int


@dataclass(frozen=True)
class OnlineState:
    """Everything known at time ``now`` (a read-only snapshot).

    Attributes
    ----------
    now:
        Current time, us.
    networks:
        Network name -> Network with its profiled stage table (nominal times).
    pending:
        Released jobs not yet started nor dropped, by release then id.
    committed:
        Jobs whose CPU stage is still to run after their GPU stage started.
    running:
        ``{"gpu": Running | None, "cpu": Running | None}``.
    finished:
        Job id -> actual completion time of every job whose last stage ended.
    """

    now: int
    networks: Mapping[str, Network]
    pending: tuple[Job, ...]
    committed: tuple[Committed, ...]
    running: Mapping[str, Running | None]
    finished: Mapping[str, int] = field(default_factory=dict)

    def stages_of(self, job: Job) -> StageTable:
        """The job's profiled stage table."""
        return self.networks[job.network].stages

    def table_of(self, job: Job) -> NetTable:
        """The job's profiled stage table as Python lists (:class:`NetTable`)."""
        return net_table(self.networks[job.network])

    # Indexes of the snapshot, built once per state (a policy reads them several
    # times per decision: current plan, proposal, dispatch).
    @cached_property
    def pending_by_id(self) -> Mapping[str, Job]:
        """Pending job id -> job."""
        return {j.id: j for j in self.pending}

    @cached_property
    def committed_by_id(self) -> Mapping[str, Committed]:
        """Committed job id -> its :class:`Committed` record."""
        return {c.job.id: c for c in self.committed}

    @cached_property
    def job_by_id(self) -> Mapping[str, Job]:
        """Id -> job, for the pending and the committed jobs."""
        out = dict(self.pending_by_id)
        for c in self.committed:
            out[c.job.id] = c.job
        return out

    @cached_property
    def table_by_id(self) -> Mapping[str, NetTable]:
        """Id -> :class:`NetTable`, for the pending and the committed jobs."""
        return {jid: self.table_of(job) for jid, job in self.job_by_id.items()}

    def idle(self, processor: str) -> bool:
        return self.running[processor] is None

    def free_at(self, processor: str) -> int:
        """When ``processor`` is expected to be free: ``now`` if idle, else the
        running stage's expected end (``now`` if it already overran)."""
        run = self.running[processor]
        return self.now if run is None else max(self.now, run.expected_end)

    @property
    def idle_processors(self) -> tuple[str, ...]:
        return tuple(p for p in (GPU, CPU) if self.running[p] is None)


class Policy(Protocol):
    """The online policy interface.

    ``reset`` is called once before a run with the run's seed; ``decide`` at
    each event where a processor is idle and work could start. ``stats``
    returns counters for the run record (may be empty).
    """

    name: str

    def reset(self, seed: int) -> None: ...

    def decide(self, state: OnlineState) -> Decision: ...

    def stats(self) -> dict[str, float | int | str]: ...
