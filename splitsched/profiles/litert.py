"""LiteRT / TFLite ``benchmark_model`` op-profiling output -> a device profile.

Input: two files written by ``benchmark_model --enable_op_profiling=true`` for the
same ``.tflite`` model on the same phone, one CPU run and one run with the
accelerator delegate (``--use_gpu=true``, ``--external_delegate_path=...``).
Both output modes are read:

* text (the default, what the tool prints to the log): a title line
  ``=== Run Order ===``, a header ``[node type] [start] [first] [avg ms] [%]
  [cdf%] [mem KB] [times called] [Name]`` (tab or space separated; older
  versions lack ``[start]`` or ``[times called]``) and one row per node;
* CSV (``--op_profiling_output_mode=csv``): header ``node type, [start,] first,
  avg_ms, %, cdf%, mem KB, times called, name``. The writer replaces commas in
  the *name* by tabs but leaves them in the *node type* (XNNPACK types such as
  ``Convolution (NHWC, QC8) IGEMM``), so a row with too many fields is split
  from the right; a row that only parses split from the left (a name with
  commas, as some hand-written files have) is read that way.

Only the Run Order table of the regular benchmark runs is used (the
initialisation part is skipped); a file holding more than one run (two logs
appended into one: a second "Regular Benchmark Runs" part or primary Run Order
table, or a node index listed twice) is refused, since adding the runs' rows
would double every time. A node's per-inference time is ``avg ms x
times called`` (``0`` read as 1). A node's *name* is ``[t1, t2, ...]:i``: the
tensors it produces and its node index.

What a pair of runs can give (checked, never assumed)
-----------------------------------------------------
* **Fused delegate** (every node of the accelerator run is a delegate node):
  the accelerator reports one time for the whole delegated graph, so the
  network is **one layer**: GPU-only time = the delegate run, CPU-only time =
  the CPU run; the only cuts are 0 and L. TFLite's GPU delegate reports no
  per-operator times: per-cut GPU times need one run per prefix sub-model
  (import them with :mod:`splitsched.profiles.tabular`).
* **Partial delegation, GPU prefix then CPU fallback** (delegate node(s) first,
  then nodes run by CPU kernels, e.g. ``TFLite_Detection_PostProcess``): the
  fallback nodes are CPU work and the GPU-only cut does not exist. Refused by
  default, naming the fallback nodes; with ``allow_cpu_fallback=True`` a
  2-layer network (delegated part, fallback) whose cut L is *not* a GPU-only
  run (provenance says so).
* **Interleaved** delegate and CPU nodes (or CPU nodes before the delegate):
  no GPU-prefix/CPU-suffix split exists: refused.
* **No delegate node** in the accelerator run: the delegate was not applied
  and every "GPU" time is a CPU time: refused unless
  ``allow_no_delegate=True`` (then per-operator times are matched by name).
* A CPU file that holds an accelerator delegate node (files swapped) is refused.
* **XNNPACK** CPU runs (LiteRT's default CPU path) list ``Delegate/<op kind>:<i>``
  rows: ``i`` is an index local to one XNNPACK partition and ``times called``
  counts the operators of that kind merged into the row. These rows are
  aggregates, not layers in run order, so an XNNPACK run yields only its
  whole-model time (the sum of its rows); per-operator cuts from it are refused.

* **An excerpt** of a Run Order table (rows cut out: a row's ``cdf%`` is not the
  one above plus its ``%``, or the last is short of 100% where the ``Timings`` avg
  shows the ``%`` are shares of one run) would sum to too little: refused, naming
  the row (:meth:`LiteRTRun.rows_gap`).

Same model: the accelerator run's fallback nodes must appear in the CPU run
with the same name and node index; each tensor a delegate node produces must
be produced by a node of the CPU run (not checkable against XNNPACK rows), and
a delegate node's index must exceed every node index of the CPU run (delegate
kernels are appended after the model's nodes). A pair that fails is refused,
naming the node.

Hand-off costs are not in these files: a constant given by the caller, stated
in provenance. All errors are :class:`~splitsched.profiles.errors.ProfileImportError`
naming file, line, field and reason.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitsched.problem import MAX_TIME_US, Network
from splitsched.profiles.errors import ProfileImportError, read_text

RUN_ORDER = "Run Order"
_TITLE = re.compile(r"^=+\s*(.*?)\s*=+$")
_BRACKET_INDEX = re.compile(r"^\[(.*)\](?::(\d+))?$")
_PLAIN_INDEX = re.compile(r"^(.*?):(\d+)$")
_LOG_PREFIX = re.compile(
    r"^(?:"
    r"(?:INFO|WARNING|WARN|ERROR|I|W|E): "  # TFLite's own log prefix
    # Android logcat (the benchmark APK's output through adb logcat). A time stamp (-v
    # threadtime / time: [YYYY-]MM-DD HH:MM:SS.mmm; -v epoch / monotonic: seconds), then
    # either [uid] pid tid level tag: (threadtime) or level/tag[(pid)]: (time, brief, tag)
    r"|(?:(?:\d{4}-)?\d\d-\d\d \d\d:\d\d:\d\d\.\d+\s+|\d+\.\d+\s+)?"
    r"(?:(?:[a-z]\w*\s+)?\d+\s+\d+ [VDIWEF] [^:]*: ?|[VDIWEF]/[^(:]+(?:\(\s*\d+\))?: ?)"
    # absl / glog: level, [YYYY]MMDD, time (absl before InitializeLog: 00:00:<epoch>),
    # thread id, file:line]
    r"|[IWEF]\d{4}(?:\d{4})? \d\d:\d\d:\d+\.\d+\s+\d+ [^\]\s]+\] ?"
    r")")
"""What a logging framework puts before each line of the tool's output (stripped)."""
_NUMBER = r"[-+]?(?:nan|inf|\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?%?"
XNNPACK_INTERNAL_PREFIX = "Delegate/"
"""Name prefix of rows that a delegate profiles inside itself (XNNPACK)."""

