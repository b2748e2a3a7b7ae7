"""Treatment courses with their planned doses, dose administrations and adverse events."""

from __future__ import annotations

from rest_framework import serializers

from patients import models as m
from patients.api import scopes
from patients.api.fields import ScopedRelatedField
from patients.api.serializers.base import (
    CLINICAL_RECORD_FIELDS,
    ClinicalRecordSerializer,
    ModelSerializer,
    Serializer,
)
from patients.api.serializers.configuration import within_calendar

PLANNED_DOSE_FIELDS = (
    "course",
    "number",
    "phase_number",
    "phase_name",
    "number_in_phase",
    "due_on",
    "original_due_on",
    "dose",
    "dose_unit",
    "route",
    "at_home",
    "status",
    "plan_version",
)


class PlannedDoseSerializer(ClinicalRecordSerializer):
    course = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.PlannedDose
        fields = (*CLINICAL_RECORD_FIELDS, *PLANNED_DOSE_FIELDS)
        read_only_fields = fields


class CourseEventSerializer(ModelSerializer):
    """A missed dose, an advance, a change of dose or route, or a stop, and the day it applies."""

    recorded_by = serializers.PrimaryKeyRelatedField(
        read_only=True, pk_field=serializers.UUIDField()
    )

    class Meta(ModelSerializer.Meta):
        model = m.CourseEvent
        fields = (
            "id",
            "kind",
            "on",
            "make_up_on",
            "dose",
            "dose_unit",
            "route",
            "reason",
            "recorded_by",
            "created_at",
        )
        read_only_fields = ("id", "recorded_by", "created_at")

    def validate_on(self, value):
        return within_calendar(value)

    def validate_make_up_on(self, value):
        return None if value is None else within_calendar(value)


COURSE_COMPUTED_FIELDS = (
    "drug",
    "route",
    "dose",
    "dose_unit",
    "regimen_name",
    "regimen_key",
    "regimen_version",
    "regimen_source",
    "planned_until",
    "stopped_on",
    "stop_reason",
    "status",
    "prescribed_by",
)


class TreatmentCourseSerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)
    prescribed_by = serializers.PrimaryKeyRelatedField(
        read_only=True, pk_field=serializers.UUIDField()
    )
    planned_doses = PlannedDoseSerializer(source="current_doses", many=True, read_only=True)
    events = CourseEventSerializer(source="active_events", many=True, read_only=True)

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.TreatmentCourse
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "infant",
            "started_on",
            "indication",
            *COURSE_COMPUTED_FIELDS,
            "planned_doses",
            "events",
        )
        read_only_fields = (*CLINICAL_RECORD_FIELDS, *COURSE_COMPUTED_FIELDS)


class TreatmentCourseInputSerializer(Serializer):
    """A course started from a regimen of the library; every dose is planned when it starts."""

    glossary = "courseinput"

    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)
    regimen = ScopedRelatedField(model=m.Regimen, scope=scopes.regimens, refuse_voided=False)
    started_on = serializers.DateField(validators=[within_calendar])
    indication = serializers.CharField(max_length=200, required=False, allow_blank=True)


ADMINISTRATION_ENTRY_FIELDS = (
    "planned_dose",
    "given_on",
    "given_at",
    "given_by",
    "given_by_name",
    "location",
    "site",
    "lot_number",
    "notes",
)


class DoseAdministrationSerializer(ClinicalRecordSerializer):
    course = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    planned_dose = ScopedRelatedField(model=m.PlannedDose, scope=scopes.planned_doses)
    given_by = ScopedRelatedField(
        model=m.User, scope=scopes.clinicians, required=False, allow_null=True
    )

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.DoseAdministration
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "course",
            *ADMINISTRATION_ENTRY_FIELDS,
            "dose",
            "dose_unit",
            "route",
        )
        read_only_fields = (*CLINICAL_RECORD_FIELDS, "course", "dose", "dose_unit", "route")


class DoseAdministrationInputSerializer(DoseAdministrationSerializer):
    """A planned dose recorded as given; dose, unit and route are the plan's."""

    class Meta(DoseAdministrationSerializer.Meta):
        fields = ADMINISTRATION_ENTRY_FIELDS
        read_only_fields = ()


class AdverseEventSerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)
    course = ScopedRelatedField(
        model=m.TreatmentCourse, scope=scopes.treatment_courses, required=False, allow_null=True
    )

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.AdverseEvent
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "infant",
            "course",
            "event_type",
            "onset_on",
            "resolved_on",
            "severity",
            "description",
            "action_taken",
        )


class AdverseEventUpdateSerializer(AdverseEventSerializer):
    class Meta(AdverseEventSerializer.Meta):
        read_only_fields = (*CLINICAL_RECORD_FIELDS, "infant")
