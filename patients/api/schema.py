"""Touches to the generated OpenAPI schema that no view can express."""

from __future__ import annotations


def describe_path_ids(result, generator, request, public):
    """Every ``{id}`` in a path is the record's UUID; say so where the generator left it bare."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "path" and parameter.get("name") == "id":
                    parameter.setdefault("description", "The record's UUID.")
    return result
