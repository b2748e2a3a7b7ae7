"""The de-identified cohort export: what a lead studies, and nothing that names a person or a day."""

from __future__ import annotations

import csv
import datetime
import io
import uuid

import pytest
from django.db import connection
from django.db import models as dj
from django.test.utils import CaptureQueriesContext

from patients import models as m
from patients.services.exports import COLUMNS, cohort_for, cohort_rows, stream_csv
from tests.conftest import f
from tests.interop.conftest import SEED_000

DATE_FORMATS = (
    "%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%m/%d/%Y", "%Y/%m/%d", "%d-%m-%Y", "%Y%m%d", "%d.%m.%y",
    "%d %B %Y", "%B %d, %Y", "%-d.%-m.%Y", "%-d/%-m/%Y", "%-m/%-d/%Y",
    # Month precision is more than the export may give of any date (birth goes out as a year).
    "%Y-%m", "%m.%Y", "%m/%Y", "%Y/%m",
)  # fmt: skip


def export_text(user: m.User) -> str:
    return "".join(stream_csv(cohort_rows(cohort_for(user))))


def export_table(user: m.User) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(export_text(user))))


def _rows_of(infants: list[m.Infant]) -> list[dj.Model]:
    """Every stored row about these infants, their mothers and their guardians, voided or not."""
    mothers = [i.mother for i in infants if i.mother]
    guardians = list(m.Guardian.objects.filter(infants__in=infants).distinct())
    courses = m.TreatmentCourse.objects.filter(infant__in=infants)
    studies = m.ImagingStudy.objects.filter(infant__in=infants)
    assessments = m.DenverAssessment.objects.filter(infant__in=infants)
    return [
        *infants,
        *mothers,
        *guardians,
        *(g.user for g in guardians),
        *m.Consent.objects.filter(guardian__in=guardians),
        *m.MaternalSupplementation.objects.filter(mother__in=mothers),
        *m.LabResult.objects.filter(dj.Q(infant__in=infants) | dj.Q(mother__in=mothers)),
        *m.Visit.objects.filter(infant__in=infants),
        *m.GrowthMeasurement.objects.filter(infant__in=infants),
        *m.QualitativeFinding.objects.filter(infant__in=infants),
        *studies,
        *m.ImagingFinding.objects.filter(study__in=studies),
        *assessments,
        *m.DenverSectorFinding.objects.filter(assessment__in=assessments),
        *m.MilestoneAttainment.objects.filter(infant__in=infants),
        *courses,
        *m.CourseEvent.objects.filter(course__in=courses),
        *m.PlannedDose.objects.filter(course__in=courses),
        *m.DoseAdministration.objects.filter(course__in=courses),
        *m.ReviewTask.objects.filter(course__in=courses),
        *m.AdverseEvent.objects.filter(infant__in=infants),
        *m.Procedure.objects.filter(infant__in=infants),
        *m.PresentingSign.objects.filter(infant__in=infants),
        *m.InfantGuardian.objects.filter(infant__in=infants),
        *m.PlannedMessage.objects.filter(guardian__in=guardians),
    ]


def _forbidden_dates(rows: list[dj.Model]) -> set[str]:
    days: set[datetime.date] = set()
    zone = datetime.timezone(datetime.timedelta(hours=3))  # the demo clinic's Istanbul offset
    for row in rows:
        for field in row._meta.concrete_fields:
            value = getattr(row, field.attname)
            if isinstance(value, datetime.datetime):
                days |= {value.date(), value.astimezone(zone).date()}
            elif isinstance(value, datetime.date):
                days.add(value)
    return {day.strftime(fmt) for day in days for fmt in DATE_FORMATS}


def _forbidden_names(rows: list[dj.Model]) -> set[str]:
    words: set[str] = set()
    for row in rows:
        if isinstance(row, m.Infant):
            words |= {row.given_name, row.family_name, row.record_number, str(row.id)}
        elif isinstance(row, m.Mother):
            words |= {row.given_name, row.family_name, str(row.id)}
        elif isinstance(row, m.User):
            words |= {row.first_name, row.last_name, row.username, row.email, str(row.id)}
        elif isinstance(row, m.Guardian):
            words |= {row.email, str(row.phone), str(row.phone)[-7:], str(row.id)}
        else:
            words.add(str(row.pk))
    return {w.casefold() for w in words if w}


