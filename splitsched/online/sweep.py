"""Online policies over instances: one instance (:func:`run_instance`) or a set
(:func:`run_sweep`), with durable records and resume.

For every instance the offline best (clairvoyant) is found once; then, for
each run ``r`` of ``runs``, one realized instance is drawn (seed, r) and every
policy runs online on it, and the offline best schedule is replayed on it
(``static``): all of them see the same actual durations.

Records (``RUN_DIR/runs.jsonl``, schema ``splitsched-online-run``) are one JSON
line per finished run, appended, flushed and fsynced at once (the bench's
:func:`~splitsched.bench.records.append_json_line`); ``resume`` skips every run
whose key (instance sha256, policy, budget, noise, seed, run) is recorded and
reuses the recorded offline best and its schedule file. Kinds: ``offline``
(one per instance: the comparator), ``online`` (a policy's run), ``static``
(the offline schedule replayed under the run's draws). A policy that raises
becomes a record with ``status: error`` and the sweep goes on.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from splitsched.bench.machine import environment
from splitsched.bench.records import append_json_line
from splitsched.bench.sets import SetEntry, load_sets
from splitsched.io import (
    InputError,
    atomic_write_text,
    dumps,
    instance_sha256,
    read_schedule,
    write_schedule,
)
from splitsched.online.draws import realized_instance
from splitsched.online.engine import OnlineRun, run_online
from splitsched.online.metrics import (
    OfflineBest,
    best_known_from_runs,
    latency_summary,
    offline_best,
    replay_static,
    run_summary,
)
from splitsched.online.policies import PolicyOptions, make_policy
from splitsched.online.records import SCHEMA, repair_records
from splitsched.problem import Instance
from splitsched.replay.noise import NoiseModel

VERSION = 1
RUNS_FILE = "runs.jsonl"
STATIC = "static"  # the policy name of the replayed offline best schedule
CONFIG_FILE = "online.json"


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
        if not self.replan_budget_ms > 0:
            raise InputError(None, "replan_budget_ms", f"must be > 0, got "
                                                         f"{self.replan_budget_ms}")
        if not self.noise_cv >= 0:
            raise InputError(None, "noise_cv", f"must be >= 0, got {self.noise_cv}")
        if self.runs < 1:
            raise InputError(None, "runs", f"must be >= 1, got {self.runs}")
        if not self.offline_limit_s > 0:
            raise InputError(None, "offline_limit_s", f"must be > 0, got {self.offline_limit_s}")
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
        elif not Path(self.best_known).is_file():
            raise InputError(self.best_known, "(file)", "no such file")

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


RunKey = tuple[str, str, float, float, bool, int, int]


def run_key(sha: str, policy: str, budget_ms: float, cv: float, measured: bool, seed: int,
            run: int) -> RunKey:
    """The identity of one run: what resume skips."""
    return (sha, policy, float(budget_ms), float(cv), bool(measured), int(seed), int(run))


def record_key(rec: dict[str, Any]) -> RunKey:
    return run_key(rec["instance_sha256"], rec["policy"], rec["replan_budget_ms"],
                   rec["noise_cv"], rec["use_measured_sd"], rec["seed"], rec["run"])


def online_record(run: OnlineRun, best: OfflineBest | None) -> dict[str, Any]:
    """The measured part of a record for one online run."""
    lat = [round(v, 1) for v in run.latencies_us]
    return {"status": "ok", "kind": "online", **run_summary(run.evaluation, best),
            "violations": list(run.evaluation.violations[:5]),
            "latency": latency_summary(run.latencies_us), "latency_us": lat,
            "cpu_latency": latency_summary(run.cpu_latencies_us),
            "cpu_latency_us": [round(v, 1) for v in run.cpu_latencies_us],
            "decisions": len(run.decisions),
            "max_pending": max((d.pending for d in run.decisions), default=0),
            "policy_stats": run.policy_stats}


@dataclass
class InstanceResult:
    """Everything run on one instance (for the CLI's single-instance mode)."""

    instance: Instance
    best: OfflineBest | None
    records: list[dict[str, Any]] = field(default_factory=list)
    runs: list[OnlineRun] = field(default_factory=list)


def _base(entry_id: str, sha: str, inst: Instance, params: dict[str, Any],
          cfg: OnlineConfig, set_name: str) -> dict[str, Any]:
    load = params.get("load")
    return {"schema": SCHEMA, "version": VERSION, "set": set_name, "instance_id": entry_id,
            "instance_sha256": sha, "instance_params": params,
            "load": float(load) if isinstance(load, int | float) else None,
            "n_jobs": inst.num_jobs, "total_weight": inst.total_weight,
            "replan_budget_ms": cfg.replan_budget_ms, "noise_cv": cfg.noise_cv,
            "use_measured_sd": cfg.use_measured_sd, "seed": cfg.seed}


def _best_fields(best: OfflineBest | None) -> dict[str, Any]:
    if best is None:
        return {"offline_best": None, "offline_proven": None, "offline_source": None}
    return {"offline_best": best.weighted_misses, "offline_proven": best.proven,
            "offline_source": best.source}


def run_instance(instance: Instance, cfg: OnlineConfig, *, best: OfflineBest | None,
                 base: dict[str, Any] | None = None, skip: set[RunKey] | None = None,
                 on_record: Callable[[dict[str, Any], OnlineRun | None], None] | None = None,
                 ) -> InstanceResult:
    """Run every policy (and the static replay) ``cfg.runs`` times on one instance.

    Parameters
    ----------
    best:
        The offline comparator (None: no regret, no static replay).
    base:
        Fields copied into every record (instance provenance).
    skip:
        Keys of runs already recorded (resume).
    on_record:
        Called with each new record (and its OnlineRun, None for static).
    """
    sha = instance_sha256(instance)
    base = base or _base(instance.id, sha, instance, {}, cfg, "")
    skip = skip or set()
    out = InstanceResult(instance, best)
    noise = cfg.noise
    options = PolicyOptions(cfg.replan_budget_ms)
    names: list[str] = list(cfg.policies)
    static_name = None
    if cfg.static and best is not None and best.schedule is not None:
        static_name = STATIC
    for r in range(cfg.runs):
        todo = [n for n in names + ([static_name] if static_name else [])
                if run_key(sha, n, cfg.replan_budget_ms, cfg.noise_cv, cfg.use_measured_sd,
                           cfg.seed, r) not in skip]
        if not todo:
            continue
        realized = realized_instance(instance, noise, cfg.seed, r)
        for name in todo:
            rec = {**base, **_best_fields(best), "policy": name, "run": r,
                   "realized_instance_id": realized.id}
            t0 = time.perf_counter()
            run: OnlineRun | None = None
            if name == static_name:
                assert best is not None and best.schedule is not None
                _executed, ev = replay_static(instance, best.schedule, realized)
                rec.update({"status": "ok", "kind": "static", **run_summary(ev, best),
                            "static_schedule_solver": best.schedule.solver,
                            "violations": list(ev.violations[:5]), "latency": None,
                            "latency_us": [], "decisions": 0, "policy_stats": {}})
            else:
                try:
                    run = run_online(instance, make_policy(name, options), realized=realized,
                                     seed=cfg.seed + r)
                    rec.update(online_record(run, best))
                    out.runs.append(run)
                except Exception as exc:  # a policy bug is a record, not the end of a sweep
                    rec.update({"status": "error", "kind": "online",
                                "error": f"{type(exc).__name__}: {exc}"})
            rec["wall_s"] = round(time.perf_counter() - t0, 6)
            rec["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
            out.records.append(rec)
            if on_record:
                on_record(rec, run)
    return out


def _offline_file(run_dir: Path, entry: SetEntry) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in entry.id)
    return run_dir / "offline" / f"{safe}__{entry.sha256[:12]}.json"


def _load_offline(records: Sequence[dict[str, Any]], run_dir: Path,
                  ) -> dict[str, OfflineBest]:
    out: dict[str, OfflineBest] = {}
    for rec in records:
        if rec.get("kind") != "offline" or rec.get("status") != "ok":
            continue
        sched = None
        if rec.get("schedule_file"):
            path = run_dir / rec["schedule_file"]
            if path.exists():
                sched = read_schedule(path)
        out[rec["instance_sha256"]] = OfflineBest(int(rec["offline_best"]),
                                                  bool(rec["offline_proven"]),
                                                  str(rec["offline_source"]), sched)
    return out


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


@dataclass(frozen=True)
class SweepSummary:
    run_dir: Path
    new_records: int
    skipped: int
    errors: int


def run_sweep(set_ref: str, cfg: OnlineConfig, run_dir: Path, *, resume: bool = False,
              progress: Callable[[str], None] | None = None) -> SweepSummary:
    """Run ``cfg`` over every instance of ``set_ref`` (names or directories, as
    ``bench --set``), appending records to ``run_dir/runs.jsonl``; then write
    the report (:func:`splitsched.online.report.build_report`).

    Raises
    ------
    InputError
        Bad options or set; ``run_dir`` has records and ``resume`` is False;
        ``resume`` with a different configuration than the recorded one.
    """
    cfg.check()
    if cfg.best_known is None and not cfg.offline_solvers:
        raise InputError(None, "offline_solvers", "a sweep measures regret against the offline "
                         "best: name an offline solver or a bench runs.jsonl (best_known)")
    if str(run_dir) in ("", "."):
        raise InputError(None, "run_dir", "name a run directory (not the current folder)")
    entries = load_sets(set_ref)
    run_dir = Path(run_dir)
    runs_file = run_dir / RUNS_FILE
    cfg_file = run_dir / CONFIG_FILE
    if runs_file.exists() and not resume:
        raise InputError(run_dir, "(run directory)", "already holds runs.jsonl; pass --resume "
                                                     "to continue it or choose another -o")
    cfg_data = {"set": set_ref, **cfg.as_dict()}
    if resume and cfg_file.exists():
        from splitsched.io import read_json

        old = read_json(cfg_file)
        keys = ("replan_budget_ms", "noise_cv", "use_measured_sd", "seed", "offline_solvers",
                "offline_limit_s", "best_known")
        diff = [k for k in keys if old.get(k) != cfg_data.get(k)]
        if diff:
            raise InputError(cfg_file, diff[0], f"differs from this sweep ({old.get(diff[0])!r} "
                                                f"recorded, {cfg_data.get(diff[0])!r} now); "
                                                "use another run directory")
    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cfg_file, dumps({**cfg_data, **environment()}))
    loaded = repair_records(runs_file)
    done = {record_key(r) for r in loaded if r.get("kind") != "offline"}
    offline = _load_offline(loaded, run_dir)
    known = best_known_from_runs(cfg.best_known) if cfg.best_known else {}
    new = errors = 0

    def write(rec: dict[str, Any], run: OnlineRun | None) -> None:
        nonlocal new, errors
        append_json_line(runs_file, rec)
        new += 1
        errors += rec.get("status") == "error"
        if progress:
            progress(f"{rec['instance_id']} {rec['policy']} run {rec['run']}: "
                     + (f"weighted misses {rec.get('weighted_misses')}, regret {rec.get('regret')}"
                        if rec.get("status") == "ok" else rec.get("error", "error")))

    for entry in entries:
        base = _base(entry.id, entry.sha256, entry.instance, entry.params, cfg, set_ref)
        best = offline.get(entry.sha256)
        if best is None:
            best = (_best_from_file(cfg, entry, known) if cfg.best_known
                    else offline_best(entry.instance, cfg.offline_solvers, cfg.offline_limit_s,
                                      cfg.seed))
            rec = {**base, **_best_fields(best), "kind": "offline", "status": "ok",
                   "policy": "offline", "run": -1, "schedule_file": None,
                   "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}
            if best is None:
                rec["status"] = "error"
                rec["error"] = f"instance not in {cfg.best_known}"
            elif best.schedule is not None:
                path = _offline_file(run_dir, entry)
                write_schedule(best.schedule, path)
                rec["schedule_file"] = str(path.relative_to(run_dir))
            append_json_line(runs_file, rec)
            if best is not None:
                offline[entry.sha256] = best
        run_instance(entry.instance, cfg, best=best, base=base, skip=done, on_record=write)
    from splitsched.online.report import build_report

    build_report(run_dir)
    return SweepSummary(run_dir, new, sum(1 for r in loaded if r.get("kind") != "offline"),
                        errors)


def _safe_name(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)


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
    best: OfflineBest | None = None
    if cfg.best_known is not None:
        best = best_known_from_runs(cfg.best_known).get(instance_sha256(inst))
    elif cfg.offline_solvers:
        best = offline_best(inst, cfg.offline_solvers, cfg.offline_limit_s, cfg.seed)
    single = len(cfg.policies) == 1 and cfg.runs == 1
    written: dict[tuple[str, int], str] = {}
    realized_files: dict[int, str] = {}

    def save(rec: dict[str, Any], run: OnlineRun | None) -> None:
        if output is None or run is None:
            return
        if single:
            path = output
        else:
            path = output.with_name(f"{output.stem}.{_safe_name(rec['policy'])}.r{rec['run']}"
                                    f"{output.suffix or '.json'}")
        write_schedule(run.schedule, path)
        written[(rec["policy"], rec["run"])] = str(path)
        if run.realized is not inst and rec["run"] not in realized_files:
            ipath = output.with_name(f"{output.stem}.r{rec['run']}.instance.json")
            write_instance(run.realized, ipath)
            realized_files[rec["run"]] = str(ipath)

    res = run_instance(inst, cfg, best=best, on_record=save)
    rows = []
    for rec in res.records:
        rows.append({k: rec.get(k) for k in ("policy", "run", "status", "misses",
                                             "weighted_misses", "miss_rate", "regret",
                                             "latency", "decisions", "policy_stats", "error")}
                    | {"schedule_file": written.get((rec["policy"], rec["run"])),
                       "realized_instance_file": realized_files.get(rec["run"])})
    return {"instance_id": inst.id, "n_jobs": inst.num_jobs, "total_weight": inst.total_weight,
            **_best_fields(best), "noise_cv": cfg.noise_cv, "seed": cfg.seed, "runs": rows}
