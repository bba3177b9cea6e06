"""The search page in headless Chromium against ``planvec serve`` on the indexed shared corpus."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from serving import serve_env, served

from .conftest import copy_home

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(os.environ.get("PLANVEC_SCREENSHOT_DIR") or Path(__file__).resolve().parents[2] / "build")

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, indexed_corpus: Path, corpus_dir: Path) -> Iterator[str]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    home = copy_home(indexed_corpus, tmp_path_factory.mktemp("browser") / "home")
    # what POST /api/v1/index syncs: the corpus already indexed, so a sync changes nothing
    env = serve_env(home=home, keys_file=home / "keys.json", index_paths=corpus_dir)
    with served(env, home / "serve.log") as srv:
        yield srv.url
    # graceful shutdown on SIGTERM (uvicorn re-raises the signal once the lifespan has closed the store)
    assert srv.proc.returncode in (0, -15), srv.log_text()[-3000:]
    assert "Application shutdown complete" in srv.log_text()


def test_search_page(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server + "/")
            expect(page.locator("#who")).to_contain_text("open mode")
            expect(page.locator("#collections")).to_contain_text("roadmap_tasks")
            page.locator("#q").type("migrer la vectorisation Python vers Go", delay=15)
            first = page.locator(".hit").first
            expect(first).to_be_visible(timeout=15_000)
            expect(page.locator("#status")).to_contain_text("results")
            assert page.locator(".hit").count() >= 5
            titles = " ".join(page.locator(".hit .title").all_inner_texts()).lower()
            assert "vectorisation" in titles or "go" in titles
            expect(first.locator(".file")).to_contain_text(".md:")
            expect(first.locator(".score")).to_have_text(_score_re())
            # filters: only completed tasks
            page.select_option("#f-status", "completed")
            expect(page.locator(".hit .badge.pending")).to_have_count(0, timeout=10_000)
            expect(page.locator(".hit").first).to_be_visible()
            # keyboard: arrow down selects, Enter opens
            page.locator("#q").press("ArrowDown")
            page.locator("#q").press("ArrowDown")
            expect(page.locator(".hit").nth(1)).to_have_attribute("aria-selected", "true")
            page.locator("#q").press("Enter")
            expect(page.locator(".hit").nth(1)).to_have_class(_open_re())
            # kinds: "all kinds" fuses tasks and prose sections; the plans kind's filters turn off
            page.select_option("#f-kind", "all")
            expect(page.locator("#f-status")).to_be_disabled()
            expect(page.locator(".hit .more", has_text="roadmap_sections").first).to_be_attached(
                timeout=10_000
            )
            expect(page.locator(".hit .more").first).to_contain_text("plans")
            page.select_option("#f-kind", "plans")
            expect(page.locator("#f-status")).to_be_enabled()
            expect(page.locator(".hit .more", has_text="roadmap_sections")).to_have_count(0, timeout=10_000)
            page.screenshot(path=str(SCREENSHOTS / "search-page.png"), full_page=False)
            phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
            phone.goto(server + "/?q=tableau%20de%20bord%20Grafana")
            expect(phone.locator(".hit").first).to_be_visible(timeout=15_000)
            phone.screenshot(path=str(SCREENSHOTS / "search-page-phone.png"))
        finally:
            browser.close()


EVIL = "evil.example"
EVIL_PAGE = b"<!doctype html><title>a page on another site</title><p>nothing to see"


@contextmanager
def _hostile_site() -> Iterator[int]:
    """A web server on loopback serving an innocent-looking page, whatever the Host (the attacker's)."""

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(EVIL_PAGE)))
            self.end_headers()
            self.wfile.write(EVIL_PAGE)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


CROSS_SITE_WRITES = """async (server) => {
  const opts = { method: "POST", mode: "no-cors", credentials: "include" };
  await fetch(server + "/api/v1/index", { ...opts, body: new URLSearchParams() });  // an empty form
  await fetch(server + "/api/v1/index", { ...opts, body: new URLSearchParams({ full: "true" }) });
  const form = new FormData();
  form.append("file", new Blob(['{"points": []}']), "x.json");
  await fetch(server + "/api/v1/import/upload?collection=csrf", { ...opts, body: form });
  await fetch(server + "/api/v1/index", { ...opts, body: "{}", headers: { "Content-Type": "text/plain" } });
  return "sent";
}"""


def test_hostile_pages_cannot_use_the_service(server: str) -> None:
    """Open mode, a real Chromium. A page of another site (evil.example, resolved to loopback by the
    browser's resolver rules) sends the "simple" cross-site writes a page can send without CORS: a
    form POST to /index and a multipart upload; none may run a job. And a page whose own name
    resolves to 127.0.0.1 (DNS rebinding: evil.example on the service's port) cannot read the export."""
    from playwright.sync_api import sync_playwright

    port = int(server.rsplit(":", 1)[1])
    jobs_before = httpx.get(f"{server}/api/v1/jobs", timeout=10).json()["jobs"]
    with _hostile_site() as evil_port, sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {EVIL} 127.0.0.1"]
        )
        try:
            page = browser.new_page()
            page.goto(f"http://{EVIL}:{evil_port}/")
            assert page.evaluate(CROSS_SITE_WRITES, server) == "sent"
            # rebinding: the page's origin is http://evil.example:PORT, so it could read the answer
            page.goto(f"http://{EVIL}:{port}/")
            status, text = page.evaluate(
                """async () => {
                  const r = await fetch("/api/v1/export?collection=roadmap_tasks");
                  return [r.status, (await r.text()).slice(0, 300)];
                }"""
            )
        finally:
            browser.close()
    assert status == 421 and "host_not_allowed" in text, (status, text)
    jobs = httpx.get(f"{server}/api/v1/jobs", timeout=10).json()["jobs"]
    assert jobs == jobs_before  # no job was started
    names = [c["name"] for c in httpx.get(f"{server}/api/v1/collections", timeout=10).json()["collections"]]
    assert "csrf" not in names


def _score_re():  # type: ignore[no-untyped-def]
    import re

    return re.compile(r"^\d\.\d{3}$")


def _open_re():  # type: ignore[no-untyped-def]
    import re

    return re.compile(r"\bopen\b")
