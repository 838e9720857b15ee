"""``lns-cpsat``: dp-ls's schedule, then large-neighbourhood search with CP-SAT around it.

The DP heuristics (:mod:`splitsched.solvers.heuristics`) run both processors
in one common order. The optimum sometimes needs different orders on the GPU
and the CPU (`docs/design.md`, "The problem"); on the reference instances
that is what keeps ``dp-ls`` one job off the best known on some of them. This
solver frees a small *window* of jobs around a dropped one and asks CP-SAT
(the per-job variables of :mod:`splitsched.formulations.cp`: cut literals,
one optional interval per job and processor) for a schedule in which the
window's jobs accept more weight than now. Every other accepted job keeps its
cut and stays on time; those whose time windows lie within :data:`MOVE`
window widths of the free jobs may move (start variables hinted with their
incumbent times), the rest are constant intervals; dropped jobs outside the
window stay dropped. The processors' orders come out of CP-SAT, so they may
differ. The incumbent is a hint, and a constraint asks for at least one more
unit of weight, so a sub-problem either improves or reports nothing.

Windows: each dropped job in turn (heaviest, then earliest deadline first)
with the ``size - 1`` jobs whose deadlines are closest to its own; a round
that improves nothing moves on to the next size of :data:`SIZES`. Each
sub-problem gets a deterministic-time limit (CP-SAT's
``max_deterministic_time``, :data:`SUB_DTIME`), one worker, the run's seed,
no LP relaxation (``linearization_level`` 0) and no presolve (on these small
windows both cost more than they prune); the search stops after
:data:`DTIME_BUDGET` deterministic seconds in all, or when every job that can
be on time alone is. Before it, dp-ls's phases run as in ``dp-ls`` (same
work limit, same seed), so lns-cpsat's answer is never worse than dp-ls's
unless a cap ends dp-ls's phases earlier than in a dp-ls run; without the
caps the answer is a function of the instance and the seed.

Caps (they depend on the machine): dp-ls's :class:`~splitsched.solvers.heuristics.Budget`,
``min(time_limit_s, heuristics.BUDGET_S)`` of wall clock or ``min(time_limit_s,
heuristics.CPU_BUDGET_S)`` of the process's CPU time after the start; each
CP-SAT call also gets what is left of it as its ``max_time_in_seconds``, so
no sub-problem runs past them. CP-SAT's
deterministic time is not CPU time: on the shared 2-core development machine
(load 5-6) one deterministic second of these sub-problems cost about 8 to 12
CPU seconds with presolve, 4 to 8 without; hence the small budget (about 0.2
to 0.4 CPU seconds); the CPU-time cap keeps a run, dp-ls's phases included,
within 1 CPU second.

Status ``feasible``, no bound; never worse than ``dp-edf`` under the same
time limit (it starts from dp-edf's schedule through dp-ls; when dp-edf's
exact pass does not finish within the limit, neither does the one run here).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ortools.sat.python import cp_model

from splitsched.evaluate import evaluate
from splitsched.formulations import JobWindow, job_windows
from splitsched.formulations.cp import cp_solver
from splitsched.problem import Instance, JobPlan, Schedule, plan_for_cut
from splitsched.solvers.base import SolverOutput, register
from splitsched.solvers.heuristics import (
    UNLIMITED,
    Budget,
    Candidate,
    can_fit,
    dp_ls_phases,
    output,
)

NAME = "lns-cpsat"
SIZES: tuple[int, ...] = (1, 4, 8)  # window sizes (jobs), tried in turn while nothing improves
SUB_DTIME = 0.025  # CP-SAT deterministic seconds per sub-problem
DTIME_BUDGET = 0.05  # deterministic seconds over all sub-problems
MOVE = 1  # fixed jobs within this many window widths of the free ones may move


@dataclass
class _Sub:
    """A sub-problem's model and the variables the decoder needs, per free job."""

    model: cp_model.CpModel
    x: dict[tuple[int, int], cp_model.IntVar]
    gpu_start: dict[int, cp_model.IntVar]
    cpu_start: dict[int, cp_model.IntVar]


