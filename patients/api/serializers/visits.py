"""Visits, and growth measurements with the z-scores and centiles computed for them."""

from __future__ import annotations

from rest_framework import serializers

from patients import models as m
from patients.api import scopes
from patients.api.fields import ScopedRelatedField
from patients.api.serializers.base import (
    CLINICAL_RECORD_FIELDS,
    ClinicalRecordSerializer,
    ModelSerializer,
)


class VisitSerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)
    clinician = ScopedRelatedField(
        model=m.User, scope=scopes.clinicians, required=False, allow_null=True
    )
    monitoring_items = serializers.ListField(
        child=serializers.CharField(max_length=60), required=False, max_length=50
    )

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.Visit
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "infant",
            "visit_type",
            "visit_date",
            "discharge_date",
            "clinician",
            "reason",
            "monitoring_items",
            "temperature_c",
            "heart_rate_bpm",
            "respiratory_rate_per_min",
            "systolic_bp_mmhg",
            "diastolic_bp_mmhg",
            "tone",
            "reflexes",
            "head_control",
            "sits_without_support",
            "examination_findings",
            "notes",
        )


class VisitUpdateSerializer(VisitSerializer):
    """A visit stays with its infant; everything else can be corrected."""

    class Meta(VisitSerializer.Meta):
        read_only_fields = (*CLINICAL_RECORD_FIELDS, "infant")


class GrowthScoreSerializer(ModelSerializer):
    """One indicator against one reference, stored with the reference's name and version."""

    class Meta(ModelSerializer.Meta):
        model = m.GrowthScore
        fields = (
            "reference_name",
            "reference_version",
            "indicator",
            "status",
            "age_days",
            "corrected_age_used",
            "z",
            "centile",
            "restricted_calculation",
            "implausible",
            "reason",
            "computed_at",
        )
        read_only_fields = fields


GROWTH_ENTRY_FIELDS = (
    "infant",
    "visit",
    "measured_on",
    "weight_kg",
    "length_cm",
    "length_position",
    "head_circumference_cm",
)


class GrowthMeasurementSerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)
    visit = ScopedRelatedField(model=m.Visit, scope=scopes.visits, required=False, allow_null=True)
    scores = GrowthScoreSerializer(many=True, read_only=True)

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.GrowthMeasurement
        fields = (*CLINICAL_RECORD_FIELDS, *GROWTH_ENTRY_FIELDS, "scores")


class GrowthMeasurementInputSerializer(GrowthMeasurementSerializer):
    """A day's measurements; scored against WHO 2006 and the clinic's references when saved."""

    confirm_implausible = serializers.BooleanField(default=False, write_only=True)

    class Meta(GrowthMeasurementSerializer.Meta):
        fields = (*GROWTH_ENTRY_FIELDS, "confirm_implausible")
        read_only_fields = ()
