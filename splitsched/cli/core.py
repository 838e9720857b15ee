"""Core commands: ``solvers``, ``solve``, ``evaluate``, ``plot``, ``show``, ``schema``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from splitsched.cli.console import LOADING_NOTE, err, out
from splitsched.cli.options import (
    MAX_THREADS,
    check_output,
    check_outputs_differ,
    created_folders,
    fail,
    int_in,
    positive_time,
    refuse_picture_name,
    refuse_typed,
    said_when_interrupted,
    stop_if_signalled,
    typed_path,
)
from splitsched.problem import counted

if TYPE_CHECKING:
    from splitsched.evaluate import JobRow


def solvers_cmd() -> None:
    """List the registered solvers: name, exact or heuristic, what it does, its warm start."""
    from splitsched.solvers import get_solver, solver_names

    for name in solver_names():
        info = get_solver(name)
        kind = "exact" if info.exact else "heuristic"
        out.print(f"{name:<22}{kind:<10}{info.summary.strip()}", markup=False, highlight=False,
                  soft_wrap=True)
        if info.uses_warm_start:
            note = info.start_note.strip() or "given the harness's warm start"
            out.print(f"{'':<32}warm start: {note}", markup=False, highlight=False,
                      soft_wrap=True)


def _bound_text(bound: float) -> str:
    """A bound as the misses it bounds are printed: 2147483647, not 2.14748e+09."""
    return str(int(bound)) if float(bound).is_integer() else f"{bound:.12g}"


def solve_cmd(
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    solver: Annotated[str, typer.Option("--solver", "-s", help="solver name")] = "dp-edf",
    time_limit: Annotated[float, typer.Option("--time-limit", help="seconds")] = 10.0,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    threads: Annotated[int, typer.Option(help=f"solver threads (1..{MAX_THREADS})")] = 1,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="schedule JSON",
                                                parser=typed_path, metavar="<path>")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    plot: Annotated[Path | None, typer.Option("--plot", help="also draw the schedule: "
                                              "FILE.png, .svg or .html (see `splitsched plot`)",
                                              parser=typed_path, metavar="<path>")
                    ] = None,
) -> None:
    """Solve one instance with one solver; write the schedule (and, with --plot, its Gantt)."""
    # Ctrl-C or SIGTERM: one line saying what was written (each write is atomic), from the
    # imports on (a signal in them exited 130 without a word, 130 also for SIGTERM).
    with said_when_interrupted((output, "--output"), (plot, "--plot")):
        from splitsched.io import instance_sha256, read_instance, write_schedule
        from splitsched.solve import check_solve_parameters, load_solver, solve, stamp_schedule
        from splitsched.solvers import SolveStatus, UnknownSolverError, get_solver

        positive_time(time_limit, "--time-limit")
        if plot is not None:
            _plot_suffix(plot, "--plot")
        int_in(threads, "--threads", 1, MAX_THREADS)
        try:
            get_solver(solver)
        except UnknownSolverError as exc:
            fail(None, "--solver", str(exc))
        # Parameters and the output paths are checked before the solve (nothing is lost after,
        # and a bad --plot path leaves no schedule file written).
        check_solve_parameters(time_limit_s=time_limit, seed=seed, threads=threads)
        if output is not None:
            refuse_picture_name(output, "--output", "the schedule", plot_option="--plot")
            check_output(output, "--output", inputs=[instance_file])
        if plot is not None:
            check_output(plot, "--plot", inputs=[instance_file])
        check_outputs_differ((output, "--output"), (plot, "--plot"))
        inst = read_instance(instance_file)
        with err.status(LOADING_NOTE):
            load_solver(solver)
        stop_if_signalled()  # one that numba's cache loading lost (in llvmlite's callback)
        res = solve(inst, solver, time_limit_s=time_limit, seed=seed, threads=threads)
        stop_if_signalled()
        with created_folders((output, "--output"), (plot, "--plot")):
            if output is not None and res.schedule is not None:
                write_schedule(stamp_schedule(res.schedule, instance_sha256=instance_sha256(inst),
                                              status=res.status, bound=res.bound,
                                              runtime_s=res.runtime_s, time_limit_s=time_limit,
                                              seed=seed, threads=threads), output)
            if plot is not None and res.schedule is not None:
                from splitsched.plot import write_schedule_plot

                write_schedule_plot(inst, res.schedule, plot)
        summary = res.summary()
        if "error" in res.stats:
            summary["error"] = res.stats["error"]
        if as_json:
            print(json.dumps(summary, allow_nan=False))
        else:
            ev = res.evaluation
            line = (f"{solver}: status={res.status}"
                    + (f" misses={ev.misses} of {counted(inst.num_jobs, 'job')} (weighted "
                       f"{ev.weighted_misses}; miss rate {ev.miss_rate:.3f}, makespan "
                       f"{ev.makespan} us)" if ev
                       else " no schedule")
                    + (f" bound={_bound_text(res.bound)}" if res.bound is not None else "")
                    + f" time={res.runtime_s:.3f}s")
            out.print(line, highlight=False)
            if "error" in res.stats:
                out.print(f"error: {res.stats['error']}", highlight=False)
            if plot is not None and res.schedule is not None:
                out.print(f"wrote {plot}", highlight=False)
        if res.status is SolveStatus.ERROR:
            raise typer.Exit(1)


def evaluate_cmd(
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    schedule_file: Annotated[Path, typer.Argument(help="schedule JSON")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object on stdout")] = False,
    jobs: Annotated[bool, typer.Option("--jobs/--no-jobs", help="per-job table (times in us)")
                    ] = True,
) -> None:
    """Check a schedule against an instance: feasibility, misses, makespan, per-job detail."""
    from splitsched.evaluate import evaluate, job_table
    from splitsched.io import check_schedule_matches, read_instance, read_schedule

    inst = read_instance(instance_file)
    sched = read_schedule(schedule_file)
    check_schedule_matches(inst, sched, schedule_file)
    ev = evaluate(inst, sched)
    rows = job_table(inst, sched, ev)
    if as_json:
        d = ev.as_dict()
        summary = {k: d[k] for k in ("feasible", "violations", "misses", "weighted_misses",
                                     "miss_rate", "weighted_miss_rate", "makespan")}
        if jobs:
            summary["jobs"] = [r.as_dict() for r in rows]
        print(json.dumps(summary, allow_nan=False))
    else:
        if jobs:
            out.print(_job_table(rows))
        out.print(f"feasible: {ev.feasible}", highlight=False)
        for v in ev.violations:
            out.print(f"  violation: {v}", highlight=False, markup=False)
        out.print(f"misses: {ev.misses} of {inst.num_jobs} (miss rate {ev.miss_rate:.3f}); "
                  f"weighted misses {ev.weighted_misses}; makespan {ev.makespan} us",
                  highlight=False)
    if not ev.feasible:
        raise typer.Exit(1)


def _job_table(rows: list[JobRow]) -> Table:
    """The rich table of :func:`splitsched.evaluate.job_table` rows (times in us)."""
    def cell(v: int | None) -> str:
        return "-" if v is None else str(v)

    table = Table("job", "network", "cut", "GPU start", "GPU end", "hand-off", "CPU start",
                  "CPU end", "completion", "deadline", "lateness", "outcome",
                  title="per job (times in us; lateness = completion - deadline)")
    for r in rows:
        cut = "dropped" if r.cut is None else f"{r.cut}/{r.layers}"
        style = {"on_time": "", "late": "yellow", "dropped": "dim"}.get(r.outcome, "red")
        table.add_row(r.job, r.network, cut, cell(r.gpu_start), cell(r.gpu_end),
                      cell(r.handoff_us), cell(r.cpu_start), cell(r.cpu_end),
                      cell(r.completion), str(r.deadline), cell(r.lateness),
                      r.outcome.replace("_", " "), style=style)
    return table


def _plot_suffix(path: Path, option: str) -> None:
    """Refuse (exit 2) a plot file whose suffix is not .png, .svg or .html, before any work."""
    from splitsched.plot import SCHEDULE_SUFFIXES

    refuse_typed(path, option, folder=False)  # "" or "dir/": said as such, not as a suffix
    if path.is_dir():  # check_output says it is a folder, not that its suffix is wrong
        return
    if path.suffix.lower() not in SCHEDULE_SUFFIXES:
        fail(path, option, f"unknown picture format {path.suffix or '(no suffix)'!r}; use "
                           f"{', '.join(SCHEDULE_SUFFIXES)}")


def plot_cmd(
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    schedule_file: Annotated[Path, typer.Argument(help="schedule JSON")],
    output: Annotated[Path, typer.Option("--output", "-o", help="gantt.png, .svg or .html "
                                         "(self-contained page with a per-job table)",
                                         parser=typed_path, metavar="<path>")
                      ] = Path("gantt.png"),
    title: Annotated[str | None, typer.Option(help="title (default: the solver)")] = None,
) -> None:
    """Draw a schedule: GPU and CPU lanes, hand-offs, every job's release, deadline and
    completion, misses marked; time in ms. Exits 1 (after drawing) if the schedule is
    infeasible, 2 on bad input."""
    with said_when_interrupted((output, "--output")):  # Ctrl-C: one line, exit 130
        from splitsched.evaluate import evaluate
        from splitsched.io import check_schedule_matches, read_instance, read_schedule
        from splitsched.plot import write_schedule_plot

        _plot_suffix(output, "--output")
        check_output(output, "--output", inputs=[instance_file, schedule_file])
        inst = read_instance(instance_file)
        sched = read_schedule(schedule_file)
        check_schedule_matches(inst, sched, schedule_file)
        with created_folders((output, "--output")):
            write_schedule_plot(inst, sched, output, title=title)
    ev = evaluate(inst, sched)
    out.print(f"wrote {output}: {sched.solver} on {inst.id}, "
              f"{counted(ev.weighted_misses, 'weighted miss', 'weighted misses')} "
              f"({ev.misses} of {counted(inst.num_jobs, 'job')})", highlight=False)
    if not ev.feasible:
        for v in ev.violations:
            err.print(f"  violation: {v}", highlight=False, markup=False)
        raise typer.Exit(1)


def show_cmd(instance_file: Annotated[Path, typer.Argument(help="instance JSON")]) -> None:
    """Summarise an instance: jobs, load, models, deadlines."""
    from splitsched.generate import describe
    from splitsched.io import read_instance

    inst = read_instance(instance_file)
    info = describe(inst)
    out.print(f"instance {inst.id}: {counted(info['jobs'], 'job')}, "
              f"{counted(len(inst.networks), 'network')}",
              highlight=False)
    for key in ("device", "scenario", "seed"):
        if key in inst.provenance:
            out.print(f"  {key}: {inst.provenance[key]}", highlight=False)
    out.print(f"  releases: {info['first_release']} .. {info['last_release']} us; "
              f"horizon {info['horizon']} us", highlight=False)
    if info["offered_load"] is not None:
        out.print(f"  offered load: {info['offered_load']:g} (the generator's --load: best-"
                  "latency work per unit time of the arrival process)", highlight=False)
        if info["load_note"]:
            out.print(f"    note: {info['load_note']}", highlight=False)
    out.print(f"  horizon load: {info['horizon_load']:.3f} (best-latency work / (last "
              "deadline - first release), computed from the jobs)", highlight=False)
    out.print(f"  mean slack: {info['mean_slack']:.2f} ((deadline - release) / best latency)",
              highlight=False)
    table = Table("network", "jobs", "layers", "GPU-only us", "CPU-only us", "best cut",
                  "best us")
    for row in info["networks"]:
        table.add_row(row["name"], str(row["jobs"]), str(row["layers"]), str(row["gpu_only"]),
                      str(row["cpu_only"]), str(row["best_cut"]), str(row["best"]))
    out.print(table)


def schema_cmd(
    name: Annotated[str, typer.Argument(help="instance | schedule | profile | trace | record")],
) -> None:
    """Print the JSON Schema (draft 2020-12) of a file format; docs/formats.md explains it."""
    from splitsched.schema import FORMATS, json_schema

    if name not in FORMATS:
        fail(None, "format", f"unknown format {name!r}; choose one of {', '.join(FORMATS)}")
    print(json.dumps(json_schema(name), indent=2))


def register(app: typer.Typer) -> None:
    """Add ``solvers``, ``solve``, ``evaluate``, ``plot``, ``show`` and ``schema``."""
    app.command("solvers")(solvers_cmd)
    app.command("solve")(solve_cmd)
    app.command("evaluate")(evaluate_cmd)
    app.command("plot")(plot_cmd)
    app.command("show")(show_cmd)
    app.command("schema")(schema_cmd)
