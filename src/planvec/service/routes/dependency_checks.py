"""``GET /api/v1/dependencies/conflicts`` and ``GET /api/v1/dependencies/audit``: the checks of the
indexed dependencies, the same JSON as ``planvec deps conflicts --json`` and ``deps audit --json``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from ...kinds.dependencies.audit import FAIL_ON
from ...ops.deps_checks import conflicts, run_audit
from ..auth import Principal, require
from ..state import get_service

router = APIRouter(prefix="/api/v1", tags=["dependencies"])


_NOT_INDEXED: dict[int | str, dict[str, Any]] = {
    404: {"description": "No dependencies are indexed (`collection_not_found`)"}
}


@router.get("/dependencies/conflicts", summary="Dependency conflicts", responses=_NOT_INDEXED)
async def dependency_conflicts(
    request: Request, _: Annotated[Principal, Depends(require("read", "dependencies.conflicts"))]
) -> dict[str, Any]:
    """Packages declared with different specifiers in different manifests (`mismatch`) and
    specifiers that no version satisfies together, or locked versions another manifest excludes
    (`incompatible`); each conflict lists its sides with `file:line`. `ok` is false when an
    incompatible conflict exists. 404 `collection_not_found` when no dependencies are indexed."""
    eng = get_service(request).engine
    report = await run_in_threadpool(conflicts, eng.store, eng.settings)
    return report.to_dict()


@router.get("/dependencies/audit", summary="Offline vulnerability audit", responses=_NOT_INDEXED)
async def dependency_audit(
    request: Request,
    _: Annotated[Principal, Depends(require("read", "dependencies.audit"))],
    fail_on: Annotated[str, Query(pattern="^(" + "|".join(FAIL_ON) + ")$")] = "affected",
) -> dict[str, Any]:
    """The indexed dependencies against the imported OSV advisories: `findings` (affected or
    possibly affected, with advisory ids and fixed versions), the snapshot date and its age,
    `warnings` (no advisories imported, an old snapshot). `ok` follows `fail_on` as the CLI's exit
    code does. Never touches the network."""
    eng = get_service(request).engine
    report = await run_in_threadpool(lambda: run_audit(eng.store, eng.settings, fail_on=fail_on))
    return report.to_dict()
