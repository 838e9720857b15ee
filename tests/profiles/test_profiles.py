"""Facts about the HOPE importers: hand-off sums, fits, reduction, stage tables."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from splitsched.io import InputError, read_profile
from splitsched.profiles.errors import ProfileImportError
from splitsched.profiles.handoff import (
    HandoffFit,
    closest_device,
    crossing_sets,
    device_rows,
    fit_line,
    graph_tensors,
)
from splitsched.profiles.hope import build_profiles, import_profiles, network_name
from splitsched.profiles.raw import TransferRow, default_raw_dir, read_info, read_layerwise
from splitsched.profiles.reduce import OperatorProfile, choose_cuts, reduce_profile
from splitsched.profiles.store import load_device
from tests.helpers.paths import SHIPPED_DIR

# --------------------------------------------------------------------------- tiny DAG
# a -> b, a -> c, (b, c) -> d: cutting after b sends a's output (c still needs it)
# and b's output (d needs it): two tensors.
TINY_INFO = """\
a 1,3,8,8@0x1; 1,4,8,8@0x10; none 1;2;
b 1,4,8,8@0x10; 1,5,8,8@0x20; 0; 3;
c 1,4,8,8@0x10; 1,6,8,8@0x30; 0; 3;
d 1,5,8,8@0x20;1,6,8,8@0x30; 1,7,1,1@0x40; 1;2; none
"""
TINY_LATENCY = """\
a 40.0 30.0 20.4 10.2
b 41.0 31.0 21.4 11.2
c 42.0 32.0 22.4 12.2
d 43.0 33.0 23.4 13.2
"""
# measured GPU->CPU times (third column) for the shapes a and b output; c's shape is
# missing, so it is priced by the device fit.
TINY_TRANS = """\
1,4,8,8 100.0 111.0
1,5,8,8 100.0 222.0
"""


def _tiny_raw(root: Path, with_trans: bool = True) -> Path:
    model = root / "hope-mnn" / "tiny"
    (model / "mi9").mkdir(parents=True)
    (model / "tiny-info.txt").write_text(TINY_INFO)
    (model / "mi9" / "mi9-tiny-layerwise-latency.csv").write_text(TINY_LATENCY)
    (model / "mi9" / "tiny-mi9-data-trans.csv").write_text(TINY_TRANS if with_trans else "")
    return root


def test_tiny_dag_crossing_tensors(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    ops = read_info(raw / "hope-mnn" / "tiny" / "tiny-info.txt")
    tensors = graph_tensors(ops)
    sets = crossing_sets(tensors, len(ops))
    shapes = [[tensors[t].shape for t in s] for s in sets]
    assert shapes[0] == [] and shapes[4] == []
    assert shapes[1] == [(1, 4, 8, 8)]
    assert sorted(shapes[2]) == [(1, 4, 8, 8), (1, 5, 8, 8)]
    assert sorted(shapes[3]) == [(1, 5, 8, 8), (1, 6, 8, 8)]


def test_tiny_dag_handoff_is_sum_of_table_entries(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    out = tmp_path / "out"
    build_profiles(raw, out, cpu_threads=4, max_cuts=24)
    prof = load_device("mi9", out)
    net = prof.networks["tiny"]
    assert net.num_layers == 4  # every cut crosses at most 2 tensors: all kept
    fit = fit_line("mi9", [TransferRow((1, 4, 8, 8), 100.0, 111.0),
                           TransferRow((1, 5, 8, 8), 100.0, 222.0)])
    c_out = fit.predict(4 * 6 * 8 * 8)
    assert net.handoff_us == (0, 111, 111 + 222, round(222 + c_out), 0)
    assert net.gpu_us == (10, 11, 12, 13)
    assert net.cpu_us == (20, 21, 22, 23)  # big cores, 4 threads column
    assert net.provenance["handoff"]["tensors_from_fit"] == 1


def test_tiny_cpu_threads_option(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    build_profiles(raw, tmp_path / "o1", cpu_threads=1)
    build_profiles(raw, tmp_path / "o2", cpu_threads=2)
    assert load_device("mi9", tmp_path / "o1").networks["tiny"].cpu_us == (40, 41, 42, 43)
    assert load_device("mi9", tmp_path / "o2").networks["tiny"].cpu_us == (30, 31, 32, 33)
    with pytest.raises(InputError):
        build_profiles(raw, tmp_path / "o3", cpu_threads=3)


def test_mismatched_info_and_latency_is_skipped(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    lat = raw / "hope-mnn" / "tiny" / "mi9" / "mi9-tiny-layerwise-latency.csv"
    lat.write_text(TINY_LATENCY.rsplit("d ", 1)[0])  # drop the last operator
    (raw / "hope-mnn" / "other" / "mi9").mkdir(parents=True)
    (raw / "hope-mnn" / "other" / "other-info.txt").write_text(TINY_INFO)
    (raw / "hope-mnn" / "other" / "mi9" / "mi9-other-layerwise-latency.csv").write_text(
        TINY_LATENCY)
    build_profiles(raw, tmp_path / "out")
    prof = load_device("mi9", tmp_path / "out")
    assert list(prof.networks) == ["other"]
    assert prof.provenance["skipped"][0]["model"] == "tiny"
    assert "does not match" in prof.provenance["skipped"][0]["reason"]


def test_device_without_any_handoff_data_is_input_error(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path, with_trans=False)
    with pytest.raises(InputError) as exc:
        build_profiles(raw, tmp_path / "out")
    assert "mi9" in str(exc.value)


def test_malformed_latency_is_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "x-layerwise-latency.csv"
    bad.write_text("a 1.0 2.0 nan-ish 4.0\n")
    with pytest.raises(InputError) as exc:
        read_layerwise(bad, 4)
    assert "line 1" in str(exc.value)


def test_unknown_device_and_empty_model_folders_are_skipped_not_crashed(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    npu = raw / "hope-mnn" / "tiny" / "npu"
    npu.mkdir()
    (npu / "npu-tiny-layerwise-latency.csv").write_text(TINY_LATENCY)
    (raw / "hope-mnn" / "graph-only").mkdir()
    (raw / "hope-mnn" / "graph-only" / "graph-only-info.txt").write_text(TINY_INFO)
    report = import_profiles(raw, tmp_path / "out")
    assert [p.name for p in report.written] == ["mi9.json"]
    assert list(load_device("mi9", tmp_path / "out").networks) == ["tiny"]
    skips = {(s["model"], s["device"]): s["reason"] for s in report.skipped()}
    assert set(skips) == {("tiny", "npu"), ("graph-only", "")}
    assert skips[("tiny", "npu")].startswith("unknown device folder 'npu'")
    assert skips[("graph-only", "")] == "model folder without any device folder"


def test_not_supported_marker_is_never_a_time(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    lat = raw / "hope-mnn" / "tiny" / "mi9" / "mi9-tiny-layerwise-latency.csv"
    # 100000 in the 1-thread column, which a 4-thread import does not read: imported
    lat.write_text(TINY_LATENCY.replace("41.0 31.0", "100000 31.0"))
    build_profiles(raw, tmp_path / "o1")
    assert load_device("mi9", tmp_path / "o1").networks["tiny"].gpu_us == (10, 11, 12, 13)
    # 100000 in the GPU column of op c (line 3): the pair is skipped, naming file/line/field
    lat.write_text(TINY_LATENCY.replace("22.4 12.2", "22.4 100000"))
    build_profiles(raw, tmp_path / "o2")  # the only network is skipped: no file written
    assert not (tmp_path / "o2" / "mi9.json").exists()
    report = import_profiles(raw, tmp_path / "o2")
    (skip,) = report.skipped()
    assert skip["reason"].startswith("hope-mnn/tiny/mi9/mi9-tiny-layerwise-latency.csv: "
                                     "line 3, gpu: 100000 is HOPE's 'not supported")
    with pytest.raises(ProfileImportError) as exc:
        read_layerwise(lat, 4)
    assert (exc.value.line, exc.value.column) == (3, "gpu")


def test_a_reimport_lists_the_device_files_it_no_longer_yields_and_prunes_on_request(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # profiles import --out DIR twice: a device the raw data no longer yields stays
    # listed (and usable by generate --device) from the first import: it is named as
    # stale, and removed only with --prune (a user's copy of a shipped profile carries
    # the same marks: deleting it unasked was a newcomer's finding). Only the
    # importer's own <device>.json files count; a measured profile, a renamed copy and
    # a file that is not a profile are never touched.
    from tests.helpers.cli import main

    raw = _tiny_raw(tmp_path)
    out = tmp_path / "out"
    build_profiles(raw, out)
    stale = out / "mi9.json"
    first = stale.read_text()
    (out / "mi9-copy.json").write_text(first)  # device "mi9" in a file of another name
    (out / "measured.json").write_text(json.dumps(
        {**json.loads(first), "device": "measured", "provenance": {"source": "CSV"}}))
    (out / "notes.json").write_text("{not json")
    lat = raw / "hope-mnn" / "tiny" / "mi9" / "mi9-tiny-layerwise-latency.csv"
    lat.write_text(TINY_LATENCY.replace("22.4 12.2", "22.4 100000"))  # mi9's only network
    code, stdout, stderr = main(capsys, "profiles", "import", "--raw", str(raw),
                                "--out", str(out))
    assert code == 0, stderr
    assert stale.read_text() == first  # listed, not removed
    assert f"stale {stale}:" in stderr and "--prune" in stderr
    assert "1 device profile of an earlier import left" in stdout
    code, stdout, stderr = main(capsys, "profiles", "import", "--raw", str(raw),
                                "--out", str(out), "--prune")
    assert code == 0, stderr
    assert not stale.exists()
    assert f"removed {stale}" in stderr
    assert "1 device profile of an earlier import removed" in stdout
    assert (out / "mi9-copy.json").read_text() == first
    assert json.loads((out / "measured.json").read_text())["device"] == "measured"
    assert (out / "notes.json").read_text() == "{not json"
    # Nothing stale: nothing removed, and the report says nothing about removal.
    lat.write_text(TINY_LATENCY)
    report = import_profiles(raw, out)
    assert report.written == [stale] and report.stale == report.removed == []
    assert stale.read_text() == first
    # A raw folder that yields nothing (a wrong --raw) must not empty the output folder.
    empty = tmp_path / "empty-raw"
    (empty / "hope-mnn").mkdir(parents=True)
    code, stdout, stderr = main(capsys, "profiles", "import", "--raw", str(empty),
                                "--out", str(out), "--prune")
    assert code == 2 and "holds no measurement at all" in stderr, stderr
    assert stale.read_text() == first


def test_acl_models_without_shapes_are_skipped_with_a_reason(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    big = raw / "hope-acl" / "acl-bignet" / "mi9"
    big.mkdir(parents=True)
    (big / "mi9-acl-bignet-layerwise-latency.csv").write_text(TINY_LATENCY)
    (raw / "hope-acl" / "acl-bignet" / "acl-bignet.dot").write_text("digraph G {}\n")
    build_profiles(raw, tmp_path / "out")
    prof = load_device("mi9", tmp_path / "out")
    assert list(prof.networks) == ["tiny"]
    (skip,) = prof.provenance["skipped"]
    assert (skip["source"], skip["model"]) == ("hope-acl", "acl-bignet")
    assert "acl-bignet.dot lists operator edges but no tensor shapes" in skip["reason"]


# --------------------------------------------------------------------------- fit
def test_least_squares_residuals_sum_to_zero_on_synthetic() -> None:
    rows = [TransferRow((n,), 0.0, 50.0 + 0.25 * 4 * n + (7.0 if n % 2 else -3.0))
            for n in range(1, 40)]
    fit = fit_line("dev", rows)
    res = [r.gpu_to_cpu_us - (fit.intercept_us + fit.slope_us_per_byte * r.nbytes)
           for r in rows]
    assert abs(sum(res)) < 1e-6
    # residuals are orthogonal to the regressor too (normal equations)
    assert abs(sum(e * r.nbytes for e, r in zip(res, rows, strict=True))) < 1e-3
    exact = fit_line("dev", [TransferRow((n,), 0.0, 10.0 + 2.0 * 4 * n) for n in (1, 5, 9)])
    assert exact.intercept_us == pytest.approx(10.0)
    assert exact.slope_us_per_byte == pytest.approx(2.0)


def test_fit_predict_never_negative() -> None:
    assert HandoffFit("d", -5.0, 0.0, 2).predict(100) == 0.0


def test_closest_device_rule() -> None:
    measured = ["huawei_p40", "mi9", "oneplus5t", "vivo_z3", "redmi", "lenovo_k5"]
    assert closest_device("huawei_mate_20", measured) == "huawei_p40"
    assert closest_device("snapdragon_855", measured) == "mi9"
    assert closest_device("oneplus3", measured) == "oneplus5t"
    assert closest_device("huawei_mate_20", ["mi9"]) is None


# --------------------------------------------------------------------------- reduction
def test_choose_cuts_picks_candidates_nearest_quantiles() -> None:
    work = [10.0] * 8  # cumulative 0,10,...,80
    # quarters at 20, 40, 60: candidates 1, 3, 5, 6 -> nearest are 1|3 (tie: lowest), 3|5, 6
    assert choose_cuts(work, [1, 3, 5, 6], max_cuts=4) == [0, 1, 3, 6, 8]
    assert choose_cuts(work, [2, 4], max_cuts=24) == [0, 2, 4, 8]
    assert choose_cuts(work, [2, 4, 6], max_cuts=1) == [0, 8]


def test_reduce_profile_sums_and_sd() -> None:
    ops = OperatorProfile(op_names=("a", "b", "c"), gpu_us=(1.4, 1.4, 5.0),
                          cpu_us=(2.0, 2.0, 2.0), handoff_us=(0.0, 9.0, 7.6, 0.0),
                          crossing=(0, 3, 1, 0), gpu_sd_us=(3.0, 4.0, 1.0),
                          cpu_sd_us=(0.0, 0.0, 2.0))
    net = reduce_profile("n", ops, max_cuts=24)
    # cut after op 1 crosses 3 tensors: not a candidate; segments {a,b}, {c}
    assert net.layer_names == ("a..b", "c")
    assert net.gpu_us == (3, 5)  # 1.4 + 1.4 = 2.8 rounded once, not 1 + 1
    assert net.handoff_us == (0, 8, 0)
    assert net.gpu_sd_us == (5.0, 1.0)  # sqrt(3^2 + 4^2)
    assert net.cpu_sd_us == (0.0, 2.0)


# --------------------------------------------------------------------------- shared data
RAW = default_raw_dir()
needs_raw = pytest.mark.skipif(not (RAW / "hope-mnn").is_dir(),
                               reason=f"raw phone-profiles data not found at {RAW} "
                                      "(third-party data, not part of the repository)")
COMMITTED = SHIPPED_DIR / "profiles"
HOPE_DEVICES = ("huawei_mate_20", "huawei_p40", "lenovo_k5", "mi9", "oneplus3", "oneplus5t",
                "redmi", "snapdragon_855", "vivo_z3")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("profiles")
    build_profiles(RAW, out, cpu_threads=4, max_cuts=24)
    return out


@needs_raw
def test_committed_files_equal_a_fresh_import(built: Path) -> None:
    for device in HOPE_DEVICES:
        fresh = (built / f"{device}.json").read_bytes()
        assert (COMMITTED / f"{device}.json").read_bytes() == fresh, device
        assert len(fresh) < 1_000_000


@needs_raw
def test_every_model_folder_is_a_network_or_a_skip(built: Path) -> None:
    seen = 0
    for source in ("hope-mnn", "hope-acl"):
        for model_dir in sorted(p for p in (RAW / source).iterdir() if p.is_dir()):
            for dev_dir in sorted(p for p in model_dir.iterdir() if p.is_dir()):
                prof = load_device(dev_dir.name, built)
                imported = network_name(model_dir.name) in prof.networks
                skipped = [s for s in prof.provenance["skipped"]
                           if (s["source"], s["model"]) == (source, model_dir.name)]
                assert imported != bool(skipped), (source, model_dir.name, dev_dir.name)
                assert all(s["reason"] for s in skipped)
                seen += 1
    assert seen >= 60
    # the five multi-branch hope-acl models are listed on each of their devices
    for device in ("huawei_p40", "mi9", "redmi", "vivo_z3"):
        acl = {s["model"] for s in load_device(device, built).provenance["skipped"]
               if "multi-branch" in s["reason"]}
        assert acl == {"acl-inception_v3", "acl-inception_v4", "acl-nasnet_large",
                       "acl-pnasnet_large", "acl-pnasnet_mobile"}


@needs_raw
def test_coverage_and_stage_tables(built: Path) -> None:
    models: set[str] = set()
    for device in HOPE_DEVICES:
        prof = load_device(device, built)
        for net in prof.networks.values():
            models.add(net.name)
            st = net.stages
            assert np.all(np.diff(st.a) >= 0) and np.all(np.diff(st.b) <= 0)
            assert st.h[0] == 0 and st.h[-1] == 0
            assert len(st.a) == net.num_layers + 1 <= 24 + 1
    assert len(HOPE_DEVICES) >= 5 and len(models) >= 6
    assert {"inception-v3", "nasnet-mobile", "acl-mobilenet", "acl-squeezenet",
            "acl-alexnet", "acl-mobilenet-v2"} <= models


def _raw_latency(source: str, model: str, device: str, threads: int):
    folder = RAW / source / model / device
    return read_layerwise(next(folder.glob("*-layerwise-latency.csv")), threads)


@needs_raw
def test_segment_sums_match_raw_columns(built: Path) -> None:
    checked = 0
    for device in HOPE_DEVICES:
        for net in load_device(device, built).networks.values():
            source = net.provenance["source_folder"]
            if source == "hope-acl" and not net.provenance["times_from"].startswith("layerwise"):
                continue  # times from traces (mobilenet-v2); checked below
            model = net.name if source == "hope-mnn" else net.name.replace("-v2", "_v2")
            raw = _raw_latency(source, model, device, 4)
            assert raw is not None
            tol = net.num_layers  # one rounding per segment
            assert abs(sum(net.gpu_us) - round(math.fsum(raw.gpu_us))) <= tol
            assert abs(sum(net.cpu_us) - round(math.fsum(raw.cpu_us))) <= tol
            assert net.provenance["reduction"]["operators"] == len(raw.names)
            checked += 1
    assert checked >= 30


@needs_raw
def test_mobilenet_v2_times_come_from_traces(built: Path) -> None:
    from splitsched.profiles.raw import read_trace

    net = load_device("huawei_p40", built).networks["acl-mobilenet-v2"]
    folder = RAW / "hope-acl" / "acl-mobilenet_v2" / "huawei_p40"
    gpu = read_trace(next(folder.glob("*-gpu-big-1.csv")))
    assert gpu is not None and len(gpu.names) == net.provenance["reduction"]["operators"]
    assert abs(sum(net.gpu_us) - round(math.fsum(gpu.mean(1)))) <= net.num_layers
    assert "only 14 of the 66" in net.provenance["times_from"]


@needs_raw
def test_acl_networks_carry_spread(built: Path) -> None:
    for device in ("huawei_p40", "mi9", "redmi", "vivo_z3"):
        for net in load_device(device, built).networks.values():
            if net.provenance["source_folder"] == "hope-acl":
                assert len(net.gpu_sd_us) == net.num_layers
                assert len(net.cpu_sd_us) == net.num_layers
                assert any(v > 0 for v in net.gpu_sd_us)


@needs_raw
def test_device_fit_residuals_on_real_data() -> None:
    rows = device_rows(RAW, "huawei_p40")
    fit = fit_line("huawei_p40", rows)
    res = np.array([r.gpu_to_cpu_us - (fit.intercept_us + fit.slope_us_per_byte * r.nbytes)
                    for r in rows])
    assert abs(res.mean()) < 1e-6 * max(1.0, float(np.abs(res).max()))
    # the fit tracks the data: mean prediction equals mean measurement
    assert np.mean([fit.intercept_us + fit.slope_us_per_byte * r.nbytes for r in rows]) == \
        pytest.approx(np.mean([r.gpu_to_cpu_us for r in rows]))


@needs_raw
def test_fallbacks_and_skips_are_recorded(built: Path) -> None:
    mate = load_device("huawei_mate_20", built)
    for net in mate.networks.values():
        plan = net.provenance["handoff"]["device_plan"]
        assert plan["fit_method"] == "borrowed fit"
        assert plan["fit"]["data_from_device"] == "huawei_p40"
    sd855 = load_device("snapdragon_855", built)
    for net in sd855.networks.values():
        plan = net.provenance["handoff"]["device_plan"]
        assert plan["fit"]["data_from_device"] == "mi9"
        assert "fixed overhead" in plan["reason"]
        assert plan["uses_measured_tables"] is False
    op3 = load_device("oneplus3", built).networks["lanenet"]
    assert op3.provenance["handoff"]["device_plan"]["fit"]["data_from_device"] == "oneplus5t"
    redmi = load_device("redmi", built)
    assert any(s["model"] == "lanenet" and "empty" in s["reason"]
               for s in redmi.provenance["skipped"])
    p40 = load_device("huawei_p40", built).networks["inception-v3"]
    assert p40.provenance["handoff"]["device_plan"]["fit_method"] == "device fit"
    assert p40.provenance["source_repository"] == "summerspringwei/DAG-Scheduler"


@needs_raw
def test_max_cuts_option(tmp_path: Path) -> None:
    build_profiles(RAW, tmp_path, max_cuts=6)
    for p in tmp_path.glob("*.json"):
        for net in read_profile(p).networks:
            assert len(net.layers) <= 6
    data = json.loads((tmp_path / "mi9.json").read_text())
    assert data["networks"][0]["provenance"]["reduction"]["max_cuts"] == 6


# --------------------------------------------------------------------------- CLI
def test_cli_lists_and_rejects_unknown_device(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from splitsched.cli import app

    raw = _tiny_raw(tmp_path / "raw")
    runner = CliRunner()
    res = runner.invoke(app, ["profiles", "import", "--raw", str(raw), "--out",
                              str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    monkeypatch.setenv("SPLITSCHED_PROFILES", str(tmp_path / "out"))
    res = runner.invoke(app, ["profiles", "--device", "mi9"], env={"COLUMNS": "200"})
    assert res.exit_code == 0 and "tiny" in res.output
    res = runner.invoke(app, ["profiles", "--device", "nope"])
    assert isinstance(res.exception, InputError)
    res = runner.invoke(app, ["profiles", "import", "--raw", str(tmp_path / "missing")])
    assert isinstance(res.exception, InputError)


@pytest.mark.parametrize("kind", ["missing", "file"])
def test_profiles_env_naming_no_folder_is_refused(tmp_path: Path, kind: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A newcomer's attack (2026-12-02): ``$SPLITSCHED_PROFILES`` naming a missing folder
    (or a file) made ``profiles`` print an empty table, exit 0, and ``generate`` say
    "known devices: (none)"; now both name the variable and the reason (exit 2). A
    folder that is there but empty still lists nothing."""
    from typer.testing import CliRunner

    from splitsched.cli import app
    from splitsched.profiles.store import list_devices

    target = tmp_path / "profiles"
    if kind == "file":
        target.write_text("{}")
    monkeypatch.setenv("SPLITSCHED_PROFILES", str(target))
    why = "is not a folder" if kind == "file" else "no such folder"
    for call in (list_devices, lambda: load_device("mi9")):
        with pytest.raises(InputError, match=f"SPLITSCHED_PROFILES: .*{why}"):
            call()
    res = CliRunner().invoke(app, ["profiles"])
    assert isinstance(res.exception, InputError) and why in str(res.exception)
    if kind == "missing":
        target.mkdir()
        assert list_devices() == []


