"""L1: the vectors of this process, in memory, least recently used evicted first."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence

import numpy as np


class MemoryLevel:
    """A thread-safe LRU of ``size`` vectors (0: holds nothing)."""

    name = "l1"

    def __init__(self, size: int) -> None:
        self.size = max(0, int(size))
        self._data: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get_many(self, keys: Sequence[str], dimension: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        with self._lock:
            for k in keys:
                vec = self._data.get(k)
                if vec is not None and vec.shape == (dimension,):
                    self._data.move_to_end(k)
                    out[k] = vec
        return out

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        if not self.size:
            return
        with self._lock:
            for k, vec in items.items():
                self._data[k] = vec
                self._data.move_to_end(k)
            while len(self._data) > self.size:
                self._data.popitem(last=False)

    def __len__(self) -> int:
        return len(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def close(self) -> None:
        pass
