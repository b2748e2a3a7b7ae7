"""Codes the FHIR export uses, as data, each with where it was checked.

LOINC codes were checked against the LOINC long common names published by Regenstrief
(loinc.org) and against laboratory catalogues that print the code beside the test (ARUP
Laboratories, Mayo Clinic Laboratories), and agree with CLINICAL.md section 5 and the clinical
core's catalogue (patients.clinical.labs) except where a row says otherwise. A result that has no
confident LOINC code is exported with a text-only code (CodeableConcept.text, no coding) rather
than a guess; ``text_only_reason`` says why.
"""

from __future__ import annotations

from dataclasses import dataclass

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
ATC = "http://www.whocc.no/atc"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
DIAGNOSTIC_SERVICE = "http://terminology.hl7.org/CodeSystem/v2-0074"
ADVERSE_EVENT_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
ADVERSE_EVENT_OUTCOME = "http://terminology.hl7.org/CodeSystem/adverse-event-outcome"

LOINC_TABLE = "LOINC long common name (loinc.org)"
ARUP = "ARUP Laboratories test directory"
MAYO = "Mayo Clinic Laboratories test catalogue"
FHIR_VITALS = "FHIR R4 vital signs profiles (hl7.org/fhir/R4/observation-vitalsigns.html)"


@dataclass(frozen=True)
class Code:
    system: str
    code: str
    display: str

    def as_coding(self) -> dict:
        return {"system": self.system, "code": self.code, "display": self.display}


@dataclass(frozen=True)
class LabCode:
    """How one analyte reported in one unit is coded; ``loinc`` is None for a text-only code."""

    analyte: str
    unit: str
    loinc: Code | None
    source: str
    text_only_reason: str = ""


def _loinc(code: str, display: str) -> Code:
    return Code(LOINC, code, display)


_B12_MASS = _loinc("2132-9", "Cobalamin (Vitamin B12) [Mass/volume] in Serum or Plasma")
_B12_MOLAR = _loinc("14685-2", "Cobalamin (Vitamin B12) [Moles/volume] in Serum or Plasma")
_FOLATE_MASS = _loinc("2284-8", "Folate [Mass/volume] in Serum or Plasma")
_FOLATE_MOLAR = _loinc("14732-2", "Folate [Moles/volume] in Serum or Plasma")
_HAEMOGLOBIN = _loinc("718-7", "Hemoglobin [Mass/volume] in Blood")
_WBC = _loinc("6690-2", "Leukocytes [#/volume] in Blood by Automated count")
_PLATELETS = _loinc("777-3", "Platelets [#/volume] in Blood by Automated count")
_ANC = _loinc("751-8", "Neutrophils [#/volume] in Blood by Automated count")
_FERRITIN = _loinc("2276-4", "Ferritin [Mass/volume] in Serum or Plasma")
_RETICULOCYTES_ABS = _loinc("60474-4", "Reticulocytes [#/volume] in Blood by Automated count")
_MMA_SERUM = _loinc("13964-2", "Methylmalonate [Moles/volume] in Serum or Plasma")

