"""``schemas show NAME``: one element with what it holds and what points at it, from the store.

A table comes with its columns (type, null, default, key), primary key, indexes and the foreign keys
pointing out and in (other tables' columns whose references point at it); an operation with its
parameters, request and responses; a message with its fields; a JSON Schema or component schema
with its properties; a configuration file with its sections, a section with its keys.

NAME is a qualified name (``public.users``) or its end (``users``: the default schema left out);
an end that several names share is ambiguous (:class:`SchemaAmbiguous`, with the candidates); an
unknown one is :class:`SchemaNotFound` with the closest names (difflib). A name defined in several
files gives one definition per file.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from typing import Any

from ...errors import UsageError
from .documents import MEMBER_ELEMENTS
from .stored import MemberIndex, StoredElement, member_index, members_of

MEMBER_KEYS = {
    "table": "columns",
    "view": "columns",
    "message": "fields",
    "schema": "properties",
    "property": "properties",
    "enum": "values",
    "service": "rpcs",
    "config_file": "sections",
}
# Elements that hold others: preferred when a short name matches both a container and a member.
CONTAINERS = frozenset({*MEMBER_KEYS, "operation", "config_section", "function"})


class SchemaNotFound(UsageError):
    """No element has that name."""

    def __init__(self, name: str, close: Sequence[str]) -> None:
        hint = (
            f"did you mean {', '.join(close)}?"
            if close
            else 'find it with planvec search --kind schemas "..."'
        )
        super().__init__(f"no schema element named {name!r}", hint=hint)
        self.name, self.close = name, list(close)


class SchemaAmbiguous(UsageError):
    """A short name several qualified names end with."""

    def __init__(self, name: str, candidates: Sequence[str]) -> None:
        super().__init__(
            f"{name!r} names {len(candidates)} elements: {', '.join(candidates)}",
            hint="give the qualified name, e.g. " + candidates[0],
        )
        self.name, self.candidates = name, list(candidates)


def resolve(elements: Sequence[StoredElement], name: str) -> str:
    """The qualified name ``name`` stands for (see the module docstring)."""
    wanted = name.strip()
    names = {e.name for e in elements}
    if wanted in names:
        return wanted
    low = wanted.lower()
    found = [e for e in elements if e.name.lower() == low]
    if not found:
        found = [e for e in elements if _ends_with(e.name, low)]
    if not found:
        raise SchemaNotFound(wanted, _closest(elements, wanted))
    containers = [e for e in found if e.element in CONTAINERS]
    candidates = sorted({e.name for e in (containers or found)})
    if len(candidates) > 1:
        raise SchemaAmbiguous(wanted, candidates)
    return candidates[0]


def _ends_with(qualified: str, low: str) -> bool:
    q = qualified.lower()
    return any(q.endswith(sep + low) for sep in (".", "#", "/"))


def _closest(elements: Sequence[StoredElement], name: str) -> list[str]:
    by_short: dict[str, str] = {}
    for e in elements:
        by_short.setdefault(e.short.lower(), e.name)
        by_short.setdefault(e.name.lower(), e.name)
    close = difflib.get_close_matches(name.lower(), list(by_short), n=5, cutoff=0.6)
    return list(dict.fromkeys(by_short[c] for c in close))


def show(elements: Sequence[StoredElement], name: str) -> dict[str, Any]:
    """What ``schemas show`` prints and ``GET /api/v1/schemas/{name}`` answers."""
    qualified = resolve(elements, name)
    index = member_index(elements)
    defs = [e for e in elements if e.name == qualified]
    defs.sort(key=lambda e: (e.element not in CONTAINERS, e.root, e.file, e.line))
    return {
        "name": qualified,
        "element": defs[0].element,
        "definitions": [definition(e, elements, index) for e in defs],
    }


def definition(e: StoredElement, elements: Sequence[StoredElement], index: MemberIndex) -> dict[str, Any]:
    out = e.to_dict()
    wanted = MEMBER_ELEMENTS.get(e.element)
    members = [m for m in members_of(e, index) if wanted is None or m.element in wanted]
    key = MEMBER_KEYS.get(e.element, "members")
    if members or key != "members":
        out[key] = [member_row(m) for m in members]
    if e.element in ("table", "view"):
        out.update(_table_extras(e, members, elements))
    elif e.element == "operation":
        a = e.attributes
        for k in ("summary", "operation_id", "path", "tags", "parameters", "request", "responses"):
            out[k] = a.get(k)
    elif e.element == "enum" and not members:
        out["values"] = list(a_values(e))
    elif e.element == "config_section":
        keys = e.attributes.get("keys")
        out["keys"] = keys if isinstance(keys, dict) else {}
    return out


def a_values(e: StoredElement) -> list[Any]:
    values = e.attributes.get("values") or e.attributes.get("enum") or []
    return list(values) if isinstance(values, list | tuple | dict) else [values]


def _key(m: StoredElement) -> str:
    a = m.attributes
    keys = [
        label
        for label, on in (
            ("PK", a.get("primary_key") is True),
            ("FK", bool(m.references) and m.element == "column"),
            ("UQ", a.get("unique") is True and a.get("primary_key") is not True),
        )
        if on
    ]
    return ", ".join(keys)


def member_row(m: StoredElement) -> dict[str, Any]:
    a = m.attributes
    row: dict[str, Any] = {
        "name": m.short,
        "qualified": m.name,
        "element": m.element,
        "type": m.type,
        "description": m.description,
        "file": m.file,
        "line": m.line,
        "references": list(m.references),
    }
    if m.element == "column":
        row |= {"nullable": a.get("nullable"), "default": a.get("default"), "key": _key(m)}
    for k in ("required", "number", "label", "enum", "default"):
        if k in a and k not in row:
            row[k] = a[k]
    return row


def _points_at(ref: str, table: StoredElement) -> bool:
    """Whether a column's reference (``schema.table.column`` or ``table.column``) is to ``table``."""
    target = ref.rsplit(".", 1)[0] if ref.count(".") >= 1 else ref
    return target in (table.name, table.short) or ref == table.name or table.name.endswith("." + target)


