"""Laboratory catalogue, unit conversion, reference-range flags and B12 status.

Sources (CLINICAL.md section 5 unless a comment says otherwise):

- analytes, LOINC codes, units and conversion factors: CLINICAL.md section 5 table;
- infant default reference ranges: CLINICAL.md section 5 ("Infant defaults found in public
  sources"); seed 000's printed B12 range (197-866 pg/mL) is kept as a *named laboratory* range;
- B12 status thresholds: NICE NG239 as summarised in seed 004, and the infant-trial thresholds
  quoted in CLINICAL.md section 5.

Design notes:

- Entered values are ``Decimal``. Every comparison happens in the analyte's canonical unit, reached
  by *multiplying* by an exact factor, so a value that sits exactly on a limit stays exactly on it
  whichever unit the lab used (pmol/L = pg/mL x 0.738 is a multiplication; the reverse would be a
  repeating decimal).
- A censored result (``<150``) is the set of values it may stand for; a flag or a status is given
  only when that whole set lies in one category. This one rule yields every comparator case that
  CLINICAL.md spells out ("<150 ... flagged low when 150 is at or below the lower limit").
- The catalogue is Python data rather than a JSON file: it is typed, reviewed like code, and ships
  with the package without package-data configuration. A clinic changes ranges through overrides
  (:func:`applicable_range`), not by editing this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Context, Decimal
from enum import StrEnum

__all__ = [
    "B12_THRESHOLD_SETS",
    "DEFAULT_CATALOGUE",
    "INFANT_TRIALS",
    "LAB_RULES_VERSION",
    "NICE_NG239",
    "SEED_000_LAB",
    "UNITS",
    "AcceptedUnit",
    "Analyte",
    "AnalyteThresholds",
    "B12Status",
    "B12StatusResult",
    "Comparator",
    "Flag",
    "LabCatalogue",
    "LabError",
    "LabInterpretation",
    "LabValue",
    "NoThresholdsForAnalyte",
    "Position",
    "ReferenceRange",
    "Sex",
    "StatusBand",
    "ThresholdSet",
    "UnitNotAccepted",
    "UnknownAnalyte",
    "applicable_range",
    "classify_b12_status",
    "classify_b12_status_all",
    "convert",
    "flag_value",
    "interpret",
    "months_to_days",
    "position_against",
]

#: Stored with every flag and status so a later change of rules never silently rewrites the past
#: (ARCHITECTURE.md, "Habits").
LAB_RULES_VERSION = "labs-1"

#: Unit strings shared with the database model.
UNITS: frozenset[str] = frozenset(
    {
        "pg/mL",
        "ng/L",
        "pmol/L",
        "ng/mL",
        "nmol/L",
        "umol/L",
        "nmol/mL",
        "ug/mg creatinine",
        "mmol/mol creatinine",
        "g/dL",
        "g/L",
        "%",
        "10^9/L",
        "10^3/uL",
        "fL",
        "ug/L",
        "mmol/L",
    }
)

# A private context so that a caller who lowers the thread's decimal precision cannot change a
# flag. 34 digits keeps every multiplication of realistic lab values by the factors below exact.
_DECIMAL = Context(prec=34)


class LabError(ValueError):
    """Base class for input the laboratory rules cannot accept."""


class UnknownAnalyte(LabError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Unknown analyte code {code!r}")
        self.code = code


class UnitNotAccepted(LabError):
    """A value was given in a unit the analyte's catalogue entry does not list."""

    def __init__(self, analyte: Analyte, unit: str) -> None:
        accepted = ", ".join(u.unit for u in analyte.units)
        super().__init__(f"{analyte.name} does not accept unit {unit!r}; accepted: {accepted}")
        self.analyte_code = analyte.code
        self.unit = unit
        self.accepted = tuple(u.unit for u in analyte.units)


class NoThresholdsForAnalyte(LabError):
    def __init__(self, threshold_set: ThresholdSet, analyte_code: str) -> None:
        super().__init__(f"{threshold_set.name} has no B12-status thresholds for {analyte_code!r}")


