"""Every chart of both seed 000 infants, read back from the figure: what it says is the paper's story.

Source of the expected values: ../shared/seeds/000 (the case report) and CLINICAL.md sections 5-7,
with the demo's calendar (patients.services.demo: patient 1 born 2023-09-04, admitted at 12 months,
first dose on the 6th day of admission; patient 2 born 2023-02-20, admitted at 9 months, first dose
on the 5th hospital day). Each chart is also written to artifacts/charts/ as PNG and SVG.
"""

from __future__ import annotations

import datetime

import pytest
from matplotlib.colors import to_rgba

from patients.charts import centiles, render, style
from patients.clinical.ages import WHO_DAYS_PER_MONTH
from patients.clinical.growth import WHO_2006, Indicator, Sex
from patients.services.charts import INFANT_CHARTS
from tests.charts.conftest import TODAY
from tests.charts.helpers import artists, curve_at, hollow, offsets, one, span, y_range

pytestmark = pytest.mark.django_db

P1_BIRTH = datetime.date(2023, 9, 4)
P2_BIRTH = datetime.date(2023, 2, 20)
P1_ADMITTED = datetime.date(2024, 9, 4)
P1_FIRST_DOSE = datetime.date(2024, 9, 9)
P2_ADMITTED = datetime.date(2023, 11, 20)
P2_FIRST_DOSE = datetime.date(2023, 11, 24)


def months(birth: datetime.date, day: datetime.date) -> float:
    return (day - birth).days / WHO_DAYS_PER_MONTH


def draw(infant, name):
    return INFANT_CHARTS[name](infant, TODAY)


def test_every_chart_of_both_infants_renders_and_is_saved(world, artifacts):
    for label, infant in (("S000-P1", world.p1), ("S000-P2", world.p2)):
        for name in INFANT_CHARTS:
            chart = draw(infant, name)
            png = render.figure_bytes(chart, "png")
            svg = render.figure_bytes(chart, "svg")
            assert png.startswith(b"\x89PNG\r\n\x1a\n")
            assert b'role="img"' in svg and f"<title>{chart.title}</title>".encode() in svg
            assert chart.alt_text and style.ascii_text(chart.alt_text)
            (artifacts / "charts" / f"{label}-{name}.png").write_bytes(png)
            (artifacts / "charts" / f"{label}-{name}.svg").write_bytes(svg)


def test_growth_points_sit_where_who_scores_them(world):
    # Patient 1: boy, 8.6 kg, 75 cm, HC 46 cm at 12 months (366 days: 2024 is a leap year).
    at = months(P1_BIRTH, P1_ADMITTED)
    for name, value in (("growth-wfa", 8.6), ("growth-lhfa", 75.0), ("growth-hcfa", 46.0)):
        chart = draw(world.p1, name)
        assert offsets(one(chart, "growth:points")) == [pytest.approx((at, value))]
    wfa = draw(world.p1, "growth-wfa")
    median = one(wfa, "centile:50")
    # WHO's median for a boy of 12 months is 9.6 kg; the curve is the table's M on day 366.
    assert curve_at(median, at) == pytest.approx(centiles.lms_at("wfa", "male", 366)[1], abs=1e-3)
    assert round(curve_at(median, 12.0), 1) == 9.6
    z = WHO_2006.z_score(Indicator.WFA, Sex.MALE, age_days=366, value=8.6)
    assert f"z {z:+.2f}" in wfa.alt_text and "15th centile" in wfa.alt_text

    # Weight-for-length is drawn against length: 8.6 kg at 75 cm, between the 3rd and 15th.
    wfl = draw(world.p1, "growth-wfl")
    assert offsets(one(wfl, "growth:points")) == [pytest.approx((75.0, 8.6))]
    assert curve_at(one(wfl, "centile:3"), 75.0) < 8.6 < curve_at(one(wfl, "centile:15"), 75.0)
    assert curve_at(one(wfl, "centile:50"), 75.0) == pytest.approx(
        centiles.value_at_centile("wfl", "male", 75.0, 50)
    )

    # Patient 2: girl, 5.6 kg, 60 cm, HC 40.5 cm at 9 months, all below the 3rd centile.
    at = months(P2_BIRTH, P2_ADMITTED)
    for name, value in (("growth-wfa", 5.6), ("growth-lhfa", 60.0), ("growth-hcfa", 40.5)):
        chart = draw(world.p2, name)
        (point,) = offsets(one(chart, "growth:points"))
        assert point == pytest.approx((at, value))
        assert value < curve_at(one(chart, "centile:3"), at)
        assert "<1st centile" in chart.alt_text


