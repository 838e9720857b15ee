"""LiteRT benchmark_model reader and pair builder, on small files written for each kind.

Files under tests/data/litert (the first fixtures) and tests/data/profiles/litert
(one per kind of issue 12: text mode, XNNPACK rows, delegate semantics, same-model
checks). Every expected number below is the file's avg ms x times called, summed
by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from splitsched.cli import app
from splitsched.io import InputError, profile_networks, read_profile
from splitsched.profiles.errors import ProfileImportError
from splitsched.profiles.litert import (
    LiteRTRun,
    network_from_litert,
    network_from_litert_files,
    parse_benchmark_csv,
    parse_benchmark_output,
)
from tests.helpers.paths import DATA_DIR

DATA = DATA_DIR / "litert"
TOY = DATA_DIR / "profiles" / "litert"


def test_parses_only_the_regular_runs_run_order_table() -> None:
    run = parse_benchmark_csv(DATA / "tiny_cpu.csv")
    # init table (ModifyGraphWithDelegate) and Top-by-time rows are not operators
    assert [r.node_type for r in run.primary] == [
        "CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"]
    # a name written with a comma (not as the writer does, with a tab) still reads whole:
    # the row parses only split from the left
    assert run.primary[4].key == "tiny/logits/MatMul, tiny/logits/BiasAdd"
    assert run.primary[4].outputs == ("tiny/logits/MatMul", "tiny/logits/BiasAdd")
    assert run.primary[4].index == 4
    # per-inference time = avg_ms per call x times called: 0.100 ms x 2
    assert run.primary[3].per_run_us == pytest.approx(200.0)
    assert run.total_avg_us == 5000 and run.total_std_us == 100


def test_gpu_file_without_delegate_is_refused_unless_opted_in() -> None:
    cpu = parse_benchmark_csv(DATA / "tiny_cpu.csv")
    gpu = parse_benchmark_csv(DATA / "tiny_gpu_perop.csv")
    with pytest.raises(ProfileImportError, match="no delegate node") as exc:
        network_from_litert("tiny", cpu, gpu)
    assert exc.value.path.endswith("tiny_gpu_perop.csv") and exc.value.line == 4
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, InputError)
    net = network_from_litert("tiny", cpu, gpu, handoff_us=40, allow_no_delegate=True)
    assert net.cpu_us == (1250, 750, 2000, 200, 600, 200)
    assert net.gpu_us == (300, 200, 450, 100, 250, 200)
    assert net.handoff_us == (0, 40, 40, 40, 40, 40, 0)
    assert "per operator" in net.provenance["granularity"]
    assert "--allow-no-delegate" in net.provenance["note"]
    assert net.provenance["cpu_run_cv"] == pytest.approx(0.02)


def test_fused_gpu_delegate_gives_only_cuts_zero_and_l() -> None:
    net = network_from_litert("tiny", parse_benchmark_csv(DATA / "tiny_cpu.csv"),
                              parse_benchmark_csv(DATA / "tiny_gpu_fused.csv"))
    assert net.num_layers == 1
    assert net.gpu_us == (1650,) and net.cpu_us == (5000,)
    assert list(net.stages.cuts) == [0, 1]
    assert "the only cuts are 0 (CPU-only) and L" in net.provenance["note"]
    assert "TfLiteGpuDelegateV2" in net.provenance["note"]


def test_older_header_without_start_column() -> None:
    run = parse_benchmark_csv(DATA / "tiny_cpu_old_format.csv")
    assert [r.key for r in run.primary] == ["tiny/conv1/Relu6", "tiny/Softmax"]
    assert run.primary[0].avg_ms == pytest.approx(1.25)


def test_missing_and_empty_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(ProfileImportError, match="no such file"):
        parse_benchmark_output(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("STARTING!\n")
    with pytest.raises(ProfileImportError, match="no Run Order rows"):
        parse_benchmark_output(empty)


# --------------------------------------------------------------------------- kind 1: formats
def test_text_mode_with_tabs_and_start_column() -> None:
    run = parse_benchmark_output(DATA / "not_csv_mode.txt")
    assert run.mode == "text"
    (row,) = run.primary
    assert (row.node_type, row.key, row.index) == ("CONV_2D", "conv", None)
    assert row.per_run_us == pytest.approx(4269.0)


def test_text_mode_space_separated_equals_csv_mode() -> None:
    text = parse_benchmark_output(TOY / "toy_cpu.txt")  # spaces only, INFO: prefix, no [start]
    csv = parse_benchmark_output(TOY / "toy_cpu.csv")  # CSV with the name's comma as a tab
    assert (text.mode, csv.mode) == ("text", "csv")

    def rows(run: LiteRTRun) -> list[tuple[str, str, float, int]]:
        return [(r.node_type, r.name, r.avg_ms, r.times_called) for r in run.primary]

    assert rows(text) == rows(csv)
    assert [r.per_run_us for r in text.primary] == pytest.approx([2500, 1000, 500, 700, 300])
    assert text.primary[3].outputs == ("toy/logits/MatMul", "toy/logits/BiasAdd")
    assert text.total_avg_us == csv.total_avg_us == 5100


def test_xnnpack_rows_split_from_the_right() -> None:
    run = parse_benchmark_output(TOY / "toy_cpu_xnnpack.csv")
    assert run.is_xnnpack
    assert [r.node_type for r in run.primary[:2]] == ["Convolution (NHWC, F32) IGEMM",
                                                      "Convolution (NHWC, F32) DWConv"]
    dw = run.primary[1]
    assert dw.name == "Delegate/Convolution (NHWC, F32) DWConv:1"
    assert dw.is_xnnpack_internal and dw.index == 1 and dw.times_called == 3
    assert dw.per_run_us == pytest.approx(900.0)  # 0.300 ms x 3 calls
    assert run.rows_total_us == pytest.approx(2400 + 900 + 200 + 500 + 250)


def test_xnnpack_cpu_run_gives_the_whole_model_only() -> None:
    net = network_from_litert_files(TOY / "toy_cpu_xnnpack.csv", TOY / "toy_gpu_fused.txt")
    assert (net.gpu_us, net.cpu_us) == ((1200,), (4250,))
    assert "XNNPACK" in net.provenance["note"]
    # per-operator cuts from XNNPACK aggregates are refused
    with pytest.raises(ProfileImportError, match="partition-local aggregates") as exc:
        network_from_litert_files(TOY / "toy_cpu_xnnpack.csv", TOY / "toy_cpu.csv",
                                  allow_no_delegate=True)
    assert exc.value.line == 4 and exc.value.column == "name"


def test_bad_number_names_file_line_and_column(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    text = (TOY / "toy_cpu.csv").read_text().replace("0.250, 0.250", "0.250, 0.2x0")
    bad.write_text(text)
    with pytest.raises(ProfileImportError) as exc:
        parse_benchmark_output(bad)
    assert (exc.value.line, exc.value.column) == (6, "avg_ms")
    assert "not a number: '0.2x0'" in str(exc.value) and str(bad) in str(exc.value)
    txt = tmp_path / "bad.txt"
    txt.write_text((TOY / "toy_cpu.txt").read_text().replace("0.700      0.700", "0.700      n/a"))
    with pytest.raises(ProfileImportError, match="does not fit the Run Order header") as exc:
        parse_benchmark_output(txt)
    assert exc.value.line == 9


# --------------------------------------------------------------------------- kind 2: delegate
def test_fused_text_pair() -> None:
    net = network_from_litert_files(TOY / "toy_cpu.txt", TOY / "toy_gpu_fused.txt",
                                    name="toy")
    assert (net.name, net.gpu_us, net.cpu_us) == ("toy", (1200,), (5000,))
    assert net.provenance["output_modes"] == {"cpu": "text", "gpu": "text"}


def test_cpu_fallback_after_delegate_refused_or_two_layers() -> None:
    with pytest.raises(ProfileImportError, match="partially delegated") as exc:
        network_from_litert_files(TOY / "toy_cpu.csv", TOY / "toy_gpu_fallback.csv")
    assert "FULLY_CONNECTED" in str(exc.value) and "SOFTMAX" in str(exc.value)
    assert exc.value.line == 13  # first fallback node, after the init table
    net = network_from_litert_files(TOY / "toy_cpu.csv", TOY / "toy_gpu_fallback.csv",
                                    allow_cpu_fallback=True, handoff_us=70)
    # delegated part: GPU 900; CPU run's conv1 + dw + 2 x mean = 2500 + 1000 + 500
    # fallback: 800 + 350 on CPU kernels inside the GPU run; 700 + 300 in the CPU run
    assert net.gpu_us == (900, 1150) and net.cpu_us == (4000, 1000)
    assert net.handoff_us == (0, 70, 0)
    assert "cut L is NOT a GPU-only run" in net.provenance["note"]
    # cut 1 is the run as measured: GPU 900, hand-off, CPU fallback 1000
    assert (net.stages.a[1], net.stages.b[1]) == (900, 1000)


@pytest.mark.parametrize("gpu_file", ["toy_gpu_interleaved.csv", "toy_gpu_cpu_first.csv"])
def test_no_gpu_prefix_cpu_suffix_split_is_refused(gpu_file: str) -> None:
    for allow in (False, True):
        with pytest.raises(ProfileImportError, match="interleave") as exc:
            network_from_litert_files(TOY / "toy_cpu.csv", TOY / gpu_file,
                                      allow_cpu_fallback=allow)
        assert exc.value.column == "node type"


def test_xnnpack_only_gpu_run_has_no_delegate_node() -> None:
    with pytest.raises(ProfileImportError, match=r"no delegate node.*XNNPACK"):
        network_from_litert_files(TOY / "toy_cpu.csv", TOY / "toy_gpu_xnnpack_only.csv")


def test_swapped_files_are_caught() -> None:
    with pytest.raises(ProfileImportError, match="swapped") as exc:
        network_from_litert_files(TOY / "toy_gpu_fused.txt", TOY / "toy_cpu.txt")
    assert exc.value.path.endswith("toy_gpu_fused.txt") and exc.value.line == 6
    with pytest.raises(ProfileImportError, match="must not apply an accelerator"):
        network_from_litert_files(TOY / "toy_gpu_fused.txt", TOY / "toy_gpu_fused.txt")


# --------------------------------------------------------------------------- kind 3: same model
@pytest.mark.parametrize(("gpu_file", "why"), [
    ("toy_gpu_other_model.csv", "produces tensor 'other/Softmax'"),
    ("toy_gpu_index_clash.csv", "has index 3, but the CPU file"),
    ("toy_gpu_fallback_wrong_index.csv", "has index 7 but is node 3"),
])
def test_pair_of_different_models_is_refused(gpu_file: str, why: str) -> None:
    with pytest.raises(ProfileImportError, match="do not describe the same model") as exc:
        network_from_litert_files(TOY / "toy_cpu.csv", TOY / gpu_file, allow_cpu_fallback=True)
    assert why in str(exc.value)
    assert exc.value.column == "name" and exc.value.path.endswith(gpu_file)


def test_per_operator_pair_of_different_models_is_refused() -> None:
    with pytest.raises(ProfileImportError, match="no same-named node"):
        network_from_litert_files(DATA / "tiny_cpu.csv", TOY / "toy_cpu.csv",
                                  allow_no_delegate=True)


def test_fused_pair_checks_are_recorded() -> None:
    net = network_from_litert_files(TOY / "toy_cpu.csv", TOY / "toy_gpu_fused.txt")
    checks = net.provenance["same_model_checks"]
    assert any("produced in the CPU run" in c for c in checks)
    assert any("up to 4" in c for c in checks)
    # against XNNPACK rows only the visible model nodes' indices can be checked
    with pytest.raises(ProfileImportError, match="has index 3, but the CPU file"):
        network_from_litert_files(TOY / "toy_cpu_xnnpack.csv", TOY / "toy_gpu_index_clash.csv")


# --------------------------------------------------------------------------- CLI
def test_cli_profile_from_litert_writes_a_loadable_profile(tmp_path: Path) -> None:
    out = tmp_path / "phone.json"
    res = CliRunner().invoke(app, ["profile", "--from-litert", str(DATA / "tiny_cpu.csv"),
                                   str(DATA / "tiny_gpu_fused.csv"), "--name", "phone-x",
                                   "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert "the only cuts are 0" in res.output
    m = read_profile(out)
    assert m.device == "phone-x"
    (net,) = profile_networks(m)
    assert net.name == "tiny_cpu" and net.num_layers == 1
    assert "note" in json.loads(out.read_text())["provenance"]


def test_cli_refusal_and_opt_in_flags(tmp_path: Path) -> None:
    out = tmp_path / "phone.json"
    args = ["profile", "--from-litert", str(TOY / "toy_cpu.csv"),
            str(TOY / "toy_gpu_fallback.csv"), "-o", str(out)]
    res = CliRunner().invoke(app, args)
    assert isinstance(res.exception, ProfileImportError) and not out.exists()
    res = CliRunner().invoke(app, [*args, "--allow-cpu-fallback", "--model-name", "toy"])
    assert res.exit_code == 0, res.output
    (net,) = profile_networks(read_profile(out))
    assert net.name == "toy" and net.gpu_us == (900, 1150)


def test_nan_percentages_are_accepted_but_a_nan_time_is_not(tmp_path: Path) -> None:
    # the tool prints nan% when a run's total is 0; only the used columns must be finite
    for src, old, new in (("toy_cpu.csv", "0.000%, 0.000%", "-nan%, nan%"),
                          ("toy_cpu.txt", "0.000%    0.000%", "-nan%    nan%")):
        f = tmp_path / src
        f.write_text((TOY / src).read_text().replace(old, new))
        assert round(parse_benchmark_output(f).rows_total_us) == 5000
    f = tmp_path / "nan_avg.csv"
    f.write_text((TOY / "toy_cpu.csv").read_text().replace("1.000, 1.000", "1.000, nan"))
    with pytest.raises(ProfileImportError, match="must be finite") as exc:
        parse_benchmark_output(f)
    assert (exc.value.line, exc.value.column) == (5, "avg_ms")


# --------------------------------------------------------------------------- encodings
def _rows(run: LiteRTRun) -> list[tuple[str, str, float, int]]:
    return [(r.node_type, r.name, r.avg_ms, r.times_called) for r in run.primary]


@pytest.mark.parametrize("name", ["toy_cpu.txt", "toy_cpu.csv", "toy_gpu_fused.txt"])
def test_a_bom_reads_the_same_rows(tmp_path: Path, name: str) -> None:
    bom = tmp_path / name
    bom.write_bytes(b"\xef\xbb\xbf" + (TOY / name).read_bytes())
    plain = parse_benchmark_output(TOY / name)
    with_bom = parse_benchmark_output(bom)
    assert _rows(with_bom) == _rows(plain) and with_bom.total_avg_us == plain.total_avg_us


def test_a_utf16_log_is_named_not_read_as_no_rows(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """``benchmark_model ... > cpu.log`` in PowerShell writes UTF-16."""
    from tests.helpers.cli import main

    ps = tmp_path / "cpu.log"
    ps.write_bytes((TOY / "toy_cpu.txt").read_text().encode("utf-16"))
    with pytest.raises(ProfileImportError) as exc:
        parse_benchmark_output(ps)
    assert exc.value.path == str(ps) and "UTF-16 encoded" in exc.value.reason
    out = tmp_path / "p.json"
    code, _, err = main(capsys, "profile", "--from-litert", str(ps),
                        str(TOY / "toy_gpu_fused.txt"), "-o", str(out))
    assert code == 2 and f"{ps}: (encoding): UTF-16 encoded" in err and not out.exists()


def test_an_undecodable_byte_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "cpu.txt"
    lines = (TOY / "toy_cpu.txt").read_bytes().split(b"\n")
    lines[4] += b" \xff"
    bad.write_bytes(b"\n".join(lines))
    with pytest.raises(ProfileImportError) as exc:
        parse_benchmark_output(bad)
    assert (exc.value.path, exc.value.line) == (str(bad), 5) and "0xff" in exc.value.reason


def test_cli_refuses_to_write_over_an_input(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.cli import main

    gpu = tmp_path / "gpu.txt"
    gpu.write_bytes((TOY / "toy_gpu_fused.txt").read_bytes())
    code, _, err = main(capsys, "profile", "--from-litert", str(TOY / "toy_cpu.txt"), str(gpu),
                        "-o", str(gpu))
    assert code == 2 and "is the input file" in err
    assert gpu.read_bytes() == (TOY / "toy_gpu_fused.txt").read_bytes()


# ------------------------------------------------- a file holding two runs (appended logs)
def _rows_only(text: str) -> str:
    """The primary Run Order table's header and rows of ``tiny_cpu.csv``, nothing else."""
    lines = text.splitlines()
    start = lines.index("Operator-wise Profiling Info for Regular Benchmark Runs:") + 1
    end = lines.index("", start)
    return "\n".join(lines[start:end]) + "\n"


