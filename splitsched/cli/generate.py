"""Instance commands: ``generate`` (one instance) and ``sets`` (the named sets)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from splitsched.cli.console import err, out
from splitsched.cli.options import (
    MAX_JOBS,
    check_output,
    created_folders,
    int_in,
    refuse_picture_name,
    refuse_typed,
    said_when_interrupted,
    split_names,
    typed_path,
)
from splitsched.io import InputError
from splitsched.problem import counted


def _networks_from(device: str | None, profile: Path | None) -> tuple[str, dict, dict]:
    """The device name, its networks by name and the provenance to record.

    ``--device`` and ``--profile`` together must name the same device (the
    profile file's ``device`` field); the networks then come from the file.
    """
    from splitsched.io import profile_networks, read_profile
    from splitsched.profiles import load_device

    if profile is not None:
        m = read_profile(profile)
        if device is not None and device != m.device:
            raise InputError(None, "--device", f"{device!r} is not the device of --profile "
                             f"{profile} ({m.device!r}); give one of them, or both naming "
                             "the same device")
        nets = {n.name: n for n in profile_networks(m)}
        return m.device, nets, {"profile": str(profile), "soc": m.soc}
    if device is None:
        raise InputError(None, "--device", "give --device NAME or --profile FILE.json")
    p = load_device(device)
    return p.device, p.networks, {"profile": p.device, "soc": p.soc}


def generate_cmd(
    scenario: Annotated[str, typer.Option(help="batch | periodic | poisson")] = "batch",
    device: Annotated[str | None, typer.Option(help="device profile name "
                                               "(see `splitsched profiles`)")] = None,
    profile: Annotated[Path | None, typer.Option(help="a profile JSON file instead of "
                                                 "--device (with --device too, both must "
                                                 "name the same device, else refused)")] = None,
    models: Annotated[str | None, typer.Option(help="comma-separated network names, each "
                                               "once (default: all of the device); a mix "
                                               "other than all in name order adds -mHASH to "
                                               "the id")] = None,
    jobs: Annotated[int, typer.Option(help="number of jobs")] = 10,
    load: Annotated[float, typer.Option(help="offered load (best-latency work per unit "
                                        "time)")] = 1.0,
    slack: Annotated[float | None, typer.Option(help="deadline slack factor (>= 1; batch and "
                                                "poisson only; slack x best latency must stay "
                                                "within 2**40 us); adds -kSLACK to the "
                                                "id")] = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 0,
    weights: Annotated[str | None, typer.Option(help="job weights by network, e.g. "
                                                "acl-mobilenet=3 (others weigh 1; each network "
                                                "once); adds -cHASH-w to the id")] = None,
    output: Annotated[Path, typer.Option("--output", "-o", help="instance JSON to write",
                                                      parser=typed_path, metavar="<path>")] = Path(
        "instance.json"),
) -> None:
    """Generate one instance from a device profile (seeded, deterministic).

    The id is SCENARIO-DEVICE-nJOBS-lLOAD-sSEED, plus -kSLACK, -mHASH (models) and
    -cHASH-w (weights) when those are given, so different instances get different ids.
    Every release and deadline stays within 2**40 us; parameters that would pass it
    are refused naming --slack or --load.
    """
    # Ctrl-C or SIGTERM: one line saying what was written (the write is atomic).
    with said_when_interrupted((output, "--output")):
        from splitsched.generate import (
            GeneratorParams,
            generate_instance,
            load_note,
            weight_pairs,
        )
        from splitsched.io import write_instance

        int_in(jobs, "--jobs", 1, MAX_JOBS)
        refuse_picture_name(output, "--output", "the instance")
        check_output(output, "--output", inputs=[profile])
        dev, nets, prov = _networks_from(device, profile)
        mix = (tuple(sorted(nets)) if models is None
               else split_names(models, "--models", "every network of the device"))
        params = GeneratorParams(scenario=scenario, device=dev, models=mix, jobs=jobs, load=load,
                                 slack=slack, seed=seed, weights=weight_pairs(_weights(weights)))
        with _progress(jobs) as bar:
            making = bar.add_task("generating jobs", total=jobs, amount=f"0/{jobs} jobs")
            inst = generate_instance(params, nets, provenance=prov, distinct_id=True,
                                     progress=lambda k: bar.update(making, completed=k,
                                                                   amount=f"{k}/{jobs} jobs"))
            writing = bar.add_task(f"writing {output}", total=None, amount="0.0 MB")
            with created_folders((output, "--output")):  # atomic: the whole file or none
                write_instance(inst, output, progress=lambda c: bar.update(
                    writing, completed=c, amount=f"{c / 1e6:.1f} MB"))
        out.print(f"wrote {output}: {inst.id} ({counted(inst.num_jobs, 'job')}, "
                  f"{counted(len(inst.networks), 'network')})", highlight=False)
        note = load_note(inst)
        if note:
            err.print(f"note: {note}", highlight=False)


PROGRESS_MIN_JOBS = 20_000
"""``generate --jobs`` from which a progress display is shown (on a terminal): about a
second of work on a laptop; fewer jobs are done before a display would be read."""


def _progress(jobs: int) -> Progress:
    """The display of a long ``generate``, in the style of ``bench``'s (on stderr, gone
    when done): jobs built, then the output written (MB, its size unknown until the end).
    Shown only on a terminal and from :data:`PROGRESS_MIN_JOBS` jobs on."""
    return Progress(TextColumn("[bold]generate[/bold] {task.description}"), BarColumn(),
                    TextColumn("{task.fields[amount]}"), TimeElapsedColumn(),
                    TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=True,
                    disable=not err.is_terminal or jobs < PROGRESS_MIN_JOBS)


def _weights(text: str | None) -> dict[str, int]:
    """``a=3,b=2`` -> ``{"a": 3, "b": 2}``; refused with the option named when malformed,
    empty or naming a network twice (``a=2,a=3``)."""
    out: dict[str, int] = {}
    if text is None:
        return out
    for item in split_names(text, "--weights", "weight 1 everywhere"):
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise InputError(None, "--weights", f"expected NETWORK=WEIGHT, got {item!r}")
        if not value.strip().isdigit():
            raise InputError(None, "--weights", f"{name.strip()!r}: the weight must be a "
                             f"whole number >= 1 (a priority class), got {value.strip()!r}")
        if name.strip() in out:
            raise InputError(None, "--weights", f"{name.strip()!r} given more than once "
                             f"in {text!r}")
        out[name.strip()] = int(value)
    return out


sets_app = typer.Typer(help="Named instance sets defined in the shipped sets.toml "
                            "(splitsched/data/sets.toml).",
                       no_args_is_help=True)


@sets_app.command("list")
def sets_list() -> None:
    """List the named sets, their size and whether they are built (shipped with the package)."""
    from splitsched.sets import SETS_DIR, load_specs

    table = Table("set", "instances", "built", "description")
    for name, spec in load_specs().items():
        built = (SETS_DIR / name / "manifest.json").exists()
        table.add_row(name, str(len(spec.grid)), "yes" if built else "no", spec.description)
    out.print(table)


@sets_app.command("build")
def sets_build(
    names: Annotated[list[str] | None, typer.Argument(help="sets to build (default: all)")] = None,
    out_dir: Annotated[Path | None, typer.Option("--out", "-o", help="root folder for the sets "
                                                 "(default, from a source checkout only: "
                                                 "splitsched/data/sets; an installed package "
                                                 "needs --out)", parser=typed_path,
                                                 metavar="<path>")] = None,
) -> None:
    """Generate the named sets with their manifests (resumable).

    From a source checkout they go to splitsched/data/sets (the shipped sets);
    an installed package is never written into, so there --out DIR is required.
    """
    from splitsched.sets import build_set, default_build_root, library_sets, load_specs

    if out_dir is not None:
        refuse_typed(out_dir, "--out", folder=True)
    specs = load_specs()
    root = out_dir if out_dir is not None else default_build_root()
    libraries = sorted({"v1"} | {s.library for s in specs.values() if s.library})
    chosen: list[str] = []
    for name in names or list(specs):
        if name in specs:
            picked = [name]
        elif name in libraries:  # a library stands for its sets, as `bench --set v2` reads it
            picked = [s.name for s in library_sets(name, specs)]
        else:
            raise InputError(None, "set", f"unknown set {name!r}; known: {', '.join(specs)}; "
                             f"libraries: {', '.join(libraries)}")
        chosen += [n for n in picked if n not in chosen]
    total = sum(len(specs[n].grid) for n in chosen)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with created_folders((root / "_", "--out")), \
            Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("building sets", total=total)
        for name in chosen:
            path = build_set(specs[name], root,
                             progress=lambda _id: bar.advance(task))
            out.print(f"built {name}: {counted(len(specs[name].grid), 'instance')} in {path}",
                      highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``generate`` and the ``sets`` sub-app."""
    app.command("generate")(generate_cmd)
    app.add_typer(sets_app, name="sets")
