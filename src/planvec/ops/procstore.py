"""A read-only store served by a child process, for work that reads two stores at once.

``validate-migration`` reads every point of a source and of a target. Reading a point from Qdrant
Edge builds Python objects under the GIL (a 384-d vector is 384 floats), so two stores read by one
process take turns on one core. :class:`StoreProcess` opens a store location read-only in a
child process (a fresh interpreter) and answers calls over a socket; :meth:`StoreProcess.scan` streams a
collection as compact column chunks (16-byte ids, a float32 matrix, payload and sparse digests),
built in the child while the parent compares the previous chunk, with at most a few chunks in
flight (memory stays flat whatever the collection size).
"""

from __future__ import annotations

import array
import contextlib
import gc
import hashlib
import itertools
import os
import queue
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from .. import errors as _errors
from ..errors import PlanvecError, StoreError
from ..store.base import CollectionInfo, RawRow, ScoredHit, SparseVec, StoredPoint

CHUNK = 2048
IN_FLIGHT = 3
_NONE = hashlib.blake2b(b"\x00none", digest_size=16).digest()


@dataclass(slots=True)
class Chunk:
    """One batch of points in id order, as columns."""

    keys: np.ndarray  # S16: the 16 bytes of each UUID (byte order = id order)
    dense: np.ndarray  # (n, dim) float32; rows of points without a dense vector are zero
    has_dense: np.ndarray  # bool
    payload: np.ndarray  # S16 digest of the payload (without the keys left out)
    sparse_pattern: np.ndarray  # S16 digest of the sparse indices (a fixed digest when absent)
    sparse_values: np.ndarray  # float32, the values of all sparse vectors, concatenated
    sparse_offsets: np.ndarray  # int64, n + 1 offsets into sparse_values

    def __len__(self) -> int:
        return len(self.keys)


def chunk_slice(c: Chunk, i: int, j: int) -> Chunk:
    off = c.sparse_offsets[i : j + 1]
    return Chunk(
        keys=c.keys[i:j],
        dense=c.dense[i:j],
        has_dense=c.has_dense[i:j],
        payload=c.payload[i:j],
        sparse_pattern=c.sparse_pattern[i:j],
        sparse_values=c.sparse_values[off[0] : off[-1]],
        sparse_offsets=off - off[0],
    )


def chunk_concat(a: Chunk, b: Chunk) -> Chunk:
    if not len(a):
        return b
    return Chunk(
        np.concatenate([a.keys, b.keys]),
        np.concatenate([a.dense, b.dense]),
        np.concatenate([a.has_dense, b.has_dense]),
        np.concatenate([a.payload, b.payload]),
        np.concatenate([a.sparse_pattern, b.sparse_pattern]),
        np.concatenate([a.sparse_values, b.sparse_values]),
        np.concatenate([a.sparse_offsets, b.sparse_offsets[1:] + a.sparse_offsets[-1]]),
    )


def canonical_json(obj: Any) -> bytes:
    """JSON with sorted keys: equal payloads give equal bytes (non-JSON values through str())."""
    return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY, default=str)


def _digest(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=16).digest()


def key_of(pid: Any) -> bytes:
    """The 16 bytes of a UUID point id (a uuid.UUID as Qdrant Edge returns it, or its string)."""
    if isinstance(pid, uuid.UUID):
        return pid.bytes
    return uuid.UUID(str(pid)).bytes


def id_of(key: bytes) -> str:
    return str(uuid.UUID(bytes=bytes(key).ljust(16, b"\x00")))


# A batch of rows: how many, and the rows, produced one by one as they are iterated (EdgeStore
# converts a point's record only then, so that it is digested while still in the CPU caches).
Batch = tuple[int, Iterable[RawRow]]


def build_chunk(
    batch: Batch, dim: int, leave_out: Sequence[str] = (), keep: Callable[[int, RawRow], None] | None = None
) -> Chunk:
    """The columns of one batch, in a single pass over its rows; ``keep(i, row)`` is called for
    each row (the reservoir sampler's hook)."""
    n, rows = batch
    skip = set(leave_out)
    keys, dense_parts, has, pay, pattern = [], [], [], [], []
    values: list[float] = []
    offsets = [0]
    for i, row in enumerate(rows):
        pid, d, sv, payload = row
        keys.append(key_of(pid))
        dense_parts.append(d)
        has.append(d is not None)
        if skip and not skip.isdisjoint(payload):
            payload = {k: v for k, v in payload.items() if k not in skip}
        pay.append(_digest(canonical_json(payload)))
        if sv is None:
            pattern.append(_NONE)
        else:
            idx, val = sv
            if idx != sorted(idx):
                pairs = sorted(zip(idx, val, strict=True))
                idx, val = [i for i, _ in pairs], [v for _, v in pairs]
            pattern.append(_digest(array.array("q", idx).tobytes()))
            values.extend(val)
        offsets.append(len(values))
        if keep is not None:
            keep(i, row)
    if len(keys) != n:
        raise StoreError(f"a batch announced {n} points and held {len(keys)}")
    return Chunk(
        keys=np.frombuffer(b"".join(keys), dtype="S16"),
        dense=_dense(dense_parts, dim, keys),
        has_dense=np.array(has, dtype=bool),
        payload=np.array(pay, dtype="S16"),
        sparse_pattern=np.array(pattern, dtype="S16"),
        sparse_values=np.asarray(values, dtype=np.float32),
        sparse_offsets=np.asarray(offsets, dtype=np.int64),
    )


