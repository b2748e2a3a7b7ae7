"""A growth reference given as LMS tables, so a clinic can add one (national charts, say).

The LMS method (Cole & Green, Stat Med 1992;11:1305-19) describes the distribution of a
measurement y at each age (or length) by its Box-Cox power L, median M and coefficient of
variation S:

    z = ((y / M) ** L - 1) / (L * S)          (z = ln(y / M) / S when L = 0)

WHO's restricted calculation for weight-based indicators beyond +/-3 SD (WHO Child Growth
Standards: Methods and development, 2006, chapter 7, "Computation of centiles and z-scores")
measures the distance beyond +/-3 SD in units of the absolute distance between the 2 and 3 SD
curves, because the fitted skewness is not trusted past the observed data:

    z* = 3 + (y - SD3pos) / (SD3pos - SD2pos)       when z > 3
    z* = -3 + (y - SD3neg) / (SD2neg - SD3neg)      when z < -3
    SDk = M * (1 + L * S * k) ** (1 / L)

A clinic's CSV has one row per (sex, indicator, index) with columns `sex, indicator, index, L, M,
S` (any order, header case ignored, extra columns ignored). `index` is the age (in days, or in
months with `age_unit="months"`) for weight-, length/height- and head circumference-for-age, and
the length or height in cm for weight-for-length and weight-for-height. Values between rows are
interpolated linearly, as WHO does between the 0.1 cm rows of its weight-for-length table.
"""

from __future__ import annotations

import bisect
import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from itertools import pairwise
from types import MappingProxyType

from .model import Indicator, ReferenceNotApplicable, Sex

# Below this |L| the power form loses precision and the log form (its limit at L = 0) is exact
# to well under 0.001 z for any plausible measurement.
_L_ZERO = 1e-6

# WHO's constant to scale between days and months, 365.25 / 12 (`anthro` R package,
# ANTHRO_DAYS_OF_MONTH); used only when a clinic's table gives ages in months.
DAYS_PER_MONTH = 30.4375

# How many problems one error message lists before summarising the rest.
_MAX_LISTED_ERRORS = 20


def lms_z(y: float, l: float, m: float, s: float) -> float:  # noqa: E741 - L is the method's name
    """Plain LMS z-score."""
    if abs(l) < _L_ZERO:
        return math.log(y / m) / s
    return ((y / m) ** l - 1.0) / (l * s)


def lms_value(z: float, l: float, m: float, s: float) -> float:  # noqa: E741
    """The measurement at z-score `z` (the inverse of lms_z); ValueError where undefined."""
    if abs(l) < _L_ZERO:
        return m * math.exp(s * z)
    base = 1.0 + l * s * z
    if base <= 0.0:
        raise ValueError(f"no measurement has z = {z} for L={l}, S={s}")
    return m * base ** (1.0 / l)


def lms_z_restricted(y: float, l: float, m: float, s: float) -> float:  # noqa: E741
    """WHO's restricted z-score for weight-based indicators (never capped)."""
    z = lms_z(y, l, m, s)
    if z > 3.0:
        sd3 = lms_value(3.0, l, m, s)
        return 3.0 + (y - sd3) / (sd3 - lms_value(2.0, l, m, s))
    if z < -3.0:
        sd3 = lms_value(-3.0, l, m, s)
        return -3.0 + (y - sd3) / (lms_value(-2.0, l, m, s) - sd3)
    return z


class AgeUnit(StrEnum):
    DAYS = "days"
    MONTHS = "months"


class LmsTableError(ValueError):
    """A clinic's LMS table cannot be used; `errors` lists every problem found, by CSV line."""

    def __init__(self, errors: Iterable[str]) -> None:
        self.errors = tuple(errors)
        listed = list(self.errors[:_MAX_LISTED_ERRORS])
        if len(self.errors) > _MAX_LISTED_ERRORS:
            listed.append(f"... and {len(self.errors) - _MAX_LISTED_ERRORS} more")
        super().__init__("invalid LMS table:\n" + "\n".join(listed))


