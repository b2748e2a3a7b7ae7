"""Alerts raised for staff, and the reminders planned for guardians."""

from __future__ import annotations

from rest_framework import serializers

from patients import models as m
from patients.api.serializers.base import ModelSerializer


class AlertSerializer(ModelSerializer):
    infant = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    acknowledged_by = serializers.PrimaryKeyRelatedField(
        read_only=True, pk_field=serializers.UUIDField()
    )
    evidence = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(ModelSerializer.Meta):
        model = m.Alert
        fields = (
            "id",
            "infant",
            "code",
            "severity",
            "message",
            "evidence",
            "source",
            "rules_version",
            "raised_at",
            "acknowledged_at",
            "acknowledged_by",
            "resolved_at",
        )
        read_only_fields = fields


class PlannedMessageSerializer(ModelSerializer):
    """A reminder to a guardian: what it is about, when it is due and what became of it."""

    guardian = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    infant = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    planned_dose = serializers.PrimaryKeyRelatedField(
        read_only=True, pk_field=serializers.UUIDField()
    )
    visit = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())

    class Meta(ModelSerializer.Meta):
        model = m.PlannedMessage
        fields = (
            "id",
            "guardian",
            "infant",
            "planned_dose",
            "visit",
            "kind",
            "channel",
            "due_at",
            "event_on",
            "status",
            "attempts",
            "sent_at",
            "acknowledged_at",
            "provider_message_id",
            "last_error",
            "created_at",
            "updated_at",
        )
        read_only_fields = fields
