"""``hybrid`` (Benders phase, then CP-SAT with energetic rows and cores) against the oracle."""

from __future__ import annotations

import dataclasses
import itertools
import random

import pytest
from ortools.sat.python import cp_model

from splitsched.formulations import job_windows
from splitsched.formulations.bounds import cut_energy_rows
from splitsched.formulations.cp import CpModel, build_cp, new_solver
from splitsched.io import read_instance
from splitsched.problem import Instance, Job
from splitsched.solve import solve
from splitsched.solvers import hybrid
from splitsched.solvers.heuristics import dp_ls_phases
from splitsched.solvers.hybrid import add_symmetry_rows, select_rows
from tests.helpers.builders import (
    chain_network,
    edf_counterexample,
    handoff_counterexample,
    random_tiny_instance,
    two_layer,
)
from tests.helpers.oracle import optimum
from tests.helpers.paths import SETS_DIR


def test_hybrid_matches_the_oracle_on_tiny_instances() -> None:
    rng = random.Random(61)
    for i in range(60):
        inst = random_tiny_instance(rng, rng.randint(1, 5), max_weight=3,
                                    with_release=i % 4 != 0, zero_layers=i % 3 == 0)
        opt = optimum(inst)
        res = solve(inst, "hybrid", time_limit_s=20, seed=0, threads=1)
        assert res.status == "optimal", (res.status, res.stats, inst)
        assert res.missed == opt, inst
        assert res.bound is not None and res.bound == opt, inst


def test_hybrid_bound_is_never_above_the_optimum_under_a_short_limit() -> None:
    rng = random.Random(62)
    for _ in range(30):
        inst = random_tiny_instance(rng, 5, max_weight=3)
        opt = optimum(inst)
        res = solve(inst, "hybrid", time_limit_s=0.05, seed=1, threads=1)
        assert res.missed is not None and res.missed >= opt
        if res.status == "optimal":
            assert res.missed == opt
        assert res.bound is None or res.bound <= opt, (res.bound, opt, inst)


def test_hybrid_leaves_common_orders_when_it_must() -> None:
    for inst in (edf_counterexample(), handoff_counterexample()):
        res = solve(inst, "hybrid", time_limit_s=10)
        assert res.status == "optimal" and res.missed == 0, inst.id


def test_row_selection_respects_the_budget_and_prefers_overloaded_rows() -> None:
    rng = random.Random(63)
    inst = random_tiny_instance(rng, 5, with_release=False)
    rows = cut_energy_rows(job_windows(inst))
    assert rows
    picked = select_rows(rows, nnz_budget=10**9)
    assert len(picked) == len(rows)
    small = select_rows(rows, nnz_budget=max(len(r.coef) for r in rows))
    assert sum(len(r.coef) for r in small) <= max(len(r.coef) for r in rows)
    assert select_rows(rows, nnz_budget=0) == []


def test_rows_within_keeps_a_prefix_under_the_budget() -> None:
    rng = random.Random(64)
    inst = random_tiny_instance(rng, 5, with_release=False)
    rows = cut_energy_rows(job_windows(inst))
    sizes = [len(r.coef) for r in rows]
    for budget in (0, sizes[0], sum(sizes[:2]), sum(sizes) - 1, sum(sizes)):
        kept = hybrid._within(rows, budget)
        assert kept == rows[:len(kept)] and sum(len(r.coef) for r in kept) <= budget
        assert len(kept) == len(rows) or sum(sizes[:len(kept) + 1]) > budget


