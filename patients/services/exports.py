"""The de-identified cohort export a clinic lead studies: one CSV row per infant.

What leaves the tracker: no name, no record number, no UUID and no calendar date of the infant,
the mother or a guardian, and no free text (notes, impressions, reported words could name a
person or a day). Each infant gets a random pseudonym drawn afresh for every export, so two
exports cannot be joined on it. Birth is given as a year only (the HIPAA Safe Harbor limit for
dates); every other time is an age in days or months from birth, or a day counted from the first
B12 dose. Rows come out in the order of the infants' random UUIDs, which says nothing about who
they are.

The rows are produced one chunk of infants at a time (a fixed number of queries per chunk), and
the CSV text is streamed as it is written, so a cohort of 100,000 infants is never held in memory.
"""

from __future__ import annotations

import csv
import datetime
import secrets
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet

from patients import models as m
from patients.clinical.ages import months_from_days
from patients.selectors import infants_for, lead_clinics_for

B12_DRUGS = ("hydroxocobalamin", "cyanocobalamin")
SEVERITY_ORDER = ("na", "mild", "moderate", "severe")
# "Denver II at 3 years": the assessment nearest 36 months of age between 30 and 48 months, so
# a screening done at 3.5 years (seed 000, patient 2) counts when none was done at 3.
DENVER_TARGET_MONTHS = 36
DENVER_WINDOW_MONTHS = (30, 48)
CHUNK_SIZE = 500

COLUMNS = (
    "pseudonym",
    "sex",
    "birth_year",
    "gestational_age_weeks",
    "birth_weight_g",
    "exclusively_breastfed",
    "mother_diet",
    "mother_deficiency_cause",
    "presenting_signs",
    "age_at_diagnosis_days",
    "age_at_first_dose_days",
    "regimen",
    "route",
    "course_status",
    "mri_worst_severity",
    "mri_findings",
    "mri_follow_up",
    "mri_follow_up_months_after_first",
    "b12_at_diagnosis",
    "b12_at_diagnosis_day",
    "b12_at_diagnosis_flag",
    "b12_latest",
    "b12_latest_day",
    "b12_latest_flag",
    "denver_3y_age_months",
    "denver_3y_result",
    "denver_3y_delayed_sectors",
    "denver_3y_caution_sectors",
    *(f"milestone_{code}_months" for code in m.development.Milestone.values),
    "adverse_events",
    "follow_up_status",
    "research_consent",
)


def cohort_for(user: m.User) -> QuerySet[m.Infant]:
    """The active infants of the clinics the user leads (every clinic for a superuser)."""
    return infants_for(user).filter(clinic__in=lead_clinics_for(user).values("id"))


def cohort_rows(infants: QuerySet[m.Infant]) -> Iterator[tuple]:
    """The header, then one de-identified row per infant, chunk by chunk."""
    yield COLUMNS
    pseudonyms: set[str] = set()
    for infant in _with_export_rows(infants).order_by("id").iterator(chunk_size=CHUNK_SIZE):
        yield _row(infant, _pseudonym(pseudonyms))


