"""Structure facts of the exact models (formulations/milp.py, formulations/cp.py)."""

from __future__ import annotations

import math
import random

import pytest

from splitsched.formulations import job_windows
from splitsched.formulations.cp import build_cp
from splitsched.formulations.milp import INF, MilpModel, build_milp
from splitsched.problem import Instance, Job, Network, Schedule
from splitsched.solvers.milp_solution import decode, start_values
from tests.helpers.builders import edf_counterexample, random_tiny_instance, two_layer
from tests.helpers.oracle import optimum_witness

BIG = 1000


def one_layer(name: str, gpu: int, cpu: int) -> Network:
    """A 1-layer network: only cuts 0 (CPU) and 1 (GPU), no split cut."""
    return Network(name=name, layer_names=("l1",), gpu_us=(gpu,), cpu_us=(cpu,),
                   handoff_us=(0, 0))


def disjoint_windows() -> Instance:
    net = two_layer("n", gpu=(3, 3), cpu=(3, 3), handoff=1)
    return Instance(id="disjoint", networks=(net,),
                    jobs=(Job("p", "n", 0, 20), Job("q", "n", 100, 120), Job("s", "n", 200, 220)))


def row_activity(model: MilpModel, values: dict[str, float]) -> list[tuple[str, float, float,
                                                                           float]]:
    """(name, lower, activity, upper) of every row at ``values``."""
    out = []
    for row in model.rows:
        act = sum(c * values[model.variables[i].name] for i, c in zip(row.cols, row.coeffs,
                                                                      strict=True))
        out.append((row.name, row.lower, act, row.upper))
    return out


def test_disjoint_windows_have_no_order_binaries() -> None:
    model = build_milp(disjoint_windows())
    assert model.gpu_order == {} and model.cpu_order == {}
    assert not any(v.name.startswith(("og_", "oc_")) for v in model.variables)
    assert model.row_count("gA_") == model.row_count("cA_") == 0


def test_overlapping_windows_get_one_binary_per_pair_and_processor() -> None:
    net = two_layer("n", gpu=(3, 3), cpu=(3, 3), handoff=1)
    inst = Instance(id="ov", networks=(net,),
                    jobs=(Job("p", "n", 0, 20), Job("q", "n", 1, 20), Job("s", "n", 2, 20)))
    model = build_milp(inst)
    assert len(model.gpu_order) == 3 and len(model.cpu_order) == 3


def test_no_handoff_rows_without_split_cuts() -> None:
    inst = Instance(id="single", networks=(one_layer("o", 4, 5),),
                    jobs=(Job("p", "o", 0, 20), Job("q", "o", 0, 20)))
    model = build_milp(inst)
    assert model.row_count("hand_") == 0
    cp = build_cp(inst)
    assert cp.model.proto.constraints  # the model exists
    # the only enforced linear constraints of the CP model are hand-offs: there must be none
    assert not any(ct.enforcement_literal and "linear {" in str(ct)
                   for ct in cp.model.proto.constraints)


def test_handoff_row_only_for_jobs_with_a_split_cut() -> None:
    # "fast" can use the split cut; in "slow" the split cut is pruned (r + a + h + b > d).
    fast = two_layer("fast", gpu=(2, BIG), cpu=(BIG, 2), handoff=1)
    inst = Instance(id="h", networks=(fast,), jobs=(Job("ok", "fast", 0, 10),
                                                    Job("late", "fast", 0, 4)))
    model = build_milp(inst)
    assert [r.name for r in model.rows if r.name.startswith("hand_")] == ["hand_0"]
    cp = build_cp(inst)
    enforced = [ct for ct in cp.model.proto.constraints
                if ct.enforcement_literal and "linear {" in str(ct)]
    assert len(enforced) == 1


def test_pruned_cuts_are_absent() -> None:
    model = build_milp(edf_counterexample())
    # cuts 0 and 2 take 1000+ us against deadlines 7 and 8
    assert sorted(model.y) == [(0, 1), (1, 1)]
    cp = build_cp(edf_counterexample())
    assert sorted(cp.x) == [(0, 1), (1, 1)]


def test_job_that_can_never_be_on_time_has_no_columns() -> None:
    net = one_layer("o", 10, 10)
    inst = Instance(id="hopeless", networks=(net,), jobs=(Job("p", "o", 0, 9),))
    model = build_milp(inst)
    assert model.variables == [] and model.rows == []


