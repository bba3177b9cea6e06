"""Micro-batcher and path confinement, without a model or a store."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from planvec.service.batching import MicroBatcher
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
