"""planvec benchmarks on the shared corpus. Prints one JSON object to stdout (progress on stderr).

Every comparison is measured side by side in this one run (the machines are shared and noisy):
- embedding: texts/s batched (length-sorted batches) vs a naive baseline (one text per call);
- full index of the corpus: seconds, share spent embedding, pipeline overhead (everything else);
- re-index unchanged (seconds, texts embedded) and after touching one task;
- search latency p50/p95/p99 over 200 distinct queries, including query embedding, on EdgeStore and
  on ServerStore(:memory:) holding the same points;
- upsert of precomputed vectors (points/s) into a fresh Qdrant Edge collection;
- peak RSS of this process.

Usage: python benchmarks/run.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from planvec.embedding import load_embedder  # noqa: E402
from planvec.engine import Engine  # noqa: E402
from planvec.kinds.plans import PAYLOAD_INDEXES  # noqa: E402
from planvec.records import TASKS_COLLECTION  # noqa: E402
from planvec.settings import Settings  # noqa: E402
from planvec.store import open_store  # noqa: E402
from planvec.store.base import CollectionSpec, PointData  # noqa: E402

CORPUS = HERE.parent.parent / "shared" / "corpus" / "plans"


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


def bench_embedding(embedder, texts: list[str], naive_n: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    embedder.embed(texts[:64])  # warm-up
    tokens = statistics.fmean(embedder.count_tokens(t) for t in texts)
    t0 = time.perf_counter()
    embedder.embed(texts)
    batched = len(texts) / (time.perf_counter() - t0)
    sample = texts[:naive_n]
    t0 = time.perf_counter()
    for t in sample:
        embedder.embed([t])
    naive = len(sample) / (time.perf_counter() - t0)
    return {
        "texts": len(texts),
        "mean_tokens": round(tokens, 1),
        "batched_texts_per_s": round(batched, 1),
        "naive_texts_per_s": round(naive, 1),
        "speedup": round(batched / naive, 2),
    }


def bench_search(eng: Engine, queries: list[str], mode: str) -> dict[str, float]:
    eng._qcache.clear()
    lat = []
    for q in queries:
        t0 = time.perf_counter()
        eng.search(q, limit=10, mode=mode)  # type: ignore[arg-type]
        lat.append((time.perf_counter() - t0) * 1000)
    return {
        "queries": len(queries),
        "p50_ms": round(pct(lat, 50), 2),
        "p95_ms": round(pct(lat, 95), 2),
        "p99_ms": round(pct(lat, 99), 2),
        "mean_ms": round(statistics.fmean(lat), 2),
    }


def bench_upsert(n: int, dim: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    vecs = rng.standard_normal((n, dim)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    points = [
        PointData(
            id=str(uuid.UUID(int=i + 1)),
            vector=vecs[i],
            payload={"status": "pending", "file": f"f{i % 50}.md", "title": f"task {i}", "line": i},
        )
        for i in range(n)
    ]
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp), None)
        store.create_collection(
            CollectionSpec(
                name="bench",
                dimension=dim,
                model="random",
                sparse=False,
                payload_indexes=dict(PAYLOAD_INDEXES),
            )
        )
        t0 = time.perf_counter()
        for b in range(0, n, 512):
            store.upsert("bench", points[b : b + 512])
        store.flush()
        secs = time.perf_counter() - t0
        store.close()
    return {"points": n, "seconds": round(secs, 3), "points_per_s": round(n / secs, 1)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="smaller samples (for a smoke run)")
    ap.add_argument("--corpus", default=str(CORPUS))
    args = ap.parse_args()
    corpus = Path(args.corpus)
    out: dict[str, object] = {"corpus": str(corpus)}
    embedder = load_embedder("onnx")
    work = Path(tempfile.mkdtemp(prefix="planvec-bench-"))
    try:
        plans = work / "plans"
        shutil.copytree(corpus, plans)
        settings = Settings(data_dir=work / "data")

        log("full index ...")
        with Engine(settings, embedder=embedder) as eng:
            t0 = time.perf_counter()
            full = eng.index([plans])
            full_s = time.perf_counter() - t0
            stored = list(eng.store.scroll(TASKS_COLLECTION, fields=["text", "title"]))
            task_texts = [p.payload["text"] for p in stored]
            titles = [p.payload["title"] for p in stored]
        out["full_index"] = {
            "files": full.files,
            "tasks": full.tasks,
            "sections": full.sections,
            "embedded": full.embedded,
            "seconds": round(full_s, 2),
            "embed_seconds": round(full.embed_seconds, 2),
            "embed_share": round(full.embed_seconds / full_s, 3),
            "pipeline_overhead_share": round(1 - full.embed_seconds / full_s, 3),
            "parse_seconds": round(full.parse_seconds, 3),
            "write_seconds": round(full.write_seconds, 2),
            "texts_per_s_end_to_end": round(full.embedded / full_s, 1),
        }

        log("re-index unchanged ...")
        with Engine(settings, embedder=embedder) as eng:
            t0 = time.perf_counter()
            again = eng.index([plans])
            out["reindex_unchanged"] = {
                "seconds": round(time.perf_counter() - t0, 3),
                "embedded": again.embedded,
            }

        log("touch one task ...")
        f = plans / "plan-dev-v56-go-native-vectorization-migration.md"
        text = f.read_text(encoding="utf-8")
        i = text.index("- [ ]")
        j = text.index("\n", i)
        f.write_text(text[:j] + " (edited)" + text[j:], encoding="utf-8")
        with Engine(settings, embedder=embedder) as eng:
            t0 = time.perf_counter()
            touched = eng.index([plans])
            out["reindex_one_task"] = {
                "seconds": round(time.perf_counter() - t0, 3),
                "embedded": touched.embedded,
                "added": touched.added,
                "updated": touched.updated,
                "deleted": touched.deleted,
            }

        log("embedding throughput ...")
        random.seed(1)
        n_texts, n_naive = (1000, 100) if args.quick else (3000, 300)
        # Task titles are short texts like the anchor's (sentence-transformers: 246 short texts/s on
        # these machines); the embedded "context" texts add the heading and parent title (~2.5x longer).
        out["embedding"] = {
            "titles": bench_embedding(embedder, random.sample(titles, min(len(titles), n_texts)), n_naive),
            "embedded_texts": bench_embedding(
                embedder, random.sample(task_texts, min(len(task_texts), n_texts)), n_naive
            ),
        }

        log("search latency ...")
        titles = random.sample(task_texts, 200 if not args.quick else 50)
        queries = [" ".join(t.split()[-6:]) for t in titles]
        search: dict[str, object] = {}
        with Engine(settings, embedder=embedder, read_only=True) as eng:
            for mode in ("dense", "keyword", "hybrid"):
                search[f"edge_{mode}"] = bench_search(eng, queries, mode)
            edge_store = eng.store
            server = open_store(work / "unused", ":memory:")
            for c in eng.collections():
                server.create_collection(
                    CollectionSpec(
                        name=c.name,
                        dimension=c.dimension,
                        model=c.model or "",
                        payload_indexes=dict(PAYLOAD_INDEXES),
                    )
                )
                server.set_meta(c.name, edge_store.get_meta(c.name))
                batch = []
                for p in edge_store.scroll(c.name, with_vectors=True):
                    batch.append(PointData(id=p.id, vector=p.vector, payload=p.payload, sparse=p.sparse))  # type: ignore[arg-type]
                    if len(batch) == 256:
                        server.upsert(c.name, batch)
                        batch = []
                if batch:
                    server.upsert(c.name, batch)
        with Engine(settings, embedder=embedder, store=server) as eng:
            for mode in ("dense", "hybrid"):
                search[f"server_memory_{mode}"] = bench_search(eng, queries, mode)
            eng._qcache.clear()
        out["search"] = search

        log("upsert precomputed vectors ...")
        out["upsert_edge"] = bench_upsert(5000 if args.quick else 20000, 384)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
