"""``GET /api/v1/schemas`` (the indexed elements, filtered, paged), ``GET /api/v1/schemas/drift`` and
``GET /api/v1/schemas/{name}`` (what ``planvec schemas show`` prints), read from the store.

Errors: ``schema_not_found`` (404, ``details.close``: the closest names), ``schema_ambiguous``
(409, ``details.candidates``), ``collection_not_found`` (404: nothing indexed yet),
``invalid_request`` (400: an unknown element or format).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from ...kinds.schemas.drift import find_drift, report
from ...kinds.schemas.filters import predicate
from ...kinds.schemas.show import SchemaAmbiguous, SchemaNotFound, show
from ...kinds.schemas.stored import StoredElement, read_elements
from ..auth import Principal, require
from ..errors import ApiError
from ..state import get_service

router = APIRouter(prefix="/api/v1", tags=["schemas"])


class SchemaQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    element: str | None = Field(None, max_length=200, description="table, column, operation, … (a,b).")
    format: str | None = Field(None, max_length=100, description="sql, jsonschema, openapi, proto, config.")
    file: str | None = Field(None, max_length=500, description="Glob on the file path.")
    name: str | None = Field(None, max_length=500, description="Qualified name or glob ('*.email').")
    parent: str | None = Field(None, max_length=500, description="The container's qualified name or glob.")
    limit: int = Field(100, ge=1, le=1000)
    offset: int = Field(0, ge=0, le=10_000_000)


class ElementOut(BaseModel):
    point_id: str
    element: str
    name: str
    short: str
    format: str
    file: str
    line: int
    root: str
    source: str
    type: str
    description: str
    parent: str
    references: list[str]
    attributes: dict[str, Any]
    title: str
    section: str


class ElementList(BaseModel):
    count: int
    offset: int
    limit: int
    elements: list[ElementOut]


def _elements(request: Request) -> list[StoredElement]:
    eng = get_service(request).engine
    _, config = eng.kinds(["schemas"])[0]
    return read_elements(eng.store, config.search_collection)


@router.get("/schemas", response_model=ElementList, summary="List schema and configuration elements")
async def list_schemas(
    request: Request,
    q: Annotated[SchemaQuery, Query()],
    _: Annotated[Principal, Depends(require("read", "schemas.list"))],
) -> dict[str, Any]:
    """The indexed elements by file and line, filtered like ``planvec search --kind schemas``."""
    values = {
        "element": q.element,
        "format": q.format,
        "file_glob": q.file,
        "name": q.name,
        "parent": q.parent,
    }
    test = predicate({k: v for k, v in values.items() if v})
    found = [e for e in await run_in_threadpool(_elements, request) if test(e.to_dict())]
    page = found[q.offset : q.offset + q.limit]
    return {
        "count": len(found),
        "offset": q.offset,
        "limit": q.limit,
        "elements": [e.to_dict() for e in page],
    }


@router.get("/schemas/drift", summary="Tables, messages and schemas defined differently in several places")
async def schemas_drift(
    request: Request, _: Annotated[Principal, Depends(require("read", "schemas.drift"))]
) -> dict[str, Any]:
    """``planvec schemas drift --json``: every side with file:line and the members that differ."""
    elements = await run_in_threadpool(_elements, request)
    return report(find_drift(elements))


@router.get(
    "/schemas/{name:path}",
    summary="One schema element with its members and relations",
    responses={404: {"description": "schema_not_found"}, 409: {"description": "schema_ambiguous"}},
)
async def schema_show(
    request: Request,
    name: Annotated[str, Path(min_length=1, max_length=500, description="Qualified name or its end.")],
    _: Annotated[Principal, Depends(require("read", "schemas.show"))],
) -> dict[str, Any]:
    """``planvec schemas show NAME --json``: a table's columns, keys, indexes and foreign keys in and
    out; an operation's parameters and schemas; a message's fields; a schema's properties."""
    elements = await run_in_threadpool(_elements, request)
    try:
        return show(elements, name)
    except SchemaNotFound as e:
        raise ApiError(404, "schema_not_found", e.message, hint=e.hint, details={"close": e.close}) from None
    except SchemaAmbiguous as e:
        raise ApiError(
            409, "schema_ambiguous", e.message, hint=e.hint, details={"candidates": e.candidates}
        ) from None
