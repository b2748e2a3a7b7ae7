"""Score one measurement against one or more growth references."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import replace
from decimal import Decimal

from .lms import DAYS_PER_MONTH
from .model import (
    GrowthAssessment,
    GrowthMeasurement,
    GrowthReference,
    Indicator,
    IndicatorResult,
    ReferenceNotApplicable,
    Status,
)
from .who2006 import WHO_2006

# WHO measures recumbent length before 731 days and standing height from then on, and converts a
# measurement taken the other way by 0.7 cm, the mean difference found in the MGRS (WHO Child
# Growth Standards: Methods and development, 2006; `anthro` R package, `adjust_lenhei`).
LENGTH_HEIGHT_SWITCH_DAYS = 731
LYING_STANDING_DIFFERENCE_CM = Decimal("0.7")
# WHO Anthro treats a standing height before 9 months (age in months < 9) as an implausible
# position and uses the value unconverted (`anthro_zscores`, `c9mo_flag`).
STANDING_IMPLAUSIBLE_BEFORE_MONTHS = 9


def z_to_centile(z: float) -> float:
    """Centile (0-100) of a z-score under the standard normal distribution."""
    # erfc keeps precision far into the lower tail, where these infants are.
    return 50.0 * math.erfc(-z / math.sqrt(2.0))


def assess_growth(
    measurement: GrowthMeasurement, reference: GrowthReference = WHO_2006
) -> GrowthAssessment:
    """Z-scores and centiles of every indicator, each with the reference that produced it.

    Indicators that were not measured, or that the reference does not cover (age beyond its
    tables, length outside the weight-for-length range, weight-for-length from 731 days where
    weight-for-height applies), come back with a status and a reason instead of a number.
    """
    length_used, conversion, notes = length_for_age(measurement)
    results = tuple(
        _score(indicator, measurement, length_used, reference) for indicator in Indicator
    )
    return GrowthAssessment(
        reference_name=reference.name,
        reference_version=reference.version,
        sex=measurement.sex,
        age_days=measurement.age_days,
        corrected_age_used=measurement.corrected_age_used,
        length_cm_used=length_used,
        length_conversion_cm=conversion,
        notes=notes,
        results=results,
    )


def assess_growth_against(
    measurement: GrowthMeasurement, references: Iterable[GrowthReference]
) -> tuple[GrowthAssessment, ...]:
    """The same measurement scored by several references, to be shown side by side."""
    return tuple(assess_growth(measurement, reference) for reference in references)


def length_for_age(
    measurement: GrowthMeasurement,
) -> tuple[float | None, float, tuple[str, ...]]:
    """The length or height WHO scores at this age, the conversion applied, and why."""
    if measurement.length_cm is None:
        return None, 0.0, ()
    recorded = Decimal(str(measurement.length_cm))
    under_switch = measurement.age_days < LENGTH_HEIGHT_SWITCH_DAYS
    if measurement.length_recumbent == under_switch:
        return float(recorded), 0.0, ()
    if under_switch:
        if measurement.age_days / DAYS_PER_MONTH < STANDING_IMPLAUSIBLE_BEFORE_MONTHS:
            return (
                float(recorded),
                0.0,
                (
                    "standing height before 9 months is an implausible position (WHO Anthro); "
                    "used as recorded",
                ),
            )
        return (
            float(recorded + LYING_STANDING_DIFFERENCE_CM),
            float(LYING_STANDING_DIFFERENCE_CM),
            ("standing height before 2 years converted to length (+0.7 cm, WHO)",),
        )
    return (
        float(recorded - LYING_STANDING_DIFFERENCE_CM),
        -float(LYING_STANDING_DIFFERENCE_CM),
        ("recumbent length from 2 years converted to height (-0.7 cm, WHO)",),
    )


def _score(
    indicator: Indicator,
    measurement: GrowthMeasurement,
    length_used: float | None,
    reference: GrowthReference,
) -> IndicatorResult:
    def outcome(
        status: Status, reason: str, value: float | None = None, length_cm: float | None = None
    ) -> IndicatorResult:
        return IndicatorResult(
            indicator=indicator,
            status=status,
            reference_name=reference.name,
            reference_version=reference.version,
            corrected_age_used=measurement.corrected_age_used,
            age_days=measurement.age_days,
            value=value,
            length_cm=length_cm,
            reason=reason,
        )

    under_switch = measurement.age_days < LENGTH_HEIGHT_SWITCH_DAYS
    if indicator is Indicator.WFL and not under_switch:
        return outcome(
            Status.NOT_APPLICABLE,
            f"from {LENGTH_HEIGHT_SWITCH_DAYS} days WHO scores weight-for-height instead",
        )
    if indicator is Indicator.WFH and under_switch:
        return outcome(
            Status.NOT_APPLICABLE,
            f"before {LENGTH_HEIGHT_SWITCH_DAYS} days WHO scores weight-for-length instead",
        )

    weight = _as_float(measurement.weight_kg)
    value: float | None
    against: float | None = None
    if indicator is Indicator.WFA:
        value, missing = weight, "weight"
    elif indicator is Indicator.LFA:
        value, missing = length_used, "length/height"
    elif indicator is Indicator.HCFA:
        value, missing = _as_float(measurement.head_circumference_cm), "head circumference"
    else:
        value, against = weight, length_used
        missing = "weight" if weight is None else "length/height"
    if value is None or (not indicator.indexed_by_age and against is None):
        return outcome(Status.NOT_MEASURED, f"no {missing} recorded")

    try:
        z = reference.z_score(
            indicator,
            measurement.sex,
            age_days=measurement.age_days,
            value=value,
            length_cm=against,
        )
    except ReferenceNotApplicable as exc:
        return outcome(Status.NOT_APPLICABLE, str(exc), value=value, length_cm=against)

    limits = reference.plausibility_limits(indicator)
    return replace(
        outcome(Status.COMPUTED, "", value=value, length_cm=against),
        z=z,
        centile=z_to_centile(z),
        restricted_calculation=indicator in reference.restricted_indicators and abs(z) > 3.0,
        implausible=None if limits is None else not limits[0] <= z <= limits[1],
    )


def _as_float(value: float | int | Decimal | None) -> float | None:
    return None if value is None else float(value)
