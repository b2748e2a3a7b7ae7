"""The parent portal: a guardian's own children, their reminders, preferences and calendar link.

Children come from `children_of` and reminders from the guardian's own rows only, so another
child's page or another family's reminder answers 404 whatever id is typed.
"""

from __future__ import annotations

import io
from collections import defaultdict

import segno
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from patients import models as m
from patients.models.reminders import Channel, MessageKind, MessageStatus
from patients.models.treatment import PlannedDoseStatus
from patients.selectors import children_of, guardian_of
from patients.services.audit import AccessAction, log_access
from patients.services.calendar_feeds import issue_feed
from patients.services.reminders import acknowledge_reminder
from patients.services.reminders.planning import PREFERENCE_FIELDS, update_reminder_preferences
from patients.web.access import guardian_required
from patients.web.forms import ReminderPreferencesForm
from patients.web.pages import page

#: How far ahead the portal lists doses and visits; the take-home plan has the whole course.
DOSES_SHOWN = 5
VISITS_SHOWN = 3
REMINDERS_SHOWN = 20

# The model's labels are the clinic's English; a guardian reads them in their own language.
KIND_LABELS = {
    MessageKind.DOSE_EVENING_BEFORE: gettext_lazy("Dose tomorrow"),
    MessageKind.DOSE_MORNING_OF: gettext_lazy("Dose today"),
    MessageKind.VISIT_EVENING_BEFORE: gettext_lazy("Visit tomorrow"),
    MessageKind.VISIT_MORNING_OF: gettext_lazy("Visit today"),
    MessageKind.MISSED_DOSE: gettext_lazy("Dose missed: please contact the clinic"),
    MessageKind.NEW_PLAN: gettext_lazy("Your new plan"),
}
CHANNEL_LABELS = {Channel.SMS: gettext_lazy("SMS"), Channel.EMAIL: gettext_lazy("E-mail")}
STATUS_LABELS = {
    MessageStatus.PENDING: gettext_lazy("Waiting to be sent"),
    MessageStatus.SENDING: gettext_lazy("Being sent"),
    MessageStatus.SENT: gettext_lazy("Sent"),
    MessageStatus.FAILED: gettext_lazy("Could not be sent"),
    MessageStatus.CANCELLED: gettext_lazy("Cancelled by a new plan"),
    MessageStatus.SKIPPED: gettext_lazy("Not sent"),
}


def _schedule(children: list[m.Infant]) -> None:
    """Attach each child's next doses and visits: two queries whatever the number of children."""
    ids = [child.pk for child in children]
    # The earliest "today" of the children's clinics; each child's list is cut at its own below.
    earliest = min((child.clinic.today() for child in children), default=timezone.localdate())
    doses = defaultdict(list)
    for dose in (
        m.PlannedDose.objects.active()
        .filter(
            course__infant__in=ids,
            course__voided_at__isnull=True,
            status=PlannedDoseStatus.PLANNED,
            due_on__gte=earliest,
        )
        .select_related("course")
        .order_by("due_on", "number")
    ):
        doses[dose.course.infant_id].append(dose)
    visits = defaultdict(list)
    for visit in (
        m.Visit.objects.active()
        .filter(infant__in=ids, visit_date__gte=earliest)
        .order_by("visit_date", "created_at")
    ):
        visits[visit.infant_id].append(visit)
    for child in children:
        today = child.clinic.today()
        child.next_doses = [d for d in doses[child.pk] if d.due_on >= today][:DOSES_SHOWN]
        child.next_visits = [v for v in visits[child.pk] if v.visit_date >= today][:VISITS_SHOWN]
        child.plan_url = reverse(
            "api:api-infant-report", kwargs={"pk": child.pk, "report": "take-home-plan"}
        )


def _reminders(guardian: m.Guardian) -> list[m.PlannedMessage]:
    rows = list(
        m.PlannedMessage.objects.filter(
            guardian=guardian, status=MessageStatus.SENT, infant__voided_at__isnull=True
        )
        .select_related("infant")
        .order_by("-sent_at")[:REMINDERS_SHOWN]
    )
    for row in rows:
        row.kind_label = KIND_LABELS.get(row.kind, row.get_kind_display())
        row.channel_label = CHANNEL_LABELS.get(row.channel, row.get_channel_display())
    return rows


