"""Wiring: the embedder, the BM25 encoder and the store that the settings name, built here only.

The CLI, the service, the engine, the operations that open other stores (migrate, validate) and
the tests all build them through these functions, so a new setting is read in one place. A store
location (a data directory or a Qdrant URL given on the command line) is the configured settings
with another ``data_dir`` or ``qdrant_url``: it keeps every other store setting (timeouts,
retries, ``hnsw_ef``, the disk reserve, the API key).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .embedding.base import Embedder
from .settings import Settings
from .store.base import VectorStore


def is_url(location: str) -> bool:
    """Whether a store location names a Qdrant server (or ':memory:') rather than a data directory."""
    return location == ":memory:" or location.startswith(("http://", "https://"))


def embedder_from_settings(s: Settings, *, cache: bool = True) -> Embedder:
    """The dense embedder the settings name (built lazily by the backend: cheap until first used),
    behind the embedding cache levels they name unless ``cache`` is False (the bare model)."""
    from .embedding import load_embedder

    inner = load_embedder(
        s.embedder, model_path=s.model_path, cache_dir=s.cache_dir, batch_size=s.batch_size, threads=s.threads
    )
    return with_cache(inner, s) if cache else inner


def with_cache(embedder: Embedder, s: Settings) -> Embedder:
    """``embedder`` behind the cache levels the settings name (L1 memory, L2 Redis, L3 disk); an
    embedder that already is or wraps a cached one is returned as it is."""
    from .embedding.cache import CachedEmbedder, build_cache, find_cached

    if find_cached(embedder) is not None:
        return embedder
    cache = build_cache(
        l1_size=s.cache_l1_size,
        redis_url=s.redis_url,
        l2_ttl=s.cache_l2_ttl,
        l2_size=s.cache_l2_size,
        l3_path=l3_path(s),
        l3_size=s.cache_l3_size,
    )
    return CachedEmbedder(embedder, cache)


def l3_path(s: Settings) -> Path:
    """Where the disk embedding cache lives: ``cache_l3_path``, else under the cache directory."""
    if s.cache_l3_path is not None:
        return Path(s.cache_l3_path).expanduser()
    from .embedding.cache import FILE_NAME
    from .embedding.onnx import default_cache_dir

    base = Path(s.cache_dir).expanduser() if s.cache_dir else default_cache_dir()
    return base / FILE_NAME


def sparse_encoder() -> Any:
    """The BM25 encoder (one configuration, recorded in each collection's metadata as ``bm25``)."""
    from .embedding.bm25 import Bm25Encoder

    return Bm25Encoder()


def store_from_settings(s: Settings, *, read_only: bool) -> VectorStore:
    """The store the settings name (``qdrant_url``, else the data directory), opened with every
    store setting."""
    from .store import open_store

    return open_store(
        Path(s.data_dir).expanduser(),
        s.qdrant_url,
        api_key=s.qdrant_api_key,
        timeout=s.qdrant_timeout,
        retries=s.qdrant_retries,
        hnsw_ef=s.hnsw_ef,
        read_only=read_only,
        disk_reserve_mb=s.disk_reserve_mb,
    )


def location_settings(location: str | Path, s: Settings | None = None) -> Settings:
    """The settings of the store at ``location``: ``s`` (default: the environment's) pointed at
    that data directory or Qdrant URL."""
    base = s if s is not None else Settings()
    loc = str(location)
    if is_url(loc):
        return base.model_copy(update={"qdrant_url": loc})
    return base.model_copy(update={"qdrant_url": None, "data_dir": Path(loc).expanduser()})


def model_meta(embedder: Embedder, sparse: Any) -> dict[str, Any]:
    """What a collection's metadata records of the models its vectors come from."""
    return {"model": embedder.model_id, "dimension": embedder.dimension, "bm25": sparse.config_id}


def model_key(embedder: Embedder, sparse: Any) -> str:
    """What a stored vector depends on besides its text: dense model and BM25 configuration (part
    of every point's ``content_hash``)."""
    return f"{embedder.model_id}|{sparse.config_id}"
