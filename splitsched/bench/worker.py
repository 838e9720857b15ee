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
(one byte on a pipe), not at spawn, for the same reason: the byte comes after
the solver and its warm start's solvers are loaded
(:func:`splitsched.solve.load_solver`), numba's kernels included, which a
cold cache (a fresh clone) compiles for about 18 s.

Nothing a run starts outlives it: the child and everything it starts carry
an environment tag (``SPLITSCHED_RUN_TOKEN``); after the run, every process
with the tag is SIGKILLed, found through ``/proc``, so a solver's ``setsid``
or double-forked child dies with its run (a process that scrubs its own
environment is the only escape; it still loses its process group and
session). The child's stdout and stderr go through a pipe of which only the
first :data:`HEAD_BYTES` and last :data:`TAIL_BYTES` are kept, whatever the
solver prints. Each run's temporary directory is named after the owning
process (pid and start time); directories of dead owners (a SIGKILLed bench
or Dask worker) are removed when the next run starts in any process.

The child is ``python -m splitsched.bench.worker SPEC RESULT FD PARENT_PID``:
it reads the spec (instance inline, so a remote Dask worker needs no shared
file system), imports extra solver modules and the solver, sets an address-space limit
(a limit at or below what the child already maps then, ``VmSize``, cannot be
honoured: the run ends with status ``error`` naming both, never as if limited),
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
import math
import os
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from types import ModuleType
from typing import IO, Any

from splitsched.bench.machine import environment
from splitsched.bench.records import HarnessStatus, RunSpec, WorkerResult
from splitsched.solvers.base import SolveStatus
from splitsched.solvers.children import proc_files

DEFAULT_MEM_LIMIT_MB = 4096
DEFAULT_STARTUP_TIMEOUT_S = 120.0
_POLL_S = 0.02
HEAD_BYTES = 2000  # of a run's output, the first bytes kept ...
TAIL_BYTES = 4000  # ... and the last; everything between is counted and dropped
RUN_TOKEN_ENV = "SPLITSCHED_RUN_TOKEN"
RUN_DIR_PREFIX = "splitsched-run-"
_RUN_DIR_RE = re.compile(r"^splitsched-run-(\d+)\.(\d+)-")
# Under an address-space limit a new thread's stack cannot be mapped: Python raises this
# instead of MemoryError (a review: cpsat at --mem-limit-mb 760, just above what the worker
# maps, was recorded as `error`; before the solvers were loaded ahead of the limit, `memout`).
_THREAD_ERROR = "RuntimeError: can't start new thread"
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


