"""Real networks as chains of stages: build, trace and split with torch.fx.

A model is traced once; a *cut point* is a place in the traced graph where
exactly one tensor is live (every later node needs only that tensor and the
weights). Consecutive cut points bound the segments that become a network's
layers. The split is recorded by node names, so the same torch version can
rebuild exactly the same segments from ``(model, input shape, split nodes)``.

torch is imported inside functions: this module is importable without it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# What to tell a user without torch (docs/install.md has sizes and what each choice enables).
# The project is not on PyPI, so the extra is installed from a clone.
TORCH_INSTALL_HINT = (
    "PyTorch is not installed. CPU only (about 0.2 GB): pip install torch torchvision "
    "--index-url https://download.pytorch.org/whl/cpu ; with CUDA (about 2.8 GB): from a "
    "clone of splitsched, pip install -e \".[replay]\" (see docs/install.md)")

_FACTORIES: dict[str, Callable[[], Any]] = {}


def register_model(name: str, factory: Callable[[], Any]) -> None:
    """Make ``name`` buildable by ``factory()`` (e.g. a small test network)."""
    _FACTORIES[name] = factory


def build_model(name: str, seed: int = 0) -> Any:
    """Build a model in eval mode with seeded random weights (no downloads).

    ``name`` is a registered name, ``package.module:function``, or a
    torchvision model name (built with ``weights=None``).
    """
    import torch

    torch.manual_seed(seed)
    if name in _FACTORIES:
        model = _FACTORIES[name]()
    elif ":" in name:
        mod, _, attr = name.partition(":")
        model = getattr(importlib.import_module(mod), attr)()
    else:
        try:
            import torchvision
        except (ImportError, RuntimeError) as exc:  # absent, or built for another torch
            raise KeyError(f"model {name!r} needs torchvision, which cannot be imported "
                           f"here ({type(exc).__name__}: {exc}); install torch and "
                           "torchvision from the same index (docs/install.md)") from None
        try:
            model = torchvision.models.get_model(name, weights=None)
        except ValueError as exc:
            raise KeyError(f"unknown model {name!r}: {exc}") from None
    return model.eval()


def _cut_candidates(graph: Any) -> list[Any]:
    """Nodes after which the node itself is the only live value."""
    nodes = [n for n in graph.nodes]
    pos = {n: i for i, n in enumerate(nodes)}
    last_use: dict[Any, int] = {}
    for n in nodes:
        for user in n.users:
            last_use[n] = max(last_use.get(n, -1), pos[user])
    out = []
    live: set[Any] = set()
    for i, n in enumerate(nodes):
        if n.op == "output":
            break
        if n.op != "get_attr" and last_use.get(n, -1) > i:
            live.add(n)
        live = {v for v in live if last_use[v] > i}
        if live == {n} and n.op != "placeholder" and nodes[i + 1].op != "output":
            out.append(n)
    return out


@dataclass
class SplitModel:
    """A traced model cut into segments; ``segments[i]`` maps tensor -> tensor."""

    name: str
    segments: list[Any]
    split_nodes: list[str]
    layer_names: list[str]


def _segment(gm: Any, nodes: list[Any], source: Any) -> Any:
    import torch.fx as fx

    graph = fx.Graph()
    env: dict[Any, Any] = {source: graph.placeholder("x")}

    def lookup(n: Any) -> Any:
        if n not in env:
            if n.op != "get_attr":
                raise RuntimeError(f"segment needs {n.name}, which is not the cut tensor")
            env[n] = graph.node_copy(n, lookup)
        return env[n]

    for n in nodes:
        env[n] = graph.node_copy(n, lookup)
    graph.output(env[nodes[-1]])
    return fx.GraphModule(gm, graph)


def split_model(name: str, *, max_layers: int = 24, split_nodes: list[str] | None = None,
                seed: int = 0) -> SplitModel:
    """Trace ``name`` and cut it into at most ``max_layers`` segments.

    With ``split_nodes`` (from a profile's provenance) the same cuts are
    rebuilt; otherwise the cut points are spread evenly over the candidates.
    """
    import torch.fx as fx

    model = build_model(name, seed=seed)
    gm = fx.symbolic_trace(model)
    nodes = list(gm.graph.nodes)
    placeholders = [n for n in nodes if n.op == "placeholder"]
    if len(placeholders) != 1:
        raise ValueError(f"model {name!r}: expected one input, got {len(placeholders)}")
    cands = _cut_candidates(gm.graph)
    if split_nodes is None:
        want = max(0, min(max_layers - 1, len(cands)))
        if want == len(cands):
            chosen = cands
        else:
            step = len(cands) / (want + 1)
            chosen = [cands[round(step * (i + 1)) - 1] for i in range(want)]
            chosen = list(dict.fromkeys(chosen))
    else:
        by_name = {n.name: n for n in cands}
        unknown = [s for s in split_nodes if s not in by_name]
        if unknown:
            raise ValueError(f"model {name!r}: split nodes {unknown} are not cut points of this "
                             "trace (different torch/torchvision version?)")
        chosen = [by_name[s] for s in split_nodes]
    pos = {n: i for i, n in enumerate(nodes)}
    chosen.sort(key=lambda n: pos[n])
    body = [n for n in nodes if n.op not in ("placeholder", "output", "get_attr")]
    bounds = [*chosen, body[-1]]
    segments, names = [], []
    source = placeholders[0]
    start = 0
    for b in bounds:
        end = body.index(b) + 1
        part = body[start:end]
        segments.append(_segment(gm, part, source))
        names.append(f"{part[0].name}..{part[-1].name}" if len(part) > 1 else part[0].name)
        source, start = b, end
    return SplitModel(name=name, segments=segments, split_nodes=[n.name for n in chosen],
                      layer_names=names)


def accelerator(kind: str) -> str | None:
    """The device string for a GPU lane of ``kind`` (cuda|mps|cpu|auto), or None."""
    import torch

    has_cuda = torch.cuda.is_available()
    has_mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    if kind == "auto":
        return "cuda" if has_cuda else ("mps" if has_mps else None)
    if kind == "cuda":
        return "cuda" if has_cuda else None
    if kind == "mps":
        return "mps" if has_mps else None
    if kind == "cpu":
        return "cpu"
    raise ValueError(f"unknown GPU lane {kind!r}; known: auto, cuda, mps, cpu")


def synchronize(device: str) -> None:
    """Wait for queued work on ``device`` (a no-op on CPU)."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()
    elif device == "mps":
        torch.mps.synchronize()


def emulation_note(device: str) -> str:
    """In words, what the GPU lane runs on (empty when it is a real accelerator)."""
    if device != "cpu":
        return ""
    return ("GPU lane emulated on CPU: no accelerator" if accelerator("auto") is None
            else "GPU lane emulated on CPU (by request; an accelerator is present)")
