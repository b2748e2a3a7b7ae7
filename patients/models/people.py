"""Guardians, mothers and infants: who is followed, and who is reminded."""

from __future__ import annotations

import datetime
import zoneinfo

import pgtrigger
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField

from patients.models.base import ClinicalRecord, after_statement, voiding_constraints
from patients.models.clinics import Clinic, User
from patients.models.record_versions import OWN_INFANT, record_version_triggers
from patients.models.validators import validate_time_zone


class Language(models.TextChoices):
    TURKISH = "tr", _("Türkçe")
    ENGLISH = "en", _("English")


class Guardian(ClinicalRecord):
    """A parent or carer who signs in to see their own children's plan and receives reminders."""

    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="guardian")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.TURKISH)
    time_zone = models.CharField(
        max_length=64, default="Europe/Istanbul", validators=[validate_time_zone]
    )
    phone = PhoneNumberField(blank=True, help_text="International format, e.g. +90 532 000 00 00.")
    email = models.EmailField(blank=True)
    sms_enabled = models.BooleanField(default=True, verbose_name="SMS reminders")
    email_enabled = models.BooleanField(default=True, verbose_name="e-mail reminders")
    calendar_enabled = models.BooleanField(default=False, verbose_name="calendar feed")
    # Local times in the guardian's zone. The defaults are the evening before at 19:00 and the
    # morning of at 08:00; a blank time switches that reminder off.
    evening_reminder_at = models.TimeField(null=True, blank=True, default=datetime.time(19, 0))
    morning_reminder_at = models.TimeField(null=True, blank=True, default=datetime.time(8, 0))
    # No message arrives inside quiet hours; one due then waits for their end. The default night
    # (22:00-07:00) is a clinic convention the guardian changes on the preferences page.
    quiet_hours_start = models.TimeField(null=True, blank=True, default=datetime.time(22, 0))
    quiet_hours_end = models.TimeField(null=True, blank=True, default=datetime.time(7, 0))

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        constraints = voiding_constraints("guardian")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ConsentPurpose(models.TextChoices):
    CARE_RECORD = "care_record", _("Keeping the child's follow-up record")
    REMINDERS = "reminders", _("Dose and visit reminders")
    RESEARCH = "research", _("De-identified use in cohort research")


class Consent(ClinicalRecord):
    """Consent as it was given: what for, which text version, when, and when withdrawn."""

    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="consents")
    purpose = models.CharField(max_length=20, choices=ConsentPurpose.choices)
    text_version = models.CharField(max_length=40, help_text="Version of the consent text signed.")
    given_at = models.DateTimeField()
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )

    class Meta:
        ordering = ["guardian", "purpose", "-given_at"]
        constraints = [
            *voiding_constraints("consent"),
            models.CheckConstraint(
                condition=Q(purpose__in=ConsentPurpose.values), name="consent_purpose_valid"
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_at__gte=F("given_at")),
                name="consent_withdrawn_after_given",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian}: {self.get_purpose_display()}"


class MaternalDiet(models.TextChoices):
    OMNIVORE = "omnivore", _("Omnivore")
    LOW_ANIMAL_FOOD = "low_animal_food", _("Low in animal-source food")
    VEGETARIAN = "vegetarian", _("Vegetarian")
    VEGAN = "vegan", _("Vegan")
    UNKNOWN = "unknown", _("Unknown")


