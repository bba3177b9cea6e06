"""What the web page's task view and browse view read: one record with its family (parent,
siblings, children), and a per-file summary of a tasks collection (tasks by status and priority).

Both read the store only (no files): they show what is indexed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from ..errors import CollectionNotFound
from ..store.base import Filters, Match, VectorStore

FAMILY_LIMIT = 2000  # records of one file read to find a task's siblings and children

_SUMMARY_FIELDS = ("root", "file", "status", "priority", "is_mvp", "plan_title")


@dataclass(slots=True)
class FileSummary:
    file: str
    root: str
    title: str
    tasks: int = 0
    completed: int = 0
    mvp: int = 0
    by_priority: dict[str, dict[str, int]] = field(default_factory=dict)  # P0.. / none -> status -> n

    @property
    def percent(self) -> float:
        return round(100.0 * self.completed / self.tasks, 1) if self.tasks else 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"pending": self.tasks - self.completed, "percent": self.percent}


def summarize_tasks(store: VectorStore, collection: str) -> list[FileSummary]:
    """Per file: tasks, completed, MVP, and counts by priority and status, sorted by file."""
    if store.collection_info(collection) is None:
        raise CollectionNotFound(f"collection {collection!r} does not exist", hint="planvec index PATH")
    files: dict[tuple[str, str], FileSummary] = {}
    for p in store.scroll(collection, fields=_SUMMARY_FIELDS):
        pl = p.payload
        key = (str(pl.get("root") or ""), str(pl.get("file") or ""))
        fs = files.get(key)
        if fs is None:
            fs = files[key] = FileSummary(key[1], key[0], str(pl.get("plan_title") or key[1]))
        status = str(pl.get("status") or "pending")
        fs.tasks += 1
        fs.completed += status == "completed"
        fs.mvp += bool(pl.get("is_mvp"))
        prio = fs.by_priority.setdefault(str(pl.get("priority") or "none"), {})
        prio[status] = prio.get(status, 0) + 1
    return sorted(files.values(), key=lambda f: (f.file, f.root))


def family(
    store: VectorStore, collection: str, point_id: str, to_hit: Callable[[str, dict[str, Any]], Any]
) -> dict[str, Any] | None:
    """One record and, for a task, its parent, its siblings and its children (from the same
    file), each made by ``to_hit(point_id, payload)``; None when the point does not exist."""
    found = store.retrieve(collection, [point_id], with_vectors=True)
    if not found:
        return None
    me = found[0]
    out: dict[str, Any] = {
        "record": to_hit(me.id, me.payload),
        "parent": None,
        "siblings": [],
        "children": [],
    }
    if me.payload.get("kind") != "task" or me.vector is None:
        return out
    same_file = Filters((Match("file", str(me.payload.get("file") or "")),))
    # Every task of the file, nearest first: the store has no filtered scroll, a filtered search
    # with the task's own vector reads them all.
    rows = store.search(collection, np.asarray(me.vector), filters=same_file, limit=FAMILY_LIMIT)
    rows = [r for r in rows if r.payload.get("root") == me.payload.get("root")]
    anchor, parent = me.payload.get("anchor"), me.payload.get("parent")
    by_line = sorted(rows, key=lambda r: int(r.payload.get("line") or 0))
    for r in by_line:
        if r.id == me.id:
            continue
        if parent and r.payload.get("anchor") == parent:
            out["parent"] = to_hit(r.id, r.payload)
        elif r.payload.get("parent") == parent:
            out["siblings"].append(to_hit(r.id, r.payload))
        elif anchor and r.payload.get("parent") == anchor:
            out["children"].append(to_hit(r.id, r.payload))
    return out
