"""Logging a visit in one go: the visit, and what was measured, given and found at it.

Each part is written by the service that owns it (records for the visit and the adverse event,
growth, labs, treatment, development, imaging) inside one transaction. A refused part does not stop
the others from being checked, so the clinician sees every problem of the entry at once; then
nothing of it is kept (QUALITY.md: "Bad input gets a clear, field-level error and changes
nothing").

The reads the page needs to offer the right choices (doses due around the visit, the Denver II
items around the age line, the study a new one is compared with) are here too, so that the page
offers exactly what the writes accept.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _

from patients import models as m
from patients.clinical import denver
from patients.clinical import growth as core
from patients.clinical.ages import AgeAtAssessment, denver_ii_age_line, growth_age
from patients.models.labs import Specimen
from patients.models.people import Sex
from patients.models.treatment import CourseStatus, PlannedDoseStatus
from patients.models.visits import LengthPosition
from patients.services.api_imaging import record_imaging_study
from patients.services.development import norm_table, record_denver_assessment
from patients.services.growth import core_measurement, record_growth
from patients.services.labs import record_lab_result
from patients.services.records import create_record
from patients.services.treatment import record_administration

#: Planned doses offered at a visit: the few nearest to it among those due this many days either
#: side. A monthly dose is often given a little early or late and a missed one is made up at the
#: next visit, while an alternate-day course would otherwise offer a dozen.
DOSES_AROUND_DAYS = 14
DOSES_OFFERED = 5

#: Denver II items offered besides those the age line crosses: items whose 25-90 % bar ends or
#: starts within this many months of the line, and in each sector the items nearest to the line
#: and wholly left of it, at least three of which the Denver II instructions have the examiner
#: give in every sector (Frankenburg WK et al., Denver II Training Manual, 1992). The one month
#: of nearness is this page's choice: it offers the items the child is about to reach.
DENVER_NEAR_MONTHS = 1.0
DENVER_ITEMS_LEFT_OF_LINE = 3

# The analytes measured in urine; every other one is taken as the lab service's default (serum).
_URINE_ANALYTES = frozenset({"mma_urine"})

T = TypeVar("T")

#: Errors by section ("visit", "growth", "labs.0", "dose", "denver", "imaging", "adverse_event"),
#: then by field name (the service's own, or NON_FIELD_ERRORS), as lists of messages.
VisitLogErrors = dict[str, dict[str, list[str]]]


class VisitLogRefused(Exception):
    """The entry was refused and nothing was saved; ``errors`` says where and why."""

    def __init__(self, errors: VisitLogErrors) -> None:
        super().__init__(errors)
        self.errors = errors


# --- What the clinician entered -------------------------------------------------------------


@dataclass(frozen=True)
class GrowthEntry:
    weight_kg: Decimal | None = None
    length_cm: Decimal | None = None
    head_circumference_cm: Decimal | None = None
    length_position: str = LengthPosition.RECUMBENT
    confirm_implausible: bool = False


@dataclass(frozen=True)
class LabEntry:
    analyte: str
    value: Decimal | None
    unit: str
    comparator: str = ""
    #: The reporting laboratory: the clinic's ranges for that laboratory then flag the result.
    lab_name: str = ""


@dataclass(frozen=True)
class DoseEntry:
    planned_dose: m.PlannedDose
    location: str
    site: str = ""
    lot_number: str = ""


@dataclass(frozen=True)
class DenverEntry:
    #: Item codes (``language:24``) to raw scores (P, F, R, NO).
    scores: Mapping[str, str]
    notes: str = ""


@dataclass(frozen=True)
class ImagingEntry:
    performed_on: datetime.date
    modality: str
    body_site: str
    impression: str
    #: The verdict against the infant's latest earlier study (resolved, improved, ...), if any.
    comparison: str = ""
    #: ImagingFinding fields: finding_type, region, side, severity, notes.
    findings: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True)
class AdverseEventEntry:
    event_type: str
    onset_on: datetime.date
    severity: str = ""
    resolved_on: datetime.date | None = None
    description: str = ""
    action_taken: str = ""
    course: m.TreatmentCourse | None = None


@dataclass(frozen=True)
class VisitEntry:
    visit_date: datetime.date
    visit_type: str
    reason: str = ""
    notes: str = ""
    growth: GrowthEntry | None = None
    #: In the order of the page's rows; their errors come back as sections "labs.<position>".
    labs: Sequence[LabEntry] = ()
    dose: DoseEntry | None = None
    denver: DenverEntry | None = None
    imaging: ImagingEntry | None = None
    adverse_event: AdverseEventEntry | None = None


@dataclass(frozen=True)
class LoggedVisit:
    visit: m.Visit
    measurement: m.GrowthMeasurement | None
    lab_results: list[m.LabResult]
    administration: m.DoseAdministration | None
    assessment: m.DenverAssessment | None
    study: m.ImagingStudy | None
    adverse_event: m.AdverseEvent | None


# --- Writing ----------------------------------------------------------------------------------


def log_visit(
    *,
    infant: m.Infant,
    actor: m.User | None,
    entry: VisitEntry,
    today: datetime.date | None = None,
) -> LoggedVisit:
    """Save the visit and every part entered with it, or nothing.

    Raises VisitLogRefused with the errors of every refused part; the transaction is then rolled
    back whole, history rows and after-commit work (alerts, reminders) included.
    """
    with transaction.atomic():
        logged, errors = _write(infant=infant, actor=actor, entry=entry, today=today)
        if errors:
            raise VisitLogRefused(errors)
    assert logged is not None
    return logged


def check_visit_log(
    *,
    infant: m.Infant,
    actor: m.User | None,
    entry: VisitEntry,
    today: datetime.date | None = None,
) -> VisitLogErrors:
    """What the services would refuse in ``entry``, saving nothing in any case.

    For a page whose other parts were already refused by its form: their parts are left out of
    ``entry``, and the clinician still learns at once what is wrong with the rest.
    """
    with transaction.atomic():
        _, errors = _write(infant=infant, actor=actor, entry=entry, today=today)
        transaction.set_rollback(True)
    return errors


def _write(
    *,
    infant: m.Infant,
    actor: m.User | None,
    entry: VisitEntry,
    today: datetime.date | None,
) -> tuple[LoggedVisit | None, VisitLogErrors]:
    today = today or infant.clinic.today()
    errors: VisitLogErrors = {}

    def attempt(section: str, write: Callable[[], T]) -> T | None:
        # Each part in its own savepoint: a refused one leaves nothing behind on PostgreSQL either,
        # and the parts after it are still checked.
        try:
            with transaction.atomic():
                return write()
        except ValidationError as error:
            errors[section] = _messages(error)
            return None

    visit = attempt(
        "visit", lambda: _record_visit(infant=infant, actor=actor, entry=entry, today=today)
    )
    if "visit_date" in errors.get("visit", {}):
        # Every part is dated by the visit; checking them against a wrong date says nothing.
        return None, errors
    on = entry.visit_date

    measurement = None
    if entry.growth is not None:
        growth = entry.growth
        measurement = attempt(
            "growth",
            lambda: record_growth(
                infant=infant,
                actor=actor,
                measured_on=on,
                visit=visit,
                weight_kg=growth.weight_kg,
                length_cm=growth.length_cm,
                head_circumference_cm=growth.head_circumference_cm,
                length_position=growth.length_position,
                confirm_implausible=growth.confirm_implausible,
                today=today,
            ),
        )
    lab_results = [
        attempt(
            f"labs.{position}",
            lambda lab=lab: record_lab_result(
                actor=actor,
                infant=infant,
                visit=visit,
                analyte=lab.analyte,
                collected_on=on,
                value=lab.value,
                unit=lab.unit,
                comparator=lab.comparator,
                lab_name=lab.lab_name,
                specimen=Specimen.URINE if lab.analyte in _URINE_ANALYTES else Specimen.SERUM,
                today=today,
            ),
        )
        for position, lab in enumerate(entry.labs)
    ]
    administration = None
    if entry.dose is not None:
        dose = entry.dose
        administration = attempt(
            "dose", lambda: _give_dose(infant=infant, actor=actor, dose=dose, on=on)
        )
    assessment = None
    if entry.denver is not None:
        scored = entry.denver
        assessment = attempt(
            "denver",
            lambda: record_denver_assessment(
                infant=infant,
                actor=actor,
                assessed_on=on,
                scores=scored.scores,
                visit=visit,
                examiner=actor,
                notes=scored.notes,
                today=today,
            ),
        )
    study = None
    if entry.imaging is not None:
        imaging = entry.imaging
        study = attempt(
            "imaging",
            lambda: _record_study(
                infant=infant, actor=actor, visit=visit, imaging=imaging, today=today
            ),
        )
    adverse_event = None
    if entry.adverse_event is not None:
        event = entry.adverse_event
        adverse_event = attempt(
            "adverse_event",
            lambda: _record_adverse_event(infant=infant, actor=actor, event=event, today=today),
        )

    if errors or visit is None:
        return None, errors
    return (
        LoggedVisit(
            visit=visit,
            measurement=measurement,
            lab_results=[result for result in lab_results if result is not None],
            administration=administration,
            assessment=assessment,
            study=study,
            adverse_event=adverse_event,
        ),
        errors,
    )


def _record_visit(
    *, infant: m.Infant, actor: m.User | None, entry: VisitEntry, today: datetime.date
) -> m.Visit:
    if infant.is_voided:
        raise ValidationError(_("This infant's record was voided; no visit can be logged on it."))
    if entry.visit_date > today:
        raise ValidationError(
            {
                "visit_date": _(
                    "%(date)s is in the future (today is %(today)s at the clinic). A visit is "
                    "logged once it has taken place; a future one is booked as an appointment."
                )
                % {"date": entry.visit_date.isoformat(), "today": today.isoformat()}
            }
        )
    return create_record(
        m.Visit,
        actor=actor,
        infant=infant,
        visit_type=entry.visit_type,
        visit_date=entry.visit_date,
        clinician=actor,
        reason=entry.reason,
        notes=entry.notes,
    )


def _give_dose(
    *, infant: m.Infant, actor: m.User | None, dose: DoseEntry, on: datetime.date
) -> m.DoseAdministration:
    planned = dose.planned_dose
    course = planned.course
    # The page offers only this infant's doses; a forged id must not reach another infant's plan.
    if course.infant_id != infant.pk or planned.is_voided:
        raise ValidationError({"planned_dose": _("This dose is not in the infant's plan.")})
    if course.is_voided or course.status != CourseStatus.ACTIVE:
        raise ValidationError(
            {
                "planned_dose": _(
                    "The dose's course is no longer active; no dose can be given on it."
                )
            }
        )
    return record_administration(
        planned,
        actor=actor,
        given_on=on,
        location=dose.location,
        site=dose.site,
        lot_number=dose.lot_number,
        given_by=actor,
    )


def _record_study(
    *,
    infant: m.Infant,
    actor: m.User | None,
    visit: m.Visit | None,
    imaging: ImagingEntry,
    today: datetime.date,
) -> m.ImagingStudy:
    if imaging.performed_on > today:
        raise ValidationError({"performed_on": _future(imaging.performed_on, today)})
    previous = previous_study(infant, before=imaging.performed_on) if imaging.comparison else None
    if imaging.comparison and previous is None:
        raise ValidationError(
            {"comparison": _("There is no earlier study of this infant to compare with.")}
        )
    return record_imaging_study(
        actor=actor,
        findings=imaging.findings,
        infant=infant,
        visit=visit,
        modality=imaging.modality,
        body_site=imaging.body_site,
        performed_on=imaging.performed_on,
        impression=imaging.impression,
        compared_with=previous,
        comparison=imaging.comparison,
    )


def _record_adverse_event(
    *,
    infant: m.Infant,
    actor: m.User | None,
    event: AdverseEventEntry,
    today: datetime.date,
) -> m.AdverseEvent:
    errors = {}
    if event.onset_on > today:
        errors["onset_on"] = _future(event.onset_on, today)
    if event.resolved_on is not None and event.resolved_on > today:
        errors["resolved_on"] = _future(event.resolved_on, today)
    if errors:
        raise ValidationError(errors)
    return create_record(
        m.AdverseEvent,
        actor=actor,
        infant=infant,
        course=event.course,
        event_type=event.event_type,
        onset_on=event.onset_on,
        resolved_on=event.resolved_on,
        severity=event.severity,
        description=event.description,
        action_taken=event.action_taken,
    )


def _future(on: datetime.date, today: datetime.date) -> str:
    return _("%(date)s is in the future (today is %(today)s at the clinic).") % {
        "date": on.isoformat(),
        "today": today.isoformat(),
    }


def _messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: list(messages) for name, messages in error.message_dict.items()}
    return {NON_FIELD_ERRORS: list(error.messages)}


# --- What the page offers -----------------------------------------------------------------------


def doses_due_around(infant: m.Infant, on: datetime.date) -> list[m.PlannedDose]:
    """The doses of the infant's active courses still to give that are due nearest ``on``, by
    due date."""
    window = datetime.timedelta(days=DOSES_AROUND_DAYS)
    due = list(
        m.PlannedDose.objects.active()
        .filter(
            course__infant=infant,
            course__voided_at__isnull=True,
            course__status=CourseStatus.ACTIVE,
            status__in=(PlannedDoseStatus.PLANNED, PlannedDoseStatus.MISSED),
            due_on__range=(on - window, on + window),
        )
        .select_related("course")
        .order_by("due_on", "number")
    )
    nearest = sorted(due, key=lambda dose: abs((dose.due_on - on).days))[:DOSES_OFFERED]
    return sorted(nearest, key=lambda dose: (dose.due_on, dose.number))


def previous_study(infant: m.Infant, *, before: datetime.date) -> m.ImagingStudy | None:
    """The infant's latest study before ``before``: the one a new study is compared with."""
    return (
        m.ImagingStudy.objects.active()
        .filter(infant=infant, performed_on__lt=before)
        .order_by("-performed_on", "-created_at")
        .prefetch_related(
            Prefetch(
                "findings", queryset=m.ImagingFinding.objects.active(), to_attr="active_findings"
            )
        )
        .first()
    )


