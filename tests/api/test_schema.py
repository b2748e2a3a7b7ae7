"""The OpenAPI 3 schema is complete and valid, and its documentation is served from this server."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command


@pytest.fixture
def schema(tmp_path) -> dict:
    """The schema as `manage.py spectacular --validate --fail-on-warn` writes it: the command
    fails on any generator warning (an untyped field, a path parameter of unknown type, an enum
    name collision) and on any error of OpenAPI validation."""
    path = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(path))
    return yaml.safe_load(path.read_text())


def test_schema_generates_without_warnings_and_validates(schema):
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/infants/{id}/" in schema["paths"]


def test_every_field_and_parameter_is_typed_and_described(schema):
    problems = []
    for name, component in schema["components"]["schemas"].items():
        for field, spec in (component.get("properties") or {}).items():
            if not spec.get("description"):
                problems.append(f"{name}.{field}: no description")
            if not ({"type", "$ref", "allOf", "oneOf", "anyOf"} & set(spec)):
                problems.append(f"{name}.{field}: no type")
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if not parameter.get("description"):
                    problems.append(f"{method.upper()} {path} {parameter['name']}: no description")
    assert not problems, "\n".join(problems)


def test_ids_in_paths_are_uuids(schema):
    """Record ids in paths are UUIDs; any other path parameter is a closed set (chart names,
    formats), so no path takes free text or a sequential number."""
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "path":
                    continue
                if parameter["name"] in ("id", "pk"):
                    assert parameter["schema"] == {"type": "string", "format": "uuid"}, path
                else:
                    assert parameter["schema"].get("enum"), (path, parameter["name"])


@pytest.mark.parametrize("url", ["/api/v1/docs/", "/api/v1/docs/redoc/"])
def test_documentation_loads_its_assets_from_this_server(client, url, db):
    response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    assert "drf_spectacular_sidecar" in page
    assert "cdn." not in page and "unpkg" not in page


def test_the_schema_is_served(client, db):
    response = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "B12 infant follow-up API"
