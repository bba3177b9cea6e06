"""Synthetic collections for the backup / migration tests: random unit vectors, no model needed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np

from planvec.embedding.models import DEFAULT_MODEL
from planvec.store import CollectionSpec, EdgeStore, PointData, SparseVec, VectorStore

MODEL = DEFAULT_MODEL.model_id
DIM = DEFAULT_MODEL.dimension


def make_points(n: int, *, dim: int = DIM, seed: int = 0, sparse: bool = True) -> list[PointData]:
    rng = np.random.default_rng(seed)
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    out = []
    for i in range(n):
        payload: dict[str, Any] = {
            "kind": "task",
            "file": f"plans/plan-{i % 7}.md",
            "line": i + 1,
            "task_id": f"{i % 5}.{i % 3}.{i}",
            "title": f"Tâche n°{i}: migrer le cache ✓",
            "status": "completed" if i % 3 == 0 else "pending",
            "priority": f"P{i % 4}",
            "is_mvp": i % 2 == 0,
            "section_tokens": ["migration", f"s{i % 11}"],
            "score": i / 7,
            "parent": None,
            "nested": {"a": [1, 2.5, "x"], "b": {"c": True}},
        }
        sv = None
        if sparse and i % 5:
            idx = sorted(rng.choice(5000, size=1 + i % 9, replace=False).tolist())
            sv = SparseVec(tuple(idx), tuple(float(np.float32(x)) for x in rng.random(len(idx)) + 0.1))
        out.append(PointData(str(uuid.UUID(int=int(rng.integers(1 << 62)) << 64 | i)), vecs[i], payload, sv))
    return out


def fill(
    store: VectorStore, name: str, points: list[PointData], *, meta: dict[str, Any] | None = None
) -> None:
    store.create_collection(CollectionSpec(name=name, dimension=len(points[0].vector), model=MODEL))
    store.set_meta(name, {"last_sync": "2025-01-01T00:00:00+00:00", "bm25": "test-bm25", **(meta or {})})
    store.upsert(name, points)
    store.flush()


def fill_edge(data: Path, collections: dict[str, list[PointData]]) -> Path:
    with EdgeStore(data) as s:
        for name, pts in collections.items():
            fill(s, name, pts)
    return data


def snapshot(store: VectorStore, name: str) -> dict[str, tuple[dict[str, Any], np.ndarray, SparseVec | None]]:
    out = {}
    for p in store.scroll(name, with_vectors=True):
        assert p.id not in out
        assert p.vector is not None
        out[p.id] = (p.payload, p.vector, p.sparse)
    return out


def snapshot_dir(data: Path, name: str) -> dict[str, tuple[dict[str, Any], np.ndarray, SparseVec | None]]:
    with EdgeStore(data, read_only=True) as s:
        return snapshot(s, name)


def assert_same(a: dict[str, Any], b: dict[str, Any], *, atol: float = 0.0) -> None:
    """Point-for-point identical: ids, payloads, sparse vectors; dense vectors exact (or within atol)."""
    assert a.keys() == b.keys()
    for pid, (pa, va, sa) in a.items():
        pb, vb, sb = b[pid]
        assert pa == pb, pid
        if atol == 0.0:
            assert np.array_equal(va, vb), pid
        else:
            assert float(np.max(np.abs(va - vb))) <= atol, pid
        assert sa == sb, pid
