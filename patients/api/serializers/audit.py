"""The access log and the history of a record, as leads read them."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients import models as m
from patients.api.serializers.base import ModelSerializer, Serializer


class RecordAccessSerializer(ModelSerializer):
    user = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    user_name = serializers.CharField(source="user.username", read_only=True)
    infant = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())

    class Meta(ModelSerializer.Meta):
        model = m.RecordAccess
        fields = (
            "id",
            "at",
            "user",
            "user_name",
            "infant",
            "action",
            "resource",
            "object_id",
            "method",
            "path",
            "ip_address",
            "user_agent",
        )
        read_only_fields = fields


HISTORY_TYPES = [("+", "Created"), ("~", "Changed"), ("-", "Deleted")]


class HistoryEntrySerializer(Serializer):
    """One version of a record: who saved it, when, why, and every column as it then was."""

    glossary = "history"

    history_id = serializers.IntegerField()
    history_date = serializers.DateTimeField()
    history_type = serializers.ChoiceField(choices=HISTORY_TYPES)
    history_user = serializers.PrimaryKeyRelatedField(
        read_only=True, pk_field=serializers.UUIDField(), allow_null=True
    )
    history_user_name = serializers.CharField(
        source="history_user.username", read_only=True, allow_null=True, default=None
    )
    history_change_reason = serializers.CharField(allow_null=True)
    values = serializers.SerializerMethodField()

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"type": "string", "nullable": True}}
    )
    def get_values(self, entry) -> dict[str, str | None]:
        # Every tracked column as text, as Django serialises it (dates ISO, decimals exact).
        record_fields = entry.instance_type._meta.concrete_fields
        tracked = {f.attname for f in entry._meta.concrete_fields}
        values: dict[str, str | None] = {}
        for field in record_fields:
            if field.attname not in tracked:
                continue
            value = getattr(entry, field.attname)
            values[field.attname] = None if value is None else field.value_to_string(entry)
        return values
