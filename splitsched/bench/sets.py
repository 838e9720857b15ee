"""Instance sets: ``--set NAME`` (the shipped ``splitsched/data/sets/NAME``) or ``--set DIR``.

A set directory holds instance JSON files and, optionally, ``manifest.json``
(per instance: file, id, params, sha256). With a manifest the sweep runs
exactly its entries, in its order, and takes generator parameters from it;
without one it runs every ``*.json`` file of the directory, sorted by name.
A directory with neither, whose subdirectories are sets (a library such as
``splitsched/data/sets/v2``), stands for all of them, in name order: ``--set v2``
runs the whole v2 library.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitsched.io import InputError, instance_sha256, instance_to_dict, read_instance, read_json
from splitsched.problem import Instance
from splitsched.sets import SETS_DIR

MANIFEST = "manifest.json"
RUN_DIR_FILES = ("runs.jsonl", "sweep.json", "online.json")
"""What a run directory holds (``splitsched.bench.records.RUNS_FILE``,
``splitsched.bench.sweep.SWEEP_FILE``, ``splitsched.online.sweep.CONFIG_FILE``), never a
set: a folder holding one of them given as ``--set`` is refused."""


@dataclass(frozen=True)
class SetEntry:
    """One instance of a set, with its provenance."""

    file: Path
    instance: Instance
    sha256: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.instance.id


def resolve_set(name_or_dir: str) -> Path:
    """Turn ``--set`` into a directory: an existing directory, else a named set."""
    p = Path(name_or_dir)
    if p.is_dir():
        return p
    named = SETS_DIR / name_or_dir
    if named.is_dir():
        return named
    known = sorted(str(m.parent.relative_to(SETS_DIR)) for m in SETS_DIR.rglob(MANIFEST))
    libraries = sorted({k.split("/", 1)[0] for k in known if "/" in k})
    whole = f"; whole libraries: {', '.join(libraries)}" if libraries else ""
    what = (f"{name_or_dir!r} is a file, not a folder of instance files (a set), and no "
            f"named set has that name" if p.exists() else
            f"no directory {name_or_dir!r} and no named set of that name")
    raise InputError(None, "set_ref", f"{what} (known sets: {', '.join(known) or 'none'}"
                                      f"{whole})")


def params_of(instance: Instance) -> dict[str, Any]:
    """Generator parameters from an instance's provenance (``generate_instance`` writes them
    under ``generator``); empty for instances made otherwise."""
    gen = instance.provenance.get("generator")
    return dict(gen) if isinstance(gen, dict) else {}


def load_set(directory: str | Path) -> list[SetEntry]:
    """Read every instance of a set directory (validated).

    Raises
    ------
    InputError
        Empty set, malformed instance or manifest, a manifest entry whose file
        is missing, or whose sha256 matches neither the instance's canonical
        hash nor the file's bytes (the file changed since the set was made);
        a run directory (:data:`RUN_DIR_FILES`) given as a set; two files with
        one instance id (naming both); beside a manifest, a ``*.json`` file it does
        not list.
    """
    d = Path(directory)
    manifest = d / MANIFEST
    if not manifest.exists():
        markers = [name for name in RUN_DIR_FILES if (d / name).exists()]
        if markers:
            raise InputError(d, "(set)", f"a run directory (holds {' and '.join(markers)}), "
                             "not a set; --set expects a set name or a folder of instance "
                             "JSON files")
    entries: list[SetEntry] = []
    subsets = sorted(p.parent for p in d.glob(f"*/{MANIFEST}"))
    if not manifest.exists() and subsets and not any(d.glob("*.json")):
        for sub in subsets:
            entries += load_set(sub)
        _check_unique_ids(entries)
        return entries
    if manifest.exists():
        data = read_json(manifest)
        items = data.get("instances") if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise InputError(manifest, "instances", "expected a list of instance entries")
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not isinstance(item.get("file"), str):
                raise InputError(manifest, f"instances[{i}].file", "missing file name")
            path = d / item["file"]
            inst = read_instance(path)
            sha = instance_sha256(inst)
            claimed = item.get("sha256")
            if claimed and claimed not in (sha, hashlib.sha256(path.read_bytes()).hexdigest()):
                raise InputError(manifest, f"instances[{i}].sha256",
                                 f"does not match {item['file']} (file changed after the set "
                                 "was generated)")
            params = item.get("params")
            entries.append(SetEntry(path, inst, sha,
                                    dict(params) if isinstance(params, dict)
                                    else params_of(inst)))
        listed = {e.file.name for e in entries}
        unlisted = sorted(p.name for p in d.glob("*.json")
                          if p.name != MANIFEST and p.name not in listed)
        if unlisted:  # a file added beside a manifest was once skipped in silence
            more = f" (and {len(unlisted) - 1} more)" if len(unlisted) > 1 else ""
            raise InputError(d / unlisted[0], "(set)", f"not listed in {MANIFEST}{more}: a "
                             "set with a manifest is the files it lists; add it there, or "
                             "move it to a folder of its own")
    else:
        for path in sorted(d.glob("*.json")):
            inst = read_instance(path)
            entries.append(SetEntry(path, inst, instance_sha256(inst), params_of(inst)))
    if not entries:
        raise InputError(d, "(set)", "no instance files in this set")
    _check_unique_ids(entries)
    return entries


def _check_unique_ids(entries: list[SetEntry]) -> None:
    """Refuse two entries with one instance id: records are keyed by the id."""
    seen: dict[str, Path] = {}
    for e in entries:
        if e.id in seen:
            if seen[e.id] == e.file:  # the same file twice would run every run twice
                raise InputError(e.file, "id", f"instance id {e.id!r}: this file is in the "
                                 "sweep twice (is a set named twice in --set?)")
            raise InputError(e.file, "id", f"instance id {e.id!r} is also the id of "
                             f"{seen[e.id]}: two instance files with one id (records are "
                             "kept by instance id); give one of them another id")
        seen[e.id] = e.file


def load_sets(refs: str) -> list[SetEntry]:
    """``--set`` with one or more comma-separated names or directories, in order."""
    entries: list[SetEntry] = []
    refs_list = [r.strip() for r in refs.split(",")]
    if "" in refs_list and any(refs_list):  # a stray comma: refused, as by the CLI
        raise InputError(None, "set_ref", f"empty name in {refs!r} (a stray comma?)")
    for ref in refs_list:
        if ref:
            entries += load_set(resolve_set(ref))
    if not entries:
        raise InputError(None, "set_ref", "no set given")
    _check_unique_ids(entries)
    return entries


def instance_payload(entry: SetEntry) -> dict[str, Any]:
    """The instance as JSON data, to ship to a worker."""
    return instance_to_dict(entry.instance)
