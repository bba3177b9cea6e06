"""CachedEmbedder: an :class:`~planvec.embedding.base.Embedder` that asks the cache levels before
its model, and gives the model only the texts no level holds (each distinct text once)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..base import Embedder
from .codec import cache_key
from .layered import LayeredCache
from .stats import CacheCounts, note


class CachedEmbedder:
    """``inner`` behind ``cache``. Vectors are keyed by the model's identity (``model_id``, the
    ``fingerprint`` of its weights and configuration when the embedder has one, the dimension),
    the embedder's ``cache_namespace`` when it has one (read at each call: a model that embeds
    queries and documents differently says which it is doing) and the exact text."""

    def __init__(self, inner: Embedder, cache: LayeredCache) -> None:
        self._inner = inner
        self.cache = cache
        self.model_id = inner.model_id
        self.dimension = inner.dimension
        self.max_tokens = inner.max_tokens
        self._identity: str | None = None
        self._lock = threading.Lock()
        self.totals = CacheCounts()

    @property
    def inner(self) -> Embedder:
        return self._inner

    @property
    def identity(self) -> str:
        if self._identity is None:
            fingerprint = getattr(self._inner, "fingerprint", None) or ""
            self._identity = f"{self.model_id}\x1f{fingerprint}\x1f{self.dimension}"
        return self._identity

    def count_tokens(self, text: str) -> int:
        return self._inner.count_tokens(text)

    def embed(self, texts: Sequence[str], *, progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if not texts:
            return out
        namespace = str(getattr(self._inner, "cache_namespace", "") or "")
        keys = [cache_key(self.identity, namespace, t) for t in texts]
        counts = CacheCounts()
        found = self.cache.get_many(keys, self.dimension, counts)
        todo: dict[str, str] = {}  # key -> text, for the texts no level holds
        for k, t in zip(keys, texts, strict=True):
            if k not in found:
                todo.setdefault(k, t)
        served = sum(1 for k in keys if k in found)
        if progress and served:
            progress(served)
        if todo:
            pending = list(todo.values())
            vecs = self._inner.embed(pending, progress=progress) if progress else self._inner.embed(pending)
            counts.computed += len(todo)
            fresh = {k: np.asarray(v, dtype=np.float32) for k, v in zip(todo, vecs, strict=True)}
            self.cache.put_many({k: v for k, v in fresh.items() if np.isfinite(v).all()})
            found.update(fresh)
        for i, k in enumerate(keys):
            out[i] = found[k]
        with self._lock:
            self.totals.add(counts)
        note(counts)
        return out

    def stats(self) -> CacheCounts:
        """The totals since this embedder was built (a copy)."""
        with self._lock:
            snap = CacheCounts()
            snap.add(self.totals)
            return snap

    def close(self) -> None:
        self.cache.close()

    def __getattr__(self, name: str) -> Any:
        # what else the model offers (warm_up, batch_size, ...), for callers that use it
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._inner, name)


def find_cached(embedder: object) -> CachedEmbedder | None:
    """The CachedEmbedder ``embedder`` is or wraps (following ``inner``), or None."""
    seen = 0
    e: object | None = embedder
    while e is not None and seen < 8:
        if isinstance(e, CachedEmbedder):
            return e
        e = getattr(e, "inner", None)
        seen += 1
    return None
