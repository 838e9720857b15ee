"""The bench's typed boundaries: run spec, run record, statuses, the runs file and its lock.

* :class:`RunSpec` is what a worker receives (the instance inline, so a
  remote Dask worker needs no shared file system); :meth:`RunSpec.to_dict` /
  :meth:`RunSpec.from_dict` are its only wire format.
* :class:`RunRecord` is one finished run as stored in ``runs.jsonl``;
  :meth:`RunRecord.to_dict` is the one writer and :meth:`RunRecord.from_dict`
  the one reader (every field's type checked; a missing or mistyped field is
  an :class:`InputError` naming the file, the line and the field).
* A record's status is a :class:`~splitsched.solvers.base.SolveStatus` (the
  solver contract's words) or a :class:`HarnessStatus` (the harness's own):
  every status word is spelled once, in those two enums.

A sweep must survive Ctrl-C, ``kill -9`` and power loss losing at most the
runs in flight, so every record is written as one line, flushed and fsynced
before the next run's result is handled. A crash in the middle of a write
leaves a *torn* last line (no trailing newline or unparsable JSON); readers
ignore it and ``--resume`` truncates it away before appending. A write that
fails (a full disk) cuts the file back to its previous length and raises
:class:`WriteFailure`, an infrastructure failure. One writer at
a time: :class:`RunDirLock` (an ``flock`` the kernel drops when its holder
dies, so a killed sweep never leaves a stale lock).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import errno
import fcntl
import math
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from types import TracebackType
from typing import Any

from splitsched.io import (
    InputError,
    atomic_write_text,
    check_lines_format,
    parse_json_text,
    read_regular_bytes,
    strict_json,
)
from splitsched.problem import shown_value
from splitsched.solvers.base import SolveStatus

RECORD_SCHEMA = "splitsched-run"
RECORD_VERSION = 1
# The record schema of online sweeps before they shared this one (issue 11).
OLD_ONLINE_SCHEMA = "splitsched-online-run"
RUNS_FILE = "runs.jsonl"
INFRA_FILE = "infra.jsonl"
LOCK_FILE = ".lock"


class HarnessStatus(StrEnum):
    """How a run ended when the harness, not the solver, decided.

    ``KILLED``: past its hard wall-clock limit (or never started solving).
    ``CRASH``: the worker process died without a result (segfault, exit).
    ``MEMOUT``: the address-space limit was hit. ``INFRA``: the
    infrastructure failed (Dask scheduler or worker lost, executor error):
    not a run at all, never written to ``runs.jsonl``, rerun by ``--resume``.
    """

    KILLED = "killed"
    CRASH = "crash"
    MEMOUT = "memout"
    INFRA = "infra"


RecordStatus = SolveStatus | HarnessStatus

# Runs that ended under the solver's control (its answer and bound count).
NORMAL_END: tuple[SolveStatus, ...] = (SolveStatus.OPTIMAL, SolveStatus.FEASIBLE,
                                       SolveStatus.TIMEOUT, SolveStatus.NO_SOLUTION)
# Runs that ended abnormally (count at their time limit in runtime summaries).
ABNORMAL_END: tuple[RecordStatus, ...] = (SolveStatus.ERROR, HarnessStatus.KILLED,
                                          HarnessStatus.CRASH, HarnessStatus.MEMOUT)


def parse_status(word: Any) -> RecordStatus:
    """The status named by ``word``; ValueError for an unknown word."""
    for enum in (SolveStatus, HarnessStatus):
        try:
            return enum(word)
        except ValueError:
            continue
    known = [s.value for s in SolveStatus] + [s.value for s in HarnessStatus]
    raise ValueError(f"unknown status {word!r}; known: {', '.join(known)}")


RunKey = tuple[str | int | float, ...]


def run_key(sha256: str, solver: str, seed: int, time_limit_s: float, threads: int) -> RunKey:
    """The identity of a bench run: what ``--resume`` uses to skip finished work."""
    return (sha256, solver, int(seed), float(time_limit_s), int(threads))


def online_run_key(kind: str, sha256: str, policy: str | None, seed: int,
                   run: int | None) -> RunKey:
    """The identity of an online sweep's record: ``(kind, instance, policy, seed, run)``.

    ``kind`` is ``offline`` (one per instance: policy and run do not count),
    ``online`` or ``static``. The settings that are the same for a whole
    sweep (budget, noise) are not part of it: ``--resume`` refuses other
    settings (:mod:`splitsched.online.sweep`).
    """
    if kind == "offline":
        return ("offline", sha256)
    return (kind, sha256, str(policy), int(seed), -1 if run is None else int(run))


def record_key(record: RunRecord) -> RunKey:
    """The :func:`run_key` of a stored record."""
    return record.key


# --------------------------------------------------------------------------- run spec
@dataclass(frozen=True)
class RunSpec:
    """One planned run, as a worker receives it.

    ``instance`` is the instance's JSON data; ``mem_limit_mb`` None means no
    address-space limit; ``grace_s`` is the time past the limit before the
    hard kill; ``extra_modules`` are module names or absolute ``.py`` paths
    that register solvers.
    """

    instance: dict[str, Any]
    solver: str
    seed: int
    time_limit_s: float
    threads: int
    mem_limit_mb: int | None
    grace_s: float
    extra_modules: tuple[str, ...] = ()
    startup_timeout_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d["extra_modules"] = list(self.extra_modules)
        return d

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RunSpec:
        return cls(instance=dict(data["instance"]), solver=str(data["solver"]),
                   seed=int(data["seed"]), time_limit_s=float(data["time_limit_s"]),
                   threads=int(data["threads"]), mem_limit_mb=data.get("mem_limit_mb"),
                   grace_s=float(data["grace_s"]),
                   extra_modules=tuple(data.get("extra_modules") or ()),
                   startup_timeout_s=data.get("startup_timeout_s"))


@dataclass
class WorkerResult:
    """What a worker reports about one run, before the submitting side checks it.

    ``status`` is a :data:`RecordStatus` value (``infra`` when the executor
    failed); ``schedule`` the schedule's JSON data; ``runtime_s`` measured
    inside the child around the solve; ``log_tail`` the capped output;
    ``environment`` versions and machine facts. Plain data: it travels back
    from a Dask task, and from the child process as JSON
    (:meth:`to_dict` / :meth:`from_dict`; unknown keys are ignored, missing
    ones take their defaults).
    """

    status: str = HarnessStatus.CRASH.value
    schedule: dict[str, Any] | None = None
    bound: float | None = None
    runtime_s: float | None = None
    worker_missed: int | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    claimed_status: str | None = None
    peak_rss_mb: float | None = None
    exit_code: int | None = None
    log_tail: str = ""
    wall_s: float | None = None
    environment: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkerResult:
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


# --------------------------------------------------------------------------- run record
_STR, _INT, _NUM, _BOOL, _DICT, _LIST = "string", "integer", "number", "boolean", "object", \
    "array"


def _kind_ok(value: Any, kind: str) -> bool:
    if kind == _STR:
        return isinstance(value, str)
    if kind == _INT:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _NUM:
        return isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
    if kind == _BOOL:
        return isinstance(value, bool)
    if kind == _DICT:
        return isinstance(value, dict)
    return isinstance(value, list)


@dataclass(frozen=True)
class RunRecord:
    """One finished run (one line of ``runs.jsonl``).

    Identity: ``instance_sha256``, ``solver``, ``seed``, ``time_limit_s``,
    ``threads`` (:meth:`key`). Quality (``missed`` = weighted misses,
    ``misses``, rates, ``makespan``, ``feasible``, ``violations``) is always
    the submitting side's own evaluation of ``schedule_file``; ``status`` is
    a :data:`RecordStatus`; ``claimed_status`` is what the solver said before
    the checks. Times in seconds, memory in MiB, ``makespan`` in us.
    ``extra`` keeps unknown keys of a record read from a newer writer.

    Online sweep records (``kind`` set) reuse the fields: ``solver`` = the
    policy (``static`` for the replayed offline schedule, the offline
    solver(s) for ``kind == "offline"``), ``seed`` = the sweep's seed,
    ``time_limit_s`` = the per-decision budget of ``replan:*`` policies (the
    offline solve's limit for ``kind == "offline"``), ``missed`` = weighted
    misses of the realized schedule against the realized instance; and add
    :data:`ONLINE_FIELDS`: ``run`` (noise draw ``r``: durations from
    ``default_rng([seed, r])``), ``noise_cv``, ``use_measured_sd``,
    ``replan_budget_ms``, ``offline_best`` / ``offline_proven`` /
    ``offline_source`` (the clairvoyant comparator), ``regret`` (``missed``
    minus ``offline_best``), ``decisions``, ``max_pending``, decision latency
    ``latency_median_us`` / ``latency_p99_us`` / ``latency_max_us`` (wall
    clock, microseconds; p99 with numpy's linear interpolation) and every
    decision's wall-clock and thread-CPU latency (``latency_us``,
    ``cpu_latency_us``, microseconds).
    """

    instance_id: str
    instance_sha256: str
    solver: str
    seed: int
    time_limit_s: float
    threads: int
    status: RecordStatus
    schema: str = RECORD_SCHEMA
    version: int = RECORD_VERSION
    finished_at: str | None = None
    set: str | None = None
    instance_file: str | None = None
    instance_copy: str | None = None
    instance_params: dict[str, Any] = field(default_factory=dict)
    n_jobs: int | None = None
    total_weight: int | None = None
    load: float | None = None
    load_source: str | None = None
    solver_exact: bool | None = None
    mem_limit_mb: int | None = None
    grace_s: float | None = None
    claimed_status: str | None = None
    feasible: bool = False
    missed: int | None = None
    misses: int | None = None
    miss_rate: float | None = None
    weighted_miss_rate: float | None = None
    makespan: int | None = None
    bound: float | None = None
    runtime_s: float | None = None
    wall_s: float | None = None
    peak_rss_mb: float | None = None
    exit_code: int | None = None
    worker_missed: int | None = None
    worker_claim_mismatch: bool = False
    schedule_file: str | None = None
    violations: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    log_tail: str = ""
    error: str | None = None
    versions: dict[str, Any] = field(default_factory=dict)
    machine: dict[str, Any] = field(default_factory=dict)
    # online sweep records only (ONLINE_FIELDS; None in a bench record)
    kind: str | None = None
    policy: str | None = None
    run: int | None = None
    replan_budget_ms: float | None = None
    noise_cv: float | None = None
    use_measured_sd: bool | None = None
    offline_best: int | None = None
    offline_proven: bool | None = None
    offline_source: str | None = None
    regret: int | None = None
    decisions: int | None = None
    max_pending: int | None = None
    latency_median_us: float | None = None
    latency_p99_us: float | None = None
    latency_max_us: float | None = None
    latency_us: list[float] | None = None
    cpu_latency_us: list[float] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> RunKey:
        if self.kind is not None:
            return online_run_key(self.kind, self.instance_sha256, self.policy, self.seed,
                                  self.run)
        return run_key(self.instance_sha256, self.solver, self.seed, self.time_limit_s,
                       self.threads)

    @property
    def solved(self) -> bool:
        """The run has a schedule that passed evaluation."""
        return self.feasible and self.missed is not None

    def replace(self, **changes: Any) -> RunRecord:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The stored form (flat JSON object; ``extra`` merged back in)."""
        d = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
             if f.name != "extra"
             and not (f.name in ONLINE_FIELDS and getattr(self, f.name) is None)}
        d["status"] = self.status.value
        return {**self.extra, **d}

    @classmethod
    def from_dict(cls, data: Any, path: str | os.PathLike[str] | None = None,
                  where: str = "") -> RunRecord:
        """Read a stored record, checking every field.

        Raises
        ------
        InputError
            Not an object of this schema, a required field missing, a field
            of the wrong type (NaN included), or an unknown status.
        """
        prefix = f"{where}." if where else ""
        if isinstance(data, dict) and data.get("schema") == OLD_ONLINE_SCHEMA:
            raise InputError(path, where or "(record)", f"an online sweep record of the old "
                             f"format ({OLD_ONLINE_SCHEMA}), which this version no longer "
                             "reads; run the sweep again into a new run directory (or delete "
                             "this one)")
        if not isinstance(data, dict) or data.get("schema") != RECORD_SCHEMA:
            raise InputError(path, where or "(record)", f"not a {RECORD_SCHEMA} record")
        values: dict[str, Any] = {}
        for name, (kind, required) in _RECORD_FIELDS.items():
            if name not in data:
                if required:
                    raise InputError(path, prefix + name, "required field missing")
                continue
            value = data[name]
            if value is None and not required:
                values[name] = copy.copy(_NOT_NULL.get(name))
                continue
            if not _kind_ok(value, kind):
                got = shown_value(value)
                raise InputError(path, prefix + name, f"expected a finite {kind}, got {got}"
                                 if kind == _NUM else f"expected {kind}, got {got}")
            if name in _NONNEGATIVE and value < 0:
                raise InputError(path, prefix + name, f"must be >= 0, got {shown_value(value)}")
            values[name] = value
        try:
            values["status"] = parse_status(values["status"])
        except ValueError as exc:
            raise InputError(path, prefix + "status", str(exc)) from None
        if values.get("kind") is not None and values["kind"] not in ONLINE_KINDS:
            raise InputError(path, prefix + "kind", f"expected one of {', '.join(ONLINE_KINDS)},"
                             f" got {values['kind']!r}")
        for name in ("latency_us", "cpu_latency_us"):
            if any(not _kind_ok(v, _NUM) for v in values.get(name) or ()):
                raise InputError(path, prefix + name, "expected an array of finite numbers")
        extra = {k: v for k, v in data.items() if k not in _RECORD_FIELDS}
        return cls(**values, extra=extra)


