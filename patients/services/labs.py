"""Laboratory results: what the laboratory reported, and what the clinical core made of it.

Sources (CLINICAL.md section 5, through patients.clinical.labs): the analyte catalogue and its unit
conversions (pmol/L = pg/mL x 0.738, nmol/L = ng/mL x 2.266, ...), reference ranges per laboratory
and age band with a clinic's own ranges before the catalogue's infant defaults, censored results
("<150 pg/mL") flagged only when every value they may stand for falls in one category, and B12
status under NICE NG239 (adults, seed 004) or the infant-trial thresholds.

Every stored flag and status names what produced it: ``flag_rule`` holds the core's rules version
and which range was used, ``reference_low``/``reference_high``/``reference_source`` the range
itself, ``b12_threshold_set`` the threshold set. A later change of rules or ranges therefore never
silently rewrites a stored interpretation (ARCHITECTURE.md, "Habits").
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from patients import models as m
from patients.clinical import labs as core
from patients.clinical.ages import chronological_age_days
from patients.models.labs import LabFlag, Specimen
from patients.models.people import Sex
from patients.services.alerts import refresh_alerts_after_commit
from patients.services.records import save_record

# A mother's age when her birth date is not recorded: the first day of adulthood (18 years of
# 365.25 days). Adult ranges a clinic configures start at 18 years or earlier, so they apply. The
# catalogue's age-banded defaults are infant ranges (all end by 5 years) and never do, so a
# mother's result without a printed, clinic or named-laboratory range is flagged "unknown" rather
# than judged by an infant's range.
ADULT_AGE_DAYS = round(18 * 365.25)

# The laboratory's words, when it reported no number (seed 000: "normal serum level of folate").
# Only words with one meaning are turned into a flag; anything else stays "unknown".
_REPORTED_WORDS: dict[str, str] = {
    "low": LabFlag.LOW,
    "normal": LabFlag.NORMAL,
    "high": LabFlag.HIGH,
}
REPORTED_BY_LABORATORY = "reported by laboratory"

# Which range flagged a result, as written into flag_rule after the rules version.
RANGE_PRINTED = "printed by laboratory"
RANGE_CLINIC = "clinic range"
RANGE_CATALOGUE = "catalogue default"
PRINTED_RANGE_SOURCE = "Printed by the laboratory on the report"

_FOUR_PLACES = Decimal("0.0001")  # the stored scale of every lab number
_SOURCE_MAX_LENGTH = m.LabResult._meta.get_field("reference_source").max_length or 200


@transaction.atomic
def record_lab_result(
    *,
    actor: m.User | None,
    analyte: str,
    collected_on: datetime.date,
    infant: m.Infant | None = None,
    mother: m.Mother | None = None,
    value: Decimal | None = None,
    unit: str = "",
    comparator: str = "",
    reported_text: str = "",
    specimen: str = Specimen.SERUM,
    visit: m.Visit | None = None,
    reference_low: Decimal | None = None,
    reference_high: Decimal | None = None,
    reference_source: str = "",
    lab_name: str = "",
    collected_time: datetime.time | None = None,
    notes: str = "",
    today: datetime.date | None = None,
) -> m.LabResult:
    """Record one result of an infant or of a mother, with its canonical value, flag and status.

    ``value`` with ``unit`` (and ``comparator`` for a censored result such as ``<150``), or, when
    the laboratory reported words, ``reported_text`` alone. ``reference_low``/``reference_high``
    are the range the laboratory printed beside this result, in the result's unit.

    Refused with a field-level ValidationError, saving nothing: an analyte the catalogue does not
    know (on ``analyte``), a unit the analyte does not accept (on ``unit``, with the catalogue's
    accepted units), a collection date after ``today`` (the clinic's local date by default) or
    before the infant's birth, and anything else the model refuses.

    The flag uses the printed range, else the clinic's ranges, else the catalogue's defaults
    (:func:`_applicable_range`); a mother is judged as an adult (:data:`ADULT_AGE_DAYS`). The
    B12 status of an infant prefers the infant-trial thresholds, of a mother NICE NG239
    (:func:`_b12_status`).
    """
    subject = _subject(infant=infant, mother=mother)
    today = today or subject.clinic.today()
    catalogue_analyte = _check_entry(
        analyte=analyte,
        collected_on=collected_on,
        value=value,
        unit=unit,
        comparator=comparator,
        reported_text=reported_text,
        reference_low=reference_low,
        reference_high=reference_high,
        today=today,
    )
    result = m.LabResult(
        infant=infant,
        mother=mother,
        visit=visit,
        analyte=analyte,
        specimen=specimen,
        collected_on=collected_on,
        collected_time=collected_time,
        comparator=comparator,
        value=value,
        unit=unit,
        reported_text=reported_text.strip(),
        reference_low=reference_low,
        reference_high=reference_high,
        reference_source=reference_source,
        lab_name=lab_name.strip(),
        notes=notes,
    )
    # The entry's own rules first (precision, choices, a date before birth, a visit of another
    # infant), so the core interprets clean Decimals; save_record checks again with the
    # interpretation in place.
    result.full_clean()
    if result.value is None:
        _interpret_words(result)
    else:
        _interpret_value(result, catalogue_analyte, subject=subject)
    saved = save_record(result, actor=actor)
    if saved.infant_id:
        refresh_alerts_after_commit(saved.infant)
    return saved


def lab_overrides_for(clinic: m.Clinic, *, analyte: str | None = None) -> list[core.ReferenceRange]:
    """The clinic's active reference ranges as the core's ReferenceRange, optionally for one analyte.

    A range for sex "other" or "unknown" is left out: the core matches ranges on female or male
    only, and treating it as "either sex" would apply it to everyone. A range the core cannot use
    (a unit the analyte does not accept, critical limits inside the normal ones) raises a
    ValidationError naming it, because flagging against the catalogue instead would hide the
    clinic's own choice.
    """
    rows = m.LabReferenceRange.objects.active().filter(clinic=clinic)
    if analyte is not None:
        rows = rows.filter(analyte=analyte)
    ranges = []
    for row in rows.order_by("analyte", "age_from_days", "created_at"):
        if row.sex and row.sex not in (Sex.FEMALE, Sex.MALE):
            continue
        try:
            core.DEFAULT_CATALOGUE.analyte(row.analyte).accepted(row.unit)
            ranges.append(
                core.ReferenceRange(
                    analyte=row.analyte,
                    unit=row.unit,
                    low=row.low,
                    high=row.high,
                    source=row.source,
                    age_from_days=row.age_from_days,
                    age_until_days=row.age_until_days,
                    sex=core.Sex(row.sex) if row.sex else None,
                    lab=row.lab_name or None,
                    critical_low=row.critical_low,
                    critical_high=row.critical_high,
                    critical_source=row.source
                    if (row.critical_low, row.critical_high) != (None, None)
                    else None,
                )
            )
        except core.LabError as error:
            raise ValidationError(
                f"The clinic's reference range {row} cannot be used: {error}. "
                "Correct it in the clinic's reference ranges."
            ) from None
    return ranges


def _subject(*, infant: m.Infant | None, mother: m.Mother | None) -> m.Infant | m.Mother:
    if (infant is None) == (mother is None):
        raise ValidationError(
            {"infant": "A lab result belongs to either the infant or the mother: give one."}
        )
    subject = infant if infant is not None else mother
    assert subject is not None
    if subject.is_voided:
        raise ValidationError("This record was voided; no lab result can be added to it.")
    return subject


def _check_entry(
    *,
    analyte: str,
    collected_on: datetime.date,
    value: Decimal | None,
    unit: str,
    comparator: str,
    reported_text: str,
    reference_low: Decimal | None,
    reference_high: Decimal | None,
    today: datetime.date,
) -> core.Analyte:
    """The checks that need the catalogue or the clinic's date, each on the field it is about."""
    try:
        catalogue_analyte = core.DEFAULT_CATALOGUE.analyte(analyte)
    except core.UnknownAnalyte as error:
        raise ValidationError({"analyte": str(error)}) from None
    errors: dict[str, str] = {}
    if collected_on > today:
        errors["collected_on"] = (
            f"{collected_on:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d} at the clinic)."
        )
    if value is not None:
        if not unit:
            accepted = ", ".join(u.unit for u in catalogue_analyte.units)
            errors["unit"] = (
                f"Give the unit of the value; {catalogue_analyte.name} accepts {accepted}."
            )
        else:
            try:
                catalogue_analyte.accepted(unit)
            except core.UnitNotAccepted as error:
                errors["unit"] = str(error)
    elif not reported_text.strip():
        errors["value"] = "Enter the value with its unit, or the words the laboratory reported."
    elif comparator:
        errors["comparator"] = f"'{comparator}' needs a value after it (for example <150)."
    if reference_low is not None and reference_high is not None and reference_low > reference_high:
        errors["reference_low"] = (
            f"The lower reference limit ({reference_low}) is above the upper one ({reference_high})."
        )
    if errors:
        raise ValidationError(errors)
    return catalogue_analyte


def _interpret_words(result: m.LabResult) -> None:
    """A result the laboratory gave in words keeps no number; its words become the flag when they
    say one thing."""
    result.flag = _REPORTED_WORDS.get(result.reported_text.casefold(), LabFlag.UNKNOWN)
    result.flag_rule = REPORTED_BY_LABORATORY


def _interpret_value(
    result: m.LabResult, analyte: core.Analyte, *, subject: m.Infant | m.Mother
) -> None:
    assert result.value is not None
    lab = core.LabValue(
        result.analyte, result.value, result.unit, core.Comparator(result.comparator)
    )
    result.canonical_value = _four_places(analyte.to_canonical(result.value, result.unit))
    result.canonical_unit = analyte.canonical_unit

    reference, kind = _applicable_range(result, subject=subject)
    result.flag = core.flag_value(lab, reference)
    if reference is None:
        result.flag_rule = f"{core.LAB_RULES_VERSION}; no reference range applies"
    else:
        result.flag_rule = f"{core.LAB_RULES_VERSION}; range: {kind}"
    if kind == RANGE_PRINTED:
        result.reference_source = result.reference_source or PRINTED_RANGE_SOURCE
    elif reference is not None:
        # Stored in the result's unit, beside the value it judged.
        result.reference_low = _in_unit(analyte, reference.low, reference.unit, result.unit)
        result.reference_high = _in_unit(analyte, reference.high, reference.unit, result.unit)
        result.reference_source = _truncated(reference.source, _SOURCE_MAX_LENGTH)

    status = _b12_status(lab, infant=isinstance(subject, m.Infant))
    if status is not None:
        result.b12_status = status.status.value
        result.b12_threshold_set = status.threshold_set_name


def _applicable_range(
    result: m.LabResult, *, subject: m.Infant | m.Mother
) -> tuple[core.ReferenceRange | None, str]:
    """The range to flag against and where it came from.

    Precedence, most specific first: the range the laboratory printed on this very result; then
    the clinic's ranges; then the catalogue's defaults (core.applicable_range orders the last two
    and, within each, prefers the reporting laboratory's, the patient's sex and the narrowest age
    band). Ages are chronological at collection, as the catalogue's bands are.
    """
    if result.reference_low is not None or result.reference_high is not None:
        printed = core.ReferenceRange(
            analyte=result.analyte,
            unit=result.unit,
            low=result.reference_low,
            high=result.reference_high,
            source=result.reference_source or PRINTED_RANGE_SOURCE,
            lab=result.lab_name or None,
        )
        return printed, RANGE_PRINTED
    if isinstance(subject, m.Infant):
        age_days = chronological_age_days(subject.birth_date, result.collected_on)
        sex = core.Sex(subject.sex) if subject.sex in (Sex.FEMALE, Sex.MALE) else None
    else:
        age_days = _mother_age_days(subject, result.collected_on)
        sex = core.Sex.FEMALE
    overrides = lab_overrides_for(subject.clinic, analyte=result.analyte)
    reference = core.applicable_range(
        core.DEFAULT_CATALOGUE,
        result.analyte,
        age_days=age_days,
        sex=sex,
        lab=result.lab_name or None,
        overrides=overrides,
    )
    return reference, RANGE_CLINIC if reference in overrides else RANGE_CATALOGUE


def _mother_age_days(mother: m.Mother, on: datetime.date) -> int:
    if mother.birth_date is None or on < mother.birth_date:
        return ADULT_AGE_DAYS
    return chronological_age_days(mother.birth_date, on)


def _b12_status(lab: core.LabValue, *, infant: bool) -> core.B12StatusResult | None:
    """B12 status of a B12, holotranscobalamin or homocysteine result, and the set that decided it.

    Infants: the infant-trial thresholds (CLINICAL.md section 5: plasma cobalamin < 148 pmol/L
    treated as deficient, homocysteine > 6.5 umol/L impaired) decide when they classify the
    result, because they come from infants and sit above NICE's adult cut-off (148 pmol/L is about
    200 ng/L, NICE's is 180 ng/L). They define only the abnormal side, so any other result goes to
    NICE NG239 where NICE has thresholds (B12, holotranscobalamin); a homocysteine below 6.5 stays
    "unclassified" by the infant trials.
    Mothers: NICE NG239 (adults, seed 004) alone. It has no homocysteine thresholds, so a mother's
    homocysteine gets no status. None when no set covers the analyte.
    """
    sets = (core.INFANT_TRIALS, core.NICE_NG239) if infant else (core.NICE_NG239,)
    unclassified: core.B12StatusResult | None = None
    for threshold_set in sets:
        if threshold_set.for_analyte(lab.analyte) is None:
            continue
        status = core.classify_b12_status(lab, threshold_set)
        if status.status is not core.B12Status.UNCLASSIFIED:
            return status
        # The last set consulted is the broader one, so its "unclassified" says more (a censored
        # ">300 pg/mL" spans NICE's indeterminate and unlikely bands).
        unclassified = status
    return unclassified


def _in_unit(
    analyte: core.Analyte, limit: Decimal | None, from_unit: str, to_unit: str
) -> Decimal | None:
    return None if limit is None else _four_places(analyte.convert(limit, from_unit, to_unit))


def _four_places(number: Decimal) -> Decimal:
    return number.quantize(_FOUR_PLACES)


def _truncated(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"
