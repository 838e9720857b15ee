"""The ``splitsched`` command line, apart from the library.

One module per command group, each calling only the library's public API:

* :mod:`~splitsched.cli.core`: ``solvers``, ``solve``, ``evaluate``, ``plot``, ``show``, ``schema``
* :mod:`~splitsched.cli.generate`: ``generate``, ``sets list|build``
* :mod:`~splitsched.cli.profiles`: ``profiles [import]``, ``profile``
* :mod:`~splitsched.cli.bench`: ``bench``, ``report``
* :mod:`~splitsched.cli.replay`: ``replay``, ``compare``
* :mod:`~splitsched.cli.online`: ``online``

:mod:`~splitsched.cli.console` holds the two consoles, :mod:`~splitsched.cli.options`
the shared option checks and the map from library parameter names to flags.
Bad input exits with status 2 and a message naming file, field (or flag) and reason.
"""

from __future__ import annotations

import sys

import typer

from splitsched.cli import bench, core, generate, online, profiles, replay
from splitsched.cli.console import err
from splitsched.cli.options import as_cli_error
from splitsched.io import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="Joint DNN partitioning and GPU-CPU scheduling on phones: "
                       "generate instances, solve, benchmark, replay.")

# Registration order is the order of ``splitsched --help`` (commands, then sub-apps).
core.register(app)
generate.register(app)
profiles.register_profiles(app)
bench.register(app)
replay.register(app)
profiles.register_profile(app)
online.register(app)


def main() -> None:
    """Console entry point: bad input becomes a clear message and exit status 2."""
    try:
        rc = app(standalone_mode=False)  # returns typer.Exit codes instead of raising them
    except InputError as exc:
        print(f"error: {as_cli_error(exc)}", file=sys.stderr)  # plain print: never wrapped
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted", highlight=False)
        sys.exit(130)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2)
        raise
    sys.exit(rc if isinstance(rc, int) else 0)


__all__ = ["app", "main"]
