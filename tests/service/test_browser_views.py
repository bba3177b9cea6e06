"""The page's views in headless Chromium against ``planvec serve`` on the indexed shared corpus:
the task view, every view a URL (back/forward, a result's own address, paging), the browse view,
the empty page's examples, the phone layout, and a server that needs a key."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from serving import serve_env, served

from .conftest import copy_home
from .test_browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory, indexed_corpus: Path) -> Path:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium); browser test skipped")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    return copy_home(indexed_corpus, tmp_path_factory.mktemp("views") / "home")


@pytest.fixture(scope="module")
def server(home: Path, corpus_dir: Path) -> Iterator[str]:
    env = serve_env(home=home, keys_file=home / "keys.json", index_paths=corpus_dir)
    with served(env, home / "serve.log") as srv:
        yield srv.url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def test_task_view_and_urls(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/")
    expect(page.locator("#examples")).to_be_visible()
    page.locator(".example").first.click()  # the empty page's examples search
    expect(page.locator(".hit").first).to_be_visible(timeout=15_000)
    page.locator("#q").fill("")
    page.locator("#q").type("implémenter la vectorisation des requêtes", delay=10)
    expect(page).to_have_url(re.compile(r"q=impl%C3%A9menter"), timeout=10_000)
    expect(page.locator("#examples")).to_be_hidden()
    first = page.locator(".hit").first
    expect(first).to_be_visible(timeout=15_000)
    # the last keystroke's search has answered (an earlier one's results would be re-rendered)
    expect(page.locator("#results")).to_have_attribute(
        "data-query", "implémenter la vectorisation des requêtes", timeout=15_000
    )
    # Enter opens the task view: path:line, status, breadcrumb, and the family of the task
    page.locator("#q").press("ArrowDown")
    page.locator("#q").press("Enter")
    view = first.locator(".task-view")
    expect(view).to_be_visible(timeout=10_000)
    expect(view.locator(".path")).to_contain_text(re.compile(r"/plans/plan-dev-[^:]+\.md:\d+$"))
    expect(view.locator(".badge").first).to_be_visible()
    expect(view.locator(".crumbs span").first).to_be_visible()
    assert view.locator(".family").count() >= 1
    expect(page).to_have_url(re.compile(r"open=roadmap_tasks%2F[0-9a-f-]{36}"))
    page.screenshot(path=str(SCREENSHOTS / "task-view.png"))
    opened = page.url
    # a result's own address opens it again, in a new page
    other = browser.new_page(viewport={"width": 1280, "height": 900})
    other.goto(opened)
    expect(other.locator(".hit.open .task-view")).to_be_visible(timeout=15_000)
    other.close()
    # back: the result closes; back again: the previous query; forward: the open result again
    page.go_back()
    expect(page.locator(".hit.open")).to_have_count(0, timeout=10_000)
    page.select_option("#f-status", "pending")
    expect(page).to_have_url(re.compile(r"status=pending"), timeout=10_000)
    page.go_back()
    page.go_forward()
    expect(page.locator("#f-status")).to_have_value("pending", timeout=10_000)
    # paging past 20
    page.locator("#f-status").select_option("")
    expect(page.locator(".hit")).to_have_count(20, timeout=10_000)
    page.locator("#more").click()
    expect(page.locator(".hit")).to_have_count(40, timeout=10_000)
    expect(page).to_have_url(re.compile(r"limit=40"))
    page.close()


def test_browse_view(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    summary = httpx.get(server + "/api/v1/browse", timeout=60).json()
    with_tasks = [f for f in summary["files"] if f["tasks"]]
    assert len(with_tasks) >= 10 and summary["tasks"] == sum(f["tasks"] for f in summary["files"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server + "/#browse")
    rows = page.locator(".browse-table tbody tr")
    expect(rows).to_have_count(len(summary["files"]), timeout=15_000)
    expect(page.locator(".browse-head")).to_contain_text(f"{len(summary['files'])} files")
    expect(rows.first.locator(".bar")).to_be_visible()
    page.screenshot(path=str(SCREENSHOTS / "browse-view.png"), full_page=False)
    # a number is a filtered search
    rows.first.locator("a", has_text="pending").click()
    expect(page.locator("#view-search")).to_be_visible()
    expect(page.locator("#f-status")).to_have_value("pending")
    expect(page.locator(".hit").first).to_be_visible(timeout=15_000)
    expect(page.locator(".hit .badge.completed")).to_have_count(0)
    page.close()


def test_phone_layout(server: str, browser) -> None:  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    phone = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    phone.goto(server + "/?q=tableau%20de%20bord%20Grafana")
    expect(phone.locator(".hit").first).to_be_visible(timeout=15_000)
    assert phone.locator("#filters-box").get_attribute("open") is None  # folded on a phone
    placeholder = phone.locator("#q").get_attribute("placeholder") or ""
    box = phone.locator("#q").bounding_box()
    assert box and len(placeholder) * 7 < box["width"] + 40  # the placeholder fits
    phone.screenshot(path=str(SCREENSHOTS / "phone-layout.png"))
    visible = [b for b in phone.locator(".hit").all() if (bb := b.bounding_box()) and bb["y"] < 844]
    assert len(visible) >= 4, len(visible)
    # nothing wider than the phone: no sideways scrolling
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.close()


def test_collections_load_after_the_key(home: Path, corpus_dir: Path, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """With keys required, entering a key loads the collections panel and the kinds."""
    from playwright.sync_api import expect

    keyed = copy_home(home, tmp_path / "keyed")
    env = serve_env(home=keyed, keys_file=keyed / "keys.json")
    made = subprocess.run(
        [sys.executable, "-m", "planvec", "keys", "create", "--name", "reader", "--scope", "read"],
        env=env, capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    key = made.stdout.strip().splitlines()[-1].strip()
    assert key.startswith("pvk_"), made.stdout
    with served(env, keyed / "serve.log") as srv:
        page = browser.new_page()
        page.goto(srv.url + "/")
        expect(page.locator("#key-form")).to_be_visible(timeout=10_000)
        page.locator("#key-input").fill(key)
        page.locator("#key-form button[type=submit]").click()
        expect(page.locator("#collections")).to_contain_text("roadmap_tasks", timeout=10_000)
        expect(page.locator("#who")).to_contain_text("reader")
        page.close()
