"""Laboratory results with the flag, the range and the B12 status computed for them."""

from __future__ import annotations

from rest_framework import serializers

from patients import models as m
from patients.api import scopes
from patients.api.fields import ScopedRelatedField
from patients.api.serializers.base import CLINICAL_RECORD_FIELDS, ClinicalRecordSerializer

LAB_ENTRY_FIELDS = (
    "infant",
    "mother",
    "visit",
    "analyte",
    "specimen",
    "collected_on",
    "collected_time",
    "comparator",
    "value",
    "unit",
    "reported_text",
    "reference_low",
    "reference_high",
    "reference_source",
    "lab_name",
    "notes",
)
LAB_COMPUTED_FIELDS = (
    "result_text",
    "canonical_value",
    "canonical_unit",
    "flag",
    "flag_rule",
    "b12_status",
    "b12_threshold_set",
)


class LabResultSerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(
        model=m.Infant, scope=scopes.infants, required=False, allow_null=True
    )
    mother = ScopedRelatedField(
        model=m.Mother, scope=scopes.mothers, required=False, allow_null=True
    )
    visit = ScopedRelatedField(model=m.Visit, scope=scopes.visits, required=False, allow_null=True)
    result_text = serializers.CharField(read_only=True)

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.LabResult
        fields = (*CLINICAL_RECORD_FIELDS, *LAB_ENTRY_FIELDS, *LAB_COMPUTED_FIELDS)
        read_only_fields = (*CLINICAL_RECORD_FIELDS, *LAB_COMPUTED_FIELDS)


class LabResultInputSerializer(LabResultSerializer):
    """A result as the laboratory reported it; the flag and B12 status are computed on saving."""

    class Meta(LabResultSerializer.Meta):
        fields = LAB_ENTRY_FIELDS
        read_only_fields = ()
