"""Kaplan-Meier against a hand computation, and small groups never drawn (no database)."""

from __future__ import annotations

import pytest
from matplotlib.colors import to_rgba

from patients.charts.cohort import survival_chart
from patients.charts.model import GroupSubjects, Outcome, Subject, SurvivalChartData
from patients.charts.survival import kaplan_meier

# Eight infants, months from the first dose to sitting (True) or to the last contact (False).
COHORT = (
    Subject(2, True),
    Subject(3, True),
    Subject(3, False),
    Subject(5, True),
    Subject(6, False),
    Subject(8, True),
    Subject(8, True),
    Subject(9, False),
)
# By hand, S(t) = product of (1 - d/n) over event times up to t; an infant censored at an event
# time is still at risk at that time:
#   t=2: n=8, d=1 -> S = 7/8                 = 0.875
#   t=3: n=7, d=1 -> S = 0.875 * 6/7         = 0.75   (the one censored at 3 leaves after)
#   t=5: n=5, d=1 -> S = 0.75 * 4/5          = 0.6
#   t=6: censored, no step; n drops to 4
#   t=8: n=3, d=2 -> S = 0.6 * 1/3           = 0.2
#   t=9: censored, S stays 0.2
HAND = {
    0: 1.0,
    1.9: 1.0,
    2: 0.875,
    2.5: 0.875,
    3: 0.75,
    4.9: 0.75,
    5: 0.6,
    7.9: 0.6,
    8: 0.2,
    9: 0.2,
}


def test_kaplan_meier_matches_the_hand_computation():
    curve = kaplan_meier(COHORT)
    for t, expected in HAND.items():
        assert curve.at(t) == pytest.approx(expected), t
    assert curve.censored_times == (3, 6, 9)
    assert (curve.subjects, curve.events) == (8, 5)
    assert [curve.at_risk(t, COHORT) for t in (2, 3, 5, 8, 9)] == [8, 7, 5, 3, 1]
    # The 95 % band contains the estimate.
    assert all(
        low <= s <= high
        for low, s, high in zip(curve.lower, curve.survival, curve.upper, strict=True)
    )


def _chart(groups):
    return survival_chart(
        SurvivalChartData(
            title="Time to sitting",
            outcomes=(Outcome("sitting", "Sits without support", groups),),
            cumulative=True,
            y_label="Proportion who reached it",
        )
    )


def test_the_drawn_curve_is_one_minus_the_estimate_with_censoring_ticks():
    chart = _chart((GroupSubjects("< 10 months", COHORT),))
    axes = chart.figure.axes[0]
    (line,) = [ln for ln in axes.lines if ln.get_gid() == "km:sitting:< 10 months"]
    xs, ys = line.get_data()
    drawn = dict(zip(xs, ys, strict=True))
    assert drawn[0] == 0
    assert drawn[5] == pytest.approx(1 - 0.6)
    assert drawn[8] == pytest.approx(1 - 0.2)
    (ticks,) = [c for c in axes.collections if c.get_gid() == "km:sitting:< 10 months:censored"]
    offsets = [float(v) for point in ticks.get_offsets() for v in point]
    assert offsets == pytest.approx([3, 0.25, 6, 0.4, 9, 0.8])
    assert "proportion who reached it 25 % at 3 months, 40 % at 6 months" in chart.alt_text


def test_a_group_of_fewer_than_five_infants_is_never_drawn():
    few = COHORT[:4]
    chart = _chart((GroupSubjects("< 10 months", COHORT), GroupSubjects(">= 13 months", few)))
    axes = chart.figure.axes[0]
    gids = {artist.get_gid() for artist in [*axes.lines, *axes.collections, *axes.texts]}
    assert "km:sitting:< 10 months" in gids
    assert not any(
        g and g.startswith("km:sitting:>= 13 months") and "suppressed" not in g for g in gids
    )
    (note,) = [t for t in axes.texts if t.get_gid() == "km:sitting:>= 13 months:suppressed"]
    assert note.get_text() == ">= 13 months: suppressed: fewer than 5"
    assert ">= 13 months: suppressed: fewer than 5" in chart.alt_text
    # Nothing on the figure says how many the small group holds.
    legend = " ".join(t.get_text() for t in axes.get_legend().get_texts())
    assert "n=8" in legend and "n=4" not in legend
    assert to_rgba(note.get_color()) != to_rgba("white")
