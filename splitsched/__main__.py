"""``python -m splitsched`` and the ``splitsched`` script: :func:`run`."""

from __future__ import annotations

import sys


def run() -> None:
    """Run the command line (:func:`splitsched.cli.main`); a Ctrl-C while it loads (about
    half a second of imports) prints ``aborted`` and exits 130, as one before the command
    starts does, instead of a traceback."""
    try:
        try:
            from splitsched.cli import main
        except KeyboardInterrupt:
            print("aborted", file=sys.stderr)
            sys.exit(130)
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
