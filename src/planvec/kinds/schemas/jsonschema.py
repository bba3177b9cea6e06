"""JSON Schema documents (JSON or YAML) into :class:`SchemaFile` records.

One ``schema`` element for the root (named from ``title``, else the last part of ``$id``, else the
file stem) and one per ``$defs`` / ``definitions`` entry (named by its key); one ``property`` element
per property at any depth, named by its path under its schema: ``Root.metadata.source``, array
items as ``[]`` (``Root.templates[].sections[].id``). ``$ref``s are resolved with ``referencing``
against the document itself (JSON pointers, ``$anchor``s, embedded ``$id``s): a property's type and
references are the target's element name. A reference that leaves the document (another file, a
URL) is recorded as written and never fetched; a local one that points nowhere is a problem naming
it, the rest of the file still parsed. References are not expanded, so cyclic schemas are safe.

:class:`PropertyWalker` is shared with the OpenAPI parser (component schemas are JSON Schemas).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import referencing.jsonschema
from referencing import Registry, Resource
from referencing.exceptions import InvalidAnchor, NoSuchAnchor, PointerToNowhere, Unresolvable

from ...records import FileProblem
from ..base import Source
from .positions import Doc, Path, PositionError, bounded, load_json, load_yaml
from .records import Element, SchemaFile

# Keywords copied into a property's attributes as they are (JSON-safe copies).
_KEPT = (
    "format",
    "enum",
    "const",
    "default",
    "pattern",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "readOnly",
    "writeOnly",
    "deprecated",
    "nullable",
)
_BRANCHES = ("allOf", "anyOf", "oneOf")
# ``openapi: 3.0.0`` / ``"openapi": "3.1.0"`` / ``swagger: "2.0"`` as a key (a keyword list naming
# openapi is no marker).
OPENAPI_MARKER = re.compile(r"""(?:^|[{,\s])["']?(?:openapi|swagger)["']?\s*:\s*["']?\d""", re.M)
_MAX_DEPTH = 32
_MAX_LIST = 100  # enum values kept per property


def looks_like(rel: str, text: str) -> bool:
    """Cheap test for routing ``*.json`` / ``*.yaml``: a JSON Schema (and not an OpenAPI spec)."""
    if not rel.lower().endswith((".json", ".yaml", ".yml")):
        return False
    head = text[:4000]
    if OPENAPI_MARKER.search(head):
        return False
    if "json-schema.org" in head and "$schema" in head:
        return True
    name = PurePosixPath(rel).name.lower()
    has_props = '"properties"' in head or "\nproperties:" in head
    return has_props and ("schema" in name or '"$defs"' in head or '"definitions"' in head)


def load_document(source: Source) -> Doc:
    """The file's data with key lines: YAML for ``*.yaml``/``*.yml``, else JSON."""
    if source.rel.lower().endswith((".yaml", ".yml")):
        return load_yaml(source.text)
    return load_json(source.text)


@bounded("jsonschema")
def parse_json_schema(source: Source) -> SchemaFile:
    try:
        doc = load_document(source)
    except PositionError as err:
        return SchemaFile(source.rel, "jsonschema", problems=(FileProblem(source.rel, err.reason, err.line),))
    data = doc.data
    if not isinstance(data, dict):
        reason = f"not a JSON Schema: the document is a {type(data).__name__}, not an object"
        return SchemaFile(source.rel, "jsonschema", problems=(FileProblem(source.rel, reason, doc.line),))
    walker = PropertyWalker(source.rel, "jsonschema", doc, json_schema_resolver(data))
    root = root_name(data, source.rel)
    walker.names[id(data)] = root
    defs = [(key, d) for key in ("$defs", "definitions") if isinstance(d := data.get(key), dict)]
    for _key, group in defs:
        for name, sub in group.items():
            if isinstance(sub, dict):
                walker.names[id(sub)] = walker.unique(str(name), root)
    walker.schema_element(data, (), root)
    for key, group in defs:
        for name, sub in group.items():
            if isinstance(sub, dict):
                walker.schema_element(sub, (key, name), walker.names[id(sub)])
    return SchemaFile(source.rel, "jsonschema", tuple(walker.elements), problems=tuple(walker.problems))


def root_name(data: Mapping[str, Any], rel: str) -> str:
    title = data.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    ident = data.get("$id") or data.get("id")
    if isinstance(ident, str) and ident.strip("#/ "):
        last = ident.split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
        if last:
            return last.removesuffix(".json").removesuffix(".yaml").removesuffix(".schema")
    return PurePosixPath(rel).name.split(".", 1)[0]


def json_schema_resolver(data: dict[str, Any]) -> Any:
    """A ``referencing`` resolver over the document alone (no retrieval: remote refs stay unresolved)."""
    dialect = data.get("$schema")
    default = referencing.jsonschema.DRAFT202012
    spec = (
        referencing.jsonschema.specification_with(dialect, default=default)
        if isinstance(dialect, str)
        else default
    )
    resource = spec.create_resource(data)
    ident = data.get("$id")
    base = ident if isinstance(ident, str) and "://" in ident else "urn:planvec:document"
    registry = Registry().with_resource(base, resource)
    # Embedded $ids and $anchors; on a malformed subschema plain JSON pointers still resolve.
    with contextlib.suppress(AttributeError, TypeError, ValueError):
        registry = registry.crawl()
    return registry.resolver(base)


def opaque_resolver(data: Any) -> Any:
    """A resolver for plain JSON pointers into ``data`` (OpenAPI documents)."""
    base = "urn:planvec:document"
    return Registry().with_resource(base, Resource.opaque(data)).resolver(base)


@dataclass
class PropertyWalker:
    """Schema and property elements of one document, with ``$ref`` names and problems."""

    rel: str
    format: str
    doc: Doc
    resolver: Any
    names: dict[int, str] = field(default_factory=dict)  # id(schema dict) -> element name
    elements: list[Element] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    # The element name of a ref the names do not know (OpenAPI: ``#/components/schemas/X``).
    ref_fallback: Callable[[str], str | None] | None = None

    def unique(self, name: str, root: str) -> str:
        out = name if name not in self.used and name != root else f"{root}/{name}"
        self.used.add(out)
        return out

    def schema_element(self, schema: dict[str, Any], path: Path, name: str) -> None:
        """The ``schema`` element ``name`` for ``schema`` at ``path`` and all its properties."""
        refs: list[str] = []
        attributes = kept_attributes(schema)
        required = _required(schema)
        if required:
            attributes["required"] = required
        for key in ("$schema", "$id"):
            if isinstance(schema.get(key), str):
                attributes[key.lstrip("$")] = schema[key]
        kind = self.type_text(schema, path, refs)
        self.used.add(name)
        self.names.setdefault(id(schema), name)
        self.elements.append(
            Element(
                "schema",
                name,
                self.format,
                self.doc.line_at(path) if path else self.doc.line,
                type=kind,
                description=describe(schema),
                references=tuple(dict.fromkeys(refs)),
                attributes=attributes,
            )
        )
        self.properties(schema, path, name, name, frozenset())

    def properties(self, schema: Any, path: Path, qual: str, parent: str, above: frozenset[int]) -> None:
        """Property elements under ``schema`` (its branches' too), named ``qual.<name>``."""
        if not isinstance(schema, dict) or id(schema) in above or len(above) > _MAX_DEPTH:
            return
        inner = above | {id(schema)}
        for branch, bpath in [(schema, path), *self.branches(schema, path)]:
            props = branch.get("properties")
            if not isinstance(props, dict):
                continue
            required = {*_required(branch), *_required(schema)}
            for pname, sub in props.items():
                name = f"{qual}.{pname}"
                if name in self.used:
                    continue
                ppath = (*bpath, "properties", pname)
                self.property_element(sub, ppath, name, parent, pname in required)
                self.properties(sub, ppath, name, name, inner)
        items = schema.get("items")
        if isinstance(items, dict):
            self.properties(items, (*path, "items"), f"{qual}[]", parent, inner)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict) and isinstance(extra.get("properties"), dict):
            self.properties(extra, (*path, "additionalProperties"), f"{qual}{{}}", parent, inner)

    def branches(self, schema: dict[str, Any], path: Path) -> list[tuple[dict[str, Any], Path]]:
        out = []
        for key in _BRANCHES:
            for i, sub in enumerate(schema.get(key) or ()) if isinstance(schema.get(key), list) else ():
                if isinstance(sub, dict) and "$ref" not in sub:
                    out.append((sub, (*path, key, i)))
        return out

    def property_element(self, schema: Any, path: Path, name: str, parent: str, required: bool) -> None:
        refs: list[str] = []
        kind = self.type_text(schema, path, refs) if isinstance(schema, dict) else _bool_schema(schema)
        attributes = kept_attributes(schema) if isinstance(schema, dict) else {}
        attributes["required"] = required
        if isinstance(schema, dict):
            self.names.setdefault(id(schema), name)
        self.used.add(name)
        self.elements.append(
            Element(
                "property",
                name,
                self.format,
                self.doc.line_at(path),
                type=kind,
                description=describe(schema) if isinstance(schema, dict) else "",
                parent=parent,
                references=tuple(dict.fromkeys(refs)),
                attributes=attributes,
            )
        )

    def type_text(self, schema: Any, path: Path, refs: list[str]) -> str:
        """``string (date-time)``, ``string | null``, ``array[Address]``, a ``$ref``'s target name;
        every target met is appended to ``refs``."""
        if not isinstance(schema, dict):
            return _bool_schema(schema)
        if isinstance(schema.get("$ref"), str):
            name = self.ref_name(schema["$ref"], (*path, "$ref"))
            refs.append(name)
            return name
        declared = schema.get("type")
        types = (
            [str(t) for t in declared] if isinstance(declared, list) else [str(declared)] if declared else []
        )
        for key, sep in (("oneOf", " | "), ("anyOf", " | "), ("allOf", " & ")):
            subs = schema.get(key)
            if not types and isinstance(subs, list) and subs:
                parts = [self.type_text(s, (*path, key, i), refs) for i, s in enumerate(subs)]
                types = [sep.join(dict.fromkeys(p for p in parts if p))]
        if not types:
            types = ["object"] if "properties" in schema else ["array"] if "items" in schema else []
        if schema.get("nullable") is True and "null" not in types:
            types.append("null")
        out = []
        for t in types:
            if t == "array" and isinstance(schema.get("items"), dict):
                t = f"array[{self.type_text(schema['items'], (*path, 'items'), refs)}]"
            elif t != "null" and isinstance(schema.get("format"), str):
                t = f"{t} ({schema['format']})"
            out.append(t)
        return " | ".join(out)

    def ref_name(self, ref: str, path: Path) -> str:
        """The element name a ``$ref`` points at; the ref itself when it leaves the document."""
        try:
            target = self.resolver.lookup(ref).contents
        except (PointerToNowhere, NoSuchAnchor, InvalidAnchor, AttributeError, TypeError, ValueError):
            self.problems.append(FileProblem(self.rel, f"unresolved $ref {ref!r}", self.doc.line_at(path)))
            return ref
        except Unresolvable:
            return ref  # another file or a URL: recorded, not fetched
        name = self.names.get(id(target)) or (self.ref_fallback(ref) if self.ref_fallback else None)
        return name or ref


