"""The plans kind: Markdown development plans, as checkbox tasks and prose sections."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from ...parsing.files import DEFAULT_MAX_BYTES, SourceFile, read_source
from ...records import SECTIONS_COLLECTION, TASKS_COLLECTION, FileProblem, StoreDoc
from ...settings import KindSettings, Settings
from ..base import DocContext, FilterModel, KindConfig, Source, claims_by_globs
from .documents import section_docs, task_docs
from .filters import PlanFilters
from .markdown import parse_markdown
from .records import ParsedFile

# Payload fields that get a payload index in the plans collections (field -> schema).
PAYLOAD_INDEXES: dict[str, str] = {
    "status": "keyword",
    "priority": "keyword",
    "is_mvp": "bool",
    "file": "keyword",
    "task_id": "keyword",
    "task_id_prefixes": "keyword",
    "section_tokens": "keyword",
    "kind": "keyword",
}
HIT_FIELDS = ("task_id", "title", "status", "priority", "is_mvp", "file", "line", "section", "kind")


class PlansKind:
    """Tasks (``roadmap_tasks``) and prose sections (``roadmap_sections``) of Markdown plan files."""

    name: str = "plans"
    collections: Mapping[str, str] = {"tasks": TASKS_COLLECTION, "sections": SECTIONS_COLLECTION}
    include: tuple[str, ...] = ("**/*.md", "**/*.markdown")
    payload_indexes: Mapping[str, str] = PAYLOAD_INDEXES
    filters: FilterModel = PlanFilters()
    hit_fields: tuple[str, ...] = HIT_FIELDS

    def configure(self, settings: Settings) -> KindConfig:
        """``[kinds.plans]`` first, then the historical top-level settings (``tasks_collection``,
        ``sections_collection``, ``index_sections``, ``include``)."""
        ks = settings.kinds.get(self.name) or KindSettings()
        return KindConfig(
            enabled=ks.enabled,
            collections={
                "tasks": ks.collections.get("tasks", settings.tasks_collection),
                "sections": ks.collections.get("sections", settings.sections_collection),
            },
            include=tuple(ks.include) if ks.include else tuple(settings.include),
            exclude=tuple(ks.exclude),
            options={"task_text": settings.task_text},
            skip=frozenset() if settings.index_sections else frozenset({"sections"}),
        )

    def claims(self, rel: str, config: KindConfig) -> bool:
        return claims_by_globs(rel, config)

    def parse(self, source: Source) -> ParsedFile | FileProblem:
        try:
            parsed = parse_markdown(source.text, source.rel)
        except (RecursionError, ValueError, IndexError) as exc:  # markdown-it on pathological input
            return FileProblem(source.rel, f"markdown parsing failed: {type(exc).__name__}: {exc}")
        if source.warnings:
            parsed = replace(parsed, warnings=(*source.warnings, *parsed.warnings))
        return parsed

    def documents(self, parsed: ParsedFile, root: str, ctx: DocContext) -> dict[str, list[StoreDoc]]:
        out: dict[str, list[StoreDoc]] = {}
        if "tasks" in ctx.collections:
            coll = ctx.collections["tasks"]
            variant = str(ctx.options.get("task_text", "context"))
            out["tasks"] = list(task_docs(parsed, root, coll, variant, ctx.model_key))
        if "sections" in ctx.collections:
            coll = ctx.collections["sections"]
            out["sections"] = list(
                section_docs(parsed, root, coll, ctx.model_key, ctx.count_tokens, ctx.max_tokens)
            )
        return out


def parse_file(source: SourceFile, max_bytes: int = DEFAULT_MAX_BYTES) -> ParsedFile | FileProblem:
    """Read and parse one plan file; a file that cannot be indexed gives a FileProblem (never raises)."""
    read = read_source(source, max_bytes)
    if isinstance(read, FileProblem):
        return read
    text, warnings = read
    return PLANS.parse(Source(source.rel, text, tuple(warnings)))


PLANS = PlansKind()
