"""Backend ``torch``: run a schedule on this machine's real processors.

Each job runs its network cut at its planned cut: the GPU stage on the GPU
lane (cuda/mps, or the CPU when emulated), the hand-off as a real tensor copy
to the CPU on a helper thread, the CPU stage on CPU threads. The lanes run in
two threads (torch releases the GIL inside ops) under the dispatch rules of
:mod:`splitsched.replay.dispatch`; times come from ``time.perf_counter_ns``
against a common t0 (with device synchronisation), in us.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from splitsched.problem import GPU, Instance, Schedule
from splitsched.replay.dispatch import PlannedStage, execute, lane_programs
from splitsched.replay.torch_models import emulation_note, split_model, synchronize
from splitsched.replay.trace import TraceHeader, TraceRun


def torch_spec(instance: Instance, network: str) -> dict[str, Any]:
    """The rebuild recipe a profiled network carries in its provenance."""
    prov = instance.network_by_name[network].provenance
    spec = prov.get("torch")
    if not isinstance(spec, dict) or "model" not in spec or "split_nodes" not in spec:
        raise ValueError(f"network {network!r} has no torch rebuild recipe in its provenance "
                         "(profile it with `splitsched profile --backend torch`)")
    return dict(spec)


class TorchRunner:
    """A :class:`~splitsched.replay.dispatch.StageRunner` on real processors."""

    def __init__(self, instance: Instance, schedule: Schedule, gpu_device: str,
                 seed: int = 0) -> None:
        import torch

        self._torch = torch
        self.gpu_device = gpu_device
        plans = schedule.plan_by_job
        used = sorted({j.network for j in instance.jobs
                       if (p := plans.get(j.id)) is not None and p.cut is not None})
        self._segs: dict[tuple[str, str], list[Any]] = {}
        self._shape: dict[str, tuple[int, ...]] = {}
        for net in used:
            spec = torch_spec(instance, net)
            n_layers = instance.network_by_name[net].num_layers
            for lane, dev in ((GPU, gpu_device), ("cpu", "cpu")):
                sm = split_model(spec["model"], split_nodes=list(spec["split_nodes"]),
                                 seed=int(spec.get("seed", 0)))
                if len(sm.segments) != n_layers:
                    raise ValueError(f"network {net!r}: rebuilt {len(sm.segments)} segments, "
                                     f"the instance has {n_layers} layers")
                self._segs[(net, lane)] = [s.to(dev) for s in sm.segments]
            self._shape[net] = tuple(int(v) for v in spec["input_shape"])
        gen = torch.Generator().manual_seed(seed)
        self._inputs: dict[str, Any] = {}
        for job in instance.jobs:
            p = plans.get(job.id)
            if p is None or p.cut is None:
                continue
            dev = gpu_device if p.cut > 0 else "cpu"
            self._inputs[job.id] = torch.randn(*self._shape[job.network], generator=gen).to(dev)
        self._gpu_out: dict[str, Any] = {}
        self._handed: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.t0 = time.perf_counter_ns()
        self.warm_up()

    def warm_up(self) -> None:
        """Run every network once on both lanes (lazy init, kernel selection)."""
        torch = self._torch
        with torch.inference_mode():
            for (net, lane), segs in self._segs.items():
                dev = self.gpu_device if lane == GPU else "cpu"
                x = torch.randn(*self._shape[net]).to(dev)
                for s in segs:
                    x = s(x)
                synchronize(dev)

    def start_clock(self) -> None:
        self._gpu_out.clear()
        self._handed.clear()
        self.t0 = time.perf_counter_ns()

    def now(self) -> int:
        return (time.perf_counter_ns() - self.t0) // 1000

    def _wait_until(self, t_us: int) -> None:
        while True:
            left = t_us - self.now()
            if left <= 0:
                return
            if left > 1500:
                time.sleep((left - 1000) / 1e6)

    def run_stage(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        torch = self._torch
        self._wait_until(not_before)
        gpu = stage.processor == GPU
        segs = self._segs[(stage.network, GPU if gpu else "cpu")]
        with self._lock:
            x = self._inputs[stage.job] if gpu or not stage.follows_gpu else \
                self._handed.pop(stage.job)
        dev = self.gpu_device if gpu else "cpu"
        start = self.now()
        with torch.inference_mode():
            layers = segs[:stage.cut] if gpu else segs[stage.cut:]
            for s in layers:
                x = s(x)
            synchronize(dev)
        end = self.now()
        if gpu and stage.cut < stage.num_layers:
            with self._lock:
                self._gpu_out[stage.job] = x
        return start, end

    def run_handoff(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        with self._lock:
            x = self._gpu_out.pop(stage.job)
        start = self.now()
        with self._torch.inference_mode():
            y = x.to("cpu") if self.gpu_device != "cpu" else x.clone()
            synchronize(self.gpu_device)
        end = self.now()
        with self._lock:
            self._handed[stage.job] = y
        return start, end


def replay_torch(instance: Instance, schedule: Schedule, *, gpu_device: str,
                 policy: str = "order", runs: int = 1, seed: int = 0,
                 cpu_threads: int | None = None) -> list[TraceRun]:
    """Run ``schedule`` for real ``runs`` times; one TraceRun per run.

    ``gpu_device`` is ``cuda``, ``mps`` or ``cpu`` (emulated GPU lane; every
    trace header then says so).
    """
    import torch

    if runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs}")
    if cpu_threads is not None:
        torch.set_num_threads(cpu_threads)
    lanes = lane_programs(instance, schedule)
    runner = TorchRunner(instance, schedule, gpu_device, seed=seed)
    note = emulation_note(gpu_device)
    out = []
    for r in range(runs):
        runner.start_clock()
        records = execute(lanes, policy, runner, concurrent=True)
        header = TraceHeader(
            instance_id=instance.id, solver=schedule.solver, backend="torch", policy=policy,
            run=r, seed=seed, gpu_lane=gpu_device, gpu_lane_note=note,
            info={"torch_version": torch.__version__, "cpu_threads": torch.get_num_threads(),
                  "clock": "time.perf_counter_ns, us from a common t0"})
        out.append(TraceRun(header=header, stages=tuple(records)))
    return out
