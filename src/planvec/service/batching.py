"""Micro-batching of query embeddings.

Search requests run in worker threads; each needs one query vector. Instead of one ONNX run per query,
:class:`MicroBatcher` collects the queries that arrive within ``window`` seconds (or while the previous
batch is being embedded) and embeds them in one call, which costs far less than one call each.
Results go back to each waiting thread through a Future.

:class:`SearchBatcher` does the same for the searches themselves: one worker thread takes every
search request waiting (those that arrived while it ran the previous ones) and runs them with
``Engine.search_many`` (one Qdrant Edge batch per collection, one payload read), then answers them
on the event loop with one wake-up per batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Generic, TypeVar

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


Req = TypeVar("Req")
Res = TypeVar("Res")


class SearchBatcher(Generic[Req, Res]):
    """Runs ``run(requests) -> results`` (one result or exception per request, in order) on
    ``workers`` threads over every request that is waiting, and answers each request's asyncio
    future on its event loop. Searches hold the GIL almost all the time (Python, and Qdrant Edge
    holds it too), so one thread working through batches beats many threads taking turns."""

    def __init__(
        self,
        run: Callable[[list[Req]], Sequence[Res | BaseException]],
        *,
        workers: int = 1,
        max_batch: int = 64,
    ) -> None:
        self._run_batch = run
        self.max_batch = max_batch
        self._cv = threading.Condition()
        self._pending: list[tuple[Req, asyncio.Future[Res], asyncio.AbstractEventLoop]] = []
        self._closed = False
        self._threads = [
            threading.Thread(target=self._work, name=f"planvec-search_{i}", daemon=True)
            for i in range(max(1, workers))
        ]
        for t in self._threads:
            t.start()

    async def submit(self, request: Req) -> Res:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Res] = loop.create_future()
        with self._cv:
            if self._closed:
                raise RuntimeError("the search batcher is closed")
            self._pending.append((request, fut, loop))
            self._cv.notify()
        return await fut

    def close(self) -> None:
        """Answer what is queued, then stop the workers."""
        with self._cv:
            self._closed = True
            self._cv.notify_all()
        for t in self._threads:
            t.join(timeout=30)

    def _take(self) -> list[tuple[Req, asyncio.Future[Res], asyncio.AbstractEventLoop]] | None:
        with self._cv:
            while not self._pending and not self._closed:
                self._cv.wait()
            if not self._pending:
                return None  # closed and drained
            batch = self._pending[: self.max_batch]
            del self._pending[: self.max_batch]
            return batch

    def _work(self) -> None:
        while True:
            batch = self._take()
            if batch is None:
                return
            live = [item for item in batch if not item[1].cancelled()]  # (clients gone)
            if not live:
                continue
            try:
                results: Sequence[Res | BaseException] = self._run_batch([req for req, _, _ in live])
            except BaseException as e:
                results = [e] * len(live)
            by_loop: dict[
                asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Res], Res | BaseException]]
            ] = {}
            for (_, fut, loop), res in zip(live, results, strict=True):
                by_loop.setdefault(loop, []).append((fut, res))
            for loop, answers in by_loop.items():
                with contextlib.suppress(RuntimeError):  # that loop is closed: nobody waits any more
                    loop.call_soon_threadsafe(_answer, answers)


def _answer(answers: list[tuple[asyncio.Future[Res], Res | BaseException]]) -> None:
    for fut, res in answers:
        if fut.done():
            continue
        if isinstance(res, BaseException):
            fut.set_exception(res)
        else:
            fut.set_result(res)
