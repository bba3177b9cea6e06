"""Small plans and fault injection into real stores, shared by the test_ops_* files.

Faults are written the way a bug or a crash would leave them: through the store's normal API where
it accepts them, else straight into the engine underneath (Qdrant Edge shard / qdrant-client local
collection), since both stores refuse NaN vectors on their public write path.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import numpy as np

from planvec.engine import Engine
from planvec.store import EdgeStore, ServerStore
from planvec.store.base import PointData, StoredPoint

PLAN_ALPHA = """# Plan alpha

## Phase 1: storage

- [ ] **1.1** [P0] Back up the database every night
- [x] **1.2** [P1] Add a payload index on the status field
- [ ] **1.3** (MVP) Write the migration guide for operators

## Phase 2: search

- [ ] **2.1** [P2] Hybrid search with reciprocal rank fusion
- [ ] **2.2** Cache query embeddings in memory
"""

PLAN_BETA = """# Plan beta

## Security

- [ ] **1.1** [P0] Rotate the API keys monthly
- [x] **1.2** [P3] Audit the access logs
- [ ] Review the firewall rules
- [ ] Review the firewall rules
"""
TASKS = 9  # 5 + 4; the last two share one text (and so one vector)


def write_plans(root: Path) -> Path:
    plans = root / "plans"
    plans.mkdir(parents=True, exist_ok=True)
    (plans / "alpha.md").write_text(PLAN_ALPHA, encoding="utf-8")
    (plans / "beta.md").write_text(PLAN_BETA, encoding="utf-8")
    return plans


def points(eng: Engine, coll: str | None = None) -> list[StoredPoint]:
    """Every point, with vectors, sorted by (file, line)."""
    name = coll or eng.settings.tasks_collection
    found = list(eng.store.scroll(name, with_vectors=True))
    return sorted(found, key=lambda p: (str(p.payload.get("file")), int(p.payload.get("line") or 0), p.id))


def by_title(eng: Engine, title: str) -> StoredPoint:
    hits = [p for p in points(eng) if p.payload.get("title") == title]
    assert len(hits) == 1, f"{len(hits)} points titled {title!r}"
    return hits[0]


def raw_write_vector(eng: Engine, coll: str, point_id: str, vector: np.ndarray) -> None:
    """Overwrite a stored dense vector below the store's checks (NaN allowed)."""
    store = eng.store
    values = [float(x) for x in np.asarray(vector, dtype=np.float32)]
    if isinstance(store, EdgeStore):
        import qdrant_edge as qe

        old = store.retrieve(coll, [point_id], with_vectors=True)[0]
        vec: dict[str, Any] = {"dense": values}
        if old.sparse is not None:
            vec["bm25"] = qe.SparseVector(list(old.sparse.indices), list(old.sparse.values))
        shard = store._shard(coll)
        shard.update(qe.UpdateOperation.upsert_points([qe.Point(point_id, vec, old.payload)]))
        return
    assert isinstance(store, ServerStore) and store.local
    local = store._client._client.collections[coll]  # qdrant-client local mode internals
    idx = local.ids[point_id]
    local.vectors["dense"][idx] = np.asarray(values, dtype=np.float32)


def add_point(eng: Engine, coll: str, payload: dict[str, Any], vector: np.ndarray | None = None) -> str:
    """A new point (a valid vector) with ``payload``; returns its id."""
    pid = str(uuid.uuid4())
    vec = vector if vector is not None else eng.embedder.embed([str(payload.get("text") or "x")])[0]
    eng.store.upsert(coll, [PointData(pid, vec, payload)])
    return pid
