"""The error every profile importer raises on bad input: file, line, field and reason.

:class:`ProfileImportError` is both an :class:`~splitsched.io.InputError` (so the
CLI turns it into exit status 2 and writes nothing) and a :class:`ValueError`
(so library callers can catch it without importing splitsched).
"""

from __future__ import annotations

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
