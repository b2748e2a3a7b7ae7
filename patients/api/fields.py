"""Serializer fields shared by the API."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Model, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from patients.models import User


class ScopedRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by UUID to a row in the caller's scope.

    A row outside the scope is "does not exist", exactly like an unknown id, so a write never
    tells whether another clinic's row exists. A voided row is refused by name: nothing new is
    recorded on a record that was voided.
    """

    def __init__(
        self,
        *,
        model: type[Model],
        scope: Callable[[User], QuerySet],
        refuse_voided: bool = True,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("pk_field", serializers.UUIDField())
        # The unscoped queryset only tells the schema which model (and key type) is meant; every
        # lookup goes through get_queryset.
        super().__init__(queryset=model._default_manager.all(), **kwargs)
        self.scope = scope
        self.refuse_voided = refuse_voided

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        if request is None:
            return self.queryset.none()
        return self.scope(request.user)

    def to_internal_value(self, data: Any) -> Model:
        row = super().to_internal_value(data)
        if self.refuse_voided and getattr(row, "is_voided", False):
            raise serializers.ValidationError(
                f"This {row._meta.verbose_name} was voided; nothing can be recorded on it."
            )
        return row


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


@extend_schema_field(OpenApiTypes.OBJECT)
class DocumentJSONField(serializers.JSONField):
    """A JSON document (an object); NUL characters are refused, as for every text field, because
    PostgreSQL cannot store them."""

    default_error_messages = {
        "nul": "Null characters are not allowed.",
        "not_object": "Expected a JSON object.",
    }

    def to_internal_value(self, data: Any) -> Any:
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        if _has_nul(value):
            self.fail("nul")
        return value
