"""Schemathesis over the whole OpenAPI schema, in-process against the WSGI application: no
generated request, valid or invalid, gets a server error (QUALITY.md).

Run as a member of staff and as a guardian. Operations on one record get a real record's id
(infant A's), so bodies and queries are fuzzed against existing rows rather than only meeting
404s; everything happens inside the test's transaction and is rolled back. The number of examples
is bounded and derandomized, so the run is the same every time and takes well under a minute.
"""

from __future__ import annotations

from collections import Counter

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

# Bounded so both personas together stay well under a minute (about 330 requests each).
EXAMPLES_PER_OPERATION = {GenerationMode.POSITIVE: 3, GenerationMode.NEGATIVE: 2}

# The record each path prefix's {id} stands for (attributes of the world's infant A records).
RECORD_OF_PATH = {
    "/api/v1/guardians/": "guardian",
    "/api/v1/mothers/": "mother",
    "/api/v1/infants/": "infant",
    "/api/v1/children/": "infant",
    "/api/v1/visits/": "visit",
    "/api/v1/growth-measurements/": "growth",
    "/api/v1/lab-results/": "lab",
    "/api/v1/imaging-studies/": "study",
    "/api/v1/imaging-findings/": "finding",
    "/api/v1/denver-assessments/": "denver",
    "/api/v1/milestone-attainments/": "milestone",
    "/api/v1/treatment-courses/": "course",
    "/api/v1/planned-doses/": "planned_dose",
    "/api/v1/dose-administrations/": "administration",
    "/api/v1/adverse-events/": "adverse_event",
    "/api/v1/alerts/": "alert",
    "/api/v1/reminders/": "reminder",
    "/api/v1/clinics/": "clinic",
    "/api/v1/regimens/": "regimen",
    "/api/v1/access-log/": "access",
}


@pytest.fixture
def wsgi_app(settings):
    """The production WSGI application, sharing the test's database connection.

    Django closes "old" connections at the start and end of every request; inside a test that
    would close the connection holding the test's transaction, so, as Django's own test client
    does, those two hooks are detached while the application runs here.
    """
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Fields of request bodies that name another record, and the record of infant A they get, so
# the fuzzed values of a write reach the services instead of stopping at "does not exist".
REFERENCES = {
    "infant": "infant",
    "visit": "visit",
    "course": "course",
    "planned_dose": "planned_dose",
    "study": "study",
    "compared_with": "study",
    "guardian": "guardian",
    "clinic": "clinic",
    "regimen": "regimen",
}


def with_real_references(world, body):
    if not isinstance(body, dict):
        return body
    real = {key: str(getattr(world.a, attribute).pk) for key, attribute in REFERENCES.items()}
    replaced = {key: real[key] for key in body if key in real}
    if "mother" in body and "infant" not in body:
        replaced["mother"] = str(world.a.mother.pk)
    return {**body, **replaced}


def record_id(world, path: str) -> str | None:
    for prefix, attribute in RECORD_OF_PATH.items():
        if path.startswith(prefix):
            return str(getattr(world.a, attribute).pk)
    return None


def fuzz(world, app, persona: str) -> tuple[list[str], Counter]:
    """Send generated requests to every operation; the server errors, and every status seen."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", app)
    token = world.callers[persona].client._credentials["HTTP_AUTHORIZATION"]
    headers = {"Authorization": token}
    errors: list[str] = []
    statuses: Counter = Counter()
    for result in schema.get_all_operations():
        operation = result.ok()
        path_parameters = None
        if "{id}" in operation.path or "{pk}" in operation.path:
            name = "id" if "{id}" in operation.path else "pk"
            path_parameters = {name: record_id(world, operation.path)}
        for mode, examples in EXAMPLES_PER_OPERATION.items():
            if mode is GenerationMode.NEGATIVE and not (len(operation.query) or operation.body):
                continue  # only the fixed record id is input: nothing invalid can be sent
            strategy = operation.as_strategy(generation_mode=mode, path_parameters=path_parameters)

            @settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            @given(case=strategy)
            def send(case) -> None:
                case.body = with_real_references(world, case.body)
                response = case.call(headers=headers)
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    errors.append(
                        f"{case.operation.label} -> {response.status_code}\n"
                        f"{case.as_curl_command(headers=headers)}"
                    )

            try:
                send()
            except Unsatisfiable:
                continue  # nothing invalid can be said to an operation without input
    return errors, statuses


@pytest.mark.parametrize("persona", ["staff_1", "guardian_a"])
def test_no_generated_request_gets_a_server_error(persona, world_a, wsgi_app):
    errors, statuses = fuzz(world_a, wsgi_app, persona)
    assert not errors, "\n\n".join(errors)
    # The run reached the views as the persona: signed in on every request, and some answered.
    assert statuses[401] == 0, statuses
    assert statuses[200] > 0, statuses