_REQUIRED = ("schema", "instance_id", "instance_sha256", "solver", "seed", "time_limit_s",
             "threads", "status")
_KINDS = {"schema": _STR, "version": _INT, "finished_at": _STR, "set": _STR,
          "instance_id": _STR, "instance_sha256": _STR, "instance_file": _STR,
          "instance_copy": _STR, "instance_params": _DICT, "n_jobs": _INT,
          "total_weight": _INT, "load": _NUM, "load_source": _STR, "solver": _STR,
          "solver_exact": _BOOL, "seed": _INT, "time_limit_s": _NUM, "threads": _INT,
          "mem_limit_mb": _INT, "grace_s": _NUM, "claimed_status": _STR, "feasible": _BOOL,
          "missed": _INT, "misses": _INT, "miss_rate": _NUM, "weighted_miss_rate": _NUM,
          "makespan": _INT, "bound": _NUM, "runtime_s": _NUM, "wall_s": _NUM,
          "peak_rss_mb": _NUM, "exit_code": _INT, "worker_missed": _INT,
          "worker_claim_mismatch": _BOOL, "schedule_file": _STR, "violations": _LIST,
          "stats": _DICT, "log_tail": _STR, "error": _STR, "versions": _DICT,
          "machine": _DICT, "status": _STR}
