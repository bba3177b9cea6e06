"""Per-client token bucket: ``rate`` tokens per second, at most ``burst`` saved up."""

from __future__ import annotations

import threading
import time

MAX_BUCKETS = 10_000


class TokenBucketLimiter:
    def __init__(self, rate: float, burst: int) -> None:
        self.rate = float(rate)
        self.burst = float(max(1, burst))
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, last refill)
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def acquire(self, key: str) -> float:
        """0.0 when the request may go ahead, else the seconds to wait before a token is there."""
        if not self.enabled:
            return 0.0
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[key] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > MAX_BUCKETS:  # forget the idlest clients (full buckets anyway)
                for k, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: MAX_BUCKETS // 10]:
                    del self._buckets[k]
        return wait
