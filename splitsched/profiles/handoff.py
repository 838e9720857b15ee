"""Hand-off cost of a cut: which tensors cross it, and what each one costs.

A cut after operator k of a topological order sends every tensor produced at
or before k and consumed after k from the GPU to the CPU. Each tensor costs
its measured GPU->CPU time where the device's table has its shape, else the
device's least-squares line (time = intercept + slope x bytes). A device
without usable measurements borrows the line of its closest measured device
(same SoC family, nearest SoC number); the choice is recorded.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from splitsched.io import InputError
from splitsched.profiles.raw import (
    DEVICES,
    InfoOp,
    Shape,
    TransferRow,
    read_data_trans,
    shape_bytes,
)

UNTRUSTED_MEASUREMENTS: dict[str, str] = {
    "snapdragon_855": (
        "the data README warns its data-trans values look like a fixed overhead of several ms "
        "regardless of size; checked: its inception-v3 file (a model it has latencies for) "
        "never goes below ~6 ms, even for 4 kB tensors, 4-7x the same shapes on mi9 (same "
        "SoC), and its pooled time-vs-bytes correlation is weak (r ~ 0.3 against ~ 0.8 on "
        "mi9); so none of its hand-off measurements are used"),
}
"""Devices whose own hand-off measurements are set aside, and why."""


# --------------------------------------------------------------------------- fit
@dataclass(frozen=True)
class HandoffFit:
    """Least-squares line of GPU->CPU hand-off time against tensor bytes."""

    device: str
    intercept_us: float
    slope_us_per_byte: float
    points: int

    def predict(self, nbytes: int) -> float:
        """Hand-off time (us) of a tensor of ``nbytes``, never below 0."""
        return max(0.0, self.intercept_us + self.slope_us_per_byte * nbytes)

    def as_dict(self) -> dict[str, Any]:
        return {"data_from_device": self.device,
                "intercept_us": round(self.intercept_us, 3),
                "slope_us_per_kib": round(self.slope_us_per_byte * 1024, 6),
                "points": self.points,
                "method": "ordinary least squares of gpu_to_cpu_us on fp32 bytes "
                          "(intercept + slope), all of the device's data-trans rows"}


def fit_line(device: str, rows: Sequence[TransferRow]) -> HandoffFit:
    """Fit ``gpu_to_cpu_us ~ intercept + slope * bytes`` by ordinary least squares.

    Parameters
    ----------
    device:
        Whose measurements these are (recorded in the fit).
    rows:
        At least two rows with at least two distinct sizes.
    """
    x = np.array([r.nbytes for r in rows], dtype=float)
    y = np.array([r.gpu_to_cpu_us for r in rows], dtype=float)
    if len(rows) < 2 or np.unique(x).size < 2:
        raise ValueError(f"{device}: need two distinct tensor sizes to fit a line")
    design = np.column_stack([np.ones_like(x), x])
    (intercept, slope), *_ = np.linalg.lstsq(design, y, rcond=None)
    return HandoffFit(device, float(intercept), float(slope), len(rows))


def device_rows(raw_dir: Path, device: str) -> list[TransferRow]:
    """All of a device's data-trans rows (hope-mnn and hope-acl), exact duplicates once.

    hope-acl holds verbatim copies of some hope-mnn files; counting them twice
    would weight those shapes double in the fit.
    """
    seen: set[tuple[Shape, float, float]] = set()
    rows: list[TransferRow] = []
    for path in sorted(raw_dir.glob(f"hope-*/*/{device}/*-data-trans.csv")):
        for row in read_data_trans(path):
            key = (row.shape, row.cpu_to_gpu_us, row.gpu_to_cpu_us)
            if key not in seen:
                seen.add(key)
                rows.append(row)
    return rows


def closest_device(device: str, candidates: Iterable[str]) -> str | None:
    """The measured device nearest to ``device``: same SoC family, nearest SoC number.

    Ties go to the newer SoC, then the name. ``None`` when no candidate shares
    the family.
    """
    me = DEVICES[device]
    same = [c for c in candidates if c != device and DEVICES[c].soc_family == me.soc_family]
    if not same:
        return None
    return min(same, key=lambda c: (abs(DEVICES[c].soc_number - me.soc_number),
                                    -DEVICES[c].soc_number, c))


@dataclass(frozen=True)
class DeviceHandoff:
    """How one device's hand-offs are priced: its own table and fit, or a borrowed fit."""

    device: str
    fit: HandoffFit
    method: str
    """``device fit`` (own measurements) or ``borrowed fit``."""
    reason: str = ""
    trusted_tables: bool = True
    """Whether the device's per-model measured tables may be used."""
    evidence: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"fit": self.fit.as_dict(), "fit_method": self.method,
                               "uses_measured_tables": self.trusted_tables}
        if self.reason:
            out["reason"] = self.reason
        if self.evidence:
            out["evidence"] = self.evidence
        return out


def _summary(rows: Sequence[TransferRow]) -> dict[str, Any]:
    g2c = [r.gpu_to_cpu_us for r in rows]
    x = np.array([r.nbytes for r in rows], dtype=float)
    corr = float(np.corrcoef(x, g2c)[0, 1]) if len(rows) > 2 and np.ptp(x) > 0 else None
    return {"rows": len(rows), "min_gpu_to_cpu_us": round(min(g2c), 1),
            "median_gpu_to_cpu_us": round(statistics.median(g2c), 1),
            "r_bytes_vs_time": None if corr is None else round(corr, 3)}


