"""Planning reminder rows: local times, quiet hours, consent, re-plans and the one "new plan"."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import IntegrityError, transaction

from patients import models as m
from patients.models.reminders import MessageKind, MessageStatus
from patients.models.treatment import PlannedDoseStatus
from patients.models.visits import VisitType
from patients.services.reminders import (
    PlanResult,
    plan_reminders,
    plan_reminders_for,
    replan_after_change,
    update_reminder_preferences,
    withdraw_reminder_consent,
)
from patients.services.reminders.planning import after_quiet_hours
from patients.services.treatment import record_course_event
from patients.services.visits import book_visit
from tests.factories import InfantFactory
from tests.reminders import (
    BERLIN,
    ISTANBUL,
    PATIENT_2_BIRTH,
    PATIENT_2_START,
    dose_rows,
    guardian_of,
    local_plan,
    mark_sent_until,
    patient_2,
    start_regimen,
    utc,
)

EVENING = MessageKind.DOSE_EVENING_BEFORE
MORNING = MessageKind.DOSE_MORNING_OF
# The day before the first dose, 15:00 in Istanbul (UTC+3 all year since 2016).
BEFORE_DAY_1 = utc(2023, 11, 23, 12, 0)

T = datetime.time


# --- pure rule: quiet hours ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wall", "start", "end", "expected"),
    [
        # The default night crosses midnight: late evening waits for the next morning...
        ("2024-03-01 23:00", T(22), T(7), "2024-03-02 07:00"),
        ("2024-03-01 22:00", T(22), T(7), "2024-03-02 07:00"),
        # ...and small hours wait for the same morning.
        ("2024-03-02 05:00", T(22), T(7), "2024-03-02 07:00"),
        ("2024-03-02 00:01", T(22), T(7), "2024-03-02 07:00"),
        # The bounds: quiet hours end at 07:00 and start at 22:00.
        ("2024-03-02 07:00", T(22), T(7), "2024-03-02 07:00"),
        ("2024-03-01 21:59", T(22), T(7), "2024-03-01 21:59"),
        # A siesta window that does not cross midnight.
        ("2024-03-01 14:00", T(13), T(15), "2024-03-01 15:00"),
        ("2024-03-01 12:59", T(13), T(15), "2024-03-01 12:59"),
        # No window at all.
        ("2024-03-01 23:00", None, T(7), "2024-03-01 23:00"),
        ("2024-03-01 23:00", T(7), T(7), "2024-03-01 23:00"),
    ],
)
def test_a_time_inside_quiet_hours_waits_for_their_end(wall, start, end, expected):
    parse = datetime.datetime.fromisoformat
    assert after_quiet_hours(parse(wall), start=start, end=end) == parse(expected)


# --- seed 000, patient 2 -------------------------------------------------------------------------


def test_seed_000_patient_2_plan_for_a_guardian_in_istanbul(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)

    result = plan_reminders(infant, now=BEFORE_DAY_1)

    rows = list(dose_rows(guardian))
    # Days 1-7 daily, then every 2 days from day 9 (CLINICAL.md section 3). At 15:00 the evening
    # reminder for day 1 (19:00 today) is still ahead, so it is planned.
    assert local_plan(rows[:18], ISTANBUL) == [
        ("2023-11-23", "19:00", EVENING, "2023-11-24"),
        ("2023-11-24", "08:00", MORNING, "2023-11-24"),
        ("2023-11-24", "19:00", EVENING, "2023-11-25"),
        ("2023-11-25", "08:00", MORNING, "2023-11-25"),
        ("2023-11-25", "19:00", EVENING, "2023-11-26"),
        ("2023-11-26", "08:00", MORNING, "2023-11-26"),
        ("2023-11-26", "19:00", EVENING, "2023-11-27"),
        ("2023-11-27", "08:00", MORNING, "2023-11-27"),
        ("2023-11-27", "19:00", EVENING, "2023-11-28"),
        ("2023-11-28", "08:00", MORNING, "2023-11-28"),
        ("2023-11-28", "19:00", EVENING, "2023-11-29"),
        ("2023-11-29", "08:00", MORNING, "2023-11-29"),
        ("2023-11-29", "19:00", EVENING, "2023-11-30"),
        ("2023-11-30", "08:00", MORNING, "2023-11-30"),
        # Day 8 has no dose: the next reminder is the evening before day 9.
        ("2023-12-01", "19:00", EVENING, "2023-12-02"),
        ("2023-12-02", "08:00", MORNING, "2023-12-02"),
        ("2023-12-03", "19:00", EVENING, "2023-12-04"),
        ("2023-12-04", "08:00", MORNING, "2023-12-04"),
    ]
    # Stored in UTC: Istanbul is UTC+3, so 19:00 is 16:00Z and 08:00 is 05:00Z.
    assert [row.due_at for row in rows[:4]] == [
        utc(2023, 11, 23, 16),
        utc(2023, 11, 24, 5),
        utc(2023, 11, 24, 16),
        utc(2023, 11, 25, 5),
    ]
    # Then the monthly phase, on the 14th, to the planning horizon: two reminders per dose.
    doses = m.PlannedDose.objects.filter(course__infant=infant, status=PlannedDoseStatus.PLANNED)
    assert local_plan(rows[28:30], ISTANBUL) == [
        ("2024-01-13", "19:00", EVENING, "2024-01-14"),
        ("2024-01-14", "08:00", MORNING, "2024-01-14"),
    ]
    assert len(rows) == 2 * doses.count()
    assert result == PlanResult(created=len(rows), cancelled=0, moved=0, announced=0)
    assert all(row.planned_dose.due_on == row.event_on for row in rows)


def test_an_evening_reminder_already_past_is_not_planned(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)

    plan_reminders(infant, now=utc(2023, 11, 23, 17, 0))  # 20:00 in Istanbul

    assert local_plan(dose_rows(guardian)[:2], ISTANBUL) == [
        ("2023-11-24", "08:00", MORNING, "2023-11-24"),
        ("2023-11-24", "19:00", EVENING, "2023-11-25"),
    ]


def test_infants_planned_together_get_the_rows_each_gets_alone(clinic):
    # Planning many infants together works each send time out once for all the guardians who
    # keep the same clock; every guardian must still get exactly their own reminders.
    infants = [InfantFactory(clinic=clinic, birth_date=PATIENT_2_BIRTH) for _ in range(6)]
    istanbul = guardian_of(infants[0], phone="+905320000010")
    guardian_of(infants[1], phone="+905320000011", email="anne@example.org")
    guardian_of(infants[2], time_zone="Europe/Berlin", phone="+4915100000000")
    guardian_of(
        infants[3],
        phone="+905320000013",
        evening_reminder_at=None,
        morning_reminder_at=T(14),
        quiet_hours_start=T(13),
        quiet_hours_end=T(15),
    )
    guardian_of(infants[4], phone="+905320000014", evening_reminder_at=T(23))
    # Twins: one guardian, both infants, and a second guardian for one of them.
    m.InfantGuardian.objects.create(infant=infants[5], guardian=istanbul, relationship="mother")
    guardian_of(infants[5], phone="", email="baba@example.org")
    for infant in infants:
        start_regimen(infant, PATIENT_2_START)
    day_9 = PATIENT_2_START + datetime.timedelta(days=8)
    for infant in infants[::2]:
        # An injection on a dose day is that dose's visit; an outpatient visit has its own.
        book_visit(
            infant,
            actor=None,
            visit_date=day_9,
            visit_type=VisitType.INJECTION,
            now=BEFORE_DAY_1,
        )
        book_visit(
            infant, actor=None, visit_date=day_9 + datetime.timedelta(days=1), now=BEFORE_DAY_1
        )

    def rows() -> list[tuple]:
        return sorted(
            m.PlannedMessage.objects.filter(infant__in=infants).values_list(
                "slot_key",
                "guardian",
                "infant",
                "planned_dose",
                "visit",
                "kind",
                "channel",
                "due_at",
                "event_on",
                "status",
            )
        )

    together = plan_reminders_for([i.pk for i in infants], now=BEFORE_DAY_1)
    planned_together = rows()
    m.PlannedMessage.objects.filter(infant__in=infants).delete()
    alone = {infant.pk: plan_reminders(infant, now=BEFORE_DAY_1) for infant in infants}

    assert rows() == planned_together
    assert together == alone
    # Six clocks, two channels, doses and visits: the comparison covers them all.
    assert {row[6] for row in planned_together} == {"sms", "email"}
    assert {row[5] for row in planned_together} == {
        EVENING,
        MORNING,
        MessageKind.VISIT_EVENING_BEFORE,
        MessageKind.VISIT_MORNING_OF,
    }
    assert len({row[7].time() for row in planned_together}) >= 5


def test_a_guardian_in_berlin_gets_19_00_local_on_both_sides_of_the_dst_change(infant):
    # Every 2 days from day 9: doses on 30 March and 1 April 2024; clocks went forward on 31 March.
    start_regimen(infant, datetime.date(2024, 3, 20))
    guardian = guardian_of(infant, time_zone="Europe/Berlin", phone="+4915100000000")

    plan_reminders(infant, now=utc(2024, 3, 20, 12))

    rows = {(row.event_on, row.kind): row.due_at for row in dose_rows(guardian)}
    assert rows[(datetime.date(2024, 3, 30), EVENING)] == utc(2024, 3, 29, 18)  # CET, UTC+1
    assert rows[(datetime.date(2024, 4, 1), EVENING)] == utc(2024, 3, 31, 17)  # CEST, UTC+2
    assert rows[(datetime.date(2024, 3, 30), MORNING)] == utc(2024, 3, 30, 7)
    assert rows[(datetime.date(2024, 4, 1), MORNING)] == utc(2024, 4, 1, 6)
    local = {(r.event_on, r.kind): r.due_at.astimezone(BERLIN).time() for r in dose_rows(guardian)}
    assert {t for (_, kind), t in local.items() if kind == EVENING} == {datetime.time(19)}


def test_a_preferred_time_inside_quiet_hours_moves_to_their_end(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant, evening_reminder_at=datetime.time(23, 0))
    start_regimen(infant, PATIENT_2_START)

    plan_reminders(infant, now=BEFORE_DAY_1)

    evening = dose_rows(guardian).filter(kind=EVENING, event_on=datetime.date(2023, 11, 25))
    # 23:00 the evening before is inside 22:00-07:00: it waits for 07:00 of the dose day.
    assert local_plan(evening, ISTANBUL) == [("2023-11-25", "07:00", EVENING, "2023-11-25")]


def test_a_blank_morning_time_means_no_morning_reminder(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant, morning_reminder_at=None)
    start_regimen(infant, PATIENT_2_START)

    plan_reminders(infant, now=BEFORE_DAY_1)

    assert dose_rows(guardian).exists()
    assert not dose_rows(guardian).filter(kind=MORNING).exists()


def test_no_reminders_consent_means_no_messages(clinic):
    infant = patient_2(clinic)
    guardian_of(infant, consent=False)
    start_regimen(infant, PATIENT_2_START)

    result = plan_reminders(infant, now=BEFORE_DAY_1)

    assert result == PlanResult()
    assert not m.PlannedMessage.objects.filter(infant=infant).exists()


def test_only_channels_switched_on_and_reachable_are_planned(clinic):
    infant = patient_2(clinic)
    sms_and_email = guardian_of(infant, email="anne@example.org")
    no_phone = guardian_of(infant, phone="", email="baba@example.org")
    start_regimen(infant, PATIENT_2_START)

    plan_reminders(infant, now=BEFORE_DAY_1)

    channels = m.PlannedMessage.objects.values_list("guardian", "channel").distinct()
    assert set(channels) == {
        (sms_and_email.pk, "sms"),
        (sms_and_email.pk, "email"),
        (no_phone.pk, "email"),
    }


def test_planning_twice_creates_nothing_new(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)
    keys = set(m.PlannedMessage.objects.values_list("slot_key", flat=True))

    again = plan_reminders(infant, now=BEFORE_DAY_1)

    assert again == PlanResult()
    assert set(m.PlannedMessage.objects.values_list("slot_key", flat=True)) == keys
    assert not m.PlannedMessage.objects.filter(guardian=guardian, kind="new_plan").exists()


def test_the_slot_key_makes_a_second_row_for_the_same_reminder_impossible(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)
    first = dose_rows(guardian).first()

    with pytest.raises(IntegrityError), transaction.atomic():
        m.PlannedMessage.objects.create(
            slot_key=first.slot_key,
            guardian=guardian,
            infant=infant,
            planned_dose=first.planned_dose,
            kind=first.kind,
            channel=first.channel,
            due_at=first.due_at,
            event_on=first.event_on,
        )
    assert first.slot_key == (
        f"dose:{first.planned_dose.course_id}:1:2023-11-24:{guardian.pk}:sms:dose_evening_before"
    )


# --- re-planning ---------------------------------------------------------------------------------


def test_a_missed_dose_event_re_plans_keeps_sent_rows_and_announces_once(clinic, staff):
    infant = patient_2(clinic)
    guardian = guardian_of(infant, email="anne@example.org")
    course = start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)
    evening_of_day_3 = utc(2023, 11, 26, 18)  # 21:00 in Istanbul, dose 3 not given
    sent = mark_sent_until(infant, evening_of_day_3)
    sent_ids = set(m.PlannedMessage.objects.filter(status="sent").values_list("pk", flat=True))

    record_course_event(
        course,
        actor=staff,
        kind="missed",
        on=datetime.date(2023, 11, 26),
        make_up_on=datetime.date(2023, 11, 27),
    )
    result = plan_reminders(infant, now=evening_of_day_3)

    # Sent rows are history: none changed.
    assert sent == len(sent_ids) == 2 * 7  # day 1-3 reminders and the evening before day 4
    still_sent = m.PlannedMessage.objects.filter(status="sent", sent_at=evening_of_day_3)
    assert set(still_sent.values_list("pk", flat=True)) == sent_ids
    # Dose 3 is made up tomorrow and every later daily dose moves a day: day 7 is now 1 December.
    assert local_plan(dose_rows(guardian)[:10], ISTANBUL) == [
        ("2023-11-27", "08:00", MORNING, "2023-11-27"),
        ("2023-11-27", "19:00", EVENING, "2023-11-28"),
        ("2023-11-28", "08:00", MORNING, "2023-11-28"),
        ("2023-11-28", "19:00", EVENING, "2023-11-29"),
        ("2023-11-29", "08:00", MORNING, "2023-11-29"),
        ("2023-11-29", "19:00", EVENING, "2023-11-30"),
        ("2023-11-30", "08:00", MORNING, "2023-11-30"),
        ("2023-11-30", "19:00", EVENING, "2023-12-01"),
        ("2023-12-01", "08:00", MORNING, "2023-12-01"),
        ("2023-12-01", "19:00", EVENING, "2023-12-02"),
    ]
    # Every pending reminder points at a dose of the current plan, never a superseded one.
    pending = m.PlannedMessage.objects.filter(status="pending", kind__in=[EVENING, MORNING])
    assert set(pending.values_list("planned_dose__status", flat=True)) == {"planned"}
    # Per channel: the numbers of doses 4-7 shifted, so their old slots (7 still pending: the
    # evening before day 4 was sent) are cancelled and 9 new ones planned.
    assert result.cancelled == 2 * 7
    assert result.created == 2 * 9
    new_plan = m.PlannedMessage.objects.filter(kind=MessageKind.NEW_PLAN)
    assert sorted(new_plan.values_list("guardian", "channel", "due_at")) == [
        (guardian.pk, "email", evening_of_day_3),
        (guardian.pk, "sms", evening_of_day_3),
    ]
    assert plan_reminders(infant, now=evening_of_day_3) == PlanResult()
    assert new_plan.count() == 2


def test_a_stop_cancels_reminders_from_its_day_only_and_tells_each_guardian_once(clinic, staff):
    infant = patient_2(clinic)
    mother = guardian_of(infant, email="anne@example.org")
    father = guardian_of(infant, phone="", email="baba@example.org", time_zone="Europe/Berlin")
    course = start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)
    # The first evening: 19:00 in Istanbul (16:00Z), then 19:00 in Berlin (18:00Z).
    mark_sent_until(infant, utc(2023, 11, 23, 18))

    record_course_event(course, actor=staff, kind="stop", on=datetime.date(2023, 12, 1))
    result = plan_reminders(infant, now=utc(2023, 11, 23, 18, 30))

    rows = m.PlannedMessage.objects.filter(kind__in=[EVENING, MORNING])
    stop = datetime.date(2023, 12, 1)
    assert not rows.filter(event_on__gte=stop).exclude(status="cancelled").exists()
    assert set(rows.filter(event_on__lt=stop).values_list("status", flat=True)) == {
        "pending",
        "sent",
    }
    assert rows.filter(status="sent").count() == 3  # one per guardian and channel
    assert result.cancelled == rows.filter(status="cancelled").count() > 0
    assert result.created == result.moved == 0
    new_plan = m.PlannedMessage.objects.filter(kind=MessageKind.NEW_PLAN)
    assert sorted(new_plan.values_list("guardian", "channel")) == sorted(
        [(mother.pk, "sms"), (mother.pk, "email"), (father.pk, "email")]
    )


def test_a_preference_change_moves_pending_reminders_and_announces_once(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)
    mark_sent_until(infant, utc(2023, 11, 23, 16))
    evenings = dose_rows(guardian).filter(kind=EVENING).count()

    update_reminder_preferences(
        guardian=guardian, actor=guardian.user, now=BEFORE_DAY_1, evening_reminder_at=T(20, 30)
    )

    assert set(
        local_plan(dose_rows(guardian).filter(kind=EVENING), ISTANBUL)[i][1] for i in range(3)
    ) == {"20:30"}
    assert dose_rows(guardian, status="sent").get().due_at == utc(2023, 11, 23, 16)
    assert not m.PlannedMessage.objects.filter(status="cancelled").exists()
    assert dose_rows(guardian).filter(kind=EVENING).count() == evenings
    assert m.PlannedMessage.objects.filter(kind=MessageKind.NEW_PLAN).count() == 1
    # Recorded with history, by the guardian who made the change.
    assert guardian.history.first().history_user == guardian.user


def test_switching_sms_off_cancels_sms_and_back_on_restores_the_same_rows(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant, email="anne@example.org")
    start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)
    sms_ids = set(dose_rows(guardian).values_list("pk", flat=True))

    update_reminder_preferences(guardian=guardian, actor=None, now=BEFORE_DAY_1, sms_enabled=False)
    assert not dose_rows(guardian).exists()
    assert dose_rows(guardian, channel="email").count() == len(sms_ids)
    # Told once, on the channel that still reaches them.
    assert list(
        m.PlannedMessage.objects.filter(kind=MessageKind.NEW_PLAN).values_list("channel", flat=True)
    ) == ["email"]

    update_reminder_preferences(guardian=guardian, actor=None, now=BEFORE_DAY_1, sms_enabled=True)
    assert set(dose_rows(guardian).values_list("pk", flat=True)) == sms_ids


def test_an_unknown_preference_is_refused(clinic):
    guardian = guardian_of(patient_2(clinic))
    with pytest.raises(TypeError):
        update_reminder_preferences(guardian=guardian, actor=None, user=None)


def test_withdrawing_consent_cancels_every_pending_reminder_without_a_new_plan(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)

    with time_machine.travel(BEFORE_DAY_1, tick=False):
        withdraw_reminder_consent(guardian=guardian, actor=None, withdrawn_at=BEFORE_DAY_1)

    assert not m.PlannedMessage.objects.exclude(status=MessageStatus.CANCELLED).exists()


@time_machine.travel(BEFORE_DAY_1, tick=False)
def test_replan_after_change_runs_once_the_change_is_committed(
    clinic, staff, django_capture_on_commit_callbacks
):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    course = start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with transaction.atomic():
            record_course_event(course, actor=staff, kind="stop", on=datetime.date(2023, 12, 1))
            replan_after_change(infant)
        # Nothing happens before the commit.
        assert dose_rows(guardian).filter(event_on__gte=datetime.date(2023, 12, 1)).exists()
    for callback in callbacks:
        callback()

    assert not dose_rows(guardian).filter(event_on__gte=datetime.date(2023, 12, 1)).exists()
    assert m.PlannedMessage.objects.filter(kind=MessageKind.NEW_PLAN).count() == 1


def test_a_child_no_longer_in_follow_up_gets_no_reminders_and_no_new_plan(clinic):
    infant = patient_2(clinic)
    guardian = guardian_of(infant)
    start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)

    m.Infant.objects.filter(pk=infant.pk).update(follow_up_status="deceased")
    result = plan_reminders(infant, now=BEFORE_DAY_1)

    assert result.cancelled == m.PlannedMessage.objects.filter(guardian=guardian).count() > 0
    assert not m.PlannedMessage.objects.exclude(status=MessageStatus.CANCELLED).exists()
    assert result.announced == 0


def test_a_plan_costs_the_same_few_queries_however_many_doses(clinic, django_assert_num_queries):
    infant = patient_2(clinic)
    guardian_of(infant, email="anne@example.org")
    start_regimen(infant, PATIENT_2_START)
    plan_reminders(infant, now=BEFORE_DAY_1)

    # Savepoint, infant lock, guardians with consent, planned doses, booked visits, existing rows
    # (locked), savepoint release: nothing per dose, per visit, per guardian or per channel.
    with django_assert_num_queries(7):
        plan_reminders(infant, now=BEFORE_DAY_1)
