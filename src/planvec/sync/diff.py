"""Incremental sync: diff store documents against what the store holds, then apply the difference.

The store is the state: every point carries ``content_hash`` (dense text + sparse text + model and
BM25 config), ``payload_hash``, ``root`` and ``file``. A run:

1. reads ``(id, content_hash, payload_hash, root, file)`` of every point back from the store;
2. classifies each document as added, changed (content differs: embed), moved (payload differs
   only: rewrite the payload, keep the vector) or unchanged; points in scope (:class:`Scope`: the
   files the run was asked to look at) that no document claims any more are deleted;
3. embeds only added/changed texts (reusing a stored vector when an identical text already exists
   under another id), upserts them in batches, rewrites moved payloads, and only then deletes.

Upsert before delete: a run killed at any point leaves every document with at least its old
points, and the next run converges to exactly the files' state.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..embedding.base import Embedder
from ..globs import selects
from ..records import StoreDoc
from ..store.base import PointData, SparseVec, VectorStore

ProgressFn = Callable[[str, int, int], None]  # (stage, done, total)

_STATE_FIELDS = ("content_hash", "payload_hash", "root", "file")


@dataclass(frozen=True, slots=True)
class Scope:
    """Which existing points this run speaks for, i.e. may delete when no document claims them.

    A point's file (``root/file``, absolute) is in scope when it was named explicitly (``files``), or
    lies under one of ``dirs`` with a path relative to that directory that ``include``/``exclude``
    select, whether or not it still exists on disk. ``prune`` takes every file under ``dirs`` instead.
    Files in ``protected`` (parse failures) keep their existing points. A narrower include therefore
    narrows what a run reads and what it may delete alike: the points of other files stay.
    """

    dirs: tuple[str, ...] = ()
    files: frozenset[str] = frozenset()
    protected: frozenset[str] = frozenset()
    include: tuple[str, ...] = ("**",)
    exclude: tuple[str, ...] = ()
    prune: bool = False

    @property
    def roots(self) -> list[str]:
        """The directories and files this run looks at (absolute POSIX paths)."""
        return [*self.dirs, *sorted(self.files)]

    def covers(self, root: Any, file: Any) -> bool:
        if not isinstance(root, str) or not isinstance(file, str):
            return False
        full = f"{root.rstrip('/')}/{file}"
        if full in self.protected:
            return False
        if full in self.files:
            return True
        for d in self.dirs:
            prefix = d.rstrip("/") + "/"
            if full.startswith(prefix) and (
                self.prune or selects(full[len(prefix) :], self.include, self.exclude)
            ):
                return True
        return False


@dataclass(slots=True)
class CollectionDiff:
    collection: str
    added: list[StoreDoc] = field(default_factory=list)
    changed: list[StoreDoc] = field(default_factory=list)
    moved: list[StoreDoc] = field(default_factory=list)
    unchanged: int = 0
    deleted: list[str] = field(default_factory=list)
    # content_hash -> id of an existing point holding that exact text (vector reuse)
    reusable: dict[str, str] = field(default_factory=dict)

    @property
    def to_embed(self) -> list[StoreDoc]:
        return self.added + self.changed


@dataclass(slots=True)
class ApplyStats:
    embedded: int = 0
    reused: int = 0
    embed_seconds: float = 0.0
    write_seconds: float = 0.0


def diff_collection(
    store: VectorStore, collection: str, docs: Sequence[StoreDoc], scope: Scope, *, full: bool = False
) -> CollectionDiff:
    """Compare documents with the store's points. ``full`` re-embeds every document."""
    diff = CollectionDiff(collection)
    existing: dict[str, tuple[Any, Any]] = {}
    if store.collection_info(collection) is not None:
        for p in store.scroll(collection, fields=_STATE_FIELDS):
            ch = p.payload.get("content_hash")
            existing[p.id] = (ch, p.payload.get("payload_hash"))
            if isinstance(ch, str):
                diff.reusable.setdefault(ch, p.id)
            if scope.covers(p.payload.get("root"), p.payload.get("file")):
                diff.deleted.append(p.id)  # provisional: removed below when a document claims it
    claimed = set()
    for d in docs:
        claimed.add(d.point_id)
        old = existing.get(d.point_id)
        if old is None:
            diff.added.append(d)
        elif full or old[0] != d.content_hash:
            diff.changed.append(d)
        elif old[1] != d.payload_hash:
            diff.moved.append(d)
        else:
            diff.unchanged += 1
    diff.deleted = [pid for pid in diff.deleted if pid not in claimed]
    if full:
        diff.reusable.clear()
    return diff


