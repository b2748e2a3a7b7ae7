"""The closed loop (REMINDERS.md 7 and 8): acknowledgement, missed doses, what staff see.

A dose not recorded by the end of its day on the clinic's calendar becomes missed: staff see it on
a worklist and each guardian gets one follow-up. "One" is enforced by the slot key, not by
remembering what ran: the job can run twice, overlap, or be retried after a crash.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from zoneinfo import ZoneInfo

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from patients.models import (
    Clinic,
    CourseEvent,
    Infant,
    PlannedDose,
    PlannedMessage,
    User,
)
from patients.models.people import FollowUpStatus
from patients.models.reminders import MessageKind, MessageStatus
from patients.models.treatment import CourseEventKind, PlannedDoseStatus
from patients.selectors import clinics_for
from patients.services.reminders.planning import (
    message_channels,
    reminder_guardians,
    send_now_time,
)

# A follow-up is about a dose the family can still act on. When the job first runs over old data
# (an import, a clinic joining late) it marks years-old doses missed for the record, but telling a
# parent today about a dose of 2023 helps no one; staff still see every one on the worklist.
FOLLOW_UP_WINDOW = datetime.timedelta(days=2)

_BATCH = 500


def acknowledge_reminder(
    message: PlannedMessage, *, guardian_user: User, now: datetime.datetime
) -> PlannedMessage:
    """The guardian says "seen". Only the message's own guardian may; the first time is kept."""
    if message.guardian.user_id != guardian_user.pk:
        raise PermissionDenied("This reminder was sent to another guardian.")
    if message.status != MessageStatus.SENT:
        raise ValidationError("Only a reminder that was sent can be acknowledged.")
    # Conditional: a double tap, or the SMS link opened twice, keeps the first time.
    PlannedMessage.objects.filter(pk=message.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=now, updated_at=now
    )
    message.refresh_from_db(fields=["acknowledged_at", "updated_at"])
    return message


def _clinic_days(now: datetime.datetime) -> dict[str, datetime.date]:
    """Today in each clinic time zone in use: a dose day ends at midnight on the clinic's clock."""
    zones = Clinic.objects.values_list("time_zone", flat=True).distinct()
    return {zone: now.astimezone(ZoneInfo(zone)).date() for zone in zones}


def mark_missed_doses(*, now: datetime.datetime) -> int:
    """Mark planned doses whose day has ended (clinic time) and were not recorded as missed.

    Returns how many doses this run marked. Each guardian who can be reminded gets one missed-dose
    follow-up per dose and channel; a second run finds nothing left in "planned" and, should it
    overlap with the first, the follow-up's slot key makes the second insert a no-op.
    """
    days = _clinic_days(now)
    if not days:
        return 0
    ended = Q()
    for zone, today in days.items():
        ended |= Q(course__infant__clinic__time_zone=zone, due_on__lt=today)
    # First the doses still planned after the latest clinic day, by the (status, due_on) index
    # alone: normally a handful. Asked in one statement with the clinic and infant conditions, the
    # planner expects every planned dose to match (status and date are correlated) and joins all
    # courses and infants to find them (194 ms for no row at 100,000 infants).
    due = list(
        PlannedDose.objects.active()
        .filter(status=PlannedDoseStatus.PLANNED, due_on__lt=max(days.values()))
        .order_by()
        .values_list("pk", flat=True)
    )
    candidates = []
    for start in range(0, len(due), _BATCH):
        candidates += (
            PlannedDose.objects.filter(
                ended,
                pk__in=due[start : start + _BATCH],
                course__voided_at__isnull=True,
                # Doses of a child who died or moved away are not "missed" by anyone; staff close
                # those courses, and neither the worklist nor the family should hear of them.
                course__infant__voided_at__isnull=True,
                course__infant__follow_up_status=FollowUpStatus.ACTIVE,
            )
            .order_by()
            .values_list("pk", flat=True)
        )
    marked = 0
    for start in range(0, len(candidates), _BATCH):
        marked += _mark_batch(candidates[start : start + _BATCH], now=now, days=days)
    return marked


