"""Micro-batching of query embeddings.

Search requests run in worker threads; each needs one query vector. Instead of one ONNX run per query,
:class:`MicroBatcher` collects the queries that arrive within ``window`` seconds (or while the previous
batch is being embedded) and embeds them in one call, which costs far less than one call each.
Results go back to each waiting thread through a Future.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future

import numpy as np

EmbedFn = Callable[[Sequence[str]], np.ndarray]


class MicroBatcher:
    def __init__(
        self,
        embed: EmbedFn,
        window: float = 0.0015,
        max_batch: int = 64,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._embed = embed
        self.window = window
        self.max_batch = max_batch
        self._on_batch = on_batch
        self._cv = threading.Condition()
        self._pending: list[tuple[str, Future[np.ndarray]]] = []
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="planvec-query-batcher", daemon=True)
        self._thread.start()

    def embed_one(self, text: str) -> np.ndarray:
        fut: Future[np.ndarray] = Future()
        with self._cv:
            if self._closed:
                raise RuntimeError("the query batcher is closed")
            self._pending.append((text, fut))
            self._cv.notify()
        return fut.result()

    def close(self) -> None:
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        self._thread.join(timeout=10)

    def _take(self) -> list[tuple[str, Future[np.ndarray]]] | None:
        with self._cv:
            idle = not self._pending
            while not self._pending and not self._closed:
                self._cv.wait()
            if not self._pending:
                return None  # closed and drained
            if idle:  # woke up for a first query: give others a moment to join it
                deadline = time.monotonic() + self.window
                while len(self._pending) < self.max_batch and not self._closed:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    self._cv.wait(remaining)
            # not idle: queries piled up while the last batch ran; they form this batch as they are
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            return batch

    def _run(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            texts = list(dict.fromkeys(t for t, _ in batch))
            try:
                vecs = self._embed(texts)
            except BaseException as e:
                for _, fut in batch:
                    fut.set_exception(e)
                continue
            if self._on_batch is not None:
                self._on_batch(len(texts))
            row = {t: i for i, t in enumerate(texts)}
            for t, fut in batch:
                fut.set_result(vecs[row[t]])
