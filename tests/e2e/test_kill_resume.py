"""A run killed with SIGKILL at any point, then re-run, ends in exactly the files' state."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from planvec.engine import Engine
from planvec.settings import Settings


def _snapshot(data: Path, embedder) -> dict[str, dict[str, tuple[object, object]]]:  # type: ignore[no-untyped-def]
    with Engine(Settings(data_dir=data), embedder=embedder, read_only=True) as eng:
        out = {}
        for c in eng.collections():
            pts = list(eng.store.scroll(c.name, fields=["content_hash", "payload_hash"]))
            ids = [p.id for p in pts]
            assert len(ids) == len(set(ids))
            out[c.name] = {p.id: (p.payload["content_hash"], p.payload["payload_hash"]) for p in pts}
        return out


def _index_cmd(plans: Path, data: Path) -> tuple[list[str], dict[str, str]]:
    env = {**os.environ, "PLANVEC_HOME": str(data)}
    return [sys.executable, "-m", "planvec", "index", str(plans), "--json"], env


@pytest.mark.slow
def test_sigkill_at_many_points_then_rerun_converges(tmp_path: Path, plans_copy: Path, embedder) -> None:  # type: ignore[no-untyped-def]
    ref = tmp_path / "ref"
    with Engine(Settings(data_dir=ref), embedder=embedder) as eng:
        eng.index([plans_copy])
    expected = _snapshot(ref, embedder)
    assert sum(len(v) for v in expected.values()) > 600

    data = tmp_path / "data"
    cmd, env = _index_cmd(plans_copy, data)
    killed = 0
    for delay in (0.5, 1.5, 2.0, 2.5, 3.0, 3.5, 4.5):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(delay)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        proc.wait(timeout=60)
    assert killed >= 3, "the index run finished too fast to be killed mid-way"
    # Edit the files between kills too: one task changed, one file gone.
    f = plans_copy / "plan-dev-v20-observabilite-monitoring.md"
    f.write_text(f.read_text(encoding="utf-8").replace("- [ ]", "- [x]", 1), encoding="utf-8")
    (plans_copy / "plan-dev-v31-migration-mcp-manager.md").unlink()
    proc = subprocess.run(cmd, env=env, capture_output=True, timeout=300)
    assert proc.returncode == 0, proc.stderr.decode()

    ref2 = tmp_path / "ref2"
    with Engine(Settings(data_dir=ref2), embedder=embedder) as eng:
        eng.index([plans_copy])
    assert _snapshot(data, embedder) == _snapshot(ref2, embedder)