def _dense(parts: list[bytes | None], dim: int, keys: list[bytes]) -> np.ndarray:
    """The (n, dim) float32 matrix of packed vectors; rows without a vector are zero."""
    width = dim * 4
    if all(d is not None and len(d) == width for d in parts):
        return np.frombuffer(b"".join(parts), dtype=np.float32).reshape(len(parts), dim)  # type: ignore[arg-type]
    dense = np.zeros((len(parts), dim), dtype=np.float32)
    for i, d in enumerate(parts):
        if d is not None:
            v = np.frombuffer(d, dtype=np.float32)
            if len(v) != dim:
                raise StoreError(f"point {id_of(keys[i])} has a {len(v)}-d vector in a {dim}-d collection")
            dense[i] = v
    return dense


# -- the child --------------------------------------------------------------------------------
def _error_reply(e: BaseException) -> tuple[str, Any]:
    if isinstance(e, PlanvecError):
        return ("err", (type(e).__name__, e.message, e.hint))
    return ("err", ("StoreError", f"{type(e).__name__}: {e}", None))


def _scan(store: Any, conn: Any, name: str, dim: int, leave_out: list[str], sample: int) -> None:
    """Stream chunks of ``name``; a sender thread writes to the pipe while the next chunk is built."""
    q: queue.Queue[tuple[str, Any] | None] = queue.Queue(maxsize=IN_FLIGHT)
    failed: list[BaseException] = []

    def sender() -> None:
        while True:
            item = q.get()
            if item is None:
                return
            try:
                conn.send(item)
            except BaseException as e:  # the parent went away: stop producing
                failed.append(e)
                return

    t = threading.Thread(target=sender, name="planvec-scan-send", daemon=True)
    t.start()
    # Every object built here is acyclic and freed by reference counting; the cyclic collector
    # would only walk the young objects again and again (a third of the reading time).
    gc_was_on = gc.isenabled()
    gc.disable()
    rng = np.random.default_rng(0)
    picked: list[StoredPoint] = []
    seen = 0
    last: bytes | None = None
    try:
        for batch in store.scroll_raw(name, batch_size=CHUNK):
            if failed:
                break
            keep = _reservoir(batch[0], seen, sample, picked, rng)
            chunk = build_chunk(batch, dim, leave_out, keep)
            k = chunk.keys
            if len(k) and (
                (last is not None and k[0] <= last) or (len(k) > 1 and not bool(np.all(k[1:] > k[:-1])))
            ):
                raise StoreError(f"the scroll of {name!r} is not in id order: cannot merge-compare")
            if len(k):
                last = bytes(k[-1])
            seen += len(chunk)
            q.put(("chunk", chunk))
        q.put(("end", {"points": seen, "sample": picked}))
    except BaseException as e:
        q.put(_error_reply(e))
    finally:
        q.put(None)
        t.join()
        if gc_was_on:
            gc.enable()


def _reservoir(
    n: int, seen: int, sample: int, picked: list[StoredPoint], rng: np.random.Generator
) -> Callable[[int, RawRow], None] | None:
    """Reservoir sampling (algorithm R) of ``sample`` query points over a stream, one batch at a
    time: ``seen`` rows came before this batch of ``n``. The draws of the batch are made at once;
    the returned hook, called with each row of the batch in order, keeps the rows drawn."""
    if not sample:
        return None
    fill = max(0, min(n, sample - seen))
    slots: dict[int, int] = {}
    if fill < n:
        counts = np.arange(seen + fill + 1, seen + n + 1)  # rows seen so far, this one included
        draws = (rng.random(n - fill) * counts).astype(np.int64)  # uniform in [0, count)
        slots = {fill + int(i): int(draws[i]) for i in np.flatnonzero(draws < sample)}
    if not fill and not slots:
        return None

    def keep(i: int, row: RawRow) -> None:
        if i < fill:
            picked.append(_query_point(row))
        elif i in slots:
            picked[slots[i]] = _query_point(row)

    return keep


