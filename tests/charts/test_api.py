"""The chart and report endpoints: scope, cache, headers and schema.

Personas: staff and lead of the demo clinic (seed 000 infants and the demo cohort), the two demo
parents, and staff and a lead of a second clinic with an infant of its own.
"""

from __future__ import annotations

import datetime
import zoneinfo
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from patients import models as m
from patients.charts import render
from patients.services import charts as chart_service
from patients.services.growth import record_growth
from patients.services.records import void_record
from tests import factories as f
from tests.charts import urls as chart_test_urls
from tests.charts.conftest import TODAY

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.charts.urls")]

NOON = datetime.datetime.combine(
    TODAY, datetime.time(12), tzinfo=zoneinfo.ZoneInfo("Europe/Istanbul")
)


@pytest.fixture(autouse=True)
def _on_the_demo_day():
    with time_machine.travel(NOON, tick=False):
        yield


@pytest.fixture
def other(db):
    clinic = f.ClinicFactory(name="Clinic 2")
    return {
        "clinic": clinic,
        "staff": f.member(clinic, "staff", username="staff-clinic-2"),
        "lead": f.member(clinic, "lead", username="lead-clinic-2"),
        "infant": f.InfantFactory(clinic=clinic, birth_date=datetime.date(2025, 1, 10)),
    }


