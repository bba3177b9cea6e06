"""EdgeStore specifics: locking, read-only mode, persistence, SIGKILL recovery, throughput."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import numpy as np
import pytest
import qdrant_edge as qe

from planvec.errors import CollectionNotFound, StoreError, StoreLockedError, UsageError
from planvec.kinds.plans import PAYLOAD_INDEXES
from planvec.store import CollectionSpec, EdgeStore, Filters, Match, MatchAny, PointData, SparseVec
from planvec.store.edge import COLLECTIONS_DIR, META_NAME, SHARD_DIR

DIM = 32


def spec(name: str = "tasks", dim: int = DIM) -> CollectionSpec:
    return CollectionSpec(name=name, dimension=dim, model="test/model", payload_indexes=dict(PAYLOAD_INDEXES))


def points(n: int, start: int = 0, dim: int = DIM, seed: int = 0) -> list[PointData]:
    rng = np.random.default_rng(seed + start)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return [
        PointData(
            id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"pt{start + i}")),
            vector=x[i],
            payload={"n": start + i, "status": "pending" if i % 2 else "completed", "file": f"f{i % 3}.md"},
            sparse=SparseVec((i % 50, 100 + i % 7), (1.0, 0.5)),
        )
        for i in range(n)
    ]


def run_py(code: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


# -- locking --------------------------------------------------------------------------------------
def test_second_writer_in_another_process_is_refused_with_pid(tmp_path: Path) -> None:
    with EdgeStore(tmp_path) as store:
        store.create_collection(spec())
        r = run_py(f"""
            from pathlib import Path
            from planvec.errors import StoreLockedError
            from planvec.store import EdgeStore
            try:
                EdgeStore(Path({str(tmp_path)!r}))
            except StoreLockedError as e:
                print("LOCKED", e)
            else:
                print("OPENED")
        """)
        assert "LOCKED" in r.stdout, r.stdout + r.stderr
        assert str(os.getpid()) in r.stdout  # the pid holding the lock
        assert "hint:" in r.stdout
    # Released on close: a writer can open again.
    with EdgeStore(tmp_path) as again:
        assert again.list_collections() == ["tasks"]


def test_lock_is_per_open_in_the_same_process(tmp_path: Path) -> None:
    with EdgeStore(tmp_path):
        with pytest.raises(StoreLockedError) as exc:
            EdgeStore(tmp_path)
        assert str(os.getpid()) in str(exc.value)
        with pytest.raises(StoreLockedError) as exc2:  # a reader while a writer is active
            EdgeStore(tmp_path, read_only=True)
        assert "being written" in exc2.value.message and str(os.getpid()) in exc2.value.message


def test_readers_share_the_directory_and_block_writers(tmp_path: Path) -> None:
    with EdgeStore(tmp_path) as w:
        w.create_collection(spec("a"))
        w.create_collection(spec("b"))
        w.upsert("a", points(20))
        w.upsert("b", points(20, start=100))
    r1 = EdgeStore(tmp_path, read_only=True, lock_timeout=0.3)
    r2 = EdgeStore(tmp_path, read_only=True, lock_timeout=0.3)
    try:
        q = points(1)[0].vector
        assert r1.search("a", q, limit=1)[0].payload["n"] == 0
        assert r2.search("b", q, limit=3)  # other collection: no contention
        # Qdrant Edge lets one open shard per directory: a second reader of "a" waits, then says so.
        with pytest.raises(StoreLockedError) as exc:
            r2.count("a")
        assert "collection 'a'" in exc.value.message
        # A writer meets the readers, named by pid.
        with pytest.raises(StoreLockedError) as wexc:
            EdgeStore(tmp_path)
        assert "reading" in wexc.value.message and str(os.getpid()) in wexc.value.message
        # Readers do not write.
        with pytest.raises(StoreError):
            r1.upsert("a", points(1))
        with pytest.raises(StoreError):
            r1.create_collection(spec("c"))
        with pytest.raises(StoreError):
            r1.set_meta("a", {"x": 1})
        r1.close()
        assert r2.count("a") == 20  # free once the first reader closed
    finally:
        r1.close()
        r2.close()
    with EdgeStore(tmp_path) as w:  # and the writer gets in after all readers left
        assert w.count("a") == 20


def test_reader_of_a_missing_directory_sees_nothing_and_creates_nothing(tmp_path: Path) -> None:
    d = tmp_path / "nothing-here"
    with EdgeStore(d, read_only=True) as r:
        assert r.list_collections() == []
        assert r.collection_info("tasks") is None
        with pytest.raises(CollectionNotFound):
            r.count("tasks")
    assert not d.exists()


def test_two_loads_of_one_shard_directory_fail(tmp_path: Path) -> None:
    """What the lock protects against: Qdrant Edge refuses a second load of an open shard."""
    with EdgeStore(tmp_path) as store:
        store.create_collection(spec())
        store.upsert("tasks", points(5))
        shard_dir = tmp_path / COLLECTIONS_DIR / "tasks" / SHARD_DIR
        with pytest.raises(Exception, match="WouldBlock"):
            qe.EdgeShard.load(str(shard_dir))
        r = run_py(f"""
            import qdrant_edge as qe
            try:
                qe.EdgeShard.load({str(shard_dir)!r})
                print("LOADED")
            except Exception as e:
                print("REFUSED", e)
        """)
        assert "REFUSED" in r.stdout and "WouldBlock" in r.stdout, r.stdout + r.stderr


# -- persistence ----------------------------------------------------------------------------------
def test_data_and_metadata_survive_close_and_reopen(tmp_path: Path) -> None:
    pts = points(300)
    with EdgeStore(tmp_path) as store:
        store.create_collection(spec())
        store.upsert("tasks", pts)
        store.set_meta("tasks", {"last_sync": "2024-06-01T00:00:00+00:00"})
        store.optimize("tasks")
        store.delete("tasks", [pts[0].id])
    meta_file = tmp_path / COLLECTIONS_DIR / "tasks" / META_NAME
    assert meta_file.is_file() and not list(meta_file.parent.glob(".*.tmp"))
    with EdgeStore(tmp_path) as store:
        assert store.list_collections() == ["tasks"]
        info = store.collection_info("tasks")
        assert (
            info is not None and info.points == 299 and info.meta["last_sync"] == "2024-06-01T00:00:00+00:00"
        )
        assert set(info.payload_indexes) == set(spec().payload_indexes)
        got = {p.id: p for p in store.scroll("tasks", with_vectors=True)}
        assert len(got) == 299 and pts[0].id not in got
        for p in pts[1:]:
            assert np.array_equal(got[p.id].vector, p.vector) and got[p.id].sparse == p.sparse
            assert got[p.id].payload == p.payload
        assert store.count("tasks", Filters((Match("status", "pending"),))) == sum(
            p.payload["status"] == "pending" for p in pts[1:]
        )
        hit = store.search("tasks", pts[7].vector, limit=1)[0]
        assert hit.id == pts[7].id
    with EdgeStore(tmp_path, read_only=True) as reader:  # and a reader sees the same
        assert reader.count("tasks") == 299


_KILLED_WRITER = """
import sys, uuid
import numpy as np
from pathlib import Path
from planvec.store import CollectionSpec, EdgeStore, PointData, SparseVec