# header column -> canonical key (text mode names in brackets, CSV names)
_CANON = {"node type": "node type", "start": "start", "first": "first", "avg ms": "avg_ms",
          "avg_ms": "avg_ms", "%": "%", "cdf%": "cdf%", "mem kb": "mem KB",
          "times called": "times called", "name": "name"}


# --------------------------------------------------------------------------- rows
@dataclass(frozen=True)
class OpRow:
    """One row of a Run Order table.

    ``avg_ms`` is per call; ``times_called`` per inference; ``line`` is the
    1-based line of the row in its file.
    """

    node_type: str
    name: str
    avg_ms: float
    first_ms: float
    times_called: int
    line: int = 0
    pct: float | None = None
    """The ``%`` column: the row's share of the table's total time (None: not given, nan)."""
    cdf: float | None = None
    """The ``cdf%`` column: the running sum of ``%`` down the table (None: not given, nan)."""

    @property
    def per_run_us(self) -> float:
        """Time per inference (us): ``avg_ms x 1000 x times called`` (0 called read as 1)."""
        return self.avg_ms * 1000.0 * max(self.times_called, 1)

    @property
    def is_xnnpack_internal(self) -> bool:
        """A row profiled inside a delegate (``Delegate/<kind>:<partition-local index>``)."""
        return self.name.startswith(XNNPACK_INTERNAL_PREFIX)

    @property
    def is_cpu_delegate(self) -> bool:
        """The XNNPACK delegate's own node: a delegate that runs on the CPU."""
        t = self.node_type.lower()
        return "xnnpack" in t and "delegate" in t

    @property
    def is_delegate(self) -> bool:
        """An accelerator delegate node (GPU, NNAPI, Hexagon, VX, ...; not XNNPACK)."""
        return "delegate" in self.node_type.lower() and not self.is_cpu_delegate

    @property
    def index(self) -> int | None:
        """The node index after the name (``[...]:31`` -> 31), if written."""
        m = _BRACKET_INDEX.match(self.name.strip())
        if m:
            return int(m.group(2)) if m.group(2) is not None else None
        m = _PLAIN_INDEX.match(self.name.strip())
        return int(m.group(2)) if m else None

    @property
    def outputs(self) -> tuple[str, ...]:
        """The tensors the node produces, from ``[t1, t2]:i`` (empty when not bracketed)."""
        m = _BRACKET_INDEX.match(self.name.strip())
        if not m:
            return ()
        return tuple(t.strip() for t in m.group(1).split(",") if t.strip())

    @property
    def key(self) -> str:
        """The name without brackets and node index, for matching across runs."""
        name = self.name.strip()
        m = _BRACKET_INDEX.match(name)
        if m:
            return ", ".join(self.outputs)
        m = _PLAIN_INDEX.match(name)
        return (m.group(1) if m else name).strip()


