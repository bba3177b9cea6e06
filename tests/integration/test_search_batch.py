"""Batched searches (Engine.search_many, EdgeStore.search_batch) answer exactly what one search each does."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from planvec.engine import Engine, SearchFilters, SearchRequest
from planvec.settings import Settings

QUERIES = [
    "migrate python vectorization scripts to go",
    "cache TTL",
    "tests unitaires",
    "qdrant client",
    "sécurité des clés API",
    "monitoring prometheus",
]
FILTERS = [
    SearchFilters(),
    SearchFilters(status="pending"),
    SearchFilters(priorities=("P1", "p0")),
    SearchFilters(file_glob="plan-dev-v5*"),
    SearchFilters(mvp=True),
    SearchFilters(section="Phase 1"),
    SearchFilters(task_id_prefix="1.2"),
    SearchFilters(file_glob="no-such-file*"),
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, indexed_corpus: Path, embedder) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    home = tmp_path_factory.mktemp("batch") / "home"
    shutil.copytree(indexed_corpus, home)
    (home / ".lock").unlink(missing_ok=True)
    with Engine(Settings(data_dir=home), embedder=embedder) as eng:
        yield eng


def _requests() -> list[SearchRequest]:
    reqs = []
    for i, q in enumerate(QUERIES * 2):
        for mode in ("dense", "keyword", "hybrid"):
            reqs.append(
                SearchRequest(
                    q,
                    FILTERS[(i + len(mode)) % len(FILTERS)],
                    limit=(1, 5, 10, 30)[i % 4],
                    mode=mode,  # type: ignore[arg-type]
                    min_score=0.5 if i % 5 == 0 else None,
                    collection="roadmap_sections" if i % 4 == 3 else None,
                )
            )
    reqs += [
        SearchRequest(""),
        SearchRequest("x", collection="no_such_collection"),
        SearchRequest("x", SearchFilters(status="bogus")),
        SearchRequest("x", limit=0),
        SearchRequest("x", mode="bogus"),  # type: ignore[arg-type]
    ]
    return reqs


def _one(eng: Engine, r: SearchRequest) -> Any:
    try:
        return eng.search(
            r.query, r.filters, limit=r.limit, mode=r.mode, min_score=r.min_score, collection=r.collection
        )
    except Exception as e:
        return (type(e), str(e))


def test_search_many_equals_one_search_each(engine: Engine) -> None:
    reqs = _requests()
    expected = [_one(engine, r) for r in reqs]
    assert sum(isinstance(x, list) and len(x) > 0 for x in expected) > 15
    got = engine.search_many(reqs)
    assert len(got) == len(reqs)
    for r, exp, res in zip(reqs, expected, got, strict=True):
        if isinstance(exp, tuple):
            assert isinstance(res, Exception) and (type(res), str(res)) == exp, r
        else:
            assert res == exp, r


def test_search_many_with_new_queries_embeds_them_together(engine: Engine) -> None:
    texts = [f"batched query number {i} about caches" for i in range(5)]
    solo = [engine.search(t, limit=5) for t in texts]  # fills the cache
    engine._qcache.clear()  # forget them: search_many embeds all five in one call
    misses = engine.qcache_misses
    got = engine.search_many([SearchRequest(t, limit=5) for t in [*texts, texts[0]]])
    assert engine.qcache_misses == misses + 6  # one miss per request, the repeated text included
    for a, b in zip(solo, got, strict=False):
        assert isinstance(b, list)
        assert [h.point_id for h in a] == [h.point_id for h in b]
        assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-5)


class _PlainStore:
    """The engine's store running each search of a batch alone, its spec from collection_info
    (as ServerStore does)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def search_batch(self, name: str, queries: Any, *, with_payload: bool = True) -> Any:
        return [
            self._inner.search(name, q, filters=f, limit=n, with_payload=with_payload) for q, f, n in queries
        ]

    def search_spec(self, name: str) -> tuple[int, bool] | None:
        info = self._inner.collection_info(name)
        return None if info is None else (info.dimension, info.sparse)


def test_search_many_on_a_store_without_batches(engine: Engine) -> None:
    reqs = _requests()
    expected = engine.search_many(reqs)
    plain = Engine(engine.settings, embedder=engine.embedder, store=_PlainStore(engine.store))  # type: ignore[arg-type]
    got = plain.search_many(reqs)
    for exp, res in zip(expected, got, strict=True):
        if isinstance(exp, Exception):
            assert type(res) is type(exp) and str(res) == str(exp)
        else:
            assert res == exp


def test_edge_search_batch_equals_search(engine: Engine) -> None:
    store = engine.store
    coll = engine.settings.tasks_collection
    queries: list[Any] = []
    for q in QUERIES:
        f = engine.store_filters(coll, SearchFilters(status="pending") if len(q) % 2 else SearchFilters())
        queries += [(engine.embed_query(q), f, 40), (engine._sparse_query(q), f, 7)]
    for with_payload in (True, False):
        batch = store.search_batch(coll, queries, with_payload=with_payload)  # type: ignore[attr-defined]
        for (q, f, n), hits in zip(queries, batch, strict=True):
            assert hits == store.search(coll, q, filters=f, limit=n, with_payload=with_payload)
    assert store.search_spec(coll) == (engine.embedder.dimension, True)  # type: ignore[attr-defined]
    assert store.search_spec("no_such_collection") is None  # type: ignore[attr-defined]
