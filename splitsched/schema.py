"""JSON Schemas of the file formats, generated from the models that validate them.

Five formats (``docs/formats.md`` explains every field):

``instance``
    An instance JSON file (:class:`splitsched.io.InstanceModel`).
``schedule``
    A schedule JSON file (:class:`splitsched.io.ScheduleModel`).
``profile``
    A device profile JSON file (:class:`splitsched.io.ProfileModel`).
``trace``
    One line of a replay trace, JSON lines (:class:`TraceHeaderLine` or
    :class:`TraceStageLine`, told apart by ``kind``); written by
    :func:`splitsched.replay.trace.write_trace`.
``record``
    One line of a bench or online sweep's ``runs.jsonl`` (:class:`RunRecord`);
    written by :func:`splitsched.bench.finalize.build_record` and
    :mod:`splitsched.online.records`.

The instance, schedule and profile schemas come from the very pydantic
models that :mod:`splitsched.io` reads those files with. The trace and
record models live here: the code that writes those files builds plain
dicts, and a test writes real files with it and validates them with these
models. The schemas are JSON Schema draft 2020-12 (pydantic's output, with
``$schema``, a title, and a description for every field added from
:data:`FIELD_DOCS`). Units: every ``*_us`` field and every time of a
schedule or trace is integer microseconds; ``*_s`` are seconds, ``*_mb``
mebibytes.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

FORMATS: tuple[str, ...] = ("instance", "schedule", "profile", "trace", "record")
DRAFT = "https://json-schema.org/draft/2020-12/schema"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- trace
class TraceHeaderLine(_Model):
    """The first line of each replay run in a trace file."""

    kind: Literal["header"]
    format: Literal["splitsched-trace"]
    version: Literal[2]
    instance_id: str
    instance_sha256: str
    schedule_sha256: str
    runs: int = Field(ge=1)
    stages: int = Field(ge=0)
    solver: str
    backend: str
    policy: str
    run: int = Field(ge=0)
    seed: int
    gpu_lane: str
    gpu_lane_note: str = ""
    info: dict[str, Any] = Field(default_factory=dict)


class TraceStageLine(_Model):
    """One executed stage of the run whose header precedes it."""

    kind: Literal["stage"]
    job: str
    processor: Literal["gpu", "cpu"]
    cut: int = Field(ge=0)
    planned_start: int
    planned_end: int
    actual_start: int
    actual_end: int
    ready: int
    handoff_start: int | None = None
    handoff_end: int | None = None


TraceLine = Annotated[TraceHeaderLine | TraceStageLine, Field(discriminator="kind")]


# --------------------------------------------------------------------------- record
class MachineFacts(_Model):
    """Where a run ran (:func:`splitsched.bench.machine.machine_facts`)."""

    cpu_model: str
    cores: int = Field(ge=1)
    cores_total: int = Field(ge=1)
    os: str
    hostname: str


RecordStatus = Literal["optimal", "feasible", "no_solution", "timeout", "error", "killed",
                       "crash", "memout"]


class RunRecord(_Model):
    """One finished run of a bench or online sweep: a line of ``runs.jsonl``."""

    schema_: Literal["splitsched-run"] = Field(alias="schema")
    version: Literal[1]
    finished_at: str
    set: str
    instance_id: str
    instance_sha256: str
    instance_file: str
    instance_copy: str
    instance_params: dict[str, Any]
    n_jobs: int = Field(ge=0)
    total_weight: int = Field(ge=0)
    load: float
    load_source: str
    solver: str
    solver_exact: bool | None
    seed: int
    time_limit_s: float
    threads: int = Field(ge=1)
    mem_limit_mb: int | None
    grace_s: float | None
    status: RecordStatus
    claimed_status: str
    error: str | None
    feasible: bool
    missed: int | None
    misses: int | None
    miss_rate: float | None
    weighted_miss_rate: float | None
    makespan: int | None
    bound: float | None
    runtime_s: float | None
    wall_s: float | None
    peak_rss_mb: float | None
    exit_code: int | None
    worker_missed: int | None
    worker_claim_mismatch: bool
    schedule_file: str | None
    violations: list[str]
    stats: dict[str, Any]
    log_tail: str
    versions: dict[str, str | None] | None = None
    machine: MachineFacts | None = None
    # online sweep records only (splitsched.bench.records.ONLINE_FIELDS)
    kind: Literal["offline", "online", "static"] | None = None
    policy: str | None = None
    run: int | None = Field(default=None, ge=0)
    replan_budget_ms: float | None = None
    noise_cv: float | None = Field(default=None, ge=0)
    use_measured_sd: bool | None = None
    offline_best: int | None = Field(default=None, ge=0)
    offline_proven: bool | None = None
    offline_source: str | None = None
    regret: int | None = None
    decisions: int | None = Field(default=None, ge=0)
    max_pending: int | None = Field(default=None, ge=0)
    latency_median_us: float | None = None
    latency_p99_us: float | None = None
    latency_max_us: float | None = None
    latency_us: list[float] | None = None
    cpu_latency_us: list[float] | None = None


# --------------------------------------------------------------------------- field docs
# Per model (its JSON Schema title), per property: what it means and its unit.
FIELD_DOCS: dict[str, dict[str, str]] = {
    "InstanceModel": {
        "_": "An instance: networks with per-layer times and the jobs to schedule.",
        "format": "Always \"splitsched-instance\".",
        "version": "Format version, 1.",
        "id": "Instance name, unique within a set; schedules refer to it.",
        "networks": "The networks the jobs run (self-contained: no profile needed).",
        "jobs": "The jobs, each running one network.",
        "provenance": "Where it comes from: device, scenario, seed, generator parameters.",
    },
    "NetworkModel": {
        "_": "A DNN as a chain of L layers in execution order.",
        "name": "Network name, unique in the file.",
        "layers": "The L layers (L >= 1), in execution order.",
        "handoff_us": "L+1 integers (us): hand-off lag h(k) of cut k; entries 0 and L are 0.",
        "provenance": "Source of the numbers (importer, files, reduction).",
    },
    "LayerModel": {
        "_": "One layer (or operator segment) and its measured times.",
        "name": "Layer name.",
        "gpu_us": "Time on the GPU, integer microseconds >= 0.",
        "cpu_us": "Time on the CPU, integer microseconds >= 0.",
        "gpu_sd_us": "Run-to-run standard deviation on the GPU (us), if measured.",
        "cpu_sd_us": "Run-to-run standard deviation on the CPU (us), if measured.",
    },
    "JobModel": {
        "_": "One inference request.",
        "id": "Job id, unique in the instance.",
        "network": "Name of the network it runs (one of networks[].name).",
        "release": "Release time r, integer us >= 0: no stage starts before it.",
        "deadline": "Absolute deadline d, integer us >= release.",
        "weight": "Weight w > 0 of a miss (default 1).",
    },
    "ScheduleModel": {
        "_": "A solver's answer for one instance: a plan per job.",
        "format": "Always \"splitsched-schedule\".",
        "version": "Format version, 1.",
        "instance_id": "The id of the instance it was made for.",
        "instance_sha256": "SHA-256 of the instance's canonical JSON; \"\" if unknown.",
        "solver": "Registered name of the solver that made it.",
        "plans": "One plan per job of the instance.",
        "meta": "Facts of the run: status, bound, runtime_s, time_limit_s, seed, threads.",
    },
    "PlanModel": {
        "_": "A job's decision: dropped (cut null) or a cut with stage start times.",
        "job": "Job id.",
        "cut": "Cut k in 0..L (layers 1..k on the GPU, k+1..L on the CPU); null: dropped.",
        "gpu_start": "Start of the GPU stage, integer us; set iff cut > 0.",
        "cpu_start": "Start of the CPU stage, integer us; set iff cut < L.",
    },
    "ProfileModel": {
        "_": "All networks measured on one device (one CPU setting).",
        "format": "Always \"splitsched-profile\".",
        "version": "Format version, 1.",
        "device": "Device name (file stem under splitsched/data/profiles).",
        "soc": "System-on-chip name, e.g. Kirin 990.",
        "networks": "The device's networks, as in an instance.",
        "provenance": "Source data, importer and reduction of the profile.",
    },
    "TraceHeaderLine": {
        "_": "Header line of one replay run; the stage lines that follow belong to it.",
        "kind": "Always \"header\".",
        "format": "Always \"splitsched-trace\".",
        "version": "Format version, 2 (version 1 traces carried no hashes and are refused).",
        "instance_id": "Instance replayed.",
        "instance_sha256": "sha256 of the replayed instance file's canonical JSON.",
        "schedule_sha256": "sha256 of the replayed schedule's canonical JSON.",
        "runs": "Number of runs in the whole file (a truncated file is refused).",
        "stages": "Number of stage lines that follow this header.",
        "solver": "Solver of the replayed schedule.",
        "backend": "\"sim\" (simulated with noise) or \"torch\" (real processors).",
        "policy": "Dispatch policy: \"order\" or \"time\".",
        "run": "Run index r >= 0 within the file.",
        "seed": "Seed of the run (noise draws use [seed, run]).",
        "gpu_lane": "What ran the GPU stages: \"simulated\", or a torch device (cuda, mps, cpu).",
        "gpu_lane_note": "Caveat about the GPU lane (e.g. emulated on the CPU).",
        "info": "Backend facts (torch version, threads, ...).",
    },
    "TraceStageLine": {
        "_": "One executed stage; all times integer us from the run's start.",
        "kind": "Always \"stage\".",
        "job": "Job id.",
        "processor": "\"gpu\" or \"cpu\".",
        "cut": "The job's cut k.",
        "planned_start": "Start in the schedule (us).",
        "planned_end": "End in the schedule (us).",
        "actual_start": "Start when replayed (us).",
        "actual_end": "End when replayed (us).",
        "ready": "When the stage could first start: release, or the hand-off's end (us).",
        "handoff_start": "Start of the hand-off before this CPU stage (us); null otherwise.",
        "handoff_end": "End of that hand-off (us); null otherwise.",
    },
    "MachineFacts": {
        "_": "The machine a run ran on.",
        "cpu_model": "CPU model name.",
        "cores": "Cores the worker may use (affinity).",
        "cores_total": "Cores of the host.",
        "os": "Operating system (platform string).",
        "hostname": "Host name.",
    },
    "RunRecord": {
        "_": "One finished run of a sweep (one line of runs.jsonl), re-evaluated.",
        "schema": "Always \"splitsched-run\".",
        "version": "Record version, 1.",
        "finished_at": "When the record was written, ISO 8601 UTC.",
        "set": "The --set argument of the sweep.",
        "instance_id": "Instance id.",
        "instance_sha256": "SHA-256 of the instance's canonical JSON.",
        "instance_file": "Instance file name in the set.",
        "instance_copy": "The run directory's copy of the instance (relative path).",
        "instance_params": "Generator parameters of the instance (from the set's manifest).",
        "n_jobs": "Number of jobs.",
        "total_weight": "Sum of job weights.",
        "load": "Offered load (generator parameter), or the horizon load if none.",
        "load_source": "\"params.load\" etc. (generator), or \"computed\" (horizon load).",
        "solver": "Solver name.",
        "solver_exact": "Whether the registry marks it exact; null if unknown to the writer.",
        "seed": "Seed passed to the solver.",
        "time_limit_s": "Time limit of the solve, seconds.",
        "threads": "Threads passed to the solver.",
        "mem_limit_mb": "Memory limit of the worker, MiB; null: none.",
        "grace_s": "Seconds past the limit before the worker is killed.",
        "status": "Final status: a solver status, or killed / crash / memout (harness).",
        "claimed_status": "The status the solver itself claimed.",
        "error": "What went wrong, or null.",
        "feasible": "Whether the stored schedule passed evaluate().",
        "missed": "Weighted misses of the schedule (as evaluated); null without one.",
        "misses": "Number of missed jobs (unweighted); null without a schedule.",
        "miss_rate": "misses / n_jobs.",
        "weighted_miss_rate": "missed / total_weight.",
        "makespan": "Latest stage end of the schedule, integer us.",
        "bound": "Checked lower bound on weighted misses, or null.",
        "runtime_s": "Seconds of the solve inside the worker (warm start included).",
        "wall_s": "Seconds from spawning the worker to its result.",
        "peak_rss_mb": "Peak resident memory of the worker, MiB.",
        "exit_code": "Worker process exit status (negative: killed by that signal).",
        "worker_missed": "The worker's own count of weighted misses (cross-check only).",
        "worker_claim_mismatch": "True if worker_missed differs from missed.",
        "schedule_file": "The stored schedule (relative path), or null.",
        "violations": "First 20 rule violations of the schedule (empty if feasible).",
        "stats": "Solver and harness statistics (backend status, nodes, warm start, ...).",
        "log_tail": "Last lines of the worker's output, for failed runs.",
        "versions": "Package versions: splitsched, solver back-ends, numpy, python.",
        "machine": "Machine facts of the worker.",
        "kind": "Online sweeps only: \"offline\" (the instance's clairvoyant best), "
                "\"online\" (a policy's run) or \"static\" (the offline schedule replayed "
                "under the run's drawn times). Absent in bench records.",
        "policy": "Online: the policy (also in solver); \"static\" for the replay.",
        "run": "Online: the noise draw r (durations from default_rng([seed, r])).",
        "replan_budget_ms": "Online: per-decision budget of replan:* policies, ms.",
        "noise_cv": "Online: stage-time noise (lognormal cv; 0 = none).",
        "use_measured_sd": "Online: whether the profile's per-layer sd was used.",
        "offline_best": "Online: fewest weighted misses of a clairvoyant schedule.",
        "offline_proven": "Online: whether offline_best is a proven optimum.",
        "offline_source": "Online: where offline_best comes from, in words.",
        "regret": "Online: missed minus offline_best (weighted misses).",
        "decisions": "Online: number of policy calls in the run.",
        "max_pending": "Online: most jobs pending at one decision.",
        "latency_median_us": "Online: median decision latency, wall clock, us.",
        "latency_p99_us": "Online: 99th percentile decision latency (linear), us.",
        "latency_max_us": "Online: largest decision latency, us.",
        "latency_us": "Online: every decision's wall-clock latency, us.",
        "cpu_latency_us": "Online: every decision's thread CPU time, us.",
    },
}


def _models() -> dict[str, Any]:
    from splitsched.io import InstanceModel, ProfileModel, ScheduleModel

    return {"instance": InstanceModel, "schedule": ScheduleModel, "profile": ProfileModel,
            "trace": TypeAdapter(TraceLine), "record": RunRecord}


def _check_format(name: str) -> None:
    if name not in FORMATS:
        raise ValueError(f"unknown format {name!r}; formats: {', '.join(FORMATS)}")


def _describe(node: dict[str, Any], missing: list[str]) -> None:
    title = node.get("title")
    props = node.get("properties")
    if not isinstance(props, dict) or title not in FIELD_DOCS:
        if isinstance(props, dict):
            missing.append(f"{title} (model)")
        return
    docs = FIELD_DOCS[title]
    node.setdefault("description", docs.get("_", ""))
    for field, sub in props.items():
        if field in docs:
            sub["description"] = docs[field]
        else:
            missing.append(f"{title}.{field}")


@cache
def _schema(name: str) -> tuple[dict[str, Any], tuple[str, ...]]:
    model = _models()[name]
    raw = (model.json_schema(by_alias=True) if isinstance(model, TypeAdapter)
           else model.model_json_schema(by_alias=True))
    missing: list[str] = []
    for node in [raw, *raw.get("$defs", {}).values()]:
        _describe(node, missing)
    if name == "trace":
        raw["title"] = "TraceLine"
        raw["description"] = ("One line of a splitsched trace file (JSON lines): a header "
                              "line starts each run, stage lines follow it.")
    return {"$schema": DRAFT, **raw}, tuple(missing)


def undocumented(name: str) -> tuple[str, ...]:
    """Properties of a format that :data:`FIELD_DOCS` does not describe (should be none)."""
    _check_format(name)
    return _schema(name)[1]


def json_schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one file format.

    Parameters
    ----------
    name:
        One of :data:`FORMATS`: ``instance``, ``schedule``, ``profile``,
        ``trace`` (one line of a trace file) or ``record`` (one line of
        ``runs.jsonl``).

    Returns
    -------
    dict
        A fresh JSON-able dict: ``$schema``, ``title``,
        ``properties`` (each with a ``description`` giving its unit) and
        ``$defs`` for nested objects.

    Raises
    ------
    ValueError
        For an unknown format name (the message lists the known ones).
    """
    _check_format(name)
    return copy.deepcopy(_schema(name)[0])


def validate(name: str, data: Any, where: str = "") -> Any:
    """Validate one parsed document (or one JSON line) against a format's model.

    Parameters
    ----------
    name:
        One of :data:`FORMATS`.
    data:
        The parsed JSON value.
    where:
        Names the file (and line) in the error message.

    Returns
    -------
    The validated model instance.

    Raises
    ------
    ValueError
        Unknown format.
    splitsched.io.InputError
        The data does not match: ``where``, the field path and the reason.
    """
    from splitsched.io import InputError

    _check_format(name)
    model = _models()[name]
    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
        return model.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"]) or "(root)"
        raise InputError(where or None, loc, err["msg"]) from None