class Comparator(StrEnum):
    """How a reported number relates to the true value; "" is an exact result."""

    EXACT = ""
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class Flag(StrEnum):
    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"
    CRITICAL_LOW = "critical_low"
    CRITICAL_HIGH = "critical_high"
    #: No reference range applies, or a censored result spans more than one category.
    UNKNOWN = "unknown"


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"


def months_to_days(months: int) -> int:
    """Age-band edge in days for a whole number of months.

    Uses 30.4375 days per month (365.25 / 12), the convention of the WHO Child Growth Standards, so
    that band edges here match the age-in-days used for growth: 3 mo = 91 d, 6 mo = 183 d,
    7 mo = 213 d, 12 mo = 365 d, 60 mo = 1826 d.
    """
    return round(months * 365.25 / 12)


# --------------------------------------------------------------------------------------------
# Intervals: a result (exact or censored) and a category are both sets of real numbers.
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Interval:
    """A possibly unbounded interval; ``None`` bounds are infinite."""

    low: Decimal | None
    high: Decimal | None
    low_closed: bool = True
    high_closed: bool = True

    def within(self, other: _Interval) -> bool:
        return _lower_not_before(self, other) and _upper_not_after(self, other)

    def overlaps(self, other: _Interval) -> bool:
        return not (_entirely_below(self, other) or _entirely_below(other, self))


def _lower_not_before(inner: _Interval, outer: _Interval) -> bool:
    if outer.low is None:
        return True
    if inner.low is None or inner.low < outer.low:
        return False
    if inner.low > outer.low:
        return True
    return outer.low_closed or not inner.low_closed


def _upper_not_after(inner: _Interval, outer: _Interval) -> bool:
    if outer.high is None:
        return True
    if inner.high is None or inner.high > outer.high:
        return False
    if inner.high < outer.high:
        return True
    return outer.high_closed or not inner.high_closed


def _entirely_below(a: _Interval, b: _Interval) -> bool:
    if a.high is None or b.low is None:
        return False
    if a.high != b.low:
        return a.high < b.low
    return not (a.high_closed and b.low_closed)


def _below(limit: Decimal) -> _Interval:
    return _Interval(None, limit, high_closed=False)


def _above(limit: Decimal) -> _Interval:
    return _Interval(limit, None, low_closed=False)


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AcceptedUnit:
    """A unit an analyte may be reported in.

    ``to_canonical`` multiplies a value in this unit into the analyte's canonical unit.
    ``loinc`` differs by unit kind where LOINC has separate mass and molar codes.
    """

    unit: str
    to_canonical: Decimal
    loinc: str

    def __post_init__(self) -> None:
        if self.unit not in UNITS:
            raise LabError(f"Unit {self.unit!r} is not one of the tracker's unit strings")
        if not isinstance(self.to_canonical, Decimal) or self.to_canonical <= 0:
            raise LabError(f"Conversion factor for {self.unit!r} must be a positive Decimal")


@dataclass(frozen=True)
class Analyte:
    code: str
    name: str
    #: Ordered as they should be offered to the user; the canonical unit has factor 1.
    units: tuple[AcceptedUnit, ...]

    def __post_init__(self) -> None:
        if not any(u.to_canonical == 1 for u in self.units):
            raise LabError(f"{self.code}: one accepted unit must be canonical (factor 1)")

    @property
    def canonical_unit(self) -> str:
        return next(u.unit for u in self.units if u.to_canonical == 1)

    def accepted(self, unit: str) -> AcceptedUnit:
        for accepted in self.units:
            if accepted.unit == unit:
                return accepted
        raise UnitNotAccepted(self, unit)

    def loinc_for(self, unit: str) -> str:
        return self.accepted(unit).loinc

    def to_canonical(self, value: Decimal, unit: str) -> Decimal:
        return _DECIMAL.multiply(value, self.accepted(unit).to_canonical)

    def convert(self, value: Decimal, from_unit: str, to_unit: str) -> Decimal:
        """Exact where the result terminates; otherwise correct to 34 significant digits.

        Rounding for display is the caller's business, so that a stored value keeps its precision.
        """
        canonical = self.to_canonical(value, from_unit)
        return _DECIMAL.divide(canonical, self.accepted(to_unit).to_canonical)


