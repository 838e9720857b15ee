"""Operator-level profile -> a network of at most ``max_cuts`` segments.

A graph with 1000 operators must not hand 1000 cuts to every solver. Only
cuts crossed by few tensors are candidates (block boundaries of
Inception/NASNet cells); of those, at most ``max_cuts - 1`` interior cuts are
kept, each the candidate nearest to an equal quantile of cumulative
GPU + CPU time, so segments carry similar work. Segment times are sums of
operator times rounded once at the end; a segment's run-to-run spread is the
square root of the sum of its operators' variances (operators assumed
independent).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from splitsched.problem import Network

DEFAULT_MAX_CUTS = 24
DEFAULT_MAX_CROSSING = 2


@dataclass(frozen=True)
class OperatorProfile:
    """Per-operator times of one network on one device, in execution order.

    ``handoff_us[k]`` is the hand-off cost of the cut after ``k`` operators
    (length L+1) and ``crossing[k]`` how many tensors cross it.
    """

    op_names: tuple[str, ...]
    gpu_us: tuple[float, ...]
    cpu_us: tuple[float, ...]
    handoff_us: tuple[float, ...]
    crossing: tuple[int, ...]
    gpu_sd_us: tuple[float, ...] = ()
    cpu_sd_us: tuple[float, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.op_names)
        if n == 0 or len(self.gpu_us) != n or len(self.cpu_us) != n:
            raise ValueError("need one GPU and one CPU time per operator")
        if len(self.handoff_us) != n + 1 or len(self.crossing) != n + 1:
            raise ValueError("handoff_us and crossing need L+1 entries")


def candidate_cuts(crossing: Sequence[int], max_crossing: int = DEFAULT_MAX_CROSSING
                   ) -> list[int]:
    """Interior cuts crossed by at most ``max_crossing`` tensors.

    Where no interior cut is that narrow, the narrowest ones are taken instead.
    """
    n = len(crossing) - 1
    interior = range(1, n)
    if not interior:
        return []
    limit = max(max_crossing, min(crossing[k] for k in interior))
    return [k for k in interior if crossing[k] <= limit]


def choose_cuts(work: Sequence[float], candidates: Sequence[int], max_cuts: int) -> list[int]:
    """Pick at most ``max_cuts - 1`` interior cuts nearest equal quantiles of cumulative work.

    Parameters
    ----------
    work:
        Per-operator work (us), e.g. GPU + CPU time.
    candidates:
        Allowed interior cut positions (1..L-1).
    max_cuts:
        The most segments the result may have (so at most ``max_cuts + 1`` cuts
        including k = 0 and k = L).

    Returns
    -------
    list[int]
        Sorted cut positions, including 0 and L.
    """
    n = len(work)
    if max_cuts < 1:
        raise ValueError("max_cuts must be >= 1")
    cands = sorted(set(candidates))
    if len(cands) <= max_cuts - 1:
        return [0, *cands, n]
    cum = np.concatenate(([0.0], np.cumsum(np.asarray(work, dtype=float))))
    total = float(cum[-1])
    cand_cum = cum[cands]
    chosen: set[int] = set()
    for i in range(1, max_cuts):
        target = total * i / max_cuts
        dist = np.abs(cand_cum - target)
        chosen.add(cands[int(np.argmin(dist))])  # argmin: lowest position on ties
    return [0, *sorted(chosen), n]


def _segment_name(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{names[0]}..{names[-1]}"


def reduce_profile(name: str, ops: OperatorProfile, *, max_cuts: int = DEFAULT_MAX_CUTS,
                   max_crossing: int = DEFAULT_MAX_CROSSING,
                   provenance: dict[str, Any] | None = None) -> Network:
    """Collapse an operator profile into a :class:`Network` of segments.

    Parameters
    ----------
    name:
        Network name.
    ops:
        The operator-level profile.
    max_cuts:
        The most segments (layers) the network may have.
    max_crossing:
        Interior cuts crossed by more tensors than this are not candidates.
    provenance:
        Recorded on the network, with a ``reduction`` entry added.
    """
    n = len(ops.op_names)
    work = [g + c for g, c in zip(ops.gpu_us, ops.cpu_us, strict=True)]
    cuts = choose_cuts(work, candidate_cuts(ops.crossing, max_crossing), max_cuts)
    names: list[str] = []
    gpu: list[int] = []
    cpu: list[int] = []
    gpu_sd: list[float] = []
    cpu_sd: list[float] = []
    for lo, hi in itertools.pairwise(cuts):
        names.append(_segment_name(ops.op_names[lo:hi]))
        gpu.append(round(math.fsum(ops.gpu_us[lo:hi])))
        cpu.append(round(math.fsum(ops.cpu_us[lo:hi])))
        if ops.gpu_sd_us:
            gpu_sd.append(math.sqrt(math.fsum(s * s for s in ops.gpu_sd_us[lo:hi])))
        if ops.cpu_sd_us:
            cpu_sd.append(math.sqrt(math.fsum(s * s for s in ops.cpu_sd_us[lo:hi])))
    handoff = [0] + [round(ops.handoff_us[k]) for k in cuts[1:-1]] + [0]
    prov = dict(provenance or {})
    prov["reduction"] = {
        "operators": n,
        "segments": len(names),
        "max_cuts": max_cuts,
        "rule": (f"candidate cuts: crossed by at most {max_crossing} tensors (or the fewest "
                 f"any interior cut has); kept: the candidate nearest each of the "
                 f"{max_cuts - 1} equal quantiles of cumulative GPU+CPU time; segment times "
                 f"= sums of operator times rounded once; segment sd = sqrt(sum of operator "
                 f"variances), operators assumed independent"),
        "cut_after_operator": cuts[1:-1],
        "crossing_tensors": [ops.crossing[k] for k in cuts[1:-1]],
    }
    return Network(name=name, layer_names=tuple(names), gpu_us=tuple(gpu), cpu_us=tuple(cpu),
                   handoff_us=tuple(handoff),
                   gpu_sd_us=tuple(round(v, 3) for v in gpu_sd),
                   cpu_sd_us=tuple(round(v, 3) for v in cpu_sd),
                   provenance=prov)
