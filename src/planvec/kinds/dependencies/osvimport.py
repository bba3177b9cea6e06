"""``planvec advisories import``: OSV files into the advisory database.

Reads OSV's published ``all.zip`` files (one per ecosystem: a zip of OSV JSON records), single OSV
JSON files, or directories of either. A file that is not a readable OSV record is a problem named
with the file (``all.zip:GHSA-xxxx.json``); every other record is imported. The import is one SQLite
transaction: the ecosystems it holds replace what the database held for them, the others stay.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ...errors import UsageError
from . import osv
from .advisories import connect_rw, iter_rows, rebuild_packages

MAX_RECORD_BYTES = 16 * 2**20  # one OSV record; a larger zip member is reported, not read
BATCH = 2000


@dataclass(frozen=True, slots=True)
class ImportProblem:
    name: str  # the file (zip members as ZIP:MEMBER)
    reason: str


@dataclass(slots=True)
class ImportReport:
    path: str
    sources: list[str]
    ecosystems: list[dict[str, Any]] = field(
        default_factory=list
    )  # ecosystem, advisories, packages, snapshot
    records: int = 0  # OSV records read
    imported: int = 0  # advisories written (those naming a package of a planvec ecosystem)
    other_ecosystems: int = 0  # records that name none of planvec's ecosystems
    problems: list[ImportProblem] = field(default_factory=list)
    snapshot: str | None = None  # the latest 'modified' of what was imported

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "sources": self.sources,
            "records": self.records,
            "imported": self.imported,
            "other_ecosystems": self.other_ecosystems,
            "snapshot": self.snapshot,
            "ecosystems": self.ecosystems,
            "problems": [{"name": p.name, "reason": p.reason} for p in self.problems],
        }


def _files(paths: Sequence[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        p = Path(p).expanduser()
        if p.is_dir():
            out += sorted(x for x in p.rglob("*") if x.is_file() and x.suffix.lower() in (".json", ".zip"))
        elif p.is_file():
            out.append(p)
        else:
            raise UsageError(
                f"{p}: no such file or directory",
                hint="give OSV's all.zip of an ecosystem, an OSV JSON file, or a directory of them",
            )
    if not out:
        raise UsageError(
            f"no OSV file (*.json, *.zip) in {', '.join(map(str, paths))}",
            hint="download an ecosystem's all.zip from OSV (e.g. PyPI/all.zip) and import that file",
        )
    return out


def _records(files: Sequence[Path], problems: list[ImportProblem]) -> Iterator[tuple[str, Any]]:
    """(name, decoded JSON) of every record; unreadable ones go to ``problems``."""
    for path in files:
        if zipfile.is_zipfile(path):
            yield from _zip_records(path, problems)
            continue
        if path.suffix.lower() == ".zip":
            problems.append(ImportProblem(path.name, "not a readable zip file"))
            continue
        try:
            data = path.read_bytes()
            yield path.name, json.loads(data)
        except OSError as e:
            problems.append(ImportProblem(path.name, f"cannot read: {e.strerror or e}"))
        except (ValueError, UnicodeDecodeError) as e:
            problems.append(ImportProblem(path.name, f"not JSON: {e}"))


def _zip_records(path: Path, problems: list[ImportProblem]) -> Iterator[tuple[str, Any]]:
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        problems.append(ImportProblem(path.name, f"not a readable zip file: {e}"))
        return
    with zf:
        for info in zf.infolist():
            if info.is_dir() or not info.filename.lower().endswith(".json"):
                continue
            name = f"{path.name}:{info.filename}"
            if info.file_size > MAX_RECORD_BYTES:
                problems.append(ImportProblem(name, f"larger than {MAX_RECORD_BYTES // 2**20} MiB"))
                continue
            try:
                yield name, json.loads(zf.read(info))
            except (OSError, zipfile.BadZipFile, RuntimeError) as e:
                problems.append(ImportProblem(name, f"cannot read from the zip: {e}"))
            except (ValueError, UnicodeDecodeError) as e:
                problems.append(ImportProblem(name, f"not JSON: {e}"))


def _checked(
    records: Iterator[tuple[str, Any]], report: ImportReport
) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, rec in records:
        report.records += 1
        reason = osv.check_record(rec)
        if reason:
            report.problems.append(ImportProblem(name, f"not an OSV record: {reason}"))
            continue
        yield name, rec


_STAGE = """
CREATE TEMP TABLE new_adv AS SELECT * FROM advisories WHERE 0;
CREATE TEMP TABLE new_aff AS SELECT * FROM affected WHERE 0;
"""
_REPLACE = [
    "CREATE TEMP TABLE touched AS SELECT DISTINCT ecosystem, package FROM new_aff UNION "
    "SELECT ecosystem, package FROM affected WHERE advisory_id IN (SELECT id FROM new_adv) "
    "OR ecosystem IN (SELECT DISTINCT ecosystem FROM new_aff)",
    "DELETE FROM affected WHERE ecosystem IN (SELECT DISTINCT ecosystem FROM new_aff)",
    "DELETE FROM affected WHERE advisory_id IN (SELECT id FROM new_adv)",
    "INSERT OR REPLACE INTO advisories SELECT * FROM new_adv",
    "INSERT INTO affected SELECT * FROM new_aff",
    "DELETE FROM advisories WHERE id NOT IN (SELECT advisory_id FROM affected)",
]


def import_advisories(db_path: Path, paths: Sequence[Path], imported_at: str) -> ImportReport:
    """Import the OSV records of ``paths`` into the database at ``db_path`` (created if missing)."""
    files = _files(paths)
    report = ImportReport(str(db_path), [str(f) for f in files])
    try:
        conn = connect_rw(db_path)
    except (OSError, sqlite3.Error) as e:
        raise UsageError(
            f"cannot open the advisory database {db_path}: {e}",
            hint="check the data directory (--data-dir) is writable, or delete a damaged file",
        ) from None
    try:
        with conn:
            conn.executescript(_STAGE)
            _stage(conn, _checked(_records(files, report.problems), report), report)
            for sql in _REPLACE:
                conn.execute(sql)
            rebuild_packages(conn, "touched")
            conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('imported_at', ?)", (imported_at,))
            _summarise(conn, report)
    finally:
        conn.close()
    return report


def _stage(conn: Any, checked: Iterator[tuple[str, dict[str, Any]]], report: ImportReport) -> None:
    advs: list[tuple] = []
    affs: list[tuple] = []
    seen: set[str] = set()

    def flush() -> None:
        conn.executemany("INSERT OR REPLACE INTO new_adv VALUES (?, ?, ?, ?, ?, ?, ?)", advs)
        conn.executemany("INSERT INTO new_aff VALUES (?, ?, ?, ?, ?, ?, ?)", affs)
        advs.clear()
        affs.clear()

    for _, row, affected in iter_rows(checked):
        if not affected:
            report.other_ecosystems += 1
            continue
        if row[0] in seen:  # the same advisory twice in one import: the later one wins
            flush()
            conn.execute("DELETE FROM new_aff WHERE advisory_id = ?", (row[0],))
        seen.add(row[0])
        advs.append(row)
        affs.extend(affected)
        if len(advs) >= BATCH:
            flush()
    flush()
    report.imported = len(seen)


def _summarise(conn: Any, report: ImportReport) -> None:
    for eco, adv, pkgs, snap in conn.execute(
        "SELECT f.ecosystem, count(DISTINCT f.advisory_id), count(DISTINCT f.package), max(a.modified) "
        "FROM new_aff f JOIN new_adv a ON a.id = f.advisory_id GROUP BY f.ecosystem ORDER BY f.ecosystem"
    ):
        report.ecosystems.append({"ecosystem": eco, "advisories": adv, "packages": pkgs, "snapshot": snap})
    report.snapshot = conn.execute("SELECT max(modified) FROM new_adv").fetchone()[0]
