"""The two rich consoles every command prints through: ``out`` (stdout) and ``err`` (stderr).

Output piped to a file or another program gets a wide fixed width, so tables
are never cut to 80 columns. Commands that print plain lines pass
``highlight=False`` (and ``soft_wrap=True`` where a line must never wrap);
no other console exists in the package.

Standard output that cannot be written (docs/reliability.md, "Exit codes"):
:func:`guarded_stdout` wraps it for the length of a command, so that a failed
write (``>/dev/full``: ENOSPC; a closed descriptor, ``>&-``: EBADF) raises
:class:`StdoutError`, which :func:`splitsched.cli.main` turns into one line,
``error: standard output: cannot write: REASON``, and exit status 1. A broken
pipe (``splitsched solvers | head -1``) ends the command quietly with status 1,
as rich's :meth:`~rich.console.Console.on_broken_pipe` does for the consoles.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from rich.console import Console


def _is_tty(stream: IO[str] | None) -> bool:
    """Whether ``stream`` is a terminal (False for a closed one: ``sys.stdout`` is None)."""
    return stream is not None and stream.isatty()


out = Console(width=None if _is_tty(sys.stdout) else 160)
err = Console(stderr=True, width=None if _is_tty(sys.stderr) else 160)

# shown on a terminal while solvers load: numba compiles the DP's kernels on a machine's
# first run (about 18 s on the 2-core machine) and caches them
LOADING_NOTE = "loading solvers (a first run on this machine compiles numba kernels, ~20 s)"


class StdoutError(Exception):
    """Standard output could not be written (not a broken pipe); ``reason`` is the
    operating system's (``No space left on device``)."""

    def __init__(self, cause: OSError) -> None:
        self.reason = cause.strerror or str(cause)
        super().__init__(f"standard output: cannot write: {self.reason}")


class _Guarded:
    """``stream`` with every failed write or flush, but a broken pipe, raised as
    :class:`StdoutError`; all else is the stream's own."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(exc) from exc

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise StdoutError(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Quiet:
    """``stream`` with a failed write or flush dropped: standard error that cannot be
    written (closed, a full device) has nowhere to report to; the exit status still
    tells what happened."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except (OSError, ValueError):  # ValueError: a closed file object
            return len(text)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except (OSError, ValueError):
            return

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class _Closed:
    """Standard output closed when the program started (``>&-``): every write fails
    with EBADF, as a write to the closed descriptor would."""

    encoding = "utf-8"
    errors = "strict"

    def write(self, text: str) -> int:
        if not text:
            return 0
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))

    def flush(self) -> None:
        return None

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError(errno.EBADF, os.strerror(errno.EBADF))


def _occupy_closed_descriptor(fd: int) -> None:
    """Open /dev/null on descriptor ``fd`` if it is closed, so that no file the command
    opens later lands on it (and in a child process's stdout or stderr)."""
    try:
        os.fstat(fd)
    except OSError:
        null = os.open(os.devnull, os.O_RDWR)
        if null != fd:
            os.dup2(null, fd)
            os.close(null)


@contextmanager
def guarded_stdout() -> Iterator[None]:
    """Within the block, ``sys.stdout`` raises :class:`StdoutError` on a failed write
    (a closed standard output fails every write); standard error that cannot be
    written (closed, a full device) drops what it is given (there is nowhere to
    report; the exit status stays the command's). Both are restored on exit."""
    saved = sys.stdout, sys.stderr
    if sys.stdout is None:
        _occupy_closed_descriptor(1)
        sys.stdout = _Closed()
    if sys.stderr is None:
        _occupy_closed_descriptor(2)
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the command
    sys.stderr = _Quiet(sys.stderr)
    sys.stdout = _Guarded(sys.stdout)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def silence_stdout() -> None:
    """Point descriptor 1 at /dev/null, so that the interpreter's last flush of data the
    failed write left buffered neither fails again nor prints a second message."""
    try:
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
    except (OSError, ValueError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, fd)
    finally:
        os.close(null)
