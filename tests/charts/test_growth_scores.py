"""The growth charts read the WHO z-scores the growth service stored, and say exactly what scoring
the measurements afresh would say.

The reference every test compares with is the same infant's data with its stored scores left
unread (deleted, or the loader's query for them emptied): the loader then scores each measurement
with the clinical core, as the charts did before they read stored scores. The drawing and the words are functions of that data alone
(``patients.charts.growth``), so equal data is an equal chart and equal text.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from patients import models as m
from patients.charts import centiles, loader
from patients.clinical import growth as core_growth
from patients.clinical.growth.who2006 import WhoGrowthStandards2006
from patients.services import charts as chart_service
from patients.services.growth import record_growth
from patients.services.records import save_record, update_record
from tests.charts.conftest import TODAY

pytestmark = pytest.mark.django_db

GROWTH_CHARTS = ("growth-wfa", "growth-lhfa", "growth-hcfa", "growth-wfl")


def _two_years_of_growth(infant: m.Infant, actor: m.User, *, first: datetime.date) -> None:
    """A measurement every month for two years, on centiles that climb as treatment works: a
    standing height before two years and a lying length after it on some visits, so the lengths
    WHO converts by 0.7 cm are among them, and weight-for-length stops at two years."""
    for month in range(24):
        on = first + datetime.timedelta(days=round(month * 30.4375))
        age_days = (on - infant.birth_date).days
        lying = age_days < 731
        if month % 5 == 4:
            lying = not lying  # measured the other way: WHO converts it
        length = centiles.value_at_centile("lfa", infant.sex, age_days, 5 + month)
        if lying != (age_days < 731):
            length += -0.7 if lying else 0.7  # what the tape read, the other way
        record_growth(
            infant=infant,
            actor=actor,
            measured_on=on,
            weight_kg=Decimal(
                f"{centiles.value_at_centile('wfa', infant.sex, age_days, 3 + 2 * month):.2f}"
            ),
            length_cm=Decimal(f"{length:.1f}"),
            length_position="recumbent" if lying else "standing",
            # Head circumference is not measured at every visit.
            head_circumference_cm=(
                Decimal(f"{centiles.value_at_centile('hcfa', infant.sex, age_days, 10):.1f}")
                if month % 3
                else None
            ),
            today=TODAY,
        )


@pytest.fixture
def with_history(world):
    """Both demo infants with two years of measurements after admission, every one scored and
    stored by the growth service."""
    _two_years_of_growth(world.p1, world.staff, first=datetime.date(2024, 10, 4))
    _two_years_of_growth(world.p2, world.staff, first=datetime.date(2023, 12, 20))
    return world


def _scored_afresh(infant: m.Infant) -> dict:
    """The data the charts showed before they read stored scores: every measurement scored by
    the clinical core."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loader, "_WHO_SCORES", m.GrowthScore.objects.none())
        return loader.growth_charts_data(infant)


def _texts(infant: m.Infant) -> dict:
    texts = chart_service.infant_chart_texts(infant, today=TODAY)
    return {name: texts[name] for name in GROWTH_CHARTS}


