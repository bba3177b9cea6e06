"""What backup, restore, migrate and import share: store locations, collection specs, re-embedding,
parallel batched writes, keys and progress."""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ..errors import PlanvecError, StoreError, UsageError
from ..records import content_hash
from ..settings import Settings
from ..store.base import CollectionInfo, CollectionSpec, PointData, StoredPoint, VectorStore
from ..store.filters import SCHEMAS, STRUCTURAL_KEYS
from ..wiring import is_url, location_settings, model_key, store_from_settings

# (stage, done, total): total 0 when unknown
ProgressFn = Callable[[str, int, int], None]
Location = str | Path | VectorStore
DEFAULT_KEY_ENV = "PLANVEC_BACKUP_KEY"
# Metadata keys that describe one store's state, never copied to another store.
LOCAL_META_KEYS = ("created_at", "planvec_migration", "planvec_restore")


class MigrationError(PlanvecError):
    """A backup, restore, migration or import cannot proceed."""


def describe(loc: Location) -> str:
    if isinstance(loc, str | Path):
        s = str(loc)
        return s if is_url(s) else str(Path(s).expanduser().resolve())
    return repr(loc)


def open_location(
    loc: Location, *, read_only: bool, settings: Settings | None = None
) -> tuple[VectorStore, bool]:
    """(store, owned): a Qdrant URL (or ':memory:'), an embedded data directory, or a store object.

    A location is opened as the configured store would be (``settings``, default: the
    environment's), pointed at it (see :func:`planvec.wiring.location_settings`). ``owned`` is
    True when the caller must close the store. Embedded sources are opened read-only.
    """
    if not isinstance(loc, str | Path):
        return loc, False
    s = location_settings(loc, settings)
    path = Path(s.data_dir)
    if read_only and not s.qdrant_url and not (path / "collections").is_dir():
        raise UsageError(
            f"no planvec data directory at {path}",
            hint="give an embedded data directory (holding collections/) or a Qdrant URL (http://host:6333)",
        )
    return store_from_settings(s, read_only=read_only), True


def same_location(a: Location, b: Location) -> bool:
    if isinstance(a, str | Path) and isinstance(b, str | Path):
        if str(a) == ":memory:" or str(b) == ":memory:":
            return False
        return describe(a) == describe(b)
    return a is b


def spec_of(
    info: CollectionInfo, *, name: str | None = None, dimension: int | None = None, model: str | None = None
) -> CollectionSpec:
    """The spec that re-creates ``info`` (optionally renamed or with another model/dimension)."""
    indexes = info.meta.get("payload_indexes") or info.payload_indexes or {}
    return CollectionSpec(
        name=name or info.name,
        dimension=dimension or info.dimension,
        model=model or info.model or str(info.meta.get("model") or "unknown"),
        distance=info.distance,
        sparse=info.sparse,
        payload_indexes={k: v for k, v in dict(indexes).items() if v in SCHEMAS},
    )


def portable_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """Collection metadata worth carrying to another store (layout keys come from the spec)."""
    return {k: v for k, v in meta.items() if k not in STRUCTURAL_KEYS and k not in LOCAL_META_KEYS}


def read_key(key_env: str | None, key_file: Path | None, *, required: bool) -> bytes | None:
    """Key material from a key file or an environment variable (default PLANVEC_BACKUP_KEY)."""
    if key_env and key_file:
        raise UsageError("give --key-env or --key-file, not both")
    if key_file is not None:
        try:
            data = Path(key_file).expanduser().read_bytes().strip()
        except OSError as e:
            raise UsageError(f"cannot read the key file {key_file}: {e.strerror}") from e
        if not data:
            raise UsageError(f"the key file {key_file} is empty")
        return data
    var = key_env or DEFAULT_KEY_ENV
    value = os.environ.get(var)
    if value:
        return value.encode()
    if required or key_env:
        raise UsageError(
            f"no encryption key: ${var} is not set",
            hint=f"export {var}=... (a long random secret), or pass --key-file PATH",
        )
    return None


# -- re-embedding -------------------------------------------------------------------------------
def text_of(payload: dict[str, Any]) -> str:
    """The text a point's dense vector is made from."""
    for key in ("text", "title", "description", "content", "name"):
        v = payload.get(key)
        if isinstance(v, str) and v.strip():
            return v
    return ""


def sparse_text_of(payload: dict[str, Any]) -> str:
    """The BM25 text of a point, as planvec.documents builds it."""
    if payload.get("kind") == "section":
        return f"{payload.get('section') or ''} {payload.get('text') or ''}".strip()
    section = payload.get("section_path")
    sect = " ".join(section) if isinstance(section, list) else str(payload.get("section") or "")
    parts = (payload.get("task_id"), payload.get("title"), sect, payload.get("body"))
    text = " ".join(str(p) for p in parts if p)
    return text or text_of(payload)