@dataclass(frozen=True)
class LiteRTRun:
    """The Run Order table of the regular runs of one benchmark_model file."""

    path: str
    primary: tuple[OpRow, ...]
    delegate_internal: tuple[OpRow, ...]
    total_avg_us: float | None
    total_std_us: float | None
    mode: str = "csv"
    """``csv`` or ``text``: the output mode the file was written in."""
    header_line: int = 0

    def ops(self) -> tuple[OpRow, ...]:
        """The primary graph's rows in run order."""
        return self.primary

    @property
    def accelerator_nodes(self) -> tuple[OpRow, ...]:
        return tuple(r for r in self.primary if r.is_delegate)

    @property
    def is_xnnpack(self) -> bool:
        """Whether XNNPACK ran (internal aggregate rows or its delegate node)."""
        return any(r.is_xnnpack_internal or r.is_cpu_delegate for r in self.primary)

    @property
    def rows_total_us(self) -> float:
        """Sum of the rows' per-inference times (us)."""
        return math.fsum(r.per_run_us for r in self.primary)

    def rows_gap(self) -> tuple[OpRow, float, float] | None:
        """Where the ``%`` and ``cdf%`` columns show rows missing from the primary table.

        benchmark_model writes every node of the run, and each row's ``cdf%`` is the
        one above plus its own ``%``. Returns ``(row, expected, written)`` for the
        first row whose ``cdf%`` differs from ``expected`` by more than
        :data:`CDF_TOLERANCE` (rows left out above it); or, for the last row with
        ``expected = 100``, when the table ends short of 100% although its ``%`` are
        shares of one run's time (the time they imply, the rows' sum over the last
        ``cdf%``, is within :data:`TIMINGS_MATCH` of the file's ``Timings`` avg, or
        there is no ``Timings`` line): rows left out below it. Old TFLite versions
        took ``%`` of the sum over all runs (their tables end far below 100%, e.g.
        0.5%): a ``Timings`` avg far from the implied time shows such a table, whose
        end is then left alone. None when the table is whole, or when the columns say
        nothing (absent, nan, or all zero as in hand-written files)."""
        rows = self.primary
        if any(r.pct is None or r.cdf is None for r in rows) \
                or all(r.pct == 0 and r.cdf == 0 for r in rows):
            return None
        cdf = 0.0
        for r in rows:
            assert r.pct is not None and r.cdf is not None
            if abs(r.cdf - (cdf + r.pct)) > CDF_TOLERANCE:
                return r, cdf + r.pct, r.cdf
            cdf = r.cdf
        if 0 < cdf < 100.0 - CDF_TOLERANCE:
            if not self.total_avg_us:  # nothing tells an old TFLite's table from a cut one
                return rows[-1], 100.0, cdf
            implied = self.rows_total_us * 100.0 / cdf
            if abs(implied - self.total_avg_us) <= TIMINGS_MATCH * self.total_avg_us:
                return rows[-1], 100.0, cdf
        return None


CDF_TOLERANCE = 0.05
"""Percentage points a ``cdf%`` may differ from the sum above it (both are printed to
three or four decimals, so a whole table is within 0.002; one left-out row of 0.05% of
the run or more is seen)."""

TIMINGS_MATCH = 0.1
"""How near (a share of the ``Timings`` avg) the run time a table's ``%`` imply must be
for a table ending short of 100% to count as one with its last rows left out."""


_USED = ("first", "avg_ms", "times called")
"""Columns whose values are used; the others (start, %, cdf%, mem KB) need only be
numbers, and may be nan (the tool prints nan% when a run's total is 0)."""


def _make_row(node_type: str, middle: dict[str, str], name: str, path: str,
              lineno: int) -> OpRow:
    """Validate the numeric columns; raise ProfileImportError naming the first bad one."""
    values: dict[str, float] = {}
    for col, text in middle.items():
        try:
            values[col] = float(text.strip().rstrip("%"))
        except ValueError:
            raise ProfileImportError(path, lineno, col, f"not a number: {text.strip()!r}"
                                     ) from None
        if col in _USED and not math.isfinite(values[col]):
            raise ProfileImportError(path, lineno, col, f"must be finite, got {text.strip()!r}")
    avg = values["avg_ms"]
    if avg < 0:
        raise ProfileImportError(path, lineno, "avg_ms", f"must be >= 0, got {avg}")
    called = values.get("times called", 1.0)
    if called < 0 or called != int(called):
        raise ProfileImportError(path, lineno, "times called",
                                 f"must be a whole number >= 0, got {called}")
    if avg * 1000.0 * max(called, 1.0) > MAX_TIME_US:  # a layer's time bound (problem.py)
        raise ProfileImportError(path, lineno, "times called" if called > 1 else "avg_ms",
                                 f"avg_ms {avg:g} x times called {called:g} is "
                                 f"{avg * max(called, 1.0) / 1000.0:.3g} s per inference, "
                                 f"above the {MAX_TIME_US} us a time may take")
    name = ", ".join(p.strip() for p in name.replace("\t", ",").split(",")).strip()
    share = {col: v if math.isfinite(v) else None
             for col in ("%", "cdf%") if (v := values.get(col)) is not None}
    return OpRow(node_type=node_type.strip(), name=name, avg_ms=avg,
                 first_ms=values.get("first", avg), times_called=int(called), line=lineno,
                 pct=share.get("%"), cdf=share.get("cdf%"))


