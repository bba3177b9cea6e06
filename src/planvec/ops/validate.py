"""``validate-migration``: prove that a target holds exactly what the source holds.

Per collection: collection layout, id sets, payload equality, dense and sparse vector equality
within a tolerance, search parity (recall@10 of the target against the source for a sample of
queries made from stored vectors, dense and BM25) and the search latency ratio. Both stores are
scrolled in id order and merged, so memory stays flat whatever the collection size.

The report keeps the field names of the migration guide (``total_collections``,
``validated_points``, ``mismatched_points``, ``performance_gains``, ``collections.{name}.
{source_count, target_count, data_integrity, performance_gain}``, ``timestamp``) and adds the
first mismatches of each kind.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreError, UsageError
from ..settings import Settings
from ..store.base import CollectionInfo, ScoredHit, SparseVec, StoredPoint, VectorStore
from ..store.filters import check_name
from .procstore import Chunk, StoreProcess, chunk_concat, chunk_slice, id_of, timed_searches
from .transfer import LOCAL_META_KEYS, Location, ProgressFn, Rate, describe, open_location, same_location

DEFAULT_TOLERANCE = 1e-6
DEFAULT_SAMPLE_QUERIES = 50
MIN_RECALL = 0.99
FIRST_MISMATCHES = 10
RECALL_K = 10
# Payload keys that legitimately change when vectors are re-embedded.
REEMBED_KEYS = ("content_hash",)
KINDS = ("missing_in_target", "extra_in_target", "payload", "vector", "sparse_vector", "config")


@dataclass(slots=True)
class CollectionValidation:
    name: str
    source_count: int = 0
    target_count: int = 0
    data_integrity: bool = False
    performance_gain: float = 0.0  # source search latency / target search latency (> 1: target faster)
    validated_points: int = 0
    mismatched_points: int = 0
    missing_in_target: int = 0
    extra_in_target: int = 0
    payload_mismatches: int = 0
    vector_mismatches: int = 0
    sparse_mismatches: int = 0
    config_mismatches: list[str] = field(default_factory=list)
    max_vector_diff: float = 0.0
    vectors_compared: bool = True
    search_recall_at_10: float | None = None
    sparse_recall_at_10: float | None = None
    indexed_recall_at_10: float | None = None  # same, through each store's index (informational)
    # Each store's dense index ("plain": full scans, "hnsw", "mixed", None: unknown); with two
    # plain ones the indexed searches are the exact ones, run once.
    dense_index: dict[str, str | None] = field(default_factory=dict)
    search_parity: bool = True
    source_latency_ms: float | None = None
    target_latency_ms: float | None = None
    latency_ratio: float | None = None  # target / source
    first_mismatches: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass(slots=True)
class ValidationReport:
    source: str
    target: str
    total_collections: int = 0
    validated_points: int = 0
    mismatched_points: int = 0
    performance_gains: dict[str, float] = field(default_factory=dict)
    collections: dict[str, CollectionValidation] = field(default_factory=dict)
    timestamp: str = ""
    tolerance: float = DEFAULT_TOLERANCE
    sample_queries: int = DEFAULT_SAMPLE_QUERIES
    min_recall: float = MIN_RECALL
    extra_target_collections: list[str] = field(default_factory=list)
    success: bool = False
    report_file: str | None = None
    seconds: float = 0.0
    points_per_second: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def exit_code(self) -> int:
        return 0 if self.success else 1

    def summary_lines(self) -> list[str]:
        """The summary of the migration guide (per collection, then totals)."""
        out = ["=== Migration validation ==="]
        for name, c in self.collections.items():
            out.append(f"Collection: {name}")
            if c.data_integrity:
                out.append(f"  ✅ integrity validated: {c.target_count} points")
            else:
                out.append(
                    f"  ❌ difference found: source={c.source_count}, target={c.target_count} "
                    f"(missing {c.missing_in_target}, extra {c.extra_in_target}, payload "
                    f"{c.payload_mismatches}, vector {c.vector_mismatches}, sparse {c.sparse_mismatches}"
                    + (f", config: {'; '.join(c.config_mismatches)}" if c.config_mismatches else "")
                    + ")"
                )
            if c.search_recall_at_10 is not None:
                mark = "✅" if c.search_parity else "❌"
                sparse = f", bm25 {c.sparse_recall_at_10:.4f}" if c.sparse_recall_at_10 is not None else ""
                idx = f", indexed {c.indexed_recall_at_10:.4f}" if c.indexed_recall_at_10 is not None else ""
                out.append(f"  {mark} search parity: recall@10 {c.search_recall_at_10:.4f}{idx}{sparse}")
            if c.performance_gain > 0:
                out.append(f"  🚀 performance gain: {c.performance_gain:.2f}x")
        out += [
            "",
            "=== Validation report ===",
            f"Collections validated: {sum(c.data_integrity for c in self.collections.values())}"
            f"/{self.total_collections}",
            f"Points validated: {self.validated_points}",
            f"Points in error: {self.mismatched_points}",
            f"Report saved: {self.report_file or '-'}",
            "✅ Migration validated successfully!"
            if self.success
            else "❌ Migration incomplete - check required",
        ]
        return out


def _key(pid: str) -> int:
    return uuid.UUID(pid).int


def _ordered(points: Iterator[StoredPoint], where: str) -> Iterator[tuple[int, StoredPoint]]:
    last = -1
    for p in points:
        k = _key(p.id)
        if k <= last:
            raise StoreError(f"the scroll of {where} is not in id order: cannot merge-compare")
        last = k
        yield k, p


def _sparse_diff(a: SparseVec | None, b: SparseVec | None, tol: float) -> float | None:
    """None when equal within ``tol``, else the largest difference (inf for another pattern)."""
    if a is None or b is None:
        return None if a is b else float("inf")
    if a.indices != b.indices:
        return float("inf")
    if not a.values:
        return None
    d = float(np.max(np.abs(np.asarray(a.values) - np.asarray(b.values))))
    return d if d > tol else None


def _payload_diff(a: dict[str, Any], b: dict[str, Any], ignore: Sequence[str]) -> list[str]:
    keys = (set(a) | set(b)) - set(ignore)
    return sorted(k for k in keys if a.get(k, _MISSING) != b.get(k, _MISSING))


_MISSING = object()


def _config_diff(s: CollectionInfo, t: CollectionInfo, reembedded: bool) -> list[str]:
    out = []
    if s.distance != t.distance:
        out.append(f"distance {s.distance} != {t.distance}")
    if s.sparse and not t.sparse:
        out.append("the target has no BM25 sparse vectors")
    if not reembedded:
        if s.dimension != t.dimension:
            out.append(f"dimension {s.dimension} != {t.dimension}")
        if (s.model or None) != (t.model or None):
            out.append(f"model {s.model} != {t.model}")
    si = dict(s.meta.get("payload_indexes") or s.payload_indexes)
    ti = dict(t.meta.get("payload_indexes") or t.payload_indexes)
    if si != ti:
        out.append(f"payload indexes {si} != {ti}")
    sm = {
        k: v
        for k, v in s.meta.items()
        if k not in LOCAL_META_KEYS and k not in ("model", "dimension", "bm25")
    }
    tm = {
        k: v
        for k, v in t.meta.items()
        if k not in LOCAL_META_KEYS and k not in ("model", "dimension", "bm25")
    }
    for k in sorted(set(sm) - {"migrated_from", "restored_from"}):
        if k not in tm:
            out.append(f"metadata key {k!r} missing")
    return out


class _Collector:
    def __init__(self, c: CollectionValidation) -> None:
        self.c = c
        for k in KINDS:
            c.first_mismatches[k] = []

    def add(self, kind: str, item: dict[str, Any]) -> None:
        lst = self.c.first_mismatches[kind]
        if len(lst) < FIRST_MISMATCHES:
            lst.append(item)


def validate_collection(
    src: VectorStore | StoreProcess,
    dst: VectorStore | StoreProcess,
    name: str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    sample_queries: int = DEFAULT_SAMPLE_QUERIES,
    batch: int = 1024,
    progress: ProgressFn | None = None,
    done_before: int = 0,
    total: int = 0,
    source_info: CollectionInfo | None = None,
) -> CollectionValidation:
    t0 = time.perf_counter()
    c = CollectionValidation(name)
    col = _Collector(c)
    sinfo = source_info or src.collection_info(name)
    tinfo = dst.collection_info(name)
    if sinfo is None:
        raise UsageError(f"collection {name!r} does not exist in the source")
    c.source_count = sinfo.points
    if tinfo is None:
        c.target_count = 0
        c.missing_in_target = c.mismatched_points = sinfo.points
        c.config_mismatches.append("the collection does not exist in the target")
        if isinstance(src, StoreProcess):
            for pid in src.first_ids(name, FIRST_MISMATCHES):
                col.add("missing_in_target", {"id": pid})
        else:
            for p in src.scroll(name, fields=[], batch_size=batch):
                col.add("missing_in_target", {"id": p.id})
                if len(c.first_mismatches["missing_in_target"]) >= FIRST_MISMATCHES:
                    break
        c.seconds = round(time.perf_counter() - t0, 3)
        return c
    c.target_count = tinfo.points
    reembedded = sinfo.dimension != tinfo.dimension or (
        bool(sinfo.model) and bool(tinfo.model) and sinfo.model != tinfo.model
    )
    c.vectors_compared = not reembedded
    c.config_mismatches = _config_diff(sinfo, tinfo, reembedded)
    for m in c.config_mismatches:
        col.add("config", {"detail": m})
    ignore = REEMBED_KEYS if reembedded else ()
    if isinstance(src, StoreProcess) and isinstance(dst, StoreProcess):
        _compare_scans(src, dst, name, sinfo, tinfo, c, col, reembedded, tolerance, sample_queries,
                       progress, done_before, total)  # fmt: skip
        c.data_integrity = (
            c.mismatched_points == 0 and not c.config_mismatches and c.source_count == c.target_count
        )
        c.seconds = round(time.perf_counter() - t0, 3)
        return c
    assert not isinstance(src, StoreProcess) and not isinstance(dst, StoreProcess)
    rng = random.Random(0)
    sample: list[StoredPoint] = []
    seen = 0
    a_it = _ordered(src.scroll(name, with_vectors=True, batch_size=batch), "the source")
    b_it = _ordered(dst.scroll(name, with_vectors=True, batch_size=batch), "the target")
    a = next(a_it, None)
    b = next(b_it, None)
    while a is not None or b is not None:
        if b is None or (a is not None and a[0] < b[0]):
            assert a is not None
            c.missing_in_target += 1
            col.add("missing_in_target", {"id": a[1].id})
            a = next(a_it, None)
            continue
        if a is None or b[0] < a[0]:
            c.extra_in_target += 1
            col.add("extra_in_target", {"id": b[1].id})
            b = next(b_it, None)
            continue
        sp, tp = a[1], b[1]
        ok = True
        keys = _payload_diff(sp.payload, tp.payload, ignore)
        if keys:
            ok = False
            c.payload_mismatches += 1
            col.add(
                "payload",
                {
                    "id": sp.id,
                    "keys": keys,
                    "source": {k: sp.payload.get(k) for k in keys[:5]},
                    "target": {k: tp.payload.get(k) for k in keys[:5]},
                },
            )
        if not reembedded:
            if sp.vector is None or tp.vector is None or sp.vector.shape != tp.vector.shape:
                d = float("inf") if (sp.vector is None) != (tp.vector is None) else 0.0
            else:
                d = float(np.max(np.abs(sp.vector - tp.vector))) if sp.vector.size else 0.0
            if d > tolerance:
                ok = False
                c.vector_mismatches += 1
                col.add("vector", {"id": sp.id, "max_abs_diff": d})
            elif d > c.max_vector_diff:
                c.max_vector_diff = d
            sd = _sparse_diff(sp.sparse, tp.sparse, tolerance)
            if sd is not None:
                ok = False
                c.sparse_mismatches += 1
                col.add("sparse_vector", {"id": sp.id, "max_abs_diff": sd})
        if ok:
            c.validated_points += 1
        else:
            c.mismatched_points += 1
        seen += 1
        if len(sample) < sample_queries:  # reservoir sample of query points
            sample.append(sp)
        else:
            j = rng.randrange(seen)
            if j < sample_queries:
                sample[j] = sp
        if progress and seen % batch == 0:
            progress("validate", done_before + seen, total)
        a = next(a_it, None)
        b = next(b_it, None)
    c.mismatched_points += c.missing_in_target + c.extra_in_target
    if not reembedded and sample:
        _search_parity(src, dst, name, sample, c, sinfo.sparse and tinfo.sparse)
    c.data_integrity = (
        c.mismatched_points == 0 and not c.config_mismatches and c.source_count == c.target_count
    )
    c.seconds = round(time.perf_counter() - t0, 3)
    return c


class _Stream:
    """One side of a scan: the chunks not compared yet, and whether the stream has ended."""

    def __init__(self, it: Iterator[Chunk | dict[str, Any]]) -> None:
        self.it = it
        self.pending: Chunk | None = None
        self.end: dict[str, Any] | None = None

    def size(self) -> int:
        return len(self.pending) if self.pending is not None else 0

    def pull(self) -> None:
        item = next(self.it)
        if isinstance(item, dict):
            self.end = item
        else:
            self.pending = item if self.pending is None else chunk_concat(self.pending, item)

    def take(self, bound: Any) -> Chunk | None:
        """The pending points with keys <= bound (all of them when bound is None)."""
        if self.pending is None:
            return None
        n = len(self.pending) if bound is None else int(np.searchsorted(self.pending.keys, bound, "right"))
        head = chunk_slice(self.pending, 0, n)
        self.pending = chunk_slice(self.pending, n, len(self.pending))
        return head


def _compare_scans(
    src: StoreProcess,
    dst: StoreProcess,
    name: str,
    sinfo: CollectionInfo,
    tinfo: CollectionInfo,
    c: CollectionValidation,
    col: _Collector,
    reembedded: bool,
    tolerance: float,
    sample_queries: int,
    progress: ProgressFn | None,
    done_before: int,
    total: int,
) -> None:
    """Both stores stream column chunks from their own processes; compare them window by window.

    A window ends at the smaller of the two sides' last pending keys (a side that has ended sets no
    bound), so every key in it has been seen by both sides.
    """
    leave_out = REEMBED_KEYS if reembedded else ()
    a = _Stream(src.scan(name, sinfo.dimension, leave_out, sample_queries))
    b = _Stream(dst.scan(name, tinfo.dimension, leave_out, 0))
    payload_ids: list[str] = []
    seen = 0
    while True:
        for side in (a, b):
            while side.end is None and side.size() == 0:
                side.pull()
        if a.end is not None and b.end is not None and not a.size() and not b.size():
            break
        ends = [s.pending.keys[-1] for s in (a, b) if s.end is None and s.pending is not None]
        bound = min(ends) if ends else None
        wa, wb = a.take(bound), b.take(bound)
        seen += _compare_window(wa, wb, c, col, reembedded, tolerance, payload_ids)
        if progress:
            progress("validate", done_before + seen, total)
    c.mismatched_points += c.missing_in_target + c.extra_in_target
    if payload_ids:  # the keys that differ, for the first payload mismatches
        s_pts = {p.id: p for p in src.retrieve(name, payload_ids)}
        t_pts = {p.id: p for p in dst.retrieve(name, payload_ids)}
        ignore = REEMBED_KEYS if reembedded else ()
        for pid in payload_ids:
            sp, tp = s_pts.get(pid), t_pts.get(pid)
            sp_payload = sp.payload if sp else {}
            tp_payload = tp.payload if tp else {}
            keys = _payload_diff(sp_payload, tp_payload, ignore)
            col.add("payload", {"id": pid, "keys": keys, "source": {k: sp_payload.get(k) for k in keys[:5]},
                                "target": {k: tp_payload.get(k) for k in keys[:5]}})  # fmt: skip
    assert a.end is not None
    sample = a.end["sample"]
    if not reembedded and sample:
        _search_parity(src, dst, name, sample, c, sinfo.sparse and tinfo.sparse)


def _compare_window(
    wa: Chunk | None,
    wb: Chunk | None,
    c: CollectionValidation,
    col: _Collector,
    reembedded: bool,
    tol: float,
    payload_ids: list[str],
) -> int:
    """Compare the points of one window; returns how many source points it held."""
    na, nb = (len(wa) if wa is not None else 0), (len(wb) if wb is not None else 0)
    if not na or not nb:
        for w, kind in ((wa, "missing_in_target"), (wb, "extra_in_target")):
            if w is not None and len(w):
                _unmatched(w.keys, np.empty(0, dtype=np.int64), kind, c, col)
        return na
    assert wa is not None and wb is not None
    _common, ia, ib = np.intersect1d(wa.keys, wb.keys, assume_unique=True, return_indices=True)
    _unmatched(wa.keys, ia, "missing_in_target", c, col)
    _unmatched(wb.keys, ib, "extra_in_target", c, col)
    keys = wa.keys[ia]
    pay_bad = wa.payload[ia] != wb.payload[ib]
    bad = pay_bad.copy()
    c.payload_mismatches += int(pay_bad.sum())
    for k in keys[pay_bad][: max(0, FIRST_MISMATCHES - len(payload_ids))]:
        payload_ids.append(id_of(k))
    if not reembedded:
        ha, hb = wa.has_dense[ia], wb.has_dense[ib]
        if wa.dense.shape[1] == wb.dense.shape[1]:
            diff = np.abs(wa.dense[ia] - wb.dense[ib]).max(axis=1, initial=0.0)
        else:
            diff = np.full(len(ia), np.inf, dtype=np.float32)
        diff = np.where(ha != hb, np.inf, np.where(ha, diff, 0.0))
        vec_bad = diff > tol
        c.vector_mismatches += int(vec_bad.sum())
        for k, d in zip(keys[vec_bad][:FIRST_MISMATCHES], diff[vec_bad][:FIRST_MISMATCHES], strict=True):
            col.add("vector", {"id": id_of(k), "max_abs_diff": float(d)})
        ok_diff = diff[~vec_bad]
        if ok_diff.size:
            c.max_vector_diff = max(c.max_vector_diff, float(ok_diff.max()))
        sp_diff = _sparse_window_diff(wa, wb, ia, ib)
        sp_bad = sp_diff > tol
        c.sparse_mismatches += int(sp_bad.sum())
        for k, d in zip(keys[sp_bad][:FIRST_MISMATCHES], sp_diff[sp_bad][:FIRST_MISMATCHES], strict=True):
            col.add("sparse_vector", {"id": id_of(k), "max_abs_diff": float(d)})
        bad |= vec_bad | sp_bad
    nbad = int(bad.sum())
    c.mismatched_points += nbad
    c.validated_points += len(ia) - nbad
    return na


def _unmatched(
    keys: np.ndarray, matched: np.ndarray, kind: str, c: CollectionValidation, col: _Collector
) -> None:
    """Count (in ``c.<kind>``) and list the keys of one side that the other side lacks."""
    if len(matched) == len(keys):
        return
    mask = np.ones(len(keys), dtype=bool)
    mask[matched] = False
    setattr(c, kind, getattr(c, kind) + int(mask.sum()))
    for k in keys[mask][:FIRST_MISMATCHES]:
        col.add(kind, {"id": id_of(k)})


def _sparse_window_diff(wa: Chunk, wb: Chunk, ia: np.ndarray, ib: np.ndarray) -> np.ndarray:
    """Per matched pair, the largest difference of the sparse values (inf for another pattern)."""
    out = np.where(wa.sparse_pattern[ia] != wb.sparse_pattern[ib], np.inf, 0.0)
    la = wa.sparse_offsets[ia + 1] - wa.sparse_offsets[ia]
    lens = np.where(out == 0.0, la, 0)  # same pattern: same length on both sides
    total = int(lens.sum())
    if total:
        starts = np.cumsum(lens) - lens
        rel = np.arange(total) - np.repeat(starts, lens)
        pa = np.repeat(wa.sparse_offsets[ia], lens) + rel
        pb = np.repeat(wb.sparse_offsets[ib], lens) + rel
        d = np.abs(wa.sparse_values[pa] - wb.sparse_values[pb])
        nz = lens > 0
        out[nz] = np.maximum.reduceat(d, starts[nz])
    return out


TIE_EPS = 1e-5


def _recall(a: list[ScoredHit], b: list[ScoredHit]) -> float:
    """Recall of ``b`` against ``a``, tie-aware: a hit of ``b`` that is not in ``a`` but scores like
    a hit of ``a`` that ``b`` lacks stands in for it (stores order equal scores differently, e.g.
    points with identical texts, and the limit cuts such a group anywhere)."""
    if not a:
        return 1.0 if not b else 0.0
    a_ids, b_ids = {h.id for h in a}, {h.id for h in b}
    found = len(a_ids & b_ids)
    spare = [h.score for h in b if h.id not in a_ids]
    for h in a:
        if h.id in b_ids:
            continue
        for i, sc in enumerate(spare):
            if abs(sc - h.score) <= TIE_EPS * max(1.0, abs(h.score)):
                found += 1
                del spare[i]
                break
    return found / len(a)


def _run_searches(
    stores: tuple[VectorStore | StoreProcess, VectorStore | StoreProcess],
    name: str,
    todo: list[tuple[Any, dict[str, Any]]],
) -> tuple[list[tuple[list[ScoredHit], float]], list[tuple[list[ScoredHit], float]]]:
    """The same searches on both stores: hits and the time the store spent in each (a StoreProcess
    times them in its child, leaving the pipe out). Two StoreProcesses search at the same time."""
    for s in stores:
        if isinstance(s, StoreProcess):
            s.start_call("searches", name, todo)
    a, b = (s.finish_call() if isinstance(s, StoreProcess) else timed_searches(s, name, todo) for s in stores)
    return a, b


def _search_parity(
    src: VectorStore | StoreProcess,
    dst: VectorStore | StoreProcess,
    name: str,
    sample: list[StoredPoint],
    c: CollectionValidation,
    sparse: bool,
) -> None:
    """Recall@10 of the target against the source, exact (brute-force) searches on both sides, so
    that it measures the data and not the two HNSW graphs; latency and an indexed recall (the
    searches users run) are reported beside it.

    When both stores' dense searches scan every vector (no HNSW segment: ``dense_index`` is
    "plain" on both sides), the searches users run are the exact ones (the same hits, checked):
    each query then runs once, and its time is the latency."""
    c.dense_index = {"source": src.dense_index(name), "target": dst.dense_index(name)}
    full_scans = c.dense_index["source"] == c.dense_index["target"] == "plain"
    dense = [p.vector for p in sample if p.vector is not None]
    sparse_q = [p.sparse for p in sample if sparse and p.sparse is not None and p.sparse.indices]
    per = 1 if full_scans else 2  # searches per dense query: exact, then indexed
    todo: list[tuple[Any, dict[str, Any]]] = []
    for v in dense:
        todo += [(v, {"limit": RECALL_K, "exact": True}), (v, {"limit": RECALL_K})][:per]
    todo += [(q, {"limit": RECALL_K, "exact": True}) for q in sparse_q]
    if todo:
        a, b = _run_searches((src, dst), name, todo)
        n = len(dense)
        if n:
            recalls = [_recall(a[per * i][0], b[per * i][0]) for i in range(n)]
            indexed = [_recall(a[per * i + per - 1][0], b[per * i + per - 1][0]) for i in range(n)]
            s_time = sum(a[per * i + per - 1][1] for i in range(n))
            t_time = sum(b[per * i + per - 1][1] for i in range(n))
            c.search_recall_at_10 = round(float(np.mean(recalls)), 4)
            c.indexed_recall_at_10 = round(float(np.mean(indexed)), 4)
            c.source_latency_ms = round(s_time / n * 1000, 3)
            c.target_latency_ms = round(t_time / n * 1000, 3)
            if s_time > 0 and t_time > 0:
                c.latency_ratio = round(t_time / s_time, 3)
                c.performance_gain = round(s_time / t_time, 3)
        if sparse_q:
            srec = [_recall(a[per * n + i][0], b[per * n + i][0]) for i in range(len(sparse_q))]
            c.sparse_recall_at_10 = round(float(np.mean(srec)), 4)
    worst = min(x for x in (c.search_recall_at_10, c.sparse_recall_at_10, 1.0) if x is not None)
    c.search_parity = worst >= MIN_RECALL


def validate_migration(
    source: Location,
    target: Location,
    collections: Sequence[str] | None = None,
    *,
    report_dir: str | Path | None = ".",
    tolerance: float = DEFAULT_TOLERANCE,
    sample_queries: int = DEFAULT_SAMPLE_QUERIES,
    progress: ProgressFn | None = None,
    processes: bool = True,
    readers: tuple[StoreProcess, StoreProcess] | None = None,
    settings: Settings | None = None,
) -> ValidationReport:
    """Compare every collection of ``source`` (or those named) with ``target``; write the report.

    ``report_dir=None`` writes no file. Both stores are opened read-only where that applies. When
    both are locations (data directories or URLs) and ``processes`` is true, each is read by its
    own child process (:mod:`planvec.ops.procstore`), so the two are read in parallel.

    ``readers``: the two reader processes to use (source, target), already started, opened or
    not (those not opened yet are opened here, on ``source`` and ``target``); they are closed
    here, whatever happens. ``migrate(validate=True)`` hands over the reader that counted its
    source, with the shards loaded.
    """
    procs = list(readers or ())
    try:
        check_options(tolerance, sample_queries)
        if same_location(source, target):
            raise UsageError("the source and the target are the same store")
        if is_memory(target):
            raise UsageError("a fresh :memory: target is always empty", hint="validate a real target")
        if procs and not readable_by_processes(source, target):
            raise UsageError("reader processes read data directories and Qdrant URLs only")
        if procs or (processes and readable_by_processes(source, target)):
            preload = list(dict.fromkeys(collections)) if collections else None
            while len(procs) < 2:
                procs.append(StoreProcess(None))
            for r, loc in zip(procs, (source, target), strict=True):
                if not r.opened:
                    r.open(str(loc), preload)
    except BaseException:
        for r in procs:
            r.close()
        raise
    rate = Rate()
    src: Any
    dst: Any
    if procs:
        src, dst = procs
        own_src = own_dst = True
    else:
        src, own_src = open_location(source, read_only=True, settings=settings)
        dst, own_dst = None, False
    try:
        if dst is None:
            dst, own_dst = open_location(target, read_only=True, settings=settings)
        try:
            report = ValidationReport(
                source=describe(source), target=describe(target), tolerance=tolerance,
                sample_queries=sample_queries,
            )  # fmt: skip
            names = list(dict.fromkeys(collections)) if collections else sorted(src.list_collections())
            if not names:
                raise UsageError(f"the source {report.source} has no collections")
            infos = [src.collection_info(check_name(n)) for n in names]
            missing = [n for n, i in zip(names, infos, strict=True) if i is None]
            if missing:
                raise UsageError(f"the source has no collection {', '.join(map(repr, missing))}")
            total = sum(i.points for i in infos if i is not None)
            report.total_collections = len(names)
            report.extra_target_collections = sorted(set(dst.list_collections()) - set(names))
            done = 0
            for n, info in zip(names, infos, strict=True):
                cv = validate_collection(
                    src, dst, n, tolerance=tolerance, sample_queries=sample_queries,
                    progress=progress, done_before=done, total=total, source_info=info,
                )  # fmt: skip
                done += cv.source_count
                report.collections[n] = cv
                report.validated_points += cv.validated_points
                report.mismatched_points += cv.mismatched_points
                if cv.performance_gain > 0:
                    report.performance_gains[n] = cv.performance_gain
        finally:
            for s, own in ((src, own_src), (dst, own_dst)):
                if own and isinstance(s, StoreProcess):
                    s.start_close()  # both children close at the same time
            if own_dst and dst is not None:
                dst.close()
    finally:
        if own_src:
            src.close()
    report.success = all(c.data_integrity and c.search_parity for c in report.collections.values())
    now = datetime.now().astimezone()
    report.timestamp = now.isoformat()
    report.seconds = round(rate.seconds(), 3)
    report.points_per_second = rate.per_second(sum(c.source_count for c in report.collections.values()))
    if report_dir is not None:
        report.report_file = str(write_report(report, Path(report_dir), now))
    return report


def is_memory(loc: Location) -> bool:
    """Whether ``loc`` names a fresh in-process store (``:memory:``)."""
    return isinstance(loc, str) and loc == ":memory:"


def readable_by_processes(source: Location, target: Location) -> bool:
    """Whether both are locations a reader process can open (data directories or Qdrant URLs)."""
    return all(isinstance(x, str | Path) and not is_memory(x) for x in (source, target))


def check_options(tolerance: float, sample_queries: int) -> None:
    if tolerance < 0 or sample_queries < 0:
        raise UsageError("--tolerance and --sample-queries must not be negative")


def write_report(report: ValidationReport, report_dir: Path, when: datetime) -> Path:
    report_dir = report_dir.expanduser()
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
        base = f"migration-validation-report-{when.strftime('%Y-%m-%d-%H-%M-%S')}"
        path = report_dir / f"{base}.json"
        n = 2
        while path.exists():  # two reports within one second: keep both
            path = report_dir / f"{base}-{n}.json"
            n += 1
        report.report_file = str(path)
        path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot write the report into {report_dir}: {e.strerror}") from e
    return path
