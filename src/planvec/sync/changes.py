"""Sync the files that changed under one root (watch mode, write-back): the pipeline entry for
"these paths changed under this root", whether they were written, created, deleted or renamed.

Each changed path is relative to the root and may be a file, a directory, or gone. What the run
reads: the files that exist at those paths (a directory: every file under it), selected by the
kinds' globs relative to the root, so the points get the same ``root``/``file`` (and so the same
ids) as ``planvec index ROOT`` gives them. What it may delete: the points whose file is one of
those paths or lies under one of them (found in the store for a directory, or a path no kind would
read as a file), so a deleted file, a renamed file (its old name is one of the paths) or a removed
directory loses its points. Running it after any burst of
events over the paths they named makes the store equal to a fresh index of the root.

A kind with a ``combine`` hook (its records depend on several files) re-syncs the whole root when
one of its files changed: its records cannot be rebuilt from one file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..embedding.base import Embedder
from ..globs import selects
from ..kinds.base import Kind, KindConfig
from ..parsing.files import SourceFile, discover
from ..records import FileProblem
from ..settings import Settings
from ..store.base import VectorStore
from .diff import ProgressFn, Scope
from .pipeline import KindFiles, ParsedPaths, _parse_one, guard_of, index_paths
from .report import SyncReport

__all__ = ["ChangeSync", "known_files", "sync_changed"]


@dataclass(slots=True)
class ChangeSync:
    """One sync of changed paths: the root, the files it read or looked up to delete (relative to
    the root), and the run's report."""

    root: str
    files: list[str] = field(default_factory=list)
    report: SyncReport = field(default_factory=SyncReport)

    def summary(self) -> dict[str, Any]:
        """The line a script reads (``--json`` of watch mode)."""
        r = self.report
        return {
            "root": self.root,
            "files": self.files,
            "added": r.added,
            "updated": r.updated,
            "moved": r.moved,
            "deleted": r.deleted,
            "unchanged": r.unchanged,
            "embedded": r.embedded,
            "reused": r.reused,
            "seconds": round(r.seconds, 3),
            "problems": [{"path": p.path, "reason": p.reason, "line": p.line} for p in r.problems],
        }


def sync_changed(
    root: str | Path,
    changed: Iterable[str],
    kinds: Sequence[tuple[Kind, KindConfig]],
    store: VectorStore,
    embedder: Embedder,
    sparse_encoder: Any,
    settings: Settings,
    *,
    progress: ProgressFn | None = None,
    flush: bool = True,
) -> ChangeSync:
    """Bring the points of ``changed`` (paths relative to ``root``) in line with the disk.
    ``flush=False``: see :func:`~planvec.sync.pipeline.index_paths` (watch mode flushes now and
    then, not on every save: writing segments costs more than the sync itself)."""
    base = Path(os.path.realpath(Path(root).expanduser()))
    rels = sorted({_clean(r) for r in changed} - {""})
    walk = tuple(dict.fromkeys(g for _, c in kinds for g in c.include))
    exc = tuple(settings.exclude)
    rels = [r for r in rels if not _excluded(r, exc)]
    whole = [(k, c) for k, c in kinds if hasattr(k, "combine") and any(k.claims(r, c) for r in rels)]
    plain = [(k, c) for k, c in kinds if (k, c) not in whole]
    reports: list[SyncReport] = []
    files: set[str] = {r for r in rels for k, c in whole if k.claims(r, c)}
    if whole:
        reports.append(
            index_paths(
                [base], whole, store, embedder, sparse_encoder, settings, progress=progress, flush=flush
            )
        )
    if plain and rels:
        parsed = _parse_changed(base, rels, plain, store, settings, walk, exc)
        prefix = base.as_posix() + "/"
        files |= {f[len(prefix) :] for f in parsed.scope.files}
        if parsed.scope.files or parsed.problems:  # (else no file any kind reads: nothing to sync)
            reports.append(
                index_paths(
                    [base],
                    plain,
                    store,
                    embedder,
                    sparse_encoder,
                    settings,
                    progress=progress,
                    parsed=parsed,
                    flush=flush,
                )
            )
    return ChangeSync(base.as_posix(), sorted(files), _merge(reports))


