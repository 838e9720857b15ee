"""Copy the instances a library table leaves open into a folder, for a follow-up run.

Usage (from the repository root)::

    python scripts/open_instances.py results/reference/v2/instances.csv OUT_DIR [--max-n 80]

Reads the table written by ``scripts/library_table.py``, keeps the rows with
``certified`` = ``no`` (and at most ``--max-n`` jobs), and copies each
instance file ``splitsched/data/sets/<set>/<instance>.json`` into ``OUT_DIR``
(created; it must not hold JSON files already, so that a follow-up ``splitsched
bench --set OUT_DIR`` runs exactly these). A copied file is checked against the
table's sha256 of the instance; every row is checked before the first copy,
so nothing is half-written. Prints how many were copied. Exit status 2 with
the file, the field (line and column of the table) and the reason on bad input.
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import sys
from pathlib import Path

from splitsched.io import (
    InputError,
    check_output_dir,
    instance_sha256,
    read_instance,
    read_regular_bytes,
)
from splitsched.sets import SETS_DIR

COLUMNS = ("instance", "set", "n", "certified", "sha256")
"""The columns this script reads of ``scripts/library_table.py``'s table."""


def _read_table(table: Path) -> list[tuple[int, dict[str, str]]]:
    """The table's rows as text with their line numbers, header checked."""
    try:
        text = read_regular_bytes(table).decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(table, "(file)", "not UTF-8 text (not a library table)") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        head = next(reader, None)
        if head is None:
            raise InputError(table, "(header)", "the file is empty (not a library table)")
        missing = [f for f in COLUMNS if f not in head]
        if missing:
            raise InputError(table, missing[0], "column missing (not a library table)")
        rows = []
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(head):
                raise InputError(table, f"line {reader.line_num}",
                                 f"{len(cells)} cells, the header has {len(head)}")
            rows.append((reader.line_num, dict(zip(head, cells, strict=True))))
    except csv.Error as exc:
        raise InputError(table, f"line {reader.line_num}", f"not valid CSV: {exc}") from None
    return rows


def open_rows(table: Path, max_n: int | None) -> list[dict[str, str]]:
    """The table's rows not certified optimal, with at most ``max_n`` jobs.

    Raises
    ------
    InputError
        Not a regular UTF-8 CSV file, a column of :data:`COLUMNS` missing, a
        row of the wrong length, ``n`` not an integer >= 0, ``certified``
        other than ``yes``/``no``, or a ``set``/``instance`` that is not a
        plain name inside the sets folder (``..``, an absolute path).
    """
    rows = _read_table(table)
    for line, r in rows:
        if r["certified"] not in ("yes", "no"):
            raise InputError(table, f"line {line}: certified",
                             f"must be yes or no, got {r['certified']!r}")
        if not r["n"].isdigit():
            raise InputError(table, f"line {line}: n",
                             f"must be an integer >= 0, got {r['n']!r}")
        for field in ("set", "instance"):
            parts = r[field].split("/")
            if not r[field] or r[field].startswith("/") or any(p in ("", ".", "..")
                                                                for p in parts):
                raise InputError(table, f"line {line}: {field}",
                                 f"not a plain name inside the sets folder: {r[field]!r}")
        if "/" in r["instance"]:
            raise InputError(table, f"line {line}: instance",
                             f"an instance id holds no '/': {r['instance']!r}")
    return [r for _, r in rows if r["certified"] == "no"
            and (max_n is None or int(r["n"]) <= max_n)]


def copy_open(table: Path, out_dir: Path, max_n: int | None = None,
              sets_dir: Path = SETS_DIR) -> list[Path]:
    """Copy the open instances into ``out_dir``; returns the copies.

    Every row is checked (file present, sha256 as in the table) before the
    first copy, and a copy that fails part-way removes what it wrote (and
    ``out_dir`` if it created it): nothing is half-written.

    Raises
    ------
    InputError
        ``out_dir`` is not a usable folder or already holds JSON files, the
        table is malformed (:func:`open_rows`), an instance file is missing,
        its sha256 differs from the table's, two rows name the same file, or
        a copy failed (disk full, permission).
    """
    check_output_dir(out_dir, "out_dir")
    if out_dir.is_dir() and any(out_dir.glob("*.json")):
        raise InputError(out_dir, "(folder)", "already holds JSON files; give an empty folder")
    rows = open_rows(table, max_n)
    sources: dict[str, Path] = {}
    for r in rows:
        src = sets_dir / r["set"] / f"{r['instance']}.json"
        if not src.is_file():
            raise InputError(table, "set", f"{src} (instance {r['instance']}) does not exist")
        if instance_sha256(read_instance(src)) != r["sha256"]:
            raise InputError(src, "sha256", f"differs from the table's {r['sha256'][:12]}")
        if src.name in sources:
            raise InputError(table, "instance", f"{r['instance']} is named twice (sets "
                             f"{sources[src.name].parent.name} and {src.parent.name})")
        sources[src.name] = src
    created = not out_dir.exists()
    copies: list[Path] = []
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for src in sources.values():
            dst = out_dir / src.name
            copies.append(dst)
            shutil.copyfile(src, dst)
    except OSError as exc:
        for dst in copies:
            dst.unlink(missing_ok=True)
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise InputError(out_dir, "(folder)", f"cannot write: {exc.strerror or exc}") from None
    return copies


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("table", type=Path, help="instances.csv of scripts/library_table.py")
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("--max-n", type=int, default=None, help="only instances with <= N jobs")
    args = ap.parse_args(argv)
    try:
        if args.max_n is not None and args.max_n < 1:
            raise InputError(None, "--max-n", f"must be >= 1, got {args.max_n}")
        copies = copy_open(args.table, args.out_dir, args.max_n)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"copied {len(copies)} open instance(s) into {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
