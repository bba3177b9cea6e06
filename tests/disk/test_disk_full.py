"""A full disk: writes are refused with a clear error (exit 1, HTTP 507) before they start, reads
go on, and nothing dies of SIGBUS (Qdrant Edge writes through memory maps)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from disk_helpers import TINY_PLAN, copy_sparse, fill, planvec

from serving import serve_env, served

MIB = 1 << 20


def assert_clear_disk_error(r: subprocess.CompletedProcess[str]) -> None:
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])  # (-7: killed by SIGBUS)
    assert "not enough disk space" in r.stderr and "hint:" in r.stderr, r.stderr[-2000:]
    assert "Traceback" not in r.stderr


def test_index_on_a_tiny_tmpfs_is_refused_clearly(tmpfs: Callable[[int], Path], tiny_plans: Path) -> None:
    disk = tmpfs(8)
    r = planvec("--data-dir", str(disk / "data"), "index", str(tiny_plans))
    assert_clear_disk_error(r)
    assert "PLANVEC_DISK_RESERVE_MB" in r.stderr
    r = planvec("--data-dir", str(disk / "data"), "collections", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == []


def test_full_disk_refuses_the_write_and_keeps_the_index_usable(
    tmpfs: Callable[[int], Path], tiny_home: Path, plans_copy: Path, tiny_plans: Path
) -> None:
    disk = tmpfs(256)
    home = copy_sparse(tiny_home, disk / "data")
    env = {"PLANVEC_HOME": str(home), "PLANVEC_DISK_RESERVE_MB": "1"}
    assert planvec("search", "zorglub", env=env).returncode == 0  # (loaded once: its pages are taken)
    fill(disk, leave_bytes=2 * MIB)
    r = planvec("index", str(plans_copy), str(tiny_plans), env=env)  # ~600 more tasks: ~5 MB
    assert_clear_disk_error(r)
    r = planvec("search", "zorglub", "--json", env=env)
    assert r.returncode == 0, r.stderr
    assert any("zorglub" in h["title"] for h in json.loads(r.stdout))
    r = planvec("collections", "--json", env=env)
    assert r.returncode == 0, r.stderr
    counts = {c["name"]: c["points"] for c in json.loads(r.stdout)}
    assert counts["roadmap_tasks"] == 3
    r = planvec("check", str(tiny_plans), "--json", "--no-report", env=env)
    assert r.returncode == 0, r.stderr
    r = planvec("diagnose", "--no-report", env=env)
    assert r.returncode in (0, 1) and "Traceback" not in r.stderr, (r.returncode, r.stderr[-2000:])


def test_reads_work_on_a_completely_full_disk(tmpfs: Callable[[int], Path], tiny_home: Path) -> None:
    disk = tmpfs(256)
    home = copy_sparse(tiny_home, disk / "data")
    fill(disk)  # not even room for Qdrant Edge to load the shard there
    env = {"PLANVEC_HOME": str(home)}
    r = planvec("search", "zorglub", "--json", env=env)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    assert any("zorglub" in h["title"] for h in json.loads(r.stdout))
    r = planvec("collections", env=env)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])


@pytest.fixture
def full_disk_server(
    tmpfs: Callable[[int], Path], tiny_home: Path, tmp_path: Path
) -> Iterator[tuple[str, Path, subprocess.Popen[bytes]]]:
    disk = tmpfs(256)
    home = copy_sparse(tiny_home, disk / "data")
    docs = tmp_path / "docs"
    env = serve_env(
        home=home,
        documents_root=docs,
        index_paths=docs,
        keys_file=tmp_path / "keys.json",
        audit_log=tmp_path / "audit.jsonl",
        disk_reserve_mb="1",
    )
    with served(env, tmp_path / "serve.log") as srv:
        yield srv.url, disk, srv.proc


def test_service_answers_507_on_a_write_and_goes_on_searching(
    full_disk_server: tuple[str, Path, subprocess.Popen[bytes]],
) -> None:
    url, disk, proc = full_disk_server
    with httpx.Client(base_url=url, timeout=60) as c:
        assert c.get("/api/v1/search", params={"q": "zorglub"}).status_code == 200
        fill(disk, leave_bytes=MIB // 2)
        plan = TINY_PLAN.replace("zorglub", "brouzouf")
        r = c.put("/api/v1/documents/plein.md", params={"wait": 60}, json={"content": plan})
        assert r.status_code == 507, r.text
        err = r.json()["error"]
        assert err["code"] == "insufficient_storage"
        assert "not enough disk space" in err["message"] and err["hint"]
        for _ in range(3):
            r = c.get("/api/v1/search", params={"q": "zorglub"})
            assert r.status_code == 200, r.text
            assert any("zorglub" in h["title"] for h in r.json()["hits"])
    assert proc.poll() is None
