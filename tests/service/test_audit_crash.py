"""A real ``planvec serve`` killed (SIGKILL) right after a document PUT was accepted: the audit log
keeps the ``accepted`` line written before the work started."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _big_plan(tasks: int) -> str:
    lines = ["# Plan de charge", "", "## Phase 1 : tout", ""]
    lines += [f"- [ ] **1.{i}** Tâche numéro {i} du zorglub quantique à indexer" for i in range(tasks)]
    return "\n".join(lines) + "\n"


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"planvec serve did not start:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def test_sigkill_after_accepted_put_leaves_the_accepted_line(tmp_path: Path) -> None:
    home, docs = tmp_path / "home", tmp_path / "docs"
    docs.mkdir()
    port = _free_port()
    env = {
        **os.environ,
        "PLANVEC_HOME": str(home),
        "PLANVEC_DOCUMENTS_ROOT": str(docs),
        "PLANVEC_KEYS_FILE": str(tmp_path / "no-keys.json"),  # open mode, loopback
    }
    env.pop("PLANVEC_API_KEYS", None)
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "planvec", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc, log)
        # wait=0: answered 202 as soon as the job is queued; its embedding takes far longer
        r = httpx.put(
            f"{url}/api/v1/documents/big.md?wait=0",
            content=_big_plan(3000).encode(),
            headers={"Content-Type": "text/markdown", "X-Request-ID": "crash-put-1"},
            timeout=30,
        )
        assert r.status_code == 202, r.text
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    audit = home / "audit.jsonl"
    lines = [json.loads(x) for x in audit.read_text().splitlines()] if audit.exists() else []
    mine = [e for e in lines if e["request_id"] == "crash-put-1"]
    assert [e["outcome"] for e in mine] == ["accepted"], lines
    assert mine[0]["action"] == "documents.put" and mine[0]["target"] == "big.md"
    assert mine[0]["key_id"] == "anonymous" and mine[0]["job_id"] == r.json()["job"]["id"]
