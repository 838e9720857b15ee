"""Where the project's data lives: the one definition of the repository root.

This module imports nothing of the project (bottom layer, with ``problem``).
"""

from __future__ import annotations

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The source checkout this package lives in (``instances/``, ``results/`` below it)."""

INSTANCES_DIR = REPO_ROOT / "instances"
"""Committed data: ``profiles/`` (derived device profiles), ``sets.toml`` and ``sets/``."""
