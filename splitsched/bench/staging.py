"""A report folder whose files appear together: built beside its place, moved in at the end.

``splitsched report`` (bench and online) writes ``RUN_DIR/report/`` through
:func:`staged_folder`: the report is written into an empty temporary folder next
to it (``RUN_DIR/.report.XXXXXXXX.tmp``, marked by a :data:`MARKER` file), and
only when every file is written are they moved into ``report/``, each replacing
its namesake (a rename per file). On any failure before that (bad input found
late, a full disk, Ctrl-C) the temporary folder is removed and the previous
report stays as it was. Files in ``report/`` that the report does not write (a
user's notes, an older report's extra chart) are left alone, and a ``report``
that is a link writes into the folder it points at, never replacing it.

:func:`check_folder_output` is the check done before any work: a file (or a
dangling link) standing where the folder should be is refused, and so is a
``report`` that is (a link to) the run directory itself or a folder above it.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from splitsched.io import InputError

# A file in every staging folder: only folders holding it are ever removed as stale.
MARKER = ".splitsched-report-staging"


def check_run_dir(run_dir: Path) -> None:
    """Refuse a ``RUN_DIR`` a report cannot be built from: missing, or a file (both
    reports, bench and online, take the folder a sweep wrote).

    Raises
    ------
    InputError
        Field ``RUN_DIR``: ``is a file; expected a run directory ...`` or ``no such
        directory``.
    """
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(run_dir, "RUN_DIR", "is a file; expected a run directory (the folder "
                         "`splitsched bench` or `splitsched online --set` wrote)")
    if not run_dir.is_dir():
        raise InputError(run_dir, "RUN_DIR", "no such directory")


def check_folder_output(path: Path, field: str = "report folder") -> None:
    """Refuse, before any work, a report folder that :func:`staged_folder` could not fill.

    Raises
    ------
    InputError
        Naming ``path`` and ``field``: something other than a folder stands
        there (a file, a dangling link, a link loop), it leads to the run
        directory (``path.parent``), a folder above it or another folder inside
        it (``schedules/``: the report would mix into the run's data), or the
        folder that holds it is missing or not writable.
    """
    if path.is_symlink() and not path.exists():
        try:
            os.stat(path)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise InputError(path, field, "a link loop; remove it so that the report "
                                 "can be written") from None
        raise InputError(path, field, f"a dangling link (to {os.readlink(path)}, which does "
                         "not exist); remove it so that the report can be written")
    if path.exists() and not path.is_dir():
        raise InputError(path, field, "exists and is not a directory; move it away so that "
                         "the report can be written here")
    real = Path(os.path.realpath(path))
    home = Path(os.path.realpath(path.parent))
    if real == home or real in home.parents:
        raise InputError(path, field, f"leads to {real}, the run directory or a folder "
                         "above it; the report needs a folder of its own")
    if home in real.parents and real != home / path.name:
        raise InputError(path, field, f"leads to {real}, another folder of the run "
                         "directory; the report needs a folder of its own")
    parent = Path(os.path.realpath(path)).parent
    if not parent.is_dir():
        raise InputError(path, field, f"{parent} is not a directory")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise InputError(path, field, f"directory {parent} is not writable")


@contextlib.contextmanager
def staged_folder(final: Path, field: str = "report folder") -> Iterator[Path]:
    """Yield an empty temporary folder beside ``final``; move its files into ``final``
    when the block ends without an exception.

    ``final`` may be missing (made, with the usual mode), a folder, or a link to
    a folder (the files go into the folder it points at; the link stays). Each
    file written in the block replaces the file of the same path under
    ``final``; nothing else there is touched. On an exception the temporary
    folder is removed and ``final`` is untouched.

    Raises
    ------
    InputError
        As :func:`check_folder_output`, or a write failed (``ENOSPC``,
        permission, a folder standing where a file goes): naming ``final`` and
        ``field``.
    """
    check_folder_output(final, field)
    target = Path(os.path.realpath(final))
    remove_stale_staging(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp",
                                    dir=target.parent))
        (tmp / MARKER).write_text("a splitsched report being written; removed when done\n")
    except OSError as exc:
        raise InputError(final, field, f"cannot write: {exc.strerror or exc}") from None
    held = _hold(tmp)  # marks the folder live: remove_stale_staging leaves it alone
    try:
        yield tmp
        _move_in(tmp, target, final, field)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if held is not None:
            os.close(held)


def staging_pattern(name: str) -> re.Pattern[str]:
    """The names :func:`staged_folder` gives its folders beside ``name``:
    ``.NAME.XXXXXXXX.tmp``, ``XXXXXXXX`` being :func:`tempfile.mkdtemp`'s 8 characters."""
    return re.compile(rf"\.{re.escape(name)}\.[a-z0-9_]{{8}}\.tmp")


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
    directory): only real folders named as :func:`staging_pattern` says *and* holding
    the :data:`MARKER` file, never a link or a file, and never one that a live report
    holds (it keeps a lock on its folder while it builds). Returns what was removed,
    sorted."""
    pattern = staging_pattern(target.name)
    removed: list[Path] = []
    try:
        entries = sorted(target.parent.iterdir())
    except OSError:
        return removed
    for entry in entries:
        if not pattern.fullmatch(entry.name) or entry.is_symlink() or not entry.is_dir():
            continue
        marker = entry / MARKER
        if marker.is_symlink() or not marker.is_file():
            continue  # not ours: a user's folder that only looks like one
        held = _hold(entry)
        if held is None:  # a live report's folder (or one we cannot lock): leave it
            continue
        try:
            shutil.rmtree(entry, ignore_errors=True)
        finally:
            os.close(held)
        removed.append(entry)
    return removed


def _move_in(new: Path, target: Path, final: Path, field: str) -> None:
    """Move every file under ``new`` (the marker aside) to the same path under ``target``.

    Every destination is checked before the first move (a folder where a file
    goes, a file where a folder goes, a folder that cannot be written), so a
    refusal leaves ``target`` as it was."""
    files = [p for p in sorted(new.rglob("*"))
             if not p.is_dir() and p.relative_to(new) != Path(MARKER)]
    for src in files:
        dest = target / src.relative_to(new)
        if dest.is_dir() and not dest.is_symlink():
            raise InputError(dest, field, "a folder stands where the report writes a file; "
                             "move it away (nothing was changed)")
        above = dest.parent
        while not above.exists() and above != target.parent:
            above = above.parent
        if above.is_symlink() or not above.is_dir():
            raise InputError(above, field, "stands where the report needs a folder; move it "
                             "away (nothing was changed)")
        if not os.access(above, os.W_OK | os.X_OK):
            raise InputError(above, field, "folder is not writable (nothing was changed)")
    try:
        for src in files:
            dest = target / src.relative_to(new)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.replace(src, dest)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        raise InputError(final, field, f"cannot write: {exc.strerror or exc}{where}") from None
