"""Disk watermark of the embedded store: a write starts only when the disk has room for it.

Qdrant Edge maps its files into memory and writes through the mapping: when the disk is full, the
kernel cannot back a page the engine touches and kills the process with SIGBUS (no error, no
message). So every write is checked *before* it starts: the free space of the data directory's
file system must cover an estimate of what the write needs plus a configurable reserve
(``disk_reserve_mb``, like Elasticsearch's flood-stage watermark). A refused write raises
:class:`DiskFullError`; reads are never refused.

What a write needs (measured on the shared corpus, 384-d vectors with BM25 and a payload of about
1 KB): each point is written twice, once to the WAL and once to a segment, and about 7 KB of disk
per point went to both together; :func:`points_bytes` counts twice the vector, sparse vector and
JSON payload bytes plus 1 KiB of indexes per point. Creating a collection writes its segment files
and payload indexes: 20 MB on tmpfs, 56 MB once loaded (:data:`CREATE_BYTES`).

Loading a shard also touches disk on file systems that back a memory-mapped hole with a new page
when it is *read* (tmpfs, ramfs): Qdrant Edge reads the whole of its mapped files at load, so a
load there needs the size of the holes of the shard's files (:func:`load_bytes`); elsewhere a hole
reads as zeros without taking space and a load writes little (:data:`LOAD_SLACK`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from ..errors import DiskFullError

MIB = 1 << 20
CREATE_BYTES = 64 * MIB
LOAD_SLACK = 4 * MIB
#: A write that changes no vector (payload overwrite, delete, metadata): its WAL record and pages.
SMALL_WRITE_BYTES = 1 * MIB
_PER_POINT_OVERHEAD = 1024
SAMPLE = 32  # payloads serialised to estimate a batch's size
_HOLE_FILLING_FS = {"tmpfs", "ramfs", "hugetlbfs"}


def _existing(path: Path) -> Path:
    """``path`` or its nearest existing parent (what statvfs can ask about)."""
    p = Path(path).absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def free_bytes(path: Path) -> int:
    """Bytes an unprivileged process may still write on the file system holding ``path``."""
    st = os.statvfs(_existing(path))
    return st.f_bavail * st.f_frsize


def fs_type(path: Path) -> str | None:
    """The type of the file system holding ``path`` (from /proc/self/mounts), or None if unknown."""
    target = str(_existing(path).resolve())
    best, kind = -1, None
    try:
        with open("/proc/self/mounts", encoding="utf-8") as f:
            for line in f:
                parts = line.split()
                if len(parts) < 3:
                    continue
                mnt = parts[1].replace("\\040", " ")
                inside = target == mnt or target.startswith(mnt.rstrip("/") + "/")
                if inside and len(mnt) > best:
                    best, kind = len(mnt), parts[2]
    except OSError:
        return None
    return kind


def fills_holes_on_read(path: Path) -> bool:
    return fs_type(path) in _HOLE_FILLING_FS


def _files(root: Path) -> Iterable[os.stat_result]:
    for dirpath, _, names in os.walk(root):
        for n in names:
            try:
                yield os.lstat(os.path.join(dirpath, n))
            except OSError:
                continue


def allocated_bytes(root: Path) -> int:
    """Disk space the files under ``root`` take (holes excluded)."""
    return sum(st.st_blocks * 512 for st in _files(root))


def hole_bytes(root: Path) -> int:
    """Bytes of holes in the files under ``root`` (apparent size not yet backed by disk)."""
    return sum(max(0, st.st_size - st.st_blocks * 512) for st in _files(root))


def load_bytes(shard_dir: Path, fills_holes: bool) -> int:
    """What loading the shard at ``shard_dir`` may write on its disk (``fills_holes``: its file
    system backs a mapped hole with a page when it is read, see :func:`fills_holes_on_read`)."""
    return (hole_bytes(shard_dir) if fills_holes else 0) + LOAD_SLACK


def _json_bytes(payload: Any) -> int:
    return len(json.dumps(payload, ensure_ascii=False, default=str).encode())


def _payload_bytes(payloads: Sequence[Any]) -> int:
    """The JSON size of ``payloads``, from at most SAMPLE of them spread over the batch: their
    largest size times the count (serialising every payload of a big batch costs as much as a
    fifth of the upsert itself; the reserve covers what a sample misses)."""
    n = len(payloads)
    if n <= SAMPLE:
        return sum(_json_bytes(p) for p in payloads)
    step = n / SAMPLE
    return n * max(_json_bytes(payloads[int(i * step)]) for i in range(SAMPLE))


def payloads_bytes(payloads: Sequence[Any]) -> int:
    """What writing these payloads may take: the WAL record and the segment copy of each."""
    return 2 * _payload_bytes(payloads) + len(payloads) * _PER_POINT_OVERHEAD


def points_bytes(dim: int, points: Sequence[Any]) -> int:
    """What upserting ``points`` (PointData) may write: WAL record plus segment copy of each."""
    nnz = sum(len(p.sparse.indices) for p in points if p.sparse is not None)
    fixed = 4 * dim * len(points) + 8 * nnz
    return 2 * (fixed + _payload_bytes([p.payload for p in points])) + len(points) * _PER_POINT_OVERHEAD


def _mib(n: float) -> str:
    return f"{n / MIB:.0f} MiB" if n >= 10 * MIB else f"{n / MIB:.1f} MiB"


class DiskGuard:
    """Refuses a write that would leave less than ``reserve`` bytes free next to ``data_dir``."""

    def __init__(self, data_dir: Path, reserve_mb: float) -> None:
        self.data_dir = Path(data_dir)
        self.reserve = int(max(0.0, reserve_mb) * MIB)
        self._fills_holes: bool | None = None

    @property
    def fills_holes(self) -> bool:
        if self._fills_holes is None:
            self._fills_holes = fills_holes_on_read(self.data_dir)
        return self._fills_holes

    def check(self, what: str, need: int, *, reserve: bool = True) -> None:
        """Raise DiskFullError unless ``need`` bytes (plus the reserve, when ``reserve``) are free."""
        free = free_bytes(self.data_dir)
        keep = self.reserve if reserve else 0
        if free - need >= keep:
            return
        plus = f" plus the {_mib(keep)} reserve" if keep else ""
        raise DiskFullError(
            f"not enough disk space to {what}: it needs about {_mib(need)}{plus}, "
            f"and {_mib(free)} are free on the disk of {self.data_dir}",
            hint="free some space on that disk (or move the data with --data-dir); searches keep "
            "working meanwhile. PLANVEC_DISK_RESERVE_MB sets the reserve",
        )


def disk_full(what: str, where: Path, err: BaseException) -> DiskFullError:
    """The error of a write that failed with ENOSPC (a file written outside Qdrant Edge's maps)."""
    return DiskFullError(
        f"the disk of {where} is full: cannot {what} ({err})",
        hint="free some space on that disk (or move the data with --data-dir), then retry",
    )
