"""Stage tables: the per-cut arithmetic of docs/design.md "The problem"; rules with one home."""

from __future__ import annotations

import pytest

from splitsched.problem import Instance, Job, Network


def test_stage_table_by_hand() -> None:
    net = Network(name="n", layer_names=("x", "y", "z"), gpu_us=(2, 3, 4), cpu_us=(5, 6, 7),
                  handoff_us=(0, 10, 20, 0))
    st = net.stages
    assert list(st.a) == [0, 2, 5, 9]
    assert list(st.b) == [18, 13, 7, 0]
    assert list(st.h) == [0, 10, 20, 0]
    assert list(st.cuts) == [0, 1, 2, 3]
    # isolated latencies: 18, 2+10+13=25, 5+20+7=32, 9
    assert list(st.isolated) == [18, 25, 32, 9]
    assert st.best_cut == 3 and st.best_latency == 9


def test_monotone() -> None:
    net = Network(name="n", layer_names=tuple("abcdef"), gpu_us=(1, 0, 5, 2, 2, 9),
                  cpu_us=(4, 4, 0, 1, 8, 2), handoff_us=(0, 1, 1, 1, 1, 1, 0))
    st = net.stages
    assert all(st.a[k] <= st.a[k + 1] for k in range(6))
    assert all(st.b[k] >= st.b[k + 1] for k in range(6))
    assert st.a[0] == 0 and st.b[6] == 0


@pytest.mark.parametrize("kwargs, message", [
    ({"handoff_us": (0, 1)}, r"L\+1"),
    ({"handoff_us": (5, 1, 0)}, "must be 0"),
    ({"gpu_us": (1, -1)}, "integer >= 0"),
    ({"cpu_us": (1,)}, "one entry per layer"),
])
def test_network_rejects(kwargs: dict, message: str) -> None:
    base = {"name": "n", "layer_names": ("a", "b"), "gpu_us": (1, 1), "cpu_us": (1, 1),
            "handoff_us": (0, 1, 0)}
    with pytest.raises(ValueError, match=message):
        Network(**(base | kwargs))


def test_job_and_instance_rules() -> None:
    with pytest.raises(ValueError, match="release"):
        Job("j", "n", -1, 5)
    with pytest.raises(ValueError, match="deadline"):
        Job("j", "n", 5, 4)
    net = Network(name="n", layer_names=("a",), gpu_us=(1,), cpu_us=(1,), handoff_us=(0, 0))
    with pytest.raises(ValueError, match="unknown network"):
        Instance(id="i", networks=(net,), jobs=(Job("j", "m", 0, 5),))
    with pytest.raises(ValueError, match="duplicate job"):
        Instance(id="i", networks=(net,), jobs=(Job("j", "n", 0, 5), Job("j", "n", 0, 5)))


def test_zero_length_stages_occupy_nothing() -> None:
    """problem.occupies is the one statement of the rule; the stage table's masks agree."""
    from splitsched.problem import occupies

    assert not occupies(0) and occupies(1)
    net = Network("z", ("l1", "l2"), gpu_us=(0, 4), cpu_us=(3, 0), handoff_us=(0, 2, 0))
    st = net.stages  # a = [0, 0, 4], b = [3, 0, 0]
    assert st.gpu_busy.tolist() == [False, False, True]
    assert st.cpu_busy.tolist() == [True, False, False]


def test_edf_key_orders_by_deadline_then_release_then_id() -> None:
    from splitsched.problem import edf_key

    jobs = [Job("b", "n", 5, 10), Job("a", "n", 5, 10), Job("c", "n", 0, 10), Job("d", "n", 9, 9)]
    assert [j.id for j in sorted(jobs, key=edf_key)] == ["d", "c", "a", "b"]
