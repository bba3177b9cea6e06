"""EdgeStore: the embedded store, on Qdrant Edge (qdrant-edge-py, the Qdrant engine in-process).

Layout of a data directory::

    DATA_DIR/.lock                          flock: exclusive for a writer, shared for readers;
                                            holds the writer's pid
    DATA_DIR/.readers/<pid>-<n>             one file per open reader (pids named in lock errors)
    DATA_DIR/collections/<name>/shard/      the Qdrant Edge shard (segments + WAL)
    DATA_DIR/collections/<name>/meta.json   collection metadata (model, dimension, distance,
                                            sparse, payload_indexes, last_sync, ...), replaced
                                            atomically (temp file + os.replace)

Locking. A writer (``read_only=False``) takes an exclusive ``flock`` on ``DATA_DIR/.lock`` when it
is built, without waiting: a second writer, or a writer while readers are open, gets
:class:`StoreLockedError` naming the pid(s) in the way. A reader (``read_only=True``) takes a
shared lock, so any number of readers coexist while no writer runs, and a reader meets a clear
error while a writer is active. Qdrant Edge itself also locks each shard's WAL: one process only
can load a given shard directory (a second ``EdgeShard.load`` of the same directory fails with
``Can't init WAL: WouldBlock``, in the same process or another). Two readers opening the *same
collection* at the same time therefore take turns: the second one retries for up to
``lock_timeout`` seconds (readers are short-lived CLI searches) before raising StoreLockedError.
A reader never creates the data directory; on a missing one it sees no collections.

Read-only and full disks. A reader opens the lock file read-only (a shared flock needs no write
access) and goes without it on a read-only file system where it does not exist (no writer can work
there). Qdrant Edge opens a shard's files for writing and writes as it loads, so a reader loads a
private copy, in the temporary directory, of a shard whose directory is read-only or whose disk has
no room for the load (see :mod:`.diskspace`). A writer checks the disk watermark before every write
(:class:`~.diskspace.DiskGuard`): a write that would leave less than ``disk_reserve_mb`` free is
refused with DiskFullError before it starts, since a write that runs out of disk through Qdrant
Edge's memory maps kills the process with SIGBUS.

Durability. Every update goes to the shard's WAL first; ``flush()`` writes segments. A writer
killed with SIGKILL leaves its lock released by the kernel, and the next open replays the WAL.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import itertools
import json
import os
import shutil
import struct
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import qdrant_edge as qe

from ..errors import CollectionNotFound, DiskFullError, PlanvecError, StoreError, StoreLockedError
from .base import (
    SPARSE_NAME,
    CollectionInfo,
    CollectionSpec,
    Filters,
    LockStatus,
    MatchAny,
    PointData,
    RawRow,
    ScoredHit,
    SparseVec,
    StoredPoint,
)
from .diskspace import (
    CREATE_BYTES,
    SMALL_WRITE_BYTES,
    DiskGuard,
    allocated_bytes,
    disk_full,
    free_bytes,
    load_bytes,
    payloads_bytes,
    points_bytes,
)
from .filters import (
    DENSE_NAME,
    FACET_LIMIT,
    canonical_id,
    canonical_ids,
    check_existing,
    check_name,
    check_spec,
    conditions,
    dimension_mismatch,
    matches_nothing,
    merge_meta,
    payload_overwrites,
    sparse_sorted,
    spec_meta,
    values_of,
)

LOCK_NAME = ".lock"
READERS_DIR = ".readers"
COLLECTIONS_DIR = "collections"
META_NAME = "meta.json"
SHARD_DIR = "shard"

# HNSW from about 2,000 points of 384 dimensions (3 MB of vectors in a segment) instead of
# Qdrant's 10 MB: a full scan of the 4,654-task shared corpus costs 250 µs of CPU a query, its HNSW
# index 110 µs, with the same recall@5 on the labelled queries (benchmarks/eval_recall.py). Built
# by ``optimize``. Two segments whatever the number of cores (Qdrant's default follows the cores):
# searches run on one thread, segment after segment.
_SMALL_INDEX_KB = 3000
_HNSW = qe.HnswIndexConfig(m=16, ef_construct=100, full_scan_threshold=_SMALL_INDEX_KB)
_OPTIMIZERS = qe.EdgeOptimizersConfig(indexing_threshold=_SMALL_INDEX_KB, default_segment_number=2)

_DISTANCE = {
    "Cosine": qe.Distance.Cosine,
    "Dot": qe.Distance.Dot,
    "Euclid": qe.Distance.Euclid,
    "Manhattan": qe.Distance.Manhattan,
}
_SCHEMA = {
    "keyword": qe.PayloadSchemaType.Keyword,
    "bool": qe.PayloadSchemaType.Bool,
    "integer": qe.PayloadSchemaType.Integer,
    "float": qe.PayloadSchemaType.Float,
}
_SCHEMA_NAME = {
    qe.PayloadSchemaType.Keyword: "keyword",
    qe.PayloadSchemaType.Bool: "bool",
    qe.PayloadSchemaType.Integer: "integer",
    qe.PayloadSchemaType.Float: "float",
    qe.PayloadSchemaType.Text: "text",
    qe.PayloadSchemaType.Geo: "geo",
    qe.PayloadSchemaType.Datetime: "datetime",
    qe.PayloadSchemaType.Uuid: "uuid",
}
_reader_seq = itertools.count()
#: How Qdrant Edge says a disk is full (an I/O error; its own check before an optimization).
_NO_SPACE = ("os error 28", "No space left", "Not enough space")


def _edge_filter(filters: Filters | None) -> qe.Filter | None:
    must: list[Any] = []
    for c in conditions(filters):
        if isinstance(c, MatchAny):
            must.append(qe.FieldCondition(c.key, match=qe.MatchAny(list(c.values))))
        elif isinstance(c.value, bool):
            # qdrant-edge-py 0.9 reads a Python bool given to MatchValue as the integer 0/1 (bool is
            # an int subclass), which matches no bool payload; numpy.bool_ is read as a bool.
            must.append(qe.FieldCondition(c.key, match=qe.MatchValue(np.bool_(c.value))))  # type: ignore[arg-type]
        else:
            must.append(qe.FieldCondition(c.key, match=qe.MatchValue(c.value)))
    return qe.Filter(must=must) if must else None


#: Point id -> its string. Qdrant Edge hands ids back as uuid.UUID objects and ``str()`` of one costs
#: more than a dict look-up; a hybrid search converts 80 of them. Bounded: cleared when it grows big.
_ID_STRS: dict[Any, str] = {}
_ID_STRS_MAX = 200_000
# Payloads of recently read points, per store (searches read the same hits again and again; a
# payload converts from Rust in about 15 µs). Dropped for a collection on every write to it.
PAYLOAD_CACHE_SIZE = 2048


def _id_str(pid: Any) -> str:
    s = _ID_STRS.get(pid)
    if s is None:
        if len(_ID_STRS) >= _ID_STRS_MAX:
            _ID_STRS.clear()
        s = _ID_STRS[pid] = str(pid)
    return s


@functools.lru_cache(maxsize=8)
def _packer(n: int) -> struct.Struct:
    """Packs n Python floats as float32 (the values Qdrant Edge stores are float32: exact)."""
    return struct.Struct(f"={n}f")


def _raw_rows(recs: list[Any]) -> Iterator[RawRow]:
    for rec in recs:
        v = rec.vector  # (each read converts every float again)
        vec = v if isinstance(v, dict) else {}
        d = vec.get(DENSE_NAME)
        sv = vec.get(SPARSE_NAME)
        yield (rec.id, _packer(len(d)).pack(*d) if d is not None else None,
               (sv.indices, sv.values) if sv is not None else None, rec.payload or {})  # fmt: skip


def _vector_params(meta: dict[str, Any]) -> dict[str, Any]:
    """The vectors of a collection, as its metadata records them, for ``qe.EdgeConfig``."""
    vectors = {
        DENSE_NAME: qe.EdgeVectorParams(
            size=int(meta["dimension"]), distance=_DISTANCE[meta.get("distance", "Cosine")]
        )
    }
    sparse = (
        {SPARSE_NAME: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)} if meta.get("sparse") else None
    )
    return {"vectors": vectors, "sparse_vectors": sparse}


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def read_lock_status(data_dir: Path) -> LockStatus:
    """Who holds ``DATA_DIR/.lock`` (writer pid in the file, readers under ``.readers/``), found
    without taking the lock for longer than a non-blocking test."""
    path = data_dir / LOCK_NAME
    readers: set[int] = set()
    with contextlib.suppress(OSError):
        for f in (data_dir / READERS_DIR).iterdir():
            with contextlib.suppress(ValueError):
                pid = int(f.name.split("-")[0])
                if pid != os.getpid() and pid_alive(pid):
                    readers.add(pid)
    status = LockStatus(str(path), reader_pids=tuple(sorted(readers)))
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return status
    with contextlib.suppress(ValueError, IndexError):
        pid = int(text.split()[0])
        status = replace(status, writer_pid=pid, writer_alive=pid_alive(pid))
    if status.writer_pid == os.getpid():
        # A test of the lock would block on this process's own exclusive lock.
        return replace(status, held="by this process")
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return status
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
    except BlockingIOError:
        status = replace(status, held=True)
    finally:
        os.close(fd)
    return status


class EdgeStore:
    """VectorStore on Qdrant Edge: one shard directory per collection under ``data_dir``.

    ``read_only=True`` opens the directory for searching (shared lock, no writes). Use as a
    context manager, or call :meth:`close`, so shards are flushed and the lock released.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        read_only: bool = False,
        lock_timeout: float = 10.0,
        hnsw_ef: int | None = None,
        upsert_batch: int = 512,
        disk_reserve_mb: float = 256.0,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser()
        self.read_only = read_only
        self.lock_timeout = lock_timeout
        self.hnsw_ef = hnsw_ef
        self.upsert_batch = max(1, upsert_batch)
        self._shards: dict[str, qe.EdgeShard] = {}
        self._dims: dict[str, tuple[int, bool]] = {}
        self._meta_paths: dict[str, str] = {}  # collection -> its metadata file (search_spec)
        self._pcache: dict[str, dict[str, dict[str, Any]]] = {}  # collection -> id -> payload
        self._pgen: dict[str, int] = {}  # collection -> writes so far (see _payloads)
        self._pcache_lock = threading.Lock()
        self._mutex = threading.RLock()
        self._pool: ThreadPoolExecutor | None = None
        self._lock_fd: int | None = None
        self._reader_file: Path | None = None
        self._read_copies: list[Path] = []  # private copies a reader loads (see _readable_path)
        self._guard = DiskGuard(self.data_dir, disk_reserve_mb)
        self._closed = False
        if read_only and not self.data_dir.is_dir():
            return  # nothing to read: no collections, and nothing created on disk
        if not read_only:
            try:
                self._collections_root.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise StoreError(
                    f"cannot create the data directory {self.data_dir}: {e.strerror}",
                    hint="choose a writable directory with --data-dir (or PLANVEC_HOME)",
                ) from e
        self._acquire_lock()
        if not read_only:
            self._remove_leftovers()

    # -- locking ------------------------------------------------------------------------------
    @property
    def _collections_root(self) -> Path:
        return self.data_dir / COLLECTIONS_DIR

    def _open_lock_file(self) -> int | None:
        """The lock file's descriptor; None for a reader of a directory where it is missing and
        cannot be created (a read-only file system: no writer can work there either)."""
        path = self.data_dir / LOCK_NAME
        unwritable = (errno.EROFS, errno.EACCES, errno.EPERM)
        if self.read_only:
            # A shared flock works on a descriptor opened read-only: readers need no write access.
            with contextlib.suppress(FileNotFoundError):
                return os.open(path, os.O_RDONLY)
        try:
            return os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:
            if self.read_only and e.errno in (*unwritable, errno.ENOSPC):
                return None
            if e.errno in unwritable:
                raise StoreError(
                    f"cannot write to the data directory {self.data_dir} ({e.strerror})",
                    hint="choose a writable directory with --data-dir (or PLANVEC_HOME); the read-only "
                    "commands (search, collections, backup, check) work on it as it is",
                ) from None
            raise StoreError(f"cannot open the lock file {path}: {e.strerror}") from e

    def _acquire_lock(self) -> None:
        fd = self._open_lock_file()
        if fd is None:
            return
        try:
            fcntl.flock(fd, (fcntl.LOCK_SH if self.read_only else fcntl.LOCK_EX) | fcntl.LOCK_NB)
        except BlockingIOError:
            err = self._locked_error(fd)
            os.close(fd)
            err.lock = read_lock_status(self.data_dir)
            raise err from None
        self._lock_fd = fd
        if self.read_only:
            self._register_reader()
        else:
            # The pid only names the writer in other processes' lock errors: a full disk that
            # cannot take it leaves them saying "another process", and every write is refused
            # by the disk watermark anyway.
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)

    def _writer_pid(self, fd: int) -> int | None:
        try:
            text = os.pread(fd, 64, 0).decode(errors="replace").strip()
            return int(text.split()[0]) if text else None
        except (OSError, ValueError, IndexError):
            return None

    def _reader_pids(self) -> list[int]:
        pids: set[int] = set()
        with contextlib.suppress(OSError):
            for f in (self.data_dir / READERS_DIR).iterdir():
                try:
                    pid = int(f.name.split("-")[0])
                except ValueError:
                    continue
                if pid_alive(pid):
                    pids.add(pid)
                else:
                    with contextlib.suppress(OSError):
                        f.unlink()
        return sorted(pids)

    def _locked_error(self, fd: int) -> StoreLockedError:
        where = str(self.data_dir)
        readers = self._reader_pids()
        if self.read_only or not readers:
            pid = self._writer_pid(fd)
            who = f"process {pid}" if pid else "another process"
            if self.read_only:
                return StoreLockedError(
                    f"the data directory {where} is being written by {who}",
                    hint="wait for it to finish (planvec index / the service writing there) and retry, "
                    "or search another copy with --data-dir",
                )
            return StoreLockedError(
                f"the data directory {where} is locked by another writer ({who})",
                hint=f"wait for it to finish or stop it{f' (kill {pid})' if pid else ''}; "
                "or use another --data-dir",
            )
        return StoreLockedError(
            f"the data directory {where} is open for reading by process(es) {', '.join(map(str, readers))}",
            hint="wait for those searches to finish (or stop them), then retry",
        )

    def _register_reader(self) -> None:
        if not os.access(self.data_dir, os.W_OK):
            return  # read-only media: pids just go unnamed in lock errors
        f = self.data_dir / READERS_DIR / f"{os.getpid()}-{next(_reader_seq)}"
        try:
            f.parent.mkdir(exist_ok=True)
            f.write_text(f"{os.getpid()}\n")
            self._reader_file = f
        except OSError:  # a full disk: same as read-only media
            with contextlib.suppress(OSError):
                f.unlink()

    def _release_lock(self) -> None:
        if self._reader_file is not None:
            with contextlib.suppress(OSError):
                self._reader_file.unlink()
            self._reader_file = None
        if self._lock_fd is not None:
            with contextlib.suppress(OSError):
                if not self.read_only:
                    os.ftruncate(self._lock_fd, 0)
                fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def _remove_leftovers(self) -> None:
        """Half-created or half-deleted collections of a killed writer (dot-names, never listed)."""
        with contextlib.suppress(OSError):
            for d in self._collections_root.iterdir():
                if d.name.startswith((".tmp-", ".trash-")):
                    shutil.rmtree(d, ignore_errors=True)

    # -- helpers ------------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise StoreError("the store is closed")

    def _check_writable(self) -> None:
        self._check_open()
        if self.read_only:
            raise StoreError(
                "the store was opened read-only",
                hint="this command only reads; open the store without read_only to write",
            )

    def _dir(self, name: str) -> Path:
        return self._collections_root / check_name(name)

    def _exists(self, name: str) -> bool:
        try:
            return (self._dir(name) / META_NAME).is_file()
        except PlanvecError:
            return False

    def _not_found(self, name: str) -> CollectionNotFound:
        return CollectionNotFound(
            f"collection {name!r} does not exist in {self.data_dir}",
            hint="list the collections with `planvec collections` (or check --data-dir)",
        )

    def _read_meta(self, name: str) -> dict[str, Any]:
        try:
            with open(self._dir(name) / META_NAME, encoding="utf-8") as f:
                meta = json.load(f)
        except FileNotFoundError:
            raise self._not_found(name) from None
        except (OSError, ValueError) as e:
            raise StoreError(
                f"the metadata of collection {name!r} is unreadable: {e}",
                hint=f"run `planvec fix`, or rebuild it: planvec drop {name} --yes && planvec index PATH",
            ) from e
        if not isinstance(meta, dict):
            raise StoreError(
                f"the metadata of collection {name!r} is not a JSON object", hint="run `planvec fix`"
            )
        return meta

    def _write_meta(self, cdir: Path, meta: dict[str, Any]) -> None:
        tmp = cdir / f".{META_NAME}.{os.getpid()}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(meta, f, ensure_ascii=False, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
        except OSError as e:
            with contextlib.suppress(OSError):
                tmp.unlink()
            if e.errno == errno.ENOSPC:
                raise disk_full("write the collection metadata", self.data_dir, e) from e
            raise
        os.replace(tmp, cdir / META_NAME)
        _fsync_dir(cdir)

    def _shard(self, name: str) -> qe.EdgeShard:
        self._check_open()
        with self._mutex:
            shard = self._shards.get(name)
            if shard is not None:
                return shard
            meta = self._read_meta(name)  # CollectionNotFound when absent
            shard = self._load(name, self._dir(name) / SHARD_DIR, meta)
            self._shards[name] = shard
            self._dims[name] = (int(meta["dimension"]), bool(meta.get("sparse", False)))
            return shard

    def _load(self, name: str, path: Path, meta: dict[str, Any]) -> qe.EdgeShard:
        # One search thread per query: Qdrant Edge's default pool spends 1.5-2.5x the CPU of a
        # search for no gain in latency here, CPU that concurrent requests need.
        config = qe.EdgeConfig(**_vector_params(meta), max_search_threads=1)
        if self.read_only:
            path = self._readable_path(name, path)
        else:
            # (no reserve: a load is what searches need, and they go on while writes are refused)
            self._guard.check(
                f"open collection {name!r}", load_bytes(path, self._guard.fills_holes), reserve=False
            )
        deadline = time.monotonic() + max(0.0, self.lock_timeout)
        delay = 0.02
        while True:
            try:
                return qe.EdgeShard.load(str(path), config)
            except Exception as e:
                if "WouldBlock" not in str(e):
                    raise StoreError(
                        f"cannot open collection {name!r} ({path}): {e}",
                        hint=f"rebuild it: planvec drop {name} --yes && planvec index PATH",
                    ) from e
                if time.monotonic() >= deadline:
                    readers = [p for p in self._reader_pids() if p != os.getpid()]
                    who = f"process(es) {', '.join(map(str, readers))}" if readers else "another process"
                    raise StoreLockedError(
                        f"collection {name!r} is open in {who} (Qdrant Edge lets one process load a shard)",
                        hint="retry when that search or command has finished",
                    ) from e
                time.sleep(delay)
                delay = min(delay * 2, 0.2)

    def _readable_path(self, name: str, path: Path) -> Path:
        """Where a reader loads collection ``name`` from: its shard directory, or a private copy in
        the temporary directory when that one is read-only or its disk has no room for a load
        (Qdrant Edge opens its files for writing and writes as it loads)."""
        need = load_bytes(path, self._guard.fills_holes)
        if not os.access(path, os.W_OK):
            why = "the data directory is read-only"
        elif free_bytes(path) < need:
            why = f"its disk is full ({need >> 20} MiB needed to load it there)"
        else:
            return path
        tmp = Path(tempfile.mkdtemp(prefix=f"planvec-read-{name}-"))
        self._read_copies.append(tmp)
        tmp_fills = DiskGuard(tmp, 0).fills_holes
        copy_need = allocated_bytes(path) + load_bytes(path, tmp_fills)
        try:
            if free_bytes(tmp) < copy_need:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            _copy_tree(path, tmp / SHARD_DIR, None, sync=False)
        except OSError as e:
            raise DiskFullError(
                f"cannot read collection {name!r}: {why}, and a private copy in {tmp.parent} "
                f"(about {copy_need >> 20} MiB) failed: {e.strerror}",
                hint="set TMPDIR to a directory with room for the copy, or free some space",
            ) from e
        return tmp / SHARD_DIR

    def _spec(self, name: str) -> tuple[qe.EdgeShard, int, bool]:
        shard = self._shard(name)
        dim, sparse = self._dims[name]
        return shard, dim, sparse

    def _op(self, what: str, name: str, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except PlanvecError:
            raise
        except Exception as e:
            if any(m in str(e) for m in _NO_SPACE):
                raise disk_full(f"{what} on collection {name!r}", self.data_dir, e) from e
            raise StoreError(f"Qdrant Edge {what} on collection {name!r} failed: {e}") from e

    # -- collections ----------------------------------------------------------------------------
    def create_collection(self, spec: CollectionSpec) -> None:
        self._check_writable()
        check_spec(spec)
        name = spec.name
        with self._mutex:
            cdir = self._dir(name)
            if (cdir / META_NAME).is_file():
                meta = self._read_meta(name)
                check_existing(name, meta, spec, int(meta["dimension"]))
                self._add_indexes(name, meta, spec.payload_indexes)
                return
            meta = spec_meta(spec)
            self._guard.check(f"create collection {name!r}", CREATE_BYTES)
            tmp = self._collections_root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
            try:
                shard = qe.EdgeShard.create(
                    str(tmp / SHARD_DIR),
                    qe.EdgeConfig(**_vector_params(meta), hnsw_config=_HNSW, optimizers=_OPTIMIZERS),
                )
                try:
                    for field, schema in spec.payload_indexes.items():
                        shard.update(qe.UpdateOperation.create_field_index(field, _SCHEMA[schema]))
                    shard.flush()
                finally:
                    shard.close()
                self._write_meta(tmp, meta)
                if cdir.exists():  # a directory without meta.json: debris of a failed run
                    self._trash(cdir)
                os.rename(tmp, cdir)
                _fsync_dir(self._collections_root)
            except PlanvecError:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
            except Exception as e:
                shutil.rmtree(tmp, ignore_errors=True)
                if isinstance(e, OSError) and e.errno == errno.ENOSPC:
                    raise disk_full(f"create collection {name!r}", self.data_dir, e) from e
                raise StoreError(f"cannot create collection {name!r} in {self.data_dir}: {e}") from e

    def _add_indexes(self, name: str, meta: dict[str, Any], wanted: dict[str, str]) -> None:
        """Create the payload indexes of ``wanted`` that an existing collection lacks (as a server
        store does): a field index is built over the points already there (under ``self._mutex``)."""
        have = dict(meta.get("payload_indexes") or {})
        missing = {f: s for f, s in wanted.items() if f not in have}
        if not missing:
            return
        shard = self._shard(name)
        for field, schema in missing.items():
            op = qe.UpdateOperation.create_field_index(field, _SCHEMA[schema])
            self._op("create index", name, shard.update, op)
        self._op("flush", name, shard.flush)
        self._write_meta(self._dir(name), {**meta, "payload_indexes": {**have, **missing}})
        self._changed(name)

    def _trash(self, cdir: Path) -> None:
        trash = cdir.parent / f".trash-{cdir.name}-{uuid.uuid4().hex[:8]}"
        os.rename(cdir, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def delete_collection(self, name: str) -> None:
        self._check_writable()
        try:
            cdir = self._dir(name)
        except PlanvecError:
            return  # an invalid name names no collection
        with self._mutex:
            shard = self._shards.pop(name, None)
            self._dims.pop(name, None)
            self._changed(name)
            if shard is not None:
                with contextlib.suppress(Exception):
                    shard.close()
            if cdir.exists():
                try:
                    self._trash(cdir)
                except OSError as e:
                    raise StoreError(f"cannot delete collection {name!r}: {e.strerror}") from e

    def list_collections(self) -> list[str]:
        self._check_open()
        try:
            entries = list(self._collections_root.iterdir())
        except FileNotFoundError:
            return []
        return sorted(d.name for d in entries if not d.name.startswith(".") and (d / META_NAME).is_file())

    def collection_info(self, name: str, *, load: bool = True) -> CollectionInfo | None:
        """``load=False``: from the metadata alone, without loading the shard (a file copy's plan):
        points, indexed points and segments are then 0, payload indexes those the metadata lists."""
        self._check_open()
        if not self._exists(name):
            return None
        meta = self._read_meta(name)
        info = self._op("info", name, self._shard(name).info) if load else None
        return CollectionInfo(
            name=name,
            dimension=int(meta["dimension"]),
            distance=str(meta.get("distance", "Cosine")),
            points=int(info.points_count) if info else 0,
            model=meta.get("model"),
            sparse=bool(meta.get("sparse", False)),
            meta=meta,
            payload_indexes={
                field: _SCHEMA_NAME.get(idx.data_type, str(idx.data_type))
                for field, idx in info.payload_schema.items()
            }
            if info
            else dict(meta.get("payload_indexes") or {}),
            indexed_points=int(info.indexed_vectors_count) if info else 0,
            segments=int(info.segments_count) if info else 0,
        )

    def dense_index(self, name: str) -> str | None:
        """The dense vector index of the shard's segments, from their ``segment.json`` (Qdrant's
        segment config): "plain" (searches scan every vector), "hnsw", "mixed", or None when
        unreadable."""
        self._check_open()
        kinds: set[str] = set()
        try:
            for seg in (self._dir(name) / SHARD_DIR / "segments").iterdir():
                config = json.loads((seg / "segment.json").read_bytes())["config"]
                kinds.add(str(config["vector_data"][DENSE_NAME]["index"]["type"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        if len(kinds) > 1:
            return "mixed"
        return kinds.pop() if kinds else None

    def collection_files(self, name: str) -> Path:
        """The directory of collection ``name`` (``meta.json`` and ``shard/``), for a file-level copy.

        Only a read-only store hands it out: its shared lock keeps every writer out, so the files
        do not change while they are copied (a copy of the segments and the WAL loads to the same
        points, the WAL replayed like after a crash).
        """
        self._check_open()
        if not self.read_only:
            raise StoreError(
                "a file-level copy needs the source opened read-only (its lock keeps writers out)"
            )
        if not self._exists(name):
            raise self._not_found(name)
        return self._dir(name)

    def install_copy(
        self,
        source_dir: Path,
        name: str,
        meta: dict[str, Any],
        progress: Callable[[int, int], None] | None = None,
        copied: Callable[[], None] | None = None,
        *,
        load: bool = True,
    ) -> None:
        """Install a file-level copy of another store's collection directory as ``name``.

        The shard files are copied into a temporary directory, fsynced, then renamed into place:
        an interrupted copy leaves no collection (its debris is removed when a writer next opens
        the store). ``meta`` replaces the copied ``meta.json``. ``progress(bytes_done, total)``;
        ``copied()`` is called once the files are in place, before the copy is loaded (here,
        unless ``load`` is false: the caller has it loaded elsewhere, as by a validation).
        """
        self._check_writable()
        name = check_name(name)
        with self._mutex:
            cdir = self._dir(name)
            if (cdir / META_NAME).is_file():
                raise StoreError(f"collection {name!r} already exists in {self.data_dir}")
            src = Path(source_dir) / SHARD_DIR
            need = allocated_bytes(src) + load_bytes(src, self._guard.fills_holes)
            self._guard.check(f"copy collection {name!r} in", need)
            tmp = self._collections_root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
            try:
                _copy_tree(src, tmp / SHARD_DIR, progress)
                self._write_meta(tmp, meta)
                if cdir.exists():  # a directory without meta.json: debris of a failed run
                    self._trash(cdir)
                os.rename(tmp, cdir)
                _fsync_dir(self._collections_root)
            except BaseException as e:
                shutil.rmtree(tmp, ignore_errors=True)
                if isinstance(e, OSError) and e.errno == errno.ENOSPC:
                    raise disk_full(f"copy collection {name!r} in", self.data_dir, e) from e
                if isinstance(e, OSError):
                    raise StoreError(f"cannot copy collection {name!r} into {self.data_dir}: {e}") from e
                raise
        self._changed(name)
        if copied is not None:
            copied()
        if load:
            self._shard(name)  # the copy loads (and its WAL replays) before it is reported done

    # -- capabilities ---------------------------------------------------------------------------
    def lock_status(self) -> LockStatus:
        return read_lock_status(self.data_dir)

    def server_version(self) -> str | None:
        import importlib.metadata as md

        try:
            return f"qdrant-edge-py {md.version('qdrant-edge-py')}"
        except md.PackageNotFoundError:
            return None

    def shard_files(self) -> EdgeStore:
        """This store itself: it copies collections file by file (:meth:`collection_files`,
        :meth:`install_copy`)."""
        return self

    def is_loaded(self, name: str) -> bool:
        """Whether this store has loaded collection ``name``'s shard (then no other process can)."""
        return name in self._shards

    def get_meta(self, name: str) -> dict[str, Any]:
        self._check_open()
        check_name(name)
        return self._read_meta(name)

    def set_meta(self, name: str, meta: dict[str, Any]) -> None:
        self._check_writable()
        self._guard.check(f"update the metadata of collection {name!r}", SMALL_WRITE_BYTES)
        with self._mutex:
            merged = merge_meta(name, self._read_meta(name), meta)
            self._write_meta(self._dir(name), merged)

    # -- points ---------------------------------------------------------------------------------
    def _changed(self, name: str) -> None:
        """After a write to ``name`` (or its removal): forget its cached payloads."""
        with self._pcache_lock:
            self._pgen[name] = self._pgen.get(name, 0) + 1
            self._pcache.pop(name, None)

    def _payloads(self, name: str, shard: qe.EdgeShard, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The payloads of the points among ``ids`` (canonical) that exist, read through the cache.
        The dicts are the cache's own: copy before handing them out."""
        cache = self._pcache.get(name) or {}
        found: dict[str, dict[str, Any]] = {}
        missing = []
        for i in ids:
            p = cache.get(i)
            if p is None:
                missing.append(i)
            else:
                found[i] = p
        if not missing:
            return found
        gen = self._pgen.get(name, 0)
        recs = self._op("retrieve", name, shard.retrieve, missing, True, False)
        fresh = {_id_str(r.id): dict(r.payload or {}) for r in recs}
        found.update(fresh)
        with self._pcache_lock:
            # Not when a write came between the read and now: what was read may be older.
            if self._pgen.get(name, 0) == gen and not self._closed:
                cache = self._pcache.setdefault(name, {})
                cache.update(fresh)
                while len(cache) > PAYLOAD_CACHE_SIZE:
                    del cache[next(iter(cache))]
        return found

    def _build_upsert(
        self, name: str, batch: Sequence[PointData], dim: int, sparse: bool
    ) -> qe.UpdateOperation:
        for p in batch:
            shape = np.shape(p.vector)
            if shape != (dim,):
                raise dimension_mismatch(name, dim, int(shape[-1]) if shape else 0)
        # One matrix for the batch: one finiteness check and one tolist() (a list of floats converts
        # to Rust faster than an array).
        mat = np.asarray(np.stack([p.vector for p in batch]), dtype=np.float32)
        if not np.isfinite(mat).all():
            bad = next(p.id for p, row in zip(batch, mat, strict=True) if not np.isfinite(row).all())
            raise StoreError(f"the vector of point {bad} holds NaN or infinity")
        points = []
        for p, row in zip(batch, mat.tolist(), strict=True):
            vector: dict[str, Any] = {DENSE_NAME: row}
            if p.sparse is not None:
                if not sparse:
                    raise StoreError(
                        f"collection {name!r} has no BM25 sparse vector",
                        hint=f"rebuild it: planvec drop {name} --yes && planvec index PATH",
                    )
                vector[SPARSE_NAME] = qe.SparseVector(list(p.sparse.indices), list(p.sparse.values))
            points.append(qe.Point(canonical_id(p.id), vector, p.payload))
        return qe.UpdateOperation.upsert_points(points)

    def upsert(self, name: str, points: Sequence[PointData]) -> None:
        self._check_writable()
        shard, dim, sparse = self._spec(name)
        if not points:
            return
        self._guard.check(f"write {len(points)} point(s) to collection {name!r}", points_bytes(dim, points))
        try:
            self._upsert(name, shard, points, dim, sparse)
        finally:
            self._changed(name)

    def _upsert(
        self, name: str, shard: qe.EdgeShard, points: Sequence[PointData], dim: int, sparse: bool
    ) -> None:
        batches = [points[i : i + self.upsert_batch] for i in range(0, len(points), self.upsert_batch)]
        if len(batches) == 1:
            self._op("upsert", name, shard.update, self._build_upsert(name, batches[0], dim, sparse))
            return
        # Building the points (Python -> Rust conversion of payloads) holds the GIL; shard.update
        # releases it. Overlap the two: build batch k+1 while batch k is written.
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="planvec-edge")
        pending: Future[None] | None = None
        try:
            for batch in batches:
                op = self._build_upsert(name, batch, dim, sparse)
                if pending is not None:
                    self._op("upsert", name, pending.result)
                pending = self._pool.submit(shard.update, op)
            if pending is not None:
                self._op("upsert", name, pending.result)
                pending = None
        finally:
            if pending is not None:  # an error while building: let the write in flight finish
                with contextlib.suppress(Exception):
                    pending.result()

    def overwrite_payload(self, name: str, items: Sequence[tuple[str, dict[str, Any]]]) -> None:
        self._check_writable()
        shard = self._shard(name)
        if not items:
            return
        self._guard.check(
            f"update {len(items)} payload(s) in collection {name!r}",
            SMALL_WRITE_BYTES + payloads_bytes([p for _, p in items]),
        )
        wanted = canonical_ids(pid for pid, _ in items)
        recs = self._op("retrieve", name, shard.retrieve, wanted, False, False)
        existing = {str(r.id) for r in recs}
        try:
            for cid, payload in payload_overwrites(items, existing):
                self._op(
                    "overwrite_payload",
                    name,
                    shard.update,
                    qe.UpdateOperation.overwrite_payload([cid], payload),
                )
        finally:
            self._changed(name)

    def delete(self, name: str, ids: Sequence[str]) -> None:
        self._check_writable()
        shard = self._shard(name)
        todo = canonical_ids(ids)
        if todo:
            self._guard.check(f"delete {len(todo)} point(s) from collection {name!r}", SMALL_WRITE_BYTES)
        try:
            for i in range(0, len(todo), 1024):
                self._op(
                    "delete", name, shard.update, qe.UpdateOperation.delete_points(list(todo[i : i + 1024]))
                )
        finally:
            self._changed(name)

    @staticmethod
    def _stored(rec: Any, with_vectors: bool) -> StoredPoint:
        vector: np.ndarray | None = None
        sparse: SparseVec | None = None
        # Each read of rec.vector converts every float again: read it once.
        vec = rec.vector if with_vectors else None
        if isinstance(vec, dict):
            dense = vec.get(DENSE_NAME)
            if dense is not None:
                vector = np.asarray(dense, dtype=np.float32)
            sv = vec.get(SPARSE_NAME)
            if sv is not None:
                sparse = sparse_sorted(sv.indices, sv.values)
        return StoredPoint(id=str(rec.id), payload=dict(rec.payload or {}), vector=vector, sparse=sparse)

    def scroll(
        self,
        name: str,
        *,
        fields: Sequence[str] | None = None,
        with_vectors: bool = False,
        batch_size: int = 1024,
        offset: str | None = None,
    ) -> Iterator[StoredPoint]:
        shard = self._shard(name)
        with_payload: Any = (
            True if fields is None else (qe.PayloadSelector.Include(list(fields)) if fields else False)
        )
        cursor: Any = canonical_id(offset) if offset is not None else None
        while True:
            req = qe.ScrollRequest(
                offset=cursor, limit=max(1, batch_size), with_payload=with_payload, with_vector=with_vectors
            )
            recs, cursor = self._op("scroll", name, shard.scroll, req)
            for rec in recs:
                yield self._stored(rec, with_vectors)
            if cursor is None:
                return

    def scroll_raw(self, name: str, *, batch_size: int = 1024) -> Iterator[tuple[int, Iterator[RawRow]]]:
        """Batches of points in id order for bulk readers such as validate-migration: each is
        (count, rows), a row being (id as uuid.UUID, dense vector as float32 bytes, (sparse
        indices, values) as stored, payload).

        A batch's rows are converted from Qdrant Edge's records one by one as they are iterated
        (iterate each batch before asking for the next), so that a reader digests each point
        while it is still in the CPU caches, and each list of Python floats that Qdrant Edge
        builds for a dense vector is packed and dropped at once: a quarter less time than
        converting a whole batch first (100k x 384-d, measured)."""
        shard = self._shard(name)
        cursor: Any = None
        while True:
            req = qe.ScrollRequest(
                offset=cursor, limit=max(1, batch_size), with_payload=True, with_vector=True
            )
            recs, cursor = self._op("scroll", name, shard.scroll, req)
            if recs:
                yield len(recs), _raw_rows(recs)
            if cursor is None:
                return

    def retrieve(self, name: str, ids: Sequence[str], *, with_vectors: bool = False) -> list[StoredPoint]:
        shard = self._shard(name)
        wanted = canonical_ids(ids)
        if not wanted:
            return []
        if not with_vectors:
            payloads = self._payloads(name, shard, wanted)
            return [StoredPoint(id=i, payload=dict(payloads[i])) for i in wanted if i in payloads]
        recs = self._op("retrieve", name, shard.retrieve, wanted, True, with_vectors)
        got = {str(r.id): r for r in recs}
        return [self._stored(got[i], with_vectors) for i in wanted if i in got]

    def count(self, name: str, filters: Filters | None = None) -> int:
        shard = self._shard(name)
        if matches_nothing(filters):
            return 0
        return int(
            self._op("count", name, shard.count, qe.CountRequest(exact=True, filter=_edge_filter(filters)))
        )

    def search(
        self,
        name: str,
        query: np.ndarray | SparseVec,
        *,
        filters: Filters | None = None,
        limit: int = 10,
        exact: bool = False,
        with_payload: bool = True,
    ) -> list[ScoredHit]:
        return self.search_batch(name, [(query, filters, limit)], with_payload=with_payload, exact=exact)[0]

    def search_batch(
        self,
        name: str,
        queries: Sequence[tuple[np.ndarray | SparseVec, Filters | None, int]],
        *,
        with_payload: bool = True,
        exact: bool = False,
    ) -> list[list[ScoredHit]]:
        """Several searches of one collection, as ``(query, filters, limit)``, run as one Qdrant Edge
        ``query_batch``: the same hits as one :meth:`search` each, for less CPU (one planned pass
        instead of one parallel search per query). Payloads are read afterwards, through the
        payload cache, for the hits only."""
        shard, dim, sparse = self._spec(name)
        reqs = [self._query_request(name, dim, sparse, q, f, n, exact) for q, f, n in queries]
        todo = [r for r in reqs if r is not None]
        if not todo:
            return [[] for _ in reqs]
        if len(todo) == 1:
            results = iter([self._op("search", name, shard.query, todo[0])])
        else:
            results = iter(self._op("search", name, shard.query_batch, qe.QueryBatchRequest(todo)))
        found = [[(_id_str(h.id), h.score) for h in next(results)] if r is not None else [] for r in reqs]
        if not with_payload:
            return [[ScoredHit(i, float(s), {}) for i, s in hits] for hits in found]
        payloads = self._payloads(name, shard, list(dict.fromkeys(i for hits in found for i, _ in hits)))
        return [
            [ScoredHit(i, float(s), dict(payloads[i])) for i, s in hits if i in payloads] for hits in found
        ]

    def search_spec(self, name: str) -> tuple[int, bool] | None:
        """``(dimension, has BM25 vectors)`` of a collection, or None when it does not exist: what a
        search needs to know, from memory once the collection is open (no metadata read, no
        ``info`` call, unlike :meth:`collection_info`)."""
        self._check_open()
        spec = self._dims.get(name)
        if spec is None or name not in self._shards:
            if not self._exists(name):
                return None
            return self._spec(name)[1:]
        meta_path = self._meta_paths.get(name)
        if meta_path is None:
            meta_path = self._meta_paths[name] = str(self._dir(name) / META_NAME)
        return spec if os.path.isfile(meta_path) else None

    def _query_request(
        self,
        name: str,
        dim: int,
        sparse: bool,
        query: np.ndarray | SparseVec,
        filters: Filters | None,
        limit: int,
        exact: bool,
    ) -> qe.QueryRequest | None:
        """The Qdrant Edge request of one search (ids and scores), or None when it can match nothing."""
        if limit <= 0 or matches_nothing(filters):
            return None
        if isinstance(query, SparseVec):
            if not sparse:
                raise StoreError(
                    f"collection {name!r} has no BM25 sparse vectors",
                    hint="search it with --mode dense, or rebuild it: "
                    f"planvec drop {name} --yes && planvec index PATH",
                )
            if not query.indices:
                return None
            q = qe.Query.Nearest(qe.SparseVector(list(query.indices), list(query.values)), using=SPARSE_NAME)
        else:
            arr = np.asarray(query, dtype=np.float32)
            if arr.shape != (dim,):
                raise dimension_mismatch(name, dim, int(arr.shape[-1]) if arr.ndim else 0)
            q = qe.Query.Nearest(arr.tolist(), using=DENSE_NAME)
        return qe.QueryRequest(
            limit=limit,
            query=q,
            filter=_edge_filter(filters),
            with_payload=False,
            with_vector=False,
            params=qe.SearchParams(hnsw_ef=self.hnsw_ef, exact=exact) if self.hnsw_ef or exact else None,
        )

    def distinct_values(self, name: str, field: str) -> list[str]:
        shard = self._shard(name)
        if self._read_meta(name).get("payload_indexes", {}).get(field) == "keyword":
            resp = self._op(
                "facet", name, shard.facet, qe.FacetRequest(key=field, limit=FACET_LIMIT, exact=True)
            )
            if len(resp.hits) < FACET_LIMIT:
                # (exact facets of Qdrant Edge 0.9 keep values whose points are gone, with count 0)
                return sorted({str(h.value) for h in resp.hits if h.count > 0})
        seen: set[str] = set()
        for p in self.scroll(name, fields=[field]):
            seen.update(values_of(p.payload, field))
        return sorted(seen)

    def optimize(self, name: str) -> None:
        self._check_writable()
        shard = self._shard(name)
        # optimizing rewrites the segments: as much again as they take
        self._guard.check(f"optimize collection {name!r}", allocated_bytes(self._dir(name) / SHARD_DIR))
        self._op("optimize", name, shard.optimize)

    def flush(self) -> None:
        self._check_open()
        if self.read_only:
            return
        with self._mutex:
            for name, shard in list(self._shards.items()):
                self._op("flush", name, shard.flush)

    def close(self) -> None:
        with self._mutex:
            if self._closed:
                return
            self._closed = True
            errors: list[str] = []
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None
            for name, shard in self._shards.items():
                try:
                    if not self.read_only:
                        shard.flush()
                    shard.close()
                except Exception as e:
                    errors.append(f"{name}: {e}")
            self._shards.clear()
            self._dims.clear()
            for copy in self._read_copies:
                shutil.rmtree(copy, ignore_errors=True)
            self._read_copies.clear()
            self._release_lock()
        if errors:
            raise StoreError(f"closing the store failed: {'; '.join(errors)}")

    def __enter__(self) -> EdgeStore:
        return self

    def __exit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.read_only else "writer"
        return f"EdgeStore({str(self.data_dir)!r}, {mode}{', closed' if self._closed else ''})"


def _copy_tree(
    src: Path, dst: Path, progress: Callable[[int, int], None] | None, *, sync: bool = True
) -> None:
    """Copy a directory tree file by file (:func:`_copy_file`), fsyncing every file and directory
    (unless ``sync`` is false: a scratch copy, deleted when done).

    Each file is fsynced on a small thread pool while the next ones are copied, so the disk writes
    back one file while another is copied (half the time of copying then syncing, measured)."""
    entries = sorted(src.rglob("*"))
    dirs = [p.relative_to(src) for p in entries if p.is_dir()]
    files = [(p, p.stat().st_size) for p in entries if p.is_file()]
    total = sum(size for _, size in files)
    done = 0
    dst.mkdir(parents=True)
    for d in dirs:
        (dst / d).mkdir(exist_ok=True)  # sorted: parents before children
    with ThreadPoolExecutor(max_workers=4, thread_name_prefix="planvec-fsync") as pool:
        synced = []
        for f, size in files:
            target = dst / f.relative_to(src)
            _copy_file(f, target)
            if sync:
                synced.append(pool.submit(_fsync_file, target))
            done += size
            if progress:
                progress(done, total)
        for fut in synced:
            fut.result()  # an fsync error (e.g. EIO) fails the copy
    if not sync:
        return
    for d in reversed(dirs):
        _fsync_dir(dst / d)
    _fsync_dir(dst)


def _copy_file(src: Path, dst: Path) -> None:
    """Copy one file, keeping its holes (Qdrant's mmap files are sparse); :func:`_fsync_file`
    makes it durable."""
    with open(src, "rb") as fi, open(dst, "wb") as fo:
        fdi, fdo = fi.fileno(), fo.fileno()
        size = os.fstat(fdi).st_size
        for start, end in _data_ranges(fdi, size):
            off = start
            while off < end:
                n = _copy_range(fdi, fdo, off, min(end - off, 1 << 26))
                if n <= 0:
                    raise OSError(f"short copy of {src}")
                off += n
        os.ftruncate(fdo, size)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _copy_range(fdi: int, fdo: int, off: int, count: int) -> int:
    try:
        return os.copy_file_range(fdi, fdo, count, off, off)
    except OSError as e:
        if e.errno not in (errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
            raise
        data = os.pread(fdi, count, off)  # no copy_file_range between these file systems
        return os.pwrite(fdo, data, off) if data else 0


def _data_ranges(fd: int, size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of the data (non-hole) ranges of a file."""
    pos = 0
    while pos < size:
        try:
            start = os.lseek(fd, pos, os.SEEK_DATA)
        except OSError as e:
            if e.errno != errno.ENXIO:  # no SEEK_DATA here: copy the rest whole
                yield pos, size
            return  # ENXIO: only a hole is left
        end = min(os.lseek(fd, start, os.SEEK_HOLE), size)
        yield start, end
        pos = end


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
