"""A database schema built by applying :mod:`.sql_ops` operations in order, and its elements.

One file is applied to an empty schema (:func:`planvec.kinds.schemas.sql.parse_sql`); the files of
an ordered migrations folder are applied one after the other to one schema (:mod:`.migrations`) by
:func:`.sql_apply.apply`, so renames, dropped columns and changed types are those after the last file.
Every table, column, index, view and function remembers the file and line of the statement that
last defined or altered it.

Names: ``schema.table`` when the statement qualifies it or the dialect has a default schema
(``public`` in PostgreSQL, changed by ``SET search_path``), else ``table``; columns are
``<table>.column``; PostgreSQL indexes live in their table's schema (``public.idx_users_email``),
MySQL indexes are per table (``users.idx_email``), others are ``idx`` (or ``schema.idx``). Lookups
ignore case (``ALTER TABLE Users`` finds ``users``). An ``ALTER`` of a table the schema does not hold
(a lone migration) still gives its columns, under a table that is not itself an element.
A column of a PostgreSQL enum type references the ``enum`` element and lists its ``values``.
Partitions (``PARTITION OF``, ``ATTACH PARTITION``) are attributes of their parent, not tables: the
operations on a partition (its own keys and indexes, as pg_dump writes them) are not repeated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import sql_ops as op
from .records import Element


@dataclass(slots=True)
class Where:
    file: str
    line: int


@dataclass(slots=True)
class Column:
    name: str
    type: str
    not_null: bool
    default: str | None
    description: str
    extra: dict[str, str]
    at: Where


@dataclass(slots=True)
class Key:
    kind: str
    columns: list[str]
    name: str
    ref_table: op.Name | None = None
    ref_columns: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Table:
    name: op.Name  # resolved: schema is the default one when not written
    at: Where
    kind: str = "table"  # or view
    defined: bool = True  # False: only altered here (created in a file not applied)
    columns: dict[str, Column] = field(default_factory=dict)  # casefolded name -> column, in order
    keys: list[Key] = field(default_factory=list)
    description: str = ""
    options: dict[str, str] = field(default_factory=dict)
    partitions: list[dict[str, str]] = field(default_factory=list)
    sources: list[op.Name] = field(default_factory=list)  # views
    materialized: bool = False


@dataclass(slots=True)
class Index:
    name: op.Name
    table: op.Name
    columns: list[str]
    unique: bool
    method: str
    where: str
    at: Where
    description: str = ""


@dataclass(slots=True)
class Function:
    name: op.Name
    kind: str
    args: list[str]
    returns: str
    language: str
    at: Where
    description: str = ""


@dataclass(slots=True)
class Enum:
    name: op.Name
    values: list[str]
    at: Where
    description: str = ""


def _key(name: op.Name) -> tuple[str, str]:
    return (name[0].casefold(), name[1].casefold())


class SchemaState:
    """Tables, views, indexes and functions after the operations applied so far."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        # PostgreSQL's search_path: unqualified names are looked up in each schema in turn, and
        # created in the first (SET search_path changes it); other dialects have no default schema.
        self.search_path: list[str] = ["public"] if dialect == "postgres" else [""]
        self.tables: dict[tuple[str, str], Table] = {}
        self.indexes: dict[tuple[str, str], Index] = {}
        self.functions: dict[tuple[str, ...], Function] = {}  # (schema, name, *args) casefolded
        self.partitions: dict[tuple[str, str], op.Name] = {}  # child -> parent
        self.enums: dict[tuple[str, str], Enum] = {}

    @property
    def default_schema(self) -> str:
        return self.search_path[0]

    def resolve(self, name: op.Name) -> op.Name:
        """``name`` with its schema: as written, else the first schema of the search path holding a
        table, view, index or enum of that name, else the first schema of the path."""
        if name[0] or len(self.search_path) == 1:
            return (name[0] or self.search_path[0], name[1])
        for schema in self.search_path:
            key = _key((schema, name[1]))
            if key in self.tables or key in self.indexes or key in self.enums:
                return (schema, name[1])
        return (self.search_path[0], name[1])

    def table(self, name: op.Name, file: str, line: int, create: bool = True) -> Table | None:
        """The table ``name`` (None for a partition: its parent holds it); a table only altered is
        created as not ``defined``."""
        name = self.resolve(name)
        if _key(name) in self.partitions:
            return None
        t = self.tables.get(_key(name))
        if t is None and create:
            t = Table(name, Where(file, line), defined=False)
            self.tables[_key(name)] = t
        return t

    def index_name(self, name: op.Name, table: op.Name) -> op.Name:
        """Index names live in their table's schema (PostgreSQL), per table (MySQL) or globally."""
        if self.dialect == "postgres":
            return (name[0] or self.resolve(table)[0], name[1])
        if self.dialect == "mysql":
            return (table[1], name[1])
        return name


def qualified(name: op.Name) -> str:
    return f"{name[0]}.{name[1]}" if name[0] else name[1]