class OutputCap:
    """Drain a pipe on a thread, keeping its first and last bytes only.

    Memory is bounded by ``head + tail`` bytes whatever the writer prints;
    ``total`` counts every byte. :meth:`text` gives the kept output with a
    note of how much was dropped.
    """

    def __init__(self, stream: IO[bytes], head: int = HEAD_BYTES, tail: int = TAIL_BYTES) -> None:
        self._stream = stream
        self._head_cap, self._tail_cap = head, tail
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._drain, name="splitsched-output",
                                        daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        fd = self._stream.fileno()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], 0.1)
                if not ready:
                    continue
                chunk = os.read(fd, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.total += len(chunk)
            room = self._head_cap - len(self.head)
            if room > 0:
                self.head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self.tail += chunk
                if len(self.tail) > self._tail_cap:
                    del self.tail[:len(self.tail) - self._tail_cap]

    def join(self, timeout: float) -> None:
        """Wait for end of output (at most ``timeout`` s: a process that escaped the
        run may hold the pipe open), then stop reading and close the pipe."""
        self._thread.join(timeout)
        self._stop.set()
        self._thread.join()
        with contextlib.suppress(OSError):
            self._stream.close()

    def text(self) -> str:
        dropped = self.total - len(self.head) - len(self.tail)
        middle = f"\n[... {dropped} bytes of output dropped ...]\n" if dropped > 0 else ""
        return (bytes(self.head).decode("utf-8", errors="replace") + middle
                + bytes(self.tail).decode("utf-8", errors="replace"))


def _proc_start_time(pid: int) -> int | None:
    """The start time (clock ticks since boot) of a live process, or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[19])


def kill_tagged(token: str, rounds: int = 50) -> int:
    """SIGKILL every process whose environment carries ``RUN_TOKEN_ENV=token``.

    Repeats until a scan finds none (a process may fork while being killed).
    Returns how many were killed. Linux ``/proc`` only; a no-op elsewhere.
    """
    needle = f"{RUN_TOKEN_ENV}={token}".encode()
    killed = 0
    me = os.getpid()
    for _ in range(rounds):
        found = 0
        for pid, env in proc_files("environ"):
            if pid == me:
                continue
            if needle in env.split(b"\0"):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
                    found += 1
        killed += found
        if not found:
            break
        time.sleep(0.01)
    return killed


_cleaned = False


def clean_stale_run_dirs(root: str | None = None) -> list[Path]:
    """Remove run temp directories whose owning process is gone.

    A directory is ``splitsched-run-<pid>.<start time>-*``; it is stale when
    no process has that pid and start time (the owner was SIGKILLed). Only
    directories of this user are touched. Returns the removed paths.
    """
    base = Path(root or tempfile.gettempdir())
    removed: list[Path] = []
    try:
        entries = list(base.iterdir())
    except OSError:
        return removed
    uid = os.getuid()
    for d in entries:
        m = _RUN_DIR_RE.match(d.name)
        if m is None:
            continue
        try:
            if d.lstat().st_uid != uid or not d.is_dir():
                continue
        except OSError:
            continue
        if _proc_start_time(int(m.group(1))) == int(m.group(2)):
            continue  # the owner is alive
        shutil.rmtree(d, ignore_errors=True)
        removed.append(d)
    return removed


def _run_dir_prefix() -> str:
    return f"{RUN_DIR_PREFIX}{os.getpid()}.{_proc_start_time(os.getpid()) or 0}-"


def _child_env(token: str) -> dict[str, str]:
    """The parent's environment, with its sys.path visible to the child's imports."""
    env = dict(os.environ)
    env[RUN_TOKEN_ENV] = token
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    if env.get("PYTHONPATH"):
        paths.append(env["PYTHONPATH"])
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return env


def run_isolated(spec: RunSpec) -> WorkerResult:
    """Run one spec in a fresh child process; never raises for solver failures.

    Parameters
    ----------
    spec:
        The run (see :class:`~splitsched.bench.records.RunSpec`).

    Returns
    -------
    WorkerResult
        ``status`` a solver status, or ``killed`` / ``crash`` / ``memout``;
        ``runtime_s`` inside the child (for a killed run the time from start
        to kill); ``worker_missed`` the child's own count (for
        cross-checking only); ``log_tail`` capped (first and last bytes of
        the output).

    Raises
    ------
    OSError
        Only for a failure of this machine (no temp space, no fork): the
        sweep records it as an infrastructure failure, not a run.
    """
    global _cleaned
    if not _cleaned:
        _cleaned = True
        clean_stale_run_dirs()
    limit = spec.time_limit_s
    grace = spec.grace_s or default_grace_s(limit)
    startup_timeout = spec.startup_timeout_s or DEFAULT_STARTUP_TIMEOUT_S
    token = uuid.uuid4().hex
    t_spawn = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=_run_dir_prefix()) as tmp:
        tmpdir = Path(tmp)
        spec_path, result_path = tmpdir / "spec.json", tmpdir / "result.json"
        spec_path.write_text(json.dumps(spec.to_dict(), allow_nan=False), encoding="utf-8")
        r_fd, w_fd = os.pipe()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "splitsched.bench.worker", str(spec_path),
                 str(result_path), str(w_fd), str(os.getpid())],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                pass_fds=(w_fd,), start_new_session=True, env=_child_env(token))
        finally:
            os.close(w_fd)
        assert proc.stdout is not None
        output = OutputCap(proc.stdout)
        with _live_lock:
            _live_pids.add(proc.pid)
        try:
            outcome = _watch(proc, r_fd, limit + grace, startup_timeout)
        finally:
            os.close(r_fd)
            kill_tagged(token)  # whatever the run started, wherever it went
            with _live_lock:
                _live_pids.discard(proc.pid)
            output.join(5.0)
        exit_code, rusage_maxrss_kb, killed, started_at, reason = outcome
        result = _read_result(result_path)
        tail = output.text()
    wall = time.monotonic() - t_spawn
    out = WorkerResult(peak_rss_mb=round(rusage_maxrss_kb / 1024.0, 1), exit_code=exit_code,
                       log_tail=tail, wall_s=round(wall, 3), environment=environment())
    if killed:
        out.status = HarnessStatus.KILLED.value
        out.error = reason
        if started_at is not None:
            out.runtime_s = round(time.monotonic() - started_at, 6)
        return out
    if result is not None:
        child = WorkerResult.from_dict(result)
        out.status, out.schedule, out.bound = child.status, child.schedule, child.bound
        out.runtime_s, out.worker_missed, out.stats = child.runtime_s, child.worker_missed, \
            child.stats
        out.error, out.claimed_status = child.error, child.claimed_status
        if child.peak_rss_mb is not None:
            out.peak_rss_mb = child.peak_rss_mb
        return out
    if exit_code is not None and exit_code < 0:
        sig = -exit_code
        out.error = f"worker died from signal {sig} ({signal.Signals(sig).name})"
        if sig == signal.SIGKILL:
            out.error += " not sent by the harness (possibly the kernel's OOM killer)"
    else:
        out.error = f"worker exited with status {exit_code} without a result"
    if any(marker in tail for marker in _MEMORY_MARKERS):
        out.status = HarnessStatus.MEMOUT.value
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


def address_space_mb() -> float | None:
    """This process's current address-space size (``VmSize`` of ``/proc/self/status``),
    MiB; None where ``/proc`` does not say (not Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) / 1024.0  # the kernel writes kB (KiB)
    except (OSError, ValueError, IndexError):
        return None
    return None