def test_big_m_values_come_from_windows() -> None:
    model = build_milp(edf_counterexample())
    # A: a=5, h=0, b=1, r=0, d=7 -> latest GPU end 6; B: a=1, b=5, r=0, d=8 -> latest GPU end 3.
    assert model.big_m["gA_0_1"] == 6 - 0
    assert model.big_m["gB_0_1"] == 3 - 0
    # CPU: A's earliest CPU start 5, B's 1; latest CPU ends are the deadlines.
    assert model.big_m["cA_0_1"] == 7 - 1
    assert model.big_m["cB_0_1"] == 8 - 5
    assert model.big_m["hand_0"] == 0  # A: latest GPU start 1 <= earliest CPU start 5


@pytest.mark.parametrize("seed", range(8))
def test_big_m_finite_and_within_deadlines(seed: int) -> None:
    inst = random_tiny_instance(random.Random(seed), 5)
    model = build_milp(inst)
    horizon = max(j.deadline for j in inst.jobs)
    for name, m in model.big_m.items():
        assert math.isfinite(m) and 0 <= m <= horizon, name
    for v in model.variables:
        assert math.isfinite(v.lower) and math.isfinite(v.upper)


def check_schedule_satisfies_model(inst: Instance, schedule: Schedule, misses: int) -> None:
    model = build_milp(inst)
    values = start_values(model, schedule)
    for v in model.variables:
        assert v.lower - 1e-9 <= values[v.name] <= v.upper + 1e-9, v.name
    for name, lo, act, up in row_activity(model, values):
        assert lo - 1e-9 <= act <= up + 1e-9, (name, lo, act, up)
    on_time = sum(c * values[model.variables[i].name] for i, c in model.objective.items())
    assert on_time == inst.total_weight - misses
    # and the decoder turns those values back into a schedule just as good
    back = decode(inst, model, values, "check")
    from splitsched.evaluate import evaluate

    ev = evaluate(inst, back)
    assert ev.feasible and ev.weighted_misses == misses


@pytest.mark.parametrize("seed", range(12))
def test_oracle_optimal_schedule_satisfies_every_row(seed: int) -> None:
    """No row (energy rows included) cuts off a known optimal schedule."""
    rng = random.Random(1000 + seed)
    inst = random_tiny_instance(rng, rng.randint(3, 5), max_weight=2)
    witness = optimum_witness(inst)
    check_schedule_satisfies_model(inst, witness.schedule(inst), witness.misses)


def test_energy_rows_exist_and_hold_on_hand_schedule() -> None:
    """Three jobs each needing 4 us of GPU within [0, 10): an energy row must say <= 10."""
    net = one_layer("g", 4, BIG)
    inst = Instance(id="energy", networks=(net,),
                    jobs=(Job("p", "g", 0, 10), Job("q", "g", 0, 10), Job("s", "g", 0, 10)))
    model = build_milp(inst)
    rows = [r for r in model.rows if r.name.startswith("eg_")]
    assert len(rows) == 1
    assert rows[0].upper == 10 and sorted(rows[0].coeffs) == [4.0, 4.0, 4.0]
    assert model.row_count("ec_") == 0  # CPU cuts are pruned
    # hand schedule: p on [0, 4), q on [4, 8), s dropped
    from splitsched.problem import JobPlan

    sched = Schedule("energy", "hand", (JobPlan("p", 1, 0, None), JobPlan("q", 1, 4, None),
                                        JobPlan("s", None)))
    check_schedule_satisfies_model(inst, sched, 1)


def test_counterexample_schedules_satisfy_model() -> None:
    from splitsched.problem import JobPlan

    # B's GPU [0,1), A's GPU [1,6); B's CPU [1,6), A's CPU [6,7): both on time.
    sched = Schedule("edf-counterexample", "hand",
                     (JobPlan("A", 1, 1, 6), JobPlan("B", 1, 0, 1)))
    check_schedule_satisfies_model(edf_counterexample(), sched, 0)


def test_zero_length_stage_is_not_an_interval() -> None:
    zero = two_layer("z", gpu=(2, BIG), cpu=(BIG, 0), handoff=3)
    inst = Instance(id="zero", networks=(zero,), jobs=(Job("p", "z", 0, 5),))
    (w,) = job_windows(inst)
    assert w.cuts == (1,) and w.cpu_cuts == (1,) and w.cpu_busy_cuts == ()
    assert build_cp(inst).cpu_intervals == []
    assert INF not in [r.upper for r in build_milp(inst).rows if r.name.startswith("cdl_")]
