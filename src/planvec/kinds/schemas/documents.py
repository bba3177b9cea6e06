"""Schema elements → store documents: one point per element.

- **anchor** ``element:qualified name`` (``column:public.users.email``): unique in its file and the
  same whatever else the file holds, so the point id survives unrelated edits;
- **embedded text**: the element in words with its context — a column with its table, type,
  constraints and comment; an operation with its summary, operationId, parameters, request and
  responses; a container with the names of its members; a configuration section with its keys;
- **payload**: what a hit, ``schemas show`` and ``schemas drift`` read back without parsing again
  (see :func:`payload`); ``section`` is the element's parent chain, the hit's breadcrumb.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ...records import StoreDoc, finish_doc
from .records import Element, SchemaFile

DOC_KIND = "schema_element"
TEXT_CHARS = 1500  # what the embedded text keeps of an element (the model reads ~256 tokens)
LIST_ITEMS = 40  # member names, keys, parameters listed in one text
VALUE_CHARS = 80  # a configuration value in a text

MEMBER_ELEMENTS = {
    "table": ("column",),
    "view": ("column",),
    "schema": ("property",),
    "property": ("property",),
    "message": ("field", "enum", "message"),
    "enum": (),
    "service": ("rpc",),
    "config_file": ("config_section",),
}
LABELS = {"config_file": "configuration file", "config_section": "configuration section"}
CONTAINERS = {"column": "table", "field": "message", "property": "schema", "rpc": "service"}


def anchor(e: Element) -> str:
    return f"{e.element}:{e.name}"


def short_name(e: Element) -> str:
    """The name without its container: ``email`` for ``public.users.email``, ``User`` for
    ``components.User``, ``database`` for ``app.yaml#database``, ``app.yaml`` for the file
    ``config/app.yaml``; an operation keeps its name."""
    if e.element == "operation":
        return e.name
    if e.element == "config_file":
        return e.name.rsplit("/", 1)[-1]
    if "#" in e.name:
        return e.name.split("#", 1)[1]
    if e.parent and e.name.startswith(e.parent + "."):
        return e.name[len(e.parent) + 1 :]
    return e.name.rsplit(".", 1)[-1]


def jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of an attribute value (tuples → lists, keys → str, NaN → None, others → str)."""
    if depth > 20:
        return str(value)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=str) if isinstance(value, set | frozenset) else value
        return [jsonable(v, depth + 1) for v in items]
    return str(value)


def _flag(attrs: Mapping[str, Any], key: str) -> bool:
    return attrs.get(key) is True or str(attrs.get(key)).lower() in ("true", "yes", "1")


def _names(items: Any) -> list[str]:
    """Names of a list of parameters / responses / keys, whatever shape a parser gave them."""
    if isinstance(items, Mapping):
        return [str(k) for k in items]
    if isinstance(items, list | tuple):
        out = []
        for it in items:
            out.append(str(it.get("name") or it) if isinstance(it, Mapping) else str(it))
        return out
    return [str(items)] if items not in (None, "") else []


def _listed(items: Sequence[str]) -> str:
    shown = ", ".join(items[:LIST_ITEMS])
    return shown + (f", … ({len(items) - LIST_ITEMS} more)" if len(items) > LIST_ITEMS else "")


def _constraints(e: Element) -> list[str]:
    a = e.attributes
    out = []
    if a.get("nullable") is False or _flag(a, "not_null"):
        out.append("not null")
    if _flag(a, "required"):
        out.append("required")
    if _flag(a, "primary_key"):
        out.append("primary key")
    if _flag(a, "unique"):
        out.append("unique")
    if a.get("default") not in (None, ""):
        out.append(f"default {a['default']}")
    if a.get("enum"):
        out.append(f"one of {_listed(_names(a['enum']))}")
    if e.references:
        out.append(f"references {', '.join(e.references)}")
    return out


def _member_text(e: Element, parent: Element | None) -> str:
    container = parent.element if parent else CONTAINERS.get(e.element, "")
    head = f"{LABELS.get(e.element, e.element)} {short_name(e)}"
    if e.parent:
        head += f" of {LABELS.get(container, container)} {e.parent}" if container else f" of {e.parent}"
    details = ([e.type] if e.type else []) + _constraints(e)
    return f"{head}: {', '.join(details)}" if details else head


def _operation_text(e: Element) -> str:
    a = e.attributes
    summary = str(a.get("summary") or "")
    text = f"{e.name}: {summary}" if summary else e.name
    if a.get("operation_id"):
        text += f" (operationId {a['operation_id']})"
    parts = []
    if a.get("parameters"):
        parts.append(f"parameters {_listed(_names(a['parameters']))}")
    if a.get("request"):
        parts.append(f"request {_listed(_names(a['request']))}")
    if a.get("responses"):
        resp = a["responses"]
        items = [f"{k} {v}" for k, v in resp.items()] if isinstance(resp, Mapping) else _names(resp)
        parts.append(f"responses {_listed(items)}")
    if a.get("tags"):
        parts.append(f"tags {_listed(_names(a['tags']))}")
    return "; ".join([text, *parts])


