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

Before the first write, every collection about to change is saved under
``DATA_DIR/backups/fix-<timestamp>/``: a copy of the collection directory (shard + metadata) for
the embedded store, a JSON-lines dump of the points (id, vector, BM25 vector, payload) for a server.
:func:`restore_backup` (``planvec fix --restore DIR``) puts them back. A second run finds nothing.
"""

from __future__ import annotations

import json
import math
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import StoreError, UsageError
from ..kinds import PLANS, REGISTRY
from ..store.base import CollectionInfo, CollectionSpec, PointData, SparseVec
from ..store.filters import STRUCTURAL_KEYS
from ..sync import diff_collection, documents, index_paths, model_key, parse_paths
from .check import altered_payloads, file_duplicates, split_unclaimed
from .reports import Problem, cli_prefix, now_iso
from .verify import verify

if TYPE_CHECKING:
    from ..engine import Engine
    from ..records import StoreDoc

BACKUP_FORMAT = "planvec-fix-backup/1"
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


def fix(
    engine: Engine,
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
        backup = make_backup(engine, touched)
        report.backup = str(backup)
        report.restore_command = f"{cli_prefix(engine.settings)} fix --restore {backup} --yes"
    report.embedded = _execute(engine, repairs, paths)
    report.seconds = time.perf_counter() - t0
    return report


# -- finding ----------------------------------------------------------------------------------------
def _wanted(engine: Engine) -> dict[str, dict[str, str]]:
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


def _find_repairs(engine: Engine, paths: Sequence[str | Path], sample: int, seed: int) -> _Repairs:
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
        vr = verify(engine, coll, sample=sample, probes=[], seed=seed)
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


def _dedupe(docs: list[StoreDoc]) -> list[StoreDoc]:
    seen: dict[str, StoreDoc] = {}
    for d in docs:
        seen.setdefault(d.point_id, d)
    return list(seen.values())


def _sync_repairs(engine: Engine, paths: Sequence[str | Path], repairs: _Repairs) -> None:
    parsed = parse_paths(paths, REGISTRY.select(engine.settings), engine.settings)
    for p in parsed.problems:
        repairs.problems.append(
            Problem("unreadable_file", f"{p.path}: {p.reason} (its points are kept)", None)
        )
    key = model_key(engine.embedder, engine.sparse_encoder)
    scopes = {c: parsed.scope_of(kf) for kf in parsed.kinds for c in kf.config.indexed.values()}
    for coll, docs in documents(parsed, engine.embedder, key).items():
        docs = _dedupe(docs)
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
def _execute(engine: Engine, repairs: _Repairs, paths: Sequence[str | Path]) -> int:
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
        embedded += index_paths(paths, kinds, store, emb, engine.sparse_encoder, s).embedded
    store.flush()
    return embedded


def _set_model_meta(engine: Engine, coll: str) -> None:
    emb = engine.embedder
    engine.store.set_meta(
        coll, {"model": emb.model_id, "dimension": emb.dimension, "bm25": engine.sparse_encoder.config_id}
    )


def _reembed(engine: Engine, coll: str, points: Any) -> int:
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
def _is_edge(engine: Engine) -> bool:
    return not engine.settings.qdrant_url


def make_backup(engine: Engine, collections: Sequence[str]) -> Path:
    """Save ``collections`` under ``DATA_DIR/backups/fix-<timestamp>/``; returns that directory."""
    s = engine.settings
    data_dir = Path(s.data_dir).expanduser()
    base = data_dir / "backups" / f"fix-{datetime.now().strftime('%Y%m%d-%H%M%S')}"
    out, n = base, 1
    while out.exists():
        n += 1
        out = base.with_name(f"{base.name}-{n}")
    store = engine.store
    try:
        out.mkdir(parents=True)
        if _is_edge(engine):
            store.flush()
            for c in collections:
                shutil.copytree(data_dir / "collections" / c, out / "collections" / c)
        else:
            for c in collections:
                _dump(engine, c, out)
        manifest = {
            "format": BACKUP_FORMAT,
            "store": "edge" if _is_edge(engine) else "server",
            "location": s.qdrant_url or str(data_dir),
            "collections": list(collections),
            "created_at": now_iso(),
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
        (out / "RESTORE.md").write_text(
            f"Restore the collections saved here before `planvec fix` changed them:\n\n"
            f"    {cli_prefix(s)} fix --restore {out} --yes\n",
            encoding="utf-8",
        )
    except OSError as e:
        raise StoreError(
            f"cannot write the safety backup to {out}: {e.strerror or e}; nothing was changed",
            hint="free some disk space or make the data directory writable, then retry",
        ) from e
    return out


def _vector_json(v: np.ndarray | None) -> list[float] | None:
    if v is None:
        return None
    row: list[float] = np.asarray(v, dtype=np.float32).tolist()
    return row if all(math.isfinite(x) for x in row) else None


def _dump(engine: Engine, coll: str, out: Path) -> None:
    store = engine.store
    (out / f"{coll}.meta.json").write_text(
        json.dumps(store.get_meta(coll), indent=1) + "\n", encoding="utf-8"
    )
    with open(out / f"{coll}.jsonl", "w", encoding="utf-8") as f:
        for p in store.scroll(coll, with_vectors=True):
            rec = {
                "id": p.id,
                "vector": _vector_json(p.vector),
                "sparse": {"indices": list(p.sparse.indices), "values": list(p.sparse.values)}
                if p.sparse
                else None,
                "payload": p.payload,
            }
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")


def _read_points(path: Path) -> Iterator[PointData]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("vector") is None:
                continue  # a vector that was NaN/inf when saved cannot be written back
            sp = rec.get("sparse")
            yield PointData(
                id=rec["id"],
                vector=np.asarray(rec["vector"], dtype=np.float32),
                payload=rec["payload"],
                sparse=SparseVec(tuple(sp["indices"]), tuple(sp["values"])) if sp else None,
            )


def restore_backup(engine: Engine, backup_dir: str | Path) -> list[str]:
    """Put back the collections of a ``fix`` safety backup (replacing the current ones)."""
    d = Path(backup_dir).expanduser()
    try:
        manifest = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise UsageError(
            f"{d} is not a planvec fix backup: {e}", hint="give the directory printed by fix"
        ) from e
    if manifest.get("format") != BACKUP_FORMAT:
        raise UsageError(f"{d} is not a planvec fix backup (format {manifest.get('format')!r})")
    kind = "edge" if _is_edge(engine) else "server"
    if manifest.get("store") != kind:
        raise UsageError(
            f"this backup was made from the {manifest.get('store')} store, the current store is {kind}",
            hint="select the store it came from (--data-dir / --qdrant-url)",
        )
    store = engine.store
    names = [str(c) for c in manifest.get("collections", [])]
    for c in names:
        if kind == "edge":
            src = d / "collections" / c
            if not (src / "meta.json").is_file():
                raise UsageError(f"the backup lacks collection {c!r} ({src})")
            store.delete_collection(c)
            shutil.copytree(src, Path(engine.settings.data_dir).expanduser() / "collections" / c)
            continue
        meta = json.loads((d / f"{c}.meta.json").read_text(encoding="utf-8"))
        store.delete_collection(c)
        store.create_collection(
            CollectionSpec(
                name=c,
                dimension=int(meta["dimension"]),
                model=str(meta.get("model") or ""),
                distance=str(meta.get("distance", "Cosine")),
                sparse=bool(meta.get("sparse", True)),
                payload_indexes=dict(meta.get("payload_indexes") or PLANS.payload_indexes),
            )
        )
        store.set_meta(c, {k: v for k, v in meta.items() if k not in (*STRUCTURAL_KEYS, "created_at")})
        batch: list[PointData] = []
        for p in _read_points(d / f"{c}.jsonl"):
            batch.append(p)
            if len(batch) >= BATCH:
                store.upsert(c, batch)
                batch = []
        if batch:
            store.upsert(c, batch)
    store.flush()
    return names
