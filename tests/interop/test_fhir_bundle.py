"""The FHIR R4 Bundle of the case-report infants: valid for the library, and saying what the
record says."""

from __future__ import annotations

import datetime
import json

import pytest
from fhirclient.models.fhirabstractbase import FHIRValidationError

from patients import models as m
from patients.clinical.labs import DEFAULT_CATALOGUE
from patients.interop import terminology as t
from patients.interop.fhir import FHIR_VERSION, build_bundle, parse_bundle
from patients.interop.record import load_infant_record
from patients.services.records import void_record
from tests.interop.conftest import SEED_000

NOW = datetime.datetime(2026, 11, 21, 9, 0, tzinfo=datetime.UTC)


def bundle_of(infant: m.Infant) -> dict:
    """Built, written as JSON text and read back: what a receiving system gets."""
    record = load_infant_record(m.Infant.objects.all(), infant.pk)
    return json.loads(json.dumps(build_bundle(record, now=NOW)))


def resources(bundle: dict, resource_type: str) -> list[dict]:
    return [
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type
    ]


def loinc_codes(resource: dict) -> set[str]:
    return {c["code"] for c in resource["code"].get("coding", []) if c["system"] == t.LOINC}


def with_loinc(bundle: dict, code: str) -> list[dict]:
    return [r for r in resources(bundle, "Observation") if code in loinc_codes(r)]


@pytest.mark.parametrize("record_number", SEED_000)
def test_the_bundle_parses_back_with_the_fhir_library(demo, record_number):
    infant = m.Infant.objects.get(record_number=record_number)
    data = bundle_of(infant)
    parsed = parse_bundle(data)  # strict: raises on any invalid element
    assert parsed.type == "collection"
    assert len(parsed.entry) == len(data["entry"]) > 40
    patient = resources(data, "Patient")[0]
    assert patient["birthDate"] == infant.birth_date.isoformat()
    assert patient["gender"] == infant.sex
    assert patient["identifier"][0]["value"] == record_number
    assert FHIR_VERSION == "4.0.1"


@pytest.mark.parametrize("record_number", SEED_000)
def test_every_reference_resolves_inside_the_bundle(demo, record_number):
    data = bundle_of(m.Infant.objects.get(record_number=record_number))
    full_urls = {entry["fullUrl"] for entry in data["entry"]}
    assert len(full_urls) == len(data["entry"])  # no two resources share an id

    def references(node):
        if isinstance(node, dict):
            if "reference" in node:
                yield node["reference"]
            for value in node.values():
                yield from references(value)
        elif isinstance(node, list):
            for value in node:
                yield from references(value)

    found = list(references(data))
    assert found and set(found) <= full_urls


@pytest.mark.parametrize("record_number", SEED_000)
def test_the_censored_b12_result_keeps_its_comparator(demo, record_number):
    data = bundle_of(m.Infant.objects.get(record_number=record_number))
    b12 = with_loinc(data, "2132-9")
    admission = next(r for r in b12 if r["valueQuantity"].get("comparator") == "<")
    assert admission["valueQuantity"] == {
        "value": 150,
        "comparator": "<",
        "unit": "pg/mL",
        "system": "http://unitsofmeasure.org",
        "code": "pg/mL",
    }
    assert admission["interpretation"][0]["coding"][0]["code"] == "L"
    assert admission["category"][0]["coding"][0]["code"] == "laboratory"


def test_the_b12_after_treatment_and_the_printed_range(demo, infant_p1):
    b12 = with_loinc(bundle_of(infant_p1), "2132-9")
    after = next(r for r in b12 if "comparator" not in r["valueQuantity"])
    assert after["valueQuantity"]["value"] == 1068
    assert after["interpretation"][0]["coding"][0]["code"] == "H"
    admission = next(r for r in b12 if "comparator" in r["valueQuantity"])
    assert admission["referenceRange"][0]["low"]["value"] == 197
    assert admission["referenceRange"][0]["high"]["value"] == 866


