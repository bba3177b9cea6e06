"""The same store scenarios on EdgeStore (Qdrant Edge) and ServerStore(":memory:"), compared.

Real engines on both sides, no mocks. ``test_store_server.py`` re-runs these tests against a real
Qdrant server (``QDRANT_URL``) by overriding the ``kind`` / ``kinds`` fixtures.

Ground truth comes from numpy (dense cosine, brute force) and plain Python (filters, BM25 with
Qdrant's IDF), so "equal across stores" is checked through "each equal to the truth".
"""

from __future__ import annotations

import math
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from planvec.errors import CollectionNotFound, DimensionMismatch, NotSupported, StoreError, StoreLockedError
from planvec.kinds.plans import PAYLOAD_INDEXES
from planvec.store import (
    CollectionSpec,
    EdgeStore,
    Filters,
    Match,
    MatchAny,
    PointData,
    ServerStore,
    SparseVec,
    VectorStore,
    open_store,
)
from planvec.store.base import ShardFiles

DIM = 384
N = 1000
NS = uuid.UUID("6f1c2a4e-0000-4000-8000-000000000000")
VOCAB = ("alpha", "beta", "gamma", "delta", "securite", "cache", "api", "tests")
SCORE_TOL = 1e-4


# -- data -----------------------------------------------------------------------------------------
def make_points(n: int = N, dim: int = DIM, seed: int = 7, prefix: str = "p") -> list[PointData]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    out = []
    for i in range(n):
        major, minor = i % 5 + 1, i % 3 + 1
        k = int(rng.integers(3, 9))
        idx = np.sort(rng.choice(200, size=k, replace=False))
        vals = np.round(rng.uniform(0.5, 2.5, size=k), 3).astype(np.float32)
        payload: dict[str, Any] = {
            "kind": "section" if i % 5 == 0 else "task",
            "status": "completed" if i % 3 == 0 else "pending",
            "priority": f"P{i % 4}",
            "is_mvp": i % 7 == 0,
            "file": f"plans/plan-{i % 7}.md",
            "task_id": f"{major}.{minor}",
            "task_id_prefixes": [str(major), f"{major}.{minor}"],
            "section_tokens": sorted(set(rng.choice(VOCAB, size=int(rng.integers(1, 4))).tolist())),
            "title": f"Tâche {i} : sécurité du cache",
            "line": i,
            "progress": i / 7,
            "nested": {"a": [1, 2], "b": None},
            "parent": None,
        }
        out.append(
            PointData(
                id=str(uuid.uuid5(NS, f"{prefix}{i}")),
                vector=x[i],
                payload=payload,
                sparse=SparseVec(tuple(int(j) for j in idx), tuple(float(v) for v in vals)),
            )
        )
    return out


POINTS = make_points()
BY_ID = {p.id: p for p in POINTS}
MATRIX = np.stack([p.vector for p in POINTS])


def spec(name: str, dim: int = DIM, sparse: bool = True) -> CollectionSpec:
    return CollectionSpec(
        name=name, dimension=dim, model="test/model", sparse=sparse, payload_indexes=dict(PAYLOAD_INDEXES)
    )


