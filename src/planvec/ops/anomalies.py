"""``planvec security anomalies``: what departs, per API key, from the key's own history in the
service's audit log (``DATA_DIR/audit.jsonl`` and its rotated files; one JSON object per line:
``time``, ``key_id``, ``action``, ``target``, ``outcome``... see :mod:`planvec.service.audit`).

Four detectors, each with a short reason per finding:

* ``refused_burst``: refused requests (outcome ``denied:*`` or ``refused:*``) in one
  :data:`BUCKET` far above the key's usual count;
* ``rate_spike``: requests in one bucket far above the key's usual count;
* ``new_action`` / ``new_target``: an action, or a target (path, ids folded to ``{id}``), the key
  never used before, once the key has :data:`MIN_EVENTS` events of history;
* ``unusual_hour``: activity at an hour of the day (UTC) the key was never active at, nor in the
  hour either side, once its history spans :data:`MIN_DAYS` days.

"Far above" is a robust score over a sliding window: the median and the median absolute
deviation (MAD) of the counts of the key's last :data:`WINDOW` active buckets; a bucket is
flagged when ``(count - median) / max(1.4826 * MAD, 1)`` reaches :data:`THRESHOLD` and the count
reaches an absolute floor (:data:`MIN_BURST` refusals, :data:`MIN_SPIKE` requests) — a quiet key
with one refusal a week does not page anyone. A key with fewer than :data:`MIN_BUCKETS` active
buckets has no baseline yet: it gives no finding.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any

from ..clock import now_iso
from ..errors import UsageError
from ..records import FileProblem

BUCKET = timedelta(minutes=10)
WINDOW = 144  # active buckets of history the median and MAD are taken over
MIN_BUCKETS = 12
THRESHOLD = 5.0
MIN_BURST = 5
MIN_SPIKE = 10
MIN_EVENTS = 20
MIN_DAYS = 3
_ID_SEGMENT_RE = re.compile(r"^(?:\d+|[0-9a-f]{8,}|[0-9a-f-]{32,36}|[A-Za-z0-9_-]{20,})$")


@dataclass(frozen=True, slots=True)
class Event:
    time: datetime
    key: str
    action: str
    target: str
    refused: bool


@dataclass(frozen=True, slots=True)
class Anomaly:
    key_id: str
    type: str  # refused_burst, rate_spike, new_action, new_target, unusual_hour
    time: str  # ISO 8601: the bucket's start, or the event's time
    reason: str
    count: int = 1
    median: float | None = None
    mad: float | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(slots=True)
class AnomalyReport:
    generated_at: str
    files: list[str]
    events: int = 0
    keys: dict[str, int] = field(default_factory=dict)  # key -> events
    anomalies: list[Anomaly] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.anomalies

    @property
    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(a.type for a in self.anomalies).items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "files": self.files,
            "events": self.events,
            "keys": self.keys,
            "ok": self.ok,
            "counts": self.counts,
            "anomalies": [a.to_dict() for a in self.anomalies],
            "problems": [asdict(p) for p in self.problems],
        }


def audit_files(path: Path) -> list[Path]:
    """The log and its rotated files (``audit.jsonl.1``, ``.2``...), oldest first."""
    path = Path(path).expanduser()
    rotated = sorted(
        (p for p in path.parent.glob(f"{path.name}.*") if p.name[len(path.name) + 1 :].isdigit()),
        key=lambda p: -int(p.name[len(path.name) + 1 :]),
    )
    return [*rotated, *([path] if path.exists() else [])]


def read_events(files: Sequence[Path]) -> tuple[list[Event], list[FileProblem]]:
    """The events of the audit files; a line that is not an audit entry is a problem (with its line)."""
    events: list[Event] = []
    problems: list[FileProblem] = []
    for f in files:
        try:
            lines = f.read_text(encoding="utf-8", errors="replace").split("\n")
        except OSError as e:
            problems.append(FileProblem(str(f), f"cannot read: {e.strerror or e}"))
            continue
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            event = _event(line)
            if isinstance(event, str):
                problems.append(FileProblem(str(f), event, n))
            else:
                events.append(event)
    events.sort(key=lambda e: e.time)
    return events, problems


def _event(line: str) -> Event | str:
    try:
        entry = json.loads(line)
    except ValueError:
        return "not a JSON line"
    if not isinstance(entry, dict) or not entry.get("time") or not entry.get("key_id"):
        return "not an audit entry (no time or key_id)"
    try:
        when = datetime.fromisoformat(str(entry["time"]).replace("Z", "+00:00"))
    except ValueError:
        return f"unreadable time {str(entry['time'])[:40]!r}"
    when = when if when.tzinfo else when.replace(tzinfo=UTC)
    outcome = str(entry.get("outcome") or "")
    return Event(
        when.astimezone(UTC),
        str(entry["key_id"]),
        str(entry.get("action") or "-"),
        fold_target(str(entry.get("target") or "-")),
        outcome.startswith(("denied:", "refused:")),
    )


def fold_target(target: str) -> str:
    """A path with its id-like segments as ``{id}``: ``/api/v1/jobs/3f2a...`` → ``/api/v1/jobs/{id}``."""
    return "/".join("{id}" if _ID_SEGMENT_RE.match(s) else s for s in target.split("/"))


def detect_anomalies(audit_log: Path, *, since: datetime | None = None) -> AnomalyReport:
    """Read the audit log (rotated files too) and find what departs from each key's history;
    ``since``: report only anomalies from then on (the history before still counts)."""
    files = audit_files(audit_log)
    if not files:
        raise UsageError(
            f"no audit log at {audit_log}",
            hint="the service writes it (DATA_DIR/audit.jsonl); name another with --audit-log FILE",
        )
    events, problems = read_events(files)
    report = AnomalyReport(now_iso(), [str(f) for f in files], len(events), problems=problems)
    by_key: dict[str, list[Event]] = defaultdict(list)
    for e in events:
        by_key[e.key].append(e)
    report.keys = {k: len(v) for k, v in sorted(by_key.items())}
    for key, evs in sorted(by_key.items()):
        found = [*_bursts(key, evs), *_firsts(key, evs), *_hours(key, evs)]
        report.anomalies.extend(a for a in found if since is None or a.time >= since.isoformat())
    report.anomalies.sort(key=lambda a: (a.time, a.key_id, a.type))
    return report


def _bucket(t: datetime) -> datetime:
    start = datetime(t.year, t.month, t.day, tzinfo=UTC)
    return start + BUCKET * int((t - start) / BUCKET)


def robust_score(value: float, history: Sequence[float]) -> tuple[float, float, float]:
    """(median, MAD, score) of ``value`` against ``history``."""
    med = median(history)
    mad = median(abs(x - med) for x in history)
    return med, mad, (value - med) / max(1.4826 * mad, 1.0)


def _bursts(key: str, evs: Sequence[Event]) -> Iterable[Anomaly]:
    """Refused bursts and rate spikes: each active bucket against the previous WINDOW ones."""
    totals: Counter[datetime] = Counter(_bucket(e.time) for e in evs)
    refused: Counter[datetime] = Counter(_bucket(e.time) for e in evs if e.refused)
    buckets = sorted(totals)
    for i, b in enumerate(buckets):
        past = buckets[max(0, i - WINDOW) : i]
        if len(past) < MIN_BUCKETS:
            continue
        burst = False
        for kind, counts, floor, what in (
            ("refused_burst", refused, MIN_BURST, "refused requests"),
            ("rate_spike", totals, MIN_SPIKE, "requests"),
        ):
            n = counts[b]
            if n < floor or (burst and kind == "rate_spike"):  # (a burst of refusals explains it)
                continue
            med, mad, score = robust_score(n, [counts[p] for p in past])
            if score >= THRESHOLD:
                burst = True
                yield Anomaly(
                    key,
                    kind,
                    b.isoformat(),
                    f"{n} {what} in {int(BUCKET.total_seconds() // 60)} min; usually {med:g} "
                    f"(median of its last {len(past)} active periods, MAD {mad:g})",
                    n,
                    med,
                    mad,
                    round(score, 2),
                )


def _firsts(key: str, evs: Sequence[Event]) -> Iterable[Anomaly]:
    """The first use of an action or a target, once the key has MIN_EVENTS events of history."""
    seen: dict[str, set[str]] = {"action": set(), "target": set()}
    for i, e in enumerate(evs):
        for what, value in (("action", e.action), ("target", e.target)):
            if value not in seen[what]:
                if i >= MIN_EVENTS:
                    yield Anomaly(
                        key,
                        f"new_{what}",
                        e.time.isoformat(),
                        f"first use of {what} {value!r} after {i} requests that never used it",
                    )
                seen[what].add(value)


def _hours(key: str, evs: Sequence[Event]) -> Iterable[Anomaly]:
    """Activity at an hour the key never had (nor the hour either side), once its history spans
    MIN_DAYS days and MIN_EVENTS events; the hour is then one it had."""
    hours: set[int] = set()
    first = evs[0].time if evs else None
    for i, e in enumerate(evs):
        h = e.time.hour
        mature = first is not None and (e.time - first) >= timedelta(days=MIN_DAYS) and i >= MIN_EVENTS
        if mature and not ({(h - 1) % 24, h, (h + 1) % 24} & hours):
            usual = ", ".join(f"{x:02d}h" for x in sorted(hours))
            yield Anomaly(
                key,
                "unusual_hour",
                e.time.isoformat(),
                f"active at {h:02d}h UTC, an hour it never had (usual: {usual})",
            )
        hours.add(h)
