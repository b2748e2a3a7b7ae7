"""A serializer class builds its fields once per process (docs/BENCHMARKS.md, infant detail), and
every instance still has fields of its own, bound to it: its context, its instance, its changes."""

from __future__ import annotations

import importlib
import pkgutil
from types import SimpleNamespace

import pytest
from rest_framework import serializers

from patients.api.serializers import base
from patients.api.serializers.people import ChildSerializer, InfantSerializer


def _context(user) -> dict:
    return {"request": SimpleNamespace(user=user)}


@pytest.fixture
def built_fields(monkeypatch) -> list[str]:
    """The name of every field DRF builds from the model, from here on."""
    calls: list[str] = []
    build_field = serializers.ModelSerializer.build_field

    def counting(self, field_name, *args, **kwargs):
        calls.append(field_name)
        return build_field(self, field_name, *args, **kwargs)

    monkeypatch.setattr(serializers.ModelSerializer, "build_field", counting)
    return calls


def test_a_serializer_class_builds_its_fields_from_the_model_once(db, built_fields):
    first = InfantSerializer().fields
    built_fields.clear()  # the first instance of the process may have built them
    second = InfantSerializer().fields
    assert built_fields == []
    assert list(second) == list(first)
    assert all(second[name] is not first[name] for name in first)


def test_two_serializers_read_each_their_own_caller_and_row(world):
    staff_1, staff_2 = world.users["staff_1"], world.users["staff_2"]
    first = InfantSerializer(world.a.infant, context=_context(staff_1))
    second = InfantSerializer(world.b.infant, context=_context(staff_2))
    for serializer in (first, second):
        for field in serializer.fields.values():
            assert field.parent is serializer and field.root is serializer
    # A field reads the caller through its own serializer: each sees the clinics of its caller.
    assert list(first.fields["clinic"].get_queryset()) == [world.clinic]
    assert list(second.fields["clinic"].get_queryset()) == [world.other_clinic]
    assert first.data["id"] == str(world.a.infant.pk)
    assert first.data["clinic"] == str(world.clinic.pk)
    assert second.data["id"] == str(world.b.infant.pk)
    assert second.data["clinic"] == str(world.other_clinic.pk)


def test_a_change_to_one_serializers_field_stays_in_that_serializer(db):
    untouched = InfantSerializer().fields["given_name"].help_text
    described = InfantSerializer()
    described.describe_fields()  # what the schema and OPTIONS do
    assert described.fields["given_name"].help_text
    assert described.fields["given_name"].help_text != untouched
    assert InfantSerializer().fields["given_name"].help_text == untouched


def test_nested_serializers_are_bound_to_their_own_parent(db):
    first, second = ChildSerializer(), ChildSerializer()
    doses_1, doses_2 = first.fields["doses"], second.fields["doses"]
    assert doses_1 is not doses_2 and doses_1.child is not doses_2.child
    assert doses_1.root is first and doses_2.root is second
    assert doses_1.child.fields["due_on"].root is first


class _WithValuesOfTheirOwn(base.Serializer):
    glossary = "test"

    tags = serializers.ListField(child=serializers.CharField())
    document = serializers.JSONField(default={})
    note = serializers.CharField(default="")


def test_a_field_with_a_child_or_a_changeable_default_is_copied_whole():
    first, second = _WithValuesOfTheirOwn(), _WithValuesOfTheirOwn()
    first.fields, second.fields  # noqa: B018 - builds them
    tags_1, tags_2 = first.fields["tags"], second.fields["tags"]
    assert tags_1.child is not tags_2.child
    assert tags_1.child.parent is tags_1 and tags_1.child.root is first
    assert first.fields["document"].default is not second.fields["document"].default
    assert first.fields["note"].default == second.fields["note"].default == ""
    assert first.fields["document"].get_default() == {}


def _model_serializers() -> list[type]:
    import patients.api.serializers as package

    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"{package.__name__}.{module.name}")
    found, waiting = [], [base.ModelSerializer]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            waiting.append(subclass)
            if getattr(getattr(subclass, "Meta", None), "model", None) is not None:
                found.append(subclass)
    return found


def test_every_row_is_shown_as_drf_shows_it(world):
    """The columns read directly give DRF's own representation, key for key and in order, for
    every model serializer of the API and every row of each kind the API serves."""
    shown_directly = 0
    for serializer_class in _model_serializers():
        model = serializer_class.Meta.model
        rows = list(model._default_manager.all()[:25])
        serializer = serializer_class(context=_context(world.users["staff_1"]))
        for row in rows:
            drf = serializers.Serializer.to_representation(serializer, row)
            assert list(serializer.to_representation(row).items()) == list(drf.items()), (
                serializer_class.__name__
            )
        if rows:
            shown_directly += sum(column is not None for _, _, column, _ in serializer._read_plan)
    assert shown_directly > 100  # most fields are read directly, not DRF's way
