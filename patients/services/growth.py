"""Growth measurements and the z-scores and centiles the clinical core computes for them.

Sources (CLINICAL.md section 6): WHO Child Growth Standards 2006 by age in days, scored for every
infant; a clinic's own LMS references (national charts, say) scored beside WHO, never instead of
it; corrected age for infants born before 37 weeks until 24 months; the reference name and version
stored with every value. WHO's biologically implausible z-score limits (WHO Anthro) decide which
entries are refused as probable typing slips until a clinician confirms them (QUALITY.md: "Bad
input gets a clear, field-level error and changes nothing").

Scores are written once per (measurement, reference name, reference version) and never
recomputed in place: a new reference version adds rows beside the old ones (ARCHITECTURE.md,
"Habits"), so a chart printed last year can always be explained.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from patients import models as m
from patients.clinical import growth as core
from patients.clinical.ages import AgeAtAssessment, growth_age, months_from_days
from patients.clinical.growth.who2006 import MAX_AGE_DAYS as WHO_MAX_AGE_DAYS
from patients.models.people import Sex
from patients.models.visits import LengthPosition
from patients.services.records import save_record

logger = logging.getLogger(__name__)

# The entered field each indicator judges. Weight-for-length/height is a judgement of the weight
# at that length, so an implausible one points the clinician at the weight.
_FIELD_OF_INDICATOR: dict[core.Indicator, str] = {
    core.Indicator.WFA: "weight_kg",
    core.Indicator.LFA: "length_cm",
    core.Indicator.HCFA: "head_circumference_cm",
    core.Indicator.WFL: "weight_kg",
    core.Indicator.WFH: "weight_kg",
}

_TWO_PLACES = Decimal("0.01")
_REASON_MAX_LENGTH = m.GrowthScore._meta.get_field("reason").max_length or 300

# Parsed clinic references, keyed by (row id, updated_at): an edit through save_record moves
# updated_at, so a stale parse is never used. Parsing a full LMS table takes milliseconds, a
# lookup nothing; the bound keeps a long-running worker from collecting every version it saw.
_PARSED_REFERENCES: dict[tuple[uuid.UUID, datetime.datetime], core.LmsReference] = {}
_PARSED_REFERENCES_MAX = 64


@transaction.atomic
def record_growth(
    *,
    infant: m.Infant,
    actor: m.User | None,
    measured_on: datetime.date,
    weight_kg: Decimal | None = None,
    length_cm: Decimal | None = None,
    head_circumference_cm: Decimal | None = None,
    length_position: str = LengthPosition.RECUMBENT,
    visit: m.Visit | None = None,
    confirm_implausible: bool = False,
    today: datetime.date | None = None,
) -> m.GrowthMeasurement:
    """Record one day's weight, length and head circumference, and store their scores.

    Refused with a field-level ValidationError, saving nothing: a measurement dated after
    ``today`` (the clinic's local date by default), anything the model refuses (a date before
    birth, a visit of another infant, no measurement at all, a value that is not positive), and a
    value WHO flags as biologically implausible for the age (or one beyond its tables), unless
    ``confirm_implausible`` says a clinician checked it. A confirmed value is stored and its
    scores keep ``implausible=True``.
    """
    if infant.is_voided:
        raise ValidationError("This infant's record was voided; no measurement can be added.")
    today = today or infant.clinic.today()
    if measured_on > today:
        raise ValidationError(
            {
                "measured_on": f"{measured_on:%Y-%m-%d} is in the future "
                f"(today is {today:%Y-%m-%d} at the clinic)."
            }
        )
    measurement = m.GrowthMeasurement(
        infant=infant,
        visit=visit,
        measured_on=measured_on,
        weight_kg=weight_kg,
        length_cm=length_cm,
        length_position=length_position,
        head_circumference_cm=head_circumference_cm,
    )
    # The entry's own rules first, so that the WHO check below only sees positive numbers of the
    # right precision on a date after birth; save_record checks again (one more look-up per key).
    measurement.full_clean()
    if not confirm_implausible:
        _refuse_implausible(measurement)
    save_record(measurement, actor=actor)
    score_growth(measurement)
    return measurement


@transaction.atomic
def score_growth(measurement: m.GrowthMeasurement) -> list[m.GrowthScore]:
    """Store the scores of every reference not yet stored for ``measurement``; return the new rows.

    References are WHO 2006 and the active (not voided, ``is_active``) references of the infant's
    clinic. Idempotent: a reference whose name and version already have rows is skipped, so
    running it again (after a clinic adds a reference version, say) only adds what is missing and
    never rewrites an old score. A voided measurement is not scored. A clinic table that cannot
    be read is skipped and logged rather than blocking the measurement; it is scored by a later
    call once corrected.
    """
    # Holding the measurement row makes a concurrent scoring (a re-scoring job while a clerk saves)
    # wait and then find the rows written, instead of tripping the one-row-per-reference constraint.
    locked = (
        m.GrowthMeasurement.objects.select_for_update(of=("self",))
        .select_related("infant__clinic")
        .get(pk=measurement.pk)
    )
    if locked.is_voided:
        return []
    stored = set(
        m.GrowthScore.objects.filter(measurement=locked).values_list(
            "reference_name", "reference_version"
        )
    )
    who: list[core.GrowthReference] = (
        [] if (core.WHO_2006.name, core.WHO_2006.version) in stored else [core.WHO_2006]
    )
    references = [*who, *_clinic_references(locked.infant.clinic, skip=stored)]
    age = _growth_age(locked)
    rows = [
        _score_row(locked, result)
        for reference in references
        for result in _indicator_results(locked, reference, age)
    ]
    m.GrowthScore.objects.bulk_create(rows)
    return rows


def _growth_age(measurement: m.GrowthMeasurement) -> AgeAtAssessment:
    infant = measurement.infant
    return growth_age(
        infant.birth_date, measurement.measured_on, gestational_age_days=infant.gestational_age_days
    )


def _indicator_results(
    measurement: m.GrowthMeasurement, reference: core.GrowthReference, age: AgeAtAssessment
) -> tuple[core.IndicatorResult, ...]:
    """Every indicator of one reference: the core's results, or "not applicable" with the reason
    when the infant is outside what any sex- and term-based growth standard covers."""
    reason = _not_applicable_reason(measurement.infant, age, reference)
    if reason:
        return tuple(
            core.IndicatorResult(
                indicator=indicator,
                status=core.Status.NOT_APPLICABLE,
                reference_name=reference.name,
                reference_version=reference.version,
                corrected_age_used=age.corrected,
                age_days=age.age_days,
                reason=reason,
            )
            for indicator in core.Indicator
        )
    entry = core_measurement(measurement, sex=measurement.infant.sex, age=age)
    return core.assess_growth(entry, reference).results


def core_measurement(
    measurement: m.GrowthMeasurement, *, sex: str, age: AgeAtAssessment
) -> core.GrowthMeasurement:
    """A stored measurement as the clinical core reads it (scoring, charts, reports)."""
    return core.GrowthMeasurement(
        sex=core.Sex(sex),
        age_days=age.age_days,
        weight_kg=measurement.weight_kg,
        length_cm=measurement.length_cm,
        length_recumbent=(
            None
            if measurement.length_cm is None
            else measurement.length_position == LengthPosition.RECUMBENT
        ),
        head_circumference_cm=measurement.head_circumference_cm,
        corrected_age_used=age.corrected,
    )


def _not_applicable_reason(
    infant: m.Infant, age: AgeAtAssessment, reference: core.GrowthReference
) -> str:
    if infant.sex not in (Sex.MALE, Sex.FEMALE):
        return (
            f"{reference.name} has separate tables for boys and girls; the infant's sex is "
            f"recorded as {infant.get_sex_display().lower()}"
        )
    if age.age_days < 0:
        # A preterm infant before the due date: WHO's standards start at term birth, so a preterm
        # chart (Fenton, INTERGROWTH-21st) is the right tool until then.
        return (
            f"corrected age is {-age.age_days} days before the due date; {reference.name} start "
            "at term birth"
        )
    return ""


def _score_row(measurement: m.GrowthMeasurement, result: core.IndicatorResult) -> m.GrowthScore:
    return m.GrowthScore(
        measurement=measurement,
        reference_name=result.reference_name,
        reference_version=result.reference_version,
        indicator=result.indicator.value,
        status=result.status.value,
        age_days=result.age_days,
        corrected_age_used=result.corrected_age_used,
        z=_two_places(result.z),
        centile=_two_places(result.centile),
        restricted_calculation=result.restricted_calculation,
        implausible=result.implausible,
        reason=result.reason[:_REASON_MAX_LENGTH],
    )


def _two_places(number: float | None) -> Decimal | None:
    # Through repr, so -3.225 is rounded as the decimal it prints as, not as its binary neighbour.
    if number is None:
        return None
    return Decimal(repr(number)).quantize(_TWO_PLACES, rounding=ROUND_HALF_UP)


def _refuse_implausible(measurement: m.GrowthMeasurement) -> None:
    """Raise on each field whose value WHO flags as biologically implausible for the age, or that
    lies beyond the WHO tables altogether."""
    age = _growth_age(measurement)
    errors: dict[str, list[ValidationError]] = {}
    for result in _indicator_results(measurement, core.WHO_2006, age):
        if result.implausible:
            message = _implausible_message(measurement, result)
        elif _beyond_who_tables(result):
            message = _beyond_tables_message(measurement, result)
        else:
            continue
        field = _FIELD_OF_INDICATOR[result.indicator]
        errors.setdefault(field, []).append(ValidationError(message, code="implausible"))
    if errors:
        raise ValidationError(errors)


def _beyond_who_tables(result: core.IndicatorResult) -> bool:
    """A value so far off that the WHO tables do not reach it (0.56 kg typed for 5.6 kg at 9
    months): the core reports "not applicable" rather than a z-score, but within the standards'
    age span only the value itself can be the cause, and it is at least as implausible."""
    return (
        result.status is core.Status.NOT_APPLICABLE
        and result.value is not None
        and result.indicator.indexed_by_age
        and 0 <= result.age_days <= WHO_MAX_AGE_DAYS
    )


def _implausible_message(measurement: m.GrowthMeasurement, result: core.IndicatorResult) -> str:
    assert result.z is not None  # implausible is only ever set on a computed z-score
    low, high = core.WHO_PLAUSIBILITY_LIMITS[result.indicator]
    return (
        f"{_entered(measurement, result)} at {_age_words(result)} gives a "
        f"{result.indicator.label} z-score of {result.z:+.2f}, outside the range WHO considers "
        f"plausible ({low:+g} to {high:+g}). Check the entry; if it is right, confirm it to save."
    )


def _beyond_tables_message(measurement: m.GrowthMeasurement, result: core.IndicatorResult) -> str:
    return (
        f"{_entered(measurement, result)} at {_age_words(result)} is outside the WHO tables "
        f"({result.reason}). Check the entry; if it is right, confirm it to save."
    )


def _entered(measurement: m.GrowthMeasurement, result: core.IndicatorResult) -> str:
    match result.indicator:
        case core.Indicator.WFA:
            return f"Weight {_amount(measurement.weight_kg)} kg"
        case core.Indicator.LFA:
            lying = measurement.length_position == LengthPosition.RECUMBENT
            return f"{'Length' if lying else 'Height'} {_amount(measurement.length_cm)} cm"
        case core.Indicator.HCFA:
            return f"Head circumference {_amount(measurement.head_circumference_cm)} cm"
    return (
        f"Weight {_amount(measurement.weight_kg)} kg at length {_amount(measurement.length_cm)} cm"
    )


def _age_words(result: core.IndicatorResult) -> str:
    age_kind = "corrected age" if result.corrected_age_used else "age"
    return f"{age_kind} {result.age_days} days ({months_from_days(result.age_days):.1f} months)"


def _amount(value: Decimal | None) -> str:
    return "?" if value is None else f"{value.normalize():f}"


def _clinic_references(clinic: m.Clinic, *, skip: set[tuple[str, str]]) -> list[core.LmsReference]:
    """The clinic's active references, parsed, leaving out the (name, version) pairs in ``skip``."""
    rows = (
        m.GrowthReference.objects.active()
        .filter(clinic=clinic, is_active=True)
        .defer("lms_csv")  # loaded row by row only when the parse is not cached
        .order_by("name", "version")
    )
    references = []
    for row in rows:
        if (row.name, row.version) in skip:
            continue
        try:
            references.append(_parsed(row))
        except (core.LmsTableError, ValueError) as error:
            logger.warning(
                "Growth reference %s (%s) of clinic %s cannot be read and was skipped: %s",
                row.name,
                row.version,
                clinic.pk,
                error,
            )
    return references


def _parsed(row: m.GrowthReference) -> core.LmsReference:
    key = (row.pk, row.updated_at)
    parsed = _PARSED_REFERENCES.get(key)
    if parsed is None:
        parsed = core.parse_lms_csv(
            row.lms_csv, name=row.name, version=row.version, age_unit=core.AgeUnit(row.age_unit)
        )
        if len(_PARSED_REFERENCES) >= _PARSED_REFERENCES_MAX:
            _PARSED_REFERENCES.clear()
        _PARSED_REFERENCES[key] = parsed
    return parsed
