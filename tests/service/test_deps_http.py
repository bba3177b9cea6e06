"""``GET /api/v1/dependencies`` and dependency searches over HTTP, on a small indexed project."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deps_fixtures import use_stand_ins, write_project
from planvec.engine import Engine
from planvec.service import create_app
from planvec.service.keys import KeyStore
from planvec.settings import Settings

from .conftest import BASE_URL, LOOPBACK


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, embedder) -> Settings:  # type: ignore[no-untyped-def]
    use_stand_ins(monkeypatch)
    project = write_project(tmp_path / "project")
    settings = Settings(data_dir=tmp_path / "home", keys_file=tmp_path / "home" / "keys.json")
    with Engine(settings, embedder=embedder) as eng:
        assert eng.index([project], kinds=["dependencies"]).problems == []
    return settings


@pytest.fixture
def client(settings: Settings, embedder) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(create_app(settings, embedder=embedder), base_url=BASE_URL, client=LOOPBACK) as c:
        yield c


def test_list_filters_and_pages(client: TestClient) -> None:
    body = client.get("/api/v1/dependencies").json()
    assert body["indexed"] is True and body["total"] == body["count"] == 10
    assert body["collection"] == "dependencies" and body["offset"] == 0 and body["limit"] == 100
    first = body["dependencies"][0]
    assert (first["ecosystem"], first["name"], first["file"], first["version"]) == (
        "npm",
        "axios",
        "web/package-lock.json",
        "1.6.2",
    )
    assert (
        first["direct"] is True and first["advisory"] == "unknown" and first["purl"] == "pkg:npm/axios@1.6.2"
    )
    page = client.get("/api/v1/dependencies", params={"limit": 3, "offset": 8}).json()
    assert page["total"] == 10 and [d["name"] for d in page["dependencies"]] == ["pytest", "requests"]
    dev = client.get("/api/v1/dependencies", params={"dev": "true", "ecosystem": "npm"}).json()
    assert {(d["name"], d["file"]) for d in dev["dependencies"]} == {
        ("jest", "web/package.json"),
        ("jest", "web/package-lock.json"),
    }
    transitive = client.get("/api/v1/dependencies", params={"direct": "false"}).json()
    assert [d["name"] for d in transitive["dependencies"]] == ["follow-redirects"]
    two = client.get("/api/v1/dependencies", params=[("ecosystem", "npm"), ("ecosystem", "pypi")]).json()
    assert two["total"] == 10
    by_manifest = client.get(
        "/api/v1/dependencies", params={"manifest": "api/*", "vulnerable": "false"}
    ).json()
    assert by_manifest["total"] == 3
    by_filter = client.get("/api/v1/dependencies", params={"filter": ["dep_type=dev", "name=PyTest"]}).json()
    assert [d["name"] for d in by_filter["dependencies"]] == ["pytest"]
    assert client.get("/api/v1/dependencies", params={"file": "package.json"}).json()["total"] == 3
    assert client.get("/api/v1/dependencies", params={"vulnerable": "true"}).json()["total"] == 0


def test_bad_filters_are_clear_errors(client: TestClient) -> None:
    bad = client.get("/api/v1/dependencies", params={"ecosystem": "ruby"})
    err = bad.json()["error"]
    assert bad.status_code == 400 and err["code"] == "invalid_request"
    assert "unknown ecosystem 'ruby'" in err["message"] and "pypi, npm, go, cargo, maven" in err["hint"]
    bad = client.get("/api/v1/dependencies", params={"filter": "status=pending"})
    assert bad.status_code == 400 and "has no filter status" in bad.json()["error"]["message"]
    bad = client.get("/api/v1/dependencies", params={"filter": "dev"})
    assert bad.status_code == 400 and "NAME=VALUE" in bad.json()["error"]["message"]
    bad = client.get("/api/v1/dependencies", params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
    bad = client.get("/api/v1/dependencies", params={"dev": "perhaps"})
    assert bad.status_code == 422


def test_search_the_kind_with_filters(client: TestClient) -> None:
    body = client.get(
        "/api/v1/search", params={"q": "http client", "kind": "dependencies", "filter": "ecosystem=npm"}
    ).json()
    assert body["collection"] == "dependencies" and body["hits"]
    assert {h["fields"]["ecosystem"] for h in body["hits"]} == {"npm"}
    assert body["hits"][0]["fields"]["name"] == "axios" and body["hits"][0]["kind_name"] == "dependencies"
    post = client.post(
        "/api/v1/search",
        json={"query": "testing", "kind": "dependencies", "filter": ["dev=true", "ecosystem=pypi"]},
    ).json()
    assert [h["fields"]["name"] for h in post["hits"]] == ["pytest"]
    bad = client.get("/api/v1/search", params={"q": "x", "kind": "dependencies", "filter": "ecosystem=ruby"})
    assert bad.status_code == 400 and "unknown ecosystem" in bad.json()["error"]["message"]
    kinds = client.get("/api/v1/kinds").json()["kinds"]
    deps = next(k for k in kinds if k["name"] == "dependencies")
    assert deps["collections"] == {"packages": "dependencies"} and "vulnerable" in deps["filters"]


def test_empty_store_says_not_indexed(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "empty", keys_file=tmp_path / "empty" / "keys.json")
    with TestClient(create_app(settings, embedder=embedder), base_url=BASE_URL, client=LOOPBACK) as c:
        body = c.get("/api/v1/dependencies").json()
    assert body == {
        "collection": "dependencies",
        "indexed": False,
        "total": 0,
        "offset": 0,
        "limit": 100,
        "count": 0,
        "dependencies": [],
    }


def test_read_scope_needed(settings: Settings, embedder) -> None:  # type: ignore[no-untyped-def]
    assert settings.keys_file is not None
    _, key = KeyStore(settings.keys_file).create("reader", "read")
    with TestClient(create_app(settings, embedder=embedder), base_url=BASE_URL, client=LOOPBACK) as c:
        assert c.get("/api/v1/dependencies").status_code == 401
        ok = c.get("/api/v1/dependencies", headers={"X-API-Key": key})
        assert ok.status_code == 200 and ok.json()["total"] == 10