def unique(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


# -- fixtures -------------------------------------------------------------------------------------
def make_store(kind: str, path: Path) -> VectorStore:
    if kind == "edge":
        return EdgeStore(path / "edge")
    if kind == "server-memory":
        return ServerStore(":memory:")
    if kind == "server":
        return ServerStore(os.environ["QDRANT_URL"])
    raise ValueError(kind)


@pytest.fixture(params=["edge", "server-memory"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def kinds() -> list[str]:
    return ["edge", "server-memory"]


@pytest.fixture
def store(kind: str, tmp_path: Path) -> Iterator[VectorStore]:
    s = make_store(kind, tmp_path)
    yield s
    s.close()


@pytest.fixture
def coll(store: VectorStore) -> Iterator[str]:
    """A fresh collection (unique name, dropped afterwards) with 50 points."""
    name = unique("t_small")
    store.create_collection(spec(name))
    store.upsert(name, make_points(50, seed=3, prefix="s"))
    yield name
    store.delete_collection(name)


@pytest.fixture(scope="module")
def loaded(
    kinds: list[str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, VectorStore]]]:
    """Every kind of store holding the same 1,000 points in one collection."""
    name = unique("t_tasks")
    base = tmp_path_factory.mktemp("stores")
    stores = {k: make_store(k, base / k) for k in kinds}
    try:
        for s in stores.values():
            s.create_collection(spec(name))
            s.upsert(name, POINTS)
            s.flush()
        yield name, stores
    finally:
        for s in stores.values():
            try:
                s.delete_collection(name)
            finally:
                s.close()


# -- truth ----------------------------------------------------------------------------------------
def plan_filters(
    status: str | None = None,
    priorities: tuple[str, ...] = (),
    is_mvp: bool | None = None,
    files: tuple[str, ...] | None = None,
    section_tokens: tuple[str, ...] = (),
    task_id_prefix: str | None = None,
    kind: str | None = None,
) -> Filters:
    """The generic conditions the plans kind's filter model builds for these plan filters."""
    must: list[Match | MatchAny] = []
    if status is not None:
        must.append(Match("status", status))
    if priorities:
        must.append(MatchAny("priority", priorities))
    if is_mvp is not None:
        must.append(Match("is_mvp", is_mvp))
    if files is not None:
        must.append(MatchAny("file", files))
    must.extend(Match("section_tokens", t) for t in section_tokens)
    if task_id_prefix is not None:
        must.append(Match("task_id_prefixes", task_id_prefix))
    if kind is not None:
        must.append(Match("kind", kind))
    return Filters(tuple(must))


def matches(p: dict[str, Any], f: Filters) -> bool:
    """Brute force: every condition holds (for an array field, on one of its elements)."""
    for c in f.must:
        v = p.get(c.key)
        values = v if isinstance(v, list) else [v]
        if isinstance(c, MatchAny):
            if not any(x in c.values for x in values):
                return False
        elif c.value not in values:
            return False
    return True


FILTERS = [
    plan_filters(),
    plan_filters(status="pending"),
    plan_filters(status="completed"),
    plan_filters(priorities=("P0", "P2")),
    plan_filters(is_mvp=True),
    plan_filters(is_mvp=False),
    plan_filters(files=("plans/plan-1.md", "plans/plan-3.md")),
    plan_filters(files=()),
    plan_filters(files=("plans/nope.md",)),
    plan_filters(section_tokens=("alpha",)),
    plan_filters(section_tokens=("alpha", "beta")),
    plan_filters(task_id_prefix="2"),
    plan_filters(task_id_prefix="2.1"),
    plan_filters(kind="section"),
    plan_filters(
        status="pending", priorities=("P1",), is_mvp=False, section_tokens=("cache",), task_id_prefix="3"
    ),
]


def truth_dense(query: np.ndarray, f: Filters, k: int) -> list[tuple[str, float]]:
    scores = MATRIX @ query
    order = np.argsort(-scores, kind="stable")
    out = [(POINTS[i].id, float(scores[i])) for i in order if matches(POINTS[i].payload, f)]
    return out[:k]


def truth_bm25(query: SparseVec, k: int) -> list[tuple[str, float]]:
    """Qdrant's sparse IDF: idf = ln((N - n + 0.5) / (n + 0.5) + 1); score = sum(q * idf * d)."""
    df: dict[int, int] = {}
    for p in POINTS:
        assert p.sparse is not None
        for i in p.sparse.indices:
            df[i] = df.get(i, 0) + 1
    scored = []
    for p in POINTS:
        assert p.sparse is not None
        d = dict(zip(p.sparse.indices, p.sparse.values, strict=True))
        s = sum(
            qv * math.log((N - df[qi] + 0.5) / (df[qi] + 0.5) + 1) * d[qi]
            for qi, qv in zip(query.indices, query.values, strict=True)
            if qi in d
        )
        if s > 0:
            scored.append((p.id, s))
    scored.sort(key=lambda t: -t[1])
    return scored[:k]


def queries(n: int, seed: int = 11) -> np.ndarray:
    rng = np.random.default_rng(seed)
    q = rng.standard_normal((n, DIM)).astype(np.float32)
    return q / np.linalg.norm(q, axis=1, keepdims=True)


def same_payload(got: Any, want: Any) -> bool:
    """Payload equality; floats to 1e-12 relative (Qdrant Edge 0.9 re-parses payload JSON floats
    with serde_json's fast parser: ~15% of float64 values come back 1 ulp off)."""
    if isinstance(want, float) and isinstance(got, float):
        return math.isclose(got, want, rel_tol=1e-12)
    if isinstance(want, dict) and isinstance(got, dict):
        return got.keys() == want.keys() and all(same_payload(got[k], want[k]) for k in want)
    if isinstance(want, list) and isinstance(got, list):
        return len(got) == len(want) and all(same_payload(g, w) for g, w in zip(got, want, strict=True))
    return type(got) is type(want) and got == want


def assert_hits_equal(got: list[tuple[str, float]], want: list[tuple[str, float]], label: str) -> None:
    assert len(got) == len(want), label
    for (gid, gs), (wid, ws) in zip(got, want, strict=True):
        assert abs(gs - ws) <= SCORE_TOL, (label, gid, gs, wid, ws)
    # Ids equal, except among scores tied within the tolerance.
    assert {i for i, _ in got} == {i for i, _ in want} or all(
        abs(g[1] - w[1]) <= SCORE_TOL for g, w in zip(got, want, strict=True)
    ), label


# -- collection lifecycle -------------------------------------------------------------------------
def test_create_is_idempotent_and_checks_dimension(store: VectorStore) -> None:
    name = unique("t_create")
    store.create_collection(spec(name))
    try:
        store.create_collection(spec(name))  # idempotent
        assert name in store.list_collections()
        with pytest.raises(DimensionMismatch) as exc:
            store.create_collection(spec(name, dim=DIM + 1))
        assert exc.value.hint and "planvec" in exc.value.hint
        info = store.collection_info(name)
        assert info is not None
        assert (info.name, info.dimension, info.distance, info.points, info.sparse) == (
            name,
            DIM,
            "Cosine",
            0,
            True,
        )
        assert info.model == "test/model"
        assert info.payload_indexes == spec(name).payload_indexes
        assert info.meta["dimension"] == DIM and info.meta["model"] == "test/model"
    finally:
        store.delete_collection(name)
    assert name not in store.list_collections()
    assert store.collection_info(name) is None
    store.delete_collection(name)  # absent: no error


def test_collection_without_sparse(store: VectorStore) -> None:
    name = unique("t_dense_only")
    store.create_collection(spec(name, dim=8, sparse=False))
    try:
        info = store.collection_info(name)
        assert info is not None and info.sparse is False
        v = np.eye(8, dtype=np.float32)[0]
        store.upsert(name, [PointData(id=str(uuid.uuid4()), vector=v, payload={})])
        assert [round(h.score, 5) for h in store.search(name, v)] == [1.0]
        with pytest.raises(StoreError):
            store.search(name, SparseVec((1,), (1.0,)))
        with pytest.raises(StoreError):
            store.upsert(
                name, [PointData(id=str(uuid.uuid4()), vector=v, payload={}, sparse=SparseVec((1,), (1.0,)))]
            )
    finally:
        store.delete_collection(name)


def test_metadata_get_set(store: VectorStore, coll: str) -> None:
    meta = store.get_meta(coll)
    assert meta["model"] == "test/model" and meta["dimension"] == DIM and meta["sparse"] is True
    store.set_meta(coll, {"last_sync": "2024-05-01T10:00:00+00:00", "bm25": "cfg-1", "extra": {"n": [1, 2]}})
    store.set_meta(
        coll, {"bm25": "cfg-2", "dimension": DIM}
    )  # re-setting a structural key to its value is fine
    meta = store.get_meta(coll)
    assert meta["last_sync"] == "2024-05-01T10:00:00+00:00"
    assert meta["bm25"] == "cfg-2" and meta["extra"] == {"n": [1, 2]}
    assert meta["model"] == "test/model"
    store.set_meta(coll, {"extra": None})  # None removes a key
    assert "extra" not in store.get_meta(coll)
    with pytest.raises(DimensionMismatch):
        store.set_meta(coll, {"dimension": DIM * 2})
    info = store.collection_info(coll)
    assert info is not None and info.meta["bm25"] == "cfg-2"
    # Metadata is not data: counts and scrolls see only the points.
    assert store.count(coll) == 50
    assert len(list(store.scroll(coll))) == 50


def test_collection_not_found(store: VectorStore) -> None:
    name = unique("t_missing")
    v = np.zeros(DIM, dtype=np.float32)
    v[0] = 1
    calls: list[Callable[[], object]] = [
        lambda: store.get_meta(name),
        lambda: store.set_meta(name, {"a": 1}),
        lambda: store.upsert(name, [PointData(id=str(uuid.uuid4()), vector=v, payload={})]),
        lambda: store.overwrite_payload(name, [(str(uuid.uuid4()), {})]),
        lambda: store.delete(name, [str(uuid.uuid4())]),
        lambda: list(store.scroll(name)),
        lambda: store.retrieve(name, [str(uuid.uuid4())]),
        lambda: store.count(name),
        lambda: store.search(name, v),
        lambda: store.search(name, SparseVec((1,), (1.0,))),
        lambda: store.distinct_values(name, "file"),
        lambda: store.optimize(name),
    ]
    for call in calls:
        with pytest.raises(CollectionNotFound) as exc:
            call()
        assert exc.value.hint and "planvec collections" in exc.value.hint
    assert store.collection_info(name) is None
    assert name not in store.list_collections()


# -- reads on the shared data ---------------------------------------------------------------------
def test_counts_and_filters(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    name, stores = loaded
    for f in FILTERS:
        want = sum(matches(p.payload, f) for p in POINTS)
        got = {k: s.count(name, f) for k, s in stores.items()}
        assert set(got.values()) == {want}, (f, got, want)
    for s in stores.values():
        assert s.count(name) == N
        assert s.count(name, None) == N


def test_dense_search_equals_brute_force(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    name, stores = loaded
    for qi, q in enumerate(queries(8)):
        for f in (
            plan_filters(),
            plan_filters(status="pending", priorities=("P1", "P3")),
            plan_filters(section_tokens=("api",)),
        ):
            want = truth_dense(q, f, 10)
            per_kind = {}
            for k, s in stores.items():
                hits = s.search(name, q, filters=f, limit=10)
                per_kind[k] = [(h.id, h.score) for h in hits]
                assert_hits_equal(per_kind[k], want, f"{k} q{qi} {f}")
                for h in hits:  # complete payload
                    assert same_payload(h.payload, BY_ID[h.id].payload)
            first, *rest = per_kind.values()
            for other in rest:
                assert_hits_equal(other, first, f"across stores q{qi} {f}")
    # Nothing matches files=(): no hits, no query.
    for s in stores.values():
        assert s.search(name, queries(1)[0], filters=plan_filters(files=())) == []
        assert s.search(name, queries(1)[0], limit=0) == []


def test_dense_search_after_optimize(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    """After optimize() Edge may answer from HNSW: scores stay exact, recall must stay high."""
    name, stores = loaded
    for s in stores.values():
        s.optimize(name)
    found = total = 0
    for q in queries(20, seed=5):
        want = truth_dense(q, plan_filters(), 10)
        truth_score = dict(want)
        for k, s in stores.items():
            hits = s.search(name, q, limit=10)
            assert len(hits) == 10, k
            for h in hits:  # every returned score is the true cosine of that point
                assert abs(h.score - float(MATRIX[list(BY_ID).index(h.id)] @ q)) <= SCORE_TOL
            found += sum(h.id in truth_score for h in hits)
            total += 10
    assert found / total >= 0.95, found / total
    for s in stores.values():
        info = s.collection_info(name)
        assert info is not None and info.points == N


def test_sparse_search(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    name, stores = loaded
    rng = np.random.default_rng(3)
    for qn in range(6):
        idx = sorted(int(i) for i in rng.choice(200, size=3, replace=False))
        q = SparseVec(tuple(idx), (1.0, 1.0, 1.0))
        want = truth_bm25(q, 10)
        results = {}
        for k, s in stores.items():
            hits = s.search(name, q, limit=10)
            results[k] = [(h.id, h.score) for h in hits]
            assert_hits_equal(results[k], want, f"{k} sparse q{qn}")
            assert all(same_payload(h.payload, BY_ID[h.id].payload) for h in hits)
        filtered = {
            k: s.search(name, q, filters=plan_filters(status="pending"), limit=5) for k, s in stores.items()
        }
        for hits in filtered.values():
            assert all(h.payload["status"] == "pending" for h in hits)
        first, *rest = results.values()
        for other in rest:
            assert_hits_equal(other, first, f"across stores sparse q{qn}")
    for s in stores.values():
        assert s.search(name, SparseVec((), ())) == []  # an empty query (only stopwords) finds nothing


def test_scroll_round_trip(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    name, stores = loaded
    for k, s in stores.items():
        got = {p.id: p for p in s.scroll(name, with_vectors=True, batch_size=128)}
        assert set(got) == set(BY_ID), k
        for pid, p in got.items():
            src = BY_ID[pid]
            assert same_payload(p.payload, src.payload), (k, pid)
            assert p.vector is not None and p.vector.dtype == np.float32 and p.vector.shape == (DIM,)
            if k == "edge":
                assert np.array_equal(p.vector, src.vector), pid  # bit-exact
            else:
                # qdrant-client local mode re-normalises cosine vectors in float32: last-bit noise.
                np.testing.assert_allclose(p.vector, src.vector, rtol=0, atol=1e-7)
            assert p.sparse == src.sparse  # float32-representable values: exact
        # Without vectors, and with a subset of the payload.
        light = list(s.scroll(name, fields=["file", "status"]))
        assert len(light) == N
        assert all(p.vector is None and p.sparse is None for p in light)
        assert all(
            p.payload == {"file": BY_ID[p.id].payload["file"], "status": BY_ID[p.id].payload["status"]}
            for p in light
        )
        assert all(p.payload == {} for p in s.scroll(name, fields=[]))


def test_retrieve(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    name, stores = loaded
    ids = [POINTS[5].id, str(uuid.uuid4()), POINTS[1].id, "not-a-uuid", POINTS[5].id.upper()]
    for k, s in stores.items():
        got = s.retrieve(name, ids)
        assert [p.id for p in got] == [POINTS[5].id, POINTS[1].id], k  # missing skipped, input order
        assert same_payload(got[0].payload, POINTS[5].payload) and got[0].vector is None
        withv = s.retrieve(name, [POINTS[7].id], with_vectors=True)
        assert withv[0].vector is not None and withv[0].sparse == POINTS[7].sparse
        np.testing.assert_allclose(withv[0].vector, POINTS[7].vector, rtol=0, atol=1e-7)
        assert s.retrieve(name, []) == []


def test_distinct_values(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    name, stores = loaded
    files = sorted({p.payload["file"] for p in POINTS})
    tokens = sorted({t for p in POINTS for t in p.payload["section_tokens"]})
    titles = sorted({p.payload["title"] for p in POINTS})
    for k, s in stores.items():
        assert s.distinct_values(name, "file") == files, k  # keyword index: facet
        assert s.distinct_values(name, "section_tokens") == tokens, k  # array field
        assert s.distinct_values(name, "title") == titles, k  # no index: scroll
        assert s.distinct_values(name, "absent") == [], k


# -- writes on a fresh collection -----------------------------------------------------------------
def test_overwrite_payload_keeps_vectors(store: VectorStore, coll: str) -> None:
    before = {p.id: p for p in store.scroll(coll, with_vectors=True)}
    a, b = sorted(before)[:2]
    missing = str(uuid.uuid4())
    store.overwrite_payload(
        coll, [(a, {"status": "completed", "file": "moved.md"}), (missing, {"x": 1}), (b, {})]
    )
    got = {p.id: p for p in store.retrieve(coll, [a, b, missing], with_vectors=True)}
    assert set(got) == {a, b}  # a missing id is not created
    assert got[a].payload == {"status": "completed", "file": "moved.md"}  # replaced, not merged
    assert got[b].payload == {}
    for pid in (a, b):
        np.testing.assert_array_equal(got[pid].vector, before[pid].vector)
        assert got[pid].sparse == before[pid].sparse
    assert store.count(coll) == 50
    assert store.count(coll, plan_filters(files=("moved.md",))) == 1


def test_upsert_replaces_and_delete(store: VectorStore, coll: str) -> None:
    pts = make_points(50, seed=3, prefix="s")
    newer = make_points(3, seed=99, prefix="s")  # same ids as pts[0:3], other vectors/payloads
    store.upsert(coll, newer)
    assert store.count(coll) == 50
    got = store.retrieve(coll, [newer[0].id], with_vectors=True)[0]
    assert same_payload(got.payload, newer[0].payload)
    np.testing.assert_allclose(got.vector, newer[0].vector, rtol=0, atol=1e-7)
    hits = store.search(coll, newer[1].vector, limit=1)
    assert hits[0].id == newer[1].id and abs(hits[0].score - 1.0) < 1e-5
    store.delete(coll, [pts[10].id, pts[11].id, str(uuid.uuid4()), "bogus"])
    assert store.count(coll) == 48
    assert store.retrieve(coll, [pts[10].id]) == []
    store.delete(coll, [])
    store.upsert(coll, [])
    # A point without a sparse vector in a sparse collection is fine.
    store.upsert(coll, [PointData(id=pts[10].id, vector=pts[10].vector, payload={"k": 1})])
    assert store.retrieve(coll, [pts[10].id], with_vectors=True)[0].sparse is None
    # Ids are UUIDs, canonical both ways.
    upper = PointData(id=pts[11].id.upper(), vector=pts[11].vector, payload={"k": 2})
    store.upsert(coll, [upper])
    assert [p.id for p in store.retrieve(coll, [pts[11].id])] == [pts[11].id]
    with pytest.raises(StoreError):
        store.upsert(coll, [PointData(id="not-a-uuid", vector=pts[0].vector, payload={})])
    with pytest.raises(DimensionMismatch):
        store.upsert(coll, [PointData(id=pts[0].id, vector=np.zeros(DIM + 1, np.float32), payload={})])
    with pytest.raises(DimensionMismatch):
        store.search(coll, np.zeros(DIM - 1, np.float32))
    assert store.count(coll) == 50


def test_distinct_values_follow_writes(store: VectorStore, coll: str) -> None:
    ids = [p.id for p in store.scroll(coll, fields=[])]
    store.overwrite_payload(coll, [(i, {"file": "only.md"}) for i in ids])
    assert store.distinct_values(coll, "file") == ["only.md"]
    store.delete(coll, ids)
    assert store.distinct_values(coll, "file") == []
    assert store.count(coll) == 0


def test_open_store_picks_the_backend(tmp_path: Path) -> None:
    edge = open_store(tmp_path / "d", None, api_key=None, timeout=5.0, retries=1, read_only=False)
    assert isinstance(edge, EdgeStore)
    edge.close()
    server = open_store(tmp_path / "d", ":memory:", read_only=True, api_key=None)
    assert isinstance(server, ServerStore)
    server.close()
    with pytest.raises(TypeError):
        open_store(tmp_path / "d", None, bogus=1)
    assert isinstance(edge, VectorStore) and isinstance(server, VectorStore)


def test_closed_store_refuses_work(store: VectorStore) -> None:
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError):
        store.list_collections()


# -- capabilities: what one store does and the other answers with NotSupported --------------------
def test_raw_scroll_gives_the_points_of_scroll(loaded: tuple[str, dict[str, VectorStore]]) -> None:
    name, stores = loaded
    for k, s in stores.items():
        rows = []
        for n, batch in s.scroll_raw(name, batch_size=300):
            got = list(batch)
            assert len(got) == n and 0 < n <= 300, k
            rows += got
        ids = [str(pid) for pid, _, _, _ in rows]
        assert ids == sorted(BY_ID) == [p.id for p in s.scroll(name, fields=[])], k  # id order
        for pid, dense, sparse, payload in rows:
            src = BY_ID[str(pid)]
            assert dense is not None and same_payload(payload, src.payload), (k, pid)
            np.testing.assert_allclose(np.frombuffer(dense, np.float32), src.vector, rtol=0, atol=1e-7)
            assert sparse is not None and src.sparse is not None
            assert (tuple(sparse[0]), tuple(np.float32(v) for v in sparse[1])) == (
                src.sparse.indices,
                tuple(np.float32(v) for v in src.sparse.values),
            ), (k, pid)


def test_server_version(store: VectorStore, kind: str) -> None:
    version = store.server_version()
    if kind == "edge":
        assert version is not None and version.startswith("qdrant-edge-py ")
    elif kind == "server-memory":
        assert version == "qdrant-client local mode (in-process)"
    else:
        assert version and version[0].isdigit()  # the server's own version, e.g. 1.12.4


def test_lock_status(store: VectorStore, kind: str, tmp_path: Path) -> None:
    if kind != "edge":
        with pytest.raises(NotSupported):
            store.lock_status()
        return
    mine = store.lock_status()
    assert (mine.held, mine.writer_pid, mine.writer_alive) == ("by this process", os.getpid(), True)
    assert mine.path == str(tmp_path / "edge" / ".lock") and mine.to_dict()["reader_pids"] == []
    store.close()
    with EdgeStore(tmp_path / "edge", read_only=True) as reader:
        free = reader.lock_status()
        assert (free.held, free.writer_pid) == (False, None)  # a reader holds no writer lock
        with pytest.raises(StoreLockedError) as e:
            EdgeStore(tmp_path / "edge")  # a writer, refused while the reader is open
        assert e.value.lock == free  # the refusal says what the lock looked like


def test_shard_files(store: VectorStore, kind: str, tmp_path: Path) -> None:
    if kind != "edge":
        with pytest.raises(NotSupported):
            store.shard_files()
        return
    coll = unique("t_files")
    store.create_collection(spec(coll))
    store.upsert(coll, make_points(50, seed=3, prefix="s"))
    writer = store.shard_files()
    assert isinstance(writer, ShardFiles) and writer.read_only is False
    with pytest.raises(StoreError):
        writer.collection_files(coll)  # a writer may change its files while they are copied
    store.close()
    with EdgeStore(tmp_path / "edge", read_only=True) as src, EdgeStore(tmp_path / "copy") as dst:
        files = src.shard_files()
        assert not files.is_loaded(coll)
        meta = src.get_meta(coll)
        dst.shard_files().install_copy(files.collection_files(coll), coll, meta)
        assert dst.count(coll) == 50
        want = {p.id: p.payload for p in src.scroll(coll)}
        assert {p.id: p.payload for p in dst.scroll(coll)} == want