# The online sweep's own fields (splitsched.online.sweep), absent from bench records.
ONLINE_FIELDS: dict[str, str] = {
    "kind": _STR, "policy": _STR, "run": _INT, "replan_budget_ms": _NUM, "noise_cv": _NUM,
    "use_measured_sd": _BOOL, "offline_best": _INT, "offline_proven": _BOOL,
    "offline_source": _STR, "regret": _INT, "decisions": _INT, "max_pending": _INT,
    "latency_median_us": _NUM, "latency_p99_us": _NUM, "latency_max_us": _NUM,
    "latency_us": _LIST, "cpu_latency_us": _LIST}
ONLINE_KINDS = ("offline", "online", "static")
_KINDS.update(ONLINE_FIELDS)
_RECORD_FIELDS = {name: (kind, name in _REQUIRED) for name, kind in _KINDS.items()}
# Counts, times and rates: never negative in a record any writer makes (``regret`` may
# be: a policy can beat an offline best that was not proven; ``exit_code`` is a signal;
# a negative ``bound`` from a user's solver is weak but true).
_NONNEGATIVE = frozenset({
    "version", "n_jobs", "total_weight", "load", "seed", "time_limit_s", "threads",
    "mem_limit_mb", "grace_s", "missed", "misses", "miss_rate", "weighted_miss_rate",
    "makespan", "runtime_s", "wall_s", "peak_rss_mb", "worker_missed", "run",
    "replan_budget_ms", "noise_cv", "offline_best", "decisions", "max_pending",
    "latency_median_us", "latency_p99_us", "latency_max_us"})
