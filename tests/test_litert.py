"""LiteRT benchmark_model CSV parser, on files written in the documented format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from splitsched.cli import app
from splitsched.io import InputError, profile_networks, read_profile
from splitsched.profiles.litert import network_from_litert, parse_benchmark_csv

DATA = Path(__file__).parent / "data" / "litert"


def test_parses_only_the_regular_runs_run_order_table() -> None:
    run = parse_benchmark_csv(DATA / "tiny_cpu.csv")
    # init table (ModifyGraphWithDelegate) and Top-by-time rows are not operators
    assert [r.node_type for r in run.primary] == [
        "CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"]
    # name with a comma inside stays whole; node index and brackets stripped for matching
    assert run.primary[4].key == "tiny/logits/MatMul, tiny/logits/BiasAdd"
    # per-inference time = avg_ms per call x times called: 0.100 ms x 2
    assert run.primary[3].per_run_us == pytest.approx(200.0)
    assert run.total_avg_us == 5000 and run.total_std_us == 100


def test_per_operator_gpu_times_matched_by_name() -> None:
    net = network_from_litert("tiny", parse_benchmark_csv(DATA / "tiny_cpu.csv"),
                              parse_benchmark_csv(DATA / "tiny_gpu_perop.csv"), handoff_us=40)
    assert net.cpu_us == (1250, 750, 2000, 200, 600, 200)
    assert net.gpu_us == (300, 200, 450, 100, 250, 200)
    assert net.handoff_us == (0, 40, 40, 40, 40, 40, 0)
    assert "per operator" in net.provenance["granularity"]
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


def test_text_mode_and_missing_file_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="CSV output mode"):
        parse_benchmark_csv(DATA / "not_csv_mode.txt")
    with pytest.raises(InputError, match="no such file"):
        parse_benchmark_csv(tmp_path / "absent.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("STARTING!\n")
    with pytest.raises(InputError, match="no Run Order rows"):
        parse_benchmark_csv(empty)


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
