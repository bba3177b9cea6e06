"""API-key authentication, scopes (read < write < admin) and the per-key rate limit, as dependencies.

Keys arrive as ``X-API-Key: KEY`` or ``Authorization: Bearer KEY``. With no key configured at all (no
keys file ever, no ``PLANVEC_API_KEYS``) the service is open, to loopback clients only (``planvec
serve`` refuses a non-loopback bind then). Once a keys file exists, an empty key set refuses every
request unless the operator asked for open mode (``open_mode``, ``planvec serve --open``). Clients
that fail authentication are rate-limited per address.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from .errors import ApiError
from .keys import scope_allows
from .state import Service, get_service

PRINCIPAL_KEY = "planvec.principal"
_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="An API key.")
_bearer = HTTPBearer(auto_error=False, description="An API key as a bearer token.")


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: str
    scope: str
    open_mode: bool = False


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _authenticate(svc: Service, request: Request, raw: str | None) -> Principal:
    if svc.keys.empty:
        if svc.keys.configured and not svc.settings.open_mode:
            # keys existed: an empty set refuses everything; open mode is only asked for explicitly
            why = svc.keys.problem or "every API key has been revoked"
            raise ApiError(
                401,
                "no_api_keys",
                f"no API key is configured ({why}): every request is refused",
                hint="create a key with planvec keys create --name NAME --scope read (it works at "
                "once), or restart with planvec serve --open for open mode on loopback",
            )
        client = request.client.host if request.client else None
        if not is_loopback(client):
            raise ApiError(
                401,
                "unauthorized",
                "no API keys are configured: open mode serves loopback clients only",
                hint="create a key with planvec keys create --name NAME --scope read",
            )
        return Principal("anonymous", "admin", open_mode=True)
    if not raw:
        raise ApiError(
            401,
            "unauthorized",
            "an API key is required",
            hint="send it as X-API-Key: KEY or Authorization: Bearer KEY",
            headers={"WWW-Authenticate": "Bearer"},
        )
    key = svc.keys.verify(raw)
    if key is None:
        raise ApiError(401, "unauthorized", "invalid API key", headers={"WWW-Authenticate": "Bearer"})
    return Principal(key.name, key.scope)


def _client(request: Request) -> str:
    return f"ip:{request.client.host if request.client else '-'}"


def _throttle_unauthenticated(svc: Service, request: Request, denial: ApiError) -> ApiError:
    """``denial`` (a 401), or a 429 once this address has failed too often: a client without a valid
    key gets its own small bucket per address, so a flood of bad requests costs little."""
    wait = svc.unauth_limiter.acquire(_client(request))
    if wait <= 0:
        return denial
    return _rate_limited(
        "too many requests without a valid API key from this address", wait, "send a valid API key; "
    )


def _rate_limited(message: str, wait: float, advice: str = "") -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        message,
        hint=f"{advice}retry in {wait:.2f} s",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


def raw_key(request: Request) -> str | None:
    """The key a request carries: ``X-API-Key: KEY``, else ``Authorization: Bearer KEY`` (scheme in
    any case, any run of spaces or tabs after it). Whitespace around the value is not part of it (HTTP's
    optional whitespace, which servers strip or keep depending on the parser). The one parser of
    both the FastAPI routes and the search fast path."""
    headers = request.headers
    key = headers.get("x-api-key", "").strip(" \t")
    if key:
        return key
    parts = headers.get("authorization", "").split(None, 1)
    if len(parts) == 2 and parts[0].lower() == "bearer":
        return parts[1].strip()
    return None


def authorize(svc: Service, request: Request, raw: str | None, scope: str, action: str) -> Principal:
    """Authenticate, check ``scope``, apply the rate limits (raising ApiError 401/403/429). The
    principal is kept in the request scope from authentication on, for the audit line of write and
    admin requests (written by :class:`~planvec.service.auditing.AuditMiddleware`)."""
    try:
        principal = _authenticate(svc, request, raw)
    except ApiError as e:
        raise _throttle_unauthenticated(svc, request, e) from None
    request.scope[PRINCIPAL_KEY] = principal
    if not scope_allows(principal.scope, scope):
        raise ApiError(
            403,
            "forbidden",
            f"this key has scope {principal.scope!r}; {action} needs {scope!r}",
            hint=f"use a key created with --scope {scope} (or higher)",
        )
    wait = svc.limiter.acquire(principal.key_id if not principal.open_mode else _client(request))
    if wait > 0:
        raise _rate_limited("too many requests for this key", wait)
    return principal


def require(scope: str, action: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: :func:`authorize` for ``scope``."""

    async def dependency(
        request: Request,
        api_key: Annotated[str | None, Depends(_api_key_header)],
        bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> Principal:
        # api_key and bearer declare the two schemes in the OpenAPI document; the key itself is
        # read by raw_key, as on the search fast path, so that every route parses it alike.
        del api_key, bearer
        return authorize(get_service(request), request, raw_key(request), scope, action)

    dependency.requirement = (scope, action)  # type: ignore[attr-defined]  # (read by the audit)
    return dependency


def principal_name(svc: Service, request: Request) -> str:
    """Who sent ``request``: the key name once authenticated, else the name of the key it sends
    (``-`` for none or an invalid one)."""
    principal = request.scope.get(PRINCIPAL_KEY)
    if isinstance(principal, Principal):
        return principal.key_id
    raw = raw_key(request)
    key = svc.keys.verify(raw) if raw else None
    return key.name if key else "-"
