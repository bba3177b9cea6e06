"""Engine: the one core object. Wires settings, parsing, embedding, store and sync.

The CLI and the HTTP service are thin shells around it::

    with Engine(Settings(data_dir="/tmp/pv")) as eng:
        report = eng.index(["plans/"])
        hits = eng.search("cache invalidation", SearchFilters(status="pending"))
"""

from __future__ import annotations

import fnmatch
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, cast

import numpy as np

from . import __version__
from .clock import now_iso
from .documents import StoreDoc, section_docs, task_docs, word_tokens
from .embedding.base import Embedder
from .errors import CollectionNotFound, DimensionMismatch, UsageError
from .records import FileProblem, ParsedFile
from .settings import SearchMode, Settings
from .store.base import CollectionSpec, Filters, ScoredHit, SparseVec, VectorStore
from .sync import CollectionDiff, ProgressFn, Scope, apply_diff, diff_collection
from .wiring import embedder_from_settings, model_key, model_meta, sparse_encoder, store_from_settings

if TYPE_CHECKING:
    from .ops.backup import BackupReport, RestoreReport
    from .ops.check import CheckReport
    from .ops.diagnose import DiagnoseReport
    from .ops.fix import FixReport
    from .ops.legacy import ImportReport
    from .ops.migrate import MigrateReport
    from .ops.transfer import Location, Reembedder
    from .ops.validate import ValidationReport
    from .ops.verify import Probe, Thresholds, VerifyReport

RRF_K = 60
QUERY_CACHE_SIZE = 1024

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PARTIAL = 3


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """User-level search filters (the CLI flags); None/empty means 'any'."""

    status: str | None = None
    priorities: tuple[str, ...] = ()
    mvp: bool | None = None
    file_glob: str | None = None
    section: str | None = None
    task_id_prefix: str | None = None


@dataclass(frozen=True, slots=True, eq=False)
class SearchRequest:
    """One search of :meth:`Engine.search_many`: the arguments of :meth:`Engine.search`, plus the
    query's dense embedding when the caller already has it (``vector``, used as is)."""

    query: str
    filters: SearchFilters | None = None
    limit: int = 10
    mode: SearchMode | None = None
    min_score: float | None = None
    collection: str | None = None
    vector: np.ndarray | None = None


@dataclass(slots=True, eq=False)
class _Plan:
    """A validated search request, waiting for its embedding and its store calls."""

    index: int
    request: SearchRequest
    mode: str
    collection: str
    filters: Filters
    vector: np.ndarray | None


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
    kind: str
    root: str | None = None
    text: str | None = None
    body: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_payload(cls, point_id: str, score: float, payload: dict[str, Any], collection: str) -> Hit:
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
        )


@dataclass(slots=True)
class CollectionReport:
    name: str
    added: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    embedded: int = 0
    reused: int = 0