# fmt: off
LAB_CODES: tuple[LabCode, ...] = (
    LabCode("b12", "pg/mL", _B12_MASS, f"{LOINC_TABLE}; {ARUP} 0070150"),
    LabCode("b12", "ng/L", _B12_MASS, f"{LOINC_TABLE}; {ARUP} 0070150"),
    LabCode("b12", "pmol/L", _B12_MOLAR, LOINC_TABLE),
    LabCode("holotc", "pmol/L", _loinc("72160-5", "Holo-transcobalamin II [Moles/volume] in Serum"), LOINC_TABLE),
    LabCode("folate", "ng/mL", _FOLATE_MASS, f"{LOINC_TABLE}; {ARUP} 0070070; {MAYO} FOL"),
    LabCode("folate", "nmol/L", _FOLATE_MOLAR, LOINC_TABLE),
    LabCode("homocysteine", "umol/L", _loinc("13965-9", "Homocysteine [Moles/volume] in Serum or Plasma"), LOINC_TABLE),
    LabCode("mma_serum", "umol/L", _MMA_SERUM, f"{LOINC_TABLE}; {MAYO} MMAP"),
    LabCode("mma_serum", "nmol/mL", _MMA_SERUM, f"{LOINC_TABLE}; {MAYO} MMAP (reports nmol/mL)"),
    LabCode("mma_urine", "ug/mg creatinine", _loinc("13776-0", "Methylmalonate/Creatinine [Mass Ratio] in Urine"), LOINC_TABLE),
    # The clinical core's catalogue gives 13776-0 for this unit too, but 13776-0 is the mass ratio;
    # the molar-ratio code could not be confirmed, so the result goes out as text.
    LabCode(
        "mma_urine", "mmol/mol creatinine", None, LOINC_TABLE,
        text_only_reason="13776-0 is the mass ratio; no molar-ratio code was confirmed",
    ),
    LabCode("haemoglobin", "g/dL", _HAEMOGLOBIN, LOINC_TABLE),
    LabCode("haemoglobin", "g/L", _HAEMOGLOBIN, LOINC_TABLE),
    LabCode("haematocrit", "%", _loinc("4544-3", "Hematocrit [Volume Fraction] of Blood by Automated count"), LOINC_TABLE),
    LabCode("wbc", "10^9/L", _WBC, LOINC_TABLE),
    LabCode("wbc", "10^3/uL", _WBC, LOINC_TABLE),
    LabCode("platelets", "10^9/L", _PLATELETS, LOINC_TABLE),
    LabCode("platelets", "10^3/uL", _PLATELETS, LOINC_TABLE),
    LabCode("mcv", "fL", _loinc("787-2", "MCV [Entitic volume] by Automated count"), LOINC_TABLE),
    LabCode("anc", "10^9/L", _ANC, LOINC_TABLE),
    LabCode("anc", "10^3/uL", _ANC, LOINC_TABLE),
    LabCode("ferritin", "ng/mL", _FERRITIN, LOINC_TABLE),
    LabCode("ferritin", "ug/L", _FERRITIN, LOINC_TABLE),
    LabCode("potassium", "mmol/L", _loinc("2823-3", "Potassium [Moles/volume] in Serum or Plasma"), LOINC_TABLE),
    LabCode("reticulocytes_pct", "%", _loinc("17849-1", "Reticulocytes/100 erythrocytes in Blood by Automated count"), f"{LOINC_TABLE}; {ARUP} 0040022"),
    LabCode("reticulocytes_abs", "10^9/L", _RETICULOCYTES_ABS, f"{LOINC_TABLE}; {ARUP} 0040022"),
    LabCode("reticulocytes_abs", "10^3/uL", _RETICULOCYTES_ABS, f"{LOINC_TABLE}; {ARUP} 0040022"),
)
# fmt: on

_BY_ANALYTE_UNIT = {(row.analyte, row.unit): row for row in LAB_CODES}


def lab_code(analyte: str, unit: str) -> LabCode:
    """The code for a result; a result reported in words (no unit) keeps the analyte's code only
    when all its units share one, since mass and molar results have different LOINC codes."""
    if unit:
        found = _BY_ANALYTE_UNIT.get((analyte, unit))
        if found is not None:
            return found
        return LabCode(analyte, unit, None, "", text_only_reason=f"no code for {unit}")
    codes = {row.loinc for row in LAB_CODES if row.analyte == analyte}
    if len(codes) == 1 and None not in codes:
        row = next(row for row in LAB_CODES if row.analyte == analyte)
        return LabCode(analyte, "", row.loinc, row.source)
    return LabCode(
        analyte, "", None, "", text_only_reason="reported in words: mass or molar is not known"
    )