def _table_extras(
    table: StoredElement, columns: Sequence[StoredElement], elements: Sequence[StoredElement]
) -> dict[str, Any]:
    pk = [c.short for c in columns if c.attributes.get("primary_key") is True]
    declared = table.attributes.get("primary_key")
    if not pk and isinstance(declared, list | tuple):
        pk = [str(c) for c in declared]
    indexes = [
        {
            "name": i.short,
            "qualified": i.name,
            "columns": list(i.attributes.get("columns") or []),
            "unique": i.attributes.get("unique") is True,
            "file": i.file,
            "line": i.line,
        }
        for i in elements
        if i.element == "index"
        and (i.root, i.source) == (table.root, table.source)
        and table.name in (i.parent, i.attributes.get("table"))
    ]
    out = [
        {"column": c.short, "references": r} for c in columns if c.element == "column" for r in c.references
    ]
    incoming = [
        {"column": c.name, "references": r, "file": c.file, "line": c.line}
        for c in elements
        if c.element == "column" and c.root == table.root
        for r in c.references
        if _points_at(r, table)
    ]
    return {"primary_key": pk, "indexes": indexes, "foreign_keys_out": out, "foreign_keys_in": incoming}


def render(data: dict[str, Any]) -> list[str]:
    """``schemas show`` as lines of text."""
    lines: list[str] = []
    for d in data["definitions"]:
        lines.append(f"{d['element']} {d['name']}  ({d['format']}, {d['file']}:{d['line']})")
        if d.get("description"):
            lines.append(f"  {d['description']}")
        lines.extend(_render_body(d))
        lines.append("")
    return lines[:-1] if lines else lines


def _render_body(d: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if d["element"] in ("table", "view"):
        lines.append(f"  {'column':<24} {'type':<28} {'null':<5} {'default':<20} key")
        for c in d.get("columns", []):
            null = {True: "yes", False: "no"}.get(c.get("nullable"), "")
            default = "" if c.get("default") is None else str(c["default"])
            lines.append(
                f"  {c['name']:<24} {c['type']:<28} {null:<5} {default[:20]:<20} {c.get('key', '')}".rstrip()
            )
        if d.get("primary_key"):
            lines.append(f"  primary key: {', '.join(d['primary_key'])}")
        for i in d.get("indexes", []):
            unique = "unique " if i["unique"] else ""
            lines.append(
                f"  {unique}index {i['name']} ({', '.join(map(str, i['columns']))})  {i['file']}:{i['line']}"
            )
        for fk in d.get("foreign_keys_out", []):
            lines.append(f"  foreign key {fk['column']} -> {fk['references']}")
        for fk in d.get("foreign_keys_in", []):
            lines.append(f"  referenced by {fk['column']} -> {fk['references']}  {fk['file']}:{fk['line']}")
        return lines
    if d["element"] == "operation":
        for k in ("summary", "operation_id", "path", "tags", "parameters", "request", "responses"):
            if d.get(k) not in (None, "", [], {}):
                lines.append(f"  {k}: {_plain(d[k])}")
    if d["element"] == "config_section":
        lines.extend(f"  {k} = {v}" for k, v in d.get("keys", {}).items())
    for key in ("fields", "properties", "rpcs", "sections", "members"):
        for m in d.get(key, []):
            extra = "  ".join(
                f"{k} {_plain(m[k])}"
                for k in ("required", "number", "label", "default")
                if m.get(k) not in (None, "")
            )
            lines.append(f"  {m['name']:<24} {m['type']:<28} {extra}".rstrip())
    if d["element"] == "enum":
        values = [v["name"] if isinstance(v, dict) else str(v) for v in d.get("values") or []]
        lines.append(f"  values: {', '.join(values)}")
    return lines


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_plain(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_plain(v) for v in value)
    return str(value)
