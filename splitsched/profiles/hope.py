"""HOPE importers: hope-mnn and hope-acl measurements -> one profile file per device.

``build_profiles`` (or :func:`import_profiles`, which also reports every skip) is
the public entry point. Every ``<source>/<model>/<device>`` folder ends as a
network or as a skip with its reason: in its device file's
``provenance.skipped`` when the device is known, else (unknown device folder such
as ``npu``, a model folder without device folders) in the import report only. A
pair whose files cannot be read (wrong field count, HOPE's 100000 "not
supported" marker, a file that is not UTF-8, an operator listed twice, a time
above :data:`~splitsched.problem.MAX_TIME_US`, ...) is skipped with the file,
line, field and reason; the rest are imported. An empty layerwise-latency file
has no data: a hope-mnn pair is skipped; a hope-acl pair takes its times from
the raw per-run traces, as when the file lists fewer operators than the
traces, with a note (printed by ``profiles import``, and in the network's
provenance, whose ``files.latency`` is then null). hope-mnn networks are DAGs
(``*-info.txt``) linearised in the recorded execution order; hope-acl
networks are chains whose tensor sizes come from the published architectures
(:mod:`splitsched.profiles.acl_shapes`) and whose run-to-run spread comes from
the raw per-run traces. Both are reduced to at most ``max_cuts`` segments
(:mod:`splitsched.profiles.reduce`) and written with
:func:`splitsched.io.profile_to_dict`, deterministically.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from splitsched.io import InputError, atomic_write_text, dumps, profile_to_dict
from splitsched.problem import MAX_TIME_US, InvariantError, Network
from splitsched.profiles.acl_shapes import acl_shapes
from splitsched.profiles.errors import ProfileImportError
from splitsched.profiles.handoff import (
    CrossingTensor,
    DeviceHandoff,
    crossing_sets,
    graph_tensors,
    measured_table,
    plan_device_handoffs,
    tensor_costs,
)
from splitsched.profiles.raw import (
    CPU_THREAD_COLUMNS,
    DEVICES,
    INFO_COMMIT,
    INFO_PATH,
    SOURCE_COMMIT,
    SOURCE_REPOSITORY,
    OpTimes,
    OpTrace,
    Shape,
    cpu_column,
    read_data_trans,
    read_info,
    read_layerwise,
    read_trace,
    same_names,
    unknown_device_reason,
)
from splitsched.profiles.reduce import DEFAULT_MAX_CUTS, OperatorProfile, reduce_profile

ACL_SMALL_MODELS = ("acl-alexnet", "acl-squeezenet", "acl-mobilenet", "acl-mobilenet_v2")
SOURCES = ("hope-mnn", "hope-acl")
TRACE_WARMUP_RUNS = 1
"""Runs dropped from the start of each raw trace (warm-up; vivo_z3 squeezenet's first
GPU run is ~660 ms against ~1 ms after)."""

Progress = Callable[[str], None]


@dataclass
class DeviceBundle:
    """Everything gathered for one device file."""

    device: str
    networks: list[Network] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def network_name(model: str) -> str:
    """Folder name -> network name (``acl-mobilenet_v2`` -> ``acl-mobilenet-v2``)."""
    return model.replace("_", "-")


def _one(folder: Path, pattern: str, preferred: str | None = None) -> Path | None:
    """The one file matching ``pattern``; with several, the one named ``preferred``.

    Several matches and no preferred name among them is a ProfileImportError
    (the importer skips the pair naming the candidates).
    """
    found = sorted(folder.glob(pattern))
    if len(found) <= 1:
        return found[0] if found else None
    if preferred is not None and (folder / preferred) in found:
        return folder / preferred
    raise ProfileImportError(folder, None, pattern,
                             f"{len(found)} files match ({', '.join(f.name for f in found)})"
                             + (f" and none is named {preferred}" if preferred else "")
                             + ": which one holds the measurements is ambiguous")


def _cut_handoffs(tensors: list[CrossingTensor], num_ops: int, costs: list[float]
                  ) -> tuple[tuple[float, ...], tuple[int, ...], list[list[int]]]:
    sets = crossing_sets(tensors, num_ops)
    handoff = tuple(math.fsum(costs[t] for t in s) for s in sets)
    return handoff, tuple(len(s) for s in sets), sets


def _handoff_summary(plan: DeviceHandoff, sets: list[list[int]], measured: list[bool],
                     cuts: list[int]) -> dict[str, Any]:
    used = sorted({t for k in cuts for t in sets[k]})
    n_measured = sum(1 for t in used if measured[t])
    if plan.method == "borrowed fit":
        method = "borrowed fit"
    elif n_measured == len(used):
        method = "measured"
    elif n_measured == 0:
        method = "fit"
    else:
        method = "measured + fit"
    return {"method": method, "tensors_at_kept_cuts": len(used),
            "tensors_measured": n_measured, "tensors_from_fit": len(used) - n_measured,
            "rule": "h(k) = sum over tensors produced at or before the cut and read after "
                    "it of the GPU->CPU time: the measured time of that shape on this device "
                    "and model where listed, else the fit (fp32 bytes = 4 x product of dims, "
                    "zero dims are absent axes)",
            "device_plan": plan.as_dict()}


def _no_repeated_operator(path: Path, times: OpTimes) -> None:
    """Refuse a layerwise-latency file that lists an operator twice.

    A network here is a chain (or a linearised DAG) of distinct operators, and
    HOPE names operators by their unique graph node names: a name listed twice
    is a repeated line (a doubled log line, a pasted block), which would add
    the operator's time twice. (The one repeat in the shipped data, in
    ``acl-inception_v4``, is in a model the importer skips as multi-branch.)

    Raises
    ------
    ProfileImportError
        Naming the file, the repeating line, and the line it repeats.
    """
    repeat = times.first_repeat()
    if repeat is not None:
        first, again, name = repeat
        raise ProfileImportError(path, again, "op_name",
                                 f"operator {name!r} is listed twice (also on line {first}): "
                                 f"each operator is listed once; remove the repeated line")


def _check_chain_totals(*columns: tuple[Path, str, tuple[float, ...]]) -> None:
    """Refuse a (file, column, operator times) whose sum exceeds MAX_TIME_US, naming both.

    Each time is within the bound already (:func:`~splitsched.profiles.errors.parse_time_us`);
    a network's whole chain must be too (:class:`splitsched.problem.Network`).
    """
    for path, col, values in columns:
        total = math.fsum(values)
        if total > MAX_TIME_US:
            raise ProfileImportError(path, None, col,
                                     f"the operators' times sum to {total:.6g} us, more than "
                                     f"{MAX_TIME_US} us (2**40 us, about 12.7 days: the bound "
                                     f"of a network's whole chain)")


def _reduce_with_handoff_summary(model: str, profile: OperatorProfile, max_cuts: int,
                                 prov: dict[str, Any], plan: DeviceHandoff,
                                 sets: list[list[int]], measured: list[bool],
                                 folder: Path) -> Network:
    """Reduce to at most ``max_cuts`` cuts, then record how the kept cuts' hand-offs arose.

    A network the reduced numbers cannot make (a hand-off over the time bound)
    is a ProfileImportError naming ``folder``, the pair's folder.
    """
    try:
        net = reduce_profile(network_name(model), profile, max_cuts=max_cuts, provenance=prov)
    except InvariantError as exc:
        raise ProfileImportError(folder, None, exc.field, exc.reason) from None
    cuts = list(net.provenance["reduction"]["cut_after_operator"])
    summary = dict(net.provenance) | {"handoff": _handoff_summary(plan, sets, measured, cuts)}
    return dataclasses.replace(net, provenance=summary)


def _base_provenance(source: str, framework: str, device: str, cpu_threads: int
                     ) -> dict[str, Any]:
    info = DEVICES[device]
    prov: dict[str, Any] = {
        "source_repository": SOURCE_REPOSITORY, "source_commit": SOURCE_COMMIT,
        "source_folder": source, "device": device, "soc": info.soc, "gpu": info.gpu,
        "framework": framework,
        "cpu_setting": f"big cores, {cpu_threads} thread{'s' if cpu_threads > 1 else ''}",
        "gpu_setting": "OpenCL, operator by operator with synchronisation",
    }
    if info.note:
        prov["device_note"] = info.note
    return prov


# --------------------------------------------------------------------------- hope-mnn
def import_mnn(raw_dir: Path, model: str, device: str, plan: DeviceHandoff, *,
               cpu_threads: int, max_cuts: int) -> Network | str:
    """One hope-mnn (model, device): the reduced network, or why it was skipped."""
    model_dir = raw_dir / "hope-mnn" / model
    info_path = model_dir / f"{model}-info.txt"
    if not info_path.is_file():
        return "no info.txt graph file"
    lat_path = _one(model_dir / device, "*-layerwise-latency.csv",
                    f"{device}-{model}-layerwise-latency.csv")
    if lat_path is None:
        return "no layerwise-latency file"
    times = read_layerwise(lat_path, cpu_threads)
    if times is None:
        return f"{lat_path.name} is empty"
    _no_repeated_operator(lat_path, times)
    _check_chain_totals((lat_path, "gpu", times.gpu_us), (lat_path, cpu_column(cpu_threads),
                                                          times.cpu_us))
    ops = read_info(info_path)
    if not same_names(times.names, [op.name for op in ops]):
        return (f"{lat_path.name} ({len(times.names)} ops) does not match "
                f"{info_path.name} ({len(ops)} ops) line by line")
    tensors = graph_tensors(ops)
    trans_path = _one(model_dir / device, "*-data-trans.csv", f"{model}-{device}-data-trans.csv")
    rows = read_data_trans(trans_path) if trans_path is not None else []
    table = measured_table(rows) if plan.trusted_tables else {}
    costs, measured = tensor_costs([t.shape for t in tensors], table, plan.fit)
    handoff, crossing, sets = _cut_handoffs(tensors, len(ops), costs)
    profile = OperatorProfile(times.names, times.gpu_us, times.cpu_us, handoff, crossing)
    prov = _base_provenance("hope-mnn", "MNN (modified; CPU kernels and OpenCL GPU)", device,
                            cpu_threads)
    prov["files"] = {"latency": lat_path.name,
                     "data_trans": trans_path.name if trans_path else None,
                     "data_trans_rows": len(rows),
                     "graph": f"{info_path.name} ({SOURCE_REPOSITORY} commit {INFO_COMMIT}, "
                              f"{INFO_PATH})"}
    prov["linearisation"] = "recorded execution order (line order of the latency and info files)"
    return _reduce_with_handoff_summary(model, profile, max_cuts, prov, plan, sets, measured,
                                        model_dir / device)


# --------------------------------------------------------------------------- hope-acl
def _acl_tensors(model: str, names: tuple[str, ...]) -> tuple[list[CrossingTensor], int]:
    """Chain tensors (plus branch/residual readers) with architecture shapes.

    Returns the tensors and how many ops had no known shape (their output is
    then left out of every hand-off).
    """
    known = acl_shapes(model)
    shapes, extra = known if known is not None else ({}, {})
    index = {n: i for i, n in enumerate(names)}
    last_reader = {i: i + 1 for i in range(len(names) - 1)}
    for reader, producers in extra.items():
        if reader in index:
            for p in producers:
                if p in index:
                    last_reader[index[p]] = max(last_reader.get(index[p], 0), index[reader])
    tensors: list[CrossingTensor] = []
    missing = 0
    for i, name in enumerate(names):
        if name not in shapes:
            missing += 1
            continue
        if i in last_reader:
            shape: Shape = (1, *shapes[name])
            tensors.append(CrossingTensor(shape, i, last_reader[i]))
    return tensors, missing


EMPTY_LAYERWISE_NOTE = ("the layerwise-latency file is empty (no data, as if absent): "
                        "per-operator times are the means of the raw per-run traces")
"""Provenance ``note`` (and printed note) of a hope-acl pair whose layerwise file is empty."""


def _acl_times(times: OpTimes | None, cpu_trace: OpTrace | None, gpu_trace: OpTrace | None,
               *, empty_file: bool = False
               ) -> tuple[tuple[str, ...], tuple[float, ...], tuple[float, ...], str] | None:
    """Per-op means: the layerwise file, or the traces where the file lists fewer ops.

    ``empty_file``: a layerwise-latency file exists but is empty (``times`` is None).
    """
    if cpu_trace is not None and gpu_trace is not None and \
            same_names(cpu_trace.names, gpu_trace.names) and \
            (times is None or len(times.names) < len(gpu_trace.names)):
        listed = 0 if times is None else len(times.names)
        why = (f"means of the raw per-run traces (runs after the first {TRACE_WARMUP_RUNS}); "
               + ("the layerwise-latency file is empty" if empty_file else
                  f"the layerwise-latency file lists only {listed} of the "
                  f"{len(gpu_trace.names)} traced operators"))
        return (gpu_trace.names, gpu_trace.mean(TRACE_WARMUP_RUNS),
                cpu_trace.mean(TRACE_WARMUP_RUNS), why)
    if times is None:
        return None
    return times.names, times.gpu_us, times.cpu_us, "layerwise-latency file (mean over runs)"


def _sds(names: tuple[str, ...], trace: OpTrace | None) -> tuple[float, ...]:
    if trace is None:
        return ()
    by_name = dict(zip(trace.names, trace.sd(TRACE_WARMUP_RUNS), strict=True))
    if any(n not in by_name for n in names):
        return ()
    return tuple(by_name[n] for n in names)


def import_acl(raw_dir: Path, model: str, device: str, plan: DeviceHandoff, *,
               cpu_threads: int, max_cuts: int) -> Network | str:
    """One hope-acl chain model on one device: the reduced network, or why it was skipped."""
    folder = raw_dir / "hope-acl" / model / device
    lat_path = _one(folder, "*-layerwise-latency.csv", f"{device}-{model}-layerwise-latency.csv")
    times = read_layerwise(lat_path, cpu_threads) if lat_path is not None else None
    empty_file = lat_path is not None and times is None
    if times is not None:
        assert lat_path is not None
        _no_repeated_operator(lat_path, times)
    cpu_path = _one(folder, f"*-cpu-big-{cpu_threads}.csv")
    gpu_path = _one(folder, "*-gpu-big-1.csv") or _one(folder, "*-gpu-1.csv")
    cpu_trace = read_trace(cpu_path) if cpu_path is not None else None
    gpu_trace = read_trace(gpu_path) if gpu_path is not None else None
    chosen = _acl_times(times, cpu_trace, gpu_trace, empty_file=empty_file)
    if chosen is None:
        return "no per-operator latency data (layerwise file missing or empty, no traces)"
    names, gpu, cpu, times_from = chosen
    from_file = times is not None and names == times.names
    if from_file:
        assert lat_path is not None
        _check_chain_totals((lat_path, "gpu", gpu), (lat_path, cpu_column(cpu_threads), cpu))
    else:
        assert gpu_path is not None and cpu_path is not None
        _check_chain_totals((gpu_path, "duration_us", gpu), (cpu_path, "duration_us", cpu))
    tensors, missing = _acl_tensors(model, names)
    costs, measured = tensor_costs([t.shape for t in tensors], {}, plan.fit)
    handoff, crossing, sets = _cut_handoffs(tensors, len(names), costs)
    gpu_sd, cpu_sd = _sds(names, gpu_trace), _sds(names, cpu_trace)
    profile = OperatorProfile(names, gpu, cpu, handoff, crossing, gpu_sd, cpu_sd)
    prov = _base_provenance("hope-acl", "ARM Compute Library (NEON CPU, OpenCL GPU)", device,
                            cpu_threads)
    prov["files"] = {"latency": lat_path.name if lat_path and not empty_file else None,
                     "cpu_trace": cpu_path.name if cpu_path else None,
                     "gpu_trace": gpu_path.name if gpu_path else None}
    prov["times_from"] = times_from
    if empty_file:
        prov["note"] = EMPTY_LAYERWISE_NOTE
    prov["linearisation"] = "chain, in the recorded operator order"
    prov["spread"] = (
        f"per-operator sample standard deviation over the raw per-run traces, first "
        f"{TRACE_WARMUP_RUNS} run dropped as warm-up" if gpu_sd or cpu_sd else
        "no raw per-run traces: no spread recorded")
    prov["tensor_shapes"] = (
        "no info.txt or .dot with shapes for this model: output shapes taken from the "
        "published architecture (see splitsched.profiles.acl_shapes); every operator "
        "reads its predecessor, plus branch/residual inputs"
        + (f"; {missing} operators without a known shape are left out of hand-offs"
           if missing else ""))
    return _reduce_with_handoff_summary(model, profile, max_cuts, prov, plan, sets, measured,
                                        folder)


# --------------------------------------------------------------------------- build
@dataclass(frozen=True)
class Pair:
    """One ``<source>/<model>/<device>`` folder (``device`` "" for a model folder without any)."""

    source: str
    model: str
    device: str


def _acl_not_handled_reason(raw_dir: Path, model: str) -> str:
    dot = raw_dir / "hope-acl" / model / f"{model}.dot"
    graph = (f"its {dot.name} lists operator edges but no tensor shapes" if dot.is_file()
             else "it has no graph file")
    return (f"multi-branch model the hope-acl importer does not handle: hope-acl has no "
            f"info.txt for it ({graph}) and splitsched.profiles.acl_shapes gives shapes only "
            f"for the chain models {', '.join(ACL_SMALL_MODELS)}, so the tensors crossing its "
            f"cuts (the hand-off costs) are unknown")


def _pairs(raw_dir: Path) -> list[Pair]:
    """Every model folder of hope-mnn and hope-acl, once per device folder in it.

    hope-acl's small (chain) models come first in :data:`ACL_SMALL_MODELS` order,
    as the committed profiles list them; a model folder with no sub-folder gives
    one pair with ``device`` "".
    """
    pairs: list[Pair] = []
    for source in SOURCES:
        root = raw_dir / source
        if not root.is_dir():
            continue
        models = sorted(d.name for d in root.iterdir() if d.is_dir())
        if source == "hope-acl":
            models = [m for m in ACL_SMALL_MODELS if m in models] + \
                     [m for m in models if m not in ACL_SMALL_MODELS]
        for model in models:
            devices = sorted(d.name for d in (root / model).iterdir() if d.is_dir())
            pairs += [Pair(source, model, d) for d in devices] or [Pair(source, model, "")]
    return pairs


def _pre_skip(raw_dir: Path, pair: Pair) -> str | None:
    """Why a pair is skipped before reading its files, or None."""
    if not pair.device:
        return "model folder without any device folder"
    if pair.device not in DEVICES:
        return unknown_device_reason(pair.device)
    if pair.source == "hope-acl" and pair.model not in ACL_SMALL_MODELS:
        return _acl_not_handled_reason(raw_dir, pair.model)
    return None


def _error_reason(raw_dir: Path, exc: InputError) -> str:
    """The error as a skip reason, its path relative to the raw folder (deterministic)."""
    where = ""
    if exc.path:
        rel = os.path.relpath(exc.path, raw_dir)
        where = f"{exc.path if rel.startswith('..') else rel}: "
    return f"{where}{exc.field}: {exc.reason}"


@dataclass
class ImportReport:
    """What an import did: device bundles, files written and every skipped pair."""

    bundles: dict[str, DeviceBundle]
    unplaced: list[dict[str, str]]
    """Skipped pairs with no device file to hold them (unknown device, no device folder)."""
    written: list[Path] = field(default_factory=list)
    stale: list[Path] = field(default_factory=list)
    """Device files of an earlier import that this one no longer yields
    (:func:`stale_device_files`): left in place unless ``prune`` was asked."""
    removed: list[Path] = field(default_factory=list)
    """Those of ``stale`` removed (with ``prune``)."""
    notes: list[dict[str, str]] = field(default_factory=list)
    """Imported pairs the user should know about: ``source``, ``model``, ``device``,
    ``note`` (e.g. an empty layerwise-latency file, times taken from the traces)."""

    def skipped(self) -> list[dict[str, str]]:
        """Every skipped pair: ``source``, ``model``, ``device``, ``reason``."""
        out = [{"source": s["source"], "model": s["model"], "device": d, "reason": s["reason"]}
               for d, b in self.bundles.items() for s in b.skipped]
        return out + self.unplaced


def collect_report(raw_dir: Path, *, cpu_threads: int = 4, max_cuts: int = DEFAULT_MAX_CUTS,
                   progress: Progress | None = None) -> ImportReport:
    """Import every (model, device) folder; networks and skips grouped per device.

    Raises
    ------
    InputError
        Not a phone-profiles folder, a bad option, or a known device whose
        hand-offs cannot be priced (no measurements, no donor). A pair whose own
        files are malformed is skipped with the error as its reason instead.
    """
    _check_options(raw_dir, cpu_threads, max_cuts)
    pairs = _pairs(raw_dir)
    pre = {p: _pre_skip(raw_dir, p) for p in pairs}
    plans = plan_device_handoffs(raw_dir, {p.device for p in pairs if pre[p] is None})
    bundles: dict[str, DeviceBundle] = {}
    unplaced: list[dict[str, str]] = []
    notes: list[dict[str, str]] = []
    for pair in pairs:
        if progress is not None:
            progress(f"{pair.source}/{pair.model}/{pair.device}")
        result: Network | str
        if pre[pair] is not None:
            result = str(pre[pair])
        else:
            importer = import_mnn if pair.source == "hope-mnn" else import_acl
            try:
                result = importer(raw_dir, pair.model, pair.device, plans[pair.device],
                                  cpu_threads=cpu_threads, max_cuts=max_cuts)
            except ProfileImportError as exc:
                result = _error_reason(raw_dir, exc)
        if pair.device not in DEVICES:
            unplaced.append({"source": pair.source, "model": pair.model,
                             "device": pair.device, "reason": str(result)})
            continue
        bundle = bundles.setdefault(pair.device, DeviceBundle(pair.device))
        if isinstance(result, str):
            bundle.skipped.append({"source": pair.source, "model": pair.model,
                                   "reason": result})
        else:
            bundle.networks.append(result)
            if "note" in result.provenance:
                notes.append({"source": pair.source, "model": pair.model,
                              "device": pair.device, "note": str(result.provenance["note"])})
    return ImportReport({d: b for d, b in sorted(bundles.items())}, unplaced, notes=notes)


def collect_networks(raw_dir: Path, *, cpu_threads: int = 4, max_cuts: int = DEFAULT_MAX_CUTS,
                     progress: Progress | None = None) -> dict[str, DeviceBundle]:
    """Import every (model, device) pair; networks and skips grouped per known device."""
    return collect_report(raw_dir, cpu_threads=cpu_threads, max_cuts=max_cuts,
                          progress=progress).bundles


def _check_options(raw_dir: Path, cpu_threads: int, max_cuts: int) -> None:
    if not (raw_dir / "hope-mnn").is_dir():
        raise InputError(raw_dir, "raw", "not a phone-profiles folder (no hope-mnn/ inside)")
    if cpu_threads not in CPU_THREAD_COLUMNS:
        raise InputError(None, "cpu_threads", f"must be 1, 2 or 4, got {cpu_threads}")
    if max_cuts < 1:
        raise InputError(None, "max_cuts", f"must be >= 1, got {max_cuts}")


def profile_text(bundle: DeviceBundle, cpu_threads: int) -> str:
    """The canonical JSON text of one device file."""
    info = DEVICES[bundle.device]
    prov: dict[str, Any] = {
        "source_repository": SOURCE_REPOSITORY, "source_commit": SOURCE_COMMIT,
        "info_files_commit": INFO_COMMIT, "gpu": info.gpu,
        "cpu_setting": f"big cores, {cpu_threads} thread{'s' if cpu_threads > 1 else ''}",
        "generator": GENERATOR,
        "skipped": bundle.skipped,
    }
    if info.note:
        prov["device_note"] = info.note
    return dumps(profile_to_dict(bundle.device, info.soc, bundle.networks, prov))


def import_profiles(raw_dir: Path | str | None = None, out_dir: Path | str | None = None,
                    cpu_threads: int = 4, max_cuts: int = DEFAULT_MAX_CUTS, *,
                    progress: Progress | None = None, prune: bool = False) -> ImportReport:
    """Regenerate ``<out_dir>/<device>.json`` for every device with at least one network.

    Parameters
    ----------
    raw_dir:
        The ``phone-profiles`` folder (default ``<repo>/../shared/data/phone-profiles``).
    out_dir:
        Where to write (default: :func:`~splitsched.profiles.store.writable_profiles_dir`;
        an installed package needs it given).
    cpu_threads:
        Big-core CPU thread count whose times are used: 1, 2 or 4.
    max_cuts:
        The most segments per network.
    progress:
        Called with a short label per imported pair and per written file.

    Returns
    -------
    ImportReport
        ``written`` (the files, sorted by device), ``stale`` (device files of an
        earlier import that this one no longer yields: :func:`stale_device_files`;
        removed only with ``prune``, then also listed in ``removed``: a file the
        user copied there carries the same marks, so nothing is deleted unasked)
        and every skipped pair with its reason.

    Raises
    ------
    InputError
        See :func:`collect_report`; nothing is written then. With ``prune``, a
        raw folder that holds no (model, device) measurement at all, neither
        imported nor skipped (a wrong ``--raw`` would otherwise empty
        ``out_dir``): nothing is removed.
    """
    from splitsched.profiles.raw import default_raw_dir
    from splitsched.profiles.store import writable_profiles_dir

    raw = Path(raw_dir) if raw_dir is not None else default_raw_dir()
    out = Path(out_dir) if out_dir is not None else writable_profiles_dir()
    report = collect_report(raw, cpu_threads=cpu_threads, max_cuts=max_cuts, progress=progress)
    for device, bundle in report.bundles.items():
        if not bundle.networks:
            continue
        path = out / f"{device}.json"
        atomic_write_text(path, profile_text(bundle, cpu_threads))
        if progress is not None:
            progress(f"wrote {path}")
        report.written.append(path)
    report.stale = stale_device_files(out, report.written)
    if prune and report.stale and not report.written and not report.skipped():
        raise InputError(raw, "--prune", "the raw folder holds no measurement at all, so "
                         f"every profile of an earlier import in {out} would go: nothing "
                         "removed (is --raw the phone-profiles folder?)")
    if prune:
        for path in report.stale:
            path.unlink(missing_ok=True)
            if progress is not None:
                progress(f"removed {path}")
            report.removed.append(path)
    return report


GENERATOR = "splitsched.profiles.hope.build_profiles"
"""``provenance.generator`` of every device file this importer writes."""


def stale_device_files(out_dir: Path, written: list[Path]) -> list[Path]:
    """Device files in ``out_dir`` written by an earlier import and not by this one.

    A file counts only when it is a regular ``<device>.json`` file holding the
    profile of that device whose ``provenance.generator`` is :data:`GENERATOR`
    (an earlier run of this importer): a profile measured with ``splitsched
    profile``, a renamed copy, a malformed file or any other file is never
    touched. Left in place, such a
    file would still be listed by ``profiles`` and used by ``generate
    --device`` although the raw data no longer yields that device (or yields
    it only from other measurements). Sorted by name.
    """
    from splitsched.io import PROFILE_FORMAT, read_json

    keep = {p.name for p in written}
    stale: list[Path] = []
    if not out_dir.is_dir():
        return stale
    for path in sorted(out_dir.glob("*.json")):
        if path.name in keep or path.is_symlink() or not path.is_file():
            continue
        try:
            data = read_json(path)
        except InputError:
            continue
        if not isinstance(data, dict) or data.get("format") != PROFILE_FORMAT:
            continue
        prov = data.get("provenance")
        if isinstance(prov, dict) and prov.get("generator") == GENERATOR \
                and data.get("device") == path.stem:
            stale.append(path)
    return stale


def build_profiles(raw_dir: Path | str | None = None, out_dir: Path | str | None = None,
                   cpu_threads: int = 4, max_cuts: int = DEFAULT_MAX_CUTS, *,
                   progress: Progress | None = None) -> list[Path]:
    """:func:`import_profiles`, returning only the files written (sorted by device)."""
    return import_profiles(raw_dir, out_dir, cpu_threads, max_cuts, progress=progress).written
