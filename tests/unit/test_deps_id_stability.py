"""Point ids, content hashes and payload hashes of the dependencies kind stay what they were pinned
to (tests/fixtures/deps-ids-v1.json, see tests/fixtures/deps_id_fixture.py)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _load_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("deps_id_fixture", FIXTURES / "deps_id_fixture.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_dependency_ids_and_hashes_match_the_fixture() -> None:
    mod = _load_module()
    pinned = json.loads((FIXTURES / "deps-ids-v1.json").read_text(encoding="utf-8"))
    assert (pinned["root"], pinned["model_key"]) == (mod.ROOT, mod.MODEL_KEY)
    now = mod.compute()
    assert len(now) == len(pinned["points"]) == 19
    changed = [(a, b) for a, b in zip(pinned["points"], now, strict=True) if a != b]
    assert not changed, f"{len(changed)} point(s) differ from the fixture, first: {changed[0]}"


def test_the_sample_has_unique_ids_and_both_copies_of_a_locked_package() -> None:
    rows = _load_module().compute()
    assert len({r["point_id"] for r in rows}) == len(rows)
    debug = [r["version"] for r in rows if r["file"] == "web/package-lock.json" and r["name"] == "debug"]
    assert sorted(debug) == ["2.6.9", "4.3.4"]


def test_the_sample_is_paired_as_an_index_run_pairs_it() -> None:
    """go.sum: only the version go.mod requires is direct, and an ``// indirect`` require stays
    transitive; the manifest's npm dependencies get the locked versions."""
    from planvec.kinds.dependencies import resolve

    mod = _load_module()
    files = {r.path: r.file for _, r in resolve.combine(mod.sample(), None)}
    gosum = {(d.name, d.version): d.direct for d in files["go.sum"].dependencies}
    assert gosum == {
        ("github.com/gin-gonic/gin", "v1.10.0"): False,
        ("github.com/gin-gonic/gin", "v1.10.1"): True,
        ("golang.org/x/net", "v0.41.0"): False,
    }
    web = {d.name: d.version for d in files["web/package.json"].dependencies}
    assert web == {"axios": "1.6.2", "@types/node": "20.1.0", "fsevents": "2.3.3"}
