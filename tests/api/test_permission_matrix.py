"""Every endpoint x method x persona answers exactly as the table says (QUALITY.md, "Who may see
what"), and lists never contain a row the persona may not open.

The endpoints come from the URL configuration, not from this file: a pattern under /api/v1/
without an entry in EXPECTED fails `test_every_api_endpoint_has_an_entry`, which names it, and a
method a view accepts without an entry fails `test_the_table_lists_every_method_a_view_accepts`.
Each request runs in a savepoint that is rolled back, so every persona meets the same records.

Statuses are given per persona, in the order of PERSONAS:
anonymous, guardian of A, guardian of B, staff of clinic 1, staff of clinic 2, lead of clinic 1,
administrator. The target of a detail endpoint is infant A's record (clinic 1).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api.conftest import PERSONAS, clinic_regimen_definition

API_PREFIX = "api/v1/"

# Statuses by persona: (anonymous, guardian A, guardian B, staff 1, staff 2, lead 1, admin).
# Clinical records: staff and leads of the infant's clinic; another clinic's staff get 404 for a
# record and 400 ("does not exist") for a write that names it; guardians and administrators are
# refused the clinical endpoints whole (403), whatever the record.
CLINICAL_LIST = (401, 403, 403, 200, 200, 200, 403)
CLINICAL_READ = (401, 403, 403, 200, 404, 200, 403)
CLINICAL_CREATE = (401, 403, 403, 201, 400, 201, 403)
CLINICAL_CHANGE = (401, 403, 403, 200, 404, 200, 403)
CLINICAL_DELETE = (401, 403, 403, 405, 405, 405, 403)
CLINICAL_EVENT = (401, 403, 403, 201, 404, 201, 403)
# History and the access log: leads of the patient's clinic only.
LEAD_ONLY = (401, 403, 403, 403, 403, 200, 403)
# Guardians: their own row (or their own children, their own reminders); staff their clinic's.
GUARDIAN_LIST = (401, 200, 200, 200, 200, 200, 403)
GUARDIAN_READ = (401, 200, 404, 200, 404, 200, 403)
GUARDIAN_DELETE = (401, 405, 405, 405, 405, 405, 403)
CHILDREN_LIST = (401, 200, 200, 403, 403, 403, 403)
CHILDREN_READ = (401, 200, 404, 403, 403, 403, 403)
CHILDREN_DELETE = (401, 405, 405, 403, 403, 403, 403)
# The reminder's own guardian acknowledges; staff may read it but never acknowledge for them.
REMINDER_ACKNOWLEDGE = (401, 200, 404, 403, 404, 403, 403)
# Configuration: everyone with a clinic role reads (administrators every clinic), only
# administrators write.
CONFIG_LIST = (401, 403, 403, 200, 200, 200, 200)
CONFIG_READ = (401, 403, 403, 200, 404, 200, 200)
ADMIN_CREATE = (401, 403, 403, 403, 403, 403, 201)
ADMIN_CHANGE = (401, 403, 403, 403, 403, 403, 200)
CONFIG_DELETE = (401, 403, 403, 405, 405, 405, 405)
LEAD_DELETE = (401, 403, 403, 403, 403, 405, 403)
# Open to all: the schema, its documentation and the token exchange (with valid credentials).
PUBLIC = (200, 200, 200, 200, 200, 200, 200)

VOID = {"reason": "Entered on the wrong infant."}


def _later(world, days: int = 300) -> str:
    return (world.a.infant.birth_date + datetime.timedelta(days=days)).isoformat()


@dataclass(frozen=True)
class Call:
    statuses: tuple[int, ...]
    body: Callable[[Any], dict] | None = None


def call(statuses: tuple[int, ...], body: Callable[[Any], dict] | dict | None = None) -> Call:
    if isinstance(body, dict):
        fixed = body
        return Call(statuses, lambda world: fixed)
    return Call(statuses, body)


def _clinical(
    basename: str,
    target: str,
    *,
    create: Callable[[Any], dict] | None,
    change: Callable[[Any], dict] | None = None,
    void: bool = True,
) -> dict[str, dict]:
    """The usual rows of a clinical resource, spelled out per URL name below."""
    rows: dict[str, dict] = {
        f"api:{basename}-list": {"GET": call(CLINICAL_LIST)},
        f"api:{basename}-detail": {
            "target": target,
            "GET": call(CLINICAL_READ),
            "DELETE": call(CLINICAL_DELETE),
        },
        f"api:{basename}-history": {"target": target, "GET": call(LEAD_ONLY)},
    }
    if create is not None:
        rows[f"api:{basename}-list"]["POST"] = call(CLINICAL_CREATE, create)
    if change is not None:
        rows[f"api:{basename}-detail"]["PATCH"] = call(CLINICAL_CHANGE, change)
    if void:
        rows[f"api:{basename}-void"] = {"target": target, "POST": call(CLINICAL_CHANGE, VOID)}
    return rows


EXPECTED: dict[str, dict] = {
    # --- authentication, schema and documentation ---------------------------------------------
    "api:auth-token": {
        "POST": call(PUBLIC, {"username": "staff1", "password": "test-password-123"})
    },
    "api:schema": {"GET": call(PUBLIC)},
    "api:docs": {"GET": call(PUBLIC)},
    "api:redoc": {"GET": call(PUBLIC)},
    # --- guardians and their preferences ------------------------------------------------------
    "api:guardian-list": {"GET": call(GUARDIAN_LIST)},
    "api:guardian-detail": {
        "target": "guardian",
        "GET": call(GUARDIAN_READ),
        "PATCH": call(GUARDIAN_READ, {"language": "en", "evening_reminder_at": "20:00"}),
        "DELETE": call(GUARDIAN_DELETE),
    },
    "api:guardian-history": {"target": "guardian", "GET": call(LEAD_ONLY)},
    # --- a parent's view of their children ----------------------------------------------------
    "api:child-list": {"GET": call(CHILDREN_LIST)},
    "api:child-detail": {
        "target": "infant",
        "GET": call(CHILDREN_READ),
        "DELETE": call(CHILDREN_DELETE),
    },
    # --- the clinical record ------------------------------------------------------------------
    **_clinical(
        "mother",
        "mother",
        create=lambda w: {
            "clinic": str(w.a.clinic.pk),
            "given_name": "Elif",
            "family_name": "Demir",
            "diet": "vegan",
        },
        change=lambda w: {"notes": "Started oral B12."},
    ),
    **_clinical(
        "infant",
        "infant",
        create=lambda w: {
            "clinic": str(w.a.clinic.pk),
            "record_number": "NEW-1",
            "given_name": "Can",
            "family_name": "Demir",
            "sex": "male",
            "birth_date": "2025-01-10",
        },
        change=lambda w: {"feeding_notes": "Exclusively breast-fed to 7 months."},
    ),
    **_clinical(
        "visit",
        "visit",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "visit_type": "outpatient",
            "visit_date": _later(w),
        },
        change=lambda w: {"notes": "Smiles at the examiner."},
    ),
    **_clinical(
        "growth-measurement",
        "growth",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "measured_on": _later(w),
            "weight_kg": "8.2",
        },
    ),
    **_clinical(
        "lab-result",
        "lab",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "analyte": "haemoglobin",
            "collected_on": _later(w),
            "value": "10.5",
            "unit": "g/dL",
        },
    ),
    **_clinical(
        "imaging-study",
        "study",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "modality": "mri",
            "body_site": "brain",
            "performed_on": _later(w, 400),
            "impression": "Normal.",
            "compared_with": str(w.a.study.pk),
            "comparison": "resolved",
            "findings": [
                {
                    "finding_type": "no_abnormality",
                    "region": "whole_study",
                    "side": "na",
                    "severity": "na",
                }
            ],
        },
        change=lambda w: {"impression": "Mild frontal cortical atrophy."},
    ),
    **_clinical(
        "imaging-finding",
        "finding",
        create=lambda w: {
            "study": str(w.a.study.pk),
            "finding_type": "ventricular_enlargement",
            "region": "lateral_ventricles",
            "severity": "mild",
        },
    ),
    **_clinical(
        "denver-assessment",
        "denver",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "assessed_on": _later(w, 360),
            "scores": {"gross_motor:9": "P", "language:7": "P"},
        },
    ),
    **_clinical(
        "milestone-attainment",
        "milestone",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "milestone": "sitting_without_support",
            "source": "observed",
            "attained_on": _later(w),
        },
    ),
    **_clinical(
        "treatment-course",
        "course",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "regimen": str(w.shipped_regimen.pk),
            "started_on": _later(w, 500),
        },
    ),
    "api:treatment-course-events": {
        "target": "course",
        "POST": call(
            CLINICAL_EVENT,
            lambda w: {"kind": "missed", "on": w.a.planned_dose.due_on.isoformat()},
        ),
    },
    "api:planned-dose-list": {"GET": call(CLINICAL_LIST)},
    "api:planned-dose-detail": {
        "target": "planned_dose",
        "GET": call(CLINICAL_READ),
        "DELETE": call(CLINICAL_DELETE),
    },
    "api:planned-dose-history": {"target": "planned_dose", "GET": call(LEAD_ONLY)},
    **_clinical(
        "dose-administration",
        "administration",
        create=lambda w: {
            "planned_dose": str(w.a.planned_dose.pk),
            "given_on": w.a.planned_dose.due_on.isoformat(),
            "location": "clinic",
            "site": "left_thigh",
        },
    ),
    **_clinical(
        "adverse-event",
        "adverse_event",
        create=lambda w: {
            "infant": str(w.a.infant.pk),
            "course": str(w.a.course.pk),
            "event_type": "injection_site_reaction",
            "onset_on": _later(w, 280),
        },
        change=lambda w: {"resolved_on": _later(w, 290), "action_taken": "Observed."},
    ),
    # --- alerts and reminders -----------------------------------------------------------------
    "api:alert-list": {"GET": call(CLINICAL_LIST)},
    "api:alert-detail": {
        "target": "alert",
        "GET": call(CLINICAL_READ),
        "DELETE": call(CLINICAL_DELETE),
    },
    "api:alert-acknowledge": {"target": "alert", "POST": call(CLINICAL_CHANGE, {})},
    "api:alert-history": {"target": "alert", "GET": call(LEAD_ONLY)},
    "api:reminder-list": {"GET": call(GUARDIAN_LIST)},
    "api:reminder-detail": {
        "target": "reminder",
        "GET": call(GUARDIAN_READ),
        "DELETE": call(GUARDIAN_DELETE),
    },
    "api:reminder-acknowledge": {"target": "reminder", "POST": call(REMINDER_ACKNOWLEDGE, {})},
    # --- configuration ------------------------------------------------------------------------
    "api:clinic-list": {
        "GET": call(CONFIG_LIST),
        "POST": call(ADMIN_CREATE, {"name": "Clinic 3", "time_zone": "Europe/Istanbul"}),
    },
    "api:clinic-detail": {
        "target": "clinic",
        "GET": call(CONFIG_READ),
        "PATCH": call(ADMIN_CHANGE, {"time_zone": "Europe/Berlin"}),
        "DELETE": call(CONFIG_DELETE),
    },
    "api:regimen-list": {
        "GET": call(CONFIG_LIST),
        "POST": call(
            ADMIN_CREATE,
            lambda w: {
                "clinic": str(w.a.clinic.pk),
                "definition": clinic_regimen_definition("clinic-three-weekly"),
            },
        ),
    },
    "api:regimen-detail": {
        "target": "regimen",
        "GET": call(CONFIG_READ),
        "DELETE": call(CONFIG_DELETE),
    },
    "api:regimen-preview": {
        "target": "regimen",
        "POST": call(CONFIG_READ, lambda w: {"clinic": str(w.a.clinic.pk), "start": "2025-01-06"}),
    },
    # --- the access log -----------------------------------------------------------------------
    "api:access-log-list": {"GET": call(LEAD_ONLY)},
    "api:access-log-detail": {
        "target": "access",
        "GET": call(LEAD_ONLY),
        "DELETE": call(LEAD_DELETE),
    },
    # --- interoperability (patients/api/interop_urls.py) --------------------------------------
    # The FHIR Bundle answers 404 to anyone outside the infant's clinic, guardians and
    # administrators included; the de-identified cohort export is for clinic leads.
    "api:api-infant-fhir": {
        "target": "infant",
        "GET": call((401, 404, 404, 200, 404, 200, 404)),
        "DELETE": call((401, 405, 405, 405, 405, 405, 405)),
    },
    "api:api-cohort-export": {"GET": call(LEAD_ONLY)},
    # --- charts and reports (patients/api/chart_urls.py) --------------------------------------
    # An infant's charts and visit summary: staff and leads of the infant's clinic; the take-home
    # plan also for the infant's own guardians; everyone else 404. Cohort charts: clinic leads.
    # A name in brackets is one value of the URL's parameters ("params"); each is its own row.
    "api:api-infant-chart[growth-wfa.png]": {
        "target": "infant",
        "params": {"name": "growth-wfa", "image_format": "png"},
        "GET": call((401, 404, 404, 200, 404, 200, 404)),
    },
    "api:api-infant-chart[labs.svg]": {
        "target": "infant",
        "params": {"name": "labs", "image_format": "svg"},
        "GET": call((401, 404, 404, 200, 404, 200, 404)),
    },
    "api:api-cohort-chart[km-milestones.png]": {
        "params": {"name": "km-milestones", "image_format": "png"},
        "GET": call(LEAD_ONLY),
    },
    "api:api-infant-report[visit-summary]": {
        "target": "infant",
        "params": {"report": "visit-summary"},
        "GET": call((401, 404, 404, 200, 404, 200, 404)),
    },
    "api:api-infant-report[take-home-plan]": {
        "target": "infant",
        "params": {"report": "take-home-plan"},
        "GET": call((401, 200, 404, 200, 404, 200, 404)),
    },
}


def url_name(key: str) -> str:
    """The URL pattern name of a table row: "api:api-infant-chart[labs.svg]" -> "api:api-infant-chart"."""
    return key.split("[", 1)[0]


# The same endpoint seen from the other clinic: what persona X may see of infant B is what its
# mirror may see of infant A (the world is built symmetrically). Clinic 2 has no lead, so the
# lead of clinic 1 sees B as a clinic-2 member sees A.
MIRROR = {
    "anonymous": "anonymous",
    "guardian_a": "guardian_b",
    "guardian_b": "guardian_a",
    "staff_1": "staff_2",
    "staff_2": "staff_1",
    "lead_1": "staff_2",
    "admin": "admin",
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    route: str
    callback: Any


def api_endpoints() -> Iterator[Endpoint]:
    """Every named and unnamed URL pattern under /api/v1/, with its full route."""

    def walk(patterns, prefix: str, namespace: str) -> Iterator[Endpoint]:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, route, inner)
            elif isinstance(pattern, URLPattern) and route.startswith(API_PREFIX):
                name = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {route}>"
                yield Endpoint(name, route, pattern.callback)

    return walk(get_resolver().url_patterns, "", "")


def endpoint(name: str) -> Endpoint:
    return next(e for e in api_endpoints() if e.name == name)


def accepted_methods(callback: Any) -> set[str]:
    """The methods a DRF view answers with something other than 405."""
    actions = getattr(callback, "actions", None)
    if actions:
        return {method.upper() for method in actions if method not in ("options", "head")}
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view is None:
        return set()
    return {
        method.upper()
        for method in view.http_method_names
        if method not in ("options", "head") and hasattr(view, method)
    }


def test_every_api_endpoint_has_an_entry():
    names = [e.name for e in api_endpoints()]
    missing = sorted(set(names) - {url_name(key) for key in EXPECTED})
    assert not missing, (
        "These URL patterns under /api/v1/ have no row in EXPECTED "
        f"(tests/api/test_permission_matrix.py): {', '.join(missing)}"
    )
    stale = sorted({url_name(key) for key in EXPECTED} - set(names))
    assert not stale, f"EXPECTED has rows for URL names that no longer exist: {', '.join(stale)}"


def test_the_table_lists_every_method_a_view_accepts():
    problems = []
    for e in api_endpoints():
        rows = [row for key, row in EXPECTED.items() if url_name(key) == e.name]
        if not rows:
            continue  # reported by the test above
        accepted = accepted_methods(e.callback)
        for row in rows:
            listed = {key for key in row if key.isupper()}
            if accepted and accepted != listed - {"DELETE"}:
                problems.append(
                    f"{e.name}: view accepts {sorted(accepted)}, table has {sorted(listed)}"
                )
            if "DELETE" in listed and "DELETE" in accepted:
                problems.append(f"{e.name}: DELETE must never be accepted (records are voided)")
    assert not problems, "\n".join(problems)


def _url(route: str, target: Any, params: dict[str, str] | None = None) -> str:
    def substitute(match: re.Match) -> str:
        if match.group(1) in (params or {}):
            return params[match.group(1)]
        if target is None:
            raise AssertionError(f"{route} takes an id: give its row a 'target'")
        return str(target.pk)

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", substitute, route)


def _request(client, method: str, url: str, body: dict | None):
    # A savepoint per request, rolled back: every persona meets the same records.
    with transaction.atomic():
        response = getattr(client, method.lower())(url, data=body, format="json")
        transaction.set_rollback(True)
    return response


def _ids(response) -> set[str]:
    return {row["id"] for row in response.json()["results"]}


def test_every_endpoint_answers_each_persona_as_the_table_says(world):
    """One world for the whole table (each request rolled back); every mismatch is reported."""
    mismatches = []
    for name, row in EXPECTED.items():
        target = row.get("target")
        url = _url(
            endpoint(url_name(name)).route,
            getattr(world.a, target) if target else None,
            row.get("params"),
        )
        for method, expected in row.items():
            if not method.isupper():
                continue
            body = expected.body(world) if expected.body else None
            for persona, status in zip(PERSONAS, expected.statuses, strict=True):
                response = _request(world.callers[persona].client, method, url, body)
                if response.status_code != status:
                    detail = response.content[:300].decode(errors="replace")
                    mismatches.append(
                        f"{name}: {method} {url} as {persona}: {response.status_code}, "
                        f"expected {status} ({detail})"
                    )
    assert not mismatches, "\n".join(mismatches)


LISTS = sorted(
    name
    for name in EXPECTED
    if name.endswith("-list") and name.replace("-list", "-detail") in EXPECTED
)


def test_lists_hold_exactly_the_rows_the_persona_may_open(world):
    """A's row is listed for a persona exactly when they may open it; B's row likewise, read
    through the mirror persona. Out-of-scope rows never appear in a list."""
    problems = []
    for name in LISTS:
        detail = EXPECTED[name.replace("-list", "-detail")]
        opens = dict(zip(PERSONAS, detail["GET"].statuses, strict=True))
        lists = dict(zip(PERSONAS, EXPECTED[name]["GET"].statuses, strict=True))
        row_a = str(getattr(world.a, detail["target"]).pk)
        row_b = str(getattr(world.b, detail["target"]).pk)
        url = "/" + endpoint(name).route + "?page_size=200&record_status=all"
        for persona in PERSONAS:
            if lists[persona] != 200:
                continue
            listed = _ids(_request(world.callers[persona].client, "GET", url, None))
            if (row_a in listed) != (opens[persona] == 200):
                problems.append(
                    f"{name} as {persona}: A's row {'missing' if opens[persona] == 200 else 'shown'}"
                )
            if (row_b in listed) != (opens[MIRROR[persona]] == 200):
                problems.append(
                    f"{name} as {persona}: B's row {'missing' if opens[MIRROR[persona]] == 200 else 'shown'}"
                )
    assert not problems, "\n".join(problems)
