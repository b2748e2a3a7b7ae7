"""The infant list's count: kept by PostgreSQL per clinic, read instead of counting the rows.

A kept count that drifts from the rows would give a wrong `count` and a wrong last page, so the
first test walks every way an infant row changes and compares the kept count with a real count
after each step.
"""

from __future__ import annotations

import datetime
import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from patients import models as m
from patients.models.people import INFANT_COUNT_TABLE
from patients.selectors import active_infant_count
from patients.services.infant_counts import fold_infant_counts
from patients.services.records import update_record, void_record
from tests import factories as f

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="PostgreSQL keeps the count; SQLite counts rows"
)


def _counted(clinic: m.Clinic | None = None) -> int:
    rows = m.Infant.objects.filter(voided_at__isnull=True)
    return (rows.filter(clinic=clinic) if clinic else rows).count()


def _kept(clinic: m.Clinic | None = None) -> int:
    changes = m.InfantCountChange.objects.all()
    if clinic is not None:
        changes = changes.filter(clinic=clinic)
    return sum(changes.values_list("change", flat=True))


def _client(user: m.User) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


@on_postgresql
def test_the_kept_count_follows_every_way_an_infant_row_is_written(clinic, other_clinic, staff):
    steps: list[str] = []

    def agrees(step: str) -> None:
        steps.append(step)
        for place in (clinic, other_clinic, None):
            assert _kept(place) == _counted(place), (steps, place)

    agrees("nothing yet")
    first = f.InfantFactory(clinic=clinic)
    agrees("one saved")
    m.Infant.objects.bulk_create(
        [f.InfantFactory.build(clinic=clinic) for _ in range(3)]
        + [f.InfantFactory.build(clinic=other_clinic) for _ in range(2)]
    )
    agrees("a bulk insert over two clinics")
    m.Infant.objects.bulk_create(
        [f.InfantFactory.build(clinic=clinic, voided_at=timezone.now(), void_reason="test")]
    )
    agrees("a row inserted already voided")
    update_record(first, actor=staff, given_name="Ada")
    agrees("an edit that leaves the count alone")
    void_record(first, actor=staff, reason="Registered twice")
    agrees("voided through the service")
    m.Infant.objects.filter(pk=first.pk).update(voided_at=None, void_reason="")
    agrees("restored by a bulk update")
    m.Infant.objects.filter(pk=first.pk).update(clinic=other_clinic)
    agrees("moved to another clinic")
    m.Infant.objects.filter(clinic=other_clinic).update(follow_up_status="completed")
    agrees("a bulk update of every row of a clinic")
    with connection.cursor() as cursor:  # the product never deletes; a database hand might
        cursor.execute("DELETE FROM patients_infant WHERE id = %s", [first.pk])
    agrees("a row deleted outside the product")
    assert _counted(clinic) == 3 and _counted(other_clinic) == 2


@on_postgresql
def test_folding_keeps_one_row_a_clinic_and_the_same_counts(clinic, other_clinic, staff):
    for _ in range(4):
        f.InfantFactory(clinic=clinic)
    for _ in range(2):
        f.InfantFactory(clinic=other_clinic)
    void_record(m.Infant.objects.filter(clinic=clinic).first(), actor=staff, reason="Twice")
    before = m.InfantCountChange.objects.count()
    assert before == 7

    assert fold_infant_counts() == before - 2
    assert m.InfantCountChange.objects.count() == 2
    assert (_kept(clinic), _kept(other_clinic)) == (3, 2)
    assert fold_infant_counts() == 0  # nothing left to fold


@on_postgresql
def test_the_migration_counts_the_infants_already_there(clinic, other_clinic):
    for place, n in ((clinic, 3), (other_clinic, 1)):
        for _ in range(n):
            f.InfantFactory(clinic=place)
    m.InfantCountChange.objects.all().delete()  # as before the migration: rows, no count
    migration = importlib.import_module("patients.migrations.0007_infant_counts")
    with connection.schema_editor() as editor:
        migration.count_the_active_infants(None, editor)
    assert (_kept(clinic), _kept(other_clinic)) == (3, 1)


