"""Documents and index routes: a document answered "succeeded" is indexed (``x.MD`` too), and an
index request with include globs deletes only what they select."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.settings import Settings

PLAN = (
    "# Plan {name}\n\n## Phase 1\n\n"
    "- [ ] **1.1** Calibrer le {word} pour {name}\n- [x] **1.2** Documenter {name}\n"
)


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, make_client: Callable[..., TestClient]) -> TestClient:
    """An open-mode app on an empty Qdrant Edge data directory and an empty documents root."""
    base = tmp_path_factory.mktemp("index-scope")
    (base / "docs").mkdir()
    settings = Settings(
        data_dir=base / "home",
        documents_root=base / "docs",
        keys_file=base / "home" / "api_keys.json",
        job_wait_seconds=60.0,
    )
    return make_client(settings)


def docs_root(c: TestClient) -> Path:
    root = c.app.state.svc.settings.documents_root  # type: ignore[attr-defined]
    assert root is not None
    return Path(root)


def search_files(c: TestClient, q: str) -> list[str]:
    r = c.get("/api/v1/search", params={"q": q, "limit": 5, "mode": "keyword"})
    assert r.status_code == 200, r.text
    return [h["file"] for h in r.json()["hits"]]


def test_put_uppercase_extension_is_indexed(app: TestClient) -> None:
    r = app.put(
        "/api/v1/documents/up/PLAN.MD", json={"content": PLAN.format(name="majuscule", word="zorglub")}
    )
    assert r.status_code == 200, r.text
    report = r.json()["job"]["result"]["report"]
    assert r.json()["job"]["status"] == "succeeded" and report["added"] >= 2 and report["problems"] == []
    assert search_files(app, "zorglub majuscule")[0] == "up/PLAN.MD"
    r = app.delete("/api/v1/documents/up/PLAN.MD")
    assert r.status_code == 200 and r.json()["job"]["result"]["report"]["deleted"] >= 2
    assert "up/PLAN.MD" not in search_files(app, "zorglub majuscule")


def test_put_a_document_the_index_would_skip_is_refused(app: TestClient) -> None:
    # the default excludes leave .git/ out: written there, it would never be indexed
    r = app.put("/api/v1/documents/.git/hidden.md", json={"content": PLAN.format(name="cache", word="x")})
    assert r.status_code == 400 and r.json()["error"]["code"] == "path_not_indexed", r.text
    assert not (docs_root(app) / ".git").exists()
    # a document that cannot be parsed (binary) is refused before it is written
    r = app.put("/api/v1/documents/bin.md", json={"content": "# T\n\x00\x00 binary"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "parse_error", r.text
    assert "binary" in r.json()["error"]["message"]
    assert not (docs_root(app) / "bin.md").exists()
    assert [p.name for p in docs_root(app).iterdir() if p.name.startswith(".upload.")] == []


def test_index_route_include_deletes_only_what_it_selects(app: TestClient) -> None:
    for name in ("alpha", "beta"):
        r = app.put(
            f"/api/v1/documents/scope/{name}.md", json={"content": PLAN.format(name=name, word="quark")}
        )
        assert r.status_code == 200, r.text
    root = str(docs_root(app))
    body = {"paths": [root], "include": ["scope/alpha*"], "dry_run": True}
    r = app.post("/api/v1/index", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["job"]["result"]["deleted"] == 0 and r.json()["job"]["result"]["files"] == 1
    r = app.post("/api/v1/index", json={**body, "dry_run": False})
    assert r.status_code == 200 and r.json()["job"]["result"]["deleted"] == 0
    assert set(search_files(app, "quark")) == {"scope/alpha.md", "scope/beta.md"}
    for bad, says in (("[", "never closed"), ("nothing-like-this*", "matches no file")):
        r = app.post("/api/v1/index", json={"paths": [root], "include": [bad]})
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request", r.text
        assert says in r.json()["error"]["message"]
    assert set(search_files(app, "quark")) == {"scope/alpha.md", "scope/beta.md"}
    r = app.post("/api/v1/index", json={"paths": [root], "include": ["scope/alpha*"], "prune": True})
    assert r.status_code == 200 and r.json()["job"]["result"]["deleted"] >= 2, r.text
    assert set(search_files(app, "quark")) == {"scope/alpha.md"}
