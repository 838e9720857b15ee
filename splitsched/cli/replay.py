"""Replay commands: ``replay`` (execute a schedule) and ``compare`` (trace against plan).

Bad input (missing file, unknown backend or policy, no accelerator without
``--gpu-lane cpu``) raises InputError, which the CLI turns into exit status 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from splitsched.cli.console import err, out
from splitsched.cli.options import (
    MAX_CV,
    MAX_REPLAY_RUNS,
    MAX_THREADS,
    check_output,
    choice,
    created_folders,
    int_in,
    need_torch,
    number_in,
    refuse_unused,
    resolve_gpu_lane,
    typed_path,
)
from splitsched.io import InputError
from splitsched.problem import counted

BACKENDS = ("sim", "torch")


def say(text: str) -> None:
    """One plain line on stdout (no highlighting, never wrapped)."""
    out.print(text, highlight=False, soft_wrap=True)


def _load(instance_file: Path, schedule_file: Path) -> tuple[Any, Any]:
    from splitsched.io import check_schedule_matches, read_instance, read_schedule

    inst = read_instance(instance_file)
    sched = read_schedule(schedule_file)
    check_schedule_matches(inst, sched, schedule_file)
    return inst, sched


def replay_cmd(
    ctx: typer.Context,
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    schedule_file: Annotated[Path, typer.Argument(help="schedule JSON")],
    backend: Annotated[str, typer.Option(help="sim | torch")] = "sim",
    policy: Annotated[str, typer.Option(help="order | time")] = "order",
    runs: Annotated[int, typer.Option(help=f"number of replays (at most {MAX_REPLAY_RUNS})")
                    ] = 1,
    seed: Annotated[int, typer.Option(help="random seed (noise draws, inputs)")] = 0,
    trace: Annotated[Path | None, typer.Option(help="write the trace (JSON lines)",
                                               parser=typed_path, metavar="<path>")] = None,
    cv: Annotated[float, typer.Option(help="sim: coefficient of variation where no measured "
                                           "spread exists, and of hand-offs; 0 = no noise "
                                           "at all")] = 0.05,
    measured_sd: Annotated[bool, typer.Option(
        "--measured-sd/--no-measured-sd", help="sim: use the profile's per-layer sd")] = True,
    gpu_lane: Annotated[str, typer.Option(help="torch: auto | cuda | mps | cpu")] = "auto",
    cpu_threads: Annotated[int | None, typer.Option(help="torch: CPU threads")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON summary on stdout")] = False,
) -> None:
    """Replay a schedule: simulated with noise, or for real with PyTorch."""
    from splitsched.replay.compare import replay_and_compare
    from splitsched.replay.dispatch import POLICIES, require_replayable
    from splitsched.replay.sim import check_replay_parameters

    choice(backend, BACKENDS, "--backend")
    choice(policy, POLICIES, "--policy")
    # Every parameter and the output are checked before any work.
    int_in(runs, "--runs", 1, MAX_REPLAY_RUNS)
    check_replay_parameters(runs=runs, seed=seed)
    number_in(cv, "--cv", 0, MAX_CV)
    int_in(cpu_threads, "--cpu-threads", 1, MAX_THREADS)
    # An option the chosen backend does not use is refused, not silently ignored.
    if backend == "sim":
        refuse_unused(ctx, {"gpu_lane": "--gpu-lane", "cpu_threads": "--cpu-threads"},
                      "it sets up PyTorch (--backend torch); the sim backend runs no model "
                      "and has no GPU lane to pick")
        if cv == 0 and runs > 1:  # as `online --runs N` without noise
            refuse_unused(ctx, {"runs": "--runs"},
                          f"with --cv 0 (no noise at all, measured spreads included) the "
                          f"{runs} simulated runs would repeat one another; give --cv > 0")
    else:
        refuse_unused(ctx, {"cv": "--cv", "measured_sd": "--measured-sd"},
                      "it sets the sim backend's noise; --backend torch measures real stage "
                      "times")
    if trace is not None:
        check_output(trace, "--trace", inputs=[instance_file, schedule_file])
    inst, sched = _load(instance_file, schedule_file)
    require_replayable(inst, sched, schedule_file)
    stream: Iterator[Any]
    if backend == "sim":
        from splitsched.replay.noise import NoiseModel
        from splitsched.replay.sim import iter_simulate

        stream = iter_simulate(inst, sched, policy=policy, runs=runs, seed=seed,
                               noise=NoiseModel(cv=cv, use_measured=measured_sd))
    else:
        need_torch()
        from splitsched.replay.torch_backend import replay_torch, torch_spec

        device = resolve_gpu_lane(gpu_lane)
        for net in {j.network for j in inst.jobs}:
            try:
                torch_spec(inst, net)
            except ValueError as exc:
                raise InputError(instance_file, f"networks.{net}.provenance.torch",
                                 str(exc)) from None
        stream = iter(replay_torch(inst, sched, gpu_device=device, policy=policy, runs=runs,
                                   seed=seed, cpu_threads=cpu_threads))
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with created_folders((trace, "--trace")), \
            Progress("replay", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                     console=err, transient=True, disable=runs < 2) as bar:
        task = bar.add_task("replay", total=runs)
        report = replay_and_compare(inst, sched, stream, total_runs=runs, trace_path=trace,
                                    on_run=lambda done: bar.update(task, completed=done))
    summary = {k: report[k] for k in ("instance_id", "solver", "backend", "policy", "gpu_lane",
                                      "notes", "runs", "planned")}
    summary["measured"] = {k: v for k, v in report["measured"].items() if k != "per_run"}
    summary["miss_probability"] = {j["job"]: j["miss_probability"] for j in report["jobs"]}
    summary["trace"] = str(trace) if trace else None
    if as_json:
        print(json.dumps(summary, allow_nan=False))
        return
    for note in report["notes"]:
        say(note)
    m, p = report["measured"], report["planned"]
    say(f"replay {inst.id} / {sched.solver}: backend {backend}, policy {policy}, "
              f"{counted(runs, 'run')}, GPU lane {report['gpu_lane']}")
    say(f"planned miss rate {p['miss_rate']:.3f} ({p['misses']} of {inst.num_jobs}); "
              f"measured miss rate mean {m['miss_rate_mean']:.3f}, p95 {m['miss_rate_p95']:.3f}")
    risky = [(j["job"], j["miss_probability"]) for j in report["jobs"]
             if j["miss_probability"] > 0]
    if risky:
        say("P(miss) per job: " + ", ".join(f"{j} {q:.2f}" for j, q in risky[:30]))
    if trace is not None:
        say(f"trace written to {trace}")


def compare_cmd(
    ctx: typer.Context,
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    schedule_file: Annotated[Path, typer.Argument(help="schedule JSON")],
    trace_file: Annotated[Path, typer.Argument(help="trace JSON lines from replay")],
    plot: Annotated[Path | None, typer.Option(help="PNG: planned vs actual timelines",
                                              parser=typed_path, metavar="<path>")] = None,
    plot_run: Annotated[int, typer.Option(help="which run to plot")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="full report as JSON")] = False,
) -> None:
    """Compare a replay trace with the plan: misses, lateness, stage prediction error."""
    from splitsched.replay.compare import check_trace, compare, format_report
    from splitsched.replay.dispatch import require_replayable
    from splitsched.replay.trace import read_trace_file

    # The plot path, the schedule and the trace are checked first.
    if plot is None:
        refuse_unused(ctx, {"plot_run": "--plot-run"}, "it picks the run that --plot "
                      "draws, and no --plot is given")
    else:
        check_output(plot, "--plot", inputs=[instance_file, schedule_file, trace_file])
    inst, sched = _load(instance_file, schedule_file)
    require_replayable(inst, sched, schedule_file)
    trace_data = read_trace_file(trace_file)
    check_trace(trace_data, inst, sched, trace_file)
    runs = trace_data.runs
    report = compare(inst, sched, runs)
    if plot is not None:
        if not 0 <= plot_run < len(runs):
            raise InputError(None, "--plot-run", f"must be in 0..{len(runs) - 1}")
        from matplotlib.figure import Figure

        from splitsched.plot import planned_vs_actual, save_png

        fig = Figure(figsize=(12, 3.2))
        planned_vs_actual(inst, sched, runs[plot_run], ax=fig.add_subplot())
        fig.tight_layout()
        with created_folders((plot, "--plot")):
            save_png(fig, plot, dpi=120)
    if as_json:
        print(json.dumps(report, allow_nan=False))
        return
    for line in format_report(report):
        say(line)
    if plot is not None:
        say(f"plot written to {plot}")


def register(app: typer.Typer) -> None:
    """Add ``replay`` and ``compare``."""
    app.command("replay")(replay_cmd)
    app.command("compare")(compare_cmd)
