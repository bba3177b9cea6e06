"""Import of the legacy system's ``{collection}-backup.json`` exports (and of planvec archives).

A legacy export is a JSON object with a ``points`` list of ``{id, vector, payload}`` (the
migration guide's ``scripts/export-collection.py``). The payload keys of ``roadmap_tasks``
(``taskId``, ``description``, ``status``, ``priority``, ``isMVP``, ``category``, ``filePath``,
``section``, ``parentId``) are mapped to planvec's task fields; unknown keys are kept under
``legacy``. Ids that are not UUIDs (integers, other strings) become uuid5 of a fixed namespace,
the original kept as ``legacy_id``. Vectors of another dimension than the configured model's
(the legacy scripts used 1536) need ``--reembed``; BM25 sparse vectors are always built.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..clock import now_iso
from ..embedding.base import Embedder
from ..errors import DimensionMismatch, UsageError
from ..kinds.plans import PLANS
from ..kinds.plans.documents import id_prefixes, word_tokens
from ..records import payload_hash
from ..store.base import CollectionSpec, PointData, VectorStore
from ..store.filters import check_name
from ..wiring import model_meta
from .archive import is_archive
from .backup import restore
from .transfer import BatchWriter, MigrationError, ProgressFn, Rate, Reembedder, sparse_text_of

LEGACY_NAMESPACE = uuid.UUID("3b0c7f4e-2d7a-4d55-9a0e-5f7c1e4b8a21")
LEGACY_MODEL = "legacy-import"
IMPORT_BATCH = 256
_STATUS = {
    "completed": "completed",
    "complete": "completed",
    "done": "completed",
    "terminé": "completed",
    "termine": "completed",
    "closed": "completed",
    "pending": "pending",
    "todo": "pending",
    "in_progress": "pending",
    "in-progress": "pending",
    "open": "pending",
    "blocked": "pending",
    "en_cours": "pending",
}
_PRIORITY = {"critical": "P0", "high": "P1", "medium": "P2", "low": "P3"}
_MAPPED = (
    "taskId",
    "description",
    "status",
    "priority",
    "isMVP",
    "category",
    "filePath",
    "section",
    "parentId",
)


@dataclass(slots=True)
class ImportReport:
    path: str
    collection: str
    format: str  # "legacy-json" | "planvec-archive"
    points: int = 0
    reembedded: bool = False
    dimension: int = 0
    source_dimension: int | None = None
    mapped_ids: int = 0  # legacy ids turned into UUIDs
    seconds: float = 0.0
    points_per_second: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def legacy_uuid(legacy_id: Any) -> str:
    """The point id of a legacy id: itself when a UUID, else uuid5 (deterministic)."""
    if isinstance(legacy_id, str):
        try:
            return str(uuid.UUID(legacy_id))
        except ValueError:
            pass
    return str(uuid.uuid5(LEGACY_NAMESPACE, json.dumps(legacy_id)))


def _as_bool(v: Any) -> bool:
    if isinstance(v, str):
        return v.strip().lower() in ("1", "true", "yes", "oui", "mvp")
    return bool(v)


def map_payload(legacy: dict[str, Any], legacy_id: Any, collection: str) -> dict[str, Any]:
    """planvec task fields from a legacy ``roadmap_tasks`` payload (unknown keys under ``legacy``)."""
    task_id = legacy.get("taskId")
    task_id = str(task_id) if task_id not in (None, "") else None
    title = str(legacy.get("description") or legacy.get("title") or legacy.get("name") or "").strip()
    section = str(legacy.get("section") or "").strip()
    category = str(legacy.get("category") or "").strip()
    path = [p.strip() for p in section.split(">") if p.strip()] if section else []
    status = _STATUS.get(str(legacy.get("status") or "").strip().lower(), "pending")
    prio_raw = str(legacy.get("priority") or "").strip()
    priority = (
        prio_raw.upper() if prio_raw.upper() in ("P0", "P1", "P2", "P3") else _PRIORITY.get(prio_raw.lower())
    )
    parent = legacy.get("parentId")
    file = str(legacy.get("filePath") or "")
    context = path[-1] if path else category
    text = f"{context}: {title}" if context and title else title
    payload: dict[str, Any] = {
        "kind": "task",
        "root": f"legacy:{collection}",
        "file": file,
        "line": 0,
        "anchor": str(legacy_id),
        "task_id": task_id,
        "task_id_prefixes": id_prefixes(task_id),
        "title": title,
        "body": "",
        "status": status,
        "priority": priority,
        "is_mvp": _as_bool(legacy.get("isMVP", False)),
        "section": " > ".join(path),
        "section_path": path,
        "section_tokens": sorted(set(word_tokens(" ".join([*path, category])))),
        "category": category or None,
        "depth": task_id.count(".") if task_id else 0,
        "parent": str(parent) if parent not in (None, "") else None,
        "parent_task_id": str(parent) if parent not in (None, "") else None,
        "parent_id": legacy_uuid(parent) if parent not in (None, "") else None,
        "legacy_id": legacy_id,
        "text": text,
    }
    extra = {k: v for k, v in legacy.items() if k not in _MAPPED}
    if extra:
        payload["legacy"] = extra
    payload["payload_hash"] = payload_hash(payload)
    return payload


def _vector_of(raw: Any) -> list[float] | None:
    if isinstance(raw, dict):  # named vectors: take the only / the default dense one
        dense = [v for v in raw.values() if isinstance(v, list)]
        raw = raw.get("") or raw.get("dense") or (dense[0] if len(dense) == 1 else None)
    if isinstance(raw, list) and raw and all(isinstance(x, int | float) for x in raw):
        return [float(x) for x in raw]
    return None


def _load_legacy(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from e
    except ValueError as e:
        raise UsageError(
            f"{path} is neither a planvec archive nor valid JSON: {e}",
            hint="give a legacy {collection}-backup.json export or a planvec backup archive",
        ) from e
    points = data.get("points") if isinstance(data, dict) else data if isinstance(data, list) else None
    if not isinstance(points, list):
        raise UsageError(
            f"{path} has no 'points' list", hint='a legacy export is {"points": [{id, vector, payload}]}'
        )
    bad = [i for i, p in enumerate(points) if not isinstance(p, dict) or "id" not in p]
    if bad:
        raise UsageError(f"{path}: point #{bad[0]} has no id ({len(bad)} malformed point(s))")
    return points


def import_legacy(
    store: VectorStore,
    path: str | Path,
    collection: str,
    *,
    embedder: Any,
    sparse_encoder: Any,
    reembed: bool = False,
    workers: int = 2,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Import a legacy JSON export into ``collection`` (created when missing)."""
    p = Path(path).expanduser()
    check_name(collection)
    rate = Rate()
    points = _load_legacy(p)
    report = ImportReport(path=str(p), collection=collection, format="legacy-json", reembedded=reembed)
    dims = {len(v) for v in (_vector_of(x.get("vector")) for x in points) if v is not None}
    no_vec = sum(1 for x in points if _vector_of(x.get("vector")) is None)
    if len(dims) > 1:
        raise UsageError(f"{p} mixes vector dimensions {sorted(dims)}", hint="add --reembed")
    report.source_dimension = dims.pop() if dims else None
    target_dim = embedder.dimension
    if not reembed:
        if no_vec:
            raise UsageError(f"{no_vec} point(s) of {p} have no vector", hint="add --reembed to embed them")
        if report.source_dimension is not None and report.source_dimension != target_dim:
            raise DimensionMismatch(
                f"{p} holds {report.source_dimension}-d vectors but the configured model "
                f"{embedder.model_id} makes {target_dim}-d vectors",
                hint="add --reembed to re-vectorise the points from their text with the configured model",
            )
    model = embedder.model_id if reembed else LEGACY_MODEL
    info = store.collection_info(collection)
    if info is not None and info.dimension != target_dim:
        raise DimensionMismatch(f"collection {collection!r} holds {info.dimension}-d vectors")
    if info is not None and info.points and info.meta.get("legacy_source") != p.name:
        raise MigrationError(
            f"collection {collection!r} already holds {info.points} points",
            hint="import into another collection (--collection NEW), or drop it first",
        )
    docs: list[PointData] = []
    seen: set[str] = set()
    for x in points:
        pid = legacy_uuid(x["id"])
        if pid in seen:
            report.warnings.append(f"duplicate id {x['id']!r}: kept the first")
            continue
        seen.add(pid)
        if not (isinstance(x["id"], str) and pid == x["id"].lower()):
            report.mapped_ids += 1
        raw = x.get("payload")
        raw_payload: dict[str, Any] = raw if isinstance(raw, dict) else {}
        payload = map_payload(raw_payload, x["id"], collection)
        vec = None if reembed else np.asarray(_vector_of(x.get("vector")), dtype=np.float32)
        docs.append(PointData(pid, vec if vec is not None else np.zeros(0, np.float32), payload))
    empty = [d.id for d in docs if not d.payload["text"]]
    if empty and reembed:
        raise MigrationError(f"{len(empty)} point(s) have no description to embed (e.g. {empty[0]})")
    # A legacy export holds tasks: the collection gets the plans kind's payload indexes.
    spec = CollectionSpec(
        name=collection, dimension=target_dim, model=model, payload_indexes=dict(PLANS.payload_indexes)
    )
    store.create_collection(spec)
    reembedder = Reembedder(embedder, sparse_encoder)

    def prepare(batch: list[PointData]) -> list[PointData]:
        if reembed:
            return reembedder(batch)
        sparse = sparse_encoder.embed_documents([sparse_text_of(d.payload) for d in batch])
        out = []
        for d, sv in zip(batch, sparse, strict=True):
            norm = float(np.linalg.norm(d.vector))
            out.append(PointData(d.id, d.vector / norm if norm > 0 else d.vector, d.payload, sv))
        return out

    writer = BatchWriter(store, collection, workers=workers, transform=prepare)
    try:
        for i in range(0, len(docs), IMPORT_BATCH):
            writer.submit(docs[i : i + IMPORT_BATCH])
            writer.collect(block=False)
            if progress:
                progress("import", writer.written, len(docs))
        writer.collect(block=True)
    finally:
        writer.close()
    meta: dict[str, Any] = {
        **model_meta(embedder, sparse_encoder),
        "model": model,  # (the model of the vectors: the configured one only when re-embedded)
        "legacy_source": p.name,
        "imported_at": now_iso(),
    }
    store.set_meta(collection, meta)
    store.flush()
    report.points = writer.written
    report.dimension = target_dim
    report.seconds = round(rate.seconds(), 3)
    report.points_per_second = rate.per_second(report.points)
    return report


