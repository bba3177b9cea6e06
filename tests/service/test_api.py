"""Every /api/v1 endpoint in-process (open mode on loopback): search, collections, index, jobs,
documents, errors, limits, health and the page."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from .conftest import SMALL_PLAN, service_dirs, service_of, service_settings

assert service_dirs  # fixture re-exported for the module

HIT_KEYS = {"score", "task_id", "title", "status", "priority", "is_mvp", "file", "line", "section"}


def test_search_get_and_post_agree(client: TestClient) -> None:
    r = client.get("/api/v1/search", params={"q": "migrer la vectorisation Python vers Go", "limit": 5})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["count"] == 5 and data["mode"] == "hybrid" and data["collection"] == "roadmap_tasks"
    assert set(data["hits"][0]) >= HIT_KEYS
    assert "vectorisation" in data["hits"][0]["title"].lower() or "go" in data["hits"][0]["title"].lower()
    assert r.headers["x-request-id"]
    p = client.post("/api/v1/search", json={"query": "migrer la vectorisation Python vers Go", "limit": 5})
    assert p.status_code == 200
    assert [h["point_id"] for h in p.json()["hits"]] == [h["point_id"] for h in data["hits"]]


def test_search_filters_and_modes(client: TestClient) -> None:
    r = client.get(
        "/api/v1/search",
        params={"q": "tests", "status": "completed", "file": "plan-dev-v5*", "limit": 20},
    )
    hits = r.json()["hits"]
    assert r.status_code == 200 and hits
    assert all(h["status"] == "completed" and h["file"].startswith("plan-dev-v5") for h in hits)
    for mode in ("dense", "keyword", "hybrid"):
        r = client.post("/api/v1/search", json={"query": "monitoring Prometheus", "mode": mode, "limit": 3})
        assert r.status_code == 200 and r.json()["mode"] == mode and r.json()["count"] == 3
    r = client.get("/api/v1/search", params=[("q", "tâche"), ("priority", "p1"), ("priority", "P0")])
    assert r.status_code == 200
    assert all(h["priority"] in ("P0", "P1") for h in r.json()["hits"])
    r = client.post("/api/v1/search", json={"query": "tâche", "mvp": True, "limit": 5})
    assert r.status_code == 200 and all(h["is_mvp"] for h in r.json()["hits"])
    r = client.post("/api/v1/search", json={"query": "documentation", "collection": "roadmap_sections"})
    assert r.status_code == 200 and r.json()["collection"] == "roadmap_sections"


def test_search_over_kinds(client: TestClient) -> None:
    """kind= picks the kind (plans by default); kind=all fuses every indexed collection by rank."""
    q = {"query": "documentation du monitoring", "limit": 8}
    plans = client.post("/api/v1/search", json={**q, "kind": "plans"}).json()
    assert plans["kind"] == "plans" and plans["collection"] == "roadmap_tasks"
    assert plans["hits"] == client.post("/api/v1/search", json=q).json()["hits"]
    assert {(h["kind_name"], h["collection"]) for h in plans["hits"]} == {("plans", "roadmap_tasks")}
    r = client.get("/api/v1/search", params={"q": q["query"], "limit": 8, "kind": "all"})
    both = r.json()
    assert r.status_code == 200 and both["kind"] == "all" and both["count"] == 8
    assert {h["collection"] for h in both["hits"]} == {"roadmap_tasks", "roadmap_sections"}
    assert all(h["kind_name"] == "plans" for h in both["hits"])
    assert [h["score"] for h in both["hits"]] == sorted((h["score"] for h in both["hits"]), reverse=True)
    r = client.post("/api/v1/search", json={**q, "kind": "nope"})
    assert r.status_code == 400 and "unknown kind 'nope'" in r.json()["error"]["message"]


def test_validation_errors_name_the_field(client: TestClient) -> None:
    r = client.post("/api/v1/search", json={"query": "x", "status": "nope"})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "validation_error" and err["request_id"] == r.headers["x-request-id"]
    assert err["details"][0]["field"] == "body.status" and err["details"][0]["reason"]
    r = client.get("/api/v1/search", params={"q": "x", "limit": 0})
    assert r.json()["error"]["details"][0]["field"] == "query.limit"
    r = client.get("/api/v1/search")
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "query.q"
    r = client.post("/api/v1/search", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
    r = client.post("/api/v1/search", json={"query": "   "})
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"


def test_collections(client: TestClient) -> None:
    r = client.get("/api/v1/collections")
    names = {c["name"]: c for c in r.json()["collections"]}
    assert r.status_code == 200 and names["roadmap_tasks"]["points"] > 4000
    r = client.get("/api/v1/collections/roadmap_tasks")
    assert r.status_code == 200 and r.json()["dimension"] == 384 and "model" in r.json()["meta"]
    r = client.get("/api/v1/collections/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "collection_not_found"
    r = client.post("/api/v1/search", json={"query": "x", "collection": "nope"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "collection_not_found"


def test_index_job_and_jobs(client: TestClient, service_dirs: dict[str, Path]) -> None:
    r = client.post("/api/v1/index", json={"dry_run": True})
    assert r.status_code == 200, r.text
    job = r.json()["job"]
    assert job["status"] == "succeeded" and job["result"]["dry_run"] is True
    r = client.post("/api/v1/index", json={"paths": [str(service_dirs["plans"])]})
    job = r.json()["job"]
    assert r.status_code == 200 and job["result"]["tasks"] == 2 and job["result"]["added"] >= 2
    r = client.get(f"/api/v1/jobs/{job['id']}")
    assert r.status_code == 200 and r.json()["job"]["status"] == "succeeded"
    assert client.get("/api/v1/jobs").json()["jobs"][0]["id"] == job["id"]
    assert client.get("/api/v1/jobs/nope").json()["error"]["code"] == "job_not_found"
    hits = client.get("/api/v1/search", params={"q": "zorglub quantique", "limit": 1}).json()["hits"]
    assert hits[0]["title"].startswith("Configurer le zorglub")
    # a path outside the configured roots is refused
    r = client.post("/api/v1/index", json={"paths": ["/etc"]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "path_outside_root"


def test_index_long_run_becomes_job(client: TestClient) -> None:
    r = client.post("/api/v1/index?wait=0", json={"full": True})
    assert r.status_code in (200, 202)
    job_id = r.json()["job"]["id"]
    if r.status_code == 202:
        assert r.headers["location"] == f"/api/v1/jobs/{job_id}"
    service_of(client).jobs.get(job_id).future.result(timeout=120)  # type: ignore[union-attr]
    assert client.get(f"/api/v1/jobs/{job_id}").json()["job"]["status"] == "succeeded"


def test_documents_put_search_delete(client: TestClient, service_dirs: dict[str, Path]) -> None:
    plan = SMALL_PLAN.replace("zorglub quantique", "hyperdrive biscornu")
    r = client.put("/api/v1/documents/team/hyper.md", json={"content": plan})
    assert r.status_code == 200, r.text
    assert r.json()["job"]["result"]["report"]["embedded"] >= 1
    assert (service_dirs["docs"] / "team" / "hyper.md").read_text(encoding="utf-8") == plan
    hits = client.get("/api/v1/search", params={"q": "hyperdrive biscornu", "limit": 1}).json()["hits"]
    assert hits[0]["file"] == "team/hyper.md"
    # raw Markdown body; re-upload of one changed task embeds only that task
    changed = plan.replace("Écrire la documentation", "Relire la documentation")
    r = client.put(
        "/api/v1/documents/team/hyper.md",
        content=changed.encode(),
        headers={"content-type": "text/markdown; charset=utf-8"},
    )
    assert r.status_code == 200 and r.json()["job"]["result"]["report"]["embedded"] == 1
    r = client.delete("/api/v1/documents/team/hyper.md")
    assert r.status_code == 200 and r.json()["job"]["result"]["report"]["deleted"] >= 2
    hits = client.get("/api/v1/search", params={"q": "hyperdrive biscornu", "limit": 3}).json()["hits"]
    assert all(h["file"] != "team/hyper.md" for h in hits)
    assert client.delete("/api/v1/documents/team/hyper.md").status_code == 404


def test_documents_path_rules(client: TestClient, service_dirs: dict[str, Path], tmp_path: Path) -> None:
    body = {"content": "# x\n- [ ] a\n"}
    for bad, status in (
        ("..%2F..%2Fescape.md", 403),
        ("team/..%2F..%2Fescape.md", 403),
        ("%2Fetc%2Fescape.md", 400),
        ("notes.txt", 400),
    ):
        r = client.put(f"/api/v1/documents/{bad}", json=body)
        assert r.status_code == status, (bad, r.text)
    outside = tmp_path / "outside"
    outside.mkdir()
    (service_dirs["docs"] / "link").symlink_to(outside, target_is_directory=True)
    r = client.put("/api/v1/documents/link/escape.md", json=body)
    assert r.status_code == 403 and r.json()["error"]["code"] == "path_outside_root"
    assert not (outside / "escape.md").exists()
    r = client.put("/api/v1/documents/x.md", content=b"hi", headers={"content-type": "image/png"})
    assert r.status_code == 415
    r = client.put("/api/v1/documents/x.md", json={"wrong": 1})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_body_limit(service_dirs: dict[str, Path], make_client) -> None:  # type: ignore[no-untyped-def]
    small = make_client(service_settings(service_dirs, max_body_bytes=2048, qdrant_url=":memory:"))
    r = small.post("/api/v1/search", json={"query": "x" * 5000})
    assert r.status_code == 413 and r.json()["error"]["code"] == "payload_too_large"

    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(10):
            yield b"x" * 1000

    r = small.put("/api/v1/documents/big.md", content=chunks(), headers={"content-type": "text/markdown"})
    assert r.status_code == 413


def test_health_ready_docs_and_page(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    r = client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"model": True, "store": True, "keys": True}
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    for p in ("/api/v1/search", "/api/v1/index", "/api/v1/collections", "/api/v1/jobs/{job_id}"):
        assert p in paths
    page = client.get("/")
    assert page.status_code == 200 and 'id="q"' in page.text
    assert client.get("/static/app.js").status_code == 200
    r = client.get("/nope")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/whoami").json() == {"key_id": "anonymous", "scope": "admin", "open_mode": True}
