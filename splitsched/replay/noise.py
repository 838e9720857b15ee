"""Execution-time noise: draws of layer and hand-off times around the profile.

Each layer's time is drawn from a lognormal whose mean is the profiled time,
so the plan stays right *on average*. Its spread is the measured run-to-run
standard deviation where the profile carries one (``gpu_sd_us``/``cpu_sd_us``),
otherwise ``cv`` times the mean. Hand-offs use ``cv``. ``cv = 0`` turns all
noise off (measured spreads included), so a zero-noise replay is exact.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from splitsched.io import InputError
from splitsched.problem import GPU, Network


def lognormal_params(mean: np.ndarray, sd: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mu, sigma) of the lognormal with the given mean and standard deviation.

    sigma^2 = ln(1 + (sd/mean)^2), mu = ln(mean) - sigma^2 / 2, so E[X] = mean.
    Entries with mean <= 0 get sigma = 0 (and are drawn as 0 by the caller).
    """
    mean = np.asarray(mean, dtype=float)
    sd = np.asarray(sd, dtype=float)
    safe = np.where(mean > 0, mean, 1.0)
    sigma2 = np.log1p((sd / safe) ** 2)
    mu = np.log(safe) - sigma2 / 2
    return mu, np.sqrt(sigma2)


@dataclass(frozen=True)
class NoiseModel:
    """Where the spread comes from: measured per-layer sd, else ``cv``.

    Parameters
    ----------
    cv:
        Coefficient of variation for layers without a measured spread and for
        hand-offs. 0 disables all noise.
    use_measured:
        Use a network's ``gpu_sd_us``/``cpu_sd_us`` where present.
    """

    cv: float = 0.05
    use_measured: bool = True

    def __post_init__(self) -> None:
        if isinstance(self.cv, bool) or not 0 <= self.cv < math.inf:
            raise InputError(None, "cv", f"must be a finite number >= 0, got {self.cv}")

    @property
    def silent(self) -> bool:
        return self.cv == 0

    def layer_sd(self, net: Network, processor: str) -> np.ndarray:
        """Per-layer standard deviation (us) on ``processor``."""
        means = np.asarray(net.gpu_us if processor == GPU else net.cpu_us, dtype=float)
        measured = net.gpu_sd_us if processor == GPU else net.cpu_sd_us
        if self.use_measured and measured:
            return np.asarray(measured, dtype=float)
        return self.cv * means

    def source(self, net: Network, processor: str) -> str:
        """In words, what the spread of ``net`` on ``processor`` comes from."""
        if self.silent:
            return "none (cv=0)"
        measured = net.gpu_sd_us if processor == GPU else net.cpu_sd_us
        if self.use_measured and measured:
            return "measured per-layer sd"
        return f"lognormal cv={self.cv:g}"

    def stage_time(self, net: Network, processor: str, layers: slice,
                   rng: np.random.Generator) -> int:
        """Draw the duration of the layers ``layers`` of ``net`` on ``processor``."""
        means = np.asarray(net.gpu_us if processor == GPU else net.cpu_us, dtype=float)[layers]
        if self.silent or means.size == 0:
            return round(means.sum())
        sd = self.layer_sd(net, processor)[layers]
        mu, sigma = lognormal_params(means, sd)
        draws = np.where(means > 0, rng.lognormal(mu, sigma), 0.0)
        return round(float(draws.sum()))

    def handoff_time(self, mean_us: int, rng: np.random.Generator) -> int:
        """Draw a hand-off time with mean ``mean_us`` and cv ``cv``."""
        if self.silent or mean_us <= 0:
            return int(mean_us)
        mu, sigma = lognormal_params(np.array([mean_us]), np.array([self.cv * mean_us]))
        return round(float(rng.lognormal(mu[0], sigma[0])))
