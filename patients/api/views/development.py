"""Denver II assessments and milestone attainments, with the interpretations stored for them."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view

from patients import models as m
from patients.api import filters, scopes
from patients.api.serializers.development import (
    DenverAssessmentInputSerializer,
    DenverAssessmentSerializer,
    MilestoneAttainmentInputSerializer,
    MilestoneAttainmentSerializer,
)
from patients.api.views.base import ApiViewSet, AuditedReadMixin, HistoryMixin, VoidMixin
from patients.api.views.writes import CreateMixin
from patients.services.api_development import record_denver
from patients.services.development import record_milestone


@extend_schema_view(
    create=extend_schema(
        request=DenverAssessmentInputSerializer,
        responses={201: DenverAssessmentSerializer},
        description="Raw item scores (P, F, R, NO by item code such as language:24) are "
        "interpreted with the default Denver II norm table: each item, each sector and the "
        "test, stored with the norm table and rules versions. An assessment known only from "
        "a report is given as the report's sector conclusions instead.",
    )
)
class DenverAssessmentViewSet(AuditedReadMixin, CreateMixin, VoidMixin, HistoryMixin, ApiViewSet):
    model = m.DenverAssessment
    scope = staticmethod(scopes.denver_assessments)
    serializer_class = DenverAssessmentSerializer
    action_serializers = {"create": DenverAssessmentInputSerializer}
    filterset_class = filters.DenverAssessmentFilter
    ordering_fields = ["assessed_on", "created_at"]
    ordering = ["-assessed_on", "id"]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return (
            super()
            .with_related(queryset)
            .prefetch_related(
                Prefetch(
                    "item_results",
                    queryset=m.DenverItemResult.objects.active().order_by("item_code"),
                    to_attr="active_items",
                ),
                Prefetch(
                    "sector_findings",
                    queryset=m.DenverSectorFinding.objects.active().order_by("sector"),
                    to_attr="active_sector_findings",
                ),
            )
        )

    def perform_write(self, data, request) -> m.DenverAssessment:
        return record_denver(actor=request.user, **data)


@extend_schema_view(
    create=extend_schema(
        request=MilestoneAttainmentInputSerializer,
        responses={201: MilestoneAttainmentSerializer},
        description="The age (as parents report it) or the date (as staff saw it) a milestone "
        "was reached; its timing against the WHO or Denver II window is stored with the window.",
    )
)
class MilestoneAttainmentViewSet(
    AuditedReadMixin, CreateMixin, VoidMixin, HistoryMixin, ApiViewSet
):
    model = m.MilestoneAttainment
    scope = staticmethod(scopes.milestone_attainments)
    serializer_class = MilestoneAttainmentSerializer
    action_serializers = {"create": MilestoneAttainmentInputSerializer}
    filterset_class = filters.MilestoneAttainmentFilter
    ordering_fields = ["milestone", "created_at"]
    ordering = ["milestone", "id"]

    def perform_write(self, data, request) -> m.MilestoneAttainment:
        return record_milestone(actor=request.user, **data)
