"""Clinics and the regimen library: what administrators configure, and the regimen preview."""

from __future__ import annotations

import datetime

from rest_framework import serializers

from patients import models as m
from patients.api import scopes
from patients.api.fields import DocumentJSONField, ScopedRelatedField
from patients.api.serializers.base import ModelSerializer, Serializer
from patients.models.treatment import DoseUnit, Route

# Bounds of the dates a plan starts or changes on: wide enough for any course, narrow enough that calendar arithmetic
# on them (a year of monthly doses after the start) never leaves the calendar.
EARLIEST_PLAN_DATE = datetime.date(1900, 1, 1)
LATEST_PLAN_DATE = datetime.date(2200, 12, 31)


class ClinicSerializer(ModelSerializer):
    class Meta(ModelSerializer.Meta):
        model = m.Clinic
        fields = ("id", "name", "time_zone", "created_at")
        read_only_fields = ("id", "created_at")


class RegimenSerializer(ModelSerializer):
    clinic = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    definition = DocumentJSONField(read_only=True)

    class Meta(ModelSerializer.Meta):
        model = m.Regimen
        fields = ("id", "clinic", "key", "version", "name", "definition", "is_active", "created_at")
        read_only_fields = fields


class RegimenInputSerializer(Serializer):
    """A clinic's regimen, new or edited: stored as the next version of its key."""

    glossary = "regimeninput"

    clinic = ScopedRelatedField(model=m.Clinic, scope=scopes.clinics)
    definition = DocumentJSONField()


class RegimenPreviewInputSerializer(Serializer):
    glossary = "previewinput"

    clinic = ScopedRelatedField(model=m.Clinic, scope=scopes.clinics)
    start = serializers.DateField()
    horizon = serializers.DateField(required=False, allow_null=True)

    def validate_start(self, value: datetime.date) -> datetime.date:
        return within_calendar(value)

    def validate_horizon(self, value: datetime.date | None) -> datetime.date | None:
        return None if value is None else within_calendar(value)


def within_calendar(value: datetime.date) -> datetime.date:
    """Refuse a date of a plan so far off that planning from it would leave the calendar."""
    if not EARLIEST_PLAN_DATE <= value <= LATEST_PLAN_DATE:
        raise serializers.ValidationError(
            f"Give a date from {EARLIEST_PLAN_DATE:%Y-%m-%d} to {LATEST_PLAN_DATE:%Y-%m-%d}."
        )
    return value


class PreviewDoseSerializer(Serializer):
    glossary = "previewdose"

    date = serializers.DateField()
    phase_number = serializers.IntegerField()
    phase_name = serializers.CharField()
    sequence = serializers.IntegerField()
    sequence_in_phase = serializers.IntegerField()
    dose = serializers.DecimalField(max_digits=8, decimal_places=3)
    unit = serializers.ChoiceField(choices=DoseUnit.choices)
    route = serializers.ChoiceField(choices=Route.choices)
    given_at_home = serializers.BooleanField()
    original_date = serializers.DateField(allow_null=True)
    status = serializers.CharField()


class PreviewReviewPointSerializer(Serializer):
    glossary = "previewreview"

    date = serializers.DateField()
    phase_number = serializers.IntegerField()
    phase_name = serializers.CharField()
    next_phase_name = serializers.CharField(allow_null=True)
    question = serializers.CharField()


class RegimenPreviewSerializer(Serializer):
    """Every dose and review point the regimen would plan at the clinic; nothing is saved."""

    glossary = "preview"

    regimen = serializers.UUIDField()
    clinic = serializers.UUIDField()
    start = serializers.DateField()
    horizon = serializers.DateField(allow_null=True)
    doses = PreviewDoseSerializer(many=True)
    review_points = PreviewReviewPointSerializer(many=True)
