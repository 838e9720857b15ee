"""Execution traces: what a replay did, stage by stage, as JSON lines.

A trace file holds one or more *runs*. Each run is a ``header`` line (instance,
solver, backend, policy, run index, seed, what the GPU lane ran on) followed by
one ``stage`` line per executed stage with its planned and actual times (us).
Readers and writers live here so that ``replay`` and ``compare`` agree on the
format; writes are atomic.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any

from splitsched.io import InputError, atomic_write_text

TRACE_FORMAT = "splitsched-trace"
TRACE_VERSION = 1


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


def trace_to_text(runs: list[TraceRun]) -> str:
    """Serialise runs as JSON lines (header line, then its stage lines)."""
    lines: list[str] = []
    for r in runs:
        head = {"kind": "header", "format": TRACE_FORMAT, "version": TRACE_VERSION}
        head.update(asdict(r.header))
        lines.append(json.dumps(head, sort_keys=True))
        for s in r.stages:
            rec = {"kind": "stage", **asdict(s)}
            lines.append(json.dumps(rec, sort_keys=True))
    return "\n".join(lines) + "\n"


def write_trace(runs: list[TraceRun], path: str | os.PathLike[str]) -> None:
    """Write a trace file atomically."""
    atomic_write_text(path, trace_to_text(runs))


_HEADER_FIELDS = {f for f in TraceHeader.__dataclass_fields__}
_STAGE_FIELDS = {f for f in StageRecord.__dataclass_fields__}
_REQUIRED_STAGE = {"job", "processor", "cut", "planned_start", "planned_end", "actual_start",
                   "actual_end", "ready"}
_REQUIRED_HEADER = {"instance_id", "solver", "backend", "policy", "run", "seed", "gpu_lane"}


def _parse_line(text: str, lineno: int, path: str | os.PathLike[str]) -> dict[str, Any]:
    try:
        rec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(path, f"line {lineno}", f"not valid JSON: {exc.msg}") from None
    if not isinstance(rec, dict) or rec.get("kind") not in ("header", "stage"):
        raise InputError(path, f"line {lineno}", "expected an object with kind header or stage")
    return rec


def read_trace(path: str | os.PathLike[str]) -> list[TraceRun]:
    """Read a trace file; a malformed line is an InputError naming the line."""
    if not os.path.exists(path):
        raise InputError(path, "(file)", "no such file")
    runs: list[TraceRun] = []
    header: TraceHeader | None = None
    stages: list[StageRecord] = []
    with open(path, encoding="utf-8") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            rec = _parse_line(raw, lineno, path)
            if rec["kind"] == "header":
                if rec.get("format") != TRACE_FORMAT or rec.get("version") != TRACE_VERSION:
                    raise InputError(path, f"line {lineno}.format",
                                     f"expected {TRACE_FORMAT} version {TRACE_VERSION}")
                missing = _REQUIRED_HEADER - rec.keys()
                if missing:
                    raise InputError(path, f"line {lineno}", f"header lacks {sorted(missing)}")
                if header is not None:
                    runs.append(TraceRun(header, tuple(stages)))
                header = TraceHeader(**{k: v for k, v in rec.items() if k in _HEADER_FIELDS})
                stages = []
            else:
                if header is None:
                    raise InputError(path, f"line {lineno}", "stage line before any header line")
                missing = _REQUIRED_STAGE - rec.keys()
                if missing:
                    raise InputError(path, f"line {lineno}", f"stage lacks {sorted(missing)}")
                try:
                    stages.append(StageRecord(**{k: v for k, v in rec.items()
                                                 if k in _STAGE_FIELDS}))
                except TypeError as exc:
                    raise InputError(path, f"line {lineno}", str(exc)) from None
    if header is None:
        raise InputError(path, "(file)", "no header line: not a trace")
    runs.append(TraceRun(header, tuple(stages)))
    return runs
