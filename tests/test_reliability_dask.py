"""Issue 13, kind 7 end to end: SIGKILL the Dask scheduler in the middle of a sweep.

A real loopback cluster (``dask scheduler`` and ``dask worker`` bound to
127.0.0.1) runs a sweep of 12 slow runs; the scheduler is SIGKILLed once a
few runs are recorded. The runs lost with it are not recorded as runs (they
go to ``infra.jsonl``), ``bench`` exits 3, and ``--resume`` on a new cluster
runs exactly the missing ones.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from splitsched.bench.records import read_runs

pytest.importorskip("distributed")
pytestmark = pytest.mark.skipif(shutil.which("dask") is None, reason="no dask command")

ROOT = Path(__file__).resolve().parents[1]
SLOW = '''
import time
from splitsched.solvers.base import SolverOutput, all_dropped, register

@register("rd-slow", "test only: 1 s, then drops every job")
def slow(instance, *, time_limit_s, seed, threads):
    time.sleep(1.0)
    return SolverOutput(schedule=all_dropped(instance, "rd-slow"), status="feasible")
'''


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


class Cluster:
    """A scheduler and one worker process, loopback only, each in its own session."""

    def __init__(self, tmp: Path) -> None:
        self.file = tmp / f"scheduler-{time.monotonic_ns()}.json"
        common = {"env": _env(), "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
                  "start_new_session": True}
        self.scheduler = subprocess.Popen(
            ["dask", "scheduler", "--host", "127.0.0.1", "--port", "0",
             "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(self.file)],
            **common)  # type: ignore[call-overload]
        deadline = time.monotonic() + 60
        while not self.file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.address = json.loads(self.file.read_text())["address"]
        self.worker = subprocess.Popen(
            ["dask", "worker", self.address, "--host", "127.0.0.1",
             "--dashboard-address", "127.0.0.1:0", "--nworkers", "1", "--nthreads", "2"],
            **common)  # type: ignore[call-overload]
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(1, timeout=60)

    def kill_scheduler(self) -> None:
        os.killpg(self.scheduler.pid, signal.SIGKILL)
        self.scheduler.wait()

    def close(self) -> None:
        for proc in (self.worker, self.scheduler):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture()
def clusters(tmp_path: Path) -> Iterator[list[Cluster]]:
    made: list[Cluster] = []
    yield made
    for c in made:
        c.close()


def test_scheduler_loss_is_infrastructure_and_resume_reruns(tmp_path: Path,
                                                            clusters: list[Cluster]) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_reliability_bench import one_instance

    the_set = one_instance(tmp_path / "set")
    module = tmp_path / "rd_solvers.py"
    module.write_text(SLOW)
    run_dir = tmp_path / "run"
    clusters.append(Cluster(tmp_path))
    args = [sys.executable, "-m", "splitsched.cli", "bench", "--set", str(the_set),
            "--solvers", "rd-slow", "--seeds", "12", "--time-limit", "5", "-o", str(run_dir),
            "--solver-module", str(module)]
    bench = subprocess.Popen([*args, "--scheduler", clusters[0].address], env=_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    runs = run_dir / "runs.jsonl"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and bench.poll() is None:
        if runs.exists() and runs.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.05)
    clusters[0].kill_scheduler()
    _, err = bench.communicate(timeout=180)
    assert bench.returncode == 3, err
    recorded = read_runs(runs).records
    infra = (run_dir / "infra.jsonl").read_text().splitlines()
    assert 2 <= len(recorded) < 12 and len(recorded) + len(infra) == 12
    assert all(r.status == "feasible" for r in recorded)  # nothing charged to the solver
    clusters.append(Cluster(tmp_path))
    done = subprocess.run([*args, "--scheduler", clusters[1].address, "--resume"], env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    final = read_runs(runs).records
    assert sorted(r.seed for r in final) == list(range(12))
