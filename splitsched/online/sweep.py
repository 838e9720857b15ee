"""Online policies over instances: one instance (:func:`run_file`) or a set
(:func:`run_sweep`), with the bench's records, lock, resume and infrastructure rule.

For every instance the offline best (clairvoyant) is found once; then, for
each run ``r`` of ``runs``, one realized instance is drawn (seed, r) and every
policy runs online on it, and the offline best schedule is replayed on it
(``static``): all of them see the same actual durations.

A sweep's run directory follows the bench's rules (``docs/reliability.md``):

* ``runs.jsonl`` holds bench :class:`~splitsched.bench.records.RunRecord` lines
  (:mod:`splitsched.online.records`: kinds ``offline``, ``online``,
  ``static``), each appended, flushed and fsynced when its run ends: a crash
  or ``kill -9`` loses at most the run in progress, and a torn last line is
  cut off before appending again;
* one writer at a time (:class:`~splitsched.bench.records.RunDirLock`, taken
  before anything is written; a second sweep on the directory is refused);
* ``online.json`` records the settings; without ``resume`` a directory that
  has records is refused; ``resume`` continues the same sweep only (every
  :data:`RESUME_KEYS` setting equal, else refused listing the differences),
  skips every recorded key (:func:`~splitsched.bench.records.online_run_key`:
  kind, instance, policy, seed, run) and reuses the recorded offline best and
  its schedule file (an instance file edited since its records, its id
  recorded with another sha256, is refused): after an interruption every
  (instance, policy, run) ends up recorded exactly once;
* a policy that raises is a run: a record with status ``error`` (exit 1 at
  the CLI) and the sweep goes on;
* an infrastructure failure (:data:`INFRA_ERRORS`: the operating system or
  memory failed the run, not the policy) is not a run: it goes to
  ``infra.jsonl``, not ``runs.jsonl``, the sweep reports it (exit 3) and
  ``resume`` runs it again.

An old-format run directory (schema ``splitsched-online-run``) or a bench
run directory is refused with the file named (exit 2).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from splitsched.bench.finalize import instance_copy_path, load_value
from splitsched.bench.machine import environment
from splitsched.bench.records import (
    INFRA_FILE,
    RUNS_FILE,
    RunKey,
    RunRecord,
    append_json_line,
    append_record,
    online_run_key,
    repair_runs,
    write_run_file,
)
from splitsched.bench.sets import SetEntry, load_sets, params_of
from splitsched.bench.staging import check_folder_output
from splitsched.bench.sweep import (
    locked_run_dir,
    refuse_changed_instances,
    refuse_foreign_folder,
    refuse_other_settings,
)
from splitsched.evaluate import Evaluation, evaluate
from splitsched.io import (
    InputError,
    check_output_dir,
    dumps,
    instance_sha256,
    instance_to_dict,
    read_schedule,
    write_schedule,
)
from splitsched.online.draws import realized_instance
from splitsched.online.engine import OnlineRun, run_online
from splitsched.online.metrics import (
    OfflineBest,
    best_known_from_runs,
    offline_best,
    replay_static,
)
from splitsched.online.policies import PolicyOptions, make_policy
from splitsched.online.records import (
    OFFLINE,
    ONLINE,
    STATIC,
    RecordBase,
    error_record,
    offline_record,
    online_run_record,
    read_online_runs,
    static_record,
)
from splitsched.problem import Instance, counted, named_twice, shown_value
from splitsched.replay.noise import NoiseModel
from splitsched.solvers.base import SolveStatus

CONFIG_FILE = "online.json"
BENCH_SWEEP_FILE = "sweep.json"  # splitsched.bench.sweep.SWEEP_FILE (a bench run directory)
# online.json keys that define which runs a sweep makes and how: --resume must match them.
RESUME_KEYS = ("set", "policies", "replan_budget_ms", "noise_cv", "use_measured_sd", "runs",
               "seed", "offline_solvers", "offline_limit_s", "best_known", "static")
# Failures of the environment, not of a policy: not a run, rerun by --resume.
INFRA_ERRORS: tuple[type[BaseException], ...] = (OSError, MemoryError)


@dataclass(frozen=True)
class OnlineConfig:
    """What to run.

    Attributes
    ----------
    policies:
        Policy names (:func:`splitsched.online.policies.make_policy`).
    replan_budget_ms:
        Per-decision budget of ``replan:*`` policies, ms.
    noise_cv, use_measured_sd:
        Noise model (:class:`splitsched.replay.noise.NoiseModel`); cv 0: none.
    runs, seed:
        Runs per instance; run ``r`` draws from ``default_rng([seed, r])``.
    offline_solvers, offline_limit_s:
        How the offline best is found when no ``best_known`` file is given.
    best_known:
        A bench ``runs.jsonl``: the offline best is read from it (and the
        best run's schedule file, when present, is replayed as ``static``).
    static:
        Replay the offline best schedule under each run's draws.
    """

    policies: tuple[str, ...]
    replan_budget_ms: float = 50.0
    noise_cv: float = 0.0
    use_measured_sd: bool = True
    runs: int = 1
    seed: int = 0
    offline_solvers: tuple[str, ...] = ("cpsat",)
    offline_limit_s: float = 10.0
    best_known: Path | None = None
    static: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def check(self) -> None:
        """Refuse bad settings (InputError naming the parameter; the CLI maps it to its flag)."""
        if not self.policies:
            raise InputError(None, "policies", "no policy given")
        twice = named_twice(self.policies)
        if twice:
            raise InputError(None, "policies", twice)
        if not 0 < self.replan_budget_ms < math.inf:
            raise InputError(None, "replan_budget_ms", f"must be a finite number > 0, got "
                                                         f"{self.replan_budget_ms}")
        if not 0 <= self.noise_cv < math.inf:
            raise InputError(None, "noise_cv", f"must be a finite number >= 0, got "
                                                 f"{self.noise_cv}")
        if self.runs < 1:
            raise InputError(None, "runs", f"must be >= 1, got {shown_value(self.runs)}")
        if not 0 < self.offline_limit_s < math.inf:
            raise InputError(None, "offline_limit_s", f"must be a finite number > 0, got "
                                                        f"{self.offline_limit_s}")
        from splitsched.online.policies import UnknownPolicyError
        from splitsched.solvers.base import UnknownSolverError, get_solver

        for name in self.policies:
            try:
                make_policy(name, PolicyOptions(self.replan_budget_ms))
            except UnknownPolicyError as exc:
                raise InputError(None, "policies", str(exc)) from None
        if self.best_known is None:
            for s in self.offline_solvers:
                try:
                    get_solver(s)
                except UnknownSolverError as exc:
                    raise InputError(None, "offline_solvers", str(exc)) from None
        elif not Path(self.best_known).exists():
            raise InputError(self.best_known, "--best-known", "no such file")
        elif not Path(self.best_known).is_file():
            raise InputError(self.best_known, "--best-known", "not a regular file (a bench "
                             "runs.jsonl is expected)")

    @property
    def noise(self) -> NoiseModel:
        return NoiseModel(cv=self.noise_cv, use_measured=self.use_measured_sd)

    def as_dict(self) -> dict[str, Any]:
        return {"policies": list(self.policies), "replan_budget_ms": self.replan_budget_ms,
                "noise_cv": self.noise_cv, "use_measured_sd": self.use_measured_sd,
                "runs": self.runs, "seed": self.seed,
                "offline_solvers": list(self.offline_solvers),
                "offline_limit_s": self.offline_limit_s,
                "best_known": str(self.best_known) if self.best_known else None,
                "static": self.static}


@dataclass(frozen=True)
class InfraFailure:
    """A run the infrastructure failed to carry out (in ``infra.jsonl``, not a record).

    ``policy`` is ``offline`` when the offline best could not be computed
    (then none of the instance's policies ran).
    """

    instance_id: str
    instance_sha256: str
    policy: str
    run: int | None
    error: str


RecordHook = Callable[[RunRecord, OnlineRun | None], None]
InfraHook = Callable[[InfraFailure], None]


@dataclass
class InstanceResult:
    """Everything run on one instance: its records (and OnlineRuns), and infrastructure
    failures."""

    instance: Instance
    best: OfflineBest | None
    records: list[RunRecord] = field(default_factory=list)
    runs: list[OnlineRun] = field(default_factory=list)
    infra: list[InfraFailure] = field(default_factory=list)


def record_base(entry: SetEntry, cfg: OnlineConfig, *, set_name: str = "",
                run_dir: Path | None = None, env: dict[str, Any] | None = None) -> RecordBase:
    """The provenance and settings shared by every record of ``entry`` in this sweep.

    ``run_dir`` given: ``instance_copy`` names the run directory's copy of the
    instance (written by :func:`run_sweep`). ``env``: versions and machine
    facts (:func:`splitsched.bench.machine.environment`; computed when None).
    """
    load, source = load_value(entry)
    inst = entry.instance
    env = environment() if env is None else env
    copy = (str(instance_copy_path(run_dir, entry).relative_to(run_dir))
            if run_dir is not None else None)
    return RecordBase(set=set_name, instance_id=entry.id, instance_sha256=entry.sha256,
                      instance_file=entry.file.name, instance_copy=copy,
                      instance_params=dict(entry.params), n_jobs=inst.num_jobs,
                      total_weight=inst.total_weight,
                      load=float(load) if math.isfinite(load) else None, load_source=source,
                      seed=cfg.seed, replan_budget_ms=float(cfg.replan_budget_ms),
                      noise_cv=float(cfg.noise_cv), use_measured_sd=cfg.use_measured_sd,
                      versions=dict(env.get("versions") or {}),
                      machine=dict(env.get("machine") or {}))


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def run_instance(instance: Instance, cfg: OnlineConfig, *, best: OfflineBest | None,
                 base: RecordBase, skip: set[RunKey] | None = None,
                 on_record: RecordHook | None = None, on_infra: InfraHook | None = None,
                 ) -> InstanceResult:
    """Run every policy (and the static replay) ``cfg.runs`` times on one instance.

    Parameters
    ----------
    best:
        The offline comparator (None: no regret, no static replay).
    base:
        Provenance and settings copied into every record (:func:`record_base`).
    skip:
        Keys of runs already recorded (resume).
    on_record:
        Called with each new record (and its OnlineRun, None for static and
        error records) as soon as it exists.
    on_infra:
        Called with each infrastructure failure (no record is made for it).
    """
    skip = skip or set()
    out = InstanceResult(instance, best)
    options = PolicyOptions(cfg.replan_budget_ms)
    names: list[str] = list(cfg.policies)
    static_best = best if (cfg.static and best is not None and best.schedule is not None) \
        else None
    if static_best is not None:
        names.append(STATIC)

    def infra(name: str, r: int, exc: BaseException) -> None:
        failure = InfraFailure(base.instance_id, base.instance_sha256, name, r,
                               _error_text(exc))
        out.infra.append(failure)
        if on_infra:
            on_infra(failure)

    for r in range(cfg.runs):
        todo = [n for n in names if online_run_key(STATIC if n == STATIC else ONLINE,
                                                   base.instance_sha256, n, cfg.seed, r)
                not in skip]
        if not todo:
            continue
        try:
            realized = realized_instance(instance, cfg.noise, cfg.seed, r)
        except INFRA_ERRORS as exc:
            for name in todo:
                infra(name, r, exc)
            continue
        for name in todo:
            t0 = time.perf_counter()
            run: OnlineRun | None = None
            try:
                if name == STATIC:
                    assert static_best is not None and static_best.schedule is not None
                    _executed, ev = replay_static(instance, static_best.schedule, realized)
                    rec = static_record(base, r, ev, static_best, realized.id,
                                        time.perf_counter() - t0)
                else:
                    run = run_online(instance, make_policy(name, options), realized=realized,
                                     seed=cfg.seed + r)
                    rec = online_run_record(base, name, r, run, best, time.perf_counter() - t0)
            except INFRA_ERRORS as exc:
                infra(name, r, exc)
                continue
            except Exception as exc:  # a policy bug is a record, not the end of a sweep
                run = None
                rec = error_record(base, STATIC if name == STATIC else ONLINE, name, r, best,
                                   _error_text(exc), time.perf_counter() - t0)
            out.records.append(rec)
            if run is not None:
                out.runs.append(run)
            if on_record:
                on_record(rec, run)
    return out


def _offline_file(run_dir: Path, entry: SetEntry) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in entry.id)
    return run_dir / "offline" / f"{safe}__{entry.sha256[:12]}.json"


def _recorded_offline(records: list[RunRecord], run_dir: Path) -> dict[str, OfflineBest | None]:
    """Per instance sha256, the offline best a previous pass recorded (None: it found none)."""
    out: dict[str, OfflineBest | None] = {}
    for rec in records:
        if rec.kind != OFFLINE:
            continue
        if rec.offline_best is None:
            out[rec.instance_sha256] = None
            continue
        sched = None
        if rec.schedule_file:
            path = run_dir / rec.schedule_file
            if path.exists():
                sched = read_schedule(path)
        out[rec.instance_sha256] = OfflineBest(rec.offline_best, bool(rec.offline_proven),
                                               str(rec.offline_source), sched)
    return out


def refuse_uncovered(best_known: str | Path, known: dict[str, OfflineBest],
                     entries: list[SetEntry]) -> None:
    """An InputError (field ``--best-known``) unless ``known`` (read from ``best_known``)
    has a value for every instance of ``entries``, by content hash: regret against
    nothing is no result, so the sweep is refused before its run directory is made (a
    newcomer's attack, 2026-12-02: an error record per instance, exit 1)."""
    missing = [e for e in entries if e.sha256 not in known]
    if not missing:
        return
    first = missing[0]
    which = f"{first.instance.id!r} ({first.file}, sha256 {first.sha256[:12]})"
    if len(entries) > 1:
        which = (f"{counted(len(missing), 'instance')} of the {len(entries)}, the first "
                 f"{which}")
    raise InputError(best_known, "--best-known",
                     f"holds no feasible offline run of {which}; give a bench runs.jsonl "
                     f"of these very instances (an edited instance has another sha256), "
                     f"or --offline SOLVERS")


def _best_from_file(cfg: OnlineConfig, entry: SetEntry,
                    known: dict[str, OfflineBest]) -> OfflineBest | None:
    """The best known value of ``entry`` and, if its bench run kept one, its schedule."""
    from splitsched.bench.records import read_runs

    assert cfg.best_known is not None
    best = known.get(entry.sha256)
    if best is None:
        return None
    bench_dir = Path(cfg.best_known).parent
    for rec in read_runs(cfg.best_known).records:
        if rec.instance_sha256 == entry.sha256 and rec.feasible \
                and rec.missed == best.weighted_misses and rec.schedule_file \
                and (bench_dir / rec.schedule_file).exists():
            sched = read_schedule(bench_dir / rec.schedule_file)
            return OfflineBest(best.weighted_misses, best.proven, best.source, sched)
    return best


def _find_offline(cfg: OnlineConfig, entry: SetEntry, known: dict[str, OfflineBest],
                  run_dir: Path, base: RecordBase) -> tuple[OfflineBest | None, RunRecord]:
    """Compute (or look up) the offline best of ``entry``; its record.

    Raises the :data:`INFRA_ERRORS` it meets (the caller makes them infrastructure
    failures); a solver that finds no schedule, or an instance missing from
    ``best_known``, gives a ``no_solution`` record.
    """
    error: str | None = None
    best: OfflineBest | None
    if cfg.best_known is not None:
        best = _best_from_file(cfg, entry, known)
        if best is None:
            error = f"instance not in {cfg.best_known}"
        solvers = f"best-known:{cfg.best_known}"
    else:
        solvers = ",".join(cfg.offline_solvers)
        try:
            best = offline_best(entry.instance, cfg.offline_solvers, cfg.offline_limit_s,
                                cfg.seed)
        except RuntimeError as exc:  # no solver gave a schedule
            best, error = None, str(exc)
    ev: Evaluation | None = None
    sched_file: str | None = None
    if best is not None and best.schedule is not None:
        path = _offline_file(run_dir, entry)
        write_schedule(best.schedule, path)
        sched_file = str(path.relative_to(run_dir))
        ev = evaluate(entry.instance, best.schedule)
    limit = cfg.offline_limit_s if cfg.best_known is None else 0.0
    return best, offline_record(base, solvers, limit, best, ev, sched_file, error)


@dataclass(frozen=True)
class SweepSummary:
    """What a sweep did: records written now, recorded before (skipped), error records
    among the new ones, runs lost to infrastructure failures (rerun them with
    ``resume``), and the report folder."""

    run_dir: Path
    new_records: int
    skipped: int
    errors: int
    infra_failures: list[InfraFailure] = field(default_factory=list)
    report: Path | None = None


def sweep_settings(set_ref: str, cfg: OnlineConfig) -> dict[str, Any]:
    """What ``online.json`` records about a sweep (the :data:`RESUME_KEYS`)."""
    return {"set": set_ref, **cfg.as_dict()}


def check_resume_settings(run_dir: Path, now: dict[str, Any]) -> None:
    """Refuse ``resume`` with settings other than the recorded sweep's.

    Raises
    ------
    InputError
        Naming ``online.json`` and listing every difference (``name: recorded
        -> now``); or ``online.json`` is not a JSON object; or it is missing
        while ``runs.jsonl`` holds records (their settings cannot be checked:
        the records of two sweeps would mix).
    """
    refuse_other_settings(run_dir / CONFIG_FILE, now, RESUME_KEYS, runs=run_dir / RUNS_FILE)


def _check_run_dir(run_dir: Path, resume: bool, settings: dict[str, Any],
                   entries: list[SetEntry]) -> None:
    """Refuse a run directory this sweep must not write (nothing is written here); with
    ``resume``, also an entry of the set edited since its records were written."""
    if run_dir.exists() and not run_dir.is_dir():
        raise InputError(run_dir, "-o", "exists and is not a directory")
    check_output_dir(run_dir, "-o")
    refuse_foreign_folder(run_dir)
    if run_dir.is_dir():  # the report written at the end: refused now, not after the runs
        check_folder_output(run_dir / "report")
    if (run_dir / BENCH_SWEEP_FILE).exists():
        raise InputError(run_dir / BENCH_SWEEP_FILE, "(file)", "this is a bench run "
                         "directory; give the online sweep another -o")
    runs_path = run_dir / RUNS_FILE
    if runs_path.exists() and runs_path.stat().st_size > 0:
        recorded = read_online_runs(run_dir).records  # old-format or bench: refused here
        if not resume:
            raise InputError(runs_path, "(file)", "this run directory already has results; "
                             "use --resume to continue it, or choose a new directory")
        check_resume_settings(run_dir, settings)
        refuse_changed_instances(entries, recorded, runs_path)
    elif resume:
        check_resume_settings(run_dir, settings)


def run_sweep(set_ref: str, cfg: OnlineConfig, run_dir: Path, *, resume: bool = False,
              progress: Callable[[str], None] | None = None) -> SweepSummary:
    """Run ``cfg`` over every instance of ``set_ref`` (names or directories, as
    ``bench --set``), appending records to ``run_dir/runs.jsonl``; then write
    the report (:func:`splitsched.online.report.build_report`).

    Order: check everything (settings, set, run directory, ``resume``), lock
    the run directory, re-read its records under the lock and cut a torn
    last line, write ``online.json`` and the instance copies, then run.

    Raises
    ------
    InputError
        Bad options or set; ``run_dir`` has records and ``resume`` is False;
        ``resume`` with other settings than the recorded ones; an old-format
        or bench run directory; another process holds the lock.
    """
    cfg.check()
    if cfg.best_known is None and not cfg.offline_solvers:
        raise InputError(None, "offline_solvers", "a sweep measures regret against the offline "
                         "best: name an offline solver or a bench runs.jsonl (best_known)")
    if str(run_dir) in ("", "."):
        raise InputError(None, "run_dir", "name a run directory (not the current folder)")
    entries = load_sets(set_ref)
    run_dir = Path(run_dir)
    settings = sweep_settings(set_ref, cfg)
    _check_run_dir(run_dir, resume, settings, entries)
    known = best_known_from_runs(cfg.best_known) if cfg.best_known else {}
    if cfg.best_known is not None:
        refuse_uncovered(cfg.best_known, known, entries)
    with locked_run_dir(run_dir):  # a full disk removes a new, unrecorded run_dir
        return _sweep_locked(entries, set_ref, cfg, run_dir, settings, known, progress)


def _sweep_locked(entries: list[SetEntry], set_ref: str, cfg: OnlineConfig, run_dir: Path,
                  settings: dict[str, Any], known: dict[str, OfflineBest],
                  progress: Callable[[str], None] | None) -> SweepSummary:
    runs_path = run_dir / RUNS_FILE
    repair_runs(runs_path)  # cut a torn last line before appending
    existing = read_online_runs(run_dir).records
    refuse_changed_instances(entries, existing, runs_path)  # records made meanwhile
    done = {r.key for r in existing}
    offline = _recorded_offline(existing, run_dir)
    env = environment()
    write_run_file(run_dir / CONFIG_FILE, dumps({**settings, **env}))
    for entry in entries:
        path = instance_copy_path(run_dir, entry)
        if not path.exists():
            write_run_file(path, dumps(instance_to_dict(entry.instance)))
    new = errors = offline_new = 0
    infra: list[InfraFailure] = []

    def write(rec: RunRecord, run: OnlineRun | None) -> None:
        nonlocal new, errors
        append_record(runs_path, rec)
        new += 1
        errors += rec.status == SolveStatus.ERROR
        if progress:
            progress(f"{rec.instance_id} {rec.policy} run {rec.run}: "
                     + (f"weighted misses {rec.missed}, regret {rec.regret}"
                        if rec.status != SolveStatus.ERROR else str(rec.error)))

    def lost(failure: InfraFailure) -> None:
        infra.append(failure)
        append_json_line(run_dir / INFRA_FILE, {
            "instance_id": failure.instance_id, "instance_sha256": failure.instance_sha256,
            "solver": failure.policy, "policy": failure.policy, "seed": cfg.seed,
            "run": failure.run, "error": failure.error,
            "at": datetime.now(UTC).isoformat(timespec="seconds")})
        if progress:
            progress(f"{failure.instance_id} {failure.policy} run {failure.run}: "
                     f"infrastructure failure, not recorded: {failure.error}")

    for entry in entries:
        sha = entry.sha256
        base = record_base(entry, cfg, set_name=set_ref, run_dir=run_dir, env=env)
        if sha in offline:
            best = offline[sha]
        else:
            try:
                best, rec = _find_offline(cfg, entry, known, run_dir, base)
            except INFRA_ERRORS as exc:
                lost(InfraFailure(entry.id, sha, OFFLINE, None, _error_text(exc)))
                continue
            append_record(runs_path, rec)
            offline_new += 1
            errors += best is None
            offline[sha] = best
        run_instance(entry.instance, cfg, best=best, base=base, skip=done, on_record=write,
                     on_infra=lost)
    from splitsched.online.report import build_report

    # No record at all (every instance lost to an infrastructure failure): no report.
    report = build_report(run_dir) if existing or new or offline_new else None
    return SweepSummary(run_dir, new, sum(1 for r in existing if r.kind != OFFLINE), errors,
                        infra, report)


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


def _row(rec: RunRecord) -> dict[str, Any]:
    """One run of :func:`run_file`'s summary (status ``ok`` or ``error``)."""
    lat = None
    if rec.kind == ONLINE and rec.latency_us is not None:
        from splitsched.online.metrics import latency_summary

        lat = latency_summary(rec.latency_us)
    ok = rec.status != SolveStatus.ERROR
    return {"policy": rec.policy, "run": rec.run, "status": "ok" if ok else "error",
            "misses": rec.misses, "weighted_misses": rec.missed, "miss_rate": rec.miss_rate,
            "regret": rec.regret, "latency": lat, "decisions": rec.decisions,
            "policy_stats": rec.stats.get("policy", {}), "error": rec.error}


def _schedule_path(output: Path, policy: str, run: int, single: bool) -> Path:
    """Where :func:`run_file` writes the realized schedule of (``policy``, ``run``)."""
    if single:
        return output
    return output.with_name(f"{output.stem}.{_safe_name(policy)}.r{run}"
                            f"{output.suffix or '.json'}")


def _realized_path(output: Path, run: int) -> Path:
    """Where :func:`run_file` writes the realized instance of run ``run`` (under noise)."""
    return output.with_name(f"{output.stem}.r{run}.instance.json")


def run_file_outputs(output: Path, cfg: OnlineConfig) -> Iterator[Path]:
    """Every file :func:`run_file` may write for ``output`` under ``cfg`` (so that the CLI
    can check them all, against its inputs too, before any work): the realized schedule
    of each (policy, run), and under noise the realized instance of each run."""
    single = len(cfg.policies) == 1 and cfg.runs == 1
    for run in range(cfg.runs):
        for policy in cfg.policies:
            yield _schedule_path(output, policy, run, single)
        if not cfg.noise.silent:
            yield _realized_path(output, run)


def run_file(instance_file: Path, cfg: OnlineConfig, output: Path | None) -> dict[str, Any]:
    """``splitsched online INSTANCE``: run the policies on one instance file.

    Writes the realized schedule of each (policy, run) to ``output`` when one
    policy runs once, else to ``<output stem>.<policy>.r<run>.json`` beside it;
    under noise also the realized instance of each run
    (``<output stem>.r<run>.instance.json``), against which ``splitsched
    evaluate`` checks the realized schedule. Returns a JSON-able summary:
    the offline best and one row per run (policy, run, misses, weighted
    misses, miss rate, regret, latency summary, output file).

    Raises
    ------
    InputError
        Bad options or instance file.
    """
    from splitsched.io import read_instance, write_instance

    cfg.check()
    inst = read_instance(instance_file)
    sha = instance_sha256(inst)
    best: OfflineBest | None = None
    if cfg.best_known is not None:
        known = best_known_from_runs(cfg.best_known)
        refuse_uncovered(cfg.best_known, known, [SetEntry(file=Path(instance_file),
                                                          instance=inst, sha256=sha,
                                                          params={})])
        best = known[sha]
    elif cfg.offline_solvers:
        best = offline_best(inst, cfg.offline_solvers, cfg.offline_limit_s, cfg.seed)
    single = len(cfg.policies) == 1 and cfg.runs == 1
    written: dict[tuple[str, int], str] = {}
    realized_files: dict[int, str] = {}

    def save(rec: RunRecord, run: OnlineRun | None) -> None:
        if output is None or run is None or rec.policy is None or rec.run is None:
            return
        path = _schedule_path(output, rec.policy, rec.run, single)
        write_schedule(run.schedule, path)
        written[(rec.policy, rec.run)] = str(path)
        if run.realized is not inst and rec.run not in realized_files:
            ipath = _realized_path(output, rec.run)
            write_instance(run.realized, ipath)
            realized_files[rec.run] = str(ipath)

    entry = SetEntry(file=Path(instance_file), instance=inst, sha256=sha,
                     params=params_of(inst))
    res = run_instance(inst, cfg, best=best, base=record_base(entry, cfg), on_record=save)
    rows = []
    for rec in res.records:
        key = (str(rec.policy), int(rec.run if rec.run is not None else -1))
        rows.append(_row(rec) | {"schedule_file": written.get(key),
                                 "realized_instance_file": realized_files.get(key[1])})
    best_fields = ({"offline_best": None, "offline_proven": None, "offline_source": None}
                   if best is None else
                   {"offline_best": best.weighted_misses, "offline_proven": best.proven,
                    "offline_source": best.source})
    return {"instance_id": inst.id, "n_jobs": inst.num_jobs, "total_weight": inst.total_weight,
            **best_fields, "noise_cv": cfg.noise_cv, "seed": cfg.seed, "runs": rows,
            "infra_failures": [{"policy": f.policy, "run": f.run, "error": f.error}
                               for f in res.infra]}
