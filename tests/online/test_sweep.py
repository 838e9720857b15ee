"""The online sweep keeps the bench's promises about its run directory.

Facts: records are bench RunRecords, one per (instance, policy, seed, run)
plus one offline record per instance; ``--resume`` after an interruption (an
exception mid-sweep, a torn last line, ``kill -9`` of the CLI) ends with
exactly that set of records, each once, and the same results as an
uninterrupted sweep; ``--resume`` with other settings is refused listing
them; an infrastructure failure is not a run (``infra.jsonl``, exit 3,
rerun by ``--resume``); a policy that raises is a run (status error, exit
1); an old-format online directory, a bench directory and a locked directory
are refused (exit 2) naming the file.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import splitsched.online.sweep as sweep_mod
from splitsched.bench.records import (
    OLD_ONLINE_SCHEMA,
    RunDirLock,
    RunKey,
    WriteFailure,
    online_run_key,
    read_runs,
)
from splitsched.cli import app, main
from splitsched.io import InputError, instance_sha256, read_instance
from splitsched.online.sweep import OnlineConfig, run_sweep
from splitsched.sets import SETS_DIR, iter_set_files
from splitsched.solvers.base import SolveStatus

ROOT = Path(__file__).resolve().parents[2]
POLICIES = ("fifo-gpu", "edf-greedy-cut", "replan:dp-edf")
# generous budget: replan:dp-edf is never cut short, so results repeat exactly
CFG = OnlineConfig(policies=POLICIES, replan_budget_ms=10_000, noise_cv=0.1, runs=2, seed=1,
                   offline_solvers=("dp-edf",), offline_limit_s=10)


def _tiny_set(tmp_path: Path, count: int = 2) -> Path:
    d = tmp_path / "set"
    d.mkdir()
    for p in list(iter_set_files(SETS_DIR / "poisson-n5"))[:count]:
        shutil.copy(p, d / p.name)
    return d


def _expected_keys(set_dir: Path, cfg: OnlineConfig) -> set[RunKey]:
    keys: set[RunKey] = set()
    for p in iter_set_files(set_dir):
        sha = instance_sha256(read_instance(p))
        keys.add(online_run_key("offline", sha, None, cfg.seed, None))
        for r in range(cfg.runs):
            keys.add(online_run_key("static", sha, "static", cfg.seed, r))
            for pol in cfg.policies:
                keys.add(online_run_key("online", sha, pol, cfg.seed, r))
    return keys


def _results(run_dir: Path) -> dict[RunKey, Any]:
    """Each key's result; fails if a key is recorded twice."""
    records = read_runs(run_dir / "runs.jsonl").records
    counts = Counter(r.key for r in records)
    assert max(counts.values()) == 1, [k for k, c in counts.items() if c > 1]
    return {r.key: (r.status.value, r.missed, r.regret) for r in records}


def _patched_run_online(monkeypatch: pytest.MonkeyPatch,
                        fail: Callable[[int, str], BaseException | None]) -> None:
    """Make ``run_online`` raise ``fail(call_number, policy_name)`` when that is not None."""
    real = sweep_mod.run_online
    calls = [0]

    def wrapper(instance: Any, policy: Any, **kw: Any) -> Any:
        calls[0] += 1
        exc = fail(calls[0], getattr(policy, "name", str(policy)))
        if exc is not None:
            raise exc
        return real(instance, policy, **kw)

    monkeypatch.setattr(sweep_mod, "run_online", wrapper)


