"""One audit outcome line per write or admin request, written in one place.

:class:`AuditMiddleware` sees every request's route and final status. A route is audited when its
:func:`~planvec.service.auth.require` dependency asks for ``write`` or ``admin``; the line is written
whatever happened: refused before or after authentication (401, 403, 429, 400, 404, 409, 413, 415,
422...), failed (5xx), or answered. A request whose work runs as a job (or as the export stream)
hands its outcome over with :func:`hand_off`: an ``accepted`` line is written before the work starts
(so a crash in between leaves it), and the job writes the outcome line when it ends.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import principal_name
from .errors import REQUEST_ID_KEY

if TYPE_CHECKING:
    from .state import Service

log = logging.getLogger("planvec.service")

AUDIT_KEY = "planvec.audit"
_ERROR_BODY_BYTES = 4096  # enough for an error body's code; bodies are not kept past it


@dataclass
class AuditContext:
    handed_off: bool = False  # the outcome line is written by a job or the export stream


def hand_off(request: Request) -> None:
    """The outcome of ``request`` is written elsewhere (by the job it submitted, by the stream)."""
    ctx = request.scope.get(AUDIT_KEY)
    if isinstance(ctx, AuditContext):
        ctx.handed_off = True


def route_requirement(route: Any) -> tuple[str, str] | None:
    """``(scope, action)`` of the route's ``require`` dependency, or None."""
    dependant = getattr(route, "dependant", None)
    for dep in getattr(dependant, "dependencies", ()):
        requirement = getattr(dep.call, "requirement", None)
        if requirement is not None:
            return tuple(requirement)  # type: ignore[return-value]
    return None


def outcome_of(status: int) -> str:
    if status < 400:
        return "success"
    if status in (401, 403, 429):
        return f"denied:{status}"
    return f"refused:{status}" if status < 500 else f"failure:{status}"


class AuditMiddleware:
    def __init__(self, app: ASGIApp, svc: Service) -> None:
        self.app = app
        self.svc = svc
        self._requirements: dict[int, tuple[str, str] | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        ctx = AuditContext()
        scope[AUDIT_KEY] = ctx
        status: list[int | None] = [None]
        body = bytearray()

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            elif message["type"] == "http.response.body" and (status[0] or 0) >= 400:
                body.extend(message.get("body", b"")[: _ERROR_BODY_BYTES - len(body)])
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            requirement = self._requirement(scope.get("route"))
            if requirement is not None and requirement[0] != "read" and not ctx.handed_off:
                try:
                    self._record(scope, requirement[1], status[0], bytes(body))
                except Exception:  # (the answer is sent already: the server log keeps the problem)
                    log.exception("cannot write the audit line of request %s", scope.get(REQUEST_ID_KEY))

    def _requirement(self, route: Any) -> tuple[str, str] | None:
        if route is None:
            return None
        key = id(route)
        if key not in self._requirements:
            self._requirements[key] = route_requirement(route)
        return self._requirements[key]

    def _record(self, scope: Scope, action: str, status: int | None, body: bytes) -> None:
        """``status`` None: an exception ended the request (answered 500 further out)."""
        request = Request(scope)
        error = "internal_error" if status is None else _error_code(body) if status >= 400 else None
        status = status or 500
        self.svc.audit.record(
            action=action,
            target=scope.get("path", "-"),
            outcome=outcome_of(status),
            key_id=principal_name(self.svc, request),
            request_id=str(scope.get(REQUEST_ID_KEY, "-")),
            status=status,
            error=error,
            method=scope.get("method"),
            client=request.client.host if request.client else None,
        )


def _error_code(body: bytes) -> str | None:
    try:
        code = json.loads(body)["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return str(code)