class DeficiencyCause(models.TextChoices):
    # CLINICAL.md section 1: the usual maternal causes of infantile B12 deficiency.
    DIETARY = "dietary", _("Dietary (low intake)")
    PERNICIOUS_ANAEMIA = "pernicious_anaemia", _("Pernicious anaemia")
    MALABSORPTION = "malabsorption", _("Malabsorption")
    GASTRIC_BYPASS = "gastric_bypass", _("Gastric bypass")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class Mother(ClinicalRecord):
    """The infant's mother: the usual source of the deficiency, treated at the same time."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="mothers")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    birth_date = models.DateField(null=True, blank=True)
    diet = models.CharField(
        max_length=20, choices=MaternalDiet.choices, default=MaternalDiet.UNKNOWN
    )
    deficiency_cause = models.CharField(
        max_length=20, choices=DeficiencyCause.choices, default=DeficiencyCause.UNKNOWN
    )
    guardian = models.OneToOneField(
        Guardian,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="mother_record",
        help_text="Her guardian account, when she is also the one who receives reminders.",
    )
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["family_name", "given_name"]
        constraints = [
            *voiding_constraints("mother"),
            models.CheckConstraint(
                condition=Q(diet__in=MaternalDiet.values), name="mother_diet_valid"
            ),
            models.CheckConstraint(
                condition=Q(deficiency_cause__in=DeficiencyCause.values), name="mother_cause_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"


class MaternalSupplementation(ClinicalRecord):
    """The mother's own B12 treatment (CLINICAL.md section 3: oral 1000-2000 micrograms daily, or IM)."""

    class Route(models.TextChoices):
        ORAL = "oral", _("Oral")
        IM = "im", _("Intramuscular")
        SUBLINGUAL = "sublingual", _("Sublingual")

    mother = models.ForeignKey(Mother, on_delete=models.PROTECT, related_name="supplementations")
    product = models.CharField(
        max_length=100, help_text="For example hydroxocobalamin, cyanocobalamin."
    )
    route = models.CharField(max_length=12, choices=Route.choices)
    dose_ug = models.DecimalField(max_digits=8, decimal_places=1, verbose_name="dose (micrograms)")
    frequency = models.CharField(max_length=100, help_text="For example daily, monthly.")
    started_on = models.DateField()
    stopped_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["mother", "started_on"]
        constraints = [
            *voiding_constraints("maternal_supplementation"),
            models.CheckConstraint(
                condition=Q(dose_ug__gt=0), name="maternal_supplementation_dose_positive"
            ),
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True) | Q(stopped_on__gte=F("started_on")),
                name="maternal_supplementation_stop_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} {self.dose_ug} micrograms {self.frequency}"


class Sex(models.TextChoices):
    # FHIR administrative gender; growth references need male or female.
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")
    OTHER = "other", _("Other")
    UNKNOWN = "unknown", _("Unknown")


class FollowUpStatus(models.TextChoices):
    ACTIVE = "active", _("In follow-up")
    COMPLETED = "completed", _("Follow-up completed")
    TRANSFERRED = "transferred", _("Transferred to another clinic")
    LOST = "lost", _("Lost to follow-up")
    DECEASED = "deceased", _("Deceased")


# Gestational age at birth is stored in days (37 weeks 3 days = 262). 22 to 44 completed weeks
# covers every live birth a follow-up clinic will register; outside that the entry is a typo.
GESTATION_MIN_DAYS = 22 * 7
GESTATION_MAX_DAYS = 44 * 7 + 6
# Birth weight bounds in grams: the smallest surviving neonates weigh ~300 g, and 7000 g is above
# any recorded singleton birth weight that a typo could be confused with.
BIRTH_WEIGHT_MIN_G = 300
BIRTH_WEIGHT_MAX_G = 7000


#: The table of `InfantCountChange`, named here because the infant table's triggers write to it.
INFANT_COUNT_TABLE = "patients_infantcountchange"


def _infant_count_trigger(name: str, operation, referencing, counted: str) -> pgtrigger.Trigger:
    """A statement-level trigger that records what one statement did to each clinic's count of
    active infants: one row a clinic, however many infants the statement wrote (a COPY of a
    cohort included), and none when the count did not move."""
    return after_statement(
        name,
        operation,
        referencing,
        # Built from the constants above, never from input.
        f"""
            INSERT INTO {INFANT_COUNT_TABLE} (clinic_id, change)
            SELECT clinic_id, sum(change) FROM ({counted}) AS counted
            GROUP BY clinic_id HAVING sum(change) <> 0;
            RETURN NULL;
        """,  # noqa: S608
    )


