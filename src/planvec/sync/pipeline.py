"""The index pipeline over kinds: discover (one walk) → each kind parses the files it claims →
documents → diff against the store → apply. ``Engine.index``, ``check`` and ``fix`` all run it.

It takes what it works with as arguments (kinds, store, embedder, BM25 encoder, settings), so any
layer above may call it without an Engine.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from .. import __version__
from ..clock import now_iso
from ..embedding.base import Embedder
from ..embedding.cache import find_cached, recording
from ..errors import DimensionMismatch, UsageError
from ..kinds import DEFAULT_KIND
from ..kinds.base import DocContext, Kind, KindConfig, Parsed, Source, combine
from ..parsing.files import SourceFile, discover, read_source
from ..records import FileProblem, StoreDoc
from ..secrets import SENSITIVITY_INDEX, Guard
from ..settings import Settings
from ..store.base import CollectionSpec, VectorStore
from ..wiring import model_key, model_meta
from .diff import ProgressFn, Scope, apply_diff, diff_collection
from .report import CollectionReport, KindReport, SyncReport, dedupe, dry_run_detail, would_embed

# Payload indexes of every collection, whatever its kind: sync looks stored vectors up by content.
SYNC_INDEXES = {"content_hash": "keyword"}


class Resources(Protocol):
    """What the whole-collection operations over kinds (check, fix) work with: an Engine has it."""

    @property
    def settings(self) -> Settings: ...

    @property
    def store(self) -> VectorStore: ...

    @property
    def embedder(self) -> Embedder: ...

    @property
    def sparse_encoder(self) -> Any: ...


@dataclass(slots=True)
class KindFiles:
    """One kind of a run: its configuration and the files it parsed, as ``(root, parsed)``."""

    kind: Kind
    config: KindConfig
    parsed: list[tuple[str, Parsed]] = field(default_factory=list)
    # The run's secret step: its documents are cleaned by it (a default one when not given).
    guard: Guard | None = None


@dataclass(slots=True)
class ParsedPaths:
    """What the walk found: per kind the parsed files, the problems of every file, the sync scope."""

    kinds: list[KindFiles]
    problems: list[FileProblem]
    scope: Scope
    guard: Guard = field(default_factory=Guard)  # what the secret step found and withheld
    narrow: tuple[str, ...] = ()  # the run's --include globs: each kind's files among those only

    def scope_of(self, kf: KindFiles) -> Scope:
        """The scope of one kind: the walk's, with the kind's own globs (or the run's --include)
        deciding what it may delete."""
        return replace(
            self.scope,
            include=self.narrow or kf.config.include,
            exclude=(*self.scope.exclude, *kf.config.exclude),
        )


def one_collection(kf: KindFiles, collection: str | None = None) -> tuple[str, KindFiles]:
    """The kind's first role alone, written to ``collection`` (default: its configured one), for an
    operation on one collection (check): point ids are those ``index`` gives that collection."""
    role = next(iter(kf.config.collections))
    coll = collection or kf.config.collections[role]
    config = replace(kf.config, collections={role: coll}, skip=frozenset())
    return coll, KindFiles(kf.kind, config, kf.parsed, kf.guard)


def parse_paths(
    paths: Sequence[str | Path],
    kinds: Sequence[tuple[Kind, KindConfig]],
    settings: Settings,
    *,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    prune: bool = False,
    progress: ProgressFn | None = None,
) -> ParsedPaths:
    """Walk ``paths`` once and give each file to the kinds that claim it.

    ``include`` narrows every kind of the run to the files it selects, and each of them must match a
    file (else :class:`UsageError`: a glob that selects nothing is a mistake, not a request to sync
    zero files); ``exclude`` adds to the configured ones; ``prune`` puts every file under the
    directories in scope, not only those the globs select (see :class:`~planvec.sync.Scope`).
    """
    if not paths:
        raise UsageError("no PATH given", hint="planvec index PATH... (a directory or a Markdown file)")
    if not kinds:
        raise UsageError("no kind to index: every kind is disabled", hint="enable one in planvec.toml")
    _check_collections(kinds)
    given = [Path(p).expanduser() for p in paths]
    missing = [str(p) for p in given if not p.exists()]
    if len(missing) == len(given):
        raise UsageError(f"path not found: {', '.join(missing)}", hint="check the PATH arguments")
    # --include narrows every kind to the files it selects among those the kind claims (a kind
    # never reads a file it would not read without the option: the security kind no plan file).
    walk = tuple(include) if include else tuple(dict.fromkeys(g for _, c in kinds for g in c.include))
    exc = (*settings.exclude, *(exclude or ()))
    sources, problems = discover(given, include=walk, exclude=exc)
    sources = _outside_data_dir(sources, settings.data_dir)
    if include:
        _require_matches(tuple(include), sources, given)
    guard = guard_of(settings)
    run = [KindFiles(k, c, guard=guard) for k, c in kinds]
    protected: set[str] = set()
    for i, src in enumerate(sources, 1):
        if progress:
            progress("parsing files", i - 1, len(sources))
        root = Path(src.root).resolve().as_posix()
        failed = _parse_one(src, root, run, settings.max_file_bytes, problems, guard)
        if failed:
            protected.add(f"{root.rstrip('/')}/{src.rel}")
    if progress and sources:
        progress("parsing files", len(sources), len(sources))
    for kf in run:
        kf.parsed = combine(kf.kind, kf.parsed, kf.config)
    scope = Scope(
        dirs=tuple(dict.fromkeys(p.resolve().as_posix() for p in given if p.is_dir())),
        files=frozenset(p.resolve().as_posix() for p in given if p.is_file()),
        protected=frozenset(protected),
        include=walk,
        exclude=exc,
        prune=prune,
    )
    return ParsedPaths(run, problems, scope, guard, tuple(include or ()))


def guard_of(settings: Settings) -> Guard:
    """The secret step of a run with these settings (see :mod:`planvec.secrets`)."""
    return Guard(
        redact_personal=settings.redact_personal,
        index_secret_files=settings.index_secret_files,
        data_dir=settings.data_dir,
    )


def _outside_data_dir(sources: list[SourceFile], data_dir: Path) -> list[SourceFile]:
    """The sources without planvec's own files (store metadata, API keys, backups) when a walked
    directory holds the data directory (``planvec index .`` with ``--data-dir .planvec``): a kind
    that reads JSON or YAML would otherwise index them, and re-index them after every run."""
    try:
        data = data_dir.expanduser().resolve()
    except OSError:
        return sources
    holds: dict[Path, bool] = {}  # root -> whether the data directory lies under it
    out = []
    for src in sources:
        if src.root not in holds:
            root = src.root.resolve()
            holds[src.root] = data != root and data.is_relative_to(root)
        if not (holds[src.root] and src.path.resolve().is_relative_to(data)):
            out.append(src)
    return out


def _parse_one(
    src: SourceFile,
    root: str,
    run: Sequence[KindFiles],
    max_bytes: int,
    problems: list[FileProblem],
    guard: Guard,
) -> bool:
    """Read one file once and parse it with every kind claiming it, its secrets redacted first;
    True when it could not be read or a kind could not parse it at all (its points are then kept).
    A file that is a secret by nature goes to no kind (its points are then deleted)."""
    claimants = [kf for kf in run if kf.kind.claims(src.rel, kf.config)]
    if not claimants or guard.withholds_name(src.rel):
        return False
    read = read_source(src, max_bytes)
    if isinstance(read, FileProblem):
        problems.append(read)
        return True
    if guard.withholds_content(src.rel, read[0]):
        return False
    source = Source(src.rel, guard.clean_source(read[0], src.rel), tuple(read[1]), root)
    failed = False
    for kf in claimants:
        result = kf.kind.parse(source)
        if isinstance(result, FileProblem):
            problems.append(result)
            failed = True
        else:
            kf.parsed.append((root, result))
    return failed


def _check_collections(kinds: Sequence[tuple[Kind, KindConfig]]) -> None:
    owner: dict[str, str] = {}
    for kind, config in kinds:
        for coll in config.indexed.values():
            if owner.setdefault(coll, kind.name) != kind.name:
                raise UsageError(
                    f"collection {coll!r} is configured for kinds {owner[coll]!r} and {kind.name!r}",
                    hint="give each kind its own collections ([kinds.NAME] collections in planvec.toml)",
                )


def _require_matches(include: Sequence[str], sources: Sequence[SourceFile], given: Sequence[Path]) -> None:
    """Refuse include globs that select no file: the run would read nothing through them."""
    from ..globs import glob_regex

    unmatched = [p for p in include if not any(glob_regex(p).match(src.rel) for src in sources)]
    if unmatched:
        globs = ", ".join(repr(p) for p in unmatched)
        where = ", ".join(str(p) for p in given)
        raise UsageError(
            f"include glob {globs} matches no file under {where}; nothing was changed",
            hint="globs match the path relative to each PATH: e.g. 'plan-dev-v2*' or 'team/**/*.md'",
        )


def kind_documents(kf: KindFiles, embedder: Embedder, key: str) -> dict[str, list[StoreDoc]]:
    """The store documents of one kind's parsed files, per collection (every indexed collection of
    the kind is present, empty when no file gave it a document), each cleaned by the run's secret
    step (:meth:`planvec.secrets.Guard.clean_doc`): nothing detected reaches the diff."""
    indexed = kf.config.indexed
    ctx = DocContext(indexed, key, embedder.count_tokens, embedder.max_tokens, kf.config.options)
    guard = kf.guard or Guard()
    out: dict[str, list[StoreDoc]] = {coll: [] for coll in indexed.values()}
    for root, parsed in kf.parsed:
        for role, docs in kf.kind.documents(parsed, root, ctx).items():
            out[indexed[role]].extend(guard.clean_doc(d, key) for d in docs)
    return out


def documents(parsed: ParsedPaths, embedder: Embedder, key: str) -> dict[str, list[StoreDoc]]:
    """Store documents of every kind of a run, per collection."""
    out: dict[str, list[StoreDoc]] = {}
    for kf in parsed.kinds:
        out.update(kind_documents(kf, embedder, key))
    return out


def index_paths(
    paths: Sequence[str | Path],
    kinds: Sequence[tuple[Kind, KindConfig]],
    store: VectorStore,
    embedder: Embedder,
    sparse_encoder: Any,
    settings: Settings,
    *,
    full: bool = False,
    dry_run: bool = False,
    progress: ProgressFn | None = None,
    include: Sequence[str] | None = None,
    exclude: Sequence[str] | None = None,
    prune: bool = False,
    parsed: ParsedPaths | None = None,
    flush: bool = True,
) -> SyncReport:
    """Bring the collections of ``kinds`` in line with the files under ``paths`` that their globs
    select; points of other files are kept unless ``prune`` (see :func:`parse_paths`). ``parsed``:
    what :func:`parse_paths` already read for these arguments (not read again). ``flush=False``
    leaves the writes in the store's write-ahead log (durable) without writing segments now."""
    t_start = time.perf_counter()
    report = SyncReport(dry_run=dry_run, full=full)
    if parsed is None:
        parsed = parse_paths(
            paths, kinds, settings, include=include, exclude=exclude, prune=prune, progress=progress
        )
    key = model_key(embedder, sparse_encoder)
    by_kind = [(kf, kind_documents(kf, embedder, key)) for kf in parsed.kinds if not _idle(kf, store)]
    report.problems = [
        *parsed.problems,
        *(p for kf in parsed.kinds for _, pf in kf.parsed for p in pf.problems),
    ]
    report.warnings = [f"{pf.path}: {w}" for kf in parsed.kinds for _, pf in kf.parsed for w in pf.warnings]
    report.add_guard(parsed.guard)
    report.files = len({(root, pf.path) for kf in parsed.kinds for root, pf in kf.parsed})
    for kf, docs_by_coll in by_kind:
        report.kinds[kf.kind.name] = KindReport(
            files=len(kf.parsed),
            documents={role: len(docs_by_coll[coll]) for role, coll in kf.config.indexed.items()},
        )
    report.parse_seconds = time.perf_counter() - t_start
    with recording() as counts:
        _sync_kinds(store, parsed, by_kind, embedder, sparse_encoder, settings, report, progress)
    report.cache = counts.to_dict()
    if not dry_run and flush:
        t0 = time.perf_counter()
        store.flush()
        report.write_seconds += time.perf_counter() - t0
    report.total()
    report.seconds = time.perf_counter() - t_start
    return report


