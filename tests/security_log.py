"""A synthetic audit log of the service (the format of planvec.service.audit): two API keys at
work on weekdays, 08h-17h UTC, a few requests per 10 minutes and the odd refusal. The anomaly
tests plant their anomalies into it."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

START = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
ACTIONS = {"ci": ("index.run", "/api/v1/index"), "editor": ("documents.put", "/api/v1/documents/plans/a.md")}


def audit_line(t: datetime, key: str, action: str, target: str, outcome: str = "success") -> str:
    entry = {
        "time": t.isoformat(timespec="milliseconds"),
        "key_id": key,
        "action": action,
        "target": target,
        "outcome": outcome,
        "request_id": "r",
        "status": 200 if outcome == "success" else int(outcome.split(":")[1]),
    }
    return json.dumps(entry)


def normal_log(days: int = 10, seed: int = 7) -> list[tuple[datetime, str]]:
    rng = random.Random(seed)
    lines: list[tuple[datetime, str]] = []
    for d in range(days):
        day = START + timedelta(days=d)
        if day.weekday() >= 5:
            continue
        for slot in range(8 * 6, 17 * 6):
            t0 = day + timedelta(minutes=10 * slot)
            for key, (action, target) in ACTIONS.items():
                for _ in range(rng.randint(1, 3)):
                    t = t0 + timedelta(seconds=rng.randint(0, 599))
                    outcome = "denied:403" if rng.random() < 0.01 else "success"
                    lines.append((t, audit_line(t, key, action, target, outcome)))
    return lines


def refused_burst(key: str, at: datetime, n: int = 12) -> list[tuple[datetime, str]]:
    """``n`` refused requests of ``key``, 10 s apart from ``at``."""
    out = []
    for i in range(n):
        t = at + timedelta(seconds=10 * i)
        out.append((t, audit_line(t, key, *ACTIONS.get(key, ("index.run", "/api/v1/index")), "denied:401")))
    return out


def write_log(path: Path, lines: list[tuple[datetime, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(x for _, x in sorted(lines)) + "\n", encoding="utf-8")
    return path
