"""The event-driven online run: jobs revealed at release, decisions as they come.

Rules (the problem's, docs/design.md "The problem", executed in time order):

* a job is unknown before its release; at its release it becomes *pending*;
* events are releases, stage completions, hand-off completions and wake-ups a
  policy asked for; all events at one time are applied, then, if a processor
  is idle and something could start on it, the policy is called once (its
  wall-clock time is the *decision latency*);
* a started stage runs to its end (non-preemptive) with its *actual* duration,
  taken from the realized instance (:mod:`splitsched.online.draws`); the
  policy learns it only at the completion event;
* a job whose GPU stage started keeps its cut; its CPU stage becomes ready
  when the GPU stage and the hand-off are done and must then be started by
  the policy (a run that ends with a committed CPU stage never started is a
  policy error);
* a pending job may be dropped by the policy (final) or left waiting; jobs
  never started are dropped in the realized schedule.

The result is the realized :class:`~splitsched.problem.Schedule` (every start
is the time of the decision that made it), checked with
:func:`splitsched.evaluate.evaluate` against the realized instance, and the
log of decisions.
"""

from __future__ import annotations

import heapq
import time
from dataclasses import dataclass, field
from typing import Any

from splitsched.evaluate import Evaluation, evaluate
from splitsched.online.state import (
    Committed,
    Decision,
    OnlineState,
    Policy,
    PolicyError,
    Running,
    Start,
)
from splitsched.problem import CPU, GPU, Instance, Job, JobPlan, Schedule, StageTable, occupies

# event kinds, in the order they are applied at one time
_RELEASE, _GPU_END, _HANDOFF, _CPU_END, _WAKE = range(5)


@dataclass(frozen=True)
class DecisionRecord:
    """One call of the policy: when, how much was pending, what it did, how long
    it took: ``latency_us`` wall clock, ``cpu_us`` CPU time of the calling thread
    (both microseconds; on a loaded machine the wall clock includes waiting
    for a core, the CPU time does not)."""

    time: int
    pending: int
    committed: int
    starts: tuple[Start, ...]
    drops: tuple[str, ...]
    latency_us: float
    cpu_us: float = 0.0


@dataclass(frozen=True)
class OnlineRun:
    """The outcome of one online run.

    Attributes
    ----------
    schedule:
        The realized schedule (solver ``online:<policy>``), for ``realized``.
    realized:
        The instance with the actual durations of this run (the instance
        itself without noise).
    evaluation:
        ``evaluate(realized, schedule)``.
    decisions:
        Every call of the policy, in time order.
    policy_stats:
        The policy's own counters (``Policy.stats()``).
    """

    policy: str
    schedule: Schedule
    realized: Instance
    evaluation: Evaluation
    decisions: tuple[DecisionRecord, ...]
    policy_stats: dict[str, Any] = field(default_factory=dict)

    @property
    def latencies_us(self) -> list[float]:
        """Wall-clock time of each decision, us."""
        return [d.latency_us for d in self.decisions]

    @property
    def cpu_latencies_us(self) -> list[float]:
        """CPU time of each decision, us."""
        return [d.cpu_us for d in self.decisions]


