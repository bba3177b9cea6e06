"""Fixtures for the disk tests: small tmpfs mounts and read-only bind mounts (both need the right to
mount: the tests skip with a message where it is not granted), and a tiny indexed plan."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from disk_helpers import TINY_PLAN, mount


@pytest.fixture
def mounts() -> Iterator[list[Path]]:
    """Mount points to unmount at teardown, last first."""
    done: list[Path] = []
    yield done
    for m in reversed(done):
        subprocess.run(["umount", "-l", str(m)], capture_output=True, timeout=30)


@pytest.fixture
def tmpfs(tmp_path: Path, mounts: list[Path]) -> Callable[[int], Path]:
    """``tmpfs(size_mb)``: a fresh tmpfs of that size, mounted under tmp_path."""

    def make(size_mb: int) -> Path:
        where = tmp_path / f"tmpfs-{len(mounts)}"
        where.mkdir()
        why = mount(["-t", "tmpfs", "-o", f"size={size_mb}m", "tmpfs", str(where)])
        if why:
            pytest.skip(f"cannot mount a tmpfs here ({why}): disk-full tests need the right to mount")
        mounts.append(where)
        return where

    return make


@pytest.fixture
def read_only_view(tmp_path: Path, mounts: list[Path]) -> Callable[[Path], Path]:
    """``read_only_view(dir)``: the same directory seen through a read-only bind mount."""

    def make(src: Path) -> Path:
        where = tmp_path / f"ro-{len(mounts)}"
        where.mkdir()
        why = mount(["--bind", str(src), str(where)])
        if why:
            pytest.skip(f"cannot bind-mount here ({why}): read-only directory tests need the right to mount")
        mounts.append(where)
        why = mount(["-o", "remount,bind,ro", str(where)])
        if why:
            pytest.skip(f"cannot remount read-only here ({why})")
        return where

    return make


@pytest.fixture
def tiny_plans(tmp_path: Path) -> Path:
    d = tmp_path / "tiny-plans"
    d.mkdir()
    (d / "disque.md").write_text(TINY_PLAN, encoding="utf-8")
    return d


@pytest.fixture
def tiny_home(tmp_path: Path, tiny_plans: Path, embedder) -> Path:  # type: ignore[no-untyped-def]
    """A data directory (on the normal disk) holding the tiny plan, indexed."""
    from planvec.engine import Engine
    from planvec.settings import Settings

    home = tmp_path / "tiny-home"
    with Engine(Settings(data_dir=home), embedder=embedder) as eng:
        assert eng.index([tiny_plans]).problems == []
    return home
