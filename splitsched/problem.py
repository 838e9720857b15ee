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

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from numbers import Integral, Real
from types import MappingProxyType
from typing import Any

import numpy as np

GPU = "gpu"
CPU = "cpu"
PROCESSORS = (GPU, CPU)

# Stated bounds (docs/reliability.md, "Limits"). Every time is an integer number of
# microseconds in [0, MAX_TIME_US] (2**40 us, about 12.7 days): a layer's time, a
# hand-off, a release, a deadline, and also a network's whole GPU chain and whole CPU
# chain. An instance's latest deadline plus the longest chain of every job stays
# within MAX_INSTANCE_SUM_US (2**62), so every start and end time a schedule can have
# fits a signed 64-bit integer with a factor of two to spare (numpy, OR-Tools, the
# MILP backends all compute in int64 or double). Weights are integers in
# [1, MAX_WEIGHT]; an instance's total weight is at most MAX_TOTAL_WEIGHT (2**53) so
# that it is exact in a double.
MAX_TIME_US = 2**40
MAX_INSTANCE_SUM_US = 2**62
MAX_WEIGHT = 2**31 - 1
MAX_TOTAL_WEIGHT = 2**53


SHOWN_DIGITS = 20
"""The leading digits that :func:`shown_value` keeps of a longer integer."""


