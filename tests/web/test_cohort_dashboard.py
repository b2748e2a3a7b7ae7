"""The clinic lead's cohort dashboard: who may open it, what it shows, how its filters travel to the
chart images, and that its summary never prints a count a small group could be worked out from."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.http import QueryDict

from patients import models as m
from patients.api.charts import CohortFilterSerializer
from patients.charts.cohort_data import AGE_GROUPS, group_of
from patients.charts.loader import cohort_infants
from patients.models.people import FollowUpStatus
from patients.services import charts as chart_service
from patients.services.cohort import generate_cohort
from patients.web.cohort import (
    AGE_GROUP_LABELS,
    MRI_SEVERITIES,
    STRATIFICATIONS,
    CohortFilterForm,
    CountRow,
    grouped_counts,
)
from tests.conftest import f
from tests.web.conftest import DEMO_DAY

pytestmark = pytest.mark.django_db

COHORT_CHARTS = list(chart_service.COHORT_CHARTS)


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def cohort(demo):
    """Thirty synthetic infants beside the demo's two, in the demo's clinic."""
    generate_cohort(infants=30, clinic=demo.clinic, seed=7, today=DEMO_DAY)
    return demo


def _images(page: str) -> list[tuple[str, str]]:
    return [
        (unescape(src), unescape(alt))
        for src, alt in re.findall(r'<img src="([^"]+)" alt="([^"]*)"', page)
    ]


# --- who may open it --------------------------------------------------------------------------


def test_the_lead_reaches_the_dashboard_from_the_navigation(signed_in):
    page = _text(signed_in("lead").get("/worklist/"))
    assert 'href="/cohort/"' in page
    assert 'href="/cohort/"' not in _text(signed_in("staff").get("/worklist/"))


@pytest.mark.parametrize("username", ["staff", "parent1", "admin"])
def test_anyone_but_a_lead_gets_404(signed_in, username):
    assert signed_in(username).get("/cohort/").status_code == 404


def test_the_lead_of_another_clinic_sees_only_their_own_clinics_infants(client, cohort):
    other_lead = f.member(f.ClinicFactory(name="Clinic 2"), "lead", username="lead-c2")
    client.force_login(other_lead)
    page = _text(client.get("/cohort/"))
    assert "Fewer than 5 infants match the filters." in page
    assert cohort.clinic.name not in page


def test_anonymous_is_sent_to_sign_in(client, demo):
    response = client.get("/cohort/")
    assert response.status_code == 302
    assert response["Location"].startswith("/sign-in/?next=/cohort/")


def test_the_dashboard_answers_get_only(signed_in):
    assert signed_in("lead").post("/cohort/").status_code == 405


# --- what it shows ----------------------------------------------------------------------------


def test_the_dashboard_shows_every_cohort_chart_with_its_alt_text(signed_in, cohort):
    response = signed_in("lead").get("/cohort/")
    assert response.status_code == 200
    page = _text(response)
    images = _images(page)
    assert [urlsplit(src).path for src, _ in images] == [
        f"/api/v1/cohort/charts/{name}.svg" for name in COHORT_CHARTS
    ]
    for (_, alt), name in zip(images, COHORT_CHARTS, strict=True):
        drawn = chart_service.cohort_chart(
            user=response.wsgi_request.user,
            name=name,
            image_format="svg",
            filters=_filters(""),
        )
        assert alt == drawn.alt_text and alt
    assert 'href="/api/v1/exports/cohort.csv"' in page
    assert "<script" not in page and "<style" not in page and " style=" not in page
    assert "no-store" in response["Cache-Control"]


def test_the_summary_counts_the_infants_the_charts_count(signed_in, cohort):
    infants = cohort_infants([cohort.clinic.pk], _filters(""), today=DEMO_DAY)
    page = _text(signed_in("lead").get("/cohort/"))

    assert f"{len(infants)} infants match the filters." in page
    by_status = Counter(infant.follow_up_status for infant in infants)
    by_age = Counter(group_of(infant, "age_at_diagnosis") for infant in infants)
    expected = {
        "by-follow-up": grouped_counts(
            [(str(label), by_status[value]) for value, label in FollowUpStatus.choices]
        ),
        "by-age": grouped_counts(
            [(str(AGE_GROUP_LABELS[group]), by_age[group]) for group in AGE_GROUPS]
        ),
    }
    for table_id, rows in expected.items():
        assert _table(page, table_id) == [(", ".join(row.labels), row.infants) for row in rows]
    # The synthetic cohort has a few lost infants and none transferred: counted together.
    assert any(row.combined for row in expected["by-follow-up"])


def _table(page: str, table_id: str) -> list[tuple[str, int | None]]:
    body = page.split(f'id="{table_id}"')[1].split("</table>")[0]
    rows = []
    for label, count in re.findall(
        r'<th scope="row">(.*?)</th>\s*<td class="number">(.*?)</td>', body
    ):
        rows.append((unescape(label), None if "fewer" in count else int(count)))
    return rows


def test_the_dashboard_reads_in_turkish(signed_in, cohort):
    page = _text(signed_in("lead").get("/cohort/", HTTP_ACCEPT_LANGUAGE="tr"))
    assert '<html lang="tr">' in page
    assert "Filtreler" in page and "bebek var." in page and "Tanı yaşı" in page


def test_reading_the_dashboard_is_logged(signed_in, demo_user, cohort):
    before = m.RecordAccess.objects.filter(resource="cohort-summary").count()
    signed_in("lead").get("/cohort/", {"sex": "female"})
    row = m.RecordAccess.objects.filter(resource="cohort-summary").latest("pk")
    assert m.RecordAccess.objects.filter(resource="cohort-summary").count() == before + 1
    assert row.user == demo_user("lead")
    assert row.action == "export"
    assert row.clinic == cohort.clinic
    assert row.path == "/cohort/?sex=female"


def test_regimen_choices_are_the_regimens_of_the_clinics_courses(signed_in, cohort):
    page = _text(signed_in("lead").get("/cohort/"))
    select = page.split('name="regimen"')[1].split("</select>")[0]
    keys = set(
        m.TreatmentCourse.objects.filter(infant__clinic=cohort.clinic)
        .exclude(regimen_key="")
        .values_list("regimen_key", flat=True)
    )
    assert keys
    assert set(re.findall(r'<option value="([^"]+)"', select)) == keys


# --- filters ----------------------------------------------------------------------------------

FILTER_QUERIES = [
    "",
    "sex=female",
    "diagnosis_age_min_months=10&diagnosis_age_max_months=13.5",
    "sign=tremor&sign=apathy&sign=tremor",
    "mri_severity=none&stratify=mri_severity",
    "diagnosed_from=2024-01-01&diagnosed_to=2025-06-30&stratify=none",
    "regimen=seed-000-patient-1&stratify=regimen",
    "sex=&mri_severity=&regimen=&stratify=&diagnosis_age_min_months=",
]


def _filters(query: str):
    form = CohortFilterForm(
        QueryDict(query), regimens=[("seed-000-patient-1", "Seed 000, patient 1")]
    )
    assert form.is_valid(), form.errors
    return form.filters()


@pytest.mark.parametrize("query", FILTER_QUERIES)
def test_the_forms_filters_are_the_endpoints_filters_for_the_url_it_writes(query):
    form = CohortFilterForm(
        QueryDict(query), regimens=[("seed-000-patient-1", "Seed 000, patient 1")]
    )
    assert form.is_valid(), form.errors
    written = QueryDict(form.query())
    endpoint = CohortFilterSerializer(
        data={
            **{k: v for k, v in written.items() if k != "sign"},
            **({"sign": written.getlist("sign")} if "sign" in written else {}),
        }
    )
    assert endpoint.is_valid(), endpoint.errors
    # Equal filters make the same chart cache key: the page's drawing is the image's.
    assert endpoint.filters() == form.filters()
    assert all(value for _, value in parse_qsl(form.query(), keep_blank_values=True))


def test_the_form_offers_exactly_the_endpoints_choices():
    fields = CohortFilterSerializer().fields
    assert {value for value, _ in MRI_SEVERITIES} == set(fields["mri_severity"].choices)
    assert {value for value, _ in STRATIFICATIONS} == set(fields["stratify"].choices)


def test_every_chart_url_carries_the_filters_and_its_image_comes_from_the_pages_drawing(
    signed_in, cohort, monkeypatch
):
    client = signed_in("lead")
    query = {"sex": "male", "sign": ["hypotonia"], "stratify": "sex"}
    page = _text(client.get("/cohort/", query))
    images = _images(page)
    assert len(images) == len(COHORT_CHARTS)
    for src, _ in images:
        assert sorted(parse_qsl(urlsplit(src).query)) == [
            ("sex", "male"),
            ("sign", "hypotonia"),
            ("stratify", "sex"),
        ]
    assert 'value="male" selected' in page and 'value="hypotonia"' in page

    drawn = []
    monkeypatch.setattr(
        chart_service.render,
        "figure_bytes",
        lambda *args: drawn.append(args) or b"",
    )
    for src, _ in images:
        image = client.get(src)
        assert image.status_code == 200
        assert image["Content-Type"].startswith("image/svg+xml")
    assert drawn == [], "an image was drawn again instead of coming from the chart cache"


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("diagnosis_age_min_months=ten", "diagnosis_age_min_months", "Enter a number."),
        ("diagnosis_age_max_months=80", "diagnosis_age_max_months", "less than or equal to 72"),
        (
            "diagnosis_age_min_months=13&diagnosis_age_max_months=10",
            "diagnosis_age_max_months",
            "Give an age above",
        ),
        ("diagnosed_from=2025-02-01&diagnosed_to=2025-01-01", "diagnosed_to", "Give a day on"),
        ("diagnosed_from=yesterday", "diagnosed_from", "Enter a valid date."),
        ("sex=robot", "sex", "Select a valid choice."),
        ("sign=sneezing", "sign", "Select a valid choice."),
        ("regimen=made-up", "regimen", "Select a valid choice."),
        ("stratify=colour", "stratify", "Select a valid choice."),
    ],
)
def test_a_bad_filter_is_an_inline_error_and_no_chart(signed_in, query, field, message):
    response = signed_in("lead").get(f"/cohort/?{query}")
    assert response.status_code == 200
    page = _text(response)
    errors = page.split(f'id="id_{field}_error"')[1].split("</ul>")[0]
    assert message in unescape(errors)
    assert 'role="alert"' in page
    assert "<img" not in page
    assert "The charts appear once the filters are corrected." in page


# --- the small-cell rule of the summary -----------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        # Nothing small: every count printed, empty groups too.
        (
            [("a", 12), ("b", 5), ("c", 0)],
            [CountRow(("a",), 12), CountRow(("b",), 5), CountRow(("c",), 0)],
        ),
        # Small groups together, with the empty ones, reach 5: printed as one.
        (
            [("a", 20), ("b", 3), ("c", 0), ("d", 2)],
            [CountRow(("a",), 20), CountRow(("b", "c", "d"), 5)],
        ),
        # Still under 5 together: the smallest printed group joins them.
        (
            [("a", 40), ("b", 6), ("c", 2), ("d", 0)],
            [CountRow(("a",), 40), CountRow(("b", "c", "d"), 8)],
        ),
        # The whole cohort under 5: nothing printed.
        ([("a", 3), ("b", 1)], [CountRow(("a", "b"), None)]),
        ([("a", 0), ("b", 0)], [CountRow(("a",), 0), CountRow(("b",), 0)]),
    ],
)
def test_grouped_counts(counts, expected):
    assert grouped_counts(counts) == expected


def test_no_printed_count_is_small_and_nothing_is_left_to_subtract():
    for counts in itertools.product([0, 1, 2, 4, 5, 7, 30], repeat=3):
        rows = grouped_counts([(f"g{i}", n) for i, n in enumerate(counts)])
        printed = [row.infants for row in rows if row.infants is not None]
        assert all(n == 0 or n >= 5 for n in printed), counts
        # Every group is in exactly one row, and the printed rows add up to the whole (or nothing
        # is printed at all): the total minus the printed rows leaves nothing to find.
        assert sorted(label for row in rows for label in row.labels) == ["g0", "g1", "g2"]
        if all(row.infants is not None for row in rows):
            assert sum(printed) == sum(counts), counts
        else:
            assert sum(counts) < 5 and printed == [], counts
