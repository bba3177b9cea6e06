"""The plans kind: Markdown plan files → tasks and prose sections (roadmap_tasks, roadmap_sections)."""

from __future__ import annotations

from .filters import PlanFilters, SearchFilters
from .kind import PAYLOAD_INDEXES, PLANS, PlansKind, parse_file
from .markdown import parse_markdown

__all__ = [
    "PAYLOAD_INDEXES",
    "PLANS",
    "PlanFilters",
    "PlansKind",
    "SearchFilters",
    "parse_file",
    "parse_markdown",
]
