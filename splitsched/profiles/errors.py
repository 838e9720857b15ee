"""The error every profile importer raises on bad input: file, line, field and reason,
the one reading of a time field (:func:`parse_time_us`) and of a profile text file
(:func:`read_text`).

:class:`ProfileImportError` is both an :class:`~splitsched.io.InputError` (so the
CLI turns it into exit status 2 and writes nothing) and a :class:`ValueError`
(so library callers can catch it without importing splitsched).
"""

from __future__ import annotations

import math
import os

from splitsched.io import InputError, TextDecodeError, decode_text, read_regular_bytes
from splitsched.problem import MAX_TIME_US


class ProfileImportError(InputError, ValueError):
    """A profile file that cannot be imported.

    Parameters
    ----------
    path:
        The file (``None`` for a command-line option or a pair of files).
    line:
        1-based line number in ``path``, or ``None`` when the problem is the
        whole file (e.g. a missing delegate node, no table at all).
    field:
        The column, option or part of the file at fault (``"avg_ms"``,
        ``"node type"``, ``"name"``, ...).
    reason:
        Why, in words a user can act on.

    The message reads ``<path>: line <n>, <field>: <reason>``.
    """

    def __init__(self, path: str | os.PathLike[str] | None, line: int | None, field: str,
                 reason: str) -> None:
        where = f"line {line}, {field}" if line is not None else field
        super().__init__(path, where, reason)
        self.line = line
        self.column = field


def read_text(path: str | os.PathLike[str]) -> str:
    """A profile file's text: UTF-8, a leading BOM stripped (:func:`splitsched.io.decode_text`).

    Raises
    ------
    ProfileImportError
        No such file, a directory or other non-regular file, too large, or not
        UTF-8: a UTF-16 file is named as such, any other undecodable byte
        with its line.
    """
    try:
        data = read_regular_bytes(path)
    except InputError as exc:
        raise ProfileImportError(path, None, exc.field, exc.reason) from None
    try:
        return decode_text(data)
    except TextDecodeError as exc:
        raise ProfileImportError(path, exc.line, "(encoding)", exc.reason) from None


def compact_number(text: str, limit: int = 24) -> str:
    """``text`` as written when short, else its value in 6 significant digits (``1e+300``)."""
    text = text.strip()
    if len(text) <= limit:
        return repr(text)
    try:
        return f"{float(text):.6g} (a {len(text)}-character number)"
    except ValueError:
        return repr(text[:limit] + "...")


def parse_time_us(path: str | os.PathLike[str] | None, line: int | None, field: str,
                  text: str) -> float:
    """A measured time in microseconds from a text field: finite, >= 0 and <= MAX_TIME_US.

    The upper bound is :data:`splitsched.problem.MAX_TIME_US` (2**40 us, about
    12.7 days), the bound of every time of the problem: checked here, the error
    names the column the user wrote, not a field derived from it.

    Raises
    ------
    ProfileImportError
        ``not a number: 'x'``, ``must be a finite time >= 0 (us), got 'x'`` or
        ``must be at most 2**40 us ..., got 1e+30``, naming ``path``, ``line``
        and ``field``; a long number is shown compactly.
    """
    try:
        value = float(text)
    except ValueError:
        raise ProfileImportError(path, line, field,
                                 f"not a number: {compact_number(text)}") from None
    if not math.isfinite(value) or value < 0:
        raise ProfileImportError(path, line, field,
                                 f"must be a finite time >= 0 (us), got {compact_number(text)}")
    if value > MAX_TIME_US:
        raise ProfileImportError(path, line, field,
                                 f"must be at most {MAX_TIME_US} us (2**40 us, about 12.7 days: "
                                 f"the bound of every time), got {compact_number(text)}")
    return value
