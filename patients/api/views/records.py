"""Visits, growth measurements, laboratory results and imaging studies with their findings.

Growth, laboratory and imaging interpretations are stored with the reference or rule that made
them, so those records are not edited in place: a wrong entry is voided and entered again.
"""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view

from patients import models as m
from patients.api import filters, scopes
from patients.api.serializers.imaging import (
    ImagingFindingSerializer,
    ImagingStudyInputSerializer,
    ImagingStudySerializer,
    ImagingStudyUpdateSerializer,
)
from patients.api.serializers.labs import LabResultInputSerializer, LabResultSerializer
from patients.api.serializers.visits import (
    GrowthMeasurementInputSerializer,
    GrowthMeasurementSerializer,
    VisitSerializer,
    VisitUpdateSerializer,
)
from patients.api.views.base import ApiViewSet, AuditedReadMixin, HistoryMixin, VoidMixin
from patients.api.views.writes import CreateMixin, UpdateMixin
from patients.services.api_imaging import record_imaging_study
from patients.services.growth import record_growth
from patients.services.labs import record_lab_result
from patients.services.records import create_record, update_record


@extend_schema_view(
    partial_update=extend_schema(request=VisitUpdateSerializer, responses=VisitSerializer)
)
class VisitViewSet(AuditedReadMixin, CreateMixin, UpdateMixin, VoidMixin, HistoryMixin, ApiViewSet):
    model = m.Visit
    scope = staticmethod(scopes.visits)
    serializer_class = VisitSerializer
    action_serializers = {"partial_update": VisitUpdateSerializer}
    filterset_class = filters.VisitFilter
    ordering_fields = ["visit_date", "created_at"]
    ordering = ["-visit_date", "id"]

    def perform_write(self, data, request) -> m.Visit:
        return create_record(m.Visit, actor=request.user, **data)

    def perform_update(self, row, data, request) -> m.Visit:
        return update_record(row, actor=request.user, **data)


@extend_schema_view(
    create=extend_schema(
        request=GrowthMeasurementInputSerializer,
        responses={201: GrowthMeasurementSerializer},
        description="Weight, length and head circumference of one day, scored against WHO 2006 "
        "and the clinic's own references. A value WHO considers biologically implausible for "
        "the age is refused on its field unless confirm_implausible is true.",
    )
)
class GrowthMeasurementViewSet(AuditedReadMixin, CreateMixin, VoidMixin, HistoryMixin, ApiViewSet):
    model = m.GrowthMeasurement
    scope = staticmethod(scopes.growth_measurements)
    serializer_class = GrowthMeasurementSerializer
    action_serializers = {"create": GrowthMeasurementInputSerializer}
    filterset_class = filters.GrowthMeasurementFilter
    ordering_fields = ["measured_on", "created_at"]
    ordering = ["-measured_on", "id"]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return super().with_related(queryset).prefetch_related("scores")

    def perform_write(self, data, request) -> m.GrowthMeasurement:
        return record_growth(actor=request.user, **data)


@extend_schema_view(
    create=extend_schema(
        request=LabResultInputSerializer,
        responses={201: LabResultSerializer},
        description="A result of the infant or of the mother (one of the two), as a value with "
        "its unit (and comparator for a censored result such as <150), or the laboratory's "
        "words. The flag, the range used, the canonical value and the B12 status are computed "
        "and stored with the rule and threshold set that produced them.",
    )
)
class LabResultViewSet(AuditedReadMixin, CreateMixin, VoidMixin, HistoryMixin, ApiViewSet):
    model = m.LabResult
    scope = staticmethod(scopes.lab_results)
    serializer_class = LabResultSerializer
    action_serializers = {"create": LabResultInputSerializer}
    filterset_class = filters.LabResultFilter
    ordering_fields = ["collected_on", "analyte", "created_at"]
    ordering = ["-collected_on", "analyte", "id"]

    def perform_write(self, data, request) -> m.LabResult:
        return record_lab_result(actor=request.user, **data)


def _active_findings() -> Prefetch:
    return Prefetch(
        "findings",
        queryset=m.ImagingFinding.objects.active().order_by("finding_type", "region", "id"),
        to_attr="active_findings",
    )


@extend_schema_view(
    create=extend_schema(
        request=ImagingStudyInputSerializer,
        responses={201: ImagingStudySerializer},
        description="A study with the findings read on it, saved together or not at all.",
    ),
    partial_update=extend_schema(
        request=ImagingStudyUpdateSerializer, responses=ImagingStudySerializer
    ),
)
class ImagingStudyViewSet(
    AuditedReadMixin, CreateMixin, UpdateMixin, VoidMixin, HistoryMixin, ApiViewSet
):
    model = m.ImagingStudy
    scope = staticmethod(scopes.imaging_studies)
    serializer_class = ImagingStudySerializer
    action_serializers = {
        "create": ImagingStudyInputSerializer,
        "partial_update": ImagingStudyUpdateSerializer,
    }
    filterset_class = filters.ImagingStudyFilter
    ordering_fields = ["performed_on", "created_at"]
    ordering = ["-performed_on", "id"]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return super().with_related(queryset).prefetch_related(_active_findings())

    def perform_write(self, data, request) -> m.ImagingStudy:
        return record_imaging_study(actor=request.user, **data)

    def perform_update(self, row, data, request) -> m.ImagingStudy:
        return update_record(row, actor=request.user, **data)


class ImagingFindingViewSet(AuditedReadMixin, CreateMixin, VoidMixin, HistoryMixin, ApiViewSet):
    model = m.ImagingFinding
    scope = staticmethod(scopes.imaging_findings)
    serializer_class = ImagingFindingSerializer
    filterset_class = filters.ImagingFindingFilter
    ordering_fields = ["created_at", "finding_type"]
    ordering = ["study", "finding_type", "region", "id"]
    infant_path = "study__infant"

    def perform_write(self, data, request) -> m.ImagingFinding:
        return create_record(m.ImagingFinding, actor=request.user, **data)
