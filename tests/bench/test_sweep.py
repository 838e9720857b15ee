"""Sweeps end to end: failure isolation, kill and resume, exit codes, report, Dask.

The instances are hand-made so that the greedy rules' outcomes are known by
hand (see ``make_set``); test-only solvers live in a module file that both
this process and every worker process import (``--solver-module``).
"""

from __future__ import annotations

import math
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from splitsched.bench.records import read_runs, record_key
from splitsched.bench.report import build_report
from splitsched.bench.sweep import SweepConfig, run_sweep
from splitsched.evaluate import evaluate
from splitsched.io import read_instance, read_schedule, write_instance
from splitsched.problem import Instance, Job, Network
from tests.helpers.paths import REPO_ROOT

TEST_SOLVERS = '''
import os
import time

from splitsched.solvers.base import SolverOutput, all_dropped, register


@register("tb-hang", "test only: sleeps forever")
def hang(instance, *, time_limit_s, seed, threads):
    while True:
        time.sleep(1)


@register("tb-crash", "test only: the process dies")
def crash(instance, *, time_limit_s, seed, threads):
    os._exit(1)


@register("tb-memout", "test only: allocates far beyond the limit")
def memout(instance, *, time_limit_s, seed, threads):
    block = bytearray(16 * 1024**3)
    return SolverOutput(schedule=all_dropped(instance, "tb-memout"), status="feasible")


@register("tb-threads", "test only: starts threads until one cannot start")
def threads_out(instance, *, time_limit_s, seed, threads):
    import threading
    stop = threading.Event()
    for _ in range(2000):  # each new thread maps a stack: the address-space limit ends it
        threading.Thread(target=stop.wait, daemon=True).start()
    stop.set()
    raise RuntimeError("can't start new thread")  # no limit stopped it: the same error


@register("tb-slow", "test only: drops every job after a short wait")
def slow(instance, *, time_limit_s, seed, threads):
    time.sleep(0.4)
    return SolverOutput(schedule=all_dropped(instance, "tb-slow"), status="feasible")


@register("tb-liar", "test only: drops every job and claims that is optimal", exact=True)
def liar(instance, *, time_limit_s, seed, threads):
    return SolverOutput(schedule=all_dropped(instance, "tb-liar"), status="optimal",
                        bound=float(instance.total_weight))
'''

# Stage table of NET: a = (0, 10, 30), h = (0, 5, 0), b = (50, 25, 0).
NET = Network(name="net", layer_names=("l1", "l2"), gpu_us=(10, 20), cpu_us=(25, 25),
              handoff_us=(0, 5, 0))


