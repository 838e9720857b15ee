"""Online mode: facts about the event-driven engine and its policies.

Facts checked: with every release at 0 and no noise, ``replan:S`` misses no
more weight than S's offline schedule; a pair of instances on which every
online policy misses a job that the clairvoyant schedule saves; committed
stages are never moved; runs are deterministic for a seed; a fixed plan
executed by the engine equals the replay's execution under the same draws;
the DP's start-label extension equals the EDF-order optimum with the busy
processors as jobs. (The sweep's records, resume and report: test_sweep.py,
test_records.py, test_report.py.)
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from splitsched.cli import app
from splitsched.evaluate import evaluate
from splitsched.io import read_instance, read_schedule, write_instance
from splitsched.online import (
    Decision,
    FixedPlanPolicy,
    OnlineState,
    PolicyError,
    PolicyOptions,
    Start,
    UnknownPolicyError,
    make_policy,
    realized_instance,
    run_online,
)
from splitsched.online.metrics import replay_static
from splitsched.online.policies import GREEDY_RULES
from splitsched.problem import CPU, GPU, Instance, Job, Network
from splitsched.replay.noise import NoiseModel
from splitsched.sets import SETS_DIR, iter_set_files
from splitsched.solve import solve
from splitsched.solvers.dp import edf_key, run_dp
from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum

GREEDY = sorted(GREEDY_RULES)
OPTIONS = PolicyOptions(replan_budget_ms=10_000)  # generous: tests state facts, not speed


def _set(name: str, count: int) -> list[Instance]:
    return [read_instance(p) for p in list(iter_set_files(SETS_DIR / name))[:count]]


def _one_layer(name: str, gpu: int, cpu: int) -> Network:
    return Network(name=name, layer_names=("l",), gpu_us=(gpu,), cpu_us=(cpu,),
                   handoff_us=(0, 0))


# ----------------------------------------------------------------- releases at 0, no noise
@pytest.mark.parametrize("solver", ["dp-edf", "edf-greedy-cut", "edf-best-single", "fifo-gpu"])
def test_replan_no_worse_than_offline_when_all_released_at_zero(solver: str) -> None:
    """With every job known at 0 and exact times, the first re-plan is S's own
    schedule (retimed to the earliest starts in its orders, which ends no job
    later), and a later plan replaces it only when predicted better; without
    noise the prediction is what happens."""
    rng = random.Random(5)
    instances = [random_tiny_instance(rng, rng.randint(2, 6), with_release=False,
                                      max_weight=rng.choice((1, 3)))
                 for _ in range(60)]
    instances += _set("batch-n5", 3) + _set("batch-n10", 3)
    for inst in instances:
        offline = solve(inst, solver, time_limit_s=10)
        assert offline.missed is not None
        run = run_online(inst, make_policy(f"replan:{solver}", OPTIONS))
        assert run.evaluation.feasible, run.evaluation.violations
        assert run.evaluation.weighted_misses <= offline.missed, inst.id


def test_replan_cpsat_no_worse_than_its_offline_optimum() -> None:
    rng = random.Random(8)
    for _ in range(8):
        inst = random_tiny_instance(rng, rng.randint(2, 5), with_release=False)
        offline = solve(inst, "cpsat", time_limit_s=10)
        assert offline.status == "optimal"
        assert offline.missed == optimum(inst)
        run = run_online(inst, make_policy("replan:cpsat", OPTIONS))
        assert run.evaluation.feasible
        assert run.evaluation.weighted_misses <= offline.missed


# ----------------------------------------------------------------- online is not clairvoyant
def _adversary_pair() -> tuple[Instance, Instance]:
    either = _one_layer("either", 10, 10)
    gpu_fast = _one_layer("gpu-fast", 2, 100)
    cpu_fast = _one_layer("cpu-fast", 100, 2)
    nets = (either, gpu_fast, cpu_fast)
    a = Job("A", "either", 0, 10)
    later = (Job("B1", "gpu-fast", 1, 5), Job("B2", "gpu-fast", 1, 5),
             Job("B3", "cpu-fast", 1, 5), Job("B4", "cpu-fast", 1, 5))
    return (Instance("adversary-1", nets, (a,)), Instance("adversary-2", nets, (a, *later)))


ONLINE_POLICIES = [*GREEDY, "replan:dp-edf", "replan:edf-greedy-cut", "replan:cpsat"]


@pytest.mark.parametrize("policy", ONLINE_POLICIES)
def test_every_online_policy_misses_a_job_the_clairvoyant_saves(policy: str) -> None:
    """Two instances that look the same until time 1.

    Networks (one layer: cut 1 = GPU only, cut 0 = CPU only): ``either``
    takes 10 on the GPU or the CPU; ``gpu-fast`` 2 on the GPU, 100 on the CPU;
    ``cpu-fast`` 100 on the GPU, 2 on the CPU. I1 = {A: either, r=0, d=10}.
    I2 = I1 + {B1, B2: gpu-fast, r=1, d=5} + {B3, B4: cpu-fast, r=1, d=5}.

    Clairvoyant: I1 misses nothing (A at 0). I2 misses only A (B1, B2 on the
    GPU in [1, 5], B3, B4 on the CPU in [1, 5]); meeting A would hold one
    processor during [0, 10) and make both B's of that processor late
    (on the other processor they take 100), so 1 is optimal (the oracle
    confirms both values).

    Online: until time 1 a policy sees only A, in both instances, and is
    called only at events (integer times; a wake-up is later than now), so it
    makes the same choice at 0 in both. A is on time only if it starts at 0
    (d - r = 10 = its length). If the policy starts A at 0, it holds a
    processor during [0, 10) and in I2 misses B1 and B2 or B3 and B4: 2 > 1.
    If not, A misses in I1: 1 > 0. Either way it misses a job that the
    clairvoyant schedule of that instance saves. The argument needs two
    instances: on a single one, some policy happens to guess right.
    """
    i1, i2 = _adversary_pair()
    assert optimum(i1) == 0 and optimum(i2) == 1
    r1 = run_online(i1, make_policy(policy, OPTIONS))
    r2 = run_online(i2, make_policy(policy, OPTIONS))
    first1 = [d.starts for d in r1.decisions if d.time == 0]
    first2 = [d.starts for d in r2.decisions if d.time == 0]
    assert first1 == first2  # same information, same decision at time 0
    assert r1.evaluation.feasible and r2.evaluation.feasible
    assert r1.evaluation.weighted_misses > 0 or r2.evaluation.weighted_misses > 1


# ----------------------------------------------------------------- zero-length stages
def _zero_work_while_busy() -> Instance:
    """n1, n2 (10 us on either processor, due at 10) hold both processors over [0, 10);
    z (no work at all: its stages occupy nothing) is released at 5, due at 6; zh
    (cut 1: a zero-length GPU stage, a 3 us hand-off, a zero-length CPU stage) is
    released at 5, due at 8. Every job can be on time (the oracle: 0 misses)."""
    zero = Network(name="zero", layer_names=("l",), gpu_us=(0,), cpu_us=(0,),
                   handoff_us=(0, 0))
    lag = Network(name="lag", layer_names=("a", "b"), gpu_us=(0, 5), cpu_us=(5, 0),
                  handoff_us=(0, 3, 0))
    nets = (_one_layer("n", 10, 10), zero, lag)
    return Instance("zero-work-while-busy", nets,
                    (Job("n1", "n", 0, 10), Job("n2", "n", 0, 10), Job("z", "zero", 5, 6),
                     Job("zh", "lag", 5, 8)))


@pytest.mark.parametrize("policy", ["edf-greedy-cut", "replan:dp-edf",
                                    "replan:edf-greedy-cut", "replan:cpsat"])
def test_a_zero_work_stage_starts_while_both_processors_are_busy(policy: str) -> None:
    """A newcomer's attack (2026-12-02): the engine called a policy only when a
    processor was idle, so z and zh, released while n1 and n2 held both processors,
    were first offered at 10, past their deadlines: every policy missed them (regret
    2). A zero-length stage occupies nothing, so the policy is called at 5 too."""
    inst = _zero_work_while_busy()
    assert optimum(inst) == 0
    run = run_online(inst, make_policy(policy, OPTIONS))
    assert run.evaluation.feasible, run.evaluation.violations
    assert run.evaluation.on_time == {"n1": True, "n2": True, "z": True, "zh": True}
    assert {s.job for d in run.decisions if d.time == 5 for s in d.starts} == {"z", "zh"}


@pytest.mark.parametrize("policy", GREEDY)
def test_single_processor_rules_meet_the_zero_work_job(policy: str) -> None:
    """The same instance under every greedy rule: z (zero work on every cut) is on time
    whatever the rule (before: missed by all)."""
    run = run_online(_zero_work_while_busy(), make_policy(policy, OPTIONS))
    assert run.evaluation.feasible, run.evaluation.violations
    assert run.evaluation.on_time["z"]


# ----------------------------------------------------------------- committed stages
def _check_commitments(run_result: object) -> None:
    run = run_result
    plans = run.schedule.plan_by_job  # type: ignore[attr-defined]
    seen: set[tuple[str, str]] = set()
    cut_of: dict[str, int] = {}
    for d in run.decisions:  # type: ignore[attr-defined]
        for s in d.starts:
            key = (s.job, s.processor)
            assert key not in seen, f"{key} started twice"
            seen.add(key)
            assert cut_of.setdefault(s.job, s.cut) == s.cut, f"{s.job} changed its cut"
            plan = plans[s.job]
            assert plan.cut == s.cut
            start = plan.gpu_start if s.processor == GPU else plan.cpu_start
            assert start == d.time, f"{s.job} {s.processor} moved from {d.time} to {start}"
    scheduled = {(p.job, proc) for p in plans.values() if p.cut is not None
                 for proc, t in ((GPU, p.gpu_start), (CPU, p.cpu_start)) if t is not None}
    assert scheduled == seen
    ev = evaluate(run.realized, run.schedule)  # type: ignore[attr-defined]
    assert ev.feasible, ev.violations


@pytest.mark.parametrize("policy", ["replan:dp-edf", "edf-greedy-cut", "replan:edf-greedy-cut"])
def test_committed_stages_never_move(policy: str) -> None:
    adopted = 0
    for inst in _set("poisson-n20", 3) + _set("periodic-n20", 2):
        for r in range(2):
            real = realized_instance(inst, NoiseModel(cv=0.2), seed=3, run=r)
            run = run_online(inst, make_policy(policy, PolicyOptions(200)), realized=real)
            _check_commitments(run)
            adopted += int(run.policy_stats.get("adopted", 0))
    if policy.startswith("replan:"):
        assert adopted > 10  # plans did change, so the check above means something


def test_runs_are_deterministic_for_a_seed() -> None:
    inst = _set("poisson-n20", 1)[0]
    noise = NoiseModel(cv=0.15)

    def once(run: int) -> tuple[object, object]:
        real = realized_instance(inst, noise, seed=9, run=run)
        res = run_online(inst, make_policy("replan:dp-edf", PolicyOptions(1000)), realized=real,
                         seed=9)
        return res.schedule.plans, [(d.time, d.starts, d.drops) for d in res.decisions]

    assert once(0) == once(0)
    assert realized_instance(inst, noise, 9, 0) == realized_instance(inst, noise, 9, 0)
    assert realized_instance(inst, noise, 9, 0) != realized_instance(inst, noise, 9, 1)


def test_no_noise_realized_instance_is_the_instance() -> None:
    inst = _set("poisson-n10", 1)[0]
    assert realized_instance(inst, NoiseModel(cv=0.0), 1, 0) is inst
    real = realized_instance(inst, NoiseModel(cv=0.3), 1, 0)
    assert [(j.id, j.release, j.deadline, j.weight) for j in real.jobs] == \
        [(j.id, j.release, j.deadline, j.weight) for j in inst.jobs]
    assert len(real.networks) == inst.num_jobs  # one drawn network per job


def test_fixed_plan_in_the_engine_equals_the_replay_under_the_same_draws() -> None:
    """The engine's event loop and replay.dispatch implement the same ``order``
    rule; given the same drawn durations they must start every stage at the
    same time."""
    for inst in _set("poisson-n10", 3) + _set("periodic-n20", 1):
        sched = solve(inst, "dp-edf").schedule
        assert sched is not None
        for r in range(3):
            real = realized_instance(inst, NoiseModel(cv=0.2), seed=4, run=r)
            online = run_online(inst, FixedPlanPolicy(inst, sched), realized=real)
            replayed, ev = replay_static(inst, sched, real)
            assert online.schedule.plans == replayed.plans
            assert online.evaluation.weighted_misses == ev.weighted_misses


# ----------------------------------------------------------------- the DP's start label
def test_dp_free_times_equal_edf_optimum_with_busy_processors_as_jobs() -> None:
    """run_dp(free=(G, C)) against the EDF-order oracle on the instance plus two
    heavy jobs that must hold the GPU during [0, G) and the CPU during [0, C)
    (their deadlines come first in EDF order, so both processors start with
    them, exactly as the start label says)."""
    rng = random.Random(21)
    checked = 0
    while checked < 120:
        inst = random_tiny_instance(rng, rng.randint(1, 4), max_weight=rng.choice((1, 3)))
        g, c = rng.randint(0, 6), rng.randint(0, 6)
        if min(j.deadline for j in inst.jobs) <= max(g, c):
            continue
        heavy = inst.total_weight + 1
        nets = list(inst.networks)
        jobs = list(inst.jobs)
        if g:
            nets.append(_one_layer("gpu-busy", g, 10_000))
            jobs.append(Job("~g", "gpu-busy", 0, g, heavy))
        if c:
            nets.append(_one_layer("cpu-busy", 10_000, c))
            jobs.append(Job("~c", "cpu-busy", 0, c, heavy))
        blocked = Instance("blocked", tuple(nets), tuple(jobs))
        run = run_dp(inst, sorted(inst.jobs, key=edf_key), free=(g, c))
        assert run.complete
        assert inst.total_weight - run.accepted_weight == optimum(blocked, edf_order=True)
        checked += 1


def test_dp_free_times_default_is_offline() -> None:
    inst = _set("poisson-n20", 1)[0]
    jobs = sorted(inst.jobs, key=edf_key)
    assert run_dp(inst, jobs).cuts == run_dp(inst, jobs, free=(0, 0)).cuts


# ----------------------------------------------------------------- bad policies and names
class _Greedy:
    name = "bad"

    def __init__(self, action: str) -> None:
        self.action = action

    def reset(self, seed: int) -> None:
        pass

    def stats(self) -> dict[str, int]:
        return {}

    def decide(self, state: OnlineState) -> Decision:
        if self.action == "busy":
            return Decision(starts=tuple(Start(j.id, GPU, 1) for j in state.pending[:2]))
        if self.action == "abandon":  # start split cuts on the GPU, never run the CPU stages
            if state.idle(GPU) and state.pending:
                return Decision(starts=(Start(state.pending[0].id, GPU, 1),))
            return Decision()
        return Decision(starts=(Start("nope", GPU, 1),))


def _split_instance() -> Instance:
    net = Network("two", ("l1", "l2"), (3, 3), (3, 3), (0, 1, 0))
    return Instance("split", (net,), (Job("x", "two", 0, 100), Job("y", "two", 0, 100)))


@pytest.mark.parametrize("action,message", [("busy", "two stages|busy"),
                                            ("abandon", "left the CPU stage"),
                                            ("unknown", "cannot start")])
def test_rule_breaking_policy_is_refused(action: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        run_online(_split_instance(), _Greedy(action))


def test_unknown_policy_names() -> None:
    with pytest.raises(UnknownPolicyError, match="unknown policy"):
        make_policy("lifo")
    with pytest.raises(UnknownPolicyError, match="unknown solver"):
        make_policy("replan:nope")
    with pytest.raises(UnknownPolicyError, match="needs a solver"):
        make_policy("replan")


# ----------------------------------------------------------------- sweep and CLI
def test_cli_online_one_instance_and_bad_input(tmp_path: Path) -> None:
    inst = _set("poisson-n5", 1)[0]
    f = tmp_path / "inst.json"
    write_instance(inst, f)
    runner = CliRunner()
    out = tmp_path / "realized.json"
    res = runner.invoke(app, ["online", str(f), "--policy", "edf-greedy-cut", "--noise-cv",
                              "0.1", "--offline", "dp-edf", "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)
    row = summary["runs"][0]
    real = read_instance(Path(row["realized_instance_file"]))
    ev = evaluate(real, read_schedule(out))
    assert ev.feasible and ev.weighted_misses == row["weighted_misses"]
    res = runner.invoke(app, ["online", str(f), "--policy", "lifo", "-o", str(out)])
    assert res.exit_code != 0


def test_noise_on_a_chain_at_the_time_bound_stays_an_instance() -> None:
    """A valid instance whose chains sit at MAX_TIME_US ran under noise into an InputError
    naming an internal network ('n#j0'); the draws are now capped at the bound."""
    from splitsched.problem import MAX_TIME_US

    half = MAX_TIME_US // 2
    net = Network(name="n", layer_names=("l1", "l2"), gpu_us=(half, half),
                  cpu_us=(half, half), handoff_us=(0, MAX_TIME_US, 0))
    inst = Instance(id="huge", networks=(net,),
                    jobs=tuple(Job(f"j{i}", "n", 0, MAX_TIME_US) for i in range(4)))
    for run in range(5):
        real = realized_instance(inst, NoiseModel(cv=0.5), 1, run)
        for drawn in real.networks:
            assert sum(drawn.gpu_us) <= MAX_TIME_US and sum(drawn.cpu_us) <= MAX_TIME_US
            assert max(drawn.handoff_us) <= MAX_TIME_US
    assert any(sum(n.gpu_us) == MAX_TIME_US for n in
               realized_instance(inst, NoiseModel(cv=0.5), 1, 0).networks)