@pytest.mark.parametrize("kind", ["whole file twice", "table twice", "rows twice"])
def test_a_file_with_two_runs_is_refused(tmp_path: Path, kind: str) -> None:
    """``benchmark_model ... >> run.log`` twice: adding both runs' rows doubled every time
    (a user's CPU-only time of 29740 us where one run says 14870). Refused, naming the
    line where the second run starts."""
    one = (DATA / "tiny_cpu.csv").read_text()
    if kind == "whole file twice":
        text, line = one + one, one.count("\n") + 7
    elif kind == "table twice":  # no "Profiling Info" line: only the table repeats
        table = _rows_only(one)
        text, line = table + "\n" + table, table.count("\n") + 3
    else:  # rows appended under one header
        table = _rows_only(one)
        rows = table.split("\n", 2)[2]
        text, line = table + rows, table.count("\n") + 1
    f = tmp_path / "appended.csv"
    f.write_text(text)
    with pytest.raises(ProfileImportError, match="more than one benchmark run") as info:
        parse_benchmark_csv(f)
    assert info.value.line == line


_HEAD = ("Operator-wise Profiling Info for Regular Benchmark Runs:\n"
         "============================== Run Order ==============================\n"
         "node type, start, first, avg_ms, %, cdf%, mem KB, times called, name\n")
