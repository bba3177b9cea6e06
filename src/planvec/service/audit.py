"""Audit log: one JSON object per line for every write and admin action (and every refused one).

Fields: ``time`` (UTC, ISO 8601), ``key_id`` (the key's name, never the key), ``action``, ``target``,
``outcome`` (``success``, ``failure``, ``accepted``, ``denied``...), ``request_id``, plus extras.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


class AuditLog:
    def __init__(self, path: Path) -> None:
        self.path = Path(path).expanduser()
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
            **{k: v for k, v in extra.items() if v is not None},
        }
        line = json.dumps(entry, ensure_ascii=False, default=str) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)

    def entries(self) -> list[dict[str, Any]]:
        """Every entry (for tests and tools)."""
        if not self.path.exists():
            return []
        with self._lock:
            lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(x) for x in lines if x.strip()]
