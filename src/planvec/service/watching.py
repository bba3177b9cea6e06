"""``planvec serve --watch``: the service keeps the index in line with ``PLANVEC_INDEX_PATHS``.

A thread waits for file events (:mod:`planvec.sync.watch`) and hands each burst to the writer
thread as a ``watch`` job (the jobs' single store writer, so it queues behind index or document
writes and they behind it), waiting for it before taking the next burst, so the events that came
meanwhile are synced together. Once the watcher listens, an ``index`` job syncs the paths once.
Each job is in the audit log (key ``watch``) and at ``GET /api/v1/jobs``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from ..engine import Engine
from ..errors import UsageError
from ..settings import Settings
from ..sync.watch import FlushClock, WatchRoot, changes, watch_roots
from .jobs import JobManager

log = logging.getLogger("planvec.service")

WATCH_KEY = "watch"  # the key id of the watcher's jobs in the audit log


class Service(Protocol):
    """What the watcher uses of :class:`~planvec.service.state.Service`."""

    @property
    def engine(self) -> Engine: ...

    jobs: JobManager


def configured_watch_roots(settings: Settings) -> list[WatchRoot]:
    """The roots of the index paths; none configured (or none existing) is a usage error."""
    paths = [p for p in settings.index_paths if p.expanduser().exists()]
    if not paths:
        raise UsageError(
            "--watch needs index paths: none is configured or none exists",
            hint="set PLANVEC_INDEX_PATHS (comma-separated directories or files)",
        )
    return watch_roots(paths)


class ServiceWatcher:
    def __init__(self, svc: Service, roots: list[WatchRoot]) -> None:
        self.svc = svc
        self.roots = roots
        self.stop = threading.Event()
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="planvec-watch", daemon=True)
        self._clock = FlushClock()

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        self.stop.set()
        self._thread.join(10)

    def _run(self) -> None:
        try:
            for batch in changes(self.roots, stop=self.stop, on_ready=self._initial):
                for root, rels in sorted(batch.items()):
                    self._sync(root, sorted(rels))
        except Exception:
            log.exception("the file watcher stopped")

    def _initial(self) -> None:
        eng = self.svc.engine
        paths = [r.root if r.only is None else f"{r.root}/{r.only}" for r in self.roots]

        def run(progress: Any) -> dict[str, Any]:
            return eng.index(paths, progress=progress).to_dict()

        job = self.svc.jobs.submit("index", ",".join(paths), run, key_id=WATCH_KEY, request_id="-")
        self.ready.set()
        if job.future is not None:
            job.future.result()

    def _sync(self, root: str, rels: list[str]) -> None:
        eng = self.svc.engine
        flush = self._clock.due()

        def run(progress: Any) -> dict[str, Any]:
            return eng.sync_changed(root, rels, progress=progress, flush=flush).summary()

        job = self.svc.jobs.submit("watch", root, run, key_id=WATCH_KEY, request_id="-")
        if job.future is not None:
            job.future.result()