@transaction.atomic
def _mark_batch(ids: list, *, now: datetime.datetime, days: dict[str, datetime.date]) -> int:
    # Locked, then updated on the condition that they are still planned: a nurse recording the
    # dose at 23:59:59 either wins (the dose is given) or waits and then finds it missed.
    rows = list(
        PlannedDose.objects.select_for_update()
        .filter(pk__in=ids, status=PlannedDoseStatus.PLANNED)
        .select_related("course__infant__clinic")
    )
    stamp = timezone.now()
    updated = PlannedDose.objects.filter(
        pk__in=[r.pk for r in rows], status=PlannedDoseStatus.PLANNED
    ).update(status=PlannedDoseStatus.MISSED, updated_at=stamp)
    if updated != len(rows):
        # Only on back ends without row locks (SQLite): a dose was recorded in between.
        missed = set(
            PlannedDose.objects.filter(
                pk__in=[r.pk for r in rows], status=PlannedDoseStatus.MISSED
            ).values_list("pk", flat=True)
        )
        rows = [r for r in rows if r.pk in missed]
    for row in rows:
        row.status, row.updated_at = PlannedDoseStatus.MISSED, stamp
    # .update() sends no signals, so the history rows are written in bulk, explicitly.
    PlannedDose.history.bulk_history_create(  # type: ignore[attr-defined]
        rows,
        update=True,
        default_change_reason="missed: not recorded by the end of its day (clinic time)",
        default_date=stamp,
    )
    _plan_follow_ups(rows, now=now, days=days)
    return len(rows)


def _plan_follow_ups(
    doses: list[PlannedDose], *, now: datetime.datetime, days: dict[str, datetime.date]
) -> None:
    recent = [
        d for d in doses if d.due_on >= days[d.course.infant.clinic.time_zone] - FOLLOW_UP_WINDOW
    ]
    by_infant: dict[Infant, list[PlannedDose]] = defaultdict(list)
    for dose in recent:
        by_infant[dose.course.infant].append(dose)
    messages = []
    for infant, infant_doses in by_infant.items():
        for guardian in reminder_guardians(infant, now=now):
            for channel in message_channels(guardian):
                for dose in infant_doses:
                    messages.append(
                        PlannedMessage(
                            slot_key=(
                                f"missed:{dose.course_id}:{dose.number}:{dose.due_on:%Y-%m-%d}"
                                f":{guardian.pk}:{channel}"
                            ),
                            guardian=guardian,
                            infant=infant,
                            planned_dose=dose,
                            kind=MessageKind.MISSED_DOSE,
                            channel=channel,
                            due_at=send_now_time(guardian, now),
                            event_on=dose.due_on,
                        )
                    )
    # The unique slot key is the guarantee of "one follow-up", even for two overlapping runs.
    PlannedMessage.objects.bulk_create(messages, batch_size=_BATCH, ignore_conflicts=True)


# --- selectors (reads for staff) -----------------------------------------------------------------


def missed_doses_worklist(user: User) -> QuerySet[PlannedDose]:
    """Missed doses of the user's clinics that staff have not yet acted on, newest first.

    A dose leaves the list when it is given late (status "given") or when staff record the miss as
    a course event, which re-plans the course from that day.
    """
    handled = CourseEvent.objects.active().filter(
        course=OuterRef("course"), kind=CourseEventKind.MISSED, on=OuterRef("due_on")
    )
    return (
        PlannedDose.objects.active()
        .filter(
            status=PlannedDoseStatus.MISSED,
            course__voided_at__isnull=True,
            course__infant__voided_at__isnull=True,
            course__infant__clinic__in=clinics_for(user).values("pk"),
        )
        .exclude(Exists(handled))
        .select_related("course__infant")
        .order_by("-due_on", "course__infant__family_name", "number")
    )


def messages_for_infant(infant: Infant) -> QuerySet[PlannedMessage]:
    """Every message of the infant with its status, attempts and provider id, for staff.

    The caller has already scoped `infant` to the user (patients.selectors.infants_for); guardians
    are not shown this list, as it names every guardian of the child.
    """
    return (
        PlannedMessage.objects.filter(infant=infant)
        .select_related("guardian__user", "planned_dose")
        .order_by("due_at", "kind", "channel")
    )
