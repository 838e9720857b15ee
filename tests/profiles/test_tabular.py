"""The tool-neutral CSV import (stage table or per-layer table), on hand-made files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from splitsched.cli import app
from splitsched.io import InputError, profile_networks, read_profile
from splitsched.problem import Network
from splitsched.profiles.errors import ProfileImportError
from splitsched.profiles.tabular import read_table_csv
from tests.helpers.paths import DATA_DIR

DATA = DATA_DIR / "profiles" / "csv"


def test_stage_table_and_layer_table_give_the_same_network() -> None:
    (st,) = read_table_csv(DATA / "stages.csv")
    (ly,) = read_table_csv(DATA / "layers.csv", name="stages")
    # layer i: GPU a(i) - a(i-1), CPU b(i-1) - b(i): 1200-0, 4000-1200, 5200-4000; 9000-6500, ...
    assert st.gpu_us == ly.gpu_us == (1200, 2800, 1200)
    assert st.cpu_us == ly.cpu_us == (2500, 4500, 2000)
    assert st.handoff_us == ly.handoff_us == (0, 300, 250, 0)
    assert list(st.stages.a) == [0, 1200, 4000, 5200]
    assert list(st.stages.b) == [9000, 6500, 2000, 0]
    assert st.name == "stages" and ly.layer_names[1] == "block2, with residual"
    assert "stage table" in st.provenance["layout"] and "per-layer" in ly.provenance["layout"]


def test_network_column_groups_rows_and_decimals_round_once() -> None:
    a, b = read_table_csv(DATA / "two_networks_stages.csv")
    assert (a.name, a.gpu_us, a.cpu_us, a.handoff_us) == ("net-a", (400,), (700,), (0, 0))
    # a = 0, 100, 600.6 -> 601: layers 100 and 501
    assert (b.name, b.gpu_us, b.cpu_us, b.handoff_us) == ("net-b", (100, 501), (100, 900),
                                                          (0, 20, 0))


def test_layer_table_with_spread_columns(tmp_path: Path) -> None:
    f = tmp_path / "sd.csv"
    f.write_text("Layer,GPU_us,CPU_us,handoff_us,gpu_sd_us,cpu_sd_us\n"
                 "l1,10,20,5,1.5,2\nl2,30,40,0,0.5,0\n")
    (net,) = read_table_csv(f)
    assert net.gpu_sd_us == (1.5, 0.5) and net.cpu_sd_us == (2.0, 0.0)


STAGE = "cut,a_us,h_us,b_us\n"
LAYER = "layer,gpu_us,cpu_us,handoff_us\n"


@pytest.mark.parametrize(("text", "line", "field", "why"), [
    (STAGE + "0,0,0,10\n1,5,0,x\n", 3, "b_us", "not a number: 'x'"),
    (STAGE + "0,0,0,10\n1,5,0,\n", 3, "b_us", "missing value"),
    (STAGE + "0,0,0,10\n1,-5,0,0\n", 3, "a_us", "finite time >= 0"),
    (STAGE + "0,0,0,10\n2,5,0,0\n", 3, "cut", "expected 1, got 2"),
    (STAGE + "0,0,0,10\n1,8,3,4\n2,6,0,0\n", 4, "a_us", "a must never decrease"),
    (STAGE + "0,0,0,10\n1,8,3,12\n2,9,0,0\n", 3, "b_us", "b must never increase"),
    (STAGE + "0,1,0,10\n1,5,0,0\n", 2, "a_us", "a(0) = 0"),
    (STAGE + "0,0,2,10\n1,5,0,0\n", 2, "h_us", "h(0) = 0"),
    (STAGE + "0,0,0,10\n1,5,7,0\n", 3, "h_us", "h(L) = 0"),
    (STAGE + "0,0,0,10\n1,5,0,1\n", 3, "b_us", "b(L) = 0"),
    (STAGE + "0,0,0,10\n", 2, "cut", "only cut 0"),
    (STAGE + "0,0,0\n", 2, "(row)", "expected 4 fields"),
    (LAYER + "l1,10,20,5\nl2,30,40,6\n", 3, "handoff_us", "last layer"),
    (LAYER + "l1,10,20,5\n,30,40,0\n", 3, "layer", "empty layer name"),
    ("cut,a_us,h_us,cpu_us\n0,0,0,1\n", 1, "header", "a mix of both layouts"),
    ("k,a,h,b,extra\n0,0,0,1\n", 1, "header", "unknown column(s) ['extra']"),
    ("k,a,b\n0,0,1\n", 1, "header", "missing column(s) ['h']"),
    ("cut,a_us,h_us,b_us,k\n", 1, "header", "given twice: ['cut']"),
])
def test_bad_rows_name_file_line_field_reason(tmp_path: Path, text: str, line: int,
                                              field: str, why: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(ProfileImportError) as exc:
        read_table_csv(f)
    assert (exc.value.path, exc.value.line, exc.value.column) == (str(f), line, field)
    assert why in exc.value.reason
    assert isinstance(exc.value, ValueError)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    with pytest.raises(ProfileImportError, match="no such file"):
        read_table_csv(tmp_path / "absent.csv")
    f = tmp_path / "empty.csv"
    f.write_text("# only a comment\n\n")
    with pytest.raises(ProfileImportError, match="empty file"):
        read_table_csv(f)
    f.write_text(STAGE)
    with pytest.raises(ProfileImportError, match="no data rows"):
        read_table_csv(f)


def test_cli_from_csv(tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    res = CliRunner().invoke(app, ["profile", "--from-csv", str(DATA / "stages.csv"),
                                   "--name", "my-phone", "--model-name", "net", "-o", str(out)])
    assert res.exit_code == 0, res.output
    m = read_profile(out)
    (net,) = profile_networks(m)
    assert m.device == "my-phone" and net.name == "net" and net.gpu_us == (1200, 2800, 1200)
    bad = tmp_path / "bad.csv"
    bad.write_text(STAGE + "0,0,0,10\n1,5,0,x\n")
    res = CliRunner().invoke(app, ["profile", "--from-csv", str(bad), "-o",
                                   str(tmp_path / "q.json")])
    assert isinstance(res.exception, ProfileImportError)
    assert not (tmp_path / "q.json").exists()


# --------------------------------------------------------------------------- encodings, bounds
def _numbers(nets: list[Network]) -> list[tuple[object, ...]]:
    return [(n.name, n.gpu_us, n.cpu_us, n.handoff_us, n.gpu_sd_us, n.cpu_sd_us) for n in nets]


@pytest.mark.parametrize("name", ["stages.csv", "layers.csv", "two_networks_stages.csv"])
def test_a_utf8_bom_reads_the_same_numbers(tmp_path: Path, name: str) -> None:
    """Excel's "CSV UTF-8" writes a BOM; the first column must not become '\\ufeffcut'."""
    bom = tmp_path / name
    bom.write_bytes(b"\xef\xbb\xbf" + (DATA / name).read_bytes())
    assert _numbers(read_table_csv(bom)) == _numbers(read_table_csv(DATA / name))


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le"])
def test_utf16_csv_is_named_as_such(tmp_path: Path, encoding: str) -> None:
    f = tmp_path / "ps.csv"
    f.write_bytes((DATA / "stages.csv").read_text().encode(encoding))
    with pytest.raises(ProfileImportError) as exc:
        read_table_csv(f)
    assert exc.value.path == str(f)
    assert "UTF-16 encoded (a PowerShell redirect?); save it as UTF-8" in exc.value.reason


