"""Backends that run as child processes die with the solve that started them.

PuLP runs CBC as a child process and waits for it in Python code. A Ctrl-C or
SIGTERM handled as an exception in that wait (the CLI turns both into
``KeyboardInterrupt``) unwinds the solve but leaves CBC running, orphaned, until
its own time limit: minutes of a core taken from whatever runs next, which on a
benchmark machine is noise in the next solver's time. :func:`reaped_children`
kills what the block started when the block ends by an exception.

Linux ``/proc`` only (a no-op elsewhere). The bench worker has its own kill of
everything a run started (:func:`splitsched.bench.worker.kill_tagged`); this is
for solves run in the calling process (``splitsched solve``, the Python API).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Iterator


def proc_files(name: str) -> Iterator[tuple[int, bytes]]:
    """``(pid, bytes of /proc/PID/NAME)`` of every process whose file can be read (a process
    that ends meanwhile, or another user's, is skipped); nothing where ``/proc`` cannot be
    listed."""
    try:
        entries = os.listdir("/proc")
    except OSError:
        return
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/{name}", "rb") as fh:
                yield int(entry), fh.read()
        except OSError:
            continue


def child_pids(parent: int | None = None) -> set[int]:
    """The live child processes of ``parent`` (default: this process), from ``/proc``.

    Returns an empty set where ``/proc`` cannot be read.
    """
    parent = os.getpid() if parent is None else parent
    found: set[int] = set()
    for pid, stat in proc_files("stat"):
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        fields = stat.rsplit(b")", 1)[-1].split()
        if len(fields) > 1 and fields[1].isdigit() and int(fields[1]) == parent:
            found.add(pid)
    return found


@contextlib.contextmanager
def reaped_children() -> Iterator[None]:
    """Within the block, a child process started by it is killed (SIGKILL) and reaped if
    the block ends by an exception (including ``KeyboardInterrupt``); the exception then
    propagates unchanged. Children that existed before the block are left alone."""
    before = child_pids()
    try:
        yield
    except BaseException:
        kill_children(child_pids() - before)
        raise


def kill_children(pids: set[int] | None = None) -> None:
    """SIGKILL and reap ``pids`` (default: every child process of this one).

    Also called by the CLI just before it ends the process from its signal watcher
    (:func:`splitsched.cli.options.interrupts`' native-code path), where no ``except``
    clause runs: a Ctrl-C lost inside a library callback let a solve go on into CBC.
    """
    for pid in child_pids() if pids is None else pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, 0)
