"""Guardians (and their reminder preferences), mothers, infants, and a parent's view of a child."""

from __future__ import annotations

from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers

from patients import models as m
from patients.api import scopes
from patients.api.fields import ScopedRelatedField
from patients.api.serializers.base import (
    CLINICAL_RECORD_FIELDS,
    ClinicalRecordSerializer,
    ModelSerializer,
)
from patients.services.reminders.planning import PREFERENCE_FIELDS


class GuardianSerializer(ClinicalRecordSerializer):
    """A guardian with their reminder preferences; only the preferences can be changed."""

    user = serializers.PrimaryKeyRelatedField(read_only=True, pk_field=serializers.UUIDField())
    name = serializers.CharField(source="user.get_full_name", read_only=True)
    phone = PhoneNumberField(required=False, allow_blank=True)

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.Guardian
        fields = (*CLINICAL_RECORD_FIELDS, "user", "name", *sorted(PREFERENCE_FIELDS))
        read_only_fields = (*CLINICAL_RECORD_FIELDS, "user", "name")


class MotherSerializer(ClinicalRecordSerializer):
    clinic = ScopedRelatedField(model=m.Clinic, scope=scopes.clinical_clinics)
    guardian = ScopedRelatedField(
        model=m.Guardian, scope=scopes.guardians, required=False, allow_null=True
    )

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.Mother
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "clinic",
            "given_name",
            "family_name",
            "birth_date",
            "diet",
            "deficiency_cause",
            "guardian",
            "notes",
        )


class InfantSerializer(ClinicalRecordSerializer):
    clinic = ScopedRelatedField(model=m.Clinic, scope=scopes.clinical_clinics)
    mother = ScopedRelatedField(
        model=m.Mother, scope=scopes.mothers, required=False, allow_null=True
    )

    class Meta(ClinicalRecordSerializer.Meta):
        model = m.Infant
        fields = (
            *CLINICAL_RECORD_FIELDS,
            "clinic",
            "record_number",
            "given_name",
            "family_name",
            "sex",
            "birth_date",
            "gestational_age_days",
            "perinatal_notes",
            "birth_weight_g",
            "mother",
            "exclusively_breastfed",
            "solids_started_age_months",
            "feeding_notes",
            "diagnosis_date",
            "follow_up_status",
        )


class ChildDoseSerializer(ModelSerializer):
    """A dose of the child's plan as a parent sees it: when, how much, where; no clinical detail."""

    class Meta(ModelSerializer.Meta):
        model = m.PlannedDose
        fields = (
            "id",
            "number",
            "phase_name",
            "due_on",
            "dose",
            "dose_unit",
            "route",
            "at_home",
            "status",
        )
        read_only_fields = fields


class ChildVisitSerializer(ModelSerializer):
    """A booked visit as a parent sees it: the day and the kind of visit."""

    class Meta(ModelSerializer.Meta):
        model = m.Visit
        fields = ("id", "visit_type", "visit_date")
        read_only_fields = fields


class ChildSerializer(ModelSerializer):
    """A parent's view of their child: the plan of doses and the visits to come, nothing else."""

    clinic_name = serializers.CharField(source="clinic.name", read_only=True)
    doses = ChildDoseSerializer(source="schedule_doses", many=True, read_only=True)
    upcoming_visits = ChildVisitSerializer(source="schedule_visits", many=True, read_only=True)

    class Meta(ModelSerializer.Meta):
        model = m.Infant
        fields = (
            "id",
            "given_name",
            "family_name",
            "birth_date",
            "clinic_name",
            "doses",
            "upcoming_visits",
        )
        read_only_fields = fields

    glossary = "child"
