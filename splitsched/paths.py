"""Where the project's data lives: the shipped package data and, if any, the source checkout.

The committed data (derived device profiles, the sets spec ``sets.toml`` and
the built sets) is *package data*: it lives in ``splitsched/data/`` and ships
inside the wheel, so an installed package (``pip install .``, no ``-e``)
finds it wherever it is installed. It is located with
:func:`importlib.resources.files`.

Writing into the package data (``splitsched sets build``, ``splitsched
profiles import`` without an output folder) is allowed only when the package
runs from a source checkout (:func:`source_checkout`), never into an
installed ``site-packages``.

This module imports nothing of the project (bottom layer, with ``problem``).
"""

from __future__ import annotations

import importlib.resources
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
"""The folder that holds the ``splitsched`` package: the repository root in a checkout
(``results/``, ``scripts/``, ``tests/`` below it); in an installed package it is
``site-packages`` and means nothing (see :func:`source_checkout`)."""


def _data_dir() -> Path:
    root = importlib.resources.files(__package__ or "splitsched").joinpath("data")
    if not isinstance(root, Path):  # e.g. a zip import: the readers need real files
        raise RuntimeError(f"splitsched's package data is not on the file system ({root}); "
                           "install the package unzipped")
    return root


DATA_DIR = _data_dir()
"""The shipped data: ``profiles/`` (derived device profiles), ``sets.toml`` and ``sets/``."""


@lru_cache(maxsize=1)
def source_checkout() -> Path | None:
    """The source checkout this package runs from, or None when it is installed.

    A checkout is recognised by a ``pyproject.toml`` naming the project
    ``splitsched`` beside the package folder (an editable install counts:
    its package folder is the checkout's). A wheel installed into
    ``site-packages`` has none.
    """
    pyproject = REPO_ROOT / "pyproject.toml"
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        return None
    return REPO_ROOT if 'name = "splitsched"' in text else None

