"""The solve harness: one evaluation per answer, checked claims, never worse than the start."""

from __future__ import annotations

import importlib
import os
import random
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import asdict

import pytest

from splitsched.problem import Instance, JobPlan, Schedule
from splitsched.solve import compute_warm_start, solve
from splitsched.solvers.base import (
    SolverOutput,
    SolveStatus,
    all_dropped,
    register,
    unregister,
)
from splitsched.solvers.exact import check_claims
from tests.helpers.builders import edf_counterexample, random_tiny_instance
from tests.helpers.oracle import optimum
from tests.helpers.paths import REPO_ROOT

# The module (the package attribute splitsched.evaluate is the function).
evaluate_module = importlib.import_module("splitsched.evaluate")


def test_false_bound_is_refuted_and_recorded() -> None:
    c = check_claims(claimed_status=SolveStatus.OPTIMAL, claimed_bound=2.0,
                     verified=[("warm_start:dp-edf", 1), ("solver", 2)], exact=True)
    assert c.status is SolveStatus.FEASIBLE and c.bound is None
    assert c.contradiction == {"claimed_status": "optimal", "claimed_bound": 2.0,
                               "verified_source": "warm_start:dp-edf", "verified_misses": 1}


def test_optimal_needs_a_bound_the_reported_schedule_meets() -> None:
    c = check_claims(claimed_status=SolveStatus.OPTIMAL, claimed_bound=1.0,
                     verified=[("solver", 2)], exact=True)
    assert c.status is SolveStatus.FEASIBLE and c.bound == 1.0 and c.contradiction is None
    c = check_claims(claimed_status=SolveStatus.OPTIMAL, claimed_bound=None,
                     verified=[("solver", 2)], exact=True)
    assert c.status is SolveStatus.FEASIBLE and c.bound is None


def test_timeout_whose_schedule_meets_the_bound_is_optimal() -> None:
    c = check_claims(claimed_status=SolveStatus.TIMEOUT, claimed_bound=1.0,
                     verified=[("warm_start:dp-edf", 1), ("warm_start:dp-edf", 1)], exact=True)
    assert c.status is SolveStatus.OPTIMAL and c.bound == 1.0


def test_zero_misses_is_optimal_for_an_exact_solver_only() -> None:
    c = check_claims(claimed_status=SolveStatus.TIMEOUT, claimed_bound=None,
                     verified=[("solver", 0)], exact=True)
    assert c.status is SolveStatus.OPTIMAL and c.bound == 0.0
    c = check_claims(claimed_status=SolveStatus.OPTIMAL, claimed_bound=0.0,
                     verified=[("solver", 0)], exact=False)
    assert c.status is SolveStatus.FEASIBLE and c.bound is None


def test_non_finite_bound_is_dropped() -> None:
    c = check_claims(claimed_status=SolveStatus.TIMEOUT, claimed_bound=float("nan"),
                     verified=[("solver", 1)], exact=True)
    assert c.bound is None and c.status is SolveStatus.TIMEOUT


@pytest.fixture
def liar() -> Iterator[str]:
    """An exact solver that drops every job and claims that is optimal (a false proof)."""

    @register("th-liar", "test only", exact=True, uses_warm_start=True)
    def fn(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
           warm_start: object = None) -> SolverOutput:
        return SolverOutput(all_dropped(instance, "th-liar"), SolveStatus.OPTIMAL,
                            bound=float(instance.total_weight))

    yield "th-liar"
    unregister("th-liar")


def test_false_proof_is_caught_and_warm_start_kept(liar: str) -> None:
    inst = edf_counterexample()  # optimum 0 misses; dp-edf (EDF order) misses 1
    res = solve(inst, liar, time_limit_s=5)
    assert res.stats["warm_start"] == "dp-edf" and res.stats["warm_start_misses"] == 1
    # The liar's bound 2 is refuted by the warm start's 1 miss: no bound, no optimal.
    assert res.bound is None and res.status is SolveStatus.FEASIBLE
    assert res.stats["proof_contradiction"]["claimed_bound"] == 2.0
    assert res.stats["proof_contradiction"]["verified_misses"] == 1
    # And the reported schedule is the warm start, never worse than it.
    assert res.weighted_misses == 1 and res.stats["schedule_source"] == "warm_start"
    assert res.schedule is not None and res.schedule.solver == liar


