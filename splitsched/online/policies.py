"""Built-in online policies and the registry of policy names.

Names (``splitsched online --policy NAME``):

* ``fifo-gpu``, ``fifo-cpu``, ``edf-gpu``, ``edf-cpu``, ``edf-best-single``,
  ``edf-greedy-cut``: the greedy rules of :mod:`splitsched.solvers.greedy` in
  online form. At each event the list scheduler runs over what is known
  (pending jobs, committed CPU stages, busy processors' expected free times)
  and the stages it places first on idle processors start now; the rest is
  recomputed at the next event. ``fifo-gpu`` (every job whole on the GPU in
  release order, none dropped) is what inference frameworks do today.
* ``replan:<solver>``: at each event, re-solve the released jobs not yet
  started (and the committed CPU stages) with the registered solver
  ``<solver>`` under a per-decision budget, from the current state; the new
  plan replaces the current one only if it is predicted better (more on-time
  weight, then a smaller makespan); only the stages the plan starts now are
  committed. ``replan:dp-edf`` calls the DP of :mod:`splitsched.solvers.dp`
  in process with the processors' expected free times as its start label
  (:func:`dp_edf_search`: the DP's exact optimum; without a current plan
  and from 10 jobs on, found by a search from a beam incumbent), its inputs
  built from trusted data and cached per network
  (:mod:`splitsched.online.dpinput`); other solvers get a sub-instance in
  which busy processors and committed CPU stages are jobs of their own (see
  :class:`SubInstanceBuilder`).

A user policy: implement :class:`~splitsched.online.state.Policy` and call
:func:`register_policy` with a factory ``(argument, options) -> Policy``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from splitsched.online.plan import Plan, Prediction, dispatch, prune, sync
from splitsched.online.state import Decision, OnlineState, Policy, Start
from splitsched.problem import (
    CPU,
    GPU,
    Instance,
    Job,
    Network,
    Schedule,
    StageTable,
    edf_key,
)
from splitsched.solvers.greedy import earliest_finish_cut

if TYPE_CHECKING:
    from splitsched.solvers.dp import Prepared, Run


@dataclass(frozen=True)
class PolicyOptions:
    """Options every factory receives.

    ``replan_budget_ms``: wall-clock budget of one re-solve (ms, > 0).
    """

    replan_budget_ms: float = 50.0

    def __post_init__(self) -> None:
        if not self.replan_budget_ms > 0:
            raise ValueError(f"replan_budget_ms must be > 0, got {self.replan_budget_ms}")


Factory = Callable[[str | None, PolicyOptions], Policy]
_FACTORIES: dict[str, tuple[Factory, str]] = {}


class UnknownPolicyError(KeyError):
    """A policy name that no factory knows."""

    def __str__(self) -> str:
        return str(self.args[0])


def register_policy(name: str, factory: Factory, summary: str) -> None:
    """Register ``factory`` under ``name``; ``name:ARG`` passes ARG to it."""
    _FACTORIES[name] = (factory, summary)


def policy_summaries() -> dict[str, str]:
    """Registered names (``replan`` takes ``:<solver>``) with one line each."""
    return {n: s for n, (_, s) in sorted(_FACTORIES.items())}


def uses_replan_budget(name: str) -> bool:
    """Whether the built-in policy ``name`` uses ``PolicyOptions.replan_budget_ms``: only
    ``replan`` (``replan:<solver>``) re-solves; the greedy rules decide by a list rule
    and take no budget (their factories ignore it)."""
    return name.partition(":")[0].strip() == "replan"


def make_policy(name: str, options: PolicyOptions | None = None) -> Policy:
    """Build the policy called ``name`` (``base`` or ``base:argument``).

    Raises
    ------
    UnknownPolicyError
        No such policy, or ``replan:`` with an unknown solver.
    """
    base, _, arg = name.partition(":")
    if base not in _FACTORIES:
        raise UnknownPolicyError(f"unknown policy {name!r}; known: "
                                 f"{', '.join(sorted(_FACTORIES))} (replan takes :<solver>)")
    return _FACTORIES[base][0](arg or None, options or PolicyOptions())


# ------------------------------------------------------------------ greedy (list scheduling)
Priority = Callable[[Job], tuple[int, int, str]]
CutChoice = Callable[[StageTable], list[int]]


_edf = edf_key  # the one EDF order (problem.edf_key)


def _fifo(job: Job) -> tuple[int, int, str]:
    return (job.release, 0, job.id)


GREEDY_RULES: dict[str, tuple[Priority, CutChoice, bool, str]] = {
    "fifo-gpu": (_fifo, lambda st: [st.num_layers], False,
                 "every job whole on the GPU in release order, none dropped (today's frameworks)"),
    "fifo-cpu": (_fifo, lambda st: [0], False,
                 "every job whole on the CPU in release order, none dropped"),
    "edf-gpu": (_edf, lambda st: [st.num_layers], True,
                "whole jobs on the GPU, earliest deadline first, hopeless jobs left out"),
    "edf-cpu": (_edf, lambda st: [0], True,
                "whole jobs on the CPU, earliest deadline first, hopeless jobs left out"),
    "edf-best-single": (_edf, lambda st: [st.num_layers] if st.a[-1] <= st.b[0] else [0], True,
                        "each job whole on its faster processor, EDF, hopeless jobs left out"),
    "edf-greedy-cut": (_edf, lambda st: list(st.cuts), True,
                       "EDF; each job takes the cut that ends it earliest given both "
                       "processors' expected free times; hopeless jobs left out"),
}


def list_plan(state: OnlineState, priority: Priority, choices: CutChoice,
              drop_late: bool, skip: frozenset[str] = frozenset()) -> Plan:
    """The greedy list schedule of what is known at ``state.now``, as a plan.

    Mirrors :func:`splitsched.solvers.greedy.list_schedule` from the current
    state: the processors are free from their expected free times, pending
    jobs are ready now, a committed CPU stage from its expected ready time.
    At each step the dispatch time is the earliest moment some item could
    start (non-idling); among the items ready by then the first by
    ``priority`` goes, a pending job with the cut among ``choices`` that ends
    it earliest (left out if late and ``drop_late``), a committed stage on
    the CPU (never left out). Pending jobs in ``skip`` are left out (the
    caller's hopeless jobs: with ``drop_late`` they would be left out anyway).
    """
    now = state.now
    gpu_free, cpu_free = state.free_at(GPU), state.free_at(CPU)
    # item: (priority key, job, cut options or None for a committed CPU stage, ready)
    items: list[tuple[tuple[int, int, str], Job, list[int] | None, int]] = []
    for job in state.pending:
        if job.id not in skip:
            items.append((priority(job), job, choices(state.stages_of(job)), now))
    for com in state.committed:
        if int(state.stages_of(com.job).b[com.cut]) > 0:
            items.append((priority(com.job), com.job, None, max(now, com.expected_ready)))
    items.sort(key=lambda it: it[0])
    cuts: dict[str, int] = {com.job.id: com.cut for com in state.committed}
    gpu_starts: list[tuple[int, int, str]] = []
    cpu_starts: list[tuple[int, int, str]] = []
    seq = 0
    while items:
        t = min(_earliest(state, it, gpu_free, cpu_free) for it in items)
        pick = next(i for i, it in enumerate(items) if it[3] <= t)
        _, job, opts, ready = items.pop(pick)
        st = state.stages_of(job)
        seq += 1
        if opts is None:
            s = max(cpu_free, ready)
            cpu_free = s + int(st.b[cuts[job.id]])
            cpu_starts.append((s, seq, job.id))
            continue
        last = st.num_layers
        finish, k, g, c = earliest_finish_cut(st, opts, now, gpu_free, cpu_free)
        if drop_late and finish > job.deadline:
            continue
        cuts[job.id] = k
        if st.a[k] > 0:
            gpu_free = g + int(st.a[k])
            gpu_starts.append((g, seq, job.id))
        if k < last and st.b[k] > 0:
            cpu_free = c + int(st.b[k])
            cpu_starts.append((c, seq, job.id))
    return Plan(cuts, [j for _, _, j in sorted(gpu_starts)], [j for _, _, j in sorted(cpu_starts)])


def _earliest(state: OnlineState, item: tuple[Any, Job, list[int] | None, int], gpu_free: int,
              cpu_free: int) -> int:
    """When a list-scheduling item could start at the earliest on a processor it may use."""
    _, job, opts, ready = item
    if opts is None:
        return max(ready, cpu_free)
    st = state.stages_of(job)
    uses_gpu = any(k > 0 for k in opts)
    uses_cpu = any(k < st.num_layers for k in opts)
    first = min(gpu_free if uses_gpu else cpu_free, cpu_free if uses_cpu else gpu_free)
    return max(ready, first)


class GreedyPolicy:
    """Online list scheduling with one of the greedy rules (see :func:`list_plan`)."""

    def __init__(self, name: str) -> None:
        if name not in GREEDY_RULES:
            raise UnknownPolicyError(f"unknown greedy rule {name!r}")
        self.name = name
        self._priority, self._choices, self._drop_late, _ = GREEDY_RULES[name]

    def reset(self, seed: int) -> None:
        pass

    def decide(self, state: OnlineState) -> Decision:
        if not self._drop_late:
            return dispatch(list_plan(state, self._priority, self._choices, False), state)
        # A job that cannot end on time even alone from now never will (time only grows):
        # drop it, so that the pending set, which each decision scans (list_plan is
        # quadratic in it), holds only jobs still worth planning. Under overload most
        # pending jobs were hopeless (96 % over 400 poisson jobs at load 3), and 10,000
        # jobs did not finish in 400 s.
        hopeless = tuple(j.id for j in state.pending if not fits_alone(state, j))
        plan = list_plan(state, self._priority, self._choices, True, frozenset(hopeless))
        decision = dispatch(plan, state)
        return Decision(starts=decision.starts, drops=hopeless, wake_at=decision.wake_at)

    def stats(self) -> dict[str, float | int | str]:
        return {}


# ------------------------------------------------------------------ sub-instances for solvers
BLOCKER_GPU = "~gpu-busy"
BLOCKER_CPU = "~cpu-busy"


def _one_layer(name: str, gpu: int, cpu: int) -> Network:
    return Network(name=name, layer_names=("stage",), gpu_us=(gpu,), cpu_us=(cpu,),
                   handoff_us=(0, 0))


def fits_alone(state: OnlineState, job: Job) -> bool:
    """Whether ``job`` could still end on time if it started now on idle processors."""
    return state.now + state.table_of(job).min_isolated <= job.deadline


class SubInstanceBuilder:
    """Builds the instance a solver re-solves at an event, times shifted by ``-now``.

    Pending jobs that can still fit are released at 0 with deadline
    ``d - now``; a committed CPU stage of length ``b`` is a job of its own on a
    one-layer network (CPU ``b``; GPU prohibitively long), released at its
    expected ready time, with the job's deadline and weight (clamped to its
    release when already past). With ``blockers``, a busy processor is a job
    that must start at 0 on it and end at its expected free time (weight above
    all others together, so a solver that maximises on-time weight keeps it).
    The networks of committed stages are cached per job (their stage tables
    are computed once).
    """

    def __init__(self) -> None:
        self._stage_nets: dict[tuple[str, int], Network] = {}

    def committed_network(self, jid: str, b: int, big: int) -> Network:
        key = (jid, b)
        if key not in self._stage_nets:
            self._stage_nets[key] = _one_layer(f"~cpu-stage:{jid}", big, b)
        return self._stage_nets[key]

    def build(self, state: OnlineState, *, blockers: bool) -> tuple[Instance, dict[str, str]]:
        """The sub-instance and, per sub-job id, what it stands for
        (``pending``, ``committed``, ``blocker``)."""
        now = state.now
        nets: dict[str, Network] = {}
        jobs: list[Job] = []
        kind: dict[str, str] = {}
        horizon = max([j.deadline for j in state.pending]
                      + [c.job.deadline for c in state.committed]
                      + [state.free_at(GPU), state.free_at(CPU), now])
        big = 4 * (horizon - now) + 1
        for job in state.pending:
            if fits_alone(state, job):
                nets.setdefault(job.network, state.networks[job.network])
                jobs.append(Job(job.id, job.network, 0, job.deadline - now, job.weight))
                kind[job.id] = "pending"
        for c in state.committed:
            b = int(state.stages_of(c.job).b[c.cut])
            if b == 0:
                continue
            net = self.committed_network(c.job.id, b, big)
            nets[net.name] = net
            rel = max(0, c.expected_ready - now)
            jobs.append(Job(c.job.id, net.name, rel, max(rel, c.job.deadline - now),
                            c.job.weight))
            kind[c.job.id] = "committed"
        if blockers:
            heavy = sum(j.weight for j in jobs) + 1
            for proc, jid in ((GPU, BLOCKER_GPU), (CPU, BLOCKER_CPU)):
                busy = state.free_at(proc) - now
                if busy > 0:
                    net = _one_layer(jid, busy if proc == GPU else big,
                                     big if proc == GPU else busy)
                    nets[net.name] = net
                    jobs.append(Job(jid, net.name, 0, busy, heavy))
                    kind[jid] = "blocker"
        inst = Instance(id=f"online-t{now}", networks=tuple(nets.values()), jobs=tuple(jobs))
        return inst, kind


def plan_from_schedule(schedule: Schedule, kind: Mapping[str, str], state: OnlineState) -> Plan:
    """Cuts and orders of a solver's schedule of a sub-instance, as a plan.

    Orders are the schedule's start times (ties: instance order). Blockers
    are ignored; a committed stage the solver dropped or put on the GPU is
    left out (:func:`~splitsched.online.plan.sync` puts it last on the CPU).
    """
    pending = {j.id: j for j in state.pending}
    cuts: dict[str, int] = {c.job.id: c.cut for c in state.committed}
    gpu: list[tuple[int, int, str]] = []
    cpu: list[tuple[int, int, str]] = []
    for i, p in enumerate(schedule.plans):
        what = kind.get(p.job)
        if p.cut is None or what is None or what == "blocker":
            continue
        if what == "committed":
            if p.cut == 0 and p.cpu_start is not None:
                cpu.append((p.cpu_start, i, p.job))
            continue
        st = state.stages_of(pending[p.job])
        cuts[p.job] = p.cut
        if p.cut > 0 and int(st.a[p.cut]) > 0:
            gpu.append((p.gpu_start if p.gpu_start is not None else 0, i, p.job))
        if p.cut < st.num_layers and int(st.b[p.cut]) > 0:
            cpu.append((p.cpu_start if p.cpu_start is not None else 0, i, p.job))
    return Plan(cuts, [j for *_, j in sorted(gpu)], [j for *_, j in sorted(cpu)])


# ------------------------------------------------------------------ re-planning
def weight_ceiling(state: OnlineState) -> int:
    """An upper bound on the on-time weight any plan can reach from ``state``:
    the pending jobs that could still end on time alone, and the committed jobs
    whose CPU stage could still end on time if started when ready."""
    total = sum(j.weight for j in state.pending if fits_alone(state, j))
    for c in state.committed:
        b = state.table_of(c.job).b[c.cut]
        if max(state.now, c.expected_ready) + b <= c.job.deadline:
            total += c.job.weight
    return total


class ReplanPolicy:
    """Re-solve at every event; keep the current plan unless the new one is better.

    The solver is skipped at an event where the current plan already puts on
    time every job that could still be (:func:`weight_ceiling`): no plan
    can do better in weight (counted as ``skipped``). A solver other than
    ``dp-edf`` that leaves no plan putting a job on time (an error, or nothing
    within the budget) is replaced at that event by the DP's beam plan
    (``fallbacks``), adopted if better: without it, a budget too small for the
    solver left both processors idle and every job was lost.

    Parameters
    ----------
    solver:
        A registered solver name.
    budget_ms:
        Per-decision budget: the solver's ``time_limit_s`` (``dp-edf``: the
        deadline of :func:`dp_edf_search`'s passes; when it runs out, the
        best answer found so far is used).
    fast:
        ``dp-edf`` only: build the DP's sub-problem from trusted data
        (:mod:`splitsched.online.dpinput`: cached stage tables, no
        re-validation of jobs and instance), the default; False builds it
        through the validated :class:`SubInstanceBuilder` (the reference path;
        both give the same decisions).
    """

    def __init__(self, solver: str, budget_ms: float, *, fast: bool = True) -> None:
        from splitsched.solvers.base import get_solver

        self.solver = solver
        self.info = get_solver(solver)  # raises UnknownSolverError
        self.name = f"replan:{solver}"
        self.budget_s = budget_ms / 1000.0
        self._builder = SubInstanceBuilder()
        self._accepts_warm = self.info.uses_warm_start
        self.fast = fast
        self.reset(0)

    def reset(self, seed: int) -> None:
        self.seed = seed
        self.plan = Plan()
        self.counts = {"solves": 0, "skipped": 0, "adopted": 0, "solver_errors": 0,
                       "timeouts": 0, "fallbacks": 0}

    def stats(self) -> dict[str, float | int | str]:
        return dict(self.counts)

    def decide(self, state: OnlineState) -> Decision:
        current, cur_pred = prune(sync(self.plan, state), state)
        if cur_pred.on_time_weight >= weight_ceiling(state):
            # no plan can put more weight on time: keep this one, skip the solver
            self.counts["skipped"] += 1
            self.plan = current
            return dispatch(current, state)
        try:
            proposal = self.propose(state, cur_pred)
        except Exception:  # a failing solver never stops the run: keep the current plan
            self.counts["solver_errors"] += 1
            proposal = None
        self.counts["solves"] += 1
        if proposal is not None:
            new, new_pred = prune(sync(proposal, state), state)
            if new_pred.better_than(cur_pred):
                current, cur_pred = new, new_pred
                self.counts["adopted"] += 1
        if cur_pred.on_time_weight == 0 and self.solver != "dp-edf":
            # The solver gave no plan that puts a job on time (an error, or nothing within
            # the budget), though one could be (the ceiling is above 0). Dispatching an
            # empty plan leaves the processors idle and, with no event to come, every
            # pending job lost: fall back to the DP's beam plan (a few ms).
            fallback = self._propose_dp(state, 0, budget_s=0.0)
            if fallback is not None:
                new, new_pred = prune(sync(fallback, state), state)
                if new_pred.better_than(cur_pred):
                    current = new
                    self.counts["fallbacks"] += 1
        self.plan = current
        return dispatch(current, state)

    def propose(self, state: OnlineState, current: Prediction) -> Plan | None:
        """A fresh plan from the solver, or None when there is nothing to plan."""
        if self.solver == "dp-edf":
            return self._propose_dp(state, current.on_time_weight)
        sub, kind = self._builder.build(state, blockers=True)
        if not any(v != "blocker" for v in kind.values()):
            return None
        kwargs: dict[str, Any] = {"time_limit_s": self.budget_s, "seed": self.seed,
                                  "threads": 1}
        if self._accepts_warm:
            kwargs["warm_start"] = None
        out = self.info.fn(sub, **kwargs)
        if out.status == "timeout":
            self.counts["timeouts"] += 1
        if out.schedule is None:
            return None
        return plan_from_schedule(out.schedule, kind, state)

    def _propose_dp(self, state: OnlineState, lower_bound: int,
                    budget_s: float | None = None) -> Plan | None:
        """The DP's plan from ``state`` (the fast path, :mod:`~splitsched.online.dpinput`)
        within ``budget_s`` (default: the policy's budget; 0: the beam pass only, the
        fallback of another solver that gave no schedule)."""
        if not self.fast:
            return self._propose_dp_reference(state, lower_bound, budget_s)
        # imported here: the DP loads numba, which greedy-only runs do not need
        from splitsched.online.dpinput import dp_subproblem, plan_from_cuts

        sub, jobs, committed = dp_subproblem(state, self._builder.committed_network)
        if not jobs:
            return None
        run = self._run_dp(sub, jobs, state, lower_bound, budget_s)
        return plan_from_cuts(run.cuts, jobs, committed, state)

    def _propose_dp_reference(self, state: OnlineState, lower_bound: int,
                              budget_s: float | None = None) -> Plan | None:
        """The same plan through the validated :class:`SubInstanceBuilder` and numpy tables."""
        sub, kind = self._builder.build(state, blockers=False)
        if not sub.jobs:
            return None
        jobs = sorted(sub.jobs, key=edf_key)
        run = self._run_dp(sub, jobs, state, lower_bound, budget_s)
        cuts: dict[str, int] = {c.job.id: c.cut for c in state.committed}
        gpu_order: list[str] = []
        cpu_order: list[str] = []
        for job in jobs:
            k = run.cuts[job.id]
            if k is None:
                continue
            if kind[job.id] == "committed":
                cpu_order.append(job.id)  # its sub-network has a CPU stage only (cut 0)
                continue
            st = sub.stages_of(job)
            cuts[job.id] = k
            if k > 0 and int(st.a[k]) > 0:
                gpu_order.append(job.id)
            if k < st.num_layers and int(st.b[k]) > 0:
                cpu_order.append(job.id)
        return Plan(cuts, gpu_order, cpu_order)

    def _run_dp(self, sub: Instance, jobs: list[Job], state: OnlineState,
                lower_bound: int, budget_s: float | None = None) -> Run:
        """The EDF-order DP's optimum from the processors' expected free times
        (:func:`dp_edf_search`), or its best answer when the budget runs out.
        The fast path passes per-job inputs cached per network
        (:func:`splitsched.online.dpinput.prepare_cached`), the reference path
        :func:`splitsched.solvers.dp.prepare`'s."""
        from splitsched.online.dpinput import prepare_cached
        from splitsched.solvers.dp import prepare

        prep = (prepare_cached if self.fast else prepare)(sub, jobs)
        now = state.now
        free = (state.free_at(GPU) - now, state.free_at(CPU) - now)
        # The current plan's on-time weight is a valid lower bound for our use: if the
        # EDF-order optimum reaches it, the search finds it; if not, the plan stays.
        budget = self.budget_s if budget_s is None else budget_s
        run, complete = dp_edf_search(sub, jobs, prep, free, lower_bound,
                                      time.perf_counter() + budget)
        if not complete and budget_s is None:
            self.counts["timeouts"] += 1
        return run