@pytest.mark.parametrize("record_number", SEED_000)
def test_one_medication_administration_per_active_dose_given(demo, record_number):
    infant = m.Infant.objects.get(record_number=record_number)
    given = m.DoseAdministration.objects.active().filter(
        course__infant=infant, course__voided_at__isnull=True
    )
    data = bundle_of(infant)
    administrations = resources(data, "MedicationAdministration")
    assert given.count() > 0
    assert len(administrations) == given.count()
    assert {r["id"] for r in administrations} == {
        str(pk) for pk in given.values_list("id", flat=True)
    }
    requests = resources(data, "MedicationRequest")
    assert len(requests) == infant.treatment_courses.active().count()
    b12_course = next(
        r for r in requests if r["medicationCodeableConcept"]["text"] == "Hydroxocobalamin"
    )
    assert b12_course["medicationCodeableConcept"]["coding"][0]["code"] == "B03BA03"
    assert {r["request"]["reference"] for r in administrations} == {f"urn:uuid:{b12_course['id']}"}


def test_voided_rows_are_left_out(demo, infant_p2, demo_user):
    staff = demo_user("staff")
    given = m.DoseAdministration.objects.active().filter(course__infant=infant_p2).first()
    lab = infant_p2.lab_results.active().get(analyte="platelets")
    finding = m.ImagingFinding.objects.active().filter(study__infant=infant_p2).first()
    before = bundle_of(infant_p2)
    for row in (given, lab, finding):
        void_record(row, actor=staff, reason="Entered on the wrong record.")

    after = bundle_of(infant_p2)
    ids = {entry["resource"]["id"] for entry in after["entry"]}
    assert not {str(given.id), str(lab.id), str(finding.id)} & ids
    assert len(after["entry"]) == len(before["entry"]) - 3
    parse_bundle(after)


def test_a_voided_course_takes_its_administrations_with_it(demo, infant_p2, demo_user):
    iron = infant_p2.treatment_courses.active().get(drug="iron")
    void_record(iron, actor=demo_user("staff"), reason="Prescribed for another patient.")
    data = bundle_of(infant_p2)
    assert str(iron.id) not in {r["id"] for r in resources(data, "MedicationRequest")}


def test_growth_with_loinc_and_ucum(demo, infant_p1):
    data = bundle_of(infant_p1)
    (weight,) = with_loinc(data, "29463-7")
    assert weight["valueQuantity"]["value"] == 8.6
    assert weight["valueQuantity"]["code"] == "kg"
    assert weight["category"][0]["coding"][0]["code"] == "vital-signs"
    (length,) = with_loinc(data, "8306-3")  # recumbent, with the body-height code beside it
    assert loinc_codes(length) == {"8306-3", "8302-2"}
    assert length["valueQuantity"]["value"] == 75 and length["valueQuantity"]["code"] == "cm"
    (head,) = with_loinc(data, "9843-4")
    assert head["valueQuantity"]["value"] == 46


def test_the_mother_and_her_result(demo, infant_p1):
    data = bundle_of(infant_p1)
    (mother,) = resources(data, "RelatedPerson")
    assert mother["relationship"][0]["coding"][0]["code"] == "MTH"
    assert mother["name"][0]["family"] == "Yıldız"
    of_mother = [r for r in resources(data, "Observation") if "focus" in r]
    assert len(of_mother) == 1
    assert of_mother[0]["focus"][0]["reference"] == f"urn:uuid:{mother['id']}"
    assert of_mother[0]["valueQuantity"]["comparator"] == "<"


def test_results_without_a_confident_code_go_out_as_text(demo, infant_p1):
    data = bundle_of(infant_p1)
    urine = next(
        r for r in resources(data, "Observation") if r["code"]["text"].startswith("Methylmalonic")
    )
    assert "coding" not in urine["code"]
    assert urine["valueString"] == "high"
    assert any("text only" in note["text"] for note in urine["note"])


