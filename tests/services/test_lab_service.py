"""Recording a lab result stores its canonical value, its flag with the range that produced it and
the B12 status with the threshold set that decided it; units the analyte does not accept, unknown
analytes and future dates are refused on their field, saving nothing.

Expected values: CLINICAL.md section 5 and seed 000 (B12 "<150 pg/mL", normal 197-866 pg/mL;
1068 pg/mL at one month).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from patients import models as m
from patients.clinical import labs as core
from patients.services.labs import ADULT_AGE_DAYS, lab_overrides_for, record_lab_result
from patients.services.records import create_record, void_record

TODAY = datetime.date(2025, 6, 1)
COLLECTED = datetime.date(2024, 11, 1)  # the `infant` fixture (born 2024-03-01) is 8 months old
NICE = "NICE NG239 (adults)"
TRIALS = "Infant trials"


@pytest.fixture
def mother(clinic, staff):
    return create_record(
        m.Mother,
        actor=staff,
        clinic=clinic,
        given_name="Ayse",
        family_name="Yilmaz",
        birth_date=datetime.date(1995, 5, 1),
    )


def record(actor, **fields):
    fields = {"analyte": "b12", "collected_on": COLLECTED, "today": TODAY} | fields
    return record_lab_result(actor=actor, **fields)


def clinic_range(clinic, actor, **fields):
    fields = {
        "analyte": "b12",
        "unit": "pmol/L",
        "low": Decimal("150"),
        "high": Decimal("650"),
        "source": "Clinic 1 laboratory, verified 2024",
    } | fields
    return create_record(m.LabReferenceRange, actor=actor, clinic=clinic, **fields)


@pytest.mark.parametrize(
    ("entry", "flag", "flag_rule", "reference", "status", "threshold_set"),
    [
        # Seed 000 patient 1 on admission: "<150 pg/mL" beside the printed "N:197-866". Every
        # value below 150 is below 197 (low) and below 148 pmol/L = 200 pg/mL (infant trials).
        (
            {"comparator": "<", "value": "150", "unit": "pg/mL", "low": "197", "high": "866"},
            "low",
            "labs-1; range: printed by laboratory",
            ("197", "866", "Printed by the laboratory on the report"),
            "deficient",
            TRIALS,
        ),
        # One month later: 1068 pg/mL, above the printed range; not low by the infant trials, so
        # NICE decides (1068 ng/L > 350).
        (
            {"value": "1068", "unit": "pg/mL", "low": "197", "high": "866"},
            "high",
            "labs-1; range: printed by laboratory",
            ("197", "866", "Printed by the laboratory on the report"),
            "unlikely",
            NICE,
        ),
        # No printed range: the catalogue's infant default, 180-1400 pmol/L, stored in pg/mL.
        (
            {"value": "250", "unit": "pg/mL"},
            "normal",
            "labs-1; range: catalogue default",
            ("243.9024", "1897.0190", "Danish age-adjusted reference intervals"),
            "indeterminate",
            NICE,
        ),
        (
            {"value": "140", "unit": "pmol/L"},
            "low",
            "labs-1; range: catalogue default",
            ("180", "1400", "Danish age-adjusted reference intervals"),
            "deficient",
            TRIALS,
        ),
        # The catalogue keeps seed 000's printed range for results from that laboratory.
        (
            {"comparator": "<", "value": "150", "unit": "pg/mL", "lab_name": core.SEED_000_LAB},
            "low",
            "labs-1; range: catalogue default",
            ("197", "866", "Seed 000"),
            "deficient",
            TRIALS,
        ),
        # A censored value straddling the lower limit is not guessed at.
        (
            {"comparator": "<", "value": "300", "unit": "pg/mL", "low": "197", "high": "866"},
            "unknown",
            "labs-1; range: printed by laboratory",
            ("197", "866", "Printed by the laboratory on the report"),
            "unclassified",
            NICE,
        ),
        (
            {"analyte": "holotc", "value": "20", "unit": "pmol/L"},
            "unknown",
            "labs-1; no reference range applies",
            (None, None, ""),
            "deficient",
            NICE,
        ),
        (
            {"analyte": "homocysteine", "value": "8", "unit": "umol/L"},
            "normal",
            "labs-1; range: catalogue default",
            (None, "10", "homocysteine 7-12 mo"),
            "impaired",
            TRIALS,
        ),
        (
            {"analyte": "homocysteine", "value": "5", "unit": "umol/L"},
            "normal",
            "labs-1; range: catalogue default",
            (None, "10", "homocysteine 7-12 mo"),
            "unclassified",
            TRIALS,
        ),
        (
            {"analyte": "haemoglobin", "value": "6.7", "unit": "g/dL"},
            "low",
            "labs-1; range: catalogue default",
            ("11.3", "14.1", "haemoglobin 6-12 mo"),
            "",
            "",
        ),
    ],
)
def test_an_infants_result_is_flagged_and_classified_with_its_sources(
    infant, staff, entry, flag, flag_rule, reference, status, threshold_set
):
    printed = {"reference_low": entry.pop("low", None), "reference_high": entry.pop("high", None)}
    entry |= {k: Decimal(v) for k, v in printed.items() if v is not None}
    entry["value"] = Decimal(entry["value"])

    result = record(staff, infant=infant, **entry)

    result.refresh_from_db()
    assert (result.flag, result.flag_rule) == (flag, flag_rule)
    low, high, source = reference
    assert result.reference_low == (None if low is None else Decimal(low))
    assert result.reference_high == (None if high is None else Decimal(high))
    assert source in result.reference_source
    assert (result.b12_status, result.b12_threshold_set) == (status, threshold_set)
    assert result.history.get().history_user == staff


@pytest.mark.parametrize(
    ("analyte", "value", "unit", "canonical_value", "canonical_unit"),
    [
        ("b12", "300", "pg/mL", "221.4", "pmol/L"),  # pmol/L = pg/mL x 0.738
        ("b12", "300", "ng/L", "221.4", "pmol/L"),
        ("b12", "221.4", "pmol/L", "221.4", "pmol/L"),
        ("folate", "9", "ng/mL", "20.394", "nmol/L"),  # nmol/L = ng/mL x 2.266
        ("haemoglobin", "96", "g/L", "9.6", "g/dL"),  # g/L = g/dL x 10
        ("mma_urine", "10", "ug/mg creatinine", "9.58", "mmol/mol creatinine"),
        ("b12", "150.55", "pg/mL", "111.1059", "pmol/L"),  # 111.10590: kept to the stored scale
    ],
)
def test_the_value_is_kept_as_reported_and_stored_canonically(
    infant, staff, analyte, value, unit, canonical_value, canonical_unit
):
    result = record(staff, infant=infant, analyte=analyte, value=Decimal(value), unit=unit)
    result.refresh_from_db()
    assert (result.value, result.unit) == (Decimal(value), unit)
    assert (result.canonical_value, result.canonical_unit) == (
        Decimal(canonical_value),
        canonical_unit,
    )


@pytest.mark.parametrize(
    ("entry", "errors"),
    [
        (
            {"value": Decimal("15"), "unit": "mg/dL"},
            {"unit": ["Vitamin B12 does not accept unit 'mg/dL'; accepted: pg/mL, ng/L, pmol/L"]},
        ),
        (
            {"value": Decimal("15"), "unit": "g/dL"},
            {"unit": ["Vitamin B12 does not accept unit 'g/dL'; accepted: pg/mL, ng/L, pmol/L"]},
        ),
        (
            {"analyte": "vitamin_d", "value": Decimal("15"), "unit": "ng/mL"},
            {"analyte": ["Unknown analyte code 'vitamin_d'"]},
        ),
        (
            {"value": Decimal("15"), "unit": ""},
            {"unit": ["Give the unit of the value; Vitamin B12 accepts pg/mL, ng/L, pmol/L."]},
        ),
        (
            {"collected_on": TODAY + datetime.timedelta(days=1), "value": Decimal("300")},
            {"collected_on": ["2025-06-02 is in the future (today is 2025-06-01 at the clinic)."]},
        ),
        (
            {"value": None},
            {"value": ["Enter the value with its unit, or the words the laboratory reported."]},
        ),
        (
            {
                "value": Decimal("300"),
                "reference_low": Decimal("866"),
                "reference_high": Decimal("197"),
            },
            {"reference_low": ["The lower reference limit (866) is above the upper one (197)."]},
        ),
    ],
)
def test_bad_input_is_refused_on_its_field_and_nothing_is_saved(infant, staff, entry, errors):
    entry = {"unit": "pg/mL"} | entry
    with pytest.raises(ValidationError) as refused:
        record(staff, infant=infant, **entry)
    assert refused.value.message_dict == errors
    assert not m.LabResult.objects.exists()
    assert not m.LabResult.history.exists()


def test_a_result_before_birth_is_refused_by_the_model(infant, staff):
    with pytest.raises(ValidationError) as refused:
        record(
            staff,
            infant=infant,
            collected_on=datetime.date(2024, 2, 1),
            value=Decimal("300"),
            unit="pg/mL",
        )
    assert "before the infant's birth date" in refused.value.message_dict["collected_on"][0]
    assert not m.LabResult.objects.exists()


def test_a_result_belongs_to_the_infant_or_the_mother(infant, mother, staff):
    for subjects in ({}, {"infant": infant, "mother": mother}):
        with pytest.raises(ValidationError) as refused:
            record(staff, value=Decimal("300"), unit="pg/mL", **subjects)
        assert "infant" in refused.value.message_dict
    assert not m.LabResult.objects.exists()


def test_the_clinics_range_wins_over_the_catalogue_and_the_printed_range_over_both(
    clinic, other_clinic, infant, staff, other_staff
):
    # 700 pmol/L is normal by the catalogue (180-1400) and high by the clinic's 150-650.
    clinic_range(clinic, staff)
    clinic_range(other_clinic, other_staff, high=Decimal("600"))
    void_record(clinic_range(clinic, staff, high=Decimal("500")), actor=staff, reason="Typo")

    by_clinic = record(staff, infant=infant, value=Decimal("700"), unit="pmol/L")
    assert (by_clinic.flag, by_clinic.flag_rule) == ("high", "labs-1; range: clinic range")
    assert (by_clinic.reference_low, by_clinic.reference_high) == (Decimal("150"), Decimal("650"))
    assert by_clinic.reference_source == "Clinic 1 laboratory, verified 2024"

    # The clinic's range, stored in the unit of the result it judged (pmol/L / 0.738).
    in_mass = record(staff, infant=infant, value=Decimal("900"), unit="pg/mL")
    assert in_mass.flag == "high"
    assert (in_mass.reference_low, in_mass.reference_high) == (
        Decimal("203.2520"),
        Decimal("880.7588"),
    )

    printed = record(
        staff,
        infant=infant,
        value=Decimal("700"),
        unit="pmol/L",
        reference_low=Decimal("100"),
        reference_high=Decimal("1000"),
        reference_source="Printed on the report",
    )
    assert (printed.flag, printed.flag_rule) == ("normal", "labs-1; range: printed by laboratory")
    assert printed.reference_source == "Printed on the report"


def test_a_clinic_range_outside_the_infants_age_band_is_not_used(clinic, infant, staff):
    clinic_range(clinic, staff, age_from_days=365)  # from the first birthday on
    result = record(staff, infant=infant, value=Decimal("700"), unit="pmol/L")
    assert (result.flag, result.flag_rule) == ("normal", "labs-1; range: catalogue default")


@pytest.mark.parametrize("birth_date", [datetime.date(1995, 5, 1), None])
def test_a_mothers_result_is_judged_as_an_adults(clinic, staff, birth_date):
    mother = create_record(
        m.Mother,
        actor=staff,
        clinic=clinic,
        given_name="Ayse",
        family_name="Yilmaz",
        birth_date=birth_date,
    )
    entry = {"mother": mother, "comparator": "<", "value": Decimal("150"), "unit": "pg/mL"}

    # Seed 000's mothers: "<150 pg/mL". The catalogue's ranges are an infant's, so none applies;
    # an infant's result with the same value would be flagged low by the 0-1 year default.
    result = record(staff, **entry)
    assert (result.flag, result.flag_rule) == ("unknown", "labs-1; no reference range applies")
    assert (result.b12_status, result.b12_threshold_set) == ("deficient", NICE)
    assert result.infant is None

    clinic_range(
        clinic,
        staff,
        unit="ng/L",
        low=Decimal("200"),
        high=Decimal("900"),
        age_from_days=ADULT_AGE_DAYS,
        sex="female",
        source="Clinic 1 laboratory, adults",
    )
    result = record(staff, **entry)
    assert (result.flag, result.flag_rule) == ("low", "labs-1; range: clinic range")
    assert result.reference_source == "Clinic 1 laboratory, adults"


def test_a_mothers_homocysteine_gets_no_b12_status(mother, staff):
    # NICE NG239 has no homocysteine thresholds; the infant trials' are not for adults.
    result = record(
        staff, mother=mother, analyte="homocysteine", value=Decimal("20"), unit="umol/L"
    )
    assert (result.b12_status, result.b12_threshold_set) == ("", "")


@pytest.mark.parametrize(
    ("words", "flag"),
    [
        ("low", "low"),
        (" Normal ", "normal"),
        ("HIGH", "high"),
        ("see comment", "unknown"),
    ],
)
def test_words_reported_by_the_laboratory_become_a_flag_when_unambiguous(
    infant, staff, words, flag
):
    result = record(staff, infant=infant, analyte="folate", reported_text=words)
    result.refresh_from_db()
    assert (result.flag, result.flag_rule) == (flag, "reported by laboratory")
    assert (result.value, result.canonical_value, result.canonical_unit) == (None, None, "")
    assert result.reported_text == words.strip()
    assert result.b12_status == ""


def test_lab_overrides_for_converts_the_clinics_active_ranges(
    clinic, other_clinic, staff, other_staff
):
    clinic_range(
        clinic,
        staff,
        sex="male",
        lab_name="City lab",
        age_from_days=0,
        age_until_days=365,
        critical_low=Decimal("50"),
    )
    clinic_range(clinic, staff, analyte="mcv", unit="fL", low=Decimal("70"), high=Decimal("85"))
    clinic_range(clinic, staff, sex="other")  # the core matches female or male only
    void_record(clinic_range(clinic, staff, low=Decimal("1")), actor=staff, reason="Typo")
    clinic_range(other_clinic, other_staff)

    assert lab_overrides_for(clinic) == [
        core.ReferenceRange(
            analyte="b12",
            unit="pmol/L",
            low=Decimal("150"),
            high=Decimal("650"),
            source="Clinic 1 laboratory, verified 2024",
            age_from_days=0,
            age_until_days=365,
            sex=core.Sex.MALE,
            lab="City lab",
            critical_low=Decimal("50"),
            critical_source="Clinic 1 laboratory, verified 2024",
        ),
        core.ReferenceRange(
            analyte="mcv",
            unit="fL",
            low=Decimal("70"),
            high=Decimal("85"),
            source="Clinic 1 laboratory, verified 2024",
        ),
    ]
    assert [r.analyte for r in lab_overrides_for(clinic, analyte="mcv")] == ["mcv"]


def test_a_clinic_range_the_core_cannot_use_is_named_in_the_error(clinic, infant, staff):
    clinic_range(clinic, staff, unit="g/dL")
    with pytest.raises(
        ValidationError,
        match=r"reference range Vitamin B12 .* g/dL \(Clinic 1\) cannot be used: Vitamin B12 "
        r"does not accept unit 'g/dL'",
    ):
        record(staff, infant=infant, value=Decimal("300"), unit="pg/mL")
    assert not m.LabResult.objects.exists()
