"""The local advisory database (OSV records imported by ``planvec advisories import``) and the
assessment of one dependency against it.

The database is one SQLite file under the data directory (:data:`ADVISORIES_FILE`): a table of
advisories (id, aliases, summary, modified, database_specific) and a table of their affected
packages (ecosystem, package, ranges with their type and events, versions, database_specific),
indexed by (ecosystem, package). Importing an ecosystem again replaces what the database held for
it (OSV publishes each ecosystem whole); the other ecosystems stay. Matching follows OSV's rules
(:mod:`.osv`); nothing here touches the network.
"""

from __future__ import annotations

import gc
import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson
from packaging.utils import canonicalize_name

from ...errors import UsageError
from . import osv
from .records import OSV_ECOSYSTEMS, Dependency
from .versions import VersionError, candidates, satisfies

ADVISORIES_FILE = "advisories.sqlite"  # under the data directory
FROM_OSV = {osv_name: name for name, osv_name in OSV_ECOSYSTEMS.items()}
CACHED_PACKAGES = 256
STATES = ("unknown", "none", "possibly_affected", "affected")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS advisories (
  id TEXT PRIMARY KEY, aliases TEXT NOT NULL, summary TEXT NOT NULL, modified TEXT NOT NULL,
  withdrawn TEXT, database_specific TEXT, source TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS affected (
  advisory_id TEXT NOT NULL, ecosystem TEXT NOT NULL, package TEXT NOT NULL, ranges TEXT NOT NULL,
  versions TEXT NOT NULL, database_specific TEXT, compiled TEXT);
CREATE INDEX IF NOT EXISTS affected_package ON affected (ecosystem, package);
CREATE TABLE IF NOT EXISTS packages (
  ecosystem TEXT NOT NULL, package TEXT NOT NULL, entries BLOB NOT NULL, PRIMARY KEY (ecosystem, package));
CREATE INDEX IF NOT EXISTS affected_advisory ON affected (advisory_id);
"""


def package_key(ecosystem: str, name: str) -> str:
    """The name the database files a package under: PEP 503 for pypi, lower case for cargo."""
    if ecosystem == "pypi":
        return canonicalize_name(name)
    if ecosystem == "cargo":
        return name.lower().replace("_", "-")
    return name


@dataclass(frozen=True, slots=True)
class AdvisoryMatch:
    """One advisory that applies to one dependency."""

    id: str
    aliases: tuple[str, ...]
    summary: str
    modified: str
    state: str  # "affected" or "possibly_affected"
    fixed: tuple[str, ...]  # versions that fix it (empty: no fix known)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "modified": self.modified,
            "state": self.state,
            "fixed": list(self.fixed),
        }


@dataclass(frozen=True, slots=True)
class Assessment:
    """What the advisories say about one dependency."""

    state: str  # "unknown" (no advisories imported), "none", "possibly_affected", "affected"
    ids: tuple[str, ...] = ()  # advisory ids (OSV ids / aliases) that apply
    fixed: tuple[str, ...] = ()  # versions that fix them
    advisories: tuple[AdvisoryMatch, ...] = ()
    git_ranges: int = 0  # GIT ranges of this package's advisories, skipped
    unreadable_ranges: int = 0  # ranges whose versions the ordering does not read, skipped
    reason: str = ""  # why the state is "unknown" when advisories exist (an unreadable version)


@contextmanager
def paused_gc() -> Iterator[None]:
    """The cyclic garbage collector off for a block that only builds acyclic objects."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def exact_version(dep: Dependency) -> str | None:
    """The one version a dependency is at: locked, pinned (``==1.2``, ``=1.2.3``) or None."""
    if dep.version:
        return dep.version
    spec = dep.specifier.strip()
    for prefix in ("===", "=="):
        if spec.startswith(prefix) and "," not in spec and "*" not in spec:
            return spec[len(prefix) :].strip()
    return None


class AdvisoryDB:
    """Read access to the imported advisories (thread-safe; entries cached per package)."""

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self._conn = conn
        self._lock = threading.Lock()
        # A few packages' entries (a lockfile names a package once or a few times): keeping every
        # package read would grow the heap that the garbage collector walks, for nothing.
        self._cache: OrderedDict[tuple[str, str], list[osv.Entry]] = OrderedDict()

    @classmethod
    def open(cls, path: Path) -> AdvisoryDB | None:
        """The database at ``path``, None when no advisories were imported."""
        path = Path(path).expanduser()
        if not path.is_file():
            return None
        try:
            conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
            count = conn.execute("SELECT count(*) FROM advisories").fetchone()[0]
            conn.execute("SELECT entries FROM packages LIMIT 0")  # (written by this version's import)
        except sqlite3.DatabaseError as e:
            raise UsageError(
                f"the advisory database {path} cannot be read: {e}",
                hint="import the advisories again: planvec advisories import FILE (or delete the file)",
            ) from None
        if not count:
            conn.close()
            return None
        return cls(path, conn)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> AdvisoryDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading ------------------------------------------------------------------------------
    def snapshot(self) -> str | None:
        """The advisories' snapshot date: the latest ``modified`` of any imported advisory."""
        with self._lock:
            row = self._conn.execute("SELECT max(modified) FROM advisories").fetchone()
        return row[0] if row else None

    def status(self) -> dict[str, Any]:
        with self._lock:
            return status_of(self._conn, self.path)

    def entries(self, ecosystem: str, name: str) -> list[osv.Entry]:
        """The compiled affected entries of one package (not withdrawn): one row of the ``packages``
        table, which the import fills from ``affected`` so that an audit reads one row per package."""
        key = (ecosystem, package_key(ecosystem, name))
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            row = self._conn.execute(
                "SELECT entries FROM packages WHERE ecosystem = ? AND package = ?", key
            ).fetchone()
            entries = [
                osv.compile_entry(
                    ecosystem, {"id": e[0], "aliases": e[1], "summary": e[2], "modified": e[3]}, (), (), e[4]
                )
                for e in (orjson.loads(row[0]) if row else ())
            ]
            self._cache[key] = entries
            if len(self._cache) > CACHED_PACKAGES:
                self._cache.popitem(last=False)
            return entries

    def assess_many(self, deps: Iterable[Dependency]) -> list[Assessment]:
        """:meth:`assess` of each dependency, with the cyclic garbage collector paused: reading the
        advisories allocates many small objects and none in cycles, and the collector's passes
        over a growing cache would otherwise cost more than the matching."""
        with paused_gc():
            return [self.assess(d) for d in deps]

    def assess(self, dep: Dependency) -> Assessment:
        """The advisories that apply to ``dep``: *affected* when its exact version (locked or pinned)
        is affected, *possibly_affected* when its specifier admits an affected version."""
        if dep.ecosystem not in OSV_ECOSYSTEMS:
            return Assessment("unknown", reason=f"unknown ecosystem {dep.ecosystem!r}")
        if dep.ecosystem == "go" and dep.source == "exclude":
            return Assessment("none", reason="an exclude directive: the version is not used")
        entries = self.entries(dep.ecosystem, dep.name)
        if not entries:
            return Assessment("none")
        git = sum(e.git_ranges for e in entries)
        bad = sum(e.unreadable_ranges for e in entries)
        exact = exact_version(dep)
        if exact is None and dep.source.strip():
            found = Assessment("unknown", reason=f"not from the registry: {dep.source}")
        else:
            try:
                matches = _exact_matches(dep, exact, entries) if exact else _range_matches(dep, entries)
                found = _assessment(dep.ecosystem, matches)
            except VersionError as e:
                found = Assessment("unknown", reason=str(e))
        return replace(found, git_ranges=git, unreadable_ranges=bad)


def _exact_matches(dep: Dependency, version: str, entries: list[osv.Entry]) -> list[AdvisoryMatch]:
    keys = osv.Keys(dep.ecosystem, version)
    if keys.get(dep.ecosystem) is None:
        raise VersionError(f"{dep.name}: {version!r} is not a {dep.ecosystem} version")
    out = []
    for e in entries:
        hit, fixed = osv.match(e, keys)
        if hit:
            out.append(AdvisoryMatch(e.advisory_id, e.aliases, e.summary, e.modified, "affected", fixed))
    return out


def _range_matches(dep: Dependency, entries: list[osv.Entry]) -> list[AdvisoryMatch]:
    """Advisories with an affected version that the specifier admits. The versions tried are the
    specifier's candidates (:func:`candidates`) and the versions each advisory names; a version is
    read and checked against the specifier once for all advisories."""
    spec = dep.specifier.strip()
    base = candidates(dep.ecosystem, [spec] if spec else [])
    admitted: dict[str, osv.Keys | None] = {}

    def keys_if_admitted(c: str) -> osv.Keys | None:
        if c not in admitted:
            try:
                admitted[c] = osv.Keys(dep.ecosystem, c) if satisfies(dep.ecosystem, c, spec) else None
            except VersionError:
                admitted[c] = None
        return admitted[c]

    out = []
    for e in entries:
        fixed: list[str] = []
        hit = False
        for c in dict.fromkeys([*base, *osv.named_versions(e)]):
            keys = keys_if_admitted(c)
            if keys is None:
                continue
            ok, fx = osv.match(e, keys)
            if ok:
                hit = True
                fixed += fx
        if hit:
            fixed_t = tuple(dict.fromkeys(fixed))
            out.append(
                AdvisoryMatch(e.advisory_id, e.aliases, e.summary, e.modified, "possibly_affected", fixed_t)
            )
    return out


def _assessment(ecosystem: str, found: list[AdvisoryMatch]) -> Assessment:
    if not found:
        return Assessment("none")
    state = "affected" if any(m.state == "affected" for m in found) else "possibly_affected"
    ids = tuple(dict.fromkeys(x for m in found for x in (m.id, *m.aliases)))
    fixed = _sorted_versions(ecosystem, {f for m in found for f in m.fixed})
    return Assessment(state, ids, fixed, tuple(found))


def _sorted_versions(ecosystem: str, versions: Iterable[str]) -> tuple[str, ...]:
    keyed = [(osv.Keys(ecosystem, v).get(ecosystem), v) for v in versions]
    readable = sorted((t for t in keyed if t[0] is not None), key=lambda t: t[0])
    return tuple([v for _, v in readable] + sorted(v for k, v in keyed if k is None))


def status_of(conn: sqlite3.Connection, path: Path) -> dict[str, Any]:
    """Counts per ecosystem, snapshot dates and when the database was imported."""
    per_eco = []
    for eco, adv, pkgs, snap in conn.execute(
        "SELECT f.ecosystem, count(DISTINCT f.advisory_id), count(DISTINCT f.package), max(a.modified) "
        "FROM affected f JOIN advisories a ON a.id = f.advisory_id GROUP BY f.ecosystem ORDER BY f.ecosystem"
    ):
        per_eco.append({"ecosystem": eco, "advisories": adv, "packages": pkgs, "snapshot": snap})
    total, snapshot = conn.execute("SELECT count(*), max(modified) FROM advisories").fetchone()
    meta = dict(conn.execute("SELECT key, value FROM meta"))
    return {
        "path": str(path),
        "advisories": total,
        "snapshot": snapshot,
        "imported_at": meta.get("imported_at"),
        "ecosystems": per_eco,
    }


def rebuild_packages(conn: sqlite3.Connection, touched: str) -> None:
    """Fill ``packages`` again for the (ecosystem, package) pairs of the table ``touched``."""
    conn.execute(
        f"DELETE FROM packages WHERE (ecosystem, package) IN (SELECT ecosystem, package FROM {touched})"
    )
    rows = conn.execute(
        "SELECT f.ecosystem, f.package, a.id, a.aliases, a.summary, a.modified, f.compiled FROM affected f "
        f"JOIN advisories a ON a.id = f.advisory_id JOIN {touched} t "
        "ON t.ecosystem = f.ecosystem AND t.package = f.package "
        "WHERE a.withdrawn IS NULL ORDER BY f.ecosystem, f.package, a.id"
    )
    batch: list[tuple[str, str, bytes]] = []
    current: tuple[str, str] | None = None
    entries: list[Any] = []
    for eco, pkg, id_, aliases, summary, modified, compiled in rows:
        if (eco, pkg) != current:
            if current is not None:
                batch.append((*current, orjson.dumps(entries)))
            current, entries = (eco, pkg), []
        entries.append([id_, json.loads(aliases), summary, modified, json.loads(compiled)])
    if current is not None:
        batch.append((*current, orjson.dumps(entries)))
    conn.executemany("INSERT INTO packages VALUES (?, ?, ?)", batch)


def connect_rw(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA)
    return conn


def iter_rows(records: Iterable[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, tuple, list[tuple]]]:
    """(ecosystem set key, advisory row, affected rows) of checked records; see :mod:`.osvimport`."""
    for source, rec in records:
        affected = []
        for a in rec.get("affected", []):
            eco = FROM_OSV.get(a["package"]["ecosystem"])
            if eco is None:
                continue
            ranges, versions = a.get("ranges", []), a.get("versions", [])
            compiled = osv.compile_ranges(eco, ranges, versions)
            affected.append(
                (
                    rec["id"],
                    eco,
                    package_key(eco, a["package"]["name"]),
                    json.dumps(ranges),
                    json.dumps(versions),
                    json.dumps(a.get("database_specific")) if "database_specific" in a else None,
                    None if compiled is None else json.dumps(compiled, separators=(",", ":")),
                )
            )
        row = (
            rec["id"],
            json.dumps(rec.get("aliases", [])),
            str(rec.get("summary") or "") or str(rec.get("details") or "")[:200],
            rec["modified"],
            rec.get("withdrawn"),
            json.dumps(rec.get("database_specific")) if "database_specific" in rec else None,
            source,
        )
        yield source, row, affected
