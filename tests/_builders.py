"""Small hand-made networks and instances shared by the core tests."""

from __future__ import annotations

from splitsched.problem import Instance, Job, Network


def two_layer(name: str, gpu: tuple[int, int], cpu: tuple[int, int], handoff: int = 0) -> Network:
    """A 2-layer chain: cuts 0 (CPU only), 1 (split), 2 (GPU only)."""
    return Network(name=name, layer_names=("l1", "l2"), gpu_us=gpu, cpu_us=cpu,
                   handoff_us=(0, handoff, 0))


def counterexample_edf() -> Instance:
    """DESIGN section 1: A (a=5, b=1, d=7), B (a=1, b=5, d=8) with cut 1.

    Layer 1 is the GPU stage, layer 2 the CPU stage; the other cuts are far
    too slow to matter.
    """
    big = 1000
    net_a = two_layer("A-net", gpu=(5, big), cpu=(big, 1))
    net_b = two_layer("B-net", gpu=(1, big), cpu=(big, 5))
    return Instance(id="edf-counterexample", networks=(net_a, net_b),
                    jobs=(Job("A", "A-net", 0, 7), Job("B", "B-net", 0, 8)))
