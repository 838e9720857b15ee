"""Named instance sets: one committed spec file, built with one command.

``instances/sets.toml`` defines each set as a grid (scenarios x devices x job
counts x seeds, with a model mix per device). ``build_set`` writes
``instances/sets/<name>/<instance-id>.json`` and a ``manifest.json`` listing
file, id, generator parameters and sha256 of each instance. Building is
resumable: an instance whose file already has the expected hash is kept.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitsched.generate import GeneratorParams, generate_instance
from splitsched.io import (
    InputError,
    atomic_write_text,
    dumps,
    instance_sha256,
    instance_to_dict,
    read_json,
    sha256_of,
)
from splitsched.paths import INSTANCES_DIR
from splitsched.profiles.store import load_device

SPEC_FILE = INSTANCES_DIR / "sets.toml"
SETS_DIR = INSTANCES_DIR / "sets"


@dataclass(frozen=True)
class SetSpec:
    name: str
    description: str
    grid: tuple[GeneratorParams, ...]


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _grid(name: str, body: dict[str, Any], path: Path) -> tuple[GeneratorParams, ...]:
    models = body.get("models")
    out = []
    try:
        for scenario in _as_list(body["scenario"]):
            for device in _as_list(body["devices"]):
                mix = models.get(device) if isinstance(models, dict) else models
                if not mix:
                    raise InputError(path, f"sets.{name}.models", f"no model mix for {device!r}")
                for n in _as_list(body["jobs"]):
                    for load in _as_list(body.get("load", 1.0)):
                        for seed in _as_list(body.get("seeds", [0])):
                            out.append(GeneratorParams(
                                scenario=scenario, device=device, models=tuple(mix), jobs=int(n),
                                load=float(load), slack=body.get("slack"), seed=int(seed)))
    except KeyError as exc:
        raise InputError(path, f"sets.{name}.{exc.args[0]}", "required field missing") from None
    return tuple(out)


def load_specs(path: Path = SPEC_FILE) -> dict[str, SetSpec]:
    """Read the set spec file."""
    if not path.exists():
        raise InputError(path, "(file)", "no such file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(path, "(file)", f"not valid TOML: {exc}") from None
    specs = {}
    for name, body in data.get("sets", {}).items():
        specs[name] = SetSpec(name=name, description=str(body.get("description", "")),
                              grid=_grid(name, body, path))
    return specs


def iter_set_files(directory: Path) -> Iterator[Path]:
    """Instance files of a built set (or any directory of instance JSON)."""
    yield from sorted(p for p in directory.glob("*.json") if p.name != "manifest.json")


def build_set(spec: SetSpec, out_root: Path = SETS_DIR,
              progress: Callable[[str], None] | None = None) -> Path:
    """Generate every instance of a set and write its manifest; returns the set directory."""
    target = out_root / spec.name
    target.mkdir(parents=True, exist_ok=True)
    entries = []
    for params in spec.grid:
        profile = load_device(params.device)
        inst = generate_instance(params, profile.networks,
                                 provenance={"profile": profile.device, "soc": profile.soc,
                                             "set": spec.name})
        data = instance_to_dict(inst)
        digest = sha256_of(data)
        file = target / f"{inst.id}.json"
        if not (file.exists() and _sha_of_file(file) == digest):
            atomic_write_text(file, dumps(data))
        entries.append({"file": file.name, "id": inst.id, "params": params.as_dict(),
                        "sha256": digest, "jobs": inst.num_jobs})
        if progress:
            progress(inst.id)
    manifest = {"set": spec.name, "description": spec.description, "instances": entries}
    atomic_write_text(target / "manifest.json", dumps(manifest))
    return target


def _sha_of_file(path: Path) -> str | None:
    try:
        return sha256_of(read_json(path))
    except InputError:
        return None


def verify_set(directory: Path) -> list[str]:
    """Compare a built set with its manifest; returns problems in words."""
    from splitsched.io import read_instance

    manifest = read_json(directory / "manifest.json")
    problems = []
    for entry in manifest["instances"]:
        f = directory / entry["file"]
        if not f.exists():
            problems.append(f"{f}: missing")
        elif instance_sha256(read_instance(f)) != entry["sha256"]:
            problems.append(f"{f}: sha256 differs from manifest")
    return problems
