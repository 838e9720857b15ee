"""Named instance sets: one committed spec file, built with one command.

``sets.toml`` (package data: ``splitsched/data/sets.toml``, shipped in the
wheel) defines each set as a grid (scenarios x devices x job counts x loads x
seeds, with a model mix per device). ``build_set`` writes
``<root>/<name>/<instance-id>.json`` and a ``manifest.json`` listing file, id,
generator parameters and sha256 of each instance. The built sets ship too
(:data:`SETS_DIR`, ``splitsched/data/sets``); :func:`default_build_root`
writes there only from a source checkout. Building is resumable: an instance
whose file already has the expected hash is kept.

Libraries (versions)
--------------------
A set with ``library = "v2"`` belongs to the v2 library: its name must start
with ``v2/`` (so it is built under ``sets/v2/``), its instance ids
start with ``v2-`` (never the id of a v1 instance) and its manifest records
the library. A set's optional ``weights`` table (network -> integer weight)
gives priority classes (see :mod:`splitsched.generate`); a weighted network
absent from a device's mix is simply not drawn there, but each weighted
network must be in some device's mix. Sets without ``library`` are the
original v1 sets; nothing about them changed, so they rebuild byte for byte.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitsched.generate import GeneratorParams, generate_instance, weight_pairs
from splitsched.io import (
    InputError,
    atomic_write_text,
    dumps,
    instance_sha256,
    instance_to_dict,
    read_json,
    sha256_of,
)
from splitsched.paths import DATA_DIR, source_checkout
from splitsched.problem import shown_value
from splitsched.profiles.store import load_device

SPEC_FILE = DATA_DIR / "sets.toml"
"""The shipped set spec (package data)."""
SETS_DIR = DATA_DIR / "sets"
"""The shipped built sets (package data): ``--set NAME`` reads ``SETS_DIR / NAME``."""


def default_build_root() -> Path:
    """Where ``splitsched sets build`` writes without ``--out``: :data:`SETS_DIR`, the source
    tree's ``splitsched/data/sets``, when running from a checkout.

    Raises
    ------
    InputError
        (field ``out_root``) when the package is installed: nothing is written into
        ``site-packages``; the caller must name a folder.
    """
    if source_checkout() is None:
        raise InputError(None, "out_root", "splitsched is installed, not run from a source "
                         f"checkout, so sets are not written into the package ({SETS_DIR}); "
                         "name an output folder")
    return SETS_DIR


_LIBRARY = re.compile(r"v[0-9]+")


@dataclass(frozen=True)
class SetSpec:
    """One named set: its grid of generator parameters, and its library (None for v1)."""

    name: str
    description: str
    grid: tuple[GeneratorParams, ...]
    library: str | None = None

    def instance_id(self, params: GeneratorParams) -> str:
        """The id an instance of this set gets: the generator's, prefixed by the library."""
        return f"{self.library}-{params.instance_id()}" if self.library else params.instance_id()


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _weights(name: str, body: dict[str, Any], path: Path) -> dict[str, int]:
    raw = body.get("weights", {})
    if not isinstance(raw, dict):
        raise InputError(path, f"sets.{name}.weights", "expected a table network = weight")
    for model, w in raw.items():
        if isinstance(w, bool) or not isinstance(w, int) or w < 1:
            raise InputError(path, f"sets.{name}.weights.{model}",
                             f"weight must be an integer >= 1, got {shown_value(w)}")
    return dict(raw)


def _grid(name: str, body: dict[str, Any], path: Path) -> tuple[GeneratorParams, ...]:
    models = body.get("models")
    weights = _weights(name, body, path)
    used: set[str] = set()
    out = []
    try:
        for scenario in _as_list(body["scenario"]):
            for device in _as_list(body["devices"]):
                mix = models.get(device) if isinstance(models, dict) else models
                if not mix:
                    raise InputError(path, f"sets.{name}.models", f"no model mix for {device!r}")
                mine = weight_pairs({m: w for m, w in weights.items() if m in mix})
                used.update(m for m, _ in mine)
                for n in _as_list(body["jobs"]):
                    for load in _as_list(body.get("load", 1.0)):
                        for seed in _as_list(body.get("seeds", [0])):
                            out.append(GeneratorParams(
                                scenario=scenario, device=device, models=tuple(mix), jobs=int(n),
                                load=float(load), slack=body.get("slack"), seed=int(seed),
                                weights=mine))
    except KeyError as exc:
        raise InputError(path, f"sets.{name}.{exc.args[0]}", "required field missing") from None
    unused = sorted(set(weights) - used)
    if unused:
        raise InputError(path, f"sets.{name}.weights.{unused[0]}",
                         "network is in no device's model mix of this set")
    return tuple(out)


def _library(name: str, body: dict[str, Any], path: Path) -> str | None:
    lib = body.get("library")
    if lib is None:
        if "/" in name:
            raise InputError(path, f"sets.{name}", "a name with '/' needs library = \"vN\"")
        return None
    if not isinstance(lib, str) or not _LIBRARY.fullmatch(lib):
        raise InputError(path, f"sets.{name}.library", f"expected 'v' and a number, got {lib!r}")
    if not name.startswith(f"{lib}/") or "/" in name[len(lib) + 1:] or name == f"{lib}/":
        raise InputError(path, f"sets.{name}", f"a set of library {lib} is named {lib}/NAME")
    return lib


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
                              grid=_grid(name, body, path), library=_library(name, body, path))
    return specs


def library_sets(library: str, specs: dict[str, SetSpec] | None = None) -> list[SetSpec]:
    """The sets of one library (e.g. ``"v2"``), in spec-file order; ``"v1"`` means the sets
    without a library key."""
    specs = load_specs() if specs is None else specs
    want = None if library == "v1" else library
    return [s for s in specs.values() if s.library == want]


def iter_set_files(directory: Path) -> Iterator[Path]:
    """Instance files of a built set (or any directory of instance JSON)."""
    yield from sorted(p for p in directory.glob("*.json") if p.name != "manifest.json")


def build_set(spec: SetSpec, out_root: Path = SETS_DIR,
              progress: Callable[[str], None] | None = None) -> Path:
    """Generate every instance of a set and write its manifest; returns the set directory.

    Raises
    ------
    InputError
        (field ``out_root``) when ``out_root`` exists and is not a directory.
    """
    if out_root.exists() and not out_root.is_dir():
        raise InputError(out_root, "out_root", "not a directory")
    target = out_root / spec.name
    target.mkdir(parents=True, exist_ok=True)
    entries = []
    for params in spec.grid:
        profile = load_device(params.device)
        inst = generate_instance(params, profile.networks,
                                 provenance={"profile": profile.device, "soc": profile.soc,
                                             "set": spec.name})
        if spec.library:
            inst = dataclasses.replace(inst, id=spec.instance_id(params))
        data = instance_to_dict(inst)
        digest = sha256_of(data)
        file = target / f"{inst.id}.json"
        if not (file.exists() and _sha_of_file(file) == digest):
            atomic_write_text(file, dumps(data))
        entries.append({"file": file.name, "id": inst.id, "params": params.as_dict(),
                        "sha256": digest, "jobs": inst.num_jobs})
        if progress:
            progress(inst.id)
    manifest: dict[str, Any] = {"set": spec.name, "description": spec.description,
                                "instances": entries}
    if spec.library:  # v1 manifests keep their bytes
        manifest["library"] = spec.library
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
