"""Write jobs: one writer thread runs index, document and import work in order (one store writer).

A request submits a job and waits a few seconds for it; a job still running by then is answered
``202 Accepted`` and followed at ``GET /api/v1/jobs/{id}`` (stage, done, total).
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..errors import PlanvecError
from .errors import planvec_status
from .instrument import document_embedding

log = logging.getLogger("planvec.service")

ProgressFn = Callable[[str, int, int], None]
JobFn = Callable[[ProgressFn], dict[str, Any]]
MAX_JOBS = 500


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass
class Job:
    id: str
    kind: str
    target: str
    key_id: str
    request_id: str
    status: str = "queued"  # queued, running, succeeded, failed
    created: str = field(default_factory=_now)
    started: str | None = None
    finished: str | None = None
    progress: dict[str, Any] = field(default_factory=dict)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    http_status: int = 200
    future: Future[None] | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.status in ("succeeded", "failed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "target": self.target,
            "status": self.status,
            "created": self.created,
            "started": self.started,
            "finished": self.finished,
            "progress": dict(self.progress),
            "result": self.result,
            "error": self.error,
        }


class JobManager:
    """``on_submit`` runs before the job can start (it must not fail quietly: its exception stops
    the submission); ``on_finish`` runs once the job has ended."""

    def __init__(
        self,
        on_finish: Callable[[Job], None] | None = None,
        on_submit: Callable[[Job], None] | None = None,
    ) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planvec-writer")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._on_finish = on_finish
        self._on_submit = on_submit

    def submit(self, kind: str, target: str, fn: JobFn, *, key_id: str, request_id: str) -> Job:
        job = Job(uuid.uuid4().hex, kind, target, key_id, request_id)
        if self._on_submit is not None:
            self._on_submit(job)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                oldest = next(iter(self._jobs.values()))
                if not oldest.done:
                    break
                self._jobs.popitem(last=False)
        job.future = self._executor.submit(self._run, job, fn)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def list(self) -> list[Job]:
        with self._lock:
            return list(reversed(self._jobs.values()))

    async def wait(self, job: Job, timeout: float) -> bool:
        """True when the job finished within ``timeout`` seconds."""
        if job.future is None:
            return job.done
        try:
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(job.future)), timeout)
        except TimeoutError:
            return False
        return True

    def shutdown(self) -> None:
        """Finish queued and running jobs, then stop the writer thread."""
        self._executor.shutdown(wait=True)

    def _run(self, job: Job, fn: JobFn) -> None:
        job.status, job.started = "running", _now()
        t0 = time.perf_counter()

        def progress(stage: str, done: int, total: int) -> None:
            job.progress = {"stage": stage, "done": done, "total": total}

        try:
            with document_embedding():
                job.result = fn(progress)
            job.status = "succeeded"
        except PlanvecError as e:
            job.http_status, code = planvec_status(e)
            job.error = {"code": code, "message": e.message, "hint": e.hint}
            job.status = "failed"
        except Exception:
            log.exception("job %s (%s %s) failed", job.id, job.kind, job.target)
            job.http_status = 500
            job.error = {
                "code": "internal_error",
                "message": "internal error; the server log has the details",
            }
            job.status = "failed"
        job.finished = _now()
        job.progress["seconds"] = round(time.perf_counter() - t0, 3)
        if self._on_finish is not None:
            try:
                self._on_finish(job)
            except Exception:
                log.exception("job %s: on_finish failed", job.id)
