"""``splitsched`` command line: assembles the subcommands of every layer.

Core commands (solve, evaluate, solvers, show, generate, sets) live here; each
larger area registers its own commands from its package (``profiles.cli``,
``bench.cli``, ``replay.cli``) so that the CLI stays one small file.
Bad input exits with status 2 and a message naming file, field and reason.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from splitsched.console import err as console
from splitsched.console import out
from splitsched.io import InputError

app = typer.Typer(add_completion=False, no_args_is_help=True)


def fail(path: str | Path | None, field: str, reason: str) -> None:
    """Raise the CLI's bad-input error (exit status 2)."""
    raise InputError(path, field, reason)


def _positive_time(value: float, option: str) -> float:
    if not value > 0:
        fail(None, option, f"must be > 0, got {value}")
    return value


@app.command("solvers")
def solvers_cmd() -> None:
    """List the registered solvers, one line each."""
    from splitsched.solvers.base import get_solver, solver_names

    for name in solver_names():
        info = get_solver(name)
        tag = " [exact]" if info.exact else ""
        out.print(f"{name:<22}{info.summary}{tag}", highlight=False, soft_wrap=True)


@app.command("solve")
def solve_cmd(
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    solver: Annotated[str, typer.Option("--solver", "-s", help="solver name")] = "dp-edf",
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds")] = 10.0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    threads: Annotated[int, typer.Option(help="solver threads")] = 1,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="schedule JSON")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Solve one instance with one solver; write the schedule."""
    from dataclasses import replace

    from splitsched.io import instance_sha256, read_instance, write_schedule
    from splitsched.solve import solve
    from splitsched.solvers.base import UnknownSolverError, get_solver

    _positive_time(time_limit, "--time-limit")
    if threads < 1:
        fail(None, "--threads", f"must be >= 1, got {threads}")
    try:
        get_solver(solver)
    except UnknownSolverError as exc:
        fail(None, "--solver", str(exc))
    # reliability (issue 13): parameters and the output are checked before the solve
    from splitsched.io import check_output_path
    from splitsched.solve import check_solve_parameters

    try:
        check_solve_parameters(time_limit_s=time_limit, seed=seed, threads=threads)
    except InputError as exc:
        fail(None, f"--{exc.field.replace('_s', '').replace('_', '-')}", exc.reason)
    if output is not None:
        check_output_path(output, "--output")
    inst = read_instance(instance_file)
    res = solve(inst, solver, time_limit_s=time_limit, seed=seed, threads=threads)
    if output is not None and res.schedule is not None:
        sched = replace(res.schedule, instance_sha256=instance_sha256(inst),
                        meta={"status": res.status, "bound": res.bound,
                              "runtime_s": res.runtime_s, "time_limit_s": time_limit,
                              "seed": seed, "threads": threads})
        write_schedule(sched, output)
    summary = res.summary()
    if "error" in res.stats:
        summary["error"] = res.stats["error"]
    if as_json:
        print(json.dumps(summary, allow_nan=False))
    else:
        ev = res.evaluation
        line = (f"{solver}: status={res.status} missed={res.missed} "
                f"of {inst.num_jobs} jobs"
                + (f" (miss rate {ev.miss_rate:.3f}, makespan {ev.makespan} us)" if ev else "")
                + (f" bound={res.bound:g}" if res.bound is not None else "")
                + f" time={res.runtime_s:.3f}s")
        out.print(line, highlight=False)
        if "error" in res.stats:
            out.print(f"error: {res.stats['error']}", highlight=False)
    if res.status == "error":
        raise typer.Exit(1)


@app.command("evaluate")
def evaluate_cmd(
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    schedule_file: Annotated[Path, typer.Argument(help="schedule JSON")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
) -> None:
    """Check a schedule against an instance: feasibility, misses, makespan."""
    from splitsched.evaluate import evaluate
    from splitsched.io import check_schedule_matches, read_instance, read_schedule

    inst = read_instance(instance_file)
    sched = read_schedule(schedule_file)
    check_schedule_matches(inst, sched, schedule_file)
    ev = evaluate(inst, sched)
    if as_json:
        d = ev.as_dict()
        print(json.dumps({k: d[k] for k in ("feasible", "violations", "misses",
                                             "weighted_misses", "miss_rate", "makespan")},
                         allow_nan=False))
    else:
        out.print(f"feasible: {ev.feasible}", highlight=False)
        for v in ev.violations:
            out.print(f"  violation: {v}", highlight=False)
        out.print(f"misses: {ev.misses} of {inst.num_jobs} (miss rate {ev.miss_rate:.3f}); "
                  f"weighted misses {ev.weighted_misses}; makespan {ev.makespan} us",
                  highlight=False)
    if not ev.feasible:
        raise typer.Exit(1)


@app.command("show")
def show_cmd(instance_file: Annotated[Path, typer.Argument(help="instance JSON")]) -> None:
    """Summarise an instance: jobs, load, models, deadlines."""
    from splitsched.generate import describe
    from splitsched.io import read_instance

    inst = read_instance(instance_file)
    info = describe(inst)
    out.print(f"instance {inst.id}: {info['jobs']} jobs, {len(inst.networks)} networks",
              highlight=False)
    for key in ("device", "scenario", "seed"):
        if key in inst.provenance:
            out.print(f"  {key}: {inst.provenance[key]}", highlight=False)
    out.print(f"  releases: {info['first_release']} .. {info['last_release']} us; "
              f"horizon {info['horizon']} us", highlight=False)
    gen = inst.provenance.get("generator")
    if isinstance(gen, dict) and "load" in gen:
        out.print(f"  offered load (generator parameter): {gen['load']:g}", highlight=False)
    out.print(f"  best-latency work / horizon (first release to last deadline): "
              f"{info['load']:.3f}; mean slack (window / best latency): {info['mean_slack']:.2f}",
              highlight=False)
    table = Table("network", "jobs", "layers", "GPU-only us", "CPU-only us", "best cut",
                  "best us")
    for row in info["networks"]:
        table.add_row(row["name"], str(row["jobs"]), str(row["layers"]), str(row["gpu_only"]),
                      str(row["cpu_only"]), str(row["best_cut"]), str(row["best"]))
    out.print(table)


def _register_areas() -> None:
    """Let each area add its own subcommands (kept out of this file)."""
    from splitsched import generate_cli
    from splitsched.bench import cli as bench_cli
    from splitsched.profiles import cli as profiles_cli
    from splitsched.replay import cli as replay_cli

    for area in (generate_cli, profiles_cli, bench_cli, replay_cli):
        area.register(app)


_register_areas()


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
    """Show boolean flags as flags in help (typer 0.29 prints ``--json <bool>``)."""
    for param in getattr(command, "params", ()):
        if getattr(param, "is_flag", False) and getattr(param, "metavar", None) is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values():
        _flags_as_flags(sub)


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


def main(argv: list[str] | None = None) -> None:
    """Console entry point.

    Exit status: 0 success; 1 a negative answer (infeasible schedule, failed
    consistency check, solver error); 2 bad input or usage (one line on
    stderr: ``error: FILE: FIELD: REASON`` or the usage problem); 3 work
    left undone by an infrastructure failure (``bench``); 130 interrupted.
    """
    from splitsched.problem import InvariantError

    usage_errors, aborts = _click_types()
    command = typer.main.get_command(app)
    _flags_as_flags(command)
    try:
        rc = command.main(args=argv if argv is not None else sys.argv[1:], prog_name="splitsched",
                          standalone_mode=False)
    except (InputError, InvariantError) as exc:
        print(f"error: {exc}", file=sys.stderr)  # plain print: never wrapped
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except aborts:
        console.print("aborted", highlight=False)
        sys.exit(130)
    except usage_errors as exc:
        name = type(exc).__name__
        if name == "NoArgsIsHelpError":  # bare `splitsched` or group: the help, as click does
            exc.show()  # type: ignore[attr-defined]
            sys.exit(2)
        ctx = getattr(exc, "ctx", None)
        where = f"{ctx.command_path}: " if ctx is not None else ""
        message = exc.format_message()  # type: ignore[attr-defined]
        print(f"error: {where}{message}".replace("\n", " "), file=sys.stderr)
        code = getattr(exc, "exit_code", 2)
        sys.exit(code if isinstance(code, int) and code != 1 else 2)
    sys.exit(rc if isinstance(rc, int) else 0)


if __name__ == "__main__":
    main()
