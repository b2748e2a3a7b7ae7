"""What the clinical core computed, stored with the rule or table version that produced it, and the
reference data a clinic can add (growth references, lab ranges, Denver II tables, regimens).

Stored interpretations are written once and never recomputed in place: a newer table or rule
gives new rows beside the old ones, so the past never changes silently.
"""

from __future__ import annotations

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from patients.models.base import ClinicalRecord, voiding_constraints
from patients.models.clinics import Clinic, User
from patients.models.labs import Analyte, LabUnit
from patients.models.people import Infant, Sex
from patients.models.record_versions import record_version_triggers, through
from patients.models.visits import GrowthMeasurement


class GrowthIndicator(models.TextChoices):
    WFA = "wfa", _("Weight-for-age")
    LFA = "lfa", _("Length/height-for-age")
    HCFA = "hcfa", _("Head circumference-for-age")
    WFL = "wfl", _("Weight-for-length")
    WFH = "wfh", _("Weight-for-height")


class ScoreStatus(models.TextChoices):
    COMPUTED = "computed", _("Computed")
    NOT_MEASURED = "not_measured", _("Not measured")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class GrowthScore(models.Model):
    """One indicator of one measurement against one reference (WHO 2006, or a clinic's own)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    measurement = models.ForeignKey(
        GrowthMeasurement, on_delete=models.PROTECT, related_name="scores"
    )
    reference_name = models.CharField(max_length=120)
    reference_version = models.CharField(max_length=80)
    indicator = models.CharField(max_length=5, choices=GrowthIndicator.choices)
    status = models.CharField(max_length=16, choices=ScoreStatus.choices)
    age_days = models.IntegerField()
    corrected_age_used = models.BooleanField()
    z = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    centile = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    restricted_calculation = models.BooleanField(default=False)
    implausible = models.BooleanField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        triggers = record_version_triggers(through("patients_growthmeasurement", "measurement_id"))
        ordering = ["measurement", "reference_name", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["measurement", "reference_name", "reference_version", "indicator"],
                name="growth_score_once_per_reference",
            ),
            models.CheckConstraint(
                condition=~Q(status=ScoreStatus.COMPUTED)
                | Q(z__isnull=False, centile__isnull=False),
                name="growth_score_computed_has_values",
            ),
        ]

    def __str__(self) -> str:
        if self.z is None:
            return f"{self.get_indicator_display()}: {self.get_status_display().lower()}"
        return f"{self.get_indicator_display()}: z {self.z:+.2f}, centile {self.centile:.1f}"


class GrowthReference(ClinicalRecord):
    """A clinic's own growth reference as LMS tables (for example national charts), shown beside
    WHO 2006, never instead of it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="growth_references")
    name = models.CharField(max_length=120)
    version = models.CharField(max_length=80)
    age_unit = models.CharField(
        max_length=6, choices=[("days", "days"), ("months", "months")], default="days"
    )
    lms_csv = models.TextField(
        help_text="CSV with columns sex, indicator, x (age or length), L, M, S."
    )
    source = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            *voiding_constraints("growth_reference"),
            models.UniqueConstraint(
                fields=["clinic", "name", "version"], name="growth_reference_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"

    def clean(self) -> None:
        # A broken table is refused when it is saved, not discovered at the next measurement.
        from patients.clinical.growth import AgeUnit, LmsTableError, parse_lms_csv

        try:
            parse_lms_csv(
                self.lms_csv, name=self.name, version=self.version, age_unit=AgeUnit(self.age_unit)
            )
        except LmsTableError as error:
            raise ValidationError({"lms_csv": str(error)}) from None


class LabReferenceRange(ClinicalRecord):
    """A clinic's reference range for an analyte, used before the catalogue's defaults."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="lab_ranges")
    analyte = models.CharField(max_length=20, choices=Analyte.choices)
    unit = models.CharField(max_length=20, choices=LabUnit.choices)
    low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    critical_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    critical_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    age_from_days = models.PositiveIntegerField(default=0)
    age_until_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Exclusive; blank = no limit."
    )
    sex = models.CharField(max_length=10, choices=Sex.choices, blank=True)
    lab_name = models.CharField(
        max_length=120, blank=True, help_text="Only results from this laboratory."
    )
    source = models.CharField(max_length=300)

    class Meta:
        ordering = ["clinic", "analyte", "age_from_days"]
        constraints = [
            *voiding_constraints("lab_reference_range"),
            models.CheckConstraint(
                condition=Q(low__isnull=False) | Q(high__isnull=False),
                name="lab_range_has_a_limit",
                violation_error_message="Give a lower limit, an upper limit or both.",
            ),
            models.CheckConstraint(
                condition=Q(low__isnull=True) | Q(high__isnull=True) | Q(low__lte=F("high")),
                name="lab_range_ordered",
                violation_error_message="The lower limit must not exceed the upper one.",
            ),
            models.CheckConstraint(
                condition=Q(age_until_days__isnull=True) | Q(age_until_days__gt=F("age_from_days")),
                name="lab_range_age_band_ordered",
                violation_error_message="The age band must end after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_analyte_display()} {self.low}-{self.high} {self.unit} ({self.clinic})"


class DenverNormTable(models.Model):
    """A versioned Denver II norm table: the project's public transcription, or a clinic's licensed
    table imported with `manage.py import_denver_norms`. Immutable once imported."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    version = models.CharField(max_length=80, unique=True)
    metadata = models.JSONField(
        default=dict, help_text="Source, licensing note and the file's header."
    )
    items = models.JSONField(
        help_text="One object per item: sector, item_no, label, p25..p90, qa_flag."
    )
    is_default = models.BooleanField(default=False, help_text="Used for new assessments.")
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-imported_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_denver_table"
            )
        ]

    def __str__(self) -> str:
        return self.version

    def save(self, *args, **kwargs):
        # Stored assessments name this version; its items must mean the same thing forever.
        if not self._state.adding:
            stored = type(self).objects.filter(pk=self.pk).values("version", "items").first()
            if stored and (stored["version"] != self.version or stored["items"] != self.items):
                raise ValidationError(
                    "A Denver II norm table is never edited; import a new version instead."
                )
        super().save(*args, **kwargs)


