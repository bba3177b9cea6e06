"""Write-back: change a task's status or priority in its Markdown file, then re-sync that file.

The task is found by point id; its file is read and parsed again (the index may lag behind the
file), and the task is located in it by its point id (its anchor: a moved line is found again).

Conflicts. ``expect`` is the task's ``content_hash`` as the caller read it (from a search hit or
``show --json``). It is compared with the hash of the task *as the file holds it now*: it covers
everything embedded for the task (its title with its id, body, section path, its file), so any
edit of the task's text since the caller read it is refused (:class:`WriteConflict`, the current
task attached). Status and priority are not part of it, and need not be: the write sets them to
the values asked (not a toggle), so two people ticking the same box agree.

The file is written through a temporary sibling renamed over it (mode kept), after checking its
bytes did not change since they were read; the index then follows at once (the one file re-synced).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import PlanvecError, UsageError
from ..kinds import REGISTRY
from ..kinds.base import Source
from ..kinds.plans import PLANS
from ..kinds.plans.writeback import KEEP, TaskEdit, edit_task
from ..parsing.files import SourceFile, read_source
from ..records import FileProblem, StoreDoc
from ..sync.changes import sync_changed
from ..sync.pipeline import KindFiles, Resources, kind_documents
from ..wiring import model_key

__all__ = [
    "KEEP",
    "TaskEdit",
    "TaskGone",
    "WriteConflict",
    "WriteResult",
    "locate",
    "read_task",
    "write_task",
]


class TaskGone(PlanvecError):
    """No task has that point id (in the index, or any more in its file)."""


class WriteConflict(PlanvecError):
    """The task changed since the caller read it; ``current`` is the task as the file holds it."""

    def __init__(self, message: str, current: dict[str, Any] | None, hint: str | None = None) -> None:
        super().__init__(message, hint)
        self.current = current


@dataclass(slots=True)
class WriteResult:
    point_id: str
    root: str
    file: str
    line: int
    changed: bool  # False: the task already said so, the file was not written
    task: dict[str, Any] = field(default_factory=dict)  # the task after the write
    write_ms: float = 0.0
    sync: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "point_id": self.point_id,
            "root": self.root,
            "file": self.file,
            "line": self.line,
            "changed": self.changed,
            "task": self.task,
            "write_ms": round(self.write_ms, 2),
            "sync": self.sync,
        }


def locate(res: Resources, point_id: str) -> tuple[str, str]:
    """(root, file) of the indexed task ``point_id``."""
    coll = res.settings.tasks_collection
    found = res.store.retrieve(coll, [point_id]) if res.store.collection_info(coll) else []
    if not found:
        raise TaskGone(f"no task has the point id {point_id}", hint="search again: planvec search QUERY")
    root, file = found[0].payload.get("root"), found[0].payload.get("file")
    if not isinstance(root, str) or not isinstance(file, str):
        raise TaskGone(f"the point {point_id} has no file", hint="re-index it: planvec index PATH")
    return root, file


def read_task(res: Resources, point_id: str) -> dict[str, Any]:
    """The task as its file holds it now (its ``content_hash`` is what :func:`write_task` compares)."""
    root, file = locate(res, point_id)
    data, doc = _current(res, root, file, point_id)
    return {"root": root, **_view(doc, data)}


def write_task(res: Resources, point_id: str, edit: TaskEdit, *, expect: str | None = None) -> WriteResult:
    """Edit the task's line in its file (see the module text) and re-sync the file."""
    root, file = locate(res, point_id)
    path = Path(root) / file
    t0 = time.perf_counter()
    data, doc = _current(res, root, file, point_id)
    if expect is not None and expect != doc.content_hash:
        raise WriteConflict(
            f"the task changed since it was read ({file}:{doc.payload.get('line')}): nothing was written",
            _view(doc, data),
            hint="read it again and retry with its new content_hash",
        )
    line = int(doc.payload["line"])
    new = edit_task(data, line, edit)
    if new != data:
        _replace(path, data, new)
    write_ms = (time.perf_counter() - t0) * 1000
    synced = sync_changed(
        root,
        [file],
        REGISTRY.select(res.settings, None),
        res.store,
        res.embedder,
        res.sparse_encoder,
        res.settings,
        flush=False,  # (the store's write-ahead log holds it; segments are written on close)
    )
    after = next(iter(res.store.retrieve(res.settings.tasks_collection, [point_id])), None)
    task = _view_payload(after.payload) if after else {}
    return WriteResult(point_id, root, file, line, new != data, task, write_ms, synced.summary())


def _current(res: Resources, root: str, file: str, point_id: str) -> tuple[bytes, StoreDoc]:
    path = Path(root) / file
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TaskGone(f"{path} does not exist any more", hint="re-index: planvec index PATH") from None
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from None
    read = read_source(SourceFile(Path(root), path, file), res.settings.max_file_bytes)
    if isinstance(read, FileProblem):
        raise UsageError(f"{path}: {read.reason}: it cannot be edited in place")
    parsed = PLANS.parse(Source(file, read[0], tuple(read[1]), root))
    if isinstance(parsed, FileProblem):
        raise UsageError(f"{path}: {parsed.reason}")
    config = PLANS.configure(res.settings)
    kf = KindFiles(PLANS, config, [(root, parsed)])
    docs = kind_documents(kf, res.embedder, model_key(res.embedder, res.sparse_encoder))
    tasks = docs.get(res.settings.tasks_collection, [])
    doc = next((d for d in tasks if d.point_id == point_id), None)
    if doc is None:  # (its anchor changed: the task at its indexed line, if any, is what is there now)
        stored = res.store.retrieve(res.settings.tasks_collection, [point_id])
        line = stored[0].payload.get("line") if stored else None
        there = next((d for d in tasks if d.payload.get("line") == line), None)
        raise WriteConflict(
            f"the task is no longer in {file} (its text or heading changed): nothing was written",
            _view(there, data) if there else None,
            hint="search again and retry on the task as it is now",
        )
    return data, doc


def _replace(path: Path, old: bytes, new: bytes) -> None:
    """Write ``new`` over ``path`` through a renamed temporary sibling, unless the file is no
    longer ``old`` (someone wrote it meanwhile: a conflict)."""
    mode = os.stat(path).st_mode & 0o7777
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".planvec")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(new)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if path.read_bytes() != old:
            raise WriteConflict(f"{path.name} changed while it was being written: nothing was written", None)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_VIEW = ("task_id", "title", "status", "priority", "file", "line", "section", "content_hash")


def _view_payload(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p.get(k) for k in _VIEW}


def _view(doc: StoreDoc, data: bytes) -> dict[str, Any]:
    out = {"point_id": doc.point_id, **_view_payload(doc.payload)}
    lines = data.splitlines()
    line = int(doc.payload.get("line") or 0)
    if 1 <= line <= len(lines):
        out["text"] = lines[line - 1].decode("utf-8", "replace").lstrip("\ufeff")
    return out
