"""migrate between stores: exact copies, resume after a failure, read-only source, re-embedding."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from migration_data import MODEL, assert_same, fill, fill_edge, make_points, snapshot, snapshot_dir

from planvec.engine import Engine
from planvec.errors import StoreError, UsageError
from planvec.ops.migrate import STATE_KEY, migrate
from planvec.ops.transfer import MigrationError
from planvec.settings import Settings
from planvec.store import EdgeStore, ServerStore


class Crash(Exception):
    pass


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("migrate-src") / "data"
    return fill_edge(
        data, {"roadmap_tasks": make_points(2000, seed=3), "roadmap_sections": make_points(150, seed=4)}
    )


def _meta(data: Path, name: str) -> dict:
    with EdgeStore(data, read_only=True) as s:
        return s.get_meta(name)


@pytest.mark.parametrize("method", ["files", "stream"])
def test_edge_to_edge_is_exact_and_rerun_is_a_no_op(source: Path, tmp_path: Path, method: str) -> None:
    before = _meta(source, "roadmap_tasks")
    target = tmp_path / "dst"
    report = migrate(source, target, batch=256, workers=3, method=method)
    assert report.complete and report.copied == 2150
    assert {c.method for c in report.collections} == {method}
    for name in ("roadmap_tasks", "roadmap_sections"):
        assert_same(snapshot_dir(source, name), snapshot_dir(target, name))
    meta = _meta(target, "roadmap_tasks")
    assert meta["last_sync"] == before["last_sync"] and meta["bm25"] == "test-bm25" and meta["model"] == MODEL
    assert meta[STATE_KEY]["complete"] is True
    assert _meta(source, "roadmap_tasks") == before  # the source is never written
    again = migrate(source, target)
    assert all(c.already_complete for c in again.collections) and again.copied == 0


def test_edge_to_server_memory_to_edge(source: Path, tmp_path: Path) -> None:
    with ServerStore(":memory:") as mem:
        r1 = migrate(source, mem, ["roadmap_tasks"], batch=300)
        assert r1.complete and mem.count("roadmap_tasks") == 2000
        assert mem.get_meta("roadmap_tasks")["last_sync"] == "2025-01-01T00:00:00+00:00"
        r2 = migrate(mem, tmp_path / "back", ["roadmap_tasks"])
        assert r2.complete
    # ids, payloads, sparse vectors exact; dense vectors: qdrant-client's local mode re-normalises
    # cosine vectors with numpy, which moves some components by one float32 ulp.
    assert_same(
        snapshot_dir(source, "roadmap_tasks"), snapshot_dir(tmp_path / "back", "roadmap_tasks"), atol=1e-7
    )


@pytest.mark.parametrize("workers", [1, 3])
def test_failure_after_k_batches_then_resume_gives_an_exact_copy(
    source: Path, tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "dst"
    k = 3
    with EdgeStore(source, read_only=True) as s:
        ids = [p.id for p in s.scroll("roadmap_tasks", fields=[], batch_size=200)]
    fail_id = ids[k * 200]  # the write of batch k (in scroll order) fails, in a writer thread
    real_upsert = EdgeStore.upsert

    def failing_upsert(self: EdgeStore, name: str, points: list) -> None:  # type: ignore[type-arg]
        if points and points[0].id == fail_id:
            raise Crash
        real_upsert(self, name, points)

    monkeypatch.setattr(EdgeStore, "upsert", failing_upsert)
    with pytest.raises(Crash):
        migrate(source, target, ["roadmap_tasks"], batch=200, workers=workers, method="stream")
    monkeypatch.undo()
    state = _meta(target, "roadmap_tasks")[STATE_KEY]
    # Every batch before k is written and recorded: the run resumes exactly at batch k.
    assert state["complete"] is False and state["resume_from"] == fail_id
    with EdgeStore(target, read_only=True) as t:
        partial = t.count("roadmap_tasks")
    assert k * 200 <= partial <= 2000 - 200  # batch k is missing; later batches may be written
    # auto: the target holds a started stream, so it resumes it
    report = migrate(source, target, ["roadmap_tasks"], batch=200, workers=workers)
    c = report.collections[0]
    assert c.method == "stream"
    assert c.resumed_from == fail_id
    assert c.copied == 2000 - k * 200  # resumed at batch k, not restarted
    assert report.complete
    assert_same(snapshot_dir(source, "roadmap_tasks"), snapshot_dir(target, "roadmap_tasks"))


def test_file_copy_interrupted_leaves_nothing_and_rerun_copies(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import planvec.store.edge as edge

    target = tmp_path / "dst"
    real_copy = edge._copy_file
    copied: list[Path] = []

    def failing_copy(src: Path, dst: Path) -> None:
        if len(copied) == 5:
            raise OSError(28, "No space left on device")
        copied.append(src)
        real_copy(src, dst)

    monkeypatch.setattr(edge, "_copy_file", failing_copy)
    with pytest.raises(StoreError, match=r"cannot copy collection 'roadmap_sections'.*No space left"):
        migrate(source, target, ["roadmap_sections"], method="files")
    monkeypatch.undo()
    with EdgeStore(target) as t:  # a writer clears the debris of the interrupted copy
        assert t.list_collections() == []
    assert not [p for p in (target / "collections").iterdir()]
    report = migrate(source, target, ["roadmap_sections"])
    assert report.complete and report.collections[0].method == "files"
    assert_same(snapshot_dir(source, "roadmap_sections"), snapshot_dir(target, "roadmap_sections"))
    state = _meta(target, "roadmap_sections")[STATE_KEY]
    assert state["complete"] is True and state["method"] == "files"


def test_files_method_needs_two_data_directories(source: Path) -> None:
    with ServerStore(":memory:") as mem, pytest.raises(UsageError, match="two embedded data directories"):
        migrate(source, mem, method="files")


def test_unrelated_target_collection_is_refused(source: Path, tmp_path: Path) -> None:
    target = tmp_path / "dst"
    fill_edge(target, {"roadmap_sections": make_points(10, seed=9)})
    with pytest.raises(MigrationError, match="did not write"):
        migrate(source, target)
    assert len(snapshot_dir(target, "roadmap_sections")) == 10
    with EdgeStore(target, read_only=True) as t:
        assert t.list_collections() == ["roadmap_sections"]  # nothing written before the check


def test_reembed_changes_the_dimension(embedder, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pts = make_points(40, dim=64, seed=5)
    for i, p in enumerate(pts):
        p.payload["text"] = f"Déployer le service numéro {i} sur le cluster"
    with ServerStore(":memory:") as src:
        fill(src, "old", pts)
        src.set_meta("old", {"model": "legacy/model-64"})
        with Engine(Settings(data_dir=tmp_path / "unused"), embedder=embedder) as eng:
            report = eng.migrate(src, tmp_path / "dst", reembed=True)
    assert report.complete and report.reembedded
    with EdgeStore(tmp_path / "dst", read_only=True) as t:
        info = t.collection_info("old")
        assert info is not None and info.dimension == embedder.dimension and info.model == embedder.model_id
        got = snapshot(t, "old")
    assert {k: v[0]["text"] for k, v in got.items()} == {p.id: p.payload["text"] for p in pts}
    assert all(v[2] is not None for v in got.values())  # BM25 vectors built


def test_file_copy_of_a_source_loaded_here_counts_it_here(source: Path, tmp_path: Path) -> None:
    # The source's shard is loaded in this process (as by an Engine): no reader process can load
    # it too, so its point count is read here; the copy is the same.
    with EdgeStore(source, read_only=True) as src:
        assert src.collection_info("roadmap_sections") is not None and src.is_loaded("roadmap_sections")
        report = migrate(src, tmp_path / "dst", ["roadmap_sections", "roadmap_tasks"])
    assert report.complete and report.total_points == report.copied == 2150
    by_name = {c.name: c for c in report.collections}
    assert by_name["roadmap_sections"].source_points == by_name["roadmap_sections"].target_points == 150
    assert by_name["roadmap_tasks"].source_points == by_name["roadmap_tasks"].target_points == 2000
    assert_same(snapshot_dir(source, "roadmap_sections"), snapshot_dir(tmp_path / "dst", "roadmap_sections"))


def test_a_script_without_a_main_guard_migrates_and_validates_once(source: Path, tmp_path: Path) -> None:
    # The reader processes are plain interpreters: they never run the caller's script again (with
    # multiprocessing's spawn, this script would have migrated a second time, into the same target).
    import subprocess
    import sys

    runs = tmp_path / "runs.txt"
    script = tmp_path / "script.py"
    script.write_text(
        "from planvec.ops.migrate import migrate\n"
        "from planvec.ops.validate import validate_migration\n"
        f"open({str(runs)!r}, 'a').write('run\\n')\n"
        f"r = migrate({str(source)!r}, {str(tmp_path / 'dst')!r})\n"
        f"v = validate_migration({str(source)!r}, {str(tmp_path / 'dst')!r}, report_dir=None)\n"
        "print(r.complete, r.copied, v.success)\n"
    )
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["True", "2150", "True"]
    assert runs.read_text() == "run\n"


def _child_pids() -> list[int]:
    """Processes whose parent is this one (reader processes left running would show here)."""
    me, out = os.getpid(), []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = Path(f"/proc/{d}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == me:
                out.append(int(d))
    return out


@pytest.mark.parametrize("method", ["files", "stream"])
def test_migrate_and_validate_in_one_call(
    source: Path, tmp_path: Path, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from planvec.ops import procstore

    started: list[str | None] = []
    init = procstore.StoreProcess.__init__

    def counting_init(self: procstore.StoreProcess, location: str | None, *a: object, **k: object) -> None:
        started.append(location)
        init(self, location, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(procstore.StoreProcess, "__init__", counting_init)
    before = _child_pids()
    reports = tmp_path / "reports"
    r = migrate(source, tmp_path / "dst", method=method, validate=True, report_dir=reports, sample_queries=10)
    assert r.complete and r.copied == r.total_points == 2150
    assert {c.name: (c.source_points, c.target_points) for c in r.collections} == {
        "roadmap_tasks": (2000, 2000),
        "roadmap_sections": (150, 150),
    }
    assert {c.method for c in r.collections} == {method}
    v = r.validation
    assert v is not None and v.success and v.validated_points == 2150 and v.mismatched_points == 0
    assert v.collections["roadmap_tasks"].search_recall_at_10 == 1.0
    assert [Path(v.report_file or "")] == list(reports.glob("migration-validation-report-*.json"))
    assert r.to_dict()["validation"]["collections"]["roadmap_tasks"]["target_count"] == 2000
    assert _child_pids() == before  # both reader processes exited
    # Two reader processes in all, started before the copy: the one that counted a file copy's
    # source went on to the validation.
    assert started == [None, None]


def test_one_call_validation_sees_a_change_made_after_the_copy(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The validation reads the copy itself: a point changed in the target once its files are in
    # place (here by the migrating store, before it closes) is reported.
    install = EdgeStore.install_copy

    def install_then_edit(self: EdgeStore, source_dir: Path, name: str, *a: object, **k: object) -> None:
        install(self, source_dir, name, *a, **k)  # type: ignore[arg-type]
        if name == "roadmap_tasks":
            p = next(iter(self.scroll(name, batch_size=1)))
            self.overwrite_payload(name, [(p.id, {**p.payload, "status": "tampered"})])

    monkeypatch.setattr(EdgeStore, "install_copy", install_then_edit)
    r = migrate(source, tmp_path / "dst", validate=True, report_dir=None, sample_queries=5)
    assert r.complete  # the counts match...
    v = r.validation
    assert v is not None and not v.success  # ...but one payload differs
    c = v.collections["roadmap_tasks"]
    assert (c.payload_mismatches, c.mismatched_points, c.validated_points) == (1, 1, 1999)
    assert c.first_mismatches["payload"][0]["keys"] == ["status"]
    assert v.collections["roadmap_sections"].data_integrity


def test_one_call_validation_of_a_memory_target_is_refused_before_copying(source: Path) -> None:
    with pytest.raises(UsageError, match="nothing to validate"):
        migrate(source, ":memory:", validate=True)


def test_one_call_validation_with_store_objects(source: Path) -> None:
    # A store object (not a location) is validated in this process.
    with ServerStore(":memory:") as mem:
        r = migrate(source, mem, ["roadmap_sections"], validate=True, report_dir=None, sample_queries=5)
    assert r.complete and r.validation is not None and r.validation.success
    assert r.validation.collections["roadmap_sections"].validated_points == 150
