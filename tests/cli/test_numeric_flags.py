"""Every numeric flag of every command against negative, zero, huge, NaN and infinite values.

A value outside a flag's range is refused before any work with exit status 2 and one
line ``error: ...`` naming the flag; nothing is written. The bounds are the ones stated
in ``splitsched.cli.options`` and docs/reliability.md ("Limits"). Values a flag accepts
(a seed of 0, no noise, no warm-up, a load at which every job arrives at once) run to
exit status 0.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from splitsched.cli.options import (
    MAX_CV,
    MAX_JOBS,
    MAX_MEM_LIMIT_MB,
    MAX_REPEATS,
    MAX_REPLAY_RUNS,
    MAX_SECONDS,
    MAX_SEEDS,
    MAX_THREADS,
)
from splitsched.io import write_instance
from splitsched.problem import MAX_TIME_US
from tests.helpers.builders import edf_counterexample
from tests.helpers.cli import CSV, main

HUGE_INT = "99999999999999999999"  # beyond int64




@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An instance, its dp-edf schedule, a 2-run trace, a set, a profile CSV."""
    from splitsched.cli import main as cli_main

    root = tmp_path_factory.mktemp("flags")
    inst = root / "inst.json"
    write_instance(edf_counterexample(), inst)
    sched, trace = root / "sched.json", root / "trace.jsonl"
    for args in (["solve", str(inst), "-s", "dp-edf", "-o", str(sched)],
                 ["replay", str(inst), str(sched), "--runs", "2", "--trace", str(trace)]):
        with pytest.raises(SystemExit) as exc:
            cli_main(args)
        assert exc.value.code in (0, None)
    (root / "set").mkdir()
    write_instance(edf_counterexample(), root / "set" / "edf.json")
    (root / "t.csv").write_text(CSV)
    return {"inst": inst, "sched": sched, "trace": trace, "set": root / "set",
            "csv": root / "t.csv"}


# command -> the arguments before the flag ({out}: a fresh folder that must stay empty).
BASE = {
    "solve": ["solve", "{inst}", "-s", "dp-edf", "-o", "{out}/s.json"],
    "generate": ["generate", "--device", "mi9", "-o", "{out}/g.json"],
    "profiles import": ["profiles", "import", "--out", "{out}/p"],
    "profile": ["profile", "--from-csv", "{csv}", "-o", "{out}/p.json"],
    "bench": ["bench", "--set", "{set}", "--solvers", "dp-edf", "-o", "{out}/run"],
    "report": ["report", "{out}/run"],
    "replay": ["replay", "{inst}", "{sched}", "--trace", "{out}/t.jsonl"],
    "compare": ["compare", "{inst}", "{sched}", "{trace}", "--plot", "{out}/c.png"],
    "online": ["online", "{inst}", "--policy", "fifo-gpu", "--offline", "none",
               "-o", "{out}/o.json"],
}

