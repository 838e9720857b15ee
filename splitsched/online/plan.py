"""A plan for the work not yet started, its predicted timing, and its dispatch.

A :class:`Plan` fixes, for the jobs it accepts, a cut and the order of stages
on each processor; jobs outside it wait (they are not dropped: a later plan may
take them). Committed jobs (GPU stage started, CPU stage not) always belong to
it with their committed cut. Only stages of positive length are ordered: a
zero-length stage occupies nothing and starts as soon as it is ready.

:func:`predict` times a plan from an :class:`~splitsched.online.state.OnlineState`
with profiled durations: each processor runs its stages in plan order, each as
early as the processor (expected free time) and the stage (release, hand-off)
allow. :func:`dispatch` is the matching dispatch rule: on each idle processor,
start the next stage of its order if it is ready now, else wait. With exact
durations the realized times equal the predicted ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from splitsched.online.state import Decision, OnlineState, Start
from splitsched.problem import CPU, GPU


@dataclass
class Plan:
    """Cuts and per-processor orders of the jobs a policy means to run.

    ``cuts`` maps job id -> cut for accepted pending jobs and for committed
    jobs; ``gpu_order`` lists pending jobs with a positive GPU stage;
    ``cpu_order`` lists pending or committed jobs with a positive CPU stage.
    """

    cuts: dict[str, int] = field(default_factory=dict)
    gpu_order: list[str] = field(default_factory=list)
    cpu_order: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Prediction:
    """Predicted timing of a plan: on-time weight, makespan, per-job completion."""

    on_time_weight: int
    makespan: int
    completion: dict[str, int]
    late_pending: tuple[str, ...]

    def better_than(self, other: Prediction) -> bool:
        """More on-time weight, or as much and a strictly smaller makespan."""
        return (self.on_time_weight, -self.makespan) > (other.on_time_weight, -other.makespan)


def sync(plan: Plan, state: OnlineState) -> Plan:
    """The plan restricted to what is still to do in ``state``.

    Started stages leave the orders; jobs neither pending nor committed (done,
    dropped) leave the plan; committed jobs missing from it (or whose cut
    differs) are added with their cut, their CPU stage last.
    """
    pending = state.pending_by_id
    committed = state.committed_by_id
    cuts = {jid: k for jid, k in plan.cuts.items() if jid in pending}
    for jid, c in committed.items():
        cuts[jid] = c.cut
    gpu_order = [jid for jid in plan.gpu_order if jid in pending and jid in cuts]
    cpu_order = [jid for jid in plan.cpu_order
                 if jid in cuts and (jid in pending or jid in committed)]
    listed = set(cpu_order)
    for jid, c in committed.items():
        if jid not in listed:
            t = state.table_of(c.job)
            if c.cut < t.num_layers and t.b[c.cut] > 0:
                cpu_order.append(jid)
    return Plan(cuts, gpu_order, cpu_order)


def predict(plan: Plan, state: OnlineState) -> Prediction:
    """Time ``plan`` from ``state`` with profiled durations (earliest starts in
    plan order); ``plan`` must be synced with ``state``."""
    now = state.now
    jobs = state.job_by_id
    committed = state.committed_by_id
    tab = state.table_by_id
    cuts = plan.cuts
    gpu_end: dict[str, int] = {}
    completion: dict[str, int] = {}
    # zero-length GPU stages end when they start: now
    for jid, k in cuts.items():
        if jid not in committed and k > 0 and not tab[jid].gpu_busy[k]:
            gpu_end[jid] = now
    t = state.free_at(GPU)
    for jid in plan.gpu_order:
        t = max(t, now) + tab[jid].a[cuts[jid]]
        gpu_end[jid] = t
    for jid, end in gpu_end.items():
        if cuts[jid] == tab[jid].num_layers:
            completion[jid] = end

    def ready(jid: str) -> int:
        if jid in committed:
            return max(now, committed[jid].expected_ready)
        k = cuts[jid]
        if k == 0:
            return now
        return gpu_end[jid] + tab[jid].h[k]

    for jid, k in cuts.items():  # zero-length CPU stages: done when ready
        st = tab[jid]
        if k < st.num_layers and not st.cpu_busy[k]:
            completion[jid] = ready(jid)
    t = state.free_at(CPU)
    for jid in plan.cpu_order:
        t = max(t, ready(jid)) + tab[jid].b[cuts[jid]]
        completion[jid] = t
    weight = 0
    late: list[str] = []
    for jid, end in completion.items():
        if end <= jobs[jid].deadline:
            weight += jobs[jid].weight
        elif jid not in committed:
            late.append(jid)
    busy_until = max([state.free_at(GPU), state.free_at(CPU), *completion.values()])
    return Prediction(weight, busy_until, completion, tuple(sorted(late)))


def without(plan: Plan, jobs: tuple[str, ...]) -> Plan:
    """The plan minus some pending jobs (their stages leave both orders)."""
    gone = set(jobs)
    return Plan({j: k for j, k in plan.cuts.items() if j not in gone},
                [j for j in plan.gpu_order if j not in gone],
                [j for j in plan.cpu_order if j not in gone])


def prune(plan: Plan, state: OnlineState) -> tuple[Plan, Prediction]:
    """Drop from the plan the pending jobs it makes late, then predict again.

    Removing a job only frees processors, so no job of the plan ends later;
    a few rounds reach a plan whose pending jobs are all on time.
    """
    pred = predict(plan, state)
    while pred.late_pending:
        plan = without(plan, pred.late_pending)
        pred = predict(plan, state)
    return plan, pred


def dispatch(plan: Plan, state: OnlineState) -> Decision:
    """Start, on each idle processor, the next stage of the plan if it is ready now.

    Zero-length stages of planned jobs start as soon as they are ready.
    """
    pending = state.pending_by_id
    committed = state.committed_by_id
    starts: list[Start] = []
    for jid, k in plan.cuts.items():
        if jid in pending:
            st = state.table_by_id[jid]
            if (k > 0 and st.a[k] == 0) or (k == 0 and st.b[0] == 0):
                starts.append(Start(jid, GPU if k > 0 else CPU, k))
        elif jid in committed:
            c = committed[jid]
            if c.ready is not None and c.ready <= state.now \
                    and state.table_by_id[jid].b[c.cut] == 0:
                starts.append(Start(jid, CPU, c.cut))
    if state.idle(GPU) and plan.gpu_order:
        jid = plan.gpu_order[0]
        starts.append(Start(jid, GPU, plan.cuts[jid]))
    if state.idle(CPU) and plan.cpu_order:
        jid = plan.cpu_order[0]
        if jid in pending and plan.cuts[jid] == 0:
            starts.append(Start(jid, CPU, 0))
        elif jid in committed:
            c = committed[jid]
            if c.ready is not None and c.ready <= state.now:
                starts.append(Start(jid, CPU, c.cut))
    return Decision(starts=tuple(starts))
