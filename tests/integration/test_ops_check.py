"""check: each fault injected into a real store (EdgeStore and ServerStore(:memory:)) is reported
with its exact count; fix repairs it; check then passes and a second fix finds nothing."""

from __future__ import annotations

import json
from pathlib import Path

from ops_faults import PLAN_BETA, TASKS, add_point, by_title, points

from planvec.engine import Engine
from planvec.ops.reports import write_reports
from planvec.records import content_hash, payload_hash
from planvec.settings import Settings


def counts(eng: Engine, plans: Path) -> dict[str, float]:
    d = eng.check([plans]).to_dict()
    return {k: d[k] for k in ("missing", "orphaned", "stale", "duplicates", "coverage", "moved")}


CLEAN = {"missing": 0, "orphaned": 0, "stale": 0, "duplicates": 0, "coverage": 100.0, "moved": 0}


def repaired(eng: Engine, plans: Path) -> None:
    report = eng.fix([plans])
    assert report.actions and report.backup and Path(report.backup).is_file()
    after = eng.check([plans])
    assert after.ok, after.problems
    assert counts(eng, plans) == CLEAN
    assert eng.fix([plans]).nothing_to_fix


def test_clean_index_is_consistent_with_per_file_table(eng: Engine, plans: Path) -> None:
    r = eng.check([plans])
    assert r.ok and r.tasks == TASKS and r.points == TASKS
    assert counts(eng, plans) == CLEAN
    files = {f.file: f.to_dict() for f in r.files}
    assert files["alpha.md"] | {"root": ""} == {
        "file": "alpha.md",
        "root": "",
        "tasks": 5,
        "mvp": 1,
        "p0": 1,
        "p1": 1,
        "p2": 1,
        "p3": 0,
        "unprioritised": 2,
        "completed": 1,
        "completed_pct": 20.0,
        "missing": 0,
        "stale": 0,
    }
    beta = files["beta.md"]
    assert (beta["tasks"], beta["p0"], beta["p3"], beta["unprioritised"], beta["completed_pct"]) == (
        4,
        1,
        1,
        2,
        25.0,
    )


