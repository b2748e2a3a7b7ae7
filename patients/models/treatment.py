"""Treatment: courses and their phases, planned and given doses, adverse events, procedures."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patients.models.base import ClinicalRecord, time_ordered_id, voiding_constraints
from patients.models.checks import check_not_before_birth
from patients.models.clinics import User
from patients.models.people import Infant
from patients.models.record_versions import OWN_INFANT, record_version_triggers, through


class Drug(models.TextChoices):
    HYDROXOCOBALAMIN = "hydroxocobalamin", _("Hydroxocobalamin")
    CYANOCOBALAMIN = "cyanocobalamin", _("Cyanocobalamin")
    FOLIC_ACID = "folic_acid", _("Folic acid")
    IRON = "iron", _("Iron")
    POTASSIUM = "potassium", _("Potassium")
    OTHER = "other", _("Other")


class Route(models.TextChoices):
    # Values shared with the clinical core's regimen engine (patients.clinical.regimens.Route).
    INTRAMUSCULAR = "intramuscular", _("Intramuscular")
    INTRAVENOUS = "intravenous", _("Intravenous")
    SUBCUTANEOUS = "subcutaneous", _("Subcutaneous")
    ORAL = "oral", _("Oral")


class DoseUnit(models.TextChoices):
    MG = "mg", _("mg")
    # Written in full, never "mcg" or "ug", so it cannot be misread as mg (BNF advice).
    MICROGRAM = "microgram", _("microgram")
    MG_PER_KG = "mg/kg", _("mg/kg")


class CourseStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    STOPPED = "stopped", _("Stopped")
    COMPLETED = "completed", _("Completed")


class TreatmentCourse(ClinicalRecord):
    # Time-ordered, as its doses' keys are: a course's id leads the slot key of each of its
    # reminders and keys the index of its doses, so random course ids would scatter a clinic's
    # planning over every page of those indexes (docs/BENCHMARKS.md, planning).
    id = models.UUIDField(primary_key=True, default=time_ordered_id, editable=False)
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="treatment_courses")
    drug = models.CharField(max_length=20, choices=Drug.choices)
    route = models.CharField(max_length=14, choices=Route.choices)
    dose = models.DecimalField(max_digits=8, decimal_places=3, validators=[MinValueValidator(0)])
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices)
    regimen_name = models.CharField(max_length=160, blank=True)
    regimen_key = models.CharField(max_length=80, blank=True)
    regimen_version = models.PositiveIntegerField(null=True, blank=True)
    regimen_source = models.CharField(max_length=300, blank=True)
    regimen = models.JSONField(
        null=True,
        blank=True,
        help_text="The regimen as prescribed (phases, intervals, ends, closing-day policy), copied when "
        "the course starts so a later edit of the clinic's regimen never re-plans this course.",
    )
    planned_until = models.DateField(
        null=True,
        blank=True,
        help_text="Horizon to which open-ended and lifelong phases are planned.",
    )
    indication = models.CharField(max_length=200, blank=True)
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)
    stop_reason = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=CourseStatus.choices, default=CourseStatus.ACTIVE
    )
    prescribed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        ordering = ["infant", "started_on"]
        indexes = [
            # A dose's infant without reading the course's row (its regimen makes it wide): the
            # worklist joins each dose due today in every clinic to its infant to find the page.
            models.Index(
                fields=["id"],
                include=["infant"],
                condition=Q(voided_at__isnull=True),
                name="course_infant_unvoided",
            ),
        ]
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
        check_not_before_birth(
            self.infant if self.infant_id else None, self.started_on, "started_on"
        )


class CourseEventKind(models.TextChoices):
    MISSED = "missed", _("Dose missed")
    ADVANCE = "advance", _("Advanced to the next phase")
    CHANGE = "change", _("Dose or route changed")
    STOP = "stop", _("Course stopped")


class CourseEvent(ClinicalRecord):
    """Something that changes a course's plan from a date on. The plan is recomputed from the
    regimen and all of the course's events; doses before the event's date are never rewritten."""

    course = models.ForeignKey(TreatmentCourse, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=CourseEventKind.choices)
    on = models.DateField()
    make_up_on = models.DateField(
        null=True, blank=True, help_text="Missed dose: when it is made up."
    )
    dose = models.DecimalField(max_digits=8, decimal_places=3, null=True, blank=True)
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices, blank=True)
    route = models.CharField(max_length=14, choices=Route.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        triggers = record_version_triggers(through("patients_treatmentcourse", "course_id"))
        ordering = ["course", "on", "created_at"]
        constraints = [
            *voiding_constraints("course_event"),
            models.CheckConstraint(
                condition=Q(kind__in=CourseEventKind.values), name="course_event_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(make_up_on__isnull=True) | Q(make_up_on__gt=F("on")),
                name="course_event_make_up_after_missed",
                violation_error_message="A missed dose is made up after the day it was missed.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=CourseEventKind.CHANGE)
                | Q(dose__isnull=False)
                | ~Q(dose_unit="")
                | ~Q(route=""),
                name="course_event_change_says_what",
                violation_error_message="A change needs a new dose, unit or route.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.on:%Y-%m-%d}"


class PlannedDoseStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    GIVEN = "given", _("Given")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")
    SUPERSEDED = "superseded", _("Replaced by a new plan")


class PlannedDose(ClinicalRecord):
    """A dose the plan expects on a day. Re-planning supersedes future rows; past rows never change."""

    # Written by the thousand with every course started or re-planned: time-ordered keys.
    id = models.UUIDField(primary_key=True, default=time_ordered_id, editable=False)
    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.PROTECT, related_name="planned_doses"
    )
    number = models.PositiveIntegerField(help_text="Dose number within the course, from 1.")
    phase_number = models.PositiveSmallIntegerField()
    phase_name = models.CharField(max_length=120)
    number_in_phase = models.PositiveIntegerField()
    due_on = models.DateField()
    original_due_on = models.DateField(
        null=True,
        blank=True,
        help_text="The regimen's date, when a closing day or a missed dose moved it.",
    )
    dose = models.DecimalField(max_digits=8, decimal_places=3)
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices)
    route = models.CharField(max_length=14, choices=Route.choices)
    at_home = models.BooleanField(default=False)
    status = models.CharField(
        max_length=10, choices=PlannedDoseStatus.choices, default=PlannedDoseStatus.PLANNED
    )
    plan_version = models.PositiveIntegerField(default=1)

    class Meta:
        triggers = record_version_triggers(through("patients_treatmentcourse", "course_id"))
        ordering = ["course", "due_on", "number"]
        indexes = [
            models.Index(fields=["status", "due_on"], name="planned_dose_status_due"),
            models.Index(fields=["course", "due_on"], name="planned_dose_course_due"),
        ]
        constraints = [
            *voiding_constraints("planned_dose"),
            # A missed dose and its make-up share a number (the same dose of the regimen) but not a day.
            models.UniqueConstraint(
                fields=["course", "number", "due_on"],
                condition=~Q(status=PlannedDoseStatus.SUPERSEDED) & Q(voided_at__isnull=True),
                name="planned_dose_unique_current",
            ),
            models.CheckConstraint(
                condition=Q(status__in=PlannedDoseStatus.values), name="planned_dose_status_valid"
            ),
            models.CheckConstraint(condition=Q(dose__gt=0), name="planned_dose_positive"),
            models.CheckConstraint(condition=Q(number__gte=1), name="planned_dose_number_positive"),
        ]

    def __str__(self) -> str:
        return f"Dose {self.number} on {self.due_on:%Y-%m-%d} ({self.get_status_display().lower()})"


class ReviewTask(ClinicalRecord):
    """A decision staff owe an open-ended phase ("until no further improvement", BNF for
    Children): continue, advance to the next phase, or stop. The regimen engine gives the review
    dates; a clinician's course event (advance or stop) settles the task."""

    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.PROTECT, related_name="review_tasks"
    )
    phase_number = models.PositiveSmallIntegerField()
    phase_name = models.CharField(max_length=120)
    due_on = models.DateField()
    question = models.CharField(max_length=300)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=300, blank=True)
    superseded = models.BooleanField(
        default=False, help_text="Replaced when the course was re-planned."
    )

    class Meta:
        ordering = ["due_on"]
        indexes = [
            models.Index(
                fields=["due_on"],
                condition=Q(completed_at__isnull=True, superseded=False),
                name="review_task_open_due",
            )
        ]
        constraints = [
            *voiding_constraints("review_task"),
            models.CheckConstraint(
                condition=Q(completed_by__isnull=True) | Q(completed_at__isnull=False),
                name="review_task_completed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.phase_name} due {self.due_on:%Y-%m-%d}"


class AdministrationLocation(models.TextChoices):
    WARD = "ward", _("Hospital ward")
    CLINIC = "clinic", _("Outpatient clinic")
    HOME = "home", _("Home")
    HEALTH_CENTRE = "health_centre", _("Family health centre")


class InjectionSite(models.TextChoices):
    # The anterolateral thigh is the usual IM site in infants; deltoid and gluteal later.
    LEFT_THIGH = "left_thigh", _("Left anterolateral thigh")
    RIGHT_THIGH = "right_thigh", _("Right anterolateral thigh")
    LEFT_DELTOID = "left_deltoid", _("Left deltoid")
    RIGHT_DELTOID = "right_deltoid", _("Right deltoid")
    LEFT_GLUTEAL = "left_gluteal", _("Left ventrogluteal")
    RIGHT_GLUTEAL = "right_gluteal", _("Right ventrogluteal")
    NOT_APPLICABLE = "na", _("Not applicable (oral)")


class DoseAdministration(ClinicalRecord):
    course = models.ForeignKey(
        TreatmentCourse, on_delete=models.PROTECT, related_name="administrations"
    )
    planned_dose = models.ForeignKey(
        PlannedDose, null=True, blank=True, on_delete=models.PROTECT, related_name="administrations"
    )
    given_on = models.DateField()
    given_at = models.DateTimeField(null=True, blank=True, help_text="Exact time, when recorded.")
    given_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    given_by_name = models.CharField(
        max_length=120, blank=True, help_text="When the giver has no account."
    )
    location = models.CharField(max_length=14, choices=AdministrationLocation.choices)
    site = models.CharField(max_length=14, choices=InjectionSite.choices, blank=True)
    lot_number = models.CharField(max_length=40, blank=True)
    dose = models.DecimalField(max_digits=8, decimal_places=3)
    dose_unit = models.CharField(max_length=10, choices=DoseUnit.choices)
    route = models.CharField(max_length=14, choices=Route.choices)
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        triggers = record_version_triggers(through("patients_treatmentcourse", "course_id"))
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
            raise ValidationError(
                {"course": "This course was voided; no dose can be recorded on it."}
            )
        if self.given_on < course.started_on:
            raise ValidationError({"given_on": "A dose cannot be given before its course started."})
        if self.planned_dose_id and self.planned_dose.course_id != course.id:
            raise ValidationError({"planned_dose": "The planned dose belongs to another course."})


class AdverseEventType(models.TextChoices):
    # CLINICAL.md section 2: treatment-emergent events seen after B12 replacement.
    TREMOR = "tremor", _("Tremor")
    MYOCLONUS = "myoclonus", _("Myoclonus")
    HYPOKALAEMIA = "hypokalaemia", _("Hypokalaemia")
    INJECTION_SITE_REACTION = "injection_site_reaction", _("Injection-site reaction")
    SEIZURE = "seizure", _("Seizure")
    HYPERSENSITIVITY = "hypersensitivity", _("Hypersensitivity reaction")
    OTHER = "other", _("Other")


class AdverseEventSeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    LIFE_THREATENING = "life_threatening", _("Life-threatening")


class AdverseEvent(ClinicalRecord):
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="adverse_events")
    course = models.ForeignKey(
        TreatmentCourse,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="adverse_events",
    )
    event_type = models.CharField(max_length=24, choices=AdverseEventType.choices)
    onset_on = models.DateField()
    resolved_on = models.DateField(null=True, blank=True)
    severity = models.CharField(
        max_length=16,
        choices=AdverseEventSeverity.choices,
        blank=True,
        help_text="Blank when not graded.",
    )
    description = models.TextField(blank=True)
    action_taken = models.CharField(max_length=300, blank=True)

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        ordering = ["infant", "onset_on"]
        constraints = [
            *voiding_constraints("adverse_event"),
            models.CheckConstraint(
                condition=Q(event_type__in=AdverseEventType.values), name="adverse_event_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=[*AdverseEventSeverity.values, ""]),
                name="adverse_event_severity_valid",
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
    ERYTHROCYTE_TRANSFUSION = "erythrocyte_transfusion", _("Erythrocyte transfusion")
    EEG = "eeg", _("Electroencephalography")
    BONE_MARROW_ASPIRATION = "bone_marrow_aspiration", _("Bone marrow aspiration")
    OTHER = "other", _("Other")


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
            models.CheckConstraint(
                condition=Q(kind__in=ProcedureKind.values), name="procedure_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.performed_on:%Y-%m-%d}"

    def clean(self) -> None:
        check_not_before_birth(
            self.infant if self.infant_id else None, self.performed_on, "performed_on"
        )
