"""The dependencies kind: manifests and lockfiles, one point per (file, dependency) in
``dependencies`` (the system description's collection)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ...records import FileProblem, StoreDoc
from ...settings import Settings
from ..base import DocContext, FilterModel, KindConfig, Source, claims_by_globs, configure_from
from . import formats, resolve
from .advisories import ADVISORIES_FILE
from .documents import Resolved, dependency_docs
from .filters import DependencyFilters
from .records import DepFile

COLLECTION = "dependencies"
PAYLOAD_INDEXES: dict[str, str] = {
    "ecosystem": "keyword",
    "name": "keyword",
    "dep_type": "keyword",
    "dev": "bool",
    "direct": "bool",
    "manifest": "keyword",
    "advisory": "keyword",
    "file": "keyword",
    "kind": "keyword",
}
HIT_FIELDS = (
    "title",
    "ecosystem",
    "name",
    "specifier",
    "version",
    "dep_type",
    "direct",
    "file",
    "line",
    "description",
    "advisory",
    "advisory_ids",
    "purl",
)


class DependenciesKind:
    """Dependencies of Python, npm, Go, Rust and Maven manifests and lockfiles."""

    name: str = "dependencies"
    collections: Mapping[str, str] = {"packages": COLLECTION}
    include: tuple[str, ...] = formats.INCLUDE
    payload_indexes: Mapping[str, str] = PAYLOAD_INDEXES
    filters: FilterModel = DependencyFilters()
    hit_fields: tuple[str, ...] = HIT_FIELDS

    def configure(self, settings: Settings) -> KindConfig:
        """``[kinds.dependencies]``; the advisories are read from the data directory."""
        config = configure_from(self, settings)
        return replace(
            config, options={**config.options, "advisories": str(settings.data_dir / ADVISORIES_FILE)}
        )

    def claims(self, rel: str, config: KindConfig) -> bool:
        return claims_by_globs(rel, config) and formats.parser_for(rel) is not None

    def parse(self, source: Source) -> DepFile | FileProblem:
        parser = formats.parser_for(source.rel)
        if parser is None:
            return FileProblem(source.rel, "no dependency parser reads a file of this name")
        try:
            parsed = parser(source)
        except Exception as exc:  # a parser bug on odd input: this file is a problem, the run goes on
            return FileProblem(source.rel, f"dependency parsing failed: {type(exc).__name__}: {exc}")
        if source.warnings:
            parsed = replace(parsed, warnings=(*source.warnings, *parsed.warnings))
        return parsed

    def combine(self, files: Sequence[tuple[str, Any]], config: KindConfig) -> list[tuple[str, Any]]:
        """Manifests paired with their lockfiles, described, assessed (see :mod:`.resolve`)."""
        return resolve.combine(files, config.options.get("advisories"))

    def documents(self, parsed: Resolved | DepFile, root: str, ctx: DocContext) -> dict[str, list[StoreDoc]]:
        if "packages" not in ctx.collections:
            return {}
        return {"packages": list(dependency_docs(parsed, root, ctx.collections["packages"], ctx.model_key))}


DEPENDENCIES = DependenciesKind()
