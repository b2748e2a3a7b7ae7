"""Pages for clinic staff and leads: the worklist, the infant list and the infant page.

Every read starts from `clinic_infants_for`, the clinical scope the REST API uses: a member of
staff who is also a parent reaches their own child through the portal, never through a clinical
page of a clinic they do not work in.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from functools import cached_property

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Value,
    When,
)
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from patients import models as m
from patients.api.permissions import caller_roles
from patients.clinical.ages import WHO_GROWTH_CORRECTION, age_on
from patients.compiled import CompiledRead
from patients.models.interpretation import SEVERITY_RANK, AlertSeverity, ScoreStatus
from patients.models.labs import LabFlag
from patients.models.people import FollowUpStatus
from patients.models.reminders import Channel, MessageKind, MessageStatus
from patients.models.treatment import CourseStatus, PlannedDoseStatus
from patients.paging import KnownCountPaginator
from patients.selectors import (
    active_infant_count,
    clinics_for,
    open_review_tasks,
)
from patients.services import charts as chart_service
from patients.services.alerts import acknowledge_alert, open_alerts_for
from patients.services.audit import AccessAction, log_access
from patients.services.reminders.loop import messages_for_infant, missed_doses_worklist
from patients.web.access import clinic_infants, clinical_required
from patients.web.fragments import release, rows_version
from patients.web.pages import page

#: Each worklist section shows this many rows and says how many more there are.
WORKLIST_ROWS = 50
INFANTS_PER_PAGE = 50
#: The infant page's list of messages: the newest, enough to see a gateway problem.
MESSAGES_SHOWN = 40
UPCOMING_SHOWN = 10
#: The infant page's timeline: the newest entries, then a link to the whole of it. A record grows
#: with every injection, visit and result for years; the page reads and draws at most this many
#: entries, so it costs the same however long the follow-up, and the last months are what a
#: visit needs.
TIMELINE_SHOWN = 60

#: A section counts its rows up to this many and then says "more than": an exact count of every
#: missed dose of a clinic following 100,000 infants takes most of a second (docs/BENCHMARKS.md),
#: and nobody works through a list that long from its number.
COUNT_UP_TO = 1000


@dataclass(frozen=True)
class Section:
    rows: list
    total: int
    #: The section holds more than ``total`` rows; only that many were counted.
    capped: bool = False

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def _section(queryset: QuerySet, *, counted: QuerySet | None = None) -> Section:
    """The section's first rows and how many it holds, up to `COUNT_UP_TO`.

    `counted` is the same rows when a different order makes them cheaper to count; by default the
    section's own order is kept, as its index usually gives that order and lets the count stop.
    """
    rows = list(queryset[:WORKLIST_ROWS])
    if len(rows) < WORKLIST_ROWS:
        return Section(rows, len(rows))
    found = (queryset if counted is None else counted)[: COUNT_UP_TO + 1].count()
    return Section(rows, min(found, COUNT_UP_TO), capped=found > COUNT_UP_TO)


#: Doses due today in the order of the worklist: by the infant's name, then the dose's number.
_DUE_TODAY_ORDER = ("course__infant__family_name", "course__infant__given_name", "number")


def _doses_due_today(clinics: list[m.Clinic]) -> QuerySet[m.PlannedDose]:
    # "Today" is each clinic's own date: a nurse in Istanbul just after midnight is on the new day.
    # The clinics are the scope (`clinic_infants_for`), named as values: the doses due today are
    # found by the (status, due_on) index and joined to their own infants only, where a subquery
    # of the clinic's infants would hash every one of them (100,000) first.
    due_today = Q(pk__in=[])
    for clinic in clinics:
        due_today |= Q(course__infant__clinic_id=clinic.pk, due_on=clinic.today())
    return (
        m.PlannedDose.objects.active()
        .filter(
            due_today,
            status=PlannedDoseStatus.PLANNED,
            course__voided_at__isnull=True,
            course__infant__voided_at__isnull=True,
            course__infant__follow_up_status=FollowUpStatus.ACTIVE,
        )
        .order_by(*_DUE_TODAY_ORDER)
    )


def _page_of_doses(doses: QuerySet[m.PlannedDose]) -> QuerySet[m.PlannedDose]:
    """The first `WORKLIST_ROWS` of `doses`, chosen by their keys before any row is read whole.

    Putting the doses due today in name order takes every one of them in every clinic (4,990 at
    100,000 infants) with its infant's clinic and name. Chosen by their keys, the course's infant
    and the infant's name come out of the `course_infant_unvoided` and `infant_followed_name`
    indexes; in one query with the rows, PostgreSQL reads each course (wide with its regimen) and
    infant row to sort them and keeps 50 (66 ms against 38 ms, docs/BENCHMARKS.md).
    """
    return (
        m.PlannedDose.objects.filter(pk__in=doses.values("pk")[:WORKLIST_ROWS])
        .select_related("course__infant")
        .order_by(*_DUE_TODAY_ORDER)
    )


def _of_scoped_infants(clinics: list[m.Clinic]) -> Q:
    """Rows of the active infants of these clinics (the user's, `clinic_infants_for`), as a join
    to each row's own infant. As `infant IN (the clinic's infants)` PostgreSQL reads all 100,000
    infants of a large clinic to test the few open alerts or failed reminders against them
    (docs/BENCHMARKS.md)."""
    return Q(infant__clinic_id__in=[c.pk for c in clinics], infant__voided_at__isnull=True)


@clinical_required
def worklist(request: HttpRequest) -> HttpResponse:
    user = request.user
    clinics = list(clinics_for(user))
    # In the order of the `alert_open_rank` index: a page, and the count up to `COUNT_UP_TO`, walk
    # the open alerts in that index and look up each one's infant, without reading the clinic's.
    alerts = (
        m.Alert.objects.filter(_of_scoped_infants(clinics), resolved_at__isnull=True)
        .select_related("infant", "acknowledged_by")
        .alias(rank=SEVERITY_RANK)
        .order_by("rank", "-raised_at")
    )
    failed = (
        m.PlannedMessage.objects.filter(_of_scoped_infants(clinics), status=MessageStatus.FAILED)
        .select_related("infant", "guardian__user")
        .order_by("-due_at")
    )
    today = max((c.today() for c in clinics), default=timezone.localdate())
    reviews = open_review_tasks(user, due_by=today)
    due_today = _doses_due_today(clinics)
    return page(
        request,
        "web/staff/worklist.html",
        {
            # Counted in no order: in name order PostgreSQL sorts every dose due today to count
            # 1,001 of them; without one it stops at the 1,001st it finds.
            "due_today": _section(_page_of_doses(due_today), counted=due_today.order_by()),
            "missed": _section(missed_doses_worklist(user)),
            "alerts": _section(alerts),
            "failed": _section(failed),
            "reviews": _section(reviews),
        },
    )


@clinical_required
@require_POST
def acknowledge(request: HttpRequest, alert_id) -> HttpResponse:
    """Staff say they have seen an alert, from the worklist or the infant page; back to where
    they were. The alert stays open until its rule no longer holds."""
    alert = get_object_or_404(
        m.Alert.objects.filter(infant__in=clinic_infants(request).values("pk")),
        pk=alert_id,
    )
    acknowledge_alert(alert, actor=request.user, now=timezone.now())
    messages.success(request, _("Alert acknowledged."))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("web:worklist")
    return redirect(back)


# --- the infant list --------------------------------------------------------------------------

_NON_DIGITS = re.compile(r"\D")


def _phone_digits(query: str) -> str | None:
    """The digits of a typed phone number as they appear in the stored E.164 form, or None.

    Staff type numbers as the family says them: "0532 000 00 01" (the national trunk 0) or
    "+90 532 ...". The stored number is "+905320000001", so the trunk 0 is dropped and the rest
    is matched as a substring.
    """
    digits = _NON_DIGITS.sub("", query)
    if len(digits) < 4:
        return None
    return digits[1:] if digits.startswith("0") else digits


def search_infants(
    infants: QuerySet[m.Infant], *, query: str, status: str, open_alert: bool
) -> QuerySet[m.Infant]:
    """The infants matching the list's search terms; `narrows_search` says when any applies."""
    query = query.strip()
    if query:
        match = Q(record_number__icontains=query)
        for word in query.split():
            match |= Q(given_name__icontains=word) | Q(family_name__icontains=word)
        digits = _phone_digits(query)
        if digits:
            guardian_phone = m.InfantGuardian.objects.filter(
                infant=OuterRef("pk"), voided_at__isnull=True, guardian__phone__contains=digits
            )
            match |= Q(Exists(guardian_phone))
        infants = infants.filter(match)
    if status in FollowUpStatus.values:
        infants = infants.filter(follow_up_status=status)
    if open_alert:
        infants = infants.filter(
            Exists(m.Alert.objects.filter(infant=OuterRef("pk"), resolved_at__isnull=True))
        )
    return infants


def narrows_search(*, query: str, status: str, open_alert: bool) -> bool:
    """Whether `search_infants` leaves any infant out for these terms: each term it applies."""
    return bool(query.strip()) or status in FollowUpStatus.values or open_alert


@clinical_required
def infant_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "")[:100]
    status = request.GET.get("status", "")
    open_alert = request.GET.get("alert") == "1"
    # Read once, with the reader's roles, for the rows and for their count.
    clinic_ids = caller_roles(request).clinical_clinic_ids
    infants = search_infants(
        clinic_infants(request).active().select_related("clinic"),
        query=query,
        status=status,
        open_alert=open_alert,
    ).annotate(
        open_alerts=Exists(m.Alert.objects.filter(infant=OuterRef("pk"), resolved_at__isnull=True))
    )
    ordered = infants.order_by("family_name", "given_name", "pk")
    if narrows_search(query=query, status=status, open_alert=open_alert):
        page_obj = Paginator(ordered, INFANTS_PER_PAGE)
    else:
        # Every active infant in scope: the database keeps that count (no COUNT of the clinic).
        count = active_infant_count(request.user, clinic_ids=clinic_ids)
        page_obj = KnownCountPaginator(ordered, INFANTS_PER_PAGE, count=count)
    current = page_obj.get_page(request.GET.get("page"))
    log_access(request, action=AccessAction.LIST, resource=m.Infant)
    return page(
        request,
        "web/staff/infant_list.html",
        {
            "page_obj": current,
            "query": query,
            "status": status,
            "open_alert": open_alert,
            "statuses": FollowUpStatus.choices,
        },
    )


# --- the infant page --------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    on: datetime.date
    kind: str
    text: str
    approximate: bool = False


_KINDS = {
    "visit": gettext_lazy("Visit"),
    "dose": gettext_lazy("Dose given"),
    "growth": gettext_lazy("Growth"),
    "lab": gettext_lazy("Lab result"),
    "imaging": gettext_lazy("Imaging"),
    "milestone": gettext_lazy("Milestone"),
    "denver": gettext_lazy("Denver II"),
    "adverse": gettext_lazy("Adverse event"),
}


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    #: Whether older entries were left out (the page links to the whole timeline).
    more: bool


def timeline(infant: m.Infant, *, today: datetime.date, newest: int | None = None) -> Timeline:
    """What happened to the infant, newest first: one query per kind of record. With `newest`,
    only that many entries; each kind reads at most one more than that, newest first, which is
    enough to know the newest overall and whether anything was left out."""

    def newest_of(rows: QuerySet, on: str) -> QuerySet:
        return rows if newest is None else rows.order_by(f"-{on}")[: newest + 1]

    entries: list[TimelineEntry] = []
    for visit in newest_of(
        m.Visit.objects.active().filter(infant=infant, visit_date__lte=today), "visit_date"
    ):
        text = visit.get_visit_type_display() + (f": {visit.reason}" if visit.reason else "")
        entries.append(TimelineEntry(visit.visit_date, _KINDS["visit"], text))
    for dose in newest_of(
        m.DoseAdministration.objects.active().filter(
            course__infant=infant, course__voided_at__isnull=True
        ),
        "given_on",
    ):
        text = (
            f"{dose.dose.normalize():f} {dose.get_dose_unit_display()} {dose.get_route_display()}"
        )
        entries.append(TimelineEntry(dose.given_on, _KINDS["dose"], text))
    for measurement in newest_of(
        m.GrowthMeasurement.objects.active()
        .filter(infant=infant)
        .prefetch_related(Prefetch("scores", queryset=_COMPUTED_SCORES)),
        "measured_on",
    ):
        entries.append(
            TimelineEntry(measurement.measured_on, _KINDS["growth"], _growth_text(measurement))
        )
    for result in newest_of(m.LabResult.objects.active().filter(infant=infant), "collected_on"):
        text = str(result)
        if result.flag and result.flag != LabFlag.NORMAL:
            text += f" ({result.get_flag_display().lower()})"
        entries.append(TimelineEntry(result.collected_on, _KINDS["lab"], text))
    for study in newest_of(m.ImagingStudy.objects.active().filter(infant=infant), "performed_on"):
        text = f"{study.get_modality_display()} {study.get_body_site_display()}: {study.impression}"
        entries.append(TimelineEntry(study.performed_on, _KINDS["imaging"], text))
    # Milestones are a handful and some are dated by an age only, so all of them are read.
    for milestone in m.MilestoneAttainment.objects.active().filter(infant=infant):
        on, approximate = milestone.attained_on, False
        if on is None and milestone.attained_age_months is not None:
            # Reported as an age ("sat at 15 months"): placed at that age on the WHO month.
            days = float(milestone.attained_age_months) * 30.4375
            on, approximate = infant.birth_date + datetime.timedelta(days=round(days)), True
        if on is not None:
            entries.append(
                TimelineEntry(
                    on, _KINDS["milestone"], milestone.get_milestone_display(), approximate
                )
            )
    for assessment in newest_of(
        m.DenverAssessment.objects.active().filter(infant=infant), "assessed_on"
    ):
        text = (
            assessment.get_test_result_display()
            or assessment.recommendation
            or _("assessment recorded")
        )
        entries.append(TimelineEntry(assessment.assessed_on, _KINDS["denver"], text))
    for event in newest_of(m.AdverseEvent.objects.active().filter(infant=infant), "onset_on"):
        text = event.get_event_type_display() + (
            f" ({event.get_severity_display()})" if event.severity else ""
        )
        entries.append(TimelineEntry(event.onset_on, _KINDS["adverse"], text))
    entries.sort(key=lambda entry: entry.on, reverse=True)
    if newest is None:
        return Timeline(entries, more=False)
    return Timeline(entries[:newest], more=len(entries) > newest)


#: The stored z-scores, one per indicator: the WHO 2006 standard's row wins over a clinic's own
#: reference for the same indicator, by ordering them first.
_COMPUTED_SCORES = m.GrowthScore.objects.filter(status=ScoreStatus.COMPUTED).order_by(
    "indicator", Case(When(reference_name__startswith="WHO", then=Value(0)), default=Value(1))
)


def _growth_text(measurement: m.GrowthMeasurement) -> str:
    """The measurements as entered, then each indicator's z-score as the growth service stored it."""
    parts = [
        text % {"value": f"{value.normalize():f}"}
        for value, text in (
            (measurement.weight_kg, _("weight %(value)s kg")),
            (measurement.length_cm, _("length %(value)s cm")),
            (measurement.head_circumference_cm, _("head %(value)s cm")),
        )
        if value is not None
    ]
    shown: set[str] = set()
    for score in measurement.scores.all():
        if score.indicator not in shown:
            shown.add(score.indicator)
            parts.append(f"{score.get_indicator_display()} z {score.z:+.2f}")
    return ", ".join(parts)


def current_phase(infant: m.Infant, *, today: datetime.date) -> tuple[m.TreatmentCourse, str]:
    """The active course and the phase of its next planned dose (else of its last dose)."""
    course = (
        m.TreatmentCourse.objects.active()
        .filter(infant=infant, status=CourseStatus.ACTIVE)
        .order_by("-started_on")
        .first()
    )
    if course is None:
        return None, ""
    doses = m.PlannedDose.objects.active().filter(course=course)
    dose = (
        doses.filter(status=PlannedDoseStatus.PLANNED, due_on__gte=today).order_by("due_on").first()
        or doses.exclude(status=PlannedDoseStatus.SUPERSEDED).order_by("-due_on").first()
    )
    return course, dose.phase_name if dose else ""


def _charts(infant: m.Infant, *, today: datetime.date, version: str) -> list[dict]:
    """Each chart's URL with its title and alt text, worded from the chart's data.

    Nothing is drawn here: the browser fetches each image from the chart endpoint, which draws it
    once and serves it from the chart cache after that. Drawing seven charts to word their alt
    text would make the page wait seconds for an infant whose charts are not cached yet.
    """
    charts = []
    for name, text in chart_service.infant_chart_texts(
        infant, today=today, version=version
    ).items():
        charts.append(
            {
                "url": reverse(
                    "api:api-infant-chart",
                    kwargs={"pk": infant.pk, "name": name, "image_format": "svg"},
                ),
                "title": text.title,
                "alt": text.alt_text,
            }
        )
    return charts


@dataclass(frozen=True)
class InfantRecord:
    """The parts of the infant page that the infant's record and the clinic's day alone decide."""

    course: m.TreatmentCourse | None
    phase: str
    upcoming_doses: list[m.PlannedDose]
    upcoming_visits: list[m.Visit]
    charts: list[dict]
    timeline: Timeline


def infant_record(
    infant: m.Infant, *, today: datetime.date, newest: int | None, version: str
) -> InfantRecord:
    """``version``: the infant's data version for ``today``, which the page has read already."""
    course, phase = current_phase(infant, today=today)
    return InfantRecord(
        course=course,
        phase=phase,
        upcoming_doses=list(
            m.PlannedDose.objects.active()
            .filter(
                course__infant=infant,
                course__voided_at__isnull=True,
                status=PlannedDoseStatus.PLANNED,
                due_on__gte=today,
            )
            .order_by("due_on", "number")[:UPCOMING_SHOWN]
        ),
        upcoming_visits=list(
            m.Visit.objects.active()
            .filter(infant=infant, visit_date__gt=today)
            .order_by("visit_date")[:UPCOMING_SHOWN]
        ),
        charts=_charts(infant, today=today, version=version),
        timeline=timeline(infant, today=today, newest=newest),
    )


@dataclass(frozen=True)
class MessageRow:
    """A message to the guardians as the infant page's table prints it."""

    due_at: datetime.datetime
    what: str
    to: str
    status: str
    seen: bool
    last_error: str
    attempts: int
    provider_id: str


#: The newest messages as the columns the table prints, compiled once (patients.compiled).
_MESSAGES_SENT = CompiledRead(
    lambda infant: (
        messages_for_infant(m.Infant(pk=infant))
        # Newest first; a dose's messages by each channel fall due together.
        .order_by("-due_at", "kind", "channel")
        .values_list(
            "due_at",
            "kind",
            "channel",
            "guardian__user__first_name",
            "guardian__user__last_name",
            "guardian__user__username",
            "status",
            "acknowledged_at",
            "last_error",
            "attempts",
            "provider_message_id",
        )[:MESSAGES_SHOWN]
    ),
    infant=m.Infant._meta.pk,
)


def _person(first: str | None, last: str | None, username: str | None) -> str:
    """A user read as columns, named as `User.__str__` and `Alert.seen_by` name them: the full
    name, else the user name ("" for no user, as for an alert nobody has acknowledged)."""
    return f"{first or ''} {last or ''}".strip() or (username or "")


class MessagesSent:
    """The newest messages to the guardians as read, and the version the table's fragment is kept
    under: a digest of those rows. They change with every send, so the page reads them on every
    request, but drawing forty rows (a localized time in each) was a third of the page; the table
    is drawn again only when a row has changed."""

    def __init__(self, read: list[tuple]) -> None:
        self._read = read
        # The times print in the active zone: the same rows in another zone are another table.
        self.version = rows_version([timezone.get_current_timezone_name(), read])

    @cached_property
    def rows(self) -> list[MessageRow]:
        return [
            MessageRow(
                due_at=due_at,
                what=f"{MessageKind(kind).label} ({Channel(channel).label})",
                to=_person(first, last, username),
                status=str(MessageStatus(status).label),
                seen=acknowledged_at is not None,
                last_error=last_error,
                attempts=attempts,
                provider_id=provider_id,
            )
            for (
                due_at,
                kind,
                channel,
                first,
                last,
                username,
                status,
                acknowledged_at,
                last_error,
                attempts,
                provider_id,
            ) in self._read
        ]


def messages_sent(infant: m.Infant) -> MessagesSent:
    """The newest messages, read as the columns the table prints: a model instance a row with its
    guardian, user and dose, and `get_FOO_display` building its dict of choices for every cell,
    were a fifth of the page."""
    return MessagesSent(_MESSAGES_SENT.rows(infant=infant.pk))


@dataclass(frozen=True)
class AlertRow:
    """An open alert as the infant page prints it, with the acknowledge form's fields."""

    pk: object
    severity: str
    severity_label: str
    message: str
    acknowledged_at: datetime.datetime | None
    seen_by: str


#: `open_alerts_for` as the columns the page prints, compiled once (patients.compiled).
_OPEN_ALERTS = CompiledRead(
    lambda infant: open_alerts_for(m.Infant(pk=infant)).values_list(
        "id",
        "severity",
        "message",
        "acknowledged_at",
        "acknowledged_by__first_name",
        "acknowledged_by__last_name",
        "acknowledged_by__username",
    ),
    infant=m.Infant._meta.pk,
)


def alerts_shown(infant: m.Infant) -> list[AlertRow]:
    """The infant's open alerts, urgent first. Read on every request, as an alert opens and
    closes without the record changing (a dose falls due, a rule's window passes)."""
    return [
        AlertRow(
            pk=pk,
            severity=severity,
            severity_label=str(AlertSeverity(severity).label),
            message=message,
            acknowledged_at=acknowledged_at,
            seen_by=_person(first, last, username),
        )
        for pk, severity, message, acknowledged_at, first, last, username in _OPEN_ALERTS.rows(
            infant=infant.pk
        )
    ]


@clinical_required
def infant_detail(request: HttpRequest, infant_id) -> HttpResponse:
    """The page keeps what the record alone decides (the phase, what is coming up, the charts and
    the timeline) in the fragment cache, under the infant's chart data version: one query that
    changes with any row of the record and with the clinic's day (``services.charts``). On a hit
    none of the record is read, which was two thirds of the page's queries and most of its time
    (docs/BENCHMARKS.md, staff infant page). Open alerts and the messages to the guardians change
    without the record and are read on every request."""
    infant = get_object_or_404(clinic_infants(request).select_related("clinic"), pk=infant_id)
    today = infant.clinic.today()
    age = age_on(
        infant.birth_date,
        max(today, infant.birth_date),
        gestational_age_days=infant.gestational_age_days,
        rule=WHO_GROWTH_CORRECTION,
    )
    newest = None if request.GET.get("timeline") == "all" else TIMELINE_SHOWN
    version = chart_service.infant_data_version(infant, today=today)
    log_access(
        request, action=AccessAction.READ, resource=m.Infant, infant=infant, object_id=infant.pk
    )
    return page(
        request,
        "web/staff/infant_detail.html",
        {
            "infant": infant,
            "today": today,
            "age": age,
            "age_text": age_text(age.chronological_age_days),
            "corrected_age_text": age_text(age.age_days) if age.corrected else "",
            # Read only where a fragment is not in the cache: the template's lookups evaluate it.
            "record": SimpleLazyObject(
                lambda: infant_record(infant, today=today, newest=newest, version=version)
            ),
            "record_version": version,
            "release": release(),
            "record_seconds": chart_service.CACHE_SECONDS,
            "timeline_shown": newest or "all",
            "alerts": alerts_shown(infant),
            "messages_sent": messages_sent(infant),
        },
    )


def age_text(days: int) -> str:
    """ "5 months 12 days" on the WHO month, as the clinic reads an age off a chart."""
    months = int(days // 30.4375)
    rest = round(days - months * 30.4375)
    return _("%(months)d months %(days)d days") % {"months": months, "days": rest}
