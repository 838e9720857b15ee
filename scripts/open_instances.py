"""Copy the instances a library table leaves open into a folder, for a follow-up run.

Usage (from the repository root)::

    python scripts/open_instances.py results/reference/v2/instances.csv OUT_DIR [--max-n 80]

Reads the table written by ``scripts/library_table.py``, keeps the rows with
``certified`` = ``no`` (and at most ``--max-n`` jobs), and copies each
instance file ``splitsched/data/sets/<set>/<instance>.json`` into ``OUT_DIR``
(created; it must not hold JSON files already, so that a follow-up ``splitsched
bench --set OUT_DIR`` runs exactly these). A copied file is checked against the
table's sha256 of the instance. Prints how many were copied. Exit status 2 with
the file and the reason on bad input.
"""

from __future__ import annotations

import argparse
import csv
import shutil
import sys
from pathlib import Path

from splitsched.io import InputError, instance_sha256, read_instance
from splitsched.sets import SETS_DIR


def open_rows(table: Path, max_n: int | None) -> list[dict[str, str]]:
    """The table's rows not certified optimal, with at most ``max_n`` jobs."""
    with table.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    for field in ("instance", "set", "n", "certified", "sha256"):
        if rows and field not in rows[0]:
            raise InputError(table, field, "column missing (not a library table)")
    return [r for r in rows if r["certified"] == "no"
            and (max_n is None or int(r["n"]) <= max_n)]


def copy_open(table: Path, out_dir: Path, max_n: int | None = None,
              sets_dir: Path = SETS_DIR) -> list[Path]:
    """Copy the open instances into ``out_dir``; returns the copies.

    Raises
    ------
    InputError
        ``out_dir`` already holds JSON files, an instance file is missing,
        or its sha256 differs from the table's.
    """
    if out_dir.is_dir() and any(out_dir.glob("*.json")):
        raise InputError(out_dir, "(folder)", "already holds JSON files; give an empty folder")
    rows = open_rows(table, max_n)
    out_dir.mkdir(parents=True, exist_ok=True)
    copies = []
    for r in rows:
        src = sets_dir / r["set"] / f"{r['instance']}.json"
        if not src.is_file():
            raise InputError(table, "set", f"{src} (instance {r['instance']}) does not exist")
        if instance_sha256(read_instance(src)) != r["sha256"]:
            raise InputError(src, "sha256", f"differs from the table's {r['sha256'][:12]}")
        dst = out_dir / src.name
        shutil.copyfile(src, dst)
        copies.append(dst)
    return copies


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table", type=Path, help="instances.csv of scripts/library_table.py")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--max-n", type=int, default=None, help="only instances with <= N jobs")
    args = ap.parse_args(argv)
    try:
        if not args.table.is_file():
            raise InputError(args.table, "(file)", "no such file")
        copies = copy_open(args.table, args.out_dir, args.max_n)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"copied {len(copies)} open instance(s) into {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
