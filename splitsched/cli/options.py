"""What every command group shares: option checks and the parameter -> flag map.

Library functions name their *parameters* in errors (``time_limit_s``,
``jobs``); only the CLI knows the flags. :data:`FLAG_FOR_PARAMETER` maps one
to the other, and :func:`as_cli_error` rewrites a library
:class:`~splitsched.io.InputError` about a parameter into one about the flag
before :func:`splitsched.cli.main` prints it (exit status 2).

Numeric flags are checked here before any work, against the bounds below
(docs/reliability.md, "Limits"): each is far above any sensible run and
catches a typo (``--threads 100000``) or an overflow before it reaches a
solver, a thread pool or a timer. NaN and infinities are refused too
(tests/cli/test_numeric_flags.py tries every numeric flag of every command
but ``online``, whose checks live in :mod:`splitsched.online.sweep`).

Output paths (:func:`created_folders`): a folder missing above an output
file or run directory is created, as the library's writers do, and the CLI
says so with one line on stderr, ``note: FLAG: created folder PATH``.
Before any work, :func:`check_output` refuses an output file that cannot be
written or is one of the command's input files, and :func:`refuse_dangling_link`
an output (file or run directory) given through a dangling link: writing
through it would create the link's target, folders included, somewhere else.
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path, PosixPath
from typing import TYPE_CHECKING

from splitsched.bench.staging import ARRIVED
from splitsched.cli.console import err
from splitsched.formulations.interruptible import wakeup_bytes
from splitsched.interrupts import RAISES, TERMINATED_EXIT, Terminated
from splitsched.io import InputError, check_output_path, refuse_folder_text
from splitsched.problem import InvariantError, check_id, named_twice, shown_value
from splitsched.solvers.children import kill_children

if TYPE_CHECKING:
    import typer

# Upper bounds of numeric flags (docs/reliability.md, "Limits").
MAX_THREADS = 1024
"""``--threads``, ``--cpu-threads`` and ``bench --workers``: a fixed bound, not this
machine's core count (``bench --scheduler`` runs elsewhere; more threads than cores only
add contention, and ``bench`` warns about that)."""
MAX_SECONDS = 7 * 24 * 3600
"""``--time-limit``, ``--grace`` and ``report --shift``: one week, in seconds."""
MAX_REPLAY_RUNS = 100_000
"""``replay --runs``: replays of one schedule (each run is kept in the trace file)."""
MAX_SEEDS = 1000
"""``bench --seeds``: seeds 0..K-1 per (instance, solver) pair."""
MAX_JOBS = 1_000_000
"""``generate --jobs``: jobs in one instance."""
MAX_REPEATS = 10_000
"""``profile --repeats`` and ``--warmup``: calls per measured segment."""
MAX_CV = 10.0
"""``replay --cv``: a lognormal with cv 10 has its median at 1 % of its mean; beyond that
it is no model of timing noise."""
MAX_MEM_LIMIT_MB = 1 << 30
"""``bench --mem-limit-mb``: 1 PiB, in MiB (setrlimit takes bytes in a 64-bit integer)."""

# Library parameter name -> command-line flag. Only errors that name no file (a
# parameter, not a field of a file) are rewritten, and only for names listed here.
FLAG_FOR_PARAMETER: dict[str, str] = {
    # splitsched.generate.generate_instance (GeneratorParams fields)
    "scenario": "--scenario", "jobs": "--jobs", "load": "--load", "slack": "--slack",
    "models": "--models", "weights": "--weights",
    # splitsched.solve.solve and the sweep (SweepConfig fields)
    "time_limit_s": "--time-limit", "threads": "--threads", "seed": "--seed", "seeds": "--seeds",
    "workers": "--workers", "mem_limit_mb": "--mem-limit-mb", "grace_s": "--grace",
    "solvers": "--solvers", "set_ref": "--set", "extra_modules": "--solver-module",
    # splitsched.bench.report.build_report
    "gantt_instance": "--gantt-instance", "gantt_solvers": "--gantt-solvers",
    "shift_s": "--shift",
    # splitsched.online.sweep.OnlineConfig
    "policies": "--policy", "replan_budget_ms": "--replan-budget-ms", "noise_cv": "--noise-cv",
    "runs": "--runs", "offline_limit_s": "--offline-limit", "offline_solvers": "--offline",
    # profile importers
    "handoff_us": "--handoff-us", "cpu_threads": "--cpu-threads", "max_cuts": "--max-cuts",
    # where `sets build` and `profiles import` write (refused into an installed package)
    # splitsched.profiles.store.load_device (generate --device)
    "device": "--device",
    "out_root": "--out", "out_dir": "--out", "run_dir": "--output", "best_known": "--best-known",
}


def as_cli_error(exc: InputError) -> InputError:
    """``exc`` with a library parameter name replaced by its flag (unchanged otherwise)."""
    flag = FLAG_FOR_PARAMETER.get(exc.field)
    if exc.path or flag is None:
        return exc
    return InputError(None, flag, exc.reason)


def fail(path: str | Path | None, field: str, reason: str) -> None:
    """Raise the CLI's bad-input error (exit status 2)."""
    raise InputError(path, field, reason)


