"""``POST /api/v1/import`` (a server-side file inside the import folder, the migration guide's
``{collection, dataPath}``), ``POST /api/v1/import/upload`` (the file in the request) and
``GET /api/v1/export`` (a streamed backup archive of a collection)."""

from __future__ import annotations

import contextlib
import io
import queue
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ...errors import CollectionNotFound
from ..auditing import hand_off
from ..auth import Principal, require
from ..errors import ApiError, request_id
from ..paths import check_name_text, resolve_inside
from ..state import Service, get_service
from .jobs import JOB_RESPONSES, JobReply, job_reply

router = APIRouter(prefix="/api/v1", tags=["data"])

CollectionName = Annotated[str, Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")]
WaitQuery = Annotated[float | None, Query(ge=0, le=600, description="Seconds to wait before 202.")]


class ImportBody(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    collection: CollectionName
    dataPath: str = Field(
        min_length=1, max_length=4096, description="A file inside the server's import folder."
    )
    reembed: bool = Field(default=False, description="Embed the texts again with this server's model.")


def _import_dir(svc: Service) -> Path:
    if svc.settings.import_dir is None:
        raise ApiError(400, "not_configured", "no import folder is configured", hint="set PLANVEC_IMPORT_DIR")
    return Path(svc.settings.import_dir).expanduser()


def _submit_import(
    request: Request, principal: Principal, path: Path, target: str, collection: str, reembed: bool
) -> Any:
    svc = get_service(request)
    eng = svc.engine

    def run(progress: Any) -> dict[str, Any]:
        return eng.import_file(path, collection, reembed, progress=progress).to_dict()

    return svc.jobs.submit(
        "import", f"{collection}<-{target}", run, key_id=principal.key_id, request_id=request_id(request)
    )


@router.post("/import", response_model=JobReply, responses=JOB_RESPONSES, summary="Import a server-side file")
async def import_path(
    request: Request,
    body: ImportBody,
    principal: Annotated[Principal, Depends(require("admin", "import"))],
    wait: WaitQuery = None,
) -> JSONResponse:
    """Import a legacy `{collection}-backup.json` export or a planvec archive. `dataPath` is absolute or
    relative to the import folder and must lie inside it (symlinks resolved)."""
    svc = get_service(request)
    path = resolve_inside(_import_dir(svc), body.dataPath, what="dataPath", allow_absolute=True)
    if not path.is_file():
        raise ApiError(404, "file_not_found", f"dataPath: no file {body.dataPath!r} in the import folder")
    job = _submit_import(request, principal, path, body.dataPath, body.collection, body.reembed)
    return await job_reply(request, job, svc.settings.job_wait_seconds if wait is None else wait)


@router.post(
    "/import/upload", response_model=JobReply, responses=JOB_RESPONSES, summary="Import an uploaded file"
)
async def import_upload(
    request: Request,
    file: Annotated[UploadFile, File(description="A legacy JSON export or a planvec archive.")],
    collection: Annotated[str, Query(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")],
    principal: Annotated[Principal, Depends(require("admin", "import.upload"))],
    reembed: bool = False,
    wait: WaitQuery = None,
) -> JSONResponse:
    """The same import with the file in a multipart form field `file`."""
    svc = get_service(request)
    # The client's file name only labels the job: the saved copy is named by the server, so no name a
    # client sends reaches the file system. A name no file system could hold is still refused (400).
    if file.filename:
        check_name_text(file.filename, what="file name", code="invalid_filename")
    name = PurePosixPath(file.filename.replace("\\", "/")).name if file.filename else ""
    uploads = Path(svc.settings.data_dir).expanduser() / ".uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    tmp = uploads / f"{uuid.uuid4().hex}.upload"

    def save() -> None:
        with tmp.open("wb") as out:
            shutil.copyfileobj(file.file, out, 1 << 20)

    await run_in_threadpool(save)
    eng = svc.engine

    def run(progress: Any) -> dict[str, Any]:
        try:
            return eng.import_file(tmp, collection, reembed, progress=progress).to_dict()
        finally:
            tmp.unlink(missing_ok=True)

    job = svc.jobs.submit(
        "import.upload",
        f"{collection}<-{name or 'upload'}",
        run,
        key_id=principal.key_id,
        request_id=request_id(request),
    )
    return await job_reply(request, job, svc.settings.job_wait_seconds if wait is None else wait)


class _QueueWriter(io.RawIOBase):
    """A writable stream feeding a bounded queue (back-pressure); aborts when the reader goes away."""

    def __init__(self, q: queue.Queue[bytes | None], cancelled: threading.Event) -> None:
        self._q, self._cancelled = q, cancelled

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        data = bytes(b)
        while True:
            if self._cancelled.is_set():
                raise BrokenPipeError("the client went away")
            try:
                self._q.put(data, timeout=0.5)
                return len(data)
            except queue.Full:
                continue


@router.get(
    "/export",
    summary="Stream a backup archive of a collection",
    response_class=StreamingResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "A planvec archive"}},
)
async def export(
    request: Request,
    collection: Annotated[str, Query(min_length=1, max_length=255)],
    principal: Annotated[Principal, Depends(require("admin", "export"))],
) -> StreamingResponse:
    """The collection as a planvec backup archive (restore it with `planvec restore` or import it)."""
    svc = get_service(request)
    eng = svc.engine
    if await run_in_threadpool(eng.store.collection_info, collection) is None:
        raise CollectionNotFound(f"collection {collection!r} does not exist", hint="GET /api/v1/collections")
    q: queue.Queue[bytes | None] = queue.Queue(maxsize=32)
    cancelled = threading.Event()
    outcome: dict[str, Any] = {}
    rid = request_id(request)
    svc.audit.record(
        action="export", target=collection, outcome="accepted", key_id=principal.key_id, request_id=rid
    )
    hand_off(request)  # (the stream writes the outcome line when it ends)

    def produce() -> None:
        try:
            with io.BufferedWriter(_QueueWriter(q, cancelled), 1 << 16) as out:
                report = eng.backup(out, [collection])
                out.flush()
            outcome.update(outcome="success", status=200, points=report.total_points, bytes=report.bytes)
        except Exception as e:
            outcome.update(outcome="failure", status=500, error=type(e).__name__)
        finally:
            try:  # (the outcome line is written before the client sees the end of the stream)
                svc.audit.record(
                    action="export", target=collection, key_id=principal.key_id, request_id=rid, **outcome
                )
            finally:
                with contextlib.suppress(Exception):
                    q.put(None, timeout=5)

    thread = threading.Thread(target=produce, name="planvec-export", daemon=True)
    thread.start()

    async def chunks() -> AsyncIterator[bytes]:
        try:
            while True:
                chunk = await run_in_threadpool(q.get)
                if chunk is None:
                    break
                yield chunk
            if outcome.get("outcome") != "success":
                raise RuntimeError("export failed midway")  # the client sees a cut-off stream
        finally:
            cancelled.set()

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return StreamingResponse(
        chunks(),
        media_type="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{collection}-{stamp}.pvbak"'},
    )
