"""A real ``planvec serve`` in a subprocess on a free loopback port, for tests that need the whole
server (uvicorn's HTTP parser, the process's start-up and shut-down, signals).

``served(env, log)`` starts it, waits until ``/readyz`` answers 200 (failing the test with the end of
the server's log when it exits or does not get ready in time) and stops it on the way out.
"""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

START_TIMEOUT = 120.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_env(**settings: str | Path) -> dict[str, str]:
    """This process's environment without its API keys, plus ``PLANVEC_<NAME>`` for each setting."""
    env = {k: v for k, v in os.environ.items() if k != "PLANVEC_API_KEYS"}
    return env | {f"PLANVEC_{k.upper()}": str(v) for k, v in settings.items()}


def serve_cmd(host: str, port: int, *args: str) -> list[str]:
    return [sys.executable, "-m", "planvec", "serve", "--host", host, "--port", str(port), *args]


@dataclass(frozen=True)
class Served:
    url: str
    proc: subprocess.Popen[bytes]
    log: Path

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = START_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"planvec serve did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.3)


def stop(proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """SIGTERM (a graceful shut-down), then SIGKILL if it takes longer than ``timeout``."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=30)


@contextmanager
def served(
    env: dict[str, str], log: Path, *, host: str = "127.0.0.1", args: Sequence[str] = ()
) -> Iterator[Served]:
    """A started server, its stdout and stderr in ``log``; stopped when the block ends."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(serve_cmd(host, port, *args), env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc, log)
        yield Served(url, proc, log)
    finally:
        stop(proc)


def stderr_lines(proc: subprocess.Popen[str]) -> queue.Queue[str]:
    """The lines ``proc`` writes on its stderr (a text pipe), as they come, read by a daemon thread."""
    lines: queue.Queue[str] = queue.Queue()
    stream = proc.stderr
    assert stream is not None, "start the process with stderr=subprocess.PIPE, text=True"
    threading.Thread(target=lambda: [lines.put(ln) for ln in stream], daemon=True).start()
    return lines
