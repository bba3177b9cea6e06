"""Service-side wrappers around the Engine's embedder and store: metrics and query micro-batching.

The core stays unaware of the service: the Engine is built with these wrappers in place of the plain
embedder and store, so every embedding and store call it makes is timed and counted here.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from ..embedding.base import Embedder, embed_queries
from ..store.base import VectorStore
from .batching import MicroBatcher
from .metrics import ServiceMetrics

# store methods worth counting, and whether their first argument is a collection name
_STORE_OPS = {
    "create_collection": False,
    "delete_collection": True,
    "list_collections": False,
    "collection_info": True,
    "get_meta": True,
    "set_meta": True,
    "upsert": True,
    "overwrite_payload": True,
    "delete": True,
    "scroll": True,
    "retrieve": True,
    "count": True,
    "search": True,
    "search_batch": True,
    "distinct_values": True,
    "optimize": True,
    "flush": False,
}

_ctx = threading.local()


@contextmanager
def document_embedding() -> Iterator[None]:
    """Within this block (a write job), embeddings are documents: never routed through the batcher."""
    prev = getattr(_ctx, "documents", False)
    _ctx.documents = True
    try:
        yield
    finally:
        _ctx.documents = prev


class InstrumentedStore:
    """Delegates to a VectorStore, counting each operation in ``qdrant_operations_total``."""

    def __init__(self, inner: VectorStore, metrics: ServiceMetrics) -> None:
        self._inner = inner
        self._counter = metrics.qdrant_operations

    @property
    def inner(self) -> VectorStore:
        return self._inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name not in _STORE_OPS or not callable(attr):
            return attr
        named = _STORE_OPS[name]
        counter = self._counter

        def call(*args: Any, **kw: Any) -> Any:
            coll = args[0] if named and args and isinstance(args[0], str) else "-"
            if name == "create_collection" and args:
                coll = getattr(args[0], "name", "-")
            # a batch of searches counts as that many searches
            op, n = ("search", len(args[1])) if name == "search_batch" and len(args) > 1 else (name, 1)
            try:
                rv = attr(*args, **kw)
            except BaseException:
                counter.labels(op, coll, "error").inc(n)
                raise
            counter.labels(op, coll, "success").inc(n)
            return rv

        return call


class ServiceEmbedder:
    """The Engine's embedder: single query texts go through the micro-batcher; every call is timed."""

    def __init__(self, inner: Embedder, metrics: ServiceMetrics, batch_window: float) -> None:
        self._inner = inner
        self._hist = metrics.vectorization
        self._batch_sizes = metrics.query_batch
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self.batcher: MicroBatcher | None = None
        if batch_window > 0:
            self.batcher = MicroBatcher(
                lambda texts: self._timed("query", texts), batch_window, on_batch=metrics.query_batch.observe
            )

    @property
    def inner(self) -> Embedder:
        return self._inner

    def count_tokens(self, text: str) -> int:
        return self._inner.count_tokens(text)

    def embed(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        documents = getattr(_ctx, "documents", False)
        if len(texts) == 1 and not documents and self.batcher is not None:
            return self.batcher.embed_one(texts[0])[None, :]  # (the batcher counts its batches)
        if not documents:  # the new queries of one search or of a batch of searches
            self._batch_sizes.observe(len(texts))
        return self._timed("document" if documents else "query", texts, progress)

    def _timed(
        self, kind: str, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        t0 = time.perf_counter()
        ok = "false"
        try:
            if kind == "query":  # e5-style models embed queries with their own prefix
                vecs = embed_queries(self._inner, texts)
            else:
                vecs = self._inner.embed(texts, progress=progress)
            ok = "true"
            return vecs
        finally:
            self._hist.labels(kind, ok).observe(time.perf_counter() - t0)

    def close(self) -> None:
        if self.batcher is not None:
            self.batcher.close()
