"""Certification on hand-made records: best known, bounds, gaps and the consistency flags."""

from __future__ import annotations

import math
from typing import Any

from splitsched.bench.certify import (
    certify,
    consistency_flags,
    effective_bound,
    instance_certificates,
    proven,
    shifted_geometric_mean,
)
from splitsched.bench.records import RunRecord, parse_status


def rec(inst: str, solver: str, status: str, missed: int | None, bound: float | None = None,
        seed: int = 0, **extra: Any) -> RunRecord:
    fields: dict[str, Any] = {"feasible": missed is not None, **extra}
    return RunRecord(instance_id=inst, instance_sha256="sha-" + inst, solver=solver, seed=seed,
                     status=parse_status(status), missed=missed, bound=bound, n_jobs=5,
                     load=1.0, time_limit_s=10.0, threads=1, runtime_s=1.0, **fields)


def test_best_known_bound_and_certified() -> None:
    records = [
        rec("A", "heur", "feasible", 2),
        rec("A", "exact", "timeout", None, bound=1.2),  # proves ceil(1.2) = 2 misses
        rec("A", "other", "feasible", 3),
        rec("B", "heur", "feasible", 4),
        rec("B", "exact", "timeout", 3, bound=2.0),
        rec("C", "heur", "feasible", 0),  # zero misses: the trivial bound 0 certifies it
    ]
    certs = {c.instance_id: c for c in instance_certificates(records).values()}
    assert (certs["A"].best_known, certs["A"].best_bound, certs["A"].certified) == (2, 2, True)
    assert certs["A"].found_by == ("heur",)
    assert (certs["B"].best_known, certs["B"].best_bound, certs["B"].certified) == (3, 2, False)
    assert (certs["C"].best_known, certs["C"].best_bound, certs["C"].certified) == (0, 0, True)
    assert consistency_flags(records) == []


def test_gaps_per_run() -> None:
    records = [rec("A", "heur", "feasible", 2), rec("A", "exact", "optimal", 2, bound=2),
               rec("A", "bad", "feasible", 5), rec("A", "dead", "killed", None)]
    cert = certify(records)
    by_solver = {m.record.solver: m for m in cert.runs}
    assert (by_solver["bad"].gap_best, by_solver["bad"].gap_bound) == (3, 3)
    assert by_solver["heur"].best_found and by_solver["heur"].certified_optimal
    assert by_solver["dead"].gap_best is None and not by_solver["dead"].best_found
    assert cert.flags == []


def test_false_optimal_claim_is_flagged() -> None:
    # "liar" claims optimal with 3 misses, "heur" found a schedule with 2.
    records = [rec("A", "heur", "feasible", 2), rec("A", "liar", "optimal", 3)]
    flags = consistency_flags(records)
    kinds = {(f.kind, f.solver) for f in flags}
    assert ("false_optimal", "liar") in kinds
    # An optimal claim without a bound proves its own misses: that bound (3) is above 2 too.
    assert ("bound_above_feasible", "liar") in kinds
    assert all(f.instance_id == "A" for f in flags)


def test_bound_above_feasible_is_flagged() -> None:
    records = [rec("B", "heur", "feasible", 1), rec("B", "exact", "timeout", None, bound=1.5)]
    flags = consistency_flags(records)
    assert [(f.kind, f.solver) for f in flags] == [("bound_above_feasible", "exact")]
    # A bound equal to the best feasible misses (up to float noise) is fine.
    ok = [rec("B", "heur", "feasible", 1), rec("B", "exact", "timeout", None, bound=1.0000001)]
    assert consistency_flags(ok) == []


def test_untrusted_runs_give_no_bound() -> None:
    assert effective_bound(rec("A", "x", "error", None, bound=9.0)) is None
    assert effective_bound(rec("A", "x", "crash", None, bound=9.0)) is None
    assert effective_bound(rec("A", "x", "optimal", 4)) == 4.0
    records = [rec("A", "heur", "feasible", 1), rec("A", "broken", "error", None, bound=9.0)]
    assert consistency_flags(records) == []
    assert proven(2.0000000001) == 2 and proven(2.3) == 3


def test_infeasible_claim_and_worker_mismatch_are_flagged() -> None:
    bad = rec("A", "buggy", "error", None, claimed_status="optimal",
              schedule_file="schedules/x.json")
    assert not bad.feasible
    mism = rec("A", "odd", "feasible", 2, worker_claim_mismatch=True, worker_missed=1)
    kinds = {f.kind for f in consistency_flags([bad, mism])}
    assert kinds == {"infeasible_claim", "worker_mismatch"}


def test_shifted_geometric_mean() -> None:
    assert math.isclose(shifted_geometric_mean([0.0, 3.0], shift=1.0), 1.0)
    assert math.isclose(shifted_geometric_mean([10.0, 10.0], shift=10.0), 10.0)
    assert math.isnan(shifted_geometric_mean([]))


def test_solver_table_time_to_proof_and_proof_gaps() -> None:
    """The exact methods' side-by-side columns, by hand: best known A = 2, B = 3, C = 0."""
    import pandas as pd

    from splitsched.bench.tables import solver_table

    records = [
        rec("A", "heur", "feasible", 2), rec("B", "heur", "feasible", 3),
        rec("C", "heur", "feasible", 0),
        # proves A (runtime 1 s), leaves B at bound 1.5 (proves 2: gap 1), C without a bound
        rec("A", "exact", "optimal", 2, bound=2.0),
        rec("B", "exact", "timeout", 4, bound=1.5),
        rec("C", "exact", "feasible", 0),
        # proves nothing: not compared as an exact method
        rec("A", "weak", "timeout", 3), rec("B", "weak", "timeout", 5),
    ]
    table = solver_table(certify(records)).set_index("solver")
    assert table.loc["exact", "median_time_to_proof_s"] == 1.0
    assert table.loc["exact", "sum_proof_gaps"] == 0 + 1 + 0  # C's best known is 0
    assert pd.isna(table.loc["heur", "sum_proof_gaps"])  # None in a numeric column
    assert pd.isna(table.loc["weak", "median_time_to_proof_s"])
