"""check, verify, export (streamed) and import (server path inside the import folder, and upload),
with the path-traversal rules of import."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from starlette.testclient import TestClient

from .conftest import service_dirs, service_of, service_settings

assert service_dirs


@pytest.fixture(scope="module")
def small(service_dirs: dict[str, Path], make_client: Callable[..., TestClient]) -> TestClient:
    """Open mode, an in-memory store holding the small plan."""
    c = make_client(service_settings(service_dirs, qdrant_url=":memory:"))
    assert c.post("/api/v1/index", json={}).status_code == 200
    return c


def test_check_and_verify(small: TestClient, service_dirs: dict[str, Path]) -> None:
    r = small.post("/api/v1/check", json={})
    assert r.status_code == 200, r.text
    rep = r.json()
    assert rep["ok"] is True and rep["missing"] == 0 and rep["tasks"] == 2
    r = small.post("/api/v1/check", json={"paths": ["/etc"]})
    assert r.status_code == 403 and r.json()["error"]["code"] == "path_outside_root"
    r = small.get("/api/v1/verify", params={"sample": 50})
    assert r.status_code == 200, r.text
    assert r.json()["ok"] is True
    r = small.get("/api/v1/verify", params={"collection": "nope"})
    assert r.status_code == 404


def test_export_then_import_roundtrip(small: TestClient, service_dirs: dict[str, Path]) -> None:
    with small.stream("GET", "/api/v1/export", params={"collection": "roadmap_tasks"}) as r:
        assert r.status_code == 200, r.read()
        assert "attachment" in r.headers["content-disposition"]
        archive = b"".join(r.iter_bytes())
    assert len(archive) > 100
    (service_dirs["imports"] / "tasks.pvbak").write_bytes(archive)
    r = small.post("/api/v1/import", json={"collection": "restored", "dataPath": "tasks.pvbak"})
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True and r.json()["job"]["result"]["points"] == 2
    cols = {c["name"]: c["points"] for c in small.get("/api/v1/collections").json()["collections"]}
    assert cols["restored"] == 2
    # upload variant
    r = small.post(
        "/api/v1/import/upload",
        params={"collection": "uploaded"},
        files={"file": ("tasks.pvbak", archive, "application/octet-stream")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["job"]["result"]["points"] == 2
    assert not list((Path(service_of(small).settings.data_dir) / ".uploads").iterdir())
    entries = [
        e for e in service_of(small).audit.entries() if e["action"] in ("export", "import", "import.upload")
    ]
    assert [e["outcome"] for e in entries] == ["accepted", "success"] * 3
    assert small.get("/api/v1/export", params={"collection": "nope"}).status_code == 404


def test_import_legacy_json(small: TestClient, service_dirs: dict[str, Path]) -> None:
    rng = np.random.default_rng(1)
    pts = []
    for i in range(3):
        v = rng.standard_normal(384)
        pts.append(
            {
                "id": i + 1,
                "vector": (v / np.linalg.norm(v)).tolist(),
                "payload": {"taskId": f"1.{i}", "description": f"tâche héritée {i}", "status": "pending"},
            }
        )
    (service_dirs["imports"] / "legacy-backup.json").write_text(json.dumps({"points": pts}))
    r = small.post(
        "/api/v1/import",
        json={"collection": "legacy", "dataPath": str(service_dirs["imports"] / "legacy-backup.json")},
    )
    assert r.status_code == 200, r.text
    assert r.json()["job"]["result"]["points"] == 3
    (service_dirs["imports"] / "broken.json").write_text("{not json")
    r = small.post("/api/v1/import", json={"collection": "broken", "dataPath": "broken.json"})
    assert 400 <= r.status_code < 500 and r.json()["error"]["code"]


def test_import_path_traversal_is_impossible(
    small: TestClient, service_dirs: dict[str, Path], tmp_path: Path
) -> None:
    secret = tmp_path / "secret-backup.json"
    secret.write_text(json.dumps({"points": []}))
    (service_dirs["imports"] / "escape").symlink_to(tmp_path, target_is_directory=True)
    (service_dirs["imports"] / "direct.json").symlink_to(secret)
    for data_path in (
        "../secret-backup.json",
        "sub/../../secret-backup.json",
        str(secret),
        "escape/secret-backup.json",
        "direct.json",
        "/etc/passwd",
        "..\\..\\secret-backup.json",
    ):
        r = small.post("/api/v1/import", json={"collection": "x", "dataPath": data_path})
        assert r.status_code == 403, (data_path, r.text)
        assert r.json()["error"]["code"] == "path_outside_root"
    r = small.post("/api/v1/import", json={"collection": "x", "dataPath": "missing.json"})
    assert r.status_code == 404
    r = small.post("/api/v1/import", json={"collection": "x"})
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "body.dataPath"
    assert "x" not in {c["name"] for c in small.get("/api/v1/collections").json()["collections"]}
