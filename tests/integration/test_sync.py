"""Incremental sync on a real Qdrant Edge store with the real model: counts are exact."""

from __future__ import annotations

from pathlib import Path

from planvec.engine import Engine
from planvec.records import TASKS_COLLECTION

PLAN = """# Plan de développement v7 - Cache

**Progression globale : 20%**

## 1. Cache

- [ ] **1.1** Implement the in-memory LRU cache
  - [x] **1.1.1** Choose the eviction policy
  - [ ] **1.1.2** Add TTL support for entries
- [x] **1.2** Write the Redis cache adapter

## 2. API

- [ ] Expose the search endpoint over HTTP
- [ ] Add API key authentication
"""

OTHER = """# Notes

- [ ] Document the backup format
"""


def _state(eng: Engine) -> dict[str, tuple[str, str]]:
    return {
        p.id: (p.payload["title"], p.payload["content_hash"])
        for p in eng.store.scroll(TASKS_COLLECTION, fields=["title", "content_hash"])
    }


def _write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(text, encoding="utf-8")
    return p


def test_first_index_then_nothing_to_do(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    _write(plans, "plan-v7.md", PLAN)
    _write(plans, "notes.md", OTHER)
    r = engine.index([plans])
    assert (r.files, r.tasks) == (2, 7)
    assert r.collections[0].added == 7 and r.collections[0].embedded == 7
    assert engine.store.count(TASKS_COLLECTION) == 7
    again = engine.index([plans])
    assert again.embedded == 0
    assert again.added == again.updated == again.deleted == 0
    assert again.unchanged == again.tasks + again.sections


def test_edit_one_task_embeds_one_and_keeps_other_ids(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    f = _write(plans, "plan-v7.md", PLAN)
    engine.index([plans])
    before = _state(engine)
    # A task with an explicit id keeps its point id when its title changes: updated in place.
    f.write_text(PLAN.replace("Add TTL support for entries", "Add TTL and max-size support for entries"))
    r = engine.index([plans])
    tasks = r.collections[0]
    assert (tasks.added, tasks.updated, tasks.deleted, tasks.embedded) == (0, 1, 0, 1)
    after = _state(engine)
    assert set(after) == set(before)
    changed = [pid for pid in after if after[pid] != before[pid]]
    assert len(changed) == 1 and after[changed[0]][0] == "Add TTL and max-size support for entries"


def test_edit_task_without_id_replaces_only_that_point(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    f = _write(plans, "plan-v7.md", PLAN)
    engine.index([plans])
    before = _state(engine)
    # Without an explicit id a task is anchored by its section and title: a new title is a new
    # point (the old one deleted), and no other task's id or vector changes.
    f.write_text(PLAN.replace("Add API key authentication", "Add API key authentication with scopes"))
    r = engine.index([plans])
    tasks = r.collections[0]
    assert (tasks.added, tasks.updated, tasks.deleted, tasks.embedded) == (1, 0, 1, 1)
    after = _state(engine)
    gone, new = set(before) - set(after), set(after) - set(before)
    assert len(gone) == 1 and before[gone.pop()][0] == "Add API key authentication"
    assert len(new) == 1 and after[new.pop()][0] == "Add API key authentication with scopes"
    assert all(after[pid] == before[pid] for pid in set(before) & set(after))


def test_status_change_and_line_shift_embed_nothing(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    f = _write(plans, "plan-v7.md", PLAN)
    engine.index([plans])
    ids = set(_state(engine))
    # Tick a box and push every line down: payloads change, texts do not.
    f.write_text("\n\n" + PLAN.replace("- [ ] Expose the search", "- [x] Expose the search"))
    r = engine.index([plans])
    assert r.collections[0].embedded == 0
    assert r.collections[0].moved == 6
    assert set(_state(engine)) == ids
    done = [
        h for h in engine.search("search endpoint", limit=3, mode="keyword") if "search endpoint" in h.title
    ]
    assert done and done[0].status == "completed" and done[0].line == 16


def test_deleted_task_and_file_are_removed(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    f = _write(plans, "plan-v7.md", PLAN)
    other = _write(plans, "notes.md", OTHER)
    engine.index([plans])
    f.write_text(PLAN.replace("- [ ] Add API key authentication\n", ""))
    other.unlink()
    r = engine.index([plans])
    assert r.collections[0].deleted == 2
    titles = {t for t, _ in _state(engine).values()}
    assert "Add API key authentication" not in titles and "Document the backup format" not in titles
    assert len(titles) == 5  # 6 - 1 in the plan, the notes file gone


def test_full_reembeds_everything(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    _write(plans, "plan-v7.md", PLAN)
    engine.index([plans])
    r = engine.index([plans], full=True)
    assert r.collections[0].embedded == 6 and r.collections[0].updated == 6


def test_dry_run_changes_nothing(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    f = _write(plans, "plan-v7.md", PLAN)
    engine.index([plans])
    before = _state(engine)
    f.write_text(PLAN.replace("Write the Redis cache adapter", "Write the Memcached adapter"))
    r = engine.index([plans], dry_run=True)
    assert r.dry_run and r.embedded == 1  # would be embedded: the one changed text
    plan = r.plan[TASKS_COLLECTION]
    assert len(plan["updated"]) == 1 and "Memcached" in plan["updated"][0]
    assert _state(engine) == before


def test_single_file_path_only_touches_that_file(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    f = _write(plans, "plan-v7.md", PLAN)
    _write(plans, "notes.md", OTHER)
    engine.index([plans])
    r = engine.index([f])
    assert r.deleted == 0
    assert engine.store.count(TASKS_COLLECTION) == 7


def test_two_roots_with_same_file_names_do_not_collide(tmp_path: Path, engine: Engine) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    _write(a, "plan.md", PLAN)
    _write(b, "plan.md", PLAN)
    engine.index([a])
    engine.index([b])
    assert engine.store.count(TASKS_COLLECTION) == 12
    r = engine.index([a])
    assert r.deleted == 0 and engine.store.count(TASKS_COLLECTION) == 12


def test_bad_file_is_listed_and_loses_nothing(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    _write(plans, "plan-v7.md", PLAN)
    notes = _write(plans, "notes.md", OTHER)
    engine.index([plans])
    notes.write_bytes(b"\x00\x01\x02binary\x00" * 100)
    r = engine.index([plans])
    assert r.partial and r.exit_code == 3
    assert [p.path for p in r.problems] == ["notes.md"]
    # The unreadable file keeps its points: bad input loses nothing.
    assert "Document the backup format" in {t for t, _ in _state(engine).values()}
    assert r.deleted == 0


def test_moved_text_reuses_vector(tmp_path: Path, engine: Engine) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    _write(plans, "plan-v7.md", PLAN)
    engine.index([plans])
    (plans / "plan-v7.md").rename(plans / "plan-v8.md")
    r = engine.index([plans])
    tasks = r.collections[0]
    assert tasks.added == 6 and tasks.deleted == 6
    assert tasks.embedded == 0 and tasks.reused == 6
