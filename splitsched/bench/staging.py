"""A report folder written whole: built beside its place, swapped in at the end.

``splitsched report`` (bench and online) writes ``RUN_DIR/report/`` as one
unit: :func:`staged_folder` hands out an empty temporary folder next to it
(``RUN_DIR/.report.XXXX.tmp``); the report is written there and, only when
every file is written, swapped in for the old folder, which is then removed.
On any failure (bad input found late, a full disk, Ctrl-C) the temporary
folder is removed and the previous report stays as it was, so a reader never
sees a report whose tables and plots come from different runs, or half of one.

:func:`check_folder_output` is the check done before any work: a file (or a
dangling link) standing where the folder should be is refused, and so is a
run directory that is not writable.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from splitsched.io import InputError


def check_folder_output(path: Path, field: str = "(folder)") -> None:
    """Refuse, before any work, a folder that :func:`staged_folder` could not replace.

    Raises
    ------
    InputError
        Naming ``path`` and ``field``: something other than a folder stands
        there (a file, a dangling link), or the folder that holds it is
        missing or not writable.
    """
    if path.is_symlink() and not path.exists():
        raise InputError(path, field, f"a dangling link (to {os.readlink(path)}, which does "
                         "not exist); remove it so that the report can be written")
    if path.exists() and not path.is_dir():
        raise InputError(path, field, "exists and is not a directory; move it away so that "
                         "the report can be written here")
    parent = Path(os.path.realpath(path)).parent
    if not parent.is_dir():
        raise InputError(path, field, f"{parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(path, field, f"directory {parent} is not writable")


def _folder_mode(existing: Path) -> int:
    """The mode of the folder being replaced, else the usual one (0777 less the umask)."""
    try:
        return existing.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o777 & ~umask


@contextlib.contextmanager
def staged_folder(final: Path, field: str = "(folder)") -> Iterator[Path]:
    """Yield an empty temporary folder beside ``final``; swap it in for ``final`` when the
    block ends without an exception.

    ``final`` may be missing, a folder, or a link to a folder (the link stays;
    the folder it points at is replaced). The new folder gets the old one's
    mode (a new one: 0777 less the umask). On an exception the temporary folder
    is removed and ``final`` is untouched. Leaves at most a ``.NAME.XXXX.old``
    folder behind if the process dies between the two renames of the swap.

    Raises
    ------
    InputError
        As :func:`check_folder_output`, or a write failed (``ENOSPC``,
        permission): naming ``final`` and ``field``.
    """
    check_folder_output(final, field)
    target = Path(os.path.realpath(final))
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent))
    except OSError as exc:
        raise InputError(final, field, f"cannot write: {exc.strerror or exc}") from None
    try:
        os.chmod(tmp, _folder_mode(target))
        yield tmp
        _swap(tmp, target, final, field)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already after a swap


def _swap(new: Path, target: Path, final: Path, field: str) -> None:
    """Put folder ``new`` at ``target``; the old folder there (if any) is removed after."""
    try:
        if not target.exists():
            os.rename(new, target)
            return
        old = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".old",
                                    dir=target.parent))
        try:
            os.rename(target, old)  # onto the empty folder just made
        except OSError:
            old.rmdir()
            raise
        try:
            os.rename(new, target)
        except OSError:
            os.rename(old, target)  # put the previous report back
            raise
        shutil.rmtree(old, ignore_errors=True)
    except OSError as exc:
        raise InputError(final, field, f"cannot write: {exc.strerror or exc}") from None