class Infant(ClinicalRecord):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="infants")
    record_number = models.CharField(max_length=40, help_text="The clinic's own patient number.")
    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    sex = models.CharField(max_length=10, choices=Sex.choices)
    birth_date = models.DateField()
    gestational_age_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(GESTATION_MIN_DAYS), MaxValueValidator(GESTATION_MAX_DAYS)],
        help_text="Gestational age at birth in days (40 weeks = 280). Used for corrected age.",
    )
    perinatal_notes = models.CharField(
        max_length=300,
        blank=True,
        help_text="What is known of the pregnancy and birth when exact numbers are not.",
    )
    birth_weight_g = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(BIRTH_WEIGHT_MIN_G), MaxValueValidator(BIRTH_WEIGHT_MAX_G)],
    )
    mother = models.ForeignKey(
        Mother, null=True, blank=True, on_delete=models.PROTECT, related_name="infants"
    )
    guardians = models.ManyToManyField(Guardian, through="InfantGuardian", related_name="infants")

    # Feeding history (CLINICAL.md section 2): exclusive breast-feeding and when solids started.
    exclusively_breastfed = models.BooleanField(null=True, blank=True)
    solids_started_age_months = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(60)],
    )
    feeding_notes = models.TextField(blank=True)

    diagnosis_date = models.DateField(null=True, blank=True)
    follow_up_status = models.CharField(
        max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.ACTIVE
    )

    class Meta:
        ordering = ["family_name", "given_name"]
        indexes = [
            models.Index(fields=["clinic", "follow_up_status"], name="infant_clinic_status"),
            models.Index(fields=["clinic", "family_name", "given_name"], name="infant_clinic_name"),
            # An infant followed up, its clinic and its name, without reading its row: what the
            # worklist needs of each infant with a dose due today to put the page in name order.
            models.Index(
                fields=["id"],
                include=["clinic", "family_name", "given_name"],
                condition=Q(voided_at__isnull=True, follow_up_status=FollowUpStatus.ACTIVE),
                name="infant_followed_name",
            ),
        ]
        constraints = [
            *voiding_constraints("infant"),
            models.UniqueConstraint(
                fields=["clinic", "record_number"],
                name="infant_record_number_unique",
                violation_error_message="This record number is already used in this clinic.",
            ),
            models.CheckConstraint(condition=Q(sex__in=Sex.values), name="infant_sex_valid"),
            models.CheckConstraint(
                condition=Q(follow_up_status__in=FollowUpStatus.values), name="infant_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(gestational_age_days__isnull=True)
                | Q(
                    gestational_age_days__gte=GESTATION_MIN_DAYS,
                    gestational_age_days__lte=GESTATION_MAX_DAYS,
                ),
                name="infant_gestational_age_range",
            ),
            models.CheckConstraint(
                condition=Q(birth_weight_g__isnull=True)
                | Q(birth_weight_g__gte=BIRTH_WEIGHT_MIN_G, birth_weight_g__lte=BIRTH_WEIGHT_MAX_G),
                name="infant_birth_weight_range",
            ),
            models.CheckConstraint(
                condition=Q(diagnosis_date__isnull=True) | Q(diagnosis_date__gte=F("birth_date")),
                name="infant_diagnosis_after_birth",
                violation_error_message="The diagnosis date cannot be before the birth date.",
            ),
        ]
        # Each clinic's count of active infants, kept by PostgreSQL as rows are written, so the
        # infant list can say how many there are without counting them on every page
        # (`selectors.active_infant_count`, docs/BENCHMARKS.md). Triggers rather than the
        # services: every way an infant row is written (the API, the import, a bulk load, COPY)
        # moves the count, and none can forget to. Transition tables allow one event a trigger.
        triggers = [
            _infant_count_trigger(
                "infant_count_insert",
                pgtrigger.Insert,
                pgtrigger.Referencing(new="added"),
                "SELECT clinic_id, 1 AS change FROM added WHERE voided_at IS NULL",
            ),
            _infant_count_trigger(
                "infant_count_update",
                pgtrigger.Update,
                pgtrigger.Referencing(old="before_update", new="after_update"),
                "SELECT clinic_id, 1 AS change FROM after_update WHERE voided_at IS NULL"
                " UNION ALL"
                " SELECT clinic_id, -1 FROM before_update WHERE voided_at IS NULL",
            ),
            _infant_count_trigger(
                "infant_count_delete",
                pgtrigger.Delete,
                pgtrigger.Referencing(old="removed"),
                "SELECT clinic_id, -1 AS change FROM removed WHERE voided_at IS NULL",
            ),
            # The infant's own row is part of its record (the charts read its birth and sex).
            *record_version_triggers("SELECT id AS infant_id FROM {rows}"),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name} ({self.record_number})"

    def clean(self) -> None:
        # "Today" on the clinic's calendar: a birth typed just after midnight in Istanbul is not
        # in the future there, whatever the server's UTC date says.
        if self.clinic_id is None:
            return
        today = self.clinic.today()
        errors = {}
        if self.birth_date and self.birth_date > today:
            errors["birth_date"] = (
                f"{self.birth_date:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d})."
            )
        if self.diagnosis_date and self.diagnosis_date > today:
            errors["diagnosis_date"] = (
                f"{self.diagnosis_date:%Y-%m-%d} is in the future (today is {today:%Y-%m-%d})."
            )
        if errors:
            raise ValidationError(errors)


