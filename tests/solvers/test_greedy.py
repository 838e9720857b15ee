"""Greedy baselines on hand-computed cases."""

from __future__ import annotations

from splitsched.problem import Instance, Job
from splitsched.solve import solve
from tests.helpers.builders import edf_counterexample, two_layer


def test_fifo_gpu_runs_everything_in_release_order() -> None:
    net = two_layer("n", gpu=(2, 3), cpu=(10, 10))  # GPU-only takes 5
    inst = Instance(id="f", networks=(net,),
                    jobs=(Job("a", "n", 4, 100), Job("b", "n", 0, 6), Job("c", "n", 1, 7)))
    res = solve(inst, "fifo-gpu")
    assert res.schedule is not None and res.evaluation is not None
    plans = res.schedule.plan_by_job
    # release order b(0), c(1), a(4): b [0,5), c [5,10) late, a [10,15)
    assert (plans["b"].gpu_start, plans["c"].gpu_start, plans["a"].gpu_start) == (0, 5, 10)
    assert all(p.cut == 2 for p in plans.values())
    assert res.missed == 1 and res.status == "feasible"


def test_edf_gpu_drops_hopeless_job() -> None:
    net = two_layer("n", gpu=(2, 3), cpu=(10, 10))
    inst = Instance(id="e", networks=(net,),
                    jobs=(Job("a", "n", 0, 5), Job("b", "n", 0, 6), Job("c", "n", 0, 11)))
    res = solve(inst, "edf-gpu")
    assert res.schedule is not None
    plans = res.schedule.plan_by_job
    # a [0,5) on time; b would end at 10 > 6: dropped; c [5,10) on time.
    assert plans["b"].dropped and plans["c"].gpu_start == 5
    assert res.missed == 1


def test_edf_best_single_uses_both_processors() -> None:
    fast_gpu = two_layer("g", gpu=(2, 2), cpu=(10, 10))
    fast_cpu = two_layer("c", gpu=(10, 10), cpu=(2, 2))
    inst = Instance(id="b", networks=(fast_gpu, fast_cpu),
                    jobs=(Job("x", "g", 0, 4), Job("y", "c", 0, 4)))
    res = solve(inst, "edf-best-single")
    assert res.schedule is not None
    plans = res.schedule.plan_by_job
    assert plans["x"].cut == 2 and plans["y"].cut == 0
    assert res.missed == 0


def test_edf_greedy_cut_splits() -> None:
    # Whole on either processor takes 10; the split (gpu 5, cpu 1, hand-off 0) takes 6.
    net = two_layer("n", gpu=(5, 5), cpu=(9, 1))
    inst = Instance(id="s", networks=(net,), jobs=(Job("a", "n", 0, 6),))
    res = solve(inst, "edf-greedy-cut")
    assert res.schedule is not None
    assert res.schedule.plan_by_job["a"].cut == 1 and res.missed == 0


def test_edf_order_loses_a_job_on_the_counterexample() -> None:
    res = solve(edf_counterexample(), "edf-greedy-cut")
    assert res.missed == 1  # A first (deadline 7) leaves B late: the docs/design.md fact


def test_unknown_solver_is_refused() -> None:
    import pytest

    from splitsched.solvers.base import UnknownSolverError

    with pytest.raises(UnknownSolverError, match="unknown solver 'nope'"):
        solve(edf_counterexample(), "nope")


def test_an_unknown_name_imports_no_solver_family() -> None:
    # a typo was refused only after every family had loaded (4.4 s for `solve -s nope`
    # on the 2-core machine, 1.2 s now); the message still lists every built-in name
    import subprocess
    import sys

    code = ("import sys\n"
            "from splitsched.solvers.base import BUILTIN_MODULES, UnknownSolverError, "
            "get_solver\n"
            "try:\n    get_solver('nope')\nexcept UnknownSolverError as exc:\n"
            "    msg = str(exc)\n"
            "families = {f'splitsched.solvers.{m}' for m in BUILTIN_MODULES.values()}\n"
            "print(sorted(families & set(sys.modules)))\n"
            "print(all(n in msg for n in BUILTIN_MODULES))\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    assert res.stdout.splitlines() == ["[]", "True"], res.stdout + res.stderr


def test_builtin_module_table_matches_the_registry() -> None:
    """Every built-in solver is registered by the module the lazy index names."""
    import importlib

    from splitsched.solvers.base import _REGISTRY, BUILTIN_MODULES, solver_names

    names = solver_names()  # imports every family
    assert set(BUILTIN_MODULES) <= set(names)
    # and no family registers a name the table lacks: get_solver refuses a name outside the
    # table and the registry without importing any family
    builtin = {n for n, info in _REGISTRY.items()
               if info.fn.__module__.startswith("splitsched.solvers.")}
    assert builtin == set(BUILTIN_MODULES), builtin ^ set(BUILTIN_MODULES)
    for name, module in BUILTIN_MODULES.items():
        mod = importlib.import_module(f"splitsched.solvers.{module}")
        fn = _REGISTRY[name].fn
        assert fn.__module__ == mod.__name__, (name, fn.__module__)


def test_a_name_close_to_a_known_solver_is_suggested() -> None:
    import pytest

    from splitsched.solvers.base import UnknownSolverError, get_solver

    for typed, meant in (("DP-EDF", "dp-edf"), (" dp-edf", "dp-edf"), ("dp_edf", "dp-edf"),
                         ("cpsta", "cpsat"), ("milp-highs", "milp-pulp-highs")):
        with pytest.raises(UnknownSolverError,
                           match=rf"unknown solver '{typed}' \(did you mean '{meant}'\?\); "
                                 "known solvers: "):
            get_solver(typed)
    for far in ("nope", "greedy", ""):
        with pytest.raises(UnknownSolverError) as info:
            get_solver(far)
        assert "did you mean" not in str(info.value)
