"""Imaging studies (above all brain MRI) with structured findings and comparison."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patients.models.base import ClinicalRecord, voiding_constraints
from patients.models.checks import check_not_before_birth, check_same_infant
from patients.models.people import Infant
from patients.models.record_versions import OWN_INFANT, record_version_triggers, through
from patients.models.visits import Visit


class Modality(models.TextChoices):
    MRI = "mri", _("MRI")
    CT = "ct", _("CT")
    ULTRASOUND = "ultrasound", _("Ultrasound")
    RADIOGRAPH = "radiograph", _("Radiograph")


class BodySite(models.TextChoices):
    BRAIN = "brain", _("Brain")
    SPINE = "spine", _("Spine")
    CHEST = "chest", _("Chest")
    OTHER = "other", _("Other")


class Comparison(models.TextChoices):
    RESOLVED = "resolved", _("Resolved")
    IMPROVED = "improved", _("Improved")
    UNCHANGED = "unchanged", _("Unchanged")
    WORSE = "worse", _("Worse")


class ImagingStudy(ClinicalRecord):
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="imaging_studies")
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="imaging_studies"
    )
    modality = models.CharField(max_length=12, choices=Modality.choices)
    body_site = models.CharField(max_length=10, choices=BodySite.choices)
    performed_on = models.DateField()
    impression = models.TextField()
    compared_with = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="later_studies"
    )
    comparison = models.CharField(max_length=10, choices=Comparison.choices, blank=True)

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        verbose_name_plural = "imaging studies"
        ordering = ["-performed_on"]
        indexes = [models.Index(fields=["infant", "performed_on"], name="imaging_infant_date")]
        constraints = [
            *voiding_constraints("imaging_study"),
            models.CheckConstraint(
                condition=Q(modality__in=Modality.values), name="imaging_modality_valid"
            ),
            # A comparison verdict needs the study it compares with, and vice versa.
            models.CheckConstraint(
                condition=(Q(compared_with__isnull=True) & Q(comparison=""))
                | (
                    Q(compared_with__isnull=False)
                    & Q(comparison__in=Comparison.values)
                    & ~Q(comparison="")
                ),
                name="imaging_comparison_complete",
                violation_error_message="A comparison needs both the earlier study and the verdict (resolved, improved, unchanged, worse).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_modality_display()} {self.get_body_site_display().lower()} on {self.performed_on:%Y-%m-%d}"

    def clean(self) -> None:
        infant = self.infant if self.infant_id else None
        check_not_before_birth(infant, self.performed_on, "performed_on")
        check_same_infant(infant, self.visit if self.visit_id else None, "visit", "visit")
        previous = self.compared_with if self.compared_with_id else None
        check_same_infant(infant, previous, "compared_with", "earlier study")
        if (
            previous is not None
            and self.performed_on
            and previous.performed_on >= self.performed_on
        ):
            raise ValidationError(
                {"compared_with": "A study can only be compared with an earlier one."}
            )


class FindingType(models.TextChoices):
    # CLINICAL.md section 1 and seed 001: the MRI vocabulary of B12 deficiency.
    CORTICAL_ATROPHY = "cortical_atrophy", _("Cortical atrophy")
    VENTRICULAR_ENLARGEMENT = "ventricular_enlargement", _("Enlarged ventricles")
    ENLARGED_SUBARACHNOID_SPACES = "enlarged_subarachnoid_spaces", _("Enlarged subarachnoid spaces")
    DELAYED_MYELINATION = "delayed_myelination", _("Delayed myelination")
    THIN_CORPUS_CALLOSUM = "thin_corpus_callosum", _("Thin corpus callosum")
    WHITE_MATTER_SIGNAL = "white_matter_signal", _("White matter signal change")
    BASAL_GANGLIA_SIGNAL = "basal_ganglia_signal", _("Basal ganglia signal change")
    SPINAL_CORD_SIGNAL = (
        "spinal_cord_signal",
        _("Spinal cord signal change (posterior/lateral columns)"),
    )
    INFILTRATE = "infiltrate", _("Pulmonary infiltrate")
    NO_ABNORMALITY = "no_abnormality", _("No abnormality")


class Region(models.TextChoices):
    DIFFUSE = "diffuse", _("Diffuse")
    FRONTAL = "frontal", _("Frontal")
    FRONTOTEMPORAL = "frontotemporal", _("Frontotemporal")
    TEMPORAL = "temporal", _("Temporal")
    PARIETAL = "parietal", _("Parietal")
    ANTERIOR_PARIETAL = "anterior_parietal", _("Anterior parietal")
    OCCIPITAL = "occipital", _("Occipital")
    PERIVENTRICULAR_WHITE_MATTER = "periventricular_white_matter", _("Periventricular white matter")
    CEREBRAL_WHITE_MATTER = "cerebral_white_matter", _("Cerebral white matter")
    CORPUS_CALLOSUM = "corpus_callosum", _("Corpus callosum")
    LATERAL_VENTRICLES = "lateral_ventricles", _("Lateral ventricles")
    BASAL_GANGLIA = "basal_ganglia", _("Basal ganglia")
    INTERNAL_CAPSULE = "internal_capsule", _("Internal capsule")
    CEREBELLUM = "cerebellum", _("Cerebellum")
    SPINAL_CORD = "spinal_cord", _("Spinal cord")
    PARACARDIAC = "paracardiac", _("Paracardiac lung")
    WHOLE_STUDY = "whole_study", _("Whole study")


class Side(models.TextChoices):
    LEFT = "left", _("Left")
    RIGHT = "right", _("Right")
    BILATERAL = "bilateral", _("Bilateral")
    MIDLINE = "midline", _("Midline")
    NOT_APPLICABLE = "na", _("Not applicable")


class Severity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    NOT_APPLICABLE = "na", _("Not applicable")


class ImagingFinding(ClinicalRecord):
    study = models.ForeignKey(ImagingStudy, on_delete=models.PROTECT, related_name="findings")
    finding_type = models.CharField(max_length=30, choices=FindingType.choices)
    region = models.CharField(max_length=30, choices=Region.choices)
    side = models.CharField(max_length=10, choices=Side.choices, default=Side.BILATERAL)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        triggers = record_version_triggers(through("patients_imagingstudy", "study_id"))
        ordering = ["study", "finding_type", "region"]
        constraints = [
            *voiding_constraints("imaging_finding"),
            models.CheckConstraint(
                condition=Q(finding_type__in=FindingType.values), name="imaging_finding_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(region__in=Region.values), name="imaging_finding_region_valid"
            ),
            models.CheckConstraint(
                condition=Q(side__in=Side.values), name="imaging_finding_side_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="imaging_finding_severity_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.get_finding_type_display().lower()}, {self.get_region_display().lower()}"