def _csv_row(line: str, header: list[str], path: str, lineno: int) -> OpRow:
    cells = [c.strip() for c in line.split(",")]
    n = len(header)
    if len(cells) < n:
        raise ProfileImportError(path, lineno, "(row)", f"expected {n} comma-separated fields "
                                                        f"({', '.join(header)}), got {len(cells)}")
    middle_cols = header[1:-1]
    extra = len(cells) - n
    # the writer leaves commas in the node type (XNNPACK) and turns the name's into tabs:
    # split from the right first; a row that only parses from the left has a name with commas
    splits = [(", ".join(cells[:extra + 1]), cells[extra + 1:-1], cells[-1])]
    if extra:
        splits.append((cells[0], cells[1:n - 1], ", ".join(cells[n - 1:])))
    first_error: ProfileImportError | None = None
    for node_type, mid, name in splits:
        try:
            return _make_row(node_type, dict(zip(middle_cols, mid, strict=True)), name, path,
                             lineno)
        except ProfileImportError as exc:
            first_error = first_error or exc
    assert first_error is not None
    raise first_error


def _text_pattern(header: list[str]) -> re.Pattern[str]:
    middle = r"\s+".join(f"({_NUMBER})" for _ in header[1:-1])
    return re.compile(rf"^(.+?)\s+{middle}\s+(\S.*)$")


def _text_row(line: str, header: list[str], pattern: re.Pattern[str], path: str,
              lineno: int) -> OpRow:
    m = pattern.match(line)
    if not m:
        raise ProfileImportError(path, lineno, "(row)",
                                 f"does not fit the Run Order header: expected a node type, "
                                 f"{len(header) - 2} numbers ({', '.join(header[1:-1])}) "
                                 f"and a name")
    groups = m.groups()
    return _make_row(groups[0], dict(zip(header[1:-1], groups[1:-1], strict=True)),
                     groups[-1], path, lineno)


def _parse_header(line: str, path: str, lineno: int) -> tuple[list[str], str]:
    """Canonical column names and the mode (``csv`` or ``text``) of a Run Order header."""
    if "[" in line:
        raw = [c.strip().lower() for c in re.findall(r"\[([^\]]*)\]", line)]
        mode = "text"
    else:
        raw = [c.strip().lower() for c in line.split(",")]
        mode = "csv"
    unknown = [c for c in raw if c not in _CANON]
    cols = [_CANON.get(c, c) for c in raw]
    if unknown or len(cols) < 3 or cols[0] != "node type" or cols[-1] != "name" \
            or "avg_ms" not in cols:
        raise ProfileImportError(path, lineno, "header",
                                 f"not a benchmark_model Run Order header (columns {raw}); "
                                 f"expected node type, [start,] first, avg ms, %, cdf%, "
                                 f"mem KB, times called, name")
    return cols, mode