# --------------------------------------------------------------------------- attack 5
# A hope-acl chain model (squeezenet's folder name; op names without known shapes are left
# out of hand-offs, which is fine here): layerwise file + raw per-run traces of 3 runs.
ACL_LATENCY = """\
conv1 75.0 36.0 37.0 44.0
pool1 40.0 31.0 34.0 20.0
fire2 34.0 21.0 23.0 51.0
"""
ACL_OPS = ("conv1", "pool1", "fire2")
# durations per run: run 1 is warm-up (dropped); runs 2-3 give the means below
ACL_GPU_RUNS = ((900, 500, 700), (40, 20, 50), (48, 22, 52))
ACL_CPU_RUNS = ((800, 600, 400), (36, 34, 23), (38, 32, 25))


def _trace(runs: tuple[tuple[int, ...], ...], device: str) -> str:
    return "".join(f"{op} {device} {d} 0 {d}\n" for run in runs for op, d in zip(ACL_OPS, run,
                                                                               strict=True))


def _acl_raw(root: Path) -> tuple[Path, Path]:
    """The tiny hope-mnn raw folder plus hope-acl/acl-squeezenet/mi9; (raw, layerwise file)."""
    raw = _tiny_raw(root)
    folder = raw / "hope-acl" / "acl-squeezenet" / "mi9"
    folder.mkdir(parents=True)
    lat = folder / "mi9-acl-squeezenet-layerwise-latency.csv"
    lat.write_text(ACL_LATENCY)
    (folder / "mi9-acl-squeezenet-gpu-big-1.csv").write_text(_trace(ACL_GPU_RUNS, "GPU"))
    (folder / "mi9-acl-squeezenet-cpu-big-4.csv").write_text(_trace(ACL_CPU_RUNS, "CPU"))
    return raw, lat


