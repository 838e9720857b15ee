"""A report folder whose files appear together: built beside its place, moved in at the end.

``splitsched report`` (bench and online) writes ``RUN_DIR/report/`` through
:func:`staged_folder`: the report is written into an empty temporary folder next
to it (``RUN_DIR/.report.XXXXXXXX.tmp``, marked by a :data:`MARKER` file), and
only when every file is written are they moved into ``report/``, each replacing
its namesake (a rename per file). On any failure before that (bad input found
late, a full disk, Ctrl-C) the temporary folder is removed and the previous
report stays as it was. The moves are one step: Ctrl-C and SIGTERM are held
while they run (a failed rename, or a signal held meanwhile, puts back every
file already moved), so an interrupt leaves the whole previous report, never a
mix of old and new files. Files in ``report/`` that the report does not write (a
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
import functools
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

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

    The moves at the end run with SIGINT and SIGTERM held (in the main thread;
    :func:`signals_held`): a signal that comes meanwhile puts every moved file
    back (``final`` as it was), then takes effect as it would have (Ctrl-C raises
    ``KeyboardInterrupt`` out of the block), so an interrupt never leaves a
    mix of old and new files. One that comes after the last move is too late to
    stop the report (it is written): it is dropped.

    Raises
    ------
    InputError
        As :func:`check_folder_output`, or a write failed (``ENOSPC``,
        permission, a folder standing where a file goes): naming ``final`` and
        ``field``; ``final`` is left as it was.
    KeyboardInterrupt
        Ctrl-C (or a SIGTERM turned into one by the caller's handler) during the
        block or the moves; ``final`` is left as it was.
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
    signals: list[int] = []
    committed = False
    try:
        yield tmp
        with signals_held() as signals:
            if ARRIVED:  # a signal whose exception was lost: it still stops the report
                signals.append(ARRIVED[0])
            else:
                committed = _move_in(tmp, target, final, field,
                                     cancelled=lambda: bool(signals))
            # A signal from here on came after the last move: too late to stop the report,
            # which is written; it is dropped (the caller says "written" and exits 0).
            shutil.rmtree(tmp, ignore_errors=True)  # with the previous files kept there
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if held is not None:
            os.close(held)
        if signals and not committed:  # moves undone (or refused): now the signal acts
            deliver(signals[0])


ARRIVED: list[int] = []
"""Signals whose handler ran while a report was built (the CLI's
``interrupts(record=True)`` appends them). A handler's exception can be lost: Python
drops one raised inside a weakref or garbage-collector callback (measured: about 4 of
130 interrupted reports went on to exit 0), so :func:`staged_folder` also refuses to
move files in once a signal is listed here."""

HELD_SIGNALS = (signal.SIGINT, signal.SIGTERM)
"""The signals :func:`signals_held` holds: Ctrl-C and ``kill PID``."""


@contextlib.contextmanager
def signals_held() -> Iterator[list[int]]:
    """Within the block, :data:`HELD_SIGNALS` are recorded, not acted on: yields the list
    they are appended to (in arrival order); the previous handlers are restored on exit,
    and acting on a recorded signal is the caller's (:func:`deliver`). A signal whose
    handler is ``SIG_IGN`` stays ignored. Outside the main thread (no handler can be
    set there) the block runs unchanged and the list stays empty."""
    arrived: list[int] = []

    def record(signum: int, frame: FrameType | None) -> None:
        arrived.append(signum)

    previous: dict[signal.Signals, Any] = {}
    try:
        for signum in HELD_SIGNALS:
            if signal.getsignal(signum) != signal.SIG_IGN:
                previous[signum] = signal.signal(signum, record)
    except ValueError:  # not the main thread: nothing was set
        pass
    try:
        yield arrived
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def deliver(signum: int) -> None:
    """Act on ``signum`` now as its current handler says: call a Python handler (the
    default SIGINT handler raises ``KeyboardInterrupt``), or send it to this process
    (the default action of SIGTERM ends it)."""
    handler = signal.getsignal(signum)
    if callable(handler):
        handler(signum, None)
    elif handler != signal.SIG_IGN:
        signal.raise_signal(signum)


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


def _move_in(new: Path, target: Path, final: Path, field: str,
             cancelled: Callable[[], bool] = lambda: False) -> bool:
    """Move every file under ``new`` (the marker aside) to the same path under ``target``.

    Every destination is checked before the first move (a folder where a file
    goes, a file where a folder goes, a folder that cannot be written), so a
    refusal leaves ``target`` as it was. A file replaced is first moved aside
    into ``new`` (under :data:`PREVIOUS`); when a rename fails, or ``cancelled()``
    is true once all are done (a signal held meanwhile), every step is undone in
    reverse (new files removed, previous ones put back, folders made removed), so
    ``target`` is again as it was. Returns True when the files are in place, False
    when ``cancelled()`` undid the moves."""
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
    undo: list[Callable[[], object]] = []
    try:
        for src in files:
            rel = src.relative_to(new)
            dest = target / rel
            for folder in reversed([dest.parent, *dest.parent.parents]):
                if folder == target.parent or folder in target.parent.parents:
                    continue
                if not folder.exists():
                    folder.mkdir()
                    undo.append(functools.partial(Path.rmdir, folder))
            if os.path.lexists(dest):
                keep = new / PREVIOUS / rel
                keep.parent.mkdir(parents=True, exist_ok=True)
                os.replace(dest, keep)
                undo.append(functools.partial(os.replace, keep, dest))
            os.replace(src, dest)
            undo.append(functools.partial(Path.unlink, dest))
    except OSError as exc:
        _undo(undo)
        where = f" ({exc.filename})" if exc.filename else ""
        raise InputError(final, field, f"cannot write: {exc.strerror or exc}{where} (nothing "
                         "was changed)") from None
    except BaseException:
        _undo(undo)
        raise
    if cancelled():
        _undo(undo)
        return False
    return True


PREVIOUS = ".previous"
"""The folder (inside the staging folder) where :func:`_move_in` keeps the files it
replaces until the moves are done."""


def _undo(steps: list[Callable[[], object]]) -> None:
    """Run ``steps`` last first; a step that fails is skipped (best effort: the rest
    still puts back what it can)."""
    for step in reversed(steps):
        with contextlib.suppress(OSError):
            step()
