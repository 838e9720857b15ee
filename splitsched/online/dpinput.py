"""The fast path of ``replan:dp-edf``: the DP's sub-problem built from trusted data.

At an event, ``replan:dp-edf`` runs :func:`splitsched.solvers.dp.run_dp` over
the pending jobs that can still fit (released at 0, deadline ``d - now``) and
the committed CPU stages (one-layer networks of their own), from the
processors' expected free times; see
:class:`splitsched.online.policies.SubInstanceBuilder` for the sub-problem and
:meth:`splitsched.online.policies.ReplanPolicy.propose` for its use.

Everything here is derived from objects that were validated when the run's
instance was built (its jobs and networks) or from the committed stages' cached
networks, so it is not validated again: :func:`trusted_job` and
:func:`trusted_instance` build the frozen :class:`~splitsched.problem.Job` and
:class:`~splitsched.problem.Instance` without their ``__post_init__`` checks
(a validated ``Job`` costs about 10 to 20 us, 20 of them more than the rest of a
small decision). Stage tables come from :func:`splitsched.online.state.net_table`
(computed once per network). The sub-problem, and so the DP's answer, is the
same as the one the validated path builds (``tests/online/test_policies_fast.py``
compares the two paths' decisions event by event).

:func:`prepare_cached` builds the DP's per-job inputs (cut options, fit
limits: :class:`splitsched.solvers.dp.Prepared`) from :class:`DpNet`, computed
once per network, and the policy passes them to
:func:`splitsched.solvers.dp.run_dp` (``prepared=``), so the DP's driver lives
only there. :class:`DpNet` restates ``prepare``'s option and fit-limit rules
per network; ``test_prepare_cached_equals_prepare`` holds its output to
:func:`splitsched.solvers.dp.prepare`'s, so a change of those rules in
``solvers/dp.py`` fails it until it is made here too.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from types import MappingProxyType

import numpy as np

from splitsched.online.plan import Plan
from splitsched.online.state import OnlineState, PerNetwork, net_table
from splitsched.problem import CPU, GPU, Instance, Job, Network, edf_key
from splitsched.solvers.dp import DEFAULT_DP_SETTINGS, DpSettings, Prepared

# (job id, CPU stage length, GPU time that keeps the solver off the GPU) -> its network
CommittedNetwork = Callable[[str, int, int], Network]
_EMPTY: MappingProxyType[str, object] = MappingProxyType({})


def trusted_job(jid: str, network: str, release: int, deadline: int, weight: int) -> Job:
    """A :class:`Job` built without validation: the caller guarantees
    ``0 <= release <= deadline <= MAX_TIME_US`` and ``1 <= weight <= MAX_WEIGHT``
    (plain ints)."""
    job = object.__new__(Job)
    d = job.__dict__
    d["id"] = jid
    d["network"] = network
    d["release"] = release
    d["deadline"] = deadline
    d["weight"] = weight
    return job


def trusted_instance(iid: str, networks: tuple[Network, ...], jobs: tuple[Job, ...]) -> Instance:
    """An :class:`Instance` built without validation: the caller guarantees
    unique network names and job ids, every job's network among ``networks``,
    and the sum bounds (here: a sub-problem of a validated instance)."""
    inst = object.__new__(Instance)
    d = inst.__dict__
    d["id"] = iid
    d["networks"] = networks
    d["jobs"] = jobs
    d["provenance"] = _EMPTY
    return inst


def dp_subproblem(state: OnlineState, committed_network: CommittedNetwork
                  ) -> tuple[Instance, list[Job], set[str]]:
    """The DP's sub-problem at ``state``: instance, its jobs in EDF order, and
    the ids of the jobs that stand for committed CPU stages.

    The same jobs, networks and order as
    ``SubInstanceBuilder.build(state, blockers=False)`` followed by
    ``sorted(jobs, key=edf_key)``: a pending job enters if
    ``now + min_k isolated(k) <= deadline``; a committed stage of CPU length
    ``b > 0`` enters as a job on ``committed_network(id, b, big)``, released at
    ``max(0, expected_ready - now)``.
    """
    now = state.now
    networks = state.networks
    nets: dict[str, Network] = {}
    jobs: list[Job] = []
    committed: set[str] = set()
    for job in state.pending:
        net = networks[job.network]
        if now + state.table_of(job).min_isolated <= job.deadline:
            nets.setdefault(job.network, net)
            jobs.append(trusted_job(job.id, job.network, 0, job.deadline - now, job.weight))
    if state.committed:
        horizon = max([j.deadline for j in state.pending]
                      + [c.job.deadline for c in state.committed]
                      + [state.free_at(GPU), state.free_at(CPU), now])
        big = 4 * (horizon - now) + 1
        for c in state.committed:
            b = state.table_of(c.job).b[c.cut]
            if b == 0:
                continue
            net = committed_network(c.job.id, b, big)
            nets[net.name] = net
            rel = max(0, c.expected_ready - now)
            jobs.append(trusted_job(c.job.id, net.name, rel, max(rel, c.job.deadline - now),
                                    c.job.weight))
            committed.add(c.job.id)
    inst = trusted_instance(f"online-t{now}", tuple(nets.values()), tuple(jobs))
    return inst, sorted(jobs, key=edf_key), committed


def plan_from_cuts(cuts_of: dict[str, int | None], jobs: list[Job], committed: set[str],
                   state: OnlineState) -> Plan:
    """The plan of the DP's answer: the chosen cuts, both orders EDF (the DP's order).

    ``cuts_of`` maps each sub-job id to its cut or None (dropped); a committed
    stage's sub-job keeps its committed cut and goes on the CPU order.
    """
    cuts: dict[str, int] = {c.job.id: c.cut for c in state.committed}
    gpu_order: list[str] = []
    cpu_order: list[str] = []
    networks = state.networks
    for job in jobs:
        k = cuts_of[job.id]
        if k is None:
            continue
        if job.id in committed:
            cpu_order.append(job.id)  # its sub-network has a CPU stage only (cut 0)
            continue
        st = net_table(networks[job.network])
        cuts[job.id] = k
        if k > 0 and st.a[k] > 0:
            gpu_order.append(job.id)
        if k < st.num_layers and st.b[k] > 0:
            cpu_order.append(job.id)
    return Plan(cuts, gpu_order, cpu_order)


# ------------------------------------------------------------------ the DP's inputs, cached
_NEVER = -1
_ALWAYS = int(np.iinfo(np.int64).max)


class DpNet:
    """What :func:`splitsched.solvers.dp.prepare` derives from a network per job,
    precomputed once per network.

    A job of slack ``T = deadline - release`` may use the cuts with
    ``isolated(k) <= T``; which cuts those are depends only on how many of the
    sorted isolated latencies are ``<= T``, so the option arrays (cuts ascending,
    with their ``a``, ``h``, ``b``; int64) are cached per count. The fit
    thresholds of ``prepare`` (``_fit_thresholds``) come from the smallest
    isolated latency of a cut that occupies the GPU, and from the cuts that
    leave it idle (``a(k) == 0``).
    """

    def __init__(self, network: Network) -> None:
        st = network.stages
        self.num_layers = st.num_layers
        self._a, self._h, self._b = st.a, st.h, st.b
        iso = st.isolated
        self._iso = iso
        self._sorted_iso = sorted(iso.tolist())
        busy = st.a > 0
        self.min_iso_gpu = int(iso[busy].min()) if busy.any() else None
        # cuts that leave the GPU idle: (isolated latency, CPU stage)
        self.idle_gpu = [(int(iso[k]), int(st.b[k])) for k in np.flatnonzero(st.a == 0)]
        self._options: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}

    def options(self, slack: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(ks, a[ks], h[ks], b[ks])`` of the cuts with ``isolated <= slack``."""
        count = bisect_right(self._sorted_iso, slack)
        hit = self._options.get(count)
        if hit is None:
            ks = np.flatnonzero(self._iso <= slack).astype(np.int64)
            hit = (ks, self._a[ks], self._h[ks], self._b[ks])
            self._options[count] = hit
        return hit

    def limits(self, release: int, deadline: int) -> tuple[int, int]:
        """The latest GPU and CPU free times from which the job can still fit
        (``prepare``'s ``_fit_thresholds``; -1: never, int64 max: always)."""
        slack = deadline - release
        gpu = (deadline - self.min_iso_gpu
               if self.min_iso_gpu is not None and self.min_iso_gpu <= slack else _NEVER)
        idle = [b for iso, b in self.idle_gpu if iso <= slack]
        if not idle:
            cpu = _NEVER
        elif min(idle) == 0:
            cpu = _ALWAYS  # a cut that occupies neither processor always fits
        else:
            cpu = deadline - min(idle)
        return gpu, cpu


