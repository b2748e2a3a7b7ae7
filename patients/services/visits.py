"""Booking follow-up visits, by hand or from the monitoring plan.

A visit dated in the future is an appointment: the guardians are reminded of it (the evening before
and the morning of, like a dose) and it is in their calendar feed. Booking from the monitoring plan
(CLINICAL.md section 4) turns the plan's windows into dated appointments, one visit per day however
many items fall on it, so the guardian hears "clinic visit with a blood test" once rather than one
message per analyte.

Every change to a visit re-plans the reminders after commit (patients.signals), whichever path
made it: these services, the admin or the API.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from patients import models as m
from patients.clinical import monitoring
from patients.models.visits import VisitType
from patients.services.alerts import monitoring_states
from patients.services.records import create_record, update_record
from patients.services.treatment import clinic_closures

#: What an appointment can be booked for; a "watch" item or the growth at every visit is not.
BOOKABLE_KINDS = frozenset(
    {monitoring.ItemKind.LAB, monitoring.ItemKind.IMAGING, monitoring.ItemKind.DEVELOPMENT}
)


def _future_visits(infant: m.Infant, *, from_day: datetime.date):
    return m.Visit.objects.active().filter(infant=infant, visit_date__gte=from_day)


def _booked_codes(infant: m.Infant, *, from_day: datetime.date) -> set[str]:
    codes: set[str] = set()
    for items in _future_visits(infant, from_day=from_day).values_list(
        "monitoring_items", flat=True
    ):
        codes.update(items or ())
    return codes


def _on_the_ward(infant: m.Infant, item: monitoring.MonitoringItem) -> bool:
    """The item's whole window falls inside an admission: it is done on the ward, not booked."""
    end = item.window_end or item.window_start
    return (
        m.Visit.objects.active()
        .filter(infant=infant, visit_type=VisitType.ADMISSION, visit_date__lte=item.window_start)
        .exclude(discharge_date__lt=end)
        .exists()
    )


def _target_day(
    item: monitoring.MonitoringItem, *, tomorrow: datetime.date, closures
) -> datetime.date | None:
    """The middle of the window (the nominal "1 month", the age-line date), on an open day.

    Tomorrow at the earliest, since a booking made today must leave time for a reminder; None when
    no open day is left in the window.
    """
    end = item.window_end
    if end is None:
        return None
    middle = item.window_start + (end - item.window_start) // 2
    day = closures.next_open_day(max(middle, tomorrow))
    if day > end:
        # The middle has passed or lands on a closure at the end: take the first open day left.
        day = closures.next_open_day(max(item.window_start, tomorrow))
    return day if day <= end else None


@transaction.atomic
def book_monitoring_visits(
    infant: m.Infant, *, actor: m.User | None, now: datetime.datetime | None = None
) -> list[m.Visit]:
    """Book a visit for every upcoming item of the monitoring plan not yet booked or done.

    Items due on the same day share one visit. Items already in a future visit, done, overdue
    (their window closed: the worklist shows them) or covered by an admission are left alone, so
    running it twice books nothing new. Returns the visits created.
    """
    now = now or timezone.now()
    infant = m.Infant.objects.select_related("clinic").get(pk=infant.pk)
    today = now.astimezone(infant.clinic.zone).date()
    tomorrow = today + datetime.timedelta(days=1)
    closures = clinic_closures(infant.clinic)
    booked = _booked_codes(infant, from_day=tomorrow)

    by_day: dict[datetime.date, list[monitoring.MonitoringItem]] = defaultdict(list)
    for state in monitoring_states(infant, now=now):
        item = state.item
        if (
            item.kind not in BOOKABLE_KINDS
            or state.status not in (monitoring.ItemStatus.UPCOMING, monitoring.ItemStatus.DUE)
            or item.code in booked
            or _on_the_ward(infant, item)
        ):
            continue
        day = _target_day(item, tomorrow=tomorrow, closures=closures)
        if day is not None:
            by_day[day].append(item)

    existing = {
        visit.visit_date: visit
        for visit in _future_visits(infant, from_day=tomorrow).filter(
            visit_type=VisitType.OUTPATIENT
        )
    }
    touched = []
    for day, items in sorted(by_day.items()):
        codes = [item.code for item in items]
        what = "; ".join(item.what for item in items)
        visit = existing.get(day)
        if visit is not None:
            # An outpatient visit already booked that day takes the items too: one trip, one
            # reminder.
            touched.append(
                update_record(
                    visit,
                    actor=actor,
                    monitoring_items=[*visit.monitoring_items, *codes],
                    reason=_reason(visit.reason, what),
                )
            )
            continue
        only_imaging = all(item.kind is monitoring.ItemKind.IMAGING for item in items)
        touched.append(
            create_record(
                m.Visit,
                actor=actor,
                infant=infant,
                visit_type=VisitType.IMAGING if only_imaging else VisitType.OUTPATIENT,
                visit_date=day,
                reason=_reason("", f"Follow-up: {what}"),
                monitoring_items=codes,
            )
        )
    return touched


def _reason(current: str, addition: str) -> str:
    text = f"{current}; {addition}" if current else addition
    return text if len(text) <= 300 else text[:299] + "…"


@transaction.atomic
def book_visit(
    infant: m.Infant,
    *,
    actor: m.User | None,
    visit_date: datetime.date,
    visit_type: str = VisitType.OUTPATIENT,
    reason: str = "",
    monitoring_items: Iterable[str] = (),
    now: datetime.datetime | None = None,
) -> m.Visit:
    """Book an appointment. Monitoring items must belong to the infant's current plan."""
    now = now or timezone.now()
    items = list(dict.fromkeys(monitoring_items))
    if items:
        known = {state.item.code for state in monitoring_states(infant, now=now)}
        unknown = [code for code in items if code not in known]
        if unknown:
            raise ValidationError(
                {"monitoring_items": f"Not in this infant's monitoring plan: {', '.join(unknown)}."}
            )
    if visit_date < now.astimezone(infant.clinic.zone).date():
        raise ValidationError({"visit_date": "An appointment cannot be booked in the past."})
    return create_record(
        m.Visit,
        actor=actor,
        infant=infant,
        visit_type=visit_type,
        visit_date=visit_date,
        reason=reason,
        monitoring_items=items,
    )


def reschedule_visit(visit: m.Visit, *, actor: m.User | None, visit_date: datetime.date) -> m.Visit:
    """Move an appointment; its reminders follow (the old ones are cancelled, one "new plan")."""
    return update_record(visit, actor=actor, visit_date=visit_date)
