"""A synthetic OpenAPI 3.0 spec for the schemas benchmark: 14 resources x 5 operations = 70 operations.

``write_openapi_spec(path)`` writes it (YAML for ``*.yaml``/``*.yml``, else JSON) and returns the path.
Every resource has a component schema with six properties, a ``$ref`` to the next resource's schema,
and shared parameters, request bodies and responses through ``$ref``s, so the parser does the same
work as on a real spec; ``Category.parent`` refers to ``Category`` (a cycle). Deterministic.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

RESOURCES = (
    "user",
    "team",
    "project",
    "task",
    "comment",
    "label",
    "category",
    "invoice",
    "payment",
    "customer",
    "order",
    "product",
    "shipment",
    "webhook",
)


def _schema_name(resource: str) -> str:
    return resource.capitalize()


def _component(resource: str, nxt: str) -> dict[str, Any]:
    props: dict[str, Any] = {
        "id": {
            "type": "string",
            "format": "uuid",
            "description": f"Identifier of the {resource}",
            "readOnly": True,
        },
        "name": {"type": "string", "maxLength": 200, "description": f"Display name of the {resource}"},
        "status": {"type": "string", "enum": ["active", "archived"], "default": "active"},
        "created_at": {"type": "string", "format": "date-time", "description": "When it was created"},
        "owner_email": {
            "type": "string",
            "format": "email",
            "description": f"Email of the {resource}'s owner",
        },
        "related": {"$ref": f"#/components/schemas/{_schema_name(nxt)}"},
    }
    if resource == "category":
        props["parent"] = {"$ref": "#/components/schemas/Category", "nullable": True}
    return {
        "type": "object",
        "description": f"A {resource} of the service",
        "required": ["id", "name"],
        "properties": props,
    }


def _operations(resource: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{_schema_name(resource)}"}
    body = {"$ref": f"#/components/requestBodies/{_schema_name(resource)}Body"}
    collection, item = f"/{resource}s", f"/{resource}s/{{id}}"
    ok = {"description": "OK", "content": {"application/json": {"schema": ref}}}
    tag = [resource]
    return {
        collection: {
            "get": {
                "operationId": f"list_{resource}s",
                "summary": f"List {resource}s",
                "tags": tag,
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "responses": {
                    "200": {
                        "description": "OK",
                        "content": {"application/json": {"schema": {"type": "array", "items": ref}}},
                    }
                },
            },
            "post": {
                "operationId": f"create_{resource}",
                "summary": f"Create a {resource}",
                "tags": tag,
                "requestBody": body,
                "responses": {"201": ok, "400": {"$ref": "#/components/responses/Error"}},
            },
        },
        item: {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {
                "operationId": f"get_{resource}",
                "summary": f"Get a {resource}",
                "tags": tag,
                "responses": {"200": ok},
            },
            "put": {
                "operationId": f"update_{resource}",
                "summary": f"Replace a {resource}",
                "tags": tag,
                "requestBody": body,
                "responses": {"200": ok, "404": {"$ref": "#/components/responses/Error"}},
            },
            "delete": {
                "operationId": f"delete_{resource}",
                "summary": f"Delete a {resource}",
                "tags": tag,
                "responses": {"204": {"description": "Deleted"}},
            },
        },
    }


def openapi_spec() -> dict[str, Any]:
    """The spec as data."""
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}
    }
    bodies: dict[str, Any] = {}
    for i, resource in enumerate(RESOURCES):
        paths.update(_operations(resource))
        schemas[_schema_name(resource)] = _component(resource, RESOURCES[(i + 1) % len(RESOURCES)])
        bodies[f"{_schema_name(resource)}Body"] = {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{_schema_name(resource)}"}}
            },
        }
    error = {"$ref": "#/components/schemas/Error"}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Benchmark API", "version": "1.0.0"},
        "paths": paths,
        "components": {
            "schemas": schemas,
            "parameters": {
                "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer", "maximum": 500}}
            },
            "requestBodies": bodies,
            "responses": {
                "Error": {"description": "Error", "content": {"application/json": {"schema": error}}}
            },
        },
    }


def write_openapi_spec(path: Path) -> Path:
    """Write the 70-operation spec to ``path`` (YAML or JSON by its suffix)."""
    spec = openapi_spec()
    if path.suffix in (".yaml", ".yml"):
        path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    else:
        path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    return path