@dataclass(frozen=True)
class ReferenceRange:
    """A normal range for one analyte, age band and (optionally) sex.

    ``low`` and ``high`` belong to the normal range (a value equal to a limit is normal).
    Critical limits are optional; a value strictly beyond one is critical. They need their own
    source because no source used here for the normal ranges defines critical values.
    ``lab`` names a laboratory whose printed range this is; ``None`` applies to any laboratory.
    Age bands are half-open: ``age_from_days <= age < age_until_days``.
    """

    analyte: str
    unit: str
    low: Decimal | None
    high: Decimal | None
    source: str
    age_from_days: int = 0
    age_until_days: int | None = None
    sex: Sex | None = None
    lab: str | None = None
    critical_low: Decimal | None = None
    critical_high: Decimal | None = None
    critical_source: str | None = None

    def __post_init__(self) -> None:
        limits = (self.low, self.high, self.critical_low, self.critical_high)
        if any(x is not None and not isinstance(x, Decimal) for x in limits):
            raise LabError(f"{self.analyte}: range limits must be Decimal, not float")
        if self.low is None and self.high is None:
            raise LabError(f"{self.analyte}: a reference range needs a lower or an upper limit")
        if self.low is not None and self.high is not None and self.low > self.high:
            raise LabError(f"{self.analyte}: lower limit {self.low} is above {self.high}")
        if (self.critical_low, self.critical_high) != (None, None) and not self.critical_source:
            raise LabError(f"{self.analyte}: critical limits need a critical_source")
        if self.critical_low is not None and self.low is not None and self.critical_low > self.low:
            raise LabError(f"{self.analyte}: critical low {self.critical_low} above {self.low}")
        if (
            self.critical_high is not None
            and self.high is not None
            and self.critical_high < self.high
        ):
            raise LabError(f"{self.analyte}: critical high {self.critical_high} below {self.high}")
        if self.age_from_days < 0 or (
            self.age_until_days is not None and self.age_until_days <= self.age_from_days
        ):
            raise LabError(f"{self.analyte}: empty age band")

    def applies_to(self, *, age_days: int, sex: Sex | None, lab: str | None) -> bool:
        return (
            self.age_from_days <= age_days
            and (self.age_until_days is None or age_days < self.age_until_days)
            and (self.sex is None or self.sex == sex)
            and (self.lab is None or self.lab == lab)
        )


@dataclass(frozen=True)
class LabCatalogue:
    analytes: tuple[Analyte, ...]
    ranges: tuple[ReferenceRange, ...]

    def __post_init__(self) -> None:
        codes = [a.code for a in self.analytes]
        if len(codes) != len(set(codes)):
            raise LabError("Duplicate analyte code in catalogue")
        for reference in self.ranges:
            _check_range_units(self, reference)

    def analyte(self, code: str) -> Analyte:
        for analyte in self.analytes:
            if analyte.code == code:
                return analyte
        raise UnknownAnalyte(code)


def _check_range_units(catalogue: LabCatalogue, reference: ReferenceRange) -> None:
    catalogue.analyte(reference.analyte).accepted(reference.unit)


def _units(*pairs: tuple[str, str, str]) -> tuple[AcceptedUnit, ...]:
    return tuple(AcceptedUnit(unit, Decimal(factor), loinc) for unit, factor, loinc in pairs)


