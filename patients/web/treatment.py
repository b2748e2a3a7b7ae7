"""Staff pages of treatment: start a course from a regimen after previewing its calendar, and
follow a course with its events and its re-planned calendar.

Writes go through the treatment services (start_course_from_regimen, record_course_event), which
plan the doses and the guardians' reminders; these views find the infant and the course within
the reader's clinics, check the form, and show the plan.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from patients import models as m
from patients.clinical import regimens as engine
from patients.models.treatment import CourseEventKind, CourseStatus, PlannedDoseStatus
from patients.services.audit import AccessAction, log_access
from patients.services.regimens import preview_regimen, regimens_for, start_course_from_regimen
from patients.services.treatment import course_regimen, default_horizon, record_course_event
from patients.web.access import clinic_infants, clinical_required
from patients.web.pages import page
from patients.web.treatment_forms import EVENT_FORMS, CourseEventForm, StartCourseForm

# The models' choice labels are not translated; the pages say them in the reader's language.
ROUTES = {
    "intramuscular": gettext_lazy("intramuscular"),
    "intravenous": gettext_lazy("intravenous"),
    "subcutaneous": gettext_lazy("subcutaneous"),
    "oral": gettext_lazy("oral"),
}
UNITS = {"mg": gettext_lazy("mg"), "microgram": gettext_lazy("microgram"), "mg/kg": "mg/kg"}
DOSE_STATUSES = {
    PlannedDoseStatus.PLANNED: gettext_lazy("Planned"),
    PlannedDoseStatus.GIVEN: gettext_lazy("Given"),
    PlannedDoseStatus.MISSED: gettext_lazy("Missed"),
    PlannedDoseStatus.CANCELLED: gettext_lazy("Cancelled"),
}
EVENT_KINDS = {
    CourseEventKind.MISSED: gettext_lazy("Dose missed"),
    CourseEventKind.ADVANCE: gettext_lazy("Advanced to the next phase"),
    CourseEventKind.CHANGE: gettext_lazy("Dose or route changed"),
    CourseEventKind.STOP: gettext_lazy("Course stopped"),
}
COURSE_STATUSES = {
    CourseStatus.ACTIVE: gettext_lazy("Active"),
    CourseStatus.STOPPED: gettext_lazy("Stopped"),
    CourseStatus.COMPLETED: gettext_lazy("Completed"),
}


@dataclass(frozen=True)
class CalendarRow:
    """One dose of a calendar: planned by a preview, or stored for a running course."""

    on: datetime.date
    number: int
    phase: str
    dose: str
    unit: str
    route: str
    at_home: bool
    status: str
    status_label: str
    #: The regimen's day, when a closing day or a missed dose moved the dose.
    moved_from: datetime.date | None

    @classmethod
    def planned(cls, dose: engine.PlannedDose) -> CalendarRow:
        return cls(
            on=dose.date,
            number=dose.sequence,
            phase=dose.phase_name,
            dose=_amount(dose.dose),
            unit=UNITS[str(dose.unit)],
            route=ROUTES[str(dose.route)],
            at_home=dose.given_at_home,
            status=str(dose.status),
            status_label=DOSE_STATUSES[str(dose.status)],
            moved_from=dose.original_date,
        )

    @classmethod
    def stored(cls, dose: m.PlannedDose, *, today: datetime.date) -> CalendarRow:
        label = DOSE_STATUSES.get(dose.status, dose.get_status_display())
        if dose.status == PlannedDoseStatus.PLANNED and dose.due_on < today:
            # Its day is over and nobody recorded it given; the reminder loop marks it missed.
            label = _("Not recorded")
        return cls(
            on=dose.due_on,
            number=dose.number,
            phase=dose.phase_name,
            dose=_amount(dose.dose),
            unit=UNITS.get(dose.dose_unit, dose.dose_unit),
            route=ROUTES.get(dose.route, dose.route),
            at_home=dose.at_home,
            status=dose.status,
            status_label=label,
            moved_from=dose.original_due_on,
        )


def _amount(dose: Decimal) -> str:
    """1 for 1.000 and 0.5 for 0.500, with the reader's decimal mark."""
    return number_format(Decimal(f"{dose.normalize():f}"))


