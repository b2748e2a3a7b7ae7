"""Laboratory results of an infant or a mother, and coded smear and marrow findings."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from patients.models.base import ClinicalRecord, voiding_constraints
from patients.models.checks import check_not_before_birth, check_same_infant
from patients.models.people import Infant, Mother
from patients.models.record_versions import OWN_INFANT, record_version_triggers
from patients.models.visits import Visit


class Analyte(models.TextChoices):
    # CLINICAL.md section 5; units, LOINC codes and ranges live in the clinical core's catalogue.
    B12 = "b12", _("Vitamin B12 (cobalamin), serum")
    HOLOTC = "holotc", _("Holotranscobalamin (active B12)")
    FOLATE = "folate", _("Folate, serum")
    HOMOCYSTEINE = "homocysteine", _("Total homocysteine")
    MMA_SERUM = "mma_serum", _("Methylmalonic acid, serum")
    MMA_URINE = "mma_urine", _("Methylmalonic acid, urine")
    HAEMOGLOBIN = "haemoglobin", _("Haemoglobin")
    HAEMATOCRIT = "haematocrit", _("Haematocrit")
    WBC = "wbc", _("White blood cells")
    PLATELETS = "platelets", _("Platelets")
    MCV = "mcv", _("Mean corpuscular volume")
    ANC = "anc", _("Absolute neutrophil count")
    FERRITIN = "ferritin", _("Ferritin")
    POTASSIUM = "potassium", _("Potassium")
    RETICULOCYTES_PCT = "reticulocytes_pct", _("Reticulocytes (%)")
    RETICULOCYTES_ABS = "reticulocytes_abs", _("Reticulocytes (absolute)")


class LabUnit(models.TextChoices):
    PG_ML = "pg/mL", _("pg/mL")
    NG_L = "ng/L", _("ng/L")
    PMOL_L = "pmol/L", _("pmol/L")
    NG_ML = "ng/mL", _("ng/mL")
    NMOL_L = "nmol/L", _("nmol/L")
    UMOL_L = "umol/L", _("µmol/L")
    NMOL_ML = "nmol/mL", _("nmol/mL")
    UG_MG_CREAT = "ug/mg creatinine", _("µg/mg creatinine")
    MMOL_MOL_CREAT = "mmol/mol creatinine", _("mmol/mol creatinine")
    G_DL = "g/dL", _("g/dL")
    G_L = "g/L", _("g/L")
    PERCENT = "%", _("%")
    E9_L = "10^9/L", _("×10⁹/L")
    E3_UL = "10^3/uL", _("×10³/µL")
    FL = "fL", _("fL")
    UG_L = "ug/L", _("µg/L")
    MMOL_L = "mmol/L", _("mmol/L")


class Comparator(models.TextChoices):
    # A result printed as "<150 pg/mL" is a real, censored result: comparator "<", value 150.
    EXACT = "", _("=")
    LT = "<", _("<")
    LE = "<=", _("≤")
    GT = ">", _(">")
    GE = ">=", _("≥")


class LabFlag(models.TextChoices):
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")
    HIGH = "high", _("High")
    CRITICAL_LOW = "critical_low", _("Critically low")
    CRITICAL_HIGH = "critical_high", _("Critically high")
    UNKNOWN = "unknown", _("Not classifiable")


class Specimen(models.TextChoices):
    SERUM = "serum", _("Serum")
    PLASMA = "plasma", _("Plasma")
    WHOLE_BLOOD = "whole_blood", _("Whole blood")
    URINE = "urine", _("Urine")


class LabResult(ClinicalRecord):
    """One analyte measured once, for an infant or for a mother (never both).

    A value may be absent only when the laboratory reported words rather than a number (seed 000:
    "high urine level of methylmalonate", "normal serum level of folate"); then `reported_text`
    holds those words and the flag records what they say.
    """

    infant = models.ForeignKey(
        Infant, null=True, blank=True, on_delete=models.PROTECT, related_name="lab_results"
    )
    mother = models.ForeignKey(
        Mother, null=True, blank=True, on_delete=models.PROTECT, related_name="lab_results"
    )
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="lab_results"
    )
    analyte = models.CharField(max_length=20, choices=Analyte.choices)
    specimen = models.CharField(max_length=12, choices=Specimen.choices, default=Specimen.SERUM)
    collected_on = models.DateField()
    collected_time = models.TimeField(
        null=True,
        blank=True,
        help_text="Clinic local time, when known (needed for the 48-hour potassium rule).",
    )
    comparator = models.CharField(max_length=2, choices=Comparator.choices, blank=True, default="")
    value = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    unit = models.CharField(max_length=20, choices=LabUnit.choices, blank=True)
    reported_text = models.CharField(max_length=200, blank=True)
    reference_low = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    reference_high = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    reference_source = models.CharField(
        max_length=200,
        blank=True,
        help_text="Whose range: the printed laboratory range or a catalogue default.",
    )
    lab_name = models.CharField(
        max_length=120, blank=True, help_text="The laboratory that reported it."
    )
    # What the clinical core made of it, with the rule version (patients.clinical.labs).
    canonical_value = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    canonical_unit = models.CharField(max_length=20, blank=True)
    flag = models.CharField(max_length=14, choices=LabFlag.choices, blank=True)
    flag_rule = models.CharField(
        max_length=100, blank=True, help_text="Rule and version that set the flag."
    )
    b12_status = models.CharField(
        max_length=14,
        blank=True,
        help_text="Deficient, indeterminate, unlikely... (B12, holoTC, homocysteine).",
    )
    b12_threshold_set = models.CharField(
        max_length=120, blank=True, help_text="The threshold set that decided it."
    )
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        triggers = record_version_triggers(OWN_INFANT)
        ordering = ["-collected_on", "analyte"]
        indexes = [
            models.Index(
                fields=["infant", "analyte", "collected_on"], name="lab_infant_analyte_date"
            ),
            models.Index(
                fields=["mother", "analyte", "collected_on"], name="lab_mother_analyte_date"
            ),
        ]
        constraints = [
            *voiding_constraints("lab_result"),
            models.CheckConstraint(
                condition=(Q(infant__isnull=False) & Q(mother__isnull=True))
                | (Q(infant__isnull=True) & Q(mother__isnull=False)),
                name="lab_result_one_subject",
                violation_error_message="A lab result belongs to either the infant or the mother, not both.",
            ),
            models.CheckConstraint(
                condition=Q(analyte__in=Analyte.values), name="lab_result_analyte_valid"
            ),
            models.CheckConstraint(
                condition=Q(comparator__in=Comparator.values), name="lab_result_comparator_valid"
            ),
            models.CheckConstraint(
                condition=(Q(value__isnull=False) & ~Q(unit=""))
                | (Q(value__isnull=True) & ~Q(reported_text="") & Q(comparator="")),
                name="lab_result_value_or_words",
                violation_error_message="Enter a value with its unit, or the words the laboratory reported.",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="lab_result_value_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(reference_low__isnull=True)
                | Q(reference_high__isnull=True)
                | Q(reference_low__lte=F("reference_high")),
                name="lab_result_reference_ordered",
                violation_error_message="The lower reference limit must not exceed the upper one.",
            ),
        ]

    @property
    def result_text(self) -> str:
        """The result as the laboratory reported it: "<150 pg/mL", or its words."""
        if self.value is None:
            return self.reported_text
        return f"{self.comparator}{self.value.normalize():f} {self.unit}"

    def __str__(self) -> str:
        return f"{self.get_analyte_display()}: {self.result_text}"

    def clean(self) -> None:
        infant = self.infant if self.infant_id else None
        check_not_before_birth(infant, self.collected_on, "collected_on")
        check_same_infant(infant, self.visit if self.visit_id else None, "visit", "visit")


class QualitativeSpecimen(models.TextChoices):
    PERIPHERAL_SMEAR = "peripheral_smear", _("Peripheral blood smear")
    BONE_MARROW = "bone_marrow", _("Bone marrow aspirate")


class QualitativeFindingCode(models.TextChoices):
    # CLINICAL.md section 2: smear and marrow findings of megaloblastic anaemia.
    HYPERSEGMENTED_NEUTROPHILS = "hypersegmented_neutrophils", _("Hypersegmented neutrophils")
    ANISOCYTOSIS = "anisocytosis", _("Anisocytosis")
    MACROCYTOSIS = "macrocytosis", _("Macrocytosis")
    MEGALOBLASTIC_MARROW = "megaloblastic_marrow", _("Megaloblastic marrow")
    NORMAL = "normal", _("No abnormality")


class QualitativeFinding(ClinicalRecord):
    infant = models.ForeignKey(
        Infant, on_delete=models.PROTECT, related_name="qualitative_findings"
    )
    visit = models.ForeignKey(
        Visit, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    specimen = models.CharField(max_length=20, choices=QualitativeSpecimen.choices)
    finding = models.CharField(max_length=30, choices=QualitativeFindingCode.choices)
    observed_on = models.DateField()
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-observed_on"]
        constraints = [
            *voiding_constraints("qualitative_finding"),
            models.CheckConstraint(
                condition=Q(specimen__in=QualitativeSpecimen.values),
                name="qualitative_specimen_valid",
            ),
            models.CheckConstraint(
                condition=Q(finding__in=QualitativeFindingCode.values),
                name="qualitative_finding_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_specimen_display()}: {self.get_finding_display()}"

    def clean(self) -> None:
        check_not_before_birth(
            self.infant if self.infant_id else None, self.observed_on, "observed_on"
        )
