"""Throughput and memory of backup, restore, migrate and validate-migration on synthetic collections.

    python benchmarks/migration.py                 # 100,000 points (384-d) + a 25,000-point RSS run
    python benchmarks/migration.py --points 20000 --sizes 5000,20000

Each operation runs in its own process, so its peak RSS (``ru_maxrss``) is its own; comparing the
peaks at two sizes shows whether memory grows with the collection. Points are random unit vectors
with a planvec-like payload and a BM25-like sparse vector; no model is loaded. HNSW building
(``optimize``, on the streamed copy) is left out of the copy rates and timed on its own. Between two
data directories ``migrate`` copies shard files by default (``migrate_edge_edge``); the streamed
copy that any pair of stores uses is measured too (``migrate_edge_edge_stream``). validate-migration
reads each store in a child process: their peak RSS is reported apart. "Edge → edge including
validation" is measured two ways: ``migrate --validate`` in one call (``migrate_validate_edge_edge``,
into a second copy) and ``migrate`` then ``validate-migration`` (the sum of the two runs above).
Prints one JSON document.

Anchor (from the issue): Qdrant's official migration tool, about 880 points/s Qdrant → Qdrant.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np

DIM = 384
CHUNK = 5000
MODEL = "sentence-transformers/all-MiniLM-L6-v2"
NAME = "roadmap_tasks"


def _rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


class AnonPeak:
    """Peak anonymous RSS (``RssAnon``: heap, not file pages mapped by Qdrant's mmap storage),
    sampled every 20 ms on a thread: it tells buffers that grow from mapped files that are read."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    @staticmethod
    def now_kb() -> int:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("RssAnon:"):
                    return int(line.split()[1])
        return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now_kb())
            self._stop.wait(0.02)

    def stop(self) -> float:
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, self.now_kb())
        return round(self.peak / 1024, 1)


def _children_rss_mb() -> float:
    """The largest peak RSS among this process's finished children (validate's two readers)."""
    return round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)