def test_the_count_the_list_reads_is_the_count_of_active_infants_in_scope(
    clinic, other_clinic, staff
):
    for _ in range(3):
        f.InfantFactory(clinic=clinic)
    f.InfantFactory(clinic=other_clinic)
    f.InfantFactory(clinic=clinic, voided_at=timezone.now(), void_reason="Twice")
    superuser = f.UserFactory(username="root", is_superuser=True)
    outsider = f.UserFactory(username="outsider")

    assert active_infant_count(staff) == 3
    assert active_infant_count(staff, clinic_ids=[clinic.pk, other_clinic.pk]) == 4
    assert active_infant_count(superuser) == 4
    assert active_infant_count(outsider) == 0


def _infant_counts(queries) -> list[str]:
    return [
        q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and 'patients_infant"' in q["sql"]
    ]


def test_the_list_says_how_many_without_counting_the_infants(clinic, other_clinic, staff):
    for n in range(5):
        f.InfantFactory(clinic=clinic, follow_up_status="completed" if n < 2 else "active")
    f.InfantFactory(clinic=other_clinic)
    voided = f.InfantFactory(clinic=clinic)
    void_record(voided, actor=staff, reason="Registered twice")
    client = _client(staff)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/api/v1/infants/?page_size=2&page=3").json()
    assert page["count"] == 5
    assert len(page["results"]) == 1 and page["next"] is None
    if connection.vendor == "postgresql":
        assert _infant_counts(queries) == []

    # A filter narrows the list: those rows are counted.
    assert client.get("/api/v1/infants/?follow_up_status=completed").json()["count"] == 2
    assert client.get("/api/v1/infants/?record_status=voided").json()["count"] == 1
    assert client.get("/api/v1/infants/?record_status=all").json()["count"] == 6
    assert (
        client.get("/api/v1/infants/?record_status=active&ordering=-birth_date").json()["count"]
        == 5
    )
    # A bad filter is still refused, whatever the count would have been.
    assert client.get("/api/v1/infants/?follow_up_status=asleep").status_code == 400


def test_a_page_of_the_list_carries_its_count_in_the_same_statement(clinic, other_clinic, staff):
    for _ in range(5):
        f.InfantFactory(clinic=clinic)
    f.InfantFactory(clinic=other_clinic)
    client = _client(staff)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/api/v1/infants/?page_size=2&page=2").json()
    assert page["count"] == 5 and len(page["results"]) == 2
    assert page["next"] and page["previous"]
    if connection.vendor == "postgresql":
        reads = [q["sql"] for q in queries if f'"{INFANT_COUNT_TABLE}"' in q["sql"]]
        assert len(reads) == 1 and 'FROM "patients_infant"' in reads[0]

    # No row to carry the count: it is read on its own, and the page refused or shown as ever.
    assert client.get("/api/v1/infants/?page_size=2&page=4").status_code == 404
    last = client.get("/api/v1/infants/?page_size=2&page=last").json()
    assert last["count"] == 5 and len(last["results"]) == 1 and last["next"] is None
    for wrong in ("0", "-1", "abc", "2.5"):
        assert client.get(f"/api/v1/infants/?page={wrong}").status_code == 404
    empty = f.ClinicFactory(name="A clinic with no infant yet")
    assert _client(f.member(empty, "staff")).get("/api/v1/infants/").json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_an_infants_history_counts_its_versions_not_the_infants(clinic, staff, lead):
    infant = f.InfantFactory(clinic=clinic, birth_date=datetime.date(2024, 3, 1))
    for _ in range(4):
        f.InfantFactory(clinic=clinic)
    update_record(infant, actor=staff, given_name="Ada")
    history = _client(lead).get(f"/api/v1/infants/{infant.pk}/history/").json()
    assert history["count"] == infant.history.count() == 2


def test_the_staff_list_says_how_many_without_counting_the_infants(client, clinic, staff):
    for n in range(3):
        f.InfantFactory(clinic=clinic, family_name=f"Yilmaz{n}" if n else "Kaya")
    void_record(f.InfantFactory(clinic=clinic), actor=staff, reason="Registered twice")
    client.force_login(staff)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/infants/").content.decode()
    assert "3 infants" in page
    if connection.vendor == "postgresql":
        assert _infant_counts(queries) == []
    # A search narrows the list: those rows are counted.
    assert "1 infant<" in client.get("/infants/?q=Kaya").content.decode()