def test_mri_reports_with_findings_and_comparison(demo, infant_p1):
    data = bundle_of(infant_p1)
    by_id = {r["id"]: r for r in resources(data, "Observation")}
    reports = [r for r in resources(data, "DiagnosticReport") if r["code"]["text"] == "MRI brain"]
    first, repeat = sorted(reports, key=lambda r: r["effectiveDateTime"])
    findings = [by_id[ref["reference"].removeprefix("urn:uuid:")] for ref in first["result"]]
    assert {f["code"]["text"] for f in findings} >= {"Cortical atrophy", "Delayed myelination"}
    assert any(f.get("valueCodeableConcept", {}).get("text") == "Severe" for f in findings)
    comparison = [by_id[ref["reference"].removeprefix("urn:uuid:")] for ref in repeat["result"]]
    assert any(c.get("valueCodeableConcept", {}).get("text") == "Resolved" for c in comparison)
    assert "resolved" in repeat["conclusion"]


def test_denver_ii_by_sector(demo, infant_p2):
    data = bundle_of(infant_p2)
    (denver,) = [
        r for r in resources(data, "Observation") if r["code"]["text"].startswith("Denver")
    ]
    sectors = {c["code"]["text"]: c["valueCodeableConcept"]["text"] for c in denver["component"]}
    assert sectors == {
        "Denver II Fine motor-adaptive sector": "Delayed",
        "Denver II Language sector": "Delayed",
        "Denver II Personal-social sector": "Delayed",
    }
    assert denver["category"][0]["coding"][0]["code"] == "survey"


def test_the_library_rejects_an_invalid_bundle(demo, infant_p1):
    """The validation the tests above rely on can fail."""
    data = bundle_of(infant_p1)
    observation = next(e["resource"] for e in data["entry"] if "valueQuantity" in e["resource"])
    observation["valueQuantity"]["value"] = "one hundred and fifty"
    with pytest.raises(FHIRValidationError):
        parse_bundle(data)
    del observation["valueQuantity"]
    observation["status"] = None
    observation["statusTypo"] = "final"
    with pytest.raises(FHIRValidationError):
        parse_bundle(data)


def test_the_record_loads_in_a_fixed_number_of_queries_and_builds_in_none(
    demo, infant_p1, django_assert_num_queries
):
    # The infant (1), fourteen kinds of rows (14), the mother's results (1).
    with django_assert_num_queries(16):
        record = load_infant_record(m.Infant.objects.all(), infant_p1.pk)
    with django_assert_num_queries(0):
        build_bundle(record, now=NOW)


def test_every_catalogue_unit_has_a_code_or_a_stated_reason():
    """Each analyte and unit the clinical catalogue accepts is coded as the catalogue says, or
    goes out as text with the reason written down."""
    for analyte in DEFAULT_CATALOGUE.analytes:
        for accepted in analyte.units:
            code = t.lab_code(analyte.code, accepted.unit)
            if code.loinc is None:
                assert code.text_only_reason and code.source, (analyte.code, accepted.unit)
            else:
                assert code.loinc.code == accepted.loinc, (analyte.code, accepted.unit)
    assert {a.code for a in DEFAULT_CATALOGUE.analytes} == set(m.labs.Analyte.values)
    assert set(m.labs.LabUnit.values) <= set(t.UCUM_UNITS)


def test_birth_data_and_a_timed_result(infant):
    """Rows the demo does not have: birth weight, gestational age, a result with its hour."""
    m.Infant.objects.filter(pk=infant.pk).update(gestational_age_days=252, birth_weight_g=2400)
    potassium = m.LabResult.objects.create(
        infant=infant,
        analyte="potassium",
        collected_on=infant.birth_date + datetime.timedelta(days=200),
        collected_time=datetime.time(14, 30),
        value="3.1",
        unit="mmol/L",
        flag="low",
    )
    data = bundle_of(infant)
    parse_bundle(data)
    (weight,) = with_loinc(data, "8339-4")
    assert weight["valueQuantity"] == {
        "value": 2400,
        "unit": "g",
        "system": "http://unitsofmeasure.org",
        "code": "g",
    }
    (gestation,) = with_loinc(data, "76516-4")
    assert gestation["valueQuantity"]["value"] == 252 and gestation["valueQuantity"]["code"] == "d"
    (result,) = with_loinc(data, "2823-3")
    assert result["id"] == str(potassium.id)
    # Clinic time (Istanbul, UTC+3) with its offset, so the 48-hour potassium window survives.
    assert result["effectiveDateTime"] == "2024-09-17T14:30:00+03:00"
    assert result["valueQuantity"]["value"] == 3.1