@dataclass(slots=True)
class SyncReport:
    files: int = 0
    tasks: int = 0
    sections: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    embedded: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    full: bool = False
    moved: int = 0  # payload-only changes (e.g. a line number), vector kept
    reused: int = 0  # vectors reused from an identical stored text instead of embedding
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0
    write_seconds: float = 0.0
    problems: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    collections: list[CollectionReport] = field(default_factory=list)
    # dry-run detail: collection -> {"added": [...], "updated": [...], "deleted": [...], "moved": [...]}
    plan: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def partial(self) -> bool:
        return bool(self.problems)

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.partial else EXIT_OK

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["partial"] = self.partial
        d["problems"] = [{"path": p.path, "reason": p.reason, "line": p.line} for p in self.problems]
        return d


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
    """Index and search plans. Use as a context manager so the store is flushed and closed."""

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
        self._store = store
        self._sparse: Any | None = None
        self._read_only = read_only
        self._lock = threading.Lock()
        self._qcache: OrderedDict[str, np.ndarray] = OrderedDict()
        self.qcache_hits = 0
        self.qcache_misses = 0

    # -- wiring ---------------------------------------------------------------------------------
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = embedder_from_settings(self.settings)
        return self._embedder

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

    def close(self) -> None:
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
    ) -> tuple[list[tuple[str, ParsedFile]], list[FileProblem], Scope]:
        """Discover and parse files. Returns ``[(root, parsed)]``, problems and the sync scope.

        ``include`` replaces the configured include globs and each of them must match a file (else
        :class:`UsageError`: a glob that selects nothing is a mistake, not a request to sync zero
        files); ``exclude`` adds to the configured ones; ``prune`` puts every file under the
        directories in scope, not only those the globs select (see :class:`~planvec.sync.Scope`).
        """
        from .parsing import discover, parse_file

        if not paths:
            raise UsageError("no PATH given", hint="planvec index PATH... (a directory or a Markdown file)")
        given = [Path(p).expanduser() for p in paths]
        missing = [str(p) for p in given if not p.exists()]
        if len(missing) == len(given):
            raise UsageError(f"path not found: {', '.join(missing)}", hint="check the PATH arguments")
        s = self.settings
        inc = tuple(include) if include else tuple(s.include)
        exc = (*s.exclude, *(exclude or ()))
        sources, problems = discover(given, include=inc, exclude=exc)
        if include:
            _require_matches(inc, sources, given)
        parsed: list[tuple[str, ParsedFile]] = []
        protected: set[str] = set()
        for src in sources:
            root = Path(src.root).resolve().as_posix()
            result = parse_file(src, max_bytes=s.max_file_bytes)
            if isinstance(result, FileProblem):
                problems.append(result)
                protected.add(f"{root.rstrip('/')}/{src.rel}")
            else:
                parsed.append((root, result))
        scope = Scope(
            dirs=tuple(dict.fromkeys(p.resolve().as_posix() for p in given if p.is_dir())),
            files=frozenset(p.resolve().as_posix() for p in given if p.is_file()),
            protected=frozenset(protected),
            include=inc,
            exclude=exc,
            prune=prune,
        )
        return parsed, problems, scope

    def build_docs(self, parsed: Sequence[tuple[str, ParsedFile]]) -> dict[str, list[StoreDoc]]:
        """Store documents per collection for parsed files."""
        s = self.settings
        key = self.model_key
        emb = self.embedder
        out: dict[str, list[StoreDoc]] = {s.tasks_collection: []}
        if s.index_sections:
            out[s.sections_collection] = []
        for root, pf in parsed:
            out[s.tasks_collection].extend(task_docs(pf, root, s.tasks_collection, s.task_text, key))
            if s.index_sections:
                out[s.sections_collection].extend(
                    section_docs(pf, root, s.sections_collection, key, emb.count_tokens, emb.max_tokens)
                )
        return out

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
    ) -> SyncReport:
        """Bring the collections in line with the files under ``paths`` that the include/exclude
        globs select; points of other files are kept unless ``prune`` (see :meth:`parse`)."""
        t_start = time.perf_counter()
        report = SyncReport(dry_run=dry_run, full=full)
        parsed, problems, scope = self.parse(paths, include=include, exclude=exclude, prune=prune)
        report.problems = problems
        report.files = len(parsed)
        report.tasks = sum(len(pf.tasks) for _, pf in parsed)
        report.warnings = [f"{pf.path}: {w}" for _, pf in parsed for w in pf.warnings]
        report.problems = [*report.problems, *(p for _, pf in parsed for p in pf.problems)]
        docs_by_coll = self.build_docs(parsed)
        report.sections = len(docs_by_coll.get(self.settings.sections_collection, []))
        report.parse_seconds = time.perf_counter() - t_start
        store = self.store
        for coll, docs in docs_by_coll.items():
            docs = _dedupe(docs, report)
            if not dry_run:
                self._ensure_collection(coll)
            diff = diff_collection(store, coll, docs, scope, full=full)
            cr = CollectionReport(
                coll,
                added=len(diff.added),
                updated=len(diff.changed),
                moved=len(diff.moved),
                deleted=len(diff.deleted),
                unchanged=diff.unchanged,
            )
            if dry_run:
                report.plan[coll] = _plan_of(diff)
            else:
                st = apply_diff(
                    store,
                    diff,
                    self.embedder,
                    self.sparse_encoder,
                    batch_size=self.settings.upsert_batch,
                    progress=progress,
                )
                cr.embedded, cr.reused = st.embedded, st.reused
                report.embed_seconds += st.embed_seconds
                report.write_seconds += st.write_seconds
                t0 = time.perf_counter()
                if cr.added + cr.updated > 1000:
                    store.optimize(coll)
                store.set_meta(
                    coll,
                    {
                        "last_sync": now_iso(),
                        "task_text": self.settings.task_text,
                        "planvec_version": __version__,
                        **model_meta(self.embedder, self.sparse_encoder),
                    },
                )
                report.write_seconds += time.perf_counter() - t0
            report.collections.append(cr)
        if not dry_run:
            t0 = time.perf_counter()
            store.flush()
            report.write_seconds += time.perf_counter() - t0
        for cr in report.collections:
            report.added += cr.added
            report.updated += cr.updated
            report.moved += cr.moved
            report.deleted += cr.deleted
            report.unchanged += cr.unchanged
            report.embedded += cr.embedded
            report.reused += cr.reused
        report.seconds = time.perf_counter() - t_start
        return report

    def _ensure_collection(self, name: str) -> None:
        emb = self.embedder
        info = self.store.collection_info(name)
        if info is None:
            self.store.create_collection(
                CollectionSpec(name=name, dimension=emb.dimension, model=emb.model_id)
            )
            self.store.set_meta(name, model_meta(emb, self.sparse_encoder))
            return
        self._check_compatible(info.name, info.dimension)

    def _check_compatible(self, name: str, dimension: int) -> None:
        emb = self.embedder
        if dimension != emb.dimension:
            raise DimensionMismatch(
                f"collection {name!r} holds {dimension}-d vectors but the model {emb.model_id} makes "
                f"{emb.dimension}-d vectors",
                hint=f"drop and rebuild it: planvec drop {name} --yes && planvec index PATH",
            )

    # -- search ---------------------------------------------------------------------------------
    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query, through an in-memory LRU cache."""
        vec = self.cached_query(text)
        if vec is not None:
            return vec
        vec = self.embedder.embed([text])[0]
        self.remember_query(text, vec)
        return vec

    def cached_query(self, text: str) -> np.ndarray | None:
        """The cached embedding of a query (counted as a cache hit), or None (not counted: the
        caller embeds the text and hands it to :meth:`remember_query`, which counts the miss)."""
        with self._lock:
            vec = self._qcache.get(text)
            if vec is not None:
                self._qcache.move_to_end(text)
                self.qcache_hits += 1
            return vec

    def remember_query(self, text: str, vec: np.ndarray) -> None:
        """Cache a query embedding computed after :meth:`cached_query` found none (a cache miss)."""
        with self._lock:
            self.qcache_misses += 1
            self._qcache[text] = vec
            self._qcache.move_to_end(text)
            while len(self._qcache) > QUERY_CACHE_SIZE:
                self._qcache.popitem(last=False)

    def search(
        self,
        query: str,
        filters: SearchFilters | None = None,
        *,
        limit: int = 10,
        mode: SearchMode | None = None,
        min_score: float | None = None,
        collection: str | None = None,
    ) -> list[Hit]:
        """Semantic (dense), keyword (BM25) or hybrid (both, fused by reciprocal rank) search."""
        req = SearchRequest(
            query, filters, limit=limit, mode=mode, min_score=min_score, collection=collection
        )
        result = self.search_many([req])[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def search_many(self, requests: Sequence[SearchRequest]) -> list[list[Hit] | Exception]:
        """Several searches at once: each result is what :meth:`search` returns for that request,
        or the exception it raises. The queries missing from the cache are embedded together and,
        where the store can, the searches of one collection run as one batch."""
        out: list[list[Hit] | Exception] = [[] for _ in requests]
        plans: list[_Plan] = []
        for i, r in enumerate(requests):
            try:
                plan = self._plan(i, r)
            except Exception as e:
                out[i] = e
                continue
            if plan is not None:
                plans.append(plan)
        need = [p for p in plans if p.mode != "keyword" and p.vector is None]
        if need:
            try:
                vecs = self._embed_queries([p.request.query for p in need])
            except Exception as e:
                for p in need:
                    out[p.index] = e
                plans = [p for p in plans if p.mode == "keyword" or p.vector is not None]
            else:
                for p, v in zip(need, vecs, strict=True):
                    p.vector = v
        groups: dict[tuple[str, bool], list[_Plan]] = {}
        for p in plans:
            groups.setdefault((p.collection, p.mode == "hybrid"), []).append(p)
        for (coll, hybrid), group in groups.items():
            self._run_plans(coll, hybrid, group, out)
        return out

    def _plan(self, index: int, r: SearchRequest) -> _Plan | None:
        """Validate one request (the errors of :meth:`search`, before any search); None when its
        filters can match nothing."""
        if not r.query or not r.query.strip():
            raise UsageError("empty query", hint='planvec search "what you are looking for"')
        if r.limit < 1:
            raise UsageError("--limit must be at least 1")
        mode = r.mode or self.settings.search_mode
        if mode not in ("dense", "keyword", "hybrid"):
            raise UsageError(f"unknown mode {mode!r}", hint="use dense, keyword or hybrid")
        filters = r.filters or SearchFilters()
        _check_filters(filters)
        coll = r.collection or self.settings.tasks_collection
        spec = self.store.search_spec(coll)
        if spec is None:
            raise CollectionNotFound(
                f"collection {coll!r} does not exist", hint="index some plans first: planvec index PATH"
            )
        dimension, sparse = spec
        f = self.store_filters(coll, filters)
        if f.files == ():
            return None
        if mode != "dense" and not sparse:
            raise UsageError(f"collection {coll!r} has no keyword (BM25) vectors", hint="use --mode dense")
        if mode != "keyword":
            self._check_compatible(coll, dimension)
        return _Plan(index, r, mode, coll, f, r.vector)

    def _embed_queries(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Query embeddings through the LRU cache; the missing ones embedded in one call."""
        if len(texts) == 1:
            return [self.embed_query(texts[0])]
        vecs = [self.cached_query(t) for t in texts]
        missing = list(dict.fromkeys(t for t, v in zip(texts, vecs, strict=True) if v is None))
        if not missing:
            return cast("list[np.ndarray]", vecs)
        embedded = dict(zip(missing, self.embedder.embed(missing), strict=True))
        for t in missing:
            self.remember_query(t, embedded[t])
        extra = sum(v is None for v in vecs) - len(missing)  # the same new text twice: two misses
        if extra:
            with self._lock:
                self.qcache_misses += extra
        return [v if v is not None else embedded[t] for t, v in zip(texts, vecs, strict=True)]

    def _run_plans(
        self, coll: str, hybrid: bool, plans: list[_Plan], out: list[list[Hit] | Exception]
    ) -> None:
        """The store side of planned searches of one collection (all hybrid, or none): one batch,
        or one plan at a time when the batch fails, so that each request gets its own error."""
        try:
            results = self._execute(coll, hybrid, plans)
        except Exception as e:
            if len(plans) == 1:
                out[plans[0].index] = e
                return
            for p in plans:
                self._run_plans(coll, hybrid, [p], out)
            return
        for p, scored in zip(plans, results, strict=True):
            hits = [Hit.from_payload(h.id, h.score, h.payload, coll) for h in scored]
            if p.request.min_score is not None:
                hits = [h for h in hits if h.score >= p.request.min_score]
            out[p.index] = hits

    def _execute(self, coll: str, hybrid: bool, plans: list[_Plan]) -> list[list[ScoredHit]]:
        queries: list[tuple[np.ndarray | SparseVec, Filters | None, int]] = []
        for p in plans:
            limit = p.request.limit
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
            return found
        # Fuse ids and scores, then read the payloads of the hits kept only.
        fused_lists = []
        for i, p in enumerate(plans):
            n = _candidates(p.request.limit)
            dense, sparse = found[2 * i], found[2 * i + 1]
            fused_lists.append(rrf_fuse([_whole_ties(dense, n), _whole_ties(sparse, n)])[: p.request.limit])
        wanted = list(dict.fromkeys(h.id for fused in fused_lists for h in fused))
        payloads = {sp.id: sp.payload for sp in self.store.retrieve(coll, wanted)} if wanted else {}
        return [
            [ScoredHit(h.id, h.score, payloads[h.id]) for h in fused if h.id in payloads]
            for fused in fused_lists
        ]

    def _sparse_query(self, query: str) -> SparseVec:
        enc = self.sparse_encoder
        vec: SparseVec = enc.embed_query(query)
        return vec

    def store_filters(self, collection: str, f: SearchFilters) -> Filters:
        """Translate user filters to store filters (resolving the file glob against indexed files)."""
        files: tuple[str, ...] | None = None
        if f.file_glob:
            known = self.store.distinct_values(collection, "file")
            files = tuple(
                x for x in known if fnmatch.fnmatch(x, f.file_glob) or fnmatch.fnmatch(x, f"*/{f.file_glob}")
            )
        _check_filters(f)
        prios = tuple(p.upper() for p in f.priorities)
        return Filters(
            status=f.status,
            priorities=prios,
            is_mvp=f.mvp,
            files=files,
            section_tokens=tuple(word_tokens(f.section)) if f.section else (),
            task_id_prefix=f.task_id_prefix.rstrip(".") if f.task_id_prefix else None,
        )

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
                return Hit.from_payload(found[0].id, 1.0, found[0].payload, name)
        return None

    def find_by_task_id(self, task_id: str, collection: str | None = None) -> list[Hit]:
        """Tasks whose explicit id equals ``task_id``."""
        coll = collection or self.settings.tasks_collection
        if self.store.collection_info(coll) is None:
            return []
        hits = []
        for p in self.store.scroll(coll, fields=None):
            if p.payload.get("task_id") == task_id:
                hits.append(Hit.from_payload(p.id, 1.0, p.payload, coll))
        return hits

    def drop(self, collection: str) -> None:
        if self.store.collection_info(collection) is None:
            raise CollectionNotFound(f"collection {collection!r} does not exist", hint="planvec collections")
        self.store.delete_collection(collection)

    # -- index health: check, verify, diagnose, fix (planvec.ops) ------------------------------
    def check(self, paths: Sequence[str | Path], *, collection: str | None = None) -> CheckReport:
        """Compare the tasks in the files with the points: missing, orphaned, stale, duplicates."""
        from .ops.check import check

        return check(self, paths, collection=collection)

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
            self.embedder,
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
        """Repair what check/verify/diagnose find, after a safety backup (``dry_run``: plan only)."""
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
        if self._embedder is None and self.settings.model_path is None:
            from .embedding.models import DEFAULT_MODEL

            return DEFAULT_MODEL.model_id, DEFAULT_MODEL.dimension
        return self.embedder.model_id, self.embedder.dimension


