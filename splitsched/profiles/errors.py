"""The error every profile importer raises on bad input: file, line, field and reason,
and the one reading of a time field (:func:`parse_time_us`).

:class:`ProfileImportError` is both an :class:`~splitsched.io.InputError` (so the
CLI turns it into exit status 2 and writes nothing) and a :class:`ValueError`
(so library callers can catch it without importing splitsched).
"""

from __future__ import annotations

import math
import os

from splitsched.io import InputError


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


def parse_time_us(path: str | os.PathLike[str] | None, line: int | None, field: str,
                  text: str) -> float:
    """A measured time in microseconds from a text field: finite and >= 0.

    Raises
    ------
    ProfileImportError
        ``not a number: 'x'`` or ``must be a finite time >= 0 (us), got 'x'``,
        naming ``path``, ``line`` and ``field``.
    """
    try:
        value = float(text)
    except ValueError:
        raise ProfileImportError(path, line, field, f"not a number: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise ProfileImportError(path, line, field,
                                 f"must be a finite time >= 0 (us), got {text!r}")
    return value
