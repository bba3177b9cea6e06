"""The request guard against what a hostile web page can make the operator's browser send: DNS
rebinding (a foreign Host), cross-site requests (Origin, Sec-Fetch-Site) and "simple" bodies (forms,
multipart, text/plain) on state-changing routes; in open mode and with keys, the fast path included."""

from __future__ import annotations

import asyncio
import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from planvec.service.keys import KeyStore
from planvec.settings import Settings
from serving import serve_cmd, serve_env, stderr_lines

from .conftest import service_dirs, service_of, service_settings

assert service_dirs

EVIL = "http://evil.example"
CROSS_SITE = {"Origin": EVIL, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "no-cors"}


@pytest.fixture(scope="module")
def open_app(
    service_dirs: dict[str, Path],
    make_client: Callable[..., TestClient],
    tmp_path_factory: pytest.TempPathFactory,
) -> TestClient:
    """Open mode (no keys), an in-memory store holding the small plan."""
    keys_file = tmp_path_factory.mktemp("guard-open") / "none.json"
    c = make_client(service_settings(service_dirs, qdrant_url=":memory:", keys_file=keys_file))
    assert c.post("/api/v1/index", json={}).status_code == 200
    return c


@pytest.fixture(scope="module")
def keyed(
    service_dirs: dict[str, Path],
    make_client: Callable[..., TestClient],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[TestClient, str]:
    keys_file = tmp_path_factory.mktemp("guard-keyed") / "keys.json"
    _, admin = KeyStore(keys_file).create("guard-admin", "admin")
    c = make_client(service_settings(service_dirs, qdrant_url=":memory:", keys_file=keys_file))
    assert c.post("/api/v1/index", json={}, headers={"X-API-Key": admin}).status_code == 200
    return c, admin


def _jobs(c: TestClient, headers: dict[str, str] | None = None) -> int:
    r = c.get("/api/v1/jobs", headers=headers or {})
    assert r.status_code == 200, r.text
    return len(r.json()["jobs"])


def _refused(r, status: int, code: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    assert r.status_code == status, r.text
    err = r.json()["error"]
    assert err["code"] == code and err["message"] and err["hint"]
    assert err["request_id"] == r.headers["x-request-id"]
    return err  # type: ignore[no-any-return]


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8080", "127.0.0.1.nip.io", "testserver"])
def test_foreign_host_cannot_read_export_in_open_mode(open_app: TestClient, host: str) -> None:
    r = open_app.get("/api/v1/export", params={"collection": "roadmap_tasks"}, headers={"Host": host})
    err = _refused(r, 421, "host_not_allowed")
    assert "PLANVEC_ALLOWED_HOSTS" in err["hint"] and "localhost" in err["hint"]
    # the search fast path is behind the guard too
    r = open_app.get("/api/v1/search", params={"q": "zorglub"}, headers={"Host": host})
    _refused(r, 421, "host_not_allowed")
    metrics = open_app.get("/metrics").text
    assert 'http_request_duration_seconds_count{method="GET",route="refused",status="421"}' in metrics


def test_request_without_host_is_refused(open_app: TestClient) -> None:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "http_version": "1.0", "method": "GET", "path": "/api/v1/whoami"}
    asyncio.run(open_app.app(scope | {"headers": [], "query_string": b""}, receive, send))  # type: ignore[arg-type]
    assert sent[0]["status"] == 421
    assert json.loads(sent[1]["body"])["error"]["code"] == "host_not_allowed"


def test_foreign_host_refused_with_keys(keyed: tuple[TestClient, str]) -> None:
    c, admin = keyed
    r = c.get(
        "/api/v1/export",
        params={"collection": "roadmap_tasks"},
        headers={"Host": "evil.example:8080", "X-API-Key": admin},
    )
    _refused(r, 421, "host_not_allowed")
    rid = r.headers["x-request-id"]
    (line,) = [e for e in service_of(c).audit.entries() if e["request_id"] == rid]
    assert (line["action"], line["key_id"], line["outcome"]) == ("export", "guard-admin", "refused:421")
    ok = c.get("/api/v1/export", params={"collection": "roadmap_tasks"}, headers={"X-API-Key": admin})
    assert ok.status_code == 200 and len(ok.content) > 100


@pytest.mark.parametrize("host", ["localhost", "localhost:8080", "127.0.0.1", "[::1]:51000", "LOCALHOST:1"])
def test_loopback_names_with_and_without_port_pass(open_app: TestClient, host: str) -> None:
    r = open_app.get("/api/v1/search", params={"q": "zorglub"}, headers={"Host": host})
    assert r.status_code == 200, r.text


def test_allowed_hosts_setting(
    service_dirs: dict[str, Path], make_client: Callable[..., TestClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLANVEC_ALLOWED_HOSTS", "planvec.example, ops.example:8443")
    assert Settings().allowed_hosts == ("planvec.example", "ops.example:8443")
    c = make_client(service_settings(service_dirs, qdrant_url=":memory:", host="10.1.2.3"))
    for host in ("planvec.example", "planvec.example:443", "ops.example:8443", "10.1.2.3:8080", "localhost"):
        assert c.get("/healthz", headers={"Host": host}).status_code == 200, host
    for host in ("ops.example", "ops.example:80", "evil.example"):
        _refused(c.get("/healthz", headers={"Host": host}), 421, "host_not_allowed")
    monkeypatch.setenv("PLANVEC_ALLOWED_HOSTS", "*")
    anyhost = make_client(service_settings(service_dirs, qdrant_url=":memory:"))
    assert anyhost.get("/healthz", headers={"Host": "whatever.example"}).status_code == 200


def test_cross_site_form_post_cannot_run_an_index_job(open_app: TestClient) -> None:
    before = _jobs(open_app)
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    r = open_app.post("/api/v1/index", content=b"full=true", headers={**form, "Origin": EVIL})
    _refused(r, 403, "cross_site_request")
    # the same from a browser that sends Sec-Fetch-Site
    r = open_app.post("/api/v1/index", content=b"full=true", headers={**form, **CROSS_SITE})
    _refused(r, 403, "cross_site_request")
    # a form body is refused even without the browser headers, and an empty form too
    err = _refused(
        open_app.post("/api/v1/index", content=b"full=true", headers=form), 415, "unsupported_media_type"
    )
    assert "application/json" in err["hint"]
    _refused(open_app.post("/api/v1/index", content=b"", headers=form), 415, "unsupported_media_type")
    _refused(
        open_app.post("/api/v1/index", content=b'{"dry_run": true}', headers={"Content-Type": "text/plain"}),
        415,
        "unsupported_media_type",
    )
    assert _jobs(open_app) == before  # nothing ran
    r = open_app.post(
        "/api/v1/index", content=b"", headers={**form, "Origin": EVIL, "X-Request-ID": "csrf-1"}
    )
    _refused(r, 403, "cross_site_request")
    (line,) = [e for e in service_of(open_app).audit.entries() if e["request_id"] == "csrf-1"]
    assert (line["action"], line["outcome"], line["error"]) == ("index", "denied:403", "cross_site_request")
    # JSON, or no body at all, still work
    assert open_app.post("/api/v1/index", json={"dry_run": True}).status_code == 200
    assert open_app.post("/api/v1/index").status_code == 200


def test_cross_site_multipart_upload_cannot_create_a_collection(open_app: TestClient) -> None:
    archive = open_app.get("/api/v1/export", params={"collection": "roadmap_tasks"}).content
    files = {"file": ("tasks.pvbak", archive, "application/octet-stream")}
    for headers in ({"Origin": EVIL}, CROSS_SITE, {"Origin": "null"}):
        r = open_app.post(
            "/api/v1/import/upload", params={"collection": "csrf"}, files=files, headers=headers
        )
        _refused(r, 403, "cross_site_request")
    names = [c["name"] for c in open_app.get("/api/v1/collections").json()["collections"]]
    assert "csrf" not in names
    # the upload's documented type, same-origin, works; JSON is not an upload
    r = open_app.post(
        "/api/v1/import/upload",
        params={"collection": "same-origin-upload"},
        files=files,
        headers={"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"},
    )
    assert r.status_code == 200, r.text
    r = open_app.post("/api/v1/import/upload", params={"collection": "x"}, json={"file": "x"})
    assert "multipart/form-data" in _refused(r, 415, "unsupported_media_type")["hint"]


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_sec_fetch_site_other_site_is_refused(keyed: tuple[TestClient, str], site: str) -> None:
    c, admin = keyed
    # an <img>/no-cors request carries no Origin: Sec-Fetch-Site alone says where it comes from
    headers = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "image"}
    for url in ("/api/v1/search?q=zorglub", "/api/v1/export?collection=roadmap_tasks", "/api/v1/whoami"):
        _refused(c.get(url, headers={**headers, "X-API-Key": admin}), 403, "cross_site_request")
    # a top-level navigation (a link to the search page) shows the page to the browser's user only
    nav = {"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document"}
    assert c.get("/?q=zorglub", headers=nav).status_code == 200
    _refused(c.get("/", headers={**nav, "Sec-Fetch-Dest": "iframe"}), 403, "cross_site_request")
    _refused(
        c.post("/api/v1/search", json={"query": "x"}, headers={**nav, "X-API-Key": admin}),
        403,
        "cross_site_request",
    )


def test_allowed_cors_origin_passes(
    service_dirs: dict[str, Path], make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    app_origin = "http://app.example:3000"
    c = make_client(
        service_settings(
            service_dirs, qdrant_url=":memory:", keys_file=tmp_path / "none.json", cors_origins=(app_origin,)
        )
    )
    assert c.post("/api/v1/index", json={}).status_code == 200
    fetch = {"Origin": app_origin, "Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "cors"}
    r = c.post("/api/v1/search", json={"query": "zorglub"}, headers=fetch)
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == app_origin
    pre = c.options(
        "/api/v1/search",
        headers={
            **fetch,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == app_origin
    # an allowed origin still sends JSON; another origin is refused
    r = c.post(
        "/api/v1/index",
        content=b"a=b",
        headers={**fetch, "Content-Type": "application/x-www-form-urlencoded"},
    )
    _refused(r, 415, "unsupported_media_type")
    r = c.post("/api/v1/search", json={"query": "zorglub"}, headers={**fetch, "Origin": EVIL})
    assert "access-control-allow-origin" not in r.headers
    assert EVIL in _refused(r, 403, "cross_site_request")["message"]


def test_same_origin_browser_requests_pass(open_app: TestClient) -> None:
    same = {"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Mode": "cors"}
    assert open_app.get("/api/v1/search?q=zorglub", headers=same).status_code == 200
    assert open_app.post("/api/v1/search", json={"query": "zorglub"}, headers=same).status_code == 200
    # typed in the address bar; an older browser that sends Origin but not Sec-Fetch-Site
    assert (
        open_app.get("/", headers={"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate"}).status_code == 200
    )
    old = {"Origin": "http://127.0.0.1:8080"}
    assert open_app.post("/api/v1/search", json={"query": "zorglub"}, headers=old).status_code == 200
    _refused(
        open_app.post(
            "/api/v1/search", json={"query": "zorglub"}, headers={"Origin": "http://127.0.0.1:9999"}
        ),
        403,
        "cross_site_request",
    )


@pytest.mark.parametrize(
    ("ctype", "status"),
    [
        ("text/markdown", 200),
        ("text/markdown; charset=utf-8", 200),
        ("text/x-markdown", 200),
        ("text/plain", 200),
        ("application/octet-stream", 200),
        ("text/html", 415),
        ("application/x-www-form-urlencoded", 415),
        ("multipart/form-data; boundary=x", 415),
    ],
)
def test_document_put_media_types(open_app: TestClient, ctype: str, status: int) -> None:
    body = "# Doc\n\n- [ ] **1.1** Tâche du zorglub\n".encode()
    r = open_app.put("/api/v1/documents/guard/doc.md", content=body, headers={"Content-Type": ctype})
    if status == 200:
        assert r.status_code == 200, r.text
    else:
        assert "text/markdown" in _refused(r, 415, "unsupported_media_type")["hint"]
    r = open_app.put("/api/v1/documents/guard/none.md", content=body)  # a body with no Content-Type
    _refused(r, 415, "unsupported_media_type")


def test_serve_on_every_address_says_which_names_it_answers_for(tmp_path: Path) -> None:
    """A real ``planvec serve --host 0.0.0.0``: it says that only loopback names are answered until
    PLANVEC_ALLOWED_HOSTS names the others, and a client using another name gets that hint."""
    env = serve_env(
        home=tmp_path / "home",
        keys_file=tmp_path / "keys.json",
        api_keys="lan:read:pvk_guard-test-key",
        qdrant_url=":memory:",
    )
    env.pop("PLANVEC_ALLOWED_HOSTS", None)
    proc = subprocess.Popen(
        serve_cmd("0.0.0.0", 0), stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env
    )
    lines = stderr_lines(proc)
    try:
        seen = [lines.get(timeout=120)]
        while "PLANVEC_ALLOWED_HOSTS" not in seen[-1]:
            seen.append(lines.get(timeout=120))
        served = next(ln for ln in seen if "serving on" in ln).split("serving on ")[1].split()[0]
        assert "answering only for Host localhost, 127.0.0.1, [::1]" in seen[-1], seen
        url = "http://127.0.0.1:" + served.rstrip("/").rsplit(":", 1)[1]
        key = {"X-API-Key": "pvk_guard-test-key"}
        assert httpx.get(f"{url}/api/v1/whoami", headers=key, timeout=10).status_code == 200
        r = httpx.get(f"{url}/api/v1/whoami", headers={**key, "Host": "planvec-box.lan"}, timeout=10)
        assert r.status_code == 421 and "PLANVEC_ALLOWED_HOSTS" in r.json()["error"]["hint"]
    finally:
        proc.terminate()
        proc.wait(timeout=60)
