"""Pure helpers: id prefixes, folding, token splitting, RRF fusion, stable ids."""

from __future__ import annotations

from planvec.engine import rrf_fuse
from planvec.kinds.plans.documents import id_prefixes, split_to_tokens, task_text, word_tokens
from planvec.kinds.plans.records import Task
from planvec.records import point_id
from planvec.store.base import ScoredHit


def test_id_prefixes() -> None:
    assert id_prefixes("1.2.3") == ["1", "1.2", "1.2.3"]
    assert id_prefixes(None) == []


def test_word_tokens_fold_accents() -> None:
    assert word_tokens("Sécurité & Conformité (v19)") == ["securite", "conformite", "v19"]


def test_split_to_tokens_respects_limit() -> None:
    def count(t: str) -> int:  # one token per word + 2 special tokens
        return len(t.split()) + 2

    text = "\n".join(" ".join(f"w{i}_{j}" for j in range(30)) for i in range(10))
    chunks = split_to_tokens(text, count, 64)
    assert all(count(c) <= 64 for c in chunks)
    assert " ".join(chunks).split() == text.split()
    huge = " ".join(f"x{j}" for j in range(500))
    chunks = split_to_tokens(huge, count, 100)
    assert all(count(c) <= 100 for c in chunks) and " ".join(chunks).split() == huge.split()


def test_task_text_variants() -> None:
    t = Task(
        file="a.md",
        line=3,
        title="Add TTL",
        status="pending",
        depth=1,
        section=("Plan", "Cache"),
        anchor="1.1",
    )
    assert task_text(t, None, "title") == "Add TTL"
    assert task_text(t, None, "title_section") == "Add TTL (Cache)"
    assert task_text(t, "LRU cache", "context") == "Cache > LRU cache: Add TTL"


def test_rrf_fuse_orders_by_both_lists() -> None:
    a = [ScoredHit("x", 0.9, {}), ScoredHit("y", 0.8, {})]
    b = [ScoredHit("y", 3.0, {}), ScoredHit("z", 2.0, {})]
    fused = rrf_fuse([a, b])
    assert [h.id for h in fused] == ["y", "x", "z"]
    assert 0 < fused[-1].score < fused[0].score <= 1.0


def test_point_id_is_stable_and_distinct() -> None:
    assert point_id("roadmap_tasks", "/r/a.md", "1.2") == point_id("roadmap_tasks", "/r/a.md", "1.2")
    assert point_id("roadmap_tasks", "/r/a.md", "1.2") != point_id("roadmap_sections", "/r/a.md", "1.2")
    assert point_id("roadmap_tasks", "/r/a.md", "1.2") != point_id("roadmap_tasks", "/s/a.md", "1.2")
