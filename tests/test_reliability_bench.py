"""Issue 13 at the bench: kinds 6-11, 14 and 15, each reproducer a test.

Runs go through real isolated workers (one small instance, test-only solvers
registered from a module file every worker imports), so what is asserted is
what a user's run directory would hold.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest

from splitsched.bench import sweep as sweep_mod
from splitsched.bench import worker as worker_mod
from splitsched.bench.records import (
    HarnessStatus,
    RunDirLock,
    RunRecord,
    append_record,
    read_runs,
)
from splitsched.bench.report import build_report
from splitsched.bench.sweep import SweepConfig, execute, prepare, run_sweep
from splitsched.bench.worker import HEAD_BYTES, TAIL_BYTES, clean_stale_run_dirs
from splitsched.io import InputError, read_schedule, write_instance
from splitsched.problem import Instance, Job, Network
from splitsched.solvers.base import SolveStatus

SOLVERS = '''
import os
import subprocess
import sys
import time

from splitsched.solvers.base import SolverOutput, all_dropped, register


@register("rb-nan", "test only: NaN bound and NaN stats", exact=True)
def nan(instance, *, time_limit_s, seed, threads):
    return SolverOutput(schedule=all_dropped(instance, "rb-nan"), status="feasible",
                        bound=float("nan"), stats={"gap": float("nan"), "ok": 1.5})


@register("rb-late", "test only: answers at 2.5 s whatever the limit")
def late(instance, *, time_limit_s, seed, threads):
    time.sleep(2.5)
    return SolverOutput(schedule=all_dropped(instance, "rb-late"), status="feasible")


@register("rb-chatty", "test only: prints 20 MB, then answers")
def chatty(instance, *, time_limit_s, seed, threads):
    line = "x" * 1023 + "\\n"
    for _ in range(20 * 1024):
        sys.stdout.write(line)
    sys.stdout.write("THE-END\\n")
    sys.stdout.flush()
    return SolverOutput(schedule=all_dropped(instance, "rb-chatty"), status="feasible")


def _escapee():
    child = subprocess.Popen(["sleep", "300"], start_new_session=True)
    with open(os.environ["RB_PIDFILE"], "a") as fh:
        fh.write(f"{child.pid}\\n")


@register("rb-setsid", "test only: leaves a setsid child behind and answers")
def setsid(instance, *, time_limit_s, seed, threads):
    _escapee()
    return SolverOutput(schedule=all_dropped(instance, "rb-setsid"), status="feasible")


@register("rb-setsid-hang", "test only: leaves a setsid child behind and hangs")
def setsid_hang(instance, *, time_limit_s, seed, threads):
    _escapee()
    while True:
        time.sleep(1)
'''

NET = Network(name="net", layer_names=("l1", "l2"), gpu_us=(10, 20), cpu_us=(25, 25),
              handoff_us=(0, 5, 0))


def one_instance(directory: Path, ident: str = "pair", name: str = "pair.json") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    inst = Instance(id=ident, networks=(NET,),
                    jobs=(Job("j0", "net", 0, 30), Job("j1", "net", 0, 50)))
    write_instance(inst, directory / name)
    return directory


@pytest.fixture(scope="module")
def module_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("rb") / "rb_solvers.py"
    path.write_text(SOLVERS)
    return str(path)


@pytest.fixture(scope="module")
def the_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return one_instance(tmp_path_factory.mktemp("set"))


def cfg(the_set: Path, run_dir: Path, solvers: tuple[str, ...], module: str | None = None,
        **kw: Any) -> SweepConfig:
    base: dict[str, Any] = {"time_limit_s": 1.0, "grace_s": 3.0, "mem_limit_mb": 2048}
    return SweepConfig(set_ref=str(the_set), solvers=solvers, run_dir=run_dir,
                       extra_modules=(module,) if module else (), **(base | kw))


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str]:
    from splitsched.cli import main

    monkeypatch.setattr(sys, "argv", ["splitsched", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0), ""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


# ----------------------------------------------------------------- kind 3 and 6: records
def test_nan_from_a_solver_never_reaches_a_file(tmp_path: Path, the_set: Path,
                                                module_file: str) -> None:
    run_dir = tmp_path / "run"
    res = run_sweep(cfg(the_set, run_dir, ("rb-nan",), module_file))
    rec = res.new_records[0]
    assert rec.bound is None and rec.stats["gap"] is None and rec.stats["ok"] == 1.5
    for line in (run_dir / "runs.jsonl").read_text().splitlines():
        json.loads(line, parse_constant=lambda c: pytest.fail(f"non-finite {c} written"))
    build_report(run_dir)  # the directory stays usable


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d.pop("solver"), "line 1.solver"),
    (lambda d: d.__setitem__("bound", "NaN"), "line 1.bound"),
    (lambda d: d.__setitem__("seed", "0"), "line 1.seed"),
    (lambda d: d.__setitem__("status", "great"), "line 1.status"),
])
def test_records_file_with_a_bad_field_is_refused(tmp_path: Path, mutate: Any,
                                                  field: str) -> None:
    rec = RunRecord(instance_id="i", instance_sha256="h", solver="s", seed=0, time_limit_s=1.0,
                    threads=1, status=SolveStatus.FEASIBLE).to_dict()
    mutate(rec)
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps(rec) + "\n")
    with pytest.raises(InputError) as info:
        read_runs(path)
    assert info.value.field == field


def test_report_on_a_record_missing_a_field_exits_2(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    rec = RunRecord(instance_id="i", instance_sha256="h", solver="s", seed=0, time_limit_s=1.0,
                    threads=1, status=SolveStatus.FEASIBLE).to_dict()
    del rec["threads"]
    (run_dir / "runs.jsonl").write_text(json.dumps(rec) + "\n")
    code, _ = _main(monkeypatch, "report", str(run_dir))
    err = capsys.readouterr().err
    assert code == 2 and "line 1.threads: required field missing" in err


def test_solver_module_that_fails_to_import_is_input_error(tmp_path: Path,
                                                          the_set: Path) -> None:
    bad = tmp_path / "bad_module.py"
    bad.write_text("raise RuntimeError('boom at import')\n")
    with pytest.raises(InputError) as info:
        prepare(cfg(the_set, tmp_path / "run", ("fifo-gpu",), str(bad)))
    assert info.value.field == "--solver-module" and "boom at import" in info.value.reason


@pytest.mark.parametrize("ref", ["plugdir", "plugdir/", "./plugdir", "{tmp}/plugdir"])
def test_solver_module_that_is_a_folder_is_refused(tmp_path: Path, the_set: Path,
                                                   monkeypatch: pytest.MonkeyPatch,
                                                   ref: str) -> None:
    # A folder given as --solver-module (a namespace package when named bare) was
    # accepted silently and the sweep ran without the solvers it meant to add (a review).
    (tmp_path / "plugdir").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    module = ref.format(tmp=tmp_path)
    with pytest.raises(InputError) as info:
        prepare(cfg(the_set, tmp_path / "run", ("fifo-gpu",), module))
    assert info.value.field == "--solver-module" and info.value.path == module
    assert "folder" in info.value.reason, info.value.reason
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("as_file", [True, False])
def test_solver_module_that_registers_no_solver_is_refused(
        tmp_path: Path, the_set: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], as_file: bool) -> None:
    # It imported fine and registered nothing (a typo in the decorator, the wrong file): the
    # sweep ran without it, silently (a review).
    (tmp_path / "noreg_plugin.py").write_text(
        "from splitsched.solvers.base import register  # imported, never called\nX = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = str(tmp_path / "noreg_plugin.py") if as_file else "noreg_plugin"
    with pytest.raises(InputError) as info:
        prepare(cfg(the_set, tmp_path / "run", ("fifo-gpu",), module))
    assert info.value.field == "--solver-module"
    assert info.value.reason.startswith("registers no solver"), info.value.reason
    code, _ = _main(monkeypatch, "bench", "--set", str(the_set), "--solvers", "fifo-gpu",
                    "-o", str(tmp_path / "run"), "--solver-module", module)
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(f"error: {module}: --solver-module: registers no "
                                        "solver"), err
    assert not (tmp_path / "run").exists()


def test_solver_module_that_registers_a_solver_is_accepted(module_file: str, the_set: Path,
                                                           tmp_path: Path) -> None:
    for _ in range(2):  # the second time the module is cached and adds no name: still its
        prep = prepare(cfg(the_set, tmp_path / "run", ("rb-nan",), module_file))
        assert len(prep.tasks) == 1


@pytest.mark.parametrize("mem", [0, -5])
def test_mem_limit_zero_is_refused(tmp_path: Path, the_set: Path, mem: int) -> None:
    with pytest.raises(InputError, match="--mem-limit-mb") as info:
        prepare(cfg(the_set, tmp_path / "run", ("fifo-gpu",), mem_limit_mb=mem))
    # the note on 0 only where 0 was given (a review read it under -5)
    assert ("0 is not 'no limit'" in info.value.reason) == (mem == 0)


def test_unreachable_scheduler_leaves_no_run_directory(tmp_path: Path, the_set: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(sweep_mod, "DASK_CONNECT_TIMEOUT_S", 2.0)
    run_dir = tmp_path / "run"
    with pytest.raises(InputError) as info:
        run_sweep(cfg(the_set, run_dir, ("fifo-gpu",), scheduler="tcp://127.0.0.1:9"))
    assert info.value.field == "--scheduler"
    assert not run_dir.exists()


# ----------------------------------------------------------------- kind 7: infrastructure
def test_infrastructure_failure_is_not_a_run_and_resume_reruns_it(
        tmp_path: Path, the_set: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = worker_mod.run_isolated

    def flaky(spec: Any) -> Any:
        if spec.solver == "fifo-gpu":
            raise OSError("connection to the scheduler lost")  # the executor, not the solver
        return real(spec)

    monkeypatch.setattr(sweep_mod, "run_isolated", flaky)
    run_dir = tmp_path / "run"
    res = run_sweep(cfg(the_set, run_dir, ("fifo-gpu", "edf-greedy-cut")))
    assert [(f.solver, f.instance_id) for f in res.infra_failures] == [("fifo-gpu", "pair")]
    assert [r.solver for r in read_runs(run_dir / "runs.jsonl").records] == ["edf-greedy-cut"]
    assert "scheduler lost" in (run_dir / "infra.jsonl").read_text()
    monkeypatch.setattr(sweep_mod, "run_isolated", real)
    again = run_sweep(cfg(the_set, run_dir, ("fifo-gpu", "edf-greedy-cut"), resume=True))
    assert [r.solver for r in again.new_records] == ["fifo-gpu"] and not again.infra_failures
    assert again.skipped == 1


def test_bench_exits_3_on_infrastructure_failure(tmp_path: Path, the_set: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(spec: Any) -> Any:
        raise OSError("no space for the run's temporary directory")

    monkeypatch.setattr(sweep_mod, "run_isolated", broken)
    code, _ = _main(monkeypatch, "bench", "--set", str(the_set), "--solvers", "fifo-gpu",
                    "-o", str(tmp_path / "run"))
    assert code == 3


def test_result_of_a_lost_future_is_infra() -> None:
    class Lost:
        def result(self) -> Any:
            raise RuntimeError("scheduler connection closed")

    raw = sweep_mod._result_or_infra(Lost())
    assert raw.status == HarnessStatus.INFRA.value


# ----------------------------------------------------------------- kind 8: one writer
def test_second_writer_is_refused(tmp_path: Path, the_set: Path,
                                  monkeypatch: pytest.MonkeyPatch,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    run_dir = tmp_path / "run"
    with RunDirLock(run_dir):
        with pytest.raises(InputError, match="another splitsched process"):
            execute(prepare(cfg(the_set, run_dir, ("fifo-gpu",))))
        code, _ = _main(monkeypatch, "bench", "--set", str(the_set), "--solvers", "fifo-gpu",
                        "-o", str(run_dir), "--resume")
        assert code == 2
        err = capsys.readouterr().err
        assert f"pid {os.getpid()}" in err
        # refused before the sweep says what it would run (it printed its plan and a bar)
        assert len(err.strip().splitlines()) == 1 and err.startswith("error: "), err
        with pytest.raises(InputError, match="another splitsched process"):
            prepare(cfg(the_set, run_dir, ("fifo-gpu",)))  # the check itself, in prepare
    assert not (run_dir / "runs.jsonl").exists()
    run_sweep(cfg(the_set, run_dir, ("fifo-gpu",)))  # the lock is gone with its holder


def test_report_counts_a_duplicated_run_once(tmp_path: Path, the_set: Path) -> None:
    run_dir = tmp_path / "run"
    res = run_sweep(cfg(the_set, run_dir, ("fifo-gpu",)))
    append_record(run_dir / "runs.jsonl", res.new_records[0])  # as two writers once did
    rep = build_report(run_dir)
    assert rep.duplicates == 1
    assert int(rep.tables["solvers"]["runs"].iloc[0]) == 1


# ----------------------------------------------------------------- kind 9: schedule names
def test_schedule_files_do_not_collide(tmp_path: Path) -> None:
    d = tmp_path / "set"
    one_instance(d, "coll/x", "a.json")
    one_instance(d, "coll_x", "b.json")
    res = run_sweep(SweepConfig(set_ref=str(d), solvers=("fifo-gpu",), run_dir=tmp_path / "r",
                                time_limit_s=1.0))
    files = [r.schedule_file for r in res.new_records]
    assert len(set(files)) == 2
    for r in res.new_records:
        assert read_schedule(tmp_path / "r" / str(r.schedule_file)).instance_id == r.instance_id


# ----------------------------------------------------------------- kind 10: resume
def test_resume_with_other_settings_is_refused(tmp_path: Path, the_set: Path) -> None:
    run_dir = tmp_path / "run"
    run_sweep(cfg(the_set, run_dir, ("fifo-gpu",)))
    with pytest.raises(InputError) as info:
        prepare(cfg(the_set, run_dir, ("fifo-gpu", "edf-gpu"), time_limit_s=2.0, resume=True))
    assert "time_limit_s: 1.0 -> 2.0" in info.value.reason
    assert "solvers: ['fifo-gpu'] -> ['fifo-gpu', 'edf-gpu']" in info.value.reason
    prepare(cfg(the_set, run_dir, ("fifo-gpu",), workers=2, resume=True))  # workers may differ


# ----------------------------------------------------------------- kind 11: soft limits
def test_answer_past_the_tolerance_is_a_timeout_with_its_schedule(
        tmp_path: Path, the_set: Path, module_file: str) -> None:
    # limit 1 s, tolerance max(0.5 s, 5 %) = 0.5 s: an answer at 2.5 s is past it
    res = run_sweep(cfg(the_set, tmp_path / "run", ("rb-late",), module_file, grace_s=10.0))
    rec = res.new_records[0]
    assert rec.status is SolveStatus.TIMEOUT
    assert rec.schedule_file is not None and rec.feasible
    assert rec.stats["over_time_limit_s"] >= 1.0


# ----------------------------------------------------------------- kind 14: output cap
def test_captured_output_is_capped(tmp_path: Path, the_set: Path, module_file: str) -> None:
    res = run_sweep(cfg(the_set, tmp_path / "run", ("rb-chatty",), module_file))
    rec = res.new_records[0]
    assert rec.status is SolveStatus.FEASIBLE and rec.log_tail == ""  # kept only on failure
    raw = worker_mod.run_isolated(prepare(cfg(the_set, tmp_path / "r2", ("rb-chatty",),
                                              module_file)).tasks[0].spec)
    tail = raw.log_tail
    assert len(tail) < HEAD_BYTES + TAIL_BYTES + 100
    assert "bytes of output dropped" in tail and tail.rstrip().endswith("THE-END")


# ----------------------------------------------------------------- kind 15: escapees
@pytest.mark.parametrize("solver", ["rb-setsid", "rb-setsid-hang"])
def test_setsid_children_die_with_their_run(tmp_path: Path, the_set: Path, module_file: str,
                                            monkeypatch: pytest.MonkeyPatch,
                                            solver: str) -> None:
    pidfile = tmp_path / "pids"
    monkeypatch.setenv("RB_PIDFILE", str(pidfile))
    res = run_sweep(cfg(the_set, tmp_path / "run", (solver,), module_file, grace_s=0.5))
    assert res.new_records[0].status in (SolveStatus.FEASIBLE, HarnessStatus.KILLED)
    pids = [int(p) for p in pidfile.read_text().split()]
    assert pids
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.05)
    alive = [p for p in pids if _alive(p)]
    for p in alive:  # never leave a stray sleep behind, even when the test fails
        os.kill(p, signal.SIGKILL)
    assert not alive


def test_stale_run_directories_are_removed(tmp_path: Path) -> None:
    me = os.getpid()
    start = worker_mod._proc_start_time(me)
    mine = tmp_path / f"splitsched-run-{me}.{start}-live"
    dead = tmp_path / f"splitsched-run-{me}.{(start or 0) + 1}-dead"  # same pid, other start
    other = tmp_path / "splitsched-run-unrelated"
    for d in (mine, dead, other):
        d.mkdir()
        (d / "spec.json").write_text("{}")
    assert clean_stale_run_dirs(str(tmp_path)) == [dead]
    assert mine.exists() and other.exists() and not dead.exists()


def test_run_temp_dirs_name_their_owner() -> None:
    prefix = worker_mod._run_dir_prefix()
    assert prefix.startswith(f"splitsched-run-{os.getpid()}.")
    assert Path(tempfile.gettempdir()).is_dir()


def test_resume_with_nothing_left_says_so_without_a_bar(
        tmp_path: Path, the_set: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # `bench --resume` on a finished run directory drew an empty 0/0 progress bar (a review).
    run_dir = tmp_path / "run"
    args = ("bench", "--set", str(the_set), "--solvers", "fifo-gpu", "-o", str(run_dir),
            "--time-limit", "5")
    code, _ = _main(monkeypatch, *args)
    first = capsys.readouterr().err
    assert code == 0 and f"1 run now, 1 in {run_dir / 'runs.jsonl'}" in first, first
    code, _ = _main(monkeypatch, *args, "--resume")
    err = capsys.readouterr().err
    assert code == 0, err
    lines = err.strip().splitlines()
    assert lines[0] == (f"resume: nothing left to do: all 1 run of the sweep already "
                        f"recorded in {run_dir}"), err
    assert "0/0" not in err and "bench " not in err  # no bar
    assert lines[1].startswith(f"0 runs now, 1 in {run_dir / 'runs.jsonl'}"), err


@pytest.mark.parametrize(("address", "why"), [
    ("bogus", "missing port number"), ("tcp://host-without-port", "missing port number"),
    ("http://localhost:1", "unknown address scheme 'http'"),
    ("tcp://localhost:99999", "port 99999 out of range")])
def test_a_malformed_scheduler_address_is_named_as_such(tmp_path: Path, the_set: Path,
                                                        address: str, why: str) -> None:
    """A newcomer's attack (2026-12-02): ``--scheduler bogus`` said "cannot reach 'bogus'
    within 10 s: ValueError: missing port number" for an address that is not one (and
    port 99999 waited 10 s for a time-out)."""
    pytest.importorskip("distributed")
    run_dir = tmp_path / "run"
    with pytest.raises(InputError, match=f"not a scheduler address: {why}") as info:
        run_sweep(cfg(the_set, run_dir, ("fifo-gpu",), scheduler=address))
    assert info.value.field == "--scheduler" and "cannot reach" not in str(info.value)
    assert not run_dir.exists()
