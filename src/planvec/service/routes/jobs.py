"""``GET /api/v1/jobs`` and ``GET /api/v1/jobs/{id}``: progress of write jobs; the shared reply helper."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..auditing import hand_off
from ..auth import Principal, require
from ..errors import ApiError, error_body, request_id
from ..jobs import Job
from ..state import get_service

router = APIRouter(prefix="/api/v1", tags=["jobs"])


class JobOut(BaseModel):
    id: str
    kind: str
    target: str
    status: str
    created: str
    started: str | None
    finished: str | None
    progress: dict[str, Any]
    result: dict[str, Any] | None
    error: dict[str, Any] | None


class JobReply(BaseModel):
    success: bool = True
    job: JobOut


class JobList(BaseModel):
    jobs: list[JobOut]


JOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"model": JobReply, "description": "Still running: follow GET /api/v1/jobs/{id}"},
}


async def job_reply(request: Request, job: Job, wait: float) -> JSONResponse:
    """200 with the finished job, 202 while it runs, or the job's error with its HTTP status.
    The job writes the request's audit outcome line."""
    hand_off(request)
    svc = get_service(request)
    finished = await svc.jobs.wait(job, wait)
    if not finished:
        return JSONResponse(
            {"job": job.to_dict()}, status_code=202, headers={"Location": f"/api/v1/jobs/{job.id}"}
        )
    if job.status == "failed" and job.error is not None:
        body = error_body(
            request_id(request),
            job.error["code"],
            job.error["message"],
            job.error.get("hint"),
            {"job_id": job.id},
        )
        return JSONResponse(body, status_code=job.http_status)
    return JSONResponse({"success": True, "job": job.to_dict()})


@router.get("/jobs", response_model=JobList, summary="Recent jobs, newest first")
async def list_jobs(
    request: Request, _: Annotated[Principal, Depends(require("read", "jobs.list"))]
) -> dict[str, Any]:
    return {"jobs": [j.to_dict() for j in get_service(request).jobs.list()]}


@router.get("/jobs/{job_id}", response_model=JobReply, summary="One job: status, progress, result")
async def get_job(
    request: Request,
    job_id: Annotated[str, Path(min_length=1, max_length=64)],
    _: Annotated[Principal, Depends(require("read", "jobs.get"))],
) -> dict[str, Any]:
    job = get_service(request).jobs.get(job_id)
    if job is None:
        raise ApiError(404, "job_not_found", f"no job {job_id!r}", hint="GET /api/v1/jobs lists recent jobs")
    return {"job": job.to_dict()}