def parse_benchmark_output(path: str | os.PathLike[str]) -> LiteRTRun:
    """Parse one ``benchmark_model --enable_op_profiling=true`` output (text or CSV mode).

    Parameters
    ----------
    path:
        The log (text mode, the default) or the ``--op_profiling_output_file``
        written with ``--op_profiling_output_mode=csv``.

    Returns
    -------
    LiteRTRun
        The primary graph's Run Order rows of the regular runs, in run order,
        and the ``Timings (microseconds)`` avg/std of those runs when present.

    Raises
    ------
    ProfileImportError
        Missing file, a file that is not UTF-8 (a UTF-16 one named as such;
        a leading BOM is stripped), no Run Order table, a header that is not
        benchmark_model's, a row whose numbers do not parse (file, line,
        column, reason), or a file holding more than one run (a second
        "Regular Benchmark Runs" part or primary Run Order table, or a node
        index listed twice: appended logs, whose times would add up).
    """
    p = Path(path)
    lines = read_text(p).splitlines()
    primary: list[OpRow] = []
    internal: list[OpRow] = []
    in_runs = not any("Profiling Info for Regular Benchmark Runs" in ln for ln in lines)
    part = "primary"  # primary graph | subgraph | delegate
    table: str | None = None
    header: list[str] | None = None
    pattern: re.Pattern[str] | None = None
    mode = "csv"
    header_line = 0
    total_avg = total_std = None
    runs_line = 0  # where the (one) "Regular Benchmark Runs" part starts
    index_line: dict[int, int] = {}  # node index -> its row's line, primary graph
    for lineno, raw in enumerate(lines, start=1):
        line = _LOG_PREFIX.sub("", raw.strip()).strip()
        if "Profiling Info for Benchmark Initialization" in line:
            in_runs, table = False, None
            continue
        if "Profiling Info for Regular Benchmark Runs" in line:
            if runs_line:
                raise ProfileImportError(p, lineno, "Run Order", _more_than_one_run(
                    f"a second 'Profiling Info for Regular Benchmark Runs' (the first at "
                    f"line {runs_line})"))
            runs_line = lineno
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
            table, header = m.group(1), None
            continue
        if line.startswith("Timings (microseconds):") and part == "primary" and total_avg is None:
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
        if header is None:
            header, mode = _parse_header(line, str(p), lineno)
            pattern = _text_pattern(header) if mode == "text" else None
            if part == "primary" and header_line and primary:
                raise ProfileImportError(p, lineno, "Run Order", _more_than_one_run(
                    f"a second Run Order table of the primary graph (the first at line "
                    f"{header_line})"))
            if part == "primary" and not header_line:
                header_line = lineno
            continue
        if pattern is not None:
            row = _text_row(line, header, pattern, str(p), lineno)
        else:
            row = _csv_row(line, header, str(p), lineno)
        if part == "primary":
            # XNNPACK's internal rows carry partition-local indices, which may repeat
            i = None if row.is_xnnpack_internal else row.index
            if i is not None and i in index_line:
                raise ProfileImportError(p, lineno, "name", _more_than_one_run(
                    f"node index {i} listed twice (first at line {index_line[i]})"))
            if i is not None:
                index_line[i] = lineno
            primary.append(row)
        elif part == "delegate":
            internal.append(row)
    if not primary:
        raise ProfileImportError(p, None, "Run Order",
                                 "no Run Order rows for the regular benchmark runs (was "
                                 "--enable_op_profiling=true set?)")
    return LiteRTRun(path=str(p), primary=tuple(primary), delegate_internal=tuple(internal),
                     total_avg_us=total_avg, total_std_us=total_std, mode=mode,
                     header_line=header_line)


def _more_than_one_run(what: str) -> str:
    return (f"{what}: the file holds more than one benchmark run (logs appended with "
            ">> or tee -a?); adding them would double every time: keep one run per file")


parse_benchmark_csv = parse_benchmark_output
"""Former name (the reader now takes both output modes)."""


# --------------------------------------------------------------------------- checks
def _us(value: float) -> int:
    return max(0, round(value))


def _node(r: OpRow) -> str:
    return f"{r.node_type} {r.name!r}"


def _check_roles(cpu: LiteRTRun, gpu: LiteRTRun) -> None:
    """The CPU file has no accelerator delegate node (else the files are swapped)."""
    if not cpu.accelerator_nodes:
        return
    d = cpu.accelerator_nodes[0]
    if not gpu.accelerator_nodes:
        raise ProfileImportError(cpu.path, d.line, "node type",
                                 f"the CPU file holds the accelerator delegate node {_node(d)} "
                                 f"and the GPU file {gpu.path} holds none: the files look "
                                 f"swapped (pass the CPU run first, then the GPU run)")
    raise ProfileImportError(cpu.path, d.line, "node type",
                             f"the CPU file holds the accelerator delegate node {_node(d)}: "
                             f"a CPU run must not apply an accelerator delegate")


def _segments(gpu: LiteRTRun) -> list[tuple[bool, list[OpRow]]]:
    """Maximal runs of (is delegate, rows) in the accelerator run's order."""
    segs: list[tuple[bool, list[OpRow]]] = []
    for r in gpu.primary:
        if segs and segs[-1][0] == r.is_delegate:
            segs[-1][1].append(r)
        else:
            segs.append((r.is_delegate, [r]))
    return segs