@contextmanager
def interrupts(*, record: bool = False) -> Iterator[None]:
    """Within the block, SIGTERM is handled like Ctrl-C: it raises :class:`Terminated`
    (a ``KeyboardInterrupt``) in the main thread, so that a sweep stops the same way
    (records kept, the ``--resume`` hint printed); the exit status is the caller's
    (:data:`TERMINATED_EXIT` for SIGTERM). The previous handler is restored on exit.
    Outside the main thread (no handler can be set there) the block runs unchanged.

    With ``record``, both signals are also listed in
    :data:`splitsched.bench.staging.ARRIVED` (emptied on entry and on exit), so that a report's
    staging still stops when the handler's exception was lost (raised inside a
    garbage-collector callback) and the caller can tell a signal from an error that a
    library made of it.
    """

    def on_term(signum: int, frame: object) -> None:
        if record:
            ARRIVED.append(signum)
        raise Terminated

    def on_int(signum: int, frame: object) -> None:
        ARRIVED.append(signum)
        raise KeyboardInterrupt

    for handler in (on_term, on_int):  # a native solve stops for them (they raise)
        setattr(handler, RAISES, True)
    ARRIVED.clear()
    try:
        previous = signal.signal(signal.SIGTERM, on_term)
        previous_int = signal.signal(signal.SIGINT, on_int) if record else None
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
        if previous_int is not None:
            signal.signal(signal.SIGINT, previous_int)
        ARRIVED.clear()  # a later report outside this block must not see them


