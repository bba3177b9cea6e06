"""backup → restore round trips, encryption, tampering, compatibility checks (synthetic points)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from migration_data import MODEL, fill_edge, make_points, snapshot_dir

from planvec.engine import Engine
from planvec.errors import DimensionMismatch
from planvec.ops.archive import ArchiveError, ArchiveKeyError
from planvec.ops.backup import backup, restore, verify_archive
from planvec.ops.transfer import MigrationError
from planvec.settings import Settings
from planvec.store import EdgeStore, ServerStore

KEY = b"correct horse battery staple"


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("backup-src") / "data"
    return fill_edge(
        data, {"roadmap_tasks": make_points(1200, seed=1), "roadmap_sections": make_points(300, seed=2)}
    )


@pytest.fixture(scope="module")
def archive(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("archives") / "plans.pvbak"
    with Engine(Settings(data_dir=source), read_only=True) as eng:
        report = eng.backup(out)
    assert report.total_points == 1500 and out.is_file()
    return out


@pytest.fixture(scope="module")
def encrypted(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("archives") / "plans.enc.pvbak"
    with EdgeStore(source, read_only=True) as s:
        report = backup(s, out, ["roadmap_sections"], KEY)
    assert report.encrypted and report.total_points == 300
    return out


def _no_collections(data: Path) -> bool:
    if not data.exists():
        return True
    with EdgeStore(data, read_only=True) as s:
        return s.list_collections() == []


def test_round_trip_edge_backup_restore_edge_is_identical(
    source: Path, archive: Path, tmp_path: Path
) -> None:
    manifest = verify_archive(archive)
    assert [c["name"] for c in manifest["collections"]] == ["roadmap_sections", "roadmap_tasks"]
    assert manifest["collections"][1]["points"] == 1200 and manifest["collections"][1]["model"] == MODEL
    target = tmp_path / "restored"
    with Engine(Settings(data_dir=target)) as eng:
        report = eng.restore(archive)
    assert report.verified and report.total_points == 1500
    for name in ("roadmap_tasks", "roadmap_sections"):
        a, b = snapshot_dir(source, name), snapshot_dir(target, name)
        assert a.keys() == b.keys()
        for pid, (pa, va, sa) in a.items():
            pb, vb, sb = b[pid]
            assert pa == pb and sa == sb
            assert (va == vb).all()
    with EdgeStore(source, read_only=True) as s, EdgeStore(target, read_only=True) as t:
        si, ti = s.collection_info("roadmap_tasks"), t.collection_info("roadmap_tasks")
        assert si is not None and ti is not None
        assert ti.payload_indexes == si.payload_indexes
        assert (ti.dimension, ti.distance, ti.sparse, ti.model) == (
            si.dimension,
            si.distance,
            si.sparse,
            si.model,
        )
        assert ti.meta["last_sync"] == si.meta["last_sync"] and ti.meta["bm25"] == "test-bm25"


def test_round_trip_through_server_memory_store(source: Path, archive: Path) -> None:
    with ServerStore(":memory:") as mem:
        restore(mem, archive, collections=["roadmap_sections"], model=(MODEL, 384))
        buf = io.BytesIO()
        report = backup(mem, buf, ["roadmap_sections"])  # a binary stream, as the HTTP service uses
        assert report.total_points == 300 and report.path is None
        pts = {p.id: p for p in mem.scroll("roadmap_sections", with_vectors=True)}
    orig = snapshot_dir(source, "roadmap_sections")
    assert pts.keys() == orig.keys()
    for pid, (payload, vec, sv) in orig.items():
        assert pts[pid].payload == payload and pts[pid].sparse == sv
        assert pts[pid].vector is not None
        # qdrant-client's local mode re-normalises cosine vectors with numpy: last-bit differences.
        assert float(abs(pts[pid].vector - vec).max()) <= 1e-7


def test_encrypted_round_trip(source: Path, encrypted: Path, tmp_path: Path) -> None:
    assert b"roadmap_sections" not in encrypted.read_bytes()
    with EdgeStore(tmp_path / "t") as t:
        report = restore(t, encrypted, key=KEY, rename={"roadmap_sections": "sections_copy"})
        assert report.encrypted and report.collections[0]["name"] == "sections_copy"
    a, b = snapshot_dir(source, "roadmap_sections"), snapshot_dir(tmp_path / "t", "sections_copy")
    assert a.keys() == b.keys() and all(a[k][0] == b[k][0] for k in a)


def test_wrong_key_fails_and_writes_nothing(encrypted: Path, tmp_path: Path) -> None:
    target = tmp_path / "t"
    with EdgeStore(target) as t:
        with pytest.raises(ArchiveKeyError, match="wrong key"):
            restore(t, encrypted, key=b"not the key")
        with pytest.raises(ArchiveKeyError, match="no key"):
            restore(t, encrypted)
    assert _no_collections(target)


@pytest.mark.parametrize("where", [0.3, 0.6, 0.999])
def test_flipped_byte_in_encrypted_archive_is_detected(encrypted: Path, tmp_path: Path, where: float) -> None:
    data = bytearray(encrypted.read_bytes())
    data[int(len(data) * where)] ^= 0x01
    bad = tmp_path / "bad.pvbak"
    bad.write_bytes(bytes(data))
    target = tmp_path / "t"
    with EdgeStore(target) as t, pytest.raises(ArchiveError, match=r"tampered|corrupted|truncated|damaged"):
        restore(t, bad, key=KEY)
    assert _no_collections(target)


def test_plain_archive_corruption_truncation_and_garbage(archive: Path, tmp_path: Path) -> None:
    data = archive.read_bytes()
    cases = {
        "flip": data[: len(data) // 2] + bytes([data[len(data) // 2] ^ 0x40]) + data[len(data) // 2 + 1 :],
        "cut": data[: len(data) - 100],
        "tail": data + b"x",
        "not": b"hello world" * 10,
    }
    for label, blob in cases.items():
        p = tmp_path / f"{label}.pvbak"
        p.write_bytes(blob)
        target = tmp_path / f"t-{label}"
        with EdgeStore(target) as t, pytest.raises(ArchiveError):
            restore(t, p)
        assert _no_collections(target), label


def test_reordered_encrypted_frames_are_detected(source: Path, tmp_path: Path) -> None:
    import struct

    from planvec.ops import archive as fmt

    out = tmp_path / "small.pvbak"
    with EdgeStore(source, read_only=True) as s:
        backup(s, out, ["roadmap_sections"], KEY, batch=50)
    data = out.read_bytes()
    pos = len(fmt.MAGIC) + 4 + fmt.SALT_BYTES + 3 + 16
    frames = []
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos : pos + 4])
        frames.append(data[pos : pos + 5 + n])
        pos += 5 + n
    head = data[: len(fmt.MAGIC) + 4 + fmt.SALT_BYTES + 3 + 16]
    swapped = [*frames[:2], frames[3], frames[2], *frames[4:]]
    dropped = frames[:-1]
    for label, fr in (("swap", swapped), ("drop", dropped)):
        p = tmp_path / f"{label}.pvbak"
        p.write_bytes(head + b"".join(fr))
        with pytest.raises(ArchiveError):
            verify_archive(p, KEY)


def test_model_mismatch_refused_unless_reembed(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "t"
    with EdgeStore(target) as t, pytest.raises(DimensionMismatch, match=r"--reembed|configured model"):
        restore(t, archive, model=("another/model", 768))
    assert _no_collections(target)


def test_existing_collection_is_refused_then_replaced(archive: Path, tmp_path: Path) -> None:
    target = tmp_path / "t"
    with EdgeStore(target) as t:
        restore(t, archive, collections=["roadmap_sections"])
        t.delete("roadmap_sections", [p.id for p in list(t.scroll("roadmap_sections", fields=[]))[:10]])
        with pytest.raises(MigrationError, match="already exists"):
            restore(t, archive, collections=["roadmap_sections"])
        restore(t, archive, collections=["roadmap_sections"], replace=True)
        assert t.count("roadmap_sections") == 300


def test_backup_to_a_failing_path_leaves_nothing(source: Path, tmp_path: Path) -> None:
    with EdgeStore(source, read_only=True) as s, pytest.raises(Exception, match=r"missing-dir|No such"):
        backup(s, tmp_path / "missing-dir" / "x.pvbak")
    assert not any(n.startswith(".x.pvbak") for n in os.listdir(tmp_path))
