"""The VectorStore protocol and the plain data types that cross it.

A store knows collections, points and filters; nothing about Markdown or models. Point ids are UUID
strings. Dense vectors are float32, L2-normalised, compared by cosine. Collections that hold
BM25 sparse vectors name the sparse vector ``bm25`` (IDF modifier on the store side).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol, runtime_checkable

import numpy as np

SPARSE_NAME = "bm25"


@dataclass(frozen=True, slots=True)
class SparseVec:
    indices: tuple[int, ...]
    values: tuple[float, ...]


@dataclass(slots=True)
class PointData:
    """A point to write."""

    id: str
    vector: np.ndarray  # shape (dim,), float32
    payload: dict[str, Any]
    sparse: SparseVec | None = None


@dataclass(frozen=True, slots=True)
class StoredPoint:
    """A point read back."""

    id: str
    payload: dict[str, Any]
    vector: np.ndarray | None = None
    sparse: SparseVec | None = None


# A point as bulk readers take it (EdgeStore.scroll_raw, validate-migration's readers): id (str or
# uuid.UUID), dense vector as float32 bytes or None, (sparse indices, values) or None, payload.
RawRow = tuple[Any, bytes | None, tuple[list[int], list[float]] | None, dict[str, Any]]


class ScoredHit(NamedTuple):
    """A search hit. (A named tuple: searches build hundreds of them per request, and a tuple is
    built in a third of the time of a frozen dataclass.)"""

    id: str
    score: float
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CollectionSpec:
    """How to create a collection."""

    name: str
    dimension: int
    model: str  # model id recorded with the collection
    distance: str = "Cosine"
    sparse: bool = True  # also hold a BM25 sparse vector named SPARSE_NAME
    # payload field -> schema ("keyword", "bool", ...): declared by the kind that owns the collection
    payload_indexes: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CollectionInfo:
    name: str
    dimension: int
    distance: str
    points: int
    model: str | None  # from the collection metadata; None if unknown
    sparse: bool
    meta: dict[str, Any]  # all metadata (model, dimension, last_sync, ...)
    payload_indexes: dict[str, str]
    indexed_points: int | None = None
    segments: int | None = None


@dataclass(frozen=True, slots=True)
class Match:
    """The payload field ``key`` equals ``value`` (for an array field: one of its elements does)."""

    key: str
    value: str | bool | int


@dataclass(frozen=True, slots=True)
class MatchAny:
    """The payload field ``key`` is one of ``values`` (an empty tuple matches nothing)."""

    key: str
    values: tuple[str, ...]


Condition = Match | MatchAny


@dataclass(frozen=True, slots=True)
class Filters:
    """Generic payload conditions, all ANDed; no condition matches every point.

    A kind's filter model turns its user-level filters (``--status``, ``--file`` ...) into these:
    a prefix or a set of words is a :class:`Match` on an array field the kind writes for it.
    """

    must: tuple[Condition, ...] = ()

    def is_empty(self) -> bool:
        return not self.must


@runtime_checkable
class VectorStore(Protocol):
    """Storage of vectors + payloads by collection. Implementations: EdgeStore, ServerStore."""

    def create_collection(self, spec: CollectionSpec) -> None:
        """Create if missing. If present with another dimension, raise DimensionMismatch."""

    def delete_collection(self, name: str) -> None:
        """Remove a collection and its data; no error if absent."""

    def list_collections(self) -> list[str]: ...

    def dense_index(self, name: str) -> str | None:
        """How dense searches of ``name`` run: "plain" (every segment scanned in full, as an
        exact search is), "hnsw", "mixed" (both kinds of segments), or None when not known."""

    def collection_info(self, name: str) -> CollectionInfo | None:
        """None when the collection does not exist."""

    def get_meta(self, name: str) -> dict[str, Any]: ...

    def set_meta(self, name: str, meta: dict[str, Any]) -> None:
        """Merge keys into the collection metadata (model, dimension, last_sync, ...)."""

    def upsert(self, name: str, points: Sequence[PointData]) -> None:
        """Insert or replace points (vector + sparse + payload). Durable once flush() returns."""

    def overwrite_payload(self, name: str, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """Replace the whole payload of existing points, keeping their vectors."""

    def delete(self, name: str, ids: Sequence[str]) -> None: ...

    def scroll(
        self,
        name: str,
        *,
        fields: Sequence[str] | None = None,
        with_vectors: bool = False,
        batch_size: int = 1024,
        offset: str | None = None,
    ) -> Iterator[StoredPoint]:
        """Every point of the collection, in id order. ``fields`` limits the payload keys (None = all).

        ``offset``: start at this point id (inclusive), as Qdrant's scroll offset.
        """

    def retrieve(self, name: str, ids: Sequence[str], *, with_vectors: bool = False) -> list[StoredPoint]:
        """Points that exist among ``ids`` (missing ids are left out)."""

    def count(self, name: str, filters: Filters | None = None) -> int: ...

    def search(
        self,
        name: str,
        query: np.ndarray | SparseVec,
        *,
        filters: Filters | None = None,
        limit: int = 10,
        exact: bool = False,
        with_payload: bool = True,
    ) -> list[ScoredHit]:
        """Dense (np.ndarray) or BM25 sparse (SparseVec) nearest neighbours, best first.

        ``exact`` bypasses the HNSW index (brute force): what the data gives, whatever the index.
        ``with_payload=False`` returns empty payloads (cheaper: for candidates that are fused first).
        """

    def search_batch(
        self,
        name: str,
        queries: Sequence[tuple[np.ndarray | SparseVec, Filters | None, int]],
        *,
        with_payload: bool = True,
    ) -> list[list[ScoredHit]]:
        """Several searches of one collection, as ``(query, filters, limit)``: the hits of one
        :meth:`search` each (a store may run them together, more cheaply)."""

    def search_spec(self, name: str) -> tuple[int, bool] | None:
        """``(dimension, has BM25 vectors)`` of a collection, None when it does not exist: what a
        search needs, as cheaply as the store can tell it (cached where it can)."""

    def distinct_values(self, name: str, field: str) -> list[str]:
        """Distinct values of a keyword payload field (e.g. to resolve a file glob)."""

    def optimize(self, name: str) -> None:
        """Build indexes after a bulk load (no-op where the store does it itself)."""

    def flush(self) -> None: ...

    def close(self) -> None: ...

    # -- capabilities: what one store can do and the other answers with NotSupported -------------
    def lock_status(self) -> LockStatus:
        """Who holds this store's data directory (the embedded store's writer lock and readers).
        NotSupported: a server store has no data directory to lock."""

    def server_version(self) -> str | None:
        """What answers for this store: the engine and its version (e.g. ``qdrant-edge-py 0.9.1``,
        ``1.12.4`` for a Qdrant server); None when it does not say."""

    def shard_files(self) -> ShardFiles:
        """File-level copies of whole collections (the embedded store's shard directories).
        NotSupported: a server's collections are reachable through its API only."""

    def scroll_raw(self, name: str, *, batch_size: int = 1024) -> Iterator[tuple[int, Iterator[RawRow]]]:
        """Every point of ``name`` in id order, for bulk readers (validate-migration): batches of
        ``(count, rows)``; iterate each batch's rows before asking for the next batch."""


@dataclass(frozen=True, slots=True)
class LockStatus:
    """The state of a data directory's lock, as :meth:`VectorStore.lock_status` reports it.

    ``held`` is True when a writer of another process holds it, ``"by this process"`` when this
    process is the writer, False when no writer holds it (readers may).
    """

    path: str
    held: bool | str = False
    writer_pid: int | None = None
    writer_alive: bool | None = None
    reader_pids: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "writer_pid": self.writer_pid,
            "writer_alive": self.writer_alive,
            "held": self.held,
            "reader_pids": list(self.reader_pids),
        }


@runtime_checkable
class ShardFiles(VectorStore, Protocol):
    """A store whose collections can also be copied file by file (see :meth:`VectorStore.shard_files`)."""

    data_dir: Path
    read_only: bool

    def is_loaded(self, name: str) -> bool:
        """Whether this process has loaded ``name``'s files (then no other process may)."""

    def collection_info(self, name: str, *, load: bool = True) -> CollectionInfo | None:
        """``load=False``: from the metadata alone, without loading the collection."""

    def collection_files(self, name: str) -> Path:
        """The directory to copy (a read-only store only: its lock keeps writers out)."""

    def install_copy(
        self,
        source_dir: Path,
        name: str,
        meta: dict[str, Any],
        progress: Callable[[int, int], None] | None = None,
        copied: Callable[[], None] | None = None,
        *,
        load: bool = True,
    ) -> None:
        """Install a copy of another store's :meth:`collection_files` as collection ``name``."""
