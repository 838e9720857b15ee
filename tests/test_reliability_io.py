"""Issue 13, kinds 2-6 and 13: bounds, non-finite numbers, hostile files, atomic writes.

Each test is one reproducer of the issue: the bad input is refused with an
InputError naming the file, the field and the reason (never a wrapped number,
a hang, a traceback or a replaced device).
"""

from __future__ import annotations

import json
import os
import stat
import threading
from pathlib import Path
from typing import Any

import pytest

from splitsched import io as sio
from splitsched import problem
from splitsched.io import (
    InputError,
    NonFiniteError,
    atomic_write_text,
    check_output_dir,
    check_output_path,
    dumps,
    instance_to_dict,
    read_instance,
    read_json,
    read_regular_bytes,
    read_schedule,
)
from splitsched.problem import MAX_TIME_US, Instance, InvariantError, Job, Network
from tests.helpers.builders import edf_counterexample as counterexample_edf


def _write(tmp_path: Path, data: Any, name: str = "inst.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def _inst() -> dict[str, Any]:
    return instance_to_dict(counterexample_edf())


# ----------------------------------------------------------------- kind 2: integer bounds
def test_three_layers_of_2_62_are_refused_not_wrapped(tmp_path: Path) -> None:
    data = _inst()
    net = data["networks"][0]
    net["layers"] = [{"name": f"l{i}", "gpu_us": 2**62, "cpu_us": 1} for i in range(3)]
    net["handoff_us"] = [0, 0, 0, 0]
    with pytest.raises(InputError) as info:
        read_instance(_write(tmp_path, data))
    assert info.value.field == "networks[0].layers[0].gpu_us"
    assert str(MAX_TIME_US) in info.value.reason


def test_2_63_in_a_deadline_is_refused(tmp_path: Path) -> None:
    data = _inst()
    data["jobs"][0]["deadline"] = 2**63
    with pytest.raises(InputError) as info:
        read_instance(_write(tmp_path, data))
    assert info.value.field == "jobs[0].deadline"


def test_a_chain_longer_than_the_bound_is_refused() -> None:
    half = MAX_TIME_US // 2 + 1  # each layer within the bound, the chain not
    with pytest.raises(InvariantError) as info:
        Network(name="n", layer_names=("a", "b"), gpu_us=(half, half), cpu_us=(1, 1),
                handoff_us=(0, 0, 0))
    assert "whole chain" in info.value.reason


def test_instance_sum_bound_leaves_room(monkeypatch: pytest.MonkeyPatch) -> None:
    # The bound is 2**62; the check is the same arithmetic at any scale, so it is
    # exercised with a small bound instead of two million jobs.
    monkeypatch.setattr(problem, "MAX_INSTANCE_SUM_US", 100)
    net = Network(name="n", layer_names=("a",), gpu_us=(30,), cpu_us=(30,), handoff_us=(0, 0))
    Instance(id="ok", networks=(net,), jobs=(Job("j0", "n", 0, 40),))  # 40 + 60 = 100
    with pytest.raises(InvariantError) as info:
        Instance(id="big", networks=(net,), jobs=(Job("j0", "n", 0, 41),))
    assert info.value.field == "jobs"


@pytest.mark.parametrize("weight", [0, 2**31, -1])
def test_weight_bounds(weight: int) -> None:
    with pytest.raises(InvariantError) as info:
        Job("j", "n", 0, 5, weight)
    assert info.value.field == "weight"


# ----------------------------------------------------------------- kind 13: strict types
@pytest.mark.parametrize("value", ["628008", "2", True, 5.0, 5.5])
def test_integers_are_integers(tmp_path: Path, value: Any) -> None:
    data = _inst()
    data["jobs"][0]["deadline"] = value
    with pytest.raises(InputError) as info:
        read_instance(_write(tmp_path, data))
    assert info.value.field == "jobs[0].deadline"
    assert "integer" in info.value.reason


def test_weight_true_is_not_one(tmp_path: Path) -> None:
    data = _inst()
    data["jobs"][0]["weight"] = True
    with pytest.raises(InputError, match=r"jobs\[0\]\.weight"):
        read_instance(_write(tmp_path, data))


def test_partial_per_layer_spread_is_an_error(tmp_path: Path) -> None:
    data = _inst()
    data["networks"][0]["layers"][0]["gpu_sd_us"] = 1.5  # layer 1 has none
    with pytest.raises(InputError) as info:
        read_instance(_write(tmp_path, data))
    assert info.value.field == "networks[0].layers[1].gpu_sd_us"
    assert "every layer" in info.value.reason


def test_full_per_layer_spread_is_kept(tmp_path: Path) -> None:
    data = _inst()
    for layer in data["networks"][0]["layers"]:
        layer["gpu_sd_us"] = 2
    inst = read_instance(_write(tmp_path, data))
    assert inst.networks[0].gpu_sd_us == (2.0, 2.0)


# ----------------------------------------------------------------- kind 3: non-finite
@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_non_finite_numbers_in_files_are_refused(tmp_path: Path, literal: str) -> None:
    text = json.dumps(_inst()).replace('"deadline": 7', f'"deadline": {literal}', 1)
    path = tmp_path / "nan.json"
    path.write_text(text)
    with pytest.raises(InputError, match="not valid JSON"):
        read_instance(path)


def test_nan_spread_is_refused(tmp_path: Path) -> None:
    net_kwargs = {"name": "n", "layer_names": ("a",), "gpu_us": (1,), "cpu_us": (1,),
                  "handoff_us": (0, 0)}
    with pytest.raises(InvariantError, match="finite"):
        Network(**net_kwargs, gpu_sd_us=(float("nan"),))  # type: ignore[arg-type]


def test_every_json_written_is_strict(tmp_path: Path) -> None:
    with pytest.raises(NonFiniteError, match=r"meta\.bound"):
        dumps({"meta": {"bound": float("nan")}})
    with pytest.raises(NonFiniteError):
        sio.sha256_of([1.0, float("inf")])


# ----------------------------------------------------------------- kind 4: hangs, memory
def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "f.json"
    os.mkfifo(fifo)
    result: list[BaseException] = []
    worker = threading.Thread(target=lambda: _catch(result, read_json, fifo), daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "reading a FIFO blocked"
    assert isinstance(result[0], InputError) and "not a regular file" in str(result[0])


def _catch(out: list[BaseException], fn: Any, *args: Any) -> None:
    try:
        fn(*args)
    except BaseException as exc:
        out.append(exc)


def test_dev_zero_is_refused() -> None:
    with pytest.raises(InputError, match="not a regular file"):
        read_json("/dev/zero")


def test_size_cap(tmp_path: Path) -> None:
    path = _write(tmp_path, _inst())
    with pytest.raises(InputError, match="more than the limit"):
        read_regular_bytes(path, max_bytes=100)


@pytest.mark.parametrize("depth", [200, 100_000])
def test_deeply_nested_json_is_refused(tmp_path: Path, depth: int) -> None:
    text = json.dumps(_inst())[:-1] + ', "provenance2": ' + "[" * depth + "]" * depth + "}"
    path = tmp_path / "deep.json"
    path.write_text(text)
    with pytest.raises(InputError, match="nested too deeply"):
        read_instance(path)


# ----------------------------------------------------------------- kind 5: atomic writes
def test_write_follows_a_symlink(tmp_path: Path) -> None:
    target = tmp_path / "real.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_dangling_symlink_creates_its_target(tmp_path: Path) -> None:
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "sub" / "made.json")
    atomic_write_text(link, "x")
    assert link.is_symlink() and (tmp_path / "sub" / "made.json").read_text() == "x"


def test_dev_null_is_written_through_not_replaced() -> None:
    atomic_write_text("/dev/null", "discarded")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def test_fifo_is_written_through(tmp_path: Path) -> None:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match="no reader"):
        atomic_write_text(fifo, "x")
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()), daemon=True)
    reader.start()
    for _ in range(200):  # wait until the reader has the FIFO open
        try:
            atomic_write_text(fifo, "through")
            break
        except InputError:
            threading.Event().wait(0.01)
    reader.join(10)
    assert got == [b"through"] and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_full_disk_is_an_input_error_and_keeps_the_old_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="No space left"):
        atomic_write_text("/dev/full", "x")
    path = tmp_path / "keep.json"
    path.write_text("old")

    def no_space(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(InputError, match="No space left"):
        atomic_write_text(path, "new")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.json"]  # no temp file left


def test_replacing_keeps_the_file_mode(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("old")
    path.chmod(0o640)
    atomic_write_text(path, "new")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is a directory"):
        atomic_write_text(tmp_path, "x")


# ----------------------------------------------------------------- kind 6: outputs first
def test_output_checks_before_work(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        check_output_path(tmp_path, "--output")
    assert info.value.field == "--output" and "directory" in info.value.reason
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(InputError, match="not a directory"):
        check_output_path(blocker / "sub" / "out.json", "--output")
    check_output_path(tmp_path / "new" / "deeper" / "out.json", "--output")  # creatable
    check_output_path("/dev/null", "--output")
    assert not list(tmp_path.glob(".splitsched-probe-*"))  # the probe file is removed


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_folder_where_no_file_can_be_made_is_refused_before_work() -> None:
    # /proc passes access(W_OK) for root; the write failed only after the solve (a review)
    with pytest.raises(InputError, match="directory /proc") as info:
        check_output_path("/proc/out.json", "--output")
    assert info.value.field == "--output"
    with pytest.raises(InputError, match="/proc") as info:  # an existing run directory
        check_output_dir("/proc", "-o")
    assert info.value.field == "-o"


def test_output_that_is_an_input_is_refused(tmp_path: Path) -> None:
    """Writing a result over the command's own input would destroy it (a newcomer
    ran ``solve mi9.json -o mi9.json``): refused through any path or link."""
    src = tmp_path / "inst.json"
    src.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(src)
    for out in (src, link, tmp_path / "." / "inst.json"):
        with pytest.raises(InputError, match="is the input file") as info:
            check_output_path(out, "--output", inputs=[src])
        assert info.value.field == "--output"
    check_output_path(tmp_path / "other.json", "--output", inputs=[src])  # another file is fine
    check_output_path(src, "--output", inputs=[tmp_path / "missing.json"])


def test_dash_is_not_a_file_name() -> None:
    """``-o -`` wrote a file literally named ``-`` (a newcomer expected standard output)."""
    with pytest.raises(InputError, match="standard output") as info:
        check_output_path("-", "-o")
    assert info.value.field == "-o"
    check_output_path(Path("sub") / "-", "-o")  # a file named "-" in a folder is allowed
    with pytest.raises(InputError, match="not a run directory"):
        check_output_dir("-", "-o")


# Root passes every permission check (CAP_DAC_OVERRIDE): as root, the check runs in a
# child without that capability (setpriv drops it from the bounding set, so the exec'd
# Python has it neither permitted nor effective), not skipped as it was.
DROP_DAC = ["setpriv", "--inh-caps=-all", "--bounding-set=-dac_override,-dac_read_search"]
UNWRITABLE = """
import sys
from pathlib import Path
from splitsched.io import InputError, check_output_path
try:
    check_output_path(Path(sys.argv[1]) / "out.json", "--output")
except InputError as exc:
    print(exc)
else:
    print("accepted")
"""


def _can_drop_dac() -> bool:
    """Whether this root process can run a child without CAP_DAC_OVERRIDE (setpriv)."""
    import shutil
    import subprocess
    import sys

    if shutil.which("setpriv") is None:
        return False
    probe = subprocess.run([*DROP_DAC, sys.executable, "-c", "pass"], capture_output=True,
                           timeout=60)
    return probe.returncode == 0


@pytest.mark.skipif(os.geteuid() == 0 and not _can_drop_dac(),
                    reason="root may write anywhere, and setpriv cannot drop that here")
def test_unwritable_directory_is_refused(tmp_path: Path) -> None:
    import subprocess
    import sys

    from tests.helpers.paths import REPO_ROOT

    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.geteuid() != 0:
            with pytest.raises(InputError, match="not writable"):
                check_output_path(ro / "out.json", "--output")
            return
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        res = subprocess.run([*DROP_DAC, sys.executable, "-c", UNWRITABLE, str(ro)],
                             capture_output=True, text=True, env=env, timeout=120)
        assert res.returncode == 0, res.stderr
        assert res.stdout.strip() == (f"{ro / 'out.json'}: --output: directory {ro} is not "
                                      "writable"), res.stdout
        assert list(ro.iterdir()) == []  # no probe file left
    finally:
        ro.chmod(0o700)


def test_schedule_with_a_string_start_is_refused(tmp_path: Path) -> None:
    data = {"format": "splitsched-schedule", "version": 1, "instance_id": "i", "solver": "s",
            "plans": [{"job": "A", "cut": 1, "gpu_start": "0", "cpu_start": None}]}
    with pytest.raises(InputError) as info:
        read_schedule(_write(tmp_path, data, "s.json"))
    assert info.value.field == "plans[0].gpu_start"


def test_an_integer_too_long_to_read_is_named_without_programmer_advice() -> None:
    from splitsched.io import parse_json_text

    with pytest.raises(InputError, match="an integer of 5001 digits") as info:
        parse_json_text('{"release": ' + "9" * 5001 + "}", "inst.json")
    assert "set_int_max_str_digits" not in str(info.value)
    assert "not valid JSON" not in str(info.value)  # it is valid JSON, over the limit
    assert parse_json_text('{"release": -12}', "inst.json") == {"release": -12}


def test_an_output_typed_as_a_folder_or_empty_is_refused(tmp_path: Path) -> None:
    # `Path("newdir/")` is `newdir`: a file named like the folder was written (a review);
    # "" is read as the current folder. Text paths keep both, so the library refuses them.
    with pytest.raises(InputError, match="ends in '/', so it names a folder") as info:
        check_output_path(f"{tmp_path}/newdir/", "--output")
    assert info.value.field == "--output" and info.value.path == f"{tmp_path}/newdir/"
    with pytest.raises(InputError, match="ends in '/'"):
        sio.write_schedule(read_schedule_like(), f"{tmp_path}/newdir/")
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(InputError, match="an empty path; give a file name"):
        check_output_path("", "--output")
    with pytest.raises(InputError, match="an empty path; give a file name"):
        sio.atomic_write_text("", "x")
    with pytest.raises(InputError, match="an empty path; give a folder name"):
        sio.check_output_dir("", "-o")
    check_output_path(tmp_path / "newdir" / "s.json", "--output")  # a file in it is fine


def read_schedule_like() -> problem.Schedule:
    return problem.Schedule(instance_id="i", solver="s", plans=())


@pytest.mark.parametrize("digits", [4300, 1000, 21])
@pytest.mark.parametrize("sign", ["", "-"])
def test_a_long_integer_is_not_echoed_whole(tmp_path: Path, digits: int, sign: str) -> None:
    # A 4300-digit release (Python reads up to 4300 digits) filled the one-line message with
    # its digits (a review); the message keeps the first 20 and says how many there are.
    data = sio.instance_to_dict(counterexample_edf())
    path = tmp_path / "i.json"
    path.write_text(json.dumps(data).replace('"release": 0', f'"release": {sign}{"7" * digits}',
                                             1))
    with pytest.raises(InputError) as info:
        sio.read_instance(path)
    message = str(info.value)
    assert info.value.field.endswith(".release"), message
    assert message.endswith(f"got {sign}{'7' * 20}...({digits} digits)"), message
    assert len(message) < 200


def test_shown_value_caps_only_long_integers() -> None:
    assert problem.shown_value(10**20 - 1) == "9" * 20
    assert problem.shown_value(10**20) == "1" + "0" * 19 + "...(21 digits)"
    assert problem.shown_value(-(10**5000)) == "-1" + "0" * 19 + "...(5001 digits)"
    assert problem.shown_value(True) == "True" and problem.shown_value("x") == "'x'"


def test_a_json_lines_file_given_as_one_document_is_named(tmp_path: Path) -> None:
    """A runs.jsonl given as an instance (or to `plot`) was refused with a bare `Extra
    data`; the error now says it is JSON lines, naming the records' kind when the first
    line does; a second value on the same line keeps the parser's words."""
    runs = tmp_path / "runs.jsonl"
    runs.write_text('{"schema": "splitsched-run", "solver": "x"}\n{"schema": "splitsched-run"}\n')
    with pytest.raises(InputError) as exc:
        read_instance(runs)
    assert str(exc.value) == (
        f"{runs}: line 2 column 1: not valid JSON: Extra data (one JSON value per line: this "
        "is a JSON-lines file of run records, a runs.jsonl; one JSON document is expected "
        "here)")
    plain = tmp_path / "plain.json"
    plain.write_text('{"a": 1}\n\n{"a": 2}\n')
    with pytest.raises(InputError, match=r"line 3 column 1: not valid JSON: Extra data \(one "
                                         r"JSON value per line: this is a JSON-lines file; "):
        read_instance(plain)
    same_line = tmp_path / "same.json"
    same_line.write_text('{"a": 1} 5')
    with pytest.raises(InputError) as exc:
        read_instance(same_line)
    assert str(exc.value).endswith("line 1 column 10: not valid JSON: Extra data")
