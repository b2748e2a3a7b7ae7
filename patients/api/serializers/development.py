"""Denver II assessments (item results, sector summaries and findings) and milestones."""

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
from patients.models.development import DenverScore


class DenverItemResultSerializer(ModelSerializer):
    class Meta(ModelSerializer.Meta):
        model = m.DenverItemResult
        fields = ("id", "item_code", "score", "interpretation")
        read_only_fields = fields


class DenverSectorFindingSerializer(ModelSerializer):
    class Meta(ModelSerializer.Meta):
        model = m.DenverSectorFinding
        fields = ("id", "sector", "conclusion", "source_text")
        read_only_fields = ("id",)


class SectorCountsSerializer(Serializer):
    """How many of the sector's items got each interpretation."""

    glossary = "sectorcounts"

    # Named as the interpretations are (DenverItemInterpretation), which are the stored keys.
    advanced = serializers.IntegerField()
    normal = serializers.IntegerField()
    caution = serializers.IntegerField()
    delayed = serializers.IntegerField()
    no_opportunity = serializers.IntegerField()


class DevelopmentalAgeSerializer(Serializer):
    glossary = "developmentalage"

    months = serializers.FloatField()
    kind = serializers.CharField()


class SectorSummarySerializer(Serializer):
    """A sector's interpretation counts and developmental age, as computed with the norm table."""

    glossary = "sectorsummary"

    sector = serializers.ChoiceField(choices=m.development.DenverSector.choices)
    counts = SectorCountsSerializer()
    developmental_age = DevelopmentalAgeSerializer(allow_null=True)


DENVER_COMPUTED_FIELDS = (
    "age_line_months",
    "age_corrected",
    "norm_version",
    "rules_version",
    "test_result",
    "recommendation",
)


class DenverAssessmentSerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)
    visit = ScopedRelatedField(model=m.Visit, scope=scopes.visits, required=False, allow_null=True)
    examiner = ScopedRelatedField(
        model=m.User, scope=scopes.clinicians, required=False, allow_null=True
    )
    item_results = DenverItemResultSerializer(source="active_items", many=True, read_only=True)
    sector_summaries = SectorSummarySerializer(many=True, read_only=True)
    sector_findings = DenverSectorFindingSerializer(
        source="active_sector_findings", many=True, read_only=True
    )

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.DenverAssessment
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "infant",
            "visit",
            "assessed_on",
            "examiner",
            "notes",
            *DENVER_COMPUTED_FIELDS,
            "item_results",
            "sector_summaries",
            "sector_findings",
        )
        read_only_fields = (*CLINICAL_RECORD_FIELDS, *DENVER_COMPUTED_FIELDS)


class DenverAssessmentInputSerializer(DenverAssessmentSerializer):
    """A Denver II: raw item scores to be interpreted, or, for an assessment known only from a
    report, the sector conclusions the report gives (never both)."""

    scores = serializers.DictField(
        child=serializers.ChoiceField(choices=DenverScore.choices),
        required=False,
    )
    sector_findings = DenverSectorFindingSerializer(many=True, required=False, max_length=4)

    class Meta(DenverAssessmentSerializer.Meta):
        fields = (
            "infant",
            "visit",
            "assessed_on",
            "examiner",
            "notes",
            "scores",
            "sector_findings",
        )
        read_only_fields = ()


MILESTONE_COMPUTED_FIELDS = ("timing", "age_used_months", "age_corrected", "window_reference")


class MilestoneAttainmentSerializer(ClinicalRecordSerializer):
    infant = ScopedRelatedField(model=m.Infant, scope=scopes.infants)

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.MilestoneAttainment
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "infant",
            "milestone",
            "attained_age_months",
            "attained_on",
            "source",
            "notes",
            *MILESTONE_COMPUTED_FIELDS,
        )
        read_only_fields = (*CLINICAL_RECORD_FIELDS, *MILESTONE_COMPUTED_FIELDS)


class MilestoneAttainmentInputSerializer(MilestoneAttainmentSerializer):
    """When a milestone was reached: the age parents report, or the date staff saw it."""

    class Meta(MilestoneAttainmentSerializer.Meta):
        fields = ("infant", "milestone", "attained_age_months", "attained_on", "source", "notes")
        read_only_fields = ()
