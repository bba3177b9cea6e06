"""The DDL operations of a SQL file, in order: what ``SchemaFile.statements`` holds.

Each is a small frozen record with the 1-based ``line`` of its statement (of the column, for a
column). Table names are ``(schema, name)`` as written, ``schema`` "" when unqualified: the default
schema is applied when the operations are applied (:mod:`.sql_state`), so ordered migrations of one
folder resolve alike. Unquoted identifiers are already folded to lower case in PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass

Name = tuple[str, str]  # (schema or "", name)


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    name: str
    line: int
    type: str = ""
    not_null: bool = False
    default: str | None = None
    primary_key: bool = False
    unique: bool = False
    references: tuple[Name, str] | None = None  # (table, column or "" for its primary key)
    description: str = ""
    extra: tuple[tuple[str, str], ...] = ()  # auto_increment, identity, generated, check, collate


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A table constraint: ``primary_key``, ``unique`` or ``foreign_key``."""

    kind: str
    columns: tuple[str, ...]
    line: int
    name: str = ""
    ref_table: Name | None = None
    ref_columns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CreateTable:
    table: Name
    line: int
    columns: tuple[ColumnSpec, ...] = ()
    keys: tuple[KeySpec, ...] = ()
    description: str = ""
    partition_of: Name | None = None  # PARTITION OF parent: an attribute of the parent
    bound: str = ""  # FOR VALUES ... of a partition
    options: tuple[tuple[str, str], ...] = ()  # partition_by, inherits, engine, without_rowid ...
    replace: bool = True  # False for CREATE TABLE IF NOT EXISTS (an existing table stays)


@dataclass(frozen=True, slots=True)
class AddColumn:
    table: Name
    line: int
    column: ColumnSpec


@dataclass(frozen=True, slots=True)
class DropColumn:
    table: Name
    line: int
    column: str


@dataclass(frozen=True, slots=True)
class RenameColumn:
    table: Name
    line: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class AlterColumn:
    """``ALTER COLUMN``: a new type, NOT NULL set or dropped, default set or dropped."""

    table: Name
    line: int
    column: str
    type: str | None = None
    not_null: bool | None = None
    default: str | None = None
    drop_default: bool = False
    identity: bool = False  # ADD GENERATED … AS IDENTITY


@dataclass(frozen=True, slots=True)
class ReplaceColumn:
    """MySQL ``CHANGE [COLUMN] old new …`` / ``MODIFY [COLUMN] name …``: the column redefined."""

    table: Name
    line: int
    old: str
    column: ColumnSpec


@dataclass(frozen=True, slots=True)
class AddKey:
    table: Name
    line: int
    key: KeySpec


@dataclass(frozen=True, slots=True)
class DropKey:
    table: Name
    line: int
    name: str  # constraint name; "PRIMARY KEY" for MySQL DROP PRIMARY KEY


@dataclass(frozen=True, slots=True)
class RenameKey:
    table: Name
    line: int
    old: str
    new: str


@dataclass(frozen=True, slots=True)
class RenameTable:
    table: Name
    line: int
    new: Name


@dataclass(frozen=True, slots=True)
class DropTable:
    """DROP TABLE / VIEW / MATERIALIZED VIEW."""

    table: Name
    line: int


@dataclass(frozen=True, slots=True)
class AttachPartition:
    parent: Name
    line: int
    child: Name
    bound: str = ""


@dataclass(frozen=True, slots=True)
class DetachPartition:
    parent: Name
    line: int
    child: Name


@dataclass(frozen=True, slots=True)
class CreateIndex:
    name: Name  # ("", "") for an unnamed index
    line: int
    table: Name
    columns: tuple[str, ...]  # column names, or the expression's SQL
    unique: bool = False
    method: str = ""  # btree, gin, ...
    where: str = ""  # partial index predicate


@dataclass(frozen=True, slots=True)
class DropIndex:
    name: Name
    line: int
    table: Name | None = None  # MySQL ALTER TABLE t DROP INDEX name: indexes are per table


@dataclass(frozen=True, slots=True)
class RenameIndex:
    name: Name
    line: int
    new: str


@dataclass(frozen=True, slots=True)
class CreateView:
    name: Name
    line: int
    columns: tuple[str, ...] = ()  # () when not derivable (SELECT *)
    sources: tuple[Name, ...] = ()  # tables and views the SELECT reads
    materialized: bool = False


@dataclass(frozen=True, slots=True)
class CreateFunction:
    name: Name
    line: int
    args: tuple[str, ...] = ()  # "name TYPE" as written by sqlglot
    returns: str = ""
    language: str = ""
    kind: str = "function"  # or procedure


@dataclass(frozen=True, slots=True)
class DropFunction:
    name: Name
    line: int


@dataclass(frozen=True, slots=True)
class CreateEnum:
    """PostgreSQL ``CREATE TYPE name AS ENUM ('a', …)``."""

    name: Name
    line: int
    values: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AddEnumValue:
    """``ALTER TYPE name ADD VALUE 'v' [BEFORE|AFTER 'w']``."""

    name: Name
    line: int
    value: str
    before: str = ""
    after: str = ""


@dataclass(frozen=True, slots=True)
class DropEnum:
    name: Name
    line: int


@dataclass(frozen=True, slots=True)
class Comment:
    """``COMMENT ON TABLE/VIEW/COLUMN/INDEX/FUNCTION … IS '…'`` (``text`` "" for ``IS NULL``)."""

    target: str  # table | column | index | function | type (views are tables here)
    name: tuple[str, ...]  # the dotted name as written
    line: int
    text: str


@dataclass(frozen=True, slots=True)
class SetSchema:
    """``SET search_path TO s, …``: unqualified names after it are looked up in these schemas and
    created in the first (PostgreSQL only)."""

    schemas: tuple[str, ...]
    line: int
