"""API keys changing under a running app: revoking the last key never opens it; a corrupted keys file
keeps the last good key set, is logged once and shows in /readyz and /metrics."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.service.keys import KeyStore

from .test_audit import DOC, settings_for


def test_revoking_the_last_key_refuses_everything(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    store = KeyStore(tmp_path / "home" / "api_keys.json")
    _, raw = store.create("only", "admin")
    c = make_client(settings_for(tmp_path))
    assert c.get("/api/v1/whoami", headers={"X-API-Key": raw}).json()["key_id"] == "only"
    store.revoke("only")
    for method, url, kw in [
        ("GET", "/api/v1/whoami", {}),
        ("PUT", "/api/v1/documents/opened.md", {"json": DOC}),
        ("GET", "/api/v1/whoami", {"headers": {"X-API-Key": raw}}),
    ]:
        r = c.request(method, url, **kw)  # type: ignore[arg-type]
        assert r.status_code == 401, (method, url, r.text)
        err = r.json()["error"]
        assert err["code"] == "no_api_keys" and "every request is refused" in err["message"]
        assert "planvec keys create" in err["hint"] and "--open" in err["hint"]
    assert not (tmp_path / "docs" / "opened.md").exists()
    # a new key works at once
    _, fresh = store.create("fresh", "read")
    assert c.get("/api/v1/whoami", headers={"X-API-Key": fresh}).json()["key_id"] == "fresh"


def test_open_mode_after_keys_only_when_asked(tmp_path: Path, make_client: Callable[..., TestClient]) -> None:
    store = KeyStore(tmp_path / "home" / "api_keys.json")
    store.create("only", "admin")
    store.revoke("only")  # the file says {"keys": []}: keys were configured
    assert make_client(settings_for(tmp_path)).get("/api/v1/whoami").status_code == 401
    opened = make_client(settings_for(tmp_path, open_mode=True))
    assert opened.get("/api/v1/whoami").json() == {"key_id": "anonymous", "scope": "admin", "open_mode": True}


def test_corrupted_keys_file_keeps_the_last_good_set(
    tmp_path: Path, make_client: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "home" / "api_keys.json"
    store = KeyStore(path)
    _, raw = store.create("k-write", "write")
    c = make_client(settings_for(tmp_path))
    assert c.get("/api/v1/whoami", headers={"X-API-Key": raw}).status_code == 200
    good = path.read_text()
    path.write_text('{"keys": [{"name": "half', encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="planvec.service"):
        for _ in range(3):
            r = c.get("/api/v1/whoami", headers={"X-API-Key": raw})
            assert r.status_code == 200 and r.json()["key_id"] == "k-write", r.text
        r = c.get("/api/v1/whoami", headers={"X-API-Key": "pvk_wrong"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
        ready = c.get("/readyz")
        metrics = c.get("/metrics").text
    logged = [x for x in caplog.records if "cannot read the API keys file" in x.getMessage()]
    assert len(logged) == 1 and logged[0].levelno == logging.ERROR
    assert str(path) in logged[0].getMessage()  # the server log names the file
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["keys"] is False and "cannot be read" in checks["keys_error"]
    assert str(path) not in ready.text  # clients never see the file's path
    assert "planvec_keys_file_error 1.0" in metrics and "planvec_api_keys 1.0" in metrics
    # fixed: back to normal
    path.write_text(good, encoding="utf-8")
    assert c.get("/readyz").json()["checks"]["keys"] is True
    assert "planvec_keys_file_error 0.0" in c.get("/metrics").text


def test_keys_file_corrupted_before_start_refuses_everything(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    (tmp_path / "home").mkdir(parents=True)
    (tmp_path / "home" / "api_keys.json").write_text("not json", encoding="utf-8")
    c = make_client(settings_for(tmp_path))
    r = c.get("/api/v1/whoami")
    assert r.status_code == 401 and r.json()["error"]["code"] == "no_api_keys"
    assert "cannot be read" in r.json()["error"]["message"]
    assert c.get("/readyz").json()["checks"]["keys"] is False
