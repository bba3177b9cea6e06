"""``GET /api/v1/search`` (query parameters) and ``POST /api/v1/search`` (JSON body)."""

from __future__ import annotations

import time
from typing import Annotated, Any, Literal, cast

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from ...engine import Engine, SearchFilters, SearchRequest
from ...errors import PlanvecError
from ...kinds import ALL, DEFAULT_KIND, filter_pairs
from ...settings import SearchMode
from ..auth import Principal, authorize, raw_key, require
from ..errors import ApiError, api_error_response, planvec_error_response, unexpected_error_response
from ..metrics import ServiceMetrics
from ..middleware import ROUTE_LABEL_KEY, ServiceMiddleware
from ..state import get_service

router = APIRouter(prefix="/api/v1", tags=["search"])

Priority = Annotated[str, Field(pattern=r"^[Pp][0-3]$", description="P0..P3")]


class SearchOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "completed"] | None = Field(None, description="Task status.")
    priority: list[Priority] = Field(default_factory=list, description="Any of these priorities.")
    mvp: bool | None = Field(None, description="Only MVP (true) or only non-MVP (false) tasks.")
    file: str | None = Field(None, max_length=500, description="Glob on the file path, e.g. plan-dev-v5*.")
    section: str | None = Field(None, max_length=500, description="Words that must appear in the section.")
    task_id: str | None = Field(None, max_length=100, description="Task id prefix, e.g. 1.2.")
    limit: int = Field(10, ge=1, le=1000)
    min_score: float | None = Field(None, allow_inf_nan=False, description="Drop hits scoring below this.")
    collection: str | None = Field(
        None, min_length=1, max_length=255, description="Default roadmap_tasks (prose: roadmap_sections)."
    )
    mode: Literal["dense", "keyword", "hybrid"] | None = Field(None, description="Default hybrid.")
    kind: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Kind of knowledge (default plans; all: every indexed collection, fused by rank).",
    )
    literal: bool = Field(
        False, description="Search the words as written: no filters read from the query (plans)."
    )
    filter: list[Annotated[str, Field(max_length=600)]] = Field(
        default_factory=list,
        max_length=50,
        description="Filters of the kind as NAME=VALUE (repeatable), e.g. filter=ecosystem=npm.",
    )


class SearchBody(SearchOptions):
    query: str = Field(min_length=1, max_length=2000, description="What you are looking for.")


class SearchParams(SearchOptions):
    q: str = Field(min_length=1, max_length=2000, description="What you are looking for.")


class HitOut(BaseModel):
    score: float
    task_id: str | None
    title: str
    status: str | None
    priority: str | None
    is_mvp: bool
    file: str
    line: int
    section: str
    collection: str
    point_id: str
    kind: str
    kind_name: str
    fields: dict[str, Any]
    confidence: str | None = None


class SearchResponse(BaseModel):
    query: str
    mode: str
    kind: str
    collection: str
    count: int
    took_ms: float
    query_filters: dict[str, Any] = Field(
        default_factory=dict, description="Filters read from the query's words (off with literal)."
    )
    searched: str | None = Field(None, description="The text searched once those words are removed.")
    hits: list[HitOut]


HIT_FIELDS = tuple(HitOut.model_fields)


async def _search(request: Request, query: str, o: SearchOptions) -> Response:
    svc = get_service(request)
    eng = svc.engine
    filters: SearchFilters | dict[str, Any] = SearchFilters(
        status=o.status,
        priorities=tuple(p.upper() for p in o.priority),
        mvp=o.mvp,
        file_glob=o.file,
        section=o.section,
        task_id_prefix=o.task_id,
    )
    mode = cast("SearchMode", o.mode or eng.settings.search_mode)
    kind = o.kind or DEFAULT_KIND
    if o.filter or kind not in (DEFAULT_KIND, ALL):
        filters = {**cast("SearchFilters", filters).values(), **filter_pairs(o.filter)}
    req = SearchRequest(
        query,
        filters,
        limit=o.limit,
        mode=mode,
        min_score=o.min_score,
        collection=o.collection,
        kind=kind,
        literal=o.literal,
    )
    understood = None if o.literal else eng.understand(query, filters, kind)
    t0 = time.perf_counter()
    hits = await svc.searcher.submit(req)
    took_ms = round((time.perf_counter() - t0) * 1000, 3)
    # The SearchResponse model, written directly: the hits are typed already, and validating and
    # serializing them again through pydantic costs more than the search itself.
    body = {
        "query": query,
        "mode": mode,
        "kind": kind,
        "collection": o.collection or _collection_of(eng, kind),
        "count": len(hits),
        "took_ms": took_ms,
        "query_filters": understood.filters if understood else {},
        "searched": understood.text if understood and understood.filters else None,
        "hits": [{k: getattr(h, k) for k in HIT_FIELDS} for h in hits],
    }
    return Response(_dumps(body), media_type="application/json")


