"""API keys and scopes (the 401/403/200 matrix), open mode, rate limit, audit log, keys CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.cli import main
from planvec.service.keys import KeyStore, hash_key

from .conftest import service_dirs, service_of, service_settings

assert service_dirs

SCOPES = ("read", "write", "admin")


@pytest.fixture(scope="module")
def keyed(
    service_dirs: dict[str, Path], make_client: Callable[..., TestClient]
) -> tuple[TestClient, dict[str, str]]:
    """An app with one key per scope, on an in-memory store holding the small plan."""
    store = KeyStore(service_dirs["home"] / "api_keys.json")
    keys = {scope: store.create(f"k-{scope}", scope)[1] for scope in SCOPES}
    c = make_client(service_settings(service_dirs, qdrant_url=":memory:"))
    r = c.post("/api/v1/index", json={}, headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 200, r.text
    return c, keys


def _calls() -> dict[str, list[tuple[str, str, dict[str, object]]]]:
    doc = {"content": "# Doc\n\n- [ ] **1.1** Tâche de test du zorglub\n"}
    return {
        "read": [
            ("GET", "/api/v1/search?q=zorglub", {}),
            ("POST", "/api/v1/search", {"json": {"query": "zorglub"}}),
            ("GET", "/api/v1/collections", {}),
            ("GET", "/api/v1/collections/roadmap_tasks", {}),
            ("GET", "/api/v1/jobs", {}),
            ("GET", "/api/v1/whoami", {}),
            ("POST", "/api/v1/check", {"json": {}}),
            ("GET", "/api/v1/verify?sample=20", {}),
        ],
        "write": [
            ("POST", "/api/v1/index", {"json": {"dry_run": True}}),
            ("PUT", "/api/v1/documents/auth/doc.md", {"json": doc}),
        ],
        "admin": [
            ("GET", "/api/v1/export?collection=roadmap_tasks", {}),
        ],
    }


@pytest.mark.parametrize("route_class", SCOPES)
@pytest.mark.parametrize("key_scope", [None, "bad", *SCOPES])
def test_auth_matrix(
    keyed: tuple[TestClient, dict[str, str]], route_class: str, key_scope: str | None
) -> None:
    c, keys = keyed
    headers = {}
    if key_scope == "bad":
        headers = {"X-API-Key": "pvk_not-a-real-key"}
    elif key_scope is not None:
        headers = {"X-API-Key": keys[key_scope]}
    need = SCOPES.index(route_class)
    for method, url, kw in _calls()[route_class]:
        r = c.request(method, url, headers=headers, **kw)  # type: ignore[arg-type]
        if key_scope in (None, "bad"):
            expected = 401
        elif SCOPES.index(key_scope) < need:
            expected = 403
        else:
            expected = 200
        assert r.status_code == expected, (method, url, key_scope, r.text)
        if expected != 200:
            err = r.json()["error"]
            assert err["code"] == ("unauthorized" if expected == 401 else "forbidden")
            assert err["request_id"] == r.headers["x-request-id"]


def test_bearer_header_and_whoami(keyed: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = keyed
    r = c.get("/api/v1/whoami", headers={"Authorization": f"Bearer {keys['write']}"})
    assert r.json() == {"key_id": "k-write", "scope": "write", "open_mode": False}
    # health, metrics and the page need no key
    for url in ("/healthz", "/readyz", "/metrics", "/"):
        assert c.get(url).status_code == 200, url


def test_audit_log_records_writes_and_denials(keyed: tuple[TestClient, dict[str, str]]) -> None:
    c, keys = keyed
    r = c.put(
        "/api/v1/documents/auth/audited.md",
        json={"content": "# A\n\n- [ ] a task\n"},
        headers={"X-API-Key": keys["write"], "X-Request-ID": "req-audit-1"},
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == "req-audit-1"
    c.put("/api/v1/documents/auth/denied.md", json={"content": "x"}, headers={"X-API-Key": keys["read"]})
    audit = service_of(c).audit
    entries = audit.entries()
    ok = [e | {"time": "-"} for e in entries if e["request_id"] == "req-audit-1"]
    line = {
        "time": "-",
        "key_id": "k-write",
        "action": "documents.put",
        "target": "auth/audited.md",
        "request_id": "req-audit-1",
        "job_id": ok[0]["job_id"],
    }
    assert ok == [line | {"outcome": "accepted"}, line | {"outcome": "success", "status": 200}]
    denied = [e for e in entries if e["outcome"] == "denied:403"]
    assert denied and denied[-1]["key_id"] == "k-read" and denied[-1]["action"] == "documents.put"
    text = audit.path.read_text()
    assert all(k not in text for k in keys.values())  # keys are never logged


def test_revoked_key_is_refused(
    keyed: tuple[TestClient, dict[str, str]], service_dirs: dict[str, Path]
) -> None:
    c, _ = keyed
    store = KeyStore(service_dirs["home"] / "api_keys.json")
    _, raw = store.create("short-lived", "read")
    assert c.get("/api/v1/whoami", headers={"X-API-Key": raw}).status_code == 200
    store.revoke("short-lived")
    assert c.get("/api/v1/whoami", headers={"X-API-Key": raw}).status_code == 401


def test_env_keys(
    service_dirs: dict[str, Path], make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    spec = f"ci:read:sha256:{hash_key('pvk_from-env')},ops:write:plain-secret"
    c = make_client(
        service_settings(service_dirs, qdrant_url=":memory:", api_keys=spec, keys_file=tmp_path / "none.json")
    )
    assert c.get("/api/v1/whoami", headers={"X-API-Key": "pvk_from-env"}).json()["key_id"] == "ci"
    assert c.get("/api/v1/whoami", headers={"X-API-Key": "plain-secret"}).json()["scope"] == "write"
    assert c.get("/api/v1/whoami").status_code == 401


def test_open_mode_is_loopback_only(
    service_dirs: dict[str, Path], make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    settings = service_settings(service_dirs, qdrant_url=":memory:", keys_file=tmp_path / "none.json")
    remote = make_client(settings, client=("192.0.2.7", 40000))
    r = remote.get("/api/v1/whoami")
    assert r.status_code == 401 and "loopback" in r.json()["error"]["message"]
    local = make_client(settings, client=("::1", 40000))
    assert local.get("/api/v1/whoami").json()["open_mode"] is True


def test_rate_limit(
    service_dirs: dict[str, Path], make_client: Callable[..., TestClient], tmp_path: Path
) -> None:
    settings = service_settings(
        service_dirs, qdrant_url=":memory:", keys_file=tmp_path / "none.json", rate_limit=0.5, rate_burst=3
    )
    c = make_client(settings)
    codes = [c.get("/api/v1/whoami").status_code for _ in range(5)]
    assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]
    r = c.get("/api/v1/whoami")
    assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1


def test_keys_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("PLANVEC_API_KEYS", raising=False)
    monkeypatch.delenv("PLANVEC_KEYS_FILE", raising=False)
    assert main(["keys", "create", "--name", "laptop", "--scope", "write"]) == 0
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    assert raw.startswith("pvk_") and len(raw) > 40
    stored = (tmp_path / "home" / "api_keys.json").read_text()
    assert raw not in stored and hash_key(raw) in stored
    assert (tmp_path / "home" / "api_keys.json").stat().st_mode & 0o777 == 0o600
    assert main(["keys", "create", "--name", "laptop", "--scope", "read"]) == 2
    assert main(["keys", "create", "--name", "x", "--scope", "root"]) == 2
    capsys.readouterr()
    assert main(["keys", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == [{"name": "laptop", "scope": "write", "created": listed[0]["created"], "source": "file"}]
    assert main(["keys", "revoke", "laptop"]) == 0
    assert "that was the last key" in capsys.readouterr().err
    assert main(["keys", "revoke", "laptop"]) == 2
    capsys.readouterr()
    # open mode serves loopback only: serve refuses a non-loopback bind (before loading anything)
    assert main(["serve", "--open", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "refusing to bind" in capsys.readouterr().err
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "fresh"))  # no keys file: open mode
    assert main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "refusing to bind" in capsys.readouterr().err
