"""What every serializer of the API shares: described fields and the common clinical columns."""

from __future__ import annotations

import copy
import datetime
import decimal
import uuid
from collections.abc import Callable
from functools import cached_property
from typing import Any
from weakref import WeakKeyDictionary

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Model
from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers
from rest_framework.fields import Field, SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField, RelatedField

from patients.api.descriptions import describe

CLINICAL_RECORD_FIELDS = ("id", "created_at", "updated_at", "voided_at", "voided_by", "void_reason")


# Only the readers of descriptions ask for them: the schema generator (the extension below) and
# OPTIONS (patients.api.metadata). Every request has fields of its own (FieldsBuiltOnceMixin) and no
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


# Values a field's default or initial may share between copies: nothing can change them in place.
_UNCHANGEABLE = (
    type(None),
    str,
    bytes,
    bool,
    int,
    float,
    decimal.Decimal,
    datetime.date,
    datetime.time,
    datetime.timedelta,
    uuid.UUID,
    frozenset,
)

# Per serializer class: its fields as DRF builds them, never bound to a serializer, each with
# whether a shallow copy of it will do. Weak, so a class made at run time does not stay for the
# process's life.
_FIELD_PROTOTYPES: WeakKeyDictionary[type, list[tuple[str, Field, bool]]] = WeakKeyDictionary()


def _shares_its_values(field: Field) -> bool:
    """Whether a shallow copy of this unbound field is as good as DRF's deep copy: it holds no
    serializer and no field bound to it (a list's child, the related field of a many relation),
    and no default or initial value that a request could change in place. Anything else is
    deep-copied, as DRF does."""
    if isinstance(field, serializers.BaseSerializer):
        return False
    for value in vars(field).values():
        # A bound inner field points back at its owner, so a shared one would point at the
        # prototype; an unbound one (the key field of a related field) is only a converter.
        if isinstance(value, Field) and value.parent is not None:
            return False
    return all(
        callable(value) or isinstance(value, _UNCHANGEABLE)
        for value in (field.default, field.initial)
    )


def _copy_of(field: Field, shares_its_values: bool) -> Field:
    if not shares_its_values:
        return copy.deepcopy(field)
    # The instance's own attribute dictionary, over the same values: binding and any later
    # change to this serializer's field (a description for the schema) set attributes of the
    # copy only. Four times cheaper than copy.copy, which goes through __reduce_ex__.
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    return clone


class FieldsBuiltOnceMixin:
    """Builds a serializer class's fields once per process and gives every instance copies.

    DRF builds a ModelSerializer's fields from the model on every instance, that is on every
    request (about half a millisecond for an infant; docs/BENCHMARKS.md, infant detail), although
    they depend on the class alone. Each instance still gets fields of its own, which DRF then
    binds to it, so a field reads the context and the instance of its own serializer.
    """

    def get_fields(self) -> dict[str, Field]:
        cls = type(self)
        prototypes = _FIELD_PROTOTYPES.get(cls)
        if prototypes is None:
            built: dict[str, Field] = super().get_fields()  # type: ignore[misc]
            prototypes = [(name, field, _shares_its_values(field)) for name, field in built.items()]
            _FIELD_PROTOTYPES[cls] = prototypes
        elif getattr(self, "url_field_name", "") is None:
            # What ModelSerializer.get_fields sets on the instance while building.
            self.url_field_name = serializers.api_settings.URL_FIELD_NAME
        return {name: _copy_of(field, shares) for name, field, shares in prototypes}


#: A column the instance has not loaded (a deferred field): read through the model's descriptor.
_NOT_LOADED = object()


def _column_of(field: Field, model: type[Model]) -> tuple[str, Callable[[Any], Any]] | None:
    """The model column a field shows as it is, and the conversion DRF gives its value; None for
    a field DRF must read its own way (a method, a nested serializer, a dotted source, an
    overridden read)."""
    if len(field.source_attrs) != 1 or field.source == "*":
        return None
    try:
        model_field = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    if not model_field.concrete:
        return None
    if isinstance(field, PrimaryKeyRelatedField):
        if (
            not model_field.many_to_one
            or type(field).get_attribute is not RelatedField.get_attribute
            or type(field).to_representation is not PrimaryKeyRelatedField.to_representation
            or not field.use_pk_only_optimization()
        ):
            return None
        # DRF reads the key alone (PKOnlyObject) and shows it through `pk_field`.
        return model_field.attname, (
            field.pk_field.to_representation if field.pk_field is not None else _as_is
        )
    if model_field.is_relation or type(field).get_attribute is not Field.get_attribute:
        return None
    return model_field.attname, field.to_representation


def _as_is(value: Any) -> Any:
    return value


class ColumnsReadDirectlyMixin:
    """Shows a model row's plain columns without DRF's per-field lookup.

    DRF reads every field of every row through `get_attribute` (its source path walked, a
    `PKOnlyObject` made for each key) before converting it: for a page of 50 infants, over a
    thousand lookups and a sixth of the list's time (docs/BENCHMARKS.md, infant list). For a field
    that shows one column of the model as it is, the value is taken from the row and converted by
    the field's own `to_representation`, as DRF would; every other field is read DRF's way. The
    result is DRF's, key for key and in the same order (tests/api/test_serializer_fields.py).
    """

    @cached_property
    def _read_plan(self) -> list[tuple[str, Field, str | None, Callable[[Any], Any] | None]]:
        model = self.Meta.model  # type: ignore[attr-defined]
        plan = []
        for field in self._readable_fields:  # type: ignore[attr-defined]
            column = _column_of(field, model)
            plan.append((field.field_name, field, *(column or (None, None))))
        return plan

    def to_representation(self, instance: Any) -> dict[str, Any]:
        if not isinstance(instance, Model):
            return super().to_representation(instance)  # type: ignore[misc]
        loaded = instance.__dict__
        shown: dict[str, Any] = {}
        for name, field, column, convert in self._read_plan:
            if column is None:
                try:
                    attribute = field.get_attribute(instance)
                except SkipField:
                    continue
                empty = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
                shown[name] = None if empty is None else field.to_representation(attribute)
                continue
            value = loaded.get(column, _NOT_LOADED)
            if value is _NOT_LOADED:
                value = getattr(instance, column)
            shown[name] = None if value is None else convert(value)
        return shown


class Serializer(DescribedFieldsMixin, FieldsBuiltOnceMixin, serializers.Serializer):
    pass


class ModelSerializer(
    DescribedFieldsMixin,
    FieldsBuiltOnceMixin,
    ColumnsReadDirectlyMixin,
    serializers.ModelSerializer,
):
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
