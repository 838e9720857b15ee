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
Bad input exits with status 2 and a message naming file, field (or flag) and reason;
every numeric flag has a stated range (:mod:`~splitsched.cli.options`). A folder
missing above an output is created and named on stderr
(:func:`~splitsched.cli.options.created_folders`).
"""

from __future__ import annotations

import atexit
import contextlib
import inspect
import signal
import sys
from typing import Annotated

import typer

from splitsched.cli import bench, core, generate, online, profiles, replay
from splitsched.cli.console import StdoutError, err, guarded_stdout, silence_stdout
from splitsched.cli.options import as_cli_error
from splitsched.interrupts import ARRIVED, command_ended, start_up_failure, start_up_signals
from splitsched.io import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True)

# Registration order is the order of ``splitsched --help`` (commands, then sub-apps).
core.register(app)
generate.register(app)
profiles.register_profiles(app)
bench.register(app)
replay.register(app)
profiles.register_profile(app)
online.register(app)


def _click_types() -> tuple[tuple[type[BaseException], ...], tuple[type[BaseException], ...]]:
    """(usage-error classes, abort classes) of the click typer runs on.

    typer >= 0.29 vendors click as ``typer._click`` (its exceptions are not
    ``click``'s); older typer uses ``click`` itself. Both are detected, so the
    check holds whichever is installed.
    """
    usage: list[type[BaseException]] = []
    abort: list[type[BaseException]] = [typer.Abort]
    try:
        from typer._click import exceptions as vendored

        usage.append(vendored.ClickException)
        if hasattr(vendored, "Abort"):
            abort.append(vendored.Abort)
    except ImportError:
        pass
    try:
        import click

        usage.append(click.ClickException)
        abort.append(click.exceptions.Abort)
    except ImportError:
        pass
    return tuple(usage), tuple(abort)


def _flags_as_flags(command: object) -> None:
    """Show boolean flags as flags in help (typer 0.29 prints ``--json <bool>``).

    Covers every command's own flags and its ``--help``, which click builds
    apart from ``params`` (and caches) when help is first asked for.
    """
    for param in getattr(command, "params", ()):
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""
    get_help_option = getattr(command, "get_help_option", None)
    context_class = getattr(command, "context_class", None)
    if get_help_option is not None and context_class is not None:
        help_option = get_help_option(context_class(command))
        if help_option is not None and getattr(help_option, "metavar", None) is None:
            help_option.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _flags_as_flags(sub)


def _one_line_summaries(command: object) -> None:
    """Join each paragraph of every command's help into one line: typer's rich help keeps
    a docstring's line breaks, so `splitsched --help` broke summaries mid-sentence at the
    docstring's width, then wrapped them again at the terminal's. (No help holds a list.)"""
    text = getattr(command, "help", None)
    if isinstance(text, str):
        paragraphs = inspect.cleandoc(text).split("\n\n")
        command.help = "\n\n".join(" ".join(p.split()) for p in paragraphs)  # type: ignore[attr-defined]
    for sub in getattr(command, "commands", {}).values():
        _one_line_summaries(sub)


def _version_callback(value: bool) -> None:
    if value:
        from splitsched import __version__

        print(f"splitsched {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version_callback,
                                          help="print the version and exit")] = False,
) -> None:
    """Joint DNN partitioning and GPU-CPU scheduling on phones: generate instances, solve,
    benchmark, replay."""
    _STARTED.append(True)  # click parsed the command line; the command runs next


_STARTED: list[bool] = []
"""Not empty once the command has begun (its arguments parsed): a signal from then on may
come after it wrote something, so the start-up line's ``nothing was written`` is not said."""


def _ignore_late_interrupts() -> None:
    """Ignore Ctrl-C and SIGTERM from here on (an :mod:`atexit` hook): the command has
    finished and said how; a signal in the interpreter's shutdown (a report's hundreds of
    milliseconds tearing down pandas and matplotlib) would otherwise kill the process
    after its ``report written`` line, exit status 130 after a success."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            signal.signal(signum, signal.SIG_IGN)
        except ValueError:  # not the main thread
            return


def main(argv: list[str] | None = None) -> None:
    """Console entry point.

    Exit status: 0 success; 1 a negative answer (infeasible schedule, failed
    consistency check, solver error); 2 bad input or usage (one line on
    stderr: ``error: FILE: FIELD: REASON`` or the usage problem); 3 work
    left undone by an infrastructure failure (``bench``,
    ``online --set``); 130 interrupted; 143 terminated by SIGTERM (``bench``
    and ``online --set`` stop as on Ctrl-C, printing the ``--resume`` hint). A signal
    that comes once the command has ended (in the interpreter's shutdown) is ignored:
    it cannot change what the command did and said. A signal before the command's own
    handling (imports, typer building the command, click parsing it) is one line,
    ``interrupted: nothing was written`` (130) or ``terminated: nothing was written``
    (143). A dependency that fails to import (numba raising on import) is one line,
    ``error: the installed package numba failed to import (...)``, exit status 1.

    Standard output that cannot be written: a broken pipe (``| head -1``) ends the
    command quietly with status 1 (rich's consoles do the same); any other failed
    write (``>/dev/full``, a closed stdout ``>&-``) prints one line,
    ``error: standard output: cannot write: REASON``, and exits with status 1.
    """
    try:
        try:
            with start_up_signals(), guarded_stdout():
                try:
                    _main(argv)
                finally:  # what print() left buffered fails here, not in the shutdown
                    sys.stdout.flush()
        except BrokenPipeError:
            _stdout_failed(None)
        except StdoutError as exc:
            _stdout_failed(exc)
    finally:  # registered last, so run first of the exit hooks (the command's imports add theirs)
        command_ended()  # `python -m splitsched`: its start-up handlers now ignore signals
        atexit.unregister(_ignore_late_interrupts)
        atexit.register(_ignore_late_interrupts)


def _stdout_failed(exc: StdoutError | None) -> None:
    """Exit with status 1 after a failed write to standard output, saying so on stderr
    unless it was a broken pipe (``exc`` None: the reader has gone, as a reader does)."""
    if sys.stdout is not None and sys.stdout is sys.__stdout__:
        silence_stdout()
    if exc is not None and sys.stderr is not None:
        with contextlib.suppress(OSError, ValueError):  # stderr unwritable too: the status
            print(f"error: {exc}", file=sys.stderr, flush=True)
    sys.exit(1)


def _main(argv: list[str] | None) -> None:
    """The body of :func:`main`: run the command, map its errors to exit statuses."""
    from splitsched.problem import InvariantError

    _STARTED.clear()
    try:  # before the command: click's import, typer reading every annotation (~0.2 s)
        usage_errors, aborts = _click_types()
        command = typer.main.get_command(app)
        _flags_as_flags(command)
        _one_line_summaries(command)
    except (Exception, KeyboardInterrupt) as exc:  # a signal (SIGTERM too), a broken import
        _stop_if_not_ours(exc)
        raise
    try:
        rc = command.main(args=argv if argv is not None else sys.argv[1:], prog_name="splitsched",
                          standalone_mode=False)
    except KeyboardInterrupt as exc:
        _stop_if_not_ours(exc)
        raise
    except InputError as exc:
        print(f"error: {as_cli_error(exc)}", file=sys.stderr)  # plain print: never wrapped
        sys.exit(2)
    except InvariantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except aborts as exc:  # click turns a KeyboardInterrupt into Abort (typer < 0.29)
        _stop_if_not_ours(exc)
        err.print("aborted", highlight=False)
        sys.exit(130)
    except usage_errors as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `splitsched` or group: the help
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        message = exc.format_message()  # type: ignore[attr-defined]
        print(f"error: {where}{message}".replace("\n", " "), file=sys.stderr)
        code = getattr(exc, "exit_code", 2)
        sys.exit(code if isinstance(code, int) and code != 1 else 2)
    except Exception as exc:  # a dependency that failed to import; a hidden signal
        _stop_if_not_ours(exc)
        raise
    if rc == 130 and ARRIVED:  # typer 0.29 returns 130 for a KeyboardInterrupt it caught
        _stop_if_not_ours(RuntimeError("typer's Exit(130)"))  # which signal: ARRIVED
    sys.exit(rc if isinstance(rc, int) else 0)


def _stop_if_not_ours(exc: BaseException) -> None:
    """Exit with one line when ``exc`` is a signal that the command did not handle itself
    (130, 143 for SIGTERM: ``nothing was written`` before the command began) or a
    dependency that failed to import (1); return otherwise."""
    failure = start_up_failure(exc, None if _STARTED else "nothing was written")
    if failure is not None:
        with contextlib.suppress(OSError, ValueError):  # stderr closed: the status says it
            print(failure[0], file=sys.stderr, flush=True)  # plain print: never wrapped
        sys.exit(failure[1])


__all__ = ["app", "main"]