_ANALYTES: tuple[Analyte, ...] = (
    # CLINICAL.md section 5: pmol/L = pg/mL x 0.738; pg/mL = ng/L. Mass LOINC 2132-9,
    # molar 14685-2. Canonical pmol/L because the infant reference interval is molar.
    Analyte(
        "b12",
        "Vitamin B12",
        _units(
            ("pg/mL", "0.738", "2132-9"),
            ("ng/L", "0.738", "2132-9"),
            ("pmol/L", "1", "14685-2"),
        ),
    ),
    Analyte("holotc", "Holotranscobalamin", _units(("pmol/L", "1", "72160-5"))),
    # nmol/L = ng/mL x 2.266; mass 2284-8, molar 14732-2.
    Analyte(
        "folate",
        "Folate",
        _units(("ng/mL", "2.266", "2284-8"), ("nmol/L", "1", "14732-2")),
    ),
    Analyte("homocysteine", "Total homocysteine", _units(("umol/L", "1", "13965-9"))),
    # umol/L = nmol/mL (same quantity, different prefixes).
    Analyte(
        "mma_serum",
        "Methylmalonic acid (serum)",
        _units(("umol/L", "1", "13964-2"), ("nmol/mL", "1", "13964-2")),
    ),
    # mmol/mol creatinine = ug/mg creatinine x 0.958 (molar masses of MMA and creatinine).
    Analyte(
        "mma_urine",
        "Methylmalonic acid (urine, per creatinine)",
        _units(("ug/mg creatinine", "0.958", "13776-0"), ("mmol/mol creatinine", "1", "13776-0")),
    ),
    # g/L = g/dL x 10, so g/dL = g/L x 0.1. Canonical g/dL: the infant range is in g/dL.
    Analyte(
        "haemoglobin",
        "Haemoglobin",
        _units(("g/dL", "1", "718-7"), ("g/L", "0.1", "718-7")),
    ),
    Analyte("haematocrit", "Haematocrit", _units(("%", "1", "4544-3"))),
    # 10^3/uL = 10^9/L for all cell counts.
    Analyte(
        "wbc",
        "White blood cells",
        _units(("10^9/L", "1", "6690-2"), ("10^3/uL", "1", "6690-2")),
    ),
    Analyte(
        "platelets",
        "Platelets",
        _units(("10^9/L", "1", "777-3"), ("10^3/uL", "1", "777-3")),
    ),
    Analyte("mcv", "Mean corpuscular volume", _units(("fL", "1", "787-2"))),
    Analyte(
        "anc",
        "Absolute neutrophil count",
        _units(("10^9/L", "1", "751-8"), ("10^3/uL", "1", "751-8")),
    ),
    # ng/mL = ug/L.
    Analyte("ferritin", "Ferritin", _units(("ng/mL", "1", "2276-4"), ("ug/L", "1", "2276-4"))),
    Analyte("potassium", "Potassium", _units(("mmol/L", "1", "2823-3"))),
    Analyte("reticulocytes_pct", "Reticulocytes (%)", _units(("%", "1", "17849-1"))),
    Analyte(
        "reticulocytes_abs",
        "Reticulocytes (absolute)",
        _units(("10^9/L", "1", "60474-4"), ("10^3/uL", "1", "60474-4")),
    ),
)

#: Laboratory name of seed 000's hospital, for its printed B12 range.
SEED_000_LAB = "seed 000 hospital laboratory"

_INFANT_DEFAULTS = "CLINICAL.md section 5, infant defaults found in public sources"

# Infant defaults exactly as CLINICAL.md section 5 words them. Bands are [from, until) in months,
# turned into days by months_to_days. "Up to" ranges have no lower limit, so any lower value is
# normal. The WHO anaemia cut-off (Hb < 10.5 g/dL at 6-23 mo) is a population definition of
# anaemia, not a critical value, so it is deliberately not a critical limit.
# Reticulocytes: the source gives no age band; the range is limited to the first year, the
# population the defaults were collected for (newborns in their first days run higher).
# fmt: off
_INFANT_TABLE: tuple[tuple[str, str, str | None, str | None, int, int, str], ...] = (
    # analyte            unit      low     high    from until  source wording
    ("b12",              "pmol/L", "180",  "1400", 0,   12,    "B12 0-1 y, Danish age-adjusted reference intervals"),
    ("mma_serum",        "umol/L", "0.10", "1.25", 0,   12,    "serum MMA 0-1 y"),
    ("homocysteine",     "umol/L", None,   "11.5", 0,   7,     "homocysteine 0-6 mo, up to 11.5"),
    ("homocysteine",     "umol/L", None,   "10.0", 7,   12,    "homocysteine 7-12 mo, up to 10.0"),
    ("haemoglobin",      "g/dL",   "11.3", "14.1", 6,   12,    "haemoglobin 6-12 mo"),
    ("mcv",              "fL",     "70",   "85",   6,   12,    "MCV 6-12 mo"),
    ("wbc",              "10^9/L", "6.0",  "17.5", 3,   12,    "WBC 3-12 mo"),
    ("anc",              "10^9/L", "1.5",  "8.5",  6,   60,    "ANC 6 mo-5 y"),
    ("reticulocytes_pct", "%",     "1.0",  "2.6",  0,   12,    "reticulocytes (no age band given; applied to the first year)"),
)
# fmt: on


