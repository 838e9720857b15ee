"""Readers for the third-party HOPE phone measurements (``phone-profiles/``).

Each reader turns one raw file into plain Python values and nothing more, so
that importers can decide what to trust. A missing or unparsable file is a
:class:`~splitsched.profiles.errors.ProfileImportError` naming the file, line,
field and reason; an empty file reads as "no data" (the caller records it as
skipped). HOPE files write :data:`NOT_SUPPORTED_US` (100000) where an operator
cannot run on that processor: that value is never read as a time
(:class:`NotSupportedMarker`).
"""

from __future__ import annotations

import math
import os
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from splitsched.paths import REPO_ROOT
from splitsched.profiles.errors import ProfileImportError, parse_time_us, read_text

SOURCE_REPOSITORY = "summerspringwei/DAG-Scheduler"
SOURCE_COMMIT = "9acc93f"
INFO_COMMIT = "2799224^"
INFO_PATH = "mnn/models/<model>/<model>-info.txt"


def default_raw_dir() -> Path:
    """``$SPLITSCHED_PHONE_PROFILES`` if set, else ``<repo>/../shared/data/phone-profiles``
    (``<repo>`` is the source checkout; an installed package has none, so give the folder)."""
    env = os.environ.get("SPLITSCHED_PHONE_PROFILES")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data" / "phone-profiles"


@dataclass(frozen=True)
class DeviceInfo:
    """What the data README says about a phone (``inferred`` = from its model)."""

    soc: str
    gpu: str
    soc_family: str
    soc_number: int
    note: str = ""


DEVICES: dict[str, DeviceInfo] = {
    "mi9": DeviceInfo("Snapdragon 855", "Adreno 640", "Snapdragon", 855, "SoC/GPU inferred"),
    "snapdragon_855": DeviceInfo("Snapdragon 855", "Adreno 640", "Snapdragon", 855),
    "huawei_p40": DeviceInfo("Kirin 990", "Mali-G76", "Kirin", 990, "SoC/GPU inferred"),
    "huawei_mate_20": DeviceInfo("Kirin 980", "Mali-G76", "Kirin", 980, "SoC/GPU inferred"),
    "oneplus5t": DeviceInfo("Snapdragon 835", "Adreno 540", "Snapdragon", 835),
    "vivo_z3": DeviceInfo("Snapdragon 710", "Adreno 616", "Snapdragon", 710),
    "redmi": DeviceInfo("Snapdragon 625", "Adreno 506", "Snapdragon", 625),
    "lenovo_k5": DeviceInfo("Snapdragon 450", "Adreno 506", "Snapdragon", 450),
    "oneplus3": DeviceInfo("Snapdragon 820", "Adreno 530", "Snapdragon", 820,
                           "SoC unconfirmed; GPU assumed from the SoC"),
}

CPU_THREAD_COLUMNS = {1: 0, 2: 1, 4: 2}
"""Column of the big-core CPU time (after the name) per thread count."""
GPU_COLUMN = 3


NOT_SUPPORTED_US = 100000.0
"""HOPE's marker for "this operator is not supported on this processor" (e.g. the
``npu`` files of dfmodel1 upstream): exactly 100000, never a time of 100 ms. No
real measurement in the data equals it (the largest real times, ~175000 us, are
not round)."""


class NotSupportedMarker(ProfileImportError):
    """A time column holds :data:`NOT_SUPPORTED_US`: the operator cannot run there."""


def unknown_device_reason(device: str) -> str:
    """Why a device folder that is not in :data:`DEVICES` is skipped."""
    return (f"unknown device folder {device!r}: no SoC/GPU facts for it in the data README "
            f"(known: {', '.join(sorted(DEVICES))}), so no device profile can name it")


def device_info(device: str) -> DeviceInfo:
    """Known facts about ``device``; an unknown folder name is a ProfileImportError."""
    if device not in DEVICES:
        raise ProfileImportError(None, None, "device", unknown_device_reason(device))
    return DEVICES[device]


