"""``splitsched replay``, ``compare`` and ``profile`` (torch and LiteRT).

Registered into the main app by :func:`register`. Bad input (missing file,
unknown backend or policy, no accelerator without ``--gpu-lane cpu``) raises
InputError, which the CLI turns into exit status 2.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from splitsched.io import InputError

out = Console(highlight=False, soft_wrap=True)

BACKENDS = ("sim", "torch")
LANES = ("auto", "cuda", "mps", "cpu")


def _need_torch() -> None:
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        raise InputError(None, "--backend", "PyTorch is not installed: pip install "
                                            "'splitsched[replay]'") from None


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise InputError(None, option, f"unknown value {value!r}; choose one of "
                                       f"{', '.join(allowed)}")
    return value


def resolve_gpu_lane(kind: str) -> str:
    """The GPU-lane device for ``kind``, or InputError when there is no accelerator."""
    from splitsched.replay.torch_models import accelerator

    _choice(kind, LANES, "--gpu-lane")
    dev = accelerator(kind)
    if dev is None:
        raise InputError(None, "--gpu-lane",
                         f"no accelerator ({'cuda or mps' if kind == 'auto' else kind}) on this "
                         "machine; pass --gpu-lane cpu to emulate the GPU lane on CPU")
    return dev


def _load(instance_file: Path, schedule_file: Path) -> tuple[Any, Any]:
    from splitsched.io import check_schedule_matches, read_instance, read_schedule

    inst = read_instance(instance_file)
    sched = read_schedule(schedule_file)
    check_schedule_matches(inst, sched, schedule_file)
    return inst, sched


def replay_cmd(
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    schedule_file: Annotated[Path, typer.Argument(help="schedule JSON")],
    backend: Annotated[str, typer.Option(help="sim | torch")] = "sim",
    policy: Annotated[str, typer.Option(help="order | time")] = "order",
    runs: Annotated[int, typer.Option(help="number of replays")] = 1,
    seed: Annotated[int, typer.Option(help="random seed (noise draws, inputs)")] = 0,
    trace: Annotated[Path | None, typer.Option(help="write the trace (JSON lines)")] = None,
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
    from splitsched.replay.dispatch import POLICIES

    _choice(backend, BACKENDS, "--backend")
    _choice(policy, POLICIES, "--policy")
    # reliability (issue 13): every parameter and the output checked before any work
    from splitsched.io import check_output_path
    from splitsched.replay.compare import replay_and_compare
    from splitsched.replay.dispatch import require_replayable
    from splitsched.replay.sim import check_replay_parameters

    if runs < 1:
        raise InputError(None, "--runs", f"must be >= 1, got {runs}")
    try:
        check_replay_parameters(runs=runs, seed=seed)
    except InputError as exc:
        raise InputError(None, f"--{exc.field}", exc.reason) from None
    if not 0 <= cv < float("inf"):
        raise InputError(None, "--cv", f"must be a finite number >= 0, got {cv}")
    if cpu_threads is not None and cpu_threads < 1:
        raise InputError(None, "--cpu-threads", f"must be >= 1, got {cpu_threads}")
    if trace is not None:
        check_output_path(trace, "--trace")
    inst, sched = _load(instance_file, schedule_file)
    require_replayable(inst, sched, schedule_file)
    if backend == "sim":
        from splitsched.replay.noise import NoiseModel
        from splitsched.replay.sim import iter_simulate

        stream = iter_simulate(inst, sched, policy=policy, runs=runs, seed=seed,
                               noise=NoiseModel(cv=cv, use_measured=measured_sd))
    else:
        _need_torch()
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

    from splitsched.console import err as err_console

    with Progress("replay", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=err_console, transient=True, disable=runs < 2) as bar:
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
        out.print(note)
    m, p = report["measured"], report["planned"]
    out.print(f"replay {inst.id} / {sched.solver}: backend {backend}, policy {policy}, "
              f"{runs} run(s), GPU lane {report['gpu_lane']}")
    out.print(f"planned miss rate {p['miss_rate']:.3f} ({p['misses']} of {inst.num_jobs}); "
              f"measured miss rate mean {m['miss_rate_mean']:.3f}, p95 {m['miss_rate_p95']:.3f}")
    risky = [(j["job"], j["miss_probability"]) for j in report["jobs"]
             if j["miss_probability"] > 0]
    if risky:
        out.print("P(miss) per job: " + ", ".join(f"{j} {q:.2f}" for j, q in risky[:30]))
    if trace is not None:
        out.print(f"trace written to {trace}")


def compare_cmd(
    instance_file: Annotated[Path, typer.Argument(help="instance JSON")],
    schedule_file: Annotated[Path, typer.Argument(help="schedule JSON")],
    trace_file: Annotated[Path, typer.Argument(help="trace JSON lines from replay")],
    plot: Annotated[Path | None, typer.Option(help="PNG: planned vs actual timelines")] = None,
    plot_run: Annotated[int, typer.Option(help="which run to plot")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="full report as JSON")] = False,
) -> None:
    """Compare a replay trace with the plan: misses, lateness, stage prediction error."""
    from splitsched.replay.compare import check_trace, compare, format_report
    from splitsched.replay.dispatch import require_replayable
    from splitsched.replay.trace import read_trace_file

    # reliability (issue 13): the plot path, the schedule and the trace are checked first
    if plot is not None:
        from splitsched.io import check_output_path

        check_output_path(plot, "--plot")
    inst, sched = _load(instance_file, schedule_file)
    require_replayable(inst, sched, schedule_file)
    trace_data = read_trace_file(trace_file)
    check_trace(trace_data, inst, sched, trace_file)
    runs = trace_data.runs
    report = compare(inst, sched, runs)
    if plot is not None:
        if not 0 <= plot_run < len(runs):
            raise InputError(None, "--plot-run", f"must be in 0..{len(runs) - 1}")
        from splitsched.replay.plots import plot_timelines

        plot_timelines(inst, sched, runs[plot_run], plot)
    if as_json:
        print(json.dumps(report, allow_nan=False))
        return
    for line in format_report(report):
        out.print(line)
    if plot is not None:
        out.print(f"plot written to {plot}")


def profile_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="profile JSON to write")],
    backend: Annotated[str, typer.Option(help="torch (measure here)")] = "torch",
    device: Annotated[str, typer.Option("--device", "--gpu-lane",
                                        help="GPU lane: cpu | cuda | mps")] = "cuda",
    models: Annotated[str, typer.Option(help="comma-separated torchvision names")] =
        "mobilenet_v2,resnet18",
    threads: Annotated[int | None, typer.Option(help="CPU threads")] = None,
    repeats: Annotated[int, typer.Option(help="timed calls per segment")] = 20,
    warmup: Annotated[int, typer.Option(help="untimed calls first")] = 3,
    max_cuts: Annotated[int, typer.Option(help="at most this many layers per network")] = 24,
    input_shape: Annotated[str, typer.Option(help="input shape, e.g. 1,3,224,224")] =
        "1,3,224,224",
    name: Annotated[str | None, typer.Option(help="device name in the profile")] = None,
    from_litert: Annotated[tuple[Path, Path] | None, typer.Option(
        "--from-litert", help="FILE_CPU FILE_GPU: benchmark_model op-profiling output "
                              "(text log or CSV mode)")] = None,
    model_name: Annotated[str | None, typer.Option(help="LiteRT / CSV: network name "
                                                        "(default: file stem)")] = None,
    handoff_us: Annotated[int, typer.Option(help="LiteRT: hand-off cost per interior cut "
                                                 "(not in the files)")] = 0,
    allow_no_delegate: Annotated[bool, typer.Option(
        "--allow-no-delegate", help="LiteRT: accept a GPU file without a delegate node "
                                    "(its times are then CPU-kernel times)")] = False,
    allow_cpu_fallback: Annotated[bool, typer.Option(
        "--allow-cpu-fallback", help="LiteRT: accept CPU-fallback nodes after the delegate "
                                     "as a 2-layer network whose cut L is not GPU-only")] = False,
    from_csv: Annotated[Path | None, typer.Option(
        "--from-csv", help="tool-neutral CSV: stage table (cut,a_us,h_us,b_us) or per-layer "
                           "table (layer,gpu_us,cpu_us,handoff_us)")] = None,
) -> None:
    """Measure a device profile: real networks with PyTorch, LiteRT logs, or a plain CSV."""
    from splitsched.io import atomic_write_text, dumps, profile_to_dict

    if from_csv is not None and from_litert is not None:
        raise InputError(None, "--from-csv", "give --from-csv or --from-litert, not both")
    if from_csv is not None:
        from splitsched.profiles.tabular import read_table_csv

        nets = read_table_csv(from_csv, name=model_name)
        atomic_write_text(output, dumps(profile_to_dict(
            name or "csv-device", "", nets, {"source": "tool-neutral CSV",
                                             "file": str(from_csv)})))
        for n in nets:
            out.print(f"{n.name}: {n.num_layers} layer(s), GPU-only {int(n.stages.a[-1])} us, "
                      f"CPU-only {int(n.stages.b[0])} us")
        out.print(f"profile written to {output}")
        return
    if from_litert is not None:
        from splitsched.profiles.litert import network_from_litert_files

        cpu_file, gpu_file = from_litert
        net = network_from_litert_files(cpu_file, gpu_file, name=model_name,
                                        handoff_us=handoff_us,
                                        allow_no_delegate=allow_no_delegate,
                                        allow_cpu_fallback=allow_cpu_fallback)
        prov: dict[str, Any] = {"source": "litert benchmark_model --enable_op_profiling",
                                "cpu_file": str(cpu_file), "gpu_file": str(gpu_file)}
        if "note" in net.provenance:
            prov["note"] = net.provenance["note"]
            out.print(f"note: {net.provenance['note']}", markup=False)
        atomic_write_text(output, dumps(profile_to_dict(name or "litert-device", "", [net],
                                                        prov)))
        out.print(f"{net.name}: {net.num_layers} layer(s), GPU-only {int(net.stages.a[-1])} us, "
                  f"CPU-only {int(net.stages.b[0])} us; profile written to {output}")
        return
    _choice(backend, ("torch",), "--backend")
    _need_torch()
    from splitsched.replay.torch_models import emulation_note
    from splitsched.replay.torch_profile import profile_to_file

    if device not in ("cpu", "cuda", "mps"):
        raise InputError(None, "--device", f"unknown device {device!r}; choose cpu, cuda or mps")
    dev = resolve_gpu_lane(device)
    for opt, val, low in (("--repeats", repeats, 1), ("--warmup", warmup, 0),
                          ("--max-cuts", max_cuts, 1)):
        if val < low:
            raise InputError(None, opt, f"must be >= {low}, got {val}")
    if threads is not None and threads < 1:
        raise InputError(None, "--threads", f"must be >= 1, got {threads}")
    try:
        shape = tuple(int(v) for v in input_shape.split(","))
    except ValueError:
        raise InputError(None, "--input-shape", f"expected integers like 1,3,224,224, "
                                                f"got {input_shape!r}") from None
    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise InputError(None, "--models", "no model names given")
    note = emulation_note(dev)
    if note:
        out.print(note)
    try:
        profile_to_file(names, str(output), gpu_device=dev, threads=threads, input_shape=shape,
                        max_layers=max_cuts, warmup=warmup, repeats=repeats, name=name,
                        progress=out.print)
    except KeyError as exc:
        raise InputError(None, "--models", str(exc.args[0])) from None
    out.print(f"profile written to {output}")


def register(app: typer.Typer) -> None:
    """Add ``replay``, ``compare`` and ``profile`` to the main CLI."""
    app.command("replay")(replay_cmd)
    app.command("compare")(compare_cmd)
    app.command("profile")(profile_cmd)
