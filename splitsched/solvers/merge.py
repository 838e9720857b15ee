"""Merge the windows of near-identical jobs: a relaxation whose twins the symmetry rows order.

Jobs of one class (one network and one weight) released within ``delta`` of each other,
with deadlines within ``delta`` too, get one window: from the group's earliest release to
its latest deadline. Each job's window only widens, so every schedule of the instance is
a schedule of the merged instance with the same on-time set, and a lower bound on the
merged instance's weighted misses is one on the instance's. The merged jobs are twins
released together: identical jobs whose on-time sets :func:`splitsched.solvers.hybrid.
add_symmetry_rows` cuts down to one per count (some optimal schedule keeps on time the
first ones of the group), where the jobs themselves leave the search to tell apart
schedules that differ only by which of two almost identical jobs is missed.

``delta`` is :data:`MERGE_SHARE` of the class's shortest relative deadline (``d - r``).
Measured on v2-poisson-redmi-n40-l4-s3-w (2026-11-30, ad hoc, CP-SAT alone, one worker):
the case that fixes every class count there (the one whose split cost most) is refuted in
67-135 units of CP-SAT's deterministic time on the instance (seeds 0 to 5), 39-60 on the
merged one (seeds 0, 1, 3 and 5; 9 pairs merged with share 0.1). With share 0.25 (11
groups, two of four jobs; 10 units per case) the merged instance lost too much: its
fully fixed cases stayed open past 10 min.
"""

from __future__ import annotations

from dataclasses import replace

from splitsched.problem import Instance

MERGE_SHARE = 0.1
"""Default ``share``: jobs merge when their releases and deadlines lie within this share
of their class's shortest relative deadline (see the module docstring)."""


def merge_groups(instance: Instance, share: float) -> list[list[int]]:
    """The groups of two or more job indices that :func:`merge_windows` merges.

    Per class (network, weight), jobs in (release, deadline, index) order; each job joins
    the first group whose first job ``g`` has ``r_j - r_g <= delta`` and
    ``|d_j - d_g| <= delta``, else starts a group; ``delta = share * min(d - r)`` over the
    class (us).

    Raises
    ------
    ValueError
        ``share`` negative or not finite.
    """
    if not 0 <= share < float("inf"):
        raise ValueError(f"share must be a finite number >= 0, got {share!r}")
    classes: dict[tuple[str, int], list[int]] = {}
    for i, job in enumerate(instance.jobs):
        classes.setdefault((job.network, job.weight), []).append(i)
    groups: list[list[int]] = []
    jobs = instance.jobs
    for members in classes.values():
        members.sort(key=lambda i: (jobs[i].release, jobs[i].deadline, i))
        delta = share * min(jobs[i].deadline - jobs[i].release for i in members)
        open_groups: list[list[int]] = []  # their first job released within delta
        for i in members:
            open_groups = [g for g in open_groups
                           if jobs[i].release - jobs[g[0]].release <= delta]
            home = next((g for g in open_groups
                         if abs(jobs[i].deadline - jobs[g[0]].deadline) <= delta), None)
            if home is None:
                open_groups.append([i])
                groups.append(open_groups[-1])
            else:
                home.append(i)
    return [g for g in groups if len(g) > 1]


def merge_windows(instance: Instance, share: float) -> Instance:
    """``instance`` with each group of :func:`merge_groups` given one window
    (:func:`hull_windows`).

    Raises
    ------
    ValueError
        ``share`` negative or not finite.
    """
    return hull_windows(instance, merge_groups(instance, share))


def hull_windows(instance: Instance, groups: list[list[int]]) -> Instance:
    """``instance`` with the jobs of each group (job indices, e.g. from
    :func:`merge_groups`) given one window: the group's earliest release, its latest
    deadline; ``instance`` itself when ``groups`` is empty. Same id, networks and job ids:
    a schedule of one reads as a schedule of the other (it may break the instance's own
    windows: check it with :func:`splitsched.evaluate.evaluate`)."""
    if not groups:
        return instance
    jobs = list(instance.jobs)
    for group in groups:
        release = min(jobs[i].release for i in group)
        deadline = max(jobs[i].deadline for i in group)
        for i in group:
            jobs[i] = replace(jobs[i], release=release, deadline=deadline)
    return replace(instance, jobs=tuple(jobs))