def _fixed_intervals(model: cp_model.CpModel, windows: tuple[JobWindow, ...],
                     plans: dict[str, JobPlan], fixed: list[int], sub: _Sub,
                     span: tuple[int, int]) -> tuple[list[cp_model.IntervalVar],
                                                     list[cp_model.IntervalVar]]:
    """Intervals of the fixed jobs' busy stages (zero-length stages block nothing).

    A fixed job keeps its cut and stays on time; its stages may move within
    its window (start variables hinted with the incumbent's times).
    """
    gpu, cpu = [], []
    for j in fixed:
        w = windows[j]
        p = plans[w.job.id]
        if p.cut is None:
            continue
        k = p.cut
        r, d = w.release, w.deadline
        a, h, b = w.a(k), w.h(k), w.b(k)
        if d <= span[0] or r >= span[1]:  # far from the free jobs: constant intervals
            if p.gpu_start is not None and w.stages.gpu_busy[k]:
                gpu.append(model.new_fixed_size_interval_var(p.gpu_start, a, f"kg_{j}"))
            if p.cpu_start is not None and w.stages.cpu_busy[k]:
                cpu.append(model.new_fixed_size_interval_var(p.cpu_start, b, f"kc_{j}"))
            continue
        sg = sc = None
        if p.gpu_start is not None:
            sg = model.new_int_var(r, d - a - h - b, f"fgs_{j}")
            model.add_hint(sg, p.gpu_start)
            sub.gpu_start[j] = sg
            if w.stages.gpu_busy[k]:
                gpu.append(model.new_fixed_size_interval_var(sg, a, f"fg_{j}"))
        if p.cpu_start is not None:
            lo = r + a + h
            sc = model.new_int_var(lo, d - b, f"fcs_{j}")
            model.add_hint(sc, p.cpu_start)
            sub.cpu_start[j] = sc
            if w.stages.cpu_busy[k]:
                cpu.append(model.new_fixed_size_interval_var(sc, b, f"fc_{j}"))
        if sg is not None and sc is not None:
            model.add(sc >= sg + a + h)
    return gpu, cpu


def _free_job(model: cp_model.CpModel, sub: _Sub, w: JobWindow,
              gpu: list[cp_model.IntervalVar], cpu: list[cp_model.IntervalVar]) -> None:
    """The CP model's variables and rows of one free job (as in formulations.cp)."""
    j, r, d = w.index, w.release, w.deadline
    for k in w.cuts:
        sub.x[j, k] = model.new_bool_var(f"x_{j}_{k}")
    model.add_at_most_one(sub.x[j, k] for k in w.cuts)
    if w.gpu_cuts:
        sg = model.new_int_var(r, w.gpu_start_hi, f"gs_{j}")
        sub.gpu_start[j] = sg
        model.add(sg + sum(w.stages.total(k) * sub.x[j, k] for k in w.gpu_cuts) <= d)
        if w.gpu_busy_cuts:
            gpu.append(_optional(model, sub, w, sg, w.gpu_busy_cuts,
                                 {k: w.a(k) for k in w.cuts}, "g"))
    if w.cpu_cuts:
        sc = model.new_int_var(w.cpu_start_lo, w.cpu_start_hi, f"cs_{j}")
        sub.cpu_start[j] = sc
        model.add(sc - sum((w.a(k) + w.h(k)) * sub.x[j, k] for k in w.cpu_cuts) >= r)
        model.add(sc + sum(w.b(k) * sub.x[j, k] for k in w.cpu_cuts) <= d)
        if w.cpu_busy_cuts:
            cpu.append(_optional(model, sub, w, sc, w.cpu_busy_cuts,
                                 {k: w.b(k) for k in w.cuts}, "c"))
    for k in w.split_cuts:
        model.add(sub.cpu_start[j] >= sub.gpu_start[j] + w.a(k) + w.h(k)
                  ).only_enforce_if(sub.x[j, k])