def _evidence(raw_dir: Path, device: str, donor: str) -> dict[str, Any]:
    """Per-model and pooled hand-off statistics of a rejected device next to its donor."""
    out: dict[str, Any] = {}
    for path in sorted(raw_dir.glob(f"hope-mnn/*/{device}/*-data-trans.csv")):
        model = path.parent.parent.name
        mine = read_data_trans(path)
        theirs = [r for p in sorted(raw_dir.glob(f"hope-mnn/{model}/{donor}/*-data-trans.csv"))
                  for r in read_data_trans(p)]
        if mine:
            out[model] = {device: _summary(mine), donor: _summary(theirs) if theirs else None}
    out["pooled"] = {device: _summary(device_rows(raw_dir, device)),
                     donor: _summary(device_rows(raw_dir, donor))}
    return out


def plan_device_handoffs(raw_dir: Path, devices: Iterable[str]) -> dict[str, DeviceHandoff]:
    """Decide, for every device, which fit and tables price its hand-offs."""
    rows = {d: device_rows(raw_dir, d) for d in sorted(DEVICES)}
    own: dict[str, HandoffFit] = {}
    for dev, dev_rows in rows.items():
        if dev_rows and dev not in UNTRUSTED_MEASUREMENTS:
            own[dev] = fit_line(dev, dev_rows)
    plans: dict[str, DeviceHandoff] = {}
    for dev in sorted(set(devices)):
        if dev in own:
            plans[dev] = DeviceHandoff(dev, own[dev], "device fit")
            continue
        donor = closest_device(dev, own)
        if donor is None:
            raise InputError(raw_dir, dev, "no hand-off measurements on this device and no "
                                           "measured device of the same SoC family to borrow "
                                           "a fit from")
        d_info, me = DEVICES[donor], DEVICES[dev]
        why = (f"closest measured device by the rule 'same SoC family, nearest SoC number': "
               f"{donor} ({d_info.soc}) for {dev} ({me.soc})")
        if dev in UNTRUSTED_MEASUREMENTS:
            reason = UNTRUSTED_MEASUREMENTS[dev] + "; fit borrowed from the " + why
            evidence = _evidence(raw_dir, dev, donor) if rows[dev] else {}
            if rows[dev]:
                evidence["rejected_own_fit"] = fit_line(dev, rows[dev]).as_dict()
        else:
            reason = "no hand-off measurements on this device (data-trans files empty or " \
                     "absent); fit borrowed from the " + why
            evidence = {}
        plans[dev] = DeviceHandoff(dev, own[donor], "borrowed fit", reason,
                                   trusted_tables=False, evidence=evidence)
    return plans


def measured_table(rows: Sequence[TransferRow]) -> dict[Shape, float]:
    """Shape -> mean measured GPU->CPU time (repeated shapes averaged)."""
    acc: dict[Shape, list[float]] = {}
    for r in rows:
        acc.setdefault(r.shape, []).append(r.gpu_to_cpu_us)
    return {s: statistics.fmean(v) for s, v in acc.items()}


def tensor_costs(shapes: Sequence[Shape], table: dict[Shape, float],
                 fit: HandoffFit) -> tuple[list[float], list[bool]]:
    """Cost (us) of each tensor and whether it was measured (else the fit)."""
    costs: list[float] = []
    measured: list[bool] = []
    for s in shapes:
        if s in table:
            costs.append(table[s])
            measured.append(True)
        else:
            costs.append(fit.predict(shape_bytes(s)))
            measured.append(False)
    return costs, measured


# --------------------------------------------------------------------------- graph
@dataclass(frozen=True)
class CrossingTensor:
    """A tensor produced by operator ``producer`` and last read by ``last_consumer``."""

    shape: Shape
    producer: int
    last_consumer: int


def graph_tensors(ops: Sequence[InfoOp]) -> list[CrossingTensor]:
    """Every op output that some later op reads, with its producer and last reader.

    A consumer of an output is a child whose inputs name the same address; where
    addresses are missing (lanenet) or match no child, every child is taken to
    read every output of the op.
    """
    out: list[CrossingTensor] = []
    for i, op in enumerate(ops):
        for shape, address in op.outputs:
            readers = [j for j in op.children
                       if address and any(a == address for _, a in ops[j].inputs)]
            if not readers:
                readers = list(op.children)
            if readers:
                out.append(CrossingTensor(shape, i, max(readers)))
    return out


def crossing_sets(tensors: Sequence[CrossingTensor], num_ops: int) -> list[list[int]]:
    """For each cut k in 0..L, the indices of tensors that cross it.

    Cut k runs operators 0..k-1 on the GPU: tensor t crosses iff
    ``producer < k <= last_consumer``.
    """
    sets: list[list[int]] = [[] for _ in range(num_ops + 1)]
    for t_index, t in enumerate(tensors):
        for k in range(t.producer + 1, min(t.last_consumer, num_ops) + 1):
            sets[k].append(t_index)
    sets[0] = []
    sets[num_ops] = []
    return sets


def chain_tensors(shapes: Sequence[Shape | None]) -> list[CrossingTensor]:
    """A chain: op i's output is read by op i+1 (ops without a shape are skipped)."""
    return [CrossingTensor(s, i, i + 1) for i, s in enumerate(shapes[:-1]) if s is not None]