NEG, ZERO, NAN, INF = "-1", "0", "nan", "inf"
INT_BAD = (NAN, INF)  # not integers: click's usage error, naming the flag
REFUSED: list[tuple[str, str, str]] = [
    *[("solve", "--time-limit", v) for v in (NEG, ZERO, str(MAX_SECONDS + 1), "1e30", NAN, INF)],
    *[("solve", "--seed", v) for v in (NEG, str(2**32), HUGE_INT, *INT_BAD)],
    *[("solve", "--threads", v) for v in (NEG, ZERO, str(MAX_THREADS + 1), "100000", HUGE_INT,
                                         *INT_BAD)],
    *[("generate", "--jobs", v) for v in (NEG, ZERO, str(MAX_JOBS + 1), HUGE_INT, *INT_BAD)],
    *[("generate", "--load", v) for v in (NEG, ZERO, NAN, INF)],
    *[("generate", "--slack", v) for v in (NEG, ZERO, "1e30", NAN, INF)],
    *[("generate", "--seed", v) for v in (NEG, HUGE_INT, *INT_BAD)],
    *[("profiles import", "--cpu-threads", v) for v in (NEG, ZERO, "3", "100000", *INT_BAD)],
    *[("profiles import", "--max-cuts", v) for v in (NEG, ZERO, HUGE_INT, *INT_BAD)],
    *[("profile", "--threads", v) for v in (NEG, ZERO, str(MAX_THREADS + 1), HUGE_INT,
                                           *INT_BAD)],
    *[("profile", "--repeats", v) for v in (NEG, ZERO, str(MAX_REPEATS + 1), *INT_BAD)],
    *[("profile", "--warmup", v) for v in (NEG, str(MAX_REPEATS + 1), *INT_BAD)],
    *[("profile", "--max-cuts", v) for v in (NEG, ZERO, HUGE_INT, *INT_BAD)],
    *[("profile", "--handoff-us", v) for v in (NEG, str(MAX_TIME_US + 1), *INT_BAD)],
    *[("bench", "--time-limit", v) for v in (NEG, ZERO, str(MAX_SECONDS + 1), NAN, INF)],
    *[("bench", "--seeds", v) for v in (NEG, ZERO, str(MAX_SEEDS + 1), *INT_BAD)],
    *[("bench", "--threads", v) for v in (NEG, ZERO, str(MAX_THREADS + 1), *INT_BAD)],
    *[("bench", "--workers", v) for v in (NEG, ZERO, str(MAX_THREADS + 1), *INT_BAD)],
    *[("bench", "--mem-limit-mb", v) for v in (NEG, ZERO, str(MAX_MEM_LIMIT_MB + 1), HUGE_INT,
                                              *INT_BAD)],
    *[("bench", "--grace", v) for v in (NEG, str(MAX_SECONDS + 1), NAN, INF)],
    *[("report", "--shift", v) for v in (NEG, ZERO, str(MAX_SECONDS + 1), NAN, INF)],
    *[("replay", "--runs", v) for v in (NEG, ZERO, str(MAX_REPLAY_RUNS + 1), HUGE_INT,
                                       *INT_BAD)],
    *[("replay", "--seed", v) for v in (NEG, HUGE_INT, *INT_BAD)],
    *[("replay", "--cv", v) for v in (NEG, str(MAX_CV * 2), "1e30", NAN, INF)],
    *[("replay", "--cpu-threads", v) for v in (NEG, ZERO, str(MAX_THREADS + 1), *INT_BAD)],
    *[("compare", "--plot-run", v) for v in (NEG, "2", HUGE_INT, *INT_BAD)],
    *[("online", "--replan-budget-ms", v) for v in (NEG, ZERO, str(MAX_SECONDS * 1000 + 1),
                                                   "1e30", NAN, INF)],
    *[("online", "--noise-cv", v) for v in (NEG, str(MAX_CV * 2), "1e30", NAN, INF)],
    *[("online", "--runs", v) for v in (NEG, ZERO, str(MAX_REPLAY_RUNS + 1), HUGE_INT,
                                       *INT_BAD)],
    *[("online", "--seed", v) for v in (NEG, str(2**32), HUGE_INT, *INT_BAD)],
    *[("online", "--offline-limit", v) for v in (NEG, ZERO, str(MAX_SECONDS + 1), "1e30",
                                                NAN, INF)],
]
# The flag the message names where it is not the flag given.
NAMED = {("generate", "--slack", "1e30"): "slack"}


# A flag that only one mode of a command uses is accepted in that mode (elsewhere it is
# refused as doing nothing): (command, flag) -> the arguments of that mode.
MODE_BASE = {
    ("profile", "--handoff-us"): ["profile", "--from-litert", "{litert_cpu}", "{litert_gpu}",
                                  "-o", "{out}/p.json"],
    ("profile", "--warmup"): ["profile", "--device", "cpu", "--models", "resnet18",
                              "--max-cuts", "2", "--repeats", "1", "-o", "{out}/p.json"],
    # online flags that only some uses take (elsewhere refused as doing nothing)
    ("online", "--replan-budget-ms"): ["online", "{inst}", "--policy", "replan:edf-gpu",
                                       "--offline", "none", "-o", "{out}/o.json"],
    ("online", "--offline-limit"): ["online", "{inst}", "--policy", "fifo-gpu", "--offline",
                                    "edf-gpu", "-o", "{out}/o.json"],
    ("online", "--runs"): ["online", "{inst}", "--policy", "fifo-gpu", "--offline", "none",
                           "--noise-cv", "0.1", "-o", "{out}/o.json"],
}
LITERT = Path(__file__).resolve().parents[1] / "data" / "litert"