def _optional(model: cp_model.CpModel, sub: _Sub, w: JobWindow, start: cp_model.IntVar,
              busy: tuple[int, ...], length: dict[int, int], tag: str
              ) -> cp_model.IntervalVar:
    j = w.index
    sizes = sorted({0, *(length[k] for k in busy)})
    size = model.new_int_var_from_domain(cp_model.Domain.from_values(sizes), f"{tag}s_{j}")
    on = model.new_bool_var(f"{tag}on_{j}")
    model.add(size == sum(length[k] * sub.x[j, k] for k in busy))
    model.add(on == sum(sub.x[j, k] for k in busy))
    end = model.new_int_var(w.release, w.deadline, f"{tag}e_{j}")
    return model.new_optional_interval_var(start, size, end, on, f"{tag}i_{j}")


def _hint(sub: _Sub, w: JobWindow, plan: JobPlan) -> None:
    j = w.index
    k = plan.cut if plan.cut in w.cuts else None
    for c in w.cuts:
        sub.model.add_hint(sub.x[j, c], c == k)
    if j in sub.gpu_start:
        sub.model.add_hint(sub.gpu_start[j], plan.gpu_start if k is not None
                           and plan.gpu_start is not None else w.release)
    if j in sub.cpu_start:
        sub.model.add_hint(sub.cpu_start[j], plan.cpu_start if k is not None
                           and plan.cpu_start is not None else w.cpu_start_lo)


def _solve_window(instance: Instance, windows: tuple[JobWindow, ...], plans: dict[str, JobPlan],
                  free: list[int], seed: int, dtime: float, seconds: float = float("inf")
                  ) -> tuple[dict[str, JobPlan] | None, float]:
    """A schedule in which the ``free`` jobs accept more weight than in ``plans``.

    Returns the new plans (of the free jobs and of the fixed jobs that were
    allowed to move) when CP-SAT finds such a schedule within ``dtime``
    deterministic seconds (and ``seconds`` of wall clock, a cap that only a
    loaded machine or a nearly spent budget reaches), else None; and the
    deterministic time it used.
    """
    model = cp_model.CpModel()
    sub = _Sub(model, {}, {}, {})
    free_set = set(free)
    fixed = [i for i in range(len(windows)) if i not in free_set]
    lo = min(windows[j].release for j in free)
    hi = max(windows[j].deadline for j in free)
    width = hi - lo
    gpu, cpu = _fixed_intervals(model, windows, plans, fixed, sub,
                                (lo - MOVE * width, hi + MOVE * width))
    for j in free:
        if windows[j].cuts:
            _free_job(model, sub, windows[j], gpu, cpu)
            _hint(sub, windows[j], plans[windows[j].job.id])
    model.add_no_overlap(gpu)
    model.add_no_overlap(cpu)
    model.maximize(sum(windows[j].job.weight * v for (j, _k), v in sub.x.items()))
    now = sum(windows[j].job.weight for j in free if plans[windows[j].job.id].cut is not None)
    model.add(sum(windows[j].job.weight * v for (j, _k), v in sub.x.items()) >= now + 1)
    solver = cp_solver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = seed
    solver.parameters.max_deterministic_time = dtime
    if seconds < float("inf"):
        solver.parameters.max_time_in_seconds = max(seconds, 0.001)
    solver.parameters.linearization_level = 0  # the LP relaxation costs more than it prunes here
    solver.parameters.cp_model_presolve = False  # presolve costs more CPU than it saves here
    code = solver.solve(model)
    used = float(solver.deterministic_time)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None, used
    out = {}
    for j in free:
        w = windows[j]
        chosen = [k for k in w.cuts if solver.boolean_value(sub.x[j, k])]
        if not chosen:
            out[w.job.id] = JobPlan(job=w.job.id, cut=None)
            continue
        k = chosen[0]
        g = solver.value(sub.gpu_start[j]) if j in sub.gpu_start else None
        c = solver.value(sub.cpu_start[j]) if j in sub.cpu_start else None
        out[w.job.id] = plan_for_cut(w.job, w.stages, k, g, c)
    for j in fixed:
        w = windows[j]
        p = plans[w.job.id]
        if p.cut is not None:
            g = solver.value(sub.gpu_start[j]) if j in sub.gpu_start else None
            c = solver.value(sub.cpu_start[j]) if j in sub.cpu_start else None
            if g is not None or c is not None:
                out[w.job.id] = plan_for_cut(w.job, w.stages, p.cut,
                                             p.gpu_start if g is None else g,
                                             p.cpu_start if c is None else c)
    return out, used