def test_patient_2_trajectory_tells_the_paper_s_story(world):
    chart = draw(world.p2, "trajectory")
    drawn = artists(chart)

    # WHO window for sitting, 3.8-9.2 months; Denver II "Sit-No Support" 5.4-6.3-6.8.
    assert span(one(chart, "window:who:sitting_without_support")) == pytest.approx((3.8, 9.2))
    assert span(one(chart, "window:denver:sitting_without_support:25-75")) == pytest.approx(
        (5.4, 6.3)
    )
    assert span(one(chart, "window:denver:sitting_without_support:75-90")) == pytest.approx(
        (6.3, 6.8)
    )
    # Sat at 15, stood with support at 17, words at 18 months: all late, drawn in the late colour.
    for code, age in (
        ("sitting_without_support", 15),
        ("standing_with_assistance", 17),
        ("first_words", 18),
    ):
        marker = one(chart, f"milestone:{code}:attained")
        assert offsets(marker)[0][0] == pytest.approx(age)
        assert to_rgba(marker.get_facecolors()[0]) == to_rgba(style.RED)
    # A term infant: no corrected-age marker anywhere.
    assert not [gid for gid in drawn if gid.endswith(":chronological")]
    # Milestones the paper does not give are not drawn as attained.
    assert "milestone:walking_alone:attained" not in drawn

    # Treatment: daily from the first dose for 7 days, every 2 days for 2 weeks, then monthly,
    # stopped 18 months after the first dose.
    first = months(P2_BIRTH, P2_FIRST_DOSE)
    day = 1 / WHO_DAYS_PER_MONTH
    assert span(one(chart, "phase:1")) == pytest.approx((first, first + 7 * day))
    assert span(one(chart, "phase:2")) == pytest.approx((first + 7 * day, first + 21 * day))
    assert span(one(chart, "phase:3"))[0] == pytest.approx(first + 21 * day)
    assert one(chart, "phase-labels").get_text() == "daily -> every 2 days -> monthly"
    # The same line crosses both panels.
    assert [line.get_xdata()[0] for line in drawn["line:first_dose"]] == pytest.approx(
        [first, first]
    )
    stopped = months(P2_BIRTH, datetime.date(2025, 5, 24))
    assert [line.get_xdata()[0] for line in drawn["line:stop"]] == pytest.approx([stopped, stopped])

    # Tremor from day 3 after the first dose, for 8 days.
    assert span(one(chart, "adverse:1")) == pytest.approx((first + 3 * day, first + 11 * day))
    # MRI: severe atrophy on admission, normal 12 months later.
    mri = {gid.split(":")[1]: one(chart, gid) for gid in drawn if gid.startswith("event:mri")}
    assert offsets(mri["mri_abnormal"])[0][0] == pytest.approx(months(P2_BIRTH, P2_ADMITTED))
    assert offsets(mri["mri_normal"])[0][0] == pytest.approx(21.0, abs=0.05)

    assert "Sits without support at 15 months (late; WHO 99th percentile 9.2)" in chart.alt_text
    assert "Tremor (8 days)" in chart.alt_text
    assert "MRI at 9.0 months: severe cortical atrophy" in chart.alt_text


def test_patient_1_trajectory(world):
    chart = draw(world.p1, "trajectory")
    # Head control at 4 months is within the Denver II limit (Pull to Sit-No Head Lag, p90 6.2).
    head = one(chart, "milestone:head_control:attained")
    assert offsets(head)[0][0] == pytest.approx(4)
    assert to_rgba(head.get_facecolors()[0]) == to_rgba(style.GREEN)
    assert span(one(chart, "window:denver:head_control:75-90")) == pytest.approx((4.1, 6.2))
    for code, age in (("sitting_without_support", 18), ("first_words", 17)):
        assert offsets(one(chart, f"milestone:{code}:attained"))[0][0] == pytest.approx(age)
    first = months(P1_BIRTH, P1_FIRST_DOSE)
    assert span(one(chart, "phase:1")) == pytest.approx((first, first + 14 / WHO_DAYS_PER_MONTH))
    assert one(chart, "phase-labels").get_text() == "daily -> monthly"
    # Still treated: the monthly phase runs to today, not into the planned future.
    assert span(one(chart, "phase:2"))[1] == pytest.approx(months(P1_BIRTH, TODAY))
    assert "adverse:1" not in artists(chart)


def test_denver_sectors_as_reported(world):
    p1 = draw(world.p1, "denver")
    at_three = "2026-09-04"
    for sector in ("language", "fine_motor_adaptive"):
        marker = one(p1, f"denver:status:{sector}:{at_three}")
        assert hollow(marker)  # reported, not scored item by item
        assert offsets(marker)[0][0] == pytest.approx(36.0, abs=0.05)
    assert f"denver:status:gross_motor:{at_three}" not in artists(p1)
    assert one(p1, "denver:no-items")  # no developmental age is invented
    assert "delayed in Fine motor-adaptive, Language" in p1.alt_text

    p2 = draw(world.p2, "denver")
    delayed = {gid.split(":")[2] for gid in artists(p2) if gid.startswith("denver:status:")}
    assert delayed == {"language", "personal_social", "fine_motor_adaptive"}