_GPU_FUSED = _HEAD + "TfLiteGpuDelegateV2, 0, 1.0, 1.0, 100%, 100%, 0, 1, [c]:9\n"


@pytest.mark.parametrize(("rows", "timings", "line", "words"), [
    # whole: 2 + 1 + 1 ms, cdf% 50, 75, 100 (4-decimal rounding is within the tolerance)
    (["2.0, 50.0001%, 50.0001%", "1.0, 25%, 75%", "1.0, 25%, 100%"], 4000, None, ""),
    # the last row left out: the table ends at 75% of a 4000 us run (its Timings avg)
    (["2.0, 50%, 50%", "1.0, 25%, 75%"], 4000, 5, "ends at cdf% 75%, not 100%"),
    # the same without a Timings line, which would show an old TFLite's table: refused
    # (a newcomer's attack: case 03's first 11 rows without it gave CPU-only 3462 us)
    (["2.0, 50%, 50%", "1.0, 25%, 75%"], None, 5, "the Timings line after the table"),
    # an old TFLite's table (% of the sum over 200 runs): whole, it ends at 0.5%
    (["2.0, 0.3333%, 0.3333%", "1.0, 0.1667%, 0.5%"], 3000, None, ""),
    # the middle row left out: 50 + 25 != 100
    (["2.0, 50%, 50%", "1.0, 25%, 100%"], None, 5, "missing above this row"),
    # a row repeated (edited logs): 50 + 50 + 25 > 100
    (["2.0, 50%, 50%", "2.0, 50%, 50%", "1.0, 25%, 75%"], None, 5, "repeated, edited"),
    # nan% (a run whose total is 0) and all-zero columns (hand-written files) say nothing
    (["2.0, nan%, nan%", "1.0, nan%, nan%"], None, None, ""),
    (["2.0, 0%, 0%", "1.0, 0%, 0%"], None, None, ""),
])
def test_a_run_order_table_with_rows_left_out_is_refused(tmp_path: Path, rows: list[str],
                                                         timings: int | None,
                                                         line: int | None,
                                                         words: str) -> None:
    """The cdf% column tells an excerpt from the whole table (a newcomer's attack,
    2026-12-02: a CPU log with 11 rows cut out was imported 41% short, exit 0)."""
    names = [*["[a]:0", "[b]:1"][:len(rows) - 1], "[c]:2"]  # the last one produces c
    cpu = tmp_path / "cpu.csv"
    cpu.write_text(_HEAD + "".join(f"OP, 0, {r.split(',')[0]}, {r}, 0, 1, {name}\n"
                                   for r, name in zip(rows, names, strict=True))
                   + ("" if timings is None else
                      f"\nTimings (microseconds): count=50 avg={timings} std=3\n"))
    gpu = tmp_path / "gpu.csv"
    gpu.write_text(_GPU_FUSED)
    if line is None:
        net = network_from_litert_files(cpu, gpu)
        assert net.cpu_us == (round(sum(float(r.split(",")[0]) for r in rows) * 1000),)
        return
    with pytest.raises(ProfileImportError, match="Run Order table is not whole") as info:
        network_from_litert_files(cpu, gpu)
    assert (info.value.line, info.value.column) == (line, "cdf%")
    assert str(info.value).startswith(f"{cpu}: line {line}, cdf%: ")
    assert words in str(info.value)


