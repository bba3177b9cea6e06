"""The records of the plans kind: a plan file's metadata, its checkbox tasks and its prose sections."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ...records import FileProblem

TaskStatus = Literal["pending", "completed"]


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
class ParsedFile:
    """Everything parsing extracted from one file."""

    path: str  # relative, POSIX
    plan: PlanMeta
    tasks: tuple[Task, ...] = ()
    sections: tuple[Section, ...] = ()
    warnings: tuple[str, ...] = ()  # non-fatal problems, e.g. "invalid UTF-8 at offset 1234, replaced"
    # tasks the parser found but could not place (e.g. nested past its depth limit): not indexed
    problems: tuple[FileProblem, ...] = ()
