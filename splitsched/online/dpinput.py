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

:func:`run_dp_cached` runs :func:`splitsched.solvers.dp.run_dp`'s passes with
the per-job inputs (cut options, fit thresholds) taken from :class:`DpNet`,
computed once per network; it calls the same compiled step
(:func:`splitsched.solvers.dp_kernel.dp_step`) with the same arrays. It repeats
``run_dp``'s driver loop, so a change of ``run_dp``'s rules or of ``dp_step``'s
arguments must be made here too; ``test_run_dp_cached_equals_run_dp`` fails
until it is.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable
from types import MappingProxyType

import numpy as np

from splitsched.online.plan import Plan
from splitsched.online.state import OnlineState, net_table
from splitsched.problem import CPU, GPU, Instance, Job, Network, edf_key
from splitsched.solvers.dp import (
    DEFAULT_DP_SETTINGS,
    DROP,
    CapacityBound,
    DpSettings,
    Run,
    completion_bound,
)
from splitsched.solvers.dp_kernel import dp_step

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


# ------------------------------------------------------------------ the DP from cached inputs
_NEVER = -1
_ALWAYS = int(np.iinfo(np.int64).max)


class DpNet:
    """What :func:`splitsched.solvers.dp.run_dp` derives from a network per job,
    precomputed once per network.

    A job of slack ``T = deadline - release`` may use the cuts with
    ``isolated(k) <= T``; which cuts those are depends only on how many of the
    sorted isolated latencies are ``<= T``, so the option arrays (cuts ascending,
    with their ``a``, ``h``, ``b``; int64) are cached per count. The fit
    thresholds of ``run_dp`` (``_fit_thresholds``) come from the smallest
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
        (``run_dp``'s ``_fit_thresholds``; -1: never, int64 max: always)."""
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


_DP_NETS: dict[int, tuple[Network, DpNet]] = {}
_DP_NETS_MAX = 4096


def dp_net(network: Network) -> DpNet:
    """The :class:`DpNet` of ``network``, computed once per network object."""
    hit = _DP_NETS.get(id(network))
    if hit is not None and hit[0] is network:
        return hit[1]
    if len(_DP_NETS) >= _DP_NETS_MAX:
        _DP_NETS.clear()
    net = DpNet(network)
    _DP_NETS[id(network)] = (network, net)
    return net


def run_dp_cached(instance: Instance, jobs: list[Job], *, lower_bound: int = 0,
                  beam: int | None = None, deadline: float = float("inf"),
                  free: tuple[int, int] = (0, 0),
                  settings: DpSettings = DEFAULT_DP_SETTINGS) -> Run:
    """:func:`splitsched.solvers.dp.run_dp` with its per-job inputs from :class:`DpNet`.

    The same passes, bounds and answer as ``run_dp`` with these arguments
    (``grid`` = ``settings.grid``): the compiled step
    (:func:`splitsched.solvers.dp_kernel.dp_step`) gets the same arrays; only
    how they are made differs (cached per network instead of recomputed with
    numpy per job and call; :class:`~splitsched.solvers.dp.CapacityBound` built
    only when a label set is large enough to use it). ``instance`` must hold
    the networks of ``jobs`` (it is read only by the completion and capacity
    bounds). Raises ValueError like ``run_dp`` when ``lower_bound`` exceeds
    every schedule in this order. ``tests/online/test_policies_fast.py`` holds it
    to ``run_dp``.
    """
    n = len(jobs)
    nets = [dp_net(instance.network_by_name[j.network]) for j in jobs]
    gl = np.empty(n, dtype=np.int64)
    cl = np.empty(n, dtype=np.int64)
    for i, (job, net) in enumerate(zip(jobs, nets, strict=True)):
        gl[i], cl[i] = net.limits(job.release, job.deadline)
    weights = np.array([j.weight for j in jobs], dtype=np.int64)
    remaining = int(weights.sum())
    grid = settings.grid
    no_grid = (np.zeros(0, np.int64), np.zeros((1, 1), np.int64))
    bound: tuple[np.ndarray, np.ndarray] | None = None
    capacity: CapacityBound | None = None
    m = np.zeros(1, dtype=np.int64)
    g = np.full(1, free[0], dtype=np.int64)
    c = np.full(1, free[1], dtype=np.int64)
    parents: list[np.ndarray] = []
    cuts_at: list[np.ndarray] = []
    labels_max = labels_total = 1
    for pos, job in enumerate(jobs):
        if time.perf_counter() > deadline:
            break
        if bound is None and lower_bound > 0 and grid > 0 and len(m) > settings.grid_min_labels:
            bound = completion_bound(instance, jobs, grid)
        net = nets[pos]
        ks, a, h, b = net.options(job.deadline - job.release)
        remaining -= job.weight
        m, g, c, parent, cut = dp_step(
            m, g, c, ks, a, h, b, net.num_layers, job.release, job.deadline, job.weight,
            remaining, lower_bound, beam or 0, gl[pos + 1:], cl[pos + 1:], weights[pos + 1:],
            *((bound[0][pos + 1], bound[1][pos + 1]) if bound is not None else no_grid))
        if len(m) == 0:
            raise ValueError(f"lower_bound {lower_bound} exceeds every schedule in this order")
        if lower_bound > 0 and len(m) > settings.capacity_min_labels and pos + 1 < n:
            if capacity is None:
                capacity = CapacityBound(instance, jobs, settings.capacity_thresholds)
            keep = np.flatnonzero(m + capacity.bound(pos + 1, g, c) >= lower_bound)
            if 0 < len(keep) < len(m):
                m, g, c, parent, cut = m[keep], g[keep], c[keep], parent[keep], cut[keep]
        parents.append(parent)
        cuts_at.append(cut)
        labels_max = max(labels_max, len(m))
        labels_total += len(m)
    cuts: dict[str, int | None] = {j.id: None for j in jobs}
    idx = int(np.lexsort((np.maximum(g, c), -m))[0])  # largest weight, then makespan
    accepted_weight = int(m[idx])
    for i in range(len(parents) - 1, -1, -1):
        k = int(cuts_at[i][idx])
        if k != DROP:
            cuts[jobs[i].id] = k
        idx = int(parents[i][idx])
    return Run(accepted_weight, cuts, len(parents) == n, labels_max, labels_total)
