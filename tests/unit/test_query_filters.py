"""Filters written in a plans query (kinds/plans/query.py)."""

from __future__ import annotations

import pytest

from planvec.kinds.plans.query import understand


@pytest.mark.parametrize(
    ("query", "text", "filters"),
    [
        ("tâches MVP en attente", "", {"status": "pending", "mvp": True}),
        ("P0 terminées", "", {"status": "completed", "priorities": ("P0",)}),
        (
            "pending security tasks in v56",
            "security",
            {"status": "pending", "file_glob": "*v56[!0-9]*"},
        ),
        (
            "rotation des clés p1 et P2 non terminées",
            "rotation des clés et",
            {"status": "pending", "priorities": ("P1", "P2")},
        ),
        ("taches finies du cache redis", "du cache redis", {"status": "completed"}),
        ("completed migration of the cache", "migration of the cache", {"status": "completed"}),
    ],
)
def test_filters_read_from_the_query(query: str, text: str, filters: dict[str, object]) -> None:
    u = understand(query)
    assert (u.text, u.filters) == (text, filters)


@pytest.mark.parametrize(
    "query",
    [
        "rotation des clés secrètes",
        "open a file in the editor",  # words that are not only statuses stay searched
        "ce qui fait planter le cache",
        "done or not done",  # both statuses: no status filter
        "v2 or v3 of the api",  # two versions: no file filter
        "MVPs and prototypes",  # MVP must be a word of its own
        "P5 priority",
    ],
)
def test_no_filter(query: str) -> None:
    u = understand(query)
    assert (u.text, u.filters) == (query, {})


def test_filters_given_explicitly_win() -> None:
    u = understand("P0 terminées du cache", {"status": "pending"})
    assert u.filters == {"priorities": ("P0",)}
    assert "terminées" in u.text  # not a filter here: searched as a word


def test_describe() -> None:
    u = understand("tâches MVP P0 en attente in v56")
    assert u.describe() == "status=pending, priorities=P0, mvp=yes, file=*v56[!0-9]*"
