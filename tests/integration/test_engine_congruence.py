"""The same index + search scenario through Engine on EdgeStore and on ServerStore(:memory:)."""

from __future__ import annotations

from pathlib import Path

from planvec.engine import Engine, SearchFilters
from planvec.settings import Settings
from planvec.store import open_store

QUERIES = ["migrate python vectorization scripts to go", "cache TTL", "tests unitaires", "qdrant client"]


def _run(settings: Settings, embedder, plans: Path, url: str | None):  # type: ignore[no-untyped-def]
    store = open_store(settings.data_dir, url)
    with Engine(settings, embedder=embedder, store=store) as eng:
        first = eng.index([plans])
        second = eng.index([plans])
        results = {}
        for q in QUERIES:
            for mode in ("dense", "keyword", "hybrid"):
                hits = eng.search(q, limit=10, mode=mode)  # type: ignore[arg-type]
                results[(q, mode)] = [(h.point_id, round(h.score, 3)) for h in hits]
            flt = eng.search(q, SearchFilters(status="pending", task_id_prefix="1"), limit=5, mode="dense")
            results[(q, "filtered")] = [h.point_id for h in flt]
        counts = {c.name: c.points for c in eng.collections()}
    return first, second, results, counts


def test_edge_and_server_memory_agree(tmp_path: Path, plans_copy: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    e1, e2, er, ec = _run(Settings(data_dir=tmp_path / "edge"), embedder, plans_copy, None)
    s1, s2, sr, sc = _run(Settings(data_dir=tmp_path / "srv"), embedder, plans_copy, ":memory:")
    assert (e1.added, e1.embedded, e1.tasks) == (s1.added, s1.embedded, s1.tasks)
    assert e2.embedded == s2.embedded == 0
    assert ec == sc
    for key in er:
        if key[1] == "filtered":
            assert er[key] == sr[key], key
        else:
            # Same ranking, scores equal to 3 decimals (float32 on both sides). Identical texts score
            # the same, and stores may order such ties differently: compare the ids of each tie
            # group as a set, except the last group, which the limit may cut anywhere.
            assert [s for _, s in er[key]] == [s for _, s in sr[key]], key
            eg, sg = _tie_groups(er[key]), _tie_groups(sr[key])
            assert eg[:-1] == sg[:-1], key
            assert len(eg[-1]) == len(sg[-1]), key


def _tie_groups(hits: list[tuple[str, float]]) -> list[set[str]]:
    groups: list[set[str]] = []
    last: float | None = None
    for pid, score in hits:
        if score != last:
            groups.append(set())
            last = score
        groups[-1].add(pid)
    return groups or [set()]