def _optional_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


_RANGES: tuple[ReferenceRange, ...] = (
    *(
        ReferenceRange(
            analyte,
            unit,
            _optional_decimal(low),
            _optional_decimal(high),
            f"{_INFANT_DEFAULTS}: {wording}",
            age_from_days=months_to_days(from_months),
            age_until_days=months_to_days(until_months),
        )
        for analyte, unit, low, high, from_months, until_months, wording in _INFANT_TABLE
    ),
    # Seed 000 printed "N:197-866" beside "<150 pg/mL" with no age band, so it applies at any
    # age, but only to results from that laboratory.
    ReferenceRange(
        "b12",
        "pg/mL",
        Decimal("197"),
        Decimal("866"),
        "Seed 000 (Neurology Asia 2021): range printed by the reporting laboratory",
        lab=SEED_000_LAB,
    ),
)

#: Default catalogue. No critical limits: none of the sources above defines any.
DEFAULT_CATALOGUE = LabCatalogue(analytes=_ANALYTES, ranges=_RANGES)


# --------------------------------------------------------------------------------------------
# Results and flags
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LabValue:
    """One reported result: ``LabValue("b12", Decimal("150"), "pg/mL", Comparator.LT)``."""

    analyte: str
    value: Decimal
    unit: str
    comparator: Comparator = Comparator.EXACT

    def __post_init__(self) -> None:
        if not isinstance(self.value, Decimal):
            raise LabError(
                f"{self.analyte}: entered lab values must be Decimal, not {type(self.value).__name__}"
            )
        if not self.value.is_finite() or self.value < 0:
            raise LabError(f"{self.analyte}: {self.value} is not a measurable value")
        try:
            object.__setattr__(self, "comparator", Comparator(self.comparator))
        except ValueError:
            allowed = ", ".join(repr(c.value) for c in Comparator)
            raise LabError(f"Unknown comparator {self.comparator!r}; allowed: {allowed}") from None


def _true_values(lab: LabValue, catalogue: LabCatalogue) -> _Interval:
    """The true values a result may stand for, in the analyte's canonical unit."""
    x = catalogue.analyte(lab.analyte).to_canonical(lab.value, lab.unit)
    match lab.comparator:
        case Comparator.EXACT:
            return _Interval(x, x)
        case Comparator.LT:
            return _Interval(None, x, high_closed=False)
        case Comparator.LE:
            return _Interval(None, x)
        case Comparator.GT:
            return _Interval(x, None, low_closed=False)
        case Comparator.GE:
            return _Interval(x, None)
    raise AssertionError(lab.comparator)  # pragma: no cover - the match is exhaustive


def _canonical(
    catalogue: LabCatalogue, analyte: str, value: Decimal | None, unit: str
) -> Decimal | None:
    return None if value is None else catalogue.analyte(analyte).to_canonical(value, unit)


