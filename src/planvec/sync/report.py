"""What an index run reports: per collection, per kind, and the totals of the run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..records import FileProblem, StoreDoc
from .diff import CollectionDiff

if TYPE_CHECKING:
    from ..secrets import Guard

EXIT_OK = 0
EXIT_PARTIAL = 3


@dataclass(slots=True)
class CollectionReport:
    name: str
    added: int = 0
    updated: int = 0
    moved: int = 0
    deleted: int = 0
    unchanged: int = 0
    embedded: int = 0
    reused: int = 0


@dataclass(slots=True)
class KindReport:
    """One kind of a run: files it parsed, documents per role, what changed per collection."""

    files: int = 0
    documents: dict[str, int] = field(default_factory=dict)  # role -> documents built
    collections: list[CollectionReport] = field(default_factory=list)


@dataclass(slots=True)
class SyncReport:
    files: int = 0
    tasks: int = 0
    sections: int = 0
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    embedded: int = 0
    seconds: float = 0.0
    dry_run: bool = False
    full: bool = False
    moved: int = 0  # payload-only changes (e.g. a line number), vector kept
    reused: int = 0  # vectors reused from an identical stored text instead of embedding
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0
    write_seconds: float = 0.0
    problems: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    collections: list[CollectionReport] = field(default_factory=list)
    kinds: dict[str, KindReport] = field(default_factory=dict)
    # dry-run detail: collection -> {"added": [...], "updated": [...], "deleted": [...], "moved": [...]}
    changes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # The secret step: secrets redacted (count, per type, each with type/file/line/hash/fingerprint
    # and never the value), personal data found per type, files withheld as secrets by nature.
    secrets: int = 0
    secret_types: dict[str, int] = field(default_factory=dict)
    secret_findings: list[dict[str, Any]] = field(default_factory=list)
    personal: dict[str, int] = field(default_factory=dict)
    sensitive_files: list[dict[str, str]] = field(default_factory=list)

    @property
    def plan(self) -> dict[str, dict[str, list[str]]]:
        """The dry-run detail under its former name (``changes``)."""
        return self.changes

    @property
    def partial(self) -> bool:
        return bool(self.problems)

    @property
    def exit_code(self) -> int:
        return EXIT_PARTIAL if self.partial else EXIT_OK

    def total(self) -> None:
        """Sum the per-collection counts into the run's; ``tasks`` and ``sections`` count the
        documents of those roles (the plans kind's)."""
        for cr in self.collections:
            self.added += cr.added
            self.updated += cr.updated
            self.moved += cr.moved
            self.deleted += cr.deleted
            self.unchanged += cr.unchanged
            self.embedded += cr.embedded
            self.reused += cr.reused
        self.tasks = sum(k.documents.get("tasks", 0) for k in self.kinds.values())
        self.sections = sum(k.documents.get("sections", 0) for k in self.kinds.values())

    def add_guard(self, guard: Guard) -> None:
        """What the run's secret step found; a warning line per file withheld."""
        self.secrets = len(guard.findings)
        self.secret_types = guard.counts()
        self.secret_findings = [f.to_dict() for f in guard.findings]
        self.personal = dict(sorted(guard.personal.items()))
        self.sensitive_files = list(guard.sensitive_files)
        for f in guard.sensitive_files:
            what = "indexed (index_secret_files is on)" if guard.index_secret_files else "not indexed"
            self.warnings.append(f"{f['path']}: {what}: {f['reason']}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["partial"] = self.partial
        d["problems"] = [{"path": p.path, "reason": p.reason, "line": p.line} for p in self.problems]
        d["plan"] = d["changes"]  # the key's former name, which scripts read
        return d


def dedupe(docs: Iterable[StoreDoc], warnings: list[str] | None = None) -> list[StoreDoc]:
    """The first document of each point id (what a sync writes); each repeated anchor is a warning
    appended to ``warnings`` when given."""
    seen: dict[str, StoreDoc] = {}
    for d in docs:
        if d.point_id in seen:
            if warnings is not None:
                warnings.append(
                    f"{d.payload.get('file')}:{d.payload.get('line')}: duplicate anchor "
                    f"{d.payload.get('anchor')!r}, kept the first"
                )
            continue
        seen[d.point_id] = d
    return list(seen.values())


def dry_run_detail(diff: CollectionDiff) -> dict[str, list[str]]:
    def label(d: StoreDoc) -> str:
        p = d.payload
        return f"{p.get('file')}:{p.get('line')} {p.get('task_id') or ''} {p.get('title')}".replace("  ", " ")

    return {
        "added": [label(d) for d in diff.added],
        "updated": [label(d) for d in diff.changed],
        "moved": [label(d) for d in diff.moved],
        "deleted": list(diff.deleted),
    }
