"""What the benchmarks that drive a real ``planvec serve`` share: a free loopback port, and waiting
until the server answers ``/readyz``."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float, failure: str) -> None:
    """Return once ``url``/readyz answers 200; exit with ``failure`` when the server exits first or
    is not ready within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(failure)
        time.sleep(0.3)
