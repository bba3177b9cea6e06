"""Hits and misses per cache level and vectors computed by the model: totals of a cached embedder
(for ``/metrics``) and, through :func:`recording`, the figures of one piece of work on this thread
(an index run's report), whatever other threads embed meanwhile."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

LEVELS = ("l1", "l2", "l3")


@dataclass(slots=True)
class CacheCounts:
    hits: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    misses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    computed: int = 0  # texts the model embedded

    def add(self, other: CacheCounts) -> None:
        for name in LEVELS:
            self.hits[name] += other.hits.get(name, 0)
            self.misses[name] += other.misses.get(name, 0)
        self.computed += other.computed

    @property
    def cache_hits(self) -> int:
        return sum(self.hits.values())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {n: {"hits": self.hits[n], "misses": self.misses[n]} for n in LEVELS}
        out["computed"] = self.computed
        return out


_local = threading.local()


@contextmanager
def recording() -> Iterator[CacheCounts]:
    """Count, into the yielded object, what every cached embedder does on this thread inside the
    block (nested blocks each see their own and their parents' figures)."""
    counts = CacheCounts()
    stack: list[CacheCounts] = getattr(_local, "stack", [])
    _local.stack = [*stack, counts]
    try:
        yield counts
    finally:
        _local.stack = stack


def note(counts: CacheCounts) -> None:
    """Add one call's figures to every :func:`recording` block open on this thread."""
    for c in getattr(_local, "stack", ()):
        c.add(counts)
