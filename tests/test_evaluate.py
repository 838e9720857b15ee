"""evaluate() on hand-computed schedules: every rule and every metric."""

from __future__ import annotations

from splitsched.evaluate import evaluate
from splitsched.problem import Instance, Job, JobPlan, Schedule
from tests.helpers.builders import edf_counterexample, two_layer


def sched(inst: Instance, *plans: JobPlan) -> Schedule:
    return Schedule(instance_id=inst.id, solver="hand", plans=plans)


def test_counterexample_a_then_b_misses_b() -> None:
    inst = edf_counterexample()
    # A first on both processors: A gpu [0,5), cpu [5,6); B gpu [5,6), cpu [6,11) > 8.
    ev = evaluate(inst, sched(inst, JobPlan("A", 1, 0, 5), JobPlan("B", 1, 5, 6)))
    assert ev.feasible, ev.violations
    assert dict(ev.completion) == {"A": 6, "B": 11}
    assert dict(ev.on_time) == {"A": True, "B": False}
    assert ev.misses == 1 and ev.miss_rate == 0.5
    assert ev.makespan == 11


def test_counterexample_b_then_a_meets_both() -> None:
    inst = edf_counterexample()
    # B gpu [0,1), cpu [1,6) <= 8; A gpu [1,6), cpu [6,7) <= 7.
    ev = evaluate(inst, sched(inst, JobPlan("A", 1, 1, 6), JobPlan("B", 1, 0, 1)))
    assert ev.feasible, ev.violations
    assert dict(ev.completion) == {"A": 7, "B": 6}
    assert ev.misses == 0 and ev.makespan == 7


def test_handoff_lag_violation_is_reported() -> None:
    net = two_layer("n", gpu=(3, 9), cpu=(9, 2), handoff=4)
    inst = Instance(id="lag", networks=(net,), jobs=(Job("j", "n", 0, 100),))
    # GPU [0,3), hand-off 4 -> CPU may start at 7; starting at 5 breaks the lag.
    ev = evaluate(inst, sched(inst, JobPlan("j", 1, 0, 5)))
    assert not ev.feasible
    assert any("hand-off lag not respected" in v and "earliest 7" in v for v in ev.violations)
    assert ev.misses == 1
    ok = evaluate(inst, sched(inst, JobPlan("j", 1, 0, 7)))
    assert ok.feasible and ok.completion["j"] == 9 and ok.misses == 0


def test_every_rule_named() -> None:
    net = two_layer("n", gpu=(3, 3), cpu=(4, 4), handoff=1)
    inst = Instance(id="rules", networks=(net,),
                    jobs=(Job("a", "n", 10, 100), Job("b", "n", 0, 100), Job("c", "n", 0, 100),
                          Job("d", "n", 0, 100)))
    ev = evaluate(inst, sched(
        inst,
        JobPlan("a", 2, gpu_start=5),                # before release
        JobPlan("b", 2, gpu_start=12),               # fine: a runs [5, 11)
        JobPlan("c", 7, gpu_start=0),                # cut out of range
        JobPlan("zz", None),                          # unknown job
    ))
    text = " | ".join(ev.violations)
    assert "before its release 10" in text
    assert "cut 7 out of range 0..2" in text
    assert "unknown job 'zz'" in text
    assert "job 'd' has no plan" in text
    assert not ev.feasible


def test_overlap_and_stage_presence() -> None:
    net = two_layer("n", gpu=(3, 3), cpu=(4, 4))
    inst = Instance(id="ov", networks=(net,), jobs=(Job("a", "n", 0, 100), Job("b", "n", 0, 100)))
    ev = evaluate(inst, sched(inst, JobPlan("a", 2, gpu_start=0), JobPlan("b", 2, gpu_start=5)))
    assert any("overlap on gpu" in v for v in ev.violations)
    ev = evaluate(inst, sched(inst, JobPlan("a", 0, gpu_start=0, cpu_start=0),
                              JobPlan("b", 1, cpu_start=3)))
    text = " | ".join(ev.violations)
    assert "CPU-only but gpu_start is set" in text
    assert "has a GPU stage but no gpu_start" in text


def test_dropped_jobs_and_weights() -> None:
    net = two_layer("n", gpu=(3, 3), cpu=(4, 4))
    inst = Instance(id="w", networks=(net,),
                    jobs=(Job("a", "n", 0, 6, weight=3), Job("b", "n", 0, 100, weight=1)))
    ev = evaluate(inst, sched(inst, JobPlan("a", None), JobPlan("b", 2, gpu_start=0)))
    assert ev.feasible
    assert ev.misses == 1 and ev.weighted_misses == 3
    assert ev.weighted_miss_rate == 0.75 and ev.miss_rate == 0.5
    assert ev.completion["a"] is None and ev.makespan == 6


def test_late_job_is_a_miss_but_feasible() -> None:
    net = two_layer("n", gpu=(3, 3), cpu=(4, 4))
    inst = Instance(id="late", networks=(net,), jobs=(Job("a", "n", 0, 5),))
    ev = evaluate(inst, sched(inst, JobPlan("a", 2, gpu_start=0)))
    assert ev.feasible and ev.misses == 1 and ev.completion["a"] == 6