class NotScored(StrEnum):
    """Why the page offers no age line or no z-scores for a date."""

    BEFORE_BIRTH = "before_birth"
    BEFORE_TERM = (
        "before_term"  # a preterm infant before the due date: both instruments start there
    )
    SEX_NOT_RECORDED = "sex_not_recorded"  # WHO has tables for boys and for girls only


def laboratories_of(clinic: m.Clinic) -> list[str]:
    """The laboratories the clinic keeps reference ranges for, to suggest when typing one."""
    return list(
        m.LabReferenceRange.objects.active()
        .filter(clinic=clinic)
        .exclude(lab_name="")
        .order_by("lab_name")
        .values_list("lab_name", flat=True)
        .distinct()
    )


def courses_of(infant: m.Infant) -> list[m.TreatmentCourse]:
    """The infant's courses an adverse event may be linked to, newest first."""
    return list(
        m.TreatmentCourse.objects.active().filter(infant=infant).order_by("-started_on", "pk")
    )


@dataclass(frozen=True)
class DenverOffer:
    """The Denver II items to give on a day, sector by sector, with the age line they were chosen
    for and the norm table they come from."""

    age_line: AgeAtAssessment | None
    norm_version: str
    sectors: tuple[tuple[denver.DenverSector, tuple[denver.NormItem, ...]], ...] = ()
    not_scored: NotScored | None = None