def test_the_demo_export_names_no_one_and_dates_nothing(demo, demo_user):
    infants = list(m.Infant.objects.filter(record_number__in=SEED_000).select_related("mother"))
    rows = _rows_of(infants)
    names, dates = _forbidden_names(rows), _forbidden_dates(rows)
    # The scan would catch them: the demo's own words and days are in these sets.
    assert {"elif", "demir", "emir", "yıldız", "fatma", "hatice", "s000-p1"} <= names
    assert {"2023-02-20", "20.02.2023", "2023-02", "2024-09-04"} <= dates

    table = list(csv.reader(io.StringIO(export_text(demo_user("lead")))))
    assert len(table) == 3 and tuple(table[0]) == COLUMNS
    for row in table:
        for cell in row:
            folded = cell.casefold()
            assert not [name for name in names if name in folded], cell
            assert not [day for day in dates if day in cell], cell


def test_what_a_lead_studies(demo, demo_user):
    by_sex = {row["sex"]: row for row in export_table(demo_user("lead"))}
    boy, girl = by_sex["male"], by_sex["female"]  # seed 000: patient 1, patient 2
    assert boy["birth_year"] == "2023"
    assert boy["age_at_diagnosis_days"] == "366"  # admitted at 12 months
    assert boy["age_at_first_dose_days"] == "371"  # "on the 6th day of admission"
    assert boy["b12_at_diagnosis"] == "<150 pg/mL" and boy["b12_at_diagnosis_flag"] == "low"
    assert boy["b12_at_diagnosis_day"] == "-5"  # five days before the first dose
    assert boy["b12_latest"] == "1068 pg/mL" and boy["b12_latest_day"] == "30"
    assert boy["regimen"] == "seed-000-patient-1 v1"
    assert boy["mri_worst_severity"] == "severe"
    assert boy["mri_follow_up"] == "resolved" and boy["mri_follow_up_months_after_first"] == "8.0"
    assert boy["denver_3y_age_months"] == "36.0"
    assert boy["denver_3y_delayed_sectors"] == "fine_motor_adaptive;language"
    assert boy["milestone_sitting_without_support_months"] == "18"
    assert boy["presenting_signs"] == "apathy;developmental_delay;hypotonia"
    assert girl["denver_3y_age_months"] == "42.0"  # seed 000 screened her at 3.5 years
    assert girl["denver_3y_delayed_sectors"] == "fine_motor_adaptive;language;personal_social"
    assert girl["adverse_events"] == "tremor"
    assert girl["course_status"] == "stopped"
    assert girl["b12_latest"] == ""  # one B12 result only
    assert girl["follow_up_status"] == "active"


def test_every_export_draws_new_pseudonyms(demo, demo_user):
    lead = demo_user("lead")
    first = {row["pseudonym"] for row in export_table(lead)}
    second = {row["pseudonym"] for row in export_table(lead)}
    assert len(first) == len(second) == 2
    assert not first & second
    infant_ids = {str(pk) for pk in m.Infant.objects.values_list("id", flat=True)}
    assert not {p.removeprefix("C-") for p in first} & infant_ids


def test_voided_infants_are_not_exported(demo, demo_user):
    infant = m.Infant.objects.get(record_number="S000-P1")
    m.Infant.objects.filter(pk=infant.pk).update(
        voided_at=infant.created_at, voided_by=demo_user("staff"), void_reason="Duplicate."
    )
    assert [row["sex"] for row in export_table(demo_user("lead"))] == ["female"]


@pytest.mark.parametrize("extra", [0, 12])
def test_the_export_costs_the_same_queries_for_any_cohort_size(demo, demo_user, extra):
    clinic = m.Clinic.objects.get(name__startswith="Demo")
    for n in range(extra):
        f.InfantFactory(clinic=clinic, birth_date=datetime.date(2024, 1, 1) + datetime.timedelta(n))
    lead = demo_user("lead")
    with CaptureQueriesContext(connection) as queries:
        rows = list(cohort_rows(cohort_for(lead)))
    assert len(rows) == 1 + 2 + extra
    # The lead's clinics inside the infants query (1) and one query per kind of row (11).
    assert len(queries) == 12


def test_pseudonyms_are_not_uuids(demo, demo_user):
    for row in export_table(demo_user("lead")):
        with pytest.raises(ValueError):
            uuid.UUID(row["pseudonym"].removeprefix("C-"))
