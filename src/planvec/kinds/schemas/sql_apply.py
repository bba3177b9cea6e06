"""Applying :mod:`.sql_ops` operations to a :class:`.sql_state.SchemaState`, one handler each.

Where an element was "last defined or altered": a statement of *another* file moves it (the
migration that last changed it); within one file an element keeps the line of its first definition
(pg_dump adds every primary key and default in later ``ALTER TABLE`` statements: the table stays at
its ``CREATE TABLE``). Constraints without a name get PostgreSQL's default name (``users_pkey``,
``users_email_key``, ``orders_user_id_fkey``), so a later ``DROP CONSTRAINT`` finds them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from . import sql_ops as op
from .sql_state import Column, Enum, Function, Index, Key, SchemaState, Table, Where, _key, qualified


def apply(state: SchemaState, ops: Iterable[object], file: str) -> None:
    """Apply ``ops`` (statements of ``file``) in order."""
    for o in ops:
        handler = _HANDLERS.get(type(o))
        if handler is not None:
            handler(state, o, file)


def _touch(at: Where, file: str, line: int) -> None:
    if at.file != file:
        at.file, at.line = file, line


def _column(spec: op.ColumnSpec, file: str) -> Column:
    return Column(
        spec.name,
        spec.type,
        spec.not_null,
        spec.default,
        spec.description,
        dict(spec.extra),
        Where(file, spec.line),
    )


def _default_key_name(table: str, key: op.KeySpec) -> str:
    if key.name:
        return key.name
    if key.kind == "primary_key":
        return f"{table}_pkey"
    cols = "_".join(key.columns)
    return f"{table}_{cols}_{'key' if key.kind == 'unique' else 'fkey'}"


def _add_key(s: SchemaState, t: Table, key: op.KeySpec) -> None:
    ref = s.resolve(key.ref_table) if key.ref_table is not None else None
    k = Key(key.kind, list(key.columns), _default_key_name(t.name[1], key), ref, list(key.ref_columns))
    if key.kind == "primary_key":
        t.keys = [x for x in t.keys if x.kind != "primary_key"]
    t.keys = [x for x in t.keys if x.name.casefold() != k.name.casefold()]
    t.keys.append(k)


def _column_keys(s: SchemaState, t: Table, spec: op.ColumnSpec) -> None:
    """Inline PRIMARY KEY / UNIQUE / REFERENCES of a column as table keys."""
    if spec.primary_key:
        _add_key(s, t, op.KeySpec("primary_key", (spec.name,), spec.line))
    if spec.unique:
        _add_key(s, t, op.KeySpec("unique", (spec.name,), spec.line))
    if spec.references:
        ref_table, ref_col = spec.references
        cols = (ref_col,) if ref_col else ()
        _add_key(s, t, op.KeySpec("foreign_key", (spec.name,), spec.line, "", ref_table, cols))


# --- tables ---


def _create_table(s: SchemaState, o: op.CreateTable, file: str) -> None:
    name = s.resolve(o.table)
    if o.partition_of is not None:
        _attach(s, op.AttachPartition(o.partition_of, o.line, o.table, o.bound), file)
        return
    old = s.tables.get(_key(name))
    if old is not None and old.defined and not o.replace:
        return  # CREATE TABLE IF NOT EXISTS over an existing table changes nothing
    t = Table(name, Where(file, o.line), description=o.description, options=dict(o.options))
    for spec in o.columns:
        t.columns[spec.name.casefold()] = _column(spec, file)
    for spec in o.columns:
        _column_keys(s, t, spec)
    for key in o.keys:
        _add_key(s, t, key)
    s.tables[_key(name)] = t


def _add_column(s: SchemaState, o: op.AddColumn, file: str) -> None:
    t = s.table(o.table, file, o.line)
    if t is None:
        return
    t.columns[o.column.name.casefold()] = _column(o.column, file)
    _column_keys(s, t, o.column)
    _touch(t.at, file, o.line)


def _drop_column(s: SchemaState, o: op.DropColumn, file: str) -> None:
    t = s.table(o.table, file, o.line)
    if t is None:
        return
    col = o.column.casefold()
    t.columns.pop(col, None)
    t.keys = [k for k in t.keys if col not in {c.casefold() for c in k.columns}]
    for key, ix in list(s.indexes.items()):
        if _key(s.resolve(ix.table)) == _key(t.name) and col in {c.casefold() for c in ix.columns}:
            del s.indexes[key]
    _touch(t.at, file, o.line)


def _rename_column(s: SchemaState, o: op.RenameColumn, file: str) -> None:
    t = s.table(o.table, file, o.line)
    if t is None:
        return
    old = o.old.casefold()
    if old in t.columns:
        t.columns = {(o.new.casefold() if k == old else k): c for k, c in t.columns.items()}
        c = t.columns[o.new.casefold()]
        c.name = o.new
        _touch(c.at, file, o.line)
    _rename_in(t, s, old, o.new)
    _touch(t.at, file, o.line)


def _rename_in(t: Table, s: SchemaState, old: str, new: str) -> None:
    """A renamed column in the keys and indexes of its table and the foreign keys pointing at it."""

    def swap(cols: list[str]) -> list[str]:
        return [new if c.casefold() == old else c for c in cols]

    for k in t.keys:
        k.columns = swap(k.columns)
    for ix in s.indexes.values():
        if _key(s.resolve(ix.table)) == _key(t.name):
            ix.columns = swap(ix.columns)
    for other in s.tables.values():
        for k in other.keys:
            if k.ref_table is not None and _key(s.resolve(k.ref_table)) == _key(t.name):
                k.ref_columns = swap(k.ref_columns)


def _alter_column(s: SchemaState, o: op.AlterColumn, file: str) -> None:
    t = s.table(o.table, file, o.line)
    if t is None:
        return
    c = t.columns.get(o.column.casefold())
    if c is None:
        c = t.columns[o.column.casefold()] = Column(o.column, "", False, None, "", {}, Where(file, o.line))
    if o.type is not None:
        c.type = o.type
    if o.not_null is not None:
        c.not_null = o.not_null
    if o.default is not None:
        c.default = o.default
    if o.drop_default:
        c.default = None
    if o.identity:
        c.extra["identity"] = "true"
    _touch(c.at, file, o.line)


def _replace_column(s: SchemaState, o: op.ReplaceColumn, file: str) -> None:
    t = s.table(o.table, file, o.line)
    if t is None:
        return
    old = o.old.casefold()
    new = _column(o.column, file)
    if old in t.columns:
        t.columns = {
            (o.column.name.casefold() if k == old else k): (new if k == old else c)
            for k, c in t.columns.items()
        }
        _rename_in(t, s, old, o.column.name)
    else:
        t.columns[o.column.name.casefold()] = new
    _column_keys(s, t, o.column)
    _touch(t.at, file, o.line)


def _add_key_op(s: SchemaState, o: op.AddKey, file: str) -> None:
    t = s.table(o.table, file, o.line)
    if t is not None:
        _add_key(s, t, o.key)
        _touch(t.at, file, o.line)


def _rename_key(s: SchemaState, o: op.RenameKey, file: str) -> None:
    t = s.table(o.table, file, o.line, create=False)
    for k in t.keys if t is not None else ():
        if k.name.casefold() == o.old.casefold():
            k.name = o.new


def _drop_key(s: SchemaState, o: op.DropKey, file: str) -> None:
    t = s.table(o.table, file, o.line)
    if t is None:
        return
    if o.name == "PRIMARY KEY":
        t.keys = [k for k in t.keys if k.kind != "primary_key"]
    else:
        t.keys = [k for k in t.keys if k.name.casefold() != o.name.casefold()]
    _touch(t.at, file, o.line)


def _rename_table(s: SchemaState, o: op.RenameTable, file: str) -> None:
    old, new = s.resolve(o.table), s.resolve(o.new)
    t = s.tables.pop(_key(old), None)
    if t is None:
        return
    t.name = new
    s.tables[_key(new)] = t
    _touch(t.at, file, o.line)
    for key, ix in list(s.indexes.items()):
        if _key(s.resolve(ix.table)) == _key(old):
            ix.table = new
            if s.dialect == "postgres" and ix.name[0].casefold() != new[0].casefold():
                del s.indexes[key]  # SET SCHEMA moves the table's indexes with it
                ix.name = (new[0], ix.name[1])
                s.indexes[_key(ix.name)] = ix
    for other in s.tables.values():
        for k in other.keys:
            if k.ref_table is not None and _key(s.resolve(k.ref_table)) == _key(old):
                k.ref_table = new
        # Views follow a renamed table (PostgreSQL keeps them bound to it).
        other.sources = [new if _key(src) == _key(old) else src for src in other.sources]
    for child, parent in list(s.partitions.items()):
        if _key(parent) == _key(old):
            s.partitions[child] = new


def _drop_table(s: SchemaState, o: op.DropTable, file: str) -> None:
    name = s.resolve(o.table)
    parent = s.partitions.pop(_key(name), None)
    if parent is not None:
        _unlist_partition(s, parent, name)
        return
    if s.tables.pop(_key(name), None) is None:
        return
    for key, ix in list(s.indexes.items()):
        if _key(s.resolve(ix.table)) == _key(name):
            del s.indexes[key]
    for child, p in list(s.partitions.items()):
        if _key(p) == _key(name):
            del s.partitions[child]


def _attach(s: SchemaState, o: op.AttachPartition, file: str) -> None:
    parent = s.table(o.parent, file, o.line)
    child = s.resolve(o.child)
    if parent is None:
        return
    s.tables.pop(_key(child), None)
    for key, ix in list(s.indexes.items()):
        if _key(s.resolve(ix.table)) == _key(child):
            del s.indexes[key]
    _unlist_partition(s, parent.name, child)
    parent.partitions.append({"name": qualified(child), "bound": " ".join(o.bound.split())})
    s.partitions[_key(child)] = parent.name
    _touch(parent.at, file, o.line)


def _detach(s: SchemaState, o: op.DetachPartition, file: str) -> None:
    child = s.resolve(o.child)
    parent = s.partitions.pop(_key(child), None)
    if parent is not None:
        _unlist_partition(s, parent, child)


def _unlist_partition(s: SchemaState, parent: op.Name, child: op.Name) -> None:
    t = s.tables.get(_key(parent))
    if t is not None:
        t.partitions = [p for p in t.partitions if p["name"].casefold() != qualified(child).casefold()]


# --- indexes, views, functions, comments ---


def _create_index(s: SchemaState, o: op.CreateIndex, file: str) -> None:
    if _key(s.resolve(o.table)) in s.partitions:
        return  # a partition's own index: the parent's index covers it
    name = s.index_name(o.name, o.table)
    s.indexes[_key(name)] = Index(
        name, s.resolve(o.table), list(o.columns), o.unique, o.method, o.where, Where(file, o.line)
    )


def _find_index(s: SchemaState, name: op.Name, table: op.Name | None) -> tuple[str, str] | None:
    key = _key(s.index_name(name, table or ("", "")))
    if key in s.indexes:
        return key
    same = [k for k, ix in s.indexes.items() if ix.name[1].casefold() == name[1].casefold()]
    return same[0] if len(same) == 1 else None


def _drop_index(s: SchemaState, o: op.DropIndex, file: str) -> None:
    key = _find_index(s, o.name, o.table)
    if key is not None:
        del s.indexes[key]


def _rename_index(s: SchemaState, o: op.RenameIndex, file: str) -> None:
    key = _find_index(s, o.name, None)
    if key is None:
        return
    ix = s.indexes.pop(key)
    ix.name = (ix.name[0], o.new)
    _touch(ix.at, file, o.line)
    s.indexes[_key(ix.name)] = ix


def _create_view(s: SchemaState, o: op.CreateView, file: str) -> None:
    name = s.resolve(o.name)
    at = Where(file, o.line)
    sources = [s.resolve(n) for n in o.sources]
    v = Table(name, at, kind="view", sources=sources, materialized=o.materialized)
    for c in o.columns:
        v.columns[c.casefold()] = Column(c, "", False, None, "", {}, Where(file, o.line))
    s.tables[_key(name)] = v


def _create_function(s: SchemaState, o: op.CreateFunction, file: str) -> None:
    name = s.resolve(o.name)
    key = (*_key(name), *(a.casefold() for a in o.args))
    s.functions[key] = Function(name, o.kind, list(o.args), o.returns, o.language, Where(file, o.line))


def _drop_function(s: SchemaState, o: op.DropFunction, file: str) -> None:
    name = _key(s.resolve(o.name))
    for key in [k for k in s.functions if k[:2] == name]:
        del s.functions[key]


def _create_enum(s: SchemaState, o: op.CreateEnum, file: str) -> None:
    name = s.resolve(o.name)
    s.enums[_key(name)] = Enum(name, list(o.values), Where(file, o.line))


def _add_enum_value(s: SchemaState, o: op.AddEnumValue, file: str) -> None:
    en = s.enums.get(_key(s.resolve(o.name)))
    if en is None or o.value in en.values:
        return
    anchor = o.before or o.after
    at = en.values.index(anchor) + (1 if o.after else 0) if anchor in en.values else len(en.values)
    en.values.insert(at, o.value)
    _touch(en.at, file, o.line)


def _drop_enum(s: SchemaState, o: op.DropEnum, file: str) -> None:
    s.enums.pop(_key(s.resolve(o.name)), None)


def _comment(s: SchemaState, o: op.Comment, file: str) -> None:
    parts = o.name
    if o.target == "column" and len(parts) >= 2:
        t = s.table((parts[-3] if len(parts) > 2 else "", parts[-2]), file, o.line, create=False)
        c = t.columns.get(parts[-1].casefold()) if t else None
        if c is not None:
            c.description = o.text
            _touch(c.at, file, o.line)
        return
    name = (parts[-2] if len(parts) > 1 else "", parts[-1] if parts else "")
    if o.target == "table":
        t = s.table(name, file, o.line, create=False)
        if t is not None:
            t.description = o.text
            _touch(t.at, file, o.line)
    elif o.target == "index":
        key = _find_index(s, name, None)
        if key is not None:
            s.indexes[key].description = o.text
    elif o.target == "type":
        en = s.enums.get(_key(s.resolve(name)))
        if en is not None:
            en.description = o.text
    elif o.target == "function":
        fname = _key(s.resolve(name))
        for k, f in s.functions.items():
            if k[:2] == fname:
                f.description = o.text


def _set_schema(s: SchemaState, o: op.SetSchema, file: str) -> None:
    if s.dialect == "postgres" and o.schemas:
        s.search_path = list(o.schemas)


_HANDLERS: dict[type, Callable[[SchemaState, Any, str], None]] = {
    op.CreateTable: _create_table,
    op.AddColumn: _add_column,
    op.DropColumn: _drop_column,
    op.RenameColumn: _rename_column,
    op.AlterColumn: _alter_column,
    op.ReplaceColumn: _replace_column,
    op.AddKey: _add_key_op,
    op.DropKey: _drop_key,
    op.RenameKey: _rename_key,
    op.RenameTable: _rename_table,
    op.DropTable: _drop_table,
    op.AttachPartition: _attach,
    op.DetachPartition: _detach,
    op.CreateIndex: _create_index,
    op.DropIndex: _drop_index,
    op.RenameIndex: _rename_index,
    op.CreateView: _create_view,
    op.CreateFunction: _create_function,
    op.DropFunction: _drop_function,
    op.CreateEnum: _create_enum,
    op.AddEnumValue: _add_enum_value,
    op.DropEnum: _drop_enum,
    op.Comment: _comment,
    op.SetSchema: _set_schema,
}
