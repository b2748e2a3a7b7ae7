"""Helpers shared by the notification tests: a guardian of an infant, a course, a planned message."""

from __future__ import annotations

import datetime
import uuid

from django.utils import timezone

from patients import models as m
from patients.clinical.regimens import load_shipped_regimens
from patients.services.records import create_record
from patients.services.treatment import start_course
from tests.factories import UserFactory

# Words that would tell a reader of the lock screen what the child is treated for.
DIAGNOSIS_WORDS = (
    "b12",
    "deficiency",
    "eksikliği",
    "eksikligi",
    "vitamin",
    "cobalamin",
    "kobalamin",
    "hydroxo",
    "hidroksi",
)


def make_guardian(
    infant: m.Infant,
    *,
    language: str = "tr",
    phone: str = "+905321234567",
    email: str = "veli@example.org",
    time_zone: str = "Europe/Istanbul",
) -> m.Guardian:
    guardian = create_record(
        m.Guardian,
        actor=None,
        user=UserFactory(username=f"guardian-{uuid.uuid4().hex[:8]}"),
        language=language,
        phone=phone,
        email=email,
        time_zone=time_zone,
    )
    create_record(
        m.InfantGuardian, actor=None, infant=infant, guardian=guardian, relationship="mother"
    )
    return guardian


def start_seed_course(
    infant: m.Infant, *, actor: m.User | None, started_on: datetime.date
) -> m.TreatmentCourse:
    return start_course(
        infant=infant,
        actor=actor,
        regimen=load_shipped_regimens()["seed-000-patient-2"],
        started_on=started_on,
        today=started_on,
    )


def planned_message(
    guardian: m.Guardian,
    infant: m.Infant,
    *,
    kind: str,
    channel: str,
    event_on: datetime.date,
    planned_dose: m.PlannedDose | None = None,
) -> m.PlannedMessage:
    return m.PlannedMessage.objects.create(
        slot_key=f"{kind}:{channel}:{uuid.uuid4()}",
        guardian=guardian,
        infant=infant,
        planned_dose=planned_dose,
        kind=kind,
        channel=channel,
        event_on=event_on,
        due_at=timezone.now(),
    )
