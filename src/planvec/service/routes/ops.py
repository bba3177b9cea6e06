"""``/healthz`` (alive), ``/readyz`` (model loaded, store reachable), ``/metrics`` (Prometheus)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..metrics import CONTENT_TYPE
from ..state import get_service

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, Any]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses={503: {"description": "Not ready"}})
async def readyz(request: Request) -> JSONResponse:
    """The model is loaded and the store answers. `checks.keys` is false while the API keys file
    cannot be read (`keys_error` says why; the last good key set keeps serving, so readiness holds)."""
    svc = get_service(request)
    checks: dict[str, Any] = {"model": False, "store": False}
    problem = svc.keys.problem
    checks["keys"] = problem is None
    if problem is not None:
        checks["keys_error"] = problem
    if svc.ready:
        eng = svc.engine
        checks["model"] = eng.embedder.dimension > 0
        try:
            await run_in_threadpool(eng.store.list_collections)
            checks["store"] = True
        except Exception as e:
            checks["store_error"] = type(e).__name__
    ok = bool(checks["model"] and checks["store"])
    return JSONResponse(
        {"status": "ready" if ok else "not ready", "checks": checks}, status_code=200 if ok else 503
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    """Prometheus text format: `vectorization_duration_seconds`, `qdrant_operations_total`,
    `http_request_duration_seconds`, `planvec_collection_points`, `query_embedding_cache_hit_ratio`..."""
    svc = get_service(request)
    body = await run_in_threadpool(svc.metrics.render)
    return Response(body, media_type=CONTENT_TYPE)
