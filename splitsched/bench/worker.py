"""Run one (instance, solver, seed) in a fresh, isolated process with a hard kill.

Why a fresh process per run (never a reused pool worker):

* isolation of failures: a solver that hangs, segfaults, calls ``os._exit`` or
  exhausts memory takes only its own process down; the sweep records the run
  as ``killed``, ``crash`` or ``memout`` and goes on;
* no interference between runs: a solver's leftovers (heap fragmentation,
  caches, threads left running, a global random state, CBC/HiGHS children)
  cannot slow down or change the next run, and ``ru_maxrss`` is the peak of
  this run alone;
* a hard wall-clock limit is enforceable: the whole process group is
  SIGKILLed at ``time limit + grace``, whatever the solver does.

The runtime reported is measured inside the child around the solve call
(``splitsched.solvers.base.solve``), so process start-up and imports do not
count. The hard-kill clock starts when the child says it is about to solve
(one byte on a pipe), not at spawn, for the same reason.

The child is ``python -m splitsched.bench.worker SPEC RESULT FD PARENT_PID``:
it reads the spec (instance inline, so a remote Dask worker needs no shared
file system), imports extra solver modules, sets an address-space limit,
solves, and writes the result JSON atomically. The parent side,
:func:`run_isolated`, returns a plain dict (JSON-able, so it travels back from
a Dask task unchanged); it never evaluates anything: the submitting side
re-evaluates the schedule itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from splitsched.bench.machine import environment

DEFAULT_MEM_LIMIT_MB = 4096
DEFAULT_STARTUP_TIMEOUT_S = 120.0
_POLL_S = 0.02
_TAIL_CHARS = 4000
_MEMORY_MARKERS = ("MemoryError", "std::bad_alloc", "Cannot allocate memory", "out of memory")

_live_lock = threading.Lock()
_live_pids: set[int] = set()


def default_grace_s(time_limit_s: float) -> float:
    """Grace before the hard kill: max(5 s, half the limit)."""
    return max(5.0, 0.5 * time_limit_s)


def load_extra_module(ref: str) -> ModuleType:
    """Import a module that registers extra solvers: a dotted name or a ``.py`` path.

    A file is loaded under a name derived from its absolute path and cached in
    ``sys.modules``, so loading it twice does not register its solvers twice.
    """
    if ref.endswith(".py") or os.sep in ref:
        path = Path(ref).resolve()
        name = "_splitsched_extra_" + hashlib.sha1(str(path).encode()).hexdigest()[:12]
        if name in sys.modules:
            return sys.modules[name]
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None or not path.is_file():
            raise ImportError(f"cannot load solver module file {ref!r}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        return module
    return importlib.import_module(ref)


def kill_all_live() -> None:
    """SIGKILL every run in flight (used when a sweep is interrupted)."""
    with _live_lock:
        pids = list(_live_pids)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)


def _tail(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError:
        return ""
    return data[-_TAIL_CHARS:].decode("utf-8", errors="replace")


def _child_env() -> dict[str, str]:
    """The parent's environment, with its sys.path visible to the child's imports."""
    env = dict(os.environ)
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def run_isolated(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one spec in a fresh child process; never raises for solver failures.

    Parameters
    ----------
    spec:
        ``instance`` (instance JSON dict), ``solver``, ``seed``, ``time_limit_s``,
        ``threads``; optional ``mem_limit_mb`` (None: no limit), ``grace_s``,
        ``extra_modules`` (list of module names or ``.py`` paths),
        ``startup_timeout_s``.

    Returns
    -------
    dict
        ``status`` (a solver status, or ``killed`` / ``crash`` / ``memout``),
        ``schedule`` (schedule JSON dict or None), ``bound``, ``runtime_s``
        (inside the child; for a killed run the time from start to kill),
        ``worker_missed`` (the child's own count, for cross-checking only),
        ``stats``, ``peak_rss_mb``, ``exit_code``, ``error``, ``log_tail``,
        ``wall_s`` and ``environment`` (versions and machine facts).
    """
    limit = float(spec["time_limit_s"])
    grace = float(spec.get("grace_s") or default_grace_s(limit))
    startup_timeout = float(spec.get("startup_timeout_s") or DEFAULT_STARTUP_TIMEOUT_S)
    t_spawn = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="splitsched-run-") as tmp:
        tmpdir = Path(tmp)
        spec_path, result_path, log_path = (tmpdir / "spec.json", tmpdir / "result.json",
                                            tmpdir / "log.txt")
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        r_fd, w_fd = os.pipe()
        with open(log_path, "wb") as log:
            try:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "splitsched.bench.worker", str(spec_path),
                     str(result_path), str(w_fd), str(os.getpid())],
                    stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    pass_fds=(w_fd,), start_new_session=True, env=_child_env())
            finally:
                os.close(w_fd)
        with _live_lock:
            _live_pids.add(proc.pid)
        try:
            outcome = _watch(proc, r_fd, limit + grace, startup_timeout)
        finally:
            os.close(r_fd)
            with _live_lock:
                _live_pids.discard(proc.pid)
        exit_code, rusage_maxrss_kb, killed, started_at, reason = outcome
        result = _read_result(result_path)
        tail = _tail(log_path)
    wall = time.monotonic() - t_spawn
    out: dict[str, Any] = {
        "status": "crash", "schedule": None, "bound": None, "runtime_s": None,
        "worker_missed": None, "stats": {}, "error": None,
        "peak_rss_mb": round(rusage_maxrss_kb / 1024.0, 1), "exit_code": exit_code,
        "log_tail": tail, "wall_s": round(wall, 3), "environment": environment(),
    }
    if killed:
        out["status"] = "killed"
        out["error"] = reason
        if started_at is not None:
            out["runtime_s"] = round(time.monotonic() - started_at, 6)
        return out
    if result is not None:
        out.update({k: v for k, v in result.items() if k in out or k == "claimed_status"})
        return out
    if exit_code is not None and exit_code < 0:
        sig = -exit_code
        out["error"] = f"worker died from signal {sig} ({signal.Signals(sig).name})"
        if sig == signal.SIGKILL:
            out["error"] += " not sent by the harness (possibly the kernel's OOM killer)"
    else:
        out["error"] = f"worker exited with status {exit_code} without a result"
    if any(marker in tail for marker in _MEMORY_MARKERS):
        out["status"] = "memout"
    return out