store = EdgeStore(Path(sys.argv[1]))
store.create_collection(CollectionSpec(name="tasks", dimension={dim}, model="m"))
rng = np.random.default_rng(1)
batch, n = 200, 0
while True:
    x = rng.standard_normal((batch, {dim})).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    pts = [PointData(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"k{{n + i}}")), vector=x[i],
                     payload={{"n": n + i, "text": "x" * 200}}, sparse=SparseVec((i,), (1.0,)))
           for i in range(batch)]
    store.upsert("tasks", pts)
    n += batch
    if n % 1000 == 0:
        store.flush()
        print("flushed", n, flush=True)
    else:
        print("applied", n, flush=True)
"""


def test_sigkill_mid_upsert_then_reopen(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER.format(dim=DIM), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    applied = flushed = 0
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            word, num = line.split()
            applied = int(num)
            flushed = applied if word == "flushed" else flushed
            if flushed >= 2000 and applied > flushed:  # killed between flushes, writes in flight
                break
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read() if proc.stderr else ""
    assert flushed >= 2000, (applied, flushed)
    # The kernel released the lock; the WAL is replayed on load.
    with EdgeStore(tmp_path) as store:
        n = store.count("tasks")
        assert n >= applied, (n, applied, flushed)  # acknowledged writes all there, WAL included
        assert n % 200 == 0  # whole batches only: one upsert batch is one WAL record
        ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"k{i}")) for i in range(n)]
        got = store.retrieve("tasks", ids, with_vectors=True)
        assert len(got) == n and all(p.payload["n"] == i for i, p in enumerate(got))
        assert store.search("tasks", got[3].vector, limit=1)[0].id == got[3].id  # type: ignore[arg-type]
        store.upsert("tasks", points(10, start=10_000))  # and writes go on
        store.optimize("tasks")
        assert store.count("tasks") == n + 10


# -- collection directory hygiene -----------------------------------------------------------------
def test_leftovers_of_a_killed_create_are_ignored_and_cleaned(tmp_path: Path) -> None:
    with EdgeStore(tmp_path) as store:
        store.create_collection(spec())
    root = tmp_path / COLLECTIONS_DIR
    (root / ".tmp-half-1234").mkdir()
    (root / "broken").mkdir()  # no meta.json: not a collection
    with EdgeStore(tmp_path) as store:
        assert store.list_collections() == ["tasks"]
        assert not (root / ".tmp-half-1234").exists()
        store.create_collection(spec("broken"))  # replaces the debris
        assert store.list_collections() == ["broken", "tasks"]
        with pytest.raises(UsageError):
            store.create_collection(spec("../escape"))


# -- throughput -----------------------------------------------------------------------------------
def _planvec_payload(i: int) -> dict[str, object]:
    """A payload shaped like planvec.kinds.plans.documents.task_docs (25 fields)."""
    return {
        "kind": "task",
        "root": "/home/me/plans",
        "file": f"plans/plan-dev-v{i % 60}.md",
        "line": i,
        "anchor": f"{i % 9}.{i % 7}.{i % 5}",
        "task_id": f"{i % 9}.{i % 7}.{i % 5}",
        "task_id_prefixes": [f"{i % 9}", f"{i % 9}.{i % 7}", f"{i % 9}.{i % 7}.{i % 5}"],
        "title": "Implémenter le cache des embeddings avec TTL",
        "body": "- Étape 1 : écrire les tests\n- Étape 2 : brancher Qdrant",
        "status": "pending" if i % 3 else "completed",
        "priority": f"P{i % 4}",
        "is_mvp": i % 5 == 0,
        "section": "Phase 2 > Sécurité",
        "section_path": ["Phase 2", "Sécurité"],
        "section_tokens": ["phase", "2", "securite"],
        "depth": 2,
        "parent": None,
        "parent_task_id": None,
        "parent_id": None,
        "plan_title": "Plan de développement v19",
        "plan_version": "v19",
        "plan_progress": 0.42,
        "text": "Sécurité > Implémenter le cache des embeddings avec TTL",
        "content_hash": uuid.uuid5(uuid.NAMESPACE_URL, str(i)).hex,
        "payload_hash": uuid.uuid5(uuid.NAMESPACE_DNS, str(i)).hex,
    }


def test_upsert_throughput_and_query_latency(tmp_path: Path) -> None:
    """20,000 x 384-d points. Prints figures; asserts only correctness (timings vary by machine)."""
    n, dim = 20_000, 384
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, dim)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    ids = [str(uuid.uuid5(uuid.NAMESPACE_URL, f"tp{i}")) for i in range(n)]
    light = [
        {
            "status": "pending" if i % 3 else "completed",
            "priority": f"P{i % 4}",
            "is_mvp": i % 5 == 0,
            "file": f"plans/p{i % 60}.md",
        }
        for i in range(n)
    ]
    full = [_planvec_payload(i) for i in range(n)]
    figures = {}
    for label, payloads in (("4-field payload", light), ("planvec 25-field payload", full)):
        pts = [PointData(id=ids[i], vector=x[i], payload=payloads[i]) for i in range(n)]
        with EdgeStore(tmp_path / label.split()[0]) as store:
            store.create_collection(CollectionSpec(name="tp", dimension=dim, model="m", sparse=False))
            t0 = time.perf_counter()
            store.upsert("tp", pts)
            store.flush()
            figures[label] = n / (time.perf_counter() - t0)
            assert store.count("tp") == n
            if label.startswith("planvec"):
                qs = x[:200]
                t0 = time.perf_counter()
                for q in qs:
                    store.search("tp", q, limit=10)
                figures["query ms (before optimize)"] = (time.perf_counter() - t0) / len(qs) * 1000
                t0 = time.perf_counter()
                for q in qs:
                    store.search(
                        "tp",
                        q,
                        filters=Filters((Match("status", "pending"), MatchAny("priority", ("P1", "P2")))),
                        limit=10,
                    )
                figures["filtered query ms"] = (time.perf_counter() - t0) / len(qs) * 1000
    print(
        "\nEdgeStore 20,000 x 384-d: "
        + ", ".join(
            f"{k} {v:,.0f} points/s" if "payload" in k else f"{k} {v:.2f}" for k, v in figures.items()
        )
    )


def test_payload_cache_never_serves_a_payload_older_than_the_last_write(tmp_path: Path) -> None:
    """Searches and retrieves read payloads through a cache: every kind of write drops it."""
    pts = points(40)
    ids = [p.id for p in pts]
    q = pts[0].vector
    with EdgeStore(tmp_path) as store:
        store.create_collection(spec())
        store.upsert("tasks", pts)

        def payload_of(i: int) -> dict[str, object] | None:
            found = {h.id: h.payload for h in store.search("tasks", q, limit=40)}
            got = store.retrieve("tasks", [ids[i]])
            assert (got[0].payload if got else None) == found.get(ids[i])
            return got[0].payload if got else None

        assert payload_of(0) == {"n": 0, "status": "completed", "file": "f0.md"}
        # A caller changing what it was given changes nothing stored (nor cached).
        store.retrieve("tasks", [ids[0]])[0].payload["n"] = -1
        store.search("tasks", q, limit=1)[0].payload["n"] = -2
        assert payload_of(0) == {"n": 0, "status": "completed", "file": "f0.md"}

        store.upsert("tasks", [PointData(ids[0], pts[0].vector, {"n": 100}, pts[0].sparse)])
        assert payload_of(0) == {"n": 100}
        store.overwrite_payload("tasks", [(ids[0], {"n": 101, "status": "pending"})])
        assert payload_of(0) == {"n": 101, "status": "pending"}
        store.delete("tasks", [ids[0]])
        assert payload_of(0) is None
        assert ids[0] not in {h.id for h in store.search("tasks", q, limit=40)}

        assert payload_of(1) == {"n": 1, "status": "pending", "file": "f1.md"}
        store.delete_collection("tasks")
        store.create_collection(spec())
        store.upsert("tasks", [PointData(ids[1], pts[1].vector, {"n": 200}, pts[1].sparse)])
        assert payload_of(1) == {"n": 200}


def test_a_new_collection_is_searched_through_hnsw_once_optimized(tmp_path: Path) -> None:
    """Collections from about 2,000 points of 384 dimensions get an HNSW index when optimized
    (Qdrant's own threshold is three times higher), and searches through it find what an exact
    search finds: the point itself first, and most of the exact top 10 (random vectors are HNSW's
    worst case; on the shared corpus the top 10 agree at 99.6%)."""
    pts = points(5000, dim=384)
    with EdgeStore(tmp_path) as store:
        store.create_collection(spec(dim=384))
        store.upsert("tasks", pts)
        shard = store._shard("tasks")
        assert shard.info().indexed_vectors_count == len(pts)  # the sparse vectors only
        store.optimize("tasks")
        assert shard.info().indexed_vectors_count == 2 * len(pts)  # and now the dense ones
        agree = 0
        for p in pts[:50]:
            approx = [h.id for h in store.search("tasks", p.vector, limit=10)]
            exact = [h.id for h in store.search("tasks", p.vector, limit=10, exact=True)]
            assert approx[0] == p.id
            agree += len(set(approx) & set(exact))
        assert agree >= 0.85 * 500
