"""validate-migration finds exactly what differs between a source and a copy."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from migration_data import fill_edge, make_points

from planvec.ops.migrate import migrate
from planvec.ops.validate import validate_migration
from planvec.store import EdgeStore, PointData, ServerStore

GUIDE_FIELDS = {
    "total_collections",
    "validated_points",
    "mismatched_points",
    "performance_gains",
    "collections",
    "timestamp",
}


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("validate")
    src = fill_edge(
        root / "src", {"roadmap_tasks": make_points(800, seed=7), "roadmap_sections": make_points(60, seed=8)}
    )
    migrate(src, root / "dst")
    return src, root / "dst"


def test_an_exact_copy_validates(pair: tuple[Path, Path], tmp_path: Path) -> None:
    src, dst = pair
    r = validate_migration(src, dst, report_dir=tmp_path, sample_queries=20)
    assert r.success and r.exit_code == 0
    assert r.total_collections == 2 and r.validated_points == 860 and r.mismatched_points == 0
    c = r.collections["roadmap_tasks"]
    assert (c.source_count, c.target_count, c.data_integrity) == (800, 800, True)
    assert c.search_recall_at_10 == 1.0 and c.sparse_recall_at_10 == 1.0 and c.performance_gain > 0
    assert set(r.performance_gains) == {"roadmap_tasks", "roadmap_sections"}
    path = Path(r.report_file or "")
    assert path.parent == tmp_path
    assert re.fullmatch(r"migration-validation-report-\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d\.json", path.name)
    data = json.loads(path.read_text())
    assert set(data) >= GUIDE_FIELDS
    assert {"source_count", "target_count", "data_integrity", "performance_gain"} <= set(
        data["collections"]["roadmap_tasks"]
    )
    assert "✅ Migration validated successfully!" in r.summary_lines()


@pytest.mark.parametrize("processes", [True, False], ids=["two-processes", "in-process"])
def test_one_missing_one_changed_payload_one_changed_vector(
    pair: tuple[Path, Path], tmp_path: Path, processes: bool
) -> None:
    src, dst = pair
    copy = tmp_path / "copy"
    migrate(dst, copy)
    with EdgeStore(copy) as s:
        pts = list(s.scroll("roadmap_tasks", with_vectors=True))
        gone, edited, moved = pts[10], pts[200], pts[500]
        s.delete("roadmap_tasks", [gone.id])
        s.overwrite_payload("roadmap_tasks", [(edited.id, {**edited.payload, "status": "tampered"})])
        assert moved.vector is not None
        v = moved.vector.copy()
        v[:8] = -v[:8]
        s.upsert("roadmap_tasks", [PointData(moved.id, v / np.linalg.norm(v), moved.payload, moved.sparse)])
    r = validate_migration(src, copy, report_dir=tmp_path, sample_queries=10, processes=processes)
    assert not r.success and r.exit_code == 1
    c = r.collections["roadmap_tasks"]
    assert (c.missing_in_target, c.extra_in_target) == (1, 0)
    assert (c.payload_mismatches, c.vector_mismatches, c.sparse_mismatches) == (1, 1, 0)
    assert c.mismatched_points == 3 and c.validated_points == 797 and not c.data_integrity
    assert c.first_mismatches["missing_in_target"] == [{"id": gone.id}]
    assert c.first_mismatches["payload"][0]["id"] == edited.id
    assert c.first_mismatches["payload"][0]["keys"] == ["status"]
    assert c.first_mismatches["vector"][0]["id"] == moved.id
    assert r.collections["roadmap_sections"].data_integrity
    assert r.mismatched_points == 3
    assert "❌ Migration incomplete - check required" in r.summary_lines()


def test_edge_against_server_memory_copy(pair: tuple[Path, Path], tmp_path: Path) -> None:
    src, _ = pair
    with ServerStore(":memory:") as mem:
        migrate(src, mem, ["roadmap_sections"])
        r = validate_migration(src, mem, ["roadmap_sections"], report_dir=None, sample_queries=10)
    assert r.success, r.to_dict()
    assert r.collections["roadmap_sections"].max_vector_diff <= 1e-7
    assert r.report_file is None


def test_both_readers_agree_on_an_extra_point_and_a_changed_sparse_vector(
    pair: tuple[Path, Path], tmp_path: Path
) -> None:
    from planvec.store import SparseVec

    src, dst = pair
    copy = tmp_path / "copy"
    migrate(dst, copy, ["roadmap_tasks"])
    with EdgeStore(copy) as s:
        pts = list(s.scroll("roadmap_tasks", with_vectors=True))
        changed = next(p for p in pts[300:] if p.sparse is not None and len(p.sparse.indices) > 1)
        assert changed.vector is not None and changed.sparse is not None
        sv = SparseVec(changed.sparse.indices, (changed.sparse.values[0] + 0.5, *changed.sparse.values[1:]))
        s.upsert("roadmap_tasks", [PointData(changed.id, changed.vector, changed.payload, sv)])
        extra = make_points(1, seed=99)[0]
        s.upsert("roadmap_tasks", [extra])
    reports = [
        validate_migration(src, copy, ["roadmap_tasks"], report_dir=None, sample_queries=5, processes=p)
        for p in (True, False)
    ]
    for r in reports:
        c = r.collections["roadmap_tasks"]
        assert (c.missing_in_target, c.extra_in_target, c.payload_mismatches) == (0, 1, 0)
        assert (c.vector_mismatches, c.sparse_mismatches) == (0, 1)
        assert c.first_mismatches["extra_in_target"] == [{"id": extra.id}]
        assert c.first_mismatches["sparse_vector"][0]["id"] == changed.id
        assert abs(c.first_mismatches["sparse_vector"][0]["max_abs_diff"] - 0.5) < 1e-5
        assert (c.validated_points, c.mismatched_points) == (799, 2)
    a, b = (r.collections["roadmap_tasks"] for r in reports)
    assert a.search_recall_at_10 is not None and b.search_recall_at_10 is not None


def test_an_unreadable_location_is_a_clear_error(pair: tuple[Path, Path], tmp_path: Path) -> None:
    from planvec.errors import UsageError

    src, _ = pair
    with pytest.raises(UsageError, match="no planvec data directory"):
        validate_migration(src, tmp_path / "nothing-here", report_dir=None)


def test_parity_runs_each_query_once_when_both_stores_scan_in_full(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planvec.ops import validate as v

    runs: list[int] = []
    timed = v.timed_searches

    def counting(store, name, todo):  # type: ignore[no-untyped-def]
        runs.append(len(todo))
        return timed(store, name, todo)

    monkeypatch.setattr(v, "timed_searches", counting)
    # Enough points for HNSW segments once optimized (planvec indexes from about 2,000 a segment).
    src = fill_edge(tmp_path / "src", {"roadmap_tasks": make_points(5000, seed=11)})
    migrate(src, tmp_path / "plain")  # a file copy: no HNSW segment, like the source
    migrate(src, tmp_path / "indexed")
    with EdgeStore(tmp_path / "indexed") as s:
        s.optimize("roadmap_tasks")

    plain = validate_migration(src, tmp_path / "plain", report_dir=None, sample_queries=10, processes=False)
    c = plain.collections["roadmap_tasks"]
    assert c.dense_index == {"source": "plain", "target": "plain"}
    assert len(runs) == 2 and runs[0] == runs[1]  # the same searches on each side
    assert plain.success and c.indexed_recall_at_10 == c.search_recall_at_10 == 1.0
    assert c.source_latency_ms is not None and c.source_latency_ms > 0

    per_side = runs[0]  # 10 dense queries, run once (exact: what users' searches do here), + BM25
    runs.clear()
    indexed = validate_migration(
        src, tmp_path / "indexed", report_dir=None, sample_queries=10, processes=False
    )
    c = indexed.collections["roadmap_tasks"]
    assert c.dense_index["source"] == "plain" and c.dense_index["target"] in ("hnsw", "mixed")
    assert runs == [per_side + 10] * 2  # each dense query twice: exact, and through the index
    assert indexed.success and c.search_recall_at_10 == 1.0


def test_a_reader_started_without_a_store_opens_later_or_closes_cleanly(pair: tuple[Path, Path]) -> None:
    from planvec.errors import StoreError
    from planvec.ops.procstore import StoreProcess

    src, _ = pair
    idle = StoreProcess(None)
    idle.close()
    assert idle._proc.returncode == 0  # it exits on end-of-file, without a traceback
    late = StoreProcess(None)
    with pytest.raises(StoreError, match="no store to read yet"):
        late.list_collections()
    late.open(str(src), [])
    try:
        assert late.list_collections() == ["roadmap_sections", "roadmap_tasks"]
        info = late.collection_info("roadmap_tasks")
        assert info is not None and info.points == 800 and late.dense_index("roadmap_tasks") == "plain"
        with pytest.raises(StoreError, match="already reads"):
            late.open(str(src), [])
    finally:
        late.close()
    assert late._proc.returncode == 0


def test_ctrl_c_makes_a_reader_exit_at_once_and_quietly(
    pair: tuple[Path, Path], capfd: pytest.CaptureFixture[str]
) -> None:
    # Ctrl-C reaches the whole process group: a reader exits (130) without a traceback, whether it
    # waits for its store or has one open; the parent reports the interruption.
    import os
    import signal

    from planvec.ops.procstore import StoreProcess

    src, _ = pair
    waiting, reading = StoreProcess(None), StoreProcess(str(src), [])
    try:
        reading.wait_ready()
        assert waiting._conn.poll(0) is False  # (it sent nothing: still waiting for its store)
        for r in (waiting, reading):
            os.kill(r._proc.pid, signal.SIGINT)
            assert r._proc.wait(timeout=30) == 130
    finally:
        waiting.close()
        reading.close()
    assert "Traceback" not in capfd.readouterr().err
