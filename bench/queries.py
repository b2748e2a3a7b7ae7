"""Queries per request, counted in-process at two page sizes and two history lengths.

The requests go through the whole stack of middleware and views with Django's test client (behind
the same X-Forwarded-Proto header the load carries) while CaptureQueriesContext counts what
reaches PostgreSQL. A count that differs between a page of 10 and a page of 200, or between an
infant admitted a month ago and one with two years of history, is an N+1.
"""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from patients import models as m

_SECURE = {"HTTP_X_FORWARDED_PROTO": "https", "HTTP_HOST": "127.0.0.1"}


def _count(client: Client, url: str, headers: dict) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **_SECURE, **headers)
    return len(captured), response.status_code


def comparable(infant_ids: list[str]) -> str:
    """An infant whose course still has doses to come, like the month-old record it is compared
    with: the page reads the current phase from the next planned dose, and falls back to one more
    query when a course has none left - a branch, not a cost of history."""
    today = m.Infant.objects.get(pk=infant_ids[0]).clinic.today()
    for infant_id in infant_ids:
        if m.PlannedDose.objects.filter(
            course__infant_id=infant_id, status="planned", due_on__gte=today
        ).exists():
            return infant_id
    return infant_ids[0]


def one_year(clinic_id: str) -> str | None:
    """An infant diagnosed about a year ago with the same kinds of records as the two-year one
    (a Denver II, doses still to come): the history-length comparison that the verdict uses."""
    today = m.Clinic.objects.get(pk=clinic_id).today()
    import datetime

    candidates = m.Infant.objects.filter(
        clinic_id=clinic_id,
        follow_up_status="active",
        diagnosis_date__range=(
            today - datetime.timedelta(days=420),
            today - datetime.timedelta(days=390),
        ),
        denver_assessments__isnull=False,
    ).values_list("id", flat=True)[:200]
    for infant_id in candidates:
        if m.PlannedDose.objects.filter(
            course__infant_id=infant_id, status="planned", due_on__gte=today
        ).exists():
            return str(infant_id)
    return None


def count(*, staff: m.User, token: str, short: str, full: str, year: str | None = None) -> dict:
    """Counts per variant; the verdict compares the variants marked as comparable (page sizes;
    one year against two years of history). The month-old record is shown beside them: it has
    no Denver II yet, and a prefetch of nothing sends no query, so it may read one query less."""
    client = Client()
    client.force_login(staff)
    api = {"HTTP_AUTHORIZATION": f"Token {token}"}
    checks: dict[str, dict[str, tuple[int, int]]] = {
        "infant list (API)": {
            f"page_size={size}": (f"/api/v1/infants/?page_size={size}", api)
            for size in (10, 50, 200)
        },
        "infant detail (API)": _histories("/api/v1/infants/{}/", api, short, year, full),
        "staff infant page": _histories("/infants/{}/", {}, short, year, full),
        "cached chart": _histories(
            "/api/v1/infants/{}/charts/growth-wfa.png", api, short, year, full
        ),
        "staff infant list page": {
            "page 1": ("/infants/", {}),
            "page 2": ("/infants/?page=2", {}),
        },
    }
    result = {}
    for name, variants in checks.items():
        counts = {}
        for variant, (url, headers) in variants.items():
            _count(client, url, headers)  # draws and caches the charts; counted the second time
            queries, status = _count(client, url, headers)
            counts[variant] = {"queries": queries, "status": status}
        judged = {v: c for v, c in counts.items() if v != "one month of history"}
        values = {c["queries"] for c in judged.values()}
        statuses = {c["status"] for c in counts.values()}
        result[name] = {
            "counts": counts,
            "constant": len(values) == 1 and statuses == {200},
        }
    return result


def _histories(url: str, headers: dict, short: str, year: str | None, full: str) -> dict:
    variants = {"one month of history": (url.format(short), headers)}
    if year:
        variants["one year of history"] = (url.format(year), headers)
    variants["two years of history"] = (url.format(full), headers)
    return variants
