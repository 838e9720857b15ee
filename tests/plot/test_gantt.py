"""The schedule picture: what plot_schedule draws, checked on a hand-made schedule."""

from __future__ import annotations

from pathlib import Path

import pytest
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure

from splitsched.io import InputError
from splitsched.plot import (
    job_colors,
    plot_schedule,
    series_styles,
    write_schedule_plot,
)
from splitsched.problem import Instance, Job, JobPlan, Schedule
from tests.helpers.builders import two_layer


def hand_made() -> tuple[Instance, Schedule]:
    """Four jobs, by hand (us):

    * A (net n, cut 1): GPU 0..3000, hand-off 500, CPU 3500..7500, deadline 10000: on time;
    * B (net z, cut 1): a zero-length GPU stage at 3000 (a(1) = 0), CPU 7500..8500: on time;
    * C (net n, cut 2, weight 2): GPU 3000..6000, deadline 5000: late;
    * D (weight 3): dropped.

    Weighted misses 2 + 3 = 5; misses 2 of 4; two split jobs, so two hand-off arrows.
    """
    n = two_layer("n", gpu=(3000, 0), cpu=(5000, 4000), handoff=500)
    z = two_layer("z", gpu=(0, 2000), cpu=(1000, 1000))
    jobs = (Job("A", "n", 0, 10_000), Job("B", "z", 0, 20_000),
            Job("C", "n", 1000, 5000, weight=2), Job("D", "n", 0, 30_000, weight=3))
    inst = Instance(id="hand", networks=(n, z), jobs=jobs)
    plans = (JobPlan("A", 1, 0, 3500), JobPlan("B", 1, 3000, 7500), JobPlan("C", 2, 3000, None),
             JobPlan("D", None, None, None))
    return inst, Schedule(instance_id="hand", solver="by-hand", plans=plans)


def test_plot_schedule_draws_lanes_windows_handoffs_and_misses() -> None:
    inst, sched = hand_made()
    fig = Figure(figsize=(9, 4))
    ax = plot_schedule(inst, sched, ax=fig.add_subplot())
    assert [t.get_text() for t in ax.get_yticklabels()] == ["GPU", "CPU", "A", "B", "C", "D"]
    assert ax.get_xlabel() == "time (ms)"
    assert ax.xaxis.get_major_formatter()(15_000, 0) == "15"  # us data, ms labels, no offset
    assert "5 weighted misses (2 of 4 jobs missed)" in ax.get_title(loc="left")
    handoffs = [c for c in ax.collections if c.get_gid() == "handoffs"]
    assert len(handoffs) == 1 and len(handoffs[0].get_segments()) == 2  # A and B are split
    # Four stages longer than 1/400 of the 30 ms span are bars; B's zero-length stage is not.
    bars = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert sum(len(c.get_paths()) for c in bars) == 4
    b_color = tuple(job_colors(inst)["B"])
    ticks = [c for c in ax.collections if isinstance(c, LineCollection)
             and any(abs(seg[0][0] - 3000) < 1e-9 and abs(seg[1][0] - 3000) < 1e-9
                     and seg[0][1] < 0.5 and tuple(color) == b_color
                     for seg, color in zip(c.get_segments(), c.get_colors(), strict=False))]
    assert len(ticks) == 1 and ticks[0].get_linestyle()[0][1] is not None  # dotted
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    for needed in ("release", "deadline", "hand-off GPU -> CPU", "completion (on time)",
                   "completion (late)", "stage of a late job", "zero-length stage",
                   "dropped job's window"):
        assert needed in labels, needed
    texts = [t.get_text() for t in ax.texts]
    assert "dropped" in texts and "A" in texts  # D is dropped; A's bar is labelled


@pytest.mark.parametrize("suffix", [".png", ".svg", ".html"])
def test_write_schedule_plot_formats(tmp_path: Path, suffix: str) -> None:
    inst, sched = hand_made()
    path = write_schedule_plot(inst, sched, tmp_path / f"g{suffix}")
    assert path.stat().st_size > 0
    if suffix == ".png":
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    if suffix == ".html":
        page = path.read_text()
        assert "<svg" in page and "<script" not in page and 'src="http' not in page
        assert page.count("<tr class='miss'>") == 2  # C late, D dropped
        assert "5 weighted misses, 2 of 4 jobs missed" in page


def test_write_schedule_plot_refuses_unknown_suffix(tmp_path: Path) -> None:
    inst, sched = hand_made()
    with pytest.raises(InputError, match="suffix"):
        write_schedule_plot(inst, sched, tmp_path / "g.jpg")
    assert not (tmp_path / "g.jpg").exists()


def test_series_styles_never_repeat_a_pair() -> None:
    names = [f"s{i}" for i in range(30)]
    styles = series_styles(names)
    assert len(set(styles.values())) == 30
    assert len({c for c, _ in list(styles.values())[:8]}) == 8  # first 8: all colours