def flag_value(
    lab: LabValue,
    reference: ReferenceRange | None,
    *,
    catalogue: LabCatalogue = DEFAULT_CATALOGUE,
) -> Flag:
    """Flag a result against a range, honouring comparators.

    The flag is the most severe category that contains *every* value the result may stand for;
    when a censored result spans categories the flag is ``unknown`` rather than a guess. So with a
    lower limit of 197: ``<150`` and ``<197`` are low, ``<=197`` and ``<300`` are unknown. With an
    upper limit only (homocysteine "up to 11.5"), ``<5`` is normal. A censored value that is
    certainly low but only possibly critical is flagged ``low``: it says what is known.
    """
    if reference is None:
        return Flag.UNKNOWN
    if reference.analyte != lab.analyte:
        raise LabError(f"Range for {reference.analyte!r} used to flag {lab.analyte!r}")
    result = _true_values(lab, catalogue)

    def limit(value: Decimal | None) -> Decimal | None:
        return _canonical(catalogue, reference.analyte, value, reference.unit)

    low, high = limit(reference.low), limit(reference.high)
    critical_low, critical_high = limit(reference.critical_low), limit(reference.critical_high)
    # Most severe first, so that a value beyond a critical limit is not reported as merely low.
    categories: list[tuple[Flag, _Interval]] = []
    if critical_low is not None:
        categories.append((Flag.CRITICAL_LOW, _below(critical_low)))
    if critical_high is not None:
        categories.append((Flag.CRITICAL_HIGH, _above(critical_high)))
    if low is not None:
        categories.append((Flag.LOW, _below(low)))
    if high is not None:
        categories.append((Flag.HIGH, _above(high)))
    for flag, category in categories:
        if result.within(category):
            return flag
    if result.within(_Interval(low, high)):
        return Flag.NORMAL
    return Flag.UNKNOWN


def applicable_range(
    catalogue: LabCatalogue,
    analyte: str,
    *,
    age_days: int,
    sex: Sex | None = None,
    lab: str | None = None,
    overrides: Iterable[ReferenceRange] = (),
) -> ReferenceRange | None:
    """The reference range to flag against: a clinic override first, then the catalogue.

    Within each of the two tiers the most specific match wins: a range printed by the named
    laboratory over a generic one, a sex-specific range over one for both sexes, then the
    narrowest age band; remaining ties keep the order given. ``age_days`` is chronological age
    at collection. Returns ``None`` when nothing applies, which flags as ``unknown``: a range is
    never stretched beyond its age band.
    """
    catalogue.analyte(analyte)  # fail loudly on an unknown code
    overrides = tuple(overrides)
    for override in overrides:
        _check_range_units(catalogue, override)
    for tier in (overrides, catalogue.ranges):
        matches = [
            r
            for r in tier
            if r.analyte == analyte and r.applies_to(age_days=age_days, sex=sex, lab=lab)
        ]
        if matches:
            return min(matches, key=_specificity)
    return None


def _specificity(reference: ReferenceRange) -> tuple[bool, bool, float]:
    width = (
        float("inf")
        if reference.age_until_days is None
        else reference.age_until_days - reference.age_from_days
    )
    return (reference.lab is None, reference.sex is None, width)


@dataclass(frozen=True)
class LabInterpretation:
    lab: LabValue
    flag: Flag
    reference: ReferenceRange | None
    canonical_unit: str
    rules_version: str = LAB_RULES_VERSION


def interpret(
    lab: LabValue,
    *,
    age_days: int,
    sex: Sex | None = None,
    lab_name: str | None = None,
    overrides: Iterable[ReferenceRange] = (),
    catalogue: LabCatalogue = DEFAULT_CATALOGUE,
) -> LabInterpretation:
    """Pick the applicable range and flag the result; the range (with its source) is returned so
    that it can be stored beside the flag."""
    analyte = catalogue.analyte(lab.analyte)
    analyte.accepted(lab.unit)
    reference = applicable_range(
        catalogue, lab.analyte, age_days=age_days, sex=sex, lab=lab_name, overrides=overrides
    )
    return LabInterpretation(
        lab=lab,
        flag=flag_value(lab, reference, catalogue=catalogue),
        reference=reference,
        canonical_unit=analyte.canonical_unit,
    )


def convert(
    analyte: str,
    value: Decimal,
    from_unit: str,
    to_unit: str,
    *,
    catalogue: LabCatalogue = DEFAULT_CATALOGUE,
) -> Decimal:
    """Convert a value between two units the analyte accepts (see :meth:`Analyte.convert`)."""
    return catalogue.analyte(analyte).convert(value, from_unit, to_unit)


class Position(StrEnum):
    """Where a (possibly censored) result lies relative to a single threshold."""

    BELOW = "below"
    NOT_BELOW = "not_below"
    #: A censored result that may lie on either side, e.g. "<8" against 7.
    EITHER = "either"


