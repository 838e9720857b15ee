"""Benchmark commands: ``bench`` (the sweep) and ``report`` (tables, plots, report.html).

Bad input (unknown solver or set, negative time limit, a run directory that
already has results without ``--resume``) raises :class:`InputError` before
anything is written; the main CLI turns it into exit status 2. ``bench``
exits 1 when a consistency check fails (a false ``optimal`` claim, a bound
above a feasible schedule), 3 when runs were lost to an infrastructure failure
or a run-directory file could not be written (a full disk: one ``error:`` line
naming the file, the records kept and the ``--resume`` hint).
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from splitsched.bench.machine import usable_cores
from splitsched.bench.records import RunRecord, WriteFailure
from splitsched.bench.worker import DEFAULT_MEM_LIMIT_MB
from splitsched.cli.console import LOADING_NOTE, err
from splitsched.interrupts import interrupt_in
from splitsched.io import InputError
from splitsched.problem import counted

if TYPE_CHECKING:
    from splitsched.bench.certify import Flag
    from splitsched.bench.sweep import SweepConfig, SweepResult
from splitsched.cli.options import (
    MAX_MEM_LIMIT_MB,
    MAX_SECONDS,
    MAX_SEEDS,
    MAX_THREADS,
    TERMINATED_EXIT,
    Terminated,
    created_folders,
    fail,
    int_in,
    interrupts,
    number_in,
    positive_time,
    refuse_dangling_link,
    refuse_set_as_run_dir,
    refuse_typed,
    refuse_unused,
    split_names,
    stop_if_signalled,
    typed_path,
)


def bench_cmd(
    set_ref: Annotated[str, typer.Option("--set", help="named set (shipped with the package: "
                                         "splitsched/data/sets/NAME) or a directory of "
                                         "instance JSON files; several separated by commas")],
    solvers: Annotated[str, typer.Option("--solvers", help="comma-separated solver names, or "
                                                 "'all'")],
    output: Annotated[Path, typer.Option("--output", "-o", help="run directory",
                                         parser=typed_path, metavar="<path>")],
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds per run")] = 10.0,
    seeds: Annotated[int, typer.Option("--seeds", help="seeds 0..K-1 per pair")] = 1,
    threads: Annotated[int, typer.Option("--threads", help=f"solver threads per run "
                                                          f"(1..{MAX_THREADS})")] = 1,
    workers: Annotated[int, typer.Option("--workers", help="runs in parallel (local)")] = 1,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Dask scheduler address (e.g. tcp://host:8786)")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="skip runs already recorded")] = False,
    mem_limit_mb: Annotated[int, typer.Option(
        "--mem-limit-mb", help="address-space limit per run, MiB (>= 1)",
    )] = DEFAULT_MEM_LIMIT_MB,
    grace: Annotated[float | None, typer.Option(
        "--grace", help="seconds past the limit before the hard kill "
                        "(default max(5, limit/2))")] = None,
    solver_module: Annotated[list[str] | None, typer.Option(
        "--solver-module", metavar="<str>",
        help="extra module (dotted name or .py file) that registers solvers; imported by "
             "every worker; repeat the flag for several")] = None,
) -> None:
    """Run every (instance, solver, seed) of a set in isolated workers; append records."""
    statuses: Counter[str] = Counter()  # records written by this sweep, per status
    try:
        # From the first check on (before any work), SIGTERM stops the command as Ctrl-C
        # does: it used to be installed only once the sweep's runs began, so `kill PID`
        # while the set was read and the solvers imported ended it without a word.
        with interrupts(record=True):  # record: a signal whose exception a callback lost
            from splitsched.bench.sweep import SweepConfig

            positive_time(time_limit, "--time-limit")
            int_in(seeds, "--seeds", 1, MAX_SEEDS)
            int_in(threads, "--threads", 1, MAX_THREADS)
            int_in(workers, "--workers", 1, MAX_THREADS)
            if mem_limit_mb > MAX_MEM_LIMIT_MB:  # below 1: the sweep's check says why 0 is
                int_in(mem_limit_mb, "--mem-limit-mb", 1, MAX_MEM_LIMIT_MB)  # refused
            if grace is not None:
                number_in(grace, "--grace", 0, MAX_SECONDS)
            refuse_typed(output, "--output", folder=True)
            refuse_dangling_link(output, "--output")
            refuse_set_as_run_dir(set_ref, output, "--output")
            if solvers.strip() == "all":
                from splitsched.solvers import solver_names

                solvers = ",".join(solver_names())
            cfg = SweepConfig(set_ref=set_ref, solvers=split_names(solvers, "--solvers"),
                              run_dir=output,
                              time_limit_s=time_limit, seeds=seeds, threads=threads,
                              workers=workers, mem_limit_mb=mem_limit_mb, grace_s=grace,
                              scheduler=scheduler, resume=resume,
                              extra_modules=tuple(solver_module or ()))
            with created_folders((output, "--output")):
                try:
                    result = _sweep(cfg, statuses)
                except Exception as exc:
                    # a signal while ortools loads (checking --solvers) surfaces as its
                    # ImportError: still an interrupt (a review saw a traceback, exit 1)
                    stop = interrupt_in(exc)
                    if stop is None:
                        raise
                    raise stop from None
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (options.interrupts)
        _say_stopped(exc, output, sum(statuses.values()))
    except WriteFailure as exc:  # a full disk: infrastructure, not bad input
        say_write_failure(exc, output, sum(statuses.values()))
    _summarise(result, output)


def say_write_failure(exc: WriteFailure, output: Path, done: int | None = None) -> NoReturn:
    """After a run-directory file could not be written (``bench``, ``online --set``): one
    ``error:`` line naming it and the reason, what ``output`` keeps and how to go on;
    exit 3 (infrastructure). ``done``: records this sweep wrote, if known."""
    from splitsched.bench.records import RUNS_FILE, read_runs

    print(f"error: {exc}", file=sys.stderr)  # plain print, as main's error lines
    runs = output / RUNS_FILE
    try:
        recorded = len(read_runs(runs).records) if runs.is_file() else 0
    except InputError:
        recorded = done or 0
    if recorded:
        now = f" ({done} recorded now)" if done is not None else ""
        err.print(f"{counted(recorded, 'run')} kept in {runs}{now}; free space, then continue with "
                  "--resume", highlight=False, soft_wrap=True)
    elif not output.exists():
        err.print(f"no run recorded: {output}, created by this command, was removed; free "
                  "space and run the sweep again", highlight=False, soft_wrap=True)
    else:
        err.print(f"no run recorded in {output}; free space, then continue with --resume",
                  highlight=False, soft_wrap=True)
    raise SystemExit(3)


def _say_stopped(exc: KeyboardInterrupt, output: Path, done: int) -> NoReturn:
    """After Ctrl-C or SIGTERM (``exc``): say what the run directory ``output`` holds and
    how to go on; exit 130 (143 for SIGTERM). ``done``: records this sweep wrote."""
    from splitsched.bench.records import RUNS_FILE, read_runs

    how = "terminated" if isinstance(exc, Terminated) else "interrupted"
    if output.is_dir():
        runs = output / RUNS_FILE
        try:
            recorded = len(read_runs(runs).records) if runs.is_file() else 0
        except InputError:  # not ours to judge here; the --resume run will say
            recorded = done
        err.print(f"{how}: {counted(done, 'run')} recorded now, {recorded} in {output}; "
                  "continue with --resume", highlight=False)
    else:
        err.print(f"{how} before the sweep started: nothing was written ({output} does not "
                  "exist)", highlight=False)
    raise SystemExit(TERMINATED_EXIT if isinstance(exc, Terminated) else 130) from None


def _sweep(cfg: SweepConfig, statuses: Counter[str]) -> SweepResult:
    """Run a checked sweep with a progress bar, counting its new records in ``statuses``."""
    from splitsched.bench.sweep import execute, load_solvers, prepare

    scheduler, workers, threads = cfg.scheduler, cfg.workers, cfg.threads
    with err.status(LOADING_NOTE):  # checking --solvers imports them: hybrid loads the DP
        prep = prepare(cfg)
        if prep.tasks:
            load_solvers(cfg)
    stop_if_signalled()  # one that numba's cache loading lost (in llvmlite's callback)
    cores = usable_cores()
    if scheduler is None and workers * threads > cores:
        err.print(f"warning: {counted(workers, 'worker')} x {counted(threads, 'thread')} > "
                  f"{counted(cores, 'usable core')}: "
                   "runs will compete for CPU and runtimes will be noisy", highlight=False)
    if not prep.tasks:  # no bar: an empty 0/0 one looked like a sweep that ran nothing
        err.print(f"resume: nothing left to do: all {counted(prep.skipped, 'run')} of the sweep "
                  f"already recorded in {cfg.run_dir}" if prep.skipped
                  else "nothing to do: the sweep has no runs", highlight=False)
        return execute(prep, lambda record: None)
    if prep.skipped:
        err.print(f"resume: {counted(prep.skipped, 'run')} already recorded, "
                  f"{len(prep.tasks)} to go", highlight=False)
    progress = Progress(TextColumn("[bold]bench[/bold] {task.description}"), BarColumn(),
                        MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                        TimeRemainingColumn(), console=err, transient=False)
    with progress:
        bar = progress.add_task("", total=len(prep.tasks))

        def tick(record: RunRecord) -> None:
            statuses[record.status.value] += 1
            desc = " ".join(f"{k}={v}" for k, v in sorted(statuses.items()))
            progress.update(bar, advance=1, description=desc)

        return execute(prep, tick)


def _summarise(result: SweepResult, output: Path) -> None:
    """Say what a finished sweep recorded; exit 1 on a failed check or when no run of the
    sweep ended normally, 3 on lost runs."""
    from splitsched.bench.records import unique_records

    runs, twice = unique_records(result.all_records)  # as the report counts them
    total = Counter(r.status.value for r in runs)
    again = f" ({counted(twice, 'duplicate record')} of one run ignored)" if twice else ""
    err.print(f"{counted(len(result.new_records), 'run')} now, {len(runs)} in "
              f"{output / 'runs.jsonl'}{again}: "
               + ", ".join(f"{k} {v}" + (" (schedule kept)" if k == "timeout" else "")
                          for k, v in sorted(total.items())), highlight=False)
    if result.infra_failures:  # reliability (issue 13, kind 7): not runs; exit 3
        lost = counted(len(result.infra_failures), "run")
        err.print(f"[bold red]{lost} not done: infrastructure "
                   f"failure ({result.infra_failures[0].error}); they are not recorded as "
                   f"runs; continue with --resume[/bold red]", highlight=False)
        raise SystemExit(3)
    if result.flags:
        err.print(f"[bold red]CONSISTENCY CHECKS FAILED ({len(result.flags)}):[/bold red]")
        for flag in result.flags:
            err.print(f"  [red]{flag.kind}[/red]: {flag.message}", highlight=False)
        # SystemExit, not typer.Exit: the main CLI runs click with standalone_mode=False,
        # where click turns typer.Exit into a return value and the exit status is lost.
        raise SystemExit(1)
    _refuse_all_failed(result.new_records)
    err.print(f"consistency checks passed (tables and plots: splitsched report {output})",
              highlight=False)


def _refuse_all_failed(records: list[RunRecord]) -> None:
    """Exit 1 when this sweep ran runs and none ended under its solver's control (every
    one ``error``, ``killed``, ``crash`` or ``memout``): a missing backend or a broken
    solver module, which exit 0 hid from scripts. The records stay (they are results)."""
    from rich.markup import escape

    from splitsched.bench.records import NORMAL_END

    if not records or any(r.status in NORMAL_END for r in records):
        return
    first = next((r for r in records if r.error), records[0])
    why = f": {first.error}" if first.error else ""
    err.print(f"[bold red]no run ended normally ({counted(len(records), 'run')}, all "
              f"{'/'.join(sorted({r.status.value for r in records}))}); first: "
              f"{escape(first.instance_id)} / {escape(first.solver)}{escape(why)}[/bold red]",
              highlight=False, soft_wrap=True)
    raise SystemExit(1)


def report_cmd(
    ctx: typer.Context,
    run_dir: Annotated[Path, typer.Argument(help="run directory written by `splitsched bench`")],
    shift: Annotated[float, typer.Option("--shift", help="shift (s) of the shifted geometric "
                                         "mean of runtimes")] = 1.0,
    gantt_instance: Annotated[str | None, typer.Option(
        "--gantt-instance", help="instance id for the Gantt chart (default: the one where "
                                 "solvers differ most)")] = None,
    gantt_solvers: Annotated[str | None, typer.Option(
        "--gantt-solvers", help="comma-separated solvers for the Gantt chart")] = None,
) -> None:
    """Tables (CSV, Markdown, Parquet), plots (PNG) and a self-contained report.html
    (an online sweep's directory: its report, RUN_DIR/report/report.md)."""
    with _report_interrupts(run_dir):  # from the first (slow) import on
        written, flags, duplicates = _report(ctx, run_dir, shift, gantt_instance,
                                             gantt_solvers)
    # Printed only once the report is in place (an interrupt from here on is too late).
    err.print(f"report written: {written}", highlight=False)
    if duplicates:  # said in report.html too; a console reader should not miss it
        err.print(f"{counted(duplicates, 'duplicate record')} of runs already counted "
                  f"ignored (RUN_DIR/runs.jsonl holds a run twice)", highlight=False)
    if flags:
        err.print(f"[bold red]{counted(len(flags), 'consistency flag')} (see report)[/bold red]")
        for flag in flags:
            err.print(f"  [red]{flag.kind}[/red]: {flag.message}", highlight=False)


def _report(ctx: typer.Context, run_dir: Path, shift: float, gantt_instance: str | None,
            gantt_solvers: str | None) -> tuple[Path, list[Flag], int]:
    """Build the report of ``run_dir`` (bench or online): the file to name as written, the
    consistency flags to list and the duplicate records ignored (bench)."""
    from splitsched.bench.report import build_report
    from splitsched.online.sweep import CONFIG_FILE

    if (run_dir / CONFIG_FILE).exists() or _holds_online_records(run_dir):
        from splitsched.online.report import build_report as build_online_report

        if gantt_instance or gantt_solvers:
            fail(None, "--gantt-instance" if gantt_instance else "--gantt-solvers",
                 f"{run_dir} is an online sweep's run directory: its report has no Gantt chart")
        refuse_unused(ctx, {"shift": "--shift"}, f"{run_dir} is an online sweep's run "
                      "directory: its report has no mean runtimes to shift")
        return build_online_report(run_dir) / "report.md", [], 0
    positive_time(shift, "--shift")
    rep = build_report(run_dir, shift_s=shift, gantt_instance=gantt_instance,
                       gantt_solvers=split_names(gantt_solvers, "--gantt-solvers")
                       if gantt_solvers else None)
    return rep.html, list(rep.certification.flags), rep.duplicates


@contextmanager
def _report_interrupts(run_dir: Path) -> Iterator[None]:
    """Ctrl-C or SIGTERM while a report is built: say that it was not written and that the
    previous one (if any) is kept, then exit 130 (143 for SIGTERM).

    The report's files are moved in as one step (:func:`splitsched.bench.staging.
    staged_folder`), so an interrupt that stops the report leaves ``RUN_DIR/report``
    exactly as it was; one that comes after the last move is too late and is dropped
    there (the report is written)."""
    try:
        with interrupts(record=True):  # what arrived is emptied when the block ends
            try:
                yield
            except Exception:
                # A signal that a library turned into another error (matplotlib's import
                # or drawing made a RuntimeError or ValueError of a KeyboardInterrupt):
                # the report stopped all the same, and staging kept the previous one.
                stop_if_signalled()
                raise
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (options.interrupts)
        _say_report_stopped(run_dir, isinstance(exc, Terminated))


def _say_report_stopped(run_dir: Path, terminated: bool) -> NoReturn:
    how = "terminated" if terminated else "interrupted"
    err.print(f"{how}: the report was not written; {run_dir / 'report'} is as it was "
              "(the previous report, if any, is kept)", highlight=False, soft_wrap=True)
    raise SystemExit(TERMINATED_EXIT if terminated else 130) from None


def _holds_online_records(run_dir: Path) -> bool:
    """True when ``run_dir/runs.jsonl`` is an online sweep's (its first record has a kind),
    so that its report is the online one even if ``online.json`` was removed."""
    from splitsched.bench.records import RUNS_FILE, read_runs

    path = run_dir / RUNS_FILE
    if not run_dir.is_dir() or not path.is_file():
        return False
    records = read_runs(path).records
    return bool(records) and records[0].kind is not None


def register(app: typer.Typer) -> None:
    """Add ``bench`` and ``report`` to the main CLI."""
    app.command("bench")(bench_cmd)
    app.command("report")(report_cmd)
