"""splitsched: joint DNN partitioning and GPU-CPU scheduling on phones, benchmarked.

The public Python API is the names in ``__all__``; ``docs/python.md`` walks
through them. All times are integer microseconds (us). A short tour::

    import splitsched as ss

    inst = ss.generate("huawei_p40", scenario="batch", jobs=8, load=1.5, seed=0)
    res = ss.solve(inst, "dp-edf", time_limit_s=10)        # -> SolveResult
    ev = ss.evaluate(inst, res.schedule)                     # -> Evaluation
    ss.write_schedule_plot(inst, res.schedule, "gantt.png")  # or ss.plot_schedule(inst, s, ax)
    rows = ss.job_table(inst, res.schedule, ev)              # -> list[JobRow]
    ss.write_schedule(res.schedule, "schedule.json")

Names are imported on first use (module ``__getattr__``), so ``import
splitsched`` stays cheap: numpy, pydantic and the solver back-ends load only
when a name that needs them is touched.

Three package attributes are *functions* named like the module that defines
them: ``splitsched.evaluate``, ``splitsched.solve`` and
``splitsched.generate``. The modules stay importable with ``from
splitsched.evaluate import job_table`` or ``importlib.import_module``; only
``import splitsched.evaluate as m`` (which Python resolves through the
package attribute) gives the function.
"""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real names, for type checkers and IDEs; at run time see _PUBLIC
    from splitsched.evaluate import Evaluation, JobRow, evaluate, job_table
    from splitsched.generate import GeneratorParams, generate, generate_instance
    from splitsched.io import (
        InputError,
        instance_sha256,
        read_instance,
        read_schedule,
        write_instance,
        write_schedule,
    )
    from splitsched.plot import plot_schedule, write_schedule_plot
    from splitsched.problem import Instance, Job, JobPlan, Network, Schedule, StageTable
    from splitsched.profiles.store import DeviceProfile, list_devices, load_device
    from splitsched.replay.sim import simulate
    from splitsched.schema import FORMATS, json_schema
    from splitsched.solve import SolveResult, solve
    from splitsched.solvers.base import (
        SolverInfo,
        SolverOutput,
        SolveStatus,
        UnknownSolverError,
        get_solver,
        register,
        solver_names,
    )

# Public name -> the module that defines it (imported on first use).
_PUBLIC: dict[str, str] = {
    # the problem (splitsched.problem): frozen dataclasses, times in us
    "Instance": "splitsched.problem",
    "Network": "splitsched.problem",
    "Job": "splitsched.problem",
    "StageTable": "splitsched.problem",
    "Schedule": "splitsched.problem",
    "JobPlan": "splitsched.problem",
    # files (splitsched.io): validated reads, atomic writes
    "read_instance": "splitsched.io",
    "write_instance": "splitsched.io",
    "read_schedule": "splitsched.io",
    "write_schedule": "splitsched.io",
    "instance_sha256": "splitsched.io",
    "InputError": "splitsched.io",
    # device profiles and instance generation
    "list_devices": "splitsched.profiles.store",
    "load_device": "splitsched.profiles.store",
    "DeviceProfile": "splitsched.profiles.store",
    "generate": "splitsched.generate",
    "generate_instance": "splitsched.generate",
    "GeneratorParams": "splitsched.generate",
    # solving
    "solve": "splitsched.solve",
    "SolveResult": "splitsched.solve",
    "SolveStatus": "splitsched.solvers.base",
    "solver_names": "splitsched.solvers.base",
    "get_solver": "splitsched.solvers.base",
    "register": "splitsched.solvers.base",
    "SolverInfo": "splitsched.solvers.base",
    "SolverOutput": "splitsched.solvers.base",
    "UnknownSolverError": "splitsched.solvers.base",
    # checking a schedule
    "evaluate": "splitsched.evaluate",
    "Evaluation": "splitsched.evaluate",
    "job_table": "splitsched.evaluate",
    "JobRow": "splitsched.evaluate",
    # pictures (splitsched.plot): a schedule's Gantt chart on a matplotlib Axes, or to a file
    "plot_schedule": "splitsched.plot",
    "write_schedule_plot": "splitsched.plot",
    # replay on the simulator
    "simulate": "splitsched.replay.sim",
    # file formats
    "json_schema": "splitsched.schema",
    "FORMATS": "splitsched.schema",
}

# Public functions named like their module: importing the module binds the module on
# the package, which would hide the function; _Package keeps the function there.
_SHADOWED = {name for name, module in _PUBLIC.items() if module == f"{__name__}.{name}"}

# The public surface (a test checks it equals _PUBLIC's names and __version__).
__all__ = [
    "FORMATS",
    "DeviceProfile",
    "Evaluation",
    "GeneratorParams",
    "InputError",
    "Instance",
    "Job",
    "JobPlan",
    "JobRow",
    "Network",
    "Schedule",
    "SolveResult",
    "SolveStatus",
    "SolverInfo",
    "SolverOutput",
    "StageTable",
    "UnknownSolverError",
    "__version__",
    "evaluate",
    "generate",
    "generate_instance",
    "get_solver",
    "instance_sha256",
    "job_table",
    "json_schema",
    "list_devices",
    "load_device",
    "plot_schedule",
    "read_instance",
    "read_schedule",
    "register",
    "simulate",
    "solve",
    "solver_names",
    "write_instance",
    "write_schedule",
    "write_schedule_plot",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("splitsched")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0.0.0+unknown"


def __getattr__(name: str) -> Any:
    """Import a public name on first use and keep it on the package."""
    if name == "__version__":
        value: Any = _version()
    elif name in _PUBLIC:
        value = getattr(import_module(_PUBLIC[name]), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(ModuleType):
    """This package's module type: a submodule import never hides a public function."""

    def __setattr__(self, name: str, value: Any) -> None:
        if (name in _SHADOWED and isinstance(value, ModuleType)
                and value.__name__ == f"{self.__name__}.{name}"):
            # The import system binds a freshly loaded submodule on its package after
            # running it; bind the function of that name instead.
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
