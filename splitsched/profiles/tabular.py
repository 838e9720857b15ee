"""Tool-neutral CSV import: a network's stage table or per-layer table, times in us.

For measurements from any profiler (per-prefix runs of split models, OpenCL
kernel timings, vendor tools) without writing Python. Two layouts, told apart
by the header; column names are case-insensitive; ``#`` lines and blank lines
are skipped; fields follow RFC 4180 (quote a name that holds commas).

**Stage table** (one row per cut ``k = 0..L``; the paper's ``a(k), h(k), b(k)``)::

    cut,a_us,h_us,b_us
    0,0,0,9000
    1,1200,300,6500
    2,4000,250,2000
    3,5200,0,0

``a_us`` = GPU time of the first ``k`` layers, ``h_us`` = hand-off at cut ``k``,
``b_us`` = CPU time of the layers after ``k``. ``k``/``a``/``h``/``b`` are accepted
as short names. Rules: cuts 0, 1, ..., L in order (L >= 1); ``a(0) = 0``,
``b(L) = 0``, ``h(0) = h(L) = 0``; ``a`` never decreases and ``b`` never
increases (layer ``i`` gets GPU time ``a(i) - a(i-1)`` and CPU time
``b(i-1) - b(i)``).

**Per-layer table** (one row per layer, in run order)::

    layer,gpu_us,cpu_us,handoff_us
    conv1,1200,2500,300
    block2,2800,4500,250
    head,1200,2000,0

``handoff_us`` = hand-off at the cut *after* that layer (the last layer's is 0
or empty). Optional columns ``gpu_sd_us`` and ``cpu_sd_us`` (run-to-run
standard deviation, all rows or none).

Either layout may carry a ``network`` column: rows are grouped into networks by
it, in order of first appearance; without it the file is one network named by
the caller (default: the file stem). Times are microseconds >= 0; decimals are
rounded to the nearest integer once, as read. Every error is a
:class:`~splitsched.profiles.errors.ProfileImportError` naming file, line,
field and reason. Times are at most 2**40 us (:data:`splitsched.problem.MAX_TIME_US`),
and so is the sum of a per-layer column. The file is UTF-8 (a leading BOM is
stripped); a UTF-16 file or another encoding is refused, naming it.
"""

from __future__ import annotations

import csv
import itertools
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitsched.problem import MAX_TIME_US, InvariantError, Network
from splitsched.profiles.errors import ProfileImportError, parse_time_us, read_text

STAGE_COLUMNS = {"cut": "cut", "k": "cut", "a_us": "a", "a": "a", "h_us": "h", "h": "h",
                 "b_us": "b", "b": "b"}
LAYER_COLUMNS = {"layer": "layer", "gpu_us": "gpu", "cpu_us": "cpu", "handoff_us": "handoff",
                 "gpu_sd_us": "gpu_sd", "cpu_sd_us": "cpu_sd"}
STAGE_HEADER = "cut,a_us,h_us,b_us"
LAYER_HEADER = "layer,gpu_us,cpu_us,handoff_us"


@dataclass
class _Group:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def _time(path: str, lineno: int, column: str, text: str, *, empty_ok: bool = False) -> float:
    """A time in us: finite, >= 0 (empty -> 0 where allowed)."""
    text = text.strip()
    if not text:
        if empty_ok:
            return 0.0
        raise ProfileImportError(path, lineno, column, "missing value")
    return parse_time_us(path, lineno, column, text)


def _delimiter_hint(header: list[str]) -> str:
    """A hint when a one-cell header holds another delimiter (``;`` from a spreadsheet)."""
    if len(header) != 1:
        return ""
    for sep, label in ((";", "';' (semicolon)"), ("\t", "a tab"), ("|", "'|'"),
                       (" ", "spaces")):
        if sep in header[0]:
            return (f"; the header is separated by {label}: this reader takes comma-separated "
                    f"values (a spreadsheet in a locale with decimal commas saves ';'): save "
                    f"the file as CSV with ',' between fields and '.' in numbers")
    return ""


