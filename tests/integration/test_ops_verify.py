"""verify and diagnose on real stores (EdgeStore and ServerStore(:memory:)): each injected vector or
collection fault is found exactly, fix repairs it, verify then passes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from ops_faults import TASKS, by_title, raw_write_vector

from planvec.engine import Engine
from planvec.errors import CollectionNotFound, UsageError
from planvec.ops.diagnose import diagnose
from planvec.ops.reports import write_reports
from planvec.ops.verify import Probe, Thresholds, load_probes, verify
from planvec.settings import Settings
from planvec.wiring import store_from_settings


def problem_codes(report) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.code for p in report.problems]


def test_clean_collection_passes(eng: Engine) -> None:
    r = eng.verify()
    assert r.ok, r.problems
    assert (r.points, r.scanned, r.sample, r.self_hits) == (TASKS, TASKS, TASKS, TASKS)
    # the two identical "Review the firewall rules" tasks share one vector: a tie, not a miss,
    # and not "identical vectors on different texts"
    assert r.self_retrieval == 1.0 and r.identical == [] and r.misses == []
    assert r.drifted == [] and r.min_cosine is not None and r.min_cosine > 0.9999
    assert len(r.probes) == 3 and all(p.passed for p in r.probes)


def test_nan_vector_is_found_and_fixed(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    p = by_title(eng, "Cache query embeddings in memory")
    bad = np.full(384, 0.05, dtype=np.float32)
    bad[7] = np.nan
    raw_write_vector(eng, coll, p.id, bad)
    r = eng.verify()
    assert r.non_finite == [p.id]
    assert (r.zero, r.not_normalised, r.identical, r.wrong_dimension) == ([], [], [], [])
    assert not r.ok
    # qdrant-client local mode ranks a NaN vector first for every query: self-retrieval then
    # fails, each miss naming the NaN point; Qdrant Edge ranks it last
    assert all(m["top"] == p.id for m in r.misses)
    assert problem_codes(r) == (["non_finite", "self_retrieval"] if r.misses else ["non_finite"])
    assert r.sample == TASKS - 1  # the NaN point is not sampled
    fixed = eng.fix()  # no PATH needed: re-embedded from the stored text
    assert [(a.kind, a.count) for a in fixed.actions] == [("reembed", 1)]
    assert eng.verify().ok
    assert eng.check([plans]).ok
    assert eng.fix([plans]).nothing_to_fix


def test_zero_vector_is_found(eng: Engine) -> None:
    coll = eng.settings.tasks_collection
    p = by_title(eng, "Rotate the API keys monthly")
    raw_write_vector(eng, coll, p.id, np.zeros(384, dtype=np.float32))
    r = eng.verify()
    assert (r.zero, r.non_finite) == ([p.id], [])
    assert problem_codes(r) == ["zero"]
    eng.fix()
    assert eng.verify().ok


def test_one_vector_on_two_texts_is_found(eng: Engine) -> None:
    coll = eng.settings.tasks_collection
    a = by_title(eng, "Back up the database every night")
    b = by_title(eng, "Audit the access logs")
    assert a.vector is not None
    raw_write_vector(eng, coll, b.id, a.vector)
    r = eng.verify()
    assert [sorted(g) for g in r.identical] == [sorted([a.id, b.id])]
    # b's vector is no longer the embedding of its text: drift on exactly that point
    assert [d["id"] for d in r.drifted] == [b.id]
    # and b's text finds a's point first: one self-retrieval miss in 9 (88.9 % < 99 %)
    assert [m["id"] for m in r.misses] == [b.id]
    assert problem_codes(r) == ["identical_vectors", "model_changed", "self_retrieval"]
    fixed = eng.fix()
    assert [a.kind for a in fixed.actions] == ["reembed_all"]
    assert eng.verify().ok


def test_drift_is_model_changed(eng: Engine) -> None:
    coll = eng.settings.tasks_collection
    p = by_title(eng, "(MVP) Write the migration guide for operators")
    other = eng.embedder.embed(["a completely unrelated sentence about gardening"])[0]
    raw_write_vector(eng, coll, p.id, other)
    r = eng.verify(thresholds=Thresholds(min_cosine=0.999))
    assert [d["id"] for d in r.drifted] == [p.id]
    assert "model_changed" in problem_codes(r)
    assert "planvec" in (r.problems[0].fix or "") and " fix " in (r.problems[0].fix or "")
    assert eng.verify(sample=0).drifted == []  # no sample, no drift check
    eng.fix()
    r2 = eng.verify()
    assert r2.ok and r2.min_cosine is not None and r2.min_cosine > 0.9999


def test_faked_model_in_collection_meta(eng: Engine, plans: Path) -> None:
    coll = eng.settings.tasks_collection
    eng.store.set_meta(coll, {"model": "someone/other-model"})
    assert problem_codes(eng.verify()) == ["model_mismatch"]
    d = eng.diagnose()
    assert [p.code for p in d.problems if p.severity == "error"] == ["model_mismatch"]
    fix_cmd = next(p.fix for p in d.problems if p.code == "model_mismatch")
    assert fix_cmd is not None and fix_cmd.endswith(f"fix {plans.resolve()} --yes")
    fixed = eng.fix()
    assert [(a.kind, a.count) for a in fixed.actions] == [("reembed_all", TASKS)]
    assert eng.store.collection_info(coll).model == eng.embedder.model_id  # type: ignore[union-attr]
    assert eng.verify().ok and eng.diagnose().ok
    assert eng.fix().nothing_to_fix


def test_wrong_dimension_collection(eng: Engine, plans: Path) -> None:
    from planvec.store.base import CollectionSpec, PointData

    coll = eng.settings.tasks_collection
    eng.store.delete_collection(coll)
    eng.store.create_collection(CollectionSpec(name=coll, dimension=8, model="tiny/model-8d"))
    rng = np.random.default_rng(1)
    v = rng.standard_normal((3, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    root = str(plans.resolve())
    old = [
        PointData(f"00000000-0000-4000-8000-00000000000{i}", v[i], {"text": f"task {i}", "root": root})
        for i in range(3)
    ]
    eng.store.upsert(coll, old)
    r = eng.verify()
    assert problem_codes(r) == ["dimension_mismatch"] and r.sample == 0
    d = eng.diagnose()
    assert [p.code for p in d.problems if p.severity == "error"] == ["dimension_mismatch"]
    info = next(c for c in d.collections if c["name"] == coll)
    assert (info["dimension"], info["points"], info["model"]) == (8, 3, "tiny/model-8d")
    fixed = eng.fix([plans])
    kinds = [(a.kind, a.count) for a in fixed.actions]
    assert kinds == [("recreate", 3), ("add", TASKS)]
    assert eng.store.collection_info(coll).dimension == 384  # type: ignore[union-attr]
    assert eng.check([plans]).ok and eng.verify().ok
    assert eng.fix([plans]).nothing_to_fix


def test_probes_file_and_failing_probe(eng: Engine, tmp_path: Path) -> None:
    f = tmp_path / "probes.toml"
    f.write_text(
        '[[probe]]\ntext = "back up the database"\ncloser = "plant tomatoes in spring"\n'
        'farther = "save a copy of the data store"\n',
        encoding="utf-8",
    )
    probes = load_probes(f)
    assert probes == [
        Probe("back up the database", "plant tomatoes in spring", "save a copy of the data store")
    ]
    r = eng.verify(probes=probes, sample=0)
    assert problem_codes(r) == ["semantic_probe"] and not r.probes[0].passed
    j = tmp_path / "probes.json"
    j.write_text(json.dumps([{"text": "a", "closer": "b"}]), encoding="utf-8")
    with pytest.raises(UsageError):
        load_probes(j)


def test_verify_missing_collection_and_thresholds(eng: Engine) -> None:
    with pytest.raises(CollectionNotFound):
        eng.verify(collection="nope")
    with pytest.raises(UsageError):
        Thresholds(min_self_retrieval=1.5)


def test_verify_report_files(eng: Engine, tmp_path: Path) -> None:
    r = eng.verify()
    jpath, mpath = write_reports("verify", r, tmp_path / "rep")
    data = json.loads(jpath.read_text())
    assert data["ok"] is True and data["summary"]["sample"] == TASKS
    assert "## Semantic probes" in mpath.read_text()


def test_diagnose_clean(eng: Engine, kind: str) -> None:
    d = eng.diagnose()
    assert d.ok, d.problems
    assert d.store["reachable"] is True and d.store["latency_ms"] >= 0
    names = {c["name"]: c for c in d.collections}
    tasks = names[eng.settings.tasks_collection]
    assert (tasks["dimension"], tasks["points"], tasks["missing_payload_indexes"]) == (384, TASKS, [])
    assert d.model["dimension"] == 384
    assert d.disk is not None and d.disk["free_bytes"] > 0
    if kind == "edge":
        assert d.lock is not None and d.lock["held"] == "by this process"
    else:
        assert d.lock is None


def test_diagnose_names_the_lock_holder(tmp_path: Path, embedder, plans: Path) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data"
    with Engine(Settings(data_dir=data), embedder=embedder) as e:
        e.index([plans])
    code = (
        "import sys, time; from planvec.store import EdgeStore; s = EdgeStore(sys.argv[1]); "
        "print('ready', flush=True); time.sleep(60)"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    holder = subprocess.Popen(
        [sys.executable, "-c", code, str(data)], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with Engine(Settings(data_dir=data), embedder=embedder, read_only=True) as e:
            d = e.diagnose()
        assert d.lock is not None and d.lock["writer_pid"] == holder.pid and d.lock["held"] is True
        locked = [p for p in d.problems if p.code == "locked"]
        assert len(locked) == 1 and locked[0].fix is not None and f"kill {holder.pid}" in locked[0].fix
        assert d.store["reachable"] is False
    finally:
        holder.kill()
        holder.wait()
    time.sleep(0.05)
    with Engine(Settings(data_dir=data), embedder=embedder, read_only=True) as e:
        assert e.diagnose().ok


def test_verify_and_diagnose_take_the_store_and_the_model(tmp_path: Path, embedder, plans: Path) -> None:  # type: ignore[no-untyped-def]
    """The operations work on a store and an embedder handed to them, with no Engine."""
    s = Settings(data_dir=tmp_path / "data")
    with Engine(s, embedder=embedder) as e:
        e.index([plans])
    store = store_from_settings(s, read_only=True)
    try:
        v = verify(store, embedder, s, sample=10)
        d = diagnose(s, lambda: store, lambda: embedder)
    finally:
        store.close()
    assert v.ok and v.sample > 0 and v.points == TASKS
    assert d.ok and d.store["reachable"] and d.lock is not None and d.lock["held"] is False