def position_against(
    lab: LabValue,
    threshold: Decimal,
    unit: str,
    *,
    catalogue: LabCatalogue = DEFAULT_CATALOGUE,
) -> Position:
    """Is the result below ``threshold`` (strictly)? Used by safety rules with one cut-off."""
    limit = catalogue.analyte(lab.analyte).to_canonical(threshold, unit)
    result = _true_values(lab, catalogue)
    if result.within(_below(limit)):
        return Position.BELOW
    if not result.overlaps(_below(limit)):
        return Position.NOT_BELOW
    return Position.EITHER


# --------------------------------------------------------------------------------------------
# B12 status
# --------------------------------------------------------------------------------------------


class B12Status(StrEnum):
    DEFICIENT = "deficient"
    #: Infant-trial wording for a raised functional marker (homocysteine).
    IMPAIRED = "impaired"
    INDETERMINATE = "indeterminate"
    UNLIKELY = "unlikely"
    #: The value lies outside every band of the set, or a censored value spans bands.
    UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class StatusBand:
    """``lower``/``upper`` in the owning :class:`AnalyteThresholds` unit; ``None`` is unbounded."""

    status: B12Status
    label: str
    lower: Decimal | None = None
    upper: Decimal | None = None
    lower_closed: bool = True
    upper_closed: bool = True


@dataclass(frozen=True)
class AnalyteThresholds:
    analyte: str
    unit: str
    bands: tuple[StatusBand, ...]


@dataclass(frozen=True)
class ThresholdSet:
    code: str
    name: str
    source: str
    rules: tuple[AnalyteThresholds, ...]

    def for_analyte(self, analyte: str) -> AnalyteThresholds | None:
        return next((r for r in self.rules if r.analyte == analyte), None)


#: NICE NG239 (adults), as summarised in seed 004 and CLINICAL.md section 5. "180-350" and
#: "25-70" include both ends: "< 180" is deficient and "> 350" is unlikely, so 180 and 350 are
#: both indeterminate.
NICE_NG239 = ThresholdSet(
    code="nice_ng239_adults",
    name="NICE NG239 (adults)",
    source="NICE NG239 (vitamin B12 deficiency in over 16s), as quoted in seed 004",
    rules=(
        AnalyteThresholds(
            "b12",
            "ng/L",
            (
                StatusBand(
                    B12Status.DEFICIENT,
                    "total B12 < 180 ng/L: deficiency confirmed",
                    upper=Decimal("180"),
                    upper_closed=False,
                ),
                StatusBand(
                    B12Status.INDETERMINATE,
                    "total B12 180-350 ng/L: indeterminate, measure MMA",
                    lower=Decimal("180"),
                    upper=Decimal("350"),
                ),
                StatusBand(
                    B12Status.UNLIKELY,
                    "total B12 > 350 ng/L: deficiency unlikely",
                    lower=Decimal("350"),
                    lower_closed=False,
                ),
            ),
        ),
        AnalyteThresholds(
            "holotc",
            "pmol/L",
            (
                StatusBand(
                    B12Status.DEFICIENT,
                    "active B12 < 25 pmol/L: deficiency confirmed",
                    upper=Decimal("25"),
                    upper_closed=False,
                ),
                StatusBand(
                    B12Status.INDETERMINATE,
                    "active B12 25-70 pmol/L: indeterminate",
                    lower=Decimal("25"),
                    upper=Decimal("70"),
                ),
                StatusBand(
                    B12Status.UNLIKELY,
                    "active B12 > 70 pmol/L: deficiency unlikely",
                    lower=Decimal("70"),
                    lower_closed=False,
                ),
            ),
        ),
    ),
)