def _rows(path: Path, *widths: int, layout: str = "") -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each non-blank line; each must have one of ``widths`` fields.

    The file is UTF-8 (a leading BOM stripped); another encoding is a
    ProfileImportError (:func:`~splitsched.profiles.errors.read_text`).
    """
    text = read_text(path)
    for lineno, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) not in widths:
            expected = " or ".join(str(w) for w in widths)
            raise ProfileImportError(path, lineno, "(row)",
                                     f"expected {expected} space-separated fields"
                                     f"{f' ({layout})' if layout else ''}, got {len(parts)}")
        yield lineno, parts


def _number(path: Path, lineno: int, text: str, column: str = "time") -> float:
    value = parse_time_us(path, lineno, column, text)
    if value == NOT_SUPPORTED_US:
        raise NotSupportedMarker(path, lineno, column,
                                 f"{text} is HOPE's 'not supported on this processor' marker, "
                                 f"not a time of 100 ms: this operator cannot run there")
    return value


# --------------------------------------------------------------------------- latency
@dataclass(frozen=True)
class OpTimes:
    """Per-operator mean times (us) from a layerwise-latency file, in file order."""

    names: tuple[str, ...]
    cpu_us: tuple[float, ...]
    gpu_us: tuple[float, ...]
    lines: tuple[int, ...] = ()
    """The 1-based line of each operator in the file."""

    def first_repeat(self) -> tuple[int, int, str] | None:
        """(first line, repeating line, name) of the first operator listed twice, or None."""
        seen: dict[str, int] = {}
        for i, name in enumerate(self.names):
            if name in seen:
                return self.lines[seen[name]], self.lines[i], name
            seen[name] = i
        return None


def cpu_column(cpu_threads: int) -> str:
    """The layerwise-latency column name of the big-core CPU time used (``cpu_big_4threads``)."""
    return f"cpu_big_{cpu_threads}thread{'s' if cpu_threads > 1 else ''}"


def read_layerwise(path: Path, cpu_threads: int) -> OpTimes | None:
    """Read ``<device>-<model>-layerwise-latency.csv``; ``None`` when the file is empty.

    Parameters
    ----------
    path:
        The file: ``op_name cpu_big_1 cpu_big_2 cpu_big_4 gpu [little x3]``.
    cpu_threads:
        1, 2 or 4: which big-core CPU column to keep.
    """
    col = CPU_THREAD_COLUMNS[cpu_threads]
    names: list[str] = []
    cpu: list[float] = []
    gpu: list[float] = []
    lines: list[int] = []
    cpu_name = cpu_column(cpu_threads)
    layout = "op_name cpu_big_1thread cpu_big_2threads cpu_big_4threads gpu [3 little-core]"
    for lineno, parts in _rows(path, 5, 8, layout=layout):
        names.append(parts[0])
        lines.append(lineno)
        cpu.append(_number(path, lineno, parts[1 + col], cpu_name))
        gpu.append(_number(path, lineno, parts[1 + GPU_COLUMN], "gpu"))
    if not names:
        return None
    return OpTimes(tuple(names), tuple(cpu), tuple(gpu), tuple(lines))


# --------------------------------------------------------------------------- graph
Shape = tuple[int, ...]


def parse_shape(text: str) -> Shape:
    """``"1,0,1001,0"`` -> ``(1, 1001)``: zero dims are placeholders for absent axes."""
    dims = [int(d) for d in text.split(",") if d.strip()]
    return tuple(d for d in dims if d > 0)


def shape_bytes(shape: Shape) -> int:
    """fp32 bytes of a tensor: 4 x product of its (non-placeholder) dims."""
    return 4 * math.prod(shape)


@dataclass(frozen=True)
class InfoOp:
    """One line of ``<model>-info.txt``: tensors as (shape, address or '') pairs."""

    name: str
    inputs: tuple[tuple[Shape, str], ...]
    outputs: tuple[tuple[Shape, str], ...]
    parents: tuple[int, ...]
    children: tuple[int, ...]


def _tensor_list(path: Path, lineno: int, text: str, field: str
                 ) -> tuple[tuple[Shape, str], ...]:
    out: list[tuple[Shape, str]] = []
    if text.strip() == "none":  # constants (e.g. a scalar multiplier) have no inputs
        return ()
    for item in text.split(";"):
        if not item.strip():
            continue
        shape_text, _, address = item.partition("@")
        try:
            out.append((parse_shape(shape_text), address.strip()))
        except ValueError:
            raise ProfileImportError(path, lineno, field, f"bad tensor {item!r}") from None
    return tuple(out)


def _index_list(path: Path, lineno: int, text: str, field: str) -> tuple[int, ...]:
    if text.strip() == "none":
        return ()
    try:
        return tuple(int(i) for i in text.split(";") if i.strip())
    except ValueError:
        raise ProfileImportError(path, lineno, field, f"bad index list {text!r}") from None


def read_info(path: Path) -> list[InfoOp]:
    """Read ``<model>-info.txt``: ``op_name inputs outputs parents children`` per line."""
    ops: list[InfoOp] = []
    lines: list[int] = []
    for lineno, parts in _rows(path, 5, layout="op_name inputs outputs parents children"):
        name, ins, outs, parents, children = parts
        ops.append(InfoOp(name, _tensor_list(path, lineno, ins, "inputs"),
                          _tensor_list(path, lineno, outs, "outputs"),
                          _index_list(path, lineno, parents, "parents"),
                          _index_list(path, lineno, children, "children")))
        lines.append(lineno)
    n = len(ops)
    for i, op in enumerate(ops):
        if any(not 0 <= j < n for j in op.parents + op.children):
            raise ProfileImportError(path, lines[i], "parents/children",
                                     f"index out of range 0..{n - 1}")
    return ops


# --------------------------------------------------------------------------- hand-off
@dataclass(frozen=True)
class TransferRow:
    """One measured hand-off: tensor shape and mean times (us) both ways."""

    shape: Shape
    cpu_to_gpu_us: float
    gpu_to_cpu_us: float

    @property
    def nbytes(self) -> int:
        return shape_bytes(self.shape)


def read_data_trans(path: Path) -> list[TransferRow]:
    """Read ``<model>-<device>-data-trans.csv`` (``N,C,H,W c2g g2c``); empty -> []."""
    rows: list[TransferRow] = []
    for lineno, parts in _rows(path, 3, layout="N,C,H,W cpu_to_gpu_us gpu_to_cpu_us"):
        try:
            shape = parse_shape(parts[0])
        except ValueError:
            raise ProfileImportError(path, lineno, "shape", f"bad shape {parts[0]!r}") from None
        rows.append(TransferRow(shape, _number(path, lineno, parts[1], "cpu_to_gpu_us"),
                                _number(path, lineno, parts[2], "gpu_to_cpu_us")))
    return rows


# --------------------------------------------------------------------------- traces
@dataclass(frozen=True)
class OpTrace:
    """Per-run durations (us) of each operator, ops in first-run order."""

    names: tuple[str, ...]
    runs: tuple[tuple[float, ...], ...]
    """``runs[i]`` = the durations of op ``names[i]`` in every run, in run order."""

    def mean(self, skip_first: int) -> tuple[float, ...]:
        return tuple(statistics.fmean(r[skip_first:]) for r in self.runs)

    def sd(self, skip_first: int) -> tuple[float, ...]:
        """Sample standard deviation per op over runs after the first ``skip_first``."""
        return tuple(statistics.stdev(r[skip_first:]) if len(r) - skip_first > 1 else 0.0
                     for r in self.runs)


def read_trace(path: Path) -> OpTrace | None:
    """Read a raw per-run trace (``op device duration start end``); ``None`` if empty."""
    order: list[str] = []
    durations: dict[str, list[float]] = {}
    for lineno, parts in _rows(path, 5, layout="op_name device duration_us start_us end_us"):
        name = parts[0]
        if name not in durations:
            order.append(name)
            durations[name] = []
        durations[name].append(_number(path, lineno, parts[2], "duration_us"))
    if not order:
        return None
    counts = {len(v) for v in durations.values()}
    if len(counts) != 1:
        raise ProfileImportError(path, None, "op_name",
                                 f"operators appear an unequal number of times: "
                                 f"{sorted(counts)}")
    return OpTrace(tuple(order), tuple(tuple(durations[n]) for n in order))


def same_names(a: Sequence[str], b: Sequence[str]) -> bool:
    return len(a) == len(b) and all(x == y for x, y in zip(a, b, strict=True))
