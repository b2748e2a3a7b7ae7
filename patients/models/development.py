"""Development: Denver II assessments and milestone attainments."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from patients.models.base import ClinicalRecord, voiding_constraints
from patients.models.checks import check_not_before_birth, check_same_infant
from patients.models.clinics import User
from patients.models.people import Infant
from patients.models.record_versions import OWN_INFANT, record_version_triggers, through
from patients.models.visits import Visit


class DenverSector(models.TextChoices):
    PERSONAL_SOCIAL = "personal_social", _("Personal-social")
    FINE_MOTOR_ADAPTIVE = "fine_motor_adaptive", _("Fine motor-adaptive")
    LANGUAGE = "language", _("Language")
    GROSS_MOTOR = "gross_motor", _("Gross motor")


class DenverScore(models.TextChoices):
    # CLINICAL.md section 7: raw item scores.
    PASS = "P", _("Pass")
    FAIL = "F", _("Fail")
    REFUSAL = "R", _("Refusal")
    NO_OPPORTUNITY = "NO", _("No opportunity")


class DenverItemInterpretation(models.TextChoices):
    ADVANCED = "advanced", _("Advanced")
    NORMAL = "normal", _("Normal")
    CAUTION = "caution", _("Caution")
    DELAYED = "delayed", _("Delayed")
    NO_OPPORTUNITY = "no_opportunity", _("No opportunity")


class DenverTestResult(models.TextChoices):
    NORMAL = "normal", _("Normal")
    SUSPECT = "suspect", _("Suspect")
    UNTESTABLE = "untestable", _("Untestable")


class DenverAssessment(ClinicalRecord):
    """A Denver II screening.

    The interpretation is computed by the clinical core and stored with the age line and the norm
    table version that produced it, so a newer table never changes a past result.
    """

    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="denver_assessments")
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="denver_assessments"
    )
    assessed_on = models.DateField()
    examiner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    age_line_months = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    age_corrected = models.BooleanField(null=True, blank=True)
    norm_version = models.CharField(max_length=80, blank=True)
    rules_version = models.CharField(max_length=40, blank=True)
    test_result = models.CharField(max_length=12, choices=DenverTestResult.choices, blank=True)
    recommendation = models.CharField(max_length=120, blank=True)
    sector_summaries = models.JSONField(
        default=list,
        blank=True,
        help_text="Per sector: counts per interpretation and the developmental age.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        ordering = ["infant", "-assessed_on"]
        constraints = [*voiding_constraints("denver_assessment")]

    def __str__(self) -> str:
        return f"Denver II on {self.assessed_on:%Y-%m-%d}"

    def clean(self) -> None:
        infant = self.infant if self.infant_id else None
        check_not_before_birth(infant, self.assessed_on, "assessed_on")
        check_same_infant(infant, self.visit if self.visit_id else None, "visit", "visit")


class DenverItemResult(ClinicalRecord):
    assessment = models.ForeignKey(
        DenverAssessment, on_delete=models.PROTECT, related_name="item_results"
    )
    item_code = models.CharField(
        max_length=40, help_text="Sector and item number, e.g. gross_motor:17."
    )
    score = models.CharField(max_length=2, choices=DenverScore.choices)
    interpretation = models.CharField(
        max_length=16, choices=DenverItemInterpretation.choices, blank=True
    )

    class Meta:
        ordering = ["assessment", "item_code"]
        constraints = [
            *voiding_constraints("denver_item_result"),
            models.CheckConstraint(
                condition=Q(score__in=DenverScore.values), name="denver_item_score_valid"
            ),
            models.UniqueConstraint(
                fields=["assessment", "item_code"],
                condition=Q(voided_at__isnull=True),
                name="denver_item_once_per_assessment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_code}: {self.score}"


class SectorConclusion(models.TextChoices):
    NORMAL = "normal", _("Normal")
    DELAYED = "delayed", _("Delayed")


class DenverSectorFinding(ClinicalRecord):
    """A sector-level conclusion as reported, for assessments known only from a letter or a paper.

    Seed 000 reports Denver II by sector ("retarded especially in language and fine motor") without
    item scores; recording that as invented item scores would falsify the record.
    """

    assessment = models.ForeignKey(
        DenverAssessment, on_delete=models.PROTECT, related_name="sector_findings"
    )
    sector = models.CharField(max_length=20, choices=DenverSector.choices)
    conclusion = models.CharField(max_length=10, choices=SectorConclusion.choices)
    source_text = models.CharField(max_length=300, blank=True, help_text="The words of the report.")

    class Meta:
        triggers = record_version_triggers(through("patients_denverassessment", "assessment_id"))
        ordering = ["assessment", "sector"]
        constraints = [
            *voiding_constraints("denver_sector_finding"),
            models.CheckConstraint(
                condition=Q(sector__in=DenverSector.values), name="denver_sector_valid"
            ),
            models.UniqueConstraint(
                fields=["assessment", "sector"],
                condition=Q(voided_at__isnull=True),
                name="denver_sector_once_per_assessment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_sector_display()}: {self.get_conclusion_display()}"


class Milestone(models.TextChoices):
    HEAD_CONTROL = "head_control", _("Head control")
    SITTING_WITHOUT_SUPPORT = "sitting_without_support", _("Sits without support")
    HANDS_AND_KNEES_CRAWLING = "hands_and_knees_crawling", _("Crawls on hands and knees")
    STANDING_WITH_ASSISTANCE = "standing_with_assistance", _("Stands with assistance")
    WALKING_WITH_ASSISTANCE = "walking_with_assistance", _("Walks with assistance")
    STANDING_ALONE = "standing_alone", _("Stands alone")
    WALKING_ALONE = "walking_alone", _("Walks alone")
    FIRST_WORDS = "first_words", _("First words")


class MilestoneTiming(models.TextChoices):
    EARLY = "early", _("Early")
    ON_TIME = "on_time", _("Within the window")
    LATE = "late", _("Late")
    NOT_YET_ATTAINED = "not_yet_attained", _("Not yet attained")
    ABSENT_NOT_ABNORMAL_ALONE = "absent_not_abnormal_alone", _("Absent (not abnormal alone)")


class MilestoneSource(models.TextChoices):
    OBSERVED = "observed", _("Observed by staff")
    REPORTED = "reported", _("Reported by parents")


class MilestoneAttainment(ClinicalRecord):
    """When a milestone was reached, as an age (what parents remember) or a date (what staff saw)."""

    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="milestones")
    milestone = models.CharField(max_length=30, choices=Milestone.choices)
    attained_age_months = models.DecimalField(
        max_digits=5, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    attained_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=MilestoneSource.choices)
    notes = models.CharField(max_length=300, blank=True)
    # The window it was judged against (patients.clinical.milestones), stored with its version.
    timing = models.CharField(max_length=30, choices=MilestoneTiming.choices, blank=True)
    age_used_months = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    age_corrected = models.BooleanField(null=True, blank=True)
    window_reference = models.CharField(max_length=200, blank=True)

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        ordering = ["infant", "milestone"]
        constraints = [
            *voiding_constraints("milestone_attainment"),
            models.CheckConstraint(
                condition=Q(milestone__in=Milestone.values), name="milestone_code_valid"
            ),
            models.CheckConstraint(
                condition=Q(attained_age_months__isnull=False) | Q(attained_on__isnull=False),
                name="milestone_age_or_date",
            ),
            models.CheckConstraint(
                condition=Q(attained_age_months__isnull=True) | Q(attained_age_months__gte=0),
                name="milestone_age_not_negative",
            ),
            models.UniqueConstraint(
                fields=["infant", "milestone"],
                condition=Q(voided_at__isnull=True),
                name="milestone_once_per_infant",
            ),
        ]

    def __str__(self) -> str:
        when = (
            f"{self.attained_age_months} months"
            if self.attained_age_months is not None
            else f"{self.attained_on}"
        )
        return f"{self.get_milestone_display()} at {when}"

    def clean(self) -> None:
        check_not_before_birth(
            self.infant if self.infant_id else None, self.attained_on, "attained_on"
        )