def _watch(proc: subprocess.Popen[bytes], r_fd: int, hard_s: float,
           startup_timeout_s: float) -> tuple[int | None, int, bool, float | None, str | None]:
    """Wait for the child; SIGKILL its process group past the hard limit.

    Returns (exit code, peak RSS in KiB from wait4, killed?, start time, reason).
    """
    t0 = time.monotonic()
    started_at: float | None = None
    pipe_open = True
    killed = False
    reason: str | None = None
    while True:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        now = time.monotonic()
        if started_at is None and pipe_open:
            ready, _, _ = select.select([r_fd], [], [], _POLL_S)
            if ready:
                if os.read(r_fd, 16):
                    started_at = time.monotonic()
                else:
                    pipe_open = False  # child closed the pipe without starting
            elif now - t0 > startup_timeout_s:
                reason = f"worker did not start solving within {startup_timeout_s:g} s"
                killed = True
        else:
            time.sleep(_POLL_S)
            if started_at is not None and now - started_at > hard_s:
                reason = f"hard wall-clock limit: killed after {hard_s:g} s"
                killed = True
            elif started_at is None and now - t0 > startup_timeout_s:
                reason = f"worker did not start solving within {startup_timeout_s:g} s"
                killed = True
        if killed:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            pid, status, rusage = os.wait4(proc.pid, 0)
            break
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code  # tell Popen we reaped it ourselves
    # Kill any grandchildren the solver left behind in its process group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)
    return code, int(rusage.ru_maxrss), killed, started_at, reason


def _read_result(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


# --------------------------------------------------------------------------- child side
def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGKILL us if the harness dies (best effort, Linux only)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(3)


def _set_memory_limit(mem_limit_mb: int | None) -> None:
    if not mem_limit_mb:
        return
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = int(mem_limit_mb) * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _lift_memory_limit() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def _json_safe(value: Any) -> Any:
    """Solver stats may hold numpy scalars or odd objects: keep what JSON can carry."""
    return json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item")
                                 else str(v)))


def _write_json_atomic(path: str, data: dict[str, Any]) -> None:
    from splitsched.io import atomic_write_text

    atomic_write_text(path, json.dumps(data, default=str))


def child_main(argv: list[str]) -> int:
    """Entry point of the child process (see the module docstring)."""
    spec_path, result_path, fd_text, parent_text = argv
    start_fd = int(fd_text)
    _die_with_parent(int(parent_text))
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    base: dict[str, Any] = {"schedule": None, "bound": None, "runtime_s": None,
                            "worker_missed": None, "stats": {}, "error": None}
    try:
        from splitsched.io import instance_from_dict, schedule_to_dict
        from splitsched.solve import solve
        from splitsched.solvers.base import get_solver

        for ref in spec.get("extra_modules") or []:
            load_extra_module(ref)
        instance = instance_from_dict(spec["instance"])
        get_solver(spec["solver"])
    except Exception as exc:  # the run cannot start: an error record, not a crash
        os.close(start_fd)
        _write_json_atomic(result_path, {**base, "status": "error",
                                         "error": f"{type(exc).__name__}: {exc}",
                                         "peak_rss_mb": _peak_rss_mb()})
        return 0
    _set_memory_limit(spec.get("mem_limit_mb"))
    os.write(start_fd, b"S")
    os.close(start_fd)
    try:
        res = solve(instance, spec["solver"], time_limit_s=float(spec["time_limit_s"]),
                    seed=int(spec["seed"]), threads=int(spec["threads"]))
    except MemoryError:
        _lift_memory_limit()
        _write_json_atomic(result_path, {**base, "status": "memout",
                                         "error": "MemoryError outside the solver call",
                                         "peak_rss_mb": _peak_rss_mb()})
        return 0
    _lift_memory_limit()
    stats = _json_safe(res.stats)
    status: str = res.status.value
    error = stats.get("error") if isinstance(stats, dict) else None
    if status == "error" and isinstance(error, str) and error.startswith("MemoryError"):
        status = "memout"
    out = {**base, "status": status,
           "schedule": schedule_to_dict(res.schedule) if res.schedule is not None else None,
           "bound": res.bound, "runtime_s": round(res.runtime_s, 6),
           "worker_missed": res.missed, "stats": stats, "error": error,
           "peak_rss_mb": _peak_rss_mb()}
    if isinstance(stats, dict) and "claimed_status" in stats:
        out["claimed_status"] = stats["claimed_status"]
    _write_json_atomic(result_path, out)
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