@guardian_required
@require_GET
def portal_home(request: HttpRequest) -> HttpResponse:
    guardian = guardian_of(request.user)
    children = list(children_of(request.user).select_related("clinic").order_by("birth_date"))
    _schedule(children)
    for child in children:
        log_access(
            request,
            action=AccessAction.READ,
            resource="portal:child",
            infant=child,
            object_id=child.pk,
        )
    return page(
        request,
        "web/portal/home.html",
        {"guardian": guardian, "children": children, "reminders": _reminders(guardian)},
    )


@guardian_required
@require_GET
def portal_child(request: HttpRequest, infant_id) -> HttpResponse:
    child = get_object_or_404(children_of(request.user).select_related("clinic"), pk=infant_id)
    _schedule([child])
    log_access(
        request, action=AccessAction.READ, resource="portal:child", infant=child, object_id=child.pk
    )
    return page(request, "web/portal/child.html", {"child": child})


@guardian_required
@require_POST
def acknowledge(request: HttpRequest, message_id) -> HttpResponse:
    message = get_object_or_404(
        m.PlannedMessage.objects.select_related("guardian"),
        pk=message_id,
        guardian__user=request.user,
        guardian__voided_at__isnull=True,
    )
    try:
        acknowledge_reminder(message, guardian_user=request.user, now=timezone.now())
    except (ValidationError, PermissionDenied):
        messages.error(request, _("This reminder cannot be marked as seen."))
    else:
        messages.success(request, _("Thank you: the reminder is marked as seen."))
    return redirect("web:portal")


@guardian_required
def preferences(request: HttpRequest) -> HttpResponse:
    guardian = guardian_of(request.user)
    initial = {name: getattr(guardian, name) for name in ReminderPreferencesForm.base_fields}
    form = ReminderPreferencesForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if k in PREFERENCE_FIELDS}
        try:
            update_reminder_preferences(guardian=guardian, actor=request.user, **changes)
        except ValidationError as error:
            form.apply_errors(error)
        else:
            language = changes["language"]
            translation.activate(language)
            messages.success(request, _("Your reminder settings are saved."))
            response = redirect("web:preferences")
            # The pages follow the language the guardian chose for the reminders.
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
    return page(request, "web/portal/preferences.html", {"form": form})


def _feed_urls(request: HttpRequest, feed: m.CalendarFeed) -> dict[str, str]:
    https = request.build_absolute_uri(reverse("patients:calendar-feed", args=[feed.token]))
    # webcal:// asks the phone's calendar app to subscribe rather than download the file once.
    webcal = "webcal://" + https.split("://", 1)[1]
    return {"https": https, "webcal": webcal}


def _active_feed(guardian: m.Guardian) -> m.CalendarFeed | None:
    return guardian.calendar_feeds.filter(revoked_at__isnull=True).first()


@guardian_required
def calendar(request: HttpRequest) -> HttpResponse:
    guardian = guardian_of(request.user)
    if request.method == "POST":
        with transaction.atomic():
            if not guardian.calendar_enabled:
                # Asking for a link is switching the calendar on; switching it off later revokes.
                guardian = update_reminder_preferences(
                    guardian=guardian, actor=request.user, calendar_enabled=True
                )
            issue_feed(guardian)
        messages.success(request, _("Your new calendar link is ready. Any older link has stopped."))
        return redirect("web:calendar")
    feed = _active_feed(guardian) if guardian.calendar_enabled else None
    return page(
        request,
        "web/portal/calendar.html",
        {"feed": feed, "urls": _feed_urls(request, feed) if feed else None},
    )


@guardian_required
@require_GET
def calendar_qr(request: HttpRequest) -> HttpResponse:
    guardian = guardian_of(request.user)
    feed = _active_feed(guardian) if guardian.calendar_enabled else None
    if feed is None:
        return HttpResponse(status=404)
    # The https link: every phone camera opens it, while webcal:// is understood by some only.
    qr = segno.make(_feed_urls(request, feed)["https"], error="m")
    buffer = io.BytesIO()
    qr.save(buffer, kind="svg", scale=6, border=4, xmldecl=False, title=_("Calendar link"))
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    patch_cache_control(response, private=True, no_store=True)
    return response
