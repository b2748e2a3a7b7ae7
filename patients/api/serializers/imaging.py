"""Imaging studies with their structured findings."""

from __future__ import annotations

from patients import models as m
from patients.api import scopes
from patients.api.fields import ScopedRelatedField
from patients.api.serializers.base import (
    CLINICAL_RECORD_FIELDS,
    ClinicalRecordSerializer,
    ModelSerializer,
)

FINDING_ENTRY_FIELDS = ("finding_type", "region", "side", "severity", "notes")
STUDY_ENTRY_FIELDS = (
    "infant",
    "visit",
    "modality",
    "body_site",
    "performed_on",
    "impression",
    "compared_with",
    "comparison",
)


class ImagingFindingSerializer(ClinicalRecordSerializer):
    study = ScopedRelatedField(model=m.ImagingStudy, scope=scopes.imaging_studies)

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.ImagingFinding
        fields = (*CLINICAL_RECORD_FIELDS, "study", *FINDING_ENTRY_FIELDS)


class ImagingFindingEntrySerializer(ModelSerializer):
    """A finding given with its study."""

    class Meta(ModelSerializer.Meta):
        model = m.ImagingFinding
        fields = FINDING_ENTRY_FIELDS


class StudyFindingSerializer(ClinicalRecordSerializer):
    """A finding as shown inside its study."""

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.ImagingFinding
        fields = (*CLINICAL_RECORD_FIELDS, *FINDING_ENTRY_FIELDS)


class ImagingStudySerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)
    visit = ScopedRelatedField(model=m.Visit, scope=scopes.visits, required=False, allow_null=True)
    compared_with = ScopedRelatedField(
        model=m.ImagingStudy, scope=scopes.imaging_studies, required=False, allow_null=True
    )
    findings = StudyFindingSerializer(source="active_findings", many=True, read_only=True)

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.ImagingStudy
        fields = (*CLINICAL_RECORD_FIELDS, *STUDY_ENTRY_FIELDS, "findings")


class ImagingStudyInputSerializer(ImagingStudySerializer):
    """A study with the findings read on it, saved together."""

    findings = ImagingFindingEntrySerializer(many=True, required=False, max_length=100)

    class Meta(ImagingStudySerializer.Meta):
        fields = (*STUDY_ENTRY_FIELDS, "findings")
        read_only_fields = ()


class ImagingStudyUpdateSerializer(ImagingStudySerializer):
    """A study stays with its infant; its findings are added or voided on their own."""

    class Meta(ImagingStudySerializer.Meta):
        fields = tuple(name for name in STUDY_ENTRY_FIELDS if name != "infant")
        read_only_fields = ()
