"""Fixtures of the index-health tests (test_ops_*): a few small plans indexed on each store.

``kind`` runs a test on EdgeStore and on ServerStore(':memory:'); modules that define their own
``kind`` (the store congruence tests) override it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from ops_faults import write_plans

from planvec.engine import Engine
from planvec.settings import Settings


@pytest.fixture(params=["edge", "server"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def plans(tmp_path: Path) -> Path:
    return write_plans(tmp_path)


@pytest.fixture
def eng(kind: str, tmp_path: Path, embedder, plans: Path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    url = ":memory:" if kind == "server" else None
    with Engine(Settings(data_dir=tmp_path / "data", qdrant_url=url), embedder=embedder) as e:
        e.index([plans])
        yield e
