"""Where the tests' files are: committed test data and the package's shipped data."""

from __future__ import annotations

from pathlib import Path

from splitsched.paths import DATA_DIR as SHIPPED_DIR
from splitsched.paths import REPO_ROOT

TESTS_DIR = Path(__file__).resolve().parents[1]
DATA_DIR = TESTS_DIR / "data"
SETS_DIR = SHIPPED_DIR / "sets"

__all__ = ["DATA_DIR", "REPO_ROOT", "SETS_DIR", "SHIPPED_DIR", "TESTS_DIR"]
