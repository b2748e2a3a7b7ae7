"""Chronological and corrected ages (CLINICAL.md sections 6 and 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from patients.clinical.ages import (
    DENVER_II_CORRECTION,
    TERM_GESTATION_DAYS,
    WHO_DAYS_PER_MONTH,
    WHO_GROWTH_CORRECTION,
    AgeScale,
    CorrectionRule,
    age_on,
    chronological_age_days,
    correction_days,
    days_born_early,
    denver_ii_age_line,
    gestation_days,
    growth_age,
    months_from_days,
)

BIRTH = dt.date(2024, 1, 31)
# 24 months on the 30.4375-day month is 730.5 days: day 730 is the last day still "under 24".
LAST_DAY_UNDER_24_MONTHS = 730


def on_day(days: int) -> dt.date:
    return BIRTH + dt.timedelta(days=days)


class TestCounting:
    @pytest.mark.parametrize(
        ("weeks", "days", "expected"),
        [(37, 3, 262), (40, 0, 280), (38, 0, 266), (36, 6, 258), (22, 0, 154), (44, 6, 314)],
    )
    def test_gestation_in_days_from_weeks_and_days(self, weeks: int, days: int, expected: int):
        assert gestation_days(weeks, days) == expected

    @pytest.mark.parametrize(("weeks", "days"), [(37, 7), (37, -1), (21, 6), (45, 0), (0, 37)])
    def test_gestation_outside_a_birth_record_is_refused(self, weeks: int, days: int):
        with pytest.raises(ValueError, match="weeks"):
            gestation_days(weeks, days)

    def test_gestation_entered_in_weeks_instead_of_days_is_refused(self):
        with pytest.raises(ValueError, match="entered in weeks"):
            days_born_early(37)

    def test_a_month_is_the_who_month(self):
        assert WHO_DAYS_PER_MONTH == 30.4375
        assert months_from_days(365.25) == 12
        assert months_from_days(0) == 0

    def test_due_date_is_40_weeks(self):
        assert TERM_GESTATION_DAYS == 280

    @pytest.mark.parametrize(("gestation", "expected"), [(266, 14), (280, 0), (290, 0), (224, 56)])
    def test_days_born_early_counts_to_the_due_date(self, gestation: int, expected: int):
        assert days_born_early(gestation) == expected

    def test_day_of_birth_is_day_zero(self):
        assert chronological_age_days(BIRTH, BIRTH) == 0
        assert chronological_age_days(BIRTH, dt.date(2024, 3, 1)) == 30

    def test_a_date_before_birth_is_refused(self):
        with pytest.raises(ValueError, match="before the birth date"):
            chronological_age_days(BIRTH, BIRTH - dt.timedelta(days=1))


# gestation (days), chronological age (days), correction expected (days). Both sides of each
# threshold: born 2 weeks or more early (<= 38+0) and younger than 24 months (CLINICAL.md 7).
DENVER_II_CASES = [
    pytest.param(266, 100, 14, id="38+0 weeks, 14 days early: corrected"),
    pytest.param(267, 100, 0, id="38+1 weeks, 13 days early: not corrected"),
    pytest.param(258, 100, 22, id="36+6 weeks: corrected"),
    pytest.param(224, 100, 56, id="32+0 weeks: corrected by 8 weeks"),
    pytest.param(280, 100, 0, id="term: not corrected"),
    pytest.param(294, 100, 0, id="post-term: never corrected upwards"),
    pytest.param(224, LAST_DAY_UNDER_24_MONTHS, 56, id="last day under 24 months: corrected"),
    pytest.param(224, LAST_DAY_UNDER_24_MONTHS + 1, 0, id="24 months: no longer corrected"),
    pytest.param(None, 100, 0, id="gestation unknown: not corrected"),
]

# Born before 37 weeks (<= 36+6) and younger than 24 months (CLINICAL.md section 6).
GROWTH_CASES = [
    pytest.param(258, 100, 22, id="36+6 weeks: corrected"),
    pytest.param(259, 100, 0, id="37+0 weeks: not corrected"),
    pytest.param(266, 100, 0, id="38+0 weeks: corrected for Denver II, not for growth"),
    pytest.param(224, LAST_DAY_UNDER_24_MONTHS, 56, id="last day under 24 months: corrected"),
    pytest.param(224, LAST_DAY_UNDER_24_MONTHS + 1, 0, id="24 months: no longer corrected"),
    pytest.param(None, 100, 0, id="gestation unknown: not corrected"),
]


class TestCorrectedAge:
    @pytest.mark.parametrize(("gestation", "age_days", "expected"), DENVER_II_CASES)
    def test_denver_ii_age_line(self, gestation: int | None, age_days: int, expected: int):
        age = denver_ii_age_line(BIRTH, on_day(age_days), gestational_age_days=gestation)

        assert age.rule is DENVER_II_CORRECTION
        assert age.chronological_age_days == age_days
        assert age.correction_days == expected
        assert age.corrected is (expected > 0)
        assert age.age_days == age_days - expected
        assert age.age_months == pytest.approx((age_days - expected) / 30.4375)

    @pytest.mark.parametrize(("gestation", "age_days", "expected"), GROWTH_CASES)
    def test_growth_age(self, gestation: int | None, age_days: int, expected: int):
        age = growth_age(BIRTH, on_day(age_days), gestational_age_days=gestation)

        assert age.rule is WHO_GROWTH_CORRECTION
        assert age.correction_days == expected
        assert age.age_days == age_days - expected
        assert age.chronological_age_months == pytest.approx(age_days / 30.4375)

    def test_corrected_age_before_the_due_date_is_negative(self):
        age = denver_ii_age_line(BIRTH, on_day(30), gestational_age_days=gestation_days(32))

        assert age.age_days == 30 - 56
        assert age.age_months < 0

    def test_the_threshold_is_configurable(self):
        corrects_below_37_weeks = CorrectionRule(
            scale=AgeScale.DENVER_II, corrects_up_to_gestation_days=258, corrects_below_months=24
        )

        age = denver_ii_age_line(
            BIRTH, on_day(100), gestational_age_days=266, rule=corrects_below_37_weeks
        )

        assert not age.corrected
        assert age.rule is corrects_below_37_weeks

    def test_correction_decided_from_a_reported_age_in_months(self):
        # "sat at 15 months": the same rule as for dates, on the age parents give.
        assert (
            correction_days(
                chronological_age_months=15, gestational_age_days=224, rule=WHO_GROWTH_CORRECTION
            )
            == 56
        )
        assert (
            correction_days(
                chronological_age_months=24, gestational_age_days=224, rule=WHO_GROWTH_CORRECTION
            )
            == 0
        )

    def test_an_instrument_refuses_another_instruments_rule(self):
        with pytest.raises(ValueError, match="denver_ii correction rule"):
            denver_ii_age_line(
                BIRTH, on_day(10), gestational_age_days=250, rule=WHO_GROWTH_CORRECTION
            )
        with pytest.raises(ValueError, match="who_growth correction rule"):
            growth_age(BIRTH, on_day(10), gestational_age_days=250, rule=DENVER_II_CORRECTION)

    @pytest.mark.parametrize(("threshold", "months"), [(280, 24), (153, 24), (266, 0), (266, -1)])
    def test_a_rule_must_be_plausible(self, threshold: int, months: float):
        with pytest.raises(ValueError):
            CorrectionRule(
                scale=AgeScale.DENVER_II,
                corrects_up_to_gestation_days=threshold,
                corrects_below_months=months,
            )


@settings(max_examples=200, deadline=None)
@given(
    age_days=st.integers(min_value=0, max_value=6 * 366),
    gestation=st.one_of(st.none(), st.integers(min_value=154, max_value=314)),
    rule=st.sampled_from([DENVER_II_CORRECTION, WHO_GROWTH_CORRECTION]),
)
def test_corrected_age_is_chronological_age_less_the_days_early_or_nothing(
    age_days: int, gestation: int | None, rule: CorrectionRule
):
    age = age_on(BIRTH, on_day(age_days), gestational_age_days=gestation, rule=rule)

    days_early = 0 if gestation is None else days_born_early(gestation)
    assert age.correction_days in {0, days_early}
    assert age.age_days == age_days - age.correction_days
    if age.corrected:
        assert gestation is not None
        assert gestation <= rule.corrects_up_to_gestation_days
        assert age_days <= LAST_DAY_UNDER_24_MONTHS
