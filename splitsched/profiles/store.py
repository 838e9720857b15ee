"""Find and load derived device profiles (``<device>.json``).

The directory is ``$SPLITSCHED_PROFILES`` if set, else the shipped package
data ``splitsched/data/profiles`` (in the wheel, so an installed package has
them).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from splitsched.io import InputError, profile_networks, read_profile
from splitsched.paths import DATA_DIR, source_checkout
from splitsched.problem import Network


def profiles_dir() -> Path:
    """``$SPLITSCHED_PROFILES`` if set, else the shipped ``splitsched/data/profiles``."""
    env = os.environ.get("SPLITSCHED_PROFILES")
    return Path(env) if env else DATA_DIR / "profiles"


def _readable(directory: Path | None) -> Path:
    """``directory``, else :func:`profiles_dir`; a ``$SPLITSCHED_PROFILES`` that names no
    folder is an InputError (field ``$SPLITSCHED_PROFILES``) instead of an empty list of
    devices (a newcomer's attack, 2026-12-02: ``profiles`` listed nothing, exit 0)."""
    if directory is not None:
        return directory
    d = profiles_dir()
    env = os.environ.get("SPLITSCHED_PROFILES")
    if env and not d.is_dir():
        what = "is not a folder" if d.exists() else "no such folder"
        raise InputError(None, "$SPLITSCHED_PROFILES", f"{d}: {what} (the variable names "
                                                       f"the folder of device profiles "
                                                       f"<device>.json; unset it for the "
                                                       f"shipped ones)")
    return d


def writable_profiles_dir() -> Path:
    """Where ``profiles import`` writes by default: ``$SPLITSCHED_PROFILES`` if set, else the
    shipped folder when running from a source checkout.

    Raises
    ------
    InputError
        (field ``out_dir``) when the package is installed and no ``$SPLITSCHED_PROFILES``
        is set: nothing is written into ``site-packages``.
    """
    if os.environ.get("SPLITSCHED_PROFILES") or source_checkout() is not None:
        return profiles_dir()
    raise InputError(None, "out_dir", "splitsched is installed, not run from a source "
                     f"checkout, so profiles are not written into the package "
                     f"({DATA_DIR / 'profiles'}); name an output folder")


@dataclass(frozen=True)
class DeviceProfile:
    """All networks measured on one device (one CPU setting)."""

    device: str
    soc: str
    networks: dict[str, Network]
    provenance: dict[str, Any] = field(default_factory=dict)
    path: Path | None = None


def list_devices(directory: Path | None = None) -> list[str]:
    """Names of the device profiles in ``directory`` (default :func:`profiles_dir`), sorted.

    Raises InputError when ``$SPLITSCHED_PROFILES`` names no folder."""
    d = _readable(directory)
    return sorted(p.stem for p in d.glob("*.json")) if d.is_dir() else []


@lru_cache(maxsize=64)
def _load(path: Path) -> DeviceProfile:
    m = read_profile(path)
    nets = profile_networks(m)
    return DeviceProfile(device=m.device, soc=m.soc, networks={n.name: n for n in nets},
                         provenance=dict(m.provenance), path=path)


def load_device(device: str, directory: Path | None = None) -> DeviceProfile:
    """Load ``<device>.json``; an unknown device is an InputError listing the known ones,
    and so is a ``$SPLITSCHED_PROFILES`` that names no folder."""
    d = _readable(directory)
    path = d / f"{device}.json"
    if not path.exists():
        known = ", ".join(list_devices(d)) or "(none)"
        raise InputError(None, "device", f"unknown device {device!r}; known devices: {known} "
                                         f"(profiles in {d})")
    return _load(path.resolve())