class _Sim:
    """Mutable state of one run."""

    def __init__(self, instance: Instance, realized: Instance) -> None:
        self.instance = instance
        self.realized = realized
        self.events: list[tuple[int, int, int, str]] = []
        self.seq = 0
        self.now = 0
        self.pending: dict[str, Job] = {}
        self.committed: dict[str, dict[str, Any]] = {}
        self.running: dict[str, Running | None] = {GPU: None, CPU: None}
        self.cut: dict[str, int] = {}
        self.gpu_start: dict[str, int] = {}
        self.cpu_start: dict[str, int] = {}
        self.finished: dict[str, int] = {}
        self.dropped: set[str] = set()
        self._free_first: dict[str, bool] = {}

    def push(self, t: int, kind: int, job: str) -> None:
        heapq.heappush(self.events, (t, kind, self.seq, job))
        self.seq += 1

    def job(self, jid: str) -> Job:
        return self.instance.jobs[self.instance.job_index[jid]]

    def actual(self, jid: str) -> StageTable:
        """The job's actual stage durations (realized instance)."""
        return self.realized.stages_of(self.realized.jobs[self.realized.job_index[jid]])

    def snapshot(self) -> OnlineState:
        committed = []
        for jid, c in self.committed.items():
            job, k = self.job(jid), c["cut"]
            st = self.instance.stages_of(job)
            if c["ready"] is not None:
                expected = c["ready"]
            elif c["gpu_end"] is not None:
                expected = max(self.now, c["gpu_end"] + int(st.h[k]))
            else:
                expected = max(self.now, c["gpu_start"] + int(st.a[k])) + int(st.h[k])
            committed.append(Committed(job, k, c["gpu_start"], c["ready"], expected))
        pending = sorted(self.pending.values(), key=lambda j: (j.release, j.id))
        return OnlineState(now=self.now, networks=self.instance.network_by_name,
                           pending=tuple(pending), committed=tuple(committed),
                           running=dict(self.running), finished=dict(self.finished))

    def has_work(self) -> bool:
        """Could a stage start now? Then the policy is called.

        A zero-length stage occupies nothing (:func:`splitsched.problem.occupies`) and may
        start on a busy processor, so a pending job with such a first stage, or a ready
        CPU stage of length 0, counts while both processors are busy (a newcomer's
        attack, 2026-12-02: a zero-work job released while both were busy was never
        offered to the policy and missed its deadline)."""
        gpu_idle, cpu_idle = self.running[GPU] is None, self.running[CPU] is None
        if self.pending and (gpu_idle or cpu_idle):
            return True
        ready = [jid for jid, c in self.committed.items() if c["ready"] is not None]
        if ready and cpu_idle:
            return True
        if any(self._free_first_stage(j.network) for j in self.pending.values()):
            return True
        return any(not occupies(self._nominal(Start(jid, CPU, self.cut[jid])))
                   for jid in ready)

    def _free_first_stage(self, network: str) -> bool:
        """Has some cut of ``network`` a first stage that occupies nothing?"""
        if network not in self._free_first:
            st = self.instance.network_by_name[network].stages
            self._free_first[network] = bool((~st.gpu_busy[1:]).any()) or not st.cpu_busy[0]
        return self._free_first[network]

    # ---------------------------------------------------------------- events
    def apply(self, kind: int, jid: str) -> None:
        if kind == _RELEASE:
            self.pending[jid] = self.job(jid)
        elif kind == _GPU_END:
            k = self.cut[jid]
            run = self.running[GPU]
            if run is not None and run.job == jid:
                self.running[GPU] = None
            rst = self.actual(jid)
            if k == rst.num_layers:
                self.finished[jid] = self.now
            else:
                self.committed[jid]["gpu_end"] = self.now
                self.push(self.now + int(rst.h[k]), _HANDOFF, jid)
        elif kind == _HANDOFF:
            self.committed[jid]["ready"] = self.now
        elif kind == _CPU_END:
            run = self.running[CPU]
            if run is not None and run.job == jid:
                self.running[CPU] = None
            self.finished[jid] = self.now

    # ---------------------------------------------------------------- decisions
    def _check_start(self, s: Start, used: set[str]) -> None:
        if s.processor not in (GPU, CPU):
            raise PolicyError(f"start of job {s.job!r}: unknown processor {s.processor!r}")
        if s.job in self.pending:
            job = self.pending[s.job]
            last = self.instance.stages_of(job).num_layers
            if not 0 <= s.cut <= last:
                raise PolicyError(f"job {s.job!r}: cut {s.cut} out of range 0..{last}")
            first = GPU if s.cut > 0 else CPU
            if s.processor != first:
                raise PolicyError(f"job {s.job!r}: cut {s.cut} starts on the {first}, "
                                  f"not the {s.processor}")
        elif s.job in self.committed:
            c = self.committed[s.job]
            if s.processor != CPU or s.cut != c["cut"]:
                raise PolicyError(f"job {s.job!r} is committed to cut {c['cut']}: only its "
                                  f"CPU stage may start (asked {s.processor} cut {s.cut})")
            if s.job in self.cpu_start:
                raise PolicyError(f"job {s.job!r}: CPU stage already started")
            if c["ready"] is None:
                raise PolicyError(f"job {s.job!r}: CPU stage not ready at {self.now} "
                                  "(GPU stage or hand-off still running)")
        else:
            raise PolicyError(f"job {s.job!r} cannot start at {self.now}: not released, "
                              "already started, finished or dropped")
        if self._nominal(s) > 0:
            busy = self.running[s.processor]
            if busy is not None:
                raise PolicyError(f"job {s.job!r}: {s.processor} is busy at {self.now} with "
                                  f"job {busy.job!r}")
            if s.processor in used:
                raise PolicyError(f"two stages started on the {s.processor} at {self.now}")
            used.add(s.processor)

    def _nominal(self, s: Start) -> int:
        st = self.instance.stages_of(self.job(s.job))
        return int(st.a[s.cut] if s.processor == GPU else st.b[s.cut])

    def execute(self, decision: Decision) -> None:
        used: set[str] = set()
        for jid in decision.drops:
            if jid not in self.pending:
                raise PolicyError(f"cannot drop job {jid!r} at {self.now}: not a pending job")
        for s in decision.starts:
            self._check_start(s, used)
            if s.job in decision.drops:
                raise PolicyError(f"job {s.job!r} both started and dropped at {self.now}")
        for jid in decision.drops:
            del self.pending[jid]
            self.dropped.add(jid)
        for s in decision.starts:
            self._start(s)
        if decision.wake_at is not None:
            if decision.wake_at <= self.now:
                raise PolicyError(f"wake_at {decision.wake_at} is not after now ({self.now})")
            self.push(int(decision.wake_at), _WAKE, "")

    def _start(self, s: Start) -> None:
        rst = self.actual(s.job)
        nominal = self._nominal(s)
        if s.processor == GPU:
            del self.pending[s.job]
            self.cut[s.job] = s.cut
            self.gpu_start[s.job] = self.now
            end = self.now + int(rst.a[s.cut])
            if s.cut < rst.num_layers:
                self.committed[s.job] = {"cut": s.cut, "gpu_start": self.now, "gpu_end": None,
                                         "ready": None}
            self.push(end, _GPU_END, s.job)
        else:
            if s.job in self.pending:
                del self.pending[s.job]
                self.cut[s.job] = s.cut
            else:
                del self.committed[s.job]
            self.cpu_start[s.job] = self.now
            end = self.now + int(rst.b[s.cut])
            self.push(end, _CPU_END, s.job)
        if nominal > 0:
            self.running[s.processor] = Running(s.job, s.cut, self.now, self.now + nominal)

    def schedule(self, solver: str) -> Schedule:
        plans = []
        for job in self.instance.jobs:
            k = self.cut.get(job.id)
            if k is None:
                plans.append(JobPlan(job=job.id, cut=None))
            else:
                plans.append(JobPlan(job=job.id, cut=k, gpu_start=self.gpu_start.get(job.id),
                                     cpu_start=self.cpu_start.get(job.id)))
        return Schedule(instance_id=self.realized.id, solver=solver, plans=tuple(plans))


