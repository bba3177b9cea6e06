"""The search page's write-back checkbox in headless Chromium against ``planvec serve --watch``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from planvec.cli import main
from serving import serve_env, served

from .test_browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.browser

PLAN = b"# Plan\r\n\r\n- [ ] **1.1** Polish the zorglub dashboard\r\n- [x] **1.2** Other\r\n"


def test_checkbox_ticks_the_task_in_its_file(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}")
    pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
    from playwright.sync_api import expect, sync_playwright

    plans, home = tmp_path / "plans", tmp_path / "home"
    plans.mkdir()
    (plans / "p.md").write_bytes(PLAN)
    assert main(["--data-dir", str(home), "index", str(plans), "-q"]) == 0
    env = serve_env(home=home, keys_file=home / "keys.json", index_paths=plans)
    with served(env, tmp_path / "serve.log", args=["--watch"]) as srv, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(srv.url + "/")
            page.locator("#q").fill("zorglub dashboard")
            hit = page.locator(".hit").first
            expect(hit).to_contain_text("Polish the zorglub dashboard")
            box = hit.locator("input.wb-box")
            expect(box).not_to_be_checked()
            box.check()
            expect(hit.locator(".wb-note")).to_contain_text("completed · written to p.md:3", timeout=20_000)
            expect(hit.locator(".badge.completed")).to_be_visible()
        finally:
            browser.close()
    assert (plans / "p.md").read_bytes() == PLAN.replace(b"- [ ] **1.1**", b"- [x] **1.1**")
    print(srv.log_text()[-2000:], file=sys.stderr)
