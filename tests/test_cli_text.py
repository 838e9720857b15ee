"""What the CLI says in words: solver list, the two loads of ``show``, the torch hint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from splitsched.io import write_instance, write_schedule
from splitsched.problem import Instance, Job, JobPlan, Network, Schedule
from splitsched.solvers.base import get_solver, solver_names

# Isolated latency per cut: k=0: 0+0+50, k=1: 10+5+25, k=2: 30+0+0 -> best 30 us.
NET = Network(name="net", layer_names=("l1", "l2"), gpu_us=(10, 20), cpu_us=(25, 25),
              handoff_us=(0, 5, 0))
JOBS = (Job("j0", "net", 0, 30), Job("j1", "net", 0, 50))


def _main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    from splitsched.cli import main

    monkeypatch.setattr(sys, "argv", ["splitsched", *args])
    with pytest.raises(SystemExit) as exc:
        main()
    return int(exc.value.code or 0)


def test_solvers_says_exact_or_heuristic_and_each_warm_start(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert _main(monkeypatch, "solvers") == 0
    lines = capsys.readouterr().out.splitlines()
    assert all(line == line.rstrip() for line in lines)
    by_name = {line.split()[0]: i for i, line in enumerate(lines) if not line.startswith(" ")}
    assert sorted(by_name) == solver_names()
    for name, i in by_name.items():
        info = get_solver(name)
        assert lines[i].split()[1] == ("exact" if info.exact else "heuristic")
        assert info.summary.strip() in lines[i]
        if info.uses_warm_start:
            assert lines[i + 1].strip() == f"warm start: {info.start_note.strip()}"
        else:
            assert i + 1 == len(lines) or not lines[i + 1].startswith(" ")


def test_show_names_both_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    made = tmp_path / "made.json"
    write_instance(Instance(id="made", networks=(NET,), jobs=JOBS,
                            provenance={"generator": {"load": 0.8}}), made)
    assert _main(monkeypatch, "show", str(made)) == 0
    text = capsys.readouterr().out
    assert "offered load: 0.8 (the generator's --load" in text
    # best-latency work 30 + 30 over the horizon 50 - 0
    assert "horizon load: 1.200 (best-latency work / (last deadline - first release)" in text
    assert "mean slack: 1.33" in text  # (30/30 + 50/30) / 2
    by_hand = tmp_path / "by_hand.json"
    write_instance(Instance(id="by-hand", networks=(NET,), jobs=JOBS), by_hand)
    assert _main(monkeypatch, "show", str(by_hand)) == 0
    text = capsys.readouterr().out
    assert "offered load" not in text and "horizon load: 1.200" in text


@pytest.mark.parametrize(("load", "noted"), [(3.0, False), (6.6, False), (6.7, True),
                                             (1e30, True)])
def test_a_batch_load_past_its_effect_is_noted(tmp_path: Path, load: float, noted: bool,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """Batch, 10 jobs: the default slack max(1.5, 10 / load) is at its floor from load
    10 / 1.5 = 6.67 on, so ``--load 1e30`` gives the jobs of ``--load 10`` (a newcomer's
    attack, 2026-12-02: ``show`` said "offered load: 1e+30" and nothing else). ``generate``
    and ``show`` now say so; below the threshold nothing is added."""
    out = tmp_path / "b.json"
    assert _main(monkeypatch, "generate", "--scenario", "batch", "--device", "mi9",
                 "--jobs", "10", "--load", str(load), "--seed", "0", "-o", str(out)) == 0
    said = capsys.readouterr().err
    assert _main(monkeypatch, "show", str(out)) == 0
    shown = capsys.readouterr().out
    note = "a load above jobs / 1.5 = 6.66667 has no effect"
    assert (note in said) == (note in shown) == noted
    if load == 1e30:
        assert _main(monkeypatch, "generate", "--scenario", "batch", "--device", "mi9",
                     "--jobs", "10", "--load", "10", "--seed", "0", "-o",
                     str(tmp_path / "c.json")) == 0
        from splitsched.io import read_instance

        assert read_instance(out).jobs == read_instance(tmp_path / "c.json").jobs


def test_replay_without_torch_gives_an_install_line_that_works(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    inst, sched = tmp_path / "i.json", tmp_path / "s.json"
    write_instance(Instance(id="i", networks=(NET,), jobs=JOBS), inst)
    write_schedule(Schedule(instance_id="i", solver="by-hand",
                            plans=(JobPlan("j0", None), JobPlan("j1", None))), sched)
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now fails
    assert _main(monkeypatch, "replay", str(inst), str(sched), "--backend", "torch") == 2
    err = capsys.readouterr().err
    assert "pip install torch torchvision --index-url https://download.pytorch.org/whl/cpu" \
        in err
    assert 'pip install -e ".[replay]"' in err
    assert "'splitsched[replay]'" not in err  # not on any package index


def test_help_summaries_are_not_broken_at_the_docstrings_width(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """typer's rich help kept a docstring's line breaks: `splitsched --help` showed `plot`
    as 'release, deadline and' / 'completion, ...' on lines of their own, whatever the
    terminal's width. On a wide terminal each summary is one line."""
    monkeypatch.setenv("COLUMNS", "250")
    assert _main(monkeypatch, "--help") == 0
    text = capsys.readouterr().out
    for summary in ("Joint DNN partitioning and GPU-CPU scheduling on phones: generate "
                    "instances, solve, benchmark, replay.",
                    "every job's release, deadline and completion, misses marked; time in ms. "
                    "Exits 1 (after drawing) if the schedule is infeasible, 2 on bad input.",
                    "a self-contained report.html (an online sweep's directory: its report, "
                    "RUN_DIR/report/report.md)."):
        assert summary in text, text
    monkeypatch.setenv("COLUMNS", "400")  # the second paragraph, longer
    assert _main(monkeypatch, "generate", "--help") == 0
    assert "different ids. Every release and deadline stays within 2**40 us; parameters " \
           "that would pass it are refused naming --slack or --load." in capsys.readouterr().out