def kept_attributes(schema: Mapping[str, Any]) -> dict[str, Any]:
    out = {}
    for key in _KEPT:
        if key in schema:
            value = schema[key]
            out[key] = plain(value[:_MAX_LIST] if isinstance(value, list) else value)
    return out


def describe(schema: Mapping[str, Any]) -> str:
    parts = [schema.get(k) for k in ("title", "description")]
    texts = [p.strip() for p in parts if isinstance(p, str) and p.strip()]
    if len(texts) == 2 and texts[0] in texts[1]:
        texts = texts[1:]
    return ". ".join(texts)


def plain(value: Any, depth: int = 0) -> Any:
    """A JSON-safe copy of ``value`` (YAML dates and odd keys as strings), cycle safe by depth."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if depth > 8:
        return str(value)[:200]
    if isinstance(value, dict):
        return {str(k): plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, depth + 1) for v in value]
    return str(value)


def _required(schema: Mapping[str, Any]) -> list[str]:
    """The property names a schema's ``required`` lists (OpenAPI 2's ``required: true`` is none)."""
    raw = schema.get("required")
    return [r for r in raw if isinstance(r, str)] if isinstance(raw, list) else []


def _bool_schema(schema: Any) -> str:
    return "any" if schema is True else "never" if schema is False else ""