def _check_same_model(cpu: LiteRTRun, gpu: LiteRTRun, fallback: Sequence[OpRow]) -> list[str]:
    """Refuse a pair whose node and tensor names disagree; return the checks that passed."""
    passed: list[str] = []
    cpu_plain = not cpu.is_xnnpack
    by_key: dict[str, OpRow] = {}
    for r in cpu.primary:
        if not r.is_xnnpack_internal:
            by_key.setdefault(r.key, r)
    for f in fallback:
        if f.is_xnnpack_internal:
            raise ProfileImportError(gpu.path, f.line, "name",
                                     f"the CPU fallback of the GPU run ran in XNNPACK "
                                     f"({_node(f)}): its rows are partition-local aggregates "
                                     f"that hide which operators fell back; rerun the GPU "
                                     f"benchmark with --use_xnnpack=false")
        twin = by_key.get(f.key)
        if twin is None:
            why = (" (the CPU run used XNNPACK, whose rows hide which operators they merge: "
                   "profile the CPU run with --use_xnnpack=false)" if cpu.is_xnnpack else "")
            raise ProfileImportError(gpu.path, f.line, "name",
                                     f"CPU-fallback node {_node(f)} of the GPU run is not a "
                                     f"node of the CPU file {cpu.path}: the files do not "
                                     f"describe the same model{why}")
        if f.index is not None and twin.index is not None and f.index != twin.index:
            raise ProfileImportError(gpu.path, f.line, "name",
                                     f"CPU-fallback node {_node(f)} has index {f.index} but "
                                     f"is node {twin.index} in the CPU file {cpu.path} "
                                     f"(line {twin.line}): the files do not describe the same "
                                     f"model")
    if fallback:
        passed.append(f"the {len(fallback)} CPU-fallback node(s) of the GPU run are nodes of "
                      f"the CPU run (same name and index)")
    # model node indices (XNNPACK rows carry partition-local ones: left out)
    model_nodes = [r for r in cpu.primary if r.index is not None and not r.is_xnnpack_internal]
    top = max(model_nodes, key=lambda r: r.index or 0, default=None)
    for d in gpu.accelerator_nodes:
        if d.index is not None and top is not None and d.index <= (top.index or 0):
            raise ProfileImportError(gpu.path, d.line, "name",
                                     f"delegate node {_node(d)} has index {d.index}, but the "
                                     f"CPU file {cpu.path} has node {top.index} (line "
                                     f"{top.line}) and delegate kernels are appended after "
                                     f"all of the model's nodes: the files do not describe "
                                     f"the same model")
    if top is not None:
        passed.append(f"delegate node indices follow the CPU run's node indices (up to "
                      f"{top.index})")
    if not cpu_plain:
        passed.append("delegate outputs not checked: XNNPACK rows of the CPU run hide tensor "
                      "names")
        return passed
    produced = {t for r in cpu.primary for t in r.outputs}
    n_out = 0
    for d in gpu.accelerator_nodes:
        for t in d.outputs:
            if t not in produced:
                raise ProfileImportError(gpu.path, d.line, "name",
                                         f"delegate node {_node(d)} produces tensor {t!r}, "
                                         f"which no node of the CPU file {cpu.path} produces: "
                                         f"the files do not describe the same model")
            n_out += 1
    passed.append(f"the {n_out} tensor(s) the delegate node(s) produce are produced in the "
                  f"CPU run")
    return passed


def _check_whole(*runs: LiteRTRun) -> None:
    """Refuse a Run Order table with rows left out (:meth:`LiteRTRun.rows_gap`): its
    times would add up to too little, silently."""
    for run in runs:
        gap = run.rows_gap()
        if gap is None:
            continue
        row, expected, written = gap
        if row is run.primary[-1] and expected == 100.0:
            what = (f"it ends at cdf% {written:g}%, not 100%: rows worth about "
                    f"{100.0 - written:.3g}% of the run's time are missing after its last row"
                    + ("" if run.total_avg_us else " (and the Timings line after the table, "
                       "which would tell an old TFLite's all-runs percentages, is missing "
                       "too)"))
        elif written > expected:
            what = (f"cdf% reads {written:g}% where the rows listed give {expected:g}%: rows "
                    f"worth about {written - expected:.3g}% of the run's time are missing "
                    f"above this row")
        else:
            what = (f"cdf% reads {written:g}% but the rows listed give {expected:g}%: a row "
                    f"above is repeated, edited or from another run")
        raise ProfileImportError(run.path, row.line, "cdf%",
                                 f"the Run Order table is not whole as benchmark_model wrote "
                                 f"it (an excerpt of the log?): {what}, so its times would "
                                 f"not add up to the run's. Pass the whole table")


def _base_prov(cpu: LiteRTRun, gpu: LiteRTRun, handoff_us: int) -> dict[str, Any]:
    prov: dict[str, Any] = {
        "source": "litert benchmark_model --enable_op_profiling",
        "cpu_file": cpu.path, "gpu_file": gpu.path,
        "output_modes": {"cpu": cpu.mode, "gpu": gpu.mode},
        "time_rule": "node time per inference = avg ms x times called; a part's time = sum "
                     "of its nodes' times, rounded once",
        "handoff": f"constant {handoff_us} us at every interior cut, given by the user "
                   "(not measured)"}
    for label, run in (("cpu", cpu), ("gpu", gpu)):
        if run.total_avg_us:
            prov[f"{label}_timings_avg_us"] = run.total_avg_us
            if run.total_std_us is not None:
                prov[f"{label}_run_cv"] = round(run.total_std_us / run.total_avg_us, 4)
    return prov