#: Infant trials quoted in CLINICAL.md section 5. They define only the abnormal side, so a value
#: above the cut-off is ``unclassified`` by this set, not "unlikely".
INFANT_TRIALS = ThresholdSet(
    code="infant_trials",
    name="Infant trials",
    source=(
        "CLINICAL.md section 5: infant trials treat plasma cobalamin < 148 pmol/L; "
        "homocysteine > 6.5 umol/L marks impaired status"
    ),
    rules=(
        AnalyteThresholds(
            "b12",
            "pmol/L",
            (
                StatusBand(
                    B12Status.DEFICIENT,
                    "plasma cobalamin < 148 pmol/L: treated as deficient in infant trials",
                    upper=Decimal("148"),
                    upper_closed=False,
                ),
            ),
        ),
        AnalyteThresholds(
            "homocysteine",
            "umol/L",
            (
                StatusBand(
                    B12Status.IMPAIRED,
                    "homocysteine > 6.5 umol/L: impaired cobalamin status",
                    lower=Decimal("6.5"),
                    lower_closed=False,
                ),
            ),
        ),
    ),
)

B12_THRESHOLD_SETS: tuple[ThresholdSet, ...] = (NICE_NG239, INFANT_TRIALS)


@dataclass(frozen=True)
class B12StatusResult:
    """A status and the threshold set (and band) that decided it.

    ``possible`` lists every band status the result is compatible with; it has one member when the
    status is decided, and explains an ``unclassified`` censored result (``>300 pg/mL`` under NICE
    is ``unclassified`` with ``possible == (indeterminate, unlikely)``).
    """

    status: B12Status
    possible: tuple[B12Status, ...]
    threshold_set: str
    threshold_set_name: str
    source: str
    rule: str
    lab: LabValue
    value_in_set_unit: Decimal
    set_unit: str
    rules_version: str = LAB_RULES_VERSION


def classify_b12_status(
    lab: LabValue,
    threshold_set: ThresholdSet = NICE_NG239,
    *,
    catalogue: LabCatalogue = DEFAULT_CATALOGUE,
) -> B12StatusResult:
    """Classify one result under one named threshold set.

    The result is converted before it is compared (pg/mL and ng/L against NICE's ng/L, pmol/L
    against the infant trials' pmol/L), and comparators are honoured the same way as for flags:
    ``<150 pg/mL`` is deficient under NICE because every value below 150 is below 180.
    """
    rules = threshold_set.for_analyte(lab.analyte)
    if rules is None:
        raise NoThresholdsForAnalyte(threshold_set, lab.analyte)
    analyte = catalogue.analyte(lab.analyte)
    result = _true_values(lab, catalogue)

    def band_interval(band: StatusBand) -> _Interval:
        return _Interval(
            _canonical(catalogue, lab.analyte, band.lower, rules.unit),
            _canonical(catalogue, lab.analyte, band.upper, rules.unit),
            band.lower_closed,
            band.upper_closed,
        )

    containing = [b for b in rules.bands if result.within(band_interval(b))]
    overlapping = tuple(b for b in rules.bands if result.overlaps(band_interval(b)))
    if containing:
        band = containing[0]
        status, rule = band.status, band.label
    else:
        status = B12Status.UNCLASSIFIED
        if overlapping:
            rule = "censored result spans: " + "; ".join(b.label for b in overlapping)
        else:
            rule = f"outside the bands of {threshold_set.name}"
    return B12StatusResult(
        status=status,
        possible=tuple(dict.fromkeys(b.status for b in overlapping)),
        threshold_set=threshold_set.code,
        threshold_set_name=threshold_set.name,
        source=threshold_set.source,
        rule=rule,
        lab=lab,
        value_in_set_unit=analyte.convert(lab.value, lab.unit, rules.unit),
        set_unit=rules.unit,
    )


def classify_b12_status_all(
    lab: LabValue,
    threshold_sets: Iterable[ThresholdSet] = B12_THRESHOLD_SETS,
    *,
    catalogue: LabCatalogue = DEFAULT_CATALOGUE,
) -> tuple[B12StatusResult, ...]:
    """One result per set that has thresholds for the analyte, so the chart can show them side
    by side (CLINICAL.md: "The product shows which threshold set classified a result")."""
    return tuple(
        classify_b12_status(lab, s, catalogue=catalogue)
        for s in threshold_sets
        if s.for_analyte(lab.analyte) is not None
    )