def _read(path: Path) -> tuple[str, list[str], list[tuple[int, list[str]]], int]:
    """(layout, column keys, data rows with line numbers, header line)."""
    text = read_text(path)
    rows: list[tuple[int, list[str]]] = []
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    header_line = 0
    for cells in reader:
        lineno = reader.line_num
        if not cells or all(not c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip().lower() for c in cells]
            header_line = lineno
            continue
        rows.append((lineno, cells))
    if header is None:
        raise ProfileImportError(path, None, "header", f"empty file: expected a header "
                                                       f"{STAGE_HEADER!r} or {LAYER_HEADER!r}")
    names = [h for h in header if h != "network"]
    if names and all(h in STAGE_COLUMNS for h in names):
        layout, mapping, need = "stage", STAGE_COLUMNS, {"cut", "a", "h", "b"}
    elif names and all(h in LAYER_COLUMNS for h in names):
        layout, mapping, need = "layer", LAYER_COLUMNS, {"layer", "gpu", "cpu", "handoff"}
    else:
        unknown = [h for h in names if h not in STAGE_COLUMNS and h not in LAYER_COLUMNS]
        why = f"unknown column(s) {unknown}" if unknown else "a mix of both layouts"
        raise ProfileImportError(path, header_line, "header",
                                 f"{why}; expected a stage table {STAGE_HEADER!r} or a "
                                 f"per-layer table {LAYER_HEADER!r} (optionally with a "
                                 f"'network' column){_delimiter_hint(header)}")
    keys = [mapping.get(h, h) for h in header]
    dup = sorted({k for k in keys if keys.count(k) > 1})
    if dup:
        raise ProfileImportError(path, header_line, "header", f"column(s) given twice: {dup}")
    missing = sorted(need - set(keys))
    if missing:
        raise ProfileImportError(path, header_line, "header",
                                 f"missing column(s) {missing} for a {layout} table; expected "
                                 f"{STAGE_HEADER if layout == 'stage' else LAYER_HEADER}")
    if not rows:
        raise ProfileImportError(path, None, "(rows)", "header but no data rows")
    return layout, keys, rows, header_line


def _grouped(path: Path, keys: list[str], rows: list[tuple[int, list[str]]], default: str
             ) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    for lineno, cells in rows:
        if len(cells) != len(keys):
            raise ProfileImportError(path, lineno, "(row)",
                                     f"expected {len(keys)} fields ({', '.join(keys)}), "
                                     f"got {len(cells)}")
        rec = dict(zip(keys, cells, strict=True))
        net = rec.get("network", default).strip() if "network" in rec else default
        if not net:
            raise ProfileImportError(path, lineno, "network", "empty network name")
        groups.setdefault(net, _Group()).rows.append((lineno, rec))
    return groups


def _stage_network(path: Path, name: str, group: _Group, prov: dict[str, Any]) -> Network:
    p = str(path)
    cuts: list[tuple[int, int, int, int]] = []  # line, a, h, b
    for expected, (lineno, rec) in enumerate(group.rows):
        text = rec["cut"].strip()
        try:
            k = int(text)
        except ValueError:
            raise ProfileImportError(p, lineno, "cut", f"not an integer: {text!r}") from None
        if k != expected:
            raise ProfileImportError(p, lineno, "cut",
                                     f"cuts must be 0, 1, ..., L in order"
                                     f"{f' for network {name!r}' if name else ''}: expected "
                                     f"{expected}, got {k}")
        a, h, b = (round(_time(p, lineno, f"{c}_us", rec[c])) for c in ("a", "h", "b"))
        cuts.append((lineno, a, h, b))
    if len(cuts) < 2:
        raise ProfileImportError(p, cuts[0][0], "cut",
                                 f"network {name!r} has only cut 0: a stage table needs cuts "
                                 f"0..L with L >= 1")
    first, last = cuts[0], cuts[-1]
    for lineno, value, col, rule in ((first[0], first[1], "a_us", "a(0) = 0: no GPU work "
                                      "before the first layer"),
                                     (first[0], first[2], "h_us", "h(0) = 0: nothing to hand "
                                      "off at the CPU-only cut"),
                                     (last[0], last[2], "h_us", "h(L) = 0: nothing to hand "
                                      "off at the GPU-only cut"),
                                     (last[0], last[3], "b_us", "b(L) = 0: no CPU work after "
                                      "the last layer")):
        if value != 0:
            raise ProfileImportError(p, lineno, col, f"must be 0 ({rule}), got {value}")
    gpu: list[int] = []
    cpu: list[int] = []
    for (_, a0, _, b0), (lineno, a1, _, b1) in itertools.pairwise(cuts):
        if a1 < a0:
            raise ProfileImportError(p, lineno, "a_us",
                                     f"a must never decrease (GPU time of a longer prefix): "
                                     f"{a1} < {a0} on the line before")
        if b1 > b0:
            raise ProfileImportError(p, lineno, "b_us",
                                     f"b must never increase (CPU time of a shorter suffix): "
                                     f"{b1} > {b0} on the line before")
        gpu.append(a1 - a0)
        cpu.append(b0 - b1)
    n = len(gpu)
    return _network(p, (cuts[0][0], cuts[-1][0]), lambda: Network(
        name=name, layer_names=tuple(f"stage-{i + 1}" for i in range(n)),
        gpu_us=tuple(gpu), cpu_us=tuple(cpu), handoff_us=tuple(c[2] for c in cuts),
        provenance=prov))


