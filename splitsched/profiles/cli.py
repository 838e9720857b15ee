"""``splitsched profiles``: list the derived device profiles, or regenerate them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from splitsched.console import err, out
from splitsched.io import InputError


def _list(device: str | None) -> None:
    from splitsched.profiles.store import list_devices, load_device

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


def register(app: typer.Typer) -> None:
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
        out_dir: Annotated[Path | None, typer.Option("--out", help="output folder")] = None,
        cpu_threads: Annotated[int, typer.Option("--cpu-threads",
                                                 help="big-core threads: 1, 2 or 4")] = 4,
        max_cuts: Annotated[int, typer.Option("--max-cuts",
                                              help="most segments per network")] = 24,
    ) -> None:
        """Regenerate <out>/<device>.json from the raw HOPE measurements; list every skip."""
        from splitsched.profiles.hope import import_profiles
        from splitsched.profiles.raw import default_raw_dir

        if cpu_threads not in (1, 2, 4):
            raise InputError(None, "--cpu-threads", f"must be 1, 2 or 4, got {cpu_threads}")
        if max_cuts < 1:
            raise InputError(None, "--max-cuts", f"must be >= 1, got {max_cuts}")
        raw_dir = raw if raw is not None else default_raw_dir()
        if not raw_dir.is_dir():
            raise InputError(raw_dir, "--raw", "no such folder (the raw phone-profiles data)")
        with err.status("importing") as status:
            def progress(label: str) -> None:
                status.update(f"importing {label}")
                if label.startswith("wrote "):
                    err.print(label, highlight=False)

            report = import_profiles(raw_dir, out_dir, cpu_threads=cpu_threads,
                                     max_cuts=max_cuts, progress=progress)
        for s in report.skipped():
            err.print(f"skipped {s['source']}/{s['model']}/{s['device']}: {s['reason']}",
                      highlight=False, markup=False, soft_wrap=True)
        out.print(f"{len(report.written)} device profiles written, "
                  f"{len(report.skipped())} (model, device) folders skipped", highlight=False)

    app.add_typer(sub, name="profiles")
