"""``splitsched report RUN_DIR``: tables, plots and ``report.html`` from ``runs.jsonl``.

Reads only the run directory (records, its instance copies and schedules), so
a report can be rebuilt anywhere the directory is copied.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from splitsched.bench.certify import Certification, certify, is_solved
from splitsched.bench.html import render
from splitsched.bench.plots import choose_gantt_instance, draw_plots
from splitsched.bench.records import RUNS_FILE, RunRecord, read_runs, unique_records
from splitsched.bench.staging import check_folder_output, check_run_dir, staged_folder
from splitsched.bench.tables import DEFAULT_SHIFT_S, write_tables
from splitsched.io import InputError, atomic_write_text, read_instance, read_schedule
from splitsched.problem import Instance, Schedule, counted

REPORT_DIR = "report"


@dataclass(frozen=True)
class Report:
    """What :func:`build_report` wrote."""

    directory: Path
    html: Path
    tables: dict[str, pd.DataFrame]
    plots: dict[str, Path]
    certification: Certification
    duplicates: int = 0


def definitions(shift_s: float) -> list[str]:
    """The report's definitions, in words."""
    return [
        "missed: weighted deadline misses as evaluated by splitsched.evaluate (dropped and "
        "late jobs); miss rate: misses / jobs.",
        "solved: the run produced a schedule that passed evaluation.",
        "best known: fewest weighted misses among solved runs of an instance; best bound: "
        "largest proven lower bound (an 'optimal' claim without a bound counts as bound = "
        "its misses); certified: best bound = best known.",
        "best found: a solved run that matches the best known; certified optimal: best found "
        "on a certified instance. gap: misses - best known (mean and max over solved runs).",
        f"runtime: measured inside the worker around the solve call; runs that ended "
        f"abnormally (killed, crash, memout, error) count at their time limit; sgm_runtime_s "
        f"is the shifted geometric mean with shift {shift_s:g} s.",
        "exact methods side by side: median_time_to_proof_s is the median runtime of the runs "
        "that proved optimality; sum_proof_gaps adds, over a solver's runs, the best known "
        "minus the bound the run itself proved (0 when proved optimal; no bound counts as 0); "
        "'-' for a solver that proved no bound.",
        "performance profile: a problem is an (instance, seed) pair; a run solves it when it "
        "reaches the best known misses; runtimes are floored at 0.1 ms.",
    ]


PAPER_METHOD = "dp-edf"
"""The paper's method: the report's Gantt always shows it when it solved the instance."""


def _gantt_input(run_dir: Path, cert: Certification, instance_id: str | None,
                 solvers: Sequence[str] | None, max_solvers: int = 4
                 ) -> tuple[tuple[Instance, list[Schedule]] | None, str | None]:
    """The Gantt's instance and schedules, and a note for its caption (why dp-edf is absent)."""
    if solvers is not None:
        swept = {m.record.solver for m in cert.runs}
        unknown = [s for s in solvers if s not in swept]
        if unknown:
            raise InputError(None, "gantt_solvers", f"no runs of {', '.join(map(repr, unknown))}"
                             f" in this run directory (its solvers: {', '.join(sorted(swept))})")
    if instance_id is not None:
        shas = [c.sha256 for c in cert.instances.values() if c.instance_id == instance_id]
        if not shas:
            raise InputError(None, "gantt_instance", f"no runs of instance {instance_id!r}")
        sha: str | None = shas[0]
    else:
        sha = choose_gantt_instance(cert)
    if sha is None:
        return None, None
    runs = [m.record for m in cert.runs
            if m.record.instance_sha256 == sha and is_solved(m.record)
            and m.record.schedule_file]
    runs.sort(key=lambda r: (int(r.seed), r.solver))
    chosen: dict[str, RunRecord] = {}
    for r in runs:
        if (solvers is None or r.solver in solvers) and r.solver not in chosen:
            chosen[r.solver] = r
    picked = list(chosen.values())
    if solvers is None:  # show contrast: one solver per distinct outcome first, then the rest
        picked.sort(key=lambda r: ((r.missed or 0), r.solver))
        firsts: dict[int, RunRecord] = {}
        for r in picked:
            firsts.setdefault((r.missed or 0), r)
        rest = [r for r in picked if r not in firsts.values()]
        ordered = [*firsts.values(), *rest]
        paper = chosen.get(PAPER_METHOD)
        if paper is not None and paper not in ordered[:max_solvers]:  # the paper's method
            ordered = [*ordered[:max_solvers - 1], paper]
        picked = sorted(ordered[:max_solvers], key=lambda r: ((r.missed or 0), r.solver))
    if not picked:
        return None, None
    note = None
    if PAPER_METHOD not in chosen:
        ran = any(m.record.solver == PAPER_METHOD for m in cert.runs)
        if solvers is not None and PAPER_METHOD not in solvers:
            note = f"{PAPER_METHOD} (the paper's method) is not among --gantt-solvers."
        elif not ran:
            note = f"{PAPER_METHOD} (the paper's method) was not run in this sweep."
        else:
            note = (f"{PAPER_METHOD} (the paper's method) has no solved run with a schedule "
                    "on this instance.")
    instance = read_instance(run_dir / str(picked[0].instance_copy))
    return (instance, [read_schedule(run_dir / str(r.schedule_file)) for r in picked]), note


