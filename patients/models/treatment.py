"""Treatment: courses and their phases, planned and given doses, adverse events, procedures."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q

from patients.models.base import ClinicalRecord, voiding_constraints
from patients.models.clinics import User
from patients.models.mixins import check_not_before_birth
from patients.models.people import Infant


class Drug(models.TextChoices):
    HYDROXOCOBALAMIN = "hydroxocobalamin", "Hydroxocobalamin"
    CYANOCOBALAMIN = "cyanocobalamin", "Cyanocobalamin"
    FOLIC_ACID = "folic_acid", "Folic acid"
    IRON = "iron", "Iron"
    POTASSIUM = "potassium", "Potassium"
    OTHER = "other", "Other"


class Route(models.TextChoices):
    IM = "im", "Intramuscular"
    IV = "iv", "Intravenous"
    SC = "sc", "Subcutaneous"
    ORAL = "oral", "Oral"


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"
    MICROGRAM = "ug", "µg"
    MG_PER_KG = "mg/kg", "mg/kg"


class ClosingDayPolicy(models.TextChoices):
    # CLINICAL.md section 3: when a clinic closing day moves a dose, the regimen states whether the
    # later doses keep their calendar dates or keep the interval from the moved dose.
    KEEP_CALENDAR = "keep_calendar", "Later doses keep their dates"
    KEEP_INTERVAL = "keep_interval", "Later doses keep the interval"


class CourseStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    STOPPED = "stopped", "Stopped"
    COMPLETED = "completed", "Completed"


class TreatmentCourse(ClinicalRecord):
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="treatment_courses")
    drug = models.CharField(max_length=20, choices=Drug.choices)
    route = models.CharField(max_length=5, choices=Route.choices)
    dose = models.DecimalField(max_digits=8, decimal_places=3, validators=[MinValueValidator(0)])
    dose_unit = models.CharField(max_length=6, choices=DoseUnit.choices)
    regimen_name = models.CharField(max_length=120, blank=True, help_text="The regimen the phases came from.")
    regimen_source = models.CharField(max_length=200, blank=True)
    closing_day_policy = models.CharField(
        max_length=14, choices=ClosingDayPolicy.choices, default=ClosingDayPolicy.KEEP_INTERVAL
    )
    indication = models.CharField(max_length=200, blank=True)
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    stop_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE)
    prescribed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["infant", "started_on"]
        constraints = [
            *voiding_constraints("treatment_course"),
            models.CheckConstraint(condition=Q(drug__in=Drug.values), name="course_drug_valid"),
            models.CheckConstraint(condition=Q(route__in=Route.values), name="course_route_valid"),
            models.CheckConstraint(condition=Q(dose__gt=0), name="course_dose_positive"),
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True) | Q(stopped_on__gte=F("started_on")),
                name="course_stop_after_start",
                violation_error_message="A course cannot stop before it starts.",
            ),
            models.CheckConstraint(
                condition=~Q(status=CourseStatus.STOPPED) | Q(stopped_on__isnull=False),
                name="course_stopped_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_drug_display()} {self.dose.normalize():f} {self.dose_unit} {self.get_route_display().lower()}"

    def clean(self) -> None:
        check_not_before_birth(self.infant if self.infant_id else None, self.started_on, "started_on")


class IntervalKind(models.TextChoices):
    DAILY = "daily", "Daily"
    EVERY_N_DAYS = "every_n_days", "Every N days"
    WEEKDAYS = "weekdays", "On chosen weekdays"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly (calendar)"
    EVERY_N_MONTHS = "every_n_months", "Every N months"


class PhaseEnd(models.TextChoices):
    DOSE_COUNT = "dose_count", "After a number of doses"
    DURATION = "duration", "After a duration"
    UNTIL_DATE = "until_date", "Until a date"
    OPEN_ENDED = "open_ended", "Until a clinician advances"
    LIFELONG = "lifelong", "Lifelong"


class CoursePhase(ClinicalRecord):
    """One phase of a course's taper, copied from the regimen when the course starts.

    Copying keeps the course as prescribed when the clinic later edits its regimen.
    """

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="phases")
    sequence = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=120)
    interval_kind = models.CharField(max_length=16, choices=IntervalKind.choices)
    interval_every = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1)])
    weekdays = models.CharField(
        max_length=20, blank=True, help_text="ISO weekdays (Monday = 1) for 'on chosen weekdays', e.g. 1,3,5."
    )
    end_kind = models.CharField(max_length=12, choices=PhaseEnd.choices)
    end_dose_count = models.PositiveSmallIntegerField(null=True, blank=True)
    end_duration_days = models.PositiveIntegerField(null=True, blank=True)
    end_duration_months = models.PositiveSmallIntegerField(null=True, blank=True)
    end_until = models.DateField(null=True, blank=True)
    started_on = models.DateField(null=True, blank=True, help_text="Date of the phase's first dose, once known.")
    advanced_on = models.DateField(null=True, blank=True, help_text="Date a clinician ended an open-ended phase.")

    class Meta:
        ordering = ["course", "sequence"]
        constraints = [
            *voiding_constraints("course_phase"),
            models.UniqueConstraint(
                fields=["course", "sequence"], condition=Q(voided_at__isnull=True), name="course_phase_sequence_unique"
            ),
            models.CheckConstraint(condition=Q(interval_kind__in=IntervalKind.values), name="course_phase_interval_valid"),
            models.CheckConstraint(condition=Q(interval_every__gte=1), name="course_phase_every_positive"),
            models.CheckConstraint(
                condition=~Q(interval_kind=IntervalKind.WEEKDAYS) | ~Q(weekdays=""),
                name="course_phase_weekdays_given",
            ),
            # Each kind of end carries exactly the value it needs.
            models.CheckConstraint(
                condition=(Q(end_kind=PhaseEnd.DOSE_COUNT) & Q(end_dose_count__gte=1))
                | (Q(end_kind=PhaseEnd.DURATION)
                   & (Q(end_duration_days__gte=1) | Q(end_duration_months__gte=1)))
                | (Q(end_kind=PhaseEnd.UNTIL_DATE) & Q(end_until__isnull=False))
                | Q(end_kind__in=[PhaseEnd.OPEN_ENDED, PhaseEnd.LIFELONG]),
                name="course_phase_end_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Phase {self.sequence}: {self.label}"


class PlannedDoseStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    GIVEN = "given", "Given"
    MISSED = "missed", "Missed"
    CANCELLED = "cancelled", "Cancelled"
    SUPERSEDED = "superseded", "Replaced by a new plan"


class PlannedDose(ClinicalRecord):
    """A dose the plan expects on a day. Re-planning supersedes future rows; past rows never change."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="planned_doses")
    phase = models.ForeignKey(CoursePhase, on_delete=models.PROTECT, related_name="planned_doses")
    number = models.PositiveIntegerField(help_text="Dose number within the course, from 1.")
    due_on = models.DateField()
    original_due_on = models.DateField(null=True, blank=True, help_text="Set when a closing day moved the dose.")
    dose = models.DecimalField(max_digits=8, decimal_places=3)
    dose_unit = models.CharField(max_length=6, choices=DoseUnit.choices)
    route = models.CharField(max_length=5, choices=Route.choices)
    status = models.CharField(max_length=10, choices=PlannedDoseStatus.choices, default=PlannedDoseStatus.PLANNED)
    plan_version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["course", "due_on", "number"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="planned_dose_status_due"),
            models.Index(fields=["course", "due_on"], name="planned_dose_course_due"),
        ]
        constraints = [
            *voiding_constraints("planned_dose"),
            models.UniqueConstraint(
                fields=["course", "number"],
                condition=~Q(status=PlannedDoseStatus.SUPERSEDED) & Q(voided_at__isnull=True),
                name="planned_dose_number_unique_current",
            ),
            models.CheckConstraint(condition=Q(status__in=PlannedDoseStatus.values), name="planned_dose_status_valid"),
            models.CheckConstraint(condition=Q(dose__gt=0), name="planned_dose_positive"),
            models.CheckConstraint(condition=Q(number__gte=1), name="planned_dose_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Dose {self.number} on {self.due_on:%Y-%m-%d} ({self.get_status_display().lower()})"


class AdministrationLocation(models.TextChoices):
    WARD = "ward", "Hospital ward"
    CLINIC = "clinic", "Outpatient clinic"
    HOME = "home", "Home"
    HEALTH_CENTRE = "health_centre", "Family health centre"


class InjectionSite(models.TextChoices):
    # The anterolateral thigh is the usual IM site in infants; deltoid and gluteal later.
    LEFT_THIGH = "left_thigh", "Left anterolateral thigh"
    RIGHT_THIGH = "right_thigh", "Right anterolateral thigh"
    LEFT_DELTOID = "left_deltoid", "Left deltoid"
    RIGHT_DELTOID = "right_deltoid", "Right deltoid"
    LEFT_GLUTEAL = "left_gluteal", "Left ventrogluteal"
    RIGHT_GLUTEAL = "right_gluteal", "Right ventrogluteal"
    NOT_APPLICABLE = "na", "Not applicable (oral)"


class DoseAdministration(ClinicalRecord):
    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="administrations")
    planned_dose = models.ForeignKey(
        PlannedDose, null=True, blank=True, on_delete=models.PROTECT, related_name="administrations"
    )
    given_on = models.DateField()
    given_at = models.DateTimeField(null=True, blank=True, help_text="Exact time, when recorded.")
    given_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    given_by_name = models.CharField(max_length=120, blank=True, help_text="When the giver has no account.")
    location = models.CharField(max_length=14, choices=AdministrationLocation.choices)
    site = models.CharField(max_length=14, choices=InjectionSite.choices, blank=True)
    lot_number = models.CharField(max_length=40, blank=True)
    dose = models.DecimalField(max_digits=8, decimal_places=3)
    dose_unit = models.CharField(max_length=6, choices=DoseUnit.choices)
    route = models.CharField(max_length=5, choices=Route.choices)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["course", "given_on"]
        indexes = [models.Index(fields=["course", "given_on"], name="administration_course_date")]
        constraints = [
            *voiding_constraints("dose_administration"),
            models.CheckConstraint(condition=Q(dose__gt=0), name="administration_dose_positive"),
            models.UniqueConstraint(
                fields=["planned_dose"],
                condition=Q(voided_at__isnull=True) & Q(planned_dose__isnull=False),
                name="administration_once_per_planned_dose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course.get_drug_display()} given on {self.given_on:%Y-%m-%d}"

    def clean(self) -> None:
        course = self.course if self.course_id else None
        if course is None:
            return
        check_not_before_birth(course.infant, self.given_on, "given_on")
        if course.is_voided:
            raise ValidationError({"course": "This course was voided; no dose can be recorded on it."})
        if self.given_on < course.started_on:
            raise ValidationError({"given_on": "A dose cannot be given before its course started."})
        if self.planned_dose_id and self.planned_dose.course_id != course.id:
            raise ValidationError({"planned_dose": "The planned dose belongs to another course."})


class AdverseEventType(models.TextChoices):
    # CLINICAL.md section 2: treatment-emergent events seen after B12 replacement.
    TREMOR = "tremor", "Tremor"
    MYOCLONUS = "myoclonus", "Myoclonus"
    HYPOKALAEMIA = "hypokalaemia", "Hypokalaemia"
    INJECTION_SITE_REACTION = "injection_site_reaction", "Injection-site reaction"
    SEIZURE = "seizure", "Seizure"
    HYPERSENSITIVITY = "hypersensitivity", "Hypersensitivity reaction"
    OTHER = "other", "Other"


class AdverseEventSeverity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"
    LIFE_THREATENING = "life_threatening", "Life-threatening"


class AdverseEvent(ClinicalRecord):
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="adverse_events")
    course = models.ForeignKey(
        TreatmentCourse, null=True, blank=True, on_delete=models.PROTECT, related_name="adverse_events"
    )
    event_type = models.CharField(max_length=24, choices=AdverseEventType.choices)
    onset_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    severity = models.CharField(
        max_length=16, choices=AdverseEventSeverity.choices, blank=True, help_text="Blank when not graded."
    )
    description = models.TextField(blank=True)
    action_taken = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["infant", "onset_on"]
        constraints = [
            *voiding_constraints("adverse_event"),
            models.CheckConstraint(condition=Q(event_type__in=AdverseEventType.values), name="adverse_event_type_valid"),
            models.CheckConstraint(
                condition=Q(severity__in=[*AdverseEventSeverity.values, ""]), name="adverse_event_severity_valid"
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("onset_on")),
                name="adverse_event_resolved_after_onset",
                violation_error_message="An adverse event cannot resolve before its onset.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} from {self.onset_on:%Y-%m-%d}"

    def clean(self) -> None:
        infant = self.infant if self.infant_id else None
        check_not_before_birth(infant, self.onset_on, "onset_on")
        if self.course_id and infant is not None and self.course.infant_id != infant.id:
            raise ValidationError({"course": "The course belongs to another infant."})


class ProcedureKind(models.TextChoices):
    ERYTHROCYTE_TRANSFUSION = "erythrocyte_transfusion", "Erythrocyte transfusion"
    EEG = "eeg", "Electroencephalography"
    BONE_MARROW_ASPIRATION = "bone_marrow_aspiration", "Bone marrow aspiration"
    OTHER = "other", "Other"


class Procedure(ClinicalRecord):
    """Supportive care and investigations that are neither labs nor imaging (transfusion, EEG)."""

    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="procedures")
    kind = models.CharField(max_length=24, choices=ProcedureKind.choices)
    performed_on = models.DateField()
    outcome = models.CharField(max_length=300, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["infant", "performed_on"]
        constraints = [
            *voiding_constraints("procedure"),
            models.CheckConstraint(condition=Q(kind__in=ProcedureKind.values), name="procedure_kind_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.performed_on:%Y-%m-%d}"

    def clean(self) -> None:
        check_not_before_birth(self.infant if self.infant_id else None, self.performed_on, "performed_on")