def test_a_latin1_byte_names_its_line(tmp_path: Path) -> None:
    f = tmp_path / "latin1.csv"
    f.write_bytes((LAYER + "conv1,1,2,3\nd\u00e9conv,4,5,0\n").encode("latin-1"))
    with pytest.raises(ProfileImportError) as exc:
        read_table_csv(f)
    assert (exc.value.path, exc.value.line) == (str(f), 3)
    assert "0xe9" in exc.value.reason


@pytest.mark.parametrize(("sep", "said"), [(";", "';'"), (" ", "spaces")])
def test_a_semicolon_header_gets_a_hint(tmp_path: Path, sep: str, said: str) -> None:
    """Spaces too: a newcomer's attack (2026-12-02) got no hint for them."""
    f = tmp_path / "semi.csv"
    f.write_text(STAGE.replace(",", sep) + f"0{sep}0{sep}0{sep}10\n1{sep}5{sep}0{sep}0\n")
    with pytest.raises(ProfileImportError) as exc:
        read_table_csv(f)
    assert (exc.value.line, exc.value.column) == (1, "header")
    assert f"separated by {said}" in exc.value.reason


@pytest.mark.parametrize(("value", "shown"), [
    ("1e30", "'1e30'"),
    ("9" * 300, "1e+300 (a 300-character number)"),
], ids=["1e30", "300-digits"])
def test_an_oversized_time_names_file_line_column_and_limit(tmp_path: Path, value: str,
                                                            shown: str) -> None:
    """The column the user wrote (a_us, line 5), not a derived layers[i].gpu_us."""
    f = tmp_path / "big.csv"
    f.write_text(STAGE + f"0,0,0,0\n1,0,0,0\n2,0,0,0\n3,{value},0,0\n")
    with pytest.raises(ProfileImportError) as exc:
        read_table_csv(f)
    assert (exc.value.path, exc.value.line, exc.value.column) == (str(f), 5, "a_us")
    assert "at most 1099511627776 us" in exc.value.reason and exc.value.reason.endswith(shown)
    assert len(exc.value.reason) < 150