def _no_scoring(monkeypatch) -> None:
    """Any z-score computed from here on fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("a z-score was computed")

    monkeypatch.setattr(core_growth, "assess_growth", refuse)
    monkeypatch.setattr(WhoGrowthStandards2006, "z_score", refuse)


@pytest.mark.parametrize("record_number", ["S000-P1", "S000-P2"])
def test_charts_from_stored_scores_equal_the_scores_computed_afresh(with_history, record_number):
    infant = m.Infant.objects.get(record_number=record_number)
    assert m.GrowthScore.objects.filter(measurement__infant=infant).count() == 25 * 5

    stored = loader.growth_charts_data(infant)
    stored_texts = _texts(infant)
    single = {indicator: loader.growth_data(infant, indicator) for indicator in stored}
    one_by_one = {
        name: chart_service.infant_chart_text(infant, name, today=TODAY) for name in GROWTH_CHARTS
    }
    # Read afresh with no stored score at all, the loader scores every measurement itself.
    m.GrowthScore.objects.filter(measurement__infant=infant).delete()
    computed = loader.growth_charts_data(infant)

    assert stored == computed == single
    assert stored_texts == _texts(infant) == one_by_one
    # Not vacuous: every measurement is on the age-based charts with its z-score and centile,
    # standing and lying lengths among them, and weight-for-length stops at two years.
    assert len(computed["wfa"].points) == len(computed["lfa"].points) == 25
    assert all(
        point.z is not None and point.centile is not None for point in computed["wfa"].points
    )
    assert len(computed["hcfa"].points) == 17  # the 8 visits without a head circumference left out
    assert 0 < len(computed["wfl"].points) < 25 and computed["wfl"].note
    assert any(point.value % 1 for point in computed["lfa"].points)  # lengths WHO converted
    assert "z " in stored_texts["growth-wfa"].alt_text


def test_stored_scores_are_read_without_computing_any(with_history, monkeypatch):
    expected = {infant: _scored_afresh(infant) for infant in (with_history.p1, with_history.p2)}
    _no_scoring(monkeypatch)
    for infant, data in expected.items():
        assert loader.growth_charts_data(infant) == data
        for name in GROWTH_CHARTS:
            chart_service.infant_chart_text(infant, name, today=TODAY)
        chart_service.infant_chart_texts(infant, today=TODAY)


def test_only_a_measurement_without_stored_scores_is_scored(with_history, monkeypatch):
    infant = with_history.p1
    expected = _scored_afresh(infant)
    # Rows written without scores (a bulk import, a synthetic cohort) are scored at read time.
    unscored = infant.growth_measurements.order_by("measured_on")[3]
    m.GrowthScore.objects.filter(measurement=unscored).delete()
    calls = []
    real = core_growth.assess_growth
    monkeypatch.setattr(
        core_growth, "assess_growth", lambda entry, *a: calls.append(entry) or real(entry, *a)
    )

    assert loader.growth_charts_data(infant) == expected
    # Once, for all four charts.
    assert [entry.age_days for entry in calls] == [(unscored.measured_on - infant.birth_date).days]


def test_growth_charts_read_the_record_in_three_queries(with_history, django_assert_num_queries):
    """The measurements, their stored scores, and whether the infant's sex was ever corrected:
    the same three for one measurement (an infant just admitted) as for two years of them."""
    p1 = with_history.p1
    bare = m.Infant.objects.create(
        clinic=with_history.clinic,
        record_number="GS-1",
        given_name="Ada",
        family_name="Kaya",
        sex="female",
        birth_date=datetime.date(2026, 1, 10),
    )
    record_growth(
        infant=bare,
        actor=with_history.staff,
        measured_on=datetime.date(2026, 7, 10),
        weight_kg=Decimal("7.3"),
        length_cm=Decimal("65.0"),
        head_circumference_cm=Decimal("42.0"),
        today=TODAY,
    )
    for infant in (bare, p1):
        with django_assert_num_queries(3):
            loader.growth_charts_data(infant)


# --- A stored score that no longer describes the record is not drawn --------------------------


def _correct_the_admission_weight(world) -> m.Infant:
    measurement = world.p1.growth_measurements.get(weight_kg=Decimal("8.6"))
    update_record(measurement, actor=world.staff, weight_kg=Decimal("9.1"))
    return m.Infant.objects.get(pk=world.p1.pk)


def _correct_the_sex(world) -> m.Infant:
    # A fresh copy: the world's infants are shared by the package's tests.
    infant = m.Infant.objects.get(pk=world.p2.pk)
    infant.sex = "male"
    return save_record(infant, actor=world.staff)


def _correct_the_birth_date(world) -> m.Infant:
    infant = m.Infant.objects.get(pk=world.p2.pk)
    infant.birth_date -= datetime.timedelta(days=12)
    return save_record(infant, actor=world.staff)


@pytest.mark.parametrize(
    "change", [_correct_the_admission_weight, _correct_the_sex, _correct_the_birth_date]
)
def test_a_stored_score_that_no_longer_fits_is_scored_afresh(world, change):
    """The growth service never rewrites a stored score, so after a correction the chart scores
    the measurement as it stands, as it did before it read stored scores."""
    before = {infant.pk: loader.growth_charts_data(infant) for infant in (world.p1, world.p2)}
    infant = change(world)
    after = loader.growth_charts_data(infant)

    assert after == _scored_afresh(infant)
    assert after != before[infant.pk]  # the correction moved a point or a z-score


def test_scores_of_another_who_version_are_not_read(world):
    infant = world.p1
    expected = _scored_afresh(infant)
    scores = m.GrowthScore.objects.filter(measurement__infant=infant)
    # A z-score the core would not give, to see which one is drawn.
    scores.update(z=Decimal("0.00"))
    assert [point.z for point in loader.growth_data(infant, "wfa").points] == [0.0]
    # Stored by an older release of the WHO library: the chart scores with the one it draws.
    scores.update(reference_version="pygrowup2 0.9; wrapper 1")
    assert loader.growth_charts_data(infant) == expected
