"""Audit log: one JSON object per line for every write and admin request (and every refused one).

Fields: ``time`` (UTC, ISO 8601), ``key_id`` (the key's name, never the key), ``action``, ``target``,
``outcome`` (``accepted``, ``success``, ``failure``, ``denied:401``, ``refused:422``...),
``request_id``, plus extras (``status``, ``error``, ``job_id``, ``client``...).

Every string field is cut to :data:`MAX_FIELD_CHARS` (with a marker saying how much was cut), so a
line stays under :data:`MAX_LINE_BYTES` whatever a client sends. The file rotates by size:
``audit.jsonl`` becomes ``audit.jsonl.1`` (``.1`` becomes ``.2``...) once the next line would take
it past ``max_bytes``, and only ``backups`` old files are kept.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

MAX_FIELD_CHARS = 512
MAX_LINE_BYTES = 8192
_SHORT_FIELD_CHARS = 64  # the cut applied when a line still exceeds MAX_LINE_BYTES


def cap(value: str, limit: int = MAX_FIELD_CHARS) -> str:
    """``value`` cut to ``limit`` characters, with a marker saying how many were cut."""
    if len(value) <= limit:
        return value
    return f"{value[:limit]}…[{len(value) - limit} more chars]"


def _capped(entry: dict[str, Any], limit: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in entry.items():
        if v is None:
            continue
        if not isinstance(v, str | int | float | bool):
            v = str(v)
        out[cap(str(k), _SHORT_FIELD_CHARS)] = cap(v, limit) if isinstance(v, str) else v
    return out


class AuditLog:
    def __init__(self, path: Path, *, max_bytes: int = 0, backups: int = 5) -> None:
        """``max_bytes``: rotate before the file grows past it (0: never rotate)."""
        self.path = Path(path).expanduser()
        self.max_bytes = max_bytes
        self.backups = max(1, backups)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def record(
        self,
        *,
        action: str,
        target: str,
        outcome: str,
        key_id: str,
        request_id: str,
        **extra: Any,
    ) -> None:
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "key_id": key_id,
            "action": action,
            "target": target,
            "outcome": outcome,
            "request_id": request_id,
            **extra,
        }
        line = self._line(entry)
        with self._lock:
            f = self.path.open("ab")
            try:
                size = f.tell()
                if self.max_bytes and size and size + len(line) > self.max_bytes:
                    f.close()
                    self._rotate()
                    f = self.path.open("ab")
                f.write(line)
            finally:
                f.close()

    @staticmethod
    def _line(entry: dict[str, Any]) -> bytes:
        for limit in (MAX_FIELD_CHARS, _SHORT_FIELD_CHARS):
            line = (json.dumps(_capped(entry, limit), ensure_ascii=False) + "\n").encode("utf-8")
            if len(line) <= MAX_LINE_BYTES:
                break
        return line

    def _rotate(self) -> None:
        """``path.N-1`` → ``path.N`` … ``path`` → ``path.1`` (the oldest, ``path.N``, is dropped)."""
        for i in range(self.backups - 1, 0, -1):
            older = self.path.with_name(f"{self.path.name}.{i}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{self.path.name}.{i + 1}"))
        os.replace(self.path, self.path.with_name(f"{self.path.name}.1"))

    def files(self) -> list[Path]:
        """The log and its rotated files, newest first."""
        rotated = [self.path.with_name(f"{self.path.name}.{i}") for i in range(1, self.backups + 1)]
        return [p for p in (self.path, *rotated) if p.exists()]

    def entries(self, *, rotated: bool = False) -> list[dict[str, Any]]:
        """Every entry of the current file (``rotated``: of the rotated files too), oldest first."""
        with self._lock:
            files = self.files() if rotated else [p for p in (self.path,) if p.exists()]
            lines = [x for p in reversed(files) for x in p.read_text(encoding="utf-8").splitlines()]
        return [json.loads(x) for x in lines if x.strip()]
