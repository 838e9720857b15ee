"""Simulated replay: dispatch rules, zero-noise exactness, noise, traces, compare, CLI."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from splitsched.cli import app
from splitsched.evaluate import evaluate
from splitsched.io import InputError, instance_sha256, read_instance, write_instance, write_schedule
from splitsched.problem import CPU, GPU, Instance, Job, JobPlan, Network, Schedule
from splitsched.replay.compare import compare
from splitsched.replay.dispatch import lane_programs
from splitsched.replay.noise import NoiseModel, lognormal_params
from splitsched.replay.sim import simulate
from splitsched.replay.trace import TraceRun, read_trace, write_trace
from splitsched.solve import solve
from splitsched.solvers.base import solver_names

WANTED = ("fifo-gpu", "fifo-cpu", "edf-gpu", "edf-best-single", "edf-greedy-cut", "dp-edf",
          "cpsat")


def _net(name: str, gpu: tuple[int, ...], cpu: tuple[int, ...], hand: tuple[int, ...],
         sd: bool = False) -> Network:
    n = len(gpu)
    return Network(name, tuple(f"l{i}" for i in range(n)), gpu, cpu, hand,
                   gpu_sd_us=tuple(0.2 * g for g in gpu) if sd else (),
                   cpu_sd_us=tuple(0.2 * c for c in cpu) if sd else ())


def _random_instance(seed: int, jobs: int = 7) -> Instance:
    rng = np.random.default_rng(seed)
    nets = []
    for i in range(2):
        L = int(rng.integers(2, 5))
        gpu = tuple(int(v) for v in rng.integers(5, 40, L))
        cpu = tuple(int(v) for v in rng.integers(10, 80, L))
        hand = (0, *(int(v) for v in rng.integers(1, 15, L - 1)), 0)
        nets.append(_net(f"n{i}", gpu, cpu, hand, sd=bool(i)))
    js = []
    for j in range(jobs):
        r = int(rng.integers(0, 150))
        js.append(Job(f"j{j}", f"n{j % 2}", r, r + int(rng.integers(60, 300))))
    return Instance(f"rand{seed}", tuple(nets), tuple(js))


def _instances(smoke: list[Instance]) -> list[Instance]:
    """The first four instances of the committed smoke set, else four random ones."""
    return smoke[:4] if smoke else [_random_instance(s) for s in range(4)]


def _schedules(inst: Instance) -> list[Schedule]:
    out = []
    for name in WANTED:
        if name in solver_names():
            res = solve(inst, name, time_limit_s=2.0)
            if res.schedule is not None and res.status != "error":  # solvers under construction
                out.append(res.schedule)
    assert len(out) >= 5  # the greedy baselines at least
    return out


def _check_consistent(inst: Instance, sched: Schedule, run: TraceRun) -> None:
    lanes = lane_programs(inst, sched)
    planned = {(s.job, s.processor) for lane in lanes.values() for s in lane}
    got = [(s.job, s.processor) for s in run.stages]
    assert sorted(got) == sorted(planned)  # every planned stage, once
    jobs = {j.id: j for j in inst.jobs}
    gpu_end = {s.job: s.actual_end for s in run.stages if s.processor == GPU}
    for s in run.stages:
        assert s.actual_start >= jobs[s.job].release
        assert s.actual_end >= s.actual_start
        if s.processor == CPU and s.job in gpu_end:
            assert s.handoff_start is not None and s.handoff_end is not None
            assert s.handoff_start >= gpu_end[s.job]
            assert s.actual_start >= s.handoff_end >= s.handoff_start
    for proc in (GPU, CPU):
        lane = sorted((s for s in run.stages if s.processor == proc),
                      key=lambda s: s.actual_start)
        for a, b in itertools.pairwise(lane):
            assert b.actual_start >= a.actual_end, f"overlap on {proc}"
        # planned order is kept
        assert [s.job for s in lane] == [s.job for s in lanes[proc]]


@pytest.mark.parametrize("policy", ["order", "time"])
def test_zero_noise_reproduces_every_solvers_plan(policy: str,
                                                  smoke_instances: list[Instance]) -> None:
    for inst in _instances(smoke_instances):
        for sched in _schedules(inst):
            ev = evaluate(inst, sched)
            (run,) = simulate(inst, sched, policy=policy, noise=NoiseModel(cv=0))
            _check_consistent(inst, sched, run)
            plans = sched.plan_by_job
            for s in run.stages:
                p = plans[s.job]
                planned = p.gpu_start if s.processor == GPU else p.cpu_start
                assert s.planned_start == planned
                if policy == "time":
                    assert (s.actual_start, s.actual_end) == (s.planned_start, s.planned_end)
                else:
                    assert s.actual_start <= s.planned_start
                    assert s.actual_end <= s.planned_end
            done = run.completion()
            for j in inst.jobs:
                if ev.completion[j.id] is None:
                    assert j.id not in done
                elif policy == "time":
                    assert done[j.id] == ev.completion[j.id]
                else:
                    assert done[j.id] <= ev.completion[j.id]
            rep = compare(inst, sched, [run])
            if policy == "time":
                assert rep["measured"]["miss_rate_mean"] == pytest.approx(ev.miss_rate)
            else:
                assert rep["measured"]["miss_rate_mean"] <= ev.miss_rate + 1e-12
            assert rep["stage_error_us"]["all"]["mean_abs"] in (0.0, None)


def test_order_closes_planned_idle_time_hand_computed() -> None:
    # a=10, h=5, b=20 at cut 1; the plan leaves idle time that `order` removes
    net = _net("n", (10, 30), (40, 20), (0, 5, 0))
    inst = Instance("h", (net,), (Job("A", "n", 0, 100), Job("B", "n", 3, 200)))
    sched = Schedule("h", "hand", (JobPlan("A", 1, gpu_start=4, cpu_start=30),
                                   JobPlan("B", 2, gpu_start=50)))
    assert evaluate(inst, sched).feasible
    (order,) = simulate(inst, sched, policy="order", noise=NoiseModel(cv=0))
    got = {(s.job, s.processor): (s.actual_start, s.actual_end) for s in order.stages}
    # A GPU 0..10, hand-off 10..15, A CPU 15..35; B GPU (cut 2 = 40 us) 10..50
    assert got == {("A", GPU): (0, 10), ("A", CPU): (15, 35), ("B", GPU): (10, 50)}
    (timed,) = simulate(inst, sched, policy="time", noise=NoiseModel(cv=0))
    got = {(s.job, s.processor): (s.actual_start, s.actual_end) for s in timed.stages}
    assert got == {("A", GPU): (4, 14), ("A", CPU): (30, 50), ("B", GPU): (50, 90)}


def test_dropped_jobs_are_not_run_and_count_as_misses() -> None:
    net = _net("n", (10,), (10,), (0, 0))
    inst = Instance("d", (net,), (Job("A", "n", 0, 100), Job("B", "n", 0, 100)))
    sched = Schedule("d", "hand", (JobPlan("A", 1, gpu_start=0), JobPlan("B", None)))
    (run,) = simulate(inst, sched, noise=NoiseModel(cv=0))
    assert {s.job for s in run.stages} == {"A"}
    rep = compare(inst, sched, [run])
    assert rep["measured"]["miss_rate_mean"] == 0.5
    assert {j["job"]: j["miss_probability"] for j in rep["jobs"]} == {"A": 0.0, "B": 1.0}


@pytest.mark.parametrize("policy", ["order", "time"])
def test_noisy_runs_keep_the_dispatch_rules(policy: str) -> None:
    for seed in range(6):
        inst = _random_instance(100 + seed)
        for sched in _schedules(inst)[:3]:
            for run in simulate(inst, sched, policy=policy, runs=3, seed=seed,
                                noise=NoiseModel(cv=0.4)):
                _check_consistent(inst, sched, run)
                if policy == "time":
                    assert all(s.actual_start >= s.planned_start for s in run.stages)


def test_seeded_runs_are_deterministic_and_noise_is_real() -> None:
    inst = _random_instance(7)
    sched = solve(inst, "edf-greedy-cut").schedule
    assert sched is not None
    a = simulate(inst, sched, runs=3, seed=5, noise=NoiseModel(cv=0.2))
    b = simulate(inst, sched, runs=3, seed=5, noise=NoiseModel(cv=0.2))
    c = simulate(inst, sched, runs=3, seed=6, noise=NoiseModel(cv=0.2))
    assert [r.stages for r in a] == [r.stages for r in b]
    assert [r.stages for r in a] != [r.stages for r in c]
    assert a[0].stages != a[1].stages  # runs differ from each other


def test_cv_zero_silences_measured_spread_too() -> None:
    net = _net("n", (10, 20), (30, 40), (0, 5, 0), sd=True)
    noise = NoiseModel(cv=0)
    rng = np.random.default_rng(0)
    assert noise.stage_time(net, GPU, slice(0, 2), rng) == 30
    assert noise.handoff_time(5, rng) == 5
    assert NoiseModel(cv=0.1).source(net, GPU) == "measured per-layer sd"
    assert NoiseModel(cv=0.1, use_measured=False).source(net, GPU) == "lognormal cv=0.1"


def test_lognormal_is_mean_preserving() -> None:
    mean, sd = np.array([100.0, 7.0]), np.array([30.0, 7.0])
    mu, sigma = lognormal_params(mean, sd)
    assert np.allclose(np.exp(mu + sigma ** 2 / 2), mean)  # E[X]
    assert np.allclose(np.sqrt((np.exp(sigma ** 2) - 1) * np.exp(2 * mu + sigma ** 2)), sd)
    net = _net("n", (1000,), (1000,), (0, 0))
    rng = np.random.default_rng(1)
    draws = [NoiseModel(cv=0.3).stage_time(net, CPU, slice(0, 1), rng) for _ in range(4000)]
    assert abs(np.mean(draws) - 1000) < 4 * 300 / math.sqrt(4000)


def test_trace_round_trip_and_bad_traces(tmp_path: Path) -> None:
    inst = _random_instance(3)
    sched = solve(inst, "edf-greedy-cut").schedule
    assert sched is not None
    runs = simulate(inst, sched, runs=2, seed=1)
    path = tmp_path / "t.jsonl"
    write_trace(runs, path, inst, sched)
    assert read_trace(path) == runs
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"kind": "stage", "job": "a"}\n')
    with pytest.raises(InputError, match="before any header"):
        read_trace(bad)
    bad.write_text("not json\n")
    with pytest.raises(InputError, match="line 1"):
        read_trace(bad)
    with pytest.raises(InputError, match="no such file"):
        read_trace(tmp_path / "absent.jsonl")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    inst = _random_instance(11)
    res = solve(inst, "edf-greedy-cut")
    assert res.schedule is not None
    sched = Schedule(res.schedule.instance_id, res.schedule.solver, res.schedule.plans,
                     instance_sha256=instance_sha256(inst))
    ipath, spath = tmp_path / "i.json", tmp_path / "s.json"
    write_instance(inst, ipath)
    write_schedule(sched, spath)
    return ipath, spath


def test_cli_replay_sim_and_compare(tmp_path: Path) -> None:
    ipath, spath = _files(tmp_path)
    trace, png = tmp_path / "t.jsonl", tmp_path / "t.png"
    cli = CliRunner()
    res = cli.invoke(app, ["replay", str(ipath), str(spath), "--backend", "sim", "--cv", "0",
                           "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.output)  # no noise: the replay is the plan
    assert summary["measured"]["miss_rate_mean"] == summary["planned"]["miss_rate"]
    res = cli.invoke(app, ["replay", str(ipath), str(spath), "--backend", "sim", "--runs", "5",
                           "--seed", "2", "--cv", "0.05", "--trace", str(trace), "--json"])
    assert res.exit_code == 0, res.output
    assert len(read_trace(trace)) == 5
    res = cli.invoke(app, ["compare", str(ipath), str(spath), str(trace), "--plot", str(png)])
    assert res.exit_code == 0, res.output
    assert "planned:" in res.output and png.stat().st_size > 1000


def test_compare_refuses_a_stage_before_its_jobs_release(tmp_path: Path) -> None:
    """A newcomer's attack (2026-12-02): a trace whose stage starts before its job's
    release (no replay runs one then) was compared as if measured; now refused naming
    the run and the job. Every stage of a real replay (with noise) passes."""
    ipath, spath = _files(tmp_path)
    trace = tmp_path / "t.jsonl"
    res = CliRunner().invoke(app, ["replay", str(ipath), str(spath), "--backend", "sim",
                                   "--runs", "3", "--seed", "2", "--cv", "0.3", "--trace",
                                   str(trace)])
    assert res.exit_code == 0, res.output
    assert CliRunner().invoke(app, ["compare", str(ipath), str(spath),
                                    str(trace)]).exit_code == 0
    inst = read_instance(ipath)
    lines = trace.read_text().splitlines()
    late = max((i for i, ln in enumerate(lines) if json.loads(ln)["kind"] == "stage"),
               key=lambda i: inst.jobs[inst.job_index[json.loads(lines[i])["job"]]].release)
    rec = json.loads(lines[late])
    release = inst.jobs[inst.job_index[rec["job"]]].release
    assert release > 0
    rec["actual_start"] = release - 1
    lines[late] = json.dumps(rec)
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["compare", str(ipath), str(spath), str(bad)])
    assert isinstance(res.exception, InputError)
    assert f"stage of job {rec['job']!r} starts at {release - 1} us, before the job's " \
           f"release at {release} us" in str(res.exception)


@pytest.mark.parametrize(("edit", "message"), [
    ("extra", "runs: the headers promise 2 runs, the file has 3 (more than promised: traces "
              "appended or edited)"),
    ("runs", "line 1.runs: must be >= 1, got -1"),
    ("stages", "line 1.stages: must be >= 0, got -2"),
])
def test_trace_headers_name_what_is_wrong(tmp_path: Path, edit: str, message: str) -> None:
    """A newcomer's attack (2026-12-02): a third run appended to a 2-run trace was called
    "truncated"; a header with ``runs: -1`` read as "headers disagree ... mixed"."""
    inst = _random_instance(3)
    sched = solve(inst, "edf-greedy-cut").schedule
    assert sched is not None
    path = tmp_path / "t.jsonl"
    write_trace(simulate(inst, sched, runs=2, seed=1), path, inst, sched)
    lines = path.read_text().splitlines()
    head = json.loads(lines[0])
    if edit == "extra":
        lines += [json.dumps({**head, "run": 2}), *lines[1:1 + head["stages"]]]
    else:
        head[edit] = -1 if edit == "runs" else -2
        lines[0] = json.dumps(head)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_trace(path)
    assert str(info.value) == f"{path}: {message}"


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    ipath, spath = _files(tmp_path)
    base = [sys.executable, "-m", "splitsched.cli"]
    for args in (["replay", str(ipath), str(tmp_path / "nope.json")],
                 ["replay", str(ipath), str(spath), "--policy", "asap"],
                 ["replay", str(ipath), str(spath), "--cv", "-1"],
                 ["compare", str(ipath), str(spath), str(tmp_path / "nope.jsonl")]):
        proc = subprocess.run(base + args, capture_output=True, text=True, check=False)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "error" in proc.stderr


@pytest.mark.parametrize("policy", ["order", "time"])
def test_zero_length_stage_occupies_no_lane(policy: str) -> None:
    """A 0-us GPU stage planned inside another job's GPU stage runs when ready (as evaluate
    allows), so its hand-off and CPU stage are not pushed back."""
    long = _net("long", (30, 30), (99, 99), (0, 0, 0))
    empty_front = _net("zero", (0, 50), (99, 7), (0, 2, 0))  # cut 1: a = 0, h = 2, b = 7
    inst = Instance("z", (long, empty_front), (Job("L", "long", 0, 100), Job("Z", "zero", 5, 20)))
    sched = Schedule("z", "hand", (JobPlan("L", 2, gpu_start=0),
                                   JobPlan("Z", 1, gpu_start=5, cpu_start=7)))
    ev = evaluate(inst, sched)
    assert ev.feasible and ev.misses == 0 and ev.completion["Z"] == 14
    (run,) = simulate(inst, sched, policy=policy, noise=NoiseModel(cv=0))
    assert run.completion() == dict(ev.completion)
