"""A Ctrl-C in disguise: native code turns a ``KeyboardInterrupt`` into another error.

Seen: pybind11's ``ImportError: initialization failed`` while OR-Tools loads, and numba's
``SystemError: CPUDispatcher(...) returned a result with an exception set``; each keeps
the interrupt in its cause chain. Such an error is the interrupt's outcome, not a
failure: the harness (:func:`splitsched.solve.raise_interrupt`) and the probe scripts
report it as an interrupt. Standard library only, so that a script can import it before
the solver stack.
"""

from __future__ import annotations


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
