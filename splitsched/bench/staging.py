"""A report folder written whole: built beside its place, swapped in at the end.

``splitsched report`` (bench and online) writes ``RUN_DIR/report/`` as one
unit: :func:`staged_folder` hands out an empty temporary folder next to it
(``RUN_DIR/.report.XXXX.tmp``); the report is written there and, only when
every file is written, swapped in for the old folder, which is then removed.
On any failure (bad input found late, a full disk, Ctrl-C) the temporary
folder is removed and the previous report stays as it was, so a reader never
sees a report whose tables and plots come from different runs, or half of one.
A process killed outright (SIGKILL, power loss) can leave ``.report.XXXX.tmp``
or ``.report.XXXX.old`` behind: the next report removes those
(:func:`remove_stale_staging`: only folders of exactly that pattern, and
never one a live report holds locked).

:func:`check_folder_output` is the check done before any work: a file (or a
dangling link) standing where the folder should be is refused, and so is a
run directory that is not writable.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
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
    folder behind if the process dies between the two renames of the swap; stale
    ``.tmp`` and ``.old`` folders of a killed run are removed first
    (:func:`remove_stale_staging`).

    Raises
    ------
    InputError
        As :func:`check_folder_output`, or a write failed (``ENOSPC``,
        permission): naming ``final`` and ``field``.
    """
    check_folder_output(final, field)
    target = Path(os.path.realpath(final))
    remove_stale_staging(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent))
    except OSError as exc:
        raise InputError(final, field, f"cannot write: {exc.strerror or exc}") from None
    held = _hold(tmp)  # marks the folder live: remove_stale_staging leaves it alone
    try:
        os.chmod(tmp, _folder_mode(target))
        yield tmp
        _swap(tmp, target, final, field)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # gone already after a swap
        if held is not None:
            os.close(held)


def staging_pattern(name: str) -> re.Pattern[str]:
    """The names :func:`staged_folder` gives its folders beside ``name``:
    ``.NAME.XXXXXXXX.tmp`` (being built) and ``.NAME.XXXXXXXX.old`` (the previous
    folder, being removed); ``XXXXXXXX`` is :func:`tempfile.mkdtemp`'s 8 characters."""
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.(tmp|old)")


def _hold(folder: Path) -> int | None:
    """An open descriptor of ``folder`` holding an exclusive lock on it (released when
    closed, or when the process dies), or None where the lock cannot be taken."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_stale_staging(target: Path) -> list[Path]:
    """Remove the folders a killed report left beside ``target`` (its parent is the run
    directory): only real folders named as :func:`staging_pattern` says, never a
    link or a file, and never one that a live report holds (it keeps a lock on its
    ``.tmp`` folder while it builds). Returns what was removed, sorted.

    A ``.old`` folder is the previous report of a swap that died between its two
    renames (or whose removal was cut short): the new report is in place then,
    so it is removed too.
    """
    pattern = staging_pattern(target.name)
    removed: list[Path] = []
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        held = _hold(entry)
        if held is None:  # a live report's folder (or one we cannot lock): leave it
            continue
        try:
            shutil.rmtree(entry, ignore_errors=True)
        finally:
            os.close(held)
        removed.append(entry)
    return removed


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
        held = _hold(old)  # the previous report, now here: not stale while we hold it
        try:
            try:
                os.rename(new, target)
            except OSError:
                os.rename(old, target)  # put the previous report back
                raise
            shutil.rmtree(old, ignore_errors=True)
        finally:
            if held is not None:
                os.close(held)
    except OSError as exc:
        raise InputError(final, field, f"cannot write: {exc.strerror or exc}") from None