def test_a_row_past_the_time_bound_names_avg_ms_when_called_once(tmp_path: Path) -> None:
    cpu = tmp_path / "cpu.csv"
    cpu.write_text(_HEAD + "OP, 0, 0.1, 2e9, 50%, 50%, 0, 1, [a]:0\n"
                           "OP, 0, 0.1, 1.0, 50%, 100%, 0, 1, [c]:1\n")
    gpu = tmp_path / "gpu.csv"
    gpu.write_text(_GPU_FUSED)
    with pytest.raises(ProfileImportError, match=r"line 4, avg_ms: avg_ms 2e\+09 x "):
        network_from_litert_files(cpu, gpu)


def test_a_row_past_the_time_bound_names_its_file_and_line(tmp_path: Path) -> None:
    """A newcomer's attack (2026-12-02): ``times called`` 99999999999 gave an error about
    "network 'cpu': layers[0].cpu_us" naming neither the file nor the line."""
    cpu = tmp_path / "cpu.csv"
    cpu.write_text(_HEAD + "OP, 0, 0.1, 0.0930388, 50%, 50%, 0, 99999999999, [a]:0\n"
                           "OP, 0, 0.1, 0.0930388, 50%, 100%, 0, 1, [c]:1\n")
    gpu = tmp_path / "gpu.csv"
    gpu.write_text(_GPU_FUSED)
    with pytest.raises(ProfileImportError) as info:
        network_from_litert_files(cpu, gpu)
    assert str(info.value).startswith(f"{cpu}: line 4, times called: avg_ms 0.0930388 x "
                                      f"times called 1e+11 is ")


