"""Every list and detail endpoint reads with a number of queries that does not grow with the page
or with the record's history (QUALITY.md, performance).

Lists are counted with N and with 3N rows (each row with its nested rows: scores, findings, item
results, planned doses); details and history with N and 3N saved versions of the record. The
counts must be equal. What a request costs, for the record: the token, the caller's role, the
page's count and rows, one query per nested relation, and the access-log insert.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients import models as m
from patients.services.development import record_denver_assessment, record_milestone
from patients.services.growth import record_growth
from patients.services.labs import record_lab_result
from patients.services.records import create_record, save_record
from patients.services.regimens import save_clinic_regimen, start_course_from_regimen
from patients.services.treatment import record_administration
from tests.api.conftest import clinic_regimen_definition, make_guardian

N = 3
_serial = itertools.count(1)


def _day(infant: m.Infant, days: int) -> datetime.date:
    return infant.birth_date + datetime.timedelta(days=days)


def _new_infant(world) -> m.Infant:
    return create_record(
        m.Infant,
        actor=None,
        clinic=world.clinic,
        record_number=f"Q{next(_serial):05d}",
        given_name="Ada",
        family_name="Kaya",
        sex="female",
        birth_date=world.a.infant.birth_date,
    )


# --- builders: one more row of each kind for clinic 1, with its nested rows -------------------


def add_mother(world) -> None:
    create_record(m.Mother, actor=None, clinic=world.clinic, given_name="Ece", family_name="Ak")


def add_infant(world) -> None:
    _new_infant(world)


def add_guardian(world) -> None:
    make_guardian(world.a.infant, f"parent_q{next(_serial)}")


def add_child(world) -> None:
    """Another child of guardian A, with a planned course and a booked visit."""
    child = _new_infant(world)
    create_record(
        m.InfantGuardian,
        actor=None,
        infant=child,
        guardian=world.a.guardian,
        relationship="mother",
    )
    start_course_from_regimen(
        infant=child, actor=None, regimen=world.shipped_regimen, started_on=_day(child, 270)
    )
    create_record(
        m.Visit,
        actor=None,
        infant=child,
        visit_type="injection",
        visit_date=timezone.localdate() + datetime.timedelta(days=3),
    )


def add_visit(world) -> None:
    create_record(
        m.Visit,
        actor=None,
        infant=world.a.infant,
        visit_type="outpatient",
        visit_date=_day(world.a.infant, 200 + next(_serial)),
    )


def add_growth(world) -> None:
    record_growth(
        infant=world.a.infant,
        actor=None,
        measured_on=_day(world.a.infant, 200 + next(_serial)),
        weight_kg=Decimal("7.8"),
        length_cm=Decimal("69.0"),
        head_circumference_cm=Decimal("43.5"),
    )


def add_lab(world) -> None:
    record_lab_result(
        actor=None,
        infant=world.a.infant,
        analyte="b12",
        collected_on=_day(world.a.infant, 200 + next(_serial)),
        value=Decimal("420"),
        unit="pg/mL",
    )


def add_study(world) -> None:
    study = create_record(
        m.ImagingStudy,
        actor=None,
        infant=world.a.infant,
        modality="mri",
        body_site="brain",
        performed_on=_day(world.a.infant, 200 + next(_serial)),
        impression="Atrophy.",
    )
    for region in ("frontal", "parietal"):
        create_record(
            m.ImagingFinding,
            actor=None,
            study=study,
            finding_type="cortical_atrophy",
            region=region,
            severity="mild",
        )


def add_finding(world) -> None:
    create_record(
        m.ImagingFinding,
        actor=None,
        study=world.a.study,
        finding_type="delayed_myelination",
        region="periventricular_white_matter",
        severity="mild",
        notes=f"Reading {next(_serial)}",
    )


def add_denver(world) -> None:
    record_denver_assessment(
        infant=world.a.infant,
        actor=None,
        assessed_on=_day(world.a.infant, 200 + next(_serial)),
        scores={"gross_motor:9": "P", "language:7": "F", "fine_motor_adaptive:8": "P"},
    )


def add_milestone(world) -> None:
    # One attainment per milestone and infant: each row is another infant's.
    record_milestone(
        infant=_new_infant(world),
        actor=None,
        milestone="head_control",
        source="reported",
        attained_age_months=Decimal("4"),
    )


def add_course(world) -> None:
    start_course_from_regimen(
        infant=world.a.infant,
        actor=None,
        regimen=world.shipped_regimen,
        started_on=_day(world.a.infant, 300 + next(_serial)),
    )


def add_administration(world) -> None:
    planned = world.a.course.planned_doses.filter(status="planned").order_by("number").first()
    record_administration(planned, actor=None, given_on=planned.due_on, location="clinic")


def add_adverse_event(world) -> None:
    create_record(
        m.AdverseEvent,
        actor=None,
        infant=world.a.infant,
        event_type="tremor",
        onset_on=_day(world.a.infant, 200 + next(_serial)),
    )


def add_alert(world) -> None:
    m.Alert.objects.create(
        infant=world.a.infant,
        code=f"rule_{next(_serial)}",
        severity="info",
        message="Test.",
        source="test",
        rules_version="test-1",
        raised_at=timezone.now(),
    )


def add_reminder(world) -> None:
    m.PlannedMessage.objects.create(
        slot_key=f"query-test:{next(_serial)}",
        guardian=world.a.guardian,
        infant=world.a.infant,
        kind="visit_morning_of",
        channel="email",
        due_at=timezone.now(),
        event_on=timezone.localdate(),
    )


def add_clinic(world) -> None:
    m.Clinic.objects.create(name=f"Clinic Q{next(_serial)}")


def add_regimen(world) -> None:
    save_clinic_regimen(
        clinic=world.clinic, actor=None, definition=clinic_regimen_definition(f"q-{next(_serial)}")
    )


def add_access(world) -> None:
    m.RecordAccess.objects.create(
        user=world.users["staff_1"],
        infant=world.a.infant,
        clinic=world.a.infant.clinic,
        action="read",
        resource="patients.visit",
        method="GET",
        path="/api/v1/visits/",
    )


@dataclass(frozen=True)
class Resource:
    path: str
    persona: str
    add: Callable[[Any], None]
    target: str | None = None  # world.a's attribute shown by the detail endpoint
    history: bool = True


RESOURCES = {
    "mothers": Resource("mothers", "staff_1", add_mother, "mother"),
    "infants": Resource("infants", "staff_1", add_infant, "infant"),
    "guardians": Resource("guardians", "staff_1", add_guardian, "guardian"),
    "children": Resource("children", "guardian_a", add_child, "infant", history=False),
    "visits": Resource("visits", "staff_1", add_visit, "visit"),
    "growth": Resource("growth-measurements", "staff_1", add_growth, "growth"),
    "labs": Resource("lab-results", "staff_1", add_lab, "lab"),
    "imaging studies": Resource("imaging-studies", "staff_1", add_study, "study"),
    "imaging findings": Resource("imaging-findings", "staff_1", add_finding, "finding"),
    "denver": Resource("denver-assessments", "staff_1", add_denver, "denver"),
    "milestones": Resource("milestone-attainments", "staff_1", add_milestone, "milestone"),
    "courses": Resource("treatment-courses", "staff_1", add_course, "course"),
    "planned doses": Resource("planned-doses", "staff_1", add_course, "planned_dose"),
    "administrations": Resource(
        "dose-administrations", "staff_1", add_administration, "administration"
    ),
    "adverse events": Resource("adverse-events", "staff_1", add_adverse_event, "adverse_event"),
    "alerts": Resource("alerts", "staff_1", add_alert, "alert"),
    "reminders (staff)": Resource("reminders", "staff_1", add_reminder, "reminder", False),
    "reminders (guardian)": Resource("reminders", "guardian_a", add_reminder, "reminder", False),
    "clinics": Resource("clinics", "admin", add_clinic, "clinic", history=False),
    "regimens": Resource("regimens", "staff_1", add_regimen, "regimen", history=False),
    "access log": Resource("access-log", "lead_1", add_access, "access", history=False),
}


def count_queries(client, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries), response.json()


def add_versions(row, n: int) -> None:
    """n more saved versions of the row, each with its history entry."""
    for _ in range(n):
        if isinstance(row, m.ClinicalRecord):
            save_record(row, actor=None)
        else:
            row.save()


@pytest.mark.parametrize("name", RESOURCES)
def test_list_reads_in_constant_queries_whatever_the_page_size(name, world_a):
    world = world_a
    resource = RESOURCES[name]
    client = world.callers[resource.persona].client
    url = f"/api/v1/{resource.path}/?page_size=200"
    count_queries(client, url)  # warm the per-process caches (content types, norm tables)
    for _ in range(N):
        resource.add(world)
    small, page = count_queries(client, url)
    for _ in range(2 * N):
        resource.add(world)
    large, bigger_page = count_queries(client, url)
    assert bigger_page["count"] >= page["count"] + 2 * N
    assert small == large, f"{name}: {small} queries for {page['count']} rows, {large} for more"


@pytest.mark.parametrize("name", [n for n, r in RESOURCES.items() if r.target])
def test_detail_and_history_read_in_constant_queries_whatever_the_history(name, world_a):
    world = world_a
    resource = RESOURCES[name]
    row = getattr(world.a, resource.target)
    detail = (world.callers[resource.persona].client, f"/api/v1/{resource.path}/{row.pk}/")
    tracked = hasattr(type(row), "history") and resource.history
    history = (world.callers["lead_1"].client, f"{detail[1]}history/?page_size=200")
    urls = [detail, history] if tracked else [detail]
    for client, url in urls:
        count_queries(client, url)  # warm the per-process caches
    if tracked:
        add_versions(row, N)
    small = [count_queries(client, url) for client, url in urls]
    if tracked:
        add_versions(row, 2 * N)
    large = [count_queries(client, url) for client, url in urls]
    for (url_queries, _), (more_queries, _), (_, url) in zip(small, large, urls, strict=True):
        assert url_queries == more_queries, (
            f"{url}: {url_queries} queries, then {more_queries} with a longer history"
        )
    if tracked:
        assert large[1][1]["count"] == small[1][1]["count"] + 2 * N
