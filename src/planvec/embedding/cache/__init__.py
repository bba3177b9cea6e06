"""The multi-level embedding cache: L1 memory (LRU), L2 Redis (optional, shared), L3 SQLite on disk.

:class:`CachedEmbedder` wraps any embedder; :func:`build_cache` makes the levels the settings name.
"""

from __future__ import annotations

from pathlib import Path

from .embedder import CachedEmbedder, find_cached
from .l1 import MemoryLevel
from .l2 import RedisLevel, redis_client
from .l3 import FILE_NAME, DiskLevel
from .layered import LayeredCache, Level
from .stats import LEVELS, CacheCounts, recording

__all__ = [
    "FILE_NAME",
    "LEVELS",
    "CacheCounts",
    "CachedEmbedder",
    "DiskLevel",
    "LayeredCache",
    "Level",
    "MemoryLevel",
    "RedisLevel",
    "build_cache",
    "find_cached",
    "recording",
    "redis_client",
]


def build_cache(
    *,
    l1_size: int,
    redis_url: str | None,
    l2_ttl: float,
    l2_size: int,
    l3_path: Path | None,
    l3_size: int,
) -> LayeredCache:
    """The levels in order; a level whose size is 0 (or L2 without a URL) is left out."""
    levels: list[Level] = []
    if l1_size > 0:
        levels.append(MemoryLevel(l1_size))
    if redis_url:
        levels.append(RedisLevel(redis_url, ttl=l2_ttl, size=l2_size))
    if l3_path is not None and l3_size > 0:
        levels.append(DiskLevel(l3_path, l3_size))
    return LayeredCache(levels)