def _cpu_note(cpu: LiteRTRun) -> str:
    if not cpu.is_xnnpack:
        return ""
    return ("; the CPU run used XNNPACK: its Delegate/ rows are per-partition aggregates "
            "(times called = operators merged), so only its whole-model time is used")


# --------------------------------------------------------------------------- build
def network_from_litert(name: str, cpu: LiteRTRun, gpu: LiteRTRun, *, handoff_us: int = 0,
                        allow_no_delegate: bool = False,
                        allow_cpu_fallback: bool = False) -> Network:
    """Build a network from a CPU run and an accelerator-delegate run of the same model.

    Parameters
    ----------
    name:
        Network name.
    cpu, gpu:
        The parsed CPU run and accelerator run (:func:`parse_benchmark_output`).
    handoff_us:
        Hand-off cost (us) at every interior cut; not in the files.
    allow_no_delegate:
        Accept an accelerator run without a delegate node and match its
        per-node times to the CPU run's by name (they are CPU-kernel times
        unless the file came from elsewhere; provenance says so).
    allow_cpu_fallback:
        Accept a GPU-prefix/CPU-fallback run as a 2-layer network (delegated
        part, fallback nodes) whose cut L is not a real GPU-only run.

    Returns
    -------
    Network
        Whole-model (1 layer), fallback (2 layers) or, only with
        ``allow_no_delegate``, per-operator; times in integer us.

    Raises
    ------
    ProfileImportError
        Files swapped; no delegate node (unless allowed); CPU fallback (unless
        allowed) or interleaved delegate/CPU nodes; the two files do not
        describe the same model; XNNPACK aggregates where per-operator layers
        are needed; a Run Order table with rows left out (its ``cdf%``
        column, :meth:`LiteRTRun.rows_gap`); a negative ``handoff_us``.
    """
    if handoff_us < 0:
        raise ProfileImportError(None, None, "handoff_us", f"must be >= 0, got {handoff_us}")
    _check_roles(cpu, gpu)
    prov = _base_prov(cpu, gpu, handoff_us)
    if not gpu.accelerator_nodes:
        return _no_delegate(name, cpu, gpu, handoff_us, allow_no_delegate, prov)
    segs = _segments(gpu)
    if segs[0][0] is False or len(segs) > 2:
        order = " | ".join(("delegate" if d else "CPU") + f" x{len(rows)}" for d, rows in segs)
        first_cpu = next(rows[0] for d, rows in segs if not d)
        raise ProfileImportError(gpu.path, first_cpu.line, "node type",
                                 f"delegate and CPU nodes interleave in the accelerator run "
                                 f"({order}; first CPU node {_node(first_cpu)}): no GPU-prefix/"
                                 f"CPU-suffix split exists for this run")
    delegated = segs[0][1]
    fallback = segs[1][1] if len(segs) == 2 else []
    checks = _check_same_model(cpu, gpu, fallback)
    _check_whole(cpu, gpu)
    prov["same_model_checks"] = checks
    kinds = sorted({r.node_type for r in delegated})
    gpu_delegated = math.fsum(r.per_run_us for r in delegated)
    if not fallback:
        prov["granularity"] = "whole model"
        prov["note"] = (
            f"the accelerator delegate ran the whole graph as {len(delegated)} fused node(s) "
            f"({', '.join(kinds)}): only the whole-model GPU time is known, so this network is "
            f"one layer and the only cuts are 0 (CPU-only) and L (GPU-only); per-cut GPU "
            f"times need one run per prefix sub-model{_cpu_note(cpu)}")
        return Network(name=name, layer_names=("whole-model",), gpu_us=(_us(gpu_delegated),),
                       cpu_us=(_us(cpu.rows_total_us),), handoff_us=(0, 0), provenance=prov)
    names = ", ".join(_node(f) for f in fallback)
    if not allow_cpu_fallback:
        f0 = fallback[0]
        raise ProfileImportError(gpu.path, f0.line, "node type",
                                 f"partially delegated run: after the delegate node(s) "
                                 f"({', '.join(kinds)}) the CPU runs {len(fallback)} fallback "
                                 f"node(s) ({names}); that is CPU work, so the GPU-only cut does "
                                 f"not exist and the run is not a whole-model GPU time. Pass "
                                 f"--allow-cpu-fallback for a 2-layer network (delegated part, "
                                 f"fallback) whose cut L is not a GPU-only run")
    fb_keys = {f.key for f in fallback}
    cpu_fb = math.fsum(r.per_run_us for r in cpu.primary if r.key in fb_keys)
    cpu_rest = cpu.rows_total_us - cpu_fb
    gpu_fb = math.fsum(f.per_run_us for f in fallback)
    prov["granularity"] = "delegated part + CPU fallback"
    prov["note"] = (
        f"partially delegated run: layer 1 = the delegated part ({', '.join(kinds)}), layer 2 "
        f"= the CPU-fallback node(s) {names}. Cut 1 (delegate then fallback on the CPU) is "
        f"the run as measured; cut L is NOT a GPU-only run: layer 2's 'GPU' time is the "
        f"fallback's CPU-kernel time inside the accelerator run ({_us(gpu_fb)} us), during "
        f"which the CPU, not the GPU, is busy{_cpu_note(cpu)}")
    return Network(name=name, layer_names=("delegated-part", "cpu-fallback"),
                   gpu_us=(_us(gpu_delegated), _us(gpu_fb)),
                   cpu_us=(_us(cpu_rest), _us(cpu_fb)), handoff_us=(0, handoff_us, 0),
                   provenance=prov)


