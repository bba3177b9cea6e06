"""A read-only data directory (a read-only mount): the read-only commands work on it, a write is
one clear error."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from disk_helpers import planvec


def test_read_only_commands_work_on_a_read_only_mount(
    read_only_view: Callable[[Path], Path], tiny_home: Path, tiny_plans: Path, tmp_path: Path
) -> None:
    home = read_only_view(tiny_home)
    env = {"PLANVEC_HOME": str(home)}
    r = planvec("search", "zorglub", "--json", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert any("zorglub" in h["title"] for h in json.loads(r.stdout))
    r = planvec("collections", "--json", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert {c["name"]: c["points"] for c in json.loads(r.stdout)}["roadmap_tasks"] == 3
    out = tmp_path / "backup.tar"
    r = planvec("backup", "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert out.stat().st_size > 0
    r = planvec("check", str(tiny_plans), "--no-report", env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert not list(home.rglob("*.tmp")) and not (home / ".readers").exists()


def test_writing_to_a_read_only_mount_is_one_clear_error(
    read_only_view: Callable[[Path], Path], tiny_home: Path, tiny_plans: Path
) -> None:
    home = read_only_view(tiny_home)
    r = planvec("index", str(tiny_plans), env={"PLANVEC_HOME": str(home)})
    assert r.returncode == 1, r.stderr[-2000:]
    assert "cannot write to the data directory" in r.stderr and "read-only" in r.stderr.lower()
    assert "hint:" in r.stderr and "Traceback" not in r.stderr
