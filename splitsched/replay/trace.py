"""Execution traces: what a replay did, stage by stage, as JSON lines.

A trace file holds one or more *runs*. Each run is a ``header`` line (instance,
solver, backend, policy, run index, seed, what the GPU lane ran on) followed by
one ``stage`` line per executed stage with its planned and actual times (us).
Every header also says what the trace belongs to and how long it is:
``instance_sha256`` and ``schedule_sha256``
(:func:`splitsched.io.schedule_sha256`), ``runs`` (runs in the file) and
``stages`` (stage lines of this run), so that a truncated trace, a trace of
another schedule or an edited one is refused by :func:`read_trace` and
:func:`splitsched.replay.compare.check_trace` instead of being counted.
Readers and writers live here so that ``replay`` and ``compare`` agree on the
format; writes are atomic and streamed (:class:`TraceWriter`), so a long
replay never holds its trace in memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from splitsched.io import (
    AtomicWriter,
    InputError,
    check_lines_format,
    instance_sha256,
    parse_json_text,
    read_regular_bytes,
    schedule_sha256,
    strict_json,
)
from splitsched.problem import PROCESSORS, Instance, Schedule, shown_value

TRACE_FORMAT = "splitsched-trace"
TRACE_VERSION = 2  # 2: headers carry instance/schedule hashes, run and stage counts


@dataclass(frozen=True)
class TraceHeader:
    """Facts about one replay run (one line of the trace)."""

    instance_id: str
    solver: str
    backend: str
    policy: str
    run: int
    seed: int
    gpu_lane: str
    gpu_lane_note: str = ""
    info: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageRecord:
    """One executed stage: planned and actual start/end in microseconds.

    ``ready`` is when the stage could first have started (release, or the end of
    the hand-off for a CPU stage that follows a GPU stage). ``handoff_start`` and
    ``handoff_end`` are set on such CPU stages only.
    """

    job: str
    processor: str
    cut: int
    planned_start: int
    planned_end: int
    actual_start: int
    actual_end: int
    ready: int
    handoff_start: int | None = None
    handoff_end: int | None = None

    @property
    def planned_duration(self) -> int:
        return self.planned_end - self.planned_start

    @property
    def actual_duration(self) -> int:
        return self.actual_end - self.actual_start


@dataclass(frozen=True)
class TraceRun:
    """A header and the stages executed in that run."""

    header: TraceHeader
    stages: tuple[StageRecord, ...]

    def completion(self) -> dict[str, int]:
        """Measured completion time of every job that ran (last stage end)."""
        out: dict[str, int] = {}
        for s in self.stages:
            out[s.job] = max(out.get(s.job, s.actual_end), s.actual_end)
        return out


@dataclass(frozen=True)
class TraceStamp:
    """What a trace file belongs to: hashes of the instance and schedule, run count."""

    instance_sha256: str
    schedule_sha256: str
    runs: int

    @classmethod
    def of(cls, instance: Instance, schedule: Schedule, runs: int) -> TraceStamp:
        return cls(instance_sha256(instance), schedule_sha256(schedule), runs)


def _run_lines(run: TraceRun, stamp: TraceStamp) -> list[str]:
    head = {"kind": "header", "format": TRACE_FORMAT, "version": TRACE_VERSION,
            **asdict(run.header), "instance_sha256": stamp.instance_sha256,
            "schedule_sha256": stamp.schedule_sha256, "runs": stamp.runs,
            "stages": len(run.stages)}
    lines = [strict_json(head, sort_keys=True)]
    lines += [strict_json({"kind": "stage", **asdict(s)}, sort_keys=True) for s in run.stages]
    return lines


def trace_to_text(runs: list[TraceRun], stamp: TraceStamp) -> str:
    """Serialise runs as JSON lines (header line, then its stage lines)."""
    return "".join(line + "\n" for r in runs for line in _run_lines(r, stamp))


class TraceWriter:
    """Stream runs into a trace file; the file appears only when all runs are in.

    ``with TraceWriter(path, stamp) as w: w.add(run)``. Raises InputError if
    the number of runs added differs from ``stamp.runs`` (the file is then
    not written) or the write fails.
    """

    def __init__(self, path: str | os.PathLike[str], stamp: TraceStamp) -> None:
        self.path = Path(path)
        self.stamp = stamp
        self.count = 0
        self._out = AtomicWriter(self.path)

    def __enter__(self) -> TraceWriter:
        self._out.__enter__()
        return self

    def add(self, run: TraceRun) -> None:
        self._out.write("".join(line + "\n" for line in _run_lines(run, self.stamp)))
        self.count += 1

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None and self.count != self.stamp.runs:
            self._out.__exit__(ValueError, None, None)  # discard
            raise InputError(self.path, "runs", f"{self.count} runs written, the header "
                                                f"promised {self.stamp.runs}")
        self._out.__exit__(exc_type, exc, tb)


def write_trace(runs: Iterable[TraceRun], path: str | os.PathLike[str], instance: Instance,
                schedule: Schedule) -> None:
    """Write a trace file atomically, stamped with what it belongs to."""
    runs = list(runs)
    with TraceWriter(path, TraceStamp.of(instance, schedule, len(runs))) as w:
        for run in runs:
            w.add(run)


_HEADER_TYPES: dict[str, type | tuple[type, ...]] = {
    "instance_id": str, "solver": str, "backend": str, "policy": str, "run": int, "seed": int,
    "gpu_lane": str, "gpu_lane_note": str, "info": dict, "instance_sha256": str,
    "schedule_sha256": str, "runs": int, "stages": int}
_REQUIRED_HEADER = {"instance_id", "solver", "backend", "policy", "run", "seed", "gpu_lane",
                    "instance_sha256", "schedule_sha256", "runs", "stages"}
_STAGE_INTS = ("cut", "planned_start", "planned_end", "actual_start", "actual_end", "ready")
_STAGE_OPTIONAL_INTS = ("handoff_start", "handoff_end")
_HEADER_FIELDS = set(TraceHeader.__dataclass_fields__)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _check_types(rec: dict[str, Any], types: dict[str, Any], path: Path, where: str) -> None:
    for name, kind in types.items():
        if name not in rec:
            continue
        value = rec[name]
        ok = _is_int(value) if kind is int else isinstance(value, kind)
        if not ok:
            raise InputError(path, f"{where}.{name}", f"expected {getattr(kind, '__name__', kind)}"
                                                      f", got {shown_value(value)}")


def _stage(rec: dict[str, Any], path: Path, where: str) -> StageRecord:
    missing = {"job", "processor", *_STAGE_INTS} - rec.keys()
    if missing:
        raise InputError(path, where, f"stage lacks {sorted(missing)}")
    unknown = rec.keys() - {"kind", "job", "processor", *_STAGE_INTS, *_STAGE_OPTIONAL_INTS}
    if unknown:
        raise InputError(path, where, f"unknown stage fields {sorted(unknown)}")
    if not isinstance(rec["job"], str):
        raise InputError(path, f"{where}.job", f"expected a job id, got {rec['job']!r}")
    if rec["processor"] not in PROCESSORS:
        raise InputError(path, f"{where}.processor", f"unknown processor {rec['processor']!r}; "
                                                     f"known: {', '.join(PROCESSORS)}")
    for name in _STAGE_INTS:
        if not _is_int(rec[name]) or rec[name] < 0:
            raise InputError(path, f"{where}.{name}", f"expected an integer >= 0 (us), "
                                                      f"got {shown_value(rec[name])}")
    for name in _STAGE_OPTIONAL_INTS:
        value = rec.get(name)
        if value is not None and (not _is_int(value) or value < 0):
            raise InputError(path, f"{where}.{name}", f"expected an integer >= 0 (us) or null, "
                                                      f"got {shown_value(value)}")
    if rec["actual_end"] < rec["actual_start"] or rec["planned_end"] < rec["planned_start"]:
        raise InputError(path, where, "a stage ends before it starts")
    return StageRecord(**{k: v for k, v in rec.items() if k != "kind"})


@dataclass(frozen=True)
class TraceFile:
    """A trace as read: its runs and its stamp."""

    runs: list[TraceRun]
    stamp: TraceStamp


def read_trace_file(path: str | os.PathLike[str]) -> TraceFile:
    """Read and check a trace file.

    Raises
    ------
    InputError
        Naming the line and field: not JSON (NaN included), an unknown
        kind, format or version, a missing or mistyped field, an unknown
        processor, a run whose stage count differs from its header
        (truncated), a run count that differs from the headers', runs not
        numbered 0..n-1, or headers that disagree on what they belong to.
    """
    p = Path(path)
    text = read_regular_bytes(p)
    runs: list[TraceRun] = []
    stamp: TraceStamp | None = None
    header: TraceHeader | None = None
    promised = 0
    stages: list[StageRecord] = []
    header_line = 0

    def close_run() -> None:
        if header is not None:
            if len(stages) != promised:
                raise InputError(p, f"line {header_line}.stages",
                                 f"run {header.run} promises {promised} stages, the file has "
                                 f"{len(stages)} (truncated or edited trace)")
            runs.append(TraceRun(header, tuple(stages)))

    for lineno, raw in enumerate(text.split(b"\n"), start=1):
        if not raw.strip():
            continue
        where = f"line {lineno}"
        try:
            rec = parse_json_text(raw, p, where)
            if not isinstance(rec, dict) or rec.get("kind") not in ("header", "stage"):
                raise InputError(p, where, "expected an object with kind header or stage")
        except InputError:
            if header is None:  # an instance or schedule given for the trace: say so
                check_lines_format(text, TRACE_FORMAT, p)
            raise
        if rec["kind"] == "header":
            if rec.get("format") != TRACE_FORMAT or rec.get("version") != TRACE_VERSION:
                raise InputError(p, f"{where}.format",
                                 f"expected {TRACE_FORMAT} version {TRACE_VERSION} (a trace "
                                 "from an older splitsched: replay again)")
            missing = _REQUIRED_HEADER - rec.keys()
            if missing:
                raise InputError(p, where, f"header lacks {sorted(missing)}")
            _check_types(rec, _HEADER_TYPES, p, where)
            for name, low in (("runs", 1), ("run", 0), ("stages", 0)):
                if rec[name] < low:
                    raise InputError(p, f"{where}.{name}", f"must be >= {low}, got "
                                                           f"{shown_value(rec[name])}")
            this = TraceStamp(rec["instance_sha256"], rec["schedule_sha256"], rec["runs"])
            if stamp is not None and this != stamp:
                raise InputError(p, where, "headers disagree on the instance, schedule or run "
                                           "count: runs from different traces were mixed")
            stamp = this
            close_run()
            header = TraceHeader(**{k: v for k, v in rec.items() if k in _HEADER_FIELDS})
            promised, stages, header_line = rec["stages"], [], lineno
        else:
            if header is None:
                raise InputError(p, where, "stage line before any header line")
            stages.append(_stage(rec, p, where))
    if header is None or stamp is None:
        raise InputError(p, "(file)", "no header line: not a trace")
    close_run()
    if len(runs) != stamp.runs:
        why = ("truncated trace" if len(runs) < stamp.runs
               else "more than promised: traces appended or edited")
        raise InputError(p, "runs", f"the headers promise {stamp.runs} runs, the file has "
                                    f"{len(runs)} ({why})")
    if sorted(r.header.run for r in runs) != list(range(len(runs))):
        raise InputError(p, "run", "runs are not numbered 0..n-1 exactly once")
    return TraceFile(runs, stamp)


def read_trace(path: str | os.PathLike[str]) -> list[TraceRun]:
    """The runs of a trace file, checked (see :func:`read_trace_file`)."""
    return read_trace_file(path).runs

