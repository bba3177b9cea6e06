"""The CLI as a user runs it: index the shared corpus, search it, inspect it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planvec.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def corpus_home(tmp_path: Path, indexed_corpus: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    shutil.copytree(indexed_corpus, home)
    (home / ".lock").unlink(missing_ok=True)
    monkeypatch.setenv("PLANVEC_HOME", str(home))
    return home


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.startswith("planvec ")


def test_index_corpus_then_unchanged(capsys, corpus_home: Path, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "index", str(corpus_dir), "--json")
    assert code == 0
    report = json.loads(out)
    assert report["files"] == 18 and report["tasks"] > 4000
    assert report["embedded"] == 0 and report["added"] == 0 and report["deleted"] == 0
    for key in ("files", "tasks", "added", "updated", "deleted", "unchanged", "embedded", "seconds"):
        assert key in report


def test_search_json_and_filters(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "search", "migrer la vectorisation Python vers Go", "--json", "--limit", "5")
    assert code == 0
    hits = json.loads(out)
    assert len(hits) == 5
    for key in (
        "score",
        "task_id",
        "title",
        "status",
        "priority",
        "is_mvp",
        "file",
        "line",
        "section",
        "collection",
    ):
        assert key in hits[0]
    assert hits[0]["collection"] == "roadmap_tasks"
    code, out, _ = run(
        capsys,
        "search",
        "tests",
        "--json",
        "--status",
        "completed",
        "--file",
        "plan-dev-v5*",
        "--limit",
        "20",
    )
    hits = json.loads(out)
    assert code == 0 and hits
    assert all(h["status"] == "completed" and h["file"].startswith("plan-dev-v5") for h in hits)


def test_search_task_id_prefix_and_modes(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    for mode in ("dense", "keyword", "hybrid"):
        code, out, _ = run(capsys, "search", "cache", "--mode", mode, "--task-id", "1", "--json")
        hits = json.loads(out)
        assert code == 0 and hits, mode
        assert all(h["task_id"] == "1" or h["task_id"].startswith("1.") for h in hits), mode


def test_search_text_output(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "search", "cache manager", "--limit", "3")
    assert code == 0
    assert out.splitlines()[0].lstrip().startswith("1.")
    assert ".md:" in out


def test_collections_and_show(capsys, corpus_home: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "collections", "--json")
    cols = {c["name"]: c for c in json.loads(out)}
    assert code == 0 and {"roadmap_tasks", "roadmap_sections"} <= set(cols)
    assert cols["roadmap_tasks"]["dimension"] == 384 and cols["roadmap_tasks"]["points"] > 4000
    assert cols["roadmap_tasks"]["model"] == "sentence-transformers/all-MiniLM-L6-v2"
    code, out, _ = run(capsys, "search", "cache", "--json", "--limit", "1")
    pid = json.loads(out)[0]["point_id"]
    code, out, _ = run(capsys, "show", pid, "--json")
    assert code == 0 and json.loads(out)[0]["point_id"] == pid


def test_usage_errors_exit_2_without_traceback(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    code, _, err = run(capsys, "index", str(tmp_path / "does-not-exist"))
    assert code == 2 and "Traceback" not in err and "not found" in err
    code, _, err = run(capsys, "search", "x", "--limit", "0")
    assert code == 2 and "Traceback" not in err
    code, _, err = run(capsys, "search", "x", "--priority", "P9")
    assert code == 2 and "P9" in err


def test_search_before_index_says_what_to_do(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "empty"))
    code, _, err = run(capsys, "search", "anything")
    assert code == 1 and "planvec index" in err and "Traceback" not in err


def test_partial_run_exit_3(capsys, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    plans = tmp_path / "plans"
    plans.mkdir()
    (plans / "ok.md").write_text("# P\n\n- [ ] Do the thing\n")
    (plans / "bad.md").write_bytes(b"\x00\xff" * 50)
    code, _out, err = run(capsys, "index", str(plans))
    assert code == 3 and "bad.md" in err and "Traceback" not in err


def test_index_and_search_over_kinds(capsys, corpus_home: Path, corpus_dir: Path) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = run(capsys, "index", str(corpus_dir), "--kind", "plans", "--json")
    report = json.loads(out)
    assert code == 0 and list(report["kinds"]) == ["plans"] and report["embedded"] == 0
    plans = report["kinds"]["plans"]
    assert plans["files"] == 18 and plans["documents"]["tasks"] == report["tasks"]
    assert plans["documents"]["sections"] == report["sections"]
    assert [c["name"] for c in plans["collections"]] == ["roadmap_tasks", "roadmap_sections"]
    code, _, err = run(capsys, "index", str(corpus_dir), "--kind", "nope")
    assert code == 2 and "unknown kind 'nope'" in err
    code, out, _ = run(capsys, "search", "monitoring Prometheus", "--kind", "all", "--json", "--limit", "10")
    hits = json.loads(out)
    assert code == 0 and len(hits) == 10
    assert {h["collection"] for h in hits} == {"roadmap_tasks", "roadmap_sections"}
    assert all(h["kind_name"] == "plans" for h in hits)
    code, out, _ = run(capsys, "search", "monitoring Prometheus", "--kind", "all", "--limit", "10")
    assert code == 0 and "[plans: roadmap_sections]" in out
    code, _, err = run(capsys, "search", "x", "--kind", "all", "--collection", "roadmap_tasks")
    assert code == 2 and "cannot go with --kind all" in err
