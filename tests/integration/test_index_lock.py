"""The per-root Redis index lock, with a real redis-server: a second run on a root waits for the
first, or fails with a clear error when it waits too long; the CLI and the HTTP job say so."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
import redis
from fastapi.testclient import TestClient

from planvec.cli import main
from planvec.embedding.cache import redis_client
from planvec.engine import Engine
from planvec.errors import IndexLockedError
from planvec.service.app import create_app
from planvec.settings import Settings
from planvec.sync.lock import RootLocks, lock_key

FILE = "plan-dev-v31-migration-mcp-manager.md"


@pytest.fixture
def plans(tmp_path: Path, corpus_dir: Path) -> Path:
    dst = tmp_path / "plans"
    dst.mkdir()
    shutil.copy(corpus_dir / FILE, dst / FILE)
    return dst


def _other_replica(url: str, root: Path, ttl: float = 30) -> RootLocks:
    """The lock as another process (another replica) holds it: its own client and token."""
    locks = RootLocks(redis_client(url), [root.resolve().as_posix()], ttl=ttl, wait=0)
    locks.acquire()
    return locks


def test_a_second_run_waits_for_the_first(embedder: Any, plans: Path, tmp_path: Path, redis_url: str) -> None:
    other = _other_replica(redis_url, plans)
    s = Settings(data_dir=tmp_path / "data", redis_url=redis_url, index_lock_wait=120)
    result: dict[str, Any] = {}
    with Engine(s, embedder=embedder) as eng:
        run = threading.Thread(target=lambda: result.setdefault("report", eng.index([plans])))
        run.start()
        run.join(timeout=1.0)
        assert run.is_alive() and "report" not in result  # waiting for the lock
        other.release()
        run.join(timeout=120)
    assert result["report"].added > 0
    assert redis.Redis.from_url(redis_url).get(lock_key(plans.resolve().as_posix())) is None  # released


def test_two_concurrent_runs_on_one_root_run_one_after_the_other(
    embedder: Any, plans: Path, tmp_path: Path, redis_url: str
) -> None:
    reports: list[Any] = []
    errors: list[BaseException] = []
    events: list[str] = []  # which run made progress, in order

    def run(name: str) -> None:
        s = Settings(data_dir=tmp_path / name, redis_url=redis_url, index_lock_wait=300)
        try:
            with Engine(s, embedder=embedder) as eng:
                reports.append(eng.index([plans], progress=lambda *_: events.append(name)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert errors == [] and len(reports) == 2
    assert all(r.added > 0 for r in reports)
    first = events[0]
    switch = events.index("b" if first == "a" else "a")
    assert set(events[switch:]) == {events[switch]}  # never interleaved: the second waited


def test_waiting_too_long_is_a_clear_error(
    embedder: Any, plans: Path, tmp_path: Path, redis_url: str
) -> None:
    other = _other_replica(redis_url, plans)
    s = Settings(data_dir=tmp_path / "data", redis_url=redis_url, index_lock_wait=0.3)
    with Engine(s, embedder=embedder) as eng, pytest.raises(IndexLockedError) as caught:
        eng.index([plans])
    assert "being indexed by another process" in caught.value.message and other.token in caught.value.message
    assert caught.value.hint and "PLANVEC_INDEX_LOCK_WAIT" in caught.value.hint
    other.release()


def test_the_lease_is_renewed_while_the_run_lasts(redis_url: str, plans: Path) -> None:
    locks = RootLocks(redis_client(redis_url), [plans.as_posix()], ttl=1.0, wait=0)
    locks.acquire()
    client = redis.Redis.from_url(redis_url)
    key = lock_key(plans.as_posix())
    try:
        for _ in range(4):  # well past the 1 s lease
            threading.Event().wait(0.5)
            assert client.get(key) == locks.token.encode()
    finally:
        locks.release()
    assert client.get(key) is None


def test_release_never_deletes_another_holders_lock(redis_url: str, plans: Path) -> None:
    locks = RootLocks(redis_client(redis_url), [plans.as_posix()], ttl=30, wait=0)
    locks.acquire()
    client = redis.Redis.from_url(redis_url)
    key = lock_key(plans.as_posix())
    client.set(key, b"someone-else")  # our lease expired and another run took the root
    locks.release()
    assert client.get(key) == b"someone-else"


def test_cli_index_says_the_root_is_locked(
    capsys: pytest.CaptureFixture[str], plans: Path, tmp_path: Path, redis_url: str, monkeypatch: Any
) -> None:
    monkeypatch.setenv("PLANVEC_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PLANVEC_REDIS_URL", redis_url)
    monkeypatch.setenv("PLANVEC_INDEX_LOCK_WAIT", "0.2")
    other = _other_replica(redis_url, plans)
    code = main(["index", str(plans)])
    err = capsys.readouterr().err
    assert code == 1
    assert "being indexed by another process" in err and "PLANVEC_INDEX_LOCK_WAIT" in err
    assert "Traceback" not in err
    other.release()
    assert main(["index", str(plans)]) == 0


def test_http_index_job_answers_409_index_locked(
    embedder: Any, plans: Path, tmp_path: Path, redis_url: str
) -> None:
    s = Settings(
        data_dir=tmp_path / "data",
        redis_url=redis_url,
        index_lock_wait=0.2,
        index_paths=(plans,),
        open_mode=True,
    )
    other = _other_replica(redis_url, plans)
    app = create_app(s, embedder=embedder)
    with TestClient(app, base_url="http://127.0.0.1:8080", client=("127.0.0.1", 50000)) as client:
        r = client.post("/api/v1/index", json={}, params={"wait": 30})
        body = r.json()
        assert r.status_code == 409, body
        assert body["error"]["code"] == "index_locked"
        other.release()
        r = client.post("/api/v1/index", json={}, params={"wait": 60})
        assert r.status_code == 200, r.json()
