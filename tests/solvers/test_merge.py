"""merge: which jobs share a window, and that the merged instance is a relaxation."""

from __future__ import annotations

import math
import random

import pytest

from splitsched.problem import Instance, Job
from splitsched.solvers.merge import merge_groups, merge_windows
from tests.helpers.builders import chain_network, random_twins_instance
from tests.helpers.oracle import optimum


def _hand_made() -> Instance:
    a = chain_network("a", [10, 10], [10, 10])
    b = chain_network("b", [10, 10], [10, 10])
    jobs = (Job("a1", "a", 0, 100), Job("a2", "a", 5, 103),   # within 10 = 0.1 * 100
            Job("a3", "a", 50, 150),                          # released 50 later
            Job("a4", "a", 2, 120),                           # due 20 later
            Job("b1", "b", 0, 100),                           # another network
            Job("w2", "a", 0, 100, weight=2))                 # another weight
    return Instance(id="merge-hand-made", networks=(a, b), jobs=jobs)


def test_only_jobs_of_one_class_within_the_share_merge_into_the_hull_window() -> None:
    inst = _hand_made()
    assert merge_groups(inst, 0.1) == [[0, 1]]
    merged = merge_windows(inst, 0.1)
    assert [(j.release, j.deadline) for j in merged.jobs[:2]] == [(0, 103), (0, 103)]
    assert merged.jobs[2:] == inst.jobs[2:]
    assert (merged.id, merged.networks) == (inst.id, inst.networks)
    # a group is measured from its first job: a4 (due 20 later) joins a1's at 0.25
    assert merge_groups(inst, 0.25) == [[0, 3, 1]]
    assert merge_windows(inst, 0.0) is inst  # nothing within 0 of another job


@pytest.mark.parametrize("share", [-0.1, math.inf, math.nan])
def test_a_bad_share_is_refused(share: float) -> None:
    with pytest.raises(ValueError, match="share"):
        merge_groups(_hand_made(), share)


def test_the_merged_instance_never_misses_more_than_the_instance() -> None:
    # A relaxation: each job's window only widens. With share 0.5 some merges are loose
    # (fewer misses merged), which the case split must then see through.
    looser = 0
    for seed in range(60):
        rng = random.Random(seed)
        inst = random_twins_instance(rng, rng.randint(2, 3))
        merged, best = optimum(merge_windows(inst, 0.5)), optimum(inst)
        assert merged <= best, inst
        looser += merged < best
    assert looser > 0