def _collection_of(eng: Engine, kind: str) -> str:
    """The collection a search of ``kind`` reads by default ("all" for every kind's)."""
    return ALL if kind == ALL else eng.kinds([kind])[0][1].search_collection


def _dumps(body: dict[str, Any]) -> bytes:
    return orjson.dumps(body)  # (compact UTF-8 JSON, like json.dumps; a fifth of its CPU)


@router.get("/search", response_model=SearchResponse, summary="Search tasks (query parameters)")
async def search_get(
    request: Request,
    params: Annotated[SearchParams, Query()],
    _: Annotated[Principal, Depends(require("read", "search"))],
) -> Response:
    """Semantic, keyword or hybrid search with the CLI's filters: `?q=...&status=pending&priority=P1`."""
    return await _search(request, params.q, params)


@router.post("/search", response_model=SearchResponse, summary="Search tasks (JSON body)")
async def search_post(
    request: Request,
    body: SearchBody,
    _: Annotated[Principal, Depends(require("read", "search"))],
) -> Response:
    """The same search with a JSON body: `{"query": "...", "status": "pending", "limit": 5}`."""
    return await _search(request, body.query, body)


SEARCH_PATH = "/api/v1/search"
_LIST_PARAMS = frozenset(
    k for k, f in SearchParams.model_fields.items() if getattr(f.annotation, "__origin__", None) is list
)


class SearchFastPath:
    """Answers ``GET /api/v1/search`` in front of the whole FastAPI app: no routing, no dependency
    solving, no Starlette middleware layers (together more CPU than a cached search). It keeps
    what users see: the same query model, the same :func:`authorize` (keys, scopes, rate limit) and
    :func:`_search`, the same error bodies, and :class:`ServiceMiddleware` around it (request id,
    headers, the same route label in the latency metrics). Anything it does not handle as FastAPI
    would (parameters that fail validation or repeat, another method or path) goes to ``app``,
    the full FastAPI app, unchanged."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, max_body: int) -> None:
        self.app = app
        self._served = ServiceMiddleware(self._answer, metrics, max_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] != SEARCH_PATH:
            await self.app(scope, receive, send)
            return
        params = _parse(Request(scope))
        if params is None:  # let FastAPI produce its answer (its 401/403 come before a 422)
            await self.app(scope, receive, send)
            return
        scope[_PARAMS_KEY] = params
        scope[ROUTE_LABEL_KEY] = SEARCH_PATH  # the metrics label FastAPI's route would give
        await self._served(scope, receive, send)

    async def _answer(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        params: SearchParams = scope[_PARAMS_KEY]
        response: Response
        try:
            authorize(get_service(request), request, raw_key(request), "read", "search")
            response = await _search(request, params.q, params)
        except ApiError as e:
            response = api_error_response(request, e)
        except PlanvecError as e:
            response = planvec_error_response(request, e)
        except Exception as e:
            response = unexpected_error_response(request, e)
        await response(scope, receive, send)


_PARAMS_KEY = "planvec.search_params"


def _parse(request: Request) -> SearchParams | None:
    qp = request.query_params
    data: dict[str, Any] = {}
    for key in qp:
        values = qp.getlist(key)
        if key in _LIST_PARAMS:
            data[key] = values
        elif len(values) == 1:
            data[key] = values[0]
        else:
            return None
    try:
        return SearchParams.model_validate(data)
    except ValidationError:
        return None
