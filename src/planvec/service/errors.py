"""JSON errors: ``{"error": {"code", "message", "hint", "request_id", "details"}}`` with a stable code.

No traceback ever reaches a client: unexpected exceptions are logged server-side and answered with
``internal_error``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    CollectionNotFound,
    DimensionMismatch,
    DiskFullError,
    IndexLockedError,
    ModelError,
    ParseError,
    PlanvecError,
    StoreError,
    StoreLockedError,
    UsageError,
)
from ..ops.archive import ArchiveError
from ..ops.transfer import MigrationError
from ..ops.writeback import TaskGone, WriteConflict

log = logging.getLogger("planvec.service")

REQUEST_ID_KEY = "planvec.request_id"

# most specific first
_PLANVEC_CODES: list[tuple[type[PlanvecError], int, str]] = [
    (WriteConflict, 409, "conflict"),
    (TaskGone, 404, "task_not_found"),
    (CollectionNotFound, 404, "collection_not_found"),
    (DimensionMismatch, 409, "dimension_mismatch"),
    (IndexLockedError, 409, "index_locked"),
    (StoreLockedError, 503, "store_locked"),
    (DiskFullError, 507, "insufficient_storage"),
    (StoreError, 503, "store_unavailable"),
    (ModelError, 503, "model_unavailable"),
    (ParseError, 422, "parse_error"),
    (UsageError, 400, "invalid_request"),
    (ArchiveError, 422, "invalid_archive"),
    (MigrationError, 422, "import_failed"),
]

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    503: "unavailable",
    507: "insufficient_storage",
}


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        hint: str | None = None,
        details: Any = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.hint, self.details, self.headers = hint, details, headers


def request_id(request: Request) -> str:
    return str(request.scope.get(REQUEST_ID_KEY, "-"))


def planvec_status(e: PlanvecError) -> tuple[int, str]:
    for cls, status, code in _PLANVEC_CODES:
        if isinstance(e, cls):
            return status, code
    return 500, "operation_failed"


def error_body(
    rid: str, code: str, message: str, hint: str | None = None, details: Any = None
) -> dict[str, Any]:
    err: dict[str, Any] = {"code": code, "message": message, "request_id": rid}
    if hint:
        err["hint"] = hint
    if details is not None:
        err["details"] = details
    return {"error": err}


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    hint: str | None = None,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        error_body(request_id(request), code, message, hint, details), status_code=status, headers=headers
    )


def _field(loc: Any) -> str:
    parts = [str(x) for x in loc or ()]
    return ".".join(parts)


def api_error_response(request: Request, e: ApiError) -> JSONResponse:
    return error_response(
        request, e.status, e.code, e.message, hint=e.hint, details=e.details, headers=e.headers
    )


def planvec_error_response(request: Request, e: PlanvecError) -> JSONResponse:
    status, code = planvec_status(e)
    return error_response(request, status, code, e.message, hint=e.hint)


def unexpected_error_response(request: Request, e: Exception) -> JSONResponse:
    log.error("unexpected error (request %s)", request_id(request), exc_info=e)
    return error_response(request, 500, "internal_error", "internal error; the server log has the details")


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api(request: Request, e: ApiError) -> JSONResponse:
        return api_error_response(request, e)

    @app.exception_handler(PlanvecError)
    async def _planvec(request: Request, e: PlanvecError) -> JSONResponse:
        return planvec_error_response(request, e)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, e: RequestValidationError) -> JSONResponse:
        details = [{"field": _field(err.get("loc")), "reason": str(err.get("msg"))} for err in e.errors()]
        summary = "; ".join(f"{d['field']}: {d['reason']}" for d in details[:5])
        return error_response(
            request, 422, "validation_error", f"invalid request: {summary}", details=details
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, e: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(e.status_code, "http_error")
        return error_response(
            request, e.status_code, code, str(e.detail), headers=getattr(e, "headers", None)
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, e: Exception) -> JSONResponse:
        return unexpected_error_response(request, e)
