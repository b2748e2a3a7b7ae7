"""One world for every chart test: the demo (both seed 000 infants) and a synthetic cohort in the
demo clinic, built once for the package inside a transaction that is rolled back at its end.

Loading the demo takes seconds (every record goes through the services, with full validation),
so it is loaded once rather than per test; each test still runs in its own savepoint, so what a
test writes is gone before the next one. Images and PDFs go to ``artifacts/`` at the repository
root, for a reviewer to open.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import transaction

TODAY = datetime.date(2026, 11, 21)
COHORT_SIZE = 36
COHORT_SEED = 7
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


@dataclass
class World:
    clinic: object
    staff: object
    lead: object
    parent1: object
    parent2: object
    p1: object
    p2: object


def _enrich_cohort(clinic, *, today: datetime.date, seed: int) -> None:
    """What bulk generation leaves out and the cohort charts count: every course's planned doses
    with their administrations (mostly on time, some late, some missed), and a Denver II near three
    years for the infants old enough, some scored by item, some known only by sector."""
    from patients import models as m
    from patients.clinical import regimens as engine
    from patients.models.treatment import PlannedDoseStatus

    rng = random.Random(seed)
    planned, given = [], []
    courses = m.TreatmentCourse.objects.filter(
        infant__clinic=clinic, infant__record_number__startswith="SYN"
    ).order_by("infant__record_number")
    for course in courses:
        horizon = min(today, course.started_on + datetime.timedelta(days=400))
        plan = engine.preview_course(
            engine.parse_regimen(course.regimen), course.started_on, horizon=horizon
        )
        for dose in plan.doses:
            if dose.date > today:
                continue
            draw = rng.random()
            row = m.PlannedDose(
                course=course,
                number=dose.sequence,
                phase_number=dose.phase_number,
                phase_name=dose.phase_name,
                number_in_phase=dose.sequence_in_phase,
                due_on=dose.date,
                dose=dose.dose,
                dose_unit=str(dose.unit),
                route=str(dose.route),
                status=PlannedDoseStatus.MISSED if draw < 0.07 else PlannedDoseStatus.GIVEN,
            )
            planned.append(row)
            if draw >= 0.07:
                late = datetime.timedelta(days=rng.randint(2, 12) if draw < 0.15 else 0)
                given.append(
                    m.DoseAdministration(
                        course=course,
                        planned_dose=row,
                        given_on=min(today, dose.date + late),
                        location="clinic",
                        dose=dose.dose,
                        dose_unit=str(dose.unit),
                        route=str(dose.route),
                    )
                )
    m.PlannedDose.objects.bulk_create(planned)
    m.DoseAdministration.objects.bulk_create(given)

    assessments, findings = [], []
    for infant in m.Infant.objects.filter(clinic=clinic, record_number__startswith="SYN"):
        on = infant.birth_date + datetime.timedelta(days=round(36 * 30.4375))
        if on > today:
            continue
        late_diagnosis = (infant.diagnosis_date - infant.birth_date).days > 396
        delayed = [
            sector
            for sector in ("language", "fine_motor_adaptive", "personal_social", "gross_motor")
            if rng.random() < (0.55 if late_diagnosis else 0.2)
        ]
        by_items = rng.random() < 0.6
        assessment = m.DenverAssessment(
            infant=infant,
            assessed_on=on,
            age_line_months=Decimal("36.00"),
            test_result=("suspect" if delayed else "normal") if by_items else "",
            sector_summaries=[
                {
                    "sector": sector,
                    "counts": {
                        "advanced": 0,
                        "normal": 6,
                        "caution": 0,
                        "delayed": 1 if sector in delayed else 0,
                        "no_opportunity": 0,
                    },
                    "developmental_age": {
                        "months": 30.0 if sector in delayed else 36.0,
                        "kind": "estimate",
                    },
                }
                for sector in ("personal_social", "fine_motor_adaptive", "language", "gross_motor")
            ]
            if by_items
            else [],
        )
        assessments.append(assessment)
        if not by_items:
            findings += [
                m.DenverSectorFinding(assessment=assessment, sector=sector, conclusion="delayed")
                for sector in delayed
            ]
    m.DenverAssessment.objects.bulk_create(assessments)
    m.DenverSectorFinding.objects.bulk_create(findings)


@pytest.fixture(scope="package")
def world(django_db_setup, django_db_blocker):
    from patients import models as m
    from patients.services.cohort import generate_cohort
    from patients.services.demo import load_demo

    with django_db_blocker.unblock(), transaction.atomic():
        result = load_demo(today=TODAY)
        generate_cohort(infants=COHORT_SIZE, clinic=result.clinic, seed=COHORT_SEED, today=TODAY)
        _enrich_cohort(result.clinic, today=TODAY, seed=COHORT_SEED)
        users = {u.username: u for u in m.User.objects.all()}
        yield World(
            clinic=result.clinic,
            staff=users["staff"],
            lead=users["lead"],
            parent1=users["parent1"],
            parent2=users["parent2"],
            p1=m.Infant.objects.get(record_number="S000-P1"),
            p2=m.Infant.objects.get(record_number="S000-P2"),
        )
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _empty_cache():
    # The local-memory cache outlives a test's transaction; a chart cached by one test must not
    # be found by the next. (Without Django, as in a run with -p no:django, there is no cache.)
    if not settings.configured:
        yield
        return
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    for folder in ("charts", "reports"):
        (ARTIFACTS / folder).mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
