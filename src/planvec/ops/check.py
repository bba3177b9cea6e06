"""``check``: compare the tasks in the Markdown files with the points in the store.

It checks one collection of one kind (default: the tasks of the plans kind). Parsing and point ids
come from the index pipeline (:func:`planvec.sync.parse_paths`, the kind's documents), the
comparison is :func:`planvec.sync.diff_collection` (the same one ``index`` applies), so check reports
exactly what ``index`` would change:

- **missing**: a task with no point;
- **stale**: a point whose ``content_hash`` differs (text or model changed: the vector is outdated);
- **moved**: a point whose payload only differs (e.g. a line number; the vector is fine);
- **orphaned**: a point of a checked file that no task claims (file or task gone; a checked file is
  one under a checked PATH that the include/exclude globs select, see :class:`planvec.sync.Scope`);
- **duplicates**: in the *store*, extra points holding a task that already has its own point (same
  file and anchor under another id: these make check fail and ``fix`` deletes them); in the
  *files*, a task id written on several tasks of one file (a warning: each task is still indexed
  under its own anchor, but ``planvec show ID`` becomes ambiguous; renumber them).

Coverage is the share of tasks that have an up-to-date point: ``(tasks - missing - stale) / tasks``.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from ..kinds import DEFAULT_KIND, REGISTRY
from ..records import FileProblem, StoreDoc, payload_hash
from ..sync import (
    CollectionDiff,
    KindFiles,
    Resources,
    Scope,
    dedupe,
    diff_collection,
    kind_documents,
    one_collection,
    parse_paths,
)
from ..wiring import model_key
from .problems import Problem, fix_command

if TYPE_CHECKING:
    from ..store.base import StoredPoint

_LABEL_FIELDS = ("root", "file", "line", "anchor", "task_id", "title")


@dataclass(frozen=True, slots=True)
class TaskRef:
    """A task or a point named in a report."""

    point_id: str
    file: str
    line: int | None
    task_id: str | None
    title: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "point_id": self.point_id,
            "file": self.file,
            "line": self.line,
            "task_id": self.task_id,
            "title": self.title,
        }

    @classmethod
    def of(cls, point_id: str, payload: dict[str, Any]) -> TaskRef:
        line = payload.get("line")
        return cls(
            point_id=point_id,
            file=str(payload.get("file") or ""),
            line=int(line) if isinstance(line, int | float) else None,
            task_id=payload.get("task_id"),
            title=str(payload.get("title") or ""),
        )


@dataclass(slots=True)
class Duplicate:
    """A duplicated task: ``where`` is "store" (extra points) or "files" (one task id, several tasks)."""

    where: str
    file: str
    task_id: str | None
    lines: list[int]
    point_ids: list[str]  # store: the extra points (fix deletes them); files: the tasks' points

    def to_dict(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "file": self.file,
            "task_id": self.task_id,
            "lines": self.lines,
            "point_ids": self.point_ids,
        }


@dataclass(slots=True)
class FileStats:
    file: str
    root: str
    tasks: int = 0
    mvp: int = 0
    p0: int = 0
    p1: int = 0
    p2: int = 0
    p3: int = 0
    unprioritised: int = 0
    completed: int = 0
    missing: int = 0
    stale: int = 0

    @property
    def completed_pct(self) -> float:
        return round(100.0 * self.completed / self.tasks, 2) if self.tasks else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "root": self.root,
            "tasks": self.tasks,
            "mvp": self.mvp,
            "p0": self.p0,
            "p1": self.p1,
            "p2": self.p2,
            "p3": self.p3,
            "unprioritised": self.unprioritised,
            "completed": self.completed,
            "completed_pct": self.completed_pct,
            "missing": self.missing,
            "stale": self.stale,
        }


@dataclass(slots=True)
class CheckReport:
    collection: str
    paths: list[str]
    tasks: int = 0
    points: int = 0  # points in the collection (all roots)
    collection_exists: bool = True
    missing: list[TaskRef] = field(default_factory=list)
    orphaned: list[TaskRef] = field(default_factory=list)
    stale: list[TaskRef] = field(default_factory=list)
    moved: list[TaskRef] = field(default_factory=list)
    duplicates: list[Duplicate] = field(default_factory=list)
    files: list[FileStats] = field(default_factory=list)
    unreadable: list[FileProblem] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parse_seconds: float = 0.0
    check_seconds: float = 0.0
    generated_at: str = field(default_factory=now_iso)

    @property
    def coverage(self) -> float:
        if not self.tasks:
            return 100.0
        return round(100.0 * (self.tasks - len(self.missing) - len(self.stale)) / self.tasks, 2)

    @property
    def store_duplicates(self) -> list[Duplicate]:
        return [d for d in self.duplicates if d.where == "store"]

    @property
    def ok(self) -> bool:
        """Files and store agree (duplicated ids inside the files are only a warning)."""
        return not any(p.severity == "error" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "missing": len(self.missing),
            "orphaned": len(self.orphaned),
            "stale": len(self.stale),
            "duplicates": len(self.duplicates),
            "coverage": self.coverage,
            "ok": self.ok,
            "moved": len(self.moved),
            "tasks": self.tasks,
            "points": self.points,
            "collection": self.collection,
            "collection_exists": self.collection_exists,
            "paths": self.paths,
            "generated_at": self.generated_at,
            "parse_seconds": round(self.parse_seconds, 4),
            "check_seconds": round(self.check_seconds, 4),
            "problems": [p.to_dict() for p in self.problems],
            "missing_tasks": [x.to_dict() for x in self.missing],
            "orphaned_points": [x.to_dict() for x in self.orphaned],
            "stale_points": [x.to_dict() for x in self.stale],
            "moved_points": [x.to_dict() for x in self.moved],
            "duplicate_ids": [d.to_dict() for d in self.duplicates],
            "unreadable_files": [
                {"path": p.path, "reason": p.reason, "line": p.line} for p in self.unreadable
            ],
            "files": [f.to_dict() for f in self.files],
        }


def docs_of(engine: Resources, kf: KindFiles) -> list[StoreDoc]:
    """The documents ``index`` would write for a one-collection run (first of a duplicated point id
    kept, as index does)."""
    key = model_key(engine.embedder, engine.sparse_encoder)
    return dedupe(d for docs in kind_documents(kf, engine.embedder, key).values() for d in docs)


def split_unclaimed(
    engine: Resources, collection: str, diff: CollectionDiff, docs: Sequence[StoreDoc]
) -> tuple[list[StoredPoint], dict[str, list[StoredPoint]]]:
    """Points no document claims, split into orphans and duplicates (doc point id -> extra points)."""
    if not diff.deleted:
        return [], {}
    by_anchor = {(d.payload["root"], d.payload["file"], d.payload["anchor"]): d.point_id for d in docs}
    orphans: list[StoredPoint] = []
    dups: dict[str, list[StoredPoint]] = defaultdict(list)
    for p in engine.store.retrieve(collection, diff.deleted):
        owner = by_anchor.get((p.payload.get("root"), p.payload.get("file"), p.payload.get("anchor")))
        if owner is None:
            orphans.append(p)
        else:
            dups[owner].append(p)
    return orphans, dict(dups)


def check(
    engine: Resources, paths: Sequence[str | Path], *, collection: str | None = None, kind: str | None = None
) -> CheckReport:
    """Check one collection of ``kind`` (default plans; its first collection unless named)."""
    t0 = time.perf_counter()
    kinds = REGISTRY.select(engine.settings, [kind or DEFAULT_KIND])
    parsed = parse_paths(paths, kinds, engine.settings)
    coll, kf = one_collection(parsed.kinds[0], collection)
    scope = parsed.scope_of(kf)
    t1 = time.perf_counter()
    # files that could not be read, and records a kind found but could not index (e.g. a task nested
    # past the Markdown parser's depth limit): the files and the store cannot agree on those
    unindexed = [p for _, pf in kf.parsed for p in pf.problems]
    report = CheckReport(
        collection=coll, paths=[str(p) for p in paths], unreadable=[*parsed.problems, *unindexed]
    )
    report.parse_seconds = t1 - t0
    docs = docs_of(engine, kf)
    report.tasks = len(docs)
    store = engine.store
    info = store.collection_info(coll)
    report.collection_exists = info is not None
    report.points = info.points if info is not None else 0
    diff = diff_collection(store, coll, docs, scope)
    report.missing = [TaskRef.of(d.point_id, d.payload) for d in diff.added]
    report.stale = [TaskRef.of(d.point_id, d.payload) for d in diff.changed]
    tampered = altered_payloads(engine, coll, docs, diff)
    report.moved = [TaskRef.of(d.point_id, d.payload) for d in [*diff.moved, *tampered]]
    orphans, dups = split_unclaimed(engine, coll, diff, docs)
    report.orphaned = [TaskRef.of(p.id, p.payload) for p in orphans]
    doc_by_id = {d.point_id: d for d in docs}
    for owner, extra in dups.items():
        p = doc_by_id[owner].payload
        report.duplicates.append(
            Duplicate("store", str(p["file"]), p.get("task_id"), [int(p["line"])], [x.id for x in extra])
        )
    report.duplicates += file_duplicates(docs)
    report.files = _file_stats(kf, docs, diff)
    report.problems = _problems(engine, report, scope)
    report.check_seconds = time.perf_counter() - t1
    return report


def altered_payloads(
    engine: Resources, collection: str, docs: Sequence[StoreDoc], diff: CollectionDiff
) -> list[StoreDoc]:
    """Documents whose point's stored ``payload_hash`` is right but whose payload was changed since.

    ``diff_collection`` compares the recorded hashes only; this re-hashes the stored payloads of the
    points it found unchanged, so a payload edited behind planvec's back is found too.
    """
    if not diff.unchanged:
        return []
    touched = {d.point_id for d in (*diff.added, *diff.changed, *diff.moved)}
    wanted = {d.point_id: d for d in docs if d.point_id not in touched}
    out = []
    for p in engine.store.retrieve(collection, list(wanted)):
        if payload_hash(p.payload) != p.payload.get("payload_hash"):
            out.append(wanted[p.id])
    return out


def file_duplicates(docs: Sequence[StoreDoc]) -> list[Duplicate]:
    groups: dict[tuple[str, str, str], list[StoreDoc]] = defaultdict(list)
    for d in docs:
        tid = d.payload.get("task_id")
        if tid:
            groups[(d.payload["root"], d.payload["file"], tid)].append(d)
    return [
        Duplicate("files", file, tid, [int(d.payload["line"]) for d in ds], [d.point_id for d in ds])
        for (_, file, tid), ds in groups.items()
        if len(ds) > 1
    ]


def _file_stats(kf: KindFiles, docs: Sequence[StoreDoc], diff: CollectionDiff) -> list[FileStats]:
    """Per file: its records (from their payloads) and how many lack an up-to-date point."""
    stats: dict[tuple[str, str], FileStats] = {}
    for root, parsed in kf.parsed:
        stats.setdefault((root, parsed.path), FileStats(parsed.path, root))
    for d in docs:
        p = d.payload
        fs = stats.get((p["root"], p["file"]))
        if fs is None:
            continue
        fs.tasks += 1
        fs.mvp += p.get("is_mvp") is True
        fs.completed += p.get("status") == "completed"
        prio = str(p.get("priority") or "").lower()
        if prio in ("p0", "p1", "p2", "p3"):
            setattr(fs, prio, getattr(fs, prio) + 1)
        else:
            fs.unprioritised += 1
    for docs, attr in ((diff.added, "missing"), (diff.changed, "stale")):
        for d in docs:
            row = stats.get((d.payload["root"], d.payload["file"]))
            if row is not None:
                setattr(row, attr, getattr(row, attr) + 1)
    return sorted(stats.values(), key=lambda f: (f.root, f.file))


def _problems(engine: Resources, r: CheckReport, scope: Scope) -> list[Problem]:
    s = engine.settings
    fix = fix_command(s, scope.roots)
    out: list[Problem] = []
    if not r.collection_exists and r.tasks:
        out.append(
            Problem(
                "not_indexed",
                f"collection {r.collection!r} does not exist: none of the {r.tasks} tasks is indexed",
                fix,
            )
        )
    elif r.missing:
        out.append(Problem("missing", f"{len(r.missing)} task(s) have no point in {r.collection!r}", fix))
    if r.stale:
        out.append(
            Problem("stale", f"{len(r.stale)} point(s) hold an outdated vector (text or model changed)", fix)
        )
    if r.moved:
        out.append(Problem("moved", f"{len(r.moved)} point(s) hold an outdated payload (e.g. a line)", fix))
    if r.orphaned:
        out.append(Problem("orphaned", f"{len(r.orphaned)} point(s) belong to no task of the files", fix))
    if r.store_duplicates:
        extra = sum(len(d.point_ids) for d in r.store_duplicates)
        out.append(
            Problem(
                "duplicate_points", f"{extra} extra point(s) repeat {len(r.store_duplicates)} task(s)", fix
            )
        )
    for d in r.duplicates:
        if d.where == "files":
            out.append(
                Problem(
                    "duplicate_task_id",
                    f"{d.file}: task id {d.task_id} is used on lines {', '.join(map(str, d.lines))}",
                    None,
                    severity="warning",
                )
            )
    for p in r.unreadable:
        code = "unreadable_file" if p.line is None else "not_indexed"
        out.append(Problem(code, f"{p.path}: {p.reason}", None))
    return out
