"""GET /api/v1/search answered by SearchFastPath gives exactly what FastAPI's route gives.

Two apps on identical in-memory stores: one with the fast path (the default), one without it
(CORS on turns it off). Every request, good or bad, must get the same status and the same body.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.service.keys import KeyStore

from .conftest import service_dirs, service_settings

assert service_dirs


@pytest.fixture(scope="module")
def pair(
    service_dirs: dict[str, Path],
    make_client: Callable[..., TestClient],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[TestClient, TestClient, dict[str, str]]:
    keys_file = tmp_path_factory.mktemp("fastpath") / "keys.json"
    store = KeyStore(keys_file)
    keys = {scope: store.create(f"fp-{scope}", scope)[1] for scope in ("read", "write", "admin")}
    clients = []
    for cors in ((), ("http://example.org",)):
        c = make_client(
            service_settings(service_dirs, qdrant_url=":memory:", keys_file=keys_file, cors_origins=cors)
        )
        r = c.post("/api/v1/index", json={}, headers={"X-API-Key": keys["admin"]})
        assert r.status_code == 200, r.text
        clients.append(c)
    return clients[0], clients[1], keys


def _same(fast: TestClient, slow: TestClient, url: str, headers: dict[str, str]) -> tuple[int, dict]:  # type: ignore[type-arg]
    a = fast.get(url, headers={**headers, "X-Request-ID": "rid-1"})
    b = slow.get(url, headers={**headers, "X-Request-ID": "rid-1"})
    assert a.status_code == b.status_code, (url, a.text, b.text)
    ja, jb = a.json(), b.json()
    ja.pop("took_ms", None)
    jb.pop("took_ms", None)
    assert ja == jb, url
    for h in ("content-type", "x-request-id", "www-authenticate", "retry-after"):
        assert a.headers.get(h) == b.headers.get(h), h
    return a.status_code, ja


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/v1/search?q=zorglub+quantique", 200),
        ("/api/v1/search?q=zorglub&priority=p1&priority=P0&mvp=true&limit=3", 200),
        ("/api/v1/search?q=zorglub&mode=keyword&status=completed", 200),
        ("/api/v1/search?q=zorglub&collection=roadmap_sections&min_score=0.1", 200),
        ("/api/v1/search?q=zorglub&limit=0", 422),
        ("/api/v1/search", 422),
        ("/api/v1/search?q=zorglub&bogus=1", 422),
        ("/api/v1/search?q=zorglub&limit=2&limit=3", 200),  # FastAPI's answer, whatever it is
        ("/api/v1/search?q=zorglub&collection=nope", 404),
        ("/api/v1/search?q=%20%20", 400),
        ("/api/v1/search?q=zorglub&kind=plans&status=pending", 200),
        ("/api/v1/search?q=zorglub&kind=all&limit=4", 200),
        ("/api/v1/search?q=zorglub&kind=all&collection=roadmap_tasks", 400),
        ("/api/v1/search?q=zorglub&kind=nope", 400),
        ("/api/v1/search?q=zorglub&kind=Not-A-Kind", 422),
    ],
)
def test_same_answers_with_a_read_key(
    pair: tuple[TestClient, TestClient, dict[str, str]], url: str, status: int
) -> None:
    fast, slow, keys = pair
    code, body = _same(fast, slow, url, {"X-API-Key": keys["read"]})
    assert code == status, body
    if code == 200:
        assert body["count"] == len(body["hits"])


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-API-Key": "pv_wrong"}, {"Authorization": "Basic abc"}, {"Authorization": "Bearer pv_wrong"}],
)
def test_same_denials(pair: tuple[TestClient, TestClient, dict[str, str]], headers: dict[str, str]) -> None:
    fast, slow, _ = pair
    code, body = _same(fast, slow, "/api/v1/search?q=zorglub", headers)
    assert code == 401 and body["error"]["code"] == "unauthorized"


def test_bearer_key_and_metrics_label(
    pair: tuple[TestClient, TestClient, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from planvec.service.routes import search as search_route

    parsed: list[str] = []
    real = search_route._parse

    def spy(request):  # type: ignore[no-untyped-def]
        parsed.append(request.url.path)
        return real(request)

    monkeypatch.setattr(search_route, "_parse", spy)
    fast, slow, keys = pair
    r = fast.get("/api/v1/search?q=zorglub", headers={"Authorization": f"Bearer {keys['read']}"})
    assert r.status_code == 200 and r.json()["hits"]
    assert parsed == ["/api/v1/search"]  # answered by the fast path
    assert slow.get("/api/v1/search?q=zorglub", headers={"X-API-Key": keys["read"]}).status_code == 200
    assert parsed == ["/api/v1/search"]  # CORS on: FastAPI's route
    text = fast.get("/metrics", headers={"X-API-Key": keys["read"]}).text
    assert re.search(
        r'^http_request_duration_seconds_count\{method="GET",route="/api/v1/search",status="200"\}',
        text,
        re.M,
    )
    assert re.search(
        r'^http_request_duration_seconds_count\{method="GET",route="/api/v1/search",status="401"\}',
        text,
        re.M,
    )


@pytest.mark.parametrize(
    "header",
    [
        ("Authorization", "Bearer  {key}"),
        ("Authorization", "Bearer {key} "),
        ("Authorization", "Bearer {key}\t"),
        ("Authorization", "bearer {key}"),
        ("Authorization", "Bearer\t{key}"),
        ("X-API-Key", "{key}\t"),
        ("X-API-Key", " {key} "),
    ],
)
def test_one_credential_parser(
    pair: tuple[TestClient, TestClient, dict[str, str]], header: tuple[str, str]
) -> None:
    """The fast path and every FastAPI route read a key the same way, whitespace and all."""
    fast, slow, keys = pair
    headers = {header[0]: header[1].format(key=keys["read"])}
    code, _ = _same(fast, slow, "/api/v1/search?q=zorglub", headers)
    assert code == 200
    for c in (fast, slow):
        assert c.get("/api/v1/whoami", headers=headers).json()["key_id"] == "fp-read"
        assert c.post("/api/v1/search", json={"query": "zorglub"}, headers=headers).status_code == 200
