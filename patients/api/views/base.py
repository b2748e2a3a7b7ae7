"""What every endpoint shares: roles, scoped rows, the access log, voiding and history."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from patients.api import scopes
from patients.api.exceptions import validation_detail
from patients.api.metadata import DescribedMetadata
from patients.api.permissions import CLINICAL, LEAD, HasRole, caller_roles
from patients.api.serializers.audit import HistoryEntrySerializer
from patients.api.serializers.base import VoidSerializer
from patients.models import AccessAction, Infant, User
from patients.services.audit import log_access
from patients.services.records import void_record


class ApiViewSet(viewsets.GenericViewSet):
    """Rows come from ``scope(user)`` only; ``roles`` says who may call each action at all."""

    lookup_value_converter = "uuid"
    permission_classes = [IsAuthenticated, HasRole]
    http_method_names = ["get", "post", "patch", "head", "options"]
    metadata_class = DescribedMetadata

    model: ClassVar[type[Model]]
    #: The rows the caller may reach, voided included (patients.api.scopes).
    scope: ClassVar[Callable[[User], QuerySet]]
    #: Action name to the roles that may call it; "*" for every other action.
    roles: ClassVar[Mapping[str, tuple[str, ...]]] = {"*": (CLINICAL,), "history": (LEAD,)}
    #: Serializers per action, falling back to serializer_class.
    action_serializers: ClassVar[Mapping[str, type]] = {}

    def get_serializer_class(self):
        return self.action_serializers.get(self.action, self.serializer_class)

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.with_related(self.scoped_rows())

    def scoped_rows(self) -> QuerySet:
        """The rows of ``scope`` for the caller, before ``with_related``."""
        return type(self).scope(self.request.user)

    def with_related(self, queryset: QuerySet) -> QuerySet:
        """What the serializer reads, fetched with the rows (a constant number of queries)."""
        return queryset

    def get_object(self) -> Any:
        # A detail is looked up in the whole scope: the list's filters (active rows only by
        # default) do not apply, so a voided record stays readable.
        row = get_object_or_404(self.get_queryset(), pk=self.kwargs[self.lookup_field])
        self.check_object_permissions(self.request, row)
        return row


def _reader_clinics(request: Request, infant: Infant | None) -> list[uuid.UUID] | None:
    """The reader's clinics for the access log, when the row needs them (no infant to take the
    clinic from). They come with the caller's roles, which the role check of a clinical endpoint
    has read already, so the log does not ask ``clinics_for`` again; on a guardian's endpoint
    they cost the one query the log would have made."""
    if infant is not None:
        return None
    return caller_roles(request).clinical_clinic_ids


class AuditedReadMixin:
    """Every list and every detail read of a patient's record writes one access-log row.

    ``infant_path`` leads from a row to its infant (for the log's patient column); None when the
    record is not one infant's (a mother) or the row is the infant itself (see ``infant_of``).
    """

    infant_path: ClassVar[str | None] = "infant"

    def infant_of(self, row: Model) -> Infant | None:
        if self.infant_path is None:
            return None
        value: Any = row
        for part in self.infant_path.split("__"):
            value = getattr(value, part)
            if value is None:
                return None
        return value

    def with_related(self, queryset: QuerySet) -> QuerySet:
        queryset = super().with_related(queryset)  # type: ignore[misc]
        return queryset.select_related(self.infant_path) if self.infant_path else queryset

    def listed_infant(self, request: Request) -> Infant | None:
        """The infant a list was narrowed to with ``?infant=``, when the caller may see it."""
        wanted = request.query_params.get("infant")
        if not wanted:
            return None
        try:
            return self.infant_scope(request.user).filter(pk=wanted).first()
        except DjangoValidationError:  # not a UUID: the filter refused it already
            return None

    def infant_scope(self, user: User) -> QuerySet[Infant]:
        """The infants a ``?infant=`` filter may name for this caller (for the log)."""
        return scopes.infants(user)

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        queryset = view.filter_queryset(view.get_queryset())
        page = view.paginate_queryset(queryset)
        data = view.get_serializer(page, many=True).data
        response = view.get_paginated_response(data)
        infant = self.listed_infant(request)
        log_access(
            request,
            action=AccessAction.LIST,
            resource=view.model,
            infant=infant,
            reader_clinics=_reader_clinics(request, infant),
        )
        return response

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        row = view.get_object()
        data = view.get_serializer(row).data
        infant = self.infant_of(row)
        log_access(
            request,
            action=AccessAction.READ,
            resource=view.model,
            infant=infant,
            object_id=row.pk,
            reader_clinics=_reader_clinics(request, infant),
        )
        return Response(data)


class VoidMixin:
    """Voiding replaces deletion: POST {id}/void/ with a reason; the row stays with its history."""

    @extend_schema(
        request=VoidSerializer,
        summary="Void the record with a reason",
        description="The record stays readable with its history and leaves the active lists. "
        "A voided record cannot be changed or voided again.",
    )
    @action(detail=True, methods=["post"])
    def void(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        row = view.get_object()
        given = VoidSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        try:
            void_record(row, actor=request.user, reason=given.validated_data["reason"])
        except DjangoValidationError as error:
            detail = validation_detail(error)
            if "void_reason" in detail:
                detail["reason"] = detail.pop("void_reason")
            return Response(detail, status=status.HTTP_400_BAD_REQUEST)
        return Response(view.get_serializer(view.get_object()).data)


class HistoryMixin:
    """Leads read every version of a record: who changed what, and when."""

    @extend_schema(
        responses=HistoryEntrySerializer(many=True),
        summary="Every version of the record, newest first (clinic leads)",
        filters=False,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def history(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        view: Any = self
        row = view.get_object()
        versions = row.history.select_related("history_user").order_by(
            "-history_date", "-history_id"
        )
        page = view.paginate_queryset(versions)
        data = HistoryEntrySerializer(page, many=True).data
        response = view.get_paginated_response(data)
        infant = view.infant_of(row) if hasattr(view, "infant_of") else None
        log_access(
            request,
            action=AccessAction.HISTORY,
            resource=view.model,
            infant=infant,
            object_id=row.pk,
            reader_clinics=_reader_clinics(request, infant),
        )
        return response