def stream_csv(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV text, one line per row, produced as the rows are: the streaming response's body."""
    buffer = _Line()
    writer = csv.writer(buffer)
    for row in rows:
        yield writer.writerow(row)


class _Line:
    """A file the csv module writes to that hands each line straight back (Django's documented
    pattern for streaming large CSV files)."""

    def write(self, value: str) -> str:
        return value


def _pseudonym(taken: set[str]) -> str:
    while True:
        candidate = f"C-{secrets.token_hex(5)}"
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def _active(model) -> QuerySet:
    return model.objects.active()


def _with_export_rows(infants: QuerySet[m.Infant]) -> QuerySet[m.Infant]:
    """Everything a row reads, fetched per chunk: one query per kind of row, not per infant."""
    research = m.Consent.objects.active().filter(
        purpose=m.people.ConsentPurpose.RESEARCH, withdrawn_at__isnull=True
    )
    return infants.select_related("mother").prefetch_related(
        Prefetch("presenting_signs", _active(m.PresentingSign).order_by("sign"), "_signs"),
        Prefetch(
            "imaging_studies",
            _active(m.ImagingStudy)
            .filter(modality="mri", body_site="brain")
            .order_by("performed_on", "id"),
            to_attr="_mri",
        ),
        Prefetch("_mri__findings", _active(m.ImagingFinding), to_attr="_findings"),
        Prefetch(
            "treatment_courses",
            _active(m.TreatmentCourse).filter(drug__in=B12_DRUGS).order_by("started_on", "id"),
            to_attr="_b12_courses",
        ),
        Prefetch(
            "lab_results",
            _active(m.LabResult).filter(analyte="b12").order_by("collected_on", "id"),
            to_attr="_b12",
        ),
        Prefetch(
            "denver_assessments",
            _active(m.DenverAssessment).order_by("assessed_on", "id"),
            to_attr="_denver",
        ),
        Prefetch("_denver__item_results", _active(m.DenverItemResult), to_attr="_items"),
        Prefetch("_denver__sector_findings", _active(m.DenverSectorFinding), to_attr="_sectors"),
        Prefetch("milestones", _active(m.MilestoneAttainment), to_attr="_milestones"),
        Prefetch("adverse_events", _active(m.AdverseEvent).order_by("event_type"), "_events"),
        Prefetch(
            "guardianships",
            _active(m.InfantGuardian).filter(
                Q(guardian__voided_at__isnull=True) & Q(guardian__consents__in=research)
            ),
            to_attr="_research_guardianships",
        ),
    )


# --------------------------------------------------------------------------------------------
# One row (reads only what _with_export_rows fetched)
# --------------------------------------------------------------------------------------------


def _row(infant: m.Infant, pseudonym: str) -> tuple:
    birth = infant.birth_date
    course = infant._b12_courses[0] if infant._b12_courses else None
    first_dose = course.started_on if course is not None else None
    b12 = infant._b12
    denver = _denver_at_three(infant)
    milestones = {row.milestone: _milestone_months(row, birth) for row in infant._milestones}
    mother = infant.mother if infant.mother is not None and not infant.mother.is_voided else None
    return (
        pseudonym,
        infant.sex,
        birth.year,
        _weeks(infant.gestational_age_days),
        _text(infant.birth_weight_g),
        _yes_no(infant.exclusively_breastfed),
        mother.diet if mother else "",
        mother.deficiency_cause if mother else "",
        ";".join(sign.sign for sign in infant._signs),
        _days(birth, infant.diagnosis_date),
        _days(birth, first_dose),
        f"{course.regimen_key} v{course.regimen_version}"
        if course and course.regimen_key
        else (course.regimen_name if course else ""),
        course.route if course else "",
        course.status if course else "",
        *_mri(infant._mri),
        *_b12_result(b12[0] if b12 else None, first_dose),
        *_b12_result(b12[-1] if len(b12) > 1 else None, first_dose),
        *_denver_columns(denver, birth),
        *(_text(milestones.get(code)) for code in m.development.Milestone.values),
        ";".join(dict.fromkeys(event.event_type for event in infant._events)),
        infant.follow_up_status,
        _yes_no(bool(infant._research_guardianships)),
    )


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value.normalize():f}"
    return str(value)


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _weeks(days: int | None) -> str:
    return "" if days is None else str(days // 7)


def _days(start: datetime.date | None, end: datetime.date | None) -> str:
    if start is None or end is None:
        return ""
    return str((end - start).days)


def _age_months(start: datetime.date, end: datetime.date) -> float:
    """Months on the WHO month (30.4375 days), as every age in the tracker is counted."""
    return months_from_days((end - start).days)


def _months(start: datetime.date, end: datetime.date) -> str:
    return f"{_age_months(start, end):.1f}"


def _milestone_months(row: m.MilestoneAttainment, birth: datetime.date) -> Decimal | str | None:
    if row.attained_age_months is not None:
        return row.attained_age_months
    return _months(birth, row.attained_on) if row.attained_on else None


def _mri(studies: list[m.ImagingStudy]) -> tuple[str, str, str, str]:
    """The first brain MRI's worst severity and finding types; the latest comparison verdict."""
    if not studies:
        return ("", "", "", "")
    first = studies[0]
    findings = [f for f in first._findings if f.finding_type != "no_abnormality"]
    # "none" when the first study showed nothing abnormal.
    worst = max((f.severity for f in findings), key=SEVERITY_ORDER.index, default="none")
    types = ";".join(sorted({f.finding_type for f in findings}))
    follow_up = next((s for s in reversed(studies[1:]) if s.comparison), None)
    if follow_up is None:
        return (worst, types, "", "")
    return (worst, types, follow_up.comparison, _months(first.performed_on, follow_up.performed_on))


def _b12_result(
    result: m.LabResult | None, first_dose: datetime.date | None
) -> tuple[str, str, str]:
    """As reported ("<150 pg/mL"), the day relative to the first dose (negative before it), and
    the stored flag. A result the laboratory gave in words exports its flag only."""
    if result is None:
        return ("", "", "")
    reported = (
        f"{result.comparator}{result.value.normalize():f} {result.unit}"
        if result.value is not None
        else ""
    )
    return (reported, _days(first_dose, result.collected_on), result.flag)


def _denver_at_three(infant: m.Infant) -> m.DenverAssessment | None:
    low, high = DENVER_WINDOW_MONTHS
    candidates = [
        (abs(_age_months(infant.birth_date, a.assessed_on) - DENVER_TARGET_MONTHS), a)
        for a in infant._denver
        if low <= _age_months(infant.birth_date, a.assessed_on) < high
    ]
    return min(candidates, key=lambda pair: pair[0])[1] if candidates else None


def _denver_columns(
    assessment: m.DenverAssessment | None, birth: datetime.date
) -> tuple[str, str, str, str]:
    """Age, test result, and the sectors with a delay or a caution, from the item interpretations
    or, for an assessment known only by sector (seed 000), from the reported sector conclusions."""
    if assessment is None:
        return ("", "", "", "")
    delayed = {f.sector for f in assessment._sectors if f.conclusion == "delayed"}
    caution: set[str] = set()
    for item in assessment._items:
        sector = item.item_code.split(":", 1)[0]
        if item.interpretation == "delayed":
            delayed.add(sector)
        elif item.interpretation == "caution":
            caution.add(sector)
    return (
        _months(birth, assessment.assessed_on),
        assessment.test_result,
        ";".join(sorted(delayed)),
        ";".join(sorted(caution - delayed)),
    )
