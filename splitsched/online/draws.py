"""Actual stage times of one run: a *realized instance* drawn with noise.

The noise model is the one ``replay --backend sim`` uses
(:class:`splitsched.replay.noise.NoiseModel`): each layer's time is lognormal
with the profiled mean and the measured per-layer spread where the profile has
one, else ``cv`` times the mean; a hand-off is lognormal with coefficient of
variation ``cv``. Two differences, both so that every policy of a comparison
(and the replayed offline schedule) sees the *same* draws:

* every layer of every job is drawn up front, on both processors, so the
  actual time of a stage does not depend on the cut a policy chooses nor on
  the order in which stages run (common random numbers). A stage lasts the
  sum of its layers' drawn times, each rounded to an integer microsecond
  (``replay`` rounds the sum; the difference is under one microsecond per
  layer);
* a job's hand-off draws one lognormal factor (mean 1, sd ``cv``) that scales
  ``h(k)`` of every cut (a lognormal with mean m and sd cv*m is m times one
  with mean 1 and sd cv, so each ``h(k)`` has the replay's distribution).

A drawn time never leaves the problem's bounds (:data:`splitsched.problem.MAX_TIME_US`,
2**40 us, for a hand-off and for a whole GPU or CPU chain): a chain whose draws
sum past it is shortened from its last layer, a hand-off is capped. This only
touches instances whose chains are already within a factor of the noise of
12.7 days; without it such a valid instance could not be run under noise.

The draws of run ``r`` of seed ``s`` come from ``numpy.random.default_rng([s, r])``
as in the replay, job by job in instance order. The result is an ordinary
:class:`~splitsched.problem.Instance` whose job ``j`` runs a network of its
own, ``<network>#<j>``, with the drawn times: the realized schedule of a run
is checked by :func:`splitsched.evaluate.evaluate` against it. With ``cv = 0``
(and no measured spread in use) the realized instance is the instance itself.
"""

from __future__ import annotations

import numpy as np

from splitsched.problem import CPU, GPU, MAX_TIME_US, Instance, Job, Network
from splitsched.replay.noise import NoiseModel, lognormal_params


def _draw_layers(net: Network, processor: str, noise: NoiseModel,
                 rng: np.random.Generator) -> tuple[int, ...]:
    means = np.asarray(net.gpu_us if processor == GPU else net.cpu_us, dtype=float)
    sd = noise.layer_sd(net, processor)
    mu, sigma = lognormal_params(means, sd)
    draws = np.where(means > 0, rng.lognormal(mu, sigma), 0.0)
    return _cap_chain([int(v) for v in np.rint(np.minimum(draws, MAX_TIME_US))])


def _cap_chain(times: list[int]) -> tuple[int, ...]:
    """``times`` with the last layers shortened so that their sum is at most MAX_TIME_US."""
    excess = sum(times) - MAX_TIME_US
    for i in range(len(times) - 1, -1, -1):
        if excess <= 0:
            break
        cut = min(times[i], excess)
        times[i] -= cut
        excess -= cut
    return tuple(times)


def realized_instance(instance: Instance, noise: NoiseModel, seed: int, run: int) -> Instance:
    """The instance with actual times of run ``run`` (see the module docstring).

    Parameters
    ----------
    instance:
        The instance (profiled times).
    noise:
        Spread model; ``noise.silent`` (cv = 0) returns ``instance`` unchanged.
    seed, run:
        Draws come from ``numpy.random.default_rng([seed, run])``.

    Returns
    -------
    Instance
        Id ``<id>~cv<cv>-s<seed>-r<run>``, the same jobs (ids, releases,
        deadlines, weights) each on its own drawn network.
    """
    if noise.silent:
        return instance
    rng = np.random.default_rng([seed, run])
    nets: list[Network] = []
    jobs: list[Job] = []
    for job in instance.jobs:
        net = instance.network_by_name[job.network]
        gpu = _draw_layers(net, GPU, noise, rng)
        cpu = _draw_layers(net, CPU, noise, rng)
        mu, sigma = lognormal_params(np.array([1.0]), np.array([noise.cv]))
        factor = float(rng.lognormal(mu[0], sigma[0]))
        handoff = tuple(min(round(h * factor), MAX_TIME_US) for h in net.handoff_us)
        name = f"{net.name}#{job.id}"
        nets.append(Network(name=name, layer_names=net.layer_names, gpu_us=gpu, cpu_us=cpu,
                            handoff_us=handoff, provenance={"drawn_from": net.name}))
        jobs.append(Job(job.id, name, job.release, job.deadline, job.weight))
    prov = {"realized_from": instance.id, "noise_cv": noise.cv,
            "use_measured_sd": noise.use_measured, "seed": seed, "run": run}
    return Instance(id=f"{instance.id}~cv{noise.cv:g}-s{seed}-r{run}", networks=tuple(nets),
                    jobs=tuple(jobs), provenance=prov)
