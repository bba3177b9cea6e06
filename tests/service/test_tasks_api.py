"""``GET``/``PATCH /api/v1/tasks/{point_id}``: write-back over HTTP (write scope), byte-exact edits,
409 with the current task on a stale hash, paths confined to the configured folders, audited."""

from __future__ import annotations

import json
from pathlib import Path

from starlette.testclient import TestClient

from planvec.cli import main
from planvec.service import create_app
from planvec.settings import Settings

from .conftest import BASE_URL, LOOPBACK

PLAN = b"\xef\xbb\xbf# Plan\r\n\r\n- [ ] **1.1** Wire the zorglub telemetry (P2)\r\n- [x] **1.2** Other\r\n"


def _app(tmp_path: Path, embedder, **kw: object) -> TestClient:  # type: ignore[no-untyped-def]
    values: dict[str, object] = {"data_dir": tmp_path / "data", "job_wait_seconds": 30.0, **kw}
    app = create_app(Settings(**values), embedder=embedder)  # type: ignore[arg-type]
    return TestClient(app, base_url=BASE_URL, client=LOOPBACK)


def _hit(c: TestClient, q: str) -> dict[str, object]:
    r = c.get("/api/v1/search", params={"q": q, "limit": 1})
    assert r.status_code == 200, r.text
    hit: dict[str, object] = r.json()["hits"][0]
    return hit


def test_patch_task_edits_the_file_and_the_index(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "p.md").write_bytes(PLAN)
    assert main(["--data-dir", str(tmp_path / "data"), "index", str(plans), "-q"]) == 0
    with _app(tmp_path, embedder, index_paths=(plans,)) as c:
        hit = _hit(c, "zorglub telemetry")
        pid = hit["point_id"]
        task = c.get(f"/api/v1/tasks/{pid}").json()
        assert task["status"] == "pending" and task["line"] == 3 and "zorglub" in task["text"]
        r = c.patch(
            f"/api/v1/tasks/{pid}", json={"status": "completed", "content_hash": task["content_hash"]}
        )
        assert r.status_code == 200, r.text
        result = r.json()["job"]["result"]
        assert result["changed"] and result["task"]["status"] == "completed"
        assert (plans / "p.md").read_bytes() == PLAN.replace(b"- [ ] **1.1**", b"- [x] **1.1**")
        assert _hit(c, "zorglub telemetry")["status"] == "completed"  # at once
        r = c.patch(f"/api/v1/tasks/{pid}", json={"priority": None})
        assert r.status_code == 200 and (plans / "p.md").read_bytes().count(b"(P2)") == 0
        # Someone edits the task's text: a write with the old hash is refused, nothing written.
        edited = (plans / "p.md").read_bytes().replace(b"zorglub telemetry", b"zorglub metrics")
        (plans / "p.md").write_bytes(edited)
        r = c.patch(f"/api/v1/tasks/{pid}", json={"status": "pending", "content_hash": task["content_hash"]})
        assert r.status_code == 409, r.text
        err = r.json()["error"]
        assert err["code"] == "conflict" and "zorglub metrics" in err["details"]["current"]["text"]
        assert (plans / "p.md").read_bytes() == edited
        r = c.patch(f"/api/v1/tasks/{pid}", json={"status": "bogus"})
        assert r.status_code == 422
        r = c.patch(f"/api/v1/tasks/{pid}", json={})
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"
        r = c.patch("/api/v1/tasks/00000000-0000-0000-0000-000000000000", json={"status": "pending"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "task_not_found"
        assert c.get("/api/v1/tasks/" + "-" * 36).status_code == 422
        assert c.get(f"/api/v1/tasks/{str(pid).upper()}").json()["point_id"] == pid
    audit = [json.loads(x) for x in (tmp_path / "data" / "audit.jsonl").read_text().splitlines()]
    writes = [e for e in audit if e["action"] == "task"]
    assert [e["outcome"] for e in writes].count("success") == 2
    assert any(e.get("status") == 409 for e in writes)


def test_patch_task_outside_the_configured_folders_is_refused(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    plans, other = tmp_path / "plans", tmp_path / "other"
    plans.mkdir()
    other.mkdir()
    (other / "p.md").write_bytes(PLAN)
    assert main(["--data-dir", str(tmp_path / "data"), "index", str(other), "-q"]) == 0
    for kw in ({"index_paths": (plans,)}, {}):
        with _app(tmp_path, embedder, **kw) as c:
            pid = _hit(c, "zorglub telemetry")["point_id"]
            r = c.patch(f"/api/v1/tasks/{pid}", json={"status": "completed"})
            assert r.status_code == 403, r.text
            assert r.json()["error"]["code"] in ("path_outside_root", "not_configured")
    assert (other / "p.md").read_bytes() == PLAN


def test_patch_task_needs_the_write_scope(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "p.md").write_bytes(PLAN)
    assert main(["--data-dir", str(tmp_path / "data"), "index", str(plans), "-q"]) == 0
    with _app(tmp_path, embedder, index_paths=(plans,), api_keys="reader:read:k-read-1234567890") as c:
        hdr = {"X-API-Key": "k-read-1234567890"}
        pid = c.get("/api/v1/search", params={"q": "zorglub"}, headers=hdr).json()["hits"][0]["point_id"]
        r = c.patch(f"/api/v1/tasks/{pid}", json={"status": "completed"}, headers=hdr)
        assert r.status_code == 403
    assert (plans / "p.md").read_bytes() == PLAN
