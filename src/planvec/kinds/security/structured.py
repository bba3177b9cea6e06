"""Structured security policies in YAML or JSON → ``policy`` and ``rule`` records.

A *policy* is a mapping with at least two of the source system's fields (``id``, ``name``,
``description``, ``category``, ``severity``, ``rules``, ``conditions``, ``actions``, ``tags``,
``enabled``); it is found as the document itself, in a top-level list, or in a list under
``policies`` / ``security_policies``. Each mapping of its ``rules`` with an ``id`` or a ``name`` is
a ``rule`` record of its own (severity and category inherited when it has none). A security
configuration without that shape (``protection-config.json``) is one ``policy`` record for the
document (its scalar fields) and one ``section`` record per top-level mapping or list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...records import FileProblem
from .classify import category_of, severity_of, slug, unique_anchor
from .nodes import LDict, LList, flatten, line_of
from .records import Policy, PolicyFile

POLICY_FIELDS = (
    "id",
    "name",
    "description",
    "category",
    "severity",
    "rules",
    "conditions",
    "actions",
    "tags",
    "enabled",
)
_LIST_KEYS = ("policies", "security_policies", "securityPolicies")
_CAMEL_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|[_\-]+")
_TEXT_LINES = 60  # flattened lines of a section kept in its text


def is_policy(value: Any) -> bool:
    return isinstance(value, Mapping) and sum(1 for f in POLICY_FIELDS if f in value) >= 2


def policies_in(doc: Any) -> list[Any]:
    """The policy mappings of one document (empty when it has none)."""
    if isinstance(doc, list):
        return [x for x in doc if is_policy(x)]
    if not isinstance(doc, Mapping):
        return []
    for key in _LIST_KEYS:
        if isinstance(doc.get(key), list):
            return [x for x in doc[key] if is_policy(x)]
    return [doc] if is_policy(doc) else []


def parse_structured(docs: list[Any], path: str, fmt: str) -> PolicyFile:
    """Records of the (already loaded) documents of a YAML or JSON policy file."""
    seen: dict[str, int] = {}
    out: list[Policy] = []
    problems: list[FileProblem] = []
    for doc in docs:
        found = policies_in(doc)
        if found:
            for p in found:
                out.extend(_policy(p, path, fmt, seen, problems))
        elif isinstance(doc, LDict):
            out.extend(_config_document(doc, path, fmt, seen))
    return PolicyFile(path, fmt, tuple(out), problems=tuple(problems))


def _texts(value: Any) -> tuple[str, ...]:
    """A field as a tuple of short texts (a string, a list of strings or mappings)."""
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(_one_line(v) for v in value)
    return (_one_line(value),)


def _one_line(v: Any) -> str:
    if isinstance(v, Mapping):
        return "; ".join(flatten(v, limit=20))
    return str(v)


def _enabled(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "no", "off", "0", "disabled")
    return value is None or bool(value)


def _policy(p: LDict, path: str, fmt: str, seen: dict[str, int], problems: list[FileProblem]) -> list[Policy]:
    pid = str(p["id"]) if p.get("id") is not None else None
    name = str(p.get("name") or p.get("title") or pid or "")
    line = line_of(p, 1)
    if not name:
        problems.append(FileProblem(path, "a policy without id or name: indexed under its line", line))
    severity = severity_of(p.get("severity"))
    if p.get("severity") is not None and severity is None:
        problems.append(FileProblem(path, f"unknown severity {p.get('severity')!r}", p.line_of("severity")))
    rules: list[Any] = p["rules"] if isinstance(p.get("rules"), list) else []
    description = str(p["description"]) if p.get("description") is not None else None
    rule_texts, conditions, actions = _texts(rules), _texts(p.get("conditions")), _texts(p.get("actions"))
    category = (
        str(p["category"]) if p.get("category") else category_of([name, description or "", *rule_texts])
    )
    text = "\n".join(
        x
        for x in (
            name,
            description,
            *(f"rule: {r}" for r in rule_texts),
            *(f"condition: {c}" for c in conditions),
            *(f"action: {a}" for a in actions),
        )
        if x
    )
    anchor = unique_anchor(f"policy:{pid or slug(name) or line}", seen)
    head = Policy(
        anchor=anchor,
        kind="policy",
        title=name or f"policy at line {line}",
        text=text,
        line=line,
        format=fmt,
        category=category,
        severity=severity,
        tags=tuple(str(t) for t in _texts(p.get("tags"))),
        enabled=_enabled(p.get("enabled")),
        section=(name,) if name else (),
        policy_id=pid,
        name=name or None,
        description=description,
        rules=rule_texts,
        conditions=conditions,
        actions=actions,
    )
    out = [head]
    for i, r in enumerate(rules):
        if isinstance(r, LDict) and (r.get("id") is not None or r.get("name")):
            out.append(
                _rule(r, head, path, fmt, seen, rules.line_at(i) if isinstance(rules, LList) else line)
            )
    return out


def _rule(r: LDict, parent: Policy, path: str, fmt: str, seen: dict[str, int], line: int) -> Policy:
    rid = str(r["id"]) if r.get("id") is not None else None
    name = str(r.get("name") or rid)
    description = str(r["description"]) if r.get("description") is not None else None
    conditions, actions = (
        _texts(r.get("conditions") or r.get("condition")),
        _texts(r.get("actions") or r.get("action")),
    )
    details = [
        x for x in flatten({k: v for k, v in r.items() if k not in ("id", "name", "description")}, limit=30)
    ]
    return Policy(
        anchor=unique_anchor(f"{parent.anchor}/rule:{rid or slug(name)}", seen),
        kind="rule",
        title=name,
        text="\n".join(x for x in (f"{parent.title}: {name}", description, *details) if x),
        line=line,
        format=fmt,
        category=str(r["category"]) if r.get("category") else parent.category,
        severity=severity_of(r.get("severity")) or parent.severity,
        tags=tuple(str(t) for t in _texts(r.get("tags"))) or parent.tags,
        enabled=parent.enabled and _enabled(r.get("enabled")),
        section=(*parent.section, name),
        policy_id=rid,
        name=name,
        description=description,
        conditions=conditions,
        actions=actions,
    )


def words_of(key: str) -> str:
    """``CriticalFiles`` / ``critical_files`` → ``Critical Files``."""
    return " ".join(w[:1].upper() + w[1:] for w in _CAMEL_RE.split(key) if w)


def _config_document(doc: LDict, path: str, fmt: str, seen: dict[str, int]) -> list[Policy]:
    """A security configuration: the document, then one section per structured top-level key."""
    scalars = {k: v for k, v in doc.items() if not isinstance(v, dict | list)}
    parts = [k for k, v in doc.items() if isinstance(v, dict | list)]
    if not parts and not scalars:
        return []
    stem = path.rsplit("/", 1)[-1]
    title = str(doc.get("name") or doc.get("title") or doc.get("description") or stem)
    summary = [f"{k}: {v}" for k, v in scalars.items()] + (
        [f"sections: {', '.join(words_of(k) for k in parts)}"] if parts else []
    )
    out = [
        Policy(
            anchor=unique_anchor("document", seen),
            kind="policy",
            title=title,
            text="\n".join([title, *summary]),
            line=line_of(doc, 1),
            format=fmt,
            category=category_of([title, stem, *parts]),
            severity=severity_of(doc.get("severity")),
            description=str(doc["description"]) if doc.get("description") is not None else None,
            name=str(doc["name"]) if doc.get("name") else None,
        )
    ]
    for key in parts:
        label = words_of(key)
        body = flatten(doc[key], limit=_TEXT_LINES)
        out.append(
            Policy(
                anchor=unique_anchor(f"key:{key}", seen),
                kind="section",
                title=label,
                text="\n".join([f"{title}: {label}", *body]),
                line=doc.line_of(key),
                format=fmt,
                category=category_of([label, title, *body]),
                section=(title, label),
            )
        )
    return out
