"""Service fixtures: an app on a copy of the indexed shared corpus, driven in-process."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from planvec.service import create_app
from planvec.service.state import Service
from planvec.settings import Settings

LOOPBACK = ("127.0.0.1", 50000)
# What a local client sends as Host (the guard refuses names it does not serve, like "testserver").
BASE_URL = "http://127.0.0.1:8080"
SMALL_PLAN = """# Plan de test

## Phase 1 : observabilité

- [ ] **1.1** Configurer le zorglub quantique pour les métriques P1 MVP
- [x] **1.2** Écrire la documentation du zorglub
"""


def copy_home(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    (dst / ".lock").unlink(missing_ok=True)
    return dst


@pytest.fixture(scope="module")
def service_dirs(tmp_path_factory: pytest.TempPathFactory, indexed_corpus: Path) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("service")
    dirs = {
        "home": copy_home(indexed_corpus, base / "home"),
        "docs": base / "docs",
        "imports": base / "imports",
        "plans": base / "plans",
    }
    for k in ("docs", "imports", "plans"):
        dirs[k].mkdir()
    (dirs["plans"] / "small.md").write_text(SMALL_PLAN, encoding="utf-8")
    return dirs


def service_settings(dirs: dict[str, Path], **kw: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": dirs["home"],
        "documents_root": dirs["docs"],
        "import_dir": dirs["imports"],
        "index_paths": (dirs["plans"],),
        "keys_file": dirs["home"] / "api_keys.json",
        "job_wait_seconds": 60.0,
    }
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def make_client(embedder) -> Iterator[Callable[..., TestClient]]:  # type: ignore[no-untyped-def]
    """Start apps (lifespan run) that are all shut down at module end."""
    opened: list[TestClient] = []

    def make(settings: Settings, client: tuple[str, int] = LOOPBACK) -> TestClient:
        c = TestClient(
            create_app(settings, embedder=embedder),
            base_url=BASE_URL,
            client=client,
            raise_server_exceptions=False,
        )
        c.__enter__()
        opened.append(c)
        return c

    yield make
    for c in reversed(opened):
        c.__exit__(None, None, None)


@pytest.fixture(scope="module")
def client(service_dirs: dict[str, Path], make_client: Callable[..., TestClient]) -> TestClient:
    """An open-mode app (no keys) on the indexed shared corpus."""
    return make_client(service_settings(service_dirs))


def service_of(c: TestClient) -> Service:
    svc: Service = c.app.state.svc  # type: ignore[attr-defined]
    return svc
