"""Laboratory catalogue, conversions, flags and B12 status, as tables from CLINICAL.md section 5."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest

from patients.clinical.labs import (
    B12_THRESHOLD_SETS,
    DEFAULT_CATALOGUE,
    INFANT_TRIALS,
    LAB_RULES_VERSION,
    NICE_NG239,
    SEED_000_LAB,
    UNITS,
    B12Status,
    Comparator,
    Flag,
    LabError,
    LabValue,
    NoThresholdsForAnalyte,
    Position,
    ReferenceRange,
    Sex,
    UnitNotAccepted,
    UnknownAnalyte,
    applicable_range,
    classify_b12_status,
    classify_b12_status_all,
    convert,
    flag_value,
    interpret,
    months_to_days,
    position_against,
)

D = Decimal
ANALYTE_CODES = {
    "b12",
    "holotc",
    "folate",
    "homocysteine",
    "mma_serum",
    "mma_urine",
    "haemoglobin",
    "haematocrit",
    "wbc",
    "platelets",
    "mcv",
    "anc",
    "ferritin",
    "potassium",
    "reticulocytes_pct",
    "reticulocytes_abs",
}


def lab(analyte: str, value: str, unit: str, comparator: str = "") -> LabValue:
    return LabValue(analyte, D(value), unit, Comparator(comparator))


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


def test_catalogue_holds_exactly_the_model_analyte_codes() -> None:
    assert {a.code for a in DEFAULT_CATALOGUE.analytes} == ANALYTE_CODES


def test_every_catalogue_unit_is_a_model_unit_string() -> None:
    used = {u.unit for a in DEFAULT_CATALOGUE.analytes for u in a.units}
    assert used <= UNITS


@pytest.mark.parametrize(
    ("analyte", "unit", "loinc"),
    [
        ("b12", "pg/mL", "2132-9"),
        ("b12", "ng/L", "2132-9"),
        ("b12", "pmol/L", "14685-2"),
        ("holotc", "pmol/L", "72160-5"),
        ("folate", "ng/mL", "2284-8"),
        ("folate", "nmol/L", "14732-2"),
        ("homocysteine", "umol/L", "13965-9"),
        ("mma_serum", "umol/L", "13964-2"),
        ("mma_serum", "nmol/mL", "13964-2"),
        ("mma_urine", "ug/mg creatinine", "13776-0"),
        ("mma_urine", "mmol/mol creatinine", "13776-0"),
        ("haemoglobin", "g/dL", "718-7"),
        ("haemoglobin", "g/L", "718-7"),
        ("haematocrit", "%", "4544-3"),
        ("wbc", "10^9/L", "6690-2"),
        ("platelets", "10^9/L", "777-3"),
        ("mcv", "fL", "787-2"),
        ("anc", "10^9/L", "751-8"),
        ("ferritin", "ng/mL", "2276-4"),
        ("ferritin", "ug/L", "2276-4"),
        ("potassium", "mmol/L", "2823-3"),
        ("reticulocytes_pct", "%", "17849-1"),
        ("reticulocytes_abs", "10^9/L", "60474-4"),
    ],
)
def test_loinc_per_unit_kind(analyte: str, unit: str, loinc: str) -> None:
    assert DEFAULT_CATALOGUE.analyte(analyte).loinc_for(unit) == loinc


@pytest.mark.parametrize(
    ("analyte", "canonical"),
    [
        ("b12", "pmol/L"),
        ("folate", "nmol/L"),
        ("haemoglobin", "g/dL"),
        ("mma_urine", "mmol/mol creatinine"),
    ],
)
def test_canonical_units(analyte: str, canonical: str) -> None:
    assert DEFAULT_CATALOGUE.analyte(analyte).canonical_unit == canonical


def test_unknown_analyte_is_named() -> None:
    with pytest.raises(UnknownAnalyte, match="'vitamin_d'"):
        DEFAULT_CATALOGUE.analyte("vitamin_d")


# --------------------------------------------------------------------------------------------
# Unit conversion (CLINICAL.md section 5 "conversions")
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("analyte", "value", "from_unit", "to_unit", "expected"),
    [
        # pmol/L = pg/mL x 0.738; pg/mL = ng/L
        ("b12", "150", "pg/mL", "pmol/L", "110.7"),
        ("b12", "150", "ng/L", "pmol/L", "110.7"),
        ("b12", "1068", "pg/mL", "ng/L", "1068"),
        ("b12", "132.84", "pmol/L", "ng/L", "180"),
        ("b12", "258.3", "pmol/L", "pg/mL", "350"),
        # nmol/L = ng/mL x 2.266
        ("folate", "9", "ng/mL", "nmol/L", "20.394"),
        ("folate", "22.66", "nmol/L", "ng/mL", "10"),
        # mmol/mol creatinine = ug/mg creatinine x 0.958
        ("mma_urine", "10", "ug/mg creatinine", "mmol/mol creatinine", "9.58"),
        ("mma_urine", "4.79", "mmol/mol creatinine", "ug/mg creatinine", "5"),
        # umol/L = nmol/mL
        ("mma_serum", "0.42", "umol/L", "nmol/mL", "0.42"),
        # g/L = g/dL x 10
        ("haemoglobin", "9.6", "g/dL", "g/L", "96"),
        ("haemoglobin", "67", "g/L", "g/dL", "6.7"),
        # 10^3/uL = 10^9/L
        ("wbc", "7.9", "10^3/uL", "10^9/L", "7.9"),
        ("platelets", "41", "10^9/L", "10^3/uL", "41"),
        ("anc", "1.2", "10^3/uL", "10^9/L", "1.2"),
        ("reticulocytes_abs", "85", "10^9/L", "10^3/uL", "85"),
        # ng/mL = ug/L
        ("ferritin", "35", "ng/mL", "ug/L", "35"),
        # same unit is the identity
        ("potassium", "3.4", "mmol/L", "mmol/L", "3.4"),
    ],
)
def test_conversion_is_exact(
    analyte: str, value: str, from_unit: str, to_unit: str, expected: str
) -> None:
    assert convert(analyte, D(value), from_unit, to_unit) == D(expected)


def test_non_terminating_conversion_keeps_34_digits_whatever_the_callers_context() -> None:
    with localcontext() as ctx:
        ctx.prec = 3
        result = convert("b12", D("100"), "pmol/L", "pg/mL")
    assert str(result).startswith("135.50135501355")
    assert len(result.as_tuple().digits) == 34


@pytest.mark.parametrize(
    ("analyte", "unit", "message"),
    [
        ("b12", "mg/dL", "Vitamin B12 does not accept unit 'mg/dL'; accepted: pg/mL, ng/L, pmol/L"),
        ("b12", "pg/dl", "Vitamin B12 does not accept unit 'pg/dl'; accepted: pg/mL, ng/L, pmol/L"),
        ("haemoglobin", "mmol/L", "Haemoglobin does not accept unit 'mmol/L'; accepted: g/dL, g/L"),
        ("folate", "ng/dL", "Folate does not accept unit 'ng/dL'; accepted: ng/mL, nmol/L"),
    ],
)
def test_unaccepted_unit_raises_a_clear_error(analyte: str, unit: str, message: str) -> None:
    with pytest.raises(UnitNotAccepted) as caught:
        convert(analyte, D("1"), unit, DEFAULT_CATALOGUE.analyte(analyte).canonical_unit)
    assert str(caught.value) == message
    assert caught.value.unit == unit


def test_unaccepted_unit_is_refused_when_interpreting_even_without_a_range() -> None:
    with pytest.raises(UnitNotAccepted):
        interpret(lab("platelets", "41", "%"), age_days=270)


# --------------------------------------------------------------------------------------------
# Entered values
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "comparator", "error"),
    [
        (150.0, "", "must be Decimal"),
        (D("NaN"), "", "not a measurable value"),
        (D("-1"), "", "not a measurable value"),
        (D("150"), "=<", "Unknown comparator '=<'"),
    ],
)
def test_lab_value_refuses_bad_input(value: object, comparator: str, error: str) -> None:
    with pytest.raises(LabError, match=error):
        LabValue("b12", value, "pg/mL", comparator)  # type: ignore[arg-type]


def test_comparator_strings_are_the_model_strings() -> None:
    assert [c.value for c in Comparator] == ["", "<", "<=", ">", ">="]
    assert LabValue("b12", D("150"), "pg/mL", "<").comparator is Comparator.LT  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Default reference ranges by age band
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("months", "days"), [(3, 91), (6, 183), (7, 213), (12, 365), (60, 1826)])
def test_months_to_days(months: int, days: int) -> None:
    assert months_to_days(months) == days


@pytest.mark.parametrize(
    ("analyte", "age_days", "low", "high", "unit"),
    [
        ("b12", 0, "180", "1400", "pmol/L"),
        ("b12", 364, "180", "1400", "pmol/L"),
        ("b12", 365, None, None, None),
        ("mma_serum", 100, "0.10", "1.25", "umol/L"),
        ("homocysteine", 212, None, "11.5", "umol/L"),
        ("homocysteine", 213, None, "10.0", "umol/L"),
        ("homocysteine", 365, None, None, None),
        ("haemoglobin", 182, None, None, None),
        ("haemoglobin", 183, "11.3", "14.1", "g/dL"),
        ("haemoglobin", 364, "11.3", "14.1", "g/dL"),
        ("mcv", 270, "70", "85", "fL"),
        ("wbc", 90, None, None, None),
        ("wbc", 91, "6.0", "17.5", "10^9/L"),
        ("anc", 183, "1.5", "8.5", "10^9/L"),
        ("anc", 1825, "1.5", "8.5", "10^9/L"),
        ("anc", 1826, None, None, None),
        ("reticulocytes_pct", 30, "1.0", "2.6", "%"),
        ("platelets", 270, None, None, None),
        ("potassium", 270, None, None, None),
    ],
)
def test_default_ranges_by_age_band(
    analyte: str, age_days: int, low: str | None, high: str | None, unit: str | None
) -> None:
    reference = applicable_range(DEFAULT_CATALOGUE, analyte, age_days=age_days)
    if unit is None:
        assert reference is None
        return
    assert reference is not None
    assert (reference.low, reference.high, reference.unit) == (
        None if low is None else D(low),
        None if high is None else D(high),
        unit,
    )


def test_every_range_names_its_source_and_none_invents_critical_limits() -> None:
    for reference in DEFAULT_CATALOGUE.ranges:
        assert "CLINICAL.md" in reference.source or "Seed 000" in reference.source
        assert reference.critical_low is None and reference.critical_high is None


def test_seed_000_lab_range_applies_only_to_that_lab_at_any_age() -> None:
    generic = applicable_range(DEFAULT_CATALOGUE, "b12", age_days=370)
    seed = applicable_range(DEFAULT_CATALOGUE, "b12", age_days=370, lab=SEED_000_LAB)
    assert generic is None
    assert seed is not None and (seed.low, seed.high, seed.unit) == (D("197"), D("866"), "pg/mL")
    # At 9 months the laboratory's own range is preferred to the generic default.
    assert applicable_range(DEFAULT_CATALOGUE, "b12", age_days=270, lab=SEED_000_LAB) == seed


# --------------------------------------------------------------------------------------------
# Clinic overrides
# --------------------------------------------------------------------------------------------


CLINIC_HB = ReferenceRange(
    "haemoglobin", "g/L", D("105"), D("135"), "Clinic A haematology, 2025", age_from_days=183,
    age_until_days=365,
)  # fmt: skip
CLINIC_HB_GIRLS = ReferenceRange(
    "haemoglobin", "g/L", D("107"), D("133"), "Clinic A haematology, 2025", age_from_days=183,
    age_until_days=365, sex=Sex.FEMALE,
)  # fmt: skip
CLINIC_HB_9_TO_12 = ReferenceRange(
    "haemoglobin", "g/L", D("108"), D("134"), "Clinic A haematology, 2025", age_from_days=274,
    age_until_days=365,
)  # fmt: skip
OTHER_LAB_B12 = ReferenceRange(
    "b12", "pg/mL", D("211"), D("911"), "Other laboratory", lab="other lab"
)


@pytest.mark.parametrize(
    ("overrides", "age_days", "sex", "lab_name", "expected"),
    [
        ((), 270, None, None, "catalogue"),
        ((CLINIC_HB,), 270, None, None, CLINIC_HB),
        ((CLINIC_HB,), 100, None, None, None),  # outside the override band and every default band
        ((CLINIC_HB, CLINIC_HB_GIRLS), 270, Sex.FEMALE, None, CLINIC_HB_GIRLS),
        ((CLINIC_HB, CLINIC_HB_GIRLS), 270, Sex.MALE, None, CLINIC_HB),
        ((CLINIC_HB, CLINIC_HB_9_TO_12), 300, None, None, CLINIC_HB_9_TO_12),
        ((CLINIC_HB, CLINIC_HB_9_TO_12), 200, None, None, CLINIC_HB),
    ],
)
def test_override_first_then_most_specific(
    overrides: tuple[ReferenceRange, ...],
    age_days: int,
    sex: Sex | None,
    lab_name: str | None,
    expected: ReferenceRange | str | None,
) -> None:
    found = applicable_range(
        DEFAULT_CATALOGUE,
        "haemoglobin",
        age_days=age_days,
        sex=sex,
        lab=lab_name,
        overrides=overrides,
    )
    if expected == "catalogue":
        assert found is not None and found in DEFAULT_CATALOGUE.ranges
    else:
        assert found == expected


def test_lab_specific_override_applies_only_to_its_lab() -> None:
    assert applicable_range(DEFAULT_CATALOGUE, "b12", age_days=270, overrides=[OTHER_LAB_B12]) in (
        DEFAULT_CATALOGUE.ranges
    )
    assert (
        applicable_range(
            DEFAULT_CATALOGUE, "b12", age_days=270, lab="other lab", overrides=[OTHER_LAB_B12]
        )
        == OTHER_LAB_B12
    )


def test_override_in_an_unaccepted_unit_is_refused() -> None:
    bad = ReferenceRange("b12", "mmol/L", D("1"), D("2"), "typo")
    with pytest.raises(UnitNotAccepted):
        applicable_range(DEFAULT_CATALOGUE, "b12", age_days=10, overrides=[bad])


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"low": None, "high": None}, "needs a lower or an upper limit"),
        ({"low": D("5"), "high": D("4")}, "above"),
        ({"low": 3.5}, "must be Decimal"),
        ({"critical_low": D("2.5")}, "critical_source"),
        ({"critical_low": D("3.6"), "critical_source": "x"}, "critical low"),
        ({"critical_high": D("4.9"), "critical_source": "x"}, "critical high"),
        ({"age_from_days": 10, "age_until_days": 10}, "empty age band"),
    ],
)
def test_reference_range_validation(kwargs: dict[str, object], error: str) -> None:
    fields: dict[str, object] = {
        "analyte": "potassium",
        "unit": "mmol/L",
        "low": D("3.5"),
        "high": D("5.0"),
        "source": "test",
    }
    with pytest.raises(LabError, match=error):
        ReferenceRange(**(fields | kwargs))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Flags, comparators and boundaries
# --------------------------------------------------------------------------------------------

SEED_B12 = applicable_range(DEFAULT_CATALOGUE, "b12", age_days=370, lab=SEED_000_LAB)  # 197-866
INFANT_HB = applicable_range(DEFAULT_CATALOGUE, "haemoglobin", age_days=270)  # 11.3-14.1 g/dL
HCY_UPPER_ONLY = applicable_range(DEFAULT_CATALOGUE, "homocysteine", age_days=100)  # up to 11.5
# Critical limits are clinic data with their own source; these numbers only exercise the rule.
K_WITH_CRITICAL = ReferenceRange(
    "potassium", "mmol/L", D("3.5"), D("5.0"), "test range", critical_low=D("2.5"),
    critical_high=D("6.5"), critical_source="test critical limits",
)  # fmt: skip
FERRITIN_LOWER_ONLY = ReferenceRange("ferritin", "ug/L", D("12"), None, "test lower-only range")


@pytest.mark.parametrize(
    ("result", "reference", "flag"),
    [
        # exact values: limits belong to the normal range
        (lab("haemoglobin", "11.2", "g/dL"), INFANT_HB, Flag.LOW),
        (lab("haemoglobin", "11.3", "g/dL"), INFANT_HB, Flag.NORMAL),
        (lab("haemoglobin", "14.1", "g/dL"), INFANT_HB, Flag.NORMAL),
        (lab("haemoglobin", "14.2", "g/dL"), INFANT_HB, Flag.HIGH),
        (lab("haemoglobin", "113", "g/L"), INFANT_HB, Flag.NORMAL),
        (lab("haemoglobin", "112", "g/L"), INFANT_HB, Flag.LOW),
        # "<150 ... flagged low when 150 is at or below the lower limit"
        (lab("b12", "150", "pg/mL", "<"), SEED_B12, Flag.LOW),
        (lab("b12", "197", "pg/mL", "<"), SEED_B12, Flag.LOW),
        (lab("b12", "198", "pg/mL", "<"), SEED_B12, Flag.UNKNOWN),  # might be 197.5: normal
        (lab("b12", "300", "pg/mL", "<"), SEED_B12, Flag.UNKNOWN),
        (lab("b12", "196", "pg/mL", "<="), SEED_B12, Flag.LOW),
        (lab("b12", "197", "pg/mL", "<="), SEED_B12, Flag.UNKNOWN),  # might be exactly 197
        (lab("b12", "900", "pg/mL", "<"), SEED_B12, Flag.UNKNOWN),
        (lab("b12", "866", "pg/mL", ">"), SEED_B12, Flag.HIGH),
        (lab("b12", "1000", "pg/mL", ">"), SEED_B12, Flag.HIGH),
        (lab("b12", "865", "pg/mL", ">"), SEED_B12, Flag.UNKNOWN),
        (lab("b12", "866", "pg/mL", ">="), SEED_B12, Flag.UNKNOWN),
        (lab("b12", "867", "pg/mL", ">="), SEED_B12, Flag.HIGH),
        (lab("b12", "200", "pg/mL", ">"), SEED_B12, Flag.UNKNOWN),
        # a molar result against the laboratory's mass range: 145.386 pmol/L is 197 pg/mL
        (lab("b12", "145.386", "pmol/L"), SEED_B12, Flag.NORMAL),
        (lab("b12", "145.385", "pmol/L"), SEED_B12, Flag.LOW),
        (lab("b12", "110.7", "pmol/L", "<"), SEED_B12, Flag.LOW),
        # upper limit only ("up to 11.5"): any lower value is normal
        (lab("homocysteine", "11.5", "umol/L"), HCY_UPPER_ONLY, Flag.NORMAL),
        (lab("homocysteine", "11.6", "umol/L"), HCY_UPPER_ONLY, Flag.HIGH),
        (lab("homocysteine", "0", "umol/L"), HCY_UPPER_ONLY, Flag.NORMAL),
        (lab("homocysteine", "5", "umol/L", "<"), HCY_UPPER_ONLY, Flag.NORMAL),
        (lab("homocysteine", "11.5", "umol/L", "<="), HCY_UPPER_ONLY, Flag.NORMAL),
        (lab("homocysteine", "12", "umol/L", "<"), HCY_UPPER_ONLY, Flag.UNKNOWN),
        (lab("homocysteine", "11.5", "umol/L", ">"), HCY_UPPER_ONLY, Flag.HIGH),
        (lab("homocysteine", "11.5", "umol/L", ">="), HCY_UPPER_ONLY, Flag.UNKNOWN),
        (lab("homocysteine", "3", "umol/L", ">"), HCY_UPPER_ONLY, Flag.UNKNOWN),
        # lower limit only
        (lab("ferritin", "5", "ng/mL", ">"), FERRITIN_LOWER_ONLY, Flag.UNKNOWN),
        (lab("ferritin", "12", "ng/mL", ">="), FERRITIN_LOWER_ONLY, Flag.NORMAL),
        (lab("ferritin", "500", "ng/mL", ">"), FERRITIN_LOWER_ONLY, Flag.NORMAL),
        (lab("ferritin", "12", "ng/mL", "<"), FERRITIN_LOWER_ONLY, Flag.LOW),
        # critical limits: strictly beyond the limit is critical
        (lab("potassium", "2.4", "mmol/L"), K_WITH_CRITICAL, Flag.CRITICAL_LOW),
        (lab("potassium", "2.5", "mmol/L"), K_WITH_CRITICAL, Flag.LOW),
        (lab("potassium", "2.5", "mmol/L", "<"), K_WITH_CRITICAL, Flag.CRITICAL_LOW),
        # certainly low, only possibly critical: flagged with what is known
        (lab("potassium", "3.0", "mmol/L", "<"), K_WITH_CRITICAL, Flag.LOW),
        (lab("potassium", "4.2", "mmol/L"), K_WITH_CRITICAL, Flag.NORMAL),
        (lab("potassium", "6.5", "mmol/L"), K_WITH_CRITICAL, Flag.HIGH),
        (lab("potassium", "6.6", "mmol/L"), K_WITH_CRITICAL, Flag.CRITICAL_HIGH),
        (lab("potassium", "6.5", "mmol/L", ">"), K_WITH_CRITICAL, Flag.CRITICAL_HIGH),
        (lab("potassium", "6.0", "mmol/L", ">"), K_WITH_CRITICAL, Flag.HIGH),
        # no range applies
        (lab("platelets", "41", "10^9/L"), None, Flag.UNKNOWN),
    ],
)
def test_flag(result: LabValue, reference: ReferenceRange | None, flag: Flag) -> None:
    assert flag_value(result, reference) is flag


def test_flag_refuses_a_range_for_another_analyte() -> None:
    with pytest.raises(LabError, match="used to flag"):
        flag_value(lab("mcv", "80", "fL"), INFANT_HB)


@pytest.mark.parametrize(
    ("result", "age_days", "lab_name", "flag"),
    [
        # Seed 000, patient 2 (girl, 9 months) on admission
        (lab("haemoglobin", "6.7", "g/dL"), 274, None, Flag.LOW),
        (lab("wbc", "7.9", "10^9/L"), 274, None, Flag.NORMAL),
        (lab("platelets", "41", "10^9/L"), 274, None, Flag.UNKNOWN),  # no default range
        (lab("mcv", "83.1", "fL"), 274, None, Flag.NORMAL),
        (lab("anc", "1.2", "10^9/L"), 274, None, Flag.LOW),
        (lab("b12", "150", "pg/mL", "<"), 274, None, Flag.LOW),  # 110.7 pmol/L < 180
        # Seed 000, patient 1 (boy, 12 months): past the first-year bands
        (lab("b12", "150", "pg/mL", "<"), 370, SEED_000_LAB, Flag.LOW),
        (lab("b12", "150", "pg/mL", "<"), 370, None, Flag.UNKNOWN),
        (lab("haemoglobin", "9.6", "g/dL"), 370, None, Flag.UNKNOWN),
        # ... and one month after treatment
        (lab("b12", "1068", "pg/mL"), 400, SEED_000_LAB, Flag.HIGH),
    ],
)
def test_interpret_seed_000_results(
    result: LabValue, age_days: int, lab_name: str | None, flag: Flag
) -> None:
    interpretation = interpret(result, age_days=age_days, lab_name=lab_name)
    assert interpretation.flag is flag
    assert interpretation.rules_version == LAB_RULES_VERSION


def test_interpretation_carries_the_range_and_its_source() -> None:
    interpretation = interpret(lab("b12", "150", "pg/mL", "<"), age_days=370, lab_name=SEED_000_LAB)
    assert interpretation.reference is not None
    assert "Seed 000" in interpretation.reference.source
    assert interpretation.canonical_unit == "pmol/L"


# --------------------------------------------------------------------------------------------
# Single thresholds (used by safety rules)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "position"),
    [
        (lab("haemoglobin", "6.7", "g/dL"), Position.BELOW),
        (lab("haemoglobin", "6.99", "g/dL"), Position.BELOW),
        (lab("haemoglobin", "7.0", "g/dL"), Position.NOT_BELOW),
        (lab("haemoglobin", "69", "g/L"), Position.BELOW),
        (lab("haemoglobin", "70", "g/L"), Position.NOT_BELOW),
        (lab("haemoglobin", "7", "g/dL", "<"), Position.BELOW),
        (lab("haemoglobin", "7", "g/dL", "<="), Position.EITHER),
        (lab("haemoglobin", "8", "g/dL", "<"), Position.EITHER),
        (lab("haemoglobin", "6", "g/dL", ">"), Position.EITHER),
        (lab("haemoglobin", "7", "g/dL", ">="), Position.NOT_BELOW),
    ],
)
def test_position_against_threshold(result: LabValue, position: Position) -> None:
    assert position_against(result, D("7.0"), "g/dL") is position


# --------------------------------------------------------------------------------------------
# B12 status by named threshold set
# --------------------------------------------------------------------------------------------

DEF, IND, UNL = B12Status.DEFICIENT, B12Status.INDETERMINATE, B12Status.UNLIKELY
IMP, UNC = B12Status.IMPAIRED, B12Status.UNCLASSIFIED


@pytest.mark.parametrize(
    ("result", "status", "possible"),
    [
        # NICE NG239: < 180 ng/L deficient, 180-350 indeterminate, > 350 unlikely
        (lab("b12", "179", "ng/L"), DEF, (DEF,)),
        (lab("b12", "179.99", "ng/L"), DEF, (DEF,)),
        (lab("b12", "180", "ng/L"), IND, (IND,)),
        (lab("b12", "350", "ng/L"), IND, (IND,)),
        (lab("b12", "350.01", "ng/L"), UNL, (UNL,)),
        (lab("b12", "1068", "pg/mL"), UNL, (UNL,)),
        # pg/mL = ng/L
        (lab("b12", "180", "pg/mL"), IND, (IND,)),
        (lab("b12", "351", "pg/mL"), UNL, (UNL,)),
        # pmol/L converted first: 132.84 pmol/L = 180 ng/L, 258.3 pmol/L = 350 ng/L
        (lab("b12", "132.83", "pmol/L"), DEF, (DEF,)),
        (lab("b12", "132.84", "pmol/L"), IND, (IND,)),
        (lab("b12", "258.3", "pmol/L"), IND, (IND,)),
        (lab("b12", "258.31", "pmol/L"), UNL, (UNL,)),
        # comparators
        (lab("b12", "150", "pg/mL", "<"), DEF, (DEF,)),  # every value below 150 is below 180
        (lab("b12", "180", "ng/L", "<"), DEF, (DEF,)),
        (lab("b12", "180", "ng/L", "<="), UNC, (DEF, IND)),
        (lab("b12", "300", "pg/mL", ">"), UNC, (IND, UNL)),  # indeterminate or unlikely
        (lab("b12", "350", "ng/L", ">"), UNL, (UNL,)),
        (lab("b12", "350", "ng/L", ">="), UNC, (IND, UNL)),
        (lab("b12", "1000", "ng/L", "<"), UNC, (DEF, IND, UNL)),
        # active B12: < 25 / 25-70 / > 70 pmol/L
        (lab("holotc", "24.9", "pmol/L"), DEF, (DEF,)),
        (lab("holotc", "25", "pmol/L"), IND, (IND,)),
        (lab("holotc", "70", "pmol/L"), IND, (IND,)),
        (lab("holotc", "70.1", "pmol/L"), UNL, (UNL,)),
        (lab("holotc", "25", "pmol/L", "<"), DEF, (DEF,)),
    ],
)
def test_b12_status_nice_ng239(result: LabValue, status: B12Status, possible: tuple) -> None:
    outcome = classify_b12_status(result, NICE_NG239)
    assert (outcome.status, outcome.possible) == (status, possible)
    assert outcome.threshold_set_name == "NICE NG239 (adults)"


@pytest.mark.parametrize(
    ("result", "status", "possible"),
    [
        # plasma cobalamin < 148 pmol/L treated as deficient; the set says nothing above it
        (lab("b12", "147.9", "pmol/L"), DEF, (DEF,)),
        (lab("b12", "148", "pmol/L"), UNC, ()),
        (lab("b12", "150", "pg/mL", "<"), DEF, (DEF,)),  # 110.7 pmol/L
        (lab("b12", "200", "pg/mL"), DEF, (DEF,)),  # 147.6 pmol/L; indeterminate under NICE
        (lab("b12", "201", "pg/mL"), UNC, ()),  # 148.338 pmol/L
        (lab("b12", "200", "pmol/L", "<"), UNC, (DEF,)),
        # homocysteine > 6.5 umol/L marks impaired status
        (lab("homocysteine", "6.5", "umol/L"), UNC, ()),
        (lab("homocysteine", "6.6", "umol/L"), IMP, (IMP,)),
        (lab("homocysteine", "6.5", "umol/L", ">"), IMP, (IMP,)),
        (lab("homocysteine", "6.5", "umol/L", ">="), UNC, (IMP,)),
    ],
)
def test_b12_status_infant_trials(result: LabValue, status: B12Status, possible: tuple) -> None:
    outcome = classify_b12_status(result, INFANT_TRIALS)
    assert (outcome.status, outcome.possible) == (status, possible)
    assert outcome.threshold_set == "infant_trials"


def test_status_names_the_deciding_band_and_the_converted_value() -> None:
    outcome = classify_b12_status(lab("b12", "132.84", "pmol/L"), NICE_NG239)
    assert outcome.rule == "total B12 180-350 ng/L: indeterminate, measure MMA"
    assert (outcome.value_in_set_unit, outcome.set_unit) == (D("180"), "ng/L")
    assert "seed 004" in outcome.source


def test_spanning_censored_status_explains_itself() -> None:
    outcome = classify_b12_status(lab("b12", "300", "pg/mL", ">"))
    assert outcome.rule.startswith("censored result spans: total B12 180-350")


def test_status_for_an_analyte_the_set_does_not_cover_raises() -> None:
    with pytest.raises(NoThresholdsForAnalyte, match="NICE NG239"):
        classify_b12_status(lab("homocysteine", "12", "umol/L"), NICE_NG239)


@pytest.mark.parametrize(
    ("result", "sets"),
    [
        (lab("b12", "150", "pg/mL", "<"), ["nice_ng239_adults", "infant_trials"]),
        (lab("holotc", "20", "pmol/L"), ["nice_ng239_adults"]),
        (lab("homocysteine", "8", "umol/L"), ["infant_trials"]),
        (lab("folate", "9", "ng/mL"), []),
    ],
)
def test_status_under_every_set_that_covers_the_analyte(result: LabValue, sets: list[str]) -> None:
    assert [r.threshold_set for r in classify_b12_status_all(result)] == sets
    assert len(B12_THRESHOLD_SETS) == 2
