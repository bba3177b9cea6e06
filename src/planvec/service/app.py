"""The FastAPI app. ``create_app(settings)``: the lifespan owns the Engine (model loaded once, store
opened once as its single writer, flushed and closed on shutdown after write jobs finish)."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from .. import __version__
from ..embedding.base import Embedder
from ..settings import Settings
from .auditing import AuditMiddleware
from .errors import install_handlers
from .guard import RequestGuard
from .middleware import ServiceMiddleware
from .routes import (
    browse,
    collections,
    data,
    dependencies,
    dependency_checks,
    documents,
    health,
    index,
    jobs,
    ops,
    search,
    security,
    tasks,
    web,
)
from .routes import schemas as schemas_routes
from .routes.search import SearchFastPath
from .state import Service

log = logging.getLogger("planvec.service")

DESCRIPTION = """Search, sync and import development plans (Markdown checkbox tasks) indexed in Qdrant.

Authentication: send an API key as `X-API-Key: KEY` or `Authorization: Bearer KEY` (scopes read < write <
admin). With no key configured the service is open to loopback clients only; once keys have existed,
none left means every request is refused (401 `no_api_keys`) unless started with `--open`. Errors are JSON:
`{"error": {"code", "message", "hint", "request_id", "details"}}`."""


def create_app(
    settings: Settings | None = None, *, embedder: Embedder | None = None, own_process: bool = False
) -> PlanvecApp:
    """The app. ``embedder``: an already-loaded model to use instead of loading one (tests).
    ``own_process``: the app is all this process serves (``planvec serve``): once started, what
    it holds is frozen out of the cyclic garbage collector."""
    settings = settings or Settings()
    svc = Service(settings, embedder=embedder)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if not svc.ready:  # (planvec serve starts it before the server, to fail in one line)
            await run_in_threadpool(svc.start)
        if own_process:
            # The model, the app and the store live as long as the process: without this, every
            # full collection walks them all again (tens of ms: the slowest requests under load).
            gc.collect()
            gc.freeze()
        try:
            yield
        finally:
            await run_in_threadpool(svc.close)

    app = PlanvecApp(
        title="planvec",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.svc = svc
    install_handlers(app)
    security.attach_metrics(svc)
    modules = (
        search, collections, browse, index, documents, jobs, health, data, ops, security, tasks, web,
        dependency_checks, dependencies, schemas_routes,
    )  # fmt: skip
    for module in modules:
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["X-API-Key", "Authorization", "Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(AuditMiddleware, svc=svc)  # (inside ServiceMiddleware: it sees the request id)
    app.add_middleware(ServiceMiddleware, metrics=svc.metrics, max_body=settings.max_body_bytes)
    behind: ASGIApp = partial(FastAPI.__call__, app)
    if not settings.cors_origins:  # (with CORS on, CORSMiddleware's headers need FastAPI's stack)
        app.fast_path = SearchFastPath(behind, svc.metrics, settings.max_body_bytes)
        behind = app.fast_path
    # (the routes as declared: what a refused request was for, for its audit line)
    app.guard = RequestGuard(behind, svc, [route for m in modules for route in m.router.routes])
    return app


class PlanvecApp(FastAPI):
    """FastAPI behind :class:`RequestGuard` (outermost: Host, cross-site and body type checks) and,
    when set, :class:`SearchFastPath` in front of FastAPI's middleware stack."""

    fast_path: ASGIApp | None = None
    guard: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.guard is None:
            await super().__call__(scope, receive, send)
            return
        scope["app"] = self  # (what Starlette sets: request.app for the fast path)
        await self.guard(scope, receive, send)
