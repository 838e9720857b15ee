"""scripts/primal_probe.py: its window search (lns-cpsat's, with the probe's wider
windows) reaches the brute-force optimum of tiny instances from the empty schedule (the
widest window holds every job); the script prints it; bad input exits 2.

The script itself runs as a program: it sets the heuristics' and lns's module constants."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from splitsched.evaluate import evaluate
from splitsched.io import write_instance
from splitsched.solvers import lns
from splitsched.solvers.base import all_dropped
from splitsched.solvers.heuristics import Candidate
from tests.helpers.builders import random_tiny_instance
from tests.helpers.oracle import optimum
from tests.helpers.scripts import load_script, run_program


def test_the_wide_window_search_reaches_the_optimum_from_nothing(
        monkeypatch: pytest.MonkeyPatch) -> None:
    probe = load_script("primal_probe")
    monkeypatch.setattr(lns, "SIZES", probe.LNS_SIZES)
    monkeypatch.setattr(lns, "SUB_DTIME", probe.LNS_SUB_DTIME)
    monkeypatch.setattr(lns, "MOVE", 2)
    monkeypatch.setattr(lns, "DTIME_BUDGET", 60.0)
    rng = random.Random(5)
    for _ in range(6):
        inst = random_tiny_instance(rng, 5, max_weight=3)
        start = Candidate(list(inst.jobs), all_dropped(inst, "probe"), 0, 0)
        stats: dict[str, object] = {}
        best = lns.lns(inst, start, 0, stats)
        ev = evaluate(inst, best.schedule)
        assert ev.feasible and ev.weighted_misses == optimum(inst), (inst, stats)
        assert best.weight == inst.total_weight - ev.weighted_misses


def test_the_script_prints_the_window_search(tmp_path: Path) -> None:
    inst = random_tiny_instance(random.Random(5), 5, max_weight=3)
    path = tmp_path / "t.json"
    write_instance(inst, path)
    res = run_program("primal_probe", str(path), "--seconds", "0.2", "--seeds", "1",
                      "--lns-dtime", "5")
    assert res.returncode == 0, res.stderr
    m = re.search(rf"^{re.escape(inst.id)} seed 0: local search \d+, swap walk \d+, window "
                  r"search (\d+) \(\d+ windows, [\d.]+ deterministic s\) weighted misses",
                  res.stdout, re.M)
    assert m is not None and int(m.group(1)) == optimum(inst), res.stdout


def test_bad_input_exits_2(tmp_path: Path) -> None:
    missing = run_program("primal_probe", str(tmp_path / "none.json"))
    assert missing.returncode == 2 and "none.json" in missing.stderr
    path = tmp_path / "t.json"
    write_instance(random_tiny_instance(random.Random(1), 3), path)
    for bad in ("-1", "nan", "inf"):
        res = run_program("primal_probe", str(path), "--lns-dtime", bad)
        assert res.returncode == 2 and "--lns-dtime" in res.stderr, (bad, res.stderr)
