"""``GET /api/v1/schemas``, ``/api/v1/schemas/drift`` and ``/api/v1/schemas/{name}`` on the fixture of
tests/schemas_data.py, and schemas searches over ``/api/v1/search?kind=schemas``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planvec.engine import Engine
from planvec.service import create_app
from planvec.service.keys import KeyStore
from planvec.settings import Settings
from schemas_data import index_files

from .conftest import BASE_URL, LOOPBACK


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("schemas-http")
    settings = Settings(data_dir=base / "home")
    with Engine(settings, embedder=embedder) as eng:
        index_files(eng, base / "repo")
    app = create_app(settings, embedder=embedder)
    with TestClient(app, base_url=BASE_URL, client=LOOPBACK, raise_server_exceptions=False) as c:
        yield c


def test_list_with_filters_and_paging(client: TestClient) -> None:
    r = client.get("/api/v1/schemas", params={"element": "column", "parent": "public.users"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["count"] == 9 and body["offset"] == 0 and body["limit"] == 100
    assert {e["name"] for e in body["elements"]} == {
        "public.users.id",
        "public.users.email",
        "public.users.name",
        "public.users.created_at",
        "public.users.phone",
    }
    page = client.get("/api/v1/schemas", params={"format": "openapi", "limit": 2, "offset": 1}).json()
    assert page["count"] == 6 and len(page["elements"]) == 2
    assert [e["name"] for e in page["elements"]] == ["GET /collections/{name}", "DELETE /collections/{name}"]
    assert client.get("/api/v1/schemas", params={"file": "*.proto"}).json()["count"] == 7
    bad = client.get("/api/v1/schemas", params={"element": "tabel"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    assert "unknown element 'tabel'" in bad.json()["error"]["message"]


def test_show(client: TestClient) -> None:
    r = client.get("/api/v1/schemas/users")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "public.users" and len(body["definitions"]) == 2
    ddl = next(d for d in body["definitions"] if d["source"] == "db/schema.sql")
    assert ddl["primary_key"] == ["id"] and ddl["foreign_keys_in"][0]["column"] == "public.orders.user_id"
    # names with slashes and spaces: the path carries them
    op = client.get("/api/v1/schemas/POST%20/collections").json()
    assert op["definitions"][0]["operation_id"] == "createCollection"
    section = client.get("/api/v1/schemas/config/app.yaml%23http").json()
    assert section["definitions"][0]["keys"]["retry.timeout"] == "30s"


def test_show_errors(client: TestClient) -> None:
    r = client.get("/api/v1/schemas/userz")
    err = r.json()["error"]
    assert (
        r.status_code == 404
        and err["code"] == "schema_not_found"
        and "public.users" in err["details"]["close"]
    )
    r = client.get("/api/v1/schemas/email")
    err = r.json()["error"]
    assert r.status_code == 409 and err["code"] == "schema_ambiguous"
    assert err["details"]["candidates"] == ["acme.User.email", "public.users.email"]


def test_drift(client: TestClient) -> None:
    r = client.get("/api/v1/schemas/drift")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["drift"] is True and body["count"] == 2
    users = next(d for d in body["drifts"] if d["name"] == "users")
    assert [s["file"] for s in users["sides"]] == ["db/migrations/0001_init.sql", "db/schema.sql"]
    assert users["differences"][0]["changed"][0] == {
        "name": "email",
        "a": "varchar(320) NOT NULL",
        "b": "varchar(255) NOT NULL",
    }


def test_search_kind_schemas(client: TestClient) -> None:
    r = client.get(
        "/api/v1/search",
        params={
            "q": "which table stores user emails?",
            "kind": "schemas",
            "filter": "element=column",
            "limit": 3,
        },
    )
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert hits[0]["fields"]["name"] == "public.users.email" and hits[0]["kind_name"] == "schemas"
    r = client.get("/api/v1/search", params={"q": "retry", "kind": "schemas", "file": "config/*"})
    assert {h["file"] for h in r.json()["hits"]} == {"config/app.yaml"}
    kinds = {k["name"]: k for k in client.get("/api/v1/kinds").json()["kinds"]}
    assert kinds["schemas"]["filters"] == ["element", "format", "file_glob", "name", "parent"]


def test_nothing_indexed_and_read_scope(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    home.mkdir()
    _, key = KeyStore(home / "api_keys.json").create("reader", "read")
    app = create_app(Settings(data_dir=home), embedder=embedder)
    with TestClient(app, base_url=BASE_URL, client=LOOPBACK, raise_server_exceptions=False) as c:
        assert c.get("/api/v1/schemas").status_code == 401
        for path in ("/api/v1/schemas", "/api/v1/schemas/drift", "/api/v1/schemas/users"):
            r = c.get(path, headers={"X-API-Key": key})
            assert r.status_code == 404 and r.json()["error"]["code"] == "collection_not_found", path