def _clean(rel: str) -> str:
    return Path(rel).as_posix().strip("/") if rel not in (".", "") else ""


def _excluded(rel: str, exclude: Sequence[str]) -> bool:
    """A path the walk never reads (e.g. under .git, or a directory pruned by a ``dir/**``
    exclude): its events change nothing."""
    return not selects(rel, ("**",), exclude) or not selects(f"{rel}/x", ("**",), exclude)


def _parse_changed(
    base: Path,
    rels: Sequence[str],
    kinds: Sequence[tuple[Kind, KindConfig]],
    store: VectorStore,
    settings: Settings,
    walk: Sequence[str],
    exc: Sequence[str],
) -> ParsedPaths:
    sources, problems = _sources(base, rels, walk, exc)
    guard = guard_of(settings)  # secrets redacted, secret files withheld: as a full index does
    run = [KindFiles(k, c, guard=guard) for k, c in kinds]
    root = base.as_posix()
    protected: set[str] = set()
    for src in sources:
        if _parse_one(src, root, run, settings.max_file_bytes, problems, guard):
            protected.add(f"{root}/{src.rel}")
    gone = {r for r in rels if not (base / r).exists() and any(k.claims(r, c) for k, c in kinds)}
    # A path that is a directory, or is gone and no kind reads such a file (it was a directory,
    # say), may hold points of files under it: the store says which (a scan of the collections).
    unsure = [r for r in rels if (base / r).is_dir() or (r not in gone and not (base / r).exists())]
    if unsure:
        colls = [coll for _, c in kinds for coll in c.indexed.values()]
        gone |= known_files(store, colls, root, unsure)
    scope = Scope(
        files=frozenset({f"{root}/{s.rel}" for s in sources} | {f"{root}/{f}" for f in gone}),
        protected=frozenset(protected),
        include=tuple(walk),
        exclude=tuple(exc),
    )
    return ParsedPaths(run, problems, scope, guard)


def _sources(
    base: Path, rels: Sequence[str], walk: Sequence[str], exc: Sequence[str]
) -> tuple[list[SourceFile], list[FileProblem]]:
    """The files that exist at ``rels`` now (a directory: its files), relative to ``base``."""
    found: dict[str, SourceFile] = {}
    problems: list[FileProblem] = []
    for rel in rels:
        full = base / rel
        if full.is_file():
            if selects(rel, walk, exc):
                found[rel] = SourceFile(base, full, rel)
        elif full.is_dir():
            inner, probs = discover([full], include=("**",), exclude=exc)
            problems.extend(FileProblem(f"{rel}/{p.path}", p.reason, p.line) for p in probs)
            for s in inner:
                r = f"{rel}/{s.rel}"
                if selects(r, walk, exc):
                    found[r] = SourceFile(base, s.path, r)
    return [found[r] for r in sorted(found)], problems


def known_files(store: VectorStore, collections: Iterable[str], root: str, rels: Sequence[str]) -> set[str]:
    """The files (relative to ``root``) that points of ``collections`` hold at or under ``rels``."""
    prefixes = tuple(f"{r}/" for r in rels)
    wanted = set(rels)
    out: set[str] = set()
    for coll in dict.fromkeys(collections):
        if store.collection_info(coll) is None:
            continue
        for p in store.scroll(coll, fields=("root", "file")):
            file = p.payload.get("file")
            if p.payload.get("root") != root or not isinstance(file, str):
                continue
            if file in wanted or file.startswith(prefixes):
                out.add(file)
    return out


def _merge(reports: Sequence[SyncReport]) -> SyncReport:
    if len(reports) == 1:
        return reports[0]
    out = SyncReport()
    for r in reports:
        out.collections.extend(r.collections)
        out.kinds.update(r.kinds)
        out.problems.extend(r.problems)
        out.warnings.extend(r.warnings)
        out.changed_files.extend(r.changed_files)
        out.files += r.files
        out.seconds += r.seconds
        out.parse_seconds += r.parse_seconds
        out.embed_seconds += r.embed_seconds
        out.write_seconds += r.write_seconds
    out.total()
    return out