def unmet_memory_limit(mem_limit_mb: int | None, size_mb: float | None) -> str | None:
    """Why an address-space limit of ``mem_limit_mb`` MiB cannot be honoured by a process
    that already maps ``size_mb`` MiB, or None when it can (or nothing is known).

    ``RLIMIT_AS`` does not shrink what a process already maps: set below that size it
    only fails the next allocations, so a run could pass (or fail) as if it were limited
    while it already holds more than the limit. Such a run is an error, never a result.
    """
    if not mem_limit_mb or size_mb is None or mem_limit_mb > size_mb:
        return None
    return (f"--mem-limit-mb {mem_limit_mb} (MiB) is below the worker's address space when "
            f"the limit is set ({size_mb:.1f} MiB: the interpreter, the solver's imports and "
            f"the instance; VmSize of /proc/self/status), so the limit cannot be honoured; "
            f"give --mem-limit-mb well above {math.ceil(size_mb)}")


def _set_memory_limit(mem_limit_mb: int | None) -> str | None:
    """Set the address-space limit; the reason it cannot be honoured (then nothing is
    set), or None."""
    if not mem_limit_mb:
        return None
    unmet = unmet_memory_limit(mem_limit_mb, address_space_mb())
    if unmet is not None:
        return unmet
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    soft = int(mem_limit_mb) * 1024 * 1024
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    return None


def _lift_memory_limit() -> None:
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (hard, hard))


def _peak_rss_mb() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0, 1)


def _json_safe(value: Any) -> Any:
    """Solver stats may hold numpy scalars, odd objects or NaN: keep what strict JSON can
    carry (a non-finite number becomes None)."""
    plain = json.loads(json.dumps(value, default=lambda v: v.item() if hasattr(v, "item")
                                  else str(v)))
    return _no_nan(plain)


def _no_nan(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _no_nan(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_no_nan(v) for v in value]
    return value


def _write_result(path: str, result: WorkerResult) -> None:
    from splitsched.io import atomic_write_text

    atomic_write_text(path, json.dumps(_no_nan(result.to_dict()), default=str,
                                       allow_nan=False))


def child_main(argv: list[str]) -> int:
    """Entry point of the child process (see the module docstring)."""
    spec_path, result_path, fd_text, parent_text = argv
    start_fd = int(fd_text)
    _die_with_parent(int(parent_text))
    spec = RunSpec.from_dict(json.loads(Path(spec_path).read_text(encoding="utf-8")))
    try:
        from splitsched.io import instance_from_dict, schedule_to_dict
        from splitsched.solve import load_solver, solve

        for ref in spec.extra_modules:
            load_extra_module(ref)
        instance = instance_from_dict(spec.instance)
        load_solver(spec.solver)  # numba's kernels too: outside the hard-kill clock
    except Exception as exc:  # the run cannot start: an error record, not a crash
        os.close(start_fd)
        _write_result(result_path, WorkerResult(status=SolveStatus.ERROR.value,
                                                error=f"{type(exc).__name__}: {exc}",
                                                peak_rss_mb=_peak_rss_mb()))
        return 0
    unmet = _set_memory_limit(spec.mem_limit_mb)
    if unmet is not None:  # the run cannot be limited as asked: an error record, no result
        os.close(start_fd)
        _write_result(result_path, WorkerResult(status=SolveStatus.ERROR.value, error=unmet,
                                                peak_rss_mb=_peak_rss_mb()))
        return 0
    os.write(start_fd, b"S")
    os.close(start_fd)
    try:
        res = solve(instance, spec.solver, time_limit_s=spec.time_limit_s, seed=spec.seed,
                    threads=spec.threads)
    except MemoryError:
        _lift_memory_limit()
        _write_result(result_path, WorkerResult(status=HarnessStatus.MEMOUT.value,
                                                error="MemoryError outside the solver call",
                                                peak_rss_mb=_peak_rss_mb()))
        return 0
    _lift_memory_limit()
    stats = _json_safe(res.stats)
    status: str = res.status.value
    error = stats.get("error") if isinstance(stats, dict) else None
    if status == SolveStatus.ERROR and isinstance(error, str) and (
            error.startswith("MemoryError")
            or (spec.mem_limit_mb is not None and error.startswith(_THREAD_ERROR))):
        status = HarnessStatus.MEMOUT.value
    claimed = stats.get("claimed_status") if isinstance(stats, dict) else None
    _write_result(result_path, WorkerResult(
        status=status,
        schedule=schedule_to_dict(res.schedule) if res.schedule is not None else None,
        bound=_no_nan(res.bound), runtime_s=round(res.runtime_s, 6),
        worker_missed=res.missed, stats=stats, error=error if isinstance(error, str) else None,
        claimed_status=claimed if isinstance(claimed, str) else None,
        peak_rss_mb=_peak_rss_mb()))
    return 0


if __name__ == "__main__":
    sys.exit(child_main(sys.argv[1:]))