def test_deleted_points_are_missing(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    gone = [by_title(eng, "Back up the database every night").id, by_title(eng, "Audit the access logs").id]
    eng.store.delete(coll, gone)
    r = eng.check([plans])
    assert not r.ok
    assert counts(eng, plans) == CLEAN | {"missing": 2, "coverage": round(100 * 7 / 9, 2)}
    assert sorted(x.point_id for x in r.missing) == sorted(gone)
    assert {f.file: f.missing for f in r.files} == {"alpha.md": 1, "beta.md": 1}
    repaired(eng, plans)


def test_edited_content_hash_is_stale(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    p = by_title(eng, "Hybrid search with reciprocal rank fusion")
    payload = dict(p.payload, content_hash="0" * 32)
    eng.store.overwrite_payload(coll, [(p.id, payload)])
    r = eng.check([plans])
    assert counts(eng, plans) == CLEAN | {"stale": 1, "coverage": round(100 * 8 / 9, 2)}
    assert [x.point_id for x in r.stale] == [p.id]
    repaired(eng, plans)


def test_edited_payload_is_moved(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    p = by_title(eng, "Audit the access logs")
    eng.store.overwrite_payload(coll, [(p.id, dict(p.payload, line=99))])
    assert counts(eng, plans) == CLEAN | {"moved": 1}
    assert not eng.check([plans]).ok
    repaired(eng, plans)


def test_extra_point_is_orphaned(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    root = points(eng)[0].payload["root"]
    pid = add_point(
        eng, coll, {"root": root, "file": "gone.md", "anchor": "9.9", "title": "Old", "text": "Old"}
    )
    r = eng.check([plans])
    assert counts(eng, plans) == CLEAN | {"orphaned": 1}
    assert [x.point_id for x in r.orphaned] == [pid]
    repaired(eng, plans)
    assert eng.store.retrieve(coll, [pid]) == []


def test_second_point_for_a_task_is_a_store_duplicate(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    p = by_title(eng, "Rotate the API keys monthly")
    assert p.vector is not None
    pid = add_point(eng, coll, dict(p.payload), p.vector)
    r = eng.check([plans])
    assert counts(eng, plans) == CLEAN | {"duplicates": 1}
    assert [(d.where, d.task_id, d.point_ids) for d in r.duplicates] == [("store", "1.1", [pid])]
    assert not r.ok
    repaired(eng, plans)
    assert eng.store.retrieve(coll, [pid]) == []
    assert eng.store.retrieve(coll, [p.id]) != []


def test_task_id_duplicated_in_a_file(eng: Engine, plans: Path) -> None:
    (plans / "beta.md").write_text(PLAN_BETA + "- [ ] **1.1** Renew the TLS certificates\n", encoding="utf-8")
    r = eng.check([plans])
    # the new task, and both 1.1 tasks (their anchors are no longer the bare id) have no point;
    # the point anchored at "1.1" no longer matches a task
    assert counts(eng, plans) == CLEAN | {"missing": 2, "orphaned": 1, "duplicates": 1, "coverage": 80.0}
    dup = [d for d in r.duplicates if d.where == "files"]
    assert [(d.file, d.task_id, d.lines) for d in dup] == [("beta.md", "1.1", [5, 9])]
    fixed = eng.fix([plans])
    assert [p.code for p in fixed.problems] == ["duplicate_task_id"]
    after = eng.check([plans])
    assert after.ok  # the index mirrors the files; the duplicated id is a warning
    assert counts(eng, plans) == CLEAN | {"duplicates": 1}
    assert [p.severity for p in after.problems] == ["warning"]
    assert eng.fix([plans]).nothing_to_fix


def test_content_hash_made_with_another_model_key_is_stale(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    items = []
    for p in points(eng):
        payload = dict(p.payload)
        payload["content_hash"] = content_hash(payload["text"], "other/model|bm25")
        payload["payload_hash"] = payload_hash(payload)
        items.append((p.id, payload))
    eng.store.overwrite_payload(coll, items)
    assert counts(eng, plans) == CLEAN | {"stale": TASKS, "coverage": 0.0}
    report = eng.fix([plans])
    assert [(a.kind, a.count) for a in report.actions] == [("update", TASKS)]
    assert report.embedded == TASKS - 1  # two tasks share one text
    assert counts(eng, plans) == CLEAN


def test_missing_collection_reports_every_task(kind: str, tmp_path: Path, embedder, plans: Path) -> None:  # type: ignore[no-untyped-def]
    url = ":memory:" if kind == "server" else None
    with Engine(Settings(data_dir=tmp_path / "empty", qdrant_url=url), embedder=embedder) as e:
        r = e.check([plans])
        assert not r.collection_exists and not r.ok
        assert (len(r.missing), r.coverage, r.problems[0].code) == (TASKS, 0.0, "not_indexed")
        assert r.problems[0].fix is not None and r.problems[0].fix.endswith(f"fix {plans} --yes")


def test_reports_json_and_markdown(eng: Engine, plans: Path, tmp_path: Path) -> None:
    eng.store.delete(eng.settings.tasks_collection, [by_title(eng, "Audit the access logs").id])
    r = eng.check([plans])
    jpath, mpath = write_reports("check", r, tmp_path / "reports")
    data = json.loads(jpath.read_text())
    assert list(data)[:5] == ["missing", "orphaned", "stale", "duplicates", "coverage"]
    assert data["missing"] == 1 and data["missing_tasks"][0]["title"] == "Audit the access logs"
    assert len(data["files"]) == 2
    md = mpath.read_text()
    assert "# planvec check: **PROBLEMS FOUND**" in md
    assert "| beta.md | 4 | 0 | 1 | 0 | 0 | 1 | 2 | 25.0 | 1 | 0 |" in md
