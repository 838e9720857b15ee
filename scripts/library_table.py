"""Per-instance reference table of a library, from ``splitsched bench`` run directories.

Like the solution files of PSPLIB or Taillard's sets: one row per instance
with the best known weighted misses (the fewest any evaluated schedule
reached), the best proven bound (the largest bound any exact run proved; 0
always holds), whether the two meet (certified optimal), the solver(s) whose
schedule reached the best, and the paper's DP (``dp-edf``) for its gap. A
header states the machine, the versions and the limits, as the records
carry them. Writes ``OUT/<library>/instances.md`` and ``instances.csv``::

    python scripts/library_table.py RUN_DIR [RUN_DIR ...] [--library v2] [--out results/reference]

Several run directories are read as one set of records (the sweep, then a
follow-up run of the exact solvers with a longer limit on the instances the
sweep left open, as ``scripts/reference.sh`` does): best known and best bound
are taken over all of them, and the header states each run's limits.

Only instances of the chosen library are listed (their set, from the
instance copy's provenance, is ``<library>/...``; for ``v1``, a set without
``/``). Without ``--library`` the run's sets must all belong to one library.
The output depends only on the run directory (no clock), so rerunning it gives
the same bytes. Exit status 2 with the file and the reason on bad input.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from splitsched.bench.certify import certify, is_solved
from splitsched.bench.records import RUNS_FILE, RunRecord, read_runs
from splitsched.io import InputError, atomic_write_text, check_output_dir, read_json

DP = "dp-edf"
COLUMNS = ("instance", "set", "scenario", "device", "n", "load", "total_weight", "best_known",
           "best_bound", "certified", "found_by", "dp_edf", "sha256")


@dataclass(frozen=True)
class Row:
    """One instance of the library table."""

    instance: str
    set: str
    scenario: str
    device: str
    n: int
    load: float | None
    total_weight: int
    best_known: int | None
    best_bound: int
    certified: bool
    found_by: tuple[str, ...]
    dp_edf: int | None
    sha256: str

    def cells(self) -> list[str]:
        return [self.instance, self.set, self.scenario, self.device, str(self.n),
                "" if self.load is None else f"{self.load:g}", str(self.total_weight),
                "" if self.best_known is None else str(self.best_known), str(self.best_bound),
                "yes" if self.certified else "no", " ".join(self.found_by),
                "" if self.dp_edf is None else str(self.dp_edf), self.sha256]


def library_of(set_name: str) -> str:
    """``v2/batch-n20`` -> ``v2``; a set name without ``/`` is of the original library v1."""
    return set_name.split("/", 1)[0] if "/" in set_name else "v1"


def _set_of(run_dir: Path, record: Mapping[str, Any]) -> str:
    copy = record.get("instance_copy")
    if copy:
        data = read_json(run_dir / copy)
        prov = data.get("provenance") if isinstance(data, dict) else None
        if isinstance(prov, dict) and isinstance(prov.get("set"), str):
            return str(prov["set"])
    return ""


def build_rows(run_dir: Path | Sequence[Path], runs: Sequence[RunRecord],
               library: str | None) -> tuple[str, list[Row]]:
    """The library's rows, in the order the runs first met each instance.

    ``run_dir`` is one directory, or one per record of ``runs`` (records
    merged from several runs; each record's instance copy is read from its
    own directory).

    Raises
    ------
    InputError
        No records, no instance of the library, or (``library`` None) the
        runs mix libraries.
    """
    dirs = [run_dir] * len(runs) if isinstance(run_dir, Path) else list(run_dir)
    where = run_dir if isinstance(run_dir, Path) else (dirs[0] if dirs else Path("."))
    if not runs:
        raise InputError(where / RUNS_FILE, "(file)", "no run records")
    cert = certify(runs)
    first: dict[str, tuple[Path, dict[str, Any]]] = {}
    dp: dict[str, int] = {}
    for d, run in zip(dirs, runs, strict=True):
        r = run.to_dict()
        sha = r["instance_sha256"]
        first.setdefault(sha, (d, r))
        if r["solver"] == DP and is_solved(run):
            dp[sha] = min(dp.get(sha, int(r["missed"])), int(r["missed"]))
    sets = {sha: _set_of(d, r) for sha, (d, r) in first.items()}
    libraries = sorted({library_of(s) for s in sets.values()})
    if library is None:
        if len(libraries) != 1:
            raise InputError(where, "--library", f"the run holds libraries "
                             f"{', '.join(libraries)}; name one")
        library = libraries[0]
    rows = []
    for sha, (_, r) in first.items():
        if library_of(sets[sha]) != library:
            continue
        c = cert.instances[sha]
        params = r.get("instance_params") or {}
        rows.append(Row(instance=str(r["instance_id"]), set=sets[sha],
                        scenario=str(params.get("scenario", "")),
                        device=str(params.get("device", "")), n=int(r.get("n_jobs") or 0),
                        load=r.get("load"), total_weight=int(r.get("total_weight") or 0),
                        best_known=c.best_known, best_bound=c.best_bound,
                        certified=c.certified, found_by=c.found_by, dp_edf=dp.get(sha),
                        sha256=sha))
    if not rows:
        raise InputError(where, "--library", f"no instance of library {library!r} in these "
                         f"runs (they hold {', '.join(libraries)})")
    return library, rows


def _distinct(records: Sequence[Mapping[str, Any]], key: str) -> list[Any]:
    seen: list[Any] = []
    for r in records:
        v = r.get(key)
        if v not in seen:
            seen.append(v)
    return seen


def header(run_dirs: Sequence[Path], records: Sequence[Sequence[Mapping[str, Any]]],
           library: str) -> list[str]:
    """Machine, versions and limits, as the records (and ``sweep.json``) state them.

    ``records`` holds one list of records per directory of ``run_dirs``.
    """
    everything = [r for recs in records for r in recs]
    machines = [m for m in _distinct(everything, "machine") if isinstance(m, dict)]
    versions = [v for v in _distinct(everything, "versions") if isinstance(v, dict)]
    lines = [f"# Reference library {library}: best known and proven per instance", ""]
    for m in machines:
        lines.append(f"- machine: {m.get('cpu_model')}, {m.get('cores')} usable cores of "
                     f"{m.get('cores_total')}, {m.get('os')}")
    for v in versions:
        lines.append("- versions: " + ", ".join(f"{k} {v[k]}" for k in sorted(v)))
    for d, recs in zip(run_dirs, records, strict=True):
        lines += _run_lines(d, recs, len(run_dirs) > 1)
    lines.append(f"- regenerate: `python scripts/library_table.py "
                 f"{' '.join(d.as_posix() for d in run_dirs)} --library {library}`")
    return lines


def _run_lines(run_dir: Path, records: Sequence[Mapping[str, Any]], named: bool) -> list[str]:
    """Limits, solvers and run count of one run directory."""
    sweep = read_json(run_dir / "sweep.json") if (run_dir / "sweep.json").exists() else {}
    limits = sorted({float(r["time_limit_s"]) for r in records})
    threads = sorted({int(r["threads"]) for r in records})
    seeds = sorted({int(r["seed"]) for r in records})
    solvers = sorted({str(r["solver"]) for r in records})
    finished = sorted(str(r["finished_at"]) for r in records if r.get("finished_at"))
    lines = [f"- run `{run_dir.as_posix()}`:"] if named else []
    mem = sweep.get("mem_limit_mb") if isinstance(sweep, dict) else None
    workers = sweep.get("workers") if isinstance(sweep, dict) else None
    lines += [f"- limits: {', '.join(f'{t:g}' for t in limits)} s per run, "
              f"{', '.join(map(str, threads))} thread(s) per run, seeds "
              f"{', '.join(map(str, seeds))}"
              + (f", {workers} runs at a time" if workers else "")
              + (f", {mem} MiB per run" if mem else ""),
              f"- solvers ({len(solvers)}): {', '.join(solvers)}",
              f"- runs: {len(records)}" + (f", finished {finished[0]} .. {finished[-1]}"
                                           if finished else "")]
    if named:
        lines[1:] = ["  " + line for line in lines[1:]]
    return lines


def summary(rows: Sequence[Row]) -> list[str]:
    """How many instances are certified, and the paper's DP's gap across them."""
    cert = [r for r in rows if r.certified]
    lines = ["", "## Summary", "",
             f"- instances: {len(rows)}; certified optimal: {len(cert)} "
             f"({100 * len(cert) / len(rows):.0f} %); open: {len(rows) - len(cert)}"]
    dp_cert = [r for r in cert if r.dp_edf is not None and r.best_known is not None]
    if dp_cert:
        gaps = [r.dp_edf - r.best_known for r in dp_cert]  # type: ignore[operator]
        opt = sum(r.best_known for r in dp_cert)  # type: ignore[misc]
        lines.append(f"- {DP} on the {len(dp_cert)} certified instances: optimal on "
                     f"{sum(g == 0 for g in gaps)}, mean gap {sum(gaps) / len(gaps):.2f} "
                     f"weighted misses, max {max(gaps)}; {sum(gaps)} weighted misses above "
                     f"the optimum's {opt} in total")
    dp_all = [r for r in rows if r.dp_edf is not None and r.best_known is not None]
    if dp_all:
        known = [r.dp_edf - r.best_known for r in dp_all]  # type: ignore[operator]
        bound = [r.dp_edf - r.best_bound for r in dp_all]  # type: ignore[operator]
        lines.append(f"- {DP} on all {len(dp_all)} instances: gap to the best known "
                     f"{sum(known)} weighted misses in total (mean {sum(known) / len(known):.2f}"
                     f", at least the true gap), to the best bound {sum(bound)} (mean "
                     f"{sum(bound) / len(bound):.2f}, at most the true gap)")
    return lines


def to_markdown(rows: Sequence[Row]) -> list[str]:
    head = [*COLUMNS[:-1], "sha256 (12)"]
    lines = ["", "## Instances", "",
             "best_known: fewest weighted misses of any evaluated schedule; best_bound: "
             "largest proven lower bound; found_by: solvers whose schedule reached best_known; "
             f"dp_edf: the paper's DP ({DP}).", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in rows:
        cells = r.cells()
        cells[-1] = cells[-1][:12]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def to_csv(rows: Sequence[Row]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    for r in rows:
        w.writerow(r.cells())
    return buf.getvalue()


def write_table(run_dir: Path | Sequence[Path], out_root: Path,
                library: str | None = None) -> Path:
    """Write ``out_root/<library>/instances.{md,csv}`` from one or more runs; returns that folder.

    Raises
    ------
    InputError
        ``out_root`` is not a usable folder (a file, not writable), a run
        directory named twice, without records file or with no records, or
        see :func:`build_rows`.
    """
    dirs = [run_dir] if isinstance(run_dir, Path) else list(run_dir)
    check_output_dir(out_root, "--out")
    seen: dict[Path, Path] = {}
    per_dir = []
    for d in dirs:
        key = d.resolve()
        if key in seen:
            raise InputError(d, "run_dir", f"named twice (as {seen[key]}): its records "
                             "would count twice")
        seen[key] = d
        if not (d / RUNS_FILE).exists():
            raise InputError(d / RUNS_FILE, "(file)", "no such file")
        records = read_runs(d / RUNS_FILE).records
        if not records:
            raise InputError(d / RUNS_FILE, "(file)", "no run records")
        per_dir.append(records)
    runs = [r for recs in per_dir for r in recs]
    owners = [d for d, recs in zip(dirs, per_dir, strict=True) for _ in recs]
    lib, rows = build_rows(owners, runs, library)
    target = out_root / lib
    check_output_dir(target, "--out")
    try:
        target.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(target, "--out", f"cannot create: {exc.strerror or exc}") from None
    md = (header(dirs, [[r.to_dict() for r in recs] for recs in per_dir], lib)
          + summary(rows) + to_markdown(rows))
    atomic_write_text(target / "instances.md", "\n".join(md) + "\n")
    atomic_write_text(target / "instances.csv", to_csv(rows))
    return target


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("run_dir", type=Path, nargs="+",
                    help="`splitsched bench` run directories (records merged)")
    ap.add_argument("--library", help="v1, v2, ... (default: the run's only library)")
    ap.add_argument("--out", type=Path, default=Path("results/reference"),
                    help="root folder; the table goes to OUT/<library>/")
    args = ap.parse_args(argv)
    try:
        target = write_table(args.run_dir, args.out, args.library)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {target / 'instances.md'} and {target / 'instances.csv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
