"""Shared fixtures: the shared corpus, one embedder for the session, engines on temporary stores."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from planvec.engine import Engine
from planvec.settings import Settings

SHARED = Path(os.environ.get("PLANVEC_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")
CORPUS = SHARED / "corpus" / "plans"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS} (set PLANVEC_SHARED_DIR)")
    return CORPUS


@pytest.fixture(scope="session", autouse=True)
def _session_disk_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The disk embedding cache (L3) of this test session, not the user's: a test's vectors never
    reach another run (subprocesses inherit it through the environment)."""
    old = os.environ.get("PLANVEC_CACHE_L3_PATH")
    os.environ["PLANVEC_CACHE_L3_PATH"] = str(tmp_path_factory.mktemp("l3") / "embeddings.sqlite3")
    yield
    if old is None:
        os.environ.pop("PLANVEC_CACHE_L3_PATH", None)
    else:
        os.environ["PLANVEC_CACHE_L3_PATH"] = old


@pytest.fixture(scope="session")
def embedder():  # type: ignore[no-untyped-def]
    """The real model, without the embedding cache: each Engine puts its settings' cache in front."""
    from planvec.wiring import embedder_from_settings

    return embedder_from_settings(Settings(embedder="onnx"), cache=False)


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A real ``redis-server`` of this test alone, on a free loopback port."""
    from redis_server import RedisServer

    with RedisServer.start() as server:
        yield server.url


@pytest.fixture
def make_settings(tmp_path: Path):  # type: ignore[no-untyped-def]
    def make(**kw: object) -> Settings:
        kw.setdefault("data_dir", tmp_path / "data")
        return Settings(**kw)  # type: ignore[arg-type]

    return make


@pytest.fixture
def engine(make_settings, embedder) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    with Engine(make_settings(), embedder=embedder) as eng:
        yield eng


@pytest.fixture(scope="session")
def indexed_corpus(tmp_path_factory, corpus_dir, embedder) -> Path:  # type: ignore[no-untyped-def]
    """A data dir holding the whole shared corpus, indexed once for the session (read it, don't write)."""
    data = tmp_path_factory.mktemp("corpus-index")
    with Engine(Settings(data_dir=data), embedder=embedder) as eng:
        report = eng.index([corpus_dir])
    assert report.problems == []
    return data


@pytest.fixture
def plans_copy(tmp_path: Path, corpus_dir: Path) -> Path:
    """A writable copy of four corpus files (~600 tasks: small enough for edit/kill tests)."""
    dst = tmp_path / "plans"
    dst.mkdir()
    for name in (
        "plan-dev-v18-repo-mgmt.md",
        "plan-dev-v20-observabilite-monitoring.md",
        "plan-dev-v31-migration-mcp-manager.md",
        "plan-dev-v56-go-native-vectorization-migration.md",
    ):
        shutil.copy(corpus_dir / name, dst / name)
    return dst
