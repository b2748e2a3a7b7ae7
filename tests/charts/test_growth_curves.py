"""The WHO centile curves are the LMS tables the growth scores come from (no database)."""

from __future__ import annotations

import pytest

from patients.charts import centiles
from patients.charts.growth import growth_chart
from patients.charts.model import GrowthChartData
from patients.clinical.ages import WHO_DAYS_PER_MONTH
from patients.clinical.growth import WHO_2006, Indicator, Sex


def test_median_weight_of_a_boy_at_twelve_months_is_who_s_9_6_kg():
    # WHO weight-for-age, boys, day 365: L 0.0645, M 9.6460, S 0.10925 (the by-day table).
    assert centiles.lms_at("wfa", "male", 365) == pytest.approx((0.0645, 9.646, 0.10925))
    assert centiles.value_at_centile("wfa", "male", 365, 50) == pytest.approx(9.646)
    assert round(centiles.value_at_centile("wfa", "male", 365, 50), 1) == 9.6


@pytest.mark.parametrize(
    ("indicator", "sex", "index"),
    [
        (Indicator.WFA, Sex.MALE, 365),
        (Indicator.WFA, Sex.FEMALE, 274),
        (Indicator.LFA, Sex.FEMALE, 274),
        (Indicator.LFA, Sex.MALE, 900),
        (Indicator.HCFA, Sex.MALE, 60),
        (Indicator.WFL, Sex.FEMALE, 60.0),
        (Indicator.WFL, Sex.MALE, 75.35),
    ],
)
@pytest.mark.parametrize("centile", centiles.CENTILES)
def test_a_value_on_a_centile_curve_scores_that_centile_with_the_clinical_core(
    indicator, sex, index, centile
):
    # The core scores with the same tables, rounding z to 0.01; the curve is exact.
    value = centiles.value_at_centile(indicator, sex, index, centile)
    if indicator is Indicator.WFL:
        z = WHO_2006.z_score(indicator, sex, age_days=200, value=value, length_cm=index)
    else:
        z = WHO_2006.z_score(indicator, sex, age_days=int(index), value=value)
    assert z == pytest.approx(centiles.z_of_centile(centile), abs=0.006)


def test_the_chart_draws_the_five_curves_from_those_tables():
    chart = growth_chart(
        GrowthChartData(indicator="wfa", sex="male", points=(), reference_label="WHO 2006")
    )
    axes = chart.figure.axes[0]
    curves = {line.get_gid(): line for line in axes.lines if line.get_gid()}
    assert set(curves) == {f"centile:{c}" for c in (3, 15, 50, 85, 97)}
    # The x axis is months; day 366 is a sampled point (every second day from birth).
    months = 366 / WHO_DAYS_PER_MONTH
    for centile in centiles.CENTILES:
        xs, ys = curves[f"centile:{centile}"].get_data()
        at = list(xs).index(pytest.approx(months))
        assert ys[at] == pytest.approx(centiles.value_at_centile("wfa", "male", 366, centile))
    assert "No measurements recorded" in chart.alt_text