def test_cpsat_solve_evaluates_at_most_twice(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    real = evaluate_module.Evaluation.__init__

    def counting(self: object, *args: object, **kwargs: object) -> None:
        nonlocal calls
        calls += 1
        real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(evaluate_module.Evaluation, "__init__", counting)
    res = solve(random_tiny_instance(random.Random(3), 5), "cpsat", time_limit_s=5)
    assert res.status is SolveStatus.OPTIMAL
    assert calls <= 2


@pytest.mark.parametrize("seed", range(10))
def test_warm_start_keeps_on_time_jobs_only(seed: int) -> None:
    inst = random_tiny_instance(random.Random(seed), 5)
    warm = compute_warm_start(inst, 5.0, 0)
    assert warm.evaluation is None or warm.evaluation.feasible
    ev = evaluate_module.evaluate(inst, warm.schedule)
    assert ev.feasible and ev.weighted_misses == warm.weighted_misses
    assert all(ev.on_time[p.job] for p in warm.schedule.plans if p.cut is not None)
    assert warm.weighted_misses >= optimum(inst)


def test_bad_limits_raise() -> None:
    inst = edf_counterexample()
    for bad in (0.0, -1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="time_limit_s"):
            solve(inst, "dp-edf", time_limit_s=bad)
    with pytest.raises(ValueError, match="threads"):
        solve(inst, "dp-edf", threads=0)


def test_settings_are_recorded_in_the_run_stats() -> None:
    """Each run says how it was tuned: the harness's settings and the solver family's."""
    from splitsched.solve import DEFAULT_HARNESS_SETTINGS
    from splitsched.solvers.dp import DEFAULT_DP_SETTINGS

    res = solve(edf_counterexample(), "dp-edf", time_limit_s=5.0)
    assert res.stats["harness_settings"] == {
        "warm_start_solvers": list(DEFAULT_HARNESS_SETTINGS.warm_start_solvers),
        "min_solver_share": DEFAULT_HARNESS_SETTINGS.min_solver_share}
    assert res.stats["settings"] == asdict(DEFAULT_DP_SETTINGS)
    exact = solve(edf_counterexample(), "cpsat", time_limit_s=5.0)
    assert exact.stats["settings"] == {"time_limit_slack": 0.95}


def test_no_warm_start_solver_means_every_job_dropped() -> None:
    """With no warm-start solver to try, the start drops every job (and is still feasible)."""
    from splitsched.solve import compute_warm_start

    inst = edf_counterexample()
    warm = compute_warm_start(inst, 1.0, 0, solvers=())
    assert warm.source == "none" and warm.weighted_misses == inst.total_weight
    assert all(p.cut is None for p in warm.schedule.plans)


def test_the_warm_start_solver_is_imported_before_the_clock_starts() -> None:
    # In a fresh process, importing dp-edf's module (numba and its kernels) took 0.7 s;
    # inside the clock it was charged to cpsat and the MILPs only (lbbd and hybrid import
    # it with their own module). At the harness's first clock read it must be loaded.
    code = textwrap.dedent("""
        import importlib, sys, time, types
        harness = importlib.import_module("splitsched.solve")
        from splitsched.problem import Instance, Job
        from tests.helpers.builders import chain_network
        seen = []
        real = time.perf_counter
        def clock():
            if not seen:
                seen.append("splitsched.solvers.dp" in sys.modules)
            return real()
        harness.time = types.SimpleNamespace(perf_counter=clock)
        net = chain_network("n", gpu=(4,), cpu=(5,))
        inst = Instance(id="one", networks=(net,), jobs=(Job("a", "n", 0, 20),))
        assert "splitsched.solvers.dp" not in sys.modules
        res = harness.solve(inst, "cpsat", time_limit_s=5)
        harness.time = time
        print(seen[0], res.status)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                         check=True)
    assert out.stdout.split() == ["True", "optimal"], out.stderr


def test_solve_loads_the_warm_start_solvers_only_for_a_valid_call_without_a_start() -> None:
    # A bad parameter is refused before the DP's import (17 s where numba's cache is cold,
    # a review), and a caller's warm start needs no warm-start solver.
    code = textwrap.dedent("""
        import sys
        from splitsched.solve import compute_warm_start, solve
        from tests.helpers.builders import edf_counterexample
        inst = edf_counterexample()
        try:
            solve(inst, "cpsat", time_limit_s=-1)
        except ValueError:
            print("refused", "splitsched.solvers.dp" in sys.modules)
        warm = compute_warm_start(inst, 1.0, 0, solvers=())
        res = solve(inst, "cpsat", time_limit_s=5, warm_start=warm)
        print(res.status, "splitsched.solvers.dp" in sys.modules)
        solve(inst, "cpsat", time_limit_s=5)
        print("splitsched.solvers.dp" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
                         check=True)
    assert out.stdout.split() == ["refused", "False", "optimal", "False", "True"], out.stderr


def test_bench_child_loads_the_warm_start_solver_before_its_start_byte(tmp_path) -> None:
    # bench's hard-kill clock starts at the child's start byte. Where numba's cache was
    # cold (a fresh clone), importing dp-edf's module compiled its kernels for 18 s after
    # that byte, and the README's main command recorded a cpsat run at 5 s as killed.
    code = textwrap.dedent("""
        import json, os, sys
        from pathlib import Path
        from splitsched.bench import worker
        from splitsched.bench.records import RunSpec
        from splitsched.io import instance_to_dict
        from tests.helpers.builders import edf_counterexample
        loaded = []
        real_write = os.write
        def write(fd, data):
            if data == b"S":
                loaded.append("splitsched.solvers.dp" in sys.modules)
            return real_write(fd, data)
        os.write = write
        tmp = Path(sys.argv[1])
        spec = RunSpec(instance=instance_to_dict(edf_counterexample()), solver="cpsat",
                       seed=0, time_limit_s=5.0, threads=1, mem_limit_mb=None, grace_s=5.0)
        (tmp / "spec.json").write_text(json.dumps(spec.to_dict()))
        r, w = os.pipe()
        worker.child_main([str(tmp / "spec.json"), str(tmp / "result.json"), str(w),
                           str(os.getppid())])
        print(loaded, os.read(r, 1), json.loads((tmp / "result.json").read_text())["status"])
    """)
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                         text=True, cwd=REPO_ROOT,
                         env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, check=True)
    assert out.stdout.split() == ["[True]", "b'S'", "optimal"], out.stderr


def test_a_ctrl_c_that_native_code_turned_into_an_error_is_raised_not_an_error_status(
        ) -> None:
    # A Ctrl-C during a numba call surfaces as "SystemError: CPUDispatcher(...) returned a
    # result with an exception set", the KeyboardInterrupt as its cause: solve reported it
    # as status error (and the CLI exited 1, not 130).
    @register("test-converted-interrupt", "test only: a KeyboardInterrupt turned into "
              "SystemError")
    def converted(instance: Instance, *, time_limit_s: float, seed: int, threads: int
                  ) -> SolverOutput:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            raise SystemError("returned a result with an exception set") from exc

    @register("test-plain-error", "test only: a SystemError of its own")
    def plain(instance: Instance, *, time_limit_s: float, seed: int, threads: int) -> SolverOutput:
        raise SystemError("broken")

    inst = random_tiny_instance(random.Random(1), 3)
    try:
        with pytest.raises(KeyboardInterrupt):
            solve(inst, "test-converted-interrupt", time_limit_s=1)
        res = solve(inst, "test-plain-error", time_limit_s=1)
        assert res.status.value == "error" and "SystemError: broken" in res.stats["error"]
    finally:
        unregister("test-converted-interrupt")
        unregister("test-plain-error")


@pytest.mark.parametrize("name", ["cpsat", "hybrid", "case-split"])
def test_a_warm_start_that_understates_its_misses_is_evaluated_not_trusted(name: str) -> None:
    # A newcomer's attack: a schedule with more misses stated as 0 made exact solvers
    # report ``optimal`` with bound 0 beside that schedule's misses.
    from splitsched.solve import WarmStart

    inst = random_tiny_instance(random.Random(11), 5)
    best = optimum(inst)
    dropped = Schedule(instance_id=inst.id, solver="x",
                       plans=tuple(JobPlan(job=j.id, cut=None) for j in inst.jobs))
    assert inst.total_weight > best  # the lie below is a lie
    res = solve(inst, name, time_limit_s=30, warm_start=WarmStart(dropped, 0, "liar"))
    assert res.status is SolveStatus.OPTIMAL, res.stats
    assert res.weighted_misses == res.bound == best
    assert "proof_contradiction" not in res.stats
    assert res.stats["warm_start_misses"] == inst.total_weight


def test_a_warm_start_of_another_instance_is_refused() -> None:
    from splitsched.solve import WarmStart

    inst = random_tiny_instance(random.Random(12), 4)
    plans = tuple(JobPlan(job=j.id, cut=999) for j in inst.jobs)  # cuts out of range
    bad = WarmStart(Schedule(instance_id=inst.id, solver="x", plans=plans), 0, "other")
    with pytest.raises(ValueError, match=r"warm_start: not a feasible schedule.*out of range"):
        solve(inst, "case-split", time_limit_s=5, warm_start=bad)


def test_a_warm_start_for_another_instance_id_or_of_another_type_is_refused() -> None:
    # A newcomer's attack: a relabelled schedule came back in lbbd's and hybrid's result
    # with the other instance's id, which io.check_schedule_matches then refused.
    from splitsched.solve import WarmStart

    inst = random_tiny_instance(random.Random(13), 4)
    plans = tuple(JobPlan(job=j.id, cut=None) for j in inst.jobs)
    other = WarmStart(Schedule(instance_id=inst.id + "-other", solver="x", plans=plans),
                      inst.total_weight, "other")
    with pytest.raises(ValueError, match="warm_start: schedule is for instance"):
        solve(inst, "hybrid", time_limit_s=5, warm_start=other)
    with pytest.raises(TypeError, match="warm_start: expected a WarmStart"):
        solve(inst, "hybrid", time_limit_s=5,
              warm_start=other.schedule)  # type: ignore[arg-type]
