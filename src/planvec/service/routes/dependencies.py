"""``GET /api/v1/dependencies``: the indexed dependencies, filtered, sorted and paged (what
``planvec deps list --json`` prints)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ...kinds import filter_pairs
from ..auth import Principal, require
from ..state import get_service

router = APIRouter(prefix="/api/v1", tags=["dependencies"])

MAX_LIMIT = 5000


class DependencyParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ecosystem: list[Annotated[str, Field(max_length=100)]] = Field(
        default_factory=list, max_length=10, description="pypi, npm, go, cargo, maven (repeatable)."
    )
    dev: bool | None = Field(None, description="Only dev (true) or only non-dev (false) dependencies.")
    direct: bool | None = Field(None, description="Only direct (true) or only transitive (false) ones.")
    manifest: str | None = Field(None, max_length=500, description="Glob on the manifest path.")
    vulnerable: bool | None = Field(
        None, description="true: an advisory (possibly) affects it; false: none known to."
    )
    name: str | None = Field(None, max_length=500, description="Package name (PyPI names normalised).")
    dep_type: str | None = Field(None, max_length=100, description="runtime, dev, optional, peer, build.")
    file: str | None = Field(None, max_length=500, description="Glob on the file path (as search's file).")
    filter: list[Annotated[str, Field(max_length=600)]] = Field(
        default_factory=list, max_length=50, description="Filters as NAME=VALUE (repeatable), e.g. dev=false."
    )
    limit: int = Field(100, ge=1, le=MAX_LIMIT)
    offset: int = Field(0, ge=0)


class DependencyOut(BaseModel):
    ecosystem: str | None
    name: str | None
    specifier: str | None
    version: str | None
    dep_type: str | None
    dev: bool | None
    direct: bool | None
    file: str | None
    line: int | None
    advisory: str | None
    advisory_ids: list[str] | None
    advisory_fixed: list[str] | None
    lockfile: bool | None
    group: str | None
    extras: list[str] | None
    marker: str | None
    source: str | None
    description: str | None
    purl: str | None
    root: str | None


class DependencyList(BaseModel):
    collection: str
    indexed: bool
    total: int
    offset: int
    limit: int | None
    count: int
    dependencies: list[DependencyOut]


@router.get("/dependencies", response_model=DependencyList, summary="List the indexed dependencies")
async def list_dependencies(
    request: Request,
    params: Annotated[DependencyParams, Query()],
    _: Annotated[Principal, Depends(require("read", "dependencies.list"))],
) -> dict[str, Any]:
    """Every indexed dependency matching the filters, sorted by ecosystem, name, file and line;
    ``total`` counts them all, ``dependencies`` holds ``limit`` of them from ``offset``. ``indexed``
    is false when no dependency was indexed yet (``planvec index PATH``)."""
    eng = get_service(request).engine
    filters: dict[str, Any] = {
        "ecosystem": tuple(params.ecosystem),
        "dev": params.dev,
        "direct": params.direct,
        "manifest": params.manifest,
        "vulnerable": params.vulnerable,
        "name": params.name,
        "dep_type": params.dep_type,
        "file_glob": params.file,
    }
    filters = {k: v for k, v in filters.items() if v not in (None, ())}
    filters.update(filter_pairs(params.filter))
    listing = await run_in_threadpool(eng.dependencies, filters, limit=params.limit, offset=params.offset)
    return listing.to_dict()
