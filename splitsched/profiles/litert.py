"""LiteRT / TFLite ``benchmark_model`` per-operator CSV -> a device profile.

Run ``benchmark_model --enable_op_profiling=true --op_profiling_output_mode=csv
--op_profiling_output_file=FILE`` once on the phone's CPU and once with
``--use_gpu=true``. The file holds the profiler's tables in CSV form: a title
line ``===... Run Order ===...``, a header line ``node type, [start,] first,
avg_ms, %, cdf%, mem KB, times called, name`` and one row per node; other
tables (Top by Computation Time, Summary by node type), ``Primary graph`` /
``Subgraph`` captions and a ``Delegate internal:`` part may follow. Only the
*Run Order* tables of the regular benchmark runs are used (the initialisation
part is skipped).

A node's per-inference time is ``avg_ms * times called`` (``avg_ms`` is per
call; ``times called`` per run, 0 read as 1). Layers are the CPU run's
operators in run order; GPU times are matched by operator name (then order).
When the GPU delegate fuses the graph into delegate nodes, the GPU run gives
only a whole-model time: the network then has one layer (cuts 0 and L only),
and its provenance says so. Hand-off costs are not in these files: they are a
constant given by the caller, stated in provenance.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitsched.io import InputError
from splitsched.problem import Network

RUN_ORDER = "Run Order"
_TITLE = re.compile(r"^=+\s*(.*?)\s*=+$")
_NODE_INDEX = re.compile(r"^(.*?):(\d+)$")


@dataclass(frozen=True)
class OpRow:
    """One row of a Run Order table."""

    node_type: str
    name: str
    avg_ms: float
    first_ms: float
    times_called: int

    @property
    def per_run_us(self) -> float:
        return self.avg_ms * 1000.0 * max(self.times_called, 1)

    @property
    def is_delegate(self) -> bool:
        return "delegate" in self.node_type.lower()

    @property
    def key(self) -> str:
        """The name without brackets and node index, for matching across runs."""
        name = self.name.strip()
        m = _NODE_INDEX.match(name)
        if m:
            name = m.group(1)
        return name.strip().strip("[]").strip()


@dataclass(frozen=True)
class LiteRTRun:
    """The Run Order tables of one benchmark_model file."""

    path: str
    primary: tuple[OpRow, ...]
    delegate_internal: tuple[OpRow, ...]
    total_avg_us: float | None
    total_std_us: float | None

    def ops(self) -> tuple[OpRow, ...]:
        """Operator rows: the delegate's internal ops when the graph is all delegate nodes."""
        if self.primary and all(r.is_delegate for r in self.primary) and self.delegate_internal:
            return self.delegate_internal
        return self.primary


def _split_csv(line: str) -> list[str]:
    return [part.strip() for part in line.split(",")]


def _parse_row(cells: list[str], cols: dict[str, int], path: str, lineno: int) -> OpRow:
    ncols = len(cols)
    name_at = cols["name"]
    if len(cells) < ncols:
        raise InputError(path, f"line {lineno}", f"expected {ncols} comma-separated fields, "
                                                 f"got {len(cells)}")
    # the name is the last column and may itself contain commas
    name = ", ".join(cells[name_at:])
    try:
        avg = float(cells[cols["avg_ms"]])
        first = float(cells[cols["first"]]) if "first" in cols else avg
        called = int(float(cells[cols["times called"]])) if "times called" in cols else 1
    except ValueError as exc:
        raise InputError(path, f"line {lineno}", f"not a number: {exc}") from None
    if avg < 0:
        raise InputError(path, f"line {lineno}.avg_ms", "must be >= 0")
    return OpRow(node_type=cells[cols["node type"]], name=name, avg_ms=avg, first_ms=first,
                 times_called=called)