def build_report(run_dir: Path, shift_s: float = DEFAULT_SHIFT_S,
                 gantt_instance: str | None = None,
                 gantt_solvers: Sequence[str] | None = None) -> Report:
    """Write ``RUN_DIR/report/``: CSV, Markdown and Parquet tables, PNG plots, report.html.

    The report is staged (:func:`splitsched.bench.staging.staged_folder`):
    built beside ``RUN_DIR/report`` and its files moved in at the end, after
    every input was checked, so a refusal or a failure leaves the previous
    report (or none) exactly as it was; other files in ``report/`` are kept.

    Raises
    ------
    InputError
        No such run directory (or a file given for it), or no records in it,
        or an online sweep's records in it (their policies are not solvers; the
        online report is :func:`splitsched.online.report.build_report`); no runs
        of ``gantt_instance``, or of a solver named in ``gantt_solvers``; the
        Gantt's instance copy or a schedule file missing or malformed;
        ``RUN_DIR/report`` is a file; a write failed.
    """
    runs_path = run_dir / RUNS_FILE
    check_run_dir(run_dir)
    records, duplicates = unique_records(read_runs(runs_path).records)
    if not records:
        raise InputError(runs_path, "(file)", "no run records (run `splitsched bench` first)")
    for i, rec in enumerate(records, start=1):
        if rec.kind is not None:
            raise InputError(runs_path, f"record {i}", f"an online sweep's record (kind "
                             f"{rec.kind!r}), not a bench run: this is an online sweep's run "
                             "directory")
    cert = certify(records)
    out = run_dir / REPORT_DIR
    # Everything that can refuse is checked before anything is written: the report folder,
    # the Gantt's instance and solvers, its instance copy and schedules (read here).
    check_folder_output(out)
    gantt_input, gantt_note = _gantt_input(run_dir, cert, gantt_instance, gantt_solvers)
    with staged_folder(out) as tmp:  # its files moved into report/ at the end
        tables = write_tables(tmp, cert, shift_s)
        drawn, captions = draw_plots(cert, tmp, gantt_input, shift_s=shift_s,
                                     gantt_note=gantt_note)
        first = records[0]
        machine = first.machine or {}
        versions = first.versions or {}
        facts = [
            f"{counted(len(records), 'run')}, {counted(len(cert.instances), 'instance')}, "
            f"{counted(tables['solvers'].shape[0], 'solver')}; set {first.set}",
            f"machine: {machine.get('cpu_model')}, {machine.get('cores')} cores, "
            f"{machine.get('os')}",
            "versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())),
            f"certified optimal instances: {sum(c.certified for c in cert.instances.values())} "
            f"of {len(cert.instances)}",
        ]
        if duplicates:
            facts.append(f"{counted(duplicates, 'duplicate record')} of runs already counted "
                         f"{'was' if duplicates == 1 else 'were'} ignored "
                         "(first record of each run kept)")
        page = render(f"splitsched benchmark report: {run_dir.name}", facts, tables, drawn,
                      definitions(shift_s), captions=captions)
        atomic_write_text(tmp / "report.html", page)
    html_path = out / "report.html"
    plots = {name: out / path.name for name, path in drawn.items()}
    return Report(out, html_path, tables, plots, cert, duplicates)
