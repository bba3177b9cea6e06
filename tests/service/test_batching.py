"""Micro-batcher and path confinement, without a model or a store."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from planvec.service.batching import MicroBatcher, SearchBatcher
from planvec.service.errors import ApiError
from planvec.service.paths import resolve_inside
from planvec.service.ratelimit import TokenBucketLimiter


def test_concurrent_queries_are_batched_and_answered_in_order() -> None:
    calls: list[int] = []
    lock = threading.Lock()

    def embed(texts: Sequence[str]) -> np.ndarray:
        with lock:
            calls.append(len(texts))
        return np.array([[float(len(t)), float(t.count("a"))] for t in texts], dtype=np.float32)

    b = MicroBatcher(embed, window=0.02, max_batch=64)
    texts = [("a" * i) + "b" * (i % 3) for i in range(1, 41)]
    with ThreadPoolExecutor(40) as pool:
        out = list(pool.map(b.embed_one, texts))
    b.close()
    for t, v in zip(texts, out, strict=True):
        assert v[0] == len(t) and v[1] == t.count("a")
    assert sum(calls) == 40 and len(calls) < 40  # fewer model calls than queries


def test_batcher_passes_errors_to_every_waiter() -> None:
    def embed(texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model broke")

    b = MicroBatcher(embed, window=0.001)
    with pytest.raises(RuntimeError, match="model broke"):
        b.embed_one("x")
    b.close()
    with pytest.raises(RuntimeError):
        b.embed_one("y")


def test_search_batcher_answers_each_request_with_its_own_result_or_error() -> None:
    sizes: list[int] = []
    gate = threading.Event()

    def run(reqs: list[int]) -> list[object]:
        gate.wait(5)  # the first batch holds the worker while the others queue up
        sizes.append(len(reqs))
        return [ValueError(f"bad {r}") if r % 7 == 3 else r * 10 for r in reqs]

    b: SearchBatcher[int, int] = SearchBatcher(run, workers=1)

    async def main() -> list[object]:
        tasks = [asyncio.ensure_future(b.submit(i)) for i in range(40)]
        await asyncio.sleep(0.05)
        gate.set()
        return list(await asyncio.gather(*tasks, return_exceptions=True))

    out = asyncio.run(main())
    b.close()
    for i, res in enumerate(out):
        if i % 7 == 3:
            assert isinstance(res, ValueError) and str(res) == f"bad {i}"
        else:
            assert res == i * 10
    assert sum(sizes) == 40 and len(sizes) < 40  # batched


def test_search_batcher_passes_a_batch_failure_to_every_request() -> None:
    def run(reqs: list[str]) -> list[object]:
        raise RuntimeError("store broke")

    b: SearchBatcher[str, str] = SearchBatcher(run)

    async def main() -> list[object]:
        return list(await asyncio.gather(b.submit("a"), b.submit("b"), return_exceptions=True))

    assert all(isinstance(r, RuntimeError) for r in asyncio.run(main()))
    b.close()
    with pytest.raises(RuntimeError, match="closed"):
        asyncio.run(b.submit("c"))


def test_resolve_inside_blocks_traversal_and_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "escape").symlink_to(outside, target_is_directory=True)
    (root / "inner").symlink_to(root / "sub", target_is_directory=True)
    assert resolve_inside(root, "sub/a.md", what="p") == (root / "sub" / "a.md").resolve()
    assert resolve_inside(root, "inner/a.md", what="p") == (root / "sub" / "a.md").resolve()
    for bad in ("../a.md", "sub/../../a.md", "escape/a.md", "escape", "a\x00.md", "", "x" * 300, "\ud800.md"):
        with pytest.raises(ApiError):
            resolve_inside(root, bad, what="p")
    with pytest.raises(ApiError):
        resolve_inside(root, str(outside / "a.md"), what="p", allow_absolute=True)
    assert (
        resolve_inside(root, str(root / "sub" / "a.md"), what="p", allow_absolute=True).parent.name == "sub"
    )


def test_token_bucket() -> None:
    lim = TokenBucketLimiter(rate=1000.0, burst=2)
    assert lim.acquire("k") == 0.0 and lim.acquire("k") == 0.0
    assert lim.acquire("k") > 0.0
    assert lim.acquire("other") == 0.0
    assert TokenBucketLimiter(rate=0, burst=1).acquire("k") == 0.0
