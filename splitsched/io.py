"""JSON files: instances, schedules and device profiles, validated on read.

Every read goes through a pydantic model, so a malformed file is refused with
:class:`InputError` naming the file, the field path and the reason. Every
write is atomic (temporary file, fsync, rename): nothing is half-written.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from splitsched.problem import Instance, Job, JobPlan, Network, Schedule

INSTANCE_FORMAT = "splitsched-instance"
SCHEDULE_FORMAT = "splitsched-schedule"
PROFILE_FORMAT = "splitsched-profile"
FORMAT_VERSION = 1


class InputError(Exception):
    """Bad input: which file, which field, and why. The CLI exits with status 2."""

    def __init__(self, path: str | os.PathLike[str] | None, field: str, reason: str) -> None:
        self.path = str(path) if path is not None else ""  # "" for a command-line option
        self.field = field
        self.reason = reason
        where = f"{self.path}: " if self.path else ""
        super().__init__(f"{where}{field}: {reason}")


# --------------------------------------------------------------------------- models
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LayerModel(_Strict):
    name: str
    gpu_us: int = Field(ge=0)
    cpu_us: int = Field(ge=0)
    gpu_sd_us: float | None = Field(default=None, ge=0)
    cpu_sd_us: float | None = Field(default=None, ge=0)


class NetworkModel(_Strict):
    name: str = Field(min_length=1)
    layers: list[LayerModel] = Field(min_length=1)
    handoff_us: list[int]
    provenance: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_handoff(self) -> NetworkModel:
        n = len(self.layers)
        if len(self.handoff_us) != n + 1:
            raise ValueError(f"handoff_us needs L+1 = {n + 1} entries (one per cut), "
                             f"got {len(self.handoff_us)}")
        if any(v < 0 for v in self.handoff_us):
            raise ValueError("handoff_us entries must be >= 0")
        if self.handoff_us[0] != 0 or self.handoff_us[-1] != 0:
            raise ValueError("handoff_us[0] and handoff_us[L] must be 0 (no hand-off at k=0, L)")
        return self


class JobModel(_Strict):
    id: str = Field(min_length=1)
    network: str
    release: int = Field(ge=0)
    deadline: int = Field(ge=0)
    weight: int = Field(default=1, gt=0)

    @model_validator(mode="after")
    def _check_window(self) -> JobModel:
        if self.deadline < self.release:
            raise ValueError(f"deadline {self.deadline} is before release {self.release}")
        return self


class InstanceModel(_Strict):
    format: Literal["splitsched-instance"]
    version: Literal[1]
    id: str = Field(min_length=1)
    networks: list[NetworkModel] = Field(min_length=1)
    jobs: list[JobModel]
    provenance: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check_refs(self) -> InstanceModel:
        names = [n.name for n in self.networks]
        if len(set(names)) != len(names):
            raise ValueError("network names must be unique")
        ids = [j.id for j in self.jobs]
        if len(set(ids)) != len(ids):
            raise ValueError("job ids must be unique")
        for i, job in enumerate(self.jobs):
            if job.network not in names:
                raise ValueError(f"jobs[{i}].network: unknown network {job.network!r}")
        return self


class PlanModel(_Strict):
    job: str
    cut: int | None = Field(default=None, ge=0)
    gpu_start: int | None = Field(default=None, ge=0)
    cpu_start: int | None = Field(default=None, ge=0)


class ScheduleModel(_Strict):
    format: Literal["splitsched-schedule"]
    version: Literal[1]
    instance_id: str
    instance_sha256: str = ""
    solver: str
    plans: list[PlanModel]
    meta: dict[str, Any] = Field(default_factory=dict)


class ProfileModel(_Strict):
    format: Literal["splitsched-profile"]
    version: Literal[1]
    device: str = Field(min_length=1)
    soc: str = ""
    networks: list[NetworkModel] = Field(min_length=1)
    provenance: dict[str, Any] = Field(default_factory=dict)


# --------------------------------------------------------------------------- helpers
def _field_path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(root)"


def _validate(model: type[BaseModel], data: Any, path: str | os.PathLike[str] | None) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (and {len(exc.errors()) - 1} more errors)" if len(exc.errors()) > 1 else ""
        raise InputError(path, _field_path(tuple(err["loc"])), err["msg"] + more) from None


def read_json(path: str | os.PathLike[str]) -> Any:
    """Read a JSON file; a missing or unparsable file is an InputError."""
    p = Path(path)
    if not p.exists():
        raise InputError(p, "(file)", "no such file")
    if p.is_dir():
        raise InputError(p, "(file)", "is a directory, expected a JSON file")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(p, f"line {exc.lineno} column {exc.colno}",
                         f"not valid JSON: {exc.msg}") from None
    except UnicodeDecodeError:
        raise InputError(p, "(file)", "not UTF-8 text") from None


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write a file so that readers see either the old or the whole new content."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(data: Any) -> str:
    """Canonical JSON text: sorted keys, two-space indent, trailing newline."""
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def sha256_of(data: Any) -> str:
    """Hash of the canonical compact JSON of ``data``."""
    compact = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(compact.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- networks
def network_to_dict(net: Network) -> dict[str, Any]:
    layers: list[dict[str, Any]] = []
    for i, name in enumerate(net.layer_names):
        layer: dict[str, Any] = {"name": name, "gpu_us": int(net.gpu_us[i]),
                                 "cpu_us": int(net.cpu_us[i])}
        if net.gpu_sd_us:
            layer["gpu_sd_us"] = round(float(net.gpu_sd_us[i]), 3)
        if net.cpu_sd_us:
            layer["cpu_sd_us"] = round(float(net.cpu_sd_us[i]), 3)
        layers.append(layer)
    return {"name": net.name, "layers": layers,
            "handoff_us": [int(v) for v in net.handoff_us],
            "provenance": dict(net.provenance)}


def network_from_model(m: NetworkModel) -> Network:
    has_gpu_sd = all(layer.gpu_sd_us is not None for layer in m.layers)
    has_cpu_sd = all(layer.cpu_sd_us is not None for layer in m.layers)
    return Network(
        name=m.name,
        layer_names=tuple(layer.name for layer in m.layers),
        gpu_us=tuple(layer.gpu_us for layer in m.layers),
        cpu_us=tuple(layer.cpu_us for layer in m.layers),
        handoff_us=tuple(m.handoff_us),
        gpu_sd_us=tuple(float(layer.gpu_sd_us or 0.0) for layer in m.layers) if has_gpu_sd else (),
        cpu_sd_us=tuple(float(layer.cpu_sd_us or 0.0) for layer in m.layers) if has_cpu_sd else (),
        provenance=m.provenance,
    )


# --------------------------------------------------------------------------- instances
def instance_to_dict(inst: Instance) -> dict[str, Any]:
    return {
        "format": INSTANCE_FORMAT,
        "version": FORMAT_VERSION,
        "id": inst.id,
        "networks": [network_to_dict(n) for n in inst.networks],
        "jobs": [{"id": j.id, "network": j.network, "release": j.release,
                  "deadline": j.deadline, "weight": j.weight} for j in inst.jobs],
        "provenance": dict(inst.provenance),
    }


def instance_from_dict(data: Any, path: str | os.PathLike[str] | None = None) -> Instance:
    m: InstanceModel = _validate(InstanceModel, data, path)
    return Instance(
        id=m.id,
        networks=tuple(network_from_model(n) for n in m.networks),
        jobs=tuple(Job(id=j.id, network=j.network, release=j.release, deadline=j.deadline,
                       weight=j.weight) for j in m.jobs),
        provenance=m.provenance,
    )


def instance_sha256(inst: Instance) -> str:
    """SHA-256 (hex) of the instance's canonical JSON: what a schedule file records."""
    return sha256_of(instance_to_dict(inst))