@pytest.mark.parametrize("prefix", [
    "12-02 10:00:00.123  4321  4321 I tflite  : ",  # logcat -v threadtime
    "2026-12-02 10:00:00.123  4321  4321 I tflite  : ",  # -v threadtime,year
    "12-02 10:00:00.123 u0_a123  4321  4321 I tflite  : ",  # -v threadtime,uid
    "1764669600.123  4321  4321 I tflite  : ",  # -v epoch
    "  12345.678  4321  4321 I tflite  : ",  # -v monotonic
    "12-02 10:00:00.123 I/tflite  ( 4321): ",  # -v time
    "I/tflite  ( 4321): ",  # -v brief
    "I/tflite  : ",  # -v tag
    "I1202 10:00:00.123456 4321 benchmark_model.cc:123] ",  # absl
    "I20261202 10:00:00.123456 4321 benchmark_model.cc:123] ",  # glog with the year
    "I0000 00:00:1764669600.123456    4321 benchmark_model.cc:123] ",  # absl, no InitializeLog
])
def test_logging_prefixes_are_stripped(tmp_path: Path, prefix: str) -> None:
    """logcat and absl/glog prefixes before every line read as the plain log (a
    newcomer's attack, 2026-12-02: refused with "no Run Order rows")."""
    files = []
    for name in ("toy_cpu.txt", "toy_gpu_fused.txt"):
        files.append(tmp_path / name)
        files[-1].write_text("".join(prefix + ln + "\n"
                                     for ln in (TOY / name).read_text().splitlines()))
    plain = network_from_litert_files(TOY / "toy_cpu.txt", TOY / "toy_gpu_fused.txt")
    got = network_from_litert_files(*files)
    assert (got.gpu_us, got.cpu_us) == (plain.gpu_us, plain.cpu_us) == ((1200,), (5000,))
