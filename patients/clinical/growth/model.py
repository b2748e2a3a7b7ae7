"""Values shared by every growth reference: what was measured, and what a reference made of it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

Number = float | int | Decimal


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


class Indicator(StrEnum):
    """The WHO 2006 indicators the tracker charts.

    Weight-for-length and weight-for-height are one WHO indicator ("weight-for-length/height")
    read from two tables: WHO uses the length table before 731 days and the height table from then
    on (WHO `anthro` R package, `anthro_zscores`). They are kept apart here so a stored z-score
    always names the table it came from.
    """

    WFA = "wfa"
    LFA = "lfa"
    HCFA = "hcfa"
    WFL = "wfl"
    WFH = "wfh"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def indexed_by_age(self) -> bool:
        """True when the table is read by age in days, False when by length or height in cm."""
        return self not in (Indicator.WFL, Indicator.WFH)


_LABELS = {
    Indicator.WFA: "weight-for-age",
    Indicator.LFA: "length/height-for-age",
    Indicator.HCFA: "head circumference-for-age",
    Indicator.WFL: "weight-for-length",
    Indicator.WFH: "weight-for-height",
}


class Status(StrEnum):
    COMPUTED = "computed"
    NOT_MEASURED = "not_measured"
    NOT_APPLICABLE = "not_applicable"


class ReferenceNotApplicable(Exception):
    """The reference does not cover this age, length or measurement; the message says why."""


class GrowthReference(Protocol):
    """What the tracker needs from a growth reference (WHO 2006, or a clinic's LMS tables)."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str:
        """Identifies the tables and the code that produced a z-score, stored with every value."""
        ...

    @property
    def restricted_indicators(self) -> frozenset[Indicator]:
        """Indicators whose z-scores beyond +/-3 use WHO's restricted calculation."""
        ...

    def z_score(
        self,
        indicator: Indicator,
        sex: Sex,
        *,
        age_days: int,
        value: float,
        length_cm: float | None = None,
    ) -> float:
        """The z-score of `value` (kg or cm); `length_cm` is the index of weight-for-length/height.

        Raises ReferenceNotApplicable when the reference does not cover the request.
        """
        ...

    def plausibility_limits(self, indicator: Indicator) -> tuple[float, float] | None:
        """(low, high) z-scores outside which a value is biologically implausible, if defined."""
        ...


@dataclass(frozen=True)
class GrowthMeasurement:
    """One visit's anthropometry, as the clinic recorded it.

    `age_days` is the age the caller chose: chronological, or corrected for prematurity (decided
    elsewhere), in which case `corrected_age_used` is True and is carried into every result.
    `length_recumbent` must be given with a length: the tracker never guesses how a child was
    measured, because guessing wrong moves the length by 0.7 cm.
    """

    sex: Sex
    age_days: int
    weight_kg: Number | None = None
    length_cm: Number | None = None
    length_recumbent: bool | None = None
    head_circumference_cm: Number | None = None
    corrected_age_used: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "sex", Sex(self.sex))
        if isinstance(self.age_days, bool) or not isinstance(self.age_days, int):
            raise TypeError(f"age_days must be a whole number of days, got {self.age_days!r}")
        if self.age_days < 0:
            raise ValueError(f"age_days must not be negative, got {self.age_days}")
        for field_name in ("weight_kg", "length_cm", "head_circumference_cm"):
            value = getattr(self, field_name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{field_name} must be a positive number, got {value!r}")
        if self.length_cm is not None and self.length_recumbent is None:
            raise ValueError("length_recumbent is required with length_cm (lying or standing?)")


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator's z-score and centile from one reference, ready to be stored as is."""

    indicator: Indicator
    status: Status
    reference_name: str
    reference_version: str
    corrected_age_used: bool
    age_days: int
    # The value scored (kg or cm) after WHO's length/height conversion, and for weight-for-length/
    # height the length it was scored against.
    value: float | None = None
    length_cm: float | None = None
    z: float | None = None
    centile: float | None = None
    # WHO's restricted calculation was used (weight-based indicator with |z| > 3).
    restricted_calculation: bool = False
    # Outside the reference's plausibility limits; None when not computed or the reference has none.
    implausible: bool | None = None
    reason: str = ""


@dataclass(frozen=True)
class GrowthAssessment:
    """Everything one reference says about one measurement."""

    reference_name: str
    reference_version: str
    sex: Sex
    age_days: int
    corrected_age_used: bool
    # Length after WHO's lying/standing conversion, and the conversion applied (+0.7, -0.7 or 0).
    length_cm_used: float | None
    length_conversion_cm: float
    notes: tuple[str, ...]
    results: tuple[IndicatorResult, ...]

    def __getitem__(self, indicator: Indicator | str) -> IndicatorResult:
        wanted = Indicator(indicator)
        for result in self.results:
            if result.indicator is wanted:
                return result
        raise KeyError(wanted)
