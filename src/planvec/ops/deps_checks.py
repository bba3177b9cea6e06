"""The dependency checks as operations: conflicts and the offline audit over the indexed
``dependencies`` collection (or over manifests parsed from PATHs), and their reports.

The records come from the store: one point per (manifest, dependency) whose payload holds the
record's fields (ecosystem, name, specifier, version, dep_type, direct, line, group, marker,
source) plus ``root``, ``file`` and ``lockfile``. The logic lives in the kind's modules
(:mod:`planvec.kinds.dependencies.conflicts`, :mod:`~planvec.kinds.dependencies.audit`).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..clock import now_iso
from ..errors import CollectionNotFound, UsageError
from ..kinds import REGISTRY, Source
from ..kinds.dependencies.advisories import ADVISORIES_FILE, AdvisoryDB
from ..kinds.dependencies.audit import AuditReport, audit
from ..kinds.dependencies.conflicts import ConflictResult, find_conflicts
from ..kinds.dependencies.formats import INCLUDE, parser_for
from ..kinds.dependencies.records import Dependency, DepFile
from ..parsing import files as parsing
from ..records import FileProblem
from ..settings import Settings
from ..store.base import VectorStore

KIND = "dependencies"
PAYLOAD_FIELDS = (
    "root",
    "file",
    "lockfile",
    "ecosystem",
    "name",
    "specifier",
    "version",
    "dep_type",
    "direct",
    "line",
    "group",
    "marker",
    "source",
)


def advisories_path(settings: Settings) -> Path:
    return Path(settings.data_dir).expanduser() / ADVISORIES_FILE


def dependencies_collection(settings: Settings) -> str:
    """The collection the dependencies kind writes (its default when the kind is not registered)."""
    try:
        return REGISTRY.get(KIND).configure(settings).search_collection
    except UsageError:
        return KIND


def files_from_store(store: VectorStore, collection: str) -> list[DepFile]:
    """The indexed dependency records, one :class:`DepFile` per indexed file."""
    if store.collection_info(collection) is None:
        raise CollectionNotFound(
            f"no dependencies are indexed (collection {collection!r} does not exist)",
            hint="index the manifests first: planvec index --kind dependencies PATH (or name PATHs here)",
        )
    by_file: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for p in store.scroll(collection, fields=list(PAYLOAD_FIELDS)):
        by_file[(str(p.payload.get("root") or ""), str(p.payload.get("file") or ""))].append(p.payload)
    roots = {root for root, _ in by_file}
    out = []
    for (root, file), payloads in sorted(by_file.items()):
        path = file if len(roots) < 2 else f"{root.rstrip('/')}/{file}"
        deps = tuple(sorted((_dependency(p) for p in payloads), key=lambda d: (d.line, d.name)))
        out.append(DepFile(path, "", bool(payloads[0].get("lockfile")), deps))
    return out


def _dependency(p: dict[str, Any]) -> Dependency:
    return Dependency(
        ecosystem=str(p.get("ecosystem") or ""),
        name=str(p.get("name") or ""),
        specifier=str(p.get("specifier") or ""),
        version=str(p["version"]) if p.get("version") else None,
        dep_type=str(p.get("dep_type") or "runtime"),
        direct=bool(p.get("direct", True)),
        line=int(p.get("line") or 0),
        group=str(p.get("group") or ""),
        marker=str(p.get("marker") or ""),
        source=str(p.get("source") or ""),
    )


def files_from_paths(paths: Sequence[Path]) -> tuple[list[DepFile], list[FileProblem]]:
    """Parse the manifests and lockfiles under ``paths`` (as ``planvec index`` finds them)."""
    found, problems = parsing.discover(list(paths), INCLUDE, parsing.DEFAULT_EXCLUDE)
    missing = [p for p in problems if p.path in {str(x) for x in paths}]
    if missing:
        raise UsageError(f"{missing[0].path}: {missing[0].reason}", hint="give existing directories or files")
    out: list[DepFile] = []
    for sf in found:
        parser = parser_for(sf.rel)
        if parser is None:
            problems.append(FileProblem(sf.rel, "no dependency parser reads this file name"))
            continue
        read = parsing.read_source(sf)
        if isinstance(read, FileProblem):
            problems.append(read)
            continue
        parsed = parser(Source(sf.rel, read[0], tuple(read[1]), str(sf.root)))
        problems.extend(parsed.problems)
        out.append(parsed)
    return out, problems


@dataclass(slots=True)
class ConflictReport:
    generated_at: str
    source: str  # "index" or the PATHs
    files: int
    dependencies: int
    result: ConflictResult
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.result.incompatible

    def to_dict(self) -> dict[str, Any]:
        r = self.result
        return {
            "generated_at": self.generated_at,
            "ok": self.ok,
            "source": self.source,
            "files": self.files,
            "dependencies": self.dependencies,
            "counts": {
                "incompatible": len(r.incompatible),
                "mismatch": len(r.mismatches),
                "skipped": len(r.skipped),
            },
            "conflicts": [c.to_dict() for c in r.incompatible + r.mismatches],
            "skipped": [asdict(s) for s in r.skipped],
            "problems": [asdict(p) for p in self.problems],
        }


def _load(
    store: VectorStore | None, settings: Settings, paths: Sequence[Path]
) -> tuple[list[DepFile], list[FileProblem], str]:
    if paths:
        files, problems = files_from_paths(paths)
        return files, problems, " ".join(map(str, paths))
    assert store is not None
    return files_from_store(store, dependencies_collection(settings)), [], "index"


def conflicts(store: VectorStore | None, settings: Settings, paths: Sequence[Path] = ()) -> ConflictReport:
    """Mismatches and incompatibilities of the indexed dependencies (or of those under ``paths``)."""
    files, problems, source = _load(store, settings, paths)
    deps = sum(len(f.dependencies) for f in files)
    return ConflictReport(now_iso(), source, len(files), deps, find_conflicts(files), problems)


@dataclass(slots=True)
class DepsAudit:
    """An :class:`AuditReport` with where its records came from and the files' problems."""

    report: AuditReport
    source: str
    problems: list[FileProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.report.ok

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            **self.report.to_dict(),
            "problems": [asdict(p) for p in self.problems],
        }


def run_audit(
    store: VectorStore | None, settings: Settings, paths: Sequence[Path] = (), *, fail_on: str = "affected"
) -> DepsAudit:
    """The offline audit of the indexed dependencies (or of those under ``paths``)."""
    db = AdvisoryDB.open(advisories_path(settings))
    try:
        files, problems, source = _load(store, settings, paths)
        return DepsAudit(audit(files, db, fail_on=fail_on), source, problems)
    finally:
        if db is not None:
            db.close()


def write_check_reports(
    name: str, data: dict[str, Any], markdown: str, report_dir: Path
) -> tuple[Path, Path]:
    """``<name>.json`` and ``<name>.md`` in ``report_dir`` (replacing the previous run's)."""
    out = Path(report_dir).expanduser()
    try:
        out.mkdir(parents=True, exist_ok=True)
        jpath, mpath = out / f"{name}.json", out / f"{name}.md"
        for path, text in (
            (jpath, json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n"),
            (mpath, markdown),
        ):
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
    except OSError as e:
        raise UsageError(
            f"cannot write the report to {out}: {e.strerror or e}",
            hint="choose a writable directory with --report-dir (or --no-report)",
        ) from e
    return jpath, mpath