def test_cp_phase_rows_fit_the_time_left(monkeypatch: pytest.MonkeyPatch) -> None:
    """The rows added to the CP-SAT model cost time to build: with a (pretended) cost of
    1 ms per nonzero, their budget is a quarter of the time left over that cost, far below
    NNZ_BUDGET, and the rows added stay within it (no clock in the assertion)."""
    monkeypatch.setattr(hybrid, "ROW_S_PER_NNZ", 1e-3)
    inst = read_instance(SETS_DIR / "v2" / "ar-poisson-n40" / "v2-poisson-redmi-n40-l3-s2-w.json")
    res = solve(inst, "hybrid", time_limit_s=3.0)
    budget = res.stats["cp_nnz_budget"]
    assert isinstance(budget, int) and 0 <= budget <= 0.25 * 3.0 / 1e-3
    assert res.stats["cut_rows_nnz"] <= budget


def _grouped_instance(rng: random.Random, n_jobs: int) -> Instance:
    """A tiny instance whose jobs share few networks, weights and releases."""
    base = random_tiny_instance(rng, n_jobs, max_weight=2, with_release=False,
                                zero_layers=rng.random() < 0.3)
    jobs = []
    spread = rng.random() < 0.5  # else a shared deadline shift: later releases have less slack
    for j in base.jobs:
        r = rng.choice((0, 0, 2, 5)) if spread else rng.choice((0, 3))
        jobs.append(dataclasses.replace(j, release=r, deadline=j.deadline + (r if spread else 3)))
    return dataclasses.replace(base, jobs=tuple(jobs))


