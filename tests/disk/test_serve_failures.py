"""``planvec serve`` that cannot start (port in use, data directory locked by another writer,
read-only data directory): one error line and its hint, exit code 1, no traceback, and never
"serving on" (a real ``planvec serve`` subprocess)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from planvec.store.edge import EdgeStore
from serving import free_port, serve_cmd, serve_env, stderr_lines

SERVE_TIMEOUT = 120


def serve(home: Path, port: int, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = serve_env(home=home, keys_file=tmp_path / "keys.json", audit_log=tmp_path / "audit.jsonl")
    return subprocess.run(
        serve_cmd("127.0.0.1", port),
        capture_output=True,
        text=True,
        timeout=SERVE_TIMEOUT,
        env=env,
    )


def assert_one_error(r: subprocess.CompletedProcess[str], *words: str) -> None:
    text = r.stdout + r.stderr
    assert r.returncode == 1, (r.returncode, text[-3000:])
    assert "Traceback" not in text and "serving on" not in text, text[-3000:]
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 2 and lines[0].startswith("error: ") and lines[1].startswith("  hint: "), lines
    for w in words:
        assert w in lines[0], lines


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield int(s.getsockname()[1])


def test_port_in_use(busy_port: int, tiny_home: Path, tmp_path: Path) -> None:
    r = serve(tiny_home, busy_port, tmp_path)
    assert_one_error(r, "cannot listen on", str(busy_port), "in use")


def test_data_dir_locked_by_another_writer(tiny_home: Path, tmp_path: Path) -> None:
    with EdgeStore(tiny_home):  # this process is the writer
        r = serve(tiny_home, free_port(), tmp_path)
    assert_one_error(r, "locked by another writer", str(os.getpid()))


def test_read_only_data_dir(read_only_view: Callable[[Path], Path], tiny_home: Path, tmp_path: Path) -> None:
    r = serve(read_only_view(tiny_home), free_port(), tmp_path)
    assert_one_error(r, "cannot write to the data directory", "Read-only file system")


def test_serving_on_is_said_once_the_port_answers(tiny_home: Path, tmp_path: Path) -> None:
    """``--port 0``: the line names the port the kernel chose, and that port answers at once."""

    import httpx

    env = serve_env(home=tiny_home, keys_file=tmp_path / "keys.json")
    proc = subprocess.Popen(
        serve_cmd("127.0.0.1", 0),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    lines = stderr_lines(proc)
    try:
        seen = []
        while True:
            line = lines.get(timeout=SERVE_TIMEOUT)
            seen.append(line)
            if "serving on" in line:
                break
        url = line.split("serving on ")[1].split()[0].rstrip("/")
        assert not url.endswith(":0"), seen
        assert httpx.get(f"{url}/healthz", timeout=10).status_code == 200
        assert "Traceback" not in "".join(seen)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
