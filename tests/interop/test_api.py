"""The two interoperability endpoints: who gets what, in which format, and the access log."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from patients import models as m
from patients.interop.fhir import parse_bundle
from tests.conftest import f


@pytest.fixture
def api():
    return APIClient()


def fhir_url(infant: m.Infant) -> str:
    return reverse("api:api-infant-fhir", kwargs={"pk": infant.pk})


EXPORT_URL = "/api/v1/exports/cohort.csv"


@pytest.mark.parametrize("username", ["staff", "lead"])
def test_staff_and_leads_of_the_clinic_get_the_bundle(api, demo_user, infant_p2, username):
    user = demo_user(username)
    api.force_authenticate(user)
    response = api.get(fhir_url(infant_p2))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; fhirVersion=4.0"
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    parse_bundle(data)
    patient = next(
        e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "Patient"
    )
    assert patient["id"] == str(infant_p2.pk)
    log = m.RecordAccess.objects.get(user=user)
    assert (log.action, log.infant_id, log.object_id) == ("read", infant_p2.pk, str(infant_p2.pk))
    assert log.path == fhir_url(infant_p2)


def test_an_api_client_asking_for_plain_json_still_gets_fhir(api, demo_user, infant_p1):
    api.force_authenticate(demo_user("staff"))
    response = api.get(fhir_url(infant_p1), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")


def test_token_authentication_works_without_a_session(demo_user, infant_p1):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=demo_user("staff"))
    response = APIClient().get(fhir_url(infant_p1), HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "who", ["guardian of the infant", "administrator", "staff of another clinic", "superuser"]
)
def test_everyone_else_gets_404_and_leaves_no_trace(api, demo_user, infant_p1, who, other_staff):
    user = {
        "guardian of the infant": lambda: demo_user("parent1"),
        "administrator": lambda: demo_user("admin"),
        "staff of another clinic": lambda: other_staff,
        "superuser": lambda: None,
    }[who]()
    if user is None:  # a superuser sees every clinic: the control case of this table
        user = f.UserFactory(username="root", is_superuser=True, is_staff=True)
        expected = 200
    else:
        expected = 404
    api.force_authenticate(user)
    response = api.get(fhir_url(infant_p1))
    assert response.status_code == expected
    if expected == 404:
        assert infant_p1.family_name not in response.content.decode()
        assert not m.RecordAccess.objects.filter(user=user).exists()


def test_a_voided_infant_is_not_found(api, demo_user, infant_p1):
    staff = demo_user("staff")
    m.Infant.objects.filter(pk=infant_p1.pk).update(
        voided_at=infant_p1.created_at, voided_by=staff, void_reason="Duplicate record."
    )
    api.force_authenticate(staff)
    assert api.get(fhir_url(infant_p1)).status_code == 404


def test_anonymous_callers_are_asked_to_authenticate(api, infant_p1):
    assert api.get(fhir_url(infant_p1)).status_code == 401
    assert api.get(EXPORT_URL).status_code == 401


def test_the_lead_exports_the_cohort(api, demo_user):
    lead = demo_user("lead")
    api.force_authenticate(lead)
    response = api.get(EXPORT_URL)
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == 'attachment; filename="cohort.csv"'
    assert "no-store" in response["Cache-Control"]
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert len(lines) == 3  # the header and the two infants
    log = m.RecordAccess.objects.get(user=lead)
    assert (log.action, log.infant_id, log.resource) == ("export", None, "patients.infant")


@pytest.mark.parametrize("username", ["staff", "admin", "parent1"])
def test_only_leads_may_export(api, demo_user, username):
    api.force_authenticate(demo_user(username))
    assert api.get(EXPORT_URL).status_code == 403
    assert not m.RecordAccess.objects.exists()


def test_a_lead_exports_only_the_clinics_they_lead(api, lead, other_infant, demo):
    api.force_authenticate(lead)  # lead of "Clinic 1", which has no infant but other_infant's
    lines = b"".join(api.get(EXPORT_URL).streaming_content).decode().splitlines()
    assert len(lines) == 1  # the header only: the demo clinic and "Clinic 2" are not theirs


def test_a_superuser_exports_every_clinic(api, demo, other_infant):
    api.force_authenticate(f.UserFactory(username="root", is_superuser=True))
    lines = b"".join(api.get(EXPORT_URL).streaming_content).decode().splitlines()
    assert len(lines) == 1 + 3


def test_both_endpoints_are_typed_in_the_openapi_schema(api, demo_user):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    (fhir_path,) = [p for p in schema["paths"] if p.endswith("/fhir/")]
    fhir = schema["paths"][fhir_path]["get"]
    assert fhir["operationId"] == "infant_fhir_bundle"
    assert "application/fhir+json" in fhir["responses"]["200"]["content"]
    assert fhir["parameters"][0]["schema"]["format"] == "uuid"
    export = schema["paths"]["/api/v1/exports/cohort.csv"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]
    assert set(export["responses"]) >= {"200", "401", "403"}
