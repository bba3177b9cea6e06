"""``planvec deps conflicts``, ``deps audit``, ``advisories import|status`` and their HTTP routes, as
a user meets them: the CLI through ``planvec.cli.main`` and the API through a TestClient, over a
real Qdrant Edge store holding a ``dependencies`` collection whose points carry the record fields
(the payload the dependencies kind writes), with the real embedding model."""

from __future__ import annotations

import json
import os
import shutil
import uuid
import zipfile
from pathlib import Path
from typing import Any

import pytest

from planvec.cli import main
from planvec.engine import Engine
from planvec.settings import Settings
from planvec.store.base import CollectionSpec, PointData

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[2].parent / "shared")
REPO = SHARED / "corpus" / "repo"

# (file, lockfile, ecosystem, name, specifier, version, line)
RECORDS = [
    ("app/package.json", False, "npm", "lodash", "^4.17.0", None, 12),
    ("app/package-lock.json", True, "npm", "lodash", "", "4.17.11", 310),
    ("lib/package.json", False, "npm", "lodash", "^4.17.20", None, 8),
    ("app/requirements.txt", False, "pypi", "requests", ">=2.28,<3", None, 3),
    ("tools/requirements.txt", False, "pypi", "requests", "<2", None, 7),
    ("tools/requirements.txt", False, "pypi", "flask", "==2.3.2", "2.3.2", 8),
    ("go.mod", False, "go", "github.com/redis/go-redis/v9", "v9.11.0", None, 12),
]


def _payload(
    file: str, lock: bool, eco: str, name: str, spec: str, version: str | None, line: int
) -> dict[str, Any]:
    return {
        "root": "/repo",
        "file": file,
        "lockfile": lock,
        "ecosystem": eco,
        "name": name,
        "specifier": spec,
        "version": version,
        "dep_type": "runtime",
        "direct": not lock,
        "line": line,
        "group": "",
        "marker": "",
        "source": "",
        "kind": "dependency",
    }


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Any) -> Path:
    data = tmp_path_factory.mktemp("deps-home")
    payloads = [_payload(*r) for r in RECORDS]
    texts = [
        f"{p['name']} {p['version'] or p['specifier']} {p['dep_type']} {p['ecosystem']} {p['file']}"
        for p in payloads
    ]
    with Engine(Settings(data_dir=data), embedder=embedder) as eng:
        spec = CollectionSpec("dependencies", embedder.dimension, embedder.model_id, sparse=False)
        eng.store.create_collection(spec)
        vectors = embedder.embed(texts)
        points = [
            PointData(str(uuid.uuid5(uuid.NAMESPACE_URL, f"{p['file']}#{p['name']}")), v, p)
            for p, v in zip(payloads, vectors, strict=True)
        ]
        eng.store.upsert("dependencies", points)
    return data


def osv(id_: str, eco: str, name: str, events: list[dict[str, str]], **kw: Any) -> dict[str, Any]:
    return {
        "id": id_,
        "modified": "2026-11-20T10:00:00Z",
        "summary": f"{name} advisory",
        "affected": [
            {"package": {"ecosystem": eco, "name": name}, "ranges": [{"type": "ECOSYSTEM", "events": events}]}
        ],
        **kw,
    }