def shown_value(value: Any) -> str:
    """``value`` as an error message echoes it: ``repr``, but an integer of more than
    :data:`SHOWN_DIGITS` digits cut to its leading digits and its length
    (``12345678901234567890...(4300 digits)``), so that a number of thousands of digits
    in an input file does not fill the one-line message with its digits."""
    if not isinstance(value, Integral) or isinstance(value, bool):
        return repr(value)
    number = int(value)
    magnitude = abs(number)
    if magnitude < 10**SHOWN_DIGITS:
        return str(number)
    digits = int(magnitude.bit_length() * math.log10(2)) + 1  # exact or one too many
    if magnitude < 10 ** (digits - 1):
        digits -= 1
    lead = magnitude // 10 ** (digits - SHOWN_DIGITS)
    return f"{'-' if number < 0 else ''}{lead}...({digits} digits)"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """``count`` and ``noun`` in agreement: ``1 run``, ``0 runs``, ``2 runs`` (``plural``
    when adding an ``s`` is wrong: ``counted(n, "policy", "policies")``)."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def named_twice(names: Sequence[str]) -> str | None:
    """``'a', 'b' named more than once`` for the names that ``names`` holds more than once
    (sorted), or None: the words of every list option that refuses a repeated name."""
    twice = sorted({n for n in names if names.count(n) > 1})
    return f"{', '.join(map(repr, twice))} named more than once" if twice else None


class InvariantError(ValueError):
    """An object breaks a rule of the problem: which object, which field, why.

    ``field`` is the path inside the object as the file formats spell it
    (``layers[2].gpu_us``, ``handoff_us``, ``deadline``, ``jobs[3].network``);
    :mod:`splitsched.io` prefixes it with the object's place in the file.
    """

    def __init__(self, subject: str, field: str, reason: str) -> None:
        self.subject = subject
        self.field = field
        self.reason = reason
        super().__init__(f"{subject}: {field}: {reason}")


def check_int(value: Any, subject: str, field: str, low: int, high: int) -> int:
    """``value`` as an int in [low, high]; bools and non-integral numbers refused.

    Accepts Python and numpy integers and integral floats (profile readers
    compute in floats). Raises :class:`InvariantError`.
    """
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvariantError(subject, field, f"must be an integer, got {shown_value(value)}")
    if not isinstance(value, Integral) and (not math.isfinite(value)
                                            or not float(value).is_integer()):
        raise InvariantError(subject, field, f"must be an integer, got {shown_value(value)}")
    v = int(value)  # type: ignore[call-overload]
    if not low <= v <= high:
        raise InvariantError(subject, field, f"must be an integer >= {low} and <= {high}, "
                                             f"got {shown_value(v)}")
    return v


_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
"""The characters of Unicode category Cc (C0 controls, DEL, C1 controls), the line and
paragraph separators (U+2028, U+2029: ``str.splitlines`` breaks at them) and the
bidirectional embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069: they
reorder what a terminal or table shows after them)."""


def check_id(value: str, subject: str, field: str) -> str:
    """``value`` if it holds no control character (Unicode category Cc: a newline, a tab,
    NUL, DEL, ...; also a line or paragraph separator or a bidirectional override, see
    ``_CONTROL``), else :class:`InvariantError` naming ``field`` and the character.

    An id (instance, job, network) is printed in one-line messages and table rows
    (``show``, the report's ``instances.md``): a newline in it would break them.
    """
    bad = _CONTROL.search(value) if isinstance(value, str) else None
    if bad is not None:
        raise InvariantError(subject, field, f"holds the control character {bad.group()!r} at "
                                             f"position {bad.start()}; an id must be printable "
                                             "(no newline, tab, other control character, "
                                             "line separator or bidirectional override)")
    return value


def check_real(value: Any, subject: str, field: str, low: float = 0.0) -> float:
    """``value`` as a finite float >= low (NaN, infinities and bools refused)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise InvariantError(subject, field, f"must be a finite number, got {shown_value(value)}")
    if value < low:
        raise InvariantError(subject, field, f"must be >= {low:g}, got {shown_value(value)}")
    return float(value)


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
        subject = f"network {self.name!r}"
        check_id(self.name, subject, "name")
        n = len(self.layer_names)
        if n == 0:
            raise InvariantError(subject, "layers", "no layers")
        if len(self.gpu_us) != n or len(self.cpu_us) != n:
            raise InvariantError(subject, "layers", "gpu_us/cpu_us must have one entry per layer")
        if len(self.handoff_us) != n + 1:
            raise InvariantError(subject, "handoff_us", f"needs L+1 = {n + 1} entries (one per "
                                                        f"cut), got {len(self.handoff_us)}")
        gpu = tuple(check_int(v, subject, f"layers[{i}].gpu_us", 0, MAX_TIME_US)
                    for i, v in enumerate(self.gpu_us))
        cpu = tuple(check_int(v, subject, f"layers[{i}].cpu_us", 0, MAX_TIME_US)
                    for i, v in enumerate(self.cpu_us))
        hand = tuple(check_int(v, subject, f"handoff_us[{i}]", 0, MAX_TIME_US)
                     for i, v in enumerate(self.handoff_us))
        if hand[0] != 0 or hand[-1] != 0:
            raise InvariantError(subject, "handoff_us", "handoff_us[0] and handoff_us[L] must be "
                                                        "0 (no hand-off at k=0, L)")
        for label, total in (("gpu_us", sum(gpu)), ("cpu_us", sum(cpu))):
            if total > MAX_TIME_US:
                raise InvariantError(subject, f"layers[*].{label}",
                                     f"the whole chain takes {total} us, more than the "
                                     f"bound {MAX_TIME_US} us")
        for label, sds in (("gpu_sd_us", self.gpu_sd_us), ("cpu_sd_us", self.cpu_sd_us)):
            if sds and len(sds) != n:
                raise InvariantError(subject, label, "must be empty or L values >= 0")
            object.__setattr__(self, label, tuple(check_real(v, subject, f"layers[{i}].{label}")
                                                  for i, v in enumerate(sds)))
        object.__setattr__(self, "gpu_us", gpu)
        object.__setattr__(self, "cpu_us", cpu)
        object.__setattr__(self, "handoff_us", hand)
        object.__setattr__(self, "provenance", _frozen_mapping(self.provenance))

    @property
    def chain_bound_us(self) -> int:
        """An upper bound on the isolated latency of any cut: all layers plus the
        largest hand-off (used for the instance-wide sum bound)."""
        return sum(self.gpu_us) + sum(self.cpu_us) + max(self.handoff_us)

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
        subject = f"job {self.id!r}"
        check_id(self.id, subject, "id")
        check_id(self.network, subject, "network")
        release = check_int(self.release, subject, "release", 0, MAX_TIME_US)
        deadline = check_int(self.deadline, subject, "deadline", 0, MAX_TIME_US)
        if deadline < release:
            raise InvariantError(subject, "deadline", f"deadline {deadline} is before release "
                                                      f"{release} (deadline must be >= release)")
        weight = check_int(self.weight, subject, "weight", 1, MAX_WEIGHT)
        object.__setattr__(self, "release", release)
        object.__setattr__(self, "deadline", deadline)
        object.__setattr__(self, "weight", weight)


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
        subject = f"instance {self.id!r}"
        check_id(self.id, subject, "id")
        seen: dict[str, int] = {}
        for i, net in enumerate(self.networks):
            if net.name in seen:
                raise InvariantError(subject, f"networks[{i}].name",
                                     f"duplicate network name {net.name!r} (also "
                                     f"networks[{seen[net.name]}])")
            seen[net.name] = i
        ids: dict[str, int] = {}
        chains = {n.name: n.chain_bound_us for n in self.networks}
        work = 0
        weight = 0
        latest = 0
        for i, job in enumerate(self.jobs):
            if job.id in ids:
                raise InvariantError(subject, f"jobs[{i}].id", f"duplicate job id {job.id!r} "
                                                               f"(also jobs[{ids[job.id]}])")
            ids[job.id] = i
            if job.network not in chains:
                raise InvariantError(subject, f"jobs[{i}].network",
                                     f"unknown network {job.network!r}")
            work += chains[job.network]
            weight += job.weight
            latest = max(latest, job.deadline)
        if latest + work > MAX_INSTANCE_SUM_US:
            raise InvariantError(subject, "jobs", f"latest deadline plus every job's longest "
                                                  f"chain is {latest + work} us, more than the "
                                                  f"bound {MAX_INSTANCE_SUM_US} us")
        if weight > MAX_TOTAL_WEIGHT:
            raise InvariantError(subject, "jobs", f"total weight {weight} exceeds "
                                                  f"{MAX_TOTAL_WEIGHT}")
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

    def __post_init__(self) -> None:
        if self.cut is None and self.gpu_start is None and self.cpu_start is None:
            return  # a dropped job: nothing to check
        subject = f"plan of job {self.job!r}"
        if self.cut is not None:
            object.__setattr__(self, "cut", check_int(self.cut, subject, "cut", 0, 2**31 - 1))
        for label in ("gpu_start", "cpu_start"):
            value = getattr(self, label)
            if value is not None:
                object.__setattr__(self, label, check_int(value, subject, label, 0,
                                                          MAX_INSTANCE_SUM_US))

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
