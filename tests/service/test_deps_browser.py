"""The page's dependencies view (#dependencies) in headless Chromium against ``planvec serve`` on
a small indexed project: the table, the filters, a search by meaning, the conflicts panel."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from deps_fixtures import use_stand_ins, write_project
from planvec.engine import Engine
from planvec.settings import Settings
from serving import serve_env, served

from .test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    base = tmp_path_factory.mktemp("deps-browser")
    with pytest.MonkeyPatch.context() as mp:
        use_stand_ins(mp)  # indexed here, in this process: the server only reads the store
        project = write_project(base / "project")
        with Engine(Settings(data_dir=base / "home"), embedder=embedder) as eng:
            assert eng.index([project], kinds=["dependencies"]).problems == []
    env = serve_env(home=base / "home", keys_file=base / "home" / "keys.json")
    with served(env, base / "serve.log") as srv:
        yield srv.url


def test_dependencies_view(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server + "/#dependencies")
            expect(page.locator("#view-dependencies")).to_be_visible()
            expect(page.locator("#view-search")).to_be_hidden()
            rows = page.locator("#deps-table tr.dep")
            expect(rows).to_have_count(10, timeout=15_000)
            expect(page.locator("#deps-count")).to_have_text("10 dependencies")
            expect(rows.first).to_contain_text("axios")
            expect(rows.first.locator(".badge")).to_have_text("unknown")
            # filters: ecosystem, dev, direct
            page.select_option("#deps-eco", "npm")
            expect(rows).to_have_count(7, timeout=10_000)
            page.select_option("#deps-direct", "false")
            expect(rows).to_have_count(1, timeout=10_000)
            expect(rows.first).to_contain_text("follow-redirects")
            page.select_option("#deps-direct", "")
            page.select_option("#deps-dev", "true")
            expect(rows).to_have_count(2, timeout=10_000)
            page.select_option("#deps-dev", "")
            page.locator("#deps-vuln").check()
            expect(rows).to_have_count(0, timeout=10_000)
            page.locator("#deps-vuln").uncheck()
            expect(rows).to_have_count(7, timeout=10_000)
            # a search by meaning, within the ecosystem chosen
            page.locator("#deps-q").type("promise based http client", delay=10)
            first = page.locator("#deps-hits .hit").first
            expect(first).to_be_visible(timeout=15_000)
            expect(first.locator(".title")).to_contain_text("axios")
            expect(first).to_contain_text("Promise based HTTP client")
            assert set(page.locator("#deps-hits .hit .badge.field").all_text_contents()) >= {"npm", "runtime"}
            expect(page.locator("#deps-status")).to_contain_text("result")
            # the conflicts panel: the route's answer, or "not available" where the server has none
            expect(page.locator("#deps-conflicts li").first).to_have_text(
                re.compile(r"not available|No conflicts|mismatch|incompatible", re.I), timeout=10_000
            )
            page.screenshot(path=str(SCREENSHOTS / "dependencies-view.png"), full_page=True)
            # back to the search view and again: the view is built once
            page.goto(server + "/#search")
            expect(page.locator("#view-search")).to_be_visible()
            page.goto(server + "/#dependencies")
            expect(page.locator("#deps-q")).to_have_count(1)
        finally:
            browser.close()
