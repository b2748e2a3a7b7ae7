"""Tests of reminder planning and the closed loop; shared builders live here, not in factories."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens
from patients.models.reminders import MessageKind, MessageStatus
from patients.services.reminders import record_reminder_consent
from patients.services.treatment import start_course
from tests.factories import InfantFactory, UserFactory

UTC = datetime.UTC
ISTANBUL = ZoneInfo("Europe/Istanbul")
BERLIN = ZoneInfo("Europe/Berlin")
# Seed 000, patient 2: the first dose on the 5th day in hospital (services/demo.py).
PATIENT_2_BIRTH = datetime.date(2023, 2, 20)
PATIENT_2_START = datetime.date(2023, 11, 24)
CONSENT_GIVEN_AT = datetime.datetime(2023, 1, 1, tzinfo=UTC)
DOSE_KINDS = (MessageKind.DOSE_EVENING_BEFORE, MessageKind.DOSE_MORNING_OF)


def utc(*args: int) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def patient_2(clinic: m.Clinic) -> m.Infant:
    return InfantFactory(clinic=clinic, birth_date=PATIENT_2_BIRTH, record_number="S000-P2")


def start_regimen(
    infant: m.Infant, started_on: datetime.date, key: str = "seed-000-patient-2"
) -> m.TreatmentCourse:
    return start_course(
        infant=infant,
        actor=None,
        regimen=load_shipped_regimens()[key],
        started_on=started_on,
        today=started_on - datetime.timedelta(days=1),
    )


def guardian_of(
    infant: m.Infant,
    *,
    time_zone: str = "Europe/Istanbul",
    phone: str = "+905320000002",
    email: str = "",
    consent: bool = True,
    **preferences,
) -> m.Guardian:
    """A guardian with SMS (and e-mail when given) reaching them, linked to the infant."""
    guardian = m.Guardian.objects.create(
        user=UserFactory(),
        time_zone=time_zone,
        phone=phone,
        email=email,
        email_enabled=bool(email),
        **preferences,
    )
    m.InfantGuardian.objects.create(infant=infant, guardian=guardian, relationship="mother")
    if consent:
        record_reminder_consent(
            guardian=guardian,
            actor=None,
            given_at=CONSENT_GIVEN_AT,
            text_version="reminders-v1",
            now=CONSENT_GIVEN_AT,
        )
    return guardian


def dose_rows(guardian: m.Guardian, *, status: str = MessageStatus.PENDING, channel="sms"):
    return m.PlannedMessage.objects.filter(
        guardian=guardian, kind__in=DOSE_KINDS, status=status, channel=channel
    ).order_by("due_at", "kind")


def local_plan(rows, zone: ZoneInfo) -> list[tuple[str, str, str, str]]:
    """(local date, local time, kind, dose day) as a parent would read the plan."""
    return [
        (
            f"{row.due_at.astimezone(zone):%Y-%m-%d}",
            f"{row.due_at.astimezone(zone):%H:%M}",
            row.kind,
            f"{row.event_on:%Y-%m-%d}",
        )
        for row in rows
    ]


def mark_sent_until(infant: m.Infant, until: datetime.datetime) -> int:
    """What the dispatcher would have done by `until`: every due pending row sent."""
    return m.PlannedMessage.objects.filter(
        infant=infant, status=MessageStatus.PENDING, due_at__lte=until
    ).update(status=MessageStatus.SENT, sent_at=until, attempts=1)