def _points(start: int, n: int, rng: np.random.Generator) -> list[Any]:
    from planvec.store import PointData, SparseVec

    vecs = rng.standard_normal((n, DIM)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    out = []
    for k in range(n):
        i = start + k
        idx = np.unique(rng.integers(0, 30000, size=12)).tolist()
        payload = {
            "kind": "task",
            "file": f"plans/plan-dev-v{i % 60}.md",
            "line": i % 2000,
            "task_id": f"{i % 9}.{i % 7}.{i % 13}",
            "title": f"Implémenter l'étape {i} du plan de migration",
            "status": "completed" if i % 3 == 0 else "pending",
            "priority": f"P{i % 4}",
            "is_mvp": i % 2 == 0,
            "section": "Phase 3 > Migration des Managers",
            "section_tokens": ["migration", "managers", "phase"],
            "content_hash": f"{i:032x}",
        }
        sv = SparseVec(tuple(idx), tuple(float(np.float32(x)) for x in rng.random(len(idx)) + 0.1))
        out.append(PointData(str(uuid.UUID(int=(i * 0x9E3779B97F4A7C15) % (1 << 128))), vecs[k], payload, sv))
    return out


def op_fill(data: Path, n: int) -> dict[str, Any]:
    from planvec.kinds.plans import PAYLOAD_INDEXES
    from planvec.store import CollectionSpec, EdgeStore

    rng = np.random.default_rng(0)
    t = time.perf_counter()
    with EdgeStore(data) as s:
        s.create_collection(
            CollectionSpec(name=NAME, dimension=DIM, model=MODEL, payload_indexes=dict(PAYLOAD_INDEXES))
        )
        s.set_meta(NAME, {"last_sync": "2025-01-01T00:00:00+00:00"})
        for start in range(0, n, CHUNK):
            s.upsert(NAME, _points(start, min(CHUNK, n - start), rng))
    return {"seconds": time.perf_counter() - t}


def run_op(op: str, work: Path, n: int) -> dict[str, Any]:
    from planvec.ops.backup import backup, restore
    from planvec.ops.migrate import migrate
    from planvec.ops.validate import validate_migration
    from planvec.store import EdgeStore, ServerStore

    src, archive = work / "src", work / "plans.pvbak"
    anon = AnonPeak()
    t = time.perf_counter()
    extra: dict[str, Any] = {}
    if op == "fill":
        op_fill(src, n)
    elif op == "backup":
        with EdgeStore(src, read_only=True) as s:
            r = backup(s, archive)
        extra["archive_mb"] = round(r.bytes / 1e6, 1)
    elif op == "restore":
        with EdgeStore(work / "restored") as s:
            r2 = restore(s, archive, model=(MODEL, DIM), optimize=False)
        extra["verify_seconds"] = r2.verify_seconds
    elif op == "migrate_edge_edge":  # the default between two data directories: shard files copied
        r = migrate(src, work / "copy", batch=512, workers=2, optimize=False)
        extra["method"] = r.collections[0].method
    elif op == "migrate_edge_edge_stream":  # scroll -> upsert, as between any two stores
        migrate(src, work / "copy-stream", batch=512, workers=2, optimize=False, method="stream")
    elif op == "optimize":
        with EdgeStore(work / "copy-stream") as s:
            s.optimize(NAME)
    elif op == "migrate_edge_server_memory":
        with ServerStore(":memory:") as mem:
            migrate(src, mem, batch=512, optimize=False)
    elif op in ("validate", "migrate_validate_edge_edge"):
        if op == "validate":  # the copy made by migrate_edge_edge
            v = validate_migration(src, work / "copy", report_dir=work, sample_queries=20)
        else:  # planvec migrate --validate: both in one call
            m = migrate(src, work / "copy-checked", batch=512, workers=2, optimize=False, validate=True,
                        report_dir=work, sample_queries=20)  # fmt: skip
            assert m.validation is not None
            v = m.validation
            extra.update(complete=m.complete, migrate_seconds=m.seconds, validate_seconds=v.seconds)
        c = v.collections[NAME]
        extra.update(
            success=v.success,
            mismatched_points=v.mismatched_points,
            recall_at_10=c.search_recall_at_10,
            indexed_recall_at_10=c.indexed_recall_at_10,
            latency_ratio=c.latency_ratio,
        )
    else:
        raise SystemExit(f"unknown op {op}")
    seconds = time.perf_counter() - t
    extra["peak_rss_anon_mb"] = anon.stop()
    return {"op": op, "points": n, "seconds": round(seconds, 3), "points_per_second": round(n / seconds, 1),
            "peak_rss_mb": _rss_mb(), "children_peak_rss_mb": _children_rss_mb(), **extra}  # fmt: skip


OPS = (
    "fill",
    "backup",
    "restore",
    "migrate_edge_edge",
    "migrate_edge_edge_stream",
    "optimize",
    "migrate_edge_server_memory",
    "validate",
    "migrate_validate_edge_edge",
)


VALIDATION_KEYS = ("success", "mismatched_points", "recall_at_10", "indexed_recall_at_10", "latency_ratio")


def run_size(n: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="planvec-bench-") as tmp:
        for op in OPS:
            proc = subprocess.run(
                [sys.executable, __file__, "--child", op, "--work", tmp, "--points", str(n)],
                capture_output=True,
                text=True,
            )
            if proc.returncode != 0:
                raise SystemExit(f"{op} failed:\n{proc.stderr}")
            out[op] = json.loads(proc.stdout)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--points", type=int, default=100_000)
    ap.add_argument("--sizes", default=None, help="comma-separated sizes for the RSS comparison")
    ap.add_argument("--child", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--work", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(run_op(args.child, Path(args.work), args.points)))
        return
    sizes = sorted({int(x) for x in args.sizes.split(",")} if args.sizes else {25_000, args.points})
    runs = {n: run_size(n) for n in sizes}
    big = runs[max(sizes)]
    n = max(sizes)
    two_commands = big["migrate_edge_edge"]["seconds"] + big["validate"]["seconds"]
    result = {
        "points": n,
        "dimension": DIM,
        "points_per_second": {
            op: big[op]["points_per_second"] for op in OPS if op not in ("fill", "optimize")
        },
        # planvec migrate --validate (one call), and migrate then validate-migration (two runs)
        "edge_to_edge_including_validation_points_per_second": {
            "one_step": big["migrate_validate_edge_edge"]["points_per_second"],
            "two_commands": round(n / two_commands, 1),
        },
        "hnsw_optimize_seconds": big["optimize"]["seconds"],
        "anchor_qdrant_migration_tool_points_per_second": 880,
        "target_points_per_second": 10_000,
        "validation": {
            op: {k: big[op][k] for k in VALIDATION_KEYS} for op in ("validate", "migrate_validate_edge_edge")
        },
        "archive_mb": big["backup"]["archive_mb"],
        "migrate_edge_edge_method": big["migrate_edge_edge"].get("method"),
        "peak_rss_mb": {op: {str(s): runs[s][op]["peak_rss_mb"] for s in sizes} for op in OPS},
        "peak_rss_anon_mb": {op: {str(s): runs[s][op]["peak_rss_anon_mb"] for s in sizes} for op in OPS},
        "validate_reader_processes_peak_rss_mb": {
            op: {str(s): runs[s][op]["children_peak_rss_mb"] for s in sizes}
            for op in ("validate", "migrate_validate_edge_edge")
        },
        "runs": {str(s): runs[s] for s in sizes},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
