"""Ctrl-C and SIGTERM stop a native solve promptly, from the Python API as from the CLI.

Python runs a signal handler only between bytecodes of the main thread; a CP-SAT solve
keeps the main thread in native code until its time limit, so ``solve(instance, "cpsat",
time_limit_s=600)`` in a script or notebook took the Ctrl-C only at the end of the 600 s.
CP-SAT's own SIGINT handler is off (:func:`splitsched.formulations.cp.cp_solver` says
why), but the solve releases the GIL and its ``stop_search`` may be called from another
thread. So, during a solve, :func:`stop_on_signal` points :func:`signal.set_wakeup_fd`
at a pipe that one watcher thread (started once per process) reads: on a SIGINT or
SIGTERM byte it stops the running solves, the main thread returns from native code within
milliseconds and Python's handler runs as usual (``KeyboardInterrupt``, or what the
CLI's handlers raise). The byte is passed on to the wakeup fd that was set before (the
CLI's watcher, :func:`splitsched.cli.options.said_when_interrupted`).

A signal only reaches the pipe when Python has a handler for it (``SIG_IGN`` and
``SIG_DFL`` write nothing); a solve stops only for a handler that raises
(:func:`raises`: Python's own SIGINT handler, or the CLI's, marked with :data:`RAISES`).
Outside the main thread (no wakeup fd can be set there) a solve runs unchanged. The cost
per solve is two ``set_wakeup_fd`` calls (microseconds; ``lns-cpsat`` makes thousands of
small solves).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from splitsched.interrupts import RAISES

STOP_RETRY_S = 0.01
"""While a stop has not ended every running solve (a signal just before the solve had
started has nothing to stop yet), the watcher asks again this often."""


@dataclass(frozen=True, eq=False)  # identity: one entry per solve
class _Solve:
    """A solve running now: how to stop it, the signals that stop it (handlers that
    raise, :func:`raises`), and the wakeup fd set before it (bytes are passed on)."""

    stop: Callable[[], None]
    stopping: frozenset[int]
    forward: int


_running: list[_Solve] = []  # innermost last: its wakeup fd and handlers are the current ones
_lock = threading.Lock()
_pipe: tuple[int, int, int] | None = None  # (pid, read end, write end)


def wakeup_bytes(read_end: int) -> Iterator[bytes]:
    """What a :func:`signal.set_wakeup_fd` pipe receives (one byte per signal number),
    chunk by chunk, until its write end is closed."""
    while True:
        try:
            data = os.read(read_end, 64)
        except OSError:
            return
        if not data:
            return
        yield data


def _watch(read_end: int) -> None:
    for data in wakeup_bytes(read_end):
        with _lock:
            last = _running[-1] if _running else None
            targets = list(_running)  # the solves running now; not one started later
        if last is None:
            continue
        if last.forward >= 0:
            with suppress(OSError):
                os.write(last.forward, data)
        if not any(b in last.stopping for b in data):
            continue
        while targets:  # until each has returned
            for solve in targets:
                with suppress(Exception):
                    solve.stop()
            time.sleep(STOP_RETRY_S)
            with _lock:
                targets = [t for t in targets if t in _running]


def _write_end() -> int:
    """The write end of the watcher's pipe, made (with the watcher) on first use."""
    global _pipe
    with _lock:
        if _pipe is None or _pipe[0] != os.getpid():  # a forked child has no watcher thread
            read_end, write_end = os.pipe()
            os.set_blocking(write_end, False)
            threading.Thread(target=_watch, args=(read_end,), daemon=True,
                             name="splitsched-solve-stop").start()
            _pipe = (os.getpid(), read_end, write_end)
        return _pipe[2]


@contextmanager
def stop_on_signal(stop: Callable[[], None]) -> Iterator[None]:
    """Within the block, a SIGINT or SIGTERM calls ``stop`` from the watcher thread (again
    every :data:`STOP_RETRY_S` until the block ends). Outside the main thread the block
    runs unchanged."""
    write_end = _write_end()
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        yield
        return
    entry = _Solve(stop, frozenset(s for s in (signal.SIGINT, signal.SIGTERM) if raises(s)),
                   -1 if previous == write_end else previous)  # nested: not to itself
    with _lock:
        _running.append(entry)
    try:
        yield
    finally:
        with _lock:
            _running.remove(entry)
        signal.set_wakeup_fd(previous)


# RAISES (from splitsched.interrupts): the attribute (True) that marks a signal handler as
# one that raises, so that a solve stops for its signal (:func:`raises`); the CLI's handlers
# carry it.


def raises(signum: int) -> bool:
    """Whether the Python handler of ``signum`` now ends the work by raising: Python's own
    for SIGINT (``KeyboardInterrupt``), or one marked with :data:`RAISES`. A solve is not
    cut short for other handlers (asyncio's ``add_signal_handler``, a handler that only
    records the signal: a newcomer's attack found those solves stopped early, unlabelled)."""
    handler = signal.getsignal(signum)
    return handler is signal.default_int_handler or getattr(handler, RAISES, False) is True
