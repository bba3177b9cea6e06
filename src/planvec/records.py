"""Records produced by parsing: frozen dataclasses plus id and hash helpers.

Parsing knows files, nothing about vectors. Each record has a stable ``anchor`` (unique in its file)
from which the point id is derived, see :func:`point_id`.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Literal

TaskStatus = Literal["pending", "completed"]

# Fixed namespace: point ids must never change between versions of planvec.
PLANVEC_NAMESPACE = uuid.UUID("6f1d0b52-6a8e-4c1e-9a39-2f7f6c0e8d11")

TASKS_COLLECTION = "roadmap_tasks"
SECTIONS_COLLECTION = "roadmap_sections"


@dataclass(frozen=True, slots=True)
class PlanMeta:
    """Metadata of one plan file."""

    title: str | None = None
    version: str | None = None  # e.g. "v56", from the file name or the title
    progress: float | None = None  # declared progress in percent, e.g. 35.0


@dataclass(frozen=True, slots=True)
class Task:
    """One checkbox task of a plan file."""

    file: str  # path relative to the indexed root, POSIX separators
    line: int  # 1-based line of the list item
    title: str  # markdown stripped, without the checkbox, the explicit id and the priority marker
    status: TaskStatus
    depth: int  # 0 for a top-level list item, +1 per nesting level of task lists
    section: tuple[str, ...]  # heading breadcrumb, outermost first
    anchor: str  # unique within the file; explicit id when unique, else section/title/ordinal
    task_id: str | None = None  # explicit id such as "1.2.3"; None when absent
    body: str = ""  # nested non-task content (micro-steps), capped
    priority: str | None = None  # "P0".."P3" when written
    is_mvp: bool = False
    parent: str | None = None  # anchor of the parent task in the same file, if any
    parent_task_id: str | None = None  # explicit id of the parent, by nesting or by id prefix


@dataclass(frozen=True, slots=True)
class Section:
    """A heading-delimited block of prose (not yet split to the model's token limit)."""

    file: str
    line: int  # 1-based line of the heading (or 1 for text before the first heading)
    heading: tuple[str, ...]  # breadcrumb, outermost first; empty for a preamble
    text: str  # prose text with markdown stripped, task items excluded
    anchor: str  # unique within the file


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A file that could not be indexed (or only partly); never skipped silently."""

    path: str
    reason: str
    line: int | None = None  # 1-based line of the part that was not indexed; None: the whole file


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """Everything parsing extracted from one file."""

    path: str  # relative, POSIX
    plan: PlanMeta
    tasks: tuple[Task, ...] = ()
    sections: tuple[Section, ...] = ()
    warnings: tuple[str, ...] = ()  # non-fatal problems, e.g. "invalid UTF-8 at offset 1234, replaced"
    # tasks the parser found but could not place (e.g. nested past its depth limit): not indexed
    problems: tuple[FileProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class Doc:
    """What goes into the store for one record: id, text to embed, payload."""

    point_id: str
    text: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoreDoc:
    """One point to be, as a kind builds it: id, dense text, sparse (BM25) text, payload (with hashes)."""

    point_id: str
    text: str
    sparse_text: str
    payload: dict[str, Any]

    @property
    def content_hash(self) -> str:
        return str(self.payload["content_hash"])

    @property
    def payload_hash(self) -> str:
        return str(self.payload["payload_hash"])


def finish_doc(
    collection: str,
    root: str,
    file: str,
    anchor: str,
    text: str,
    sparse_text: str,
    payload: dict[str, Any],
    model_key: str,
) -> StoreDoc:
    """A StoreDoc with the fields sync reads back (``text``, ``content_hash``, ``payload_hash``) and
    its stable point id. ``payload`` must already hold ``root`` and ``file``."""
    payload["text"] = text
    payload["content_hash"] = content_hash(f"{text}\x1e{sparse_text}", model_key)
    payload["payload_hash"] = payload_hash(payload)
    return StoreDoc(point_id(collection, f"{root}/{file}", anchor), text, sparse_text, payload)


def point_id(collection: str, file: str, anchor: str) -> str:
    """Stable point id: uuid5 of collection + source path + anchor."""
    return str(uuid.uuid5(PLANVEC_NAMESPACE, f"{collection}\x1f{file}\x1f{anchor}"))


def content_hash(text: str, model_id: str) -> str:
    """Hash of what the vector depends on: the embedded text and the model."""
    return hashlib.sha256(f"{model_id}\x00{text}".encode()).hexdigest()[:32]


def payload_hash(payload: dict[str, Any]) -> str:
    """Hash of a payload (without the hash fields themselves), order independent."""
    clean = {k: v for k, v in payload.items() if k not in ("content_hash", "payload_hash")}
    blob = json.dumps(clean, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:32]