def _sync_kinds(
    store: VectorStore,
    parsed: ParsedPaths,
    by_kind: list[tuple[KindFiles, dict[str, list[StoreDoc]]]],
    embedder: Embedder,
    sparse_encoder: Any,
    settings: Settings,
    report: SyncReport,
    progress: ProgressFn | None,
) -> None:
    for kf, docs_by_coll in by_kind:
        scope = parsed.scope_of(kf)
        for coll, docs in docs_by_coll.items():
            cr = _sync_collection(
                store,
                kf,
                coll,
                dedupe(docs, report.warnings),
                scope,
                embedder,
                sparse_encoder,
                settings,
                report,
                progress,
            )
            report.collections.append(cr)
            report.kinds[kf.kind.name].collections.append(cr)


def _idle(kf: KindFiles, store: VectorStore) -> bool:
    """A kind that claimed no file of the run and has no collection yet: nothing to add or delete, so
    the run leaves it out (no empty collection, no report line) — a repository without schema files
    does not get an empty ``schemas`` collection. The default kind (plans) always runs."""
    if kf.parsed or kf.kind.name == DEFAULT_KIND:
        return False
    return all(store.collection_info(coll) is None for coll in kf.config.indexed.values())


def _sync_collection(
    store: VectorStore,
    kf: KindFiles,
    coll: str,
    docs: list[StoreDoc],
    scope: Scope,
    embedder: Embedder,
    sparse_encoder: Any,
    settings: Settings,
    report: SyncReport,
    progress: ProgressFn | None,
) -> CollectionReport:
    if not report.dry_run:
        ensure_collection(store, coll, kf.kind, embedder, sparse_encoder)
    diff = diff_collection(store, coll, docs, scope, full=report.full)
    cr = CollectionReport(
        coll,
        added=len(diff.added),
        updated=len(diff.changed),
        moved=len(diff.moved),
        deleted=len(diff.deleted),
        unchanged=diff.unchanged,
    )
    report.note_changed([*diff.added, *diff.changed, *diff.moved])
    if report.dry_run:
        report.changes[coll] = dry_run_detail(diff, store)
        cr.embedded = would_embed(diff)
        return cr
    with recording() as counts:
        st = apply_diff(
            store, diff, embedder, sparse_encoder, batch_size=settings.upsert_batch, progress=progress
        )
    cr.embedded, cr.reused = st.embedded, st.reused
    # an embedder without a cache computes what it is given
    cr.computed = counts.computed if find_cached(embedder) is not None else st.embedded
    report.embed_seconds += st.embed_seconds
    report.write_seconds += st.write_seconds
    t0 = time.perf_counter()
    if cr.added + cr.updated > 1000:
        store.optimize(coll)
    store.set_meta(
        coll,
        {
            "last_sync": now_iso(),
            **kf.config.options,
            "planvec_version": __version__,
            **model_meta(embedder, sparse_encoder),
        },
    )
    report.write_seconds += time.perf_counter() - t0
    return cr