def read_instance(path: str | os.PathLike[str]) -> Instance:
    """Read and validate an instance JSON file (format: ``splitsched schema instance``).

    Returns the frozen :class:`~splitsched.problem.Instance` (times in us).
    Raises :class:`InputError` naming the file, the field and the reason.
    """
    return instance_from_dict(read_json(path), path)


def write_instance(inst: Instance, path: str | os.PathLike[str]) -> None:
    """Write an instance as canonical JSON, atomically (parent folders are created)."""
    atomic_write_text(path, dumps(instance_to_dict(inst)))


# --------------------------------------------------------------------------- schedules
def schedule_to_dict(s: Schedule) -> dict[str, Any]:
    return {
        "format": SCHEDULE_FORMAT,
        "version": FORMAT_VERSION,
        "instance_id": s.instance_id,
        "instance_sha256": s.instance_sha256,
        "solver": s.solver,
        "plans": [{"job": p.job, "cut": p.cut, "gpu_start": p.gpu_start,
                   "cpu_start": p.cpu_start} for p in s.plans],
        "meta": dict(s.meta),
    }


def schedule_from_dict(data: Any, path: str | os.PathLike[str] | None = None) -> Schedule:
    m: ScheduleModel = _validate(ScheduleModel, data, path)
    return Schedule(
        instance_id=m.instance_id,
        solver=m.solver,
        plans=tuple(JobPlan(job=p.job, cut=p.cut, gpu_start=p.gpu_start, cpu_start=p.cpu_start)
                    for p in m.plans),
        instance_sha256=m.instance_sha256,
        meta=m.meta,
    )


def read_schedule(path: str | os.PathLike[str]) -> Schedule:
    """Read and validate a schedule JSON file (format: ``splitsched schema schedule``).

    Checks the file's structure only; :func:`check_schedule_matches` checks it
    belongs to an instance and :func:`splitsched.evaluate.evaluate` checks the
    rules. Raises :class:`InputError` naming the file, the field and the reason.
    """
    return schedule_from_dict(read_json(path), path)


def write_schedule(s: Schedule, path: str | os.PathLike[str]) -> None:
    """Write a schedule as canonical JSON, atomically (parent folders are created)."""
    atomic_write_text(path, dumps(schedule_to_dict(s)))


def check_schedule_matches(inst: Instance, s: Schedule, path: str | os.PathLike[str]) -> None:
    """Refuse a schedule made for another instance (id or content hash differ)."""
    if s.instance_id != inst.id:
        raise InputError(path, "instance_id",
                         f"schedule is for instance {s.instance_id!r}, not {inst.id!r}")
    if s.instance_sha256 and s.instance_sha256 != instance_sha256(inst):
        raise InputError(path, "instance_sha256",
                         "schedule was made for a different version of this instance")


# --------------------------------------------------------------------------- profiles
def profile_to_dict(device: str, soc: str, networks: list[Network],
                    provenance: dict[str, Any]) -> dict[str, Any]:
    return {"format": PROFILE_FORMAT, "version": FORMAT_VERSION, "device": device, "soc": soc,
            "networks": [network_to_dict(n) for n in networks], "provenance": provenance}


def read_profile(path: str | os.PathLike[str]) -> ProfileModel:
    """Read a device profile file (validated); networks via :func:`profile_networks`."""
    m: ProfileModel = _validate(ProfileModel, read_json(path), path)
    return m


def profile_networks(m: ProfileModel) -> list[Network]:
    return [network_from_model(n) for n in m.networks]
