"""Pure ASGI middleware: request id, body size limit (413) and request latency per route."""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from fastapi import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import REQUEST_ID_KEY, error_body
from .metrics import ServiceMetrics

# The route label of a request answered before FastAPI's router (which sets scope["route"]).
ROUTE_LABEL_KEY = "planvec.route"
_RID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class BodyTooLarge(HTTPException):
    """An HTTPException so FastAPI's body reader passes it on as a 413, not a generic 400."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body over the {limit}-byte limit")


class ServiceMiddleware:
    def __init__(self, app: ASGIApp, metrics: ServiceMetrics, max_body: int) -> None:
        self.app = app
        self.metrics = metrics
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        t0 = time.perf_counter()
        headers = dict(scope.get("headers") or [])
        incoming = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = incoming if _RID_RE.match(incoming) else uuid.uuid4().hex
        scope[REQUEST_ID_KEY] = rid
        rid_header = (b"x-request-id", rid.encode())
        status = [500]

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    rid_header,
                    (b"x-content-type-options", b"nosniff"),
                ]
            await send(message)

        try:
            length = headers.get(b"content-length")
            if length is not None and (not length.isdigit() or int(length) > self.max_body):
                bad = not length.isdigit()
                await self._reject(
                    send_wrapper,
                    rid,
                    400 if bad else 413,
                    "bad_request" if bad else "payload_too_large",
                    "invalid Content-Length" if bad else f"request body over the {self.max_body}-byte limit",
                )
                return
            received = 0
            limit = self.max_body

            async def limited_receive() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        raise BodyTooLarge(limit)
                return message

            await self.app(scope, limited_receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            path = scope.get(ROUTE_LABEL_KEY) or getattr(route, "path", None) or "unmatched"
            self.metrics.http_latency.labels(scope.get("method", "-"), path, str(status[0])).observe(
                time.perf_counter() - t0
            )

    @staticmethod
    async def _reject(send: Send, rid: str, status: int, code: str, message: str) -> None:
        body = json.dumps(error_body(rid, code, message)).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
