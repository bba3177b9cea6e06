"""ServerStore(':memory:') serialises qdrant-client's in-process mode, which is not thread-safe."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from planvec.store import CollectionSpec, PointData, ServerStore


def test_concurrent_writers_and_readers_lose_nothing() -> None:
    dim, writers, per_writer = 16, 8, 300
    store = ServerStore(":memory:")
    store.create_collection(CollectionSpec(name="c", dimension=dim, model="test/model", sparse=False))
    rng = np.random.default_rng(3)

    def write(w: int) -> None:
        vecs = rng.standard_normal((per_writer, dim)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        for b in range(0, per_writer, 25):
            store.upsert(
                "c",
                [
                    PointData(id=str(uuid.UUID(int=w * per_writer + i + 1)), vector=vecs[i], payload={"w": w})
                    for i in range(b, b + 25)
                ],
            )
            store.search("c", vecs[b], limit=5)

    with ThreadPoolExecutor(max_workers=writers) as pool:
        list(pool.map(write, range(writers)))
    assert store.count("c") == writers * per_writer
    ids = {p.id for p in store.scroll("c", fields=["w"])}
    assert ids == {str(uuid.UUID(int=i + 1)) for i in range(writers * per_writer)}
    store.close()
