"""Filters written in the query, relevance and confidence, as a user sees them (CLI and HTTP)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.cli import main
from planvec.service import create_app
from planvec.settings import Settings

PLAN = """# Plan v56 : sécurité

## Phase 1

- [ ] **1.1** Planifier la rotation des clés secrètes (P0) [MVP]
- [x] **1.2** Chiffrer les sauvegardes de la base (P0)
- [ ] **1.3** Chiffrer les journaux applicatifs (P2)
- [ ] **1.4** Rédiger le guide de déploiement (P1)
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Path:
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "plan-dev-v56-securite.md").write_text(PLAN, encoding="utf-8")
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    assert main(["index", str(plans)]) == 0
    capsys.readouterr()
    return tmp_path / "home"


def _search(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[list[dict], str]:  # type: ignore[type-arg]
    assert main(["search", *args, "--json"]) == 0
    out, err = capsys.readouterr()
    return json.loads(out), err


def test_cli_reads_filters_from_the_query(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hits, err = _search(capsys, "chiffrement P0 en attente")
    assert "filters from the query: status=pending, priorities=P0; searched: 'chiffrement'" in err
    assert [h["task_id"] for h in hits] == ["1.1"]
    hits, err = _search(capsys, "chiffrement P0 en attente", "--literal")
    assert "filters from the query" not in err and len(hits) == 4
    hits, _ = _search(capsys, "tâches terminées du v56")
    assert [h["task_id"] for h in hits] == ["1.2"]


def test_cli_scores_are_relevance_with_confidence(home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for mode in ("dense", "keyword", "hybrid"):
        hits, _ = _search(capsys, "xqzv wkpl", "--mode", mode)
        assert all(0.0 <= h["score"] <= 1.0 and h["confidence"] == "low" for h in hits), (mode, hits)
        assert main(["search", "xqzv wkpl", "--mode", mode, "--min-score", "0.5", "--json"]) == 0
        assert json.loads(capsys.readouterr()[0]) == []
    hits, _ = _search(capsys, "rotation des clés secrètes")
    assert hits[0]["task_id"] == "1.1" and hits[0]["confidence"] == "high"
    assert hits == sorted(hits, key=lambda h: -h["score"])


def test_http_query_filters_and_literal(home: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=home), embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as c:
        body = c.get("/api/v1/search", params={"q": "chiffrement P0 en attente"}).json()
        assert body["query_filters"] == {"status": "pending", "priorities": ["P0"]}
        assert body["searched"] == "chiffrement"
        assert [h["task_id"] for h in body["hits"]] == ["1.1"]
        assert {h["confidence"] for h in body["hits"]} <= {"high", "low"}
        body = c.post("/api/v1/search", json={"query": "chiffrement P0 en attente", "literal": True}).json()
        assert body["query_filters"] == {} and body["searched"] is None and body["count"] == 4