def apply_diff(
    store: VectorStore,
    diff: CollectionDiff,
    embedder: Embedder,
    sparse_encoder: Any | None,
    *,
    batch_size: int = 256,
    progress: ProgressFn | None = None,
) -> ApplyStats:
    """Embed, upsert, rewrite payloads, then delete. Returns counts and timings."""
    stats = ApplyStats()
    name = diff.collection
    todo = diff.to_embed
    total = len(todo)
    done = 0
    # Embed in groups large enough for length-sorted batching, upsert each group at once so a
    # killed run keeps what it finished.
    group = max(batch_size, 512)
    for start in range(0, total, group):
        chunk = todo[start : start + group]
        ticks = [start, start + len(chunk)]

        def on_batch(n: int, ticks: list[int] = ticks) -> None:  # each embedder batch moves the bar
            ticks[0] = min(ticks[0] + n, ticks[1])
            if progress:
                progress(f"embedding {name}", ticks[0], total)

        vectors = _vectors_for(store, diff, chunk, embedder, stats, on_batch if progress else None)
        t0 = time.perf_counter()
        sparse = _sparse_for(sparse_encoder, chunk)
        points = [
            PointData(
                id=d.point_id, vector=vectors[i], payload=d.payload, sparse=sparse[i] if sparse else None
            )
            for i, d in enumerate(chunk)
        ]
        store.upsert(name, points)  # the store cuts its own write batches
        stats.write_seconds += time.perf_counter() - t0
        done += len(chunk)
        if progress:
            progress(f"embedding {name}", done, total)
    t0 = time.perf_counter()
    for b in range(0, len(diff.moved), batch_size):
        store.overwrite_payload(name, [(d.point_id, d.payload) for d in diff.moved[b : b + batch_size]])
    for b in range(0, len(diff.deleted), batch_size):
        store.delete(name, diff.deleted[b : b + batch_size])
    stats.write_seconds += time.perf_counter() - t0
    return stats


def _vectors_for(
    store: VectorStore,
    diff: CollectionDiff,
    chunk: Sequence[StoreDoc],
    embedder: Embedder,
    stats: ApplyStats,
    on_batch: Callable[[int], None] | None = None,
) -> np.ndarray:
    out = np.zeros((len(chunk), embedder.dimension), dtype=np.float32)
    reuse = {i: diff.reusable[d.content_hash] for i, d in enumerate(chunk) if d.content_hash in diff.reusable}
    if reuse:
        got = {
            p.id: p.vector
            for p in store.retrieve(diff.collection, list(set(reuse.values())), with_vectors=True)
        }
        for i, pid in list(reuse.items()):
            vec = got.get(pid)
            if vec is not None and vec.shape == (embedder.dimension,):
                out[i] = vec
            else:
                del reuse[i]
    stats.reused += len(reuse)
    # Identical texts inside the chunk are embedded once.
    need: dict[str, list[int]] = {}
    for i, d in enumerate(chunk):
        if i not in reuse:
            need.setdefault(d.text, []).append(i)
    if need:
        t0 = time.perf_counter()
        texts = list(need)
        vecs = embedder.embed(texts, progress=on_batch) if on_batch else embedder.embed(texts)
        stats.embed_seconds += time.perf_counter() - t0
        stats.embedded += len(texts)
        for text, vec in zip(texts, vecs, strict=True):
            for i in need[text]:
                out[i] = vec
    return out


def _sparse_for(encoder: Any | None, chunk: Sequence[StoreDoc]) -> list[SparseVec] | None:
    if encoder is None:
        return None
    return list(encoder.embed_documents([d.sparse_text for d in chunk]))
