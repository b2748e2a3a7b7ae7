"""What every serializer of the API shares: described fields and the common clinical columns."""

from __future__ import annotations

from rest_framework import serializers

from patients.api.descriptions import describe

CLINICAL_RECORD_FIELDS = ("id", "created_at", "updated_at", "voided_at", "voided_by", "void_reason")


class DescribedFieldsMixin:
    """Fills in a field's description from the API glossary when the model gives none, so every
    property of the OpenAPI schema is explained (tests/api/test_schema.py holds the API to it)."""

    #: The glossary's prefix for qualified entries ("labresult.value"); the model name by default.
    glossary: str | None = None

    def get_fields(self):
        fields = super().get_fields()  # type: ignore[misc]
        prefix = self.glossary
        if prefix is None:
            meta = getattr(self, "Meta", None)
            model = getattr(meta, "model", None)
            prefix = model._meta.model_name if model is not None else ""
        for name, field in fields.items():
            if not field.help_text:
                field.help_text = describe(prefix, name)
        return fields


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
