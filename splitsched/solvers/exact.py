"""The exact-backend driver: what every exact solver shares, and the proof check.

Every exact backend (CP-SAT, the MILP through PuLP or OR-Tools, and the
project's own exact methods) reports a *claim*: a status and a lower bound on
the weighted misses. Backends have been caught claiming false proofs (CBC
with a MIP start, OR-Tools' bundled HiGHS 1.12 on badly scaled rows; see
``tests/test_false_proofs.py``), so no claim is reported as it came.
:func:`check_claims` holds it against every verified schedule of the run (the
warm start and the returned schedule, both evaluated by the harness) and is
the one place that decides what the suite reports as ``optimal`` and as a
bound (MIPLIB practice: never trust a solver's claim; check it).

The other helpers here are the backends' common plumbing: the bound in
misses from a bound in on-time weight, the deadline, the plans of a warm
start, and silencing native banners on stdout.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from splitsched.problem import Schedule
from splitsched.solvers.base import SolveStatus

# Weights are integers: an on-time bound within EPS of an integer is that integer.
EPS = 1e-6


def misses_bound(total_weight: int, on_time_bound: float | None) -> float | None:
    """Turn an upper bound on on-time weight into a lower bound on weighted misses.

    None for a missing or non-finite bound. The bound is rounded in the safe
    direction (the on-time weight is an integer, so ``floor(bound + EPS)``).
    """
    if on_time_bound is None or not math.isfinite(on_time_bound):
        return None
    return float(max(0, total_weight - math.floor(on_time_bound + EPS)))


def start_plans(schedule: Schedule | None) -> dict[str, tuple[int, int | None, int | None]]:
    """Job id -> (cut, gpu_start, cpu_start) of the kept jobs of a warm start.

    The harness hands a solver a warm start whose kept jobs are all on time,
    so this needs no evaluation.
    """
    if schedule is None:
        return {}
    return {p.job: (p.cut, p.gpu_start, p.cpu_start) for p in schedule.plans
            if p.cut is not None}


def remaining(deadline: float) -> float:
    """Seconds left until ``deadline`` (a ``time.perf_counter`` value), at least 0.05."""
    return max(0.05, deadline - time.perf_counter())


@contextlib.contextmanager
def native_stdout_silenced() -> Iterator[None]:
    """Send what native solver code prints (HiGHS' banner) to /dev/null.

    HiGHS writes to file descriptor 1 from C++ even when asked to be quiet,
    which would corrupt ``splitsched solve --json``'s one-object stdout.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


@dataclass(frozen=True)
class CheckedClaim:
    """What the suite reports after :func:`check_claims`.

    ``contradiction`` is None when the claim held; otherwise it records the
    backend's claim and the verified schedule that refutes it (it goes into
    the run's stats as ``proof_contradiction``; ``bench`` flags it).
    """

    status: SolveStatus
    bound: float | None
    contradiction: dict[str, Any] | None = None
    notes: tuple[str, ...] = field(default=())


def check_claims(*, claimed_status: SolveStatus, claimed_bound: float | None,
                 verified: Sequence[tuple[str, int]], exact: bool) -> CheckedClaim:
    """Check a solver's claimed status and bound against verified schedules.

    Parameters
    ----------
    claimed_status, claimed_bound:
        What the solver said (bound: a lower bound on weighted misses).
    verified:
        ``(source, weighted misses)`` of every schedule of the run that
        ``evaluate`` found feasible; the last one is the schedule reported.
    exact:
        Whether the solver may claim proofs at all. A heuristic's
        ``optimal`` or bound is never reported.

    Returns
    -------
    CheckedClaim
        * A bound above any verified schedule's misses is false: no bound, no
          ``optimal``, and the contradiction recorded.
        * ``optimal`` is reported only when the reported schedule's misses
          equal a bound that survived the check; a claimed ``optimal`` that
          does not meet it becomes ``feasible``.
        * A reported schedule with 0 misses is optimal by definition (bound 0)
          for an exact solver.
    """
    status = SolveStatus(claimed_status)
    notes: list[str] = []
    if not exact:
        if claimed_bound is not None or status is SolveStatus.OPTIMAL:
            notes.append("a heuristic's proof claim was ignored")
        return CheckedClaim(status=SolveStatus.FEASIBLE if status is SolveStatus.OPTIMAL
                            else status, bound=None, notes=tuple(notes))
    bound = claimed_bound
    if bound is not None and not math.isfinite(bound):
        notes.append(f"non-finite bound {bound!r} ignored")
        bound = None
    contradiction = None
    if bound is not None and verified:
        source, best = min(verified, key=lambda sv: sv[1])
        if bound > best + EPS:
            contradiction = {"claimed_status": status.value, "claimed_bound": bound,
                             "verified_source": source, "verified_misses": best}
            bound = None
            if status is SolveStatus.OPTIMAL:
                status = SolveStatus.FEASIBLE
    if not verified:
        if status is SolveStatus.OPTIMAL:
            notes.append("'optimal' claimed without a schedule")
            status = SolveStatus.NO_SOLUTION
        return CheckedClaim(status=status, bound=bound, contradiction=contradiction,
                            notes=tuple(notes))
    reported = verified[-1][1]
    if reported == 0:
        bound = 0.0
    if bound is not None and reported <= bound + EPS and status in (
            SolveStatus.OPTIMAL, SolveStatus.FEASIBLE, SolveStatus.TIMEOUT):
        status = SolveStatus.OPTIMAL
    elif status is SolveStatus.OPTIMAL:
        notes.append("'optimal' claimed but the reported schedule does not meet a checked bound")
        status = SolveStatus.FEASIBLE
    return CheckedClaim(status=status, bound=bound, contradiction=contradiction,
                        notes=tuple(notes))