def run_online(instance: Instance, policy: Policy, *, realized: Instance | None = None,
               seed: int = 0) -> OnlineRun:
    """Run ``policy`` online on ``instance``.

    Parameters
    ----------
    instance:
        The instance; the policy sees its profiled stage tables.
    policy:
        Any :class:`~splitsched.online.state.Policy`; ``reset(seed)`` is called first.
    realized:
        Actual durations (same job ids, releases, deadlines; see
        :func:`splitsched.online.draws.realized_instance`); default: the
        instance itself (no noise).
    seed:
        Passed to ``policy.reset``.

    Returns
    -------
    OnlineRun

    Raises
    ------
    PolicyError
        The policy broke a rule: started a stage on a busy processor, a job
        not pending, a CPU stage before its hand-off ended, a wrong cut; or
        left a committed CPU stage unstarted when nothing else could happen.
    ValueError
        ``realized`` does not have the instance's jobs.
    """
    realized = realized or instance
    if [(j.id, j.release, j.deadline, j.weight) for j in realized.jobs] != \
            [(j.id, j.release, j.deadline, j.weight) for j in instance.jobs]:
        raise ValueError(f"realized instance {realized.id!r} does not have the jobs of "
                         f"{instance.id!r}")
    sim = _Sim(instance, realized)
    for job in instance.jobs:
        sim.push(job.release, _RELEASE, job.id)
    policy.reset(seed)
    log: list[DecisionRecord] = []
    while sim.events:
        t = sim.events[0][0]
        sim.now = t
        while sim.events and sim.events[0][0] == t:
            _, kind, _, jid = heapq.heappop(sim.events)
            sim.apply(kind, jid)
        if not sim.has_work():
            continue
        state = sim.snapshot()
        c0, t0 = time.thread_time_ns(), time.perf_counter_ns()
        decision = policy.decide(state)
        latency = (time.perf_counter_ns() - t0) / 1000.0
        cpu = (time.thread_time_ns() - c0) / 1000.0
        sim.execute(decision)
        log.append(DecisionRecord(t, len(state.pending), len(state.committed),
                                  tuple(decision.starts), tuple(decision.drops), latency, cpu))
    if sim.committed:
        left = ", ".join(sorted(sim.committed))
        raise PolicyError(f"policy {policy.name!r} left the CPU stage of job(s) {left} "
                          "unstarted: a job whose GPU stage started must run its CPU stage")
    schedule = sim.schedule(f"online:{policy.name}")
    return OnlineRun(policy=policy.name, schedule=schedule, realized=realized,
                     evaluation=evaluate(realized, schedule), decisions=tuple(log),
                     policy_stats=dict(policy.stats()))
