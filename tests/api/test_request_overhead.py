"""What a list or detail request costs beyond its rows (docs/BENCHMARKS.md, infant list and
detail): no glossary look-ups while answering, and an access-log row that asks nothing the role
check has read already, written exactly as before."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from patients import models as m
from patients import selectors
from patients.api.descriptions import GLOSSARY
from patients.api.serializers import base as serializer_base
from patients.api.views import base as view_base
from patients.selectors import clinics_for
from patients.services import audit
from patients.services.roles import add_membership
from tests import factories as f
from tests.api.conftest import _client


def _queries(client, url: str) -> int:
    client.get(url)  # warm the per-process caches (content types)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return len(queries)


@pytest.fixture
def glossary_calls(monkeypatch) -> list[tuple[str, str]]:
    """Every glossary look-up the serializers make, from here on."""
    calls: list[tuple[str, str]] = []
    describe = serializer_base.describe

    def counting(prefix: str, name: str) -> str | None:
        calls.append((prefix, name))
        return describe(prefix, name)

    monkeypatch.setattr(serializer_base, "describe", counting)
    return calls


# --- descriptions: for the schema and OPTIONS, never for an answer ----------------------------


def test_a_list_or_detail_answer_looks_up_no_description(world_a, glossary_calls):
    client = world_a.callers["staff_1"].client
    for url in ("/api/v1/infants/", f"/api/v1/infants/{world_a.a.infant.pk}/"):
        assert client.get(url).status_code == 200
    children = world_a.callers["guardian_a"].client.get("/api/v1/children/")  # nested serializers
    assert children.status_code == 200 and children.json()["results"][0]["doses"]
    assert glossary_calls == []


def test_the_schema_still_carries_the_glossary(db, glossary_calls):
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]

    def described(component: str, field: str) -> str:
        return schemas[component]["properties"][field]["description"]

    assert glossary_calls
    assert described("Infant", "given_name") == GLOSSARY["given_name"]
    assert described("Infant", "clinic") == GLOSSARY["infant.clinic"]
    assert described("InfantRequest", "clinic") == GLOSSARY["infant.clinic"]
    # The model's own help text still comes first.
    record_number = m.Infant._meta.get_field("record_number")
    assert described("Infant", "record_number") == record_number.help_text
    # A nested serializer is described as a component of its own, its field in the parent too.
    assert described("Child", "doses") == GLOSSARY["child.doses"]
    assert described("ChildDose", "phase_name") == GLOSSARY["phase_name"]
    # A serializer with a glossary prefix of its own and no model.
    assert described("TokenRequestRequest", "username") == GLOSSARY["tokenrequest.username"]


def test_options_still_describes_the_fields(world_a):
    response = world_a.callers["staff_1"].client.options("/api/v1/infants/")
    fields = response.json()["actions"]["POST"]
    assert fields["given_name"]["help_text"] == GLOSSARY["given_name"]
    assert fields["clinic"]["help_text"] == GLOSSARY["infant.clinic"]


# --- the access log: the reader's clinics as the role check read them -------------------------


def _as_before(monkeypatch) -> None:
    """The log finds the reader's clinics itself, with a query of its own, as it used to."""
    monkeypatch.setattr(view_base, "_reader_clinics", lambda request, infant: None)


@pytest.mark.parametrize(
    ("what", "saved"),
    [
        # token, memberships (roles and clinics), count, page, log insert
        ("infant list", 1),
        # token, memberships, the infant, log insert: the log takes the infant's own clinic, so
        # there was no query to save
        ("infant detail", 0),
        # token, memberships, the mother, log insert
        ("mother detail", 1),
        ("mother list", 1),
        ("guardian detail", 1),
    ],
)
def test_the_access_log_asks_one_query_fewer(world_a, monkeypatch, what, saved):
    a = world_a.a
    url = {
        "infant list": "/api/v1/infants/",
        "infant detail": f"/api/v1/infants/{a.infant.pk}/",
        "mother detail": f"/api/v1/mothers/{a.mother.pk}/",
        "mother list": "/api/v1/mothers/",
        "guardian detail": f"/api/v1/guardians/{a.guardian.pk}/",
    }[what]
    client = world_a.callers["staff_1"].client
    now = _queries(client, url)
    _as_before(monkeypatch)
    before = _queries(client, url)
    assert now == before - saved


def test_the_infant_list_and_detail_cost(world_a, monkeypatch):
    """The figures behind the two requests of the benchmark, for the record."""
    client = world_a.callers["staff_1"].client
    # token, memberships (roles and clinics, for the scope too), the page with the kept count
    # (PostgreSQL; SQLite counts the rows in a statement of its own), log insert
    assert _queries(client, "/api/v1/infants/") == (4 if connection.vendor == "postgresql" else 5)
    # token, memberships, the infant, log insert
    assert _queries(client, f"/api/v1/infants/{world_a.a.infant.pk}/") == 4

    def refuse(user):
        raise AssertionError("the log asked for the reader's clinics again")

    monkeypatch.setattr(audit, "clinics_for", refuse)
    assert client.get("/api/v1/infants/").status_code == 200
    assert client.get(f"/api/v1/mothers/{world_a.a.mother.pk}/").status_code == 200


