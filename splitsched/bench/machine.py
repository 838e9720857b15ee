"""Versions and machine facts, stored in every record so a result can be traced.

Collected inside the worker (where the solver actually ran: on a Dask cluster
that is another machine than the one that writes the record). Versions come
from package metadata, so nothing heavy is imported just to read them.
"""

from __future__ import annotations

import os
import platform
import socket
from functools import lru_cache
from importlib import metadata
from typing import Any

PACKAGES = ("splitsched", "ortools", "pulp", "highspy", "numpy")


def package_versions() -> dict[str, str | None]:
    """Versions of the project, the solver back-ends and Python (None if absent)."""
    out: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    out["python"] = platform.python_version()
    return out


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, or platform's guess elsewhere."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def usable_cores() -> int:
    """Cores this process may run on (affinity), not the host's total."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


@lru_cache(maxsize=1)
def machine_facts() -> dict[str, Any]:
    """CPU model, cores (usable and total), OS and hostname."""
    return {
        "cpu_model": cpu_model(),
        "cores": usable_cores(),
        "cores_total": os.cpu_count() or 1,
        "os": platform.platform(),
        "hostname": socket.gethostname(),
    }


def environment() -> dict[str, Any]:
    """Everything a record carries about where and with what it ran."""
    return {"versions": package_versions(), "machine": machine_facts()}