def _require_matches(include: Sequence[str], sources: Sequence[Any], given: Sequence[Path]) -> None:
    """Refuse include globs that select no file: the run would read nothing through them."""
    from .globs import glob_regex

    unmatched = [p for p in include if not any(glob_regex(p).match(src.rel) for src in sources)]
    if unmatched:
        globs = ", ".join(repr(p) for p in unmatched)
        where = ", ".join(str(p) for p in given)
        raise UsageError(
            f"include glob {globs} matches no file under {where}; nothing was changed",
            hint="globs match the path relative to each PATH: e.g. 'plan-dev-v2*' or 'team/**/*.md'",
        )


def _check_filters(f: SearchFilters) -> None:
    """Reject filter values that can never match, before any store access."""
    if f.status not in (None, "pending", "completed"):
        raise UsageError(f"unknown status {f.status!r}", hint="use pending or completed")
    bad = [p for p in f.priorities if p.upper() not in ("P0", "P1", "P2", "P3")]
    if bad:
        raise UsageError(f"unknown priority {', '.join(bad)}", hint="use P0, P1, P2 or P3")


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


def _dedupe(docs: list[StoreDoc], report: SyncReport) -> list[StoreDoc]:
    seen: dict[str, StoreDoc] = {}
    for d in docs:
        if d.point_id in seen:
            report.warnings.append(
                f"{d.payload.get('file')}:{d.payload.get('line')}: duplicate anchor "
                f"{d.payload.get('anchor')!r}, kept the first"
            )
            continue
        seen[d.point_id] = d
    return list(seen.values())


def _plan_of(diff: CollectionDiff) -> dict[str, list[str]]:
    def label(d: StoreDoc) -> str:
        p = d.payload
        return f"{p.get('file')}:{p.get('line')} {p.get('task_id') or ''} {p.get('title')}".replace("  ", " ")

    return {
        "added": [label(d) for d in diff.added],
        "updated": [label(d) for d in diff.changed],
        "moved": [label(d) for d in diff.moved],
        "deleted": list(diff.deleted),
    }
