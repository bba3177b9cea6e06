"""``GET /api/v1/browse`` (per plan file: tasks by status and priority) and
``GET /api/v1/points/{collection}/{point_id}`` (one record with its parent, siblings, children):
what the page's browse view and task view read."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from ...engine import Hit
from ..auth import Principal, require
from ..state import get_service

router = APIRouter(prefix="/api/v1", tags=["browse"])


def hit_out(h: Hit) -> dict[str, Any]:
    """A hit as the API shows it: its fields, its body and embedded text, its absolute path."""
    d = h.to_dict()
    d["path"] = f"{h.root}/{h.file}" if h.root else h.file
    return d


@router.get("/browse", summary="Plan files with their tasks by status and priority")
async def browse(
    request: Request,
    _: Annotated[Principal, Depends(require("read", "browse"))],
    collection: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
) -> dict[str, Any]:
    """Per file of the tasks collection: tasks, completed, pending, percent, MVP, and counts by
    priority (P0..P3, none) and status."""
    eng = get_service(request).engine
    files = await run_in_threadpool(eng.browse, collection)
    total = sum(f["tasks"] for f in files)
    done = sum(f["completed"] for f in files)
    return {"files": files, "tasks": total, "completed": done}


@router.get("/points/{collection}/{point_id}", summary="One record with its parent, siblings and children")
async def point(
    request: Request,
    collection: Annotated[str, Path(min_length=1, max_length=255)],
    point_id: Annotated[str, Path(pattern=r"^[0-9a-fA-F-]{32,36}$")],
    _: Annotated[Principal, Depends(require("read", "points.get"))],
) -> dict[str, Any]:
    """The record (any kind) with its body and embedded text; for a task also its parent, its
    siblings (same parent) and its children, in file order."""
    eng = get_service(request).engine
    fam = await run_in_threadpool(eng.record, collection, point_id)
    return {
        "record": hit_out(fam["record"]),
        "parent": hit_out(fam["parent"]) if fam["parent"] else None,
        "siblings": [hit_out(h) for h in fam["siblings"]],
        "children": [hit_out(h) for h in fam["children"]],
    }