# Fields whose stored null reads as their empty default.
_NOT_NULL: dict[str, Any] = {"feasible": False, "worker_claim_mismatch": False,
                             "log_tail": "", "version": RECORD_VERSION}
for _name in ("instance_params", "stats", "versions", "machine"):
    _NOT_NULL[_name] = {}
_NOT_NULL["violations"] = []
assert {f.name for f in dataclasses.fields(RunRecord)} - {"extra"} == set(_KINDS)


# --------------------------------------------------------------------------- runs file
@dataclass(frozen=True)
class LoadedRuns:
    """Records read from a runs file, and where its intact part ends.

    ``torn`` is true when the last line was cut short (it is not in
    ``records``); ``good_bytes`` is the length of the intact prefix.
    """

    records: list[RunRecord]
    torn: bool
    good_bytes: int


def read_runs(path: str | os.PathLike[str]) -> LoadedRuns:
    """Read a ``runs.jsonl``; a torn last line is skipped, a bad middle line refused.

    Parameters
    ----------
    path:
        The runs file. A missing file reads as empty.

    Raises
    ------
    InputError
        A line other than the last is not a valid record (the file was
        edited or corrupted: silently dropping a run would bias every
        table), or the file is not a regular file or too large.
    """
    p = Path(path)
    if not p.exists():
        return LoadedRuns([], False, 0)
    data = read_regular_bytes(p)
    records: list[RunRecord] = []
    offset = 0
    lines = data.split(b"\n")
    # After the final "\n" split() yields b"" (complete file) or a partial line (torn).
    own = (OLD_ONLINE_SCHEMA,)  # from_dict names the old online format itself

    def other_kind() -> None:
        """With no record read, the file may be another kind of JSON file: say so."""
        if not records:
            check_lines_format(data, RECORD_SCHEMA, p, own)

    try:
        for lineno, raw in enumerate(lines, start=1):
            is_last = lineno == len(lines)
            if is_last:
                if raw.strip():  # a last line without its newline: torn
                    other_kind()
                    return LoadedRuns(records, True, offset)
                break
            where = f"line {lineno}"
            if raw.strip():
                try:
                    rec = parse_json_text(raw, p, where)
                except InputError:
                    if lineno == len(lines) - 1 and not lines[-1]:
                        # the very last, newline-terminated record does not parse: torn
                        other_kind()
                        return LoadedRuns(records, True, offset)
                    raise
                records.append(RunRecord.from_dict(rec, p, where))
            offset += len(raw) + 1
    except InputError:
        other_kind()  # an instance, schedule or trace given for a runs file: say so
        raise
    return LoadedRuns(records, False, offset)


