"""The per-root index lock in Redis: two processes (replicas of ``planvec serve`` on several
machines, or CLI runs) never sync the same root at once.

Each root given to an index run is a key ``planvec:index-lock:<sha256 of the path>`` set with
``SET NX PX`` to a token naming its holder (host, pid, a random part); a thread renews the lease
(``PEXPIRE`` when the token is still ours, in Lua) every third of it while the run lasts, and the
end deletes the key only when the token is still ours (compare-and-delete, in Lua), so a run never
releases a lock that expired and was taken by another. A run that finds a root locked waits
``index_lock_wait`` seconds for it, then fails with :class:`~planvec.errors.IndexLockedError`.

Redis unreachable: one :class:`~planvec.errors.CacheWarning` per outage (shared with the embedding
cache) and the run goes on unlocked, as the embedding cache goes on without L2 (the data
directory's own lock still keeps one writer per store).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ..embedding.cache.l2 import redis_client, redis_down, redis_up
from ..errors import IndexLockedError
from ..settings import Settings

log = logging.getLogger("planvec.sync")

PREFIX = "planvec:index-lock:"
_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def lock_key(root: str) -> str:
    return PREFIX + hashlib.sha256(root.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class RootLocks:
    """The locks of some roots, taken in a fixed order (no two runs wait for each other)."""

    def __init__(self, client: Any, roots: Sequence[str], *, ttl: float, wait: float) -> None:
        self.client = client
        self.roots = sorted(set(roots))
        self.ttl_ms = max(1000, int(ttl * 1000))
        self.wait = wait
        self.token = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"
        self.held: list[str] = []
        self.lost: list[str] = []
        self._stop = threading.Event()
        self._renewer: threading.Thread | None = None

    def acquire(self) -> None:
        deadline = time.monotonic() + self.wait
        for root in self.roots:
            key = lock_key(root)
            while not self.client.set(key, self.token, nx=True, px=self.ttl_ms):
                if time.monotonic() >= deadline:
                    holder = self.client.get(key)
                    self.release()
                    raise IndexLockedError(
                        f"{root} is being indexed by another process ({_text(holder) or 'unknown'}); "
                        f"waited {self.wait:g} s for its Redis index lock",
                        hint="let that run finish and try again, or wait longer with PLANVEC_INDEX_LOCK_WAIT",
                    )
                time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
            self.held.append(key)
        self._renewer = threading.Thread(target=self._renew_loop, name="planvec-index-lock", daemon=True)
        self._renewer.start()

    def _renew_loop(self) -> None:
        renew = self.client.register_script(_RENEW)
        while not self._stop.wait(self.ttl_ms / 3000):
            for key in list(self.held):
                try:
                    if not renew(keys=[key], args=[self.token, self.ttl_ms]):
                        self.held.remove(key)
                        self.lost.append(key)
                        log.warning("the index lock %s expired and was taken by another process", key)
                except Exception as e:  # Redis down for a moment: the next round retries
                    log.warning("cannot renew the index lock %s: %s", key, e)

    def release(self) -> None:
        self._stop.set()
        if self._renewer is not None:
            self._renewer.join(timeout=5)
        release = self.client.register_script(_RELEASE)
        for key in self.held:
            with contextlib.suppress(Exception):  # an unreachable Redis lets the lease expire
                release(keys=[key], args=[self.token])
        self.held = []


@contextlib.contextmanager
def index_lock(settings: Settings, paths: Sequence[str | Path]) -> Iterator[RootLocks | None]:
    """Hold the index lock of each path (resolved) while the block runs, when ``redis_url`` is set."""
    if not settings.redis_url:
        yield None
        return
    roots = [Path(p).expanduser().resolve().as_posix() for p in paths]
    client = redis_client(settings.redis_url)
    locks = RootLocks(client, roots, ttl=settings.index_lock_ttl, wait=settings.index_lock_wait)
    try:
        try:
            locks.acquire()
        except IndexLockedError:
            raise
        except Exception as e:  # redis.RedisError, OSError: Redis is down
            redis_down(settings.redis_url, e)
            locks.release()
            yield None
            return
        redis_up(settings.redis_url)
        try:
            yield locks
        finally:
            locks.release()
    finally:
        client.close()


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")