def elements(state: SchemaState) -> list[tuple[str, Element]]:
    """``(file, element)`` of every table, view, column, index, enum type and function, in file and
    line order."""
    out: list[tuple[str, Element]] = []
    for t in state.tables.values():
        out.extend(_table_elements(state, t))
    for ix in state.indexes.values():
        out.append((ix.at.file, _index_element(state, ix)))
    for en in state.enums.values():
        attrs = {"values": list(en.values)}
        out.append(
            (
                en.at.file,
                Element("enum", qualified(en.name), "sql", en.at.line, "", en.description, "", (), attrs),
            )
        )
    names = [f.name for f in state.functions.values()]
    for f in state.functions.values():
        overloaded = names.count(f.name) > 1
        out.append((f.at.file, _function_element(f, overloaded)))
    out.sort(key=lambda fe: (fe[0], fe[1].line))  # stable: columns of one line stay in order
    return out


def _table_elements(state: SchemaState, t: Table) -> list[tuple[str, Element]]:
    tname = qualified(t.name)
    out: list[tuple[str, Element]] = []
    pk = next((k.columns for k in t.keys if k.kind == "primary_key"), [])
    fks = [k for k in t.keys if k.kind == "foreign_key"]
    if t.defined:
        out.append((t.at.file, _table_element(state, t, pk, fks)))
    uniques = {k.columns[0].casefold() for k in t.keys if k.kind == "unique" and len(k.columns) == 1}
    pk_keys = {c.casefold() for c in pk}
    for c in t.columns.values():
        refs = tuple(
            _ref(state, fk, i)
            for fk in fks
            for i, col in enumerate(fk.columns)
            if col.casefold() == c.name.casefold()
        )
        enum = _enum_of(state, c.type)
        if enum is not None:
            refs = (*refs, qualified(enum.name))
        attrs: dict[str, Any] = {
            "nullable": not (c.not_null or c.name.casefold() in pk_keys),
            "default": c.default,
            "primary_key": c.name.casefold() in pk_keys,
            "unique": c.name.casefold() in uniques or (len(pk) == 1 and c.name.casefold() in pk_keys),
            **c.extra,
        }
        if enum is not None:
            attrs["values"] = list(enum.values)
        if t.kind == "view":
            attrs = {"view": True}
        element = Element(
            "column",
            f"{tname}.{c.name}",
            "sql",
            c.at.line,
            c.type,
            c.description,
            tname,
            refs,
            attrs,
            c.at.file,
        )
        out.append((c.at.file, element))
    return out


def _table_element(state: SchemaState, t: Table, pk: list[str], fks: list[Key]) -> Element:
    tname = qualified(t.name)
    if t.kind == "view":
        refs = tuple(qualified(state.resolve(s)) for s in t.sources)
        attrs: dict[str, Any] = {
            "materialized": t.materialized,
            "columns": [c.name for c in t.columns.values()],
        }
        return Element("view", tname, "sql", t.at.line, "", t.description, "", refs, attrs, t.at.file)
    attrs = {
        "columns": [c.name for c in t.columns.values()],
        "primary_key": pk,
        "unique": [k.columns for k in t.keys if k.kind == "unique"],
        "foreign_keys": [
            {
                "name": k.name,
                "columns": k.columns,
                "references": qualified(state.resolve(k.ref_table or ("", ""))),
                "ref_columns": [_ref(state, k, i).rsplit(".", 1)[-1] for i in range(len(k.columns))],
            }
            for k in fks
        ],
        **t.options,
    }
    if t.partitions:
        attrs["partitions"] = t.partitions
    refs = tuple(dict.fromkeys(qualified(state.resolve(k.ref_table or ("", ""))) for k in fks))
    return Element("table", tname, "sql", t.at.line, "", t.description, "", refs, attrs, t.at.file)


def _enum_of(state: SchemaState, type_: str) -> Enum | None:
    """The enum type a column is declared with (``shop.order_status``, ``mood``, ``mood[]``)."""
    base = type_.removesuffix("[]")
    if not base or "(" in base:
        return None
    schema, _, name = base.rpartition(".")
    return state.enums.get(_key(state.resolve((schema, name))))


def _ref(state: SchemaState, fk: Key, i: int) -> str:
    """``schema.table.column`` the ``i``-th column of a foreign key points at (the target's primary
    key column when the key names none)."""
    target = state.resolve(fk.ref_table or ("", ""))
    if i < len(fk.ref_columns) and fk.ref_columns[i]:
        col = fk.ref_columns[i]
    else:
        t = state.tables.get(_key(target))
        pk = next((k.columns for k in t.keys if k.kind == "primary_key"), []) if t else []
        col = pk[i] if i < len(pk) else ""
    return f"{qualified(target)}.{col}" if col else qualified(target)


def _index_element(state: SchemaState, ix: Index) -> Element:
    table = qualified(state.resolve(ix.table))
    attrs = {
        "table": table,
        "columns": ix.columns,
        "unique": ix.unique,
        "method": ix.method,
        "where": ix.where,
    }
    return Element(
        "index",
        qualified(ix.name),
        "sql",
        ix.at.line,
        ix.method,
        ix.description,
        table,
        (table,),
        attrs,
        ix.at.file,
    )


def _function_element(f: Function, overloaded: bool) -> Element:
    name = qualified(f.name)
    if overloaded:
        name += "(" + ", ".join(f.args) + ")"
    attrs = {"kind": f.kind, "args": f.args, "returns": f.returns, "language": f.language}
    return Element("function", name, "sql", f.at.line, f.returns, f.description, "", (), attrs, f.at.file)