def test_labs_after_the_first_dose(world):
    chart = draw(world.p1, "labs")
    # "<150 pg/mL" on admission, 5 days before the first dose: an open marker at its limit.
    censored = one(chart, "lab:b12:censored")
    assert offsets(censored) == [pytest.approx((-5, 150))]
    assert hollow(censored)
    assert one(chart, "lab:b12:censored-label").get_text() == "<150 pg/mL"
    # 1068 pg/mL one month after the first dose, above the printed 197-866 range.
    assert offsets(one(chart, "lab:b12:points")) == [pytest.approx((30, 1068))]
    assert y_range(one(chart, "lab:b12:range:1")) == pytest.approx((197, 866))
    assert offsets(one(chart, "lab:haemoglobin:points")) == [
        pytest.approx((-5, 9.6)),
        pytest.approx((30, 10.8)),
    ]
    assert offsets(one(chart, "lab:mcv:points")) == [
        pytest.approx((-5, 87.8)),
        pytest.approx((30, 82)),
    ]
    # Urine MMA was reported in words; homocysteine was never measured.
    assert "high" in one(chart, "lab:mma_serum:words").get_text()
    assert one(chart, "lab:homocysteine:empty")
    # Phases shaded in every panel: daily days 0-13, monthly from day 14.
    phase_1 = artists(chart)["phase:1"]
    assert len(phase_1) == 5
    assert [span(patch) for patch in phase_1] == [pytest.approx((0, 14))] * 5
    assert span(artists(chart)["phase:2"][0])[0] == pytest.approx(14)
    assert "Vitamin B12: <150 pg/mL on day -5 (low); 1068 pg/mL on day 30 (high)" in chart.alt_text

    p2 = draw(world.p2, "labs")
    assert offsets(one(p2, "lab:b12:censored")) == [pytest.approx((-4, 150))]
    assert offsets(one(p2, "lab:haemoglobin:points")) == [pytest.approx((-4, 6.7))]
    assert [span(artists(p2)[f"phase:{n}"][0])[0] for n in (1, 2, 3)] == pytest.approx([0, 7, 21])
    assert "Haemoglobin: 6.7 g/dL on day -4 (low)" in p2.alt_text


def test_a_preterm_infant_is_charted_at_corrected_age(world):
    from patients.services.development import record_milestone
    from patients.services.growth import record_growth
    from tests import factories as f

    # Born at 30+0 weeks: 70 days before term, corrected until 24 months (CLINICAL.md section 6).
    infant = f.InfantFactory(
        clinic=world.clinic,
        sex="male",
        birth_date=datetime.date(2025, 1, 1),
        gestational_age_days=210,
    )
    measured = datetime.date(2025, 7, 1)  # 181 days old, 111 days corrected
    record_growth(
        infant=infant,
        actor=world.staff,
        measured_on=measured,
        weight_kg="6.4",
        length_cm="63.0",
        head_circumference_cm="41.5",
        today=TODAY,
    )
    record_milestone(
        infant=infant,
        actor=world.staff,
        milestone="sitting_without_support",
        source="reported",
        attained_age_months="9",
        today=TODAY,
    )
    wfa = draw(infant, "growth-wfa")
    assert offsets(one(wfa, "growth:points")) == [pytest.approx((111 / WHO_DAYS_PER_MONTH, 6.4))]
    assert offsets(one(wfa, "growth:chronological")) == [
        pytest.approx((181 / WHO_DAYS_PER_MONTH, 6.4))
    ]
    assert "corrected age" in wfa.alt_text

    trajectory = draw(infant, "trajectory")
    corrected = 9 - 70 / WHO_DAYS_PER_MONTH
    assert offsets(one(trajectory, "milestone:sitting_without_support:attained"))[0][0] == (
        pytest.approx(corrected)
    )
    assert offsets(one(trajectory, "milestone:sitting_without_support:chronological"))[0][0] == 9
    assert "born 70 days before term" in trajectory.figure.axes[1].get_title()


def test_a_bare_record_still_charts(world):
    from tests import factories as f

    infant = f.InfantFactory(clinic=world.clinic, sex="other", birth_date=datetime.date(2026, 1, 2))
    for name in INFANT_CHARTS:
        chart = draw(infant, name)
        assert chart.alt_text
        render.figure_bytes(chart, "png")
    assert "No measurements recorded" in draw(infant, "growth-wfa").alt_text
    assert "no results" in draw(infant, "labs").alt_text