def _file_key(path: Path) -> tuple[int, int, int] | None:
    """What tells a file apart from its earlier self (None: no such file)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


@contextmanager
def said_when_interrupted(*outputs: tuple[Path | None, str]) -> Iterator[None]:
    """Within the block, Ctrl-C or SIGTERM (:func:`interrupts`) ends the command with one
    line on stderr saying what was written, then exit status 130 (143 for SIGTERM).

    ``outputs`` are the command's ``(path, flag)`` output files (None entries skipped).
    Every write is atomic (:class:`splitsched.io.AtomicWriter`: an interrupted write
    removes its temporary file), so each output is either the whole new file or as it
    was; the line says which changed: ``interrupted: nothing was written``, or
    ``interrupted: wrote PATH (--flag); nothing else was written``.
    """
    files = [(path, flag) for path, flag in outputs if path is not None]
    before = {path: _file_key(path) for path, _ in files}

    def line(terminated: bool) -> str:
        changed = [f"{path} ({flag})" for path, flag in files
                   if _file_key(path) != before[path]]
        what = (f"wrote {', '.join(changed)}; nothing else was written" if changed
                else "nothing was written")
        return f"{'terminated' if terminated else 'interrupted'}: {what}"

    arrived: list[int] = []
    try:
        with interrupts(record=True), _prompt_in_native_code(line):
            try:
                yield
            except Exception:
                arrived.extend(ARRIVED)  # emptied when the block ends
                raise
            stop_if_signalled()  # at the latest here
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (Terminated)
        terminated = isinstance(exc, Terminated)
        err.print(line(terminated), highlight=False, markup=False, soft_wrap=True)
        raise SystemExit(TERMINATED_EXIT if terminated else 130) from None
    except Exception:
        # Native code can turn the signal's KeyboardInterrupt into another error (pybind11's
        # "ImportError: initialization failed" when it comes during OR-Tools' import, numba's
        # SystemError during a compile): still the signal's outcome, not a failure.
        if not arrived:
            raise
        terminated = arrived[0] == signal.SIGTERM
        err.print(line(terminated), highlight=False, markup=False, soft_wrap=True)
        raise SystemExit(TERMINATED_EXIT if terminated else 130) from None


def stop_if_signalled() -> None:
    """Within :func:`said_when_interrupted` (or ``interrupts(record=True)``), raise the
    interrupt of a signal whose handler's exception was lost: raised in a ctypes callback
    (llvmlite's, while numba loads its cache) or a garbage-collector one, where CPython
    prints it as ``Exception ignored`` and goes on; the command then ran to its end and
    exited 0 (a review). Call it after such a step; the block's end calls it too."""
    if ARRIVED:
        raise Terminated() if ARRIVED[0] == signal.SIGTERM else KeyboardInterrupt()


NATIVE_GRACE_S = 1.0
"""Seconds the main thread has to take a signal before :func:`_prompt_in_native_code`
ends the process for it."""


@contextmanager
def _prompt_in_native_code(line: Callable[[bool], str]) -> Iterator[None]:
    """Within the block, Ctrl-C and SIGTERM take effect promptly even while the main
    thread runs native code.

    Python runs a signal handler only between bytecodes of the main thread; a CP-SAT
    solve holds it in native code until its time limit (minutes), so the signal
    would wait that long. A watcher thread, woken by :func:`signal.set_wakeup_fd`,
    gives the main thread :data:`NATIVE_GRACE_S` to take the signal the usual way; if
    it has not, the thread writes ``line(terminated)`` to stderr, kills this process's
    children (a backend such as CBC: no ``except`` clause runs after ``os._exit``) and ends
    the process with 130 (143 for SIGTERM). Only native code is cut short so: every file write is
    Python code, which takes the signal within the grace. Outside the main thread the
    block runs unchanged.
    """
    import threading

    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # not the main thread
        os.close(read_end)
        os.close(write_end)
        yield
        return
    done = threading.Event()

    def watch() -> None:
        for data in wakeup_bytes(read_end):
            if done.is_set():
                return
            for signum in data:
                if signum in (signal.SIGINT, signal.SIGTERM) and not done.wait(NATIVE_GRACE_S):
                    terminated = signum == signal.SIGTERM
                    with suppress(OSError):
                        os.write(2, (line(terminated) + "\n").encode())
                    with suppress(Exception):  # no except clause runs after os._exit
                        kill_children()  # e.g. a CBC started after a lost interrupt
                    os._exit(TERMINATED_EXIT if terminated else 130)

    watcher = threading.Thread(target=watch, name="splitsched-signal-watch", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        done.set()
        signal.set_wakeup_fd(previous)
        os.close(write_end)  # the watcher reads the end of the pipe and returns
        watcher.join(timeout=5)
        os.close(read_end)


def given(ctx: typer.Context, parameter: str) -> bool:
    """Whether the option of ``parameter`` (the function's argument name) was given on
    the command line (or by an environment variable), not left at its default."""
    source = ctx.get_parameter_source(parameter)
    return source is not None and getattr(source, "name", "DEFAULT") not in ("DEFAULT",
                                                                              "DEFAULT_MAP")


def refuse_unused(ctx: typer.Context, flags: dict[str, str], why: str) -> None:
    """A bad-input error naming the first option of ``flags`` (parameter name -> flag) that
    was given although it does nothing in this use of the command, saying ``why``.

    An option accepted and silently ignored lets a user believe it took effect
    (``replay --gpu-lane cuda`` with the simulator).
    """
    for parameter, flag in flags.items():
        if given(ctx, parameter):
            fail(None, flag, f"does nothing here: {why}")


def positive_time(value: float, option: str, high: float = MAX_SECONDS) -> float:
    """``value`` if it is a time in (0, ``high``] (default: seconds up to
    :data:`MAX_SECONDS`; a flag in ms passes ``MAX_SECONDS * 1000``), else a bad-input error
    naming ``option`` (NaN and infinities: ``must be a finite number > 0``)."""
    if not math.isfinite(value):
        fail(None, option, f"must be a finite number > 0, got {value}")
    if not value > 0:
        fail(None, option, f"must be > 0, got {value}")
    if value > high:  # not number_in's "in 0..high": 0 itself is refused above
        fail(None, option, f"must be <= {high:g}, got {value}")
    return value


def number_in(value: float, option: str, low: float, high: float) -> float:
    """``value`` if it is finite and in [``low``, ``high``], else a bad-input error naming
    ``option``."""
    if not (math.isfinite(value) and low <= value <= high):
        fail(None, option, f"must be a finite number in {low:g}..{high:g}, got {value}")
    return value


def int_in(value: int | None, option: str, low: int, high: int) -> int | None:
    """``value`` (None passes) if it is in ``low..high``, else a bad-input error naming
    ``option`` (``must be >= LOW`` below the range, ``must be <= HIGH`` above it)."""
    if value is None:
        return None
    if value < low:
        fail(None, option, f"must be >= {low}, got {shown_value(value)}")
    if value > high:
        fail(None, option, f"must be <= {high}, got {shown_value(value)}")
    return value


def printable_name(value: str | None, option: str) -> str | None:
    """``value`` (None passes) if it is a printable id (:func:`splitsched.problem.check_id`:
    no control character) and not blank nor padded with spaces, else a bad-input error
    naming ``option``: a name written into a file that its reader would refuse, or that
    would make ids such as ``poisson- -n3-l1-s1``, is refused before any work."""
    if value is None:
        return None
    try:
        check_id(value, option, option)
    except InvariantError as exc:
        fail(None, option, exc.reason)
    if not value.strip() or value != value.strip():  # ids like 'poisson- -n3-...' follow
        fail(None, option, f"{value!r}: a name must not be blank nor begin or end with a "
                           "space")
    return value


def refuse_dangling_link(path: Path, option: str) -> None:
    """A bad-input error naming ``option`` when ``path``, or a folder on it that does not
    exist, is a dangling symbolic link.

    The library's writers follow a link and create its target (folders
    included); from the command line that would write outside the folders
    the user sees, so the CLI refuses it before any work.
    """
    for part in (path, *path.parents):
        if part.is_symlink() and not part.exists():
            where = "" if part == path else f" ({part} on its path)"
            fail(path, option, f"a dangling link{where}; its target {os.readlink(part)} does "
                               "not exist: give the target's own path or remove the link")
        if part.exists():
            return


class TypedPath(PosixPath):
    """An output option's path that remembers the text typed (:func:`typed_path`):
    ``Path`` reads ``""`` as ``.`` and drops a trailing ``/``, both of which a check must
    still see. Paths derived from it (``path / "runs.jsonl"``) have ``typed`` None."""

    typed: str | None = None


def typed_path(value: str | os.PathLike[str]) -> Path:
    """The ``parser`` of every output option: the path, keeping the text as typed, so that
    :func:`refuse_typed` can refuse ``-o ""`` (read as the current folder) and, for a
    file, ``-o newdir/`` (read as a file named ``newdir``)."""
    text = os.fspath(value)
    path = TypedPath(text)
    path.typed = text
    return path


def refuse_typed(path: Path, option: str, *, folder: bool) -> None:
    """A bad-input error naming ``option`` when the text typed for ``path`` (a
    :class:`TypedPath`; other paths pass) is empty or, for a file (``folder`` False), ends
    in ``/``: such a path names a folder, and a file named like the folder was written."""
    typed = getattr(path, "typed", None)
    if typed is None:
        return
    if not folder:
        refuse_folder_text(typed, option)  # the library's check of a file's text
    elif typed == "":
        fail(None, option, "an empty path; give a folder name")


def check_output(path: Path, option: str, inputs: Sequence[Path | None] = ()) -> None:
    """Check an output file before any work: not typed empty or with a trailing ``/``
    (:func:`refuse_typed`), no dangling link on its path (:func:`refuse_dangling_link`),
    then :func:`splitsched.io.check_output_path` (not a directory, not one of ``inputs``
    (None entries skipped), a writable folder)."""
    refuse_typed(path, option, folder=False)
    refuse_dangling_link(path, option)
    check_output_path(path, option, inputs=[p for p in inputs if p is not None])


# Names of pictures (what `plot` and `--plot` write, plot.save.SCHEDULE_SUFFIXES, and other
# image types): a JSON output given one is refused, the user most likely wanted a picture.
PICTURE_SUFFIXES = (".png", ".svg", ".html", ".pdf", ".jpg", ".jpeg")


def refuse_picture_name(path: Path, option: str, what: str,
                        plot_option: str | None = None) -> None:
    """A bad-input error when the JSON output ``path`` (``what`` it holds: ``the schedule``)
    has a picture's suffix (``solve -o x.png`` wrote JSON into x.png without a word);
    ``plot_option``, where the command draws one, is named as the way to a picture
    (``; a picture of it: --plot x.png``)."""
    suffix = path.suffix.lower()
    if suffix in PICTURE_SUFFIXES:
        hint = (f"; a picture of it: {plot_option} {path.with_suffix('.png').name}"
                if plot_option else "")
        fail(path, option, f"a picture's name ({suffix}), but {what} is written as JSON: "
                           f"give a .json name{hint}")


def refuse_set_as_run_dir(set_ref: str, run_dir: Path, option: str) -> None:
    """A bad-input error when the run directory ``run_dir`` is one of the set directories
    named in ``set_ref`` (comma-separated): the sweep would write its records, settings
    and instance copies among the set's instance files; also when ``set_ref`` has an
    empty item or names a set twice (:func:`split_names`)."""
    names = split_names(set_ref, "--set")  # a stray comma or a set named twice, too
    if not run_dir.is_dir():
        return
    for name in names:
        if Path(name).is_dir() and os.path.samefile(name, run_dir):
            fail(run_dir, option, f"is the set directory {name} (--set); give the run "
                                  "directory another path")


def check_outputs_differ(*outputs: tuple[Path | None, str]) -> None:
    """A bad-input error when two ``(path, option)`` outputs of one command are the same
    file: the second write would replace the first."""
    seen: dict[str, str] = {}
    for path, option in outputs:
        if path is None:
            continue
        key = os.path.realpath(path)
        if key in seen:
            fail(path, option, f"the same file as {seen[key]}; give another path")
        seen[key] = option


def missing_folders(path: Path | None) -> list[Path]:
    """The folders above ``path`` that do not exist, outermost first."""
    missing: list[Path] = []
    if path is None:
        return missing
    folder = Path(path).parent
    while folder != folder.parent and not folder.exists():
        missing.insert(0, folder)
        folder = folder.parent
    return missing


@contextmanager
def created_folders(*outputs: tuple[Path | None, str]) -> Iterator[None]:
    """Name on stderr the folders that the body created above each ``(path, flag)``.

    The rule for every output of the CLI (a file or a run directory): a
    missing folder above it is created by the writer, never refused, and one
    line ``note: FLAG: created folder PATH`` (the innermost) says so, after
    the body, whether it succeeded or not.
    """
    before = [(flag, missing_folders(path)) for path, flag in outputs]
    try:
        yield
    finally:
        for flag, folders in before:
            made = [f for f in folders if f.is_dir()]
            if made:
                err.print(f"note: {flag}: created folder {made[-1]}", highlight=False,
                          markup=False, soft_wrap=True)


def split_names(text: str, option: str, default: str | None = None) -> tuple[str, ...]:
    """``"a, b"`` -> ``("a", "b")``; an empty list, an empty item (``a,,b``, ``a,``: a
    stray comma, once dropped in silence) or a name given twice is a bad-input error
    naming ``option`` (``default``: what leaving the option out gives, said for an empty
    list)."""
    items = tuple(t.strip() for t in text.split(","))
    if not any(items):
        hint = f"; leave {option} out for {default}" if default else "; name at least one"
        raise InputError(None, option, f"empty list {text!r}{hint}")
    if "" in items:
        raise InputError(None, option, f"empty name in {text!r} (a stray comma?)")
    twice = named_twice(items)
    if twice:
        raise InputError(None, option, f"{twice} in {text!r}")
    return items


def choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    """``value`` if it is one of ``allowed``, else a bad-input error naming ``option``."""
    if value not in allowed:
        raise InputError(None, option, f"unknown value {value!r}; choose one of "
                                       f"{', '.join(allowed)}")
    return value


def need_torch() -> None:
    """A bad-input error (``--backend``) when PyTorch is not installed."""
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        from splitsched.replay.torch_models import TORCH_INSTALL_HINT

        raise InputError(None, "--backend", TORCH_INSTALL_HINT) from None


LANES = ("auto", "cuda", "mps", "cpu")


def resolve_gpu_lane(kind: str) -> str:
    """The GPU-lane device for ``kind``, or a bad-input error when there is no accelerator."""
    from splitsched.replay.torch_models import accelerator

    choice(kind, LANES, "--gpu-lane")
    dev = accelerator(kind)
    if dev is None:
        raise InputError(None, "--gpu-lane",
                         f"no accelerator ({'cuda or mps' if kind == 'auto' else kind}) on this "
                         "machine; pass --gpu-lane cpu to emulate the GPU lane on CPU")
    return dev
