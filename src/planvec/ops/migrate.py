"""``migrate``: copy collections from one store to another (embedded ↔ server), resumable.

Points are scrolled from the source in id order (Qdrant's scroll order) and written in batches
on worker threads. The target collection's metadata holds a checkpoint, ``planvec_migration``:
the source, the options, and ``resume_from``, an id such that every source point before it is
written (the first id of the oldest unfinished batch). A re-run with the same arguments scrolls
the source from that id again: upserts are idempotent, so nothing is skipped or duplicated.
The source is opened read-only and never written.

Between two embedded data directories (``method="auto"`` or ``"files"``, no re-embedding, a
collection not yet in the target) a collection is copied file by file instead: the source is held
read-only (its lock keeps writers out) while its shard directory is copied into a temporary
directory of the target, fsynced and renamed into place, so a copy is all there or not there, and
an interrupted one simply starts again. It keeps everything Qdrant Edge stores (ids, payloads,
vectors, payload indexes, the HNSW graph) and is limited by the disk, not by converting points.
``method="stream"`` always scrolls and upserts.

``validate=True`` runs :func:`~planvec.ops.validate.validate_migration` once the copy is done, in
the same call: its two reader processes start with the migration (their imports overlap the copy),
the source reader that counted a file copy's source goes on to the validation with its shards
loaded, and a file copy is loaded (its WAL replayed) and counted by the validation's target reader
instead of in this process: the two shards load at the same time, once each.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..clock import now_iso
from ..errors import CollectionNotFound, NotSupported, UsageError
from ..settings import Settings
from ..store.base import CollectionInfo, ShardFiles, StoredPoint, VectorStore
from ..store.filters import check_name
from ..wiring import model_meta
from .transfer import (
    LOCAL_META_KEYS,
    BatchWriter,
    Location,
    MigrationError,
    ProgressFn,
    Rate,
    Reembedder,
    describe,
    open_location,
    portable_meta,
    same_location,
    spec_of,
    to_point_data,
)

if TYPE_CHECKING:
    from .procstore import StoreProcess
    from .validate import ValidationReport

STATE_KEY = "planvec_migration"
DEFAULT_BATCH = 512
DEFAULT_WORKERS = 2
METHODS = ("auto", "stream", "files")
# Seconds between checkpoint writes (0: after every batch; a stale checkpoint only means more re-writing).
CHECKPOINT_EVERY = 0.0


@dataclass(slots=True)
class CollectionMigration:
    name: str
    source_points: int = 0
    target_points: int = 0
    copied: int = 0  # points written by this run
    resumed_from: str | None = None
    already_complete: bool = False
    method: str = "stream"  # "stream" (scroll -> upsert) or "files" (file-level copy of the shard)
    seconds: float = 0.0
    points_per_second: float = 0.0


@dataclass(slots=True)
class MigrateReport:
    source: str
    target: str
    reembedded: bool = False
    collections: list[CollectionMigration] = field(default_factory=list)
    total_points: int = 0
    copied: int = 0
    complete: bool = False
    seconds: float = 0.0
    points_per_second: float = 0.0
    validation: ValidationReport | None = None  # with validate=True

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def migrate(
    source: Location,
    target: Location,
    collections: Sequence[str] | None = None,
    *,
    reembed: Reembedder | None = None,
    batch: int = DEFAULT_BATCH,
    workers: int = DEFAULT_WORKERS,
    optimize: bool = True,
    progress: ProgressFn | None = None,
    on_batch: Callable[[int], None] | None = None,
    method: str = "auto",
    validate: bool = False,
    report_dir: str | Path | None = ".",
    tolerance: float | None = None,
    sample_queries: int | None = None,
    settings: Settings | None = None,
) -> MigrateReport:
    """Copy ``collections`` (default: all) of ``source`` to ``target``; see the module docstring.

    ``validate=True`` then validates the copy (``report_dir``, ``tolerance`` and ``sample_queries``
    as for :func:`~planvec.ops.validate.validate_migration`; None: its defaults) into
    ``report.validation``. ``on_batch(n)`` is called after each batch written in order (n batches
    so far): a test hook. Locations are opened with ``settings`` (default: the environment's),
    as the configured store would be.
    """
    from . import validate as v

    if batch < 1 or workers < 1:
        raise UsageError("--batch and --workers must be at least 1")
    if method not in METHODS:
        raise UsageError(f"unknown migration method {method!r}", hint=f"use one of {', '.join(METHODS)}")
    if method == "files" and reembed is not None:
        raise UsageError("--reembed re-vectorises every point: it cannot use --method files")
    if same_location(source, target):
        raise UsageError("the source and the target are the same store", hint="give another --to")
    tolerance = v.DEFAULT_TOLERANCE if tolerance is None else tolerance
    sample_queries = v.DEFAULT_SAMPLE_QUERIES if sample_queries is None else sample_queries
    if validate:  # checked before anything is copied
        v.check_options(tolerance, sample_queries)
        if v.is_memory(target):
            raise UsageError("a :memory: target is gone when the migration ends: nothing to validate",
                             hint="migrate to a data directory or a Qdrant URL")  # fmt: skip
    readers: tuple[StoreProcess, StoreProcess] | None = None
    pending: list[CollectionMigration] = []
    if validate and v.readable_by_processes(source, target):
        from .procstore import StoreProcess

        # Started now (imports overlap the copy), opened when their stores may be read.
        readers = (StoreProcess(None), StoreProcess(None))
    rate = Rate()
    try:
        src, own_src = open_location(source, read_only=True, settings=settings)
        try:
            dst, own_dst = open_location(target, read_only=False, settings=settings)
            try:
                report = _migrate(
                    src, dst, describe(source), describe(target), collections, reembed, batch, workers,
                    optimize, progress, on_batch, method, readers[0] if readers else None,
                    pending if readers else None,
                )  # fmt: skip
            finally:
                if own_dst:
                    dst.close()
        finally:
            if own_src:
                src.close()
        if readers is not None:
            # The target is closed: its reader loads the copies while the source's reader, which
            # started loading the source once its files were copied, finishes counting it.
            readers[1].open(str(target), list(dict.fromkeys(collections)) if collections else None)
            for cm in pending:
                _finish_source_count(readers[0], cm)
            if pending:
                _totals(report, rate)
    except BaseException:
        for r in readers or ():
            r.close()
        raise
    if validate:
        report.validation = v.validate_migration(
            source, target, collections, report_dir=report_dir, tolerance=tolerance,
            sample_queries=sample_queries, progress=progress, readers=readers, settings=settings,
        )  # fmt: skip
        for c in report.collections:  # file copies left to the validation to count
            checked = report.validation.collections.get(c.name)
            if c.method == "files" and not c.already_complete and checked is not None:
                c.target_points = checked.target_count
        report.complete = _complete(report)
    return report


def _complete(report: MigrateReport) -> bool:
    return all(c.target_points == c.source_points for c in report.collections)


def _totals(report: MigrateReport, rate: Rate) -> None:
    """The report's totals from its collections; its time since ``rate`` started."""
    report.total_points = sum(c.source_points for c in report.collections)
    report.copied = sum(c.copied for c in report.collections)
    report.complete = _complete(report)
    report.seconds = round(rate.seconds(), 3)
    report.points_per_second = rate.per_second(report.copied)


def _migrate(
    src: VectorStore,
    dst: VectorStore,
    src_label: str,
    dst_label: str,
    collections: Sequence[str] | None,
    reembed: Reembedder | None,
    batch: int,
    workers: int,
    optimize: bool,
    progress: ProgressFn | None,
    on_batch: Callable[[int], None] | None,
    method: str = "auto",
    spare: StoreProcess | None = None,
    pending: list[CollectionMigration] | None = None,
) -> MigrateReport:
    """``spare``: a reader process started for the validation that follows: it reads the source
    of file copies (see :func:`_source_reader`) and is left open. ``pending`` (with ``spare``):
    where :func:`_copy_files` leaves the file copies whose source count is still to come."""
    files = _file_copy(src, dst) if reembed is None else None
    if method == "files" and files is None:
        raise UsageError(
            "--method files copies between two embedded data directories only",
            hint="use --method stream (or auto) with a Qdrant URL",
        )
    names = list(dict.fromkeys(collections)) if collections else sorted(src.list_collections())
    if not names:
        raise UsageError(f"the source {src_label} has no collections", hint="check --from")
    reader: StoreProcess | None = None
    deferred: set[str] = set()
    if files is not None and method != "stream":
        reader, deferred = _source_reader(*files, names, spare)
    with contextlib.ExitStack() as cleanup:
        if reader is not None and reader is not spare:
            cleanup.callback(reader.close)
        infos = []
        for n in names:
            check_name(n)
            if n in deferred and files is not None:  # counted by the reader after the copy
                info = files[0].collection_info(n, load=False)
            else:
                info = src.collection_info(n)
            if info is None:
                raise CollectionNotFound(f"collection {n!r} does not exist in the source {src_label}")
            infos.append(info)
        rate = Rate()
        report = MigrateReport(source=src_label, target=dst_label, reembedded=reembed is not None)
        report.total_points = sum(i.points for i in infos)
        # Check every target before writing anything.
        plans = []
        for info in infos:
            spec = (
                spec_of(info, dimension=reembed.embedder.dimension, model=reembed.embedder.model_id)
                if reembed
                else spec_of(info)
            )
            fingerprint = {
                "source": src_label,
                "collection": info.name,
                "reembed": reembed is not None,
                "model": spec.model,
            }
            tinfo = dst.collection_info(info.name)
            state: dict[str, Any] = {}
            if tinfo is not None:
                raw = tinfo.meta.get(STATE_KEY)
                state = raw if isinstance(raw, dict) else {}
                if state.get("fingerprint") != fingerprint and tinfo.points:
                    raise MigrationError(
                        f"collection {info.name!r} already exists in the target with {tinfo.points} points "
                        "that this migration did not write",
                        hint="drop it in the target first, or migrate to another store",
                    )
                if state.get("fingerprint") != fingerprint:
                    state = {}
            plans.append((info, spec, fingerprint, state, tinfo is None))
        done_total = 0
        for info, spec, fingerprint, state, absent in plans:
            cm = CollectionMigration(info.name, source_points=info.points)
            report.collections.append(cm)
            t0 = time.perf_counter()
            if state.get("complete") and dst.count(info.name) == info.points:
                cm.already_complete = True
                cm.target_points = info.points
                done_total += info.points
                continue
            if files is not None and method != "stream" and absent:
                child = reader if info.name in deferred else None
                _copy_files(*files, info, fingerprint, cm, done_total, report.total_points, progress, child,
                            pending=pending)  # fmt: skip
                done_total += cm.source_points
                cm.seconds = round(time.perf_counter() - t0, 3)
                cm.points_per_second = round(cm.copied / cm.seconds, 1) if cm.seconds > 0 else 0.0
                continue
            dst.create_collection(spec)
            resume_from = state.get("resume_from") if not state.get("complete") else None
            cm.resumed_from = resume_from
            checkpoint = {"fingerprint": fingerprint, "started_at": state.get("started_at") or now_iso()}
            transform = (lambda pts, s=spec.sparse: reembed(pts, s)) if reembed else None
            writer = BatchWriter(dst, info.name, workers=workers, transform=transform)
            try:
                _copy(src, dst, info.name, writer, checkpoint, resume_from, batch, done_total,
                      report.total_points, progress, on_batch)  # fmt: skip
            finally:
                writer.close()
            cm.copied = writer.written
            done_total += info.points
            if optimize and writer.written > 1000:
                dst.optimize(info.name)
            meta = portable_meta(info.meta)
            if reembed:
                meta.update(model_meta(reembed.embedder, reembed.sparse_encoder))
            meta[STATE_KEY] = {**checkpoint, "resume_from": None, "complete": True, "finished_at": now_iso()}
            meta["migrated_from"] = {"source": fingerprint["source"], "at": now_iso()}
            dst.set_meta(info.name, meta)
            dst.flush()
            cm.target_points = dst.count(info.name)
            cm.seconds = round(time.perf_counter() - t0, 3)
            cm.points_per_second = round(cm.copied / cm.seconds, 1) if cm.seconds > 0 else 0.0
        _totals(report, rate)
        return report


def _file_copy(src: VectorStore, dst: VectorStore) -> tuple[ShardFiles, ShardFiles] | None:
    """The two stores' file-copy capabilities, when both have one and the source is read-only
    (its lock keeps writers out while its files are copied); else None."""
    try:
        pair = (src.shard_files(), dst.shard_files())
    except NotSupported:
        return None
    return pair if pair[0].read_only else None


def _source_reader(
    src: ShardFiles, dst: ShardFiles, names: list[str], spare: StoreProcess | None = None
) -> tuple[StoreProcess | None, set[str]]:
    """For file copies: a child process that loads the source's shards once their files are
    copied, while this process loads the copies (Qdrant Edge holds the GIL while it loads a shard,
    so a thread would not overlap the two), and the collections it is for: those not in the target
    yet and not loaded here already (one process only can load a shard). Loading a shard never
    starts before its files are copied: a load may write to them. ``spare``: a started reader
    process not opened yet, to use instead of a new one."""
    from .procstore import StoreProcess

    absent = set(names) - set(dst.list_collections())
    fresh = {n for n in src.list_collections() if n in absent and not src.is_loaded(n)}
    if not fresh:
        return None, set()
    if spare is not None:
        spare.open(str(src.data_dir), preload=[])
        return spare, fresh
    return StoreProcess(str(src.data_dir), preload=[]), fresh


def _copy_files(
    src: ShardFiles,
    dst: ShardFiles,
    info: CollectionInfo,
    fingerprint: dict[str, Any],
    cm: CollectionMigration,
    done_before: int,
    total: int,
    progress: ProgressFn | None,
    reader: StoreProcess | None = None,
    *,
    pending: list[CollectionMigration] | None = None,
) -> None:
    """The file-level copy of one collection between two stores with shard files (see the module docstring).
    With a ``reader`` (see :func:`_source_reader`), ``info`` has no point count yet: the reader
    loads the source once its files are copied, while the copy loads here; progress goes in MB.
    With ``pending`` (a validation follows), nothing is counted here: the copy is counted by the
    validation, and ``cm`` is appended to ``pending`` when the reader's count is still to come
    (:func:`_finish_source_count`)."""
    cm.method = "files"
    meta = {k: v for k, v in info.meta.items() if k not in LOCAL_META_KEYS}
    meta["created_at"] = now_iso()
    meta[STATE_KEY] = {"fingerprint": fingerprint, "started_at": now_iso(), "resume_from": None,
                       "complete": True, "finished_at": now_iso(), "method": "files"}  # fmt: skip
    meta["migrated_from"] = {"source": fingerprint["source"], "at": now_iso()}
    n = info.points

    def tick(done: int, size: int) -> None:
        if not progress:
            return
        if reader is not None:
            progress(f"copy {info.name} (MB)", done // 1_000_000, size // 1_000_000)
        else:
            progress(f"migrate {info.name}", done_before + (n * done // size if size else n), total)

    copied = (lambda: reader.start_call("collection_info", info.name)) if reader is not None else None
    # With a validation to follow, the copy loads in its reader process, not here (then again).
    dst.install_copy(src.collection_files(info.name), info.name, meta, tick, copied, load=pending is None)
    if reader is not None and pending is not None:
        pending.append(cm)  # counted by _finish_source_count, later
        return
    if reader is not None:
        _finish_source_count(reader, cm)
    cm.copied = cm.source_points
    if pending is None:
        cm.target_points = dst.count(info.name)


def _finish_source_count(reader: StoreProcess, cm: CollectionMigration) -> None:
    """The source's point count of a file copy, from the reader's ``collection_info`` call
    started when the copy's files were in place (replies come in the order of the calls)."""
    sinfo: CollectionInfo | None = reader.finish_call()
    if sinfo is None:
        raise MigrationError(f"collection {cm.name!r} vanished from the source during the copy")
    cm.source_points = cm.copied = sinfo.points
    if cm.seconds > 0:  # counted after the copy was timed
        cm.points_per_second = round(cm.copied / cm.seconds, 1)


def _copy(
    src: VectorStore,
    dst: VectorStore,
    name: str,
    writer: BatchWriter,
    checkpoint: dict[str, Any],
    resume_from: str | None,
    batch: int,
    done_before: int,
    total: int,
    progress: ProgressFn | None,
    on_batch: Callable[[int], None] | None,
) -> None:
    """Scroll ``name`` from ``resume_from`` into ``writer``, checkpointing the frontier in ``dst``."""
    dst.set_meta(name, {STATE_KEY: {**checkpoint, "resume_from": resume_from, "complete": False}})
    last_ck = time.monotonic()
    last_frontier = resume_from
    reported = 0

    def tick(force: bool = False) -> None:
        nonlocal last_ck, last_frontier, reported
        try:
            newly = writer.collect(block=False)
        except BaseException:
            # A batch failed: the batches reaped before it are written, and the failed one is
            # still the oldest pending, so the frontier is its first id. Record it, then fail.
            if writer.frontier != last_frontier:
                with contextlib.suppress(Exception):
                    dst.set_meta(name, {STATE_KEY: {**checkpoint, "resume_from": writer.frontier,
                                                    "complete": False}})  # fmt: skip
            raise
        front = writer.frontier
        now = time.monotonic()
        if front != last_frontier and (force or now - last_ck >= CHECKPOINT_EVERY):
            dst.set_meta(name, {STATE_KEY: {**checkpoint, "resume_from": front, "complete": False}})
            last_ck, last_frontier = now, front
        for _ in range(newly):
            reported += 1
            if on_batch is not None:
                on_batch(reported)
        if progress:
            progress(f"migrate {name}", done_before + writer.written, total)

    buf: list[StoredPoint] = []
    for p in src.scroll(name, with_vectors=True, batch_size=batch, offset=resume_from):
        buf.append(p)
        if len(buf) >= batch:
            writer.submit(to_point_data(buf))
            buf = []
            tick()
    if buf:
        writer.submit(to_point_data(buf))
    while writer.pending:
        writer.wait_oldest()
        tick()
    tick(force=True)
