"""Where the tests' files are: committed test data and the repository's own data."""

from __future__ import annotations

from pathlib import Path

from splitsched.paths import INSTANCES_DIR, REPO_ROOT

TESTS_DIR = Path(__file__).resolve().parents[1]
DATA_DIR = TESTS_DIR / "data"
SETS_DIR = INSTANCES_DIR / "sets"

__all__ = ["DATA_DIR", "INSTANCES_DIR", "REPO_ROOT", "SETS_DIR", "TESTS_DIR"]
