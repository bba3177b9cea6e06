"""fix on real stores (EdgeStore and ServerStore(:memory:)): the plan, the safety backup (and
restoring it), repairs of several faults at once, re-vectorising without the sources."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from ops_faults import TASKS, add_point, by_title, points, raw_write_vector

from planvec.engine import Engine
from planvec.errors import UsageError
from planvec.ops.backup import verify_archive
from planvec.ops.fix import restore_backup
from planvec.store.base import CollectionSpec, PointData


def inject_all(eng: Engine) -> dict[str, str]:
    """One of each fault: a deleted point, a stale hash, an orphan, a store duplicate, a NaN vector."""
    coll = eng.settings.tasks_collection
    deleted = by_title(eng, "Back up the database every night")
    stale = by_title(eng, "Hybrid search with reciprocal rank fusion")
    dup_of = by_title(eng, "Rotate the API keys monthly")
    nan = by_title(eng, "Cache query embeddings in memory")
    eng.store.delete(coll, [deleted.id])
    eng.store.overwrite_payload(coll, [(stale.id, dict(stale.payload, content_hash="f" * 32))])
    root = dup_of.payload["root"]
    orphan = add_point(
        eng, coll, {"root": root, "file": "old.md", "anchor": "x", "title": "Old", "text": "Old"}
    )
    assert dup_of.vector is not None
    dup = add_point(eng, coll, dict(dup_of.payload), dup_of.vector)
    bad = np.full(384, 0.05, dtype=np.float32)
    bad[0] = np.inf
    raw_write_vector(eng, coll, nan.id, bad)
    return {"deleted": deleted.id, "stale": stale.id, "orphan": orphan, "dup": dup, "nan": nan.id}


def test_dry_run_plans_and_changes_nothing(eng: Engine, plans: Path) -> None:
    ids = inject_all(eng)
    before = sorted(p.id for p in points(eng))
    r = eng.fix([plans], dry_run=True)
    assert r.dry_run and not r.ok and r.backup is None
    assert [(a.kind, a.count) for a in r.actions] == [
        ("reembed", 1),
        ("add", 1),
        ("update", 1),
        ("delete_orphans", 1),
        ("delete_duplicates", 1),
    ]
    assert sorted(p.id for p in points(eng)) == before
    assert ids["nan"] in before


def test_fix_repairs_everything_then_finds_nothing(eng: Engine, plans: Path) -> None:
    ids = inject_all(eng)
    c = eng.check([plans]).to_dict()
    assert (c["missing"], c["orphaned"], c["stale"], c["duplicates"]) == (1, 1, 1, 1)
    assert eng.verify().non_finite == [ids["nan"]]
    r = eng.fix([plans])
    assert r.ok and r.backup is not None and r.restore_command is not None
    assert r.restore_command.endswith(f"fix --restore {r.backup} --yes")
    assert r.embedded == 3  # the NaN point, the missing task, the stale one
    assert eng.check([plans]).ok and eng.verify().ok and eng.diagnose().ok
    got = {p.id for p in points(eng)}
    assert len(got) == TASKS and ids["orphan"] not in got and ids["dup"] not in got
    again = eng.fix([plans])
    assert again.nothing_to_fix and again.backup is None


def test_backup_restores_the_state_before_fix(eng: Engine, plans: Path) -> None:
    ids = inject_all(eng)
    before = {p.id: p.payload.get("content_hash") for p in points(eng)}
    r = eng.fix([plans])
    assert r.backup is not None and r.backup.endswith(".pvbak")
    manifest = verify_archive(Path(r.backup), None)  # a normal backup archive
    assert [c["name"] for c in manifest["collections"]] == [eng.settings.tasks_collection]
    back = restore_backup(eng.store, r.backup)
    assert [c["name"] for c in back.collections] == [eng.settings.tasks_collection]
    # The infinite vector is in the archive, but no store takes it: that point is left out, said so.
    assert back.skipped == [ids["nan"]]
    after = {p.id: p.payload.get("content_hash") for p in points(eng)}
    assert after == {k: v for k, v in before.items() if k != ids["nan"]}
    assert eng.check([plans]).to_dict()["orphaned"] == 1
    again = restore_backup(eng.store, Path(r.backup).parent)  # the directory holding it
    assert [c["name"] for c in again.collections] == [eng.settings.tasks_collection]
    with pytest.raises(UsageError):
        restore_backup(eng.store, plans)


def test_wrong_dimension_revectorised_from_stored_texts(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    old = points(eng)
    eng.store.delete_collection(coll)
    eng.store.create_collection(CollectionSpec(name=coll, dimension=16, model="old/model-16d"))
    rng = np.random.default_rng(3)
    eng.store.upsert(
        coll,
        [PointData(p.id, rng.standard_normal(16).astype(np.float32), p.payload, p.sparse) for p in old],
    )
    plan = eng.fix(dry_run=True)
    assert [(a.kind, a.count) for a in plan.actions] == [("recreate", TASKS)]
    r = eng.fix()  # no PATH: the texts stored in the points are re-embedded
    assert r.embedded == TASKS
    info = eng.store.collection_info(coll)
    assert info is not None and (info.dimension, info.points, info.model) == (
        384,
        TASKS,
        eng.embedder.model_id,
    )
    assert eng.verify().ok
    # payload hashes were kept and the model key is unchanged: the sources agree with the store
    assert eng.check([plans]).ok
    assert eng.fix([plans]).nothing_to_fix


def test_missing_collection_is_created_by_fix(eng: Engine, plans: Path) -> None:
    eng.store.delete_collection(eng.settings.tasks_collection)
    r = eng.fix([plans])
    assert [(a.kind, a.count) for a in r.actions] == [("add", TASKS)]
    assert r.backup is None  # nothing existed to lose
    assert eng.check([plans]).ok


def test_fix_reads_the_files_once(eng: Engine, plans: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The repairs are found on the files as read once, and the sync that applies them uses that
    same reading (a file edited in between is synced as it was when the repairs were listed)."""
    import planvec.ops.fix as fix_mod
    import planvec.sync.pipeline as pipeline

    calls: list[object] = []
    real = pipeline.parse_paths

    def counting(*args: object, **kw: object) -> object:
        calls.append(args[0])
        return real(*args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "parse_paths", counting)
    monkeypatch.setattr(fix_mod, "parse_paths", counting)
    inject_all(eng)
    r = eng.fix([plans])
    assert r.embedded > 0 and eng.fix([plans], dry_run=True).actions == []
    assert len(calls) == 2  # one reading per fix run: the repair and the dry run after it