def sniff_archive(path: str | Path) -> bool:
    try:
        with open(Path(path).expanduser(), "rb") as f:
            return is_archive(f.read(16))
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror}") from e


def archive_collections_for(names: Sequence[str], collection: str) -> tuple[list[str], dict[str, str]]:
    """(collections to restore, rename) for ``import ARCHIVE --collection NAME``."""
    if collection in names:
        return [collection], {}
    if len(names) == 1:
        return [names[0]], {names[0]: collection}
    raise UsageError(
        f"the archive holds {len(names)} collections and none is named {collection!r}",
        hint=f"name one of them: {', '.join(names)} (or use planvec restore with --rename)",
    )


def import_file(
    store: VectorStore,
    path: str | Path,
    collection: str,
    *,
    embedder: Callable[[], Embedder],
    sparse_encoder: Any,
    model: tuple[str, int] | None = None,
    reembed: bool = False,
    key: bytes | None = None,
    progress: ProgressFn | None = None,
) -> ImportReport:
    """Auto-detect a planvec archive (restored into ``collection``) or a legacy JSON export.

    ``embedder`` gives the configured model (loaded only when the import needs it); ``model`` is
    its (id, dimension), against which an archive's collection is checked (see
    :func:`~planvec.ops.backup.restore`)."""
    p = Path(path).expanduser()
    check_name(collection)
    if not p.is_file():
        raise UsageError(f"no such file: {p}")
    if not sniff_archive(p):
        return import_legacy(
            store, p, collection, embedder=embedder(), sparse_encoder=sparse_encoder,
            reembed=reembed, progress=progress,
        )  # fmt: skip
    rate = Rate()
    names = peek_collections(p, key)
    wanted, rename = archive_collections_for(names, collection)
    again = Reembedder(embedder(), sparse_encoder) if reembed else None
    r = restore(
        store, p, rename=rename, collections=wanted, reembed=again, key=key, model=model, progress=progress
    )
    report = ImportReport(path=str(p), collection=collection, format="planvec-archive", reembedded=reembed)
    report.points = r.total_points
    info = store.collection_info(collection)
    report.dimension = info.dimension if info else 0
    report.seconds = round(rate.seconds(), 3)
    report.points_per_second = rate.per_second(report.points)
    return report


def peek_collections(path: Path, key: bytes | None) -> list[str]:
    """The collection names listed in an archive's header frame."""
    from .archive import ArchiveReader, load_json

    with open(path, "rb") as f:
        first = next(ArchiveReader(f, key, name=str(path)).frames(), None)
    if first is None or first.kind != b"H":
        from .archive import ArchiveError

        raise ArchiveError(f"{path} does not start with a header frame")
    return [str(n) for n in load_json(first, "header").get("collections", [])]
