"""Render a planned message at send time, in the guardian's language, from templates.

Rendering late (not when the row is planned) means a corrected template, a renamed clinic or a
changed phone number reaches messages already waiting, and "today"/"tomorrow" is computed against
the moment the message actually leaves: an evening reminder held back past midnight by quiet hours
must not say "tomorrow" about today's injection.

What a message may say: the child's first name, the day, the clinic's name and "your child's
injection" (or "dose" when it is given by mouth). Never the diagnosis and never the drug: an SMS is
read on lock screens and shared phones, and the drug name alone gives the diagnosis away. The same
rule holds for e-mail, so one body template serves both channels.

Templates: templates/notifications/<kind>.<lang>.txt (body) and <kind>.<lang>.subject.txt (e-mail).
"""

from __future__ import annotations

import datetime

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.dateformat import format as format_date

from patients.clinical.monitoring import ItemKind, item_kinds
from patients.models.reminders import Channel, PlannedMessage
from patients.models.treatment import Route
from patients.notifications.base import Outgoing, PermanentGatewayError

SUPPORTED_LANGUAGES = ("tr", "en")
FALLBACK_LANGUAGE = "tr"

# Day and month names come from Django's own translations for the language; the order is ours.
DATE_FORMATS = {"tr": "j F l", "en": "l j F"}

# Routes the guardian knows as "an injection"; anything else is "a dose" (given by mouth).
INJECTED_ROUTES = {Route.INTRAMUSCULAR, Route.SUBCUTANEOUS, Route.INTRAVENOUS}


def message_language(language: str) -> str:
    return language if language in SUPPORTED_LANGUAGES else FALLBACK_LANGUAGE


def format_day(day: datetime.date, language: str) -> str:
    with translation.override(language):
        return format_date(day, DATE_FORMATS[language])


def _address(message: PlannedMessage) -> str:
    guardian = message.guardian
    if message.channel == Channel.SMS:
        if not guardian.phone or not guardian.phone.is_valid():
            raise PermanentGatewayError("The guardian has no valid phone number for SMS.")
        return guardian.phone.as_e164
    if message.channel == Channel.EMAIL:
        if not guardian.email:
            raise PermanentGatewayError("The guardian has no e-mail address.")
        return guardian.email
    raise PermanentGatewayError(f"Unknown channel {message.channel!r}.")


def context_for(message: PlannedMessage, *, now: datetime.datetime) -> dict:
    guardian, infant = message.guardian, message.infant
    language = message_language(guardian.language)
    local_today = timezone.localtime(now, guardian.zone).date()
    dose = message.planned_dose
    visit = message.visit if message.visit_id else None
    return {
        "child": infant.given_name,
        "clinic": infant.clinic.name,
        "day": format_day(message.event_on, language),
        "is_today": message.event_on == local_today,
        "is_tomorrow": message.event_on == local_today + datetime.timedelta(days=1),
        # A dose without a row (a visit) or given in the clinic is "at the clinic".
        "at_home": bool(dose and dose.at_home),
        "injection": dose is None or dose.route in INJECTED_ROUTES,
        "channel": message.channel,
        # "with a blood test", so the guardian knows why; never which test (it names the disease).
        "has_tests": bool(
            visit and any(item_kinds().get(code) is ItemKind.LAB for code in visit.monitoring_items)
        ),
    }


def _render(name: str, context: dict) -> str:
    # Templates switch autoescaping off themselves: these are plain-text messages, and a name
    # like "O'Neil" must not arrive as "O&#x27;Neil".
    return render_to_string(f"notifications/{name}", context).strip()


def render(message: PlannedMessage, *, now: datetime.datetime | None = None) -> Outgoing:
    """The message as it leaves now: addressed, in the guardian's language, idempotency-keyed."""
    to = _address(message)
    language = message_language(message.guardian.language)
    context = context_for(message, now=now or timezone.now())
    base = f"{message.kind}.{language}"
    subject = ""
    if message.channel == Channel.EMAIL:
        # A header line: newlines would make Django refuse the message (header injection guard).
        subject = " ".join(_render(f"{base}.subject.txt", context).split())
    with translation.override(language):
        body = _render(f"{base}.txt", context)
    return Outgoing(
        idempotency_key=str(message.id),
        channel=message.channel,
        to=to,
        subject=subject,
        body=body,
        language=language,
    )
