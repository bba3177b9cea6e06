"""``GET`` / ``PATCH /api/v1/tasks/{point_id}``: read a task as its file holds it, and change its
status or priority in the Markdown file (write-back, a job of the single store writer; the file is
then re-synced, so search says the new status at once). Only files under the configured index paths
or documents root are written; a task whose text changed since the caller read it is a 409 with the
current task."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ...ops.writeback import KEEP, TaskEdit, WriteConflict, locate, read_task, write_task
from ..auth import Principal, require
from ..errors import ApiError, error_body, request_id
from ..paths import within_any
from ..state import Service, get_service
from .index import configured_roots
from .jobs import JOB_RESPONSES, JobReply, job_reply

router = APIRouter(prefix="/api/v1", tags=["tasks"])

PointId = Annotated[str, Path(min_length=36, max_length=36, pattern=r"^[0-9a-fA-F-]{36}$")]


class TaskPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["completed", "pending"] | None = Field(default=None, description="The checkbox.")
    priority: Literal["P0", "P1", "P2", "P3"] | None = Field(
        default=None, description="The priority marker; null removes it (omit the field to keep it)."
    )
    content_hash: str | None = Field(
        default=None,
        max_length=128,
        description="The task's content_hash as read (GET /api/v1/tasks/{id}): 409 if its text changed.",
    )


def _uuid(point_id: str) -> str:
    try:
        return str(uuid.UUID(point_id))
    except ValueError:
        raise ApiError(422, "validation_error", f"{point_id!r} is not a point id (a UUID)") from None


def _check_path(svc: Service, point_id: str) -> None:
    """The task's file must lie inside a configured index path or the documents root."""
    roots = configured_roots(svc)
    if not roots:
        raise ApiError(
            403,
            "not_configured",
            "write-back needs the task's folder configured on the server",
            hint="set PLANVEC_INDEX_PATHS or PLANVEC_DOCUMENTS_ROOT",
        )
    root, file = locate(svc.engine, point_id)
    within_any(roots, f"{root.rstrip('/')}/{file}", what="the task's file")


@router.get("/tasks/{point_id}", summary="A task as its file holds it now (with its content_hash)")
async def get_task(
    request: Request,
    point_id: PointId,
    _: Annotated[Principal, Depends(require("read", "tasks.get"))],
) -> dict[str, Any]:
    svc = get_service(request)
    return await run_in_threadpool(read_task, svc.engine, _uuid(point_id))


@router.patch(
    "/tasks/{point_id}",
    response_model=JobReply,
    responses={**JOB_RESPONSES, 409: {"description": "The task changed since it was read"}},
    summary="Change a task's status or priority in its Markdown file",
)
async def patch_task(
    request: Request,
    point_id: PointId,
    body: TaskPatch,
    principal: Annotated[Principal, Depends(require("write", "tasks.write"))],
    wait: Annotated[float | None, Query(ge=0, le=600, description="Seconds to wait before 202.")] = None,
) -> JSONResponse:
    """Edits the task's line in place (checkbox character, priority marker; encoding, line endings,
    BOM and every other byte kept), then re-syncs the file. The job's result is the task after it."""
    svc = get_service(request)
    pid = _uuid(point_id)
    await run_in_threadpool(_check_path, svc, pid)
    edit = TaskEdit(body.status, body.priority if "priority" in body.model_fields_set else KEEP)
    if edit.status is None and edit.priority == KEEP:
        raise ApiError(422, "validation_error", "nothing to change", hint='send "status" or "priority"')
    conflict: dict[str, Any] = {}
    eng = svc.engine

    def run(progress: Any) -> dict[str, Any]:
        try:
            return write_task(eng, pid, edit, expect=body.content_hash).to_dict()
        except WriteConflict as e:
            conflict["current"] = e.current
            raise

    job = svc.jobs.submit("task", pid, run, key_id=principal.key_id, request_id=request_id(request))
    reply = await job_reply(request, job, svc.settings.job_wait_seconds if wait is None else wait)
    if job.done and job.error is not None and job.error.get("code") == "conflict":
        e = job.error
        details = {"job_id": job.id, "current": conflict.get("current")}
        return JSONResponse(
            error_body(request_id(request), "conflict", e["message"], e.get("hint"), details), status_code=409
        )
    return reply
