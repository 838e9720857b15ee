"""Online command: ``online`` parses options and calls :mod:`splitsched.online.sweep`.

One instance (``splitsched online FILE --policy NAME -o REALIZED.json``) or a
sweep over a set (``splitsched online --set NAME|DIR --policies a,b -o RUN_DIR``).
Bad input raises InputError (exit status 2 from the main CLI). Exit 1: a
policy raised (its runs are recorded as errors); 3: runs left undone by an
infrastructure failure (``infra.jsonl``; rerun them with ``--resume``); 130:
interrupted (the records written so far are kept; continue with ``--resume``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from splitsched.bench.records import WriteFailure
from splitsched.cli.console import err, out
from splitsched.cli.options import (
    MAX_CV,
    MAX_REPLAY_RUNS,
    MAX_SECONDS,
    TERMINATED_EXIT,
    Terminated,
    check_output,
    created_folders,
    int_in,
    interrupts,
    number_in,
    positive_time,
    refuse_dangling_link,
    refuse_picture_name,
    refuse_set_as_run_dir,
    refuse_typed,
    refuse_unused,
    split_names,
    typed_path,
)
from splitsched.io import InputError
from splitsched.problem import counted
from splitsched.solve import MAX_SEED


def online_cmd(
    ctx: typer.Context,
    instance_file: Annotated[Path | None, typer.Argument(help="instance JSON (or use --set)")]
        = None,
    policy: Annotated[str, typer.Option("--policy", "--policies",
                                        help="policy name(s), comma-separated: fifo-gpu, "
                                             "edf-greedy-cut, replan:dp-edf, ... (see "
                                             "--list)")] = "replan:dp-edf",
    set_ref: Annotated[str | None, typer.Option("--set", help="sweep: named set(s) or "
                                                "directory, as bench --set")] = None,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="realized schedule "
                                                "JSON (one instance) or run directory "
                                                "(--set)", parser=typed_path,
                                                metavar="<path>")] = None,
    replan_budget_ms: Annotated[float, typer.Option(help="per-decision budget of replan:* "
                                                    "policies, ms")] = 50.0,
    noise_cv: Annotated[float, typer.Option(help="stage-time noise as replay --backend sim "
                                            "(lognormal cv; 0 = none)")] = 0.0,
    measured_sd: Annotated[bool, typer.Option("--measured-sd/--no-measured-sd",
                                              help="use the profile's per-layer sd where "
                                                   "present (when cv > 0)")] = True,
    runs: Annotated[int, typer.Option(help="runs (noise draws) per instance")] = 1,
    seed: Annotated[int, typer.Option(help="seed of the draws and of the solvers")] = 0,
    offline: Annotated[str, typer.Option(help="solver(s) giving the offline best for "
                                         "regret, or 'none'")] = "cpsat",
    offline_limit: Annotated[float, typer.Option(help="seconds per offline solve")] = 10.0,
    best_known: Annotated[Path | None, typer.Option(help="a bench runs.jsonl: read the "
                                                    "offline best from it instead")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="--set: skip recorded runs")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="one JSON summary on stdout")] = False,
    list_policies: Annotated[bool, typer.Option("--list", help="list the policies")] = False,
) -> None:
    """Run policies online: jobs revealed at release, decided at each event."""
    from splitsched.online.policies import policy_summaries, uses_replan_budget
    from splitsched.online.sweep import OnlineConfig, run_file, run_sweep

    if list_policies:
        for name, line in policy_summaries().items():
            out.print(f"{name:<18}{line}", highlight=False, soft_wrap=True)
        return
    # The same bounds as replay's and solve's flags (docs/reliability.md, "Limits").
    positive_time(replan_budget_ms, "--replan-budget-ms", MAX_SECONDS * 1000)
    number_in(noise_cv, "--noise-cv", 0, MAX_CV)
    int_in(runs, "--runs", 1, MAX_REPLAY_RUNS)
    int_in(seed, "--seed", 0, MAX_SEED)
    positive_time(offline_limit, "--offline-limit")
    solvers = () if offline.strip() == "none" else split_names(offline, "--offline")
    # An option that does nothing in this use is refused, not silently ignored.
    if set_ref is None:
        refuse_unused(ctx, {"resume": "--resume"}, "it continues a sweep (--set RUN_DIR); "
                      "one instance is run whole each time")
    if best_known is not None:
        refuse_unused(ctx, {"offline": "--offline", "offline_limit": "--offline-limit"},
                      "the offline best is read from --best-known, nothing is solved offline")
    elif not solvers:
        refuse_unused(ctx, {"offline_limit": "--offline-limit"},
                      "--offline none solves nothing offline")
    if not any(uses_replan_budget(name) for name in split_names(policy, "--policy")):
        refuse_unused(ctx, {"replan_budget_ms": "--replan-budget-ms"},
                      "only replan:<solver> policies re-solve, under that budget; "
                      f"{policy} never replans")
    if noise_cv == 0:
        refuse_unused(ctx, {"measured_sd": "--measured-sd"},
                      "it shapes the stage-time noise, and --noise-cv is 0 (no noise)")
        if runs > 1:
            refuse_unused(ctx, {"runs": "--runs"},
                          f"without noise (--noise-cv 0, the default) the {runs} runs would "
                          "see the same stage times and repeat one another; give "
                          "--noise-cv > 0 to draw noisy runs")
    cfg = OnlineConfig(policies=split_names(policy, "--policy"), replan_budget_ms=replan_budget_ms,
                       noise_cv=noise_cv, use_measured_sd=measured_sd, runs=runs, seed=seed,
                       offline_solvers=solvers, offline_limit_s=offline_limit,
                       best_known=best_known)
    if set_ref is not None:
        if instance_file is not None:
            raise InputError(instance_file, "(argument)", "give an instance file or --set, "
                                                          "not both")
        if output is None:
            raise InputError(None, "--output", "a sweep needs a run directory (-o RUN_DIR)")
        refuse_typed(output, "--output", folder=True)
        refuse_dangling_link(output, "--output")
        refuse_set_as_run_dir(set_ref, output, "--output")
        try:
            with interrupts(), created_folders((output, "--output")):
                summary = run_sweep(set_ref, cfg, output, resume=resume,
                                    progress=lambda line: err.print(line, highlight=False))
        except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM (options.interrupts)
            how = "terminated" if isinstance(exc, Terminated) else "interrupted"
            runs_file = output / "runs.jsonl"
            where = (f"the runs recorded so far are in {runs_file}"
                     if runs_file.is_file() and runs_file.stat().st_size > 0
                     else "no run recorded yet")
            err.print(f"{how}: {where}; continue with --resume", highlight=False)
            raise SystemExit(TERMINATED_EXIT if isinstance(exc, Terminated) else 130) \
                from None
        except WriteFailure as exc:  # disk full: an infrastructure failure (exit 3)
            from splitsched.cli.bench import say_write_failure
            say_write_failure(exc, output)
        err.print(f"{counted(summary.new_records, 'run')} now ({summary.skipped} recorded before, "
                  f"{counted(summary.errors, 'error')}); "
                  + (f"report in {summary.report}" if summary.report else "no report (no run "
                     "recorded)"), highlight=False)
        if summary.infra_failures:
            lost = counted(len(summary.infra_failures), "run")
            err.print(f"[bold red]{lost} not done: infrastructure "
                      f"failure ({summary.infra_failures[0].error}); they are not recorded as "
                      f"runs (see {output / 'infra.jsonl'}); continue with --resume[/bold red]",
                      highlight=False)
            raise SystemExit(3)
        if summary.errors:
            raise SystemExit(1)
        return
    if instance_file is None:
        raise InputError(None, "(argument)", "give an instance file or --set NAME|DIR")
    if output is not None:  # before the offline solve and the runs, not after them
        from splitsched.online.sweep import run_file_outputs

        refuse_picture_name(output, "--output", "the realized schedule")
        check_output(output, "--output", inputs=[instance_file, best_known])
        for path in run_file_outputs(output, cfg):  # files beside it, named after it
            if path != output and path.exists():
                check_output(path, "--output", inputs=[instance_file, best_known])
    with created_folders((output, "--output")):
        result = run_file(instance_file, cfg, output)
    if as_json:
        print(json.dumps(result, allow_nan=False))
        if result["infra_failures"]:
            raise SystemExit(3)
        return
    best = result["offline_best"]
    out.print(f"{result['instance_id']}: {counted(result['n_jobs'], 'job')}; offline best "
              + (f"{counted(best, 'weighted miss', 'weighted misses')} ({result['offline_source']}"
                 f"{', proven' if result['offline_proven'] else ''})" if best is not None
                 else "not computed"), highlight=False)
    for row in result["runs"]:
        if row["status"] != "ok":
            out.print(f"  {row['policy']} run {row['run']}: error: {row['error']}",
                      highlight=False)
            continue
        lat = row["latency"]
        out.print(f"  {row['policy']} run {row['run']}: missed {row['misses']} "
                  f"(weighted {row['weighted_misses']}, miss rate {row['miss_rate']:.3f})"
                  + (f", regret {row['regret']}" if row["regret"] is not None else "")
                  + (f"; decision latency median {lat['median']:.0f} us, p99 "
                     f"{lat['p99']:.0f} us, max {lat['max']:.0f} us over {lat['count']}"
                     if lat and lat["count"] else "")
                  + (f" -> {row['schedule_file']}" if row["schedule_file"] else ""),
                  highlight=False)
    for failure in result["infra_failures"]:
        err.print(f"  {failure['policy']} run {failure['run']}: not done, infrastructure "
                  f"failure: {failure['error']}", highlight=False)
    if result["infra_failures"]:
        raise SystemExit(3)
    if any(row["status"] != "ok" for row in result["runs"]):
        raise SystemExit(1)


def register(app: typer.Typer) -> None:
    """Add ``online``."""
    app.command("online")(online_cmd)