@pytest.mark.parametrize("same_release_only", [True, False])
def test_symmetry_rows_keep_the_optimum_of_grouped_instances(
        same_release_only: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    # The rows may cut schedules, never the optimum (jobs of one network and weight, some
    # released together). CP-SAT on the model with the rows against brute force, with the
    # rows across releases (off by default) and without.
    monkeypatch.setattr(hybrid, "SAME_RELEASE_ONLY", same_release_only)
    rng = random.Random(64)
    grouped = 0
    for _ in range(120):
        inst = _grouped_instance(rng, rng.randint(2, 6))
        cp = build_cp(inst)
        rows = add_symmetry_rows(cp, inst)
        grouped += rows > 0
        solver = new_solver(20, threads=1, seed=0)
        code = solver.solve(cp.model)
        assert code == cp_model.OPTIMAL
        assert inst.total_weight - round(solver.objective_value) == optimum(inst), inst
    assert grouped >= 40, grouped


def _keeps(cp: CpModel, on_time: frozenset[int]) -> bool:
    """Whether ``cp``'s model has a schedule with exactly ``on_time`` on time (CP-SAT)."""
    model = cp.model.clone()
    for w in cp.windows:
        chosen = sum(model.get_bool_var_from_proto_index(cp.x[w.index, k].index)
                     for k in w.cuts)
        if w.cuts:
            model.add(chosen == int(w.index in on_time))
    model.clear_objective()
    solver = new_solver(20, threads=1, seed=0)
    code = solver.solve(model)
    assert code in (cp_model.OPTIMAL, cp_model.FEASIBLE, cp_model.INFEASIBLE)
    return code != cp_model.INFEASIBLE


def _feasible_sets(inst: Instance, cp: CpModel) -> set[frozenset[int]]:
    """Every set of jobs that ``cp``'s model can keep on time together."""
    live = [w.index for w in cp.windows if w.cuts]
    return {frozenset(s) for n in range(len(live) + 1)
            for s in itertools.combinations(live, n) if _keeps(cp, frozenset(s))}


def test_start_rows_keep_every_feasible_on_time_set() -> None:
    # A start row only swaps the plans of two on-time jobs, so alone the rows keep every
    # on-time set: the sets the plain model keeps, against the model with the start rows.
    rng = random.Random(67)
    with_rows = 0
    for _ in range(40):
        inst = _grouped_instance(rng, rng.randint(2, 5))
        plain = _feasible_sets(inst, build_cp(inst))
        cp = build_cp(inst)
        with_rows += hybrid._add_start_rows(cp, inst) > 0
        assert _feasible_sets(inst, cp) == plain, inst
    assert with_rows >= 10, with_rows


def test_start_rows_let_a_later_job_start_first_when_it_ends_past_the_deadline() -> None:
    # p (released 0, due 12) fits only on the CPU (7 us); q (released 2, due 15) on the
    # GPU alone, 2 to 15; x (CPU, 4 us) is due 10. All three on time needs x at 1-5 and p
    # at 5-12, after q's start at 2: the row must let q start first since q ends (15)
    # after p's deadline (a plain S_p <= S_q would refute the set).
    n = two_layer("n", gpu=(2, 11), cpu=(3, 4), handoff=18)
    m = chain_network("m", gpu=[12], cpu=[4])
    inst = Instance(id="start-rows", networks=(n, m), jobs=(
        Job(id="p", network="n", release=0, deadline=12),
        Job(id="q", network="n", release=2, deadline=15),
        Job(id="x", network="m", release=1, deadline=10)))
    cp = build_cp(inst)
    assert hybrid._add_start_rows(cp, inst) == 1
    assert _keeps(cp, frozenset({0, 1, 2}))
    assert optimum(inst) == 0


def test_symmetry_rows_keep_every_on_time_count_vector() -> None:
    # All rows together (drop, order and start rows) may change which jobs of a group are
    # on time, never how many: case_split fixes these counts, so every count vector the
    # plain model reaches must stay reachable.
    rng = random.Random(68)

    def counts(inst: Instance, sets: set[frozenset[int]]) -> set[tuple[int, ...]]:
        groups = sorted({(j.network, j.weight) for j in inst.jobs})
        return {tuple(sum(1 for i in s if (inst.jobs[i].network, inst.jobs[i].weight) == g)
                      for g in groups) for s in sets}

    for _ in range(40):
        inst = _grouped_instance(rng, rng.randint(2, 5))
        plain = _feasible_sets(inst, build_cp(inst))
        cp = build_cp(inst)
        add_symmetry_rows(cp, inst, start_rows=True)
        assert counts(inst, _feasible_sets(inst, cp)) == counts(inst, plain), inst


def test_hybrid_matches_the_oracle_on_grouped_instances() -> None:
    rng = random.Random(65)
    for _ in range(25):
        inst = _grouped_instance(rng, rng.randint(2, 6))
        res = solve(inst, "hybrid", time_limit_s=20, seed=0, threads=1)
        assert res.status == "optimal" and res.missed == optimum(inst), (res.stats, inst)


_REAL_LBBD = hybrid.run_lbbd


def _no_benders(instance: Instance, *, t_end: float, **kw: object) -> object:
    """``run_lbbd`` given no time: the warm start as incumbent, no bound (total weight)."""
    st, _upper = _REAL_LBBD(instance, t_end=0.0, **kw)  # type: ignore[arg-type]
    return st, instance.total_weight


def test_cp_phase_with_chosen_subsolvers_matches_the_oracle(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # The CP-SAT phase alone proves here: the Benders phase gets no time and claims no
    # bound, and no per-cut rows (hence no cut LP) exist. Its workers are the chosen
    # subsolvers (hybrid.CP_SUBSOLVERS), which must leave the optimum and bound exact.
    seen: list[cp_model.CpSolver] = []
    real_new_solver = hybrid.new_solver

    def recording_new_solver(left: float, *, threads: int, seed: int) -> cp_model.CpSolver:
        solver = real_new_solver(left, threads=threads, seed=seed)
        seen.append(solver)  # its parameters are read after hybrid extends them
        return solver

    monkeypatch.setattr(hybrid, "run_lbbd", _no_benders)
    monkeypatch.setattr(hybrid, "cut_energy_rows", lambda *a, **k: [])
    monkeypatch.setattr(hybrid, "new_solver", recording_new_solver)
    monkeypatch.setattr(hybrid, "CP_SUBSOLVERS", ("lb_tree_search", "objective_shaving_max_lp"))
    rng = random.Random(66)
    for i in range(30):
        inst = random_tiny_instance(rng, rng.randint(2, 5), max_weight=3,
                                    with_release=i % 4 != 0, zero_layers=i % 3 == 0)
        opt = optimum(inst)
        res = solve(inst, "hybrid", time_limit_s=20, seed=0, threads=2)
        assert res.status == "optimal" and res.missed == opt, (res.stats, inst)
        assert res.bound == opt, (res.bound, opt, inst)
    chosen = [s for s in seen
              if list(s.parameters.subsolvers) == ["lb_tree_search", "objective_shaving_max_lp"]]
    assert len(chosen) == len(seen) >= 10, len(seen)


def _bare_phases(monkeypatch: pytest.MonkeyPatch) -> None:
    """Benders gets no time, there are no per-cut rows and CP-SAT stops at once."""
    real_new_solver = hybrid.new_solver

    def stopped_solver(left: float, *, threads: int, seed: int) -> cp_model.CpSolver:
        solver = real_new_solver(left, threads=threads, seed=seed)
        solver.parameters.max_time_in_seconds = 0.0
        return solver

    monkeypatch.setattr(hybrid, "run_lbbd", _no_benders)
    monkeypatch.setattr(hybrid, "cut_energy_rows", lambda *a, **k: [])
    monkeypatch.setattr(hybrid, "new_solver", stopped_solver)


def test_primal_phase_gives_the_incumbent(monkeypatch: pytest.MonkeyPatch) -> None:
    # Benders gets no time and proves nothing, there are no per-cut rows and CP-SAT stops at
    # once: the answer is the better of the warm start and dp-ls's phases (hybrid.PRIMAL),
    # never below the oracle's optimum, and "optimal" only where every job is on time.
    _bare_phases(monkeypatch)
    monkeypatch.setattr(hybrid, "TWINS", False)
    rng = random.Random(67)
    ran = 0
    for i in range(50):
        inst = random_tiny_instance(rng, rng.randint(2, 6), max_weight=3,
                                    with_release=i % 4 != 0, zero_layers=i % 3 == 0)
        opt = optimum(inst)
        res = solve(inst, "hybrid", time_limit_s=20, seed=0, threads=1)
        primal = dp_ls_phases(inst, "test", hybrid.PRIMAL_SHARE * 20, seed=0)[0].weight
        edf = solve(inst, "dp-edf", time_limit_s=20, seed=0, threads=1).missed
        if "primal_weight" in res.stats:
            ran += 1
            assert res.stats["primal_weight"] == primal, inst
        assert res.missed == min(edf, inst.total_weight - primal), (res.stats, inst)
        assert res.missed >= opt, inst
        assert res.status != "optimal" or res.missed == 0, (res.stats, inst)
    assert ran >= 10, ran


def test_twins_phase_alone_matches_the_oracle(monkeypatch: pytest.MonkeyPatch) -> None:
    # Only the twins phase can prove here (Benders gets no time, no per-cut rows, CP-SAT
    # stops at once, no primal phase): on tiny instances whose jobs share one release it
    # claims "optimal" only at the oracle's optimum, its bound never passes it, and it
    # proves some of them.
    _bare_phases(monkeypatch)
    monkeypatch.setattr(hybrid, "PRIMAL", False)
    rng = random.Random(71)
    proved = 0
    for i in range(60):
        inst = random_tiny_instance(rng, rng.randint(3, 6), max_weight=2, with_release=False,
                                    zero_layers=i % 3 == 0)
        opt = optimum(inst)
        res = solve(inst, "hybrid", time_limit_s=20, seed=0, threads=1)
        assert res.missed >= opt and (res.bound or 0) <= opt + 1e-9, (res.stats, inst)
        if res.status == "optimal":
            assert res.missed == opt, (res.stats, inst)
            proved += res.stats.get("twins_status") == "refuted"
    assert proved >= 15, proved
