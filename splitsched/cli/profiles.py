"""Profile commands: ``profiles`` (list the derived device profiles, or regenerate them)
and ``profile`` (measure one: PyTorch here, LiteRT op-profiling logs, or a plain CSV)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from splitsched.cli.console import err, out
from splitsched.cli.options import (
    MAX_REPEATS,
    MAX_THREADS,
    check_output,
    choice,
    created_folders,
    int_in,
    need_torch,
    printable_name,
    refuse_picture_name,
    refuse_typed,
    refuse_unused,
    resolve_gpu_lane,
    typed_path,
)
from splitsched.io import InputError
from splitsched.problem import MAX_TIME_US, counted


def say(text: str, **kwargs: Any) -> None:
    """One plain line on stdout (no highlighting, never wrapped)."""
    out.print(text, highlight=False, soft_wrap=True, **kwargs)


def _list(device: str | None) -> None:
    from splitsched.profiles import list_devices, load_device

    devices = list_devices()
    if device is not None:
        load_device(device)  # unknown device -> InputError listing the known ones
        devices = [device]
    table = Table(title="derived device profiles (us; best = min over k of a+h+b)")
    table.add_column("device (SoC)", no_wrap=True)
    table.add_column("network", no_wrap=True)
    for label in ("GPU-only", "CPU-only", "best", "cut k/L"):
        table.add_column(label, justify="right", no_wrap=True)
    for name in devices:
        prof = load_device(name)
        for i, net in enumerate(prof.networks.values()):
            st = net.stages
            table.add_row(f"{name} ({prof.soc})" if i == 0 else "", net.name,
                          str(int(st.a[-1])), str(int(st.b[0])), str(st.best_latency),
                          f"{st.best_cut}/{net.num_layers}")
    out.print(table)


_TORCH_ONLY = {"backend": "--backend", "device": "--device", "models": "--models",
               "threads": "--threads", "repeats": "--repeats", "warmup": "--warmup",
               "max_cuts": "--max-cuts", "input_shape": "--input-shape"}
"""``profile`` options that only a PyTorch measurement uses (parameter -> flag)."""
_LITERT_ONLY = {"handoff_us": "--handoff-us", "allow_no_delegate": "--allow-no-delegate",
                "allow_cpu_fallback": "--allow-cpu-fallback"}
"""``profile`` options that only ``--from-litert`` uses (parameter -> flag)."""


def profile_cmd(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("--output", "-o", help="profile JSON to write",
                                                      parser=typed_path, metavar="<path>")],
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
        "--from-litert", metavar="<path> <path>",
        help="FILE_CPU FILE_GPU: benchmark_model op-profiling output "
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
    if from_csv is not None and from_litert is not None:
        raise InputError(None, "--from-csv", "give --from-csv or --from-litert, not both")
    # Numbers first, before any file is read or PyTorch is looked for.
    int_in(handoff_us, "--handoff-us", 0, MAX_TIME_US)
    int_in(threads, "--threads", 1, MAX_THREADS)
    int_in(repeats, "--repeats", 1, MAX_REPEATS)
    int_in(warmup, "--warmup", 0, MAX_REPEATS)
    int_in(max_cuts, "--max-cuts", 1, sys.maxsize)
    printable_name(name, "--name")  # written into the profile, whose reader checks it
    printable_name(model_name, "--model-name")
    # An option the chosen source does not use is refused, not silently ignored.
    if from_csv is not None:
        refuse_unused(ctx, {**_TORCH_ONLY, **_LITERT_ONLY}, "--from-csv reads every time "
                      "(hand-offs included) from the CSV file; nothing is measured")
    elif from_litert is not None:
        refuse_unused(ctx, _TORCH_ONLY, "--from-litert reads the times from the two "
                      "benchmark_model files; nothing is measured here")
    else:
        refuse_unused(ctx, _LITERT_ONLY, "it applies to --from-litert only (a PyTorch "
                      "measurement times the hand-offs itself)")
        refuse_unused(ctx, {"model_name": "--model-name"}, "it names the network of "
                      "--from-litert or --from-csv; a PyTorch measurement names its networks "
                      "by --models")
    refuse_picture_name(output, "--output", "the profile")
    check_output(output, "--output", inputs=[from_csv, *(from_litert or ())])
    with created_folders((output, "--output")):
        _profile(output, backend, device, models, threads, repeats, warmup, max_cuts,
                 input_shape, name, from_litert, model_name, handoff_us, allow_no_delegate,
                 allow_cpu_fallback, from_csv)


def _profile(output: Path, backend: str, device: str, models: str, threads: int | None,
             repeats: int, warmup: int, max_cuts: int, input_shape: str, name: str | None,
             from_litert: tuple[Path, Path] | None, model_name: str | None, handoff_us: int,
             allow_no_delegate: bool, allow_cpu_fallback: bool, from_csv: Path | None) -> None:
    """``profile`` after its numbers are checked: CSV, LiteRT or a PyTorch measurement."""
    from splitsched.io import atomic_write_text, dumps, profile_to_dict

    if from_csv is not None:
        from splitsched.profiles.tabular import read_table_csv

        nets = read_table_csv(from_csv, name=model_name)
        atomic_write_text(output, dumps(profile_to_dict(
            name or "csv-device", "", nets, {"source": "tool-neutral CSV",
                                             "file": str(from_csv)})))
        for n in nets:
            say(f"{n.name}: {n.num_layers} layer(s), GPU-only {int(n.stages.a[-1])} us, "
                      f"CPU-only {int(n.stages.b[0])} us")
        say(f"profile written to {output}")
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
            say(f"note: {net.provenance['note']}", markup=False)
        atomic_write_text(output, dumps(profile_to_dict(name or "litert-device", "", [net],
                                                        prov)))
        say(f"{net.name}: {net.num_layers} layer(s), GPU-only {int(net.stages.a[-1])} us, "
                  f"CPU-only {int(net.stages.b[0])} us; profile written to {output}")
        return
    choice(backend, ("torch",), "--backend")
    need_torch()
    from splitsched.replay.torch_models import emulation_note
    from splitsched.replay.torch_profile import profile_to_file

    if device not in ("cpu", "cuda", "mps"):
        raise InputError(None, "--device", f"unknown device {device!r}; choose cpu, cuda or mps")
    dev = resolve_gpu_lane(device)
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
        say(note)
    try:
        profile_to_file(names, str(output), gpu_device=dev, threads=threads, input_shape=shape,
                        max_layers=max_cuts, warmup=warmup, repeats=repeats, name=name,
                        progress=say)
    except KeyError as exc:
        raise InputError(None, "--models", str(exc.args[0])) from None
    say(f"profile written to {output}")


def register_profiles(app: typer.Typer) -> None:
    """Add the ``profiles`` sub-app (bare: list; ``import``: regenerate)."""
    sub = typer.Typer(invoke_without_command=True, no_args_is_help=False,
                      help="Derived phone profiles: list them, or re-import the raw data.")

    @sub.callback()
    def profiles_cmd(
        ctx: typer.Context,
        device: Annotated[str | None, typer.Option("--device", help="only this device")] = None,
    ) -> None:
        """List devices and networks: GPU-only a(L), CPU-only b(0), best cut."""
        if ctx.invoked_subcommand is None:
            _list(device)

    @sub.command("import")
    def import_cmd(
        raw: Annotated[Path | None, typer.Option("--raw", help="phone-profiles folder")] = None,
        out_dir: Annotated[Path | None, typer.Option("--out", help="output folder (default: "
                                                     "$SPLITSCHED_PROFILES, else the shipped "
                                                     "profiles, from a source checkout only)",
                                                     parser=typed_path, metavar="<path>")
                           ] = None,
        cpu_threads: Annotated[int, typer.Option("--cpu-threads",
                                                 help="big-core threads: 1, 2 or 4")] = 4,
        max_cuts: Annotated[int, typer.Option("--max-cuts",
                                              help="most segments per network")] = 24,
        prune: Annotated[bool, typer.Option(
            "--prune", help="remove the device files of an earlier import that the raw "
                            "data no longer yields (default: list them)")] = False,
    ) -> None:
        """Regenerate <out>/<device>.json from the raw HOPE measurements; list every skip.
        Device files of an earlier import that the raw data no longer yields are listed
        (removed with --prune)."""
        from splitsched.profiles.hope import import_profiles
        from splitsched.profiles.raw import default_raw_dir

        if out_dir is not None:
            refuse_typed(out_dir, "--out", folder=True)
        if cpu_threads not in (1, 2, 4):
            raise InputError(None, "--cpu-threads", f"must be 1, 2 or 4, got {cpu_threads}")
        int_in(max_cuts, "--max-cuts", 1, sys.maxsize)
        raw_dir = raw if raw is not None else default_raw_dir()
        if not raw_dir.is_dir():
            what = ("a file, not a folder" if raw_dir.exists() else "no such folder")
            raise InputError(raw_dir, "--raw", f"{what}; give the folder of the raw "
                                               "phone-profiles data")
        with err.status("importing") as status:
            def progress(label: str) -> None:
                status.update(f"importing {label}")
                if label.startswith(("wrote ", "removed ")):
                    err.print(label, highlight=False)

            with created_folders((None if out_dir is None else out_dir / "_", "--out")):
                report = import_profiles(raw_dir, out_dir, cpu_threads=cpu_threads,
                                         max_cuts=max_cuts, progress=progress, prune=prune)
        for n in report.notes:
            err.print(f"note: {n['source']}/{n['model']}/{n['device']}: {n['note']}",
                      highlight=False, markup=False, soft_wrap=True)
        for s in report.skipped():
            err.print(f"skipped {s['source']}/{s['model']}/{s['device']}: {s['reason']}",
                      highlight=False, markup=False, soft_wrap=True)
        if not prune:
            for path in report.stale:
                err.print(f"stale {path}: written by an earlier import, the raw data no "
                          "longer yields this device; still listed by `splitsched profiles` "
                          "and used by `generate --device` (--prune removes it)",
                          highlight=False, markup=False, soft_wrap=True)
        removed = (f", {counted(len(report.removed), 'device profile')} of an earlier import "
                   "removed "
                   "(the raw data no longer yields them)" if report.removed else
                   f", {counted(len(report.stale), 'device profile')} of an earlier import left "
                   "(stale: --prune removes them)" if report.stale else "")
        out.print(f"{counted(len(report.written), 'device profile')} written, "
                  f"{counted(len(report.skipped()), '(model, device) folder')} skipped{removed}",
                  highlight=False)

    app.add_typer(sub, name="profiles")


def register_profile(app: typer.Typer) -> None:
    """Add ``profile`` (measure a device profile)."""
    app.command("profile")(profile_cmd)