# --- the infant scope: the clinic ids the role check read ------------------------------------


def test_the_infant_scope_takes_the_clinics_the_role_check_read(world_a, monkeypatch):
    """One query fewer per infant list or detail: the scope does not ask ``clinics_for`` for the
    clinic ids the caller's memberships gave the role check in the same request."""
    client = world_a.callers["staff_1"].client

    def refuse(user):
        raise AssertionError("the infant scope asked for the caller's clinics again")

    monkeypatch.setattr(selectors, "clinics_for", refuse)
    monkeypatch.setattr(audit, "clinics_for", refuse)
    detail = client.get(f"/api/v1/infants/{world_a.a.infant.pk}/")
    assert detail.status_code == 200 and detail.json()["id"] == str(world_a.a.infant.pk)
    listed = client.get("/api/v1/infants/").json()["results"]
    assert [row["id"] for row in listed] == [str(world_a.a.infant.pk)]
    other = world_a.callers["staff_2"].client
    assert other.get(f"/api/v1/infants/{world_a.a.infant.pk}/").status_code == 404


@pytest.mark.parametrize(
    "kind", ["one clinic", "two clinics", "inactive second", "administrator elsewhere", "superuser"]
)
def test_the_infant_scope_is_the_clinics_it_always_was(world_a, kind):
    """The infants listed are those of ``clinics_for``, whatever the caller's memberships."""
    reader = _reader(kind, world_a.clinic, world_a.other_clinic)
    in_scope = m.Infant.objects.filter(clinic__in=clinics_for(reader).values("id"))
    if kind == "superuser":
        in_scope = m.Infant.objects.all()
    expected = sorted(str(pk) for pk in in_scope.values_list("pk", flat=True))
    client = _client(reader)
    listed = client.get("/api/v1/infants/?page_size=100").json()["results"]
    assert sorted(row["id"] for row in listed) == expected
    for infant in m.Infant.objects.all():
        status = client.get(f"/api/v1/infants/{infant.pk}/").status_code
        assert status == (200 if str(infant.pk) in expected else 404), (kind, infant)


def _reader(kind: str, clinic: m.Clinic, other_clinic: m.Clinic) -> m.User:
    user = f.member(clinic, "staff", username=f"reader_{kind}")
    if kind == "two clinics":
        add_membership(user=user, clinic=other_clinic, role="lead")
    elif kind == "inactive second":
        add_membership(user=user, clinic=other_clinic, role="staff")
        m.ClinicMembership.objects.filter(user=user, clinic=other_clinic).update(is_active=False)
    elif kind == "administrator elsewhere":
        add_membership(user=user, clinic=other_clinic, role="administrator")
    elif kind == "superuser":
        m.User.objects.filter(pk=user.pk).update(is_superuser=True)
        user.refresh_from_db()
    return user


@pytest.mark.parametrize(
    "kind", ["one clinic", "two clinics", "inactive second", "administrator elsewhere", "superuser"]
)
def test_each_read_logs_one_row_with_the_clinic_it_always_had(world_a, kind):
    reader = _reader(kind, world_a.clinic, world_a.other_clinic)
    client = _client(reader)
    # What the log wrote before the reader's clinics were passed in: their one clinic, if one.
    own = list(clinics_for(reader).values_list("id", flat=True)[:2])
    expected = own[0] if len(own) == 1 else None
    for url, infant, clinic in [
        ("/api/v1/infants/", None, expected),
        ("/api/v1/mothers/", None, expected),
        (f"/api/v1/mothers/{world_a.a.mother.pk}/", None, expected),
        (f"/api/v1/infants/{world_a.a.infant.pk}/", world_a.a.infant, world_a.clinic.pk),
    ]:
        before = m.RecordAccess.objects.count()
        assert client.get(url).status_code == 200, url
        [row] = m.RecordAccess.objects.order_by("-at")[: m.RecordAccess.objects.count() - before]
        assert (row.user_id, row.infant, row.clinic_id) == (reader.pk, infant, clinic), url


def test_a_refused_read_still_writes_nothing(world):
    before = m.RecordAccess.objects.count()
    other = world.callers["staff_2"].client
    assert other.get(f"/api/v1/infants/{world.a.infant.pk}/").status_code == 404
    assert other.get(f"/api/v1/mothers/{world.a.mother.pk}/").status_code == 404
    assert world.callers["guardian_a"].client.get("/api/v1/infants/").status_code == 403
    assert m.RecordAccess.objects.count() == before


def test_a_clinical_endpoint_reads_the_roles_it_asks_and_not_guardianship(world_a):
    """The pages read whether the reader is a guardian with their roles, for the navigation; an
    endpoint of the clinical record has no navigation and reads only the memberships."""
    client = world_a.callers["staff_1"].client
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/api/v1/infants/{world_a.a.infant.pk}/").status_code == 200
    assert not [q for q in queries if '"patients_guardian"' in q["sql"]]
    assert len([q for q in queries if '"patients_clinicmembership"' in q["sql"]]) == 1
