"""The security endpoints over HTTP: the scan of the configured paths and the anomalies of the
audit log (admin scope), the anomalies gauge, and the policies through the normal search."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from planvec.engine import Engine
from planvec.service import create_app
from planvec.service.keys import KeyStore
from planvec.settings import Settings
from security_log import START, normal_log, refused_burst, write_log

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "security"


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, embedder
) -> Iterator[tuple[TestClient, dict[str, str], Path]]:  # type: ignore[no-untyped-def]
    base = tmp_path_factory.mktemp("security-http")
    tree = base / "repo"
    shutil.copytree(FIXTURES, tree)
    (tree / ".env.example").write_text("DB_USER=app\nDB_PASSWORD=admin123\n", encoding="utf-8")
    home = base / "home"
    settings = Settings(data_dir=home, index_paths=(tree,), keys_file=home / "api_keys.json")
    with Engine(settings, embedder=embedder) as eng:
        eng.index([tree])
    store = KeyStore(home / "api_keys.json")
    keys = {scope: store.create(f"k-{scope}", scope)[1] for scope in ("read", "admin")}
    app = create_app(settings, embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as client:
        yield client, keys, home


def test_scan_of_the_index_paths(served) -> None:  # type: ignore[no-untyped-def]
    client, keys, _ = served
    r = client.get("/api/v1/security/scan", headers={"X-API-Key": keys["admin"]})
    assert r.status_code == 200, r.text
    body = r.json()
    where = {(f["rule"], f["where"]) for f in body["findings"]}
    assert ("SEC007", ".env.example:2") in where and ("SEC003", "k8s/deploy.yaml:14") in where
    assert body["ok"] is False and body["sources"]["secrets"]["status"] == "ok"  # (planvec.secrets runs)
    ok = client.get(
        "/api/v1/security/scan", params={"fail_on": "critical"}, headers={"X-API-Key": keys["admin"]}
    )
    assert ok.json()["fail_on"] == "critical"
    bad = client.get(
        "/api/v1/security/scan", params={"fail_on": "severe"}, headers={"X-API-Key": keys["admin"]}
    )
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_request"
    assert "unknown severity" in bad.json()["error"]["message"]


def test_security_endpoints_need_the_admin_scope(served) -> None:  # type: ignore[no-untyped-def]
    client, keys, _ = served
    for path in ("/api/v1/security/scan", "/api/v1/security/anomalies"):
        r = client.get(path, headers={"X-API-Key": keys["read"]})
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert client.get(path).status_code == 401


def test_anomalies_and_their_gauge(served) -> None:  # type: ignore[no-untyped-def]
    client, keys, home = served
    log = home / "audit.jsonl"
    before = log.read_text() if log.exists() else ""
    write_log(log, normal_log() + refused_burst("ci", START + timedelta(days=8, hours=11)))
    try:
        r = client.get("/api/v1/security/anomalies", headers={"X-API-Key": keys["admin"]})
        assert r.status_code == 200, r.text
        found = [(a["key_id"], a["type"]) for a in r.json()["anomalies"]]
        assert ("ci", "refused_burst") in found
        burst = next(a for a in r.json()["anomalies"] if a["type"] == "refused_burst")
        assert burst["count"] == 12 and burst["reason"].startswith("12 refused requests in 10 min")
        since = client.get(
            "/api/v1/security/anomalies",
            params={"since": "2026-11-11T00:00:00Z"},
            headers={"X-API-Key": keys["admin"]},
        )
        assert ("ci", "refused_burst") not in [(a["key_id"], a["type"]) for a in since.json()["anomalies"]]
        metrics = client.get("/metrics").text
        assert 'planvec_security_anomalies{type="refused_burst"} 0.0' in metrics  # (November's: not today)
        recent = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
        write_log(log, normal_log() + refused_burst("ci", recent.replace(minute=recent.minute // 10 * 10)))
        metrics = client.get("/metrics").text
        assert 'planvec_security_anomalies{type="refused_burst"} 1.0' in metrics
    finally:
        log.write_text(before)


def test_policies_through_the_normal_search(served) -> None:  # type: ignore[no-untyped-def]
    client, keys, _ = served
    r = client.get(
        "/api/v1/search",
        params={"q": "who may read secrets in the cluster?", "kind": "security", "limit": 3},
        headers={"X-API-Key": keys["read"]},
    )
    assert r.status_code == 200, r.text
    hits = r.json()["hits"]
    assert {"Role secret-reader", "RoleBinding platform-reads-secrets"} & {h["title"] for h in hits}
    role = next(h for h in hits if h["title"] in ("Role secret-reader", "RoleBinding platform-reads-secrets"))
    assert role["fields"]["category"] == "access-control" and role["fields"]["format"] == "kubernetes"
    r = client.get(
        "/api/v1/search",
        params={"q": "privileged", "kind": "security", "filter": ["severity=critical", "format=kubernetes"]},
        headers={"X-API-Key": keys["read"]},
    )
    assert [h["title"] for h in r.json()["hits"]] == ["Deployment node-agent security context"]
    kinds = client.get("/api/v1/kinds", headers={"X-API-Key": keys["read"]}).json()["kinds"]
    security = next(k for k in kinds if k["name"] == "security")
    assert security["collections"] == {"policies": "security_policies"}
    assert security["filters"] == ["category", "severity", "format", "kind", "file_glob"]


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


@pytest.mark.browser
def test_security_view_in_the_browser(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    """The #security view: a policies search with a severity filter, the scan's findings and the
    anomalies panel, against ``planvec serve`` (open mode on loopback: admin)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}; browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    from playwright.sync_api import expect, sync_playwright

    from serving import serve_env, served

    tree = tmp_path / "repo"
    shutil.copytree(FIXTURES, tree)
    (tree / ".env.example").write_text("DB_PASSWORD=admin123\n", encoding="utf-8")
    home = tmp_path / "home"
    with Engine(Settings(data_dir=home), embedder=embedder) as eng:
        eng.index([tree], kinds=["security"])
    write_log(home / "audit.jsonl", normal_log() + refused_burst("ci", START + timedelta(days=8, hours=11)))
    env = serve_env(home=home, keys_file=home / "keys.json", index_paths=tree)
    with served(env, home / "serve.log") as srv, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(srv.url + "/#security")
            expect(page.locator("#view-security")).to_be_visible()
            findings = page.locator("#sec-findings")
            expect(findings).to_contain_text(".env.example:1", timeout=15_000)
            expect(findings).to_contain_text("SEC007")
            expect(findings).not_to_contain_text("secret detection not available")
            expect(page.locator("#sec-anomalies")).to_contain_text("refused_burst", timeout=15_000)
            page.fill("#sec-q", "how do we report a vulnerability?")
            expect(page.locator("#sec-hits .hit").first).to_be_visible(timeout=15_000)
            expect(page.locator("#sec-hits")).to_contain_text("Reporting a vulnerability")
            page.select_option("#sec-severity", "critical")
            expect(page.locator("#sec-hits .hit .badge.sev-critical").first).to_be_visible(timeout=15_000)
            assert page.locator("#sec-hits .badge.sev-high").count() == 0
            page.click("nav.views a[data-view=search]")
            expect(page.locator("#view-security")).to_be_hidden()
        finally:
            browser.close()


def test_scan_without_index_paths_is_a_clear_error(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(data_dir=tmp_path / "home", qdrant_url=":memory:")
    app = create_app(settings, embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as client:
        r = client.get("/api/v1/security/scan")
        assert r.status_code == 409 and r.json()["error"]["code"] == "no_index_paths"
        assert "PLANVEC_INDEX_PATHS" in r.json()["error"]["hint"]
        # The refused scan is in the audit log; one request is no history: no anomaly.
        body = client.get("/api/v1/security/anomalies").json()
        assert body["events"] == 1 and body["keys"] == {"anonymous": 1} and body["anomalies"] == []