def _skip_reason(raw: Path, out: Path, model: str) -> str:
    report = import_profiles(raw, out)
    (reason,) = [s["reason"] for s in report.skipped() if s["model"] == model]
    return reason


def test_acl_fixture_imports_from_its_layerwise_file(tmp_path: Path) -> None:
    raw, _ = _acl_raw(tmp_path)
    build_profiles(raw, tmp_path / "out")
    net = load_device("mi9", tmp_path / "out").networks["acl-squeezenet"]
    assert net.gpu_us == (44, 20, 51) and net.cpu_us == (37, 34, 23)  # gpu, 4-thread columns
    assert len(net.gpu_sd_us) == 3 and net.provenance["files"]["latency"] == \
        "mi9-acl-squeezenet-layerwise-latency.csv"


def test_a_bom_in_hope_files_gives_the_same_profile(tmp_path: Path) -> None:
    """Finding 4: a BOM made the first operator '\\ufeffconv1' and dropped its spread."""
    raw, lat = _acl_raw(tmp_path)
    build_profiles(raw, tmp_path / "plain")
    mnn = raw / "hope-mnn" / "tiny" / "mi9" / "mi9-tiny-layerwise-latency.csv"
    for f in (lat, mnn, raw / "hope-acl" / "acl-squeezenet" / "mi9" /
              "mi9-acl-squeezenet-gpu-big-1.csv"):
        f.write_bytes(b"\xef\xbb\xbf" + f.read_bytes())
    build_profiles(raw, tmp_path / "bom")
    assert (tmp_path / "bom" / "mi9.json").read_bytes() == \
        (tmp_path / "plain" / "mi9.json").read_bytes()
    net = load_device("mi9", tmp_path / "bom").networks["acl-squeezenet"]
    assert len(net.gpu_sd_us) == net.num_layers


