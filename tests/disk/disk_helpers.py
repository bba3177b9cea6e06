"""Helpers of the disk tests: mounting, filling a disk, copying a data directory, running the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CLI_TIMEOUT = 180
TINY_PLAN = """# Plan disque

## Phase 1 : stockage

- [ ] **1.1** Surveiller l'espace disque du zorglub P1 MVP
- [x] **1.2** Documenter le quota du zorglub
- [ ] **1.3** Alerter quand le volume du zorglub est plein
"""


def mount(args: list[str]) -> str | None:
    """None when it worked, else why not."""
    if shutil.which("mount") is None:
        return "no mount command"
    try:
        r = subprocess.run(["mount", *args], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return str(e)
    return None if r.returncode == 0 else (r.stderr.strip() or f"mount exited {r.returncode}")


def fill(disk: Path, leave_bytes: int = 0) -> Path:
    """Take the free space of ``disk`` but ``leave_bytes`` (a file that holds blocks, not holes)."""
    st = os.statvfs(disk)
    free = st.f_bavail * st.f_frsize
    ballast = disk / "ballast"
    with open(ballast, "wb") as f:
        if free > leave_bytes:
            os.posix_fallocate(f.fileno(), 0, free - leave_bytes)
    return ballast


def copy_sparse(src: Path, dst: Path) -> Path:
    """Copy a data directory keeping the holes of Qdrant's files (a plain copy fills them)."""
    subprocess.run(["cp", "-a", "--sparse=always", str(src), str(dst)], check=True, timeout=120)
    (dst / ".lock").unlink(missing_ok=True)
    return dst


def planvec(
    *args: str, env: dict[str, str] | None = None, timeout: float = CLI_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess: a SIGBUS there shows as exit code -7 (135 from a shell)."""
    return subprocess.run(
        [sys.executable, "-m", "planvec", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )
