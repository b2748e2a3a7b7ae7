"""The closed loop: a dose not recorded by the end of its day is missed, staff see it, the
guardian gets one follow-up; guardians acknowledge only their own reminders."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from patients import models as m
from patients.models.reminders import MessageKind, MessageStatus
from patients.models.treatment import PlannedDoseStatus
from patients.services.reminders import (
    acknowledge_reminder,
    mark_missed_doses,
    messages_for_infant,
    missed_doses_worklist,
    plan_reminders,
)
from patients.services.treatment import record_administration, record_course_event
from tests.reminders import (
    PATIENT_2_START,
    dose_rows,
    guardian_of,
    mark_sent_until,
    patient_2,
    start_regimen,
    utc,
)

# Dose 1 is due on 24 November 2023; its day ends at midnight in Istanbul, 21:00Z.
LAST_MINUTE_OF_DAY_1 = utc(2023, 11, 24, 20, 59)
FIRST_MINUTE_OF_DAY_2 = utc(2023, 11, 24, 21, 1)


@pytest.fixture
def course(clinic):
    infant = patient_2(clinic)
    return start_regimen(infant, PATIENT_2_START)


@pytest.fixture
def guardian(course):
    return guardian_of(course.infant, email="anne@example.org")


def dose(course, number):
    return course.planned_doses.get(number=number, status__in=["planned", "missed", "given"])


def follow_ups():
    return m.PlannedMessage.objects.filter(kind=MessageKind.MISSED_DOSE)


def test_a_dose_is_missed_only_once_its_day_has_ended_in_the_clinic(course, guardian):
    assert mark_missed_doses(now=LAST_MINUTE_OF_DAY_1) == 0
    assert dose(course, 1).status == PlannedDoseStatus.PLANNED

    assert mark_missed_doses(now=FIRST_MINUTE_OF_DAY_2) == 1

    missed = dose(course, 1)
    assert missed.status == PlannedDoseStatus.MISSED
    assert dose(course, 2).status == PlannedDoseStatus.PLANNED
    assert missed.history.first().history_change_reason.startswith("missed")


def test_the_guardian_gets_one_follow_up_per_channel_however_often_the_job_runs(course, guardian):
    mark_missed_doses(now=FIRST_MINUTE_OF_DAY_2)
    assert mark_missed_doses(now=FIRST_MINUTE_OF_DAY_2 + datetime.timedelta(minutes=5)) == 0

    assert sorted(follow_ups().values_list("guardian", "channel", "planned_dose")) == [
        (guardian.pk, "email", dose(course, 1).pk),
        (guardian.pk, "sms", dose(course, 1).pk),
    ]
    # 00:01 is inside the guardian's quiet hours (22:00-07:00): the follow-up waits for 07:00.
    assert set(follow_ups().values_list("due_at", flat=True)) == {utc(2023, 11, 25, 4)}


def test_a_recorded_dose_is_not_missed(course, guardian, staff):
    record_administration(dose(course, 1), actor=staff, given_on=PATIENT_2_START, location="clinic")

    assert mark_missed_doses(now=FIRST_MINUTE_OF_DAY_2) == 0
    assert not follow_ups().exists()


def test_no_follow_up_without_consent_and_none_for_doses_long_past(clinic, staff):
    infant = patient_2(clinic)
    course = start_regimen(infant, PATIENT_2_START)
    guardian_of(infant, consent=False)
    with_consent = guardian_of(infant)

    # Four days later: doses 1-4 are missed; the family hears only about the last two days.
    assert mark_missed_doses(now=utc(2023, 11, 27, 21, 1)) == 4

    assert sorted(follow_ups().values_list("guardian", "event_on")) == [
        (with_consent.pk, datetime.date(2023, 11, 26)),
        (with_consent.pk, datetime.date(2023, 11, 27)),
    ]
    assert course.planned_doses.filter(status="missed").count() == 4


def test_staff_see_missed_doses_of_their_own_clinic_newest_first(
    course, guardian, staff, other_staff, django_assert_num_queries
):
    mark_missed_doses(now=utc(2023, 11, 25, 21, 1))

    # One query: the doses with their infant, scoped to the user's clinics in a subquery.
    with django_assert_num_queries(1):
        worklist = [(d.number, d.course.infant.record_number) for d in missed_doses_worklist(staff)]
    assert worklist == [(2, "S000-P2"), (1, "S000-P2")]
    assert not missed_doses_worklist(other_staff).exists()


def test_a_missed_dose_leaves_the_worklist_once_staff_act_on_it(course, guardian, staff):
    mark_missed_doses(now=utc(2023, 11, 25, 21, 1))

    record_administration(
        dose(course, 1), actor=staff, given_on=datetime.date(2023, 11, 26), location="clinic"
    )
    record_course_event(course, actor=staff, kind="missed", on=datetime.date(2023, 11, 25))

    assert not missed_doses_worklist(staff).exists()


@pytest.fixture
def sent_reminder(course, guardian):
    plan_reminders(course.infant, now=utc(2023, 11, 23, 12))
    mark_sent_until(course.infant, utc(2023, 11, 23, 16))
    return dose_rows(guardian, status=MessageStatus.SENT).get()


def test_a_guardian_acknowledges_a_reminder_and_the_first_time_is_kept(sent_reminder, guardian):
    first = utc(2023, 11, 23, 16, 5)
    acknowledge_reminder(sent_reminder, guardian_user=guardian.user, now=first)
    again = acknowledge_reminder(
        sent_reminder, guardian_user=guardian.user, now=first + datetime.timedelta(hours=1)
    )

    assert again.acknowledged_at == first


def test_a_guardian_cannot_acknowledge_another_guardians_reminder(sent_reminder, course):
    stranger = guardian_of(course.infant, phone="+905320000009")

    with pytest.raises(PermissionDenied):
        acknowledge_reminder(sent_reminder, guardian_user=stranger.user, now=utc(2023, 11, 24))

    sent_reminder.refresh_from_db()
    assert sent_reminder.acknowledged_at is None


def test_a_reminder_not_yet_sent_cannot_be_acknowledged(sent_reminder, guardian):
    pending = dose_rows(guardian).first()
    with pytest.raises(ValidationError):
        acknowledge_reminder(pending, guardian_user=guardian.user, now=utc(2023, 11, 23, 17))


def test_staff_see_every_message_of_an_infant_with_status_and_provider_id(
    sent_reminder, course, django_assert_num_queries
):
    m.PlannedMessage.objects.filter(pk=sent_reminder.pk).update(provider_message_id="SM123")

    with django_assert_num_queries(1):
        rows = {
            r.pk: (r.status, r.attempts, r.provider_message_id, r.guardian.user.username)
            for r in messages_for_infant(course.infant)
        }
    assert rows[sent_reminder.pk] == ("sent", 1, "SM123", sent_reminder.guardian.user.username)
    assert len(rows) == m.PlannedMessage.objects.filter(infant=course.infant).count()
    assert {status for status, *_ in rows.values()} == {"sent", "pending"}


def test_doses_of_a_child_no_longer_in_follow_up_are_not_marked_missed(course, guardian):
    m.Infant.objects.filter(pk=course.infant_id).update(follow_up_status="transferred")

    assert mark_missed_doses(now=FIRST_MINUTE_OF_DAY_2) == 0
    assert not follow_ups().exists()
