"""``python -m splitsched`` and the ``splitsched`` script: :func:`run`."""

from __future__ import annotations

import sys
from contextlib import suppress


def run() -> None:
    """Run the command line (:func:`splitsched.cli.main`).

    From its first line on, Ctrl-C and SIGTERM end it with one line and 130 or 143
    (:func:`splitsched.interrupts.start_up_signals`): one while it loads (about half a
    second of imports) printed ``aborted``, and SIGTERM then killed it without a word. A
    dependency that fails to import (numba raising on import) is one ``error:`` line and
    exit status 1, not a traceback.
    """
    try:
        try:  # a few milliseconds (signal and sys are loaded): a Ctrl-C here all the same
            from splitsched.interrupts import start_up_failure, start_up_signals
        except KeyboardInterrupt:
            print("interrupted: nothing was written", file=sys.stderr)
            sys.exit(130)
        with start_up_signals(restore=False):  # the process ends with it
            try:
                from splitsched.cli import main
            except (Exception, KeyboardInterrupt) as exc:  # KeyboardInterrupt: SIGTERM too
                failure = start_up_failure(exc)
                if failure is None:
                    raise
                with suppress(OSError, ValueError):  # stderr closed: the status says it
                    print(failure[0], file=sys.stderr, flush=True)
                sys.exit(failure[1])
            main()
    finally:
        # `python -m` ends the process by SIGINT (status -2, where the command chose 130)
        # once a KeyboardInterrupt has ever left an exec() or eval() of a string, even if
        # the command caught it later: a Ctrl-C inside a dataclass's generated __init__ or
        # typing's eval of an annotation sets CPython's _Py_UnhandledKeyboardInterrupt,
        # which only a string exec clears. A KeyboardInterrupt that escapes from here on
        # sets it again.
        exec("pass")


if __name__ == "__main__":
    run()