@dataclass(frozen=True)
class LmsRow:
    index: float
    l: float  # noqa: E741
    m: float
    s: float

    def __post_init__(self) -> None:
        if not all(math.isfinite(v) for v in (self.index, self.l, self.m, self.s)):
            raise ValueError(f"LMS row values must be finite: {self}")
        if self.m <= 0 or self.s <= 0:
            raise ValueError(f"M and S must be positive: {self}")


@dataclass(frozen=True)
class LmsTable:
    """One sex's table for one indicator, rows in strictly increasing index."""

    sex: Sex
    indicator: Indicator
    rows: tuple[LmsRow, ...]

    def __post_init__(self) -> None:
        if len(self.rows) < 2:
            raise ValueError(f"{self.sex} {self.indicator}: an LMS table needs at least two rows")
        for before, after in pairwise(self.rows):
            if after.index <= before.index:
                raise ValueError(
                    f"{self.sex} {self.indicator}: index must increase ({before.index} then "
                    f"{after.index})"
                )

    @cached_property
    def _indexes(self) -> list[float]:
        return [row.index for row in self.rows]

    @property
    def index_range(self) -> tuple[float, float]:
        return self.rows[0].index, self.rows[-1].index

    def lms_at(self, index: float) -> tuple[float, float, float]:
        """(L, M, S) at `index`, interpolated linearly between the neighbouring rows."""
        low, high = self.index_range
        if not low <= index <= high:
            unit = "days" if self.indicator.indexed_by_age else "cm"
            raise ReferenceNotApplicable(
                f"{self.indicator.label} covers {low:g}-{high:g} {unit}; got {index:g}"
            )
        position = bisect.bisect_left(self._indexes, index)
        after = self.rows[position]
        if after.index == index:
            return after.l, after.m, after.s
        before = self.rows[position - 1]
        fraction = (index - before.index) / (after.index - before.index)
        return (
            before.l + fraction * (after.l - before.l),
            before.m + fraction * (after.m - before.m),
            before.s + fraction * (after.s - before.s),
        )


