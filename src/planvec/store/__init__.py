"""Vector stores: the VectorStore protocol, its data types, EdgeStore (embedded) and ServerStore."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .base import (
    SPARSE_NAME,
    CollectionInfo,
    CollectionSpec,
    Condition,
    Filters,
    Match,
    MatchAny,
    PointData,
    ScoredHit,
    SparseVec,
    StoredPoint,
    VectorStore,
)
from .edge import EdgeStore
from .filters import DENSE_NAME

if TYPE_CHECKING:
    from .server import ServerStore


def __getattr__(name: str) -> Any:
    # ServerStore pulls in qdrant-client (about 1.5 s of imports): loaded on first use only, so
    # commands on the embedded store start fast.
    if name == "ServerStore":
        from .server import ServerStore

        return ServerStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DENSE_NAME",
    "SPARSE_NAME",
    "CollectionInfo",
    "CollectionSpec",
    "Condition",
    "EdgeStore",
    "Filters",
    "Match",
    "MatchAny",
    "PointData",
    "ScoredHit",
    "ServerStore",
    "SparseVec",
    "StoredPoint",
    "VectorStore",
    "open_store",
]

_EDGE_KW = {"read_only", "lock_timeout", "hnsw_ef", "upsert_batch", "disk_reserve_mb"}
_SERVER_KW = {
    "api_key",
    "timeout",
    "retries",
    "prefer_grpc",
    "shard_number",
    "replication_factor",
    "write_consistency_factor",
    "batch_size",
    "hnsw_ef",
    "backoff",
}


def open_store(data_dir: Path, qdrant_url: str | None = None, **kw: Any) -> VectorStore:
    """A ServerStore when ``qdrant_url`` is given (``http(s)://...`` or ``:memory:``), else an EdgeStore.

    Keyword arguments meant for the other kind of store are ignored (so callers can pass one set of
    settings: ``read_only`` means nothing to a server, ``api_key`` nothing to the embedded store);
    unknown ones raise TypeError.
    """
    unknown = set(kw) - _EDGE_KW - _SERVER_KW
    if unknown:
        raise TypeError(f"open_store() got unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    if qdrant_url:
        from .server import ServerStore

        return ServerStore(qdrant_url, **{k: v for k, v in kw.items() if k in _SERVER_KW and v is not None})
    return EdgeStore(Path(data_dir), **{k: v for k, v in kw.items() if k in _EDGE_KW and v is not None})