def test_sweep_records_resume_and_report(tmp_path: Path) -> None:
    d = _tiny_set(tmp_path)
    out = tmp_path / "run"
    first = run_sweep(str(d), CFG, out)
    lines = (out / "runs.jsonl").read_text().splitlines()
    records = read_runs(out / "runs.jsonl").records
    assert first.new_records == 2 * 2 * (len(POLICIES) + 1) and first.errors == 0
    assert {r.key for r in records} == _expected_keys(d, CFG) and len(records) == len(lines)
    for r in records:
        if r.kind != "offline":
            assert r.missed is not None and r.offline_best is not None
            assert r.regret == r.missed - r.offline_best
    assert all(r.feasible and r.status == SolveStatus.FEASIBLE for r in records
               if r.kind != "offline")
    again = run_sweep(str(d), CFG, out, resume=True)
    assert (again.new_records, again.skipped) == (0, first.new_records)
    assert (out / "runs.jsonl").read_text().splitlines() == lines
    with pytest.raises(InputError, match="--resume"):
        run_sweep(str(d), CFG, out)
    for f in ("policies.md", "by_load.csv", "miss_rate_vs_load.png", "latency.png",
              "regret.png", "report.md"):
        assert (out / "report" / f).exists(), f
    assert (out / "online.json").exists() and not (out / "infra.jsonl").exists()
    for r in records:
        assert r.instance_copy is not None and (out / r.instance_copy).is_file()
    # `splitsched report` rebuilds the same tables from the records alone
    table = (out / "report" / "policies.csv").read_text()
    shutil.rmtree(out / "report")
    assert _main("report", str(out)) == 0
    assert (out / "report" / "policies.csv").read_text() == table
    assert (out / "report" / "report.md").exists() and not (out / "report" / "report.html").exists()


def test_resume_refuses_other_settings(tmp_path: Path) -> None:
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    cfg = OnlineConfig(policies=("fifo-gpu",), offline_solvers=("dp-edf",))
    run_sweep(str(d), cfg, out)
    before = (out / "runs.jsonl").read_bytes()
    other = OnlineConfig(policies=("fifo-gpu", "edf-gpu"), noise_cv=0.2,
                         offline_solvers=("dp-edf",))
    with pytest.raises(InputError) as exc:
        run_sweep(str(d), other, out, resume=True)
    assert exc.value.path is not None and Path(exc.value.path).name == "online.json"
    assert "policies: ['fifo-gpu'] -> ['fifo-gpu', 'edf-gpu']" in exc.value.reason
    assert "noise_cv: 0.0 -> 0.2" in exc.value.reason
    assert (out / "runs.jsonl").read_bytes() == before


def test_interrupted_sweep_resumes_to_exactly_one_record_per_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _tiny_set(tmp_path)
    whole = tmp_path / "whole"
    run_sweep(str(d), CFG, whole)
    expected = _results(whole)

    out = tmp_path / "run"
    _patched_run_online(monkeypatch, lambda n, _p: KeyboardInterrupt() if n == 8 else None)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(str(d), CFG, out)
    partial = read_runs(out / "runs.jsonl").records
    assert 0 < len(partial) < len(expected)
    with open(out / "runs.jsonl", "a") as fh:  # and a write cut short by the crash
        fh.write('{"schema": "splitsched-run", "instance_id": "pois')
    monkeypatch.undo()
    with RunDirLock(out):  # the interrupted sweep left no lock behind
        pass
    resumed = run_sweep(str(d), CFG, out, resume=True)
    assert resumed.skipped == len(partial) - 2  # minus the 2 offline records
    assert resumed.new_records == len(expected) - len(partial)
    assert _results(out) == expected
    assert read_runs(out / "runs.jsonl").torn is False