def repair_runs(path: str | os.PathLike[str]) -> LoadedRuns:
    """Read a runs file and cut a torn last line off it, so appends start clean."""
    loaded = read_runs(path)
    if loaded.torn:
        with open(path, "r+b") as fh:
            fh.truncate(loaded.good_bytes)
            fh.flush()
            os.fsync(fh.fileno())
    return loaded


class WriteFailure(Exception):
    """A file of a run directory could not be written (disk full, I/O error, a file-size
    limit): an infrastructure failure, not bad input (the CLI exits 3, not 2). What was
    written before stays whole: :func:`append_json_line` leaves no torn line behind.

    ``str()`` is ``PATH: cannot write: REASON``.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{path}: cannot write: {reason}")


def write_run_file(path: str | os.PathLike[str], text: str) -> None:
    """Write one file of a run directory atomically (:func:`splitsched.io.atomic_write_text`);
    a failed write raises :class:`WriteFailure` (the old content, if any, is untouched)."""
    try:
        atomic_write_text(path, text)
    except InputError as exc:
        reason = exc.reason.removeprefix("cannot write: ")
        raise WriteFailure(path, reason) from None


def append_json_line(path: str | os.PathLike[str], data: Mapping[str, Any]) -> None:
    """Append one strict-JSON object as a single line, fsynced before returning.

    The line goes out as one ``os.write`` of its whole bytes (repeated only for
    what a short write left); if any write or the fsync fails, the file is cut
    back to its length before the call, so a full disk leaves no torn line.

    Raises
    ------
    WriteFailure
        The file cannot be opened or written (``ENOSPC``, ``EIO``, ``EFBIG``),
        naming it and the reason.
    """
    line = strict_json(dict(data), sort_keys=True, separators=(",", ":"), default=_json_default)
    if "\n" in line:
        raise ValueError("a record must serialise to one line")
    payload = (line + "\n").encode("utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    except OSError as exc:
        raise WriteFailure(path, exc.strerror or str(exc)) from None
    try:
        size = os.fstat(fd).st_size
        try:
            view = memoryview(payload)
            while view:
                written = os.write(fd, view)
                if written <= 0:  # never for a regular file, but never loop forever
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                view = view[written:]
            os.fsync(fd)
        except OSError as exc:
            with contextlib.suppress(OSError):  # the file as it was: no torn line
                os.ftruncate(fd, size)
                os.fsync(fd)
            raise WriteFailure(path, exc.strerror or str(exc)) from None
    finally:
        os.close(fd)


def append_record(path: str | os.PathLike[str], record: RunRecord) -> None:
    """Append one record as a single line, flushed and fsynced before returning."""
    append_json_line(path, record.to_dict())


def finished_keys(records: Iterable[RunRecord]) -> set[RunKey]:
    """Keys of every recorded run (any status: a killed run is finished too)."""
    return {r.key for r in records}


def unique_records(records: Iterable[RunRecord]) -> tuple[list[RunRecord], int]:
    """The first record of each run key, and how many later duplicates were dropped.

    Two writers on one run directory are refused by :class:`RunDirLock`; a
    directory written before the lock existed (or merged by hand) may still
    hold a run twice, and counting it twice would bias every table.
    """
    seen: set[RunKey] = set()
    out: list[RunRecord] = []
    dropped = 0
    for r in records:
        if r.key in seen:
            dropped += 1
            continue
        seen.add(r.key)
        out.append(r)
    return out, dropped


def _json_default(value: Any) -> Any:
    """Make numpy scalars and other stray objects JSON-safe instead of failing a sweep."""
    if hasattr(value, "item"):
        return value.item()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, Mapping):
        return dict(value)
    return str(value)


# --------------------------------------------------------------------------- lock
def _held(run_dir: Path, fd: int) -> InputError:
    """The error when another process holds ``run_dir``'s lock (``fd``: its lock file,
    where the holder wrote its pid)."""
    holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
    return InputError(run_dir, "(lock)", f"another splitsched process (pid {holder}) is "
                      "writing this run directory; wait for it to end or choose another "
                      "directory")


class RunDirLock:
    """An exclusive, non-blocking lock on a run directory (one writer at a time).

    ``with RunDirLock(run_dir):`` creates the directory if needed and takes
    ``flock(LOCK_EX | LOCK_NB)`` on ``RUN_DIR/.lock``; the file records the
    holder's pid. The kernel releases the lock when the holder exits, however
    it dies. Raises :class:`InputError` (exit 2 at the CLI) when another
    process holds it, or when the directory or its lock file cannot be
    created (a read-only file system, a file where a folder should be);
    nothing is written then. :class:`WriteFailure` when the holder's pid
    cannot be written into the lock file (a full disk).
    """

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self._fd: int | None = None

    @staticmethod
    def refuse_if_held(run_dir: Path) -> None:
        """The :class:`InputError` of a held lock now, writing nothing (no folder or lock
        file made): a sweep checks it before it says what it will run, so a second
        ``bench --resume`` no longer printed its plan and a bar before being refused. The
        lock itself is taken later (a sweep that starts meanwhile is refused then)."""
        try:
            fd = os.open(run_dir / LOCK_FILE, os.O_RDONLY)
        except OSError:
            return  # no lock file (or unreadable): nothing can be told yet
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _held(run_dir, fd) from None
        finally:
            os.close(fd)  # closing the descriptor releases a shared lock taken

    def __enter__(self) -> RunDirLock:
        path = self.run_dir / LOCK_FILE
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise InputError(self.run_dir, "-o", f"cannot create or write the run directory: "
                             f"{exc.strerror or exc}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            error = _held(self.run_dir, fd)
            os.close(fd)
            raise error from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        except OSError as exc:  # a full disk: the lock is held, its holder cannot be named
            os.close(fd)
            raise WriteFailure(path, exc.strerror or str(exc)) from None
        self._fd = fd
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None