@pytest.mark.parametrize(("content", "says"), [
    (ACL_LATENCY.replace("pool1", "poo\xff1").encode("latin-1"),
     "line 2, (encoding): byte 0xff"),
    (ACL_LATENCY.encode("utf-16"), "(encoding): UTF-16 encoded (a PowerShell redirect?)"),
    (ACL_LATENCY.replace("fire2", "pool1").encode(),
     "line 3, op_name: operator 'pool1' is listed twice (also on line 2)"),
    (ACL_LATENCY.replace("51.0", "1e300").encode(),
     "line 3, gpu: must be at most 1099511627776 us"),
    (ACL_LATENCY.replace("44.0", str(2**39)).replace("20.0", str(2**39)).encode(),
     "gpu: the operators' times sum to 1.09951e+12 us"),
], ids=["latin1", "utf16", "repeated-line", "1e300", "sum-past-bound"])
def test_a_bad_hope_file_is_skipped_naming_file_line_reason(tmp_path: Path, content: bytes,
                                                            says: str) -> None:
    """Findings 4, 5, 11: a pair with a bad file is skipped (the import's rule), the reason
    naming the file as the user sees it, the line and the column; no 300-digit number."""
    raw, lat = _acl_raw(tmp_path)
    lat.write_bytes(content)
    reason = _skip_reason(raw, tmp_path / "out", "acl-squeezenet")
    assert reason.startswith("hope-acl/acl-squeezenet/mi9/mi9-acl-squeezenet-layerwise-"
                             "latency.csv: ")
    assert says in reason and "0" * 30 not in reason
    assert "acl-squeezenet" not in load_device("mi9", tmp_path / "out").networks