# The laboratory's unit strings (patients.models.labs.LabUnit) in UCUM.
UCUM_UNITS: dict[str, str] = {
    "pg/mL": "pg/mL",
    "ng/L": "ng/L",
    "pmol/L": "pmol/L",
    "ng/mL": "ng/mL",
    "nmol/L": "nmol/L",
    "umol/L": "umol/L",
    "nmol/mL": "nmol/mL",
    "ug/mg creatinine": "ug/mg{creat}",
    "mmol/mol creatinine": "mmol/mol{creat}",
    "g/dL": "g/dL",
    "g/L": "g/L",
    "%": "%",
    "10^9/L": "10*9/L",
    "10^3/uL": "10*3/uL",
    "fL": "fL",
    "ug/L": "ug/L",
    "mmol/L": "mmol/L",
    # Growth, doses and ages.
    "kg": "kg",
    "g": "g",
    "cm": "cm",
    "mg": "mg",
    "microgram": "ug",
    "mg/kg": "mg/kg",
    "d": "d",
    "mo": "mo",
}

# Growth (FHIR R4 vital signs: body weight, body height, head circumference). Recumbent length
# carries the "lying" code beside the body-height code the vital-signs profile expects.
BODY_WEIGHT = _loinc("29463-7", "Body weight")
BODY_HEIGHT = _loinc("8302-2", "Body height")
BODY_LENGTH_LYING = _loinc("8306-3", "Body height --lying")
HEAD_CIRCUMFERENCE = _loinc("9843-4", "Head Occipital-frontal circumference")
BIRTH_WEIGHT = _loinc("8339-4", "Birth weight Measured")
GESTATIONAL_AGE_AT_BIRTH = _loinc("76516-4", "Gestational age--at birth")
GROWTH_SOURCE = FHIR_VITALS
# Peripheral smear findings; a marrow aspirate finding has no confirmed code and goes out as text.
BLOOD_SMEAR_FINDING = _loinc(
    "5909-7", "Blood smear finding [Identifier] in Blood by Light microscopy"
)

# The stored lab flag (patients.models.labs.LabFlag) as an HL7 v3 interpretation code.
INTERPRETATIONS: dict[str, Code] = {
    "normal": Code(INTERPRETATION, "N", "Normal"),
    "low": Code(INTERPRETATION, "L", "Low"),
    "high": Code(INTERPRETATION, "H", "High"),
    "critical_low": Code(INTERPRETATION, "LL", "Critical low"),
    "critical_high": Code(INTERPRETATION, "HH", "Critical high"),
}

# Routes (patients.models.treatment.Route) as SNOMED CT route-of-administration concepts, the
# codes the FHIR R4 route value set lists.
ROUTES: dict[str, Code] = {
    "intramuscular": Code(SNOMED, "78421000", "Intramuscular route"),
    "intravenous": Code(SNOMED, "47625008", "Intravenous route"),
    "subcutaneous": Code(SNOMED, "34206005", "Subcutaneous route"),
    "oral": Code(SNOMED, "26643006", "Oral route"),
}

# Drugs with an unambiguous WHO ATC code; iron and potassium come in many salts and go out as text.
DRUGS: dict[str, Code] = {
    "hydroxocobalamin": Code(ATC, "B03BA03", "hydroxocobalamin"),
    "cyanocobalamin": Code(ATC, "B03BA01", "cyanocobalamin"),
    "folic_acid": Code(ATC, "B03BB01", "folic acid"),
}

MOTHER = Code(ROLE_CODE, "MTH", "mother")
MEDICAL_RECORD_NUMBER = Code(IDENTIFIER_TYPE, "MR", "Medical record number")
RADIOLOGY = Code(DIAGNOSTIC_SERVICE, "RAD", "Radiology")

# Visit types (patients.models.visits.VisitType) as encounter classes.
ENCOUNTER_CLASSES: dict[str, Code] = {
    "admission": Code(ACT_CODE, "IMP", "inpatient encounter"),
    "outpatient": Code(ACT_CODE, "AMB", "ambulatory"),
    "injection": Code(ACT_CODE, "AMB", "ambulatory"),
    "imaging": Code(ACT_CODE, "AMB", "ambulatory"),
    "phone": Code(ACT_CODE, "VR", "virtual"),
}
