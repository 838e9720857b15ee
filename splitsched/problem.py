"""The joint partition-and-schedule problem, formulated once.

Everything here is immutable and in integer microseconds. This module imports
nothing of the project: it is the bottom layer every other one reads.

A network is a chain of L layers (a DAG linearised in execution order, or a
chain of operator *segments* after profile reduction). Cut k in 0..L runs
layers 1..k on the GPU, hands off, and runs layers k+1..L on the CPU. The
``StageTable`` of a network holds, per cut, the GPU stage ``a(k)``, the
hand-off lag ``h(k)`` and the CPU stage ``b(k)``; solvers read the problem only
through it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np

GPU = "gpu"
CPU = "cpu"
PROCESSORS = (GPU, CPU)


def occupies(duration: int) -> bool:
    """Whether a stage of ``duration`` microseconds occupies its processor.

    The one statement of the rule (``docs/design.md``, "Zero-length stages"):
    a zero-length stage occupies nothing. It may sit anywhere at or after its
    ready time, overlaps no other stage and delays none; ``evaluate``,
    the earliest-start routine, the greedy rules, the DP, the models'
    ``*_busy_cuts`` and replay's dispatch all read it from here
    (``StageTable.gpu_busy`` / ``cpu_busy`` for whole tables).
    """
    return duration > 0


def _frozen_mapping(data: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(data or {}))


@dataclass(frozen=True)
class StageTable:
    """Per-cut stage durations of one network: arrays of length L+1.

    ``a[k]`` GPU time of layers 1..k, ``h[k]`` hand-off lag, ``b[k]`` CPU time
    of layers k+1..L. ``a`` rises and ``b`` falls with k; ``h[0] = h[L] = 0``.
    """

    a: np.ndarray
    h: np.ndarray
    b: np.ndarray

    @property
    def num_layers(self) -> int:
        return len(self.a) - 1

    @property
    def cuts(self) -> range:
        return range(len(self.a))

    def total(self, k: int) -> int:
        """Isolated latency of cut k: a(k) + h(k) + b(k)."""
        return int(self.a[k] + self.h[k] + self.b[k])

    @cached_property
    def gpu_busy(self) -> np.ndarray:
        """Per cut: does its GPU stage occupy the GPU (``a(k) > 0``, see :func:`occupies`)?"""
        return self.a > 0

    @cached_property
    def cpu_busy(self) -> np.ndarray:
        """Per cut: does its CPU stage occupy the CPU (``b(k) > 0``, see :func:`occupies`)?"""
        return self.b > 0

    @cached_property
    def isolated(self) -> np.ndarray:
        """Isolated latency of every cut (both processors idle)."""
        return self.a + self.h + self.b

    @cached_property
    def best_cut(self) -> int:
        """The cut with the smallest isolated latency (lowest k on ties)."""
        return int(np.argmin(self.isolated))

    @property
    def best_latency(self) -> int:
        return int(self.isolated[self.best_cut])


@dataclass(frozen=True)
class Network:
    """A DNN as a chain of layers with measured GPU and CPU times.

    Parameters
    ----------
    name:
        Unique name within an instance or profile (e.g. ``inception-v3``).
    layer_names, gpu_us, cpu_us:
        Per layer, in execution order. Times are integer microseconds >= 0.
    handoff_us:
        Length L+1: hand-off cost of each cut; entries 0 and L are 0.
    gpu_sd_us, cpu_sd_us:
        Optional per-layer run-to-run standard deviation (measured spread),
        used by noisy replay; empty when unknown.
    provenance:
        Where the numbers come from (source, commit, device, reduction, ...).
    """

    name: str
    layer_names: tuple[str, ...]
    gpu_us: tuple[int, ...]
    cpu_us: tuple[int, ...]
    handoff_us: tuple[int, ...]
    gpu_sd_us: tuple[float, ...] = ()
    cpu_sd_us: tuple[float, ...] = ()
    provenance: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        n = len(self.layer_names)
        if n == 0:
            raise ValueError(f"network {self.name!r}: no layers")
        if len(self.gpu_us) != n or len(self.cpu_us) != n:
            raise ValueError(f"network {self.name!r}: gpu_us/cpu_us must have one entry per layer")
        if len(self.handoff_us) != n + 1:
            raise ValueError(f"network {self.name!r}: handoff_us must have L+1 = {n + 1} entries")
        if self.handoff_us[0] != 0 or self.handoff_us[-1] != 0:
            raise ValueError(f"network {self.name!r}: handoff_us[0] and handoff_us[L] must be 0")
        for label, seq in (("gpu_us", self.gpu_us), ("cpu_us", self.cpu_us),
                           ("handoff_us", self.handoff_us)):
            if any(int(v) != v or v < 0 for v in seq):
                raise ValueError(f"network {self.name!r}: {label} must be integers >= 0")
        for label, sds in (("gpu_sd_us", self.gpu_sd_us), ("cpu_sd_us", self.cpu_sd_us)):
            if sds and (len(sds) != n or any(v < 0 for v in sds)):
                raise ValueError(f"network {self.name!r}: {label} must be empty or L values >= 0")
        object.__setattr__(self, "provenance", _frozen_mapping(self.provenance))

    @property
    def num_layers(self) -> int:
        return len(self.layer_names)

    @cached_property
    def stages(self) -> StageTable:
        """The stage table, computed once."""
        gpu = np.asarray(self.gpu_us, dtype=np.int64)
        cpu = np.asarray(self.cpu_us, dtype=np.int64)
        a = np.concatenate(([0], np.cumsum(gpu)))
        b = np.concatenate((np.cumsum(cpu[::-1])[::-1], [0]))
        h = np.asarray(self.handoff_us, dtype=np.int64)
        for arr in (a, h, b):
            arr.setflags(write=False)
        return StageTable(a=a, h=h, b=b)


@dataclass(frozen=True)
class Job:
    """One inference request: network, release and absolute deadline (us)."""

    id: str
    network: str
    release: int
    deadline: int
    weight: int = 1

    def __post_init__(self) -> None:
        if self.release < 0:
            raise ValueError(f"job {self.id!r}: release must be >= 0")
        if self.deadline < self.release:
            raise ValueError(f"job {self.id!r}: deadline must be >= release")
        if self.weight <= 0:
            raise ValueError(f"job {self.id!r}: weight must be > 0")


def edf_key(job: Job) -> tuple[int, int, str]:
    """Earliest-deadline-first order with its tie-breaks: deadline, then release, then id.

    The one EDF order of the project (the greedy ``edf-*`` rules, the DP).
    """
    return (job.deadline, job.release, job.id)


@dataclass(frozen=True)
class Instance:
    """Networks, jobs and provenance: all a solver needs, self-contained."""

    id: str
    networks: tuple[Network, ...]
    jobs: tuple[Job, ...]
    provenance: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        names = [n.name for n in self.networks]
        if len(set(names)) != len(names):
            raise ValueError(f"instance {self.id!r}: duplicate network names")
        ids = [j.id for j in self.jobs]
        if len(set(ids)) != len(ids):
            raise ValueError(f"instance {self.id!r}: duplicate job ids")
        known = set(names)
        for job in self.jobs:
            if job.network not in known:
                raise ValueError(f"job {job.id!r}: unknown network {job.network!r}")
        object.__setattr__(self, "provenance", _frozen_mapping(self.provenance))

    @cached_property
    def network_by_name(self) -> Mapping[str, Network]:
        return MappingProxyType({n.name: n for n in self.networks})

    @cached_property
    def job_index(self) -> Mapping[str, int]:
        return MappingProxyType({j.id: i for i, j in enumerate(self.jobs)})

    def stages_of(self, job: Job) -> StageTable:
        return self.network_by_name[job.network].stages

    @property
    def num_jobs(self) -> int:
        return len(self.jobs)

    @property
    def total_weight(self) -> int:
        return sum(j.weight for j in self.jobs)


@dataclass(frozen=True)
class JobPlan:
    """A job's decision: dropped (``cut is None``) or a cut with start times.

    ``gpu_start`` is set iff the GPU stage exists (cut > 0); ``cpu_start`` iff
    the CPU stage exists (cut < L).
    """

    job: str
    cut: int | None
    gpu_start: int | None = None
    cpu_start: int | None = None

    @property
    def dropped(self) -> bool:
        return self.cut is None


@dataclass(frozen=True)
class Schedule:
    """A solver's answer for one instance: one plan per job."""

    instance_id: str
    solver: str
    plans: tuple[JobPlan, ...]
    instance_sha256: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "meta", _frozen_mapping(self.meta))

    @cached_property
    def plan_by_job(self) -> Mapping[str, JobPlan]:
        return MappingProxyType({p.job: p for p in self.plans})


def plan_for_cut(job: Job, stages: StageTable, cut: int, gpu_start: int | None,
                 cpu_start: int | None) -> JobPlan:
    """Build a JobPlan keeping only the start times of stages that exist."""
    last = stages.num_layers
    return JobPlan(job=job.id, cut=cut,
                   gpu_start=gpu_start if cut > 0 else None,
                   cpu_start=cpu_start if cut < last else None)