def _keys(e: Element) -> list[str]:
    keys = e.attributes.get("keys")
    if isinstance(keys, Mapping):
        return [f"{k} = {str(v)[:VALUE_CHARS]}" if v not in (None, "") else str(k) for k, v in keys.items()]
    return _names(keys)


def _config_text(e: Element, members: Sequence[Element]) -> str:
    """A configuration file or section: its name and where it is, then the parser's description
    (a short text of its keys, written for embedding), else its keys and sections."""
    name = short_name(e) if e.element == "config_section" else e.name
    head = f"{LABELS[e.element]} {name}" + (f" of {e.file}" if e.file and e.file != name else "")
    if e.description:  # (a file's description names the file already)
        return e.description if e.name in e.description else f"{head}: {e.description}"
    keys = _keys(e)[:LIST_ITEMS]
    if members:
        keys.append(f"sections {_listed([short_name(m) for m in members])}")
    return f"{head}: {'; '.join(keys)}" if keys else head


def element_text(e: Element, parent: Element | None, members: Sequence[Element], path: str) -> str:
    """The text embedded for an element (see the module docstring)."""
    if e.element == "operation":
        text = _operation_text(e)
    elif e.element in ("config_section", "config_file"):
        return _config_text(e if e.file else replace(e, file=path), members)[:TEXT_CHARS]
    elif e.parent and e.element in ("column", "property", "field", "rpc", "index", "enum", "message"):
        text = _member_text(e, parent)
    else:
        text = f"{LABELS.get(e.element, e.element)} {e.name}" + (f": {e.type}" if e.type else "")
        refs = ", ".join(e.references)
        if refs:
            text += f" (references {refs})"
    if e.element == "index" and e.attributes.get("columns"):
        text += f" on {_listed(_names(e.attributes['columns']))}"
    if members and e.element not in ("config_section", "config_file"):
        word = {"table": "columns", "view": "columns", "message": "fields", "service": "rpcs"}.get(
            e.element, "properties"
        )
        text += f" ({word}: {_listed([short_name(m) for m in members])})"
    if e.description and e.description not in text:
        text += f" — {e.description}"
    return text[:TEXT_CHARS]


def title(e: Element) -> str:
    """One line a human reads: ``public.users.email varchar(255) NOT NULL``."""
    if e.element == "operation":
        summary = str(e.attributes.get("summary") or "")
        return f"{e.name} — {summary}" if summary else e.name
    if e.element in ("column", "property", "field"):
        out = f"{e.name} {e.type}".strip()
        if e.attributes.get("nullable") is False or _flag(e.attributes, "not_null"):
            out += " NOT NULL"
        if _flag(e.attributes, "required"):
            out += " required"
        return out
    return f"{LABELS.get(e.element, e.element)} {e.name}"


def section(e: Element, by_name: Mapping[str, Element]) -> list[str]:
    """The parent chain of an element, outermost first (cycles and missing parents stop it)."""
    chain: list[str] = []
    seen = {e.name}
    parent = e.parent
    while parent and parent not in seen and len(chain) < 20:
        chain.append(parent)
        seen.add(parent)
        up = by_name.get(parent)
        parent = up.parent if up else ""
    return chain[::-1]


def payload(e: Element, pf: SchemaFile, root: str, chain: Sequence[str]) -> dict[str, Any]:
    return {
        "kind": DOC_KIND,
        "root": root,
        "file": e.file or pf.path,
        "source": pf.path,  # the parsed file (or migrations folder) the point belongs to
        "line": int(e.line or 0),
        "anchor": anchor(e),
        "title": title(e),
        "element": e.element,
        "name": e.name,
        "qualified": e.name,
        "short": short_name(e),
        "format": e.format or pf.format,
        "type": e.type,
        "description": e.description,
        "parent": e.parent,
        "references": list(e.references),
        "attributes": jsonable(dict(e.attributes)),
        "section": " > ".join(chain),
        "dialect": pf.dialect,
    }


def sparse_text(e: Element, text: str) -> str:
    words = e.name.replace(".", " ").replace("_", " ").replace("#", " ").replace("/", " ")
    return " ".join(p for p in (e.name, words, e.type, e.description, text) if p)


def element_docs(pf: SchemaFile, root: str, collection: str, model_key: str) -> Iterator[StoreDoc]:
    """The store documents of one parsed file."""
    by_name: dict[str, Element] = {}
    members: dict[str, list[Element]] = {}
    for e in pf.elements:
        by_name.setdefault(e.name, e)
    for e in pf.elements:
        parent = by_name.get(e.parent) if e.parent else None
        if parent is not None and e.element in MEMBER_ELEMENTS.get(parent.element, ()):
            members.setdefault(parent.name, []).append(e)
    for e in pf.elements:
        parent = by_name.get(e.parent) if e.parent else None
        text = element_text(e, parent, members.get(e.name, []), pf.path)
        body = payload(e, pf, root, section(e, by_name))
        yield finish_doc(collection, root, pf.path, anchor(e), text, sparse_text(e, text), body, model_key)
