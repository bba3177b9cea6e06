"""``fix``: repair what check, verify and diagnose find.

The repairs, per collection of the configured layout (tasks, and sections when indexed):

1. **recreate** a collection whose layout cannot serve the configured model (dimension mismatch, no
   BM25 vectors, missing payload indexes), then re-vectorise it: from the sources when PATHs are
   given (the troubleshooting guide's ``fixVectorDimensions``), else from the texts stored in the
   points (payloads and BM25 vectors kept);
2. **reembed_all** when the collection was made with another model, or a sample of vectors differs
   from a fresh embedding (model changed);
3. **reembed** single bad vectors (NaN/inf, all-zero, not normalised, wrong size, one vector shared
   by different texts) from their stored text;
4. with PATHs, the sync that ``index`` applies: **add** missing tasks, **update** stale vectors,
   **rewrite_payload** of moved ones, **delete** orphans and duplicates.

Before the first write, every collection about to change is saved in a backup archive (the
format of ``planvec backup``, read through the store), ``DATA_DIR/backups/fix-<timestamp>/backup.pvbak``.
:func:`restore_backup` (``planvec fix --restore ARCHIVE``) puts them back: the restore of
``planvec restore ARCHIVE --replace``. A second run finds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from ..errors import StoreError, UsageError
from ..kinds import PLANS, REGISTRY
from ..settings import Settings
from ..store.base import CollectionInfo, CollectionSpec, PointData, VectorStore
from ..sync import ParsedPaths, Resources, dedupe, diff_collection, documents, index_paths, parse_paths
from ..wiring import model_key, model_meta
from .archive import MAGIC, is_archive
from .backup import RestoreReport, backup, restore
from .check import altered_payloads, file_duplicates, split_unclaimed
from .problems import Problem, cli_prefix
from .transfer import MigrationError
from .verify import verify

if TYPE_CHECKING:
    pass

BATCH = 256
ACTION_ORDER = (
    "recreate",
    "reembed_all",
    "reembed",
    "add",
    "update",
    "rewrite_payload",
    "delete_orphans",
    "delete_duplicates",
)


@dataclass(frozen=True, slots=True)
class FixAction:
    collection: str
    kind: str  # one of ACTION_ORDER
    count: int  # points concerned
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"collection": self.collection, "kind": self.kind, "count": self.count, "reason": self.reason}


@dataclass(slots=True)
class FixReport:
    dry_run: bool
    paths: list[str]
    actions: list[FixAction] = field(default_factory=list)
    backup: str | None = None
    restore_command: str | None = None
    embedded: int = 0
    problems: list[Problem] = field(default_factory=list)  # what fix cannot repair
    seconds: float = 0.0
    generated_at: str = field(default_factory=now_iso)

    @property
    def nothing_to_fix(self) -> bool:
        return not self.actions

    @property
    def ok(self) -> bool:
        """Nothing is left to repair: a dry run found nothing, or a real run repaired it all."""
        pending = self.dry_run and bool(self.actions)
        return not pending and not any(p.severity == "error" for p in self.problems)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "dry_run": self.dry_run,
            "nothing_to_fix": self.nothing_to_fix,
            "paths": self.paths,
            "generated_at": self.generated_at,
            "actions": [a.to_dict() for a in self.actions],
            "backup": self.backup,
            "restore_command": self.restore_command,
            "embedded": self.embedded,
            "problems": [p.to_dict() for p in self.problems],
            "seconds": round(self.seconds, 3),
        }


@dataclass(slots=True)
class _Repairs:
    recreate: dict[str, str] = field(default_factory=dict)  # collection -> reason
    reembed_all: dict[str, str] = field(default_factory=dict)
    reembed: dict[str, set[str]] = field(default_factory=dict)  # collection -> point ids
    skip: dict[str, set[str]] = field(default_factory=dict)  # ids the sync re-embeds or deletes anyway
    rewrite: dict[str, list[tuple[str, dict[str, Any]]]] = field(default_factory=dict)  # altered payloads
    actions: list[FixAction] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    parsed: ParsedPaths | None = None  # the files as read when the repairs were found, synced as such


def fix(
    engine: Resources,
    paths: Sequence[str | Path] = (),
    dry_run: bool = False,
    *,
    sample: int = 100,
    seed: int = 0,
) -> FixReport:
    t0 = time.perf_counter()
    report = FixReport(dry_run=dry_run, paths=[str(p) for p in paths])
    repairs = _find_repairs(engine, paths, sample, seed)
    report.actions = sorted(repairs.actions, key=lambda a: (ACTION_ORDER.index(a.kind), a.collection))
    report.problems = repairs.problems
    if dry_run or not report.actions:
        report.seconds = time.perf_counter() - t0
        return report
    touched = sorted({a.collection for a in report.actions} & set(engine.store.list_collections()))
    if touched:
        saved = make_backup(engine.store, engine.settings, touched)
        report.backup = str(saved)
        report.restore_command = f"{cli_prefix(engine.settings)} fix --restore {saved} --yes"
    report.embedded = _execute(engine, repairs, paths)
    report.seconds = time.perf_counter() - t0
    return report


# -- finding ----------------------------------------------------------------------------------------
def _wanted(engine: Resources) -> dict[str, dict[str, str]]:
    """Collection -> payload indexes its kind declares, for every collection the settings index."""
    return {
        coll: dict(kind.payload_indexes)
        for kind, config in REGISTRY.select(engine.settings)
        for coll in config.indexed.values()
    }


def recreate_reason(
    info: CollectionInfo, dimension: int, payload_indexes: dict[str, str] | None = None
) -> str | None:
    if info.dimension != dimension:
        return f"holds {info.dimension}-d vectors, the model makes {dimension}-d ones"
    if not info.sparse:
        return "has no BM25 sparse vectors"
    wanted = PLANS.payload_indexes if payload_indexes is None else payload_indexes
    missing = sorted(set(wanted) - set(info.payload_indexes))
    if missing:
        return f"lacks payload indexes on {', '.join(missing)}"
    return None


def _find_repairs(engine: Resources, paths: Sequence[str | Path], sample: int, seed: int) -> _Repairs:
    store = engine.store
    emb = engine.embedder
    repairs = _Repairs()
    existing = set(store.list_collections())
    for coll, indexes in _wanted(engine).items():
        info = store.collection_info(coll) if coll in existing else None
        if info is None:
            continue
        reason = recreate_reason(info, emb.dimension, indexes)
        if reason:
            repairs.recreate[coll] = reason
            repairs.actions.append(FixAction(coll, "recreate", info.points, reason))
            continue
        if info.model != emb.model_id:
            repairs.reembed_all[coll] = (
                f"made with model {info.model}, the configured model is {emb.model_id}"
            )
            continue
        vr = verify(store, emb, engine.settings, coll, sample=sample, probes=[], seed=seed)
        if vr.drifted:
            repairs.reembed_all[coll] = (
                f"model changed: {len(vr.drifted)} of {vr.sample} sampled vectors differ from a fresh "
                f"embedding (min cosine {vr.min_cosine})"
            )
        elif vr.bad_vector_ids:
            repairs.reembed[coll] = vr.bad_vector_ids
    if paths:
        _sync_repairs(engine, paths, repairs)
    for coll, reason in repairs.reembed_all.items():
        info = store.collection_info(coll)
        n = (info.points if info else 0) - len(repairs.skip.get(coll, ()))
        if n > 0:
            repairs.actions.append(FixAction(coll, "reembed_all", n, reason))
    for coll, ids in repairs.reembed.items():
        ids -= repairs.skip.get(coll, set())
        if ids:
            repairs.actions.append(
                FixAction(coll, "reembed", len(ids), "NaN/inf, zero, unnormalised or shared vectors")
            )
    return repairs


def _sync_repairs(engine: Resources, paths: Sequence[str | Path], repairs: _Repairs) -> None:
    parsed = repairs.parsed = parse_paths(paths, REGISTRY.select(engine.settings), engine.settings)
    for p in parsed.problems:
        repairs.problems.append(
            Problem("unreadable_file", f"{p.path}: {p.reason} (its points are kept)", None)
        )
    key = model_key(engine.embedder, engine.sparse_encoder)
    scopes = {c: parsed.scope_of(kf) for kf in parsed.kinds for c in kf.config.indexed.values()}
    for coll, docs in documents(parsed, engine.embedder, key).items():
        docs = dedupe(docs)
        scope = scopes[coll]
        if coll in repairs.recreate:
            if docs:
                repairs.actions.append(FixAction(coll, "add", len(docs), "re-vectorise from the sources"))
            continue
        diff = diff_collection(engine.store, coll, docs, scope)
        repairs.skip[coll] = {d.point_id for d in diff.to_embed} | set(diff.deleted)
        orphans, dups = split_unclaimed(engine, coll, diff, docs)
        altered = altered_payloads(engine, coll, docs, diff)
        repairs.rewrite[coll] = [(d.point_id, d.payload) for d in altered]
        n_dups = sum(len(v) for v in dups.values())
        for kind, n, reason in (
            ("add", len(diff.added), "tasks or sections missing from the store"),
            ("update", len(diff.changed), "stale vectors (text or model changed)"),
            ("rewrite_payload", len(diff.moved) + len(altered), "outdated or altered payloads"),
            ("delete_orphans", len(orphans), "points no task or section claims"),
            ("delete_duplicates", n_dups, "extra points repeating an indexed task"),
        ):
            if n:
                repairs.actions.append(FixAction(coll, kind, n, reason))
        for d in file_duplicates(docs):  # (records with a task id: the tasks of plans)
            repairs.problems.append(
                Problem(
                    "duplicate_task_id",
                    f"{d.file}: task id {d.task_id} is used on lines {', '.join(map(str, d.lines))} "
                    "(edit the file to renumber them)",
                    None,
                    severity="warning",
                )
            )


# -- execution ------------------------------------------------------------------------------------
def _execute(engine: Resources, repairs: _Repairs, paths: Sequence[str | Path]) -> int:
    store = engine.store
    emb = engine.embedder
    embedded = 0
    for coll in repairs.recreate:
        kept = [] if paths else list(store.scroll(coll, with_vectors=True))
        store.delete_collection(coll)
        indexes = _wanted(engine).get(coll, dict(PLANS.payload_indexes))
        store.create_collection(
            CollectionSpec(name=coll, dimension=emb.dimension, model=emb.model_id, payload_indexes=indexes)
        )
        _set_model_meta(engine, coll)
        embedded += _reembed(engine, coll, kept)
    for coll in repairs.reembed_all:
        skip = repairs.skip.get(coll, set())
        embedded += _reembed(
            engine, coll, (p for p in store.scroll(coll, with_vectors=True) if p.id not in skip)
        )
        _set_model_meta(engine, coll)
    for coll, ids in repairs.reembed.items():
        if ids:
            embedded += _reembed(engine, coll, store.retrieve(coll, sorted(ids), with_vectors=True))
    for coll, items in repairs.rewrite.items():
        if items:
            store.overwrite_payload(coll, items)
    if paths:
        s = engine.settings
        kinds = REGISTRY.select(s)
        embedded += index_paths(
            paths, kinds, store, emb, engine.sparse_encoder, s, parsed=repairs.parsed
        ).embedded
    store.flush()
    return embedded


def _set_model_meta(engine: Resources, coll: str) -> None:
    engine.store.set_meta(coll, model_meta(engine.embedder, engine.sparse_encoder))


def _reembed(engine: Resources, coll: str, points: Any) -> int:
    """Re-embed points from their stored ``text``, keeping payload and BM25 vector. Returns texts embedded."""
    store = engine.store
    emb = engine.embedder
    done = 0
    batch: list[Any] = []

    def flush() -> None:
        nonlocal done
        if not batch:
            return
        texts = [str(p.payload.get("text") or "") for p in batch]
        vecs = emb.embed(texts)
        store.upsert(
            coll,
            [
                PointData(id=p.id, vector=vecs[i], payload=p.payload, sparse=p.sparse)
                for i, p in enumerate(batch)
            ],
        )
        done += len(batch)
        batch.clear()

    for p in points:
        if not str(p.payload.get("text") or "").strip():
            continue  # nothing to embed: left for the sync (orphan) or reported by verify
        batch.append(p)
        if len(batch) >= BATCH:
            flush()
    flush()
    return done


# -- backup and restore ---------------------------------------------------------------------------
SAFETY_ARCHIVE = "backup.pvbak"


def make_backup(store: VectorStore, settings: Settings, collections: Sequence[str]) -> Path:
    """Save ``collections`` in a backup archive (the format of ``planvec backup``),
    ``DATA_DIR/backups/fix-<timestamp>/backup.pvbak``, next to a RESTORE.md; returns the archive."""
    pv = cli_prefix(settings)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(settings.data_dir).expanduser() / "backups" / f"fix-{stamp}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    archive = out / SAFETY_ARCHIVE
    try:
        out.mkdir(parents=True)
        backup(store, archive, collections)
        (out / "RESTORE.md").write_text(
            f"Restore the collections saved here before `planvec fix` changed them:\n\n"
            f"    {pv} fix --restore {archive} --yes\n\n"
            f"(the same as `{pv} restore {archive} --replace`, which also checks that the archive's\n"
            "model is the configured one)\n",
            encoding="utf-8",
        )
    except (OSError, MigrationError) as e:
        why = e.message if isinstance(e, MigrationError) else (e.strerror or str(e))
        raise StoreError(
            f"cannot write the safety backup to {out}: {why}; nothing was changed",
            hint="free some disk space or make the data directory writable, then retry",
        ) from e
    return archive


def restore_backup(store: VectorStore, path: str | Path) -> RestoreReport:
    """Put back the collections of a ``fix`` safety backup (the archive, or the directory holding
    it), replacing the current ones: ``planvec restore ARCHIVE --replace``, whatever the model.

    A point whose vector held NaN or infinity (what fix repaired, and no store takes) is left
    out, its id in ``report.skipped``."""
    p = Path(path).expanduser()
    archive = p / SAFETY_ARCHIVE if p.is_dir() else p
    if not _is_archive_file(archive):
        hint = "give the safety backup that fix printed (DATA_DIR/backups/fix-<timestamp>/backup.pvbak)"
        if (p / "manifest.json").is_file():
            hint = "this is a safety backup of an earlier planvec version: restore it with that version"
        raise UsageError(f"{p} is not a planvec fix backup (no backup archive there)", hint=hint)
    return restore(store, archive, replace=True, skip_bad_vectors=True)


def _is_archive_file(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return is_archive(f.read(len(MAGIC)))
    except OSError:
        return False
