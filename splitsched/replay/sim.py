"""Backend ``sim``: discrete-event replay with execution-time noise.

The dispatch rules come from :mod:`splitsched.replay.dispatch`; this module
only says how long things take: each stage is the sum of its layers' drawn
times (see :mod:`splitsched.replay.noise`), each hand-off a drawn lag.
Deterministic for a seed: run ``r`` of seed ``s`` uses its own generator.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from splitsched.io import InputError
from splitsched.problem import GPU, Instance, Schedule, shown_value
from splitsched.replay.dispatch import PlannedStage, execute, lane_programs
from splitsched.replay.noise import NoiseModel
from splitsched.replay.trace import TraceHeader, TraceRun


class SimRunner:
    """A :class:`~splitsched.replay.dispatch.StageRunner` on a virtual clock."""

    def __init__(self, instance: Instance, noise: NoiseModel, rng: np.random.Generator) -> None:
        self._nets = instance.network_by_name
        self._noise = noise
        self._rng = rng

    def run_stage(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        net = self._nets[stage.network]
        layers = slice(0, stage.cut) if stage.processor == GPU else slice(stage.cut, None)
        duration = self._noise.stage_time(net, stage.processor, layers, self._rng)
        return not_before, not_before + duration

    def run_handoff(self, stage: PlannedStage, not_before: int) -> tuple[int, int]:
        return not_before, not_before + self._noise.handoff_time(stage.handoff_us, self._rng)


MAX_SEED = 2**32 - 1


def check_replay_parameters(*, runs: int, seed: int) -> None:
    """Refuse ``runs`` < 1 and a ``seed`` outside numpy's range [0, 2**32 - 1].

    Raises InputError naming the parameter (before any work).
    """
    if isinstance(runs, bool) or not isinstance(runs, int) or runs < 1:
        raise InputError(None, "runs", f"must be an integer >= 1, got {shown_value(runs)}")
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= MAX_SEED:
        raise InputError(None, "seed",
                         f"must be an integer in 0..{MAX_SEED}, got {shown_value(seed)}")


def iter_simulate(instance: Instance, schedule: Schedule, *, policy: str = "order",
                  runs: int = 1, seed: int = 0,
                  noise: NoiseModel | None = None) -> Iterator[TraceRun]:
    """Replay ``schedule`` ``runs`` times on the simulator, one run at a time.

    Parameters as :func:`simulate`. Memory does not grow with ``runs``: each
    run is yielded as soon as it is made. Raises InputError (before the first
    run) for bad parameters or an infeasible schedule.
    """
    check_replay_parameters(runs=runs, seed=seed)
    noise = noise or NoiseModel()
    lanes = lane_programs(instance, schedule)
    info = {"cv": noise.cv, "use_measured_sd": noise.use_measured,
            "noise": {n.name: {p: noise.source(n, p) for p in ("gpu", "cpu")}
                      for n in instance.networks}}

    def generate() -> Iterator[TraceRun]:
        for r in range(runs):
            rng = np.random.default_rng([seed, r])
            records = execute(lanes, policy, SimRunner(instance, noise, rng), concurrent=False)
            header = TraceHeader(
                instance_id=instance.id, solver=schedule.solver, backend="sim", policy=policy,
                run=r, seed=seed, gpu_lane="simulated", info=info)
            yield TraceRun(header=header, stages=tuple(records))

    return generate()


def simulate(instance: Instance, schedule: Schedule, *, policy: str = "order", runs: int = 1,
             seed: int = 0, noise: NoiseModel | None = None) -> list[TraceRun]:
    """Replay ``schedule`` ``runs`` times on the simulator.

    Parameters
    ----------
    policy:
        ``order`` or ``time`` (see :mod:`splitsched.replay.dispatch`).
    runs, seed:
        Run ``r`` draws from ``numpy.random.default_rng([seed, r])``; ``seed``
        in [0, 2**32 - 1].
    noise:
        The noise model; default lognormal cv 0.05 / measured spread.

    Returns
    -------
    list of TraceRun
        One per run, each with a header and its stage records (for many
        runs use :func:`iter_simulate`, which keeps none of them).

    Raises
    ------
    InputError
        Bad ``runs`` or ``seed``, or an infeasible schedule.
    """
    return list(iter_simulate(instance, schedule, policy=policy, runs=runs, seed=seed,
                              noise=noise))