def test_a_per_layer_column_summing_past_the_bound_names_the_lines(tmp_path: Path) -> None:
    """Each time is within 2**40 us, their sum (the whole GPU chain) is not."""
    f = tmp_path / "sum.csv"
    f.write_text(LAYER + f"a,{2**39},1,1\nb,{2**39},1,1\nc,1,1,0\n")
    with pytest.raises(ProfileImportError) as exc:
        read_table_csv(f)
    assert exc.value.path == str(f) and exc.value.column == "lines 2-4, gpu_us"
    assert "sums to 1.09951e+12 us" in exc.value.reason


def test_a_directory_is_named_as_one(tmp_path: Path) -> None:
    with pytest.raises(ProfileImportError, match="is a directory"):
        read_table_csv(tmp_path)


def test_cli_bad_csv_exits_2_naming_file_and_line(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.cli import main

    big = tmp_path / "big.csv"
    big.write_text(STAGE + "0,0,0,10\n1," + "9" * 300 + ",0,0\n")
    ps = tmp_path / "ps.csv"
    ps.write_bytes((DATA / "stages.csv").read_text().encode("utf-16"))
    for bad, says in ((big, f"{big}: line 3, a_us: must be at most"),
                      (ps, f"{ps}: (encoding): UTF-16 encoded"),
                      (tmp_path, f"{tmp_path}: (file): is a directory")):
        out = tmp_path / "p.json"
        code, _, err = main(capsys, "profile", "--from-csv", str(bad), "-o", str(out))
        assert code == 2 and says in err and "Traceback" not in err, err
        assert "9" * 30 not in err
        assert not out.exists()


def test_cli_refuses_to_write_over_its_input(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from tests.helpers.cli import main

    src = tmp_path / "ok.csv"
    src.write_bytes((DATA / "stages.csv").read_bytes())
    link = tmp_path / "link.csv"
    link.symlink_to(src)
    for out in (src, link):
        code, _, err = main(capsys, "profile", "--from-csv", str(src), "--name", "p",
                            "-o", str(out))
        assert code == 2 and "is the input file" in err, err
        assert src.read_bytes() == (DATA / "stages.csv").read_bytes()


@pytest.mark.parametrize(("flag", "value", "char"), [
    ("--name", "q\x1b[31m", "holds the control character '\\x1b'"),
    ("--name", "a\nb", "holds the control character '\\n'"),
    ("--model-name", "x\ty", "holds the control character '\\t'"),
    ("--name", " ", "' ': a name must not be blank"),  # ids like 'poisson- -n3-l1-s1'
    ("--model-name", "net ", "'net ': a name must not be blank nor begin or end")])
def test_cli_unprintable_names_are_refused_before_writing(tmp_path: Path, flag: str,
                                                          value: str, char: str) -> None:
    """A newcomer's attack (2026-12-02): ``--name`` with an escape sequence or a newline
    was written into the profile (exit 0), which ``generate --profile`` then refused;
    ``--model-name`` with a tab failed without naming the flag. Both are refused up
    front, exit 2, nothing written."""
    out = tmp_path / "p.json"
    res = CliRunner().invoke(app, ["profile", "--from-csv", str(DATA / "stages.csv"), flag,
                                   value, "-o", str(out)])
    assert isinstance(res.exception, InputError)  # the CLI's main exits 2 on it
    assert str(res.exception).startswith(f"{flag}: {char}")
    assert not out.exists()