def _query_point(r: RawRow) -> StoredPoint:
    vec = np.frombuffer(r[1], dtype=np.float32).copy() if r[1] is not None else None
    sv = r[2]
    sparse = None
    if sv is not None:
        pairs = sorted(zip(sv[0], sv[1], strict=True))
        sparse = SparseVec(tuple(int(i) for i, _ in pairs), tuple(float(v) for _, v in pairs))
    return StoredPoint(id=str(r[0]), payload={}, vector=vec, sparse=sparse)


def timed_searches(
    store: Any, name: str, todo: Sequence[tuple[Any, dict[str, Any]]]
) -> list[tuple[list[ScoredHit], float]]:
    """Run searches of ``name``, given as ``(query, search keyword arguments)``: the hits of each
    and the seconds the store spent in it."""
    out = []
    for query, kw in todo:
        t = time.perf_counter()
        hits = store.search(name, query, **kw)
        out.append((hits, time.perf_counter() - t))
    return out


def _serve(location: str, conn: Any, preload: list[str] | None) -> None:
    from .transfer import open_location

    try:
        store, _ = open_location(location, read_only=True)
        # Load the shards now, while the parent and the other reader start: not one after the other.
        for name in store.list_collections() if preload is None else preload:
            with contextlib.suppress(PlanvecError):  # (a real call reports it)
                store.collection_info(name)
    except BaseException as e:
        conn.send(_error_reply(e))
        return
    conn.send(("ok", None))
    try:
        while True:
            try:
                op, args, kwargs = conn.recv()
            except EOFError:
                return
            if op == "close":
                return
            try:
                if op == "scan":
                    _scan(store, conn, *args)
                    continue
                if op == "searches":
                    conn.send(("ok", timed_searches(store, *args)))
                    continue
                if op == "first_ids":
                    name, limit = args
                    first = itertools.islice(store.scroll(name, fields=[], batch_size=limit), limit)
                    conn.send(("ok", [p.id for p in first]))
                    continue
                conn.send(("ok", getattr(store, op)(*args, **kwargs)))
            except BaseException as e:
                conn.send(_error_reply(e))
    finally:
        store.close()


# Ctrl-C reaches the whole process group; the parent reports it and closes its readers. A reader
# just exits at once, quietly, whatever it is doing (importing, waiting for its store, reading):
# it only reads, and Python runs the handler once Qdrant Edge's current call has returned.
_CHILD = (
    "import os, signal; signal.signal(signal.SIGINT, lambda *_: os._exit(130)); "
    "import sys; from planvec.ops.procstore import _child_main; _child_main(int(sys.argv[1]))"
)


def _child_main(fd: int) -> None:
    """The child's entry point: the store location and preload list come first on the socket
    (everything is imported before: a reader started early waits for them ready to open).

    The child leaves through ``os._exit`` once its store is closed: the interpreter's teardown
    (a tenth of a second with numpy loaded) has nothing left to release, and the parent waits
    for the exit."""
    code = 0
    try:
        from .transfer import open_location  # noqa: F401  (imported now, used by _serve)

        conn = Connection(fd)
        try:
            location, preload = conn.recv()
        except EOFError:
            return
        _serve(location, conn, preload)
    except BaseException:
        code = 1
        raise
    finally:
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            sys.stderr.flush()
        if code == 0:
            os._exit(0)


# -- the parent -------------------------------------------------------------------------------
def _raise(value: Any) -> None:
    cls_name, message, hint = value
    cls = getattr(_errors, cls_name, StoreError)
    if not (isinstance(cls, type) and issubclass(cls, PlanvecError)):
        cls = StoreError
    raise cls(message, hint=hint)


