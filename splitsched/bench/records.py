"""The run record: one JSON line per finished run, appended durably.

A sweep must survive Ctrl-C, ``kill -9`` and power loss losing at most the
runs in flight, so every record is written as one line, flushed and fsynced
before the next run's result is handled. A crash in the middle of a write
leaves a *torn* last line (no trailing newline or unparsable JSON); readers
ignore it and ``--resume`` truncates it away before appending.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitsched.io import InputError

RECORD_SCHEMA = "splitsched-run"
RECORD_VERSION = 1
RUNS_FILE = "runs.jsonl"

# Statuses a record may carry: the solver contract's, plus the harness's own.
SOLVER_STATUSES = ("optimal", "feasible", "no_solution", "timeout", "error")
HARNESS_STATUSES = ("killed", "crash", "memout")
RECORD_STATUSES = SOLVER_STATUSES + HARNESS_STATUSES

RunKey = tuple[str, str, int, float, int]


def run_key(sha256: str, solver: str, seed: int, time_limit_s: float, threads: int) -> RunKey:
    """The identity of a run: what ``--resume`` uses to skip finished work."""
    return (sha256, solver, int(seed), float(time_limit_s), int(threads))


def record_key(record: Mapping[str, Any]) -> RunKey:
    """The :func:`run_key` of a stored record."""
    return run_key(record["instance_sha256"], record["solver"], record["seed"],
                   record["time_limit_s"], record["threads"])


@dataclass(frozen=True)
class LoadedRuns:
    """Records read from a runs file, and where its intact part ends.

    ``torn`` is true when the last line was cut short (it is not in
    ``records``); ``good_bytes`` is the length of the intact prefix.
    """

    records: list[dict[str, Any]]
    torn: bool
    good_bytes: int


def read_runs(path: str | os.PathLike[str]) -> LoadedRuns:
    """Read a ``runs.jsonl``; a torn last line is skipped, a bad middle line refused.

    Parameters
    ----------
    path:
        The runs file. A missing file reads as empty.

    Raises
    ------
    InputError
        A line other than the last is not a JSON object (the file was edited
        or corrupted: silently dropping a run would bias every table).
    """
    p = Path(path)
    if not p.exists():
        return LoadedRuns([], False, 0)
    data = p.read_bytes()
    records: list[dict[str, Any]] = []
    offset = 0
    lines = data.split(b"\n")
    # After the final "\n" split() yields b"" (complete file) or a partial line (torn).
    for lineno, raw in enumerate(lines, start=1):
        is_last = lineno == len(lines)
        if is_last:
            if raw.strip():
                return LoadedRuns(records, True, offset)
            break
        try:
            rec = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if lineno == len(lines) - 1 and not lines[-1]:
                # A complete-looking last line that does not parse: a torn write
                # of the newline-terminated kind is impossible, but be lenient
                # only for the very last record.
                return LoadedRuns(records, True, offset)
            raise InputError(p, f"line {lineno}", f"not a JSON record: {exc}") from None
        if rec is not None:
            if not isinstance(rec, dict) or rec.get("schema") != RECORD_SCHEMA:
                raise InputError(p, f"line {lineno}", f"not a {RECORD_SCHEMA} record")
            records.append(rec)
        offset += len(raw) + 1
    return LoadedRuns(records, False, offset)


def repair_runs(path: str | os.PathLike[str]) -> LoadedRuns:
    """Read a runs file and cut a torn last line off it, so appends start clean."""
    loaded = read_runs(path)
    if loaded.torn:
        with open(path, "r+b") as fh:
            fh.truncate(loaded.good_bytes)
            fh.flush()
            os.fsync(fh.fileno())
    return loaded


def append_record(path: str | os.PathLike[str], record: Mapping[str, Any]) -> None:
    """Append one record as a single line, flushed and fsynced before returning."""
    line = json.dumps(record, sort_keys=True, separators=(",", ":"), default=_json_default)
    if "\n" in line:
        raise ValueError("a record must serialise to one line")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def finished_keys(records: Iterable[Mapping[str, Any]]) -> set[RunKey]:
    """Keys of every recorded run (any status: a killed run is finished too)."""
    return {record_key(r) for r in records}


def _json_default(value: Any) -> Any:
    """Make numpy scalars and other stray objects JSON-safe instead of failing a sweep."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)