def test_killed_cli_sweep_resumes_to_exactly_one_record_per_run(tmp_path: Path) -> None:
    d = _tiny_set(tmp_path)
    out = tmp_path / "run"
    args = [sys.executable, "-m", "splitsched", "online", "--set", str(d), "--policies",
            ",".join(POLICIES), "--replan-budget-ms", "10000", "--noise-cv", "0.1", "--runs",
            "2", "--seed", "1", "--offline", "dp-edf", "-o", str(out)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    runs = out / "runs.jsonl"
    deadline = time.monotonic() + 240
    while proc.poll() is None and time.monotonic() < deadline:
        if runs.exists() and runs.read_bytes().count(b"\n") >= 3:
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    # killed as soon as 3 records were there (a fast machine may finish first: then the
    # resume below has nothing to do, and the facts still hold)
    killed = proc.returncode == -signal.SIGKILL
    before = len(read_runs(runs).records)
    res = subprocess.run([*args, "--resume"], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    expected = _expected_keys(d, CFG)
    assert set(_results(out)) == expected
    assert not killed or before < len(expected)


def test_infrastructure_failure_is_not_a_run(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    cfg = OnlineConfig(policies=("fifo-gpu", "edf-greedy-cut"), noise_cv=0.1, runs=2,
                       offline_solvers=("dp-edf",))
    seen = Counter[str]()

    def fail(_n: int, policy: str) -> BaseException | None:
        seen[policy] += 1
        if policy == "edf-greedy-cut" and seen[policy] == 2:  # its run 1
            return OSError(28, "No space left on device")
        return None

    _patched_run_online(monkeypatch, fail)
    res = CliRunner().invoke(app, ["online", "--set", str(d), "--policies",
                                   "fifo-gpu,edf-greedy-cut", "--noise-cv", "0.1", "--runs", "2",
                                   "--offline", "dp-edf", "-o", str(out)])
    assert res.exit_code == 3, res.output
    assert "infrastructure failure" in res.output and "--resume" in res.output
    infra = [json.loads(x) for x in (out / "infra.jsonl").read_text().splitlines()]
    assert len(infra) == 1
    assert (infra[0]["policy"], infra[0]["run"]) == ("edf-greedy-cut", 1)
    assert "No space left" in infra[0]["error"]
    keys = set(_results(out))
    sha = instance_sha256(read_instance(next(iter(iter_set_files(d)))))
    lost = online_run_key("online", sha, "edf-greedy-cut", 0, 1)
    assert lost not in keys and len(keys) == len(_expected_keys(d, cfg)) - 1
    monkeypatch.undo()
    again = run_sweep(str(d), cfg, out, resume=True)
    assert again.new_records == 1 and not again.infra_failures
    assert set(_results(out)) == _expected_keys(d, cfg)


def test_a_policy_that_raises_is_a_recorded_error(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    _patched_run_online(monkeypatch, lambda _n, p: ValueError("boom") if p == "fifo-gpu"
                        else None)
    res = CliRunner().invoke(app, ["online", "--set", str(d), "--policies",
                                   "fifo-gpu,edf-greedy-cut", "--offline", "dp-edf", "-o",
                                   str(out)])
    assert res.exit_code == 1, res.output
    records = read_runs(out / "runs.jsonl").records
    bad = [r for r in records if r.status == SolveStatus.ERROR]
    assert [(r.policy, r.error) for r in bad] == [("fifo-gpu", "ValueError: boom")]
    assert any(r.policy == "edf-greedy-cut" and r.status == SolveStatus.FEASIBLE
               for r in records)
    monkeypatch.undo()
    assert run_sweep(str(d), OnlineConfig(policies=("fifo-gpu", "edf-greedy-cut"),
                                          offline_solvers=("dp-edf",)),
                     out, resume=True).new_records == 0  # an error is a finished run


def _main(*args: str) -> int:
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    return int(exc.value.code or 0)


@pytest.mark.parametrize("resume", [[], ["--resume"]])
def test_old_format_run_directory_is_refused(tmp_path: Path, resume: list[str],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "old"
    out.mkdir()
    old = {"schema": OLD_ONLINE_SCHEMA, "version": 1, "kind": "offline", "status": "ok",
           "policy": "offline", "run": -1}
    (out / "runs.jsonl").write_text(json.dumps(old) + "\n")
    (out / "online.json").write_text("{}")
    before = sorted(p.name for p in out.iterdir())
    assert _main("online", "--set", str(d), "--policies", "fifo-gpu", "--offline", "dp-edf",
                 "-o", str(out), *resume) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith("error: ")
    assert str(out / "runs.jsonl") in err and "old format" in err
    assert "new run directory" in err
    assert sorted(p.name for p in out.iterdir()) == before


def test_bench_and_online_directories_are_not_mixed(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    d = _tiny_set(tmp_path, 1)
    bench_dir = tmp_path / "bench"
    assert _main("bench", "--set", str(d), "--solvers", "edf-gpu", "-o", str(bench_dir)) == 0
    capsys.readouterr()
    assert _main("online", "--set", str(d), "--policies", "fifo-gpu", "--offline", "dp-edf",
                 "-o", str(bench_dir), "--resume") == 2
    assert "bench run directory" in capsys.readouterr().err
    online_dir = tmp_path / "online"
    run_sweep(str(d), OnlineConfig(policies=("fifo-gpu",), offline_solvers=("dp-edf",)),
              online_dir)
    assert _main("bench", "--set", str(d), "--solvers", "edf-gpu", "-o", str(online_dir),
                 "--resume") == 2
    assert "online sweep's run directory" in capsys.readouterr().err


def test_a_set_folder_is_refused_as_run_directory(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    d = _tiny_set(tmp_path, 1)
    (tmp_path / "other").mkdir()
    other = _tiny_set(tmp_path / "other", 1)
    before = sorted(p.name for p in other.iterdir())
    assert _main("online", "--set", str(d), "--policies", "fifo-gpu", "--offline", "dp-edf",
                 "-o", str(other)) == 2
    assert "an existing folder that is not a run directory" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == before


def test_a_locked_run_directory_is_refused(tmp_path: Path) -> None:
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    with RunDirLock(out), pytest.raises(InputError, match="another splitsched process"):
        run_sweep(str(d), OnlineConfig(policies=("fifo-gpu",), offline_solvers=("dp-edf",)),
                  out)
    assert not (out / "runs.jsonl").exists()


# ------------------------------------------------ hostile run directories (newcomer round 3)
def test_resume_without_online_json_is_refused(tmp_path: Path) -> None:
    """online.json deleted by hand: --resume cannot check the records' settings; a resume
    with another noise once skipped every recorded run and rewrote online.json to lie."""
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    run_sweep(str(d), OnlineConfig(policies=("fifo-gpu",), offline_solvers=("dp-edf",)), out)
    (out / "online.json").unlink()
    before = (out / "runs.jsonl").read_bytes()
    other = OnlineConfig(policies=("fifo-gpu",), noise_cv=0.3, offline_solvers=("dp-edf",))
    with pytest.raises(InputError) as exc:
        run_sweep(str(d), other, out, resume=True)
    assert Path(exc.value.path).name == "online.json" and "missing" in exc.value.reason
    assert (out / "runs.jsonl").read_bytes() == before
    assert not (out / "online.json").exists()


def test_resume_tells_true_from_one_in_online_json(tmp_path: Path) -> None:
    """A hand-edited ``"runs": true`` is not the recorded 1 (True == 1.0 in Python)."""
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    cfg = OnlineConfig(policies=("fifo-gpu",), offline_solvers=("dp-edf",))
    run_sweep(str(d), cfg, out)
    settings = json.loads((out / "online.json").read_text())
    settings["runs"] = True
    (out / "online.json").write_text(json.dumps(settings))
    with pytest.raises(InputError, match="runs: True -> 1"):
        run_sweep(str(d), cfg, out, resume=True)


@pytest.mark.parametrize("command", ["online", "bench"])
def test_a_run_directory_below_a_file_is_refused_before_any_work(
        tmp_path: Path, command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """-o a/sub where a is a file: one line, exit 2 (was a NotADirectoryError traceback)."""
    d = _tiny_set(tmp_path, 1)
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "sub"
    args = (["online", "--set", str(d), "--policies", "fifo-gpu", "--offline", "dp-edf"]
            if command == "online" else ["bench", "--set", str(d), "--solvers", "edf-gpu"])
    assert _main(*args, "-o", str(out)) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines()[-1] == f"error: {out}: -o: a part of the path is not a directory"
    assert "Traceback" not in err
    assert (tmp_path / "afile").read_text() == "x"


def test_a_run_directory_that_cannot_be_locked_is_bad_input(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock file cannot be created (a read-only file system, ENOSPC...): InputError."""
    import errno

    import splitsched.bench.records as records_mod

    def refuse(*_args: object, **_kwargs: object) -> int:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(records_mod.os, "open", refuse)
    with pytest.raises(InputError) as exc, RunDirLock(tmp_path / "run"):
        pass
    assert exc.value.field == "-o" and "Read-only file system" in exc.value.reason


@pytest.mark.parametrize("content", ["", "{\"a\": NaN}\n", "not json\n"])
def test_a_best_known_file_without_records_is_refused(tmp_path: Path, content: str) -> None:
    """Its only line unreadable (read as a torn line) or empty: every instance would have
    been an error record 'not in file' (exit 1); now exit 2 before anything is written."""
    d = _tiny_set(tmp_path, 1)
    bad = tmp_path / "best.jsonl"
    bad.write_text(content)
    out = tmp_path / "run"
    with pytest.raises(InputError, match="no run record"):
        run_sweep(str(d), OnlineConfig(policies=("fifo-gpu",), best_known=bad), out)
    assert not (out / "runs.jsonl").exists()


@pytest.mark.parametrize("change", ["another-instance", "edited"])
def test_a_best_known_without_an_instance_of_the_set_is_refused(tmp_path: Path,
                                                                change: str) -> None:
    """A newcomer's attack (2026-12-02): a bench runs.jsonl lacking an instance of the set
    (or holding it before an edit: another sha256) gave that instance an error record
    and the sweep exit 1; now refused before the run directory is made (exit 2), by the
    sweep and by the single-instance run alike."""
    d = _tiny_set(tmp_path, 2)
    first, second = sorted(d.glob("*.json"))
    bench = tmp_path / "bench"
    one = tmp_path / "one"
    one.mkdir()
    shutil.copy(first, one / first.name)
    assert _main("bench", "--set", str(one), "--solvers", "dp-edf", "--time-limit", "1",
                 "--workers", "1", "-o", str(bench)) == 0
    best = bench / "runs.jsonl"
    if change == "edited":
        data = json.loads(first.read_text())
        data["jobs"][0]["deadline"] += 1
        (d / first.name).write_text(json.dumps(data))
        (d / second.name).unlink()
        named = first
    else:
        named = second
    out = tmp_path / "run"
    with pytest.raises(InputError, match="holds no feasible offline run") as info:
        run_sweep(str(d), OnlineConfig(policies=("fifo-gpu",), best_known=best), out)
    assert info.value.field == "--best-known" and str(named.name) in str(info.value)
    assert not out.exists()
    assert _main("online", str(d / named.name), "--policies", "fifo-gpu", "--best-known",
                 str(best), "-o", str(tmp_path / "x.json")) == 2
    assert not (tmp_path / "x.json").exists()


@pytest.mark.parametrize("target", ["dir", "/dev/null"])
def test_a_best_known_that_is_not_a_file_says_so(tmp_path: Path, target: str) -> None:
    path = tmp_path if target == "dir" else Path(target)
    with pytest.raises(InputError, match="not a regular file"):
        OnlineConfig(policies=("fifo-gpu",), best_known=path).check()


@pytest.mark.parametrize("kind", ["dir", "below-a-file"])
def test_single_instance_output_is_checked_before_any_work(
        tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """`online FILE -o DIR` (or -o a/x.json below a file) ran the offline solve and every
    policy first, then failed naming '(file)'; now it is refused before, naming --output."""
    inst = next(iter(iter_set_files(SETS_DIR / "poisson-n5")))
    if kind == "dir":
        out = tmp_path / "d"
        out.mkdir()
    else:
        (tmp_path / "afile").write_text("x")
        out = tmp_path / "afile" / "x.json"

    def no_work(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the work started before the output was checked")

    monkeypatch.setattr(sweep_mod, "offline_best", no_work)
    monkeypatch.setattr(sweep_mod, "run_online", no_work)
    assert _main("online", str(inst), "--policy", "fifo-gpu", "-o", str(out)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: {out}: --output: ")


def test_bench_refuses_online_records_even_without_online_json(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """online.json deleted by hand: `bench --resume` appended bench records to the online
    runs.jsonl and reported the online records as bench runs; now refused, exit 2."""
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "online"
    run_sweep(str(d), OnlineConfig(policies=("fifo-gpu",), offline_solvers=("dp-edf",)), out)
    (out / "online.json").unlink()
    before = (out / "runs.jsonl").read_bytes()
    assert _main("bench", "--set", str(d), "--solvers", "edf-gpu", "-o", str(out),
                 "--resume") == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"error: {out / 'runs.jsonl'}: record 1: an online sweep's record")
    assert len(err.splitlines()) == 1
    assert (out / "runs.jsonl").read_bytes() == before


def test_report_of_an_online_directory_without_online_json_is_the_online_report(
        tmp_path: Path) -> None:
    """online.json removed: `report` made a bench report that listed policies as solvers."""
    from splitsched.bench.report import build_report as build_bench_report

    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "online"
    run_sweep(str(d), OnlineConfig(policies=("fifo-gpu",), offline_solvers=("dp-edf",)), out)
    (out / "online.json").unlink()
    shutil.rmtree(out / "report")
    with pytest.raises(InputError, match="an online sweep's record"):
        build_bench_report(out)
    assert _main("report", str(out)) == 0
    assert (out / "report" / "policies.csv").exists()
    assert not (out / "report" / "solvers.csv").exists()


@pytest.mark.parametrize("recorded", [True, False])
def test_sigterm_during_a_cli_sweep_stops_it_like_ctrl_c(recorded: bool, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    # `kill PID` mid-sweep: the same stop as Ctrl-C (records kept, the --resume hint),
    # exit status 143; the SIGTERM handler is put back afterwards. Before the first
    # record the hint named a runs.jsonl that did not exist yet (a newcomer's report).
    d = _tiny_set(tmp_path)
    out = tmp_path / "run"
    before = signal.getsignal(signal.SIGTERM)

    def terminated(*args: Any, **kwargs: Any) -> Any:
        if recorded:
            out.mkdir(exist_ok=True)
            (out / "runs.jsonl").write_text("{}\n")  # stands for a record written
        os.kill(os.getpid(), signal.SIGTERM)  # as from another process
        time.sleep(30)  # the handler raises before this ends
        raise AssertionError("SIGTERM was not turned into an interrupt")

    monkeypatch.setattr(sweep_mod, "run_sweep", terminated)
    monkeypatch.setattr(sys, "argv", ["splitsched", "online", "--set", str(d), "--offline",
                                      "dp-edf", "-o", str(out)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 143
    err = " ".join(capsys.readouterr().err.split())
    where = (f"the runs recorded so far are in {out / 'runs.jsonl'}" if recorded
             else "no run recorded yet")
    assert f"terminated: {where}; continue with --resume" in err
    assert signal.getsignal(signal.SIGTERM) == before


def test_a_full_disk_while_recording_is_one_line_and_exit_3(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The record appender raises WriteFailure (it cuts a torn line back itself, see
    # tests/bench/test_sweep_guards.py); the online sweep's CLI said so with a traceback.
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    real = sweep_mod.append_record
    calls = Counter[str]()

    def append(path: Path, rec: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise WriteFailure(path, "No space left on device")
        real(path, rec)

    monkeypatch.setattr(sweep_mod, "append_record", append)
    res = CliRunner().invoke(app, ["online", "--set", str(d), "--policies",
                                   "fifo-gpu,edf-greedy-cut", "--offline", "dp-edf",
                                   "-o", str(out)])
    assert res.exit_code == 3, res.output
    assert "Traceback" not in res.output
    assert f"error: {out / 'runs.jsonl'}: cannot write: No space left on device" in res.output
    assert "free space, then continue with --resume" in res.output
    assert len((out / "runs.jsonl").read_text().splitlines()) == 2
    monkeypatch.undo()
    cfg = OnlineConfig(policies=("fifo-gpu", "edf-greedy-cut"), offline_solvers=("dp-edf",))
    again = run_sweep(str(d), cfg, out, resume=True)
    assert not again.infra_failures
    assert set(_results(out)) == _expected_keys(d, cfg)


def test_a_full_disk_before_the_first_record_removes_the_new_run_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An instance copy that cannot be written (a full disk) was exit 2 and left the new
    # run directory holding online.json and an empty instances/ (a newcomer's attack).
    d = _tiny_set(tmp_path, 1)
    out = tmp_path / "run"
    real = sweep_mod.write_run_file

    def write(path: Path, text: str) -> None:
        if Path(path).parent.name == "instances":
            raise WriteFailure(path, "File too large")
        real(path, text)

    monkeypatch.setattr(sweep_mod, "write_run_file", write)
    res = CliRunner().invoke(app, ["online", "--set", str(d), "--policies", "fifo-gpu",
                                   "--offline", "dp-edf", "-o", str(out)])
    assert res.exit_code == 3, res.output
    assert "cannot write: File too large" in res.output
    assert "created by this command, was removed" in " ".join(res.output.split())
    assert not out.exists()
    kept = tmp_path / "kept"
    kept.mkdir()
    res = CliRunner().invoke(app, ["online", "--set", str(d), "--policies", "fifo-gpu",
                                   "--offline", "dp-edf", "-o", str(kept)])
    assert res.exit_code == 3 and kept.is_dir()  # a folder that existed before stays
