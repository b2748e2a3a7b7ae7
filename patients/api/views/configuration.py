"""Clinics and the regimen library (administrators configure them) and the regimen preview."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from patients import models as m
from patients.api import filters, scopes
from patients.api.permissions import ADMINISTRATOR, CLINICAL
from patients.api.serializers.configuration import (
    ClinicSerializer,
    RegimenInputSerializer,
    RegimenPreviewInputSerializer,
    RegimenPreviewSerializer,
    RegimenSerializer,
)
from patients.api.views.base import ApiViewSet
from patients.api.views.writes import CreateMixin, UpdateMixin
from patients.services.api_configuration import save_clinic
from patients.services.regimens import preview_regimen, save_clinic_regimen


@extend_schema_view(
    list=extend_schema(summary="Clinics: every clinic for administrators, staff their own"),
)
class ClinicViewSet(
    CreateMixin, UpdateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet
):
    model = m.Clinic
    scope = staticmethod(scopes.clinics)
    roles = {
        "*": (CLINICAL, ADMINISTRATOR),
        "create": (ADMINISTRATOR,),
        "partial_update": (ADMINISTRATOR,),
    }
    serializer_class = ClinicSerializer
    filterset_class = None
    ordering_fields = ["name", "created_at"]
    ordering = ["name", "id"]

    def perform_write(self, data, request) -> m.Clinic:
        return save_clinic(actor=request.user, **data)

    def perform_update(self, row, data, request) -> m.Clinic:
        return save_clinic(actor=request.user, clinic=row, **data)


@extend_schema_view(
    create=extend_schema(
        request=RegimenInputSerializer,
        responses={201: RegimenSerializer},
        summary="Store a clinic's regimen (administrators)",
        description="A new or edited regimen is stored as the next version of its key; running "
        "courses keep the version they started from. The definition is checked whole.",
    ),
)
class RegimenViewSet(CreateMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    model = m.Regimen
    scope = staticmethod(scopes.regimens)
    roles = {"*": (CLINICAL, ADMINISTRATOR), "create": (ADMINISTRATOR,)}
    serializer_class = RegimenSerializer
    action_serializers = {"create": RegimenInputSerializer}
    filterset_class = filters.RegimenFilter
    ordering_fields = ["name", "key", "version", "created_at"]
    ordering = ["name", "-version", "id"]

    def perform_write(self, data, request) -> m.Regimen:
        return save_clinic_regimen(actor=request.user, **data)

    @extend_schema(
        request=RegimenPreviewInputSerializer,
        responses=RegimenPreviewSerializer,
        summary="Preview the calendar the regimen would plan at a clinic; nothing is saved",
        description="Every dose and review point from the start date, with the clinic's "
        "closing days applied; open-ended phases up to the horizon (by default the planning "
        "horizon of a new course).",
    )
    @action(detail=True, methods=["post"])
    def preview(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        regimen = self.get_object()
        given = RegimenPreviewInputSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        given.is_valid(raise_exception=True)
        clinic = given.validated_data["clinic"]
        plan = preview_regimen(
            regimen=regimen,
            clinic=clinic,
            start=given.validated_data["start"],
            horizon=given.validated_data.get("horizon"),
        )
        answer = {
            "regimen": regimen.pk,
            "clinic": clinic.pk,
            "start": plan.start,
            "horizon": plan.horizon,
            "doses": plan.doses,
            "review_points": plan.review_points,
        }
        return Response(RegimenPreviewSerializer(answer).data)
