"""ServerStore: the same VectorStore on qdrant-client, against a Qdrant server/cluster or ``:memory:``.

- ``url=":memory:"`` runs qdrant-client's in-process local mode (used by the congruence tests);
  any ``http(s)://`` URL goes to a server (TLS for https; the API key comes from ``api_key`` or
  the ``QDRANT_API_KEY`` environment variable).
- Same collection layout as EdgeStore: a cosine dense vector named ``dense``, a sparse vector
  ``bm25`` with the IDF modifier, keyword/bool/integer/float payload indexes.
- Collection metadata lives in Qdrant's own collection ``metadata`` (create_collection /
  update_collection, merged shallowly, ``None`` removes a key), in local mode and on servers
  from Qdrant 1.16: nothing is stored as points, so counts, scrolls and searches see only data.
  The key ``planvec`` marks collections made by planvec; others on a shared server are not
  listed and never dropped.
- Writes use ``wait=True``, in batches of ``batch_size`` points capped at ~8 MiB of JSON (the
  server refuses requests over 32 MiB). Transient failures (connection errors, timeouts, HTTP 5xx
  and 429, gRPC UNAVAILABLE/DEADLINE_EXCEEDED/RESOURCE_EXHAUSTED) are retried ``retries`` times
  with exponential backoff; client errors (4xx) are not. Every write is idempotent (upsert by id,
  delete by id, payload overwrite), so a retry after a lost response is safe.
- Local mode builds no payload index (qdrant-client ignores them there); ``collection_info``
  then reports the indexes recorded in the metadata.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
from qdrant_client import QdrantClient
from qdrant_client import models as qm
from qdrant_client.http.exceptions import ResponseHandlingException, UnexpectedResponse

from ..errors import CollectionNotFound, NotSupported, PlanvecError, StoreError, UsageError
from .base import (
    SPARSE_NAME,
    CollectionInfo,
    CollectionSpec,
    Filters,
    LockStatus,
    MatchAny,
    PointData,
    RawRow,
    ScoredHit,
    ShardFiles,
    SparseVec,
    StoredPoint,
)
from .filters import (
    DENSE_NAME,
    FACET_LIMIT,
    canonical_id,
    canonical_ids,
    check_existing,
    check_name,
    check_spec,
    conditions,
    dimension_mismatch,
    matches_nothing,
    merge_meta,
    payload_overwrites,
    sparse_sorted,
    spec_meta,
    values_of,
)

T = TypeVar("T")
MAX_BATCH_BYTES = 8 * 1024 * 1024  # well under the server's 32 MiB request limit
_DISTANCE = {
    "Cosine": qm.Distance.COSINE,
    "Dot": qm.Distance.DOT,
    "Euclid": qm.Distance.EUCLID,
    "Manhattan": qm.Distance.MANHATTAN,
}
_SCHEMA = {
    "keyword": qm.PayloadSchemaType.KEYWORD,
    "bool": qm.PayloadSchemaType.BOOL,
    "integer": qm.PayloadSchemaType.INTEGER,
    "float": qm.PayloadSchemaType.FLOAT,
}
_NOT_FOUND_RE = re.compile(r"not found|doesn't exist|does not exist", re.IGNORECASE)
_EXISTS_RE = re.compile(r"already exists", re.IGNORECASE)
_OLD_SERVER_HINT = "planvec keeps collection metadata in Qdrant itself: use a server ≥ 1.16"
_TRANSIENT_GRPC = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED", "ABORTED"}


def _client_filter(filters: Filters | None) -> qm.Filter | None:
    must: list[qm.Condition] = []
    for c in conditions(filters):
        if isinstance(c, MatchAny):
            must.append(qm.FieldCondition(key=c.key, match=qm.MatchAny(any=list(c.values))))
        else:
            must.append(qm.FieldCondition(key=c.key, match=qm.MatchValue(value=c.value)))
    return qm.Filter(must=must) if must else None


def _classify(e: BaseException) -> tuple[str, int | None]:
    """("transient" | "not_found" | "client" | "other", HTTP status when known)."""
    if isinstance(e, UnexpectedResponse):
        code = e.status_code
        if code is not None and (code >= 500 or code == 429):
            return "transient", code
        if code == 404:
            return "not_found", code
        return "client", code
    if isinstance(e, ResponseHandlingException):
        src = getattr(e, "source", None)
        if src is not None and type(src).__module__.startswith("pydantic"):
            return "other", None  # a response that does not parse: retrying will not help
        return "transient", None
    if isinstance(e, ConnectionError | TimeoutError):
        return "transient", None
    if type(e).__module__.startswith("httpx"):  # transport errors raised outside the api client
        return "transient", None
    code_fn = getattr(e, "code", None)
    if callable(code_fn) and type(e).__module__.startswith("grpc"):
        try:
            code_name = str(getattr(code_fn(), "name", ""))
        except Exception:
            code_name = ""
        if code_name in _TRANSIENT_GRPC:
            return "transient", None
        if code_name == "NOT_FOUND":
            return "not_found", None
        return "client", None
    if isinstance(e, ValueError | KeyError) and _NOT_FOUND_RE.search(str(e)):
        return "not_found", None  # local mode
    return "other", None


def _message(e: BaseException) -> str:
    if isinstance(e, UnexpectedResponse):
        try:
            status = json.loads(e.content.decode(errors="replace")).get("status", {})
            err = status.get("error") if isinstance(status, dict) else None
            if err:
                return str(err)
        except (ValueError, AttributeError):
            pass
        return f"HTTP {e.status_code} {e.reason_phrase}"
    if isinstance(e, ResponseHandlingException) and getattr(e, "source", None) is not None:
        return f"{type(e.source).__name__}: {e.source}"
    return f"{type(e).__name__}: {e}" if str(e) else type(e).__name__


class ServerStore:
    """VectorStore on qdrant-client: a Qdrant server or cluster, or ``:memory:`` (local mode)."""

    def __init__(
        self,
        url: str,
        *,
        api_key: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        prefer_grpc: bool = False,
        shard_number: int | None = None,
        replication_factor: int | None = None,
        write_consistency_factor: int | None = None,
        batch_size: int = 256,
        hnsw_ef: int | None = None,
        backoff: float = 0.5,
    ) -> None:
        self.url = url
        self.local = url == ":memory:"
        self.retries = max(0, retries)
        self.backoff = backoff
        self.batch_size = max(1, batch_size)
        self.hnsw_ef = hnsw_ef
        self.shard_number = shard_number
        self.replication_factor = replication_factor
        self.write_consistency_factor = write_consistency_factor
        self._dims: dict[str, tuple[int, bool]] = {}
        self._closed = False
        # qdrant-client's in-process mode is not thread-safe (concurrent writes corrupt its arrays):
        # serialise its calls. A server handles concurrency itself.
        self._guard: AbstractContextManager[Any] = threading.RLock() if self.local else nullcontext()
        if self.local:
            self._client = QdrantClient(location=":memory:")
            return
        if not re.match(r"^https?://[^/\s]+", url or ""):
            raise UsageError(
                f"invalid Qdrant URL {url!r}",
                hint="use http(s)://host:6333 (or :memory:), e.g. --qdrant-url http://localhost:6333",
            )
        key = api_key or os.environ.get("QDRANT_API_KEY") or None
        self._client = QdrantClient(
            url=url,
            api_key=key,
            timeout=max(1, math.ceil(timeout)),
            prefer_grpc=prefer_grpc,
            check_compatibility=False,  # no request at construction; the first call reports failures
        )

    # -- plumbing -------------------------------------------------------------------------------
    def _call(self, what: str, fn: Callable[..., T], *args: Any, name: str | None = None, **kw: Any) -> T:
        if self._closed:
            raise StoreError("the store is closed")
        attempt = 0
        while True:
            try:
                with self._guard:
                    return fn(*args, **kw)
            except PlanvecError:
                raise
            except Exception as e:
                kind, code = _classify(e)
                if kind == "transient" and attempt < self.retries:
                    time.sleep(self.backoff * (2**attempt) * (1 + 0.25 * random.random()))
                    attempt += 1
                    continue
                raise self._translate(e, kind, code, what, name) from e

    def _translate(
        self, e: BaseException, kind: str, code: int | None, what: str, name: str | None
    ) -> StoreError:
        msg = _message(e)
        where = "the in-process Qdrant (:memory:)" if self.local else f"Qdrant at {self.url}"
        if kind == "not_found" and name is not None:
            return self._not_found(name)
        if kind == "transient":
            if code is None:
                return StoreError(
                    f"cannot reach {where} ({what}): {msg}",
                    hint="check that the server runs and the URL is right "
                    "(--qdrant-url / PLANVEC_QDRANT_URL), or drop --qdrant-url to use the embedded store",
                )
            return StoreError(
                f"{where} failed during {what} after {self.retries + 1} attempts: {msg}",
                hint="retry later, and look at the server logs",
            )
        if code in (401, 403):
            return StoreError(
                f"{where} refused the request ({what}): {msg}",
                hint="set the API key with QDRANT_API_KEY (or PLANVEC_QDRANT_API_KEY)",
            )
        if "dimension error" in msg.lower() and name is not None:
            return StoreError(f"{what} on collection {name!r} failed: {msg}")
        target = f" on collection {name!r}" if name else ""
        return StoreError(f"{where} rejected {what}{target}: {msg}")

    def _not_found(self, name: str) -> CollectionNotFound:
        where = "the in-process Qdrant (:memory:)" if self.local else f"Qdrant at {self.url}"
        return CollectionNotFound(
            f"collection {name!r} does not exist in {where}",
            hint="list the collections with `planvec collections` (or check --qdrant-url)",
        )

    def _raw_info(self, name: str) -> Any | None:
        """Qdrant's collection info, or None when the collection does not exist."""
        try:
            return self._call("get_collection", self._client.get_collection, name, name=name)
        except CollectionNotFound:
            return None

    @staticmethod
    def _is_planvec(raw: Any) -> bool:
        meta = raw.config.metadata or {}
        return isinstance(meta, dict) and "planvec" in meta

    @staticmethod
    def _dense_params(raw: Any) -> Any | None:
        vectors = raw.config.params.vectors
        if isinstance(vectors, dict):
            return vectors.get(DENSE_NAME)
        return None

    def _spec(self, name: str) -> tuple[int, bool]:
        """(dimension, has sparse) of a collection, cached; CollectionNotFound when absent."""
        cached = self._dims.get(name)
        if cached is not None:
            return cached
        raw = self._raw_info(check_name(name))
        if raw is None:
            raise self._not_found(name)
        params = self._dense_params(raw)
        if params is None:
            raise StoreError(
                f"collection {name!r} has no dense vector named {DENSE_NAME!r}: it was not made by planvec",
                hint="use another collection name",
            )
        spec = (int(params.size), SPARSE_NAME in (raw.config.params.sparse_vectors or {}))
        self._dims[name] = spec
        return spec

    # -- collections ----------------------------------------------------------------------------
    def create_collection(self, spec: CollectionSpec) -> None:
        check_spec(spec)
        name = spec.name
        raw = self._raw_info(name)
        if raw is None:
            created = True
            try:
                self._call(
                    "create_collection",
                    self._client.create_collection,
                    collection_name=name,
                    vectors_config={
                        DENSE_NAME: qm.VectorParams(size=spec.dimension, distance=_DISTANCE[spec.distance])
                    },
                    sparse_vectors_config=(
                        {SPARSE_NAME: qm.SparseVectorParams(modifier=qm.Modifier.IDF)}
                        if spec.sparse
                        else None
                    ),
                    shard_number=self.shard_number,
                    replication_factor=self.replication_factor,
                    write_consistency_factor=self.write_consistency_factor,
                    metadata=spec_meta(spec),
                )
            except StoreError as e:
                if not _EXISTS_RE.search(e.message):
                    if "metadata" in e.message.lower():
                        raise StoreError(e.message, hint=_OLD_SERVER_HINT) from e
                    raise
                created = False  # made meanwhile by another process, or a retried create that had worked
            raw = self._raw_info(name)
            if raw is None:
                raise StoreError(f"collection {name!r} vanished right after its creation")
            if created and not self._is_planvec(raw):
                raise StoreError(f"{self.url} does not keep collection metadata", hint=_OLD_SERVER_HINT)
        if not self._is_planvec(raw):
            raise StoreError(
                f"collection {name!r} exists but was not made by planvec",
                hint="choose another collection name",
            )
        params = self._dense_params(raw)
        if params is None:
            raise StoreError(f"collection {name!r} has no dense vector named {DENSE_NAME!r}")
        check_existing(name, raw.config.metadata or {}, spec, int(params.size))
        if not self.local:  # (local mode ignores payload indexes) create missing ones: idempotent
            have = set(raw.payload_schema or {})
            for field, schema in spec.payload_indexes.items():
                if field not in have:
                    self._call(
                        "create_payload_index",
                        self._client.create_payload_index,
                        collection_name=name,
                        field_name=field,
                        field_schema=_SCHEMA[schema],
                        wait=True,
                        name=name,
                    )

    def delete_collection(self, name: str) -> None:
        try:
            check_name(name)
        except PlanvecError:
            return
        raw = self._raw_info(name)
        self._dims.pop(name, None)
        if raw is None:
            return
        if not self._is_planvec(raw):
            raise StoreError(
                f"collection {name!r} was not made by planvec: not dropping it",
                hint="drop it with Qdrant's own tools if you mean it",
            )
        self._call("delete_collection", self._client.delete_collection, name, name=name)

    def list_collections(self) -> list[str]:
        resp = self._call("get_collections", self._client.get_collections)
        out = []
        for c in resp.collections:
            raw = self._raw_info(c.name)
            if raw is not None and self._is_planvec(raw):
                out.append(c.name)
        return sorted(out)

    def dense_index(self, name: str) -> str | None:
        """Not known: a server does not say which of its segments have an HNSW index."""
        return None

    def collection_info(self, name: str) -> CollectionInfo | None:
        try:
            check_name(name)
        except PlanvecError:
            return None
        raw = self._raw_info(name)
        if raw is None or not self._is_planvec(raw):
            return None
        meta = dict(raw.config.metadata or {})
        params = self._dense_params(raw)
        sparse = SPARSE_NAME in (raw.config.params.sparse_vectors or {})
        if params is None:
            return None
        self._dims[name] = (int(params.size), sparse)
        if raw.payload_schema:
            indexes = {
                k: str(getattr(v.data_type, "value", v.data_type))
                for k, v in (raw.payload_schema or {}).items()
            }
        else:  # local mode has no payload index: report the ones asked for
            indexes = dict(meta.get("payload_indexes") or {})
        distance = getattr(params.distance, "value", params.distance)
        return CollectionInfo(
            name=name,
            dimension=int(params.size),
            distance=str(distance),
            points=int(raw.points_count or 0),
            model=meta.get("model"),
            sparse=sparse,
            meta=meta,
            payload_indexes=indexes,
            indexed_points=raw.indexed_vectors_count,
            segments=raw.segments_count,
        )

    def get_meta(self, name: str) -> dict[str, Any]:
        raw = self._raw_info(check_name(name))
        if raw is None:
            raise self._not_found(name)
        return dict(raw.config.metadata or {})

    def set_meta(self, name: str, meta: dict[str, Any]) -> None:
        current = self.get_meta(name)
        merged = merge_meta(name, current, meta)
        update = {k: v for k, v in merged.items() if current.get(k) != v}
        update.update({k: None for k in current if k not in merged})
        if update:
            self._call("update_collection", self._client.update_collection, name, metadata=update, name=name)

    # -- points ---------------------------------------------------------------------------------
    def _point(self, p: PointData, row: list[float], sparse: bool, name: str) -> qm.PointStruct:
        vector: dict[str, Any] = {DENSE_NAME: row}
        if p.sparse is not None:
            if not sparse:
                raise StoreError(
                    f"collection {name!r} has no BM25 sparse vector",
                    hint=f"rebuild it: planvec drop {name} --yes && planvec index PATH",
                )
            vector[SPARSE_NAME] = qm.SparseVector(
                indices=list(p.sparse.indices), values=list(p.sparse.values)
            )
        return qm.PointStruct(id=canonical_id(p.id), vector=vector, payload=p.payload)

    def _batches(self, points: Sequence[PointData], dim: int) -> Iterator[Sequence[PointData]]:
        start, size = 0, 0
        for i, p in enumerate(points):
            est = dim * 12 + (len(p.sparse.indices) * 24 if p.sparse else 0) + 64
            est += len(json.dumps(p.payload, default=str, ensure_ascii=False).encode())
            if i > start and (i - start >= self.batch_size or size + est > MAX_BATCH_BYTES):
                yield points[start:i]
                start, size = i, 0
            size += est
        if start < len(points):
            yield points[start:]

    def upsert(self, name: str, points: Sequence[PointData]) -> None:
        dim, sparse = self._spec(name)
        for batch in self._batches(points, dim):
            for p in batch:
                shape = np.shape(p.vector)
                if shape != (dim,):
                    raise dimension_mismatch(name, dim, int(shape[-1]) if shape else 0)
            mat = np.asarray(np.stack([p.vector for p in batch]), dtype=np.float32)
            if not np.isfinite(mat).all():
                raise StoreError(f"a vector written to collection {name!r} holds NaN or infinity")
            structs = [self._point(p, row, sparse, name) for p, row in zip(batch, mat.tolist(), strict=True)]
            self._call(
                "upsert", self._client.upsert, collection_name=name, points=structs, wait=True, name=name
            )

    def overwrite_payload(self, name: str, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self._spec(name)
        if not items:
            return
        wanted = canonical_ids(pid for pid, _ in items)
        existing: set[str] = set()
        for i in range(0, len(wanted), self.batch_size * 4):
            recs = self._call(
                "retrieve",
                self._client.retrieve,
                collection_name=name,
                ids=wanted[i : i + self.batch_size * 4],
                with_payload=False,
                with_vectors=False,
                name=name,
            )
            existing.update(str(r.id) for r in recs)
        ops: list[qm.UpdateOperation] = [
            qm.OverwritePayloadOperation(overwrite_payload=qm.SetPayload(payload=payload, points=[cid]))
            for cid, payload in payload_overwrites(items, existing)
        ]
        for i in range(0, len(ops), self.batch_size):
            self._call(
                "overwrite_payload",
                self._client.batch_update_points,
                collection_name=name,
                update_operations=ops[i : i + self.batch_size],
                wait=True,
                name=name,
            )

    def delete(self, name: str, ids: Sequence[str]) -> None:
        self._spec(name)
        todo = canonical_ids(ids)
        for i in range(0, len(todo), 1024):
            self._call(
                "delete",
                self._client.delete,
                collection_name=name,
                points_selector=qm.PointIdsList(points=list(todo[i : i + 1024])),
                wait=True,
                name=name,
            )

    @staticmethod
    def _stored(rec: Any, with_vectors: bool) -> StoredPoint:
        vector: np.ndarray | None = None
        sparse: SparseVec | None = None
        if with_vectors and isinstance(rec.vector, dict):
            dense = rec.vector.get(DENSE_NAME)
            if dense is not None:
                vector = np.asarray(dense, dtype=np.float32)
            sv = rec.vector.get(SPARSE_NAME)
            if sv is not None:
                sparse = sparse_sorted(sv.indices, sv.values)
        return StoredPoint(id=str(rec.id), payload=dict(rec.payload or {}), vector=vector, sparse=sparse)

    def scroll(
        self,
        name: str,
        *,
        fields: Sequence[str] | None = None,
        with_vectors: bool = False,
        batch_size: int = 1024,
        offset: str | None = None,
    ) -> Iterator[StoredPoint]:
        self._spec(name)
        with_payload: bool | list[str] = True if fields is None else (list(fields) if fields else False)
        cursor: Any = canonical_id(offset) if offset is not None else None
        while True:
            recs, cursor = self._call(
                "scroll",
                self._client.scroll,
                collection_name=name,
                limit=max(1, batch_size),
                offset=cursor,
                with_payload=with_payload,
                with_vectors=with_vectors,
                name=name,
            )
            for rec in recs:
                yield self._stored(rec, with_vectors)
            if cursor is None:
                return

    def retrieve(self, name: str, ids: Sequence[str], *, with_vectors: bool = False) -> list[StoredPoint]:
        self._spec(name)
        wanted = canonical_ids(ids)
        got: dict[str, Any] = {}
        step = self.batch_size * 4
        for i in range(0, len(wanted), step):
            recs = self._call(
                "retrieve",
                self._client.retrieve,
                collection_name=name,
                ids=wanted[i : i + step],
                with_payload=True,
                with_vectors=with_vectors,
                name=name,
            )
            got.update((str(r.id), r) for r in recs)
        return [self._stored(got[i], with_vectors) for i in wanted if i in got]

    def count(self, name: str, filters: Filters | None = None) -> int:
        self._spec(name)
        if matches_nothing(filters):
            return 0
        resp = self._call(
            "count",
            self._client.count,
            collection_name=name,
            count_filter=_client_filter(filters),
            exact=True,
            name=name,
        )
        return int(resp.count)

    def search_batch(
        self,
        name: str,
        queries: Sequence[tuple[np.ndarray | SparseVec, Filters | None, int]],
        *,
        with_payload: bool = True,
    ) -> list[list[ScoredHit]]:
        return [self.search(name, q, filters=f, limit=n, with_payload=with_payload) for q, f, n in queries]

    def search_spec(self, name: str) -> tuple[int, bool] | None:
        try:
            return self._spec(name)
        except CollectionNotFound:
            return None

    def search(
        self,
        name: str,
        query: np.ndarray | SparseVec,
        *,
        filters: Filters | None = None,
        limit: int = 10,
        exact: bool = False,
        with_payload: bool = True,
    ) -> list[ScoredHit]:
        dim, sparse = self._spec(name)
        if limit <= 0 or matches_nothing(filters):
            return []
        q: Any
        if isinstance(query, SparseVec):
            if not sparse:
                raise StoreError(
                    f"collection {name!r} has no BM25 sparse vectors",
                    hint="search it with --mode dense, or rebuild it: "
                    f"planvec drop {name} --yes && planvec index PATH",
                )
            if not query.indices:
                return []
            q, using = qm.SparseVector(indices=list(query.indices), values=list(query.values)), SPARSE_NAME
        else:
            arr = np.asarray(query, dtype=np.float32)
            if arr.shape != (dim,):
                raise dimension_mismatch(name, dim, int(arr.shape[-1]) if arr.ndim else 0)
            q, using = arr.tolist(), DENSE_NAME
        resp = self._call(
            "search",
            self._client.query_points,
            collection_name=name,
            query=q,
            using=using,
            query_filter=_client_filter(filters),
            limit=limit,
            with_payload=with_payload,
            with_vectors=False,
            search_params=(
                qm.SearchParams(hnsw_ef=self.hnsw_ef, exact=exact)
                if (self.hnsw_ef or exact) and not self.local  # (local mode is always exact)
                else None
            ),
            name=name,
        )
        return [
            ScoredHit(id=str(h.id), score=float(h.score), payload=dict(h.payload or {})) for h in resp.points
        ]

    def distinct_values(self, name: str, field: str) -> list[str]:
        meta = self.get_meta(name)
        if (meta.get("payload_indexes") or {}).get(field) == "keyword":
            try:
                resp = self._call(
                    "facet",
                    self._client.facet,
                    collection_name=name,
                    key=field,
                    limit=FACET_LIMIT,
                    exact=True,
                    name=name,
                )
            except CollectionNotFound:
                raise
            except StoreError:
                resp = None  # e.g. a server without that index: fall back to a scroll
            if resp is not None and len(resp.hits) < FACET_LIMIT:
                # (exact facets of Qdrant Edge 0.9 keep values whose points are gone, with count 0)
                return sorted({str(h.value) for h in resp.hits if h.count > 0})
        seen: set[str] = set()
        for p in self.scroll(name, fields=[field]):
            seen.update(values_of(p.payload, field))
        return sorted(seen)

    def optimize(self, name: str) -> None:
        """The server optimizes by itself; only checks the collection exists."""
        self._spec(name)

    # -- capabilities ---------------------------------------------------------------------------
    def lock_status(self) -> LockStatus:
        raise NotSupported(f"{self._where()} has no data directory lock")

    def server_version(self) -> str | None:
        if self.local:
            return "qdrant-client local mode (in-process)"
        try:
            info = self._client.info()
        except Exception:
            return None  # unreachable or not answering: the caller's other calls say why
        version = getattr(info, "version", None)
        return str(version) if version is not None else None

    def shard_files(self) -> ShardFiles:
        raise NotSupported(
            f"{self._where()} copies collections through its API only, not file by file",
            hint="use --method stream (or auto) with a Qdrant URL",
        )

    def scroll_raw(self, name: str, *, batch_size: int = 1024) -> Iterator[tuple[int, Iterator[RawRow]]]:
        """:meth:`scroll` with vectors, in the rows of :data:`~.base.RawRow`."""
        buf: list[RawRow] = []
        for p in self.scroll(name, with_vectors=True, batch_size=batch_size):
            sv = (list(p.sparse.indices), list(p.sparse.values)) if p.sparse is not None else None
            dense = np.asarray(p.vector, dtype=np.float32).tobytes() if p.vector is not None else None
            buf.append((p.id, dense, sv, p.payload))
            if len(buf) >= batch_size:
                yield len(buf), iter(buf)
                buf = []
        if buf:
            yield len(buf), iter(buf)

    def _where(self) -> str:
        return "the in-process Qdrant (:memory:)" if self.local else f"Qdrant at {self.url}"

    def flush(self) -> None:
        """Writes are acknowledged with ``wait=True`` (in the server's WAL): nothing to do."""
        if self._closed:
            raise StoreError("the store is closed")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._client.close()
        except Exception as e:  # pragma: no cover - closing a broken connection
            raise StoreError(f"closing the Qdrant client failed: {e}") from e

    def __enter__(self) -> ServerStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ServerStore({self.url!r}{', closed' if self._closed else ''})"