def make_set(directory: Path) -> Path:
    """Two instances with hand-computed greedy outcomes.

    ``pair``: j0 (r=0, d=30) and j1 (r=0, d=50). fifo-gpu runs j0 on the GPU
    [0, 30) and j1 on [30, 60): j1 is late, 1 miss. edf-greedy-cut runs j0 on
    the GPU [0, 30) (its earliest end), then j1 ends earliest CPU-only
    [0, 50): 0 misses. ``single``: one job (d=100), both rules meet it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    pair = Instance(id="pair", networks=(NET,),
                    jobs=(Job("j0", "net", 0, 30), Job("j1", "net", 0, 50)),
                    provenance={"generator": {"load": 0.8}})
    single = Instance(id="single", networks=(NET,), jobs=(Job("j0", "net", 0, 100),))
    write_instance(pair, directory / "pair.json")
    write_instance(single, directory / "single.json")
    return directory


EXPECTED_MISSED = {("pair", "fifo-gpu"): 1, ("pair", "edf-greedy-cut"): 0,
                   ("single", "fifo-gpu"): 0, ("single", "edf-greedy-cut"): 0}


@pytest.fixture(scope="session")
def solver_module(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("solvers") / "bench_test_solvers.py"
    path.write_text(TEST_SOLVERS)
    return str(path)


@pytest.fixture(scope="session")
def instance_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_set(tmp_path_factory.mktemp("set"))


@pytest.fixture(scope="session")
def failure_run(tmp_path_factory: pytest.TempPathFactory, instance_set: Path,
                solver_module: str) -> Path:
    run_dir = tmp_path_factory.mktemp("run") / "failures"
    cfg = SweepConfig(set_ref=str(instance_set),
                      solvers=("edf-greedy-cut", "fifo-gpu", "tb-hang", "tb-crash", "tb-memout"),
                      run_dir=run_dir, time_limit_s=0.5, grace_s=0.5, workers=2,
                      mem_limit_mb=1024, extra_modules=(solver_module,))
    run_sweep(cfg)
    return run_dir


def _by_key(records: list[dict[str, Any]]) -> dict[tuple[str, str, int], dict[str, Any]]:
    return {(r.instance_id, r.solver, r.seed): r for r in records}


def test_failures_become_records_and_the_sweep_goes_on(failure_run: Path) -> None:
    records = read_runs(failure_run / "runs.jsonl").records
    assert len(records) == 10
    assert len({record_key(r) for r in records}) == 10
    runs = _by_key(records)
    for inst in ("pair", "single"):
        assert runs[(inst, "tb-hang", 0)].status == "killed"
        assert runs[(inst, "tb-crash", 0)].status == "crash"
        assert runs[(inst, "tb-memout", 0)].status == "memout"
        for solver in ("fifo-gpu", "edf-greedy-cut"):
            r = runs[(inst, solver, 0)]
            assert r.status == "feasible" and r.feasible
            assert r.missed == EXPECTED_MISSED[(inst, solver)]
            # The stored schedule re-evaluates to the recorded numbers.
            ev = evaluate(read_instance(failure_run / r.instance_copy),
                          read_schedule(failure_run / r.schedule_file))
            assert ev.feasible and ev.weighted_misses == r.missed
            assert r.versions["python"] and r.machine["cores"] >= 1
            assert r.peak_rss_mb > 0 and 0 <= r.runtime_s < 0.5
    hang = runs[("pair", "tb-hang", 0)]
    assert hang.runtime_s >= 1.0  # killed only after limit + grace
    assert runs[("pair", "fifo-gpu", 0)].instance_params == {"load": 0.8}
    assert runs[("pair", "fifo-gpu", 0)].load == 0.8


def test_a_thread_that_cannot_start_under_the_limit_is_a_memout(
        tmp_path: Path, instance_set: Path, solver_module: str) -> None:
    # Under --mem-limit-mb a new thread's stack cannot be mapped, and Python raises
    # RuntimeError, not MemoryError: a review saw it recorded as `error`.
    for mem, want in ((1024, "memout"), (None, "error")):
        run_dir = tmp_path / f"mem-{mem}"
        run_sweep(SweepConfig(set_ref=str(instance_set), solvers=("tb-threads",),
                              run_dir=run_dir, time_limit_s=5.0, workers=1,
                              mem_limit_mb=mem, extra_modules=(solver_module,)))
        records = read_runs(run_dir / "runs.jsonl").records
        assert [r.status.value for r in records] == [want, want], (mem, records)
        assert all("can't start new thread" in (r.error or "") for r in records)


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from splitsched.cli import main; main()", *args]


def _wait_for_a_record(proc: subprocess.Popen[Any], runs: Path) -> None:
    """Wait (at most 60 s) until ``runs`` holds a whole record or ``proc`` ended."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if runs.exists() and runs.read_bytes().count(b"\n") >= 1:
            break
        time.sleep(0.05)


