"""A guardian's calendar feed (RFC 5545, built with `icalendar`): every future dose and visit.

Choices, and why:
- All-day events (DTSTART;VALUE=DATE). A dose is planned for a day, not an hour (the clinic's
  hours decide the time), and a date has no time zone to get wrong when the phone travels.
  TRANSP:TRANSPARENT keeps them from blocking the guardian's busy time. No VALARM: the SMS and
  e-mail reminders already alert, and a phone alarm on top would be the third message.
- UIDs name the slot, not the row. Re-planning supersedes a PlannedDose row and creates a new one,
  but "dose 12 of this course" keeps the UID dose-<course>-12, so the phone moves the event instead
  of showing the old and the new day side by side. A visit's UID is its row id.
- SEQUENCE grows when the slot's plan changes: it is the dose row's plan_version (monotonic per
  course, bumped on every re-plan from the event's date on) less one, so the first plan is 0.
  A visit's SEQUENCE is its number of saved revisions less one (django-simple-history).
- DTSTAMP and LAST-MODIFIED are the row's last change, not the time of the request: a feed that
  did not change is byte-identical on every poll.
- A dose given, missed or cancelled leaves the feed; subscribed calendars drop events that are no
  longer published.
- Nothing names the diagnosis or the drug: the summary is the child's first name and "injection"
  or "clinic visit", in the guardian's language; the location is the clinic.
"""

from __future__ import annotations

import datetime

from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from icalendar import Calendar, Event

from patients.models.people import Guardian, InfantGuardian
from patients.models.treatment import PlannedDose, PlannedDoseStatus
from patients.models.visits import Visit
from patients.notifications.render import INJECTED_ROUTES, message_language

# The right-hand side of every UID. A constant rather than the request's host: changing it would
# change every UID, and each subscribed phone would show every event twice. Neither it nor the
# PRODID names the condition: both are visible in the event details of many calendar apps.
UID_DOMAIN = "reminders.infant-follow-up"
PRODID = "-//Infant follow-up tracker//Reminders//EN"
# How often a subscribing client should re-fetch (RFC 7986 REFRESH-INTERVAL, and the older
# X-PUBLISHED-TTL that Outlook and Apple read): a changed plan shows within the hour.
REFRESH_INTERVAL = datetime.timedelta(hours=1)

TEXT = {
    "en": {
        "calendar": "Injections and clinic visits",
        "injection": "{child}: injection",
        "dose": "{child}: dose",
        "at_home": "{summary} (at home)",
        "visit": "{child}: clinic visit",
    },
    "tr": {
        "calendar": "İğne ve kontrol günleri",
        "injection": "{child}: iğne günü",
        "dose": "{child}: ilaç dozu",
        "at_home": "{summary} (evde)",
        "visit": "{child}: kontrol randevusu",
    },
}


def dose_uid(course_id, number: int) -> str:
    return f"dose-{course_id}-{number}@{UID_DOMAIN}"


def visit_uid(visit_id) -> str:
    return f"visit-{visit_id}@{UID_DOMAIN}"


def guardian_today(guardian: Guardian, now: datetime.datetime | None = None) -> datetime.date:
    return timezone.localtime(now or timezone.now(), guardian.zone).date()


def future_doses(guardian: Guardian, today: datetime.date):
    return (
        PlannedDose.objects.active()
        .filter(
            course__infant__in=_children(guardian),
            course__voided_at__isnull=True,
            status=PlannedDoseStatus.PLANNED,
            due_on__gte=today,
        )
        .select_related("course__infant__clinic")
        .order_by("due_on", "course_id", "number")
    )


def future_visits(guardian: Guardian, today: datetime.date):
    revisions = (
        Visit.history.model.objects.filter(id=OuterRef("id"))
        .order_by()
        .values("id")
        .annotate(n=Count("history_id"))
        .values("n")
    )
    return (
        Visit.objects.active()
        .filter(infant__in=_children(guardian), visit_date__gte=today)
        .annotate(revisions=Coalesce(Subquery(revisions), 1))
        .select_related("infant__clinic")
        .order_by("visit_date", "id")
    )


def _children(guardian: Guardian):
    # A subquery, not a list: the feed is three queries whatever the number of children.
    return (
        InfantGuardian.objects.active()
        .filter(guardian=guardian, infant__voided_at__isnull=True)
        .values("infant_id")
    )


def _all_day(event: Event, day: datetime.date) -> None:
    event.add("dtstart", day)
    # DTEND is exclusive: a one-day event ends at the start of the next day.
    event.add("dtend", day + datetime.timedelta(days=1))
    event.add("transp", "TRANSPARENT")


def _stamp(event: Event, changed_at: datetime.datetime) -> None:
    changed_at = changed_at.astimezone(datetime.UTC).replace(microsecond=0)
    event.add("dtstamp", changed_at)
    event.add("last-modified", changed_at)


def build_feed(guardian: Guardian, *, now: datetime.datetime | None = None) -> bytes:
    """The guardian's calendar as iCalendar bytes: doses and visits from today (their time) on."""
    text = TEXT[message_language(guardian.language)]
    today = guardian_today(guardian, now)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", text["calendar"])
    calendar.add("x-wr-calname", text["calendar"])
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)

    for dose in future_doses(guardian, today):
        infant = dose.course.infant
        summary = text["injection" if dose.route in INJECTED_ROUTES else "dose"].format(
            child=infant.given_name
        )
        event = Event()
        event.add("uid", dose_uid(dose.course_id, dose.number))
        event.add("sequence", max(dose.plan_version - 1, 0))
        _stamp(event, dose.updated_at)
        _all_day(event, dose.due_on)
        if dose.at_home:
            event.add("summary", text["at_home"].format(summary=summary))
        else:
            event.add("summary", summary)
            event.add("location", infant.clinic.name)
        calendar.add_component(event)

    for visit in future_visits(guardian, today):
        event = Event()
        event.add("uid", visit_uid(visit.id))
        event.add("sequence", max(visit.revisions - 1, 0))
        _stamp(event, visit.updated_at)
        _all_day(event, visit.visit_date)
        event.add("summary", text["visit"].format(child=visit.infant.given_name))
        event.add("location", visit.infant.clinic.name)
        calendar.add_component(event)

    return calendar.to_ical()
