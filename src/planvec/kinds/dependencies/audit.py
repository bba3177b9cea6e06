"""``planvec deps audit``: every dependency against the imported OSV advisories, offline.

A locked or pinned version is *affected* when an advisory's ranges or versions hold it; a
specifier that admits an affected version is *possibly affected*. Each finding names the fixed
versions. The report gives the advisories' snapshot date and warns when it is older than
:data:`STALE_DAYS`; with no advisories imported it says so and how to import them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .advisories import AdvisoryDB, AdvisoryMatch, exact_version, paused_gc
from .records import Dependency, DepFile

STALE_DAYS = 30
FAIL_ON = ("affected", "possibly", "never")
NO_ADVISORIES = "no advisories imported: planvec advisories import FILE"


@dataclass(frozen=True, slots=True)
class Finding:
    ecosystem: str
    name: str
    file: str
    line: int
    specifier: str
    version: str | None  # the exact version assessed (locked or pinned), None for a range
    dep_type: str
    direct: bool
    state: str  # "affected" or "possibly_affected"
    advisories: tuple[AdvisoryMatch, ...]
    fixed: tuple[str, ...]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "ecosystem": self.ecosystem,
            "name": self.name,
            "file": self.file,
            "line": self.line,
            "where": self.where,
            "specifier": self.specifier,
            "version": self.version,
            "dep_type": self.dep_type,
            "direct": self.direct,
            "state": self.state,
            "fixed": list(self.fixed),
            "advisories": [a.to_dict() for a in self.advisories],
        }


@dataclass(slots=True)
class AuditReport:
    generated_at: str
    imported: bool  # advisories were imported
    snapshot: str | None = None
    age_days: int | None = None
    dependencies: int = 0
    findings: list[Finding] = field(default_factory=list)
    unknown: list[dict[str, Any]] = field(default_factory=list)  # could not be assessed, and why
    git_ranges_skipped: int = 0
    unreadable_ranges_skipped: int = 0  # ranges whose versions the ordering does not read
    warnings: list[str] = field(default_factory=list)
    fail_on: str = "affected"

    @property
    def counts(self) -> dict[str, int]:
        c = Counter(f.state for f in self.findings)
        return {
            "affected": c["affected"],
            "possibly_affected": c["possibly_affected"],
            "unknown": len(self.unknown),
        }

    @property
    def ok(self) -> bool:
        """False when something is affected (``fail_on`` possibly: or possibly affected)."""
        if self.fail_on == "never":
            return True
        states = {"affected"} | ({"possibly_affected"} if self.fail_on == "possibly" else set())
        return not any(f.state in states for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "generated_at": self.generated_at,
            "ok": self.ok,
            "fail_on": self.fail_on,
            "advisories_imported": self.imported,
            "snapshot": self.snapshot,
            "snapshot_age_days": self.age_days,
            "dependencies": self.dependencies,
            "counts": self.counts,
            "git_ranges_skipped": self.git_ranges_skipped,
            "unreadable_ranges_skipped": self.unreadable_ranges_skipped,
            "warnings": self.warnings,
            "findings": [f.to_dict() for f in self.findings],
            "unknown": self.unknown,
        }


def _age_days(snapshot: str | None, now: datetime) -> int | None:
    if not snapshot:
        return None
    try:
        when = datetime.fromisoformat(snapshot.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, (now - when).days)


def audit(
    files: Iterable[DepFile], db: AdvisoryDB | None, *, now: datetime | None = None, fail_on: str = "affected"
) -> AuditReport:
    """Assess every dependency of ``files`` against ``db`` (None: nothing imported)."""
    now = now or datetime.now(UTC)
    report = AuditReport(now.isoformat(timespec="seconds"), db is not None, fail_on=fail_on)
    entries = [(f, d) for f in files for d in f.dependencies]
    report.dependencies = len(entries)
    if db is None:
        report.warnings.append(NO_ADVISORIES)
        return report
    report.snapshot = db.snapshot()
    report.age_days = _age_days(report.snapshot, now)
    if report.age_days is not None and report.age_days > STALE_DAYS:
        report.warnings.append(
            f"the advisories snapshot ({report.snapshot}) is {report.age_days} days old: import a fresh "
            "all.zip with planvec advisories import FILE"
        )
    with paused_gc():
        _assess(report, entries, db)
    report.findings.sort(key=lambda x: (x.state != "affected", x.ecosystem, x.name, x.file, x.line))
    return report


def _assess(report: AuditReport, entries: list[tuple[DepFile, Dependency]], db: AdvisoryDB) -> None:
    git_seen: set[tuple[str, str]] = set()
    for (f, d), a in zip(entries, db.assess_many(d for _, d in entries), strict=True):
        if (d.ecosystem, d.name) not in git_seen:
            git_seen.add((d.ecosystem, d.name))
            report.git_ranges_skipped += a.git_ranges
            report.unreadable_ranges_skipped += a.unreadable_ranges
        if a.state in ("affected", "possibly_affected"):
            report.findings.append(_finding(f, d, a.state, a.advisories, a.fixed))
        elif a.state == "unknown":
            report.unknown.append(
                {"ecosystem": d.ecosystem, "name": d.name, "where": f"{f.path}:{d.line}", "reason": a.reason}
            )


def _finding(
    f: DepFile, d: Dependency, state: str, matches: tuple[AdvisoryMatch, ...], fixed: tuple[str, ...]
) -> Finding:
    return Finding(
        d.ecosystem,
        d.name,
        f.path,
        d.line,
        d.specifier,
        exact_version(d),
        d.dep_type,
        d.direct,
        state,
        matches,
        fixed,
    )
