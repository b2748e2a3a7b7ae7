"""Chronological and corrected ages, as the Denver II and the WHO references count them.

Public API:

- ``WHO_DAYS_PER_MONTH``, ``TERM_GESTATION_DAYS``: how months and the due date are counted.
- ``AgeScale``: the reference an age is for (``DENVER_II``, ``WHO_GROWTH``).
- ``CorrectionRule`` and its two defaults ``DENVER_II_CORRECTION``, ``WHO_GROWTH_CORRECTION``.
- ``AgeAtAssessment``: the age used, whether it was corrected and by how many days.
- ``gestation_days(weeks, days)``, ``months_from_days(days)``,
  ``chronological_age_days(birth_date, on)``, ``days_born_early(gestational_age_days)``.
- ``correction_days(...)``: the prematurity correction a rule grants at a chronological age.
- ``age_on(...)``, ``denver_ii_age_line(...)``, ``growth_age(...)``: the age used on a date.

Months: one month is ``365.25 / 12 = 30.4375`` days, the constant WHO's own software for the
Child Growth Standards (WHO Anthro and its R package ``anthro``) uses between days and months. The
Denver II is read on the same continuous month scale: its manual's pencil-and-paper subtraction
(years, months, days, borrowing 30 days) approximates the same quantity to within a day or two,
and one exact definition lets both instruments agree about one child on one day and keeps ages
monotonic in days.

Corrected age is the age counted from the due date: chronological age minus the days the infant was
born before 40 weeks 0 days. It is negative for a preterm infant seen before the due date; callers
decide what their instrument does with that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

WHO_DAYS_PER_MONTH: Final[float] = 365.25 / 12
"""Days in one month, as WHO Anthro counts them for the Child Growth Standards."""

TERM_GESTATION_DAYS: Final[int] = 40 * 7
"""The due date, 40 weeks 0 days: the origin of corrected age (CLINICAL.md section 7)."""

# Gestational ages outside 22+0 .. 44+6 weeks are not births this tracker can see; such a value
# is almost always a unit slip (weeks typed where days were expected), so it is refused rather
# than turned into a corrected age months away from the truth. 22 weeks is the start of the
# perinatal period (WHO ICD); 42+0 starts post-term, and 44+6 leaves room for dating error.
MIN_PLAUSIBLE_GESTATION_DAYS: Final[int] = 22 * 7
MAX_PLAUSIBLE_GESTATION_DAYS: Final[int] = 44 * 7 + 6


class AgeScale(StrEnum):
    """The reference an age is measured for; each reference has its own prematurity rule."""

    DENVER_II = "denver_ii"
    # The WHO growth standards and the WHO motor windows come from one term cohort (the WHO
    # Multicentre Growth Reference Study), so they share one correction rule.
    WHO_GROWTH = "who_growth"


@dataclass(frozen=True, slots=True)
class CorrectionRule:
    """When an age is corrected for prematurity.

    The age is corrected when the gestational age at birth is at most
    ``corrects_up_to_gestation_days`` and the chronological age is below
    ``corrects_below_months``. Clinics may configure their own rule; every age records the rule
    that produced it.
    """

    scale: AgeScale
    corrects_up_to_gestation_days: int
    corrects_below_months: float

    def __post_init__(self) -> None:
        if (
            not MIN_PLAUSIBLE_GESTATION_DAYS
            <= self.corrects_up_to_gestation_days
            < TERM_GESTATION_DAYS
        ):
            raise ValueError(
                "corrects_up_to_gestation_days must lie between 22+0 weeks and 39+6 weeks, "
                f"got {self.corrects_up_to_gestation_days} days"
            )
        if self.corrects_below_months <= 0:
            raise ValueError(
                f"corrects_below_months must be positive, got {self.corrects_below_months}"
            )


DENVER_II_CORRECTION: Final = CorrectionRule(
    scale=AgeScale.DENVER_II,
    # CLINICAL.md section 7: born 2 weeks or more before the due date, i.e. at most 38 weeks 0 days.
    corrects_up_to_gestation_days=38 * 7,
    # CLINICAL.md section 7: only while the child is younger than 24 months (chronological).
    corrects_below_months=24.0,
)
"""The Denver II age line rule (CLINICAL.md section 7)."""

WHO_GROWTH_CORRECTION: Final = CorrectionRule(
    scale=AgeScale.WHO_GROWTH,
    # CLINICAL.md section 6: born before 37 weeks, i.e. at most 36 weeks 6 days.
    corrects_up_to_gestation_days=37 * 7 - 1,
    # CLINICAL.md section 6: until 24 months, counted like the Denver rule on chronological age.
    corrects_below_months=24.0,
)
"""The growth rule, also used for the WHO motor windows (CLINICAL.md section 6, data README)."""


@dataclass(frozen=True, slots=True)
class AgeAtAssessment:
    """The age an instrument uses on one day, and how it was reached.

    ``gestational_age_days`` is ``None`` when it is not known; such an age is never corrected.
    """

    rule: CorrectionRule
    chronological_age_days: int
    correction_days: int
    gestational_age_days: int | None

    def __post_init__(self) -> None:
        if self.chronological_age_days < 0 or self.correction_days < 0:
            raise ValueError(
                "chronological age and correction are counted forwards from birth, "
                f"got {self.chronological_age_days} and {self.correction_days} days"
            )

    @property
    def age_days(self) -> int:
        """The age used: corrected when the rule applied, chronological otherwise."""
        return self.chronological_age_days - self.correction_days

    @property
    def age_months(self) -> float:
        return months_from_days(self.age_days)

    @property
    def chronological_age_months(self) -> float:
        return months_from_days(self.chronological_age_days)

    @property
    def corrected(self) -> bool:
        return self.correction_days > 0


def gestation_days(weeks: int, days: int = 0) -> int:
    """Gestational age in days from the clinic's "weeks + days" (37+3 -> 262)."""
    if not 0 <= days <= 6:
        raise ValueError(f"days must be 0-6 in 'weeks + days', got {days}")
    return _checked_gestation(weeks * 7 + days)