def _day(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _infant(request: HttpRequest, infant_id) -> m.Infant:
    return get_object_or_404(clinic_infants(request).select_related("clinic"), pk=infant_id)


def _course_url(course: m.TreatmentCourse) -> str:
    return reverse("web:course", kwargs={"infant_id": course.infant_id, "course_id": course.pk})


# --- starting a course ----------------------------------------------------------------------------


def _calendar_digest(regimen: m.Regimen, plan: engine.CoursePlan) -> str:
    return hashlib.sha256(
        repr((str(regimen.pk), plan.start, plan.doses, plan.review_points)).encode()
    ).hexdigest()


@require_http_methods(["GET", "POST"])
@clinical_required
def start_course(request: HttpRequest, infant_id) -> HttpResponse:
    """Preview a regimen's calendar for the infant, then start the course it shows.

    Nothing is carried from the preview to the start: "Start course" sends the form again, and
    the service plans the course from the form's values. Staff must still never start a calendar
    they have not seen, so the preview sends back a digest of the calendar it showed; a start
    whose form (or the clinic's closing days) now gives another calendar starts nothing and shows
    the new calendar to check instead.
    """
    infant = _infant(request, infant_id)
    today = infant.clinic.today()
    running = list(
        m.TreatmentCourse.objects.active()
        .filter(infant=infant, status=CourseStatus.ACTIVE)
        .order_by("-started_on")
    )
    starting = request.POST.get("action") == "start"
    form = StartCourseForm(
        request.POST if request.method == "POST" else None,
        infant=infant,
        regimens=regimens_for(infant.clinic),
        running=bool(running),
        starting=starting,
        initial={"started_on": today},
    )
    plan, digest, changed = None, "", False
    if request.method == "POST":
        valid = form.is_valid()
        data = form.cleaned_data
        # The calendar is shown whenever regimen and date are right, even while another field
        # (the confirmation of a second course) still needs an answer.
        if "regimen" in data and "started_on" in data:
            try:
                # The horizon a started course is planned to, so the preview is that calendar.
                plan = preview_regimen(
                    regimen=data["regimen"],
                    clinic=infant.clinic,
                    start=data["started_on"],
                    horizon=default_horizon(data["started_on"], today),
                )
            except ValidationError as error:
                form.apply_errors(error)
                valid = False
            else:
                digest = _calendar_digest(data["regimen"], plan)
        if starting and valid and plan is not None:
            if request.POST.get("previewed") != digest:
                changed = True
            else:
                try:
                    course = start_course_from_regimen(
                        infant=infant,
                        actor=request.user,
                        regimen=data["regimen"],
                        started_on=data["started_on"],
                        indication=data["indication"],
                        today=today,
                    )
                except ValidationError as error:
                    form.apply_errors(error)
                else:
                    count = course.planned_doses.count()
                    messages.success(
                        request,
                        ngettext(
                            "The course is started: %(count)d dose planned.",
                            "The course is started: %(count)d doses planned.",
                            count,
                        )
                        % {"count": count},
                    )
                    return redirect(_course_url(course))
    log_access(
        request, action=AccessAction.READ, resource=m.Infant, infant=infant, object_id=infant.pk
    )
    return page(
        request,
        "web/staff/course_start.html",
        {
            "infant": infant,
            "running": running,
            "form": form,
            "plan": plan,
            "calendar": [CalendarRow.planned(dose) for dose in plan.doses] if plan else [],
            "digest": digest,
            # Open-ended and lifelong phases stop at the planning horizon, not at their end.
            "open_ended": bool(plan) and any(p.is_unbounded for p in plan.regimen.phases),
            "changed": changed,
        },
    )


# --- a running course -----------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRow:
    on: datetime.date
    label: str
    details: str
    reason: str
    recorded_by: str
    recorded_at: datetime.datetime

    @classmethod
    def of(cls, event: m.CourseEvent) -> EventRow:
        details = []
        if event.make_up_on:
            details.append(_("made up on %(date)s") % {"date": _day(event.make_up_on)})
        if event.dose is not None:
            details.append(
                _("new dose %(dose)s") % {"dose": _amount(event.dose)}
                + (f" {UNITS.get(event.dose_unit, event.dose_unit)}" if event.dose_unit else "")
            )
        elif event.dose_unit:
            details.append(_("new unit %(unit)s") % {"unit": UNITS.get(event.dose_unit, "")})
        if event.route:
            details.append(
                _("new route %(route)s") % {"route": ROUTES.get(event.route, event.route)}
            )
        who = event.recorded_by
        return cls(
            on=event.on,
            label=EVENT_KINDS.get(event.kind, event.get_kind_display()),
            details=", ".join(details),
            reason=event.reason,
            recorded_by=(who.get_full_name() or who.username) if who else "",
            recorded_at=event.created_at,
        )


def _locked_reason(course: m.TreatmentCourse) -> str:
    """Why the course's plan cannot change any more, or "" while it can."""
    if course.is_voided:
        return _("This course was voided; its plan cannot change.")
    if course.status == CourseStatus.STOPPED:
        return _("This course was stopped on %(date)s; its plan cannot change.") % {
            "date": _day(course.stopped_on)
        }
    if course.status != CourseStatus.ACTIVE:
        return _("This course is completed; its plan cannot change.")
    if not course.regimen:
        # Recorded by hand (the demo's oral iron): there is no regimen to plan doses from.
        return _("This course was recorded without a regimen, so it has no plan to change.")
    return ""


def _next_phase(course: m.TreatmentCourse, doses: list[m.PlannedDose], today: datetime.date):
    """The phase an advance would move to: the one after the next dose's phase, if any."""
    coming = [d for d in doses if d.status == PlannedDoseStatus.PLANNED and d.due_on >= today]
    current = coming[0] if coming else (doses[-1] if doses else None)
    phases = course_regimen(course).phases
    number = current.phase_number if current else 1
    return phases[number] if number < len(phases) else None


def _event_forms(
    course: m.TreatmentCourse, *, today: datetime.date, posted: str, data
) -> dict[str, CourseEventForm]:
    return {
        kind: form_class(data if kind == posted else None, course=course, today=today)
        for kind, form_class in EVENT_FORMS.items()
    }


@require_http_methods(["GET", "POST"])
@clinical_required
def course_page(request: HttpRequest, infant_id, course_id) -> HttpResponse:
    """The course, its events and its calendar as re-planned, with a form per kind of event."""
    infant = _infant(request, infant_id)
    course = get_object_or_404(
        m.TreatmentCourse.objects.filter(infant=infant).select_related("prescribed_by"),
        pk=course_id,
    )
    today = infant.clinic.today()
    locked = _locked_reason(course)
    posted = request.POST.get("kind", "") if request.method == "POST" else ""
    if posted and posted not in EVENT_FORMS:
        raise BadRequest("unknown kind of course event")
    if posted and locked:
        # A form left open in another tab after the course was stopped.
        messages.error(request, locked)
        return redirect(_course_url(course))
    forms = {} if locked else _event_forms(course, today=today, posted=posted, data=request.POST)
    if posted:
        form = forms[posted]
        if form.is_valid():
            try:
                event = record_course_event(course, actor=request.user, **form.event())
            except ValidationError as error:
                form.apply_errors(error)
            else:
                messages.success(
                    request,
                    _(
                        "%(event)s on %(date)s is recorded; the calendar is re-planned from that day."
                    )
                    % {"event": EVENT_KINDS[event.kind], "date": _day(event.on)},
                )
                return redirect(_course_url(course) + "#calendar")

    doses = list(
        m.PlannedDose.objects.active()
        .filter(course=course)
        .exclude(status=PlannedDoseStatus.SUPERSEDED)
        .order_by("due_on", "number")
    )
    events = list(course.events.active().select_related("recorded_by").order_by("on", "created_at"))
    calendar = [CalendarRow.stored(dose, today=today) for dose in doses]
    log_access(
        request,
        action=AccessAction.READ,
        resource=m.TreatmentCourse,
        infant=infant,
        object_id=course.pk,
    )
    return page(
        request,
        "web/staff/course.html",
        {
            "infant": infant,
            "course": course,
            "status_label": COURSE_STATUSES.get(course.status, course.get_status_display()),
            "dose_label": _amount(course.dose),
            "route_label": ROUTES.get(course.route, course.route),
            "unit_label": UNITS.get(course.dose_unit, course.dose_unit),
            "events": [EventRow.of(event) for event in events],
            "done": [row for row in calendar if row.on < today],
            "coming": [row for row in calendar if row.on >= today],
            "locked": locked,
            "forms": forms,
            "next_phase": None if locked else _next_phase(course, doses, today),
        },
    )


# Included under "infants/<uuid:infant_id>/courses/" by patients/web/urls.py, in its namespace.
urlpatterns = [
    path("new/", start_course, name="start-course"),
    path("<uuid:course_id>/", course_page, name="course"),
]
