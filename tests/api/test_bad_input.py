"""Bad input is refused with a field-level message and changes nothing (QUALITY.md).

Each case is sent by staff of the infant's clinic, so scope is never the reason for the refusal.
The assertion is the same for all: status 400, the field named in the body, and every table of
the app (records, their history, scores, alerts, reminders and the access log) exactly as it was.
Record-level errors (a write to a voided record, a rule spanning two fields) are reported under
``non_field_errors``, DRF's name for "the record as a whole".
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps

from patients.services.records import void_record


def table_counts() -> dict[str, int]:
    """Rows of every model of the app, historical models included."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_app_config("patients").get_models()
    }


def day(world, days: int) -> str:
    return (world.a.infant.birth_date + datetime.timedelta(days=days)).isoformat()


def future(world) -> str:
    return (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


def void(attribute: str) -> Callable[[Any], None]:
    def setup(world) -> None:
        void_record(getattr(world.a, attribute), actor=world.users["staff_1"], reason="Test.")

    return setup


@dataclass(frozen=True)
class Case:
    id: str
    method: str
    url: Callable[[Any], str]
    body: Callable[[Any], dict]
    field: str
    setup: Callable[[Any], None] | None = None


def growth(**values) -> Callable[[Any], dict]:
    def body(world) -> dict:
        given = {"infant": str(world.a.infant.pk), "measured_on": day(world, 270)}
        given.update({k: v(world) if callable(v) else v for k, v in values.items()})
        return given

    return body


def lab(**values) -> Callable[[Any], dict]:
    def body(world) -> dict:
        given = {
            "infant": str(world.a.infant.pk),
            "analyte": "b12",
            "collected_on": day(world, 270),
            "value": "300",
            "unit": "pg/mL",
        }
        given.update({k: v(world) if callable(v) else v for k, v in values.items()})
        return given

    return body


def denver(**values) -> Callable[[Any], dict]:
    def body(world) -> dict:
        given = {
            "infant": str(world.a.infant.pk),
            "assessed_on": day(world, 300),
            "scores": {"gross_motor:9": "P"},
        }
        given.update({k: v(world) if callable(v) else v for k, v in values.items()})
        return given

    return body


def url(path: str) -> Callable[[Any], str]:
    return lambda world: path


def detail(path: str, attribute: str, suffix: str = "") -> Callable[[Any], str]:
    return lambda world: f"{path}{getattr(world.a, attribute).pk}/{suffix}"


GROWTH = url("/api/v1/growth-measurements/")
LABS = url("/api/v1/lab-results/")
DENVER = url("/api/v1/denver-assessments/")

CASES = [
    # Impossible measurements for the age (9 months): WHO's biologically implausible limits.
    Case("weight implausible for age", "POST", GROWTH, growth(weight_kg="25.0"), "weight_kg"),
    Case("length implausible for age", "POST", GROWTH, growth(length_cm="120.0"), "length_cm"),
    Case(
        "head circumference implausible for age",
        "POST",
        GROWTH,
        growth(head_circumference_cm="70.0"),
        "head_circumference_cm",
    ),
    Case("weight typed a decade off", "POST", GROWTH, growth(weight_kg="0.75"), "weight_kg"),
    Case("no measurement at all", "POST", GROWTH, growth(), "non_field_errors"),
    # Dates before birth or in the future.
    Case(
        "measured before birth",
        "POST",
        GROWTH,
        growth(measured_on=lambda w: day(w, -1), weight_kg="3.5"),
        "measured_on",
    ),
    Case(
        "measured in the future",
        "POST",
        GROWTH,
        growth(measured_on=future, weight_kg="8.0"),
        "measured_on",
    ),
    Case("lab collected in the future", "POST", LABS, lab(collected_on=future), "collected_on"),
    Case(
        "lab collected before birth",
        "POST",
        LABS,
        lab(collected_on=lambda w: day(w, -10)),
        "collected_on",
    ),
    Case(
        "visit before birth",
        "POST",
        url("/api/v1/visits/"),
        lambda w: {
            "infant": str(w.a.infant.pk),
            "visit_type": "outpatient",
            "visit_date": day(w, -3),
        },
        "visit_date",
    ),
    Case(
        "Denver II before birth",
        "POST",
        DENVER,
        denver(assessed_on=lambda w: day(w, -1)),
        "assessed_on",
    ),
    Case(
        "milestone seen in the future",
        "POST",
        url("/api/v1/milestone-attainments/"),
        lambda w: {
            "infant": str(w.a.infant.pk),
            "milestone": "walking_alone",
            "source": "observed",
            "attained_on": future(w),
        },
        "attained_on",
    ),
    Case(
        "course started before birth",
        "POST",
        url("/api/v1/treatment-courses/"),
        lambda w: {
            "infant": str(w.a.infant.pk),
            "regimen": str(w.shipped_regimen.pk),
            "started_on": day(w, -5),
        },
        "started_on",
    ),
    Case(
        "adverse event before birth",
        "POST",
        url("/api/v1/adverse-events/"),
        lambda w: {"infant": str(w.a.infant.pk), "event_type": "tremor", "onset_on": day(w, -2)},
        "onset_on",
    ),
    # Units that do not fit the analyte, and analytes the catalogue does not know.
    Case("B12 in g/dL", "POST", LABS, lab(unit="g/dL"), "unit"),
    Case("haemoglobin in pg/mL", "POST", LABS, lab(analyte="haemoglobin"), "unit"),
    Case("value without a unit", "POST", LABS, lab(unit=""), "unit"),
    Case("unknown analyte", "POST", LABS, lab(analyte="vitamin_x"), "analyte"),
    Case(
        "result of the infant and the mother at once",
        "POST",
        LABS,
        lab(mother=lambda w: str(w.a.mother.pk)),
        "infant",
    ),
    # Unknown Denver II items and scores.
    Case("unknown Denver item", "POST", DENVER, denver(scores={"language:999": "P"}), "scores"),
    Case("unknown Denver score", "POST", DENVER, denver(scores={"language:7": "X"}), "scores"),
    Case("Denver without scores", "POST", DENVER, denver(scores={}), "scores"),
    Case(
        "Denver scores and a report's sectors at once",
        "POST",
        DENVER,
        denver(sector_findings=[{"sector": "language", "conclusion": "delayed"}]),
        "sector_findings",
    ),
    # Writes to voided records.
    Case(
        "change a voided visit",
        "PATCH",
        detail("/api/v1/visits/", "visit"),
        lambda w: {"notes": "Too late."},
        "non_field_errors",
        setup=void("visit"),
    ),
    Case(
        "void a voided record again",
        "POST",
        detail("/api/v1/visits/", "visit", "void/"),
        lambda w: {"reason": "Again."},
        "non_field_errors",
        setup=void("visit"),
    ),
    Case(
        "measure a voided infant",
        "POST",
        GROWTH,
        growth(weight_kg="8.0"),
        "infant",
        setup=void("infant"),
    ),
    Case(
        "finding on a voided study",
        "POST",
        url("/api/v1/imaging-findings/"),
        lambda w: {
            "study": str(w.a.study.pk),
            "finding_type": "cortical_atrophy",
            "region": "parietal",
            "severity": "mild",
        },
        "study",
        setup=void("study"),
    ),
    # A dose on a voided course.
    Case(
        "dose on a voided course",
        "POST",
        url("/api/v1/dose-administrations/"),
        lambda w: {
            "planned_dose": str(w.a.planned_dose.pk),
            "given_on": w.a.planned_dose.due_on.isoformat(),
            "location": "clinic",
        },
        "course",
        setup=void("course"),
    ),
    Case(
        "course event before the course started",
        "POST",
        detail("/api/v1/treatment-courses/", "course", "events/"),
        lambda w: {"kind": "stop", "on": day(w, 100), "reason": "Typo in the year."},
        "on",
    ),
    # The record's route and unit choices are wider than what the planner can schedule.
    Case(
        "course change to a route the planner cannot schedule",
        "POST",
        detail("/api/v1/treatment-courses/", "course", "events/"),
        lambda w: {"kind": "change", "on": future(w), "route": "intravenous"},
        "route",
    ),
    Case(
        "course change to a dose per kilogram",
        "POST",
        detail("/api/v1/treatment-courses/", "course", "events/"),
        lambda w: {"kind": "change", "on": future(w), "dose": "1", "dose_unit": "mg/kg"},
        "dose_unit",
    ),
    Case(
        "course change to a negative dose",
        "POST",
        detail("/api/v1/treatment-courses/", "course", "events/"),
        lambda w: {"kind": "change", "on": future(w), "dose": "-1"},
        "dose",
    ),
    Case(
        "course started beyond any calendar a plan can hold",
        "POST",
        url("/api/v1/treatment-courses/"),
        lambda w: {
            "infant": str(w.a.infant.pk),
            "regimen": str(w.shipped_regimen.pk),
            "started_on": "9999-12-31",
        },
        "started_on",
    ),
    # Other refusals named on their field.
    Case(
        "void without a reason",
        "POST",
        detail("/api/v1/visits/", "visit", "void/"),
        lambda w: {"reason": "   "},
        "reason",
    ),
    Case(
        "compared with a later study",
        "POST",
        url("/api/v1/imaging-studies/"),
        lambda w: {
            "infant": str(w.a.infant.pk),
            "modality": "mri",
            "body_site": "brain",
            "performed_on": day(w, 200),
            "impression": "Atrophy.",
            "compared_with": str(w.a.study.pk),
            "comparison": "worse",
        },
        "compared_with",
    ),
    Case(
        "milestone recorded twice",
        "POST",
        url("/api/v1/milestone-attainments/"),
        lambda w: {
            "infant": str(w.a.infant.pk),
            "milestone": "head_control",
            "source": "reported",
            "attained_age_months": "5",
        },
        "milestone",
    ),
    Case(
        "infant of a clinic the caller does not work in",
        "POST",
        url("/api/v1/infants/"),
        lambda w: {
            "clinic": str(w.other_clinic.pk),
            "record_number": "X-1",
            "given_name": "Can",
            "family_name": "Demir",
            "sex": "male",
            "birth_date": "2025-01-10",
        },
        "clinic",
    ),
    Case(
        "infant born in the future",
        "POST",
        url("/api/v1/infants/"),
        lambda w: {
            "clinic": str(w.a.clinic.pk),
            "record_number": "X-2",
            "given_name": "Can",
            "family_name": "Demir",
            "sex": "male",
            "birth_date": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
        },
        "birth_date",
    ),
    Case(
        "record number already used in the clinic",
        "POST",
        url("/api/v1/infants/"),
        lambda w: {
            "clinic": str(w.a.clinic.pk),
            "record_number": w.a.infant.record_number,
            "given_name": "Can",
            "family_name": "Demir",
            "sex": "male",
            "birth_date": "2025-01-10",
        },
        "non_field_errors",
    ),
    Case(
        "preferences in an unknown time zone",
        "PATCH",
        detail("/api/v1/guardians/", "guardian"),
        lambda w: {"time_zone": "Mars/Olympus_Mons"},
        "time_zone",
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_on_its_field_and_changes_nothing(case, world_a):
    world = world_a
    if case.setup is not None:
        case.setup(world)
    before = table_counts()
    client = world.callers["staff_1"].client
    response = getattr(client, case.method.lower())(
        case.url(world), data=case.body(world), format="json"
    )
    assert response.status_code == 400, response.content
    assert case.field in response.json(), response.json()
    assert table_counts() == before
