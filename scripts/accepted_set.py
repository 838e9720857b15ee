"""Can every job but the given ones be on time? CP-SAT's answer and the DP's.

Usage (from the repository root)::

    PYTHONPATH=. python scripts/accepted_set.py FILE --missed ID,ID,... [--missed-id ID]
        [--seconds 60] [--threads 1] [--dp-cuts]

The question every leaf of ``case-split`` ends in once all jobs are fixed (an on-time
set, the rest missed), asked on its own:

* CP-SAT, on the model of :func:`splitsched.formulations.cp.build_cp` with every job
  outside ``--missed`` on time and no objective: ``FEASIBLE`` (its schedule, checked by
  :func:`splitsched.evaluate.evaluate`), ``INFEASIBLE`` (a proof that the set cannot all
  be on time) or ``UNKNOWN`` after ``--seconds``.
* ``dp-ls`` (1 s) on the instance without the missed jobs: its misses; 0 shows a
  schedule (checked), more proves nothing.
* With ``--dp-cuts``, CP-SAT again with every job held to the cut dp-ls chose: only the
  sequencing is left to it (``INFEASIBLE`` then says only that these cuts fail).

Measured (README, "Reference results"; 2026-11-30, one thread): on
v2-poisson-mi9-n80-l2-s1 the on-time set of dp-ls's own schedule (``--missed
j17,j48,j51,j53,j65``) is ``UNKNOWN`` to CP-SAT after 60 s, where dp-ls keeps it on time
in under a second; with dp-ls's cuts (``--dp-cuts``) CP-SAT finds a schedule at once:
the cut choice, not the sequencing, is what CP-SAT cannot settle. Exit status 0 when
decided (either way), 1 when undecided, 2 for a bad file or argument, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
import time
from pathlib import Path

try:  # standard library only: loads at once
    from splitsched.interrupts import interrupt_in
except KeyboardInterrupt:
    print("interrupted", file=sys.stderr)
    sys.exit(130)

try:  # a Ctrl-C while the solver stack loads: one line and 130, not a traceback
    from ortools.sat.python import cp_model

    from splitsched import solve
    from splitsched.evaluate import evaluate
    from splitsched.formulations.cp import build_cp, new_solver
    from splitsched.io import InputError, read_instance
    from splitsched.problem import Instance
    from splitsched.solvers.cpsat import decode_cp
    from splitsched.solvers.exact import native_stdout_silenced
except BaseException as exc:
    if interrupt_in(exc) is None:
        raise
    print("interrupted", file=sys.stderr)
    sys.exit(130)


def cp_answer(instance: Instance, missed: set[str], seconds: float, threads: int,
              cuts: dict[str, int] | None = None) -> tuple[str, float, int | None]:
    """CP-SAT's status on "every job outside ``missed`` on time", its seconds, and the
    weighted misses of its schedule (checked by ``evaluate``) when it found one.

    ``cuts`` (job id -> cut) restricts those jobs to one cut each: then ``INFEASIBLE``
    only says that these cuts cannot all be on time."""
    t = time.perf_counter()
    cp = build_cp(instance)
    m = cp.model
    m.clear_objective()
    for w in cp.windows:
        on_time = sum(cp.x[w.index, k] for k in w.cuts)
        if w.job.id in missed:
            m.add(on_time == 0)
        elif not w.cuts:  # no cut can ever be on time: the set is infeasible as stated
            m.add_bool_or([])
        elif cuts is not None and w.job.id in cuts:
            if cuts[w.job.id] in w.cuts:
                m.add(cp.x[w.index, cuts[w.job.id]] == 1)
            else:  # that cut can never be on time
                m.add_bool_or([])
        else:
            m.add(on_time == 1)
    solver = new_solver(seconds, threads=threads, seed=0)
    with native_stdout_silenced():
        code = solver.solve(m)
    misses = None
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        ev = evaluate(instance, decode_cp(cp, instance, solver))
        misses = ev.weighted_misses if ev.feasible else None
    status = {cp_model.OPTIMAL: "FEASIBLE"}.get(code, solver.status_name(code))
    return status, time.perf_counter() - t, misses


def main(argv: list[str] | None = None) -> int:
    answers: dict[str, str] = {}
    try:
        return _main(argv, answers)
    except BaseException as exc:
        if interrupt_in(exc) is None:
            raise
        said = "; ".join(f"{who} had answered {what}" for who, what in answers.items())
        print("interrupted" + (f" ({said})" if said else ""), file=sys.stderr)
        return 130


def _main(argv: list[str] | None, answers: dict[str, str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="an instance file")
    ap.add_argument("--missed", default="",
                    help="comma-separated ids of the jobs left out (spaces around them "
                         "dropped; may be empty)")
    ap.add_argument("--missed-id", action="append", default=[], metavar="ID",
                    help="one more job left out, its id taken verbatim (for ids with "
                         "commas or spaces); repeatable")
    ap.add_argument("--seconds", type=float, default=60.0, help="CP-SAT's limit")
    ap.add_argument("--threads", type=int, default=1, help="CP-SAT's workers")
    ap.add_argument("--dp-cuts", action="store_true",
                    help="also ask CP-SAT with every job's cut fixed to dp-ls's choice "
                         "(is the cut choice or the sequencing the hard part?)")
    args = ap.parse_args(argv)
    if not (math.isfinite(args.seconds) and args.seconds > 0):
        print("error: --seconds: must be a finite number > 0", file=sys.stderr)
        return 2
    if not 1 <= args.threads <= 1024:
        print("error: --threads: must be in 1..1024", file=sys.stderr)
        return 2
    try:
        instance = read_instance(Path(args.file))
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    missed = {s.strip() for s in args.missed.split(",") if s.strip()}
    ids = {j.id for j in instance.jobs}
    unknown = sorted(missed - ids)
    if unknown:
        print(f"error: --missed: no job {', '.join(map(repr, unknown))} in {args.file} (ids "
              f"are split at commas, spaces around them dropped; --missed-id takes one "
              f"verbatim)", file=sys.stderr)
        return 2
    unknown = sorted(set(args.missed_id) - ids)
    if unknown:
        print(f"error: --missed-id: no job {', '.join(map(repr, unknown))} in {args.file}",
              file=sys.stderr)
        return 2
    missed |= set(args.missed_id)
    kept = instance.total_weight - sum(j.weight for j in instance.jobs if j.id in missed)
    print(f"{instance.id}: {len(instance.jobs) - len(missed)} jobs on time "
          f"(weight {kept} of {instance.total_weight}), {len(missed)} missed", flush=True)
    status, seconds, misses = cp_answer(instance, missed, args.seconds, args.threads)
    answers["CP-SAT"] = status
    print(f"CP-SAT: {status} in {seconds:.1f} s" + _checked(misses), flush=True)
    t = time.perf_counter()
    rest = dataclasses.replace(instance, jobs=tuple(j for j in instance.jobs
                                                    if j.id not in missed))
    dp = solve(rest, "dp-ls", time_limit_s=1.0)
    dp_misses = (evaluate(rest, dp.schedule).weighted_misses if dp.schedule is not None
                 else rest.total_weight)
    print(f"dp-ls: {dp_misses} weighted misses among them in "
          f"{time.perf_counter() - t:.1f} s"
          + (" (all on time: the set is feasible)" if dp_misses == 0 else ""), flush=True)
    fixed: str | None = None
    if args.dp_cuts and dp.schedule is not None:
        cuts = {p.job: p.cut for p in dp.schedule.plans if p.cut is not None}
        fixed, seconds, misses = cp_answer(instance, missed, args.seconds, args.threads,
                                           cuts=cuts)
        print(f"CP-SAT with dp-ls's cuts: {fixed} in {seconds:.1f} s" + _checked(misses)
              + (" (only these cuts fail)" if fixed == "INFEASIBLE" else ""))
    return 0 if status in ("FEASIBLE", "INFEASIBLE") or dp_misses == 0 or fixed == "FEASIBLE" \
        else 1


def _checked(misses: int | None) -> str:
    return f" (its schedule checked: {misses} weighted misses)" if misses is not None else ""


if __name__ == "__main__":
    sys.exit(main())