class Relationship(models.TextChoices):
    MOTHER = "mother", _("Mother")
    FATHER = "father", _("Father")
    GRANDPARENT = "grandparent", _("Grandparent")
    OTHER = "other", _("Other carer")


class InfantGuardian(ClinicalRecord):
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="guardianships")
    guardian = models.ForeignKey(Guardian, on_delete=models.PROTECT, related_name="guardianships")
    relationship = models.CharField(max_length=12, choices=Relationship.choices)
    is_primary = models.BooleanField(default=False, help_text="Receives reminders first.")

    class Meta:
        verbose_name = "guardianship"
        constraints = [
            *voiding_constraints("infant_guardian"),
            models.UniqueConstraint(
                fields=["infant", "guardian"],
                condition=Q(voided_at__isnull=True),
                name="infant_guardian_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian} ({self.get_relationship_display()}) of {self.infant}"


class PresentingSignCode(models.TextChoices):
    # CLINICAL.md section 1: neurological and systemic signs at presentation (2-12 months).
    APATHY = "apathy", _("Apathy")
    IRRITABILITY = "irritability", _("Irritability")
    HYPOTONIA = "hypotonia", _("Hypotonia")
    DEVELOPMENTAL_DELAY = "developmental_delay", _("Developmental delay")
    DEVELOPMENTAL_REGRESSION = "developmental_regression", _("Developmental regression")
    TREMOR = "tremor", _("Tremor")
    SEIZURES = "seizures", _("Seizures")
    FAILURE_TO_THRIVE = "failure_to_thrive", _("Failure to thrive")
    PALLOR = "pallor", _("Pallor")
    FEEDING_DIFFICULTY = "feeding_difficulty", _("Poor feeding or vomiting")
    HYPOACTIVITY = "hypoactivity", _("Hypoactivity")


class PresentingSign(ClinicalRecord):
    infant = models.ForeignKey(Infant, on_delete=models.PROTECT, related_name="presenting_signs")
    sign = models.CharField(max_length=30, choices=PresentingSignCode.choices)
    onset_age_months = models.DecimalField(
        max_digits=4, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    notes = models.CharField(max_length=200, blank=True)

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        constraints = [
            *voiding_constraints("presenting_sign"),
            models.CheckConstraint(
                condition=Q(sign__in=PresentingSignCode.values), name="presenting_sign_valid"
            ),
            models.UniqueConstraint(
                fields=["infant", "sign"],
                condition=Q(voided_at__isnull=True),
                name="presenting_sign_unique_active",
            ),
        ]

    def __str__(self) -> str:
        return self.get_sign_display()


class InfantCountChange(models.Model):
    """One change to a clinic's count of active (not voided) infants, written by the infant
    table's triggers on PostgreSQL; the count is the sum of a clinic's rows.

    Changes are added rather than one row a clinic updated in place, so two transactions that
    register infants in the same clinic never wait on each other for the count. The hourly
    `fold_infant_counts` folds each clinic's rows into one. This is a derived figure, not part
    of the record: it has no history, and folding deletes rows. On SQLite nothing writes here and
    the list counts its rows instead.
    """

    id = models.BigAutoField(primary_key=True)
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    change = models.IntegerField()

    class Meta:
        db_table = INFANT_COUNT_TABLE

    def __str__(self) -> str:
        return f"{self.change:+d} active infants in clinic {self.clinic_id}"
