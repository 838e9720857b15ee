"""Metrics and certification: pure functions on lists of run records.

Per instance (identified by its sha256) the *best known* value is the fewest
weighted misses among runs whose schedule passed evaluation, and the *best
bound* is the largest proven lower bound any trustworthy run reported. Where
they meet the instance is *certified optimal*. The trivial bound 0 always
holds, so an instance where some schedule misses nothing is certified. Misses are integers (integer
weights), so a fractional bound b proves ceil(b) (with a small tolerance).

A run with status ``optimal`` and no explicit bound is read as claiming the
bound ``missed`` (that is what ``optimal`` means); a false claim is then
caught by the same checks as a wrong bound.

Consistency checks (any hit makes ``bench`` exit 1):

* ``false_optimal``: a run claims ``optimal`` but another run on the same
  instance found fewer misses;
* ``bound_above_feasible``: a run's bound exceeds the misses of a feasible
  schedule on the same instance (the bound is not a bound);
* ``infeasible_claim``: a solver returned a schedule that evaluation rejects
  while claiming it ``optimal`` or ``feasible``;
* ``proof_contradiction``: within one run, the harness refuted the
  backend's claimed bound or ``optimal`` with a verified schedule
  (:func:`splitsched.solvers.exact.check_claims`); the run reports neither,
  and the backend's false claim is still flagged;
* ``worker_mismatch``: the worker's own miss count disagrees with the
  submitting side's re-evaluation.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from splitsched.bench.records import NORMAL_END, RunRecord
from splitsched.solvers.base import SolveStatus

_EPS = 1e-6


@dataclass(frozen=True)
class InstanceCert:
    """What all runs together know about one instance."""

    sha256: str
    instance_id: str
    n_jobs: int
    load: float | None
    best_known: int | None
    best_bound: int
    certified: bool
    found_by: tuple[str, ...]
    runs: int


@dataclass(frozen=True)
class Flag:
    """One failed consistency check, in words."""

    kind: str
    instance_id: str
    solver: str
    seed: int
    message: str


@dataclass(frozen=True)
class RunMetrics:
    """Per-run view against its instance: gaps and whether it reached the best."""

    record: RunRecord
    gap_best: int | None
    gap_bound: int | None
    best_found: bool
    certified_optimal: bool


@dataclass(frozen=True)
class Certification:
    """The result of :func:`certify` on a list of records."""

    instances: dict[str, InstanceCert]
    runs: list[RunMetrics]
    flags: list[Flag] = field(default_factory=list)


def is_solved(record: RunRecord) -> bool:
    """A run is *solved* when it has a schedule that passed evaluation."""
    return record.solved


def effective_bound(record: RunRecord) -> float | None:
    """The lower bound a run proves, or None (see module docstring).

    Only runs that ended normally (:data:`~splitsched.bench.records.NORMAL_END`)
    are believed.
    """
    if record.status not in NORMAL_END:
        return None
    if record.bound is not None:
        return float(record.bound)
    if record.status is SolveStatus.OPTIMAL and record.missed is not None and record.solved:
        return float(record.missed)
    return None


def proven(bound: float) -> int:
    """The integer number of misses a (possibly fractional) bound proves."""
    return math.ceil(bound - _EPS)


def _missed(r: RunRecord) -> int:
    assert r.missed is not None
    return r.missed


def instance_certificates(records: Sequence[RunRecord]) -> dict[str, InstanceCert]:
    """Best known, best bound and certification per instance sha256."""
    by_inst: dict[str, list[RunRecord]] = defaultdict(list)
    for r in records:
        by_inst[r.instance_sha256].append(r)
    out: dict[str, InstanceCert] = {}
    for sha, runs in by_inst.items():
        solved = [_missed(r) for r in runs if r.solved]
        bounds = [proven(b) for r in runs if (b := effective_bound(r)) is not None]
        best = min(solved) if solved else None
        # 0 misses is a bound no solver needs to prove: it certifies a zero-miss schedule.
        bound = max([0, *bounds])
        found_by = sorted({r.solver for r in runs if r.solved and r.missed == best})
        first = runs[0]
        out[sha] = InstanceCert(
            sha256=sha, instance_id=first.instance_id, n_jobs=int(first.n_jobs or 0),
            load=first.load, best_known=best, best_bound=bound,
            certified=best is not None and bound is not None and bound >= best,
            found_by=tuple(found_by), runs=len(runs))
    return out


def consistency_flags(records: Sequence[RunRecord]) -> list[Flag]:
    """Every failed consistency check (see module docstring), in record order."""
    best: dict[str, int] = {}
    for r in records:
        if r.solved:
            sha = r.instance_sha256
            best[sha] = min(best.get(sha, _missed(r)), _missed(r))
    flags: list[Flag] = []
    for r in records:
        sha, name, seed = r.instance_sha256, r.solver, r.seed
        inst = r.instance_id
        known = best.get(sha)
        if r.status is SolveStatus.OPTIMAL and r.solved and known is not None \
                and _missed(r) > known:
            flags.append(Flag("false_optimal", inst, name, seed,
                              f"{name} (seed {seed}) claims optimal with {r.missed} missed, "
                              f"but another run on {inst} found {known}"))
        bound = effective_bound(r)
        if bound is not None and known is not None and proven(bound) > known:
            flags.append(Flag("bound_above_feasible", inst, name, seed,
                              f"{name} (seed {seed}) reports bound {bound:g} on {inst}, above "
                              f"a feasible schedule with {known} missed"))
        if r.status is SolveStatus.ERROR and r.claimed_status in (
                SolveStatus.OPTIMAL, SolveStatus.FEASIBLE) and r.schedule_file \
                and not r.feasible:
            flags.append(Flag("infeasible_claim", inst, name, seed,
                              f"{name} (seed {seed}) claimed {r.claimed_status} on {inst} "
                              f"with a schedule that evaluation rejects: {r.error}"))
        refuted = r.stats.get("proof_contradiction")
        if isinstance(refuted, dict):
            flags.append(Flag("proof_contradiction", inst, name, seed,
                              f"{name} (seed {seed}) on {inst}: the backend claimed "
                              f"{refuted.get('claimed_status')} with bound "
                              f"{refuted.get('claimed_bound')}, but a verified schedule "
                              f"({refuted.get('verified_source')}) has "
                              f"{refuted.get('verified_misses')} weighted misses; the run "
                              f"reports neither"))
        if r.worker_claim_mismatch:
            flags.append(Flag("worker_mismatch", inst, name, seed,
                              f"{name} (seed {seed}) on {inst}: worker counted "
                              f"{r.worker_missed} missed, re-evaluation {r.missed}"))
    return flags


def run_metrics(records: Sequence[RunRecord],
                certs: dict[str, InstanceCert]) -> list[RunMetrics]:
    """Gap to best known and to best bound, per run (None when not solved)."""
    out: list[RunMetrics] = []
    for r in records:
        c = certs[r.instance_sha256]
        missed = _missed(r) if r.solved else None
        gap_best = missed - c.best_known if missed is not None and c.best_known is not None \
            else None
        gap_bound = missed - c.best_bound if missed is not None and c.best_bound is not None \
            else None
        best_found = gap_best == 0
        out.append(RunMetrics(r, gap_best, gap_bound, best_found,
                              certified_optimal=best_found and c.certified))
    return out


def certify(records: Iterable[RunRecord]) -> Certification:
    """Per-instance certificates, per-run metrics and consistency flags."""
    recs = list(records)
    certs = instance_certificates(recs)
    return Certification(certs, run_metrics(recs, certs), consistency_flags(recs))


def shifted_geometric_mean(values: Sequence[float], shift: float = 1.0) -> float:
    """exp(mean(log(v + shift))) - shift: the usual runtime summary (robust to tiny times)."""
    if not values:
        return float("nan")
    return math.exp(sum(math.log(max(v, 0.0) + shift) for v in values) / len(values)) - shift
