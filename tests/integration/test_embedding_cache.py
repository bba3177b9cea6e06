"""The embedding cache with real parts: the model, SQLite on disk, a real redis-server, Qdrant Edge.

Levels: L1 memory, L2 Redis, L3 disk; a read fills the levels above it; a corrupt entry is
recomputed; Redis killed mid-run is one warning and the run completes; reuse before embedding
(moved files, an empty data directory with a warm Redis) computes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import redis

from planvec.embedding.cache import (
    CachedEmbedder,
    DiskLevel,
    LayeredCache,
    MemoryLevel,
    RedisLevel,
    recording,
)
from planvec.embedding.cache.codec import cache_key, decode, encode
from planvec.embedding.cache.l2 import PREFIX
from planvec.engine import Engine
from planvec.errors import CacheWarning
from planvec.settings import Settings
from redis_server import RedisServer

TEXTS = [
    "Mettre en place le cache Redis des embeddings",
    "Write the migration guide for the vector store",
    "Add Prometheus metrics to the sync pipeline",
]
FILES = ("plan-dev-v31-migration-mcp-manager.md", "plan-dev-v56-go-native-vectorization-migration.md")


def _cached(embedder: Any, *levels: Any) -> CachedEmbedder:
    return CachedEmbedder(embedder, LayeredCache(levels))


def _keys(emb: CachedEmbedder, texts: list[str]) -> list[str]:
    return [cache_key(emb.identity, "", t) for t in texts]


@pytest.fixture
def small_plans(tmp_path: Path, corpus_dir: Path) -> Path:
    dst = tmp_path / "plans"
    dst.mkdir()
    for name in FILES:
        shutil.copy(corpus_dir / name, dst / name)
    return dst


def _settings(data: Path, **kw: Any) -> Settings:
    kw.setdefault("cache_l3_size", 0)  # the store and the levels under test answer, not the session's L3
    return Settings(data_dir=data, **kw)


# -- levels ------------------------------------------------------------------------------------------


def test_codec_refuses_what_is_not_an_intact_vector() -> None:
    vec = np.arange(4, dtype=np.float32) / 10
    blob = encode(vec)
    assert np.array_equal(decode(blob, 4), vec)
    assert decode(blob, 5) is None  # another dimension
    assert decode(blob[:-1], 4) is None  # truncated
    flipped = bytearray(blob)
    flipped[-1] ^= 0x40
    assert decode(bytes(flipped), 4) is None  # checksum
    assert decode(b"garbage", 4) is None and decode("text", 4) is None
    assert decode(encode(np.array([np.nan, 0, 0, 0], dtype=np.float32)), 4) is None


def test_l1_serves_a_repeated_text_without_the_model(embedder: Any) -> None:
    emb = _cached(embedder, MemoryLevel(10))
    first = emb.embed(TEXTS)
    assert np.allclose(first, embedder.embed(TEXTS), atol=1e-6)
    with recording() as counts:
        again = emb.embed([TEXTS[1], TEXTS[1], TEXTS[0]])
    assert np.array_equal(again, first[[1, 1, 0]])
    assert counts.hits["l1"] == 2 and counts.computed == 0  # each distinct text looked up once
    assert emb.stats().computed == 3


def test_l1_evicts_the_least_recently_used() -> None:
    level = MemoryLevel(2)
    vecs = {k: np.full(2, i, dtype=np.float32) for i, k in enumerate("abc")}
    level.put_many({"a": vecs["a"], "b": vecs["b"]})
    level.get_many(["a"], 2)  # a is now the most recent
    level.put_many({"c": vecs["c"]})
    assert set(level.get_many(["a", "b", "c"], 2)) == {"a", "c"}


def test_l3_survives_the_process_and_fills_l1(embedder: Any, tmp_path: Path) -> None:
    path = tmp_path / "l3.sqlite3"
    first = _cached(embedder, MemoryLevel(10), DiskLevel(path, 100))
    vecs = first.embed(TEXTS)
    first.close()
    l1 = MemoryLevel(10)
    second = _cached(embedder, l1, DiskLevel(path, 100))  # a new process: empty memory
    with recording() as counts:
        got = second.embed(TEXTS)
    assert np.array_equal(got, vecs)
    assert (counts.hits["l3"], counts.misses["l1"], counts.computed) == (3, 3, 0)
    with recording() as counts:
        second.embed(TEXTS)
    assert counts.hits["l1"] == 3 and counts.misses["l3"] == 0  # the read filled L1
    second.close()


def test_l3_is_capped(embedder: Any, tmp_path: Path) -> None:
    path = tmp_path / "l3.sqlite3"
    emb = _cached(embedder, DiskLevel(path, 10))
    emb.embed([f"task number {i}" for i in range(30)])
    emb.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM entries").fetchone()[0] <= 11  # the cap and its slack


def test_corrupt_or_wrong_length_l3_entries_are_recomputed(embedder: Any, tmp_path: Path) -> None:
    path = tmp_path / "l3.sqlite3"
    emb = _cached(embedder, DiskLevel(path, 100))
    good = emb.embed(TEXTS)
    emb.close()
    k0, k1, _ = _keys(emb, TEXTS)
    with sqlite3.connect(path) as db:
        blob = db.execute("SELECT vec FROM entries WHERE key = ?", (k0,)).fetchone()[0]
        flipped = bytearray(blob)
        flipped[40] ^= 0x01
        db.execute("UPDATE entries SET vec = ? WHERE key = ?", (bytes(flipped), k0))
        db.execute("UPDATE entries SET vec = ? WHERE key = ?", (encode(good[1][:100]), k1))
    again = _cached(embedder, DiskLevel(path, 100))
    with recording() as counts:
        got = again.embed(TEXTS)
    assert (counts.hits["l3"], counts.computed) == (1, 2)
    assert np.allclose(got, good, atol=1e-6)
    with recording() as counts:
        again.embed(TEXTS)  # the recomputed vectors replaced the bad entries
    assert counts.hits["l3"] == 3
    again.close()


def test_an_unreadable_l3_file_is_set_aside(embedder: Any, tmp_path: Path) -> None:
    path = tmp_path / "l3.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    emb = _cached(embedder, DiskLevel(path, 100))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: a new file replaces it
        emb.embed(TEXTS)
    emb.close()
    assert list(tmp_path.glob("l3.sqlite3.corrupt-*"))
    with recording() as counts:
        _cached(embedder, DiskLevel(path, 100)).embed(TEXTS)
    assert counts.hits["l3"] == 3


def test_l2_is_shared_and_fills_the_level_above(embedder: Any, redis_url: str) -> None:
    a = _cached(embedder, MemoryLevel(10), RedisLevel(redis_url, ttl=60, size=100))
    vecs = a.embed(TEXTS)
    l1 = MemoryLevel(10)
    b = _cached(embedder, l1, RedisLevel(redis_url, ttl=60, size=100))  # another machine
    with recording() as counts:
        got = b.embed(TEXTS)
    assert np.array_equal(got, vecs)
    assert (counts.hits["l2"], counts.computed) == (3, 0)
    assert len(l1) == 3
    ttl = redis.Redis.from_url(redis_url).pttl(PREFIX + _keys(a, TEXTS)[0])
    assert 0 < ttl <= 60_000


def test_an_l3_hit_fills_l2_and_l1(embedder: Any, redis_url: str, tmp_path: Path) -> None:
    path = tmp_path / "l3.sqlite3"
    disk_only = _cached(embedder, DiskLevel(path, 100))
    vecs = disk_only.embed(TEXTS)
    disk_only.close()
    l1 = MemoryLevel(10)
    emb = _cached(embedder, l1, RedisLevel(redis_url, ttl=60, size=100), DiskLevel(path, 100))
    with recording() as counts:
        assert np.array_equal(emb.embed(TEXTS), vecs)
    assert (counts.misses["l2"], counts.hits["l3"], counts.computed) == (3, 3, 0)
    assert len(l1) == 3
    client = redis.Redis.from_url(redis_url)
    assert all(client.exists(PREFIX + k) for k in _keys(emb, TEXTS))
    emb.close()


def test_l2_keeps_at_most_its_size(embedder: Any, redis_url: str) -> None:
    emb = _cached(embedder, RedisLevel(redis_url, ttl=0, size=5))
    emb.embed([f"item {i}" for i in range(12)])
    client = redis.Redis.from_url(redis_url)
    assert len(client.keys(PREFIX + "*")) == 5


def test_a_corrupt_l2_entry_is_recomputed(embedder: Any, redis_url: str) -> None:
    a = _cached(embedder, RedisLevel(redis_url, ttl=60, size=100))
    good = a.embed(TEXTS)
    client = redis.Redis.from_url(redis_url)
    k0, k1, _ = _keys(a, TEXTS)
    client.set(PREFIX + k0, b"\x00" * 17)
    client.set(PREFIX + k1, encode(good[1])[:-4])  # a short entry
    b = _cached(embedder, RedisLevel(redis_url, ttl=60, size=100))
    with recording() as counts:
        got = b.embed(TEXTS)
    assert (counts.hits["l2"], counts.computed) == (1, 2)
    assert np.allclose(got, good, atol=1e-6)
    assert decode(client.get(PREFIX + k0), embedder.dimension) is not None  # rewritten


def test_the_key_names_the_model_and_the_input_namespace(embedder: Any) -> None:
    class Queries:  # what an e5-style model says while it embeds queries
        model_id = embedder.model_id
        dimension = embedder.dimension
        max_tokens = embedder.max_tokens
        cache_namespace = "query: "

        def embed(self, texts: Any, *, progress: Any = None) -> np.ndarray:
            return np.asarray(embedder.embed(list(texts)))

        def count_tokens(self, text: str) -> int:
            return int(embedder.count_tokens(text))

    shared = MemoryLevel(10)
    _cached(embedder, shared).embed(TEXTS[:1])
    with recording() as counts:
        _cached(Queries(), shared).embed(TEXTS[:1])
    assert counts.computed == 1  # not the document vector of the same text


# -- Redis down -------------------------------------------------------------------------------------


def test_redis_killed_mid_run_warns_once_completes_and_reconnects(
    embedder: Any, small_plans: Path, tmp_path: Path
) -> None:
    with RedisServer.start() as server:
        s = _settings(tmp_path / "data", redis_url=server.url)
        with Engine(s, embedder=embedder) as eng:
            eng.index([small_plans / FILES[0]])

            def kill_on_first_batch(stage: str, done: int, total: int) -> None:
                if stage.startswith("embedding") and server.proc is not None:
                    server.stop()  # Redis dies in the middle of the run

            with pytest.warns(CacheWarning, match="unreachable") as caught:
                report = eng.index([small_plans], progress=kill_on_first_batch)
            assert server.proc is None  # it was killed during the run
            assert len([w for w in caught if issubclass(w.category, CacheWarning)]) == 1
            assert report.problems == [] and report.computed > 0
            assert eng.search("vectorisation Go native", limit=1)
            server.run()  # back, on the same port
            deadline = time.monotonic() + 60
            n = 0
            while time.monotonic() < deadline:  # the backoff lets a retry through
                eng.embedder.embed([f"after the restart {n}"])
                n += 1
                if redis.Redis.from_url(server.url).dbsize() > 0:
                    break
                time.sleep(0.2)
            assert redis.Redis.from_url(server.url).dbsize() > 0


# -- reuse before embedding ---------------------------------------------------------------------------


def test_a_moved_folder_is_reindexed_without_the_model(
    embedder: Any, small_plans: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    with Engine(_settings(data), embedder=embedder) as eng:
        first = eng.index([small_plans])
    assert first.computed > 0
    moved = tmp_path / "elsewhere" / "plans"
    moved.parent.mkdir()
    small_plans.rename(moved)
    with Engine(_settings(data), embedder=embedder) as eng:  # a new process: its memory is empty
        report = eng.index([moved])
    assert report.added == first.added and report.computed == 0
    assert report.reused == first.added  # every point's vector copied from its old point
    assert report.cache["computed"] == 0


def test_an_empty_data_dir_with_a_warm_redis_computes_nothing(
    embedder: Any, small_plans: Path, tmp_path: Path, redis_url: str
) -> None:
    with Engine(_settings(tmp_path / "a", redis_url=redis_url), embedder=embedder) as eng:
        cold = eng.index([small_plans])
    assert cold.computed == cold.embedded > 0
    with Engine(_settings(tmp_path / "b", redis_url=redis_url), embedder=embedder) as eng:
        warm = eng.index([small_plans])
        hits = eng.search("migration MCP manager", limit=3)
    assert warm.added == cold.added and warm.computed == 0
    assert warm.cache["l2"]["hits"] == warm.embedded == cold.embedded
    assert warm.reused == 0  # an empty store holds nothing to reuse: Redis gave every vector
    assert hits


def test_full_reindex_computes_nothing_for_unchanged_texts(
    embedder: Any, small_plans: Path, tmp_path: Path
) -> None:
    s = _settings(tmp_path / "data", cache_l1_size=0)
    with Engine(s, embedder=embedder) as eng:
        first = eng.index([small_plans])
        full = eng.index([small_plans], full=True)
    assert full.updated == first.added and full.computed == 0


# -- what users see -----------------------------------------------------------------------------------


def test_cli_reports_computed_and_cache_levels(
    capsys: pytest.CaptureFixture[str], small_plans: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from planvec.cli import main

    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLANVEC_CACHE_L3_PATH", str(tmp_path / "l3.sqlite3"))
    assert main(["index", str(small_plans / FILES[0]), "--json"]) == 0
    cold = json.loads(capsys.readouterr().out)
    assert cold["computed"] == cold["embedded"] > 0
    assert cold["cache"]["l3"] == {"hits": 0, "misses": cold["embedded"]}
    assert cold["cache"]["computed"] == cold["computed"]
    shutil.rmtree(tmp_path / "home")  # an empty data directory: the disk cache answers
    assert main(["index", str(small_plans / FILES[0]), "--json"]) == 0
    warm = json.loads(capsys.readouterr().out)
    assert warm["computed"] == 0 and warm["cache"]["l3"]["hits"] == warm["embedded"] == cold["embedded"]
    shutil.rmtree(tmp_path / "home")
    assert main(["index", str(small_plans / FILES[0])]) == 0
    out = capsys.readouterr().out
    assert f"embedded {cold['embedded']} (computed 0)" in out


def test_metrics_count_cache_hits_per_level(embedder: Any, small_plans: Path, tmp_path: Path) -> None:
    import re

    from fastapi.testclient import TestClient

    from planvec.service.app import create_app

    s = _settings(tmp_path / "data", index_paths=(small_plans,), open_mode=True)
    app = create_app(s, embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as client:
        report = client.post("/api/v1/index", json={}, params={"wait": 120}).json()["job"]["result"]
        assert report["computed"] > 0 and "cache" in report
        again = client.post("/api/v1/index", json={"full": True}, params={"wait": 120}).json()["job"][
            "result"
        ]
        assert again["computed"] == 0
        client.get("/api/v1/search", params={"q": "migration MCP", "limit": 2})
        text = client.get("/metrics").text
    computed = re.search(r"^planvec_embedding_computed_total (\S+)", text, re.M)
    assert computed and float(computed.group(1)) >= report["computed"]
    assert re.search(r'^planvec_embedding_cache_misses_total\{level="l1"\} [1-9]', text, re.M)
    assert re.search(r'^planvec_embedding_cache_hits_total\{level="l1"\} \S+', text, re.M)


def test_an_existing_collection_gets_the_content_hash_index(
    embedder: Any, small_plans: Path, tmp_path: Path
) -> None:
    from planvec.kinds.plans import PLANS
    from planvec.store.base import CollectionSpec

    with Engine(_settings(tmp_path / "data"), embedder=embedder) as eng:
        coll = eng.settings.tasks_collection
        old = dict(PLANS.payload_indexes)  # as planvec made collections before this index
        eng.store.create_collection(
            CollectionSpec(coll, embedder.dimension, embedder.model_id, payload_indexes=old)
        )
        assert "content_hash" not in eng.store.collection_info(coll).payload_indexes  # type: ignore[union-attr]
        eng.index([small_plans / FILES[0]])
        info = eng.store.collection_info(coll)
    assert info is not None and info.payload_indexes == {
        **old,
        "content_hash": "keyword",
        "sensitivity": "keyword",
    }
    with Engine(_settings(tmp_path / "data"), embedder=embedder) as eng:  # and it was written down
        assert eng.store.collection_info(coll).payload_indexes["content_hash"] == "keyword"  # type: ignore[union-attr]
