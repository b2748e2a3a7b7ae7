"""Visits and the growth measured at them."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patients.models.base import ClinicalRecord, voiding_constraints
from patients.models.checks import check_not_before_birth, check_same_infant
from patients.models.clinics import User
from patients.models.people import Infant
from patients.models.record_versions import OWN_INFANT, record_version_triggers


class VisitType(models.TextChoices):
    ADMISSION = "admission", _("Admission")
    OUTPATIENT = "outpatient", _("Outpatient visit")
    INJECTION = "injection", _("Injection visit")
    IMAGING = "imaging", _("Imaging")
    PHONE = "phone", _("Phone call")


class Tone(models.TextChoices):
    NORMAL = "normal", _("Normal")
    HYPOTONIC = "hypotonic", _("Hypotonic")
    HYPERTONIC = "hypertonic", _("Hypertonic")


class Reflexes(models.TextChoices):
    ABSENT = "absent", _("Absent")
    REDUCED = "reduced", _("Reduced")
    NORMAL = "normal", _("Normoactive")
    BRISK = "brisk", _("Brisk")


class HeadControl(models.TextChoices):
    ABSENT = "absent", _("Absent")
    POOR = "poor", _("Poor")
    GOOD = "good", _("Good")


class Visit(ClinicalRecord):
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="visits")
    visit_type = models.CharField(max_length=12, choices=VisitType.choices)
    visit_date = models.DateField()
    discharge_date = models.DateField(null=True, blank=True, help_text="Admissions only.")
    clinician = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=300, blank=True)
    #: A visit dated in the future is a booked appointment: the guardian is reminded of it and it
    #: is in their calendar feed. These are the monitoring-plan items it was booked for
    #: (patients.clinical.monitoring codes, e.g. "b12_1_month"), so the reminder can say
    #: "blood test" and the worklist can tell which overdue item a booking will clear.
    monitoring_items = models.JSONField(default=list, blank=True)

    # Vital signs. The bounds reject typing slips, not abnormal values: a febrile or bradycardic
    # infant must still be recordable.
    temperature_c = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    heart_rate_bpm = models.PositiveSmallIntegerField(null=True, blank=True)
    respiratory_rate_per_min = models.PositiveSmallIntegerField(null=True, blank=True)
    systolic_bp_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)
    diastolic_bp_mmhg = models.PositiveSmallIntegerField(null=True, blank=True)

    # Neurological examination (CLINICAL.md section 2).
    tone = models.CharField(max_length=12, choices=Tone.choices, blank=True)
    reflexes = models.CharField(max_length=12, choices=Reflexes.choices, blank=True)
    head_control = models.CharField(max_length=12, choices=HeadControl.choices, blank=True)
    sits_without_support = models.BooleanField(null=True, blank=True)
    examination_findings = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        ordering = ["infant", "-visit_date"]
        indexes = [models.Index(fields=["infant", "visit_date"], name="visit_infant_date")]
        constraints = [
            *voiding_constraints("visit"),
            models.CheckConstraint(
                condition=Q(visit_type__in=VisitType.values), name="visit_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(discharge_date__isnull=True) | Q(discharge_date__gte=F("visit_date")),
                name="visit_discharge_after_admission",
                violation_error_message="Discharge cannot be before admission.",
            ),
            models.CheckConstraint(
                condition=Q(temperature_c__isnull=True)
                | Q(temperature_c__gte=25, temperature_c__lte=45),
                name="visit_temperature_plausible",
            ),
            models.CheckConstraint(
                condition=Q(heart_rate_bpm__isnull=True)
                | Q(heart_rate_bpm__gte=20, heart_rate_bpm__lte=350),
                name="visit_heart_rate_plausible",
            ),
            models.CheckConstraint(
                condition=Q(respiratory_rate_per_min__isnull=True)
                | Q(respiratory_rate_per_min__gte=2, respiratory_rate_per_min__lte=150),
                name="visit_respiratory_rate_plausible",
            ),
            models.CheckConstraint(
                condition=Q(systolic_bp_mmhg__isnull=True)
                | Q(diastolic_bp_mmhg__isnull=True)
                | Q(systolic_bp_mmhg__gt=F("diastolic_bp_mmhg")),
                name="visit_systolic_above_diastolic",
                violation_error_message="Systolic pressure must be above diastolic pressure.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_visit_type_display()} on {self.visit_date:%Y-%m-%d}"

    def clean(self) -> None:
        check_not_before_birth(
            self.infant if self.infant_id else None, self.visit_date, "visit_date"
        )


class LengthPosition(models.TextChoices):
    # WHO measures length lying down (recumbent) under 2 years and height standing after.
    RECUMBENT = "recumbent", _("Recumbent length")
    STANDING = "standing", _("Standing height")


class GrowthMeasurement(ClinicalRecord):
    """Weight, length and head circumference measured on one day.

    Z-scores and centiles are computed by the clinical core and stored with the reference that
    produced them; they are never typed in.
    """

    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="growth_measurements")
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="growth_measurements"
    )
    measured_on = models.DateField()
    weight_kg = models.DecimalField(
        max_digits=5, decimal_places=3, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    length_cm = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    length_position = models.CharField(
        max_length=10, choices=LengthPosition.choices, default=LengthPosition.RECUMBENT
    )
    head_circumference_cm = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        ordering = ["infant", "-measured_on"]
        indexes = [models.Index(fields=["infant", "measured_on"], name="growth_infant_date")]
        constraints = [
            *voiding_constraints("growth_measurement"),
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=False)
                | Q(length_cm__isnull=False)
                | Q(head_circumference_cm__isnull=False),
                name="growth_something_measured",
                violation_error_message="Enter at least one of weight, length or head circumference.",
            ),
            # Strictly positive; the plausibility for the age is the clinical core's job.
            models.CheckConstraint(
                condition=Q(weight_kg__isnull=True) | Q(weight_kg__gt=0, weight_kg__lt=100),
                name="growth_weight_positive",
            ),
            models.CheckConstraint(
                condition=Q(length_cm__isnull=True) | Q(length_cm__gt=0, length_cm__lt=200),
                name="growth_length_positive",
            ),
            models.CheckConstraint(
                condition=Q(head_circumference_cm__isnull=True)
                | Q(head_circumference_cm__gt=0, head_circumference_cm__lt=80),
                name="growth_head_circumference_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Growth on {self.measured_on:%Y-%m-%d}"

    def clean(self) -> None:
        infant = self.infant if self.infant_id else None
        check_not_before_birth(infant, self.measured_on, "measured_on")
        check_same_infant(infant, self.visit if self.visit_id else None, "visit", "visit")
