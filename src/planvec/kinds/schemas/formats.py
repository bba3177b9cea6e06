"""Which parser reads which file of the schemas kind: by file name first, by content for JSON and YAML.

- ``*.sql`` → SQL DDL, ``*.proto`` → protobuf;
- ``*.json``, ``*.yaml``, ``*.yml`` → OpenAPI when :func:`openapi.looks_like` says so, else JSON
  Schema when :func:`jsonschema.looks_like` does, else a configuration file;
- ``*.toml``, ``*.ini``, ``*.cfg``, ``*.conf``, ``*.jsonc``, ``.env``, ``.env.*``, ``*.env`` (and
  ``docker-compose*.y*ml`` through the YAML rule) → configuration.

Files other kinds own are left to them (:data:`OWNED_ELSEWHERE`: manifests and lockfiles are the
dependencies kind's, Markdown the plans kind's), listed here once: the kind excludes them from its
globs, so they are neither parsed nor in the scope of what a schemas run may delete.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from posixpath import basename

from ..base import Source
from . import config, jsonschema, openapi, proto, sql
from .records import SchemaFile

Parser = Callable[[Source], SchemaFile]
LooksLike = Callable[[str, str], bool]

INCLUDE: tuple[str, ...] = (
    "**/*.sql",
    "**/*.proto",
    "**/*.json",
    "**/*.jsonc",
    "**/*.yaml",
    "**/*.yml",
    "**/*.toml",
    "**/*.ini",
    "**/*.cfg",
    "**/*.conf",
    "**/.env",
    "**/.env.*",
    "**/*.env",
)

# File names (patterns, case-insensitive) that other kinds index: never parsed as schemas or config.
OWNED_ELSEWHERE: tuple[str, ...] = (
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pyproject.toml",
    "Cargo.toml",
    "Pipfile",
    "Pipfile.lock",
    "composer.json",
    "composer.lock",
    "*.lock",
    "*-lock.json",
    "*-lock.yaml",
    "*.lock.json",
    "go.sum",
    "go.mod",
    "*.md",
    "*.markdown",
)
EXCLUDE: tuple[str, ...] = tuple(f"**/{name}" for name in OWNED_ELSEWHERE)

_CONFIG_NAMES = ("*.toml", "*.ini", "*.cfg", "*.conf", ".env", ".env.*", "*.env", "*.jsonc")
_STRUCTURED = ("*.json", "*.yaml", "*.yml")

# What the JSON/YAML routing falls back on when a parser module gives no ``looks_like`` of its own.
_OPENAPI_RE = re.compile(r"""(?:^|[{,])\s*["']?openapi["']?\s*:\s*["']?3""", re.MULTILINE)
_JSONSCHEMA_RE = re.compile(r"""["']?\$schema["']?\s*:|^\s*["']?\$defs["']?\s*:""", re.MULTILINE)


def _fallback_openapi(rel: str, text: str) -> bool:
    return bool(_OPENAPI_RE.search(text[:4096]))


def _fallback_jsonschema(rel: str, text: str) -> bool:
    head = text[:4096]
    return bool(_JSONSCHEMA_RE.search(head)) or ('"properties"' in head and '"type"' in head)


def _looks_like(module: object, fallback: LooksLike) -> LooksLike:
    found = getattr(module, "looks_like", None)
    return found if callable(found) else fallback


def owned_elsewhere(rel: str) -> bool:
    """Whether another kind owns the file (a manifest, a lockfile, Markdown)."""
    name = basename(rel).lower()
    return any(fnmatch.fnmatchcase(name, p.lower()) for p in OWNED_ELSEWHERE)


def format_of_name(rel: str) -> str | None:
    """The format a file name alone decides ("sql", "proto", "config"), "structured" for JSON/YAML
    (decided by content), None for a file the kind does not read."""
    if owned_elsewhere(rel):
        return None
    name = basename(rel).lower()
    if name.endswith(".sql"):
        return "sql"
    if name.endswith(".proto"):
        return "proto"
    if any(fnmatch.fnmatchcase(name, p) for p in _STRUCTURED):
        return "structured"
    if any(fnmatch.fnmatchcase(name, p) for p in _CONFIG_NAMES):
        return "config"
    return None


def route(rel: str, text: str) -> tuple[str, Parser] | None:
    """(format, parser) of a file, None when the kind does not read it."""
    fmt = format_of_name(rel)
    if fmt == "sql":
        return "sql", sql.parse_sql
    if fmt == "proto":
        return "proto", proto.parse_proto
    if fmt == "config":
        return "config", config.parse_config
    if fmt != "structured":
        return None
    if _looks_like(openapi, _fallback_openapi)(rel, text):
        return "openapi", openapi.parse_openapi
    if _looks_like(jsonschema, _fallback_jsonschema)(rel, text):
        return "jsonschema", jsonschema.parse_json_schema
    return "config", config.parse_config