def test_kill_midway_then_resume_runs_everything_once(tmp_path: Path, instance_set: Path,
                                                     solver_module: str) -> None:
    run_dir = tmp_path / "run"
    args = ["bench", "--set", str(instance_set), "--solvers", "tb-slow,edf-greedy-cut",
            "--seeds", "2", "--time-limit", "5", "-o", str(run_dir),
            "--solver-module", solver_module]
    proc = subprocess.Popen(_cli(*args, "--workers", "1"), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    runs = run_dir / "runs.jsonl"
    _wait_for_a_record(proc, runs)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = read_runs(runs).records
    assert 1 <= len(first) < 8
    with open(runs, "ab") as fh:  # and a crash mid-write on top
        fh.write(b'{"schema":"splitsched-run","instance_id":"pa')
    # The resume key ignores the worker count: finish with two workers.
    done = subprocess.run(_cli(*args, "--workers", "2", "--resume"), capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    final = read_runs(runs)
    assert not final.torn
    keys = [(r.instance_id, r.solver, r.seed) for r in final.records]
    assert Counter(keys) == Counter((i, s, seed) for i in ("pair", "single")
                                    for s in ("tb-slow", "edf-greedy-cut") for seed in (0, 1))
    assert [record_key(r) for r in final.records[:len(first)]] == \
        [record_key(r) for r in first]


def test_sigterm_stops_like_ctrl_c_keeping_records_and_the_resume_hint(
        tmp_path: Path, instance_set: Path, solver_module: str) -> None:
    # `kill PID` (SIGTERM, what a batch system sends) must stop the sweep as Ctrl-C does:
    # the records written so far kept whole, the --resume hint printed; exit status 143.
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(_cli("bench", "--set", str(instance_set), "--solvers",
                                 "tb-slow,edf-greedy-cut", "--seeds", "2", "--time-limit", "5",
                                 "-o", str(run_dir), "--solver-module", solver_module,
                                 "--workers", "1"),
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    runs = run_dir / "runs.jsonl"
    _wait_for_a_record(proc, runs)
    assert proc.poll() is None, "the sweep ended before it could be terminated"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, stderr
    loaded = read_runs(runs)
    assert not loaded.torn and 1 <= len(loaded.records) < 8
    text = " ".join(stderr.split())  # rich may wrap the line
    m = re.search(rf"terminated: \d+ runs? recorded now, (\d+) in {re.escape(str(run_dir))}; "
                  r"continue with --resume", text)
    assert m, stderr
    assert int(m.group(1)) == len(loaded.records)  # all of the run directory's records


# A --solver-module whose import (in the sweep's checks, before any run) says so on stderr
# and then waits, when the test asks for it (the sweeps that make records import it quickly).
SLOW_IMPORT = """
import os
import sys
import time

from splitsched.solvers.base import SolverOutput, all_dropped, register

if os.environ.get("SPLITSCHED_TEST_SLOW_IMPORT"):
    print("slow module: importing", file=sys.stderr, flush=True)
    time.sleep(120)


@register("tb-slow-import", "test only: its module imports slowly")  # a module that
def slow_import(instance, *, time_limit_s, seed, threads):  # registers none is refused
    return SolverOutput(schedule=all_dropped(instance, "tb-slow-import"), status="feasible")
"""


@pytest.mark.parametrize("resume", [False, True], ids=["new run", "resumed run"])
def test_sigterm_before_the_first_run_stops_like_ctrl_c(resume: bool, tmp_path: Path,
                                                        instance_set: Path) -> None:
    # `kill PID` while the sweep still read its set and imported its solvers (the first
    # second of a newcomer's run) ended bench without a word (killed by SIGTERM): its
    # handler was installed only when the runs began. Now: exit 143 and what the run
    # directory holds, with the --resume hint where there is one.
    slow = tmp_path / "slow_module.py"
    slow.write_text(SLOW_IMPORT)
    run_dir = tmp_path / "run"
    args = ["bench", "--set", str(instance_set), "--solvers", "edf-greedy-cut", "--time-limit",
            "5", "-o", str(run_dir), "--solver-module", str(slow), "--workers", "1"]
    if resume:
        run_sweep(SweepConfig(set_ref=str(instance_set), solvers=("edf-greedy-cut",),
                              run_dir=run_dir, time_limit_s=5.0, workers=1,
                              extra_modules=(str(slow),)))
        args.append("--resume")
    runs = run_dir / "runs.jsonl"
    before = runs.read_bytes() if resume else None
    proc = subprocess.Popen(_cli(*args), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "SPLITSCHED_TEST_SLOW_IMPORT": "1"})
    assert proc.stderr is not None
    first = proc.stderr.readline()  # the sweep's checks import the module: no run yet
    assert "slow module: importing" in first, first
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 143, (proc.returncode, stderr)
    assert "Traceback" not in stderr
    text = " ".join(stderr.split())  # rich may wrap the line
    if resume:
        recorded = len(read_runs(runs).records)
        assert recorded == 2  # the set's two instances, one solver, one seed
        assert f"terminated: 0 runs recorded now, {recorded} in {run_dir}; continue with " \
            "--resume" in text, stderr
        assert runs.read_bytes() == before
    else:
        assert f"terminated before the sweep started: nothing was written ({run_dir} does " \
            "not exist)" in text, stderr
        assert not run_dir.exists()


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from splitsched.cli import main

    monkeypatch.setattr(sys, "argv", ["splitsched", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_false_optimal_claim_makes_bench_exit_1(tmp_path: Path, instance_set: Path,
                                                solver_module: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    run_dir = tmp_path / "run"
    code = _main(monkeypatch, "bench", "--set", str(instance_set), "--solvers",
                 "tb-liar,edf-greedy-cut", "--time-limit", "5", "--workers", "2",
                 "-o", str(run_dir), "--solver-module", solver_module)
    assert code == 1  # tb-liar claims optimal with 2 misses on "pair"; edf-greedy-cut has 0
    assert len(read_runs(run_dir / "runs.jsonl").records) == 4
    # A second sweep into the same directory without --resume is refused, nothing appended.
    code = _main(monkeypatch, "bench", "--set", str(instance_set), "--solvers", "fifo-gpu",
                 "-o", str(run_dir))
    assert code == 2
    assert len(read_runs(run_dir / "runs.jsonl").records) == 4


def test_a_sweep_whose_runs_all_failed_exits_1_and_keeps_its_records(
        tmp_path: Path, instance_set: Path, solver_module: str,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Every run crashing (a broken solver module, a missing backend) once exited 0: a
    # script driving the sweep saw success. The records are results and stay.
    run_dir = tmp_path / "run"
    code = _main(monkeypatch, "bench", "--set", str(instance_set), "--solvers", "tb-crash",
                 "--time-limit", "5", "-o", str(run_dir), "--solver-module", solver_module)
    assert code == 1
    records = read_runs(run_dir / "runs.jsonl").records
    assert [r.status.value for r in records] == ["crash", "crash"]
    text = " ".join(capsys.readouterr().err.split())
    assert "no run ended normally (2 runs, all crash); first: " in text, text
    # One normal run among failed ones is a sweep that measured something: exit 0.
    mixed = tmp_path / "mixed"
    assert _main(monkeypatch, "bench", "--set", str(instance_set), "--solvers",
                 "tb-crash,fifo-gpu", "--time-limit", "5", "-o", str(mixed),
                 "--solver-module", solver_module) == 0
    assert "no run ended normally" not in capsys.readouterr().err


def test_a_folder_of_other_files_is_refused_as_run_directory(
        tmp_path: Path, instance_set: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A newcomer's `-o` at another set's folder (a named set's, inside the package) once
    # wrote runs.jsonl, sweep.json, instances/ and schedules/ among its files; the folder
    # then read as a run directory, no longer as a set.
    other = tmp_path / "other-set"
    make_set(other)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("x")
    for folder, first in ((other, "pair.json and 1 more"), (tmp_path / "notes", "todo.txt")):
        before = sorted(p.name for p in folder.iterdir())
        assert _main(monkeypatch, "bench", "--set", str(instance_set), "--solvers", "fifo-gpu",
                     "-o", str(folder)) == 2
        err = capsys.readouterr().err
        assert f"{folder}: -o: an existing folder that is not a run directory (it holds " \
               f"{first})" in " ".join(err.split()), err
        assert sorted(p.name for p in folder.iterdir()) == before
    empty = tmp_path / "empty"
    (empty / ".hidden").mkdir(parents=True)  # an empty folder (hidden names aside) is fine
    assert _main(monkeypatch, "bench", "--set", str(instance_set), "--solvers", "fifo-gpu",
                 "-o", str(empty)) == 0


def test_a_record_written_twice_is_counted_once_and_said(
        tmp_path: Path, instance_set: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    # A run directory merged by hand holds one run twice: the report ignored the copy
    # (saying so in report.html only), bench's summary counted it.
    run_dir = tmp_path / "run"
    args = ("bench", "--set", str(instance_set), "--solvers", "fifo-gpu", "-o", str(run_dir))
    assert _main(monkeypatch, *args) == 0
    runs = run_dir / "runs.jsonl"
    with runs.open("ab") as fh:
        fh.write(runs.read_bytes().splitlines(keepends=True)[-1])
    capsys.readouterr()
    assert _main(monkeypatch, *args, "--resume") == 0
    text = " ".join(capsys.readouterr().err.split())
    assert f"0 runs now, 2 in {runs} (1 duplicate record of one run ignored): feasible 2" \
        in text, text
    assert _main(monkeypatch, "report", str(run_dir)) == 0
    text = " ".join(capsys.readouterr().err.split())
    assert "1 duplicate record of runs already counted ignored" in text, text
    assert pd.read_csv(run_dir / "report" / "solvers.csv").set_index("solver").loc[
        "fifo-gpu", "runs"] == 2


@pytest.mark.parametrize("bad", [
    ["--solvers", "no-such-solver"],
    ["--solvers", "fifo-gpu", "--time-limit", "-1"],
    ["--solvers", "fifo-gpu", "--set", "no-such-set-anywhere"],
    ["--solvers", "fifo-gpu", "--threads", "0"],
])
def test_bad_input_exits_2_and_writes_nothing(tmp_path: Path, instance_set: Path,
                                             monkeypatch: pytest.MonkeyPatch,
                                             bad: list[str]) -> None:
    run_dir = tmp_path / "run"
    args = ["bench", "--set", str(instance_set), "-o", str(run_dir), *bad]
    assert _main(monkeypatch, *args) == 2
    assert not run_dir.exists()


def test_report_files_and_numbers(failure_run: Path) -> None:
    rep = build_report(failure_run)
    out = failure_run / "report"
    for name in ("solvers.csv", "solvers.md", "instances.csv", "instances.md", "runs.csv",
                 "runs.parquet", "performance_profile.png", "miss_rate_vs_load.png",
                 "gap_vs_jobs.png", "runtime_vs_jobs.png", "gantt.png", "report.html"):
        assert (out / name).stat().st_size > 0, name
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == 5 and "src=\"http" not in html

    records = read_runs(failure_run / "runs.jsonl").records
    solvers = pd.read_csv(out / "solvers.csv").set_index("solver")
    for solver in ("edf-greedy-cut", "fifo-gpu", "tb-hang", "tb-crash", "tb-memout"):
        mine = [r for r in records if r.solver == solver]
        solved = [r for r in mine if r.feasible]
        row = solvers.loc[solver]
        assert row["runs"] == len(mine) == 2
        assert row["solved"] == len(solved)
        assert row["failed"] == sum(r.status in ("killed", "crash", "memout") for r in mine)
        times = [r.runtime_s if r.feasible else r.time_limit_s for r in mine]
        sgm = math.exp(sum(math.log(t + 1.0) for t in times) / len(times)) - 1.0
        assert math.isclose(row["sgm_runtime_s"], sgm, rel_tol=1e-9)
    # Hand-computed: best known on "pair" is 0 (edf-greedy-cut), fifo-gpu is 1 away.
    assert solvers.loc["edf-greedy-cut", "best_found"] == 2
    assert solvers.loc["fifo-gpu", "best_found"] == 1
    assert solvers.loc["fifo-gpu", "max_gap"] == 1
    assert math.isclose(solvers.loc["fifo-gpu", "mean_miss_rate"], (0.5 + 0.0) / 2)
    assert solvers.loc["edf-greedy-cut", "at_certified_optimum"] == 2  # 0 misses is optimal
    instances = pd.read_csv(out / "instances.csv").set_index("instance_id")
    assert instances.loc["pair", "best_known"] == 0 and bool(instances.loc["pair", "certified"])
    assert instances.loc["pair", "found_by"] == "edf-greedy-cut"
    parquet = pd.read_parquet(out / "runs.parquet")
    assert len(parquet) == 10 and set(parquet["status"]) == {"feasible", "killed", "crash",
                                                             "memout"}
    assert rep.certification.flags == []


@pytest.mark.slow
def test_dask_local_cluster_matches_local_pool(tmp_path: Path, instance_set: Path,
                                               solver_module: str, failure_run: Path) -> None:
    from distributed import LocalCluster

    solvers = ("edf-greedy-cut", "fifo-gpu", "tb-hang", "tb-crash")
    with LocalCluster(n_workers=1, threads_per_worker=2, processes=True,
                      dashboard_address=None) as cluster:
        cfg = SweepConfig(set_ref=str(instance_set), solvers=solvers,
                          run_dir=tmp_path / "dask", time_limit_s=0.5, grace_s=0.5,
                          mem_limit_mb=1024, extra_modules=(solver_module,),
                          scheduler=cluster.scheduler_address)
        result = run_sweep(cfg)
    local = {record_key(r): r for r in read_runs(failure_run / "runs.jsonl").records
             if r.solver in solvers}
    remote = {record_key(r): r for r in result.all_records}
    assert set(remote) == set(local) and len(remote) == 8
    for key, r in remote.items():
        assert (r.status, r.missed, r.misses) == \
            (local[key].status, local[key].missed, local[key].misses), key


@pytest.mark.skipif(not any(os.access(os.path.join(d, b), os.X_OK)
                            for d in os.environ.get("PATH", "").split(os.pathsep)
                            for b in ("chromium", "chromium-browser")),
                    reason="chromium not installed")
@pytest.mark.slow
def test_report_renders_in_headless_chromium(failure_run: Path) -> None:
    build_report(failure_run)
    script = REPO_ROOT / "scripts" / "check_report_render.sh"
    done = subprocess.run(["bash", str(script), str(failure_run)], capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr


def test_report_plots_have_captions_and_say_why_dp_edf_is_absent(failure_run: Path) -> None:
    """Each plot has a caption under it; this sweep ran no dp-edf, and the Gantt's caption
    says so instead of leaving the paper's method out silently."""
    build_report(failure_run)
    page = (failure_run / "report" / "report.html").read_text()
    assert page.count("<figcaption>") == 5
    assert "dp-edf (the paper&#x27;s method) was not run in this sweep." in page
    assert "median" in page and "shifted geometric mean" in page
