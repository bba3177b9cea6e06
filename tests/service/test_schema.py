"""Schemathesis against the OpenAPI schema: generated requests to every operation, never a 5xx.

Bounded: a few examples per operation. Requests carry an admin key so that they reach the handlers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from planvec.service import create_app
from planvec.service.keys import KeyStore
from planvec.settings import Settings

from .conftest import copy_home, service_settings

ADMIN: dict[str, str] = {}

# the schema does not depend on settings: take it from an app that is never started
schema = schemathesis.openapi.from_dict(create_app(Settings(qdrant_url=":memory:")).openapi())


@pytest.fixture(scope="module")
def st_app(tmp_path_factory: pytest.TempPathFactory, indexed_corpus: Path, embedder) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """The app under test (schemathesis starts its lifespan on the first call, and stops it here)."""
    from schemathesis.python import asgi

    base = tmp_path_factory.mktemp("schemathesis")
    dirs = {"home": copy_home(indexed_corpus, base / "home")}
    for k in ("docs", "imports", "plans"):
        dirs[k] = base / k
        dirs[k].mkdir()
    (dirs["plans"] / "p.md").write_text("# P\n\n- [ ] **1.1** une tâche\n", encoding="utf-8")
    _, ADMIN["key"] = KeyStore(dirs["home"] / "api_keys.json").create("fuzz", "admin")
    yield create_app(service_settings(dirs, job_wait_seconds=10.0), embedder=embedder)
    asgi.shutdown_lifespans()


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case, st_app: object) -> None:
    response = case.call(app=st_app, headers={"X-API-Key": ADMIN["key"]})
    assert response.status_code < 500, (case.method, case.formatted_path, response.text[:500])
    if response.status_code >= 400 and case.path.startswith("/api/"):
        err = response.json()["error"]
        assert err["code"] and err["message"] and err["request_id"]