SEARCH_MIN_JOBS = 10
"""From this many jobs on, :func:`dp_edf_search` searches from an incumbent when
there is no current plan; below it, one plain exact pass is faster
(``benchmarks/test_online.py``)."""

SEARCH_BEAM = 32
"""Labels per stage of :func:`dp_edf_search`'s beam pass (16, 32 and 64 cost about
the same over 15 to 20 fresh pending jobs; ``benchmarks/test_online.py``)."""

REACH_CORNERS = 128
"""Corners per reach region in :func:`dp_edf_search` (more: tighter regions, slower
builds; 32 is slower than 64 or 128 over 15 to 20 fresh pending jobs,
``benchmarks/test_online.py``)."""


def dp_edf_search(instance: Instance, jobs: list[Job], prep: Prepared, free: tuple[int, int],
                  lower_bound: int = 0, deadline: float = float("inf")) -> tuple[Run, bool]:
    """The EDF-order DP's optimum over ``jobs`` from start label ``free``: the
    weight and makespan of :func:`splitsched.solvers.dp.run_dp`'s exact pass.

    Below :data:`SEARCH_MIN_JOBS` jobs, or with a ``lower_bound`` (the
    current plan's on-time weight, which prunes that pass well), that pass
    itself (when it runs out of time, the beam pass's answer if it has more
    weight). Otherwise (a fresh decision: no current plan), a search from an
    incumbent, each step an exact statement about EDF-order schedules:

    1. a beam pass (:data:`SEARCH_BEAM` labels per stage): a schedule of
       weight W;
    2. the exact pass over the jobs that schedule accepts, with lower bound W
       (every one of them must be accepted): the smallest makespan M with which
       that set is on time, an incumbent (W, M) no worse than the beam's;
    3. the exact pass over all jobs, keeping only labels inside the reach
       regions (:func:`splitsched.solvers.dp.reach_bound`) of "more than W, or
       W with makespan <= M - 1": outer approximations of the free times from
       which the incumbent can still be beaten, so the optimum's labels are
       never discarded. When no label is left, the incumbent is the optimum;
       otherwise the pass's best label is.

    The weight and makespan are the plain exact pass's (held to it by
    ``tests/online/test_policies_fast.py``); among answers of equal weight and
    makespan the cuts may differ from that pass's. If the beam pass accepts
    nothing, the plain exact pass runs.

    Parameters
    ----------
    instance, jobs, prep:
        The sub-problem, its jobs in EDF order and their
        :class:`~splitsched.solvers.dp.Prepared` inputs.
    free:
        GPU and CPU free times (us, relative to the sub-problem's time 0).
    lower_bound:
        A weight the caller already has (0: none).
    deadline:
        ``time.perf_counter()`` value after which no exact pass goes on: the
        answer is then the best found so far. The beam pass of step 1 always
        runs to its end (a few ms), so a decision always gets a schedule of
        the beam's weight, however small the budget.

    Returns
    -------
    run, complete:
        The answer (:class:`~splitsched.solvers.dp.Run`) and whether it is
        the optimum (False: the last pass ran out of time; the better of its
        partial answer and the incumbent is returned).

    Raises
    ------
    ValueError
        ``lower_bound`` exceeds every schedule in EDF order (as
        :func:`~splitsched.solvers.dp.run_dp`).
    """
    from splitsched.solvers.dp import DEFAULT_DP_SETTINGS, better, reach_to_beat, run_dp

    if len(jobs) < SEARCH_MIN_JOBS or lower_bound > 0:
        run = run_dp(instance, jobs, lower_bound=lower_bound, free=free, prepared=prep,
                     deadline=deadline)
        if not run.complete:
            beam = run_dp(instance, jobs, beam=DEFAULT_DP_SETTINGS.beam, free=free,
                          prepared=prep)
            if beam.accepted_weight > run.accepted_weight:
                run = beam
        return run, run.complete
    # The beam pass runs to its end whatever the deadline (SEARCH_BEAM labels per stage:
    # a few ms), as the other branch's fallback does: a decision always gets a plan.
    beam = run_dp(instance, jobs, beam=SEARCH_BEAM, free=free, prepared=prep)
    if beam.accepted_weight == 0:
        run = run_dp(instance, jobs, free=free, prepared=prep, deadline=deadline)
        return run, run.complete
    if time.perf_counter() > deadline:
        return beam, False
    inc = _shortest_with(instance, jobs, prep, free, beam, deadline)
    if time.perf_counter() > deadline:
        return inc, False
    reach = reach_to_beat(instance, jobs, inc, REACH_CORNERS, prep)
    try:
        run = run_dp(instance, jobs, lower_bound=inc.accepted_weight, grid=0, free=free,
                     reach=reach, prepared=prep, deadline=deadline)
    except ValueError:
        return inc, True  # no label can beat the incumbent: it is the optimum
    return (run if better(run, inc) else inc), run.complete


