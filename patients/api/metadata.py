"""OPTIONS answers: DRF's description of an endpoint's fields, with the glossary's descriptions."""

from __future__ import annotations

from rest_framework.metadata import SimpleMetadata

from patients.api.serializers.base import DescribedFieldsMixin


class DescribedMetadata(SimpleMetadata):
    """The fields' ``help_text`` in an OPTIONS answer, glossary entries included.

    Serializers describe their fields only when asked (``DescribedFieldsMixin``), so OPTIONS asks,
    as the schema generator does. Nested serializers come through here too.
    """

    def get_serializer_info(self, serializer):
        described = getattr(serializer, "child", serializer)
        if isinstance(described, DescribedFieldsMixin):
            described.describe_fields()
        return super().get_serializer_info(serializer)
