"""L3: vectors on disk, in one SQLite file under the cache directory: survives restarts, shared by
the processes of this machine (WAL journal, so readers never wait for a writer).

At most ``size`` entries stay: past the cap the least recently used are deleted (with a tenth of
the cap of slack, so a full cache is not trimmed on every write). A file that SQLite cannot open
as a database is moved aside (``.corrupt-<time>``) and a new one started; any other failure is one
:class:`~planvec.errors.CacheWarning`, then the level is off for the rest of the process.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from ...errors import CacheWarning
from .codec import decode, encode

FILE_NAME = "embeddings.sqlite3"
_CHUNK = 500
_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, vec BLOB NOT NULL, used INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS entries_used ON entries (used);
"""


class DiskLevel:
    name = "l3"

    def __init__(self, path: Path, size: int) -> None:
        self.path = Path(path)
        self.size = max(0, int(size))
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._off = False
        self._count = 0

    def get_many(self, keys: Sequence[str], dimension: int) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        bad: list[str] = []
        with self._lock:
            conn = self._connect()
            if conn is None or not keys:
                return out
            try:
                for s in range(0, len(keys), _CHUNK):
                    part = list(keys[s : s + _CHUNK])
                    marks = ",".join("?" * len(part))
                    rows = conn.execute(f"SELECT key, vec FROM entries WHERE key IN ({marks})", part)
                    for key, blob in rows:
                        vec = decode(blob, dimension)
                        if vec is None:
                            bad.append(key)
                        else:
                            out[key] = vec
                    hit = [k for k in part if k in out]
                    if hit:
                        conn.execute(
                            f"UPDATE entries SET used = ? WHERE key IN ({','.join('?' * len(hit))})",
                            [_now(), *hit],
                        )
                if bad:  # never served again; the recomputed vector replaces it
                    conn.executemany("DELETE FROM entries WHERE key = ?", [(k,) for k in bad])
                conn.commit()
            except sqlite3.Error as e:
                self._fail(e)
        return out

    def put_many(self, items: Mapping[str, np.ndarray]) -> None:
        if not items:
            return
        with self._lock:
            conn = self._connect()
            if conn is None:
                return
            try:
                now = _now()
                conn.executemany(
                    "INSERT OR REPLACE INTO entries (key, vec, used) VALUES (?, ?, ?)",
                    [(k, encode(v), now) for k, v in items.items()],
                )
                conn.commit()
                self._count += len(items)
                if self._count > self.size + self.size // 10:
                    self._trim(conn)
            except sqlite3.Error as e:
                self._fail(e)

    def _trim(self, conn: sqlite3.Connection) -> None:
        self._count = int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
        over = self._count - self.size
        if over > 0:
            conn.execute(
                "DELETE FROM entries WHERE key IN (SELECT key FROM entries ORDER BY used LIMIT ?)", (over,)
            )
            conn.commit()
            self._count = self.size

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is not None or self._off or not self.size:
            return self._conn
        try:
            self._conn = self._open()
        except sqlite3.DatabaseError:
            with contextlib.suppress(OSError):
                self.path.rename(self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}"))
            try:
                self._conn = self._open()
            except (sqlite3.Error, OSError) as e:
                self._fail(e)
        except (sqlite3.Error, OSError) as e:
            self._fail(e)
        return self._conn

    def _open(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=5.0, check_same_thread=False)
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._count = int(conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0])
        except BaseException:
            conn.close()
            raise
        return conn

    def _fail(self, e: Exception) -> None:
        self._off = True
        if self._conn is not None:
            with contextlib.suppress(sqlite3.Error):
                self._conn.close()
            self._conn = None
        warnings.warn(
            f"the disk embedding cache {self.path} is unusable ({e}); going on without it "
            "(set PLANVEC_CACHE_L3_SIZE=0 to turn it off, or remove the file)",
            CacheWarning,
            stacklevel=4,
        )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = None


def _now() -> int:
    return int(time.time() * 1000)
