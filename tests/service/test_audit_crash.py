"""A real ``planvec serve`` killed (SIGKILL) right after a document PUT was accepted: the audit log
keeps the ``accepted`` line written before the work started."""

from __future__ import annotations

import json
import signal
import sys
from pathlib import Path

import httpx
import pytest

from serving import serve_env, served

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _big_plan(tasks: int) -> str:
    lines = ["# Plan de charge", "", "## Phase 1 : tout", ""]
    lines += [f"- [ ] **1.{i}** Tâche numéro {i} du zorglub quantique à indexer" for i in range(tasks)]
    return "\n".join(lines) + "\n"


def test_sigkill_after_accepted_put_leaves_the_accepted_line(tmp_path: Path) -> None:
    home, docs = tmp_path / "home", tmp_path / "docs"
    docs.mkdir()
    env = serve_env(home=home, documents_root=docs, keys_file=tmp_path / "no-keys.json")  # open mode
    with served(env, tmp_path / "serve.log") as srv:
        # wait=0: answered 202 as soon as the job is queued; its embedding takes far longer
        r = httpx.put(
            f"{srv.url}/api/v1/documents/big.md?wait=0",
            content=_big_plan(3000).encode(),
            headers={"Content-Type": "text/markdown", "X-Request-ID": "crash-put-1"},
            timeout=30,
        )
        assert r.status_code == 202, r.text
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(timeout=30)
    proc = srv.proc
    assert proc.returncode == -signal.SIGKILL
    audit = home / "audit.jsonl"
    lines = [json.loads(x) for x in audit.read_text().splitlines()] if audit.exists() else []
    mine = [e for e in lines if e["request_id"] == "crash-put-1"]
    assert [e["outcome"] for e in mine] == ["accepted"], lines
    assert mine[0]["action"] == "documents.put" and mine[0]["target"] == "big.md"
    assert mine[0]["key_id"] == "anonymous" and mine[0]["job_id"] == r.json()["job"]["id"]
