"""Point ids, content hashes and payload hashes stay what planvec 0.1.0 computed.

A change here means every user's index re-embeds (content hash) or rewrites payloads (payload hash)
or, worse, deletes and re-adds every point (point id). See tests/fixtures/id_fixture.py.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _load_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("id_fixture", FIXTURES / "id_fixture.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_ids_and_hashes_match_the_previous_release(corpus_dir: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    mod = _load_module()
    pinned = json.loads((FIXTURES / "ids-v0.1.0.json").read_text(encoding="utf-8"))
    assert pinned["files"] == list(mod.SAMPLE)
    now = mod.compute(corpus_dir, embedder)
    assert len(now) == len(pinned["points"]) > 300
    changed = [(a, b) for a, b in zip(pinned["points"], now, strict=True) if a != b]
    assert not changed, f"{len(changed)} point(s) differ from 0.1.0, first: {changed[0]}"
