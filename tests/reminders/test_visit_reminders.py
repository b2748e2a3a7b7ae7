"""Visit and lab reminders: booked visits and the monitoring plan's visits reach the guardian."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError

from patients import models as m
from patients.models.reminders import MessageKind, MessageStatus
from patients.models.visits import VisitType
from patients.notifications.render import render
from patients.services.records import void_record
from patients.services.reminders import plan_reminders
from patients.services.visits import book_monitoring_visits, book_visit, reschedule_visit
from tests.reminders import (
    ISTANBUL,
    PATIENT_2_START,
    guardian_of,
    local_plan,
    patient_2,
    start_regimen,
    utc,
)

EVENING = MessageKind.VISIT_EVENING_BEFORE
MORNING = MessageKind.VISIT_MORNING_OF
VISIT_KINDS = (EVENING, MORNING)
BEFORE_DAY_1 = utc(2023, 11, 23, 12, 0)
D = datetime.date


def visit_rows(guardian, *, status=MessageStatus.PENDING):
    return m.PlannedMessage.objects.filter(
        guardian=guardian, kind__in=VISIT_KINDS, status=status
    ).order_by("due_at")


def test_a_booked_visit_is_reminded_the_evening_before_and_the_morning_of(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    visit = book_visit(infant, actor=None, visit_date=D(2023, 12, 12), now=BEFORE_DAY_1)

    plan_reminders(infant, now=BEFORE_DAY_1)

    rows = list(visit_rows(guardian))
    assert local_plan(rows, ISTANBUL) == [
        ("2023-12-11", "19:00", EVENING, "2023-12-12"),
        ("2023-12-12", "08:00", MORNING, "2023-12-12"),
    ]
    assert {row.visit_id for row in rows} == {visit.pk}


def test_any_change_to_a_visit_re_plans_after_commit(
    clinic, staff, django_capture_on_commit_callbacks, time_machine
):
    time_machine.move_to(BEFORE_DAY_1)
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    with django_capture_on_commit_callbacks(execute=True):
        visit = book_visit(infant, actor=staff, visit_date=D(2023, 12, 12))
    assert visit_rows(guardian).count() == 2  # booking alone planned them

    with django_capture_on_commit_callbacks(execute=True):
        reschedule_visit(visit, actor=staff, visit_date=D(2023, 12, 19))
    assert local_plan(visit_rows(guardian), ISTANBUL) == [
        ("2023-12-18", "19:00", EVENING, "2023-12-19"),
        ("2023-12-19", "08:00", MORNING, "2023-12-19"),
    ]
    assert visit_rows(guardian, status=MessageStatus.CANCELLED).count() == 2
    # The guardian hears of the move once, not as two cancellations and two new reminders.
    assert guardian.messages.filter(kind=MessageKind.NEW_PLAN).count() == 1

    with django_capture_on_commit_callbacks(execute=True):
        void_record(visit, actor=staff, reason="booked for the wrong child")
    assert visit_rows(guardian).count() == 0


def test_an_injection_visit_on_a_dose_day_gets_only_the_dose_reminders(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)
    dose_day = D(2023, 11, 25)
    m.Visit.objects.create(infant=infant, visit_type=VisitType.INJECTION, visit_date=dose_day)
    m.Visit.objects.create(
        infant=infant, visit_type=VisitType.PHONE, visit_date=D(2023, 11, 26), reason="call"
    )

    plan_reminders(infant, now=BEFORE_DAY_1)

    assert visit_rows(guardian).count() == 0
    assert guardian.messages.filter(event_on=dose_day, kind__startswith="dose").count() == 2


def test_the_monitoring_plan_books_its_lab_and_development_visits_once(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)
    # Seed 000: the first days' potassium and reticulocyte counts are taken on the ward.
    m.Visit.objects.create(
        infant=infant,
        visit_type=VisitType.ADMISSION,
        visit_date=D(2023, 11, 20),
        discharge_date=D(2023, 12, 4),
    )

    booked = book_monitoring_visits(infant, actor=None, now=BEFORE_DAY_1)

    # CLINICAL.md section 4 from a first dose on 24 November 2023, patient 2 born 20 February
    # 2023: blood count, B12 and folate at 1 month; B12, homocysteine and MMA at 3 months;
    # Denver II at 12, 18, 24 and 36 months on the age-line date.
    assert [(v.visit_date, sorted(v.monitoring_items)) for v in booked] == [
        (D(2023, 12, 24), ["b12_1m", "blood_count_1m", "folate_1m"]),
        (D(2024, 2, 20), ["denver_12m"]),
        (D(2024, 2, 24), ["b12_3m", "homocysteine_3m", "mma_3m"]),
        (D(2024, 8, 20), ["denver_18m"]),
        (D(2025, 2, 20), ["denver_24m"]),
        (D(2026, 2, 20), ["denver_36m"]),
    ]
    assert book_monitoring_visits(infant, actor=None, now=BEFORE_DAY_1) == []

    plan_reminders(infant, now=BEFORE_DAY_1)
    assert local_plan(visit_rows(guardian)[:2], ISTANBUL) == [
        ("2023-12-23", "19:00", EVENING, "2023-12-24"),
        ("2023-12-24", "08:00", MORNING, "2023-12-24"),
    ]


def test_a_booking_avoids_the_clinic_closing_days(clinic):
    infant = patient_2(clinic)
    start_regimen(infant, PATIENT_2_START)
    m.Visit.objects.create(
        infant=infant,
        visit_type=VisitType.ADMISSION,
        visit_date=D(2023, 11, 20),
        discharge_date=D(2023, 12, 4),
    )
    m.ClinicWeeklyClosure.objects.create(clinic=clinic, weekday=7)  # Sundays

    booked = book_monitoring_visits(infant, actor=None, now=BEFORE_DAY_1)

    # 24 December 2023 is a Sunday: the 1-month tests move to Monday, still inside the window.
    assert booked[0].visit_date == D(2023, 12, 25)
    assert all(v.visit_date.isoweekday() != 7 for v in booked)


def test_a_visit_reminder_says_blood_test_but_never_which(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant, language="en")
    start_regimen(infant, PATIENT_2_START)
    book_visit(
        infant,
        actor=None,
        visit_date=D(2023, 12, 24),
        monitoring_items=["b12_1m", "folate_1m"],
        now=BEFORE_DAY_1,
    )
    plan_reminders(infant, now=BEFORE_DAY_1)
    row = visit_rows(guardian).first()

    body = render(row, now=utc(2023, 12, 23, 16, 0)).body

    assert "blood test" in body and "tomorrow" in body
    assert "B12" not in body and "folate" not in body.lower()


def test_a_visit_can_only_be_booked_for_items_of_the_infants_plan(clinic):
    infant = patient_2(clinic)
    start_regimen(infant, PATIENT_2_START)
    with pytest.raises(ValidationError) as error:
        book_visit(
            infant,
            actor=None,
            visit_date=D(2023, 12, 24),
            monitoring_items=["b12_1m", "ferritin_2m"],
            now=BEFORE_DAY_1,
        )
    assert "ferritin_2m" in str(error.value.message_dict["monitoring_items"])
    with pytest.raises(ValidationError) as error:
        book_visit(infant, actor=None, visit_date=D(2023, 11, 1), now=BEFORE_DAY_1)
    assert "visit_date" in error.value.message_dict
    assert not m.Visit.objects.filter(infant=infant).exists()
