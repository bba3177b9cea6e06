"""L2: vectors in Redis, shared by every process and machine that embeds with the same model.

Entries expire after the TTL; the size hint caps how many stay (the oldest written go first:
a sorted set of the keys by write time, trimmed by the same script that writes). Redis being
unreachable is one :class:`~planvec.errors.CacheWarning`, then the level answers "miss" and writes
nothing until a retry succeeds; retries back off from 0.5 s to 30 s, so a Redis that comes back is
used again without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ...errors import CacheWarning
from .codec import decode, encode

log = logging.getLogger("planvec.cache")

PREFIX = "planvec:emb:"
INDEX_KEY = "planvec:emb-index"
BACKOFF_FIRST = 0.5
BACKOFF_MAX = 30.0
_WRITE_CHUNK = 500

# KEYS: the index, then the entries; ARGV: ttl ms (0: none), size cap (0: none), now ms, the values.
_PUT = """
local idx = KEYS[1]
local ttl = tonumber(ARGV[1]); local cap = tonumber(ARGV[2]); local now = tonumber(ARGV[3])
for i = 2, #KEYS do
  if ttl > 0 then redis.call('SET', KEYS[i], ARGV[i + 2], 'PX', ttl)
  else redis.call('SET', KEYS[i], ARGV[i + 2]) end
  redis.call('ZADD', idx, now, KEYS[i])
end
if ttl > 0 then redis.call('ZREMRANGEBYSCORE', idx, '-inf', now - ttl) end
local over = redis.call('ZCARD', idx) - cap
if cap > 0 and over > 0 then
  local old = redis.call('ZRANGE', idx, 0, over - 1)
  for s = 1, #old, 1000 do
    redis.call('DEL', unpack(old, s, math.min(s + 999, #old)))
  end
  redis.call('ZREMRANGEBYRANK', idx, 0, over - 1)
end
return 0
"""


def redis_client(url: str, timeout: float = 1.0) -> Any:
    """A Redis client for ``url`` (redis://, rediss://, unix://) that fails fast when it is down."""
    import redis

    return redis.Redis.from_url(
        url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
    )


class RedisLevel:
    name = "l2"

    def __init__(self, url: str, *, ttl: float, size: int, client: Any | None = None) -> None:
        self.url = url
        self.ttl_ms = max(0, int(ttl * 1000))
        self.size = max(0, int(size))
        self._client = client if client is not None else redis_client(url)
        self._script: Any | None = None
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._backoff = 0.0
        self.failures = 0

    @property
    def up(self) -> bool:
        return self._backoff == 0.0

    def get_many(self, keys: Sequence[str], dimension: int) -> dict[str, np.ndarray]:
        if not keys or not self._may_try():
            return {}
        try:
            blobs = self._client.mget([PREFIX + k for k in keys])
        except Exception as e:  # redis.RedisError, OSError: the level is down, not the run
            self._failed(e)
            return {}
        self._succeeded()
        out = {}
        for k, blob in zip(keys, blobs, strict=True):
            vec = decode(blob, dimension) if blob is not None else None
            if vec is not None:
                out[k] = vec
        return out

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        if not items or not self._may_try():
            return
        try:
            if self._script is None:
                self._script = self._client.register_script(_PUT)
            pairs = list(items.items())
            for s in range(0, len(pairs), _WRITE_CHUNK):
                part = pairs[s : s + _WRITE_CHUNK]
                self._script(
                    keys=[INDEX_KEY, *(PREFIX + k for k, _ in part)],
                    args=[self.ttl_ms, self.size, int(time.time() * 1000), *(encode(v) for _, v in part)],
                )
        except Exception as e:
            self._failed(e)
            return
        self._succeeded()

    def _may_try(self) -> bool:
        return self._backoff == 0.0 or time.monotonic() >= self._down_until

    def _failed(self, e: Exception) -> None:
        with self._lock:
            first = self._backoff == 0.0
            self._backoff = BACKOFF_FIRST if first else min(self._backoff * 2, BACKOFF_MAX)
            self._down_until = time.monotonic() + self._backoff
            self.failures += 1
        if first:
            redis_down(self.url, e)

    def _succeeded(self) -> None:
        if self._backoff:
            with self._lock:
                self._backoff = 0.0
            redis_up(self.url)

    def close(self) -> None:
        try:
            self._client.close()
        except Exception:
            log.debug("closing the Redis client failed", exc_info=True)


_outages: set[str] = set()  # the Redis URLs whose outage this process has already warned about
_outages_lock = threading.Lock()


def redis_down(url: str, e: BaseException) -> None:
    """One :class:`CacheWarning` per outage of the Redis at ``url``, whoever meets it first (the
    cache level or the index lock)."""
    with _outages_lock:
        first = url not in _outages
        _outages.add(url)
    if first:
        warnings.warn(
            f"Redis at {_safe(url)} is unreachable ({e}); going on without it (no shared embedding "
            "cache, no index lock) and retrying in the background",
            CacheWarning,
            stacklevel=5,
        )


def redis_up(url: str) -> None:
    with _outages_lock:
        was = url in _outages
        _outages.discard(url)
    if was:
        log.warning("Redis at %s is reachable again", _safe(url))


def _safe(url: str) -> str:
    """``url`` without a password."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://…@{rest.rsplit('@', 1)[1]}"
    return url