def _layer_network(path: Path, name: str, group: _Group, prov: dict[str, Any]) -> Network:
    p = str(path)
    names: list[str] = []
    gpu: list[int] = []
    cpu: list[int] = []
    handoff: list[int] = [0]
    sds: dict[str, list[float]] = {"gpu_sd": [], "cpu_sd": []}
    last = len(group.rows) - 1
    for i, (lineno, rec) in enumerate(group.rows):
        layer = rec["layer"].strip()
        if not layer:
            raise ProfileImportError(p, lineno, "layer", "empty layer name")
        names.append(layer)
        gpu.append(round(_time(p, lineno, "gpu_us", rec["gpu"])))
        cpu.append(round(_time(p, lineno, "cpu_us", rec["cpu"])))
        h = round(_time(p, lineno, "handoff_us", rec["handoff"], empty_ok=i == last))
        if i == last and h != 0:
            raise ProfileImportError(p, lineno, "handoff_us",
                                     f"the last layer of network {name!r} must have hand-off "
                                     f"0 or empty (nothing follows it), got {h}")
        handoff.append(h)
        for col in ("gpu_sd", "cpu_sd"):
            if col in rec:
                sds[col].append(_time(p, lineno, f"{col}_us", rec[col]))
    handoff[-1] = 0
    lines = (group.rows[0][0], group.rows[-1][0])
    for col, values in (("gpu_us", gpu), ("cpu_us", cpu)):
        if sum(values) > MAX_TIME_US:
            raise ProfileImportError(p, None, f"lines {lines[0]}-{lines[1]}, {col}",
                                     f"network {name!r}: the column sums to {sum(values):.6g} "
                                     f"us, more than {MAX_TIME_US} us (2**40 us, about 12.7 "
                                     f"days: the bound of a network's whole chain)")
    return _network(p, lines, lambda: Network(
        name=name, layer_names=tuple(names), gpu_us=tuple(gpu), cpu_us=tuple(cpu),
        handoff_us=tuple(handoff), gpu_sd_us=tuple(sds["gpu_sd"]),
        cpu_sd_us=tuple(sds["cpu_sd"]), provenance=prov))


def _network(path: str, lines: tuple[int, int], make: Callable[[], Network]) -> Network:
    """``make()``; a rule it breaks (none should be left) names the file and the lines."""
    try:
        return make()
    except InvariantError as exc:
        raise ProfileImportError(path, None, f"lines {lines[0]}-{lines[1]}",
                                 f"{exc.subject}: {exc.field}: {exc.reason}") from None


def read_table_csv(path: str | os.PathLike[str], *, name: str | None = None) -> list[Network]:
    """Read a tool-neutral stage-table or per-layer CSV (see the module docstring).

    Parameters
    ----------
    path:
        The CSV file.
    name:
        Network name when the file has no ``network`` column (default: file stem).

    Returns
    -------
    list[Network]
        One network per distinct ``network`` value (or one), integer us.

    Raises
    ------
    ProfileImportError
        Missing file (or a directory), a file that is not UTF-8, unknown header
        (a ';'-separated one gets a hint), a missing/non-numeric/negative value, cuts
        out of order, a stage table whose ``a`` decreases or ``b`` increases, a
        non-zero end hand-off (file, line, field and reason).
    """
    p = Path(path)
    layout, keys, rows, _ = _read(p)
    default = name or p.stem
    networks: list[Network] = []
    for net_name, group in _grouped(p, keys, rows, default).items():
        prov: dict[str, Any] = {
            "source": "tool-neutral CSV",
            "file": str(p),
            "layout": "stage table (cut, a, h, b)" if layout == "stage"
            else "per-layer table (layer, gpu_us, cpu_us, handoff_us)",
            "lines": [group.rows[0][0], group.rows[-1][0]],
            "units": "microseconds; decimals rounded to the nearest integer once",
        }
        build = _stage_network if layout == "stage" else _layer_network
        networks.append(build(p, net_name, group, prov))
    return networks
