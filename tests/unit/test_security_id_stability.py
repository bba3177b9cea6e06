"""Point ids, content hashes and payload hashes of the security kind's fixture tree stay what they
were when the kind was written: a change re-embeds (content) or rewrites (payload) every user's
security_policies collection, or, for an id, deletes and re-adds it. Regenerate on purpose only:
``PLANVEC_WRITE_FIXTURES=1 pytest tests/unit/test_security_id_stability.py`` (and say so in the
commit)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from planvec.engine import Engine
from planvec.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PINNED = FIXTURES / "security-ids-v1.json"
ROOT = "/planvec-fixture-root"


def compute(embedder: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    with Engine(Settings(qdrant_url=":memory:"), embedder=embedder) as eng:
        parsed = eng.parse([FIXTURES / "security"], kinds=["security"])
        assert parsed.problems == []
        for kf in parsed.kinds:
            kf.parsed = [(ROOT, pf) for _, pf in kf.parsed]
        for collection, docs in eng.build_docs(parsed).items():
            rows.extend(
                {
                    "collection": collection,
                    "file": d.payload["file"],
                    "anchor": d.payload["anchor"],
                    "point_id": d.point_id,
                    "content_hash": d.content_hash,
                    "payload_hash": d.payload_hash,
                }
                for d in docs
            )
    return sorted(rows, key=lambda r: (r["file"], r["anchor"]))


def test_security_ids_and_hashes_are_pinned(embedder) -> None:  # type: ignore[no-untyped-def]
    now = compute(embedder)
    if os.environ.get("PLANVEC_WRITE_FIXTURES") == "1":
        PINNED.write_text(json.dumps({"points": now}, indent=1) + "\n", encoding="utf-8")
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))["points"]
    assert len(now) == len(pinned) >= 21
    changed = [(a, b) for a, b in zip(pinned, now, strict=True) if a != b]
    assert not changed, f"{len(changed)} point(s) differ from the pinned ids/hashes, first: {changed[0]}"
