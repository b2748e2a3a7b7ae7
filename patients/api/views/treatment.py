"""Treatment courses with their plan, planned doses, dose administrations and adverse events."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from patients import models as m
from patients.api import filters, scopes
from patients.api.serializers.treatment import (
    AdverseEventSerializer,
    AdverseEventUpdateSerializer,
    CourseEventSerializer,
    DoseAdministrationInputSerializer,
    DoseAdministrationSerializer,
    PlannedDoseSerializer,
    TreatmentCourseInputSerializer,
    TreatmentCourseSerializer,
)
from patients.api.views.base import ApiViewSet, AuditedReadMixin, HistoryMixin, VoidMixin
from patients.api.views.writes import CreateMixin, UpdateMixin
from patients.models.treatment import PlannedDoseStatus
from patients.services.records import create_record, update_record
from patients.services.regimens import start_course_from_regimen
from patients.services.treatment import record_administration, record_course_event


def _current_doses() -> Prefetch:
    # The plan as it stands: doses replaced by a re-plan are history, read through history/.
    return Prefetch(
        "planned_doses",
        queryset=m.PlannedDose.objects.active()
        .exclude(status=PlannedDoseStatus.SUPERSEDED)
        .order_by("due_on", "number"),
        to_attr="current_doses",
    )


@extend_schema_view(
    create=extend_schema(
        request=TreatmentCourseInputSerializer,
        responses={201: TreatmentCourseSerializer},
        description="Start a course from a regimen of the library (shipped, or the infant's "
        "clinic's own). The course keeps a copy of the regimen version, and every dose is "
        "planned at once (open-ended phases up to the planning horizon).",
    )
)
class TreatmentCourseViewSet(AuditedReadMixin, CreateMixin, VoidMixin, HistoryMixin, ApiViewSet):
    model = m.TreatmentCourse
    scope = staticmethod(scopes.treatment_courses)
    serializer_class = TreatmentCourseSerializer
    action_serializers = {"create": TreatmentCourseInputSerializer}
    filterset_class = filters.TreatmentCourseFilter
    ordering_fields = ["started_on", "created_at"]
    ordering = ["-started_on", "id"]

    def with_related(self, queryset: QuerySet) -> QuerySet:
        return (
            super()
            .with_related(queryset)
            .prefetch_related(
                _current_doses(),
                Prefetch(
                    "events",
                    queryset=m.CourseEvent.objects.active().order_by("on", "created_at"),
                    to_attr="active_events",
                ),
            )
        )

    def perform_write(self, data, request) -> m.TreatmentCourse:
        return start_course_from_regimen(actor=request.user, **data)

    @extend_schema(
        request=CourseEventSerializer,
        responses={201: TreatmentCourseSerializer},
        summary="Record a missed dose, an advance, a change or a stop, and re-plan",
        description="The plan is recomputed from the event's day on: earlier doses are never "
        "rewritten, later pending ones are replaced (kept in the history), and the guardians' "
        "reminders follow. Answers the course with its new plan.",
    )
    @action(detail=True, methods=["post"])
    def events(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        course = self.get_object()
        given = CourseEventSerializer(data=request.data, context=self.get_serializer_context())
        given.is_valid(raise_exception=True)
        record_course_event(course, actor=request.user, **given.validated_data)
        return Response(self.answer(course), status=status.HTTP_201_CREATED)


class PlannedDoseViewSet(
    AuditedReadMixin, HistoryMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    """Planned doses are written by the plan of their course, never by hand."""

    model = m.PlannedDose
    scope = staticmethod(scopes.planned_doses)
    serializer_class = PlannedDoseSerializer
    filterset_class = filters.PlannedDoseFilter
    ordering_fields = ["due_on", "number"]
    ordering = ["due_on", "number", "id"]
    infant_path = "course__infant"


@extend_schema_view(
    create=extend_schema(
        request=DoseAdministrationInputSerializer,
        responses={201: DoseAdministrationSerializer},
        description="Record a planned dose as given (by whom, where, which site and lot); the "
        "dose, unit and route are the plan's. A dose of a voided course is refused.",
    )
)
class DoseAdministrationViewSet(AuditedReadMixin, CreateMixin, VoidMixin, HistoryMixin, ApiViewSet):
    model = m.DoseAdministration
    scope = staticmethod(scopes.dose_administrations)
    serializer_class = DoseAdministrationSerializer
    action_serializers = {"create": DoseAdministrationInputSerializer}
    filterset_class = filters.DoseAdministrationFilter
    ordering_fields = ["given_on", "created_at"]
    ordering = ["-given_on", "id"]
    infant_path = "course__infant"

    def perform_write(self, data, request) -> m.DoseAdministration:
        planned = data.pop("planned_dose")
        return record_administration(planned, actor=request.user, **data)


@extend_schema_view(
    partial_update=extend_schema(
        request=AdverseEventUpdateSerializer, responses=AdverseEventSerializer
    )
)
class AdverseEventViewSet(
    AuditedReadMixin, CreateMixin, UpdateMixin, VoidMixin, HistoryMixin, ApiViewSet
):
    model = m.AdverseEvent
    scope = staticmethod(scopes.adverse_events)
    serializer_class = AdverseEventSerializer
    action_serializers = {"partial_update": AdverseEventUpdateSerializer}
    filterset_class = filters.AdverseEventFilter
    ordering_fields = ["onset_on", "created_at"]
    ordering = ["-onset_on", "id"]

    def perform_write(self, data, request) -> m.AdverseEvent:
        return create_record(m.AdverseEvent, actor=request.user, **data)

    def perform_update(self, row, data, request) -> m.AdverseEvent:
        return update_record(row, actor=request.user, **data)
