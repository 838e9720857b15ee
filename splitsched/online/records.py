"""Reading an online sweep's ``runs.jsonl`` (schema ``splitsched-online-run``).

Writing uses the bench's :func:`~splitsched.bench.records.append_json_line` (one
line, flushed and fsynced). A crash mid-write leaves a torn last line:
:func:`read_records` ignores it and :func:`repair_records` cuts it off before
appending, as the bench does for its own records.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from splitsched.io import InputError

SCHEMA = "splitsched-online-run"


def _scan(path: Path) -> tuple[list[dict[str, Any]], int, bool]:
    if not path.exists():
        return [], 0, False
    data = path.read_bytes()
    records: list[dict[str, Any]] = []
    offset = 0
    lines = data.split(b"\n")
    for lineno, raw in enumerate(lines, start=1):
        if lineno == len(lines):  # after the final newline: b"" or a torn line
            return records, offset, bool(raw.strip())
        try:
            rec = json.loads(raw.decode("utf-8")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            if lineno == len(lines) - 1 and not lines[-1]:
                return records, offset, True
            raise InputError(path, f"line {lineno}", f"not a JSON record: {exc}") from None
        if rec is not None:
            if not isinstance(rec, dict) or rec.get("schema") != SCHEMA:
                raise InputError(path, f"line {lineno}", f"not a {SCHEMA} record")
            records.append(rec)
        offset += len(raw) + 1
    return records, offset, False


def read_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """The intact records of a runs file (a missing file reads as empty).

    Raises
    ------
    InputError
        A line other than the last is not a record of this schema.
    """
    return _scan(Path(path))[0]


def repair_records(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read the records and truncate a torn last line, so that appends start clean."""
    p = Path(path)
    records, good, torn = _scan(p)
    if torn:
        with open(p, "r+b") as fh:
            fh.truncate(good)
            fh.flush()
            os.fsync(fh.fileno())
    return records