def _shortest_with(instance: Instance, jobs: list[Job], prep: Prepared, free: tuple[int, int],
                   beam: Run, deadline: float = float("inf")) -> Run:
    """The beam answer's accepted jobs with the smallest makespan that keeps all of
    them on time (the exact pass over those jobs alone, lower bound their weight);
    ``beam`` itself when that pass does not end by ``deadline``
    (``time.perf_counter()``)."""
    from splitsched.solvers.dp import Run, better, run_dp

    idx = [i for i, j in enumerate(jobs) if beam.cuts[j.id] is not None]
    sub_prep = prep.subset(idx)
    run = run_dp(instance, sub_prep.jobs, lower_bound=beam.accepted_weight, grid=0, free=free,
                 prepared=sub_prep, deadline=deadline)
    if not run.complete or not better(run, beam):
        return beam
    cuts: dict[str, int | None] = {j.id: None for j in jobs}
    cuts.update(run.cuts)
    return Run(run.accepted_weight, cuts, True, beam.labels_max, beam.labels_total, run.makespan)


# ------------------------------------------------------------------ a fixed plan
class FixedPlanPolicy:
    """Follow one schedule of the whole instance, in its per-processor orders.

    The dispatch rule of ``replay --policy order``: each processor runs the
    schedule's stages in planned order, each as soon as the processor is free,
    the job released, and (CPU stage after a GPU stage) the hand-off done.
    Dropped jobs are never started. It uses the schedule, made with knowledge
    of every job, so it is the *static* (clairvoyant) comparison, not an
    online policy.
    """

    def __init__(self, instance: Instance, schedule: Schedule, name: str | None = None) -> None:
        self.name = name or f"static:{schedule.solver}"
        self._instance = instance
        self._schedule = schedule
        self.reset(0)

    def reset(self, seed: int) -> None:
        gpu: list[tuple[int, int, str]] = []
        cpu: list[tuple[int, int, str]] = []
        self._cut: dict[str, int] = {}
        self._zero_gpu: set[str] = set()
        self._zero_cpu: set[str] = set()
        for i, job in enumerate(self._instance.jobs):
            p = self._schedule.plan_by_job.get(job.id)
            if p is None or p.cut is None:
                continue
            st = self._instance.stages_of(job)
            self._cut[job.id] = p.cut
            if p.cut > 0:
                if int(st.a[p.cut]) > 0:
                    gpu.append((int(p.gpu_start or 0), i, job.id))
                else:
                    self._zero_gpu.add(job.id)
            if p.cut < st.num_layers:
                if int(st.b[p.cut]) > 0:
                    cpu.append((int(p.cpu_start or 0), i, job.id))
                else:
                    self._zero_cpu.add(job.id)
        self._gpu = [j for *_, j in sorted(gpu)]
        self._cpu = [j for *_, j in sorted(cpu)]

    def stats(self) -> dict[str, float | int | str]:
        return {}

    def decide(self, state: OnlineState) -> Decision:
        pending = {j.id for j in state.pending}
        committed = {c.job.id: c for c in state.committed}
        starts: list[Start] = []
        for jid in pending & self._zero_gpu:
            starts.append(Start(jid, GPU, self._cut[jid]))
        for jid in sorted(self._zero_cpu):
            if self._cut[jid] == 0 and jid in pending:
                starts.append(Start(jid, CPU, 0))
            elif jid in committed and committed[jid].ready is not None:
                starts.append(Start(jid, CPU, self._cut[jid]))
        if state.idle(GPU) and self._gpu and self._gpu[0] in pending:
            jid = self._gpu.pop(0)
            starts.append(Start(jid, GPU, self._cut[jid]))
        if state.idle(CPU) and self._cpu:
            jid = self._cpu[0]
            if (self._cut[jid] == 0 and jid in pending) or \
                    (jid in committed and committed[jid].ready is not None):
                self._cpu.pop(0)
                starts.append(Start(jid, CPU, self._cut[jid]))
        for s in starts:
            if s.job in self._zero_gpu and s.processor == GPU:
                self._zero_gpu.discard(s.job)
            if s.job in self._zero_cpu and s.processor == CPU:
                self._zero_cpu.discard(s.job)
        return Decision(starts=tuple(starts))


# ------------------------------------------------------------------ registry
def _greedy_factory(rule: str) -> Factory:
    def make(arg: str | None, options: PolicyOptions) -> Policy:
        if arg is not None:
            raise UnknownPolicyError(f"policy {rule!r} takes no argument (got {arg!r})")
        return GreedyPolicy(rule)

    return make


def _replan_factory(arg: str | None, options: PolicyOptions) -> Policy:
    from splitsched.solvers.base import UnknownSolverError

    if not arg:
        raise UnknownPolicyError("policy 'replan' needs a solver: replan:<solver>, "
                                 "e.g. replan:dp-edf")
    try:
        return ReplanPolicy(arg, options.replan_budget_ms)
    except UnknownSolverError as exc:
        raise UnknownPolicyError(f"policy {'replan:' + arg!r}: {exc}") from None


for _rule, _spec in GREEDY_RULES.items():
    register_policy(_rule, _greedy_factory(_rule), _spec[3])
register_policy("replan", _replan_factory,
                "re-solve the released, not-yet-started jobs with a registered solver at "
                "every event (replan:<solver>, budget --replan-budget-ms); adopt a new plan "
                "only if predicted better; commit only what starts now")