def test_a_large_schedule_is_drawn_with_a_fixed_number_of_artists() -> None:
    # 400 jobs, a third dropped or late: one artist per kind of mark, not per job, and
    # every LABELLED_ROWS-th job row labelled (5,000 jobs took 53 s to plot before).
    from splitsched.evaluate import evaluate
    from splitsched.generate import generate
    from splitsched.plot.gantt import LABELLED_ROWS
    from splitsched.solve import solve

    inst = generate("mi9", scenario="poisson", jobs=400, load=2.0, seed=1)
    sched = solve(inst, "edf-greedy-cut").schedule
    assert sched is not None
    ev = evaluate(inst, sched)
    assert ev.misses > 50
    ax = plot_schedule(inst, sched, ax=Figure(figsize=(11, 14)).add_subplot())
    assert len(ax.get_children()) < 40
    bars = sum(len(c.get_paths()) for c in ax.collections if isinstance(c, PolyCollection))
    drawn = [st for st in ev.stages if st.end - st.start > 0]
    assert 0 < bars <= len(drawn)  # the rest are thin ticks
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:2] == ["GPU", "CPU"] and labels[2] == inst.jobs[0].id
    assert len(labels) - 2 == len(range(0, 400, -(-400 // LABELLED_ROWS)))
    handoffs = [c for c in ax.collections if c.get_gid() == "handoffs"]
    split = sum(1 for p in sched.plans if p.cut is not None and p.gpu_start is not None
                and p.cpu_start is not None)
    assert len(handoffs[0].get_segments()) == split
    # The rows share WINDOW_BAND, so the two lanes (1.6 units) keep a twentieth of the
    # height (at 5,000 jobs they had a thousandth and their labels overlapped).
    from splitsched.plot.gantt import WINDOW_BAND, WINDOW_TOP

    bottom, top = ax.get_ylim()
    assert bottom - top <= WINDOW_TOP + WINDOW_BAND + 0.7  # 0.65 of margins


def test_row_pitch_is_the_usual_one_up_to_the_band() -> None:
    from splitsched.plot.gantt import WINDOW_BAND, WINDOW_PITCH, row_pitch

    assert row_pitch(1) == row_pitch(71) == WINDOW_PITCH
    assert row_pitch(5000) * 5000 == pytest.approx(WINDOW_BAND)


def test_overlap_spans_by_hand() -> None:
    from splitsched.evaluate import Stage
    from splitsched.plot.gantt import overlap_spans

    stages = [Stage("a", "cpu", 0, 10), Stage("b", "cpu", 5, 8), Stage("c", "cpu", 7, 12),
              Stage("d", "cpu", 20, 30), Stage("e", "cpu", 25, 26), Stage("z", "cpu", 3, 3),
              Stage("g", "gpu", 0, 40)]
    # b and c overlap a (5..10: one span), e overlaps d; z has zero length; g is elsewhere.
    assert overlap_spans(stages, "cpu") == [(5, 10), (25, 26)]
    assert overlap_spans(stages, "gpu") == []


def test_stages_that_overlap_are_crossed_red_on_their_lane() -> None:
    # A newcomer's attack: two jobs' GPU stages overlapping were drawn as two on-time jobs
    # (only the title said INFEASIBLE). A runs GPU-only 0..3000, C from 1000: 1000..3000.
    inst, _ = hand_made()
    plans = (JobPlan("A", 2, 0, None), JobPlan("B", None, None, None),
             JobPlan("C", 2, 1000, None), JobPlan("D", None, None, None))
    sched = Schedule(instance_id="hand", solver="by-hand", plans=plans)
    ax = plot_schedule(inst, sched, ax=Figure(figsize=(9, 4)).add_subplot())
    assert "INFEASIBLE" in ax.get_title(loc="left")
    marks = {c.get_gid(): c for c in ax.collections if str(c.get_gid()).startswith("overlap")}
    assert list(marks) == ["overlap-gpu"]
    (path,) = marks["overlap-gpu"].get_paths()
    xs = path.vertices[:, 0]
    assert (xs.min(), xs.max()) == (1000, 3000)
    assert "stages overlap (infeasible)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_no_job_colour_is_a_red_of_the_late_marks() -> None:
    import matplotlib

    reds = {tuple(matplotlib.colormaps["tab20"](i)) for i in (6, 7)}
    inst = Instance(id="many", networks=hand_made()[0].networks,
                    jobs=tuple(Job(f"j{i}", "n", 0, 10_000) for i in range(40)))
    assert not {tuple(c) for c in job_colors(inst).values()} & reds


def test_a_log_scaled_axes_is_refused_not_garbled() -> None:
    # A newcomer's attack: plot_schedule on an Axes with a log x scale drew a garbled chart
    # (bars from t = 0, widths in a log space).
    inst, sched = hand_made()
    ax = Figure().add_subplot()
    ax.set_xscale("log")
    with pytest.raises(InputError, match="ax: a Gantt chart needs linear axes; this Axes "
                                         "has a log x scale"):
        plot_schedule(inst, sched, ax=ax)


def test_a_polar_axes_is_refused() -> None:
    inst, sched = hand_made()
    ax = Figure().add_subplot(projection="polar")
    with pytest.raises(InputError, match="ax: a Gantt chart needs a rectilinear Axes; this "
                                         "one is 'polar'"):
        plot_schedule(inst, sched, ax=ax)