class StoreProcess:
    """A read-only store in a child process (see the module docstring).

    Offers the reads validate-migration makes: ``list_collections``, ``collection_info``,
    ``dense_index``, ``retrieve``, ``first_ids``, ``scan``; any of them, or timed searches
    (``"searches"``: the child times each one, leaving the pipe out), can also run without
    waiting (``start_call``, then ``finish_call``).
    """

    def __init__(self, location: str | None, preload: Sequence[str] | None = None) -> None:
        """Starts the child; it opens the store and loads the collections named in ``preload``
        (None: all) while the caller goes on (the first call waits). With ``location=None`` the
        child starts and imports what it needs, then waits for :meth:`open`: a reader that must
        not open its store yet (its writer still holds it) is ready the moment it may."""
        self.location = location or ""
        # A fresh interpreter (Qdrant Edge runs threads: never fork it) started as a plain
        # command, not by multiprocessing's spawn, which would run the caller's main script again
        # in the child (an unguarded script calling migrate() would then migrate twice at once).
        ours, theirs = socket.socketpair()
        pkg_root = str(Path(__file__).resolve().parents[2])  # the directory holding planvec/
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(x for x in (pkg_root, env.get("PYTHONPATH")) if x)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(theirs.fileno())],
                pass_fds=[theirs.fileno()], stdin=subprocess.DEVNULL, env=env,
            )  # fmt: skip
        except OSError as e:
            ours.close()
            raise StoreError(f"cannot start a process to read {location}: {e}") from e
        finally:
            theirs.close()
        self._conn = Connection(ours.detach())
        self._closed = False
        self._opened = False
        self._ready = False
        self._scanning = False
        self._close_sent = False
        if location is not None:
            self.open(location, preload)

    @property
    def opened(self) -> bool:
        return self._opened

    def open(self, location: str, preload: Sequence[str] | None = None) -> None:
        """Give a child started without a location its store (see ``__init__``)."""
        if self._opened:
            raise StoreError(f"this reader process already reads {self.location}")
        self.location = location
        self._opened = True
        try:
            self._conn.send((location, None if preload is None else list(preload)))
        except OSError as e:
            raise StoreError(
                f"the process to read {location} exited unexpectedly (exit code {self._proc.poll()})"
            ) from e

    def wait_ready(self) -> None:
        if not self._opened:
            raise StoreError("this reader process has no store to read yet (call open first)")
        if not self._ready:
            self._reply()
            self._ready = True

    def _recv(self) -> tuple[str, Any]:
        try:
            msg: tuple[str, Any] = self._conn.recv()
            return msg
        except (EOFError, OSError) as e:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._proc.wait(timeout=5)
            raise StoreError(
                f"the process reading {self.location} exited unexpectedly (exit code {self._proc.returncode})"
            ) from e

    def _reply(self) -> Any:
        kind, value = self._recv()
        if kind == "err":
            _raise(value)
        return value

    def start_call(self, op: str, *args: Any, **kwargs: Any) -> None:
        """Start a call in the child without waiting for it (``op``: a store method, or
        ``"searches"``: :func:`timed_searches`); :meth:`finish_call` returns its result. The caller,
        or another StoreProcess, can work meanwhile."""
        self.wait_ready()
        self._conn.send((op, args, kwargs))

    def finish_call(self) -> Any:
        return self._reply()

    def _call(self, op: str, *args: Any, **kwargs: Any) -> Any:
        self.start_call(op, *args, **kwargs)
        return self.finish_call()

    def list_collections(self) -> list[str]:
        return list(self._call("list_collections"))

    def collection_info(self, name: str) -> CollectionInfo | None:
        info: CollectionInfo | None = self._call("collection_info", name)
        return info

    def dense_index(self, name: str) -> str | None:
        kind: str | None = self._call("dense_index", name)
        return kind

    def retrieve(self, name: str, ids: Sequence[str], *, with_vectors: bool = False) -> list[StoredPoint]:
        return list(self._call("retrieve", name, list(ids), with_vectors=with_vectors))

    def first_ids(self, name: str, limit: int) -> list[str]:
        """The first ``limit`` ids of ``name`` in scroll order."""
        return list(self._call("first_ids", name, limit))

    def scan(
        self, name: str, dim: int, leave_out: Sequence[str] = (), sample: int = 0
    ) -> Iterator[Chunk | dict[str, Any]]:
        """Chunks of ``name`` in id order, then a final dict: ``points`` and the query ``sample``.

        The child starts at once (not at the first ``next``): two scans started one after the
        other read in parallel from the start."""
        self.wait_ready()
        self._conn.send(("scan", (name, dim, list(leave_out), sample), {}))
        self._scanning = True
        return self._chunks()

    def _chunks(self) -> Iterator[Chunk | dict[str, Any]]:
        while True:
            kind, value = self._recv()
            if kind == "chunk":
                yield value
            elif kind == "end":
                self._scanning = False
                yield value
                return
            else:
                self._scanning = False
                _raise(value)

    def start_close(self) -> None:
        """Ask the child to close its store and exit, without waiting (:meth:`close` waits): two
        StoreProcesses close in parallel."""
        if self._scanning or self._close_sent:
            return
        self._close_sent = True
        with contextlib.suppress(OSError, ValueError):
            self._conn.send(("close", (), {}))

    def _drain(self, timeout: float) -> None:
        """Read (and drop) what the child still sends until its end of the socket closes, when
        it exits: the exit is seen at once (Popen.wait with a timeout polls, sleeping up to 50 ms)."""
        deadline = time.monotonic() + timeout
        with contextlib.suppress(OSError, ValueError, EOFError):
            while self._conn.poll(max(0.0, deadline - time.monotonic())):
                self._conn.recv_bytes()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._scanning:  # abandoned mid-scan: the child is blocked sending; stop it
            self._proc.kill()
        elif not self._opened:  # still waiting for its location: end-of-file makes it exit
            self._conn.close()
        else:
            self.start_close()
            self._drain(30)
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout=5)
        self._conn.close()

    def __enter__(self) -> StoreProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
