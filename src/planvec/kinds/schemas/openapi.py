"""OpenAPI 3.0 / 3.1 documents (JSON or YAML) into :class:`SchemaFile` records.

One ``operation`` element per path and method (``POST /collections``, type ``POST``) with its
operationId, summary, tags, parameters (path-level ones merged, the operation's win), request body
(content types and schema names) and responses (code -> schema name); one ``schema`` element per
``components.schemas`` entry (``components.User``) and one ``property`` element per property
(``components.User.email``), walked as JSON Schema (:class:`~.jsonschema.PropertyWalker`). Local
``$ref``s (schemas, parameters, request bodies, responses, path items) are JSON pointers resolved with
``referencing`` over the document; refs are named, never expanded, so cyclic schemas are safe. A ref
that points nowhere is a problem naming it (the rest still parsed); one into another file is
recorded as written.

Swagger 2.0 is read too: ``definitions`` are the schemas (``definitions.User``), the ``in: body``
parameter's schema and form fields are the request (media types from ``consumes``), a response's
``schema`` its schema, a non-body parameter's ``type`` its type. Other versions are refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from referencing.exceptions import Unresolvable

from ...records import FileProblem
from ..base import Source
from .jsonschema import OPENAPI_MARKER, PropertyWalker, describe, opaque_resolver, plain
from .positions import Doc, Path, PositionError, bounded, load_json, load_yaml
from .records import Element, SchemaFile

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_SCHEMAS_PREFIX = "#/components/schemas/"
_MAX_REF_HOPS = 16


def looks_like(rel: str, text: str) -> bool:
    """Cheap test for routing ``*.json`` / ``*.yaml``: an OpenAPI (or Swagger) document."""
    if not rel.lower().endswith((".json", ".yaml", ".yml")):
        return False
    return bool(OPENAPI_MARKER.search(text[:2000]))


@bounded("openapi")
def parse_openapi(source: Source) -> SchemaFile:
    rel = source.rel
    try:
        doc = load_yaml(source.text) if rel.lower().endswith((".yaml", ".yml")) else load_json(source.text)
    except PositionError as err:
        return _failed(rel, err.reason, err.line)
    data = doc.data
    if not isinstance(data, dict):
        return _failed(rel, "not an OpenAPI document: the top level is not an object", doc.line)
    swagger = "swagger" in data
    if swagger and not str(data["swagger"]).startswith("2"):
        return _failed(rel, f"Swagger {data['swagger']} is not supported, convert to OpenAPI 3", doc.line)
    if not swagger and not str(data.get("openapi", "")).startswith("3"):
        return _failed(rel, "not an OpenAPI 3 document: no 'openapi: 3.x' field", doc.line)
    walker = PropertyWalker(rel, "openapi", doc, opaque_resolver(data), ref_fallback=_component_name)
    where: Path = ("definitions",) if swagger else ("components", "schemas")
    schemas = _at(data, where)
    prefix = "definitions" if swagger else "components"
    for name, schema in schemas.items():
        if isinstance(schema, dict):
            walker.names[id(schema)] = f"{prefix}.{name}"
    operations = _Operations(walker, doc, _api_name(data), _Swagger.of(data) if swagger else None)
    for path, item in _at(data, ("paths",)).items():
        operations.path_item(str(path), item)
    for name, schema in schemas.items():
        if isinstance(schema, dict):
            walker.schema_element(schema, (*where, name), f"{prefix}.{name}")
    return SchemaFile(rel, "openapi", tuple(walker.elements), problems=tuple(walker.problems))


def _at(data: Any, path: Path) -> dict[str, Any]:
    """The mapping at ``path`` in ``data``, or an empty one."""
    for key in path:
        data = data.get(key) if isinstance(data, dict) else None
    return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class _Swagger:
    """What Swagger 2.0 says once for the whole API: the default request and response media types."""

    consumes: tuple[str, ...]
    produces: tuple[str, ...]

    @classmethod
    def of(cls, data: dict[str, Any]) -> _Swagger:
        return cls(_strings(data.get("consumes")), _strings(data.get("produces")))


def _strings(raw: Any) -> tuple[str, ...]:
    return tuple(str(x) for x in raw) if isinstance(raw, list) else ()


def _failed(rel: str, reason: str, line: int | None) -> SchemaFile:
    return SchemaFile(rel, "openapi", problems=(FileProblem(rel, reason, line),))


def _component_name(ref: str) -> str | None:
    for pointer, prefix in ((_SCHEMAS_PREFIX, "components."), ("#/definitions/", "definitions.")):
        if ref.startswith(pointer) and "/" not in ref[len(pointer) :]:
            return prefix + ref[len(pointer) :].replace("~1", "/").replace("~0", "~")
    return None


def _api_name(data: dict[str, Any]) -> str:
    info: dict[str, Any] = data["info"] if isinstance(data.get("info"), dict) else {}
    title, version = info.get("title"), info.get("version")
    return " ".join(str(p) for p in (title, version) if p)


class _Operations:
    def __init__(self, walker: PropertyWalker, doc: Doc, api: str, swagger: _Swagger | None) -> None:
        self.walker = walker
        self.doc = doc
        self.api = api
        self.swagger = swagger

    def deref(self, obj: Any, path: Path) -> Any:
        """``obj`` with ``$ref`` objects followed (parameters, bodies, responses, path items)."""
        for _ in range(_MAX_REF_HOPS):
            if not (isinstance(obj, dict) and isinstance(obj.get("$ref"), str)):
                return obj
            ref = obj["$ref"]
            try:
                obj = self.walker.resolver.lookup(ref).contents
            except Unresolvable:
                if ref.startswith("#"):
                    line = self.doc.line_at((*path, "$ref"))
                    self.walker.problems.append(
                        FileProblem(self.walker.rel, f"unresolved $ref {ref!r}", line)
                    )
                return None
        return None  # a ref loop

    def path_item(self, path: str, item: Any) -> None:
        item = self.deref(item, ("paths", path))
        if not isinstance(item, dict):
            return
        shared_refs: list[str] = []
        shared = self.parameters(item.get("parameters"), ("paths", path, "parameters"), shared_refs)
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict):
                self.operation(path, method, op, shared, shared_refs)

    def parameters(self, raw: Any, path: Path, refs: list[str]) -> dict[tuple[str, str], dict[str, Any]]:
        out: dict[tuple[str, str], dict[str, Any]] = {}
        for i, param in enumerate(raw) if isinstance(raw, list) else ():
            param = self.deref(param, (*path, i))
            if not isinstance(param, dict) or not isinstance(param.get("name"), str):
                continue
            schema = param.get("schema")
            if schema is None and self.swagger is not None and "type" in param:
                schema = param  # Swagger 2.0: a non-body parameter carries its type itself
            where = str(param.get("in", ""))
            out[(param["name"], where)] = {
                "name": param["name"],
                "in": where,
                "required": bool(param.get("required", where == "path")),
                "type": self.walker.type_text(schema, (*path, i, "schema"), refs)
                if schema is not None
                else "",
                "description": str(param.get("description", "")),
            }
        return out

    def operation(
        self,
        path: str,
        method: str,
        op: dict[str, Any],
        shared: dict[tuple[str, str], Any],
        shared_refs: list[str],
    ) -> None:
        here: Path = ("paths", path, method)
        refs = list(shared_refs)
        params = {**shared, **self.parameters(op.get("parameters"), (*here, "parameters"), refs)}
        attributes: dict[str, Any] = {
            "operation_id": str(op.get("operationId", "")),
            "path": path,
            "summary": str(op.get("summary", "")),
            "description": str(op.get("description", "")),
            "tags": [str(t) for t in op.get("tags") or ()] if isinstance(op.get("tags"), list) else [],
            "parameters": [p for p in params.values() if self.swagger is None or p["in"] != "body"],
            "request": self.request(op.get("requestBody"), (*here, "requestBody"), refs)
            if self.swagger is None
            else self.swagger_request(op, params),
            "responses": self.responses(op.get("responses"), (*here, "responses"), refs),
        }
        if op.get("deprecated") is True:
            attributes["deprecated"] = True
        if self.api:
            attributes["api"] = self.api
        self.walker.elements.append(
            Element(
                "operation",
                f"{method.upper()} {path}",
                "openapi",
                self.doc.line_at(here),
                type=method.upper(),
                description=describe({"title": op.get("summary"), "description": op.get("description")}),
                references=tuple(dict.fromkeys(refs)),
                attributes=plain(attributes),
            )
        )

    def request(self, raw: Any, path: Path, refs: list[str]) -> dict[str, Any]:
        body = self.deref(raw, path)
        if not isinstance(body, dict):
            return {}
        types, schemas = self.content(body.get("content"), (*path, "content"), refs)
        return {"content_types": types, "schemas": schemas, "required": bool(body.get("required", False))}

    def swagger_request(self, op: dict[str, Any], params: dict[tuple[str, str], Any]) -> dict[str, Any]:
        """Swagger 2.0: the ``in: body`` parameter's schema, or form fields, with ``consumes``."""
        assert self.swagger is not None
        body = [p for p in params.values() if p["in"] == "body"]
        form = [p for p in params.values() if p["in"] == "formData"]
        if not body and not form:
            return {}
        types = _strings(op.get("consumes")) or self.swagger.consumes
        schemas = [p["type"] for p in body if p["type"]]
        required = any(p["required"] for p in body + form)
        return {"content_types": list(types), "schemas": schemas, "required": required}

    def responses(self, raw: Any, path: Path, refs: list[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for code, response in raw.items() if isinstance(raw, dict) else ():
            response = self.deref(response, (*path, code))
            if not isinstance(response, dict):
                continue
            if self.swagger is not None:
                schema = response.get("schema")
                schemas = [self.walker.type_text(schema, (*path, code, "schema"), refs)] if schema else []
            else:
                _, schemas = self.content(response.get("content"), (*path, code, "content"), refs)
            out[str(code)] = " | ".join(dict.fromkeys(schemas))
        return out

    def content(self, raw: Any, path: Path, refs: list[str]) -> tuple[list[str], list[str]]:
        types, schemas = [], []
        for media, entry in raw.items() if isinstance(raw, dict) else ():
            types.append(str(media))
            if isinstance(entry, dict) and entry.get("schema") is not None:
                schemas.append(self.walker.type_text(entry["schema"], (*path, media, "schema"), refs))
        return types, list(dict.fromkeys(schemas))
