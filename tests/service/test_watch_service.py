"""``planvec serve --watch`` (settings ``watch``): the service syncs the index paths as their files
change, with real file events, through its write jobs; HTTP search sees each change."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.cli import main
from planvec.service import create_app
from planvec.settings import Settings

from .conftest import BASE_URL, LOOPBACK

WAIT = 20.0


def _titles(c: TestClient, q: str) -> set[str]:
    r = c.get("/api/v1/search", params={"q": q, "limit": 20})
    if r.status_code == 404 and r.json()["error"]["code"] == "collection_not_found":
        return set()  # (not indexed yet)
    assert r.status_code == 200, r.text
    return {h["title"] for h in r.json()["hits"]}


def _until(cond, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.1)
    raise AssertionError(f"not within {WAIT} s: {what}")


def test_serve_watch_follows_edits_deletes_and_renames(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "a.md").write_text("# A\n\n- [ ] Calibrate the flux capacitor\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", index_paths=(plans,), watch=True, job_wait_seconds=30.0)
    with TestClient(create_app(settings, embedder=embedder), base_url=BASE_URL, client=LOOPBACK) as c:
        _until(lambda: "Calibrate the flux capacitor" in _titles(c, "flux capacitor"), "the initial index")
        tmp = plans / ".a.md.swp"
        tmp.write_text("# A\n\n- [ ] Recalibrate the warp coil\n", encoding="utf-8")
        os.replace(tmp, plans / "a.md")  # an editor's atomic save
        _until(lambda: "Recalibrate the warp coil" in _titles(c, "warp coil"), "the saved text")
        assert "Calibrate the flux capacitor" not in _titles(c, "flux capacitor")
        os.rename(plans / "a.md", plans / "b.md")
        _until(
            lambda: (
                {h["file"] for h in c.get("/api/v1/search", params={"q": "warp coil"}).json()["hits"]}
                == {"b.md"}
            ),
            "the renamed file",
        )
        (plans / "b.md").unlink()
        _until(lambda: not _titles(c, "warp coil"), "the deleted file")
        jobs = c.get("/api/v1/jobs").json()
        assert any(j["kind"] == "watch" and j["status"] == "succeeded" for j in jobs["jobs"])
    audit = [json.loads(line) for line in (tmp_path / "data" / "audit.jsonl").read_text().splitlines()]
    assert any(e["action"] == "watch" and e["key_id"] == "watch" and e["outcome"] == "success" for e in audit)


def test_serve_watch_without_index_paths_is_one_error_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["--data-dir", str(tmp_path / "d"), "serve", "--watch", "--port", "0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "--watch needs index paths" in err and "PLANVEC_INDEX_PATHS" in err