def default_norms() -> denver.NormTable:
    """The table new assessments are scored with: the default row, else the bundled table that
    record_denver_assessment stores as the default on first use."""
    # The items are read only when this process has not parsed the table yet.
    row = m.DenverNormTable.objects.filter(is_default=True).defer("items", "metadata").first()
    return norm_table(row) if row is not None else denver.bundled_norm_table()


def denver_offer(
    infant: m.Infant, on: datetime.date, *, norms: denver.NormTable | None = None
) -> DenverOffer:
    """The items of ``norms`` (the default table) around the Denver II age line on ``on``,
    corrected for prematurity as record_denver_assessment corrects it."""
    norms = norms or default_norms()
    if on < infant.birth_date:
        return DenverOffer(None, norms.version, not_scored=NotScored.BEFORE_BIRTH)
    age_line = denver_ii_age_line(
        infant.birth_date, on, gestational_age_days=infant.gestational_age_days
    )
    if age_line.age_days < 0:
        return DenverOffer(age_line, norms.version, not_scored=NotScored.BEFORE_TERM)
    return DenverOffer(
        age_line,
        norms.version,
        tuple(
            (sector, items_around_age_line(norms.sector_items(sector), age_line.age_months))
            for sector in denver.DenverSector
        ),
    )


def items_around_age_line(
    items: Sequence[denver.NormItem], age_months: float
) -> tuple[denver.NormItem, ...]:
    """One sector's items to give at ``age_months``, in the order of the test form.

    Every item whose 25-90 % bar the age line crosses or nearly touches
    (:data:`DENVER_NEAR_MONTHS`), and the :data:`DENVER_ITEMS_LEFT_OF_LINE` items nearest to the
    line and wholly left of it: a child should pass those, so a failure there is a delay.
    """
    near = {
        item.code
        for item in items
        if item.p25_months - DENVER_NEAR_MONTHS
        <= age_months
        <= item.p90_months + DENVER_NEAR_MONTHS
    }
    left = sorted(
        (item for item in items if item.p90_months < age_months),
        key=lambda item: (-item.p90_months, -item.item_no),
    )
    near.update(item.code for item in left[:DENVER_ITEMS_LEFT_OF_LINE])
    return tuple(sorted((i for i in items if i.code in near), key=lambda i: i.item_no))


