"""``splitsched profile --backend torch``: measure real networks on this machine.

Each network is split into a chain of segments (:mod:`torch_models`); each
segment is timed on the GPU lane (the accelerator, or the CPU when emulated)
and on the CPU lane (CPU threads): ``warmup`` untimed calls, then ``repeats``
timed calls; the median is the layer time and the standard deviation becomes
``gpu_sd_us``/``cpu_sd_us``. The hand-off at each interior cut is the time to
copy the cut tensor to the CPU (``.to("cpu")``; on an emulated lane a
``clone()``, and provenance says so). The provenance of each network carries
what replay needs to rebuild it: model name, input shape, split nodes, seed.
"""

from __future__ import annotations

import platform
import socket
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import numpy as np

from splitsched.io import atomic_write_text, dumps, profile_to_dict
from splitsched.problem import Network
from splitsched.replay.torch_models import emulation_note, split_model, synchronize


def _time_us(fn: Callable[[], Any], device: str, warmup: int, repeats: int) -> list[float]:
    for _ in range(warmup):
        fn()
    synchronize(device)
    out = []
    for _ in range(repeats):
        t = time.perf_counter_ns()
        fn()
        synchronize(device)
        out.append((time.perf_counter_ns() - t) / 1000.0)
    return out


def profile_network(model: str, *, gpu_device: str, input_shape: tuple[int, ...],
                    max_layers: int, warmup: int, repeats: int, seed: int = 0) -> Network:
    """Split and measure one model; returns a Network with spreads and provenance."""
    import torch

    gpu_split = split_model(model, max_layers=max_layers, seed=seed)
    cpu_split = split_model(model, split_nodes=gpu_split.split_nodes, seed=seed)
    gpu_segs = [s.to(gpu_device) for s in gpu_split.segments]
    cpu_segs = cpu_split.segments
    gpu_med, gpu_sd, cpu_med, cpu_sd = [], [], [], []
    handoff = [0]
    with torch.inference_mode():
        torch.manual_seed(seed)
        x_cpu = torch.randn(*input_shape)
        x_gpu = x_cpu.to(gpu_device)
        last = len(gpu_segs) - 1
        for i, (gs, cs) in enumerate(zip(gpu_segs, cpu_segs, strict=True)):
            g_in, c_in = x_gpu, x_cpu
            g = _time_us(partial(gs, g_in), gpu_device, warmup, repeats)
            c = _time_us(partial(cs, c_in), "cpu", warmup, repeats)
            gpu_med.append(float(np.median(g)))
            gpu_sd.append(float(np.std(g)))
            cpu_med.append(float(np.median(c)))
            cpu_sd.append(float(np.std(c)))
            x_gpu = gs(g_in)
            x_cpu = cs(c_in)
            if i < last:
                t = x_gpu
                copy = (lambda t=t: t.to("cpu")) if gpu_device != "cpu" else (
                    lambda t=t: t.clone())
                handoff.append(round(float(np.median(
                    _time_us(copy, gpu_device, warmup, repeats)))))
    handoff.append(0)
    prov = {
        "source": "splitsched profile --backend torch",
        "torch": {"model": model, "input_shape": list(input_shape),
                  "split_nodes": gpu_split.split_nodes, "seed": seed,
                  "split_method": "torch.fx: cut where one tensor is live"},
        "torch_version": torch.__version__, "gpu_lane_device": gpu_device,
        "handoff_method": ("tensor.to('cpu') copy" if gpu_device != "cpu"
                           else "tensor.clone() on CPU (GPU lane emulated: no real transfer)"),
        "statistic": f"median of {repeats} after {warmup} warm-up calls; sd = std",
    }
    return Network(name=model, layer_names=tuple(gpu_split.layer_names),
                   gpu_us=tuple(round(v) for v in gpu_med),
                   cpu_us=tuple(round(v) for v in cpu_med),
                   handoff_us=tuple(handoff),
                   gpu_sd_us=tuple(round(v, 3) for v in gpu_sd),
                   cpu_sd_us=tuple(round(v, 3) for v in cpu_sd), provenance=prov)


def profile_to_file(models: list[str], path: str, *, gpu_device: str, threads: int | None,
                    input_shape: tuple[int, ...], max_layers: int, warmup: int, repeats: int,
                    name: str | None = None, seed: int = 0,
                    progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Profile ``models`` and write the profile JSON atomically; returns the dict."""
    import torch

    if threads is not None:
        torch.set_num_threads(threads)
    nets = []
    for m in models:
        t = time.perf_counter()
        net = profile_network(m, gpu_device=gpu_device, input_shape=input_shape,
                              max_layers=max_layers, warmup=warmup, repeats=repeats, seed=seed)
        nets.append(net)
        if progress:
            st = net.stages
            progress(f"{m}: {net.num_layers} layers, GPU-lane-only {int(st.a[-1])} us, "
                     f"CPU-only {int(st.b[0])} us, best cut {st.best_cut} "
                     f"({st.best_latency} us); profiled in {time.perf_counter() - t:.1f}s")
    device = name or f"torch-{gpu_device}-{socket.gethostname()}"
    note = emulation_note(gpu_device)
    prov: dict[str, Any] = {
        "source": "splitsched profile --backend torch", "torch_version": torch.__version__,
        "gpu_lane_device": gpu_device, "cpu_threads": torch.get_num_threads(),
        "input_shape": list(input_shape), "repeats": repeats, "warmup": warmup,
        "host": socket.gethostname(), "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
    }
    if gpu_device.startswith("cuda"):
        prov["gpu_name"] = torch.cuda.get_device_name(0)
    if note:
        prov["note"] = note
    data = profile_to_dict(device, "", nets, prov)
    atomic_write_text(path, dumps(data))
    return data
