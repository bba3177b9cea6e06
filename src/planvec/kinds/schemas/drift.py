"""``schemas drift``: one table, message or schema defined in several places with different members.

Definitions are grouped by family (a table or view, a message, a schema) and unqualified name
(``users`` for ``public.users`` and ``auth.users``, ``User`` for ``components.User`` and a JSON
Schema titled ``User``); each group of two or more is compared member by member — columns, fields,
properties by name, with their types (compared case-, space- and synonym-insensitively:
``TIMESTAMPTZ`` = ``timestamp with time zone``). A group whose definitions differ is a drift,
reported with every side (file:line, members) and, per pair of sides that differ, the members found
on one side only and those whose type or nullability (required-ness, label) changed. Typical
drifts: a DDL file against the schema the migrations give, two services' copies of one proto
message.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from .stored import StoredElement, member_index, members_of

FAMILIES = {"table": "table", "view": "table", "message": "message", "schema": "schema"}
MEMBERS = {"table": ("column",), "message": ("field",), "schema": ("property",)}
_SYNONYMS = {
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "serial4": "serial",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "timestamptz": "timestamp with time zone",
    "timetz": "time with time zone",
    "varchar": "character varying",
    "char": "character",
    "decimal": "numeric",
}
_SPACE_RE = re.compile(r"\s+")


def normal_type(value: str) -> str:
    t = _SPACE_RE.sub(" ", value.strip().lower())
    t = re.sub(r"\s*([(),])\s*", r"\1", t)
    base, paren, rest = t.partition("(")
    return _SYNONYMS.get(base, base) + paren + rest


def signature(m: StoredElement) -> str:
    """What a member's definition says, as compared: its type, then NOT NULL / required /
    repeated when it says so (``varchar(255) NOT NULL``)."""
    a = m.attributes
    parts = [m.type]
    if a.get("nullable") is False:
        parts.append("NOT NULL")
    if a.get("required") is True:
        parts.append("required")
    if a.get("label") in ("repeated", "optional", "required"):
        parts.append(str(a["label"]))
    return " ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Side:
    """One definition of a drifting element."""

    element: StoredElement
    members: dict[str, str]  # member name -> its signature (type and constraints, as written)

    def to_dict(self) -> dict[str, Any]:
        e = self.element
        return {
            "name": e.name,
            "element": e.element,
            "format": e.format,
            "file": e.file,
            "line": e.line,
            "root": e.root,
            "source": e.source,
            "members": dict(self.members),
        }


@dataclass(frozen=True, slots=True)
class Difference:
    """What two sides of a drift do not share."""

    a: int  # indexes into Drift.sides
    b: int
    only_a: list[str] = field(default_factory=list)
    only_b: list[str] = field(default_factory=list)
    changed: list[dict[str, str]] = field(default_factory=list)  # {name, a, b}

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "changed": self.changed,
        }


@dataclass(frozen=True, slots=True)
class Drift:
    family: str
    name: str  # the unqualified name the sides share
    sides: list[Side]
    differences: list[Difference]

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "name": self.name,
            "sides": [s.to_dict() for s in self.sides],
            "differences": [d.to_dict() for d in self.differences],
        }


def compare(a: dict[str, str], b: dict[str, str], ia: int, ib: int) -> Difference | None:
    la = {k.lower(): k for k in a}
    lb = {k.lower(): k for k in b}
    only_a = sorted(la[k] for k in la.keys() - lb.keys())
    only_b = sorted(lb[k] for k in lb.keys() - la.keys())
    changed = [
        {"name": la[k], "a": a[la[k]], "b": b[lb[k]]}
        for k in sorted(la.keys() & lb.keys())
        if normal_type(a[la[k]]) != normal_type(b[lb[k]])
    ]
    if not (only_a or only_b or changed):
        return None
    return Difference(ia, ib, only_a, only_b, changed)


def find_drift(elements: Sequence[StoredElement]) -> list[Drift]:
    """Every drift among the stored elements, by family and name."""
    index = member_index(elements)
    groups: dict[tuple[str, str], list[Side]] = {}
    seen: set[tuple[str, str, str]] = set()
    for e in elements:
        family = FAMILIES.get(e.element)
        if family is None or (e.root, e.source, e.name) in seen:
            continue
        seen.add((e.root, e.source, e.name))
        members = {m.short: signature(m) for m in members_of(e, index) if m.element in MEMBERS[family]}
        groups.setdefault((family, e.short.lower()), []).append(Side(e, members))
    out = []
    for (family, _), sides in sorted(groups.items()):
        if len(sides) < 2:
            continue
        diffs = [
            d
            for i in range(len(sides))
            for j in range(i + 1, len(sides))
            if (d := compare(sides[i].members, sides[j].members, i, j)) is not None
        ]
        if diffs:
            out.append(Drift(family, sides[0].element.short, sides, diffs))
    return out


def report(drifts: Sequence[Drift]) -> dict[str, Any]:
    return {"drift": bool(drifts), "count": len(drifts), "drifts": [d.to_dict() for d in drifts]}


def render(drifts: Sequence[Drift]) -> list[str]:
    """The drifts as lines of text (terminal)."""
    if not drifts:
        return ["no drift: every table, message and schema defined twice has the same members"]
    lines = [f"{len(drifts)} drift{'s' if len(drifts) > 1 else ''}"]
    for d in drifts:
        lines.append("")
        lines.append(f"{d.family} {d.name}: defined {len(d.sides)} times")
        for i, s in enumerate(d.sides):
            lines.append(f"  [{i + 1}] {s.element.name}  {s.element.where}  ({len(s.members)} members)")
        for diff in d.differences:
            lines.extend(_diff_lines(diff))
    return lines


def _diff_lines(diff: Difference) -> list[str]:
    a, b = diff.a + 1, diff.b + 1
    out = [f"  [{a}] vs [{b}]:"]
    if diff.only_a:
        out.append(f"    only in [{a}]: {', '.join(diff.only_a)}")
    if diff.only_b:
        out.append(f"    only in [{b}]: {', '.join(diff.only_b)}")
    for c in diff.changed:
        out.append(f"    {c['name']}: {c['a']} in [{a}], {c['b']} in [{b}]")
    return out


def markdown(drifts: Sequence[Drift]) -> str:
    """The drifts as a Markdown report (like ``check``'s)."""
    lines = ["# Schema drift", ""]
    if not drifts:
        lines.append("No drift: every table, message and schema defined twice has the same members.")
        return "\n".join(lines) + "\n"
    lines.append(
        f"{len(drifts)} element{'s' if len(drifts) > 1 else ''} defined differently in several places."
    )
    for d in drifts:
        lines += [
            "",
            f"## {d.family} `{d.name}`",
            "",
            "| side | name | file:line | members |",
            "|---|---|---|---|",
        ]
        for i, s in enumerate(d.sides):
            lines.append(f"| {i + 1} | `{s.element.name}` | `{s.element.where}` | {len(s.members)} |")
        lines.append("")
        for diff in d.differences:
            lines.extend(f"- {line.strip()}" for line in _diff_lines(diff))
    return "\n".join(lines) + "\n"