# --- The growth preview ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GrowthPreview:
    age: AgeAtAssessment | None
    results: tuple[core.IndicatorResult, ...] = ()
    not_scored: NotScored | None = None


def preview_growth(
    *,
    infant: m.Infant,
    measured_on: datetime.date,
    weight_kg: Decimal | None = None,
    length_cm: Decimal | None = None,
    head_circumference_cm: Decimal | None = None,
    length_position: str = LengthPosition.RECUMBENT,
) -> GrowthPreview:
    """WHO 2006 z-scores of values being typed, computed as record_growth computes them, unsaved.

    The values must be positive (the caller's form sees to that). Implausible values are scored
    and flagged rather than refused: the point is to show the clinician what the numbers say.
    """
    if measured_on < infant.birth_date:
        return GrowthPreview(None, not_scored=NotScored.BEFORE_BIRTH)
    age = growth_age(
        infant.birth_date, measured_on, gestational_age_days=infant.gestational_age_days
    )
    if infant.sex not in (Sex.MALE, Sex.FEMALE):
        return GrowthPreview(age, not_scored=NotScored.SEX_NOT_RECORDED)
    if age.age_days < 0:
        return GrowthPreview(age, not_scored=NotScored.BEFORE_TERM)
    measurement = m.GrowthMeasurement(
        infant=infant,
        measured_on=measured_on,
        weight_kg=weight_kg,
        length_cm=length_cm,
        length_position=length_position,
        head_circumference_cm=head_circumference_cm,
    )
    entry = core_measurement(measurement, sex=infant.sex, age=age)
    return GrowthPreview(age, core.assess_growth(entry, core.WHO_2006).results)
