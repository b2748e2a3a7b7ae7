"""The personas of QUALITY.md signed in to the API, and one record of every kind for infant A
(clinic 1) and infant B (clinic 2).

Personas: anonymous, the guardian of infant A, the guardian of infant B, staff of clinic 1, staff
of clinic 2, the lead of clinic 1 and an administrator. Each signs in with a real token, so the
tests go through the API's own authentication.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from patients import models as m
from patients.services.development import record_denver_assessment, record_milestone
from patients.services.growth import record_growth
from patients.services.labs import record_lab_result
from patients.services.records import create_record
from patients.services.regimens import (
    save_clinic_regimen,
    start_course_from_regimen,
    sync_shipped_regimens,
)
from patients.services.treatment import record_administration
from tests import factories as f

PERSONAS = ("anonymous", "guardian_a", "guardian_b", "staff_1", "staff_2", "lead_1", "admin")

D = datetime.date


@dataclass
class Caller:
    name: str
    user: m.User | None
    client: APIClient = field(repr=False)


def _client(user: m.User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_guardian(infant: m.Infant, username: str) -> m.Guardian:
    user = f.UserFactory(username=username)
    guardian = create_record(
        m.Guardian, actor=None, user=user, phone="+905320000000", email=f"{username}@example.org"
    )
    create_record(
        m.InfantGuardian, actor=None, infant=infant, guardian=guardian, relationship="mother"
    )
    return guardian


def clinic_regimen_definition(key: str = "clinic-weekly") -> dict:
    return {
        "key": key,
        "version": 1,
        "name": "Clinic 1: daily for a week, then weekly",
        "drug": "hydroxocobalamin",
        "closing_day_policy": "keep_calendar",
        "source": "Clinic 1 protocol (test data).",
        "phases": [
            {
                "name": "daily",
                "dose": "1",
                "unit": "mg",
                "route": "intramuscular",
                "interval": {"kind": "daily"},
                "end": {"kind": "dose_count", "count": 7},
            },
            {
                "name": "weekly",
                "dose": "1",
                "unit": "mg",
                "route": "intramuscular",
                "interval": {"kind": "weekly"},
                "end": {"kind": "dose_count", "count": 4},
            },
        ],
    }


def make_records(
    infant: m.Infant, *, actor: m.User, guardian: m.Guardian, regimen
) -> SimpleNamespace:
    """One row of every kind the API serves, for one infant, written through the services."""
    birth = infant.birth_date
    on = birth + datetime.timedelta(days=270)
    mother = create_record(
        m.Mother, actor=actor, clinic=infant.clinic, given_name="Ayşe", family_name="Kaya"
    )
    visit = create_record(
        m.Visit, actor=actor, infant=infant, visit_type="outpatient", visit_date=on
    )
    growth = record_growth(
        infant=infant,
        actor=actor,
        measured_on=on,
        weight_kg=Decimal("8.0"),
        length_cm=Decimal("70.0"),
        head_circumference_cm=Decimal("44.0"),
        visit=visit,
    )
    lab = record_lab_result(
        actor=actor,
        infant=infant,
        analyte="b12",
        collected_on=on,
        value=Decimal("150"),
        unit="pg/mL",
        comparator="<",
    )
    study = create_record(
        m.ImagingStudy,
        actor=actor,
        infant=infant,
        modality="mri",
        body_site="brain",
        performed_on=on,
        impression="Frontal cortical atrophy.",
    )
    finding = create_record(
        m.ImagingFinding,
        actor=actor,
        study=study,
        finding_type="cortical_atrophy",
        region="frontal",
        severity="moderate",
    )
    denver = record_denver_assessment(
        infant=infant,
        actor=actor,
        assessed_on=on,
        scores={"gross_motor:9": "P", "language:7": "F", "personal_social:5": "P"},
    )
    milestone = record_milestone(
        infant=infant,
        actor=actor,
        milestone="head_control",
        source="reported",
        attained_age_months=Decimal("4"),
    )
    course = start_course_from_regimen(
        infant=infant, actor=actor, regimen=regimen, started_on=on, today=on
    )
    first, second = list(course.planned_doses.order_by("number"))[:2]
    administration = record_administration(first, actor=actor, given_on=on, location="ward")
    adverse_event = create_record(
        m.AdverseEvent,
        actor=actor,
        infant=infant,
        course=course,
        event_type="tremor",
        onset_on=on + datetime.timedelta(days=3),
    )
    alert = m.Alert.objects.create(
        infant=infant,
        code="test_rule",
        severity="warning",
        message="Test alert.",
        evidence=["a fact"],
        source="test",
        rules_version="test-1",
        raised_at=timezone.now(),
    )
    reminder = m.PlannedMessage.objects.create(
        slot_key=f"test:{infant.pk}",
        guardian=guardian,
        infant=infant,
        planned_dose=second,
        kind="dose_morning_of",
        channel="sms",
        due_at=timezone.now(),
        event_on=second.due_on,
        status="sent",
        sent_at=timezone.now(),
    )
    access = m.RecordAccess.objects.create(
        user=actor,
        infant=infant,
        clinic=infant.clinic,
        action="read",
        resource="patients.infant",
        object_id=str(infant.pk),
        method="GET",
        path=f"/api/v1/infants/{infant.pk}/",
    )
    return SimpleNamespace(
        infant=infant,
        guardian=guardian,
        mother=mother,
        visit=visit,
        growth=growth,
        lab=lab,
        study=study,
        finding=finding,
        denver=denver,
        milestone=milestone,
        course=course,
        planned_dose=second,
        administration=administration,
        adverse_event=adverse_event,
        alert=alert,
        reminder=reminder,
        access=access,
        clinic=infant.clinic,
    )


@pytest.fixture
def regimens(db):
    sync_shipped_regimens()
    return m.Regimen.objects.filter(clinic__isnull=True)


@pytest.fixture
def shipped_regimen(regimens):
    return regimens.get(key="seed-000-patient-2")


def build_world(*, with_clinic_2: bool, **fixtures) -> SimpleNamespace:
    clinic, other_clinic = fixtures["clinic"], fixtures["other_clinic"]
    administrator, shipped_regimen = fixtures["administrator"], fixtures["shipped_regimen"]
    guardian_a = make_guardian(fixtures["infant"], "parent_a")
    a = make_records(
        fixtures["infant"], actor=fixtures["staff"], guardian=guardian_a, regimen=shipped_regimen
    )
    a.regimen = save_clinic_regimen(
        clinic=clinic, actor=administrator, definition=clinic_regimen_definition()
    )
    b = None
    guardian_b_user = f.UserFactory(username="parent_b")
    if with_clinic_2:
        guardian_b = make_guardian(fixtures["other_infant"], "parent_b")
        guardian_b_user = guardian_b.user
        b = make_records(
            fixtures["other_infant"],
            actor=fixtures["other_staff"],
            guardian=guardian_b,
            regimen=shipped_regimen,
        )
        b.regimen = save_clinic_regimen(
            clinic=other_clinic, actor=administrator, definition=clinic_regimen_definition()
        )
    users = {
        "anonymous": None,
        "guardian_a": guardian_a.user,
        "guardian_b": guardian_b_user,
        "staff_1": fixtures["staff"],
        "staff_2": fixtures["other_staff"],
        "lead_1": fixtures["lead"],
        "admin": administrator,
    }
    callers = {name: Caller(name, user, _client(user)) for name, user in users.items()}
    return SimpleNamespace(
        a=a,
        b=b,
        clinic=clinic,
        other_clinic=other_clinic,
        regimen=a.regimen,
        shipped_regimen=shipped_regimen,
        callers=callers,
        users=users,
    )


@pytest.fixture
def world(
    clinic,
    other_clinic,
    staff,
    other_staff,
    lead,
    administrator,
    infant,
    other_infant,
    shipped_regimen,
):
    """Every persona, and one record of every kind for infant A (clinic 1) and B (clinic 2)."""
    return build_world(with_clinic_2=True, **locals())


@pytest.fixture
def world_a(
    clinic,
    other_clinic,
    staff,
    other_staff,
    lead,
    administrator,
    infant,
    other_infant,
    shipped_regimen,
):
    """Every persona, and the records of infant A only: for tests that never look at clinic 2's
    records (clinic 2 and its staff still exist)."""
    return build_world(with_clinic_2=False, **locals())


@pytest.fixture
def api(world):
    """Clients by persona name."""
    return {name: caller.client for name, caller in world.callers.items()}