def client(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def chart_url(infant, name="growth-wfa", image_format="png") -> str:
    return reverse(
        "api:api-infant-chart", kwargs={"pk": infant.pk, "name": name, "image_format": image_format}
    )


def cohort_url(name="km-labs", image_format="png") -> str:
    return reverse("api:api-cohort-chart", kwargs={"name": name, "image_format": image_format})


def report_url(infant, report) -> str:
    return reverse("api:api-infant-report", kwargs={"pk": infant.pk, "report": report})


@pytest.fixture
def renders():
    with mock.patch.object(render, "figure_bytes", wraps=render.figure_bytes) as spy:
        yield spy


def test_a_cached_chart_is_served_without_rendering_again(world, renders):
    staff = client(world.staff)
    first = staff.get(chart_url(world.p1))
    assert first.status_code == 200 and renders.call_count == 1
    assert first["Content-Type"] == "image/png"
    assert "private" in first["Cache-Control"]
    assert first["Chart-Alt-Text"].startswith("Weight-for-age chart of a boy")
    assert "8.6 kg at 12.0 months" in first["Chart-Alt-Text"]

    again = client(world.lead).get(chart_url(world.p1))  # another member of the same clinic
    assert again.status_code == 200 and renders.call_count == 1
    assert again.content == first.content and again["ETag"] == first["ETag"]

    unchanged = staff.get(chart_url(world.p1), HTTP_IF_NONE_MATCH=first["ETag"])
    assert unchanged.status_code == 304 and unchanged.content == b""
    assert renders.call_count == 1
    # Every read is logged, cached or not.
    assert m.RecordAccess.objects.filter(infant=world.p1, resource="chart:growth-wfa").count() == 3

    svg = staff.get(chart_url(world.p1, image_format="svg"))
    assert svg["Content-Type"] == "image/svg+xml" and renders.call_count == 2
    assert b"<desc>Weight-for-age chart of a boy" in svg.content


def test_a_change_to_the_infant_s_data_gives_a_new_chart(world, renders):
    staff = client(world.staff)
    before = staff.get(chart_url(world.p1))
    version = chart_service.infant_data_version(world.p1, today=TODAY)

    measurement = record_growth(
        infant=world.p1,
        actor=world.staff,
        measured_on=datetime.date(2025, 3, 4),
        weight_kg="9.4",
        length_cm="80.0",
        head_circumference_cm="47.0",
        today=TODAY,
    )
    changed = chart_service.infant_data_version(world.p1, today=TODAY)
    after = staff.get(chart_url(world.p1))
    assert changed != version
    assert renders.call_count == 2
    assert after["ETag"] != before["ETag"] and after.content != before.content
    assert "2 measurements" in after["Chart-Alt-Text"]

    # Voiding writes through an update; its history row still moves the version.
    void_record(measurement, actor=world.staff, reason="entered on the wrong infant")
    assert chart_service.infant_data_version(world.p1, today=TODAY) not in (version, changed)
    # And the next day is another version: charts mark today.
    assert chart_service.infant_data_version(
        world.p1, today=TODAY + datetime.timedelta(days=1)
    ) != chart_service.infant_data_version(world.p1, today=TODAY)


def test_the_infant_page_s_chart_texts_are_kept_with_the_charts(world, monkeypatch):
    """Wording the charts for the infant page reads what drawing them reads; the texts are kept
    under the same data version, so they are worded again only when the record changes."""
    worded = []
    word = chart_service._worded_chart_texts
    monkeypatch.setattr(
        chart_service,
        "_worded_chart_texts",
        lambda infant, today: worded.append(infant.pk) or word(infant, today=today),
    )
    first = chart_service.infant_chart_texts(world.p1, today=TODAY)
    assert list(first) == list(chart_service.INFANT_CHARTS) and worded == [world.p1.pk]
    assert "1 measurement" in first["growth-wfa"].alt_text

    assert chart_service.infant_chart_texts(world.p1, today=TODAY) == first
    assert worded == [world.p1.pk]  # kept
    chart_service.infant_chart_texts(world.p2, today=TODAY)
    assert worded == [world.p1.pk, world.p2.pk]  # each infant its own

    record_growth(
        infant=world.p1,
        actor=world.staff,
        measured_on=datetime.date(2025, 3, 4),
        weight_kg="9.4",
        length_cm="80.0",
        head_circumference_cm="47.0",
        today=TODAY,
    )
    changed = chart_service.infant_chart_texts(world.p1, today=TODAY)
    assert len(worded) == 3 and "2 measurements" in changed["growth-wfa"].alt_text


def _numbers(row) -> list[int]:
    # Counts, as the database returns them (SQLite gives a boolean column back as 0 or 1).
    return [int(value) for value in row if isinstance(value, int)]


def test_the_compiled_version_statement_reads_each_infant_s_own_rows(world):
    """The statement compiled once with stand-in ids reads what the ORM's query reads."""
    for infant in (world.p1, world.p2):
        ids = m.Infant.objects.filter(pk=infant.pk).values("id")
        orm_row = list(
            m.Infant.objects.filter(pk=infant.pk)
            .values(
                **chart_service._infant_version_columns(connection.vendor)(ids, [infant.clinic_id])
            )
            .get()
            .values()
        )
        (compiled_row,) = chart_service._INFANT_VERSION.rows(
            infant=infant.pk, clinic=infant.clinic_id
        )
        counts = _numbers(orm_row)
        assert counts and counts == _numbers(compiled_row)
        assert any(count > 0 for count in counts)
    assert chart_service.infant_data_version(
        world.p1, today=TODAY
    ) != chart_service.infant_data_version(world.p2, today=TODAY)


def test_another_clinic_can_neither_see_nor_reach_the_cache(world, other, renders):
    client(world.staff).get(chart_url(world.p1))  # cached for the demo clinic
    assert renders.call_count == 1
    with mock.patch.object(chart_service.cache, "get", wraps=cache.get) as reads:
        for user in (other["staff"], other["lead"], world.parent1, world.parent2):
            for name in ("growth-wfa", "labs"):
                assert client(user).get(chart_url(world.p1, name)).status_code == 404
        assert reads.call_count == 0  # refused before the cache is even looked at
    assert renders.call_count == 1
    # And the other way round.
    assert client(world.staff).get(chart_url(other["infant"])).status_code == 404
    assert client(other["staff"]).get(chart_url(other["infant"])).status_code == 200


def test_cache_keys_belong_to_a_scope_and_need_the_secret(world, other):
    version = chart_service.infant_data_version(world.p1, today=TODAY)
    own = chart_service.cache_key(
        chart="growth-wfa",
        image_format="png",
        scope=chart_service.infant_scope(world.p1),
        version=version,
    )
    elsewhere = chart_service.cache_key(
        chart="growth-wfa",
        image_format="png",
        scope=["clinic", str(other["clinic"].pk), "infant", str(world.p1.pk)],
        version=version,
    )
    assert own != elsewhere
    # Nothing in the key names the infant or the clinic, and without the secret no key matches.
    assert str(world.p1.pk) not in own and str(world.clinic.pk) not in own
    with override_settings(SECRET_KEY="another-secret-" + "y" * 40):
        assert (
            chart_service.cache_key(
                chart="growth-wfa",
                image_format="png",
                scope=chart_service.infant_scope(world.p1),
                version=version,
            )
            != own
        )


def test_a_lead_of_another_clinic_never_gets_the_first_lead_s_cohort_chart(world, other, renders):
    first = client(world.lead).get(cohort_url())
    assert first.status_code == 200 and renders.call_count == 1
    assert "B12 at least 180 pmol/L" in first["Chart-Alt-Text"]

    theirs = client(other["lead"]).get(cohort_url())
    assert theirs.status_code == 200 and renders.call_count == 2  # not served from the cache
    assert theirs["ETag"] != first["ETag"] and theirs.content != first.content
    # Their clinic's one infant has no treatment: no group, nothing of the demo clinic's.
    assert "n=" not in theirs["Chart-Alt-Text"]

    # Even an entry planted under the first lead's key is only ever read by the first lead.
    planted = {"content": b"planted", "title": "planted", "alt_text": "planted"}
    cache.set("charts:" + first["ETag"].strip('"'), planted)
    assert client(world.lead).get(cohort_url()).content == b"planted"
    assert client(other["lead"]).get(cohort_url()).content != b"planted"


def test_cohort_charts_are_for_leads_with_valid_filters(world, renders):
    assert client(world.staff).get(cohort_url()).status_code == 403
    assert client(world.parent1).get(cohort_url()).status_code == 403
    assert APIClient().get(cohort_url()).status_code in (401, 403)
    lead = client(world.lead)
    bad = lead.get(cohort_url(), {"diagnosis_age_min_months": 13, "diagnosis_age_max_months": 10})
    assert bad.status_code == 400 and "diagnosis_age_max_months" in bad.json()
    assert lead.get(cohort_url(), {"sign": "not-a-sign"}).status_code == 400
    assert lead.get(cohort_url("no-such-chart")).status_code == 404
    girls = lead.get(
        cohort_url("km-milestones", "svg"), {"sex": "female", "sign": ["apathy"], "stratify": "sex"}
    )
    assert girls.status_code == 200 and girls["Content-Type"] == "image/svg+xml"
    assert "girls" in girls["Chart-Alt-Text"]
    assert m.RecordAccess.objects.filter(resource="cohort-chart:km-milestones").count() == 1
    assert renders.call_count == 1


def test_reports_follow_their_readers(world, other):
    staff = client(world.staff)
    summary = staff.get(report_url(world.p1, "visit-summary"))
    assert summary.status_code == 200 and summary["Content-Type"] == "application/pdf"
    assert summary.content.startswith(b"%PDF")
    assert "private" in summary["Cache-Control"] and "no-store" in summary["Cache-Control"]
    for outsider in (world.parent1, other["staff"], other["lead"]):
        assert client(outsider).get(report_url(world.p1, "visit-summary")).status_code == 404

    plan = client(world.parent1).get(report_url(world.p1, "take-home-plan"))
    assert plan.status_code == 200 and plan["Content-Language"] == "tr"
    assert client(world.parent1).get(report_url(world.p2, "take-home-plan")).status_code == 404
    assert client(other["staff"]).get(report_url(world.p1, "take-home-plan")).status_code == 404
    english = staff.get(report_url(world.p1, "take-home-plan"), {"lang": "en"})
    assert english.status_code == 200 and english["Content-Language"] == "en"
    assert (
        m.RecordAccess.objects.filter(infant=world.p1, resource__startswith="report:").count() == 3
    )


def test_unknown_names_and_formats_are_not_found(world):
    staff = client(world.staff)
    assert staff.get(chart_url(world.p1, "growth-bmi")).status_code == 404
    assert staff.get(f"/api/v1/infants/{world.p1.pk}/charts/growth-wfa.gif").status_code == 404
    assert staff.get(f"/api/v1/infants/{world.p1.pk}/reports/everything.pdf").status_code == 404


def test_the_endpoints_are_in_the_openapi_schema_with_binary_responses():
    schema = SchemaGenerator(patterns=chart_test_urls.urlpatterns).get_schema(
        request=None, public=True
    )
    paths = schema["paths"]
    infant = paths["/api/v1/infants/{id}/charts/{name}.{image_format}"]["get"]
    cohort = paths["/api/v1/cohort/charts/{name}.{image_format}"]["get"]
    report = paths["/api/v1/infants/{id}/reports/{report}.pdf"]["get"]
    for operation, types in (
        (infant, ("image/png", "image/svg+xml")),
        (cohort, ("image/png", "image/svg+xml")),
        (report, ("application/pdf",)),
    ):
        for media_type in types:
            content = operation["responses"]["200"]["content"][media_type]
            assert content["schema"] == {"type": "string", "format": "binary"}
    assert "Chart-Alt-Text" in infant["responses"]["200"]["headers"]
    names = {p["name"] for p in cohort["parameters"]}
    assert {"sex", "sign", "mri_severity", "regimen", "stratify", "diagnosed_from"} <= names
