"""What an index run reports: per collection, per kind, and the totals of the run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ..records import FileProblem, StoreDoc
from ..store.base import VectorStore
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
    computed: int = 0  # of the embedded, the texts the model computed (the rest: cache hits)


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
    computed: int = 0  # texts the model embedded (``embedded`` minus the embedding cache's hits)
    # the embedding cache of the run: {"l1"|"l2"|"l3": {"hits", "misses"}, "computed"}
    cache: dict[str, Any] = field(default_factory=dict)
    parse_seconds: float = 0.0
    embed_seconds: float = 0.0
    write_seconds: float = 0.0
    problems: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    collections: list[CollectionReport] = field(default_factory=list)
    kinds: dict[str, KindReport] = field(default_factory=dict)
    # dry-run detail: collection -> {"added": [...], "updated": [...], "deleted": [...], "moved": [...]}
    changes: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # Files (relative to their root) whose records this run adds, updates or moves: the CLI shows
    # the reading warnings of these only, unless asked for all (-v).
    changed_files: list[str] = field(default_factory=list)
    # What the run decided that the user should read once (embedder=auto's choice of model).
    notes: list[str] = field(default_factory=list)

    def note_changed(self, docs: Iterable[StoreDoc]) -> None:
        seen = set(self.changed_files)
        for d in docs:
            f = str(d.payload.get("file") or "")
            if f and f not in seen:
                seen.add(f)
                self.changed_files.append(f)

    def warnings_of_changed(self) -> list[str]:
        """The warnings about files this run changed (each warning starts with its file's path),
        and those about files withheld as secrets (shown on every run)."""
        changed = set(self.changed_files) | {f["path"] for f in self.sensitive_files}
        return [w for w in self.warnings if w.split(":", 1)[0] in changed]

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
            self.computed += cr.computed
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


def dry_run_detail(diff: CollectionDiff, store: VectorStore | None = None) -> dict[str, list[str]]:
    """What a dry run would change, as ``file:line id title`` lines (deleted points read from
    ``store``; their ids when it is not given)."""

    def label(p: dict[str, Any]) -> str:
        return f"{p.get('file')}:{p.get('line')} {p.get('task_id') or ''} {p.get('title')}".replace("  ", " ")

    deleted: list[str] = list(diff.deleted)
    if store is not None and diff.deleted:
        found = {sp.id: sp.payload for sp in store.retrieve(diff.collection, diff.deleted)}
        deleted = [label(found[i]) if i in found else i for i in diff.deleted]
    return {
        "added": [label(d.payload) for d in diff.added],
        "updated": [label(d.payload) for d in diff.changed],
        "moved": [label(d.payload) for d in diff.moved],
        "deleted": deleted,
    }


def would_embed(diff: CollectionDiff) -> int:
    """How many texts applying ``diff`` would give the model: the distinct texts to embed that no
    stored point with the same content already holds (as :func:`~planvec.sync.diff.apply_diff`)."""
    return len({d.text for d in diff.to_embed if d.content_hash not in diff.reusable})