dp_net: PerNetwork[DpNet] = PerNetwork(DpNet)
"""The :class:`DpNet` of a network, computed once per network object."""


def prepare_cached(instance: Instance, jobs: list[Job],
                   settings: DpSettings = DEFAULT_DP_SETTINGS) -> Prepared:
    """:func:`splitsched.solvers.dp.prepare`'s per-job data, from :class:`DpNet`.

    The same :class:`~splitsched.solvers.dp.Prepared` as ``prepare(instance,
    jobs, settings)`` (cut options, L, fit limits, weights; equal arrays, int64),
    built from what :func:`dp_net` caches per network instead of numpy per job
    and call; pass it as ``run_dp(..., prepared=...)``, which then runs its
    passes unchanged. ``instance`` must hold the networks of ``jobs`` (the
    capacity bound reads it). ``tests/online/test_policies_fast.py`` holds it
    to ``prepare`` and ``run_dp``'s answers with it to those without it.
    """
    n = len(jobs)
    nets = [dp_net(instance.network_by_name[j.network]) for j in jobs]
    gl = np.empty(n, dtype=np.int64)
    cl = np.empty(n, dtype=np.int64)
    options = []
    for i, (job, net) in enumerate(zip(jobs, nets, strict=True)):
        gl[i], cl[i] = net.limits(job.release, job.deadline)
        options.append(net.options(job.deadline - job.release))
    return Prepared(options, np.array([net.num_layers for net in nets], dtype=np.int64),
                    gl, cl, np.array([j.weight for j in jobs], dtype=np.int64),
                    settings.capacity_thresholds, instance, jobs)
