"""The audit log: exactly one outcome line per write/admin request (refused ones too), an ``accepted``
line before the work starts, capped fields, size-based rotation; unauthenticated floods throttled."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from planvec.service.keys import KeyStore
from planvec.settings import Settings

from .conftest import SMALL_PLAN, service_of

SCOPES = ("read", "write", "admin")
MAX_LINE_BYTES = 8192  # (planvec.service.audit.MAX_LINE_BYTES)
DOC = {"content": "# Doc\n\n- [ ] **1.1** Tâche de test du zorglub\n"}


def settings_for(tmp: Path, **kw: object) -> Settings:
    """An app on an in-memory store, with its own folders, keys file and audit log under ``tmp``."""
    for d in ("home", "docs", "imports", "plans"):
        (tmp / d).mkdir(exist_ok=True)
    (tmp / "plans" / "small.md").write_text(SMALL_PLAN, encoding="utf-8")
    values: dict[str, object] = {
        "data_dir": tmp / "home",
        "documents_root": tmp / "docs",
        "import_dir": tmp / "imports",
        "index_paths": (tmp / "plans",),
        "keys_file": tmp / "home" / "api_keys.json",
        "qdrant_url": ":memory:",
        "job_wait_seconds": 60.0,
    }
    return Settings(**(values | kw))  # type: ignore[arg-type]


def make_keys(tmp: Path) -> dict[str, str]:
    store = KeyStore(tmp / "home" / "api_keys.json")
    return {scope: store.create(f"k-{scope}", scope)[1] for scope in SCOPES}


def audit_files(c: TestClient) -> list[Path]:
    """audit.jsonl and its rotated files (.1 … .N), oldest first."""
    path = service_of(c).audit.path
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    return sorted(files, key=lambda p: -int(p.suffix[1:]) if p.suffix[1:].isdigit() else 0)


def audit_entries(c: TestClient) -> list[dict[str, Any]]:
    return [json.loads(x) for p in audit_files(c) for x in p.read_text(encoding="utf-8").splitlines()]


def lines_by_request(c: TestClient) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = {}
    for e in audit_entries(c):
        out.setdefault(e["request_id"], []).append(e)
    return out


def _refusals(tmp: Path, keys: dict[str, str]) -> list[tuple[str, str, dict[str, Any], int, str, str]]:
    """(method, url, request kwargs, status, error code, key_id in the audit line)."""
    (tmp / "docs" / "folder.md").mkdir()
    w, a = {"X-API-Key": keys["write"]}, {"X-API-Key": keys["admin"]}
    doc, put, imp = "/api/v1/documents/", "PUT", {"collection": "c", "dataPath": "x.json"}
    xml = {"content": b"<x/>", "headers": w | {"Content-Type": "application/xml"}}
    bad_json = {"content": b"{not json", "headers": a | {"Content-Type": "application/json"}}
    return [
        (put, doc + "x.md", {"json": DOC, "headers": {"X-API-Key": "pvk_x"}}, 401, "unauthorized", "-"),
        ("GET", "/api/v1/export?collection=roadmap_tasks", {}, 401, "unauthorized", "-"),
        (
            put,
            doc + "x.md",
            {"json": DOC, "headers": {"X-API-Key": keys["read"]}},
            403,
            "forbidden",
            "k-read",
        ),
        ("POST", "/api/v1/import", {"json": imp, "headers": w}, 403, "forbidden", "k-write"),
        (put, doc + "notes.txt", {"json": DOC, "headers": w}, 400, "invalid_path", "k-write"),
        ("DELETE", doc + "missing.md", {"headers": w}, 404, "document_not_found", "k-write"),
        ("GET", "/api/v1/export?collection=nope", {"headers": a}, 404, "collection_not_found", "k-admin"),
        ("POST", "/api/v1/import", {"json": imp, "headers": a}, 404, "file_not_found", "k-admin"),
        (put, doc + "folder.md", {"json": DOC, "headers": w}, 409, "conflict", "k-write"),
        (
            put,
            doc + "big.md",
            {"json": {"content": "x" * 5000}, "headers": w},
            413,
            "payload_too_large",
            "k-write",
        ),
        (put, doc + "x.md", xml, 415, "unsupported_media_type", "k-write"),
        (
            "POST",
            "/api/v1/index",
            {"json": {"bogus": True}, "headers": a},
            422,
            "validation_error",
            "k-admin",
        ),
        ("POST", "/api/v1/index", bad_json, 422, "validation_error", "k-admin"),
        ("POST", "/api/v1/import/upload?collection=c", {"headers": a}, 422, "validation_error", "k-admin"),
    ]


def test_every_refused_write_or_admin_request_leaves_one_line(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    keys = make_keys(tmp_path)
    c = make_client(settings_for(tmp_path, max_file_bytes=2000))
    refusals = _refusals(tmp_path, keys)
    for i, (method, url, kw, status, _, _) in enumerate(refusals):
        kw = dict(kw)
        kw["headers"] = {**kw.get("headers", {}), "X-Request-ID": f"refused-{i}"}
        r = c.request(method, url, **kw)
        assert r.status_code == status, (method, url, r.text)
    by_rid = lines_by_request(c)
    for i, (method, url, _, status, code, key_id) in enumerate(refusals):
        lines = by_rid.get(f"refused-{i}", [])
        assert len(lines) == 1, (method, url, lines)
        line = lines[0]
        kind = "denied" if status in (401, 403) else "refused"
        assert line["outcome"] == f"{kind}:{status}", line
        assert (line["status"], line["error"], line["key_id"]) == (status, code, key_id), line
        assert line["target"] == url.split("?")[0] and line["method"] == method
    assert not any(k in service_of(c).audit.path.read_text() for k in keys.values())
    # a request that ends in an internal error (or a 400 once such names are refused): one line too
    form = (
        b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="a\x00b.json"\r\n'
        b"Content-Type: application/json\r\n\r\n{}\r\n--XyZ--\r\n"
    )
    r = c.post(
        "/api/v1/import/upload?collection=c",
        content=form,
        headers={
            "X-API-Key": keys["admin"],
            "X-Request-ID": "refused-nul",
            "Content-Type": "multipart/form-data; boundary=XyZ",
        },
    )
    assert r.status_code in (400, 500), r.text
    (line,) = lines_by_request(c)["refused-nul"]
    assert line["status"] == r.status_code and line["error"] == r.json()["error"]["code"]
    assert line["outcome"] == ("failure:500" if r.status_code == 500 else "refused:400")
    assert line["outcome"] == ("failure:500" if r.status_code == 500 else "refused:400")


def test_a_rate_limited_write_is_logged(tmp_path: Path, make_client: Callable[..., TestClient]) -> None:
    keys = make_keys(tmp_path)
    c = make_client(settings_for(tmp_path, rate_limit=0.01, rate_burst=2))
    headers = {"X-API-Key": keys["write"]}
    codes = [
        c.put("/api/v1/documents/a.txt", json=DOC, headers=headers | {"X-Request-ID": f"rl-{i}"}).status_code
        for i in range(4)
    ]
    assert codes == [400, 400, 429, 429]
    by_rid = lines_by_request(c)
    outcomes = [[e["outcome"] for e in by_rid.get(f"rl-{i}", [])] for i in range(4)]
    assert outcomes == [["refused:400"], ["refused:400"], ["denied:429"], ["denied:429"]]
    assert by_rid["rl-3"][0]["key_id"] == "k-write" and by_rid["rl-3"][0]["error"] == "rate_limited"


def test_work_is_logged_accepted_then_one_outcome(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    keys = make_keys(tmp_path)
    c = make_client(settings_for(tmp_path))
    a = {"X-API-Key": keys["admin"]}
    calls = [
        ("PUT", "/api/v1/documents/team/doc.md", {"json": DOC}, "documents.put"),
        ("POST", "/api/v1/index", {"json": {"dry_run": True}}, "index"),
        ("GET", "/api/v1/export?collection=roadmap_tasks", {}, "export"),
        ("DELETE", "/api/v1/documents/team/doc.md", {}, "documents.delete"),
    ]
    for i, (method, url, kw, _) in enumerate(calls):
        r = c.request(method, url, headers=a | {"X-Request-ID": f"work-{i}"}, **kw)  # type: ignore[arg-type]
        assert r.status_code == 200, (url, r.text)
    by_rid = lines_by_request(c)
    for i, (_, url, _, action) in enumerate(calls):
        lines = by_rid[f"work-{i}"]
        assert [e["outcome"] for e in lines] == ["accepted", "success"], (url, lines)
        assert {e["action"] for e in lines} == {action} and {e["key_id"] for e in lines} == {"k-admin"}
        assert lines[1]["status"] == 200
    # a job that fails: still one outcome line, with the job's error
    bad = tmp_path / "imports" / "bad.json"
    bad.write_text("not an export", encoding="utf-8")
    r = c.post(
        "/api/v1/import",
        json={"collection": "c", "dataPath": "bad.json"},
        headers=a | {"X-Request-ID": "work-fail"},
    )
    assert r.status_code == 400, r.text
    lines = lines_by_request(c)["work-fail"]
    assert [e["outcome"] for e in lines] == ["accepted", "failure"]
    assert lines[1]["status"] == 400 and lines[1]["error"] == r.json()["error"]["code"]


def test_unauthenticated_flood_is_throttled_and_its_lines_bounded(
    tmp_path: Path, make_client: Callable[..., TestClient]
) -> None:
    keys = make_keys(tmp_path)
    c = make_client(settings_for(tmp_path, unauth_rate_limit=0.5, unauth_rate_burst=5))
    long_path = "/api/v1/documents/" + "a" * 12_000 + ".md"
    codes = []
    for i in range(30):
        r = c.put(long_path, json=DOC, headers={"X-API-Key": "pvk_wrong", "X-Request-ID": f"flood-{i}"})
        codes.append(r.status_code)
    assert codes == [401] * 5 + [429] * 25
    assert r.json()["error"]["code"] == "rate_limited" and int(r.headers["retry-after"]) >= 1
    # the throttle is for failures only: a valid key from the same address still gets in
    assert c.get("/api/v1/whoami", headers={"X-API-Key": keys["read"]}).status_code == 200
    raw = service_of(c).audit.path.read_bytes().splitlines()
    assert len(raw) == 30 and all(len(x) < MAX_LINE_BYTES for x in raw)
    line = json.loads(raw[-1])
    assert line["outcome"] == "denied:429" and line["key_id"] == "-" and line["client"] == "127.0.0.1"
    assert len(line["target"]) < 600 and line["target"].endswith("more chars]")


def test_audit_log_rotates_by_size(tmp_path: Path, make_client: Callable[..., TestClient]) -> None:
    make_keys(tmp_path)
    c = make_client(settings_for(tmp_path, audit_max_bytes=8_000, audit_backups=2, unauth_rate_limit=0))
    for i in range(60):
        c.put(f"/api/v1/documents/{'b' * 300}-{i}.md", json=DOC, headers={"X-Request-ID": f"rot-{i}"})
    files = audit_files(c)
    assert [p.name for p in files] == ["audit.jsonl.2", "audit.jsonl.1", "audit.jsonl"]
    assert all(p.stat().st_size <= 8_000 for p in files)
    kept = [e["request_id"] for e in audit_entries(c)]
    assert kept and kept[-1] == "rot-59" and kept == sorted(kept, key=lambda r: int(r.split("-")[1]))
