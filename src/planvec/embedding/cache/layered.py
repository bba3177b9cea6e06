"""The cache levels in order (memory, Redis, disk): a read asks each level for what the ones
before it missed, and fills those levels with what it found; a write goes to every level."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

import numpy as np

from .stats import CacheCounts


class Level(Protocol):
    name: str

    def get_many(self, keys: Sequence[str], dimension: int) -> dict[str, np.ndarray]:
        """The intact vectors of ``dimension`` held for ``keys`` (an entry that is not: absent)."""

    def put_many(self, items: Mapping[str, np.ndarray]) -> None: ...

    def close(self) -> None: ...


class LayeredCache:
    def __init__(self, levels: Sequence[Level]) -> None:
        self.levels = list(levels)

    def get_many(self, keys: Sequence[str], dimension: int, counts: CacheCounts) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        remaining = list(dict.fromkeys(keys))
        for i, level in enumerate(self.levels):
            if not remaining:
                break
            got = level.get_many(remaining, dimension)
            counts.hits[level.name] = counts.hits.get(level.name, 0) + len(got)
            counts.misses[level.name] = counts.misses.get(level.name, 0) + len(remaining) - len(got)
            if got:
                for upper in self.levels[:i]:
                    upper.put_many(got)
                found.update(got)
                remaining = [k for k in remaining if k not in got]
        return found

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        for level in self.levels:
            level.put_many(items)

    def level(self, name: str) -> Level | None:
        return next((lv for lv in self.levels if lv.name == name), None)

    def close(self) -> None:
        for level in self.levels:
            level.close()
