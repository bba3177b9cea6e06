"""The schemas kind: SQL DDL, JSON Schema, OpenAPI, protobuf and configuration files → one point per
element (table, column, index, view, operation, schema, property, message, field, config section, …)
in the ``schemas`` collection.

Options (``[kinds.schemas] options = {sql_dialect = "mysql"}``): ``sql_dialect`` forces the SQL
dialect instead of the guessed one (any sqlglot dialect name).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from ...errors import UsageError
from ...parsing.files import read_text
from ...records import FileProblem, StoreDoc
from ...settings import KindSettings, Settings
from ..base import DocContext, FilterModel, KindConfig, Source, claims_by_globs
from . import migrations, sql
from .documents import element_docs
from .filters import SchemaFilters
from .formats import EXCLUDE, INCLUDE, format_of_name, route
from .records import SchemaFile

COLLECTION = "schemas"  # the system description's name
PAYLOAD_INDEXES: dict[str, str] = {
    "element": "keyword",
    "format": "keyword",
    "name": "keyword",
    "parent": "keyword",
    "file": "keyword",
    "kind": "keyword",
}
HIT_FIELDS = (
    "title",
    "element",
    "name",
    "format",
    "type",
    "parent",
    "file",
    "line",
    "section",
    "description",
)


def _dialect(options: Mapping[str, Any]) -> str | None:
    """The ``sql_dialect`` option, checked against sqlglot's dialects."""
    value = options.get("sql_dialect")
    if value in (None, ""):
        return None
    from sqlglot.dialects.dialect import Dialect

    known = sorted(k for k in Dialect.classes if k)
    name = str(value).lower()
    if name not in known:
        raise UsageError(
            f"unknown sql_dialect {value!r} in [kinds.schemas] options",
            hint=f"use one of {', '.join(known)} (or leave it out: the dialect is guessed per file)",
        )
    return name


class SchemasKind:
    """Schema and configuration elements (``schemas``)."""

    name: str = "schemas"
    collections: Mapping[str, str] = {"elements": COLLECTION}
    include: tuple[str, ...] = INCLUDE
    payload_indexes: Mapping[str, str] = PAYLOAD_INDEXES
    filters: FilterModel = SchemaFilters()
    hit_fields: tuple[str, ...] = HIT_FIELDS

    def configure(self, settings: Settings) -> KindConfig:
        """``[kinds.schemas]``; the files other kinds own stay excluded whatever ``include`` says."""
        ks = settings.kinds.get(self.name) or KindSettings()
        options = dict(ks.options)
        dialect = _dialect(options)
        if dialect:
            options["sql_dialect"] = dialect
        return KindConfig(
            enabled=ks.enabled,
            collections={role: ks.collections.get(role, name) for role, name in self.collections.items()},
            include=tuple(ks.include) if ks.include else self.include,
            exclude=(*EXCLUDE, *ks.exclude),
            options=options,
        )

    def claims(self, rel: str, config: KindConfig) -> bool:
        return format_of_name(rel) is not None and claims_by_globs(rel, config)

    def parse(self, source: Source) -> SchemaFile | FileProblem:
        """The file's elements, by the parser its name (and for JSON/YAML its content) routes it to;
        a parser that fails on the whole file gives a FileProblem (its points are kept)."""
        found = route(source.rel, source.text)
        if found is None:
            return FileProblem(source.rel, "not a schema or configuration file")
        fmt, parser = found
        try:
            parsed = parser(source)
        except Exception as exc:  # a parser bug or pathological input: reported, never raised
            return FileProblem(source.rel, f"{fmt} parsing failed: {type(exc).__name__}: {exc}")
        if source.warnings:
            parsed = replace(parsed, warnings=(*source.warnings, *parsed.warnings))
        return parsed

    def combine(self, files: Sequence[tuple[str, Any]], config: KindConfig) -> list[tuple[str, Any]]:
        """SQL files re-read with the configured dialect (when one is set), then ordered migration
        folders applied (:func:`migrations.apply_migrations`): the schema after the last one."""
        dialect = config.options.get("sql_dialect")
        sql_files: list[tuple[str, SchemaFile]] = []
        others: list[tuple[str, Any]] = []
        for root, pf in files:
            if isinstance(pf, SchemaFile) and pf.format == "sql":
                sql_files.append((root, _reparse(root, pf, dialect) if dialect else pf))
            else:
                others.append((root, pf))
        if not sql_files:
            return others
        try:
            applied = migrations.apply_migrations(sql_files)
        except Exception as exc:  # the files as parsed, each on its own, rather than nothing
            problem = FileProblem(
                sql_files[0][1].path, f"applying migrations failed: {type(exc).__name__}: {exc}"
            )
            root, first = sql_files[0]
            sql_files[0] = (root, replace(first, problems=(*first.problems, problem)))
            applied = sql_files
        return [*applied, *others]

    def documents(self, parsed: SchemaFile, root: str, ctx: DocContext) -> dict[str, list[StoreDoc]]:
        if "elements" not in ctx.collections:
            return {}
        return {"elements": list(element_docs(parsed, root, ctx.collections["elements"], ctx.model_key))}


def _reparse(root: str, pf: SchemaFile, dialect: str) -> SchemaFile:
    """An SQL file parsed again with the configured dialect (kept as parsed if it cannot be)."""
    if pf.dialect == dialect or not root:
        return pf
    try:
        text, warnings = read_text(Path(root) / pf.path)
        again = cast("Any", sql.parse_sql)(Source(pf.path, text, tuple(warnings), root), dialect=dialect)
    except Exception as exc:
        warning = f"could not parse again with sql_dialect {dialect}: {type(exc).__name__}: {exc}"
        return replace(pf, warnings=(*pf.warnings, warning))
    return cast("SchemaFile", again)


SCHEMAS = SchemasKind()
