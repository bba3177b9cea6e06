"""Records of the schemas kind: one :class:`Element` per table, view, column, index, operation,
component schema, schema property, message, field, enum, service, rpc, config file or config section,
and :class:`SchemaFile`, what parsing one file gives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...records import FileProblem

FORMATS = ("sql", "jsonschema", "openapi", "proto", "config")
ELEMENTS = (
    "table",
    "view",
    "column",
    "index",
    "function",
    "operation",
    "schema",
    "property",
    "message",
    "field",
    "enum",
    "service",
    "rpc",
    "config_file",
    "config_section",
)


@dataclass(frozen=True, slots=True)
class Element:
    """One element of a schema or configuration, with where it is defined."""

    element: str  # one of ELEMENTS
    # Qualified name, unique in its file: "public.users" (table), "public.users.email" (column),
    # "POST /collections" (operation), "components.User.email" (OpenAPI property),
    # "#/properties/address/city" style paths for JSON Schema properties ("task.status"),
    # "pkg.Message.field" (proto), "config/app.yaml#database" (config section).
    name: str
    format: str  # one of FORMATS
    line: int  # 1-based line of the definition
    type: str = ""  # column / field / property type, HTTP method for an operation, "" when none
    description: str = ""  # COMMENT ON / inline comment / description / summary
    parent: str = ""  # qualified name of the container (a column's table, a field's message)
    references: tuple[str, ...] = ()  # qualified names it points at (foreign keys, $ref, field types)
    # Format-specific details: nullable, default, primary_key, unique, required, enum values,
    # operation_id, path, parameters, request, responses, keys (config key -> redacted value) ...
    attributes: Mapping[str, Any] = field(default_factory=dict)
    file: str = ""  # the file that (last) defined it when not the parsed file (ordered migrations)


@dataclass(frozen=True, slots=True)
class SchemaFile:
    """What one file defines; ``problems`` are per-statement or per-line (the rest still indexed)."""

    path: str  # relative to the root, POSIX
    format: str  # one of FORMATS
    elements: tuple[Element, ...] = ()
    dialect: str = ""  # SQL dialect used (guessed or configured)
    # SQL: the file's DDL statements in order, for applying ordered migrations across files
    # (opaque to everything but the SQL modules).
    statements: tuple[Any, ...] = ()
    warnings: tuple[str, ...] = ()
    problems: tuple[FileProblem, ...] = ()
