"""``POST /api/v1/index``: sync the configured paths (or some of them) into the store, as a job."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ...globs import check_globs
from ..auth import Principal, require
from ..errors import ApiError, request_id
from ..paths import within_any
from ..state import Service, get_service
from .jobs import JOB_RESPONSES, JobReply, job_reply

router = APIRouter(prefix="/api/v1", tags=["index"])


class IndexBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[Annotated[str, Field(min_length=1, max_length=4096)]] = Field(
        default_factory=list,
        max_length=100,
        description="Inside the configured index paths or documents root; default: all of them.",
    )
    include: list[Annotated[str, Field(min_length=1, max_length=1024)]] = Field(
        default_factory=list,
        max_length=100,
        description="Globs of the files to sync, relative to each path (default: the server's "
        "PLANVEC_INCLUDE); each must match a file (else 400, nothing changes). Points of the files "
        "they leave out are kept.",
    )
    exclude: list[Annotated[str, Field(min_length=1, max_length=1024)]] = Field(
        default_factory=list, max_length=100, description="Globs of files to skip, added to PLANVEC_EXCLUDE."
    )
    prune: bool = Field(
        default=False,
        description="Also delete the points of every other file under the paths (those the globs leave out).",
    )
    full: bool = Field(default=False, description="Re-embed everything.")
    dry_run: bool = Field(default=False, description="Report what would change, change nothing.")


def configured_roots(svc: Service) -> list[Path]:
    s = svc.settings
    roots = [Path(p).expanduser() for p in s.index_paths]
    if s.documents_root is not None:
        roots.append(Path(s.documents_root).expanduser())
    return roots


@router.post(
    "/index", response_model=JobReply, responses=JOB_RESPONSES, summary="Sync configured paths (a job)"
)
async def index(
    request: Request,
    principal: Annotated[Principal, Depends(require("write", "index"))],
    body: IndexBody | None = None,
    wait: Annotated[float | None, Query(ge=0, le=600, description="Seconds to wait before 202.")] = None,
) -> JSONResponse:
    """Incremental sync of files into the collections. Answers with the finished job and its report,
    or `202` and the job to follow at `GET /api/v1/jobs/{id}` if it runs longer than `wait` seconds."""
    svc = get_service(request)
    body = body or IndexBody()
    roots = configured_roots(svc)
    if not roots:
        raise ApiError(
            400,
            "not_configured",
            "no index paths are configured on the server",
            hint="set PLANVEC_INDEX_PATHS (comma-separated) or PLANVEC_DOCUMENTS_ROOT",
        )
    paths = [within_any(roots, p, what="paths") for p in body.paths] or [r for r in roots if r.exists()]
    if not paths:
        raise ApiError(400, "not_configured", "none of the configured index paths exists")
    check_globs([*body.include, *body.exclude])  # an invalid glob is refused before any job starts
    eng = svc.engine

    def run(progress: Any) -> dict[str, Any]:
        return eng.index(
            paths,
            full=body.full,
            dry_run=body.dry_run,
            progress=progress,
            include=body.include or None,
            exclude=body.exclude or None,
            prune=body.prune,
        ).to_dict()

    job = svc.jobs.submit(
        "index",
        ",".join(str(p) for p in paths),
        run,
        key_id=principal.key_id,
        request_id=request_id(request),
    )
    return await job_reply(request, job, svc.settings.job_wait_seconds if wait is None else wait)
