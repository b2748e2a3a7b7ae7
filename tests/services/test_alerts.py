"""Alerts raised from the record: the safety rules of CLINICAL.md section 4 and overdue monitoring.

The timeline is seed 000's patient 2 (as patients/services/demo.py tells it): admitted at 9 months
on 20 November 2023 with Hb 6.7 g/dL, first dose of hydroxocobalamin on hospital day 5
(24 November), tremor on hospital day 8, i.e. day 3 after the first dose, lasting 8 days.
Every refresh is given an explicit `now`; the clinic is in Europe/Istanbul (UTC+3, no DST).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from patients import models as m
from patients.services.alerts import (
    acknowledge_alert,
    open_alerts_for,
    refresh_alerts,
    refresh_alerts_for_followed_infants,
    refresh_alerts_of,
)
from patients.services.records import create_record, update_record, void_record
from patients.services.regimens import start_course_from_regimen, sync_shipped_regimens
from patients.services.treatment import record_administration
from tests import factories as f

ISTANBUL = ZoneInfo("Europe/Istanbul")
BIRTH = datetime.date(2023, 2, 20)
ADMITTED = datetime.date(2023, 11, 20)
FIRST_DOSE_DAY = datetime.date(2023, 11, 24)
FIRST_DOSE_AT = datetime.datetime(2023, 11, 24, 10, 0, tzinfo=ISTANBUL)
HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)


def local(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=ISTANBUL)


@pytest.fixture
def patient_2(clinic):
    sync_shipped_regimens()
    return f.InfantFactory(clinic=clinic, birth_date=BIRTH, given_name="Elif", sex="female")


def start_b12(infant: m.Infant, actor: m.User, on: datetime.date = FIRST_DOSE_DAY):
    regimen = m.Regimen.objects.get(clinic=None, key="seed-000-patient-2", version=1)
    return start_course_from_regimen(
        infant=infant, actor=actor, regimen=regimen, started_on=on, today=on
    )


def give_first_dose(course, actor, *, at: datetime.datetime | None = None):
    planned = course.planned_doses.get(number=1)
    given = record_administration(planned, actor=actor, given_on=planned.due_on, location="ward")
    if at is not None:
        update_record(given, actor=actor, given_at=at)
    return given


def lab(infant, analyte, on, value, unit, *, at: datetime.time | None = None, comparator=""):
    return create_record(
        m.LabResult,
        actor=None,
        infant=infant,
        analyte=analyte,
        collected_on=on,
        collected_time=at,
        value=Decimal(value),
        unit=unit,
        comparator=comparator,
    )


def folic_acid(infant, on: datetime.date):
    return create_record(
        m.TreatmentCourse,
        actor=None,
        infant=infant,
        drug="folic_acid",
        route="oral",
        dose=Decimal("1"),
        dose_unit="mg",
        started_on=on,
    )


def open_codes(infant) -> dict[str, m.Alert]:
    return {a.code: a for a in open_alerts_for(infant)}


# --------------------------------------------------------------------------------------------
# Folic acid before B12
# --------------------------------------------------------------------------------------------


def test_folic_acid_started_before_b12_raises_the_folic_acid_alert(patient_2, staff):
    folic_acid(patient_2, ADMITTED + DAY)

    refresh_alerts(patient_2, now=local(ADMITTED + 2 * DAY))
    before_b12 = open_codes(patient_2)["folic_acid_before_b12"]
    assert before_b12.severity == "urgent"
    assert "no B12 course recorded" in before_b12.evidence

    start_b12(patient_2, staff)
    refresh_alerts(patient_2, now=local(FIRST_DOSE_DAY + DAY))

    # The same alert, re-worded now that B12 runs; history keeps what it said before.
    after_b12 = open_codes(patient_2)["folic_acid_before_b12"]
    assert after_b12.pk == before_b12.pk
    assert after_b12.severity == "warning"
    assert after_b12.message == "Folic acid was started before B12 treatment."
    assert "first B12 course starts 2023-11-24" in after_b12.evidence
    assert before_b12.message in {h.message for h in after_b12.history.all()}
    assert after_b12.rules_version


def test_folic_acid_started_with_b12_raises_nothing(patient_2, staff):
    start_b12(patient_2, staff)
    folic_acid(patient_2, FIRST_DOSE_DAY)

    refresh_alerts(patient_2, now=local(FIRST_DOSE_DAY + DAY))

    assert "folic_acid_before_b12" not in open_codes(patient_2)


def test_a_voided_folic_acid_course_no_longer_raises_and_its_alert_is_resolved(patient_2, staff):
    course = folic_acid(patient_2, ADMITTED)
    refresh_alerts(patient_2, now=local(ADMITTED + DAY))
    raised = open_codes(patient_2)["folic_acid_before_b12"]

    void_record(course, actor=staff, reason="Entered for the wrong infant")
    now = local(ADMITTED + 2 * DAY)
    refresh_alerts(patient_2, now=now)

    raised.refresh_from_db()
    assert raised.resolved_at == now
    assert "folic_acid_before_b12" not in open_codes(patient_2)
    assert m.Alert.objects.filter(pk=raised.pk).exists()


# --------------------------------------------------------------------------------------------
# Potassium within 48 hours of the first dose
# --------------------------------------------------------------------------------------------


@pytest.fixture
def anaemic_and_treated(patient_2, staff):
    """Seed 000 patient 2: Hb 6.7 g/dL on admission, first dose at 10:00 on hospital day 5."""
    lab(patient_2, "haemoglobin", ADMITTED, "6.7", "g/dL")
    course = start_b12(patient_2, staff)
    give_first_dose(course, staff, at=FIRST_DOSE_AT)
    return patient_2


def test_potassium_is_due_within_48_hours_then_missed_then_resolved_by_a_result(
    anaemic_and_treated, staff
):
    infant = anaemic_and_treated

    refresh_alerts(infant, now=FIRST_DOSE_AT + 6 * HOUR)
    due = open_codes(infant)["potassium_due"]
    assert due.severity == "warning"
    assert "2023-11-26 10:00" in due.message
    assert any("haemoglobin 6.7 g/dL" in line for line in due.evidence)

    missed_at = FIRST_DOSE_AT + 49 * HOUR
    refresh_alerts(infant, now=missed_at)
    due.refresh_from_db()
    assert due.resolved_at == missed_at
    missed = open_codes(infant)["potassium_missed"]
    assert missed.severity == "urgent"
    # One fact, one alert: the monitoring plan's potassium item is not raised beside it.
    assert "monitoring_overdue:potassium_48h" not in open_codes(infant)

    # Drawn at 09:30 clinic time on day 2 (06:30 UTC): inside the 48 hours. Read as UTC it would
    # be 12:30 clinic time, after the deadline, and the alert would stay.
    lab(infant, "potassium", datetime.date(2023, 11, 26), "3.1", "mmol/L", at=datetime.time(9, 30))
    resolved_at = FIRST_DOSE_AT + 50 * HOUR
    refresh_alerts(infant, now=resolved_at)

    missed.refresh_from_db()
    assert missed.resolved_at == resolved_at
    assert not {"potassium_due", "potassium_missed"} & set(open_codes(infant))


def test_a_potassium_drawn_before_the_first_dose_does_not_count(anaemic_and_treated):
    infant = anaemic_and_treated
    lab(infant, "potassium", FIRST_DOSE_DAY, "4.2", "mmol/L", at=datetime.time(8, 0))

    refresh_alerts(infant, now=FIRST_DOSE_AT + 3 * HOUR)

    assert "potassium_due" in open_codes(infant)


def test_potassium_rule_waits_for_severe_anaemia_and_monitoring_covers_the_rest(patient_2, staff):
    lab(patient_2, "haemoglobin", ADMITTED, "10.2", "g/dL")
    give_first_dose(start_b12(patient_2, staff), staff, at=FIRST_DOSE_AT)

    refresh_alerts(patient_2, now=FIRST_DOSE_AT + 49 * HOUR)

    codes = open_codes(patient_2)
    assert not {"potassium_due", "potassium_missed"} & set(codes)
    assert codes["monitoring_overdue:potassium_48h"].severity == "warning"


@pytest.mark.parametrize(
    ("collected_on", "collected_at", "counts"),
    [
        # The dose's time is unknown, so a same-day sample may be the pre-dose baseline.
        (FIRST_DOSE_DAY, None, False),
        (FIRST_DOSE_DAY, datetime.time(23, 0), False),
        # The whole next day is certainly within 48 hours of any time on the dose day.
        (FIRST_DOSE_DAY + DAY, None, True),
        (FIRST_DOSE_DAY + DAY, datetime.time(7, 0), True),
        # Day 2 may already be past 48 hours when the dose was given early on day 0.
        (FIRST_DOSE_DAY + 2 * DAY, None, False),
    ],
    ids=["same-day-no-time", "same-day-23h", "next-day-no-time", "next-day-7h", "day-2-no-time"],
)
def test_without_recorded_times_a_potassium_counts_only_when_certainly_in_the_window(
    patient_2, staff, collected_on, collected_at, counts
):
    lab(patient_2, "haemoglobin", ADMITTED, "6.7", "g/dL")
    give_first_dose(start_b12(patient_2, staff), staff)  # given_on only, as the dose log records
    lab(patient_2, "potassium", collected_on, "3.8", "mmol/L", at=collected_at)

    refresh_alerts(patient_2, now=local(FIRST_DOSE_DAY + 3 * DAY))

    missed = open_codes(patient_2).get("potassium_missed")
    assert (missed is None) is counts
    if missed is not None:
        # An unknown dose time is read as the start of its clinic day: the deadline shown is
        # never later than the true one.
        assert "2023-11-26 00:00" in missed.message


# --------------------------------------------------------------------------------------------
# Involuntary movements after the first dose
# --------------------------------------------------------------------------------------------


def test_seed_000_tremor_on_day_3_raises_the_involuntary_movement_alert(patient_2, staff):
    course = start_b12(patient_2, staff)
    give_first_dose(course, staff)
    onset = FIRST_DOSE_DAY + 3 * DAY  # hospital day 8
    tremor = create_record(
        m.AdverseEvent,
        actor=staff,
        infant=patient_2,
        course=course,
        event_type="tremor",
        onset_on=onset,
        description="Coarse tremors after the start of vitamin B12 treatment.",
    )

    refresh_alerts(patient_2, now=local(onset + DAY))
    alert = open_codes(patient_2)["involuntary_movements"]
    assert alert.message.startswith("Tremor from day 3 after the first dose. Ongoing for 1 day.")
    assert alert.evidence[:2] == ["first dose 2023-11-24", "tremor onset 2023-11-27"]
    assert alert.severity == "warning"

    update_record(tremor, actor=staff, resolved_on=onset + 8 * DAY)
    refresh_alerts(patient_2, now=local(onset + 9 * DAY))

    alert.refresh_from_db()
    assert alert.resolved_at is None
    assert "Resolved after 8 days." in alert.message


def test_two_episodes_make_one_alert_telling_both(patient_2, staff):
    give_first_dose(start_b12(patient_2, staff), staff)
    for kind, onset, resolved in (
        ("tremor", FIRST_DOSE_DAY + 3 * DAY, FIRST_DOSE_DAY + 11 * DAY),
        ("myoclonus", FIRST_DOSE_DAY + 14 * DAY, None),
    ):
        create_record(
            m.AdverseEvent,
            actor=staff,
            infant=patient_2,
            event_type=kind,
            onset_on=onset,
            resolved_on=resolved,
        )

    refresh_alerts(patient_2, now=local(FIRST_DOSE_DAY + 15 * DAY))

    alert = open_codes(patient_2)["involuntary_movements"]
    assert [line.split(".")[0] for line in alert.message.splitlines()] == [
        "Tremor from day 3 after the first dose",
        "Myoclonus from day 14 after the first dose",
    ]
    assert "myoclonus onset 2023-12-08" in alert.evidence


def test_a_voided_tremor_raises_nothing(patient_2, staff):
    course = start_b12(patient_2, staff)
    give_first_dose(course, staff)
    tremor = create_record(
        m.AdverseEvent,
        actor=staff,
        infant=patient_2,
        event_type="tremor",
        onset_on=FIRST_DOSE_DAY + 3 * DAY,
    )
    void_record(tremor, actor=staff, reason="Recorded on the wrong infant")

    refresh_alerts(patient_2, now=local(FIRST_DOSE_DAY + 4 * DAY))

    assert "involuntary_movements" not in open_codes(patient_2)


# --------------------------------------------------------------------------------------------
# Overdue monitoring
# --------------------------------------------------------------------------------------------


def test_no_b12_at_3_months_raises_monitoring_overdue_and_a_result_resolves_it(patient_2, staff):
    # No dose recorded: the plan runs from the first planned dose (24 November 2023), so the
    # 3-month B12 is due 24 February 2024, give or take 7 days (17 February to 2 March).
    start_b12(patient_2, staff)

    refresh_alerts(patient_2, now=local(datetime.date(2024, 3, 2), 23))
    assert "monitoring_overdue:b12_3m" not in open_codes(patient_2)

    refresh_alerts(patient_2, now=local(datetime.date(2024, 3, 3), 9))
    overdue = open_codes(patient_2)["monitoring_overdue:b12_3m"]
    assert overdue.severity == "warning"
    assert "vitamin B12 at 3 months" in overdue.message
    assert "no B12 recorded in the window" in overdue.evidence

    lab(patient_2, "b12", datetime.date(2024, 2, 26), "412", "pg/mL")
    refresh_alerts(patient_2, now=local(datetime.date(2024, 3, 4)))

    overdue.refresh_from_db()
    assert overdue.resolved_at is not None
    assert "monitoring_overdue:b12_3m" not in open_codes(patient_2)


def test_overdue_monitoring_is_not_raised_once_follow_up_has_ended(patient_2, staff):
    start_b12(patient_2, staff)
    update_record(patient_2, actor=staff, follow_up_status="transferred")

    refresh_alerts(patient_2, now=local(datetime.date(2024, 3, 3)))

    assert not [c for c in open_codes(patient_2) if c.startswith("monitoring_overdue:")]


# --------------------------------------------------------------------------------------------
# Storing, acknowledging
# --------------------------------------------------------------------------------------------


def test_refreshing_twice_creates_no_duplicate_and_no_empty_history(anaemic_and_treated):
    infant = anaemic_and_treated
    folic_acid(infant, ADMITTED)
    now = FIRST_DOSE_AT + 49 * HOUR

    first = refresh_alerts(infant, now=now)
    history = m.Alert.history.count()
    second = refresh_alerts(infant, now=now)

    assert {a.pk for a in second} == {a.pk for a in first}
    assert m.Alert.objects.filter(infant=infant).count() == len(first)
    assert m.Alert.history.count() == history
    # Most severe first: the missed potassium, then the warnings (folic acid, overdue items).
    assert second[0].code == "potassium_missed"
    rank = {"urgent": 0, "warning": 1, "info": 2}
    assert [rank[a.severity] for a in second] == sorted(rank[a.severity] for a in second)


def test_refresh_returns_the_open_alerts_and_accepts_a_utc_now(anaemic_and_treated):
    now = (FIRST_DOSE_AT + 6 * HOUR).astimezone(datetime.UTC)

    returned = refresh_alerts(anaemic_and_treated, now=now)

    assert {a.pk for a in returned} == set(
        open_alerts_for(anaemic_and_treated).values_list("pk", flat=True)
    )
    assert all(a.raised_at == now for a in returned)


def test_refresh_needs_an_aware_now(patient_2):
    with pytest.raises(ValueError, match="aware"):
        refresh_alerts(patient_2, now=datetime.datetime(2023, 11, 24, 12))


def test_alerts_of_another_infant_are_left_alone(anaemic_and_treated, other_infant):
    folic_acid(other_infant, datetime.date(2024, 6, 1))
    refresh_alerts(other_infant, now=local(datetime.date(2024, 6, 2)))

    refresh_alerts(anaemic_and_treated, now=FIRST_DOSE_AT + 6 * HOUR)

    assert "folic_acid_before_b12" in open_codes(other_infant)
    assert "folic_acid_before_b12" not in open_codes(anaemic_and_treated)


def test_a_voided_infant_raises_nothing_and_its_alerts_are_resolved(anaemic_and_treated, lead):
    refresh_alerts(anaemic_and_treated, now=FIRST_DOSE_AT + 6 * HOUR)
    assert open_codes(anaemic_and_treated)

    void_record(anaemic_and_treated, actor=lead, reason="Duplicate registration")
    refresh_alerts(anaemic_and_treated, now=FIRST_DOSE_AT + 7 * HOUR)

    assert not open_codes(anaemic_and_treated)


def test_acknowledge_records_who_and_keeps_the_first(anaemic_and_treated, staff, lead):
    refresh_alerts(anaemic_and_treated, now=FIRST_DOSE_AT + 6 * HOUR)
    alert = open_codes(anaemic_and_treated)["potassium_due"]
    seen_at = FIRST_DOSE_AT + 7 * HOUR

    acknowledge_alert(alert, actor=staff, now=seen_at)
    again = acknowledge_alert(alert, actor=lead, now=seen_at + HOUR)

    assert (again.acknowledged_by, again.acknowledged_at) == (staff, seen_at)
    acknowledged = again.history.filter(history_change_reason="acknowledged")
    assert [(h.history_user, h.acknowledged_by_id) for h in acknowledged] == [(staff, staff.pk)]
    # Acknowledging is not resolving: the rule still applies.
    assert again.resolved_at is None


def test_a_resolved_alert_can_be_acknowledged_and_stays_resolved(anaemic_and_treated, staff):
    refresh_alerts(anaemic_and_treated, now=FIRST_DOSE_AT + 6 * HOUR)
    alert = open_codes(anaemic_and_treated)["potassium_due"]
    resolved_at = FIRST_DOSE_AT + 49 * HOUR
    refresh_alerts(anaemic_and_treated, now=resolved_at)

    alert = acknowledge_alert(alert, actor=staff, now=resolved_at + HOUR)

    assert alert.acknowledged_by == staff
    assert alert.resolved_at == resolved_at


# --------------------------------------------------------------------------------------------
# Many infants together
# --------------------------------------------------------------------------------------------


def test_infants_refreshed_together_get_the_alerts_each_gets_alone(clinic, staff):
    """The periodic pass and a batch of courses refresh infants together, reading each table once
    for all of them: each infant must get exactly the alerts it gets when refreshed alone, in a
    number of queries that does not grow with the infants."""
    sync_shipped_regimens()
    severe = f.InfantFactory(clinic=clinic, birth_date=BIRTH, given_name="Elif")
    lab(severe, "haemoglobin", ADMITTED, "6.7", "g/dL")
    give_first_dose(start_b12(severe, staff), staff, at=FIRST_DOSE_AT)
    lab(severe, "potassium", FIRST_DOSE_DAY + DAY, "3.1", "mmol/L", at=datetime.time(9))
    create_record(
        m.AdverseEvent,
        actor=None,
        infant=severe,
        event_type="tremor",
        onset_on=FIRST_DOSE_DAY + 3 * DAY,
        severity="mild",
    )
    folate_first = f.InfantFactory(clinic=clinic, birth_date=BIRTH, given_name="Can")
    folic_acid(folate_first, ADMITTED)
    start_b12(folate_first, staff, on=FIRST_DOSE_DAY + 2 * DAY)
    untreated = f.InfantFactory(clinic=clinic, birth_date=BIRTH, given_name="Ada")
    late = f.InfantFactory(clinic=clinic, birth_date=BIRTH, given_name="Deniz")
    give_first_dose(start_b12(late, staff), staff)
    now = local(FIRST_DOSE_DAY + 60 * DAY)
    infants = [severe, folate_first, untreated, late]

    def alerts(refreshed):
        return {
            pk: [(a.code, a.severity, a.message, a.evidence) for a in rows]
            for pk, rows in refreshed.items()
        }

    alone = {}
    for infant in infants:
        alone[infant.pk] = refresh_alerts(infant, now=now)
    alone = alerts(alone)
    for infant in infants:  # back to nothing open, so the batch raises them all again
        m.Alert.objects.filter(infant=infant).update(resolved_at=now)

    together = alerts(refresh_alerts_of([i.pk for i in infants], now=now))

    assert together == alone
    codes = {pk: {code for code, *_ in rows} for pk, rows in alone.items()}
    # Each infant's own facts: the tremor and the potassium in time are the first infant's alone,
    # and the folic acid the second's; reading them together must not lend them to another.
    assert "involuntary_movements_persisting" in codes[severe.pk]
    assert "monitoring_overdue:potassium_48h" not in codes[severe.pk]
    assert "monitoring_overdue:potassium_48h" in codes[late.pk]
    assert "involuntary_movements_persisting" not in codes[late.pk]
    assert "folic_acid_before_b12" in codes[folate_first.pk]
    assert "folic_acid_before_b12" not in codes[late.pk]
    assert codes[untreated.pk] == set()

    # Queries: the same for two infants as for four once nothing is left to write.
    with CaptureQueriesContext(connection) as two:
        refresh_alerts_of([severe.pk, late.pk], now=now)
    with CaptureQueriesContext(connection) as four:
        refresh_alerts_of([i.pk for i in infants], now=now)
    assert len(two) == len(four)


def test_the_periodic_pass_refreshes_every_followed_infant_in_chunks(clinic, staff):
    sync_shipped_regimens()
    followed = []
    for n in range(5):
        infant = f.InfantFactory(clinic=clinic, birth_date=BIRTH, given_name=f"Followed {n}")
        give_first_dose(start_b12(infant, staff), staff)
        followed.append(infant)
    transferred = f.InfantFactory(clinic=clinic, birth_date=BIRTH, follow_up_status="transferred")
    give_first_dose(start_b12(transferred, staff), staff)
    now = local(FIRST_DOSE_DAY + 60 * DAY)

    # Five infants in chunks of two: two full chunks and the last one alone.
    assert refresh_alerts_for_followed_infants(now=now, chunk=2) == 5

    for infant in followed:
        assert "monitoring_overdue:potassium_48h" in open_codes(infant)
    assert open_codes(transferred) == {}
