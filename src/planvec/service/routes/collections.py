"""``GET /api/v1/collections`` and ``GET /api/v1/collections/{name}``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from ...errors import CollectionNotFound
from ...kinds import REGISTRY
from ..auth import Principal, require
from ..state import get_service

router = APIRouter(prefix="/api/v1", tags=["collections"])


class CollectionOut(BaseModel):
    name: str
    points: int
    dimension: int
    model: str | None
    last_sync: str | None
    distance: str
    sparse: bool


class CollectionList(BaseModel):
    collections: list[CollectionOut]


class CollectionDetail(CollectionOut):
    meta: dict[str, Any]


@router.get("/collections", response_model=CollectionList, summary="List collections")
async def list_collections(
    request: Request, _: Annotated[Principal, Depends(require("read", "collections.list"))]
) -> dict[str, Any]:
    """Name, points, dimension, model and last sync of each collection."""
    eng = get_service(request).engine
    cols = await run_in_threadpool(eng.collections)
    return {"collections": [c.to_dict() for c in cols]}


class KindOut(BaseModel):
    name: str
    enabled: bool
    collections: dict[str, str]
    filters: list[str]
    hit_fields: list[str]


class KindList(BaseModel):
    kinds: list[KindOut]


@router.get("/kinds", response_model=KindList, summary="List the kinds of knowledge")
async def list_kinds(
    request: Request, _: Annotated[Principal, Depends(require("read", "kinds.list"))]
) -> dict[str, Any]:
    """Every kind planvec knows: whether the settings enable it, its collections (role -> name), the
    filter names its searches take (``filter=NAME=VALUE``) and the fields its hits show."""
    eng = get_service(request).engine
    out = []
    for kind in REGISTRY:
        config = kind.configure(eng.settings)
        out.append(
            {
                "name": kind.name,
                "enabled": config.enabled,
                "collections": dict(config.collections),
                "filters": list(kind.filters.names),
                "hit_fields": list(kind.hit_fields),
            }
        )
    return {"kinds": out}


@router.get("/collections/{name}", response_model=CollectionDetail, summary="One collection")
async def collection_info(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=255)],
    _: Annotated[Principal, Depends(require("read", "collections.info"))],
) -> dict[str, Any]:
    """A collection's summary and its stored metadata (model, BM25 config, last sync...)."""
    eng = get_service(request).engine

    def info() -> dict[str, Any]:
        for c in eng.collections():
            if c.name == name:
                meta = eng.store.get_meta(name)
                return c.to_dict() | {"meta": {k: v for k, v in meta.items() if _jsonable(v)}}
        raise CollectionNotFound(f"collection {name!r} does not exist", hint="GET /api/v1/collections")

    return await run_in_threadpool(info)


def _jsonable(v: Any) -> bool:
    return isinstance(v, str | int | float | bool | list | dict) or v is None