def test_a_repeated_mnn_line_is_named_not_a_mismatch(tmp_path: Path) -> None:
    raw = _tiny_raw(tmp_path)
    lat = raw / "hope-mnn" / "tiny" / "mi9" / "mi9-tiny-layerwise-latency.csv"
    lat.write_text(TINY_LATENCY + "b 41.0 31.0 21.4 11.2\n")
    report = import_profiles(raw, tmp_path / "out")
    (skip,) = report.skipped()
    assert "line 5, op_name: operator 'b' is listed twice (also on line 2)" in skip["reason"]


def test_an_empty_acl_layerwise_file_uses_the_traces_with_a_note(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Finding 6: the traces are used (as when the file lists fewer operators), the note is
    printed, and the provenance no longer names the empty file as the times' source."""
    from tests.helpers.cli import main

    raw, lat = _acl_raw(tmp_path)
    lat.write_text("")
    report = import_profiles(raw, tmp_path / "out")
    net = load_device("mi9", tmp_path / "out").networks["acl-squeezenet"]
    # means of runs 2-3: GPU (40+48)/2, (20+22)/2, (50+52)/2; CPU (36+38)/2, 33, 24
    assert net.gpu_us == (44, 21, 51) and net.cpu_us == (37, 33, 24)
    assert net.provenance["files"]["latency"] is None
    assert "layerwise-latency file is empty" in net.provenance["times_from"]
    assert [(n["model"], n["device"]) for n in report.notes] == [("acl-squeezenet", "mi9")]
    code, _, err = main(capsys, "profiles", "import", "--raw", str(raw), "--out",
                        str(tmp_path / "cli"))
    assert code == 0
    assert "note: hope-acl/acl-squeezenet/mi9: the layerwise-latency file is empty" in err
