"""The Service: everything the app holds for its lifetime (Engine, keys, limiter, audit log, jobs)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, cast

from ..embedding.base import Embedder
from ..engine import Engine, Hit, SearchRequest
from ..errors import UsageError
from ..settings import Settings
from ..store.base import VectorStore
from ..wiring import embedder_from_settings, store_from_settings
from .audit import AuditLog
from .batching import SearchBatcher
from .instrument import InstrumentedStore, ServiceEmbedder
from .jobs import Job, JobManager
from .keys import KeyStore
from .metrics import ServiceMetrics
from .ratelimit import TokenBucketLimiter
from .watching import ServiceWatcher, configured_watch_roots

if TYPE_CHECKING:
    from fastapi import Request

log = logging.getLogger("planvec.service")

# The most searches run as one batch (benchmarks/service_load.py sets 1 to measure batching off).
SEARCH_BATCH_MAX = 64


def keys_path(settings: Settings) -> Path:
    return Path(settings.keys_file or Path(settings.data_dir) / "api_keys.json").expanduser()


class Service:
    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        data_dir = Path(settings.data_dir).expanduser()
        self.metrics = ServiceMetrics()
        self.keys = KeyStore(keys_path(settings), settings.api_keys, tolerant=True)
        self.metrics.attach_keys(self.keys)
        self.limiter = TokenBucketLimiter(settings.rate_limit, settings.rate_burst)
        self.unauth_limiter = TokenBucketLimiter(settings.unauth_rate_limit, settings.unauth_rate_burst)
        self.audit = AuditLog(
            settings.audit_log or data_dir / "audit.jsonl",
            max_bytes=settings.audit_max_bytes,
            backups=settings.audit_backups,
        )
        self.jobs = self._job_manager()
        self._given_embedder = embedder
        self._embedder: ServiceEmbedder | None = None
        self._engine: Engine | None = None
        self._searcher: SearchBatcher[SearchRequest, list[Hit]] | None = None
        self._watcher: ServiceWatcher | None = None

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            raise RuntimeError("the service is not started")
        return self._engine

    @property
    def searcher(self) -> SearchBatcher[SearchRequest, list[Hit]]:
        """Runs the searches, off the event loop: the requests waiting are taken together and run
        as one ``Engine.search_many`` batch (their new query texts embedded in one model call)."""
        if self._searcher is None:
            raise RuntimeError("the service is not started")
        return self._searcher

    @property
    def ready(self) -> bool:
        return self._engine is not None

    def start(self) -> None:
        """Open the store (once, as its single writer: first, since a locked or read-only data
        directory is the likeliest failure) and load the model (once). Blocking."""
        s = self.settings
        self.jobs = self._job_manager()  # fresh on every start (a restarted lifespan)
        roots = configured_watch_roots(s) if s.watch else None  # (refused before the store opens)
        store = store_from_settings(s, read_only=False)
        try:
            self._make_docs_root()
            inner = self._load_embedder()
        except BaseException:
            store.close()
            raise
        self._embedder = ServiceEmbedder(inner, self.metrics, s.batch_window_ms / 1000.0)
        wrapped = cast(VectorStore, InstrumentedStore(store, self.metrics))
        self._engine = Engine(s, embedder=self._embedder, store=wrapped)
        self._searcher = SearchBatcher(
            self._engine.search_many, workers=s.search_threads, max_batch=SEARCH_BATCH_MAX
        )
        self.metrics.attach_engine(self._engine)
        if roots is not None:
            self._watcher = ServiceWatcher(self, roots)
            self._watcher.start()

    def _load_embedder(self) -> Embedder:
        inner = self._given_embedder or embedder_from_settings(self.settings)
        inner.embed(["warm up"])
        return inner

    def _make_docs_root(self) -> None:
        root = self.settings.documents_root
        if root is None:
            return
        try:
            Path(root).expanduser().mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise UsageError(
                f"cannot create the documents root {root}: {e.strerror}",
                hint="choose a writable directory with PLANVEC_DOCUMENTS_ROOT",
            ) from None

    def close(self) -> None:
        """Stop the file watcher, finish write jobs, stop the batcher, flush and close the store."""
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = None
        self.jobs.shutdown()
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None
        if self._embedder is not None:
            self._embedder.close()
            self._embedder = None
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    def _job_manager(self) -> JobManager:
        return JobManager(on_finish=self._audit_job, on_submit=self._audit_accepted)

    def _audit_accepted(self, job: Job) -> None:
        """Written before the job can start: a crash during the work leaves this line."""
        self.audit.record(
            action=job.kind,
            target=job.target,
            outcome="accepted",
            key_id=job.key_id,
            request_id=job.request_id,
            job_id=job.id,
        )

    def _audit_job(self, job: Job) -> None:
        self.audit.record(
            action=job.kind,
            target=job.target,
            outcome="success" if job.status == "succeeded" else "failure",
            key_id=job.key_id,
            request_id=job.request_id,
            job_id=job.id,
            status=job.http_status,
            error=(job.error or {}).get("code"),
        )


def get_service(request: Request) -> Service:
    svc: Service = request.app.state.svc
    return svc