@dataclass(frozen=True)
class LmsReference:
    """A growth reference defined by LMS tables; implements GrowthReference.

    `restricted_indicators` opts indicators into WHO's restricted calculation beyond +/-3 SD (a
    WHO-specific rule: most national references use the plain LMS formula throughout).
    `limits` are the reference's biologically implausible z-score bounds per indicator, if it
    publishes any; without them results are not flagged.
    """

    name: str
    version: str
    tables: tuple[LmsTable, ...]
    restricted_indicators: frozenset[Indicator] = frozenset()
    limits: Mapping[Indicator, tuple[float, float]] = field(
        default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        if not self.name.strip() or not self.version.strip():
            raise ValueError("a growth reference needs a name and a version")
        seen: set[tuple[Sex, Indicator]] = set()
        for table in self.tables:
            key = (table.sex, table.indicator)
            if key in seen:
                raise ValueError(f"two tables for {table.sex} {table.indicator}")
            seen.add(key)
        object.__setattr__(self, "limits", MappingProxyType(dict(self.limits)))

    @cached_property
    def _by_key(self) -> dict[tuple[Sex, Indicator], LmsTable]:
        return {(table.sex, table.indicator): table for table in self.tables}

    def table(self, indicator: Indicator, sex: Sex) -> LmsTable:
        try:
            return self._by_key[(sex, indicator)]
        except KeyError:
            raise ReferenceNotApplicable(
                f"{self.name} has no {indicator.label} table for {sex}"
            ) from None

    def z_score(
        self,
        indicator: Indicator,
        sex: Sex,
        *,
        age_days: int,
        value: float,
        length_cm: float | None = None,
    ) -> float:
        if indicator.indexed_by_age:
            index = float(age_days)
        elif length_cm is None:
            raise ValueError(f"{indicator.label} needs length_cm")
        else:
            index = length_cm
        l, m, s = self.table(indicator, sex).lms_at(index)  # noqa: E741
        if indicator in self.restricted_indicators:
            return lms_z_restricted(value, l, m, s)
        return lms_z(value, l, m, s)

    def plausibility_limits(self, indicator: Indicator) -> tuple[float, float] | None:
        return self.limits.get(indicator)


_REQUIRED_COLUMNS = ("sex", "indicator", "index", "l", "m", "s")
_SEX_CODES = {
    "male": Sex.MALE,
    "m": Sex.MALE,
    "female": Sex.FEMALE,
    "f": Sex.FEMALE,
    # 1 = male, 2 = female: the coding of the WHO and CDC LMS files.
    "1": Sex.MALE,
    "2": Sex.FEMALE,
}


def parse_lms_csv(
    text: str,
    *,
    name: str,
    version: str,
    age_unit: AgeUnit = AgeUnit.DAYS,
    restricted_indicators: Iterable[Indicator] = (),
    limits: Mapping[Indicator, tuple[float, float]] | None = None,
) -> LmsReference:
    """Build an LmsReference from CSV text; LmsTableError lists every problem by line."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        raise LmsTableError(["the file is empty"])
    columns = {title.strip().lower(): position for position, title in enumerate(header)}
    missing = [column for column in _REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise LmsTableError(
            [f"line 1: missing column(s) {', '.join(missing)}; need {', '.join(_REQUIRED_COLUMNS)}"]
        )

    errors: list[str] = []
    rows: dict[tuple[Sex, Indicator], list[tuple[int, LmsRow]]] = {}
    for line_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        try:
            key, row = _parse_row(cells, columns, age_unit)
        except ValueError as exc:
            errors.append(f"line {line_number}: {exc}")
            continue
        rows.setdefault(key, []).append((line_number, row))

    tables: list[LmsTable] = []
    for (sex, indicator), numbered in rows.items():
        numbered.sort(key=lambda item: item[1].index)
        for (line_a, row_a), (line_b, row_b) in pairwise(numbered):
            if row_a.index == row_b.index:
                errors.append(
                    f"lines {line_a} and {line_b}: two {sex} {indicator} rows at index "
                    f"{row_a.index:g}"
                )
        if len(numbered) < 2:
            errors.append(f"{sex} {indicator}: at least two rows are needed to interpolate")
        if not errors:
            tables.append(LmsTable(sex, indicator, tuple(row for _, row in numbered)))
    if not rows and not errors:
        errors.append("no data rows")
    if errors:
        raise LmsTableError(errors)
    return LmsReference(
        name=name,
        version=version,
        tables=tuple(tables),
        restricted_indicators=frozenset(restricted_indicators),
        limits=limits or {},
    )


def _parse_row(
    cells: list[str], columns: Mapping[str, int], age_unit: AgeUnit
) -> tuple[tuple[Sex, Indicator], LmsRow]:
    def cell(column: str) -> str:
        position = columns[column]
        return cells[position].strip() if position < len(cells) else ""

    sex_text = cell("sex").lower()
    if sex_text not in _SEX_CODES:
        raise ValueError(f"sex must be male/female (or m/f, 1/2), got {cell('sex')!r}")
    try:
        indicator = Indicator(cell("indicator").lower())
    except ValueError:
        choices = "/".join(item.value for item in Indicator)
        raise ValueError(f"indicator must be one of {choices}, got {cell('indicator')!r}") from None

    numbers: dict[str, float] = {}
    for column in ("index", "l", "m", "s"):
        raw = cell(column)
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(f"{column} must be a number, got {raw!r}") from None
        if not math.isfinite(number):
            raise ValueError(f"{column} must be finite, got {raw!r}")
        numbers[column] = number
    if numbers["index"] < 0:
        raise ValueError(f"index must not be negative, got {numbers['index']:g}")
    if numbers["m"] <= 0 or numbers["s"] <= 0:
        raise ValueError(f"M and S must be positive, got M={numbers['m']:g} S={numbers['s']:g}")

    index = numbers["index"]
    if indicator.indexed_by_age and age_unit is AgeUnit.MONTHS:
        index *= DAYS_PER_MONTH
    row = LmsRow(index=index, l=numbers["l"], m=numbers["m"], s=numbers["s"])
    return (_SEX_CODES[sex_text], indicator), row