def months_from_days(days: float) -> float:
    """Age in months on the WHO month of 30.4375 days (see the module docstring)."""
    return days / WHO_DAYS_PER_MONTH


def chronological_age_days(birth_date: dt.date, on: dt.date) -> int:
    """Completed days since birth; the day of birth is day 0."""
    if on < birth_date:
        raise ValueError(f"{on.isoformat()} is before the birth date {birth_date.isoformat()}")
    return (on - birth_date).days


def days_born_early(gestational_age_days: int) -> int:
    """Days between birth and the due date (40+0 weeks); 0 for infants born at or after it."""
    return max(0, TERM_GESTATION_DAYS - _checked_gestation(gestational_age_days))


def correction_days(
    *, chronological_age_months: float, gestational_age_days: int | None, rule: CorrectionRule
) -> int:
    """Days to subtract from the chronological age under ``rule`` (0 when it does not apply).

    Takes the age in months so that ages parents report in months ("sat at 15 months") and ages
    computed from dates go through the same decision.
    """
    if gestational_age_days is None:
        return 0
    days_early = days_born_early(gestational_age_days)
    born_early_enough = gestational_age_days <= rule.corrects_up_to_gestation_days
    young_enough = chronological_age_months < rule.corrects_below_months
    return days_early if born_early_enough and young_enough else 0


def age_on(
    birth_date: dt.date,
    on: dt.date,
    *,
    gestational_age_days: int | None,
    rule: CorrectionRule,
) -> AgeAtAssessment:
    """The age ``rule`` uses on the date ``on``."""
    chronological_days = chronological_age_days(birth_date, on)
    return AgeAtAssessment(
        rule=rule,
        chronological_age_days=chronological_days,
        correction_days=correction_days(
            chronological_age_months=months_from_days(chronological_days),
            gestational_age_days=gestational_age_days,
            rule=rule,
        ),
        gestational_age_days=gestational_age_days,
    )


def denver_ii_age_line(
    birth_date: dt.date,
    on: dt.date,
    *,
    gestational_age_days: int | None,
    rule: CorrectionRule = DENVER_II_CORRECTION,
) -> AgeAtAssessment:
    """The Denver II age line on ``on`` (CLINICAL.md section 7)."""
    _require_scale(rule, AgeScale.DENVER_II)
    return age_on(birth_date, on, gestational_age_days=gestational_age_days, rule=rule)


def growth_age(
    birth_date: dt.date,
    on: dt.date,
    *,
    gestational_age_days: int | None,
    rule: CorrectionRule = WHO_GROWTH_CORRECTION,
) -> AgeAtAssessment:
    """The age for the WHO growth standards and motor windows on ``on`` (CLINICAL.md section 6)."""
    _require_scale(rule, AgeScale.WHO_GROWTH)
    return age_on(birth_date, on, gestational_age_days=gestational_age_days, rule=rule)


def _checked_gestation(gestational_age_days: int) -> int:
    if not MIN_PLAUSIBLE_GESTATION_DAYS <= gestational_age_days <= MAX_PLAUSIBLE_GESTATION_DAYS:
        raise ValueError(
            f"gestational age {gestational_age_days} days is outside 22+0 to 44+6 weeks "
            f"({MIN_PLAUSIBLE_GESTATION_DAYS}-{MAX_PLAUSIBLE_GESTATION_DAYS} days); "
            "was it entered in weeks?"
        )
    return gestational_age_days


def _require_scale(rule: CorrectionRule, scale: AgeScale) -> None:
    if rule.scale is not scale:
        raise ValueError(
            f"expected a {scale.value} correction rule, got one for {rule.scale.value}"
        )
