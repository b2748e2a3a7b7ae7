"""Alerts for staff to see and acknowledge; reminders for guardians to read and acknowledge."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from patients import models as m
from patients.api import filters, scopes
from patients.api.permissions import CLINICAL, GUARDIAN, LEAD
from patients.api.serializers.messaging import AlertSerializer, PlannedMessageSerializer
from patients.api.views.base import ApiViewSet, AuditedReadMixin, HistoryMixin
from patients.services.alerts import acknowledge_alert
from patients.services.reminders import acknowledge_reminder


class AlertViewSet(AuditedReadMixin, HistoryMixin, ApiViewSet):
    """Safety rules and overdue monitoring items, raised and resolved by the rules themselves."""

    model = m.Alert
    scope = staticmethod(scopes.alerts)
    serializer_class = AlertSerializer
    filterset_class = filters.AlertFilter
    ordering_fields = ["raised_at", "severity"]
    ordering = ["-raised_at", "id"]

    @extend_schema(
        request=None,
        summary="Acknowledge the alert",
        description="Records that a member of staff has seen it; the first acknowledgement is "
        "kept. A resolved alert may still be acknowledged.",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        alert = self.get_object()
        acknowledge_alert(alert, actor=request.user, now=timezone.now())
        return Response(self.get_serializer(self.get_object()).data)


@extend_schema_view(
    list=extend_schema(
        summary="Reminders: staff see their clinics' infants', guardians their own",
    )
)
class ReminderViewSet(AuditedReadMixin, ApiViewSet):
    """Planned reminder messages with their status; a guardian acknowledges their own."""

    model = m.PlannedMessage
    scope = staticmethod(scopes.reminders)
    roles = {"*": (CLINICAL, GUARDIAN), "history": (LEAD,)}
    serializer_class = PlannedMessageSerializer
    filterset_class = filters.PlannedMessageFilter
    ordering_fields = ["due_at", "event_on"]
    ordering = ["due_at", "id"]

    def infant_scope(self, user):
        return scopes.infants(user) | scopes.children(user)

    @extend_schema(
        request=None,
        summary="Acknowledge a reminder (its guardian only)",
        description="The guardian says they have seen a reminder that was sent; the first time "
        "is kept. Only the guardian it was sent to may acknowledge it.",
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        message = self.get_object()
        acknowledge_reminder(message, guardian_user=request.user, now=timezone.now())
        return Response(self.get_serializer(self.get_object()).data)