@pytest.fixture
def osv_zip(tmp_path: Path) -> Path:
    path = tmp_path / "all.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(
            "GHSA-lodash.json",
            json.dumps(osv("GHSA-lodash", "npm", "lodash", [{"introduced": "0"}, {"fixed": "4.17.12"}])),
        )
        zf.writestr(
            "PYSEC-flask.json",
            json.dumps(
                osv(
                    "PYSEC-flask",
                    "PyPI",
                    "Flask",
                    [{"introduced": "2.0"}, {"fixed": "2.3.3"}],
                    aliases=["CVE-2023-30861"],
                )
            ),
        )
        zf.writestr("broken.json", "{")
    return path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_conflicts_cli_json_and_reports(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = tmp_path / "reports"
    code, out, _ = run(
        capsys, "--data-dir", str(data_dir), "deps", "conflicts", "--json", "--report-dir", str(reports)
    )
    assert code == 1  # incompatible conflicts exist
    data = json.loads(out)
    assert data["source"] == "index" and data["files"] == 6 and data["dependencies"] == 7
    found = {(c["level"], c["reason"], c["name"]) for c in data["conflicts"]}
    assert found == {
        ("mismatch", "specifiers_differ", "lodash"),
        ("mismatch", "specifiers_differ", "requests"),
        ("incompatible", "no_common_version", "requests"),
        ("incompatible", "locked_outside", "lodash"),
    }
    locked = next(c for c in data["conflicts"] if c["reason"] == "locked_outside")
    assert [s["where"] for s in locked["sides"]] == ["lib/package.json:8", "app/package-lock.json:310"]
    assert json.loads((reports / "deps-conflicts.json").read_text())["counts"] == data["counts"]
    md = (reports / "deps-conflicts.md").read_text()
    assert md.startswith("# planvec deps conflicts: **INCOMPATIBLE DEPENDENCIES**")
    assert "`tools/requirements.txt:7`" in md


def test_conflicts_cli_text(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "deps", "conflicts", "--no-report")
    assert code == 1
    assert "2 incompatible, 2 mismatch" in out
    assert "app/requirements.txt:3  >=2.28,<3" in out and "tools/requirements.txt:7  <2" in out
    assert "incompatible dependencies" in out


def test_nothing_indexed_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--data-dir", str(tmp_path / "empty"), "deps", "conflicts", "--no-report")
    assert code == 1 and out == ""
    assert "no dependencies are indexed" in err and "hint: index the manifests first" in err
    assert "Traceback" not in err


def test_audit_without_advisories(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--data-dir", str(data_dir), "deps", "audit", "--no-report")
    assert code == 0
    assert "no advisories imported: planvec advisories import FILE" in err
    code, out, _ = run(capsys, "--data-dir", str(data_dir), "advisories", "status")
    assert code == 0 and "no advisories imported" in out


def test_import_status_audit(
    data_dir: Path, tmp_path: Path, osv_zip: Path, capsys: pytest.CaptureFixture[str], embedder: Any
) -> None:
    home = tmp_path / "home"  # a copy of the index, with its own advisories
    shutil.copytree(data_dir, home)
    code, out, err = run(capsys, "--data-dir", str(home), "advisories", "import", str(osv_zip))
    assert code == 3  # imported, with a problem named
    assert "all.zip:broken.json: not JSON" in err
    assert "imported 2 advisories" in out and "snapshot 2026-11-20T10:00:00Z" in out
    assert "npm" in out and "pypi" in out
    code, out, _ = run(capsys, "--data-dir", str(home), "advisories", "status", "--json")
    st = json.loads(out)
    assert (
        code == 0 and st["advisories"] == 2 and {e["ecosystem"] for e in st["ecosystems"]} == {"npm", "pypi"}
    )

    reports = tmp_path / "r"
    code, out, _ = run(
        capsys, "--data-dir", str(home), "deps", "audit", "--json", "--report-dir", str(reports)
    )
    assert code == 1
    data = json.loads(out)
    got = {(f["name"], f["where"], f["state"], tuple(f["fixed"])) for f in data["findings"]}
    assert got == {
        ("lodash", "app/package-lock.json:310", "affected", ("4.17.12",)),
        ("lodash", "app/package.json:12", "possibly_affected", ("4.17.12",)),
        ("flask", "tools/requirements.txt:8", "affected", ("2.3.3",)),
    }
    assert data["snapshot"] == "2026-11-20T10:00:00Z" and data["advisories_imported"] is True
    assert "PYSEC-flask" in (reports / "deps-audit.md").read_text()

    code, out, _ = run(capsys, "--data-dir", str(home), "deps", "audit", "--no-report")
    assert (
        code == 1
        and "affected npm lodash 4.17.11 (app/package-lock.json:310): GHSA-lodash; fixed in 4.17.12" in out
    )
    code, *_ = run(capsys, "--data-dir", str(home), "deps", "audit", "--no-report", "--fail-on", "never")
    assert code == 0
    code, _, err = run(
        capsys, "--data-dir", str(home), "deps", "audit", "--no-report", "--fail-on", "sometimes"
    )
    assert code == 2 and "--fail-on 'sometimes' is not one of affected, possibly, never" in err

    from fastapi.testclient import TestClient

    from planvec.service import create_app

    app = create_app(Settings(data_dir=home), embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as client:
        body = client.get("/api/v1/dependencies/audit")
        assert body.status_code == 200, body.text
        assert body.json()["findings"] == data["findings"] and body.json()["ok"] is False
        assert client.get("/api/v1/dependencies/audit", params={"fail_on": "never"}).json()["ok"] is True
        bad = client.get("/api/v1/dependencies/audit", params={"fail_on": "sometimes"})
        assert bad.status_code == 422 and bad.json()["error"]["code"] == "validation_error"
        conflicts = client.get("/api/v1/dependencies/conflicts")
        assert conflicts.status_code == 200
        assert conflicts.json()["counts"] == {"incompatible": 2, "mismatch": 2, "skipped": 0}


def test_http_conflicts_nothing_indexed(tmp_path: Path, embedder: Any) -> None:
    from fastapi.testclient import TestClient

    from planvec.service import create_app

    app = create_app(Settings(data_dir=tmp_path / "empty"), embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as client:
        r = client.get("/api/v1/dependencies/conflicts")
        assert r.status_code == 404 and r.json()["error"]["code"] == "collection_not_found"
        audit = client.get("/api/v1/dependencies/audit")
        assert audit.status_code == 404


def test_import_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "--data-dir", str(tmp_path), "advisories", "import", str(tmp_path / "missing.zip")
    )
    assert code == 2 and "no such file or directory" in err and "hint:" in err


def test_paths_on_the_real_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    if not REPO.is_dir():
        pytest.skip(f"shared corpus not found at {REPO} (set PLANVEC_SHARED_DIR)")
    args = ["--data-dir", str(tmp_path), "deps", "conflicts", str(REPO), "--json", "--no-report"]
    code, out, _ = run(capsys, *args)
    data = json.loads(out)
    assert data["source"] == str(REPO) and data["files"] >= 20  # go.mod, package.json, requirements...
    for p in data["problems"]:  # the parsers' problems are reported with their file
        assert p["path"] and p["reason"]
    by = {(c["reason"], c["name"]): c for c in data["conflicts"]}
    # five manifests declare @types/node: 14.x, ^16.11.7, ^18.11.18, ^22.10.7 and ^22.13.14; only
    # the two ^22 admit a common version: 9 disjoint pairs
    node = by[("no_common_version", "@types/node")]
    assert {s["where"] for s in node["sides"]} == {
        ".vscode/extension/package.json:99",
        "indie-booking-crm/package.json:67",
        "servers/package.json:40",
        "src/extensions/error-pattern-analyzer/package.json:79",
        "src/n8n/nodes/package.json:47",
    }
    assert len(node["pairs"]) == 9 and code == 1
    # requests: ==2.31.0 and >=2.31.0 differ but agree on 2.31.0
    assert by[("specifiers_differ", "requests")]["level"] == "mismatch"
    assert ("no_common_version", "requests") not in by
    args = ["--data-dir", str(tmp_path), "deps", "audit", str(REPO), "--json", "--no-report"]
    code, out, _ = run(capsys, *args)
    assert code == 0 and json.loads(out)["warnings"] == [
        "no advisories imported: planvec advisories import FILE"
    ]


def test_http_read_scope(data_dir: Path, tmp_path: Path, embedder: Any) -> None:
    from fastapi.testclient import TestClient

    from planvec.service import create_app
    from planvec.service.keys import KeyStore

    home = tmp_path / "home"
    shutil.copytree(data_dir, home)
    _, key = KeyStore(home / "api_keys.json").create("reader", "read")
    app = create_app(Settings(data_dir=home), embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as client:
        for path in ("/api/v1/dependencies/conflicts", "/api/v1/dependencies/audit"):
            assert client.get(path).status_code == 401
            r = client.get(path, headers={"X-API-Key": key})
            assert r.status_code == 200 and "ok" in r.json()
