"""Issue 12's case folders (real public artifacts that failed), each with its right value.

The folders live outside the repository, in ``<repo>/../shared/cases/profiles``
(or ``$SPLITSCHED_PROFILE_CASES``); the tests skip cleanly where they are absent.
The right values are those stated in issue 12 (sums of avg ms x times called of
the files' Run Order rows, and their ``Timings`` lines).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from splitsched.cli import app
from splitsched.profiles.errors import ProfileImportError
from splitsched.profiles.hope import import_profiles
from splitsched.profiles.litert import network_from_litert_files, parse_benchmark_output
from splitsched.profiles.store import load_device
from tests.helpers.paths import DATA_DIR, REPO_ROOT

REPO = REPO_ROOT
CASES = Path(os.environ.get("SPLITSCHED_PROFILE_CASES",
                            REPO.parent / "shared" / "cases" / "profiles"))
needs_cases = pytest.mark.skipif(not CASES.is_dir(),
                                 reason=f"issue-12 case folders not found at {CASES} "
                                        "(third-party files, not part of the repository)")
pytestmark = needs_cases

C01 = CASES / "01-imx-mobilenet-text"
C03 = CASES / "03-efficientdet-xnnpack-int8"
C04 = CASES / "04-imx-ssd-partial-delegate"
C06 = CASES / "06-hope-dfmodel1-npu" / "upstream"
C09 = CASES / "09-keras-csv-gpu-not-applied"
TOY = DATA_DIR / "profiles" / "litert"


# --------------------------------------------------------------------------- 01
def test_01_text_mode_logs_are_read() -> None:
    cpu = parse_benchmark_output(C01 / "mobilenet-CPU.log")
    gpu = parse_benchmark_output(C01 / "mobilenet-GPU.log")
    assert cpu.mode == gpu.mode == "text"
    assert len(cpu.primary) == 31
    assert round(cpu.rows_total_us) == 162908
    assert cpu.total_avg_us == 162910
    (node,) = gpu.primary
    assert node.is_delegate and node.node_type == "Vx Delegate"
    assert round(node.per_run_us) == 163313


def test_01_fused_delegate_is_a_one_layer_network() -> None:
    net = network_from_litert_files(C01 / "mobilenet-CPU.log", C01 / "mobilenet-GPU.log")
    assert (net.gpu_us, net.cpu_us) == ((163313,), (162908,))
    assert list(net.stages.cuts) == [0, 1]


def test_01_swapped_is_refused() -> None:
    with pytest.raises(ProfileImportError, match="swapped"):
        network_from_litert_files(C01 / "mobilenet-GPU.log", C01 / "mobilenet-CPU.log")


@pytest.mark.parametrize("name", ["mobilenet-CPU.log", "mobilenet-GPU.log"])
def test_01_a_log_with_two_runs_appended_is_refused(tmp_path: Path, name: str) -> None:
    """The same tool's log written twice into one file (``>>``): the delegate node's
    time (163313 us) was read as two partitions, 326626 us; now refused, naming the
    line where the second run starts."""
    text = (C01 / name).read_text()
    f = tmp_path / name
    f.write_text(text + text)
    second = text.count("\n") + 1 + text.splitlines().index(
        next(ln for ln in text.splitlines() if "Regular Benchmark Runs" in ln))
    with pytest.raises(ProfileImportError, match="more than one benchmark run") as info:
        parse_benchmark_output(f)
    assert info.value.line == second


def _without_rows(text: str, indices: range) -> str:
    """``text`` with the regular runs' Run Order rows of the given node indices cut out
    (an excerpt, as pasted from a long log)."""
    lines = text.splitlines()
    start = next(i for i, ln in enumerate(lines) if "Regular Benchmark Runs" in ln)
    end = next(i for i, ln in enumerate(lines) if i > start and "Top by Computation" in ln)
    cut = {f"]:{k}" for k in indices}
    kept = [ln for i, ln in enumerate(lines)
            if not (start < i < end and any(ln.rstrip().endswith(c) for c in cut))]
    return "\n".join(kept) + "\n"


@pytest.mark.parametrize(("indices", "at", "words"),
                         [(range(5, 16), "]:16", "missing above this row"),
                          (range(23, 30), "]:30", "missing above this row")])
def test_01_a_log_with_rows_left_out_is_refused(tmp_path: Path, indices: range, at: str,
                                                words: str) -> None:
    """A newcomer's attack (2026-12-02): case 01's CPU log without the rows of nodes 5-15
    imported as CPU-only 96075 us, exit 0, where the run takes 162908 us (its own
    ``Timings`` avg 162910). The rows' cdf% column shows the gap (41% of the run); now
    refused at the first row after the gap."""
    f = tmp_path / "cpu.log"
    f.write_text(_without_rows((C01 / "mobilenet-CPU.log").read_text(), indices))
    with pytest.raises(ProfileImportError, match="Run Order table is not whole") as info:
        network_from_litert_files(f, C01 / "mobilenet-GPU.log")
    lines = f.read_text().splitlines()
    start = next(i for i, ln in enumerate(lines) if "Regular Benchmark Runs" in ln)
    row = next(i for i, ln in enumerate(lines) if i > start and ln.endswith(at))
    assert (info.value.line, info.value.column) == (row + 1, "cdf%")
    assert words in str(info.value)
    # the whole log still imports, at the right value
    assert network_from_litert_files(C01 / "mobilenet-CPU.log",
                                     C01 / "mobilenet-GPU.log").cpu_us == (162908,)


# --------------------------------------------------------------------------- 03
def test_03_xnnpack_csv_splits_node_types_from_the_right() -> None:
    run = parse_benchmark_output(C03 / "efficientdet-lite0-cpu-xnnpack.csv")
    assert len(run.primary) == 23
    dw = next(r for r in run.primary if r.name == "Delegate/Convolution (NHWC, QC8) DWConv:1")
    assert dw.node_type == "Convolution (NHWC, QC8) DWConv"
    assert (dw.avg_ms, dw.times_called, round(dw.per_run_us)) == (0.051, 13, 663)
    assert round(run.rows_total_us) == 8725
    text = parse_benchmark_output(C03 / "efficientdet-lite0-cpu-xnnpack.txt")
    assert [(r.node_type, r.name, r.avg_ms, r.times_called) for r in text.primary] == \
        [(r.node_type, r.name, r.avg_ms, r.times_called) for r in run.primary]


def test_03_xnnpack_rows_give_no_per_operator_cuts() -> None:
    with pytest.raises(ProfileImportError, match="partition-local aggregates"):
        network_from_litert_files(C03 / "efficientdet-lite0-cpu-xnnpack.csv",
                                  C03 / "efficientdet-lite0-cpu-xnnpack.txt",
                                  allow_no_delegate=True)
    # and the XNNPACK run is no accelerator run
    with pytest.raises(ProfileImportError, match="no delegate node"):
        network_from_litert_files(C03 / "efficientdet-lite0-cpu-xnnpack.csv",
                                  C03 / "efficientdet-lite0-cpu-xnnpack.txt")


def test_03_with_another_models_gpu_run_is_refused() -> None:
    # the toy delegate node is index 5; efficientdet's CPU run shows node 266
    with pytest.raises(ProfileImportError, match="do not describe the same model"):
        network_from_litert_files(C03 / "efficientdet-lite0-cpu-xnnpack.csv",
                                  TOY / "toy_gpu_fused.txt")


@pytest.mark.parametrize("name", ["efficientdet-lite0-cpu-xnnpack.csv",
                                  "efficientdet-lite0-cpu-xnnpack.txt"])
def test_03_excerpt_gives_no_whole_model_time(tmp_path: Path, name: str) -> None:
    """The case's 23 rows are an excerpt: cdf% jumps from 22.580% to 59.569% (line 27)
    and the table ends at 98.110%; they sum to 8725 us where the run's ``Timings`` avg
    is 15309.2 us. With a fused GPU run (a newcomer's attack, 2026-12-02) they were
    imported as CPU-only 8725 us, exit 0; now refused at the jump."""
    gpu = tmp_path / "gpu.txt"
    gpu.write_text("Operator-wise Profiling Info for Regular Benchmark Runs:\n"
                   "============================== Run Order ==============================\n"
                   "\t[node type]\t[start]\t[first]\t[avg ms]\t[%]\t[cdf%]\t[mem KB]\t"
                   "[times called]\t[Name]\n"
                   "\tTfLiteGpuDelegateV2\t0.015\t9.000\t8.000\t100.000%\t100.000%\t"
                   "0.000\t1\t[StatefulPartitionedCall:3]:300\n")
    with pytest.raises(ProfileImportError, match="missing above this row") as info:
        network_from_litert_files(C03 / name, gpu)
    assert (info.value.line, info.value.column) == (27, "cdf%")
    assert "cdf% reads 59.569% where the rows listed give 22.588%" in str(info.value)


# --------------------------------------------------------------------------- 04
@pytest.mark.parametrize(("cpu", "gpu"), [("ssd-CPU.csv", "ssd-GPU.csv"),
                                          ("ssd-CPU.txt", "ssd-GPU.txt"),
                                          ("ssd-CPU.csv", "ssd-GPU.txt")])
def test_04_partial_delegate(cpu: str, gpu: str) -> None:
    with pytest.raises(ProfileImportError, match="TFLite_Detection_PostProcess") as exc:
        network_from_litert_files(C04 / cpu, C04 / gpu)
    assert "GPU-only cut does not exist" in str(exc.value)
    net = network_from_litert_files(C04 / cpu, C04 / gpu, allow_cpu_fallback=True)
    # Vx Delegate 522.740 ms; fallback 1.926 ms on CPU kernels in the GPU run, 1.357 ms
    # in the CPU run, whose 64 nodes sum to 343597 us
    assert net.gpu_us == (522740, 1926)
    assert net.cpu_us == (343597 - 1357, 1357)


def test_04_swapped_and_mismatched_pairs_are_refused() -> None:
    with pytest.raises(ProfileImportError, match="swapped"):
        network_from_litert_files(C04 / "ssd-GPU.csv", C04 / "ssd-CPU.csv")
    with pytest.raises(ProfileImportError, match="do not describe the same model"):
        network_from_litert_files(C01 / "mobilenet-CPU.log", C04 / "ssd-GPU.csv",
                                  allow_cpu_fallback=True)
    with pytest.raises(ProfileImportError, match="do not describe the same model"):
        network_from_litert_files(C04 / "ssd-CPU.csv", C01 / "mobilenet-GPU.log")


# --------------------------------------------------------------------------- 06
TINY_INFO = "a 1,4,8,8@0x1; 1,4,8,8@0x10; none 1;\nb 1,4,8,8@0x10; 1,5,8,8@0x20; 0; none\n"
TINY_LATENCY = "a 40.0 30.0 20.0 10.0\nb 41.0 31.0 21.0 11.0\n"
TINY_TRANS = "1,4,8,8 100.0 111.0\n1,5,8,8 100.0 222.0\n"


def _with_tiny(raw: Path) -> Path:
    model = raw / "hope-mnn" / "tiny"
    (model / "mi9").mkdir(parents=True)
    (model / "tiny-info.txt").write_text(TINY_INFO)
    (model / "mi9" / "mi9-tiny-layerwise-latency.csv").write_text(TINY_LATENCY)
    (model / "mi9" / "tiny-mi9-data-trans.csv").write_text(TINY_TRANS)
    return raw


def _copy_case(tmp_path: Path) -> Path:
    """A writable copy of the case's raw folder (the shared copy is read-only)."""
    raw = Path(shutil.copytree(C06, tmp_path / "raw", copy_function=shutil.copyfile))
    for p in [raw, *raw.rglob("*")]:
        p.chmod(0o755 if p.is_dir() else 0o644)
    return raw


def test_06_unknown_device_folder_is_skipped_and_the_rest_imported(tmp_path: Path) -> None:
    raw = _with_tiny(_copy_case(tmp_path))
    report = import_profiles(raw, tmp_path / "out")
    assert [p.name for p in report.written] == ["mi9.json"]
    assert load_device("mi9", tmp_path / "out").networks["tiny"].gpu_us == (10, 11)
    (skip,) = report.skipped()
    assert (skip["model"], skip["device"]) == ("dfmodel1", "npu")
    assert "unknown device folder 'npu'" in skip["reason"]


def test_06_cli_exits_0_and_lists_the_skip(tmp_path: Path) -> None:
    raw = _with_tiny(_copy_case(tmp_path))
    res = CliRunner().invoke(app, ["profiles", "import", "--raw", str(raw), "--out",
                                   str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "skipped hope-mnn/dfmodel1/npu: unknown device folder" in res.output
    assert (tmp_path / "out" / "mi9.json").is_file()


def _mi9_skip(raw: Path, out: Path) -> str:
    import_profiles(raw, out)
    prof = load_device("mi9", out)
    assert list(prof.networks) == ["tiny"]  # the rest is imported every time
    (skip,) = prof.provenance["skipped"]
    assert skip["model"] == "dfmodel1"
    return str(skip["reason"])


def test_06_npu_files_under_a_known_device_are_skipped_naming_file_line_field(
        tmp_path: Path) -> None:
    raw = _with_tiny(_copy_case(tmp_path))
    model = raw / "hope-mnn" / "dfmodel1"
    (model / "npu").rename(model / "mi9")
    lat = model / "mi9" / "mi9-dfmodel1-layerwise-latency.csv"
    # 1. the 2-field appendix is the only *-layerwise-latency.csv
    assert _mi9_skip(raw, tmp_path / "o1") == (
        "hope-mnn/dfmodel1/mi9/appendix-layerwise-latency.csv: line 1, (row): expected 5 or 8 "
        "space-separated fields (op_name cpu_big_1thread cpu_big_2threads cpu_big_4threads "
        "gpu [3 little-core]), got 2")
    # 2. two candidates, neither with the canonical name: ambiguous
    (model / "mi9" / "npu-dfmodel1-layerwise-latency-old.csv").rename(
        model / "mi9" / "old-layerwise-latency.csv")
    assert "ambiguous" in _mi9_skip(raw, tmp_path / "o2")
    # 3. the canonical name: 100000 is the 'not supported' marker, never 100 ms
    (model / "mi9" / "old-layerwise-latency.csv").rename(lat)
    reason = _mi9_skip(raw, tmp_path / "o3")
    assert reason.startswith("hope-mnn/dfmodel1/mi9/mi9-dfmodel1-layerwise-latency.csv: "
                             "line 1, gpu: 100000 is HOPE's 'not supported")
    assert "not a time of 100 ms" in reason
    # 4. real times for every op: now the 3-field info file is the reason
    names = [line.split()[0] for line in (model / "dfmodel1-info.txt").read_text().splitlines()]
    lat.write_text("".join(f"{n} 30.0 20.0 10.0 5.0\n" for n in names))
    assert _mi9_skip(raw, tmp_path / "o4").startswith(
        "hope-mnn/dfmodel1/dfmodel1-info.txt: line 1, (row): expected 5 space-separated fields")
    # 5. no graph file at all
    (model / "dfmodel1-info.txt").unlink()
    assert _mi9_skip(raw, tmp_path / "o5") == "no info.txt graph file"


# --------------------------------------------------------------------------- 09
def test_09_gpu_run_without_delegate_exits_2(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    res = subprocess.run([sys.executable, "-m", "splitsched.cli", "profile", "--from-litert",
                          str(C09 / "keras-cnn-cpu.csv"),
                          str(C09 / "keras-cnn-gpu-delegate-not-applied.csv"), "-o", str(out)],
                         capture_output=True, text=True, cwd=REPO, check=False)
    assert res.returncode == 2, res.stderr
    assert "keras-cnn-gpu-delegate-not-applied.csv: line 4, node type: the accelerator file " \
           "has no delegate node" in res.stderr
    assert not out.exists()


def test_09_opt_in_gives_the_per_operator_profile_it_holds() -> None:
    net = network_from_litert_files(C09 / "keras-cnn-cpu.csv",
                                    C09 / "keras-cnn-gpu-delegate-not-applied.csv",
                                    allow_no_delegate=True)
    assert net.num_layers == 12
    assert net.gpu_us == net.cpu_us  # the "GPU" times are the CPU times
    assert "--allow-no-delegate" in net.provenance["note"]


def test_09_rows_left_out_of_both_runs_are_refused(tmp_path: Path) -> None:
    """A newcomer's attack (2026-12-02): both files without nodes 2 and 3, with
    ``--allow-no-delegate``, gave a 10-layer network of 149 us where the model's 12
    operators take 207 us; the cdf% column shows the gap (28.1% of the run)."""
    files = []
    for name in ("keras-cnn-cpu.csv", "keras-cnn-gpu-delegate-not-applied.csv"):
        kept = [ln for ln in (C09 / name).read_text().splitlines()
                if not ln.rstrip().endswith(("]:2", "]:3"))]
        files.append(tmp_path / name)
        files[-1].write_text("\n".join(kept) + "\n")
    with pytest.raises(ProfileImportError, match="missing above this row") as info:
        network_from_litert_files(*files, allow_no_delegate=True)
    assert (Path(str(info.value).split(":")[0]).name, info.value.line) == \
        ("keras-cnn-cpu.csv", 6)


_PREFIXES = {
    "logcat threadtime": "12-02 10:00:00.123  4321  4321 I tflite  : ",
    "logcat brief": "I/tflite  ( 4321): ",
    "absl": "I1202 10:00:00.123456 4321 benchmark_model.cc:123] ",
}


@pytest.mark.parametrize("kind", sorted(_PREFIXES))
def test_01_logs_through_a_logging_framework_are_read(tmp_path: Path, kind: str) -> None:
    """A newcomer's attack (2026-12-02): case 01's logs as the benchmark APK's logcat
    (or absl logging) writes them, each line prefixed, were refused with "no Run Order
    rows"; the prefix is now stripped and the right values come out."""
    files = []
    for name in ("mobilenet-CPU.log", "mobilenet-GPU.log"):
        text = (C01 / name).read_text()
        files.append(tmp_path / name)
        files[-1].write_text("".join(_PREFIXES[kind] + ln + "\n" for ln in text.splitlines()))
    cpu = parse_benchmark_output(files[0])
    assert (len(cpu.primary), round(cpu.rows_total_us), cpu.total_avg_us) == \
        (31, 162908, 162910)
    net = network_from_litert_files(*files)
    assert (net.gpu_us, net.cpu_us) == ((163313,), (162908,))