def _args(command: str, flag: str, value: str, files: dict[str, Path], out: Path) -> list[str]:
    base = [a.format(out=out, litert_cpu=LITERT / "tiny_cpu.csv",
                     litert_gpu=LITERT / "tiny_gpu_fused.csv", **files)
            for a in MODE_BASE.get((command, flag), BASE[command])]
    return [*base, f"{flag}={value}" if value.startswith("-") else flag, *(
        [] if value.startswith("-") else [value])]


@pytest.mark.parametrize("command, flag, value", REFUSED)
def test_out_of_range_value_is_refused_naming_the_flag(
        command: str, flag: str, value: str, files: dict[str, Path], tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    code, stdout, stderr = main(capsys, *_args(command, flag, value, files, out))
    assert code == 2, (stdout, stderr)
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert NAMED.get((command, flag, value), flag) in lines[0], lines[0]
    assert "Traceback" not in stderr
    assert list(out.iterdir()) == []  # refused before anything was written


ACCEPTED: list[tuple[str, str, str]] = [
    ("solve", "--seed", ZERO),
    ("solve", "--threads", str(MAX_THREADS)),
    ("generate", "--seed", ZERO),
    ("generate", "--load", "1e30"),  # every job released at once
    ("profile", "--warmup", ZERO),  # a PyTorch measurement (skipped without torchvision)
    ("profile", "--handoff-us", ZERO),  # --from-litert
    ("replay", "--seed", ZERO),
    ("replay", "--cv", ZERO),  # no noise
    ("replay", "--cv", str(MAX_CV)),
    ("replay", "--runs", "3"),
    ("compare", "--plot-run", ZERO),
    ("online", "--seed", ZERO),
    ("online", "--noise-cv", ZERO),
    ("online", "--runs", "2"),  # with --noise-cv 0.1
    ("online", "--replan-budget-ms", "5"),  # with replan:edf-gpu
    ("online", "--offline-limit", "5"),  # with --offline edf-gpu
]


@pytest.mark.parametrize("command, flag, value", ACCEPTED)
def test_in_range_value_runs(command: str, flag: str, value: str, files: dict[str, Path],
                             tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if (command, flag) == ("profile", "--warmup"):
        pytest.importorskip("torchvision")
    code, stdout, stderr = main(capsys, *_args(command, flag, value, files, tmp_path))
    assert code == 0, (stdout, stderr)
    assert list(tmp_path.iterdir())  # it wrote its output


def test_every_numeric_flag_is_covered() -> None:
    """Each int or float option of the commands above appears in REFUSED."""
    import typer

    from splitsched.cli import app

    command = typer.main.get_command(app)
    covered = {(c, f) for c, f, _ in REFUSED}
    found = set()
    for name in BASE:
        cmd = command
        for part in name.split():
            cmd = cmd.commands[part]  # type: ignore[attr-defined]
        for param in cmd.params:
            opts = [o for o in param.opts if o.startswith("--")]
            descriptor = getattr(param, "type_descriptor", None)  # typer >= 0.29
            kind = str(getattr(descriptor, "annotation", None) or getattr(param, "type", ""))
            if opts and any(t in kind.lower() for t in ("int", "float")) \
                    and not getattr(param, "is_flag", False):
                found.add((name, opts[0]))
    assert found and found <= covered, sorted(found - covered)


def test_the_bounds_are_documented() -> None:
    from tests.helpers.paths import REPO_ROOT

    text = (REPO_ROOT / "docs" / "reliability.md").read_text()
    for value in (MAX_THREADS, MAX_SECONDS, MAX_REPLAY_RUNS, MAX_SEEDS, MAX_JOBS, MAX_REPEATS):
        assert f"`{value}`" in text, value


def test_a_time_above_the_limit_states_the_limit_not_a_range_with_zero(
        files: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # "must be a finite number in 0..604800" read as if 0 were allowed (a review)
    code, _, stderr = main(capsys, *_args("solve", "--time-limit", "1e9", files, tmp_path))
    assert code == 2 and f"must be <= {MAX_SECONDS:g}, got" in stderr and "0.." not in stderr
