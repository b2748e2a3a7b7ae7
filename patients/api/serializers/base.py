"""What every serializer of the API shares: described fields and the common clinical columns."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

from patients.api.descriptions import describe

CLINICAL_RECORD_FIELDS = ("id", "created_at", "updated_at", "voided_at", "voided_by", "void_reason")


# Only the readers of descriptions ask for them: the schema generator (the extension below) and
# OPTIONS (patients.api.metadata). DRF builds a serializer's fields afresh for every request and no
# list or detail answer shows a description, so describing them there was work for nobody on every
# request (docs/BENCHMARKS.md, infant detail). The docstring below is the schema's description of
# every serializer that has none of its own: changing it changes the published schema.
class DescribedFieldsMixin:
    """Fills in a field's description from the API glossary when the model gives none, so every
    property of the OpenAPI schema is explained (tests/api/test_schema.py holds the API to it)."""

    #: The glossary's prefix for qualified entries ("labresult.value"); the model name by default.
    glossary: str | None = None

    def describe_fields(self) -> None:
        """Give every field of this instance without a help text the glossary's description."""
        prefix = self.glossary
        if prefix is None:
            meta = getattr(self, "Meta", None)
            model = getattr(meta, "model", None)
            prefix = model._meta.model_name if model is not None else ""
        for name, field in self.fields.items():  # type: ignore[attr-defined]
            if not field.help_text:
                field.help_text = describe(prefix, name)


class DescribedSerializerExtension(OpenApiSerializerExtension):
    """Describes a serializer's fields just before drf-spectacular maps them, then maps it as it
    would have without this extension, so the schema is the same as when every request described
    its fields. Nested serializers are components of their own and come through here too."""

    target_class = DescribedFieldsMixin
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        self.target.describe_fields()
        return auto_schema._map_basic_serializer(self.target, direction)


class Serializer(DescribedFieldsMixin, serializers.Serializer):
    pass


class ModelSerializer(DescribedFieldsMixin, serializers.ModelSerializer):
    class Meta:
        # The services validate the whole row (constraints included) with the model's own
        # messages; the serializer's generated uniqueness checks would only say it less well.
        validators: list = []


class ClinicalRecordSerializer(ModelSerializer):
    """A clinical row: UUID, timestamps and the voiding columns, all read-only."""

    voided_by = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())

    class Meta(ModelSerializer.Meta):
        read_only_fields = CLINICAL_RECORD_FIELDS


class VoidSerializer(Serializer):
    glossary = "void"

    reason = serializers.CharField(max_length=1000, trim_whitespace=True)
