"""The request guard: a pure ASGI middleware in front of everything (the search fast path included)
that refuses what a hostile web page can make the operator's browser send, in every mode.

- ``Host`` must name this server (loopback names, the bound address, ``PLANVEC_ALLOWED_HOSTS``): a
  page that re-points its own DNS name at 127.0.0.1 (DNS rebinding) sends its own name and gets 421
  ``host_not_allowed``, so it cannot read what the service answers.
- A request that ``Sec-Fetch-Site`` (or, from browsers that do not send it, ``Origin`` against
  ``Host``) says comes from another origin is refused with 403 ``cross_site_request``, unless its
  origin is a CORS origin (``PLANVEC_CORS_ORIGINS``). Top-level GET/HEAD navigations pass: a link to
  the search page shows it to the browser's user, and no page of the other site can read it.
- A POST/PUT/PATCH/DELETE body must have a media type the route reads (JSON; ``multipart/form-data``
  for the upload; the document PUT's Markdown types), else 415 ``unsupported_media_type``: forms and
  ``text/plain`` are what a page can send to another site without a CORS preflight.

The accepted request is passed on untouched; the checks read the header list once.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Receive, Scope, Send

from ..settings import Settings
from .auditing import AuditMiddleware
from .errors import REQUEST_ID_KEY, error_body
from .middleware import ROUTE_LABEL_KEY, ServiceMiddleware

if TYPE_CHECKING:
    from .state import Service

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "[::1]")
WILDCARD_BINDS = frozenset({"", "0.0.0.0", "::", "[::]"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

JSON_TYPES = ("application/json",)
UPLOAD_PATH = "/api/v1/import/upload"
UPLOAD_TYPES = ("multipart/form-data",)
DOCUMENTS_PREFIX = "/api/v1/documents/"
# What PUT /api/v1/documents/{path} reads: {"content": ...} as JSON, or the raw Markdown (UTF-8).
DOCUMENT_TEXT_TYPES = ("text/markdown", "text/x-markdown", "text/plain", "application/octet-stream")
DOCUMENT_TYPES = (*JSON_TYPES, *DOCUMENT_TEXT_TYPES)

_REFUSAL_KEY = "planvec.refusal"
_SAFE_NAVIGATION = frozenset({"GET", "HEAD"})
_SAME_ORIGIN_SITES = frozenset({b"same-origin", b"none"})


def media_type(content_type: str | bytes) -> str:
    """``text/Markdown; charset=utf-8`` -> ``text/markdown``."""
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    return content_type.partition(";")[0].strip().lower()


def accepted_types(method: str, path: str) -> tuple[str, ...]:
    """The body media types a state-changing request to ``path`` may carry."""
    if path == UPLOAD_PATH:
        return UPLOAD_TYPES
    if method == "PUT" and path.startswith(DOCUMENTS_PREFIX):
        return DOCUMENT_TYPES
    return JSON_TYPES


def host_name(host: bytes) -> bytes:
    """The name part of a ``Host`` value: ``[::1]:8080`` -> ``[::1]``, ``localhost:80`` -> ``localhost``."""
    if host.startswith(b"["):
        end = host.find(b"]")
        return host[: end + 1] if end > 0 else host
    return host.partition(b":")[0]


def _idna(name: str) -> bytes:
    try:
        return name.encode("idna")  # what browsers send for an internationalized name
    except UnicodeError:
        return name.encode()


def _normalized(name: str) -> str:
    name = name.strip().lower()
    return f"[{name}]" if name.count(":") > 1 and not name.startswith("[") else name


class AllowedHosts:
    """The ``Host`` values served: each name with any port, or exactly ``name:port`` when listed so."""

    def __init__(self, settings: Settings) -> None:
        entries = [*LOOPBACK_NAMES, *settings.allowed_hosts]
        bound = _normalized(settings.host)
        if bound not in WILDCARD_BINDS:
            entries.append(bound)
        self.any = "*" in entries
        names: set[bytes] = set()
        exact: set[bytes] = set()
        for entry in map(_normalized, entries):
            raw = entry.encode() if entry.isascii() else _idna(entry)
            if host_name(raw) == raw:
                names.add(raw)
                if settings.port:
                    exact.add(raw + b":%d" % settings.port)
            exact.add(raw)
        self.names, self.exact = frozenset(names), frozenset(exact)
        self.shown = ", ".join(sorted(e for e in {_normalized(x) for x in entries} if e != "*"))

    def __contains__(self, host: bytes | None) -> bool:
        if self.any:
            return True
        if host is None:
            return False
        if host in self.exact:  # the common case: no parsing, no copy
            return True
        host = host.lower()
        return host in self.exact or host_name(host) in self.names


def wildcard_bind_note(settings: Settings) -> str | None:
    """What ``planvec serve`` says when it binds every address but answers only for loopback names:
    clients that reach it by another name or address get 421 until that name is allowed."""
    if _normalized(settings.host) not in WILDCARD_BINDS or settings.allowed_hosts:
        return None
    return (
        f"bound to {settings.host}, but answering only for Host {', '.join(LOOPBACK_NAMES)}: set "
        "PLANVEC_ALLOWED_HOSTS to the names or addresses clients use (comma-separated)"
    )


class RequestGuard:
    """See the module docstring. ``app``: everything behind it (the fast path, then FastAPI);
    ``routes``: the API's routes, to tell which one a refused request was for."""

    def __init__(self, app: ASGIApp, svc: Service, routes: Sequence[BaseRoute]) -> None:
        settings = svc.settings
        self.app = app
        self.routes = routes
        self.hosts = AllowedHosts(settings)
        self.any_origin = "*" in settings.cors_origins
        self.origins = frozenset(
            o.strip().lower().encode("latin-1", "replace") for o in settings.cors_origins
        )
        # Refusals carry the request id, land in the latency metrics like every answer, and leave
        # their audit line when they are for a write or admin route.
        audited = AuditMiddleware(self._answer_refusal, svc)
        self._refuse = ServiceMiddleware(audited, svc.metrics, settings.max_body_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = origin = site = mode = dest = ctype = None
        has_body = False
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"origin":
                origin = value
            elif name == b"sec-fetch-site":
                site = value
            elif name == b"sec-fetch-mode":
                mode = value
            elif name == b"sec-fetch-dest":
                dest = value
            elif name == b"content-type":
                ctype = value
            elif name == b"content-length":
                has_body = has_body or value != b"0"
            elif name == b"transfer-encoding":
                has_body = True
        refusal = None
        if host not in self.hosts:
            refusal = self._host_refusal(host)
        elif self._cross_site(scope, host, origin, site, mode, dest):
            refusal = self._cross_site_refusal(origin, site)
        elif scope["method"] in UNSAFE_METHODS and (ctype is not None or has_body):
            refusal = self._media_refusal(scope["method"], scope["path"], ctype)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        scope[_REFUSAL_KEY] = refusal
        scope[ROUTE_LABEL_KEY] = "refused"
        await self._refuse(scope, receive, send)

    def _cross_site(
        self,
        scope: Scope,
        host: bytes | None,
        origin: bytes | None,
        site: bytes | None,
        mode: bytes | None,
        dest: bytes | None,
    ) -> bool:
        if site is not None:
            if site in _SAME_ORIGIN_SITES:
                return False
        elif origin is None:
            return False  # no browser page asked for it (or an old browser's same-origin GET)
        elif host is not None and origin.lower().partition(b"://")[2] == host.lower():
            return False
        if origin is not None and (self.any_origin or origin.lower() in self.origins):
            return False
        navigation = mode == b"navigate" and dest == b"document"
        return not (navigation and scope["method"] in _SAFE_NAVIGATION)

    def _host_refusal(self, host: bytes | None) -> tuple[int, str, str, str]:
        if host is None:
            message = "the request has no Host header: this server answers only for the names it serves"
        else:
            message = f"this server does not answer for Host {_shown(host)}"
        return (
            421,
            "host_not_allowed",
            message,
            f"use one of {self.hosts.shown}, or add the name clients use to PLANVEC_ALLOWED_HOSTS "
            "(comma-separated)",
        )

    @staticmethod
    def _cross_site_refusal(origin: bytes | None, site: bytes | None) -> tuple[int, str, str, str]:
        source = f"origin {_shown(origin)}" if origin is not None else f"Sec-Fetch-Site {_shown(site or b'')}"
        return (
            403,
            "cross_site_request",
            f"cross-site request refused ({source}): pages of other sites cannot use this service",
            "to let a web application on another origin call the API, add its origin to "
            "PLANVEC_CORS_ORIGINS (comma-separated)",
        )

    @staticmethod
    def _media_refusal(method: str, path: str, ctype: bytes | None) -> tuple[int, str, str, str] | None:
        accepted = accepted_types(method, path)
        if ctype is not None and media_type(ctype) in accepted:
            return None
        sent = "no Content-Type" if ctype is None else f"Content-Type {_shown(ctype)}"
        return (
            415,
            "unsupported_media_type",
            f"{method} {_shown(path.encode())} does not take a body with {sent}",
            f"send Content-Type: {' or '.join(accepted)}",
        )

    async def _answer_refusal(self, scope: Scope, receive: Receive, send: Send) -> None:
        for route in self.routes:  # (the route the audit line is for, as the router would find it)
            match, child = route.matches(scope)
            if match == Match.FULL:
                scope["route"] = child.get("route", route)
                break
        await _send_refusal(scope, send)


def _shown(value: bytes, limit: int = 100) -> str:
    text = value.decode("latin-1")
    return repr(text if len(text) <= limit else text[:limit] + "…")


async def _send_refusal(scope: Scope, send: Send) -> None:
    status, code, message, hint = scope[_REFUSAL_KEY]
    body = json.dumps(error_body(str(scope.get(REQUEST_ID_KEY, "-")), code, message, hint)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})