def ensure_collection(
    store: VectorStore, name: str, kind: Kind, embedder: Embedder, sparse_encoder: Any
) -> None:
    """Create ``name`` for ``kind`` (its payload indexes, ``content_hash``'s, which finds the stored
    vector of a text, and ``sensitivity``'s, which every collection has) when missing; add the
    payload indexes an existing one lacks (a collection made before the index was declared) where
    the store can; refuse another dimension."""
    info = store.collection_info(name)
    spec = CollectionSpec(
        name=name,
        dimension=embedder.dimension,
        model=embedder.model_id,
        payload_indexes={**kind.payload_indexes, **SYNC_INDEXES, **SENSITIVITY_INDEX},
    )
    if info is None:
        store.create_collection(spec)
        store.set_meta(name, model_meta(embedder, sparse_encoder))
        return
    check_compatible(info.name, info.dimension, embedder)
    if set(spec.payload_indexes) - set(info.payload_indexes):
        # on an existing collection (as it is: with or without BM25 vectors), adds the missing indexes
        store.create_collection(replace(spec, sparse=info.sparse))


def check_compatible(name: str, dimension: int, embedder: Embedder) -> None:
    if dimension != embedder.dimension:
        raise DimensionMismatch(
            f"collection {name!r} holds {dimension}-d vectors but the model {embedder.model_id} makes "
            f"{embedder.dimension}-d vectors",
            hint=f"drop and rebuild it: planvec drop {name} --yes && planvec index PATH",
        )
