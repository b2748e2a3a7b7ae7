"""Recording growth stores WHO 2006 scores (and a clinic's own reference beside them), with the age
and reference that produced each value; implausible and future entries are refused, saving nothing.

Expected values: CLINICAL.md section 6 (seed 000 case-report check).
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from patients import models as m
from patients.clinical.growth import WHO_2006, Indicator, Sex
from patients.services.growth import record_growth, score_growth
from patients.services.records import create_record, void_record
from tests import factories as f

WHO = "WHO Child Growth Standards 2006"
TODAY = datetime.date(2027, 1, 1)

# A clinic chart small enough to check by hand: L = 1, M = 8 kg, S = 0.1 for girls' weight at
# every age, so z = (w / 8 - 1) / 0.1 and 5.6 kg is exactly -3.
CLINIC_CSV_V1 = "sex,indicator,index,L,M,S\nfemale,wfa,0,1,8,0.1\nfemale,wfa,1856,1,8,0.1\n"
CLINIC_CSV_V2 = CLINIC_CSV_V1.replace(",8,", ",7,")  # M = 7 kg: 5.6 kg is z = -2


def scores(measurement: m.GrowthMeasurement, reference: str = WHO) -> dict[str, m.GrowthScore]:
    rows = m.GrowthScore.objects.filter(measurement=measurement, reference_name=reference)
    return {row.indicator: row for row in rows}


def nothing_saved() -> bool:
    return (
        not m.GrowthMeasurement.objects.exists()
        and not m.GrowthMeasurement.history.exists()
        and not m.GrowthScore.objects.exists()
    )


def clinic_reference(clinic, staff, *, version="2024", lms_csv=CLINIC_CSV_V1, **fields):
    return create_record(
        m.GrowthReference,
        actor=staff,
        clinic=clinic,
        name="National charts",
        version=version,
        lms_csv=lms_csv,
        source="Ministry of Health growth charts",
        **fields,
    )


@pytest.fixture
def seed_patient_2(clinic):
    """Seed 000 patient 2: a girl admitted at 9 months (273 days)."""
    return f.InfantFactory(clinic=clinic, sex="female", birth_date=datetime.date(2023, 2, 20))


def record_patient_2_admission(infant, actor, **overrides):
    fields = {
        "measured_on": datetime.date(2023, 11, 20),
        "weight_kg": Decimal("5.6"),
        "length_cm": Decimal("60"),
        "head_circumference_cm": Decimal("40.5"),
    } | overrides
    return record_growth(infant=infant, actor=actor, today=TODAY, **fields)


def test_seed_000_patient_2_is_below_the_3rd_centile_on_all_three(seed_patient_2, staff):
    measurement = record_patient_2_admission(seed_patient_2, staff)

    who = scores(measurement)
    # The paper: below the 3rd centile on all three; WHO gives about -3.2, -4.2 and -2.5.
    expected_z = {"wfa": Decimal("-3.22"), "lfa": Decimal("-4.18"), "hcfa": Decimal("-2.48")}
    for indicator, z in expected_z.items():
        row = who[indicator]
        assert (row.status, row.z) == ("computed", z)
        assert row.centile < 3
        assert (row.age_days, row.corrected_age_used) == (273, False)
        assert row.reference_version == WHO_2006.version
    assert who["wfa"].restricted_calculation  # weight beyond -3 SD: WHO's restricted calculation
    assert not who["lfa"].restricted_calculation  # length never uses it
    assert who["wfa"].implausible is False
    # Weight-for-length is scored under 2 years; weight-for-height says why it is not.
    assert who["wfl"].status == "computed"
    assert (who["wfh"].status, who["wfh"].reason) == (
        "not_applicable",
        "before 731 days WHO scores weight-for-length instead",
    )
    assert measurement.history.get().history_user == staff


def test_seed_000_patient_1_is_about_the_15th_38th_and_48th_centile(clinic, staff):
    boy = f.InfantFactory(clinic=clinic, sex="male", birth_date=datetime.date(2023, 9, 4))
    measurement = record_growth(
        infant=boy,
        actor=staff,
        measured_on=datetime.date(2024, 9, 4),
        weight_kg=Decimal("8.6"),
        length_cm=Decimal("75"),
        head_circumference_cm=Decimal("46"),
        today=TODAY,
    )
    who = scores(measurement)
    for indicator, centile in {"wfa": 15, "lfa": 38, "hcfa": 48}.items():
        assert who[indicator].centile == pytest.approx(centile, abs=1.5)
    # Stored to two decimals, as Decimal.
    assert who["wfa"].centile == Decimal("14.69")


@pytest.mark.parametrize(
    ("gestational_age_days", "measured_on", "age_days", "corrected"),
    [
        # Born at 32+0 weeks, 56 days before the due date; 4 months (122 days) later.
        (32 * 7, datetime.date(2024, 7, 1), 122 - 56, True),
        (36 * 7 + 6, datetime.date(2024, 7, 1), 122 - 22, True),  # last day of "before 37 weeks"
        (37 * 7, datetime.date(2024, 7, 1), 122, False),
        (40 * 7, datetime.date(2024, 7, 1), 122, False),
        (None, datetime.date(2024, 7, 1), 122, False),  # unknown gestation: never corrected
        (32 * 7, datetime.date(2026, 4, 1), 761, False),  # 25 months: correction has ended
    ],
)
def test_corrected_age_is_used_for_infants_born_before_37_weeks_until_24_months(
    clinic, staff, gestational_age_days, measured_on, age_days, corrected
):
    baby = f.InfantFactory(
        clinic=clinic,
        sex="female",
        birth_date=datetime.date(2024, 3, 1),
        gestational_age_days=gestational_age_days,
    )
    measurement = record_growth(
        infant=baby, actor=staff, measured_on=measured_on, weight_kg=Decimal("6.0"), today=TODAY
    )
    rows = m.GrowthScore.objects.filter(measurement=measurement)
    assert {(row.age_days, row.corrected_age_used) for row in rows} == {(age_days, corrected)}
    # The z-score is WHO's for the age stored beside it, not for the chronological age.
    wfa = scores(measurement)["wfa"]
    expected = WHO_2006.z_score(Indicator.WFA, Sex.FEMALE, age_days=age_days, value=6.0)
    assert float(wfa.z) == pytest.approx(expected, abs=0.005)


def test_a_preterm_infant_before_the_due_date_gets_reasons_not_scores(clinic, staff):
    baby = f.InfantFactory(
        clinic=clinic, sex="male", birth_date=datetime.date(2024, 3, 1), gestational_age_days=28 * 7
    )
    measurement = record_growth(
        infant=baby,
        actor=staff,
        measured_on=datetime.date(2024, 4, 1),
        weight_kg=Decimal("1.6"),
        today=TODAY,
    )
    rows = list(m.GrowthScore.objects.filter(measurement=measurement))
    assert len(rows) == 5
    assert {(row.status, row.age_days, row.corrected_age_used) for row in rows} == {
        ("not_applicable", 31 - 84, True)
    }
    assert "53 days before the due date" in rows[0].reason


def test_a_clinic_reference_is_scored_beside_who(seed_patient_2, clinic, other_clinic, staff):
    clinic_reference(clinic, staff)
    clinic_reference(clinic, staff, version="2019", is_active=False)
    void_record(clinic_reference(clinic, staff, version="2021"), actor=staff, reason="Wrong table")
    clinic_reference(other_clinic, staff, version="other clinic")

    measurement = record_patient_2_admission(seed_patient_2, staff)

    stored = set(
        m.GrowthScore.objects.filter(measurement=measurement).values_list(
            "reference_name", "reference_version"
        )
    )
    assert stored == {(WHO, WHO_2006.version), ("National charts", "2024")}
    national = scores(measurement, "National charts")
    assert (national["wfa"].status, national["wfa"].z, national["wfa"].centile) == (
        "computed",
        Decimal("-3.00"),
        Decimal("0.13"),
    )
    assert not national["wfa"].restricted_calculation  # WHO's rule is WHO's, not the clinic's
    assert national["wfa"].implausible is None  # the clinic's chart has no plausibility limits
    assert national["lfa"].status == "not_applicable"
    assert "no length/height-for-age table" in national["lfa"].reason
    assert scores(measurement)["wfa"].z == Decimal("-3.22")  # WHO unchanged beside it


def test_scoring_again_adds_only_new_reference_versions_and_never_rewrites(
    seed_patient_2, clinic, staff
):
    clinic_reference(clinic, staff, version="2024")
    measurement = record_patient_2_admission(seed_patient_2, staff)
    before = {row.pk: row.z for row in m.GrowthScore.objects.filter(measurement=measurement)}
    assert len(before) == 10

    assert score_growth(measurement) == []
    assert m.GrowthScore.objects.filter(measurement=measurement).count() == 10

    clinic_reference(clinic, staff, version="2025", lms_csv=CLINIC_CSV_V2)
    added = score_growth(measurement)

    assert {(row.reference_version, row.indicator) for row in added} == {
        ("2025", indicator) for indicator in ("wfa", "lfa", "hcfa", "wfl", "wfh")
    }
    after = {row.pk: row.z for row in m.GrowthScore.objects.filter(measurement=measurement)}
    assert {pk: after[pk] for pk in before} == before
    new_wfa = m.GrowthScore.objects.get(
        measurement=measurement, reference_version="2025", indicator="wfa"
    )
    assert new_wfa.z == Decimal("-2.00")


def test_a_broken_clinic_table_is_refused_when_saved(clinic, staff):
    with pytest.raises(ValidationError) as refused:
        clinic_reference(clinic, staff, lms_csv="sex,indicator,index,L,M,S\nfemale,wfa,0,1,8,0.1\n")
    assert "at least two rows" in refused.value.message_dict["lms_csv"][0]
    assert not m.GrowthReference.objects.exists()


def test_an_unreadable_clinic_table_does_not_block_the_measurement(seed_patient_2, clinic, staff):
    # Stored before tables were checked on save (or edited in the database): scoring must survive.
    m.GrowthReference.objects.create(
        clinic=clinic,
        name="National charts",
        version="broken",
        lms_csv="sex,indicator,index,L,M,S\nfemale,wfa,0,1,8,0.1\n",
        source="Ministry of Health growth charts",
    )
    measurement = record_patient_2_admission(seed_patient_2, staff)
    assert set(
        m.GrowthScore.objects.filter(measurement=measurement).values_list(
            "reference_name", flat=True
        )
    ) == {WHO}


def test_a_voided_measurement_is_not_scored(seed_patient_2, clinic, staff):
    measurement = record_patient_2_admission(seed_patient_2, staff)
    void_record(measurement, actor=staff, reason="Entered for the wrong infant")
    clinic_reference(clinic, staff)
    assert score_growth(measurement) == []
    assert not m.GrowthScore.objects.filter(reference_name="National charts").exists()


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        ({"weight_kg": Decimal("25")}, "weight_kg", ["Weight 25 kg", "273 days", "+12.07"]),
        ({"length_cm": Decimal("110")}, "length_cm", ["Length 110 cm", "273 days", "+16.53"]),
        (
            {"head_circumference_cm": Decimal("20")},
            "head_circumference_cm",
            ["Head circumference 20 cm", "273 days", "-17.80"],
        ),
        # 0.56 kg typed for 5.6 kg: beyond WHO's tables altogether, so no z-score at all.
        ({"weight_kg": Decimal("0.56")}, "weight_kg", ["Weight 0.56 kg", "outside the WHO tables"]),
    ],
)
def test_an_implausible_value_is_refused_on_its_field_and_nothing_is_saved(
    seed_patient_2, staff, entry, field, words
):
    with pytest.raises(ValidationError) as refused:
        record_growth(
            infant=seed_patient_2,
            actor=staff,
            measured_on=datetime.date(2023, 11, 20),
            today=TODAY,
            **entry,
        )
    errors = refused.value.message_dict
    assert list(errors) == [field]
    [message] = errors[field]
    for word in [*words, "Check the entry"]:
        assert word in message
    assert nothing_saved()


def test_a_confirmed_implausible_value_is_kept_and_stays_flagged(seed_patient_2, staff):
    measurement = record_patient_2_admission(
        seed_patient_2,
        staff,
        weight_kg=Decimal("25"),
        length_cm=None,
        head_circumference_cm=None,
        confirm_implausible=True,
    )
    wfa = scores(measurement)["wfa"]
    assert (wfa.z, wfa.implausible) == (Decimal("12.07"), True)


@pytest.mark.parametrize(
    ("measured_on", "field", "message"),
    [
        (TODAY + datetime.timedelta(days=1), "measured_on", "is in the future"),
        (datetime.date(2023, 2, 19), "measured_on", "before the infant's birth date"),
    ],
)
def test_a_date_in_the_future_or_before_birth_is_refused(
    seed_patient_2, staff, measured_on, field, message
):
    with pytest.raises(ValidationError) as refused:
        record_patient_2_admission(seed_patient_2, staff, measured_on=measured_on)
    assert message in " ".join(refused.value.message_dict[field])
    assert nothing_saved()


def test_today_is_the_clinics_local_date(infant, staff):
    # 21:30 UTC on 1 June is 00:30 on 2 June in Istanbul (UTC+3), the clinic's time zone.
    with time_machine.travel(
        datetime.datetime(2024, 6, 1, 21, 30, tzinfo=datetime.UTC), tick=False
    ):
        record_growth(
            infant=infant,
            actor=staff,
            measured_on=datetime.date(2024, 6, 2),
            weight_kg=Decimal("6"),
        )
        with pytest.raises(ValidationError, match="in the future"):
            record_growth(
                infant=infant,
                actor=staff,
                measured_on=datetime.date(2024, 6, 3),
                weight_kg=Decimal("6"),
            )
    assert m.GrowthMeasurement.objects.count() == 1


@pytest.mark.parametrize("sex", ["other", "unknown"])
def test_who_scores_are_not_applicable_without_a_binary_sex(clinic, staff, sex):
    baby = f.InfantFactory(clinic=clinic, sex=sex, birth_date=datetime.date(2024, 3, 1))
    measurement = record_growth(
        infant=baby,
        actor=staff,
        measured_on=datetime.date(2024, 12, 1),
        weight_kg=Decimal("25"),  # would be refused as implausible for a girl or a boy
        today=TODAY,
    )
    rows = list(m.GrowthScore.objects.filter(measurement=measurement))
    assert {row.indicator for row in rows} == {"wfa", "lfa", "hcfa", "wfl", "wfh"}
    assert {(row.status, row.z) for row in rows} == {("not_applicable", None)}
    assert "separate tables for boys and girls" in rows[0].reason


@pytest.mark.parametrize(
    ("length_position", "lfa_z"),
    [
        ("recumbent", Decimal("-0.33")),
        # Standing before 2 years: WHO adds 0.7 cm to reach a lying length.
        ("standing", Decimal("-0.03")),
    ],
)
def test_the_length_position_reaches_the_who_conversion(clinic, staff, length_position, lfa_z):
    boy = f.InfantFactory(clinic=clinic, sex="male", birth_date=datetime.date(2023, 9, 4))
    measurement = record_growth(
        infant=boy,
        actor=staff,
        measured_on=datetime.date(2024, 9, 4),
        length_cm=Decimal("75"),
        length_position=length_position,
        today=TODAY,
    )
    assert scores(measurement)["lfa"].z == lfa_z


def test_the_measurement_is_linked_to_a_visit_of_the_same_infant_only(
    seed_patient_2, infant, staff
):
    admission = f.VisitFactory(infant=seed_patient_2, visit_date=datetime.date(2023, 11, 20))
    measurement = record_patient_2_admission(seed_patient_2, staff, visit=admission)
    assert measurement.visit == admission

    with pytest.raises(ValidationError) as refused:
        record_growth(
            infant=infant,
            actor=staff,
            visit=admission,
            measured_on=datetime.date(2024, 11, 20),
            weight_kg=Decimal("7"),
            today=TODAY,
        )
    assert list(refused.value.message_dict) == ["visit"]
    assert m.GrowthMeasurement.objects.count() == 1