def _window(windows: tuple[JobWindow, ...], target: int, size: int) -> list[int]:
    """The target and the ``size - 1`` jobs whose deadlines are closest to its own."""
    d = windows[target].deadline
    others = sorted((i for i in range(len(windows)) if i != target and windows[i].cuts),
                    key=lambda i: (abs(windows[i].deadline - d), i))
    return [target, *others[:size - 1]]


def lns(instance: Instance, best: Candidate, seed: int, stats: dict[str, object],
        budget: Budget = UNLIMITED) -> Candidate:
    """The window search of the module docstring, from ``best``; the best schedule found.

    ``budget`` (its wall-clock and CPU-time ends) stops the search and caps
    each CP-SAT call; with :data:`~splitsched.solvers.heuristics.UNLIMITED`
    only the deterministic-time limits do.
    """
    windows = job_windows(instance)
    plans = {p.job: p for p in best.schedule.plans}
    weight = best.weight
    ceiling = can_fit(instance)
    spent, subs, improved = 0.0, 0, 0
    size_at = 0
    while weight < ceiling and spent < DTIME_BUDGET and size_at < len(SIZES):
        size = min(SIZES[size_at], len(windows))
        targets = sorted((i for i, w in enumerate(windows)
                          if w.cuts and plans[w.job.id].cut is None),
                         key=lambda i: (-windows[i].job.weight, windows[i].deadline, i))
        gained = False
        for t in targets:
            left = budget.left()
            if left <= 0 or spent >= DTIME_BUDGET:
                break
            if plans[windows[t].job.id].cut is not None:
                continue
            new, used = _solve_window(instance, windows, plans, _window(windows, t, size),
                                      seed, min(SUB_DTIME, DTIME_BUDGET - spent), left)
            spent += used
            subs += 1
            if new is None:
                continue
            trial = dict(plans, **new)
            schedule = Schedule(instance_id=instance.id, solver=NAME,
                                plans=tuple(trial[j.id] for j in instance.jobs))
            ev = evaluate(instance, schedule)
            if not ev.feasible or instance.total_weight - ev.weighted_misses <= weight:
                continue  # cannot happen (the model is the problem's); keep the incumbent
            plans, weight = trial, instance.total_weight - ev.weighted_misses
            best = Candidate(best.order, schedule, weight, ev.makespan)
            improved += 1
            gained = True
        if budget.over():
            break
        if not gained:
            size_at += 1
    stats.update(lns_subproblems=subs, lns_improved=improved, lns_dtime=round(spent, 3))
    return best


@register(NAME, "dp-ls, then large-neighbourhood search with CP-SAT: all jobs fixed but a "
                "window around a dropped one (processors may take different orders); at most 1 s "
                "after dp-edf")
def solve_lns_cpsat(instance: Instance, *, time_limit_s: float, seed: int, threads: int,
                    warm_start: Schedule | None = None) -> SolverOutput:
    """dp-ls's phases, then the window search (module docstring).

    Runs until ``min(time_limit_s, BUDGET_S)`` after the start at the latest;
    one CP-SAT worker whatever ``threads`` says; status ``feasible``; no
    bound. ``warm_start`` is not used (dp-edf's schedule is the start).
    """
    t0 = time.perf_counter()
    best, budget, stats = dp_ls_phases(instance, NAME, time_limit_s, seed)
    best = lns(instance, best, seed, stats, budget)
    return output(best, stats, t0)