def parse_benchmark_csv(path: str | os.PathLike[str]) -> LiteRTRun:
    """Parse one ``--op_profiling_output_mode=csv`` file.

    Raises
    ------
    InputError
        Missing file, no Run Order table, or a malformed row.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError(p, "(file)", "no such file")
    lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
    primary: list[OpRow] = []
    internal: list[OpRow] = []
    in_runs = not any("Profiling Info for Regular Benchmark Runs" in ln for ln in lines)
    part = "primary"  # primary graph | subgraph | delegate
    table: str | None = None
    cols: dict[str, int] | None = None
    total_avg = total_std = None
    for lineno, raw in enumerate(lines, start=1):
        line = raw.strip()
        if "Profiling Info for Benchmark Initialization" in line:
            in_runs, table = False, None
            continue
        if "Profiling Info for Regular Benchmark Runs" in line:
            in_runs, part, table = True, "primary", None
            continue
        if not in_runs:
            continue
        if line.startswith("Primary graph"):
            part, table = "primary", None
            continue
        if line.startswith("Subgraph (index:") and line.endswith(":"):
            part, table = "subgraph", None
            continue
        if line.startswith("Delegate internal"):
            part, table = "delegate", None
            continue
        m = _TITLE.match(line)
        if m:
            table, cols = m.group(1), None
            continue
        if line.startswith("Timings (microseconds):") and part == "primary":
            fields = dict(re.findall(r"(\w+)=([-\d.e+]+)", line))
            if "avg" in fields:
                total_avg = float(fields["avg"])
            if "std" in fields:
                total_std = float(fields["std"])
            continue
        if not line:
            table = None if table == RUN_ORDER else table  # a blank line ends a table
            continue
        if table != RUN_ORDER:
            continue
        if cols is None:
            header = [c.lower() for c in _split_csv(line)]
            cols = {c: i for i, c in enumerate(header)}
            missing = {"node type", "avg_ms", "name"} - cols.keys()
            if missing:
                raise InputError(p, f"line {lineno}",
                                 f"Run Order header lacks {sorted(missing)}: is this the CSV "
                                 f"output mode (--op_profiling_output_mode=csv)?")
            continue
        row = _parse_row(_split_csv(line), cols, str(p), lineno)
        if part == "primary":
            primary.append(row)
        elif part == "delegate":
            internal.append(row)
    if not primary:
        raise InputError(p, "Run Order", "no Run Order rows for the regular benchmark runs "
                                         "(was --enable_op_profiling=true set?)")
    return LiteRTRun(path=str(p), primary=tuple(primary), delegate_internal=tuple(internal),
                     total_avg_us=total_avg, total_std_us=total_std)


def _us(value: float) -> int:
    return max(0, round(value))


def network_from_litert(name: str, cpu: LiteRTRun, gpu: LiteRTRun, *,
                        handoff_us: int = 0) -> Network:
    """Build a network from a CPU run and a GPU-delegate run of the same model.

    Per-operator GPU times are used when every CPU operator is found, by name,
    among the GPU run's operators; otherwise (the delegate fused the graph) the
    network is one layer whose GPU time is the whole GPU run.
    """
    if handoff_us < 0:
        raise InputError(None, "--handoff-us", f"must be >= 0, got {handoff_us}")
    cpu_ops = cpu.ops()
    gpu_ops = gpu.ops()
    gpu_by_key: dict[str, OpRow] = {}
    for row in gpu_ops:
        gpu_by_key.setdefault(row.key, row)
    prov: dict[str, Any] = {"source": "litert-benchmark_model", "cpu_file": cpu.path,
                            "gpu_file": gpu.path, "handoff": f"constant {handoff_us} us at "
                            "every interior cut, given by the user (not measured)"}
    if cpu.total_avg_us and cpu.total_std_us is not None:
        prov["cpu_run_cv"] = round(cpu.total_std_us / cpu.total_avg_us, 4)
    if gpu.total_avg_us and gpu.total_std_us is not None:
        prov["gpu_run_cv"] = round(gpu.total_std_us / gpu.total_avg_us, 4)
    per_op = all(r.key in gpu_by_key for r in cpu_ops) and not any(
        r.is_delegate for r in gpu_ops)
    if per_op:
        names = tuple(f"{i:03d}:{r.node_type}:{r.key}" for i, r in enumerate(cpu_ops))
        gpu_us = tuple(_us(gpu_by_key[r.key].per_run_us) for r in cpu_ops)
        cpu_us = tuple(_us(r.per_run_us) for r in cpu_ops)
        n = len(cpu_ops)
        handoff = (0, *([handoff_us] * (n - 1)), 0)
        prov["granularity"] = "per operator (GPU ops matched to CPU ops by name)"
        return Network(name=name, layer_names=names, gpu_us=gpu_us, cpu_us=cpu_us,
                       handoff_us=handoff, provenance=prov)
    gpu_total = sum(r.per_run_us for r in gpu.primary)
    cpu_total = sum(r.per_run_us for r in cpu_ops)
    kinds = sorted({r.node_type for r in gpu.primary if r.is_delegate})
    prov["granularity"] = "whole model"
    prov["note"] = (
        f"GPU delegate fused the graph ({', '.join(kinds) or 'no per-op GPU rows'}; "
        f"{len(gpu.primary)} node(s) in the GPU run): only the whole-model GPU time is known, "
        "so this network is one layer and the only cuts are 0 (CPU-only) and L (GPU-only)")
    return Network(name=name, layer_names=("whole-model",), gpu_us=(_us(gpu_total),),
                   cpu_us=(_us(cpu_total),), handoff_us=(0, 0), provenance=prov)