class Reembedder:
    """Re-vectorises points from their payload text with the configured model and BM25 encoder."""

    def __init__(self, embedder: Any, sparse_encoder: Any) -> None:
        self.embedder = embedder
        self.sparse_encoder = sparse_encoder
        self.model_key = model_key(embedder, sparse_encoder)

    def __call__(self, points: Sequence[PointData | StoredPoint], sparse: bool = True) -> list[PointData]:
        texts = [text_of(p.payload) for p in points]
        empty = [p.id for p, t in zip(points, texts, strict=True) if not t]
        if empty:
            raise MigrationError(
                f"{len(empty)} point(s) have no text to embed (e.g. {empty[0]})",
                hint="their payload has no text/title/description: they cannot be re-embedded",
            )
        vecs = self.embedder.embed(texts)
        sparse_texts = [sparse_text_of(p.payload) for p in points]
        svecs = self.sparse_encoder.embed_documents(sparse_texts) if sparse else [None] * len(points)
        out = []
        for p, v, sv, text, stext in zip(points, vecs, svecs, texts, sparse_texts, strict=True):
            payload = dict(p.payload)
            if "content_hash" in payload:
                payload["content_hash"] = content_hash(f"{text}\x1e{stext}", self.model_key)
            out.append(PointData(p.id, v, payload, sv))
        return out


def to_point_data(points: Sequence[StoredPoint]) -> list[PointData]:
    out = []
    for p in points:
        if p.vector is None:
            raise StoreError(f"point {p.id} has no dense vector")
        out.append(PointData(p.id, p.vector, p.payload, p.sparse))
    return out


# -- parallel writes ----------------------------------------------------------------------------
class BatchWriter:
    """Writes batches on ``workers`` threads, at most ``2 × workers`` in flight (memory stays bounded).

    ``frontier`` is an id at or before which every point submitted so far is written: the first id
    of the oldest unfinished batch, else the last id of the last batch (a resume point).
    """

    def __init__(
        self,
        store: VectorStore,
        name: str,
        *,
        workers: int = 2,
        transform: Callable[[list[PointData]], list[PointData]] | None = None,
    ) -> None:
        self.store = store
        self.name = name
        self.transform = transform
        # qdrant-client's in-process mode (':memory:') is not thread-safe: one writer there.
        self.workers = 1 if getattr(store, "local", False) else max(1, workers)
        self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="planvec-copy")
        self._slots = threading.BoundedSemaphore(self.workers * 2)
        self._pending: dict[int, tuple[Future[int], str, str]] = {}
        self._seq = 0
        self._done_upto = -1  # every batch with seq <= this is written
        self._last_done_id: str | None = None
        self.written = 0
        self.batches_done = 0

    def _run(self, points: list[PointData]) -> int:
        try:
            if self.transform is not None:
                points = self.transform(points)
            self.store.upsert(self.name, points)
            return len(points)
        finally:
            self._slots.release()

    def submit(self, points: list[PointData]) -> None:
        if not points:
            return
        self._slots.acquire()
        try:
            fut = self._pool.submit(self._run, points)
        except BaseException:
            self._slots.release()
            raise
        self._pending[self._seq] = (fut, points[0].id, points[-1].id)
        self._seq += 1

    def collect(self, *, block: bool) -> int:
        """Reap finished batches in order (raising the first failure); returns batches newly done."""
        n = 0
        while self._pending:
            seq = min(self._pending)
            fut, _first, last = self._pending[seq]
            if not block and not fut.done():
                break
            self.written += fut.result()
            del self._pending[seq]
            self._done_upto = seq
            self._last_done_id = last
            self.batches_done += 1
            n += 1
        return n

    @property
    def pending(self) -> int:
        return len(self._pending)

    def wait_oldest(self) -> None:
        """Block until the oldest batch in flight has finished (it is reaped by :meth:`collect`)."""
        if self._pending:
            fut = self._pending[min(self._pending)][0]
            with contextlib.suppress(Exception):
                fut.exception()

    @property
    def frontier(self) -> str | None:
        if self._pending:
            return self._pending[min(self._pending)][1]
        return self._last_done_id

    def close(self) -> None:
        """Wait for the batches in flight (without raising) and stop the threads."""
        self._pool.shutdown(wait=True)


class Rate:
    """Points/s bookkeeping for reports."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()

    def seconds(self) -> float:
        return time.perf_counter() - self.t0

    def per_second(self, n: int) -> float:
        s = self.seconds()
        return round(n / s, 1) if s > 0 else 0.0
