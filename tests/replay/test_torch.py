"""Real execution with PyTorch on CPU: a tiny conv stack profiled, scheduled, replayed."""

from __future__ import annotations

import itertools

import pytest

torch = pytest.importorskip("torch")

from splitsched.evaluate import evaluate  # noqa: E402
from splitsched.problem import CPU, GPU, Instance, Job  # noqa: E402
from splitsched.replay.dispatch import lane_programs  # noqa: E402
from splitsched.replay.torch_backend import replay_torch  # noqa: E402
from splitsched.replay.torch_models import (  # noqa: E402
    accelerator,
    build_model,
    register_model,
    split_model,
)
from splitsched.replay.torch_profile import profile_network  # noqa: E402
from splitsched.solvers.timing import earliest_schedule  # noqa: E402

pytestmark = pytest.mark.torch
SHAPE = (1, 3, 32, 32)


def _tiny_convs() -> torch.nn.Module:
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, stride=2), nn.ReLU(),
        nn.Conv2d(32, 32, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))


register_model("tiny-convs", _tiny_convs)


def test_split_segments_compose_to_the_whole_model() -> None:
    sm = split_model("tiny-convs", max_layers=4)
    assert len(sm.segments) == 4
    x = torch.randn(*SHAPE)
    with torch.inference_mode():
        y = x
        for seg in sm.segments:
            y = seg(y)
        assert torch.allclose(y, build_model("tiny-convs")(x), atol=1e-6)
    again = split_model("tiny-convs", split_nodes=sm.split_nodes)
    assert again.layer_names == sm.layer_names


def test_profile_schedule_replay_on_cpu() -> None:
    torch.set_num_threads(1)
    net = profile_network("tiny-convs", gpu_device="cpu", input_shape=SHAPE, max_layers=4,
                          warmup=1, repeats=3)
    assert net.num_layers == 4 and len(net.gpu_sd_us) == 4
    assert net.provenance["torch"]["split_nodes"]
    assert "clone" in net.provenance["handoff_method"]
    whole = net.stages.best_latency
    jobs = tuple(Job(f"j{i}", net.name, i * whole // 2, i * whole // 2 + 50 * whole)
                 for i in range(6))
    inst = Instance("tiny", (net,), jobs)
    # cuts 2 (GPU, hand-off, CPU), 0 (CPU only) and 4 (GPU only), in release order
    cuts = {j.id: (2, 0, 4)[i % 3] for i, j in enumerate(jobs)}
    sched = earliest_schedule(inst, "hand", cuts, [j for j in cuts if cuts[j] > 0],
                              [j for j in cuts if cuts[j] < 4])
    assert evaluate(inst, sched).feasible
    for policy in ("order", "time"):
        runs = replay_torch(inst, sched, gpu_device="cpu", policy=policy, runs=1)
        (run,) = runs
        if accelerator("auto") is None:
            assert run.header.gpu_lane_note == "GPU lane emulated on CPU: no accelerator"
        lanes = lane_programs(inst, sched)
        want = sorted((s.job, s.processor) for lane in lanes.values() for s in lane)
        assert sorted((s.job, s.processor) for s in run.stages) == want
        handoffs = 0
        gpu_end = {s.job: s.actual_end for s in run.stages if s.processor == GPU}
        release = {j.id: j.release for j in jobs}
        for s in run.stages:
            assert s.actual_start >= release[s.job] and s.actual_end >= s.actual_start
            if policy == "time":
                assert s.actual_start >= s.planned_start
            if s.processor == CPU and s.job in gpu_end:
                assert s.handoff_start is not None and s.handoff_end is not None
                handoffs += 1
                assert gpu_end[s.job] <= s.handoff_start <= s.handoff_end <= s.actual_start
        assert handoffs == 2
        for proc in (GPU, CPU):
            lane = sorted((s for s in run.stages if s.processor == proc),
                          key=lambda s: s.actual_start)
            assert [s.job for s in lane] == [s.job for s in lanes[proc]]
            for a, b in itertools.pairwise(lane):
                assert b.actual_start >= a.actual_end
