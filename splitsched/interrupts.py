"""What ends a command from outside its work: a signal (also one in disguise, or one during
start-up) and a dependency that fails to import.

A Ctrl-C in disguise: native code turns a ``KeyboardInterrupt`` into another error.
Seen: pybind11's ``ImportError: initialization failed`` while OR-Tools loads, and numba's
``SystemError: CPUDispatcher(...) returned a result with an exception set``; each keeps
the interrupt in its cause chain. Such an error is the interrupt's outcome, not a
failure: the harness (:func:`splitsched.solve.raise_interrupt`) and the probe scripts
report it as an interrupt.

Start-up (:func:`start_up_signals`): from the first line of ``splitsched`` (imports,
typer building the command, click parsing it) until a command's own handling takes over,
Ctrl-C and SIGTERM end the command with one line and 130 or 143, as they do later.

Standard library only, so that a script (and ``python -m splitsched``) can import it
before the solver stack.
"""

from __future__ import annotations

import signal
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # nothing more is imported: __main__ imports this module first
    from types import FrameType, TracebackType

RAISES = "splitsched_raises"
"""The attribute (True) that marks a signal handler as one that raises, so that a solve
stops for its signal (:func:`splitsched.formulations.interruptible.raises`); the CLI's
handlers carry it."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread as an interrupt (``cli/options.interrupts``)."""


TERMINATED_EXIT = 128 + signal.SIGTERM
"""The exit status after SIGTERM: 143, as if the signal had killed the process."""

ARRIVED: list[int] = []
"""The signals that :func:`start_up_signals`'s handlers took (emptied on entry)."""

ENDED: list[bool] = []
"""Not empty once the command has ended and said how (:func:`command_ended`): from then on
:func:`start_up_signals`'s handlers ignore a signal, which can no longer change what the
command did (until the interpreter's shutdown ignores them: ``cli._ignore_late_interrupts``)."""


def interrupt_in(exc: BaseException) -> KeyboardInterrupt | None:
    """The ``KeyboardInterrupt`` that is ``exc`` or in its cause/context chain, else None."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def _on_int(signum: int, frame: FrameType | None) -> None:
    if ENDED:
        return
    ARRIVED.append(signum)
    raise KeyboardInterrupt


def _on_term(signum: int, frame: FrameType | None) -> None:
    if ENDED:
        return
    ARRIVED.append(signum)
    raise Terminated


def command_ended() -> None:
    """Say that the command has ended: :func:`start_up_signals`'s handlers ignore a signal
    from now on (:data:`ENDED`)."""
    ENDED.append(True)


for _handler in (_on_int, _on_term):  # a native solve stops for them (they raise)
    setattr(_handler, RAISES, True)


class start_up_signals:  # used as a function is: `with start_up_signals():`
    """Within the block, Ctrl-C raises ``KeyboardInterrupt`` and SIGTERM :class:`Terminated`
    (it killed the process at once while the command loaded: no line, status -15), each
    listed in :data:`ARRIVED`; the previous handlers are restored on exit. A command's own
    handlers (``cli/options.interrupts``) take over inside it. Outside the main thread the
    block runs unchanged. ``restore`` False (the process's entry point, which ends with
    the block) keeps them past the block, ignoring signals once :func:`command_ended` was
    called: the previous ones would let a SIGTERM kill the process after its last line.
    (A class, not ``contextlib``: see the imports.)"""

    def __init__(self, *, restore: bool = True) -> None:
        self._restore = restore

    def __enter__(self) -> None:
        self._previous: tuple[object, object] | None = None
        try:
            previous_int = signal.signal(signal.SIGINT, _on_int)
        except ValueError:  # not the main thread
            return
        self._previous = (previous_int, signal.signal(signal.SIGTERM, _on_term))
        ARRIVED.clear()
        ENDED.clear()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._previous is not None and self._restore:
            signal.signal(signal.SIGINT, self._previous[0])  # type: ignore[arg-type]
            signal.signal(signal.SIGTERM, self._previous[1])  # type: ignore[arg-type]


def stopped_line(exc: BaseException | None, what: str = "nothing was written") -> tuple[str, int]:
    """The line and exit status of a command stopped by a signal before its work:
    ``interrupted: WHAT`` and 130, or ``terminated: WHAT`` and 143 after SIGTERM
    (``exc`` a :class:`Terminated`, or SIGTERM the first signal in :data:`ARRIVED`)."""
    terminated = (isinstance(exc, Terminated)
                  or (not isinstance(exc, KeyboardInterrupt) and ARRIVED[:1] == [signal.SIGTERM]))
    return (f"{'terminated' if terminated else 'interrupted'}: {what}",
            TERMINATED_EXIT if terminated else 130)


def broken_import(exc: BaseException) -> str | None:
    """The top-level package that failed to import (not ``splitsched``) when ``exc`` is that
    failure: raised while the package's own module code ran (numba raising on import: a
    missing shared library, a numpy it was not built for), or a ``ModuleNotFoundError`` for
    it; else None (a bug of the project or of a command keeps its traceback)."""
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.partition(".")[0]
        if top != "splitsched":
            return top
    tb = exc.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        name = str(frame.f_globals.get("__name__", ""))
        top = name.partition(".")[0]
        if frame.f_code.co_name == "<module>" and top and top not in ("splitsched", "__main__",
                                                                      "importlib"):
            return top
        tb = tb.tb_next
    return None


def broken_import_line(package: str, exc: BaseException) -> str:
    """One line for a dependency that failed to import (exit status 1: an environment
    failure, as a standard output that cannot be written)."""
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (f"error: the installed package {package} failed to import "
            f"({type(exc).__name__}{': ' + reason if reason else ''}); reinstall it "
            f"(pip install --force-reinstall {package}) or fix the environment")


def start_up_failure(exc: BaseException, what: str | None = "nothing was written"
                     ) -> tuple[str, int] | None:
    """The line and exit status for ``exc`` when it is not the command's own failure: a
    signal (``exc`` a ``KeyboardInterrupt``, one in its chain, or one that
    :func:`start_up_signals` took: :func:`stopped_line`, ``what`` None for no claim about
    what was written) or a dependency that failed to import (:func:`broken_import`,
    status 1); else None (a bug keeps its traceback)."""
    stop = interrupt_in(exc)
    if stop is not None or ARRIVED:
        line, status = stopped_line(stop, what or "")
        return (line if what else line.rstrip(": ")), status
    package = broken_import(exc)
    if package is not None:
        return broken_import_line(package, exc), 1
    return None
