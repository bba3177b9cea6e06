"""Import of the legacy {collection}-backup.json exports (1536-d vectors) and of planvec archives."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import numpy as np
import pytest
from migration_data import fill_edge, make_points

from planvec.engine import Engine
from planvec.errors import DimensionMismatch, UsageError
from planvec.ops.legacy import legacy_uuid
from planvec.settings import Settings
from planvec.store import EdgeStore

TASKS = [
    ("1", "Mettre en place le client Qdrant en Go", "completed", "high", True, "Phase 3 > Client", None),
    ("1.1", "Gérer les reconnexions automatiques au serveur", "pending", "P1", True, "Phase 3 > Client", "1"),
    (
        "2",
        "Migrer le générateur d'embeddings vers Go",
        "in_progress",
        "medium",
        False,
        "Phase 3 > Vectorisation",
        None,
    ),
    (
        "3",
        "Écrire le script de validation de la migration",
        "todo",
        "low",
        False,
        "Phase 5 > Validation",
        None,
    ),
    (
        "4",
        "Sauvegarder les collections existantes en JSON",
        "done",
        "critical",
        True,
        "Phase 1 > Sauvegarde",
        None,
    ),
    (
        "5",
        "Configurer le monitoring Prometheus des temps de réponse",
        "pending",
        "P2",
        False,
        "Monitoring",
        None,
    ),
]


def write_export(path: Path, dim: int = 1536) -> Path:
    rng = np.random.default_rng(0)
    points = []
    for i, (tid, desc, status, prio, mvp, section, parent) in enumerate(TASKS):
        pid: object = i + 1 if i % 2 == 0 else f"task-{tid}"  # ints and non-UUID strings
        payload = {
            "taskId": tid,
            "description": desc,
            "status": status,
            "priority": prio,
            "isMVP": mvp,
            "category": "roadmap",
            "filePath": "projet/roadmaps/plan-dev-v56.md",
            "section": section,
            "parentId": parent,
            "estimatedHours": 4,
        }
        points.append({"id": pid, "vector": rng.standard_normal(dim).tolist(), "payload": payload})
    path.write_text(json.dumps({"collection": "roadmap_tasks", "points": points}), encoding="utf-8")
    return path


def test_1536_d_export_needs_reembed(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    export = write_export(tmp_path / "roadmap_tasks-backup.json")
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as eng:
        with pytest.raises(DimensionMismatch, match="--reembed"):
            eng.import_file(export, "roadmap_tasks")
        assert eng.store.list_collections() == []


def test_reembed_import_maps_fields_and_is_searchable(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    export = write_export(tmp_path / "roadmap_tasks-backup.json")
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as eng:
        report = eng.import_file(export, "legacy_tasks", reembed=True)
        assert report.points == len(TASKS) and report.source_dimension == 1536 and report.dimension == 384
        assert report.format == "legacy-json" and report.mapped_ids == len(TASKS)
        pts = {p.payload["task_id"]: p for p in eng.store.scroll("legacy_tasks", with_vectors=True)}
        p11 = pts["1.1"].payload
        assert p11["title"] == "Gérer les reconnexions automatiques au serveur"
        assert (p11["status"], p11["priority"], p11["is_mvp"]) == ("pending", "P1", True)
        assert p11["section_path"] == ["Phase 3", "Client"] and p11["file"].endswith("plan-dev-v56.md")
        assert p11["parent_task_id"] == "1" and p11["legacy_id"] == "task-1.1"
        assert p11["legacy"] == {"estimatedHours": 4}
        assert pts["1"].id == legacy_uuid(1) == str(uuid.UUID(pts["1"].id))
        assert pts["1"].payload["priority"] == "P1" and pts["4"].payload["status"] == "completed"
        assert pts["2"].payload["status"] == "pending" and pts["4"].payload["priority"] == "P0"
        assert all(
            p.sparse is not None and p.vector is not None and p.vector.shape == (384,) for p in pts.values()
        )
        for mode in ("dense", "keyword", "hybrid"):
            hits = eng.search(
                "surveiller les métriques avec Prometheus", mode=mode, collection="legacy_tasks"
            )
            assert hits and hits[0].task_id == "5", mode
        hits = eng.search("reconnexion client Qdrant", collection="legacy_tasks", limit=2)
        assert {h.task_id for h in hits} <= {"1", "1.1"}


def test_same_dimension_export_keeps_its_vectors(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    export = write_export(tmp_path / "x-backup.json", dim=384)
    data = json.loads(export.read_text())
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as eng:
        report = eng.import_file(export, "legacy")
        assert not report.reembedded and report.points == len(TASKS)
        got = {p.payload["legacy_id"]: p for p in eng.store.scroll("legacy", with_vectors=True)}
    for x in data["points"]:
        v = np.asarray(x["vector"], dtype=np.float32)
        assert np.allclose(got[x["id"]].vector, v / np.linalg.norm(v), atol=1e-6)


def test_malformed_exports_are_refused(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.json"
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as eng:
        for text, match in (
            ("{not json", "valid JSON"),
            ('{"rows": []}', "points"),
            ('{"points": [{}]}', "no id"),
        ):
            bad.write_text(text)
            with pytest.raises(UsageError, match=match):
                eng.import_file(bad, "x", reembed=True)
        assert eng.store.list_collections() == []


def test_import_accepts_a_planvec_archive(tmp_path: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    src = fill_edge(tmp_path / "src", {"roadmap_tasks": make_points(50, seed=11)})
    archive = tmp_path / "a.pvbak"
    with EdgeStore(src, read_only=True) as s:
        from planvec.ops.backup import backup

        backup(s, archive)
    with Engine(Settings(data_dir=tmp_path / "data"), embedder=embedder) as eng:
        report = eng.import_file(archive, "renamed")
        assert report.format == "planvec-archive" and report.points == 50
        assert eng.store.list_collections() == ["renamed"]
