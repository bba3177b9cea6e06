"""``POST /api/v1/check`` (files against points) and ``GET /api/v1/verify`` (vector quality)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ..auth import Principal, require
from ..errors import ApiError
from ..paths import within_any
from ..state import get_service
from .index import configured_roots

router = APIRouter(prefix="/api/v1", tags=["health"])


class CheckBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    paths: list[Annotated[str, Field(min_length=1, max_length=4096)]] = Field(
        default_factory=list,
        max_length=100,
        description="Inside the configured index paths or documents root; default: all of them.",
    )
    collection: str | None = Field(default=None, min_length=1, max_length=255)


class ReportOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    ok: bool


@router.post("/check", response_model=ReportOut, summary="Check files against the index")
async def check(
    request: Request,
    _: Annotated[Principal, Depends(require("read", "check"))],
    body: CheckBody | None = None,
) -> dict[str, Any]:
    """Missing, orphaned, stale and duplicated tasks, and coverage, for the configured paths."""
    svc = get_service(request)
    body = body or CheckBody()
    roots = configured_roots(svc)
    if not roots:
        raise ApiError(400, "not_configured", "no index paths are configured", hint="set PLANVEC_INDEX_PATHS")
    paths: list[Path] = [within_any(roots, p, what="paths") for p in body.paths] or [
        r for r in roots if r.exists()
    ]
    if not paths:
        raise ApiError(400, "not_configured", "none of the configured index paths exists")
    report = await run_in_threadpool(svc.engine.check, paths, collection=body.collection)
    return report.to_dict() | {"ok": report.ok}


@router.get("/verify", response_model=ReportOut, summary="Verify vector quality")
async def verify(
    request: Request,
    _: Annotated[Principal, Depends(require("read", "verify"))],
    collection: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
    sample: Annotated[int, Query(ge=1, le=5000, description="Points to sample.")] = 500,
) -> dict[str, Any]:
    """Dimension, NaN/inf, norms, zero and shared vectors, self-retrieval, model drift."""
    eng = get_service(request).engine
    report = await run_in_threadpool(eng.verify, collection, sample)
    return report.to_dict() | {"ok": report.ok}