class Regimen(models.Model):
    """A taper as data a clinic edits (CLINICAL.md section 3). A clinic's change is a new version;
    courses copy the version they started from, so no course is re-planned by an edit."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    clinic = models.ForeignKey(
        Clinic,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="regimens",
        help_text="Blank for the regimens shipped with the product.",
    )
    key = models.CharField(max_length=80)
    version = models.PositiveIntegerField()
    name = models.CharField(max_length=200)
    definition = models.JSONField(help_text="Phases, intervals, ends and closing-day policy.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "key", "version"], name="regimen_version_unique"
            ),
            models.UniqueConstraint(
                fields=["key", "version"],
                condition=Q(clinic__isnull=True),
                name="shipped_regimen_version_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} (v{self.version})"

    def clean(self) -> None:
        from patients.clinical.regimens import RegimenDataError, parse_regimen

        try:
            regimen = parse_regimen(self.definition, where="definition")
        except (RegimenDataError, ValueError) as error:
            raise ValidationError({"definition": str(error)}) from None
        if (regimen.key, regimen.version) != (self.key, self.version):
            raise ValidationError(
                {"definition": "The definition's key and version must match the regimen's."}
            )


class AlertSeverity(models.TextChoices):
    INFO = "info", _("Information")
    WARNING = "warning", _("Warning")
    URGENT = "urgent", _("Urgent")


#: Urgent first, then warnings, then information: the order in which staff read open alerts. The
#: worklist orders by this expression and the `alert_open_rank` index is built on the very same
#: one, so PostgreSQL reads a page of a clinic's open alerts off the index and stops, instead of
#: joining every open alert to the clinic's 100,000 infants and sorting (docs/BENCHMARKS.md).
SEVERITY_RANK = Case(
    When(severity=AlertSeverity.URGENT, then=Value(0)),
    When(severity=AlertSeverity.WARNING, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


class Alert(models.Model):
    """A safety rule or an overdue follow-up item, raised for staff to see and acknowledge.

    One open alert per infant and rule; when the rule no longer applies the alert is resolved,
    never deleted, so the record shows what was raised and who saw it.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="alerts")
    code = models.CharField(max_length=60)
    severity = models.CharField(max_length=8, choices=AlertSeverity.choices)
    message = models.TextField()
    evidence = models.JSONField(default=list)
    source = models.CharField(max_length=300)
    rules_version = models.CharField(max_length=40)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-raised_at"]
        indexes = [
            models.Index(fields=["infant", "resolved_at"], name="alert_infant_open"),
            models.Index(
                SEVERITY_RANK,
                F("raised_at").desc(),
                name="alert_open_rank",
                condition=Q(resolved_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["infant", "code"],
                condition=Q(resolved_at__isnull=True),
                name="alert_one_open_per_rule",
            ),
            models.CheckConstraint(
                condition=Q(acknowledged_at__isnull=True) | Q(acknowledged_by__isnull=False),
                name="alert_acknowledged_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()}: {self.message[:80]}"

    @property
    def seen_by(self) -> str:
        """Who acknowledged the alert, as the pages name them: the full name, else the user name."""
        user = self.acknowledged_by
        if user is None:
            return ""
        return user.get_full_name() or user.username
