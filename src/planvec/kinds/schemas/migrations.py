"""Ordered SQL migrations applied across files: the schema after the last migration.

A directory is a **migrations folder** when at least two of its SQL files have a version prefix:

* ``0001_init.sql``, ``20240101120000_add_users.sql``, ``001_create.up.sql`` — a number, then ``_``,
  ``-``, ``.`` or the end of the name (plain numbered, timestamped, golang-migrate);
* ``2024-01-01-120000_x.sql`` — a dated version (read as the number ``20240101120000``);
* ``V2__add_email.sql``, ``V1_1__x.sql``, ``V1.1__x.sql`` — Flyway versioned migrations;
* ``R__views.sql`` — Flyway repeatable migrations, applied after every versioned one (by name);
* one directory per migration, the version in the directory's name: Prisma
  ``20240101120000_init/migration.sql``, Diesel ``2024-01-01-120000_init/up.sql`` and ``down.sql``
  (the folder is then the directory holding those directories).

Versions compare as numbers (``9_x`` before ``10_x``; ``V1.10`` after ``V1.9``), ties by file name.
The DDL statements of the folder's migrations (``SchemaFile.statements``) are applied in that order
to one schema (:mod:`.sql_apply`), so added, dropped and renamed columns, renamed and dropped tables
and changed types are as after the last migration. Each element is returned in the
:class:`SchemaFile` of the migration that last defined or altered it, with that statement's line; a
migration whose elements were all changed later keeps none.

**Rollbacks are not applied and give no elements**: golang-migrate ``*.down.sql``, Diesel
``down.sql`` and Flyway undo ``U2__x.sql`` files keep their statements and problems (a statement
sqlglot cannot parse is still reported) but no element, so a rollback's ``DROP TABLE`` never removes
a table from the index, and a rollback's ``CREATE`` never defines one. A lone ``*.down.sql`` outside
a migrations folder is treated the same way. The rollback section of a goose or dbmate migration
(``-- +goose Down``, ``-- migrate:down`` to the end or to the next up marker) is not read at all
(:mod:`.sql_text`).

The folder's dialect is the one most of its migrations were read with (``public`` is the default
schema of PostgreSQL: a migration without a PostgreSQL marker still resolves ``users`` to
``public.users`` when its folder is PostgreSQL). Files outside a migrations folder, SQL files without
a version prefix inside one, and non-SQL files come back unchanged, in the order given.
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace

from .records import Element, SchemaFile
from .sql_apply import apply
from .sql_state import SchemaState, elements
from .sql_text import GENERIC

_FLYWAY = re.compile(r"^([VUR])(\d+(?:[._]\d+)*)?__", re.ASCII)
_DATED = re.compile(r"^(\d{4})-(\d{2})-(\d{2})-(\d{6})(?:[_.\-]|$)", re.ASCII)  # Diesel
_NUMBERED = re.compile(r"^(\d+)(?:[_.\-]|$)", re.ASCII)
# One directory per migration, the version in the directory's name: Prisma (migration.sql),
# Diesel and others (up.sql / down.sql).
_IN_VERSIONED_DIR = {"migration.sql": True, "up.sql": True, "down.sql": False}


@dataclass(frozen=True, slots=True)
class Migration:
    """Where a file stands in its migrations folder; ``applied`` False for rollbacks."""

    folder: str  # the directory whose migrations are applied together
    order: tuple[int, tuple[int, ...], str]
    applied: bool


def migration_of(path: str) -> Migration | None:
    """The folder and version of a migration file by its name (or its directory's name: Prisma's
    ``20240101120000_init/migration.sql``, Diesel's ``2024-01-01-120000_init/up.sql``), None when it
    has no version prefix."""
    name = posixpath.basename(path)
    parent = posixpath.dirname(path)
    if name.lower() in _IN_VERSIONED_DIR:
        version = _version(posixpath.basename(parent))
        if version is None or version[0] == 1:
            return None
        return Migration(
            posixpath.dirname(parent), (0, version[1], f"{parent}/{name}"), _IN_VERSIONED_DIR[name.lower()]
        )
    stem = name[:-4] if name.lower().endswith(".sql") else name
    m = _FLYWAY.match(stem)
    if m and m.group(1) == "R":
        return Migration(parent, (1, (), name), True)
    version = _version(stem)
    if version is None:
        return None
    undo = bool(m and m.group(1) == "U")
    return Migration(parent, (0, version[1], name), not (undo or stem.lower().endswith(".down")))


def _version(stem: str) -> tuple[int, tuple[int, ...]] | None:
    """(0, numbers) of a version prefix, (1, ()) for a Flyway repeatable, None without a prefix."""
    m = _FLYWAY.match(stem)
    if m and (m.group(1) == "R" or m.group(2)):
        return (
            (1, ()) if m.group(1) == "R" else (0, tuple(int(p) for p in re.split(r"[._]", m.group(2)) if p))
        )
    m = _DATED.match(stem) or _NUMBERED.match(stem)
    return (0, (int("".join(g for g in m.groups() if g)),)) if m else None


def is_rollback(path: str) -> bool:
    m = migration_of(path)
    return posixpath.basename(path).lower().endswith(".down.sql") or (m is not None and not m.applied)


def apply_migrations(files: Sequence[tuple[str, SchemaFile]]) -> list[tuple[str, SchemaFile]]:
    """The SQL files of a run with ordered migration folders replaced by the schema after the last
    migration (each element pointing at the file that last defined it); other files unchanged."""
    folders: dict[tuple[str, str], list[int]] = {}
    for i, (root, sf) in enumerate(files):
        m = migration_of(sf.path) if sf.format == "sql" else None
        if m is not None:
            folders.setdefault((root, m.folder), []).append(i)
    out = list(files)
    for members in folders.values():
        if len(members) >= 2:
            for i, sf in _apply_folder([files[i][1] for i in members]).items():
                out[members[i]] = (files[members[i]][0], sf)
    for i, (root, sf) in enumerate(out):
        if sf.format == "sql" and sf.elements and is_rollback(sf.path):
            out[i] = (root, replace(sf, elements=()))
    return out


def _apply_folder(migrations: list[SchemaFile]) -> dict[int, SchemaFile]:
    """Position in ``migrations`` -> that file with the elements it last defined."""
    ordered = sorted(range(len(migrations)), key=lambda i: migration_of(migrations[i].path).order)  # type: ignore[union-attr]
    dialect = _folder_dialect(migrations)
    state = SchemaState(dialect)
    for i in ordered:
        sf = migrations[i]
        if not is_rollback(sf.path):
            apply(state, sf.statements, sf.path)
    by_file: dict[str, list[Element]] = {}
    for file, el in elements(state):
        by_file.setdefault(file, []).append(replace(el, file=""))
    return {
        i: replace(sf, elements=tuple(by_file.get(sf.path, ())), dialect=dialect)
        for i, sf in enumerate(migrations)
    }


def _folder_dialect(migrations: Sequence[SchemaFile]) -> str:
    counts = Counter(sf.dialect for sf in migrations if sf.dialect and sf.dialect != GENERIC)
    return counts.most_common(1)[0][0] if counts else GENERIC