def _no_delegate(name: str, cpu: LiteRTRun, gpu: LiteRTRun, handoff_us: int, allowed: bool,
                 prov: dict[str, Any]) -> Network:
    first = gpu.primary[0]
    if not allowed:
        what = "XNNPACK (CPU) and TFLite CPU kernels" if gpu.is_xnnpack else "TFLite CPU kernels"
        raise ProfileImportError(gpu.path, first.line, "node type",
                                 f"the accelerator file has no delegate node: the delegate was "
                                 f"not applied and its {len(gpu.primary)} node(s) ran on "
                                 f"{what}, so its times are CPU times (an accelerator run shows "
                                 f"a delegate node such as TfLiteGpuDelegateV2). Pass "
                                 f"--allow-no-delegate to use its per-node times as GPU times "
                                 f"anyway")
    for run in (cpu, gpu):
        agg = next((r for r in run.primary if r.is_xnnpack_internal), None)
        if agg is not None:
            raise ProfileImportError(run.path, agg.line, "name",
                                     f"XNNPACK row {_node(agg)}: XNNPACK rows are "
                                     f"partition-local aggregates (times called = operators "
                                     f"merged), not layers in run order, so per-operator cuts "
                                     f"cannot be built from this run")
    gpu_by_key = {r.key: r for r in gpu.primary}
    cpu_keys = {r.key for r in cpu.primary}
    for r in cpu.primary:
        if r.key not in gpu_by_key:
            raise ProfileImportError(cpu.path, r.line, "name",
                                     f"node {_node(r)} has no same-named node in {gpu.path}: "
                                     f"the files do not describe the same model")
    for r in gpu.primary:
        if r.key not in cpu_keys:
            raise ProfileImportError(gpu.path, r.line, "name",
                                     f"node {_node(r)} has no same-named node in {cpu.path}: "
                                     f"the files do not describe the same model")
    _check_whole(cpu, gpu)
    ops = cpu.primary
    layer_names = tuple(f"{i:03d}:{r.node_type}:{r.key}" for i, r in enumerate(ops))
    gpu_us = tuple(_us(gpu_by_key[r.key].per_run_us) for r in ops)
    cpu_us = tuple(_us(r.per_run_us) for r in ops)
    prov["granularity"] = "per operator (accelerator-run nodes matched to CPU nodes by name)"
    prov["note"] = ("accelerator run without a delegate node, accepted by --allow-no-delegate: "
                    "its per-node times are used as GPU times although TFLite ran them with "
                    "CPU kernels unless the file came from another tool")
    return Network(name=name, layer_names=layer_names, gpu_us=gpu_us, cpu_us=cpu_us,
                   handoff_us=(0, *([handoff_us] * (len(ops) - 1)), 0), provenance=prov)


def network_from_litert_files(cpu_file: str | os.PathLike[str], gpu_file: str | os.PathLike[str],
                              *, name: str | None = None, handoff_us: int = 0,
                              allow_no_delegate: bool = False,
                              allow_cpu_fallback: bool = False) -> Network:
    """:func:`parse_benchmark_output` both files, then :func:`network_from_litert`.

    ``name`` defaults to the CPU file's stem. Raises ProfileImportError.
    """
    cpu = parse_benchmark_output(cpu_file)
    gpu = parse_benchmark_output(gpu_file)
    return network_from_litert(name or Path(cpu_file).stem, cpu, gpu, handoff_us=handoff_us,
                               allow_no_delegate=allow_no_delegate,
                               allow_cpu_fallback=allow_cpu_fallback)
