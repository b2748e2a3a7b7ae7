"""Impossible rows are refused: by validation with a field-level message through the services, and
by the database itself when something bypasses Python."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from patients import models as m
from patients.services.records import create_record
from tests import factories as f


def refused(call, field: str):
    with pytest.raises(ValidationError) as error:
        call()
    assert field in error.value.message_dict, error.value.message_dict
    return error.value.message_dict[field]


def test_visit_before_birth_is_refused_and_nothing_saved(infant, staff):
    messages = refused(
        lambda: create_record(
            m.Visit,
            actor=staff,
            infant=infant,
            visit_type="outpatient",
            visit_date=infant.birth_date - datetime.timedelta(days=1),
        ),
        "visit_date",
    )
    assert "before the infant's birth date" in messages[0]
    assert not m.Visit.objects.exists()


@pytest.mark.parametrize(
    "model, date_field, extra",
    [
        (m.GrowthMeasurement, "measured_on", {"weight_kg": Decimal("7")}),
        (m.LabResult, "collected_on", {"analyte": "b12", "value": Decimal("200"), "unit": "pg/mL"}),
        (
            m.ImagingStudy,
            "performed_on",
            {"modality": "mri", "body_site": "brain", "impression": "x"},
        ),
        (m.DenverAssessment, "assessed_on", {}),
        (m.Procedure, "performed_on", {"kind": "eeg"}),
        (m.AdverseEvent, "onset_on", {"event_type": "tremor", "severity": "mild"}),
        (
            m.TreatmentCourse,
            "started_on",
            {
                "drug": "hydroxocobalamin",
                "route": "intramuscular",
                "dose": Decimal("1"),
                "dose_unit": "mg",
            },
        ),
    ],
)
def test_no_event_before_birth(infant, staff, model, date_field, extra):
    before = infant.birth_date - datetime.timedelta(days=3)
    refused(
        lambda: create_record(model, actor=staff, infant=infant, **{date_field: before}, **extra),
        date_field,
    )
    assert not model.objects.exists()


@pytest.mark.parametrize(
    "field, value",
    [
        ("weight_kg", Decimal("-1.2")),
        ("length_cm", Decimal("-60")),
        ("head_circumference_cm", Decimal("-40")),
    ],
)
def test_negative_measurements_are_refused(infant, staff, field, value):
    refused(
        lambda: create_record(
            m.GrowthMeasurement,
            actor=staff,
            infant=infant,
            measured_on=infant.birth_date + datetime.timedelta(days=200),
            **{field: value},
        ),
        field,
    )


def test_the_database_refuses_a_negative_weight_even_when_python_is_bypassed(infant):
    growth = f.GrowthFactory(infant=infant)
    with pytest.raises(IntegrityError), transaction.atomic():
        m.GrowthMeasurement.objects.filter(pk=growth.pk).update(weight_kg=Decimal("-3"))
    growth.refresh_from_db()
    assert growth.weight_kg == Decimal("7.500")


def test_a_growth_row_must_measure_something(infant, staff):
    with pytest.raises(ValidationError, match="at least one of weight"):
        create_record(
            m.GrowthMeasurement,
            actor=staff,
            infant=infant,
            measured_on=infant.birth_date + datetime.timedelta(days=10),
        )


@pytest.mark.parametrize(
    "days, accepted",
    [
        (22 * 7 - 1, False),  # under 22 weeks: not a live birth the clinic follows
        (22 * 7, True),
        (280, True),  # 40 weeks
        (44 * 7 + 6, True),
        (45 * 7, False),  # 45 weeks: a typo
    ],
)
def test_gestational_age_range(clinic, staff, days, accepted):
    def register():
        return create_record(
            m.Infant,
            actor=staff,
            clinic=clinic,
            record_number=f"G{days}",
            given_name="A",
            family_name="B",
            sex="male",
            birth_date=datetime.date(2024, 1, 1),
            gestational_age_days=days,
        )

    if accepted:
        assert register().gestational_age_days == days
    else:
        refused(register, "gestational_age_days")
        assert not m.Infant.objects.exists()


def test_the_database_refuses_an_out_of_range_gestational_age(infant):
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Infant.objects.filter(pk=infant.pk).update(gestational_age_days=400)


def test_diagnosis_cannot_precede_birth(infant):
    with pytest.raises(IntegrityError), transaction.atomic():
        m.Infant.objects.filter(pk=infant.pk).update(
            diagnosis_date=infant.birth_date - datetime.timedelta(days=1)
        )


def test_record_numbers_are_unique_within_a_clinic(infant, staff):
    with pytest.raises(ValidationError, match="record number is already used"):
        create_record(
            m.Infant,
            actor=staff,
            clinic=infant.clinic,
            record_number=infant.record_number,
            given_name="X",
            family_name="Y",
            sex="male",
            birth_date=datetime.date(2024, 2, 2),
        )


def test_a_lab_result_belongs_to_exactly_one_subject(infant, staff):
    mother = create_record(
        m.Mother, actor=staff, clinic=infant.clinic, given_name="M", family_name="N"
    )
    with pytest.raises(ValidationError, match="either the infant or the mother"):
        create_record(
            m.LabResult,
            actor=staff,
            infant=infant,
            mother=mother,
            analyte="b12",
            collected_on=datetime.date(2024, 9, 1),
            value=Decimal("100"),
            unit="pg/mL",
        )
    with pytest.raises(ValidationError, match="either the infant or the mother"):
        create_record(
            m.LabResult,
            actor=staff,
            analyte="b12",
            collected_on=datetime.date(2024, 9, 1),
            value=Decimal("100"),
            unit="pg/mL",
        )


def test_a_censored_lab_result_keeps_its_comparator(infant, staff):
    result = create_record(
        m.LabResult,
        actor=staff,
        infant=infant,
        analyte="b12",
        comparator="<",
        value=Decimal("150"),
        unit="pg/mL",
        collected_on=datetime.date(2024, 9, 1),
    )
    result.refresh_from_db()
    assert (result.comparator, result.value) == ("<", Decimal("150"))
    assert str(result) == "Vitamin B12 (cobalamin), serum: <150 pg/mL"


def test_a_comparison_needs_an_earlier_study_of_the_same_infant(infant, other_infant, staff):
    first = create_record(
        m.ImagingStudy,
        actor=staff,
        infant=infant,
        modality="mri",
        body_site="brain",
        performed_on=datetime.date(2025, 1, 10),
        impression="Atrophy.",
    )
    foreign = create_record(
        m.ImagingStudy,
        actor=staff,
        infant=other_infant,
        modality="mri",
        body_site="brain",
        performed_on=datetime.date(2025, 1, 10),
        impression="Atrophy.",
    )
    base = {
        "infant": infant,
        "modality": "mri",
        "body_site": "brain",
        "impression": "Normal.",
        "comparison": "resolved",
    }
    refused(
        lambda: create_record(
            m.ImagingStudy,
            actor=staff,
            performed_on=datetime.date(2025, 1, 1),
            compared_with=first,
            **base,
        ),
        "compared_with",
    )
    refused(
        lambda: create_record(
            m.ImagingStudy,
            actor=staff,
            performed_on=datetime.date(2025, 9, 1),
            compared_with=foreign,
            **base,
        ),
        "compared_with",
    )
    with pytest.raises(ValidationError, match="needs both the earlier study"):
        create_record(
            m.ImagingStudy,
            actor=staff,
            infant=infant,
            modality="mri",
            body_site="brain",
            impression="Normal.",
            performed_on=datetime.date(2025, 9, 1),
            compared_with=first,
        )


def test_an_adverse_event_cannot_resolve_before_onset(infant, staff):
    with pytest.raises(ValidationError, match="cannot resolve before its onset"):
        create_record(
            m.AdverseEvent,
            actor=staff,
            infant=infant,
            event_type="tremor",
            severity="mild",
            onset_on=datetime.date(2025, 1, 10),
            resolved_on=datetime.date(2025, 1, 5),
        )


def test_no_dose_can_be_recorded_on_a_voided_course(infant, staff):
    from patients.services.records import void_record

    course = create_record(
        m.TreatmentCourse,
        actor=staff,
        infant=infant,
        drug="hydroxocobalamin",
        route="intramuscular",
        dose=Decimal("1"),
        dose_unit="mg",
        started_on=datetime.date(2024, 12, 1),
    )
    void_record(course, actor=staff, reason="Entered on the wrong infant")
    course.refresh_from_db()
    refused(
        lambda: create_record(
            m.DoseAdministration,
            actor=staff,
            course=course,
            given_on=datetime.date(2024, 12, 2),
            location="ward",
            dose=Decimal("1"),
            dose_unit="mg",
            route="intramuscular",
        ),
        "course",
    )
    assert not m.DoseAdministration.objects.exists()


def test_time_zone_must_be_an_iana_name(db):
    clinic = m.Clinic(name="Somewhere", time_zone="Turkey/Ankara")
    with pytest.raises(ValidationError, match="IANA"):
        clinic.full_clean()
