"""The page's schemas view (#schemas) in headless Chromium against ``planvec serve`` on the fixture
of tests/schemas_data.py: search with filters, a table's columns and relations, the drift panel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planvec.engine import Engine
from planvec.settings import Settings
from schemas_data import index_files
from serving import serve_env, served

from .test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, embedder) -> Iterator[str]:  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    base = tmp_path_factory.mktemp("schemas-browser")
    home = base / "home"
    with Engine(Settings(data_dir=home), embedder=embedder) as eng:
        index_files(eng, base / "repo")
    env = serve_env(home=home, keys_file=home / "keys.json")
    with served(env, home / "serve.log") as srv:
        yield srv.url


def test_schemas_view(server: str) -> None:
    from playwright.sync_api import expect, sync_playwright

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(server + "/#schemas")
            expect(page.locator("#view-schemas")).to_be_visible()
            expect(page.locator("#view-search")).to_be_hidden()
            # the drift panel loads with the view
            drift = page.locator("#sch-drift")
            expect(drift).to_contain_text("table users", timeout=15_000)
            expect(drift).to_contain_text("email: varchar(320) NOT NULL vs varchar(255) NOT NULL")
            expect(drift).to_contain_text("message User")
            # search with a filter; clicking a column opens its table
            page.select_option("#sch-element", "column")
            page.locator("#sch-q").type("which table stores user emails?", delay=10)
            first = page.locator("#sch-results .hit").first
            expect(first).to_be_visible(timeout=15_000)
            assert set(page.locator("#sch-results .hit .badge").all_text_contents()) == {"column"}
            expect(first.locator(".title")).to_contain_text("public.users.email")
            first.click()
            detail = page.locator("#sch-detail")
            expect(detail).to_contain_text("table public.users", timeout=10_000)
            expect(detail.locator("table").first).to_contain_text("varchar(320)")  # the migrations first
            expect(detail.locator("table").nth(1)).to_contain_text("varchar(255)")
            expect(detail).to_contain_text("primary key: id")
            expect(detail).to_contain_text("referenced by public.orders.user_id")
            # a relation is a link to the other table
            detail.locator("a.ref", has_text="public.orders.user_id").first.click()
            expect(detail).to_contain_text("table public.orders", timeout=10_000)
            expect(detail).to_contain_text("foreign key user_id → public.users.id")
            # a format filter over operations
            page.select_option("#sch-element", "")
            page.select_option("#sch-format", "openapi")
            page.locator("#sch-q").fill("create a collection")
            expect(page.locator("#sch-results .hit").first.locator(".title")).to_contain_text(
                "POST /collections", timeout=15_000
            )
            page.locator("#sch-results .hit").first.click()
            expect(detail).to_contain_text("operation_id: createCollection", timeout=10_000)
            page.screenshot(path=str(SCREENSHOTS / "schemas-view.png"), full_page=False)
            # back to the search view: the hash switches views
            page.goto(server + "/#search")
            expect(page.locator("#view-search")).to_be_visible()
        finally:
            browser.close()
