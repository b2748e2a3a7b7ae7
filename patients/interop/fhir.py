"""An infant's follow-up record as a FHIR R4 (4.0.1) Bundle of type "collection".

Pure mapping: it reads the rows handed to it (patients.interop.record.InfantRecord) and the
moment of the export, and returns JSON; it queries nothing and reads no clock. Every resource is
parsed into the fhirclient R4 models (SMART on FHIR, generated from FHIR 4.0.1), whose
constructors refuse a wrong element type, a missing required element, an unknown element or a
malformed date, so an invalid Bundle fails here rather than at the receiving system.

What goes where:

- Organization (the clinic), Patient (the infant), RelatedPerson (the mother);
- Encounter per visit; Condition per presenting sign;
- Observation per growth value (LOINC, UCUM), per laboratory result (LOINC where confident, text
  otherwise; comparator for censored results such as "<150 pg/mL"; interpretation from the stored
  flag), per smear or marrow finding, for birth weight and gestational age;
- the mother's results as Observations of the infant's record whose ``focus`` is the mother, since
  an R4 Observation's subject cannot be a RelatedPerson;
- DiagnosticReport per imaging study, with an Observation per structured finding and one for the
  comparison with the earlier study;
- Observation per Denver II assessment (text code), with a component per sector conclusion and
  per item result;
- MedicationRequest per treatment course, MedicationAdministration per dose given;
- AdverseEvent per adverse event, Procedure per procedure.

Voided rows never reach this module (the loader leaves them out), so nothing voided is exported.
Codes and their sources are in patients.interop.terminology.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from decimal import Decimal

from fhirclient.models.bundle import Bundle

from patients import models as m
from patients.interop import terminology as t
from patients.interop.record import InfantRecord

#: The FHIR version produced, and the media type that names it (FHIR R4, section 3.1.0.1.4).
FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json; fhirVersion=4.0"


def build_bundle(record: InfantRecord, *, now: datetime.datetime) -> dict:
    """The record as a validated FHIR R4 Bundle (JSON-ready dict)."""
    builder = _Builder(record, now=now)
    bundle = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid5(record.infant.id, f"bundle {now.isoformat()}")),
        "meta": {"lastUpdated": now.isoformat()},
        "type": "collection",
        "timestamp": now.isoformat(),
        "entry": [
            {"fullUrl": _urn(resource["id"]), "resource": resource}
            for resource in builder.resources()
        ],
    }
    # Strict parsing: raises fhirclient's FHIRValidationError naming the bad element.
    return Bundle(bundle, strict=True).as_json()


def parse_bundle(data: dict) -> Bundle:
    """Parse (and so validate) a Bundle as the receiving side would."""
    return Bundle(data, strict=True)


# --------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------


def _urn(resource_id: str | uuid.UUID) -> str:
    return f"urn:uuid:{resource_id}"


def _ref(resource_id: uuid.UUID, display: str = "") -> dict:
    reference = {"reference": _urn(resource_id)}
    if display:
        reference["display"] = display
    return reference


def _derived_id(parent: uuid.UUID, what: str) -> str:
    """A stable id for a resource derived from one row (a measurement gives three Observations)."""
    return str(uuid.uuid5(parent, what))


def _number(value: Decimal | int) -> int | float:
    """A stored Decimal as a JSON number; exact, since stored values have at most 14 digits."""
    value = Decimal(value).normalize()
    return int(value) if value == value.to_integral_value() else float(value)


def _quantity(value: Decimal | int, unit: str, *, comparator: str = "") -> dict:
    quantity: dict = {"value": _number(value), "unit": unit}
    if unit in t.UCUM_UNITS:
        quantity["system"] = t.UCUM
        quantity["code"] = t.UCUM_UNITS[unit]
    if comparator:
        quantity["comparator"] = comparator
    return quantity


def _concept(text: str, *codes: t.Code) -> dict:
    concept: dict = {"text": text}
    if codes:
        concept["coding"] = [code.as_coding() for code in codes]
    return concept


def _category(code: str, display: str) -> list[dict]:
    return [{"coding": [{"system": t.OBSERVATION_CATEGORY, "code": code, "display": display}]}]


def _notes(*texts: str) -> list[dict]:
    return [{"text": text} for text in texts if text]


def _date(day: datetime.date) -> str:
    return day.isoformat()


def _without_empty(resource: dict) -> dict:
    """FHIR forbids empty elements: drop keys whose value is None, "" or an empty list."""
    return {key: value for key, value in resource.items() if value not in (None, "", [], {})}


# --------------------------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------------------------


class _Builder:
    def __init__(self, record: InfantRecord, *, now: datetime.datetime) -> None:
        self.record = record
        self.infant = record.infant
        self.clinic = record.infant.clinic
        self.today = now.astimezone(self.clinic.zone).date()
        self.patient = _ref(self.infant.id)
        self.visit_ids = {visit.id for visit in record.visits}

    def resources(self) -> Iterable[dict]:
        record = self.record
        yield self.organization()
        yield self.patient_resource()
        if record.mother is not None:
            yield self.mother()
        yield from self.birth_observations()
        yield from (self.encounter(visit) for visit in record.visits)
        yield from (self.presenting_sign(sign) for sign in record.presenting_signs)
        for measurement in record.growth:
            yield from self.growth(measurement)
        yield from (self.lab(result) for result in record.labs)
        yield from (self.lab(result, of_mother=True) for result in record.mother_labs)
        yield from (self.qualitative(finding) for finding in record.qualitative_findings)
        for study in record.imaging:
            yield from self.imaging(study)
        yield from (self.denver(assessment) for assessment in record.denver)
        for course in record.courses:
            yield self.medication_request(course)
            for given in record.administrations.get(course.id, []):
                yield self.administration(course, given)
        yield from (self.adverse_event(event) for event in record.adverse_events)
        yield from (self.procedure(procedure) for procedure in record.procedures)

    def _encounter_of(self, row) -> dict | None:
        visit_id = getattr(row, "visit_id", None)
        return _ref(visit_id) if visit_id in self.visit_ids else None

    # People and places ------------------------------------------------------------------------

    def organization(self) -> dict:
        return {
            "resourceType": "Organization",
            "id": str(self.clinic.id),
            "active": True,
            "name": self.clinic.name,
        }

    def patient_resource(self) -> dict:
        infant = self.infant
        return _without_empty(
            {
                "resourceType": "Patient",
                "id": str(infant.id),
                "identifier": [
                    {
                        "use": "usual",
                        "type": _concept("Clinic record number", t.MEDICAL_RECORD_NUMBER),
                        # The clinic's own numbering: unique within the clinic (its UUID as URI).
                        "system": _urn(self.clinic.id),
                        "value": infant.record_number,
                        "assigner": _ref(self.clinic.id, self.clinic.name),
                    }
                ],
                "active": True,
                "name": [
                    {"use": "official", "family": infant.family_name, "given": [infant.given_name]}
                ],
                "gender": infant.sex,
                "birthDate": _date(infant.birth_date),
                "deceasedBoolean": True if infant.follow_up_status == "deceased" else None,
                "managingOrganization": _ref(self.clinic.id, self.clinic.name),
            }
        )

    def mother(self) -> dict:
        mother = self.record.mother
        return _without_empty(
            {
                "resourceType": "RelatedPerson",
                "id": str(mother.id),
                "active": True,
                "patient": self.patient,
                "relationship": [_concept("Mother", t.MOTHER)],
                "name": [{"family": mother.family_name, "given": [mother.given_name]}],
                "birthDate": _date(mother.birth_date) if mother.birth_date else None,
            }
        )

    def birth_observations(self) -> Iterable[dict]:
        infant = self.infant
        if infant.birth_weight_g is not None:
            yield self._observation(
                _derived_id(infant.id, "birth weight"),
                category=("vital-signs", "Vital Signs"),
                code=_concept("Birth weight", t.BIRTH_WEIGHT),
                on=infant.birth_date,
                valueQuantity=_quantity(infant.birth_weight_g, "g"),
            )
        if infant.gestational_age_days is not None:
            yield self._observation(
                _derived_id(infant.id, "gestational age"),
                category=("exam", "Exam"),
                code=_concept("Gestational age at birth", t.GESTATIONAL_AGE_AT_BIRTH),
                on=infant.birth_date,
                valueQuantity=_quantity(infant.gestational_age_days, "d") | {"unit": "days"},
            )

    # Visits and presentation ------------------------------------------------------------------

    def encounter(self, visit: m.Visit) -> dict:
        finished = visit.visit_date <= self.today
        period = {"start": _date(visit.visit_date)}
        if visit.discharge_date:
            period["end"] = _date(visit.discharge_date)
        return _without_empty(
            {
                "resourceType": "Encounter",
                "id": str(visit.id),
                # A visit dated after today is a booked appointment.
                "status": "finished" if finished else "planned",
                "class": t.ENCOUNTER_CLASSES[visit.visit_type].as_coding(),
                "type": [_concept(visit.get_visit_type_display())],
                "subject": self.patient,
                "period": period,
                "reasonCode": [_concept(visit.reason)] if visit.reason else None,
                "serviceProvider": _ref(self.clinic.id, self.clinic.name),
            }
        )

    def presenting_sign(self, sign: m.PresentingSign) -> dict:
        onset = (
            _quantity(sign.onset_age_months, "mo") | {"unit": "months"}
            if sign.onset_age_months is not None
            else None
        )
        return _without_empty(
            {
                "resourceType": "Condition",
                "id": str(sign.id),
                "category": [_concept("Presenting sign")],
                "code": _concept(sign.get_sign_display()),
                "subject": self.patient,
                "onsetAge": onset,
                "note": _notes(sign.notes),
            }
        )

    # Observations -----------------------------------------------------------------------------

    def _observation(
        self,
        resource_id: str | uuid.UUID,
        *,
        category: tuple[str, str],
        code: dict,
        on: datetime.date | datetime.datetime,
        encounter: dict | None = None,
        note: list[dict] | None = None,
        **elements,
    ) -> dict:
        return _without_empty(
            {
                "resourceType": "Observation",
                "id": str(resource_id),
                "status": "final",
                "category": _category(*category),
                "code": code,
                "subject": self.patient,
                "encounter": encounter,
                "effectiveDateTime": on.isoformat(),
                **elements,
                "note": note,
            }
        )

    def growth(self, measurement: m.GrowthMeasurement) -> Iterable[dict]:
        common = {
            "category": ("vital-signs", "Vital Signs"),
            "on": measurement.measured_on,
            "encounter": self._encounter_of(measurement),
        }
        if measurement.weight_kg is not None:
            yield self._observation(
                _derived_id(measurement.id, "weight"),
                code=_concept("Body weight", t.BODY_WEIGHT),
                valueQuantity=_quantity(measurement.weight_kg, "kg"),
                **common,
            )
        if measurement.length_cm is not None:
            recumbent = measurement.length_position == "recumbent"
            code = (
                _concept("Recumbent length", t.BODY_LENGTH_LYING, t.BODY_HEIGHT)
                if recumbent
                else _concept("Standing height", t.BODY_HEIGHT)
            )
            yield self._observation(
                _derived_id(measurement.id, "length"),
                code=code,
                valueQuantity=_quantity(measurement.length_cm, "cm"),
                **common,
            )
        if measurement.head_circumference_cm is not None:
            yield self._observation(
                _derived_id(measurement.id, "head circumference"),
                code=_concept("Head circumference", t.HEAD_CIRCUMFERENCE),
                valueQuantity=_quantity(measurement.head_circumference_cm, "cm"),
                **common,
            )

    def lab(self, result: m.LabResult, *, of_mother: bool = False) -> dict:
        coding = t.lab_code(result.analyte, result.unit)
        label = result.get_analyte_display()
        code = _concept(label, coding.loinc) if coding.loinc else _concept(label)
        value: dict = (
            {"valueQuantity": _quantity(result.value, result.unit, comparator=result.comparator)}
            if result.value is not None
            else {"valueString": result.reported_text}
        )
        interpretation = t.INTERPRETATIONS.get(result.flag)
        reference_range = {}
        if result.reference_low is not None:
            reference_range["low"] = _quantity(result.reference_low, result.unit)
        if result.reference_high is not None:
            reference_range["high"] = _quantity(result.reference_high, result.unit)
        if reference_range and result.reference_source:
            reference_range["text"] = result.reference_source
        return self._observation(
            result.id,
            category=("laboratory", "Laboratory"),
            code=code,
            on=self._collected_at(result),
            encounter=self._encounter_of(result),
            focus=[_ref(self.record.mother.id, "Mother")] if of_mother else None,
            **value,
            interpretation=[_concept(interpretation.display, interpretation)]
            if interpretation
            else None,
            referenceRange=[reference_range] if reference_range else None,
            performer=[{"display": result.lab_name}] if result.lab_name else None,
            note=_notes(
                "Result of the mother." if of_mother else "",
                f"Specimen: {result.get_specimen_display().lower()}.",
                result.notes,
                f"Flag set by {result.flag_rule}." if result.flag_rule else "",
                f"Coded as text only: {coding.text_only_reason}." if coding.loinc is None else "",
            ),
        )

    def _collected_at(self, result: m.LabResult) -> datetime.date | datetime.datetime:
        if result.collected_time is None:
            return result.collected_on
        return datetime.datetime.combine(
            result.collected_on, result.collected_time, tzinfo=self.clinic.zone
        )

    def qualitative(self, finding: m.QualitativeFinding) -> dict:
        code = (
            _concept("Peripheral blood smear finding", t.BLOOD_SMEAR_FINDING)
            if finding.specimen == "peripheral_smear"
            else _concept("Bone marrow aspirate finding")
        )
        return self._observation(
            finding.id,
            category=("laboratory", "Laboratory"),
            code=code,
            on=finding.observed_on,
            encounter=self._encounter_of(finding),
            valueCodeableConcept=_concept(finding.get_finding_display()),
            note=_notes(finding.notes),
        )

    # Imaging ----------------------------------------------------------------------------------

    def imaging(self, study: m.ImagingStudy) -> Iterable[dict]:
        name = f"{study.get_modality_display()} {study.get_body_site_display().lower()}"
        results = []
        for finding in self.record.imaging_findings.get(study.id, []):
            site = finding.get_region_display()
            if finding.side != "na":
                site = f"{site}, {finding.get_side_display().lower()}"
            observation = self._observation(
                finding.id,
                category=("imaging", "Imaging"),
                code=_concept(finding.get_finding_type_display()),
                on=study.performed_on,
                bodySite=_concept(site),
                valueCodeableConcept=_concept(finding.get_severity_display())
                if finding.severity != "na"
                else None,
                note=_notes(finding.notes),
            )
            results.append(observation)
        conclusion = study.impression
        previous = study.compared_with
        if previous is not None and study.comparison:
            when = _date(previous.performed_on)
            comparison = self._observation(
                _derived_id(study.id, "comparison"),
                category=("imaging", "Imaging"),
                code=_concept("Comparison with the previous study"),
                on=study.performed_on,
                valueCodeableConcept=_concept(study.get_comparison_display()),
                note=_notes(f"Compared with the study of {when}."),
            )
            results.append(comparison)
            conclusion = (
                f"{conclusion} Compared with the study of {when}: "
                f"{study.get_comparison_display().lower()}."
            )
        yield _without_empty(
            {
                "resourceType": "DiagnosticReport",
                "id": str(study.id),
                "status": "final",
                "category": [_concept("Radiology", t.RADIOLOGY)],
                "code": _concept(name),
                "subject": self.patient,
                "encounter": self._encounter_of(study),
                "effectiveDateTime": _date(study.performed_on),
                "result": [_ref(observation["id"]) for observation in results],
                "conclusion": conclusion,
            }
        )
        yield from results

    # Development ------------------------------------------------------------------------------

    def denver(self, assessment: m.DenverAssessment) -> dict:
        sectors = self.record.denver_sectors.get(assessment.id, [])
        items = self.record.denver_items.get(assessment.id, [])
        components = [
            {
                "code": _concept(f"Denver II {finding.get_sector_display()} sector"),
                "valueCodeableConcept": _concept(finding.get_conclusion_display()),
            }
            for finding in sectors
        ] + [
            _without_empty(
                {
                    "code": _concept(f"Denver II item {item.item_code}"),
                    "valueCodeableConcept": _concept(item.get_score_display()),
                    "interpretation": [_concept(item.get_interpretation_display())]
                    if item.interpretation
                    else None,
                }
            )
            for item in items
        ]
        age_line = (
            f"Age line {assessment.age_line_months} months"
            f"{' (corrected)' if assessment.age_corrected else ''}."
            if assessment.age_line_months is not None
            else ""
        )
        return self._observation(
            assessment.id,
            category=("survey", "Survey"),
            # No LOINC code for the Denver II as a whole was confirmed: text only.
            code=_concept("Denver II developmental screening test"),
            on=assessment.assessed_on,
            encounter=self._encounter_of(assessment),
            valueCodeableConcept=_concept(assessment.get_test_result_display())
            if assessment.test_result
            else None,
            component=components,
            note=_notes(
                age_line,
                f"Norm table {assessment.norm_version}." if assessment.norm_version else "",
                f"Rules {assessment.rules_version}." if assessment.rules_version else "",
                assessment.recommendation,
                # The report's own words, once even when several sectors quote them.
                *dict.fromkeys(
                    f"As reported: {finding.source_text}"
                    for finding in sectors
                    if finding.source_text
                ),
                assessment.notes,
            ),
        )

    # Treatment --------------------------------------------------------------------------------

    def _medication(self, course: m.TreatmentCourse) -> dict:
        drug = t.DRUGS.get(course.drug)
        label = course.get_drug_display()
        return _concept(label, drug) if drug else _concept(label)

    def _route(self, route: str, label: str) -> dict:
        code = t.ROUTES.get(route)
        return _concept(label, code) if code else _concept(label)

    def medication_request(self, course: m.TreatmentCourse) -> dict:
        bounds = {"start": _date(course.started_on)}
        if course.stopped_on:
            bounds["end"] = _date(course.stopped_on)
        dosage = {
            "text": course.regimen_name or str(course),
            "timing": {"repeat": {"boundsPeriod": bounds}},
            "route": self._route(course.route, course.get_route_display()),
            "doseAndRate": [{"doseQuantity": _quantity(course.dose, course.dose_unit)}],
        }
        return _without_empty(
            {
                "resourceType": "MedicationRequest",
                "id": str(course.id),
                "status": course.status,  # active, stopped and completed are FHIR codes too
                "intent": "order",
                "medicationCodeableConcept": self._medication(course),
                "subject": self.patient,
                "authoredOn": _date(course.started_on),
                "requester": {"display": str(course.prescribed_by)}
                if course.prescribed_by
                else None,
                "reasonCode": [_concept(course.indication)] if course.indication else None,
                "dosageInstruction": [dosage],
                "note": _notes(
                    f"Regimen source: {course.regimen_source}." if course.regimen_source else "",
                    f"Stopped: {course.stop_reason}" if course.stop_reason else "",
                ),
            }
        )

    def administration(self, course: m.TreatmentCourse, given: m.DoseAdministration) -> dict:
        giver = str(given.given_by) if given.given_by else given.given_by_name
        dosage = _without_empty(
            {
                "site": _concept(given.get_site_display())
                if given.site and given.site != "na"
                else None,
                "route": self._route(given.route, given.get_route_display()),
                "dose": _quantity(given.dose, given.dose_unit),
            }
        )
        return _without_empty(
            {
                "resourceType": "MedicationAdministration",
                "id": str(given.id),
                "status": "completed",
                "medicationCodeableConcept": self._medication(course),
                "subject": self.patient,
                "effectiveDateTime": given.given_at.isoformat()
                if given.given_at
                else _date(given.given_on),
                "performer": [{"actor": {"display": giver}}] if giver else None,
                "request": _ref(course.id),
                "dosage": dosage,
                "note": _notes(
                    f"Given at: {given.get_location_display().lower()}.",
                    f"Lot {given.lot_number}." if given.lot_number else "",
                    given.notes,
                ),
            }
        )

    def adverse_event(self, event: m.AdverseEvent) -> dict:
        # R4 AdverseEvent has no note: the description and the resolution go in the event's text.
        words = [f"{event.get_event_type_display()}."]
        if event.description:
            words.append(event.description)
        if event.resolved_on:
            words.append(f"Resolved on {_date(event.resolved_on)}.")
        if event.action_taken:
            words.append(f"Action: {event.action_taken}")
        severity = (
            _concept(
                event.get_severity_display(),
                t.Code(t.ADVERSE_EVENT_SEVERITY, event.severity, event.get_severity_display()),
            )
            if event.severity in {"mild", "moderate", "severe"}
            else (_concept(event.get_severity_display()) if event.severity else None)
        )
        outcome = (
            _concept("Resolved", t.Code(t.ADVERSE_EVENT_OUTCOME, "resolved", "Resolved"))
            if event.resolved_on
            else None
        )
        return _without_empty(
            {
                "resourceType": "AdverseEvent",
                "id": str(event.id),
                "actuality": "actual",
                "event": _concept(" ".join(words)),
                "subject": self.patient,
                "date": _date(event.onset_on),
                "severity": severity,
                "outcome": outcome,
            }
        )

    def procedure(self, procedure: m.Procedure) -> dict:
        return _without_empty(
            {
                "resourceType": "Procedure",
                "id": str(procedure.id),
                "status": "completed",
                "code": _concept(procedure.get_kind_display()),
                "subject": self.patient,
                "performedDateTime": _date(procedure.performed_on),
                "outcome": _concept(procedure.outcome) if procedure.outcome else None,
                "note": _notes(procedure.notes),
            }
        )
