"""What every command group shares: option checks and the parameter -> flag map.

Library functions name their *parameters* in errors (``time_limit_s``,
``jobs``); only the CLI knows the flags. :data:`FLAG_FOR_PARAMETER` maps one
to the other, and :func:`as_cli_error` rewrites a library
:class:`~splitsched.io.InputError` about a parameter into one about the flag
before :func:`splitsched.cli.main` prints it (exit status 2).
"""

from __future__ import annotations

from pathlib import Path

from splitsched.io import InputError

# Library parameter name -> command-line flag. Only errors that name no file (a
# parameter, not a field of a file) are rewritten, and only for names listed here.
FLAG_FOR_PARAMETER: dict[str, str] = {
    # splitsched.generate.generate_instance (GeneratorParams fields)
    "scenario": "--scenario", "jobs": "--jobs", "load": "--load", "slack": "--slack",
    "models": "--models", "weights": "--weights",
    # splitsched.solve.solve and the sweep (SweepConfig fields)
    "time_limit_s": "--time-limit", "threads": "--threads", "seed": "--seed", "seeds": "--seeds",
    "workers": "--workers", "mem_limit_mb": "--mem-limit-mb", "grace_s": "--grace",
    "solvers": "--solvers", "set_ref": "--set", "extra_modules": "--solver-module",
    # splitsched.bench.report.build_report
    "gantt_instance": "--gantt-instance", "shift_s": "--shift",
    # splitsched.online.sweep.OnlineConfig
    "policies": "--policy", "replan_budget_ms": "--replan-budget-ms", "noise_cv": "--noise-cv",
    "runs": "--runs", "offline_limit_s": "--offline-limit", "offline_solvers": "--offline",
    # profile importers
    "handoff_us": "--handoff-us", "cpu_threads": "--cpu-threads", "max_cuts": "--max-cuts",
    # where `sets build` and `profiles import` write (refused into an installed package)
    "out_root": "--out", "out_dir": "--out", "run_dir": "--output", "best_known": "--best-known",
}


def as_cli_error(exc: InputError) -> InputError:
    """``exc`` with a library parameter name replaced by its flag (unchanged otherwise)."""
    flag = FLAG_FOR_PARAMETER.get(exc.field)
    if exc.path or flag is None:
        return exc
    return InputError(None, flag, exc.reason)


def fail(path: str | Path | None, field: str, reason: str) -> None:
    """Raise the CLI's bad-input error (exit status 2)."""
    raise InputError(path, field, reason)


def positive_time(value: float, option: str) -> float:
    """``value`` if it is > 0, else a bad-input error naming ``option``."""
    if not value > 0:
        fail(None, option, f"must be > 0, got {value}")
    return value


def split_names(text: str) -> tuple[str, ...]:
    """``"a, b,,c"`` -> ``("a", "b", "c")``."""
    return tuple(s.strip() for s in text.split(",") if s.strip())


def choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    """``value`` if it is one of ``allowed``, else a bad-input error naming ``option``."""
    if value not in allowed:
        raise InputError(None, option, f"unknown value {value!r}; choose one of "
                                       f"{', '.join(allowed)}")
    return value


def need_torch() -> None:
    """A bad-input error (``--backend``) when PyTorch is not installed."""
    try:
        import torch  # noqa: F401
    except ModuleNotFoundError:
        from splitsched.replay.torch_models import TORCH_INSTALL_HINT

        raise InputError(None, "--backend", TORCH_INSTALL_HINT) from None


LANES = ("auto", "cuda", "mps", "cpu")


def resolve_gpu_lane(kind: str) -> str:
    """The GPU-lane device for ``kind``, or a bad-input error when there is no accelerator."""
    from splitsched.replay.torch_models import accelerator

    choice(kind, LANES, "--gpu-lane")
    dev = accelerator(kind)
    if dev is None:
        raise InputError(None, "--gpu-lane",
                         f"no accelerator ({'cuda or mps' if kind == 'auto' else kind}) on this "
                         "machine; pass --gpu-lane cpu to emulate the GPU lane on CPU")
    return dev
