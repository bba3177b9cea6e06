"""protobuf files (``proto2``/``proto3``/editions) into :class:`SchemaFile` records, with
``proto-schema-parser``.

Elements: ``message`` (nested ones too: ``pkg.Outer.Inner``), ``field`` (``pkg.Message.field``: type
as written, number, label repeated/optional/required, map key and value types, oneof), ``enum``
(values in ``attributes["values"]``), ``service`` and ``rpc`` (request, response, streaming).
References are the message and enum types used, resolved by protobuf's scoping rules to the full
name of a type declared in the file, else kept as written (an imported type).

Lines: the parser's AST has no positions, so each element is found in the text itself: comments and
string literals are blanked out (same length, newlines kept), then every element is searched for in
source order inside its container's braces (``message Name``, ``name = 3``, ``rpc Name``), the
cursor moving past each match. Leading ``//`` comment lines (or a ``/* */`` block) right above an
element, else a trailing ``//`` comment on its line, are its description.

Syntax errors: the parser recovers silently by default; here its errors are collected. When there
are any, every top-level statement is parsed on its own (the rest of the text blanked, so lines
stay true): a broken message is one problem with its line, the other statements are still indexed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from antlr4.error.ErrorListener import ErrorListener
from proto_schema_parser import ast
from proto_schema_parser.parser import Parser

from ...records import FileProblem
from ..base import Source
from .positions import bounded
from .records import Element, SchemaFile

_INTS = (f"{p}{n}" for p in ("int", "uint", "sint", "fixed", "sfixed") for n in ("32", "64"))
SCALARS = frozenset(("double", "float", "bool", "string", "bytes", *_INTS))
_MASK = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', re.S)


def looks_like(rel: str, text: str) -> bool:
    return rel.lower().endswith(".proto")


class _Errors(ErrorListener):  # type: ignore[misc]
    def __init__(self) -> None:
        self.found: list[tuple[int, str]] = []

    def syntaxError(self, recognizer: Any, offending: Any, line: int, column: int, msg: str, e: Any) -> None:
        self.found.append((line, msg))


def _parse(text: str) -> tuple[ast.File | None, list[tuple[int, str]]]:
    errors = _Errors()

    def quiet(target: Any) -> None:
        target.removeErrorListeners()
        target.addErrorListener(errors)

    try:
        tree = Parser(setup_lexer=quiet, setup_parser=quiet).parse(text)
    except Exception as exc:  # the AST builder can fail on a tree the parser recovered badly
        return None, errors.found or [(1, f"{type(exc).__name__}: {exc}")]
    return tree, errors.found


def mask(text: str) -> str:
    """``text`` with comments and string literals replaced by spaces (newlines kept)."""
    return _MASK.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def top_level_spans(masked: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each top-level statement: up to a ``;`` or a closing ``}`` at depth 0."""
    spans, depth, start = [], 0, None
    for i, c in enumerate(masked):
        if start is None and not c.isspace():
            start = i
        if c == "{":
            depth += 1
        elif c == "}":
            depth = max(depth - 1, 0)
        if start is not None and depth == 0 and c in ";}":
            spans.append((start, i + 1))
            start = None
    if start is not None:
        spans.append((start, len(masked)))
    return spans


@bounded("proto")
def parse_proto(source: Source) -> SchemaFile:
    text = source.text
    masked = mask(text)
    tree, errors = _parse(text)
    problems: list[FileProblem] = []
    if errors or tree is None:
        tree, problems = _parse_statements(source.rel, text, masked)
    package = next((e.name for e in tree.file_elements if isinstance(e, ast.Package)), "")
    builder = _Builder(source.rel, text, masked, package)
    builder.declare(tree.file_elements, package)
    builder.container(tree.file_elements, package, "", 0, len(masked))
    return SchemaFile(source.rel, "proto", tuple(builder.elements), problems=tuple(problems))


def _parse_statements(rel: str, text: str, masked: str) -> tuple[ast.File, list[FileProblem]]:
    """Each top-level statement parsed alone (others blanked); the broken ones are problems."""
    spans = top_level_spans(masked)
    header = [s for s in spans if re.match(r"(syntax|edition)\b", masked[s[0] : s[1]])]
    blank = re.sub(r"[^\n]", " ", text)
    merged = ast.File()
    problems = []
    for span in spans:
        keep = sorted({*header, span})
        pieces, prev = [], 0
        for a, b in keep:
            pieces += [blank[prev:a], text[a:b]]
            prev = b
        tree, errors = _parse("".join([*pieces, blank[prev:]]))
        if errors or tree is None:
            line, msg = errors[0] if errors else (text.count("\n", 0, span[0]) + 1, "unreadable")
            problems.append(FileProblem(rel, f"protobuf syntax error: {_short(msg)}", line))
            continue
        merged.syntax = merged.syntax or tree.syntax
        merged.edition = merged.edition or tree.edition
        merged.file_elements.extend(tree.file_elements)
    return merged, problems


def _short(msg: str) -> str:
    """ANTLR's message without its list of every token it would have accepted."""
    return re.sub(r" expecting \{[^}]{60,}\}", "", msg)


@dataclass
class _Builder:
    rel: str
    text: str
    masked: str
    package: str
    elements: list[Element] = field(default_factory=list)
    declared: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.lines = self.text.split("\n")
        self.starts = [0]
        for line in self.lines:
            self.starts.append(self.starts[-1] + len(line) + 1)

    def declare(self, items: Iterable[Any], scope: str) -> None:
        """The full names of every message and enum, for resolving field types."""
        for item in items:
            if isinstance(item, ast.Message | ast.Enum):
                full = _join(scope, item.name)
                self.declared.add(full)
                if isinstance(item, ast.Message):
                    self.declare(item.elements, full)

    def resolve(self, type_name: str, scope: str) -> str:
        """protobuf scoping: innermost scope first; ``.a.B`` is already absolute."""
        if type_name.startswith("."):
            return type_name[1:]
        parts = scope.split(".") if scope else []
        while True:
            candidate = _join(".".join(parts), type_name)
            if candidate in self.declared:
                return candidate
            if not parts:
                return type_name
            parts.pop()

    def line_of(self, offset: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return lo + 1

    def find(self, pattern: str, start: int, end: int) -> tuple[int, int]:
        """Offset of ``pattern`` in the masked text between ``start`` and ``end`` (``start`` when
        not found) and the offset the next search starts from."""
        match = re.compile(pattern).search(self.masked, start, end)
        return (match.start(), match.end()) if match else (start, start)

    def body(self, at: int, end: int) -> tuple[int, int]:
        """The span inside the braces that open after ``at``."""
        open_at = self.masked.find("{", at, end)
        if open_at < 0:
            return at, at
        depth = 0
        for i in range(open_at, end):
            c = self.masked[i]
            depth += c == "{"
            depth -= c == "}"
            if depth == 0:
                return open_at + 1, i
        return open_at + 1, end

    def comment(self, line: int) -> str:
        """Leading ``//`` lines (or a ``/* */`` block) right above ``line``, else a trailing ``//``."""
        above = []
        i = line - 2
        while i >= 0 and self.lines[i].strip().startswith("//"):
            above.append(self.lines[i].strip().lstrip("/").strip())
            i -= 1
        if not above and i >= 0 and self.lines[i].rstrip().endswith("*/"):
            while i >= 0:
                above.append(self.lines[i].strip().removesuffix("*/").lstrip("/*").strip())
                if "/*" in self.lines[i]:
                    break
                i -= 1
        if above:
            return " ".join(reversed([a for a in above if a]))
        here = self.lines[line - 1] if 0 < line <= len(self.lines) else ""
        masked_here = (
            self.masked[self.starts[line - 1] : self.starts[line - 1] + len(here)] if line > 0 else ""
        )
        cut = here.find("//", len(masked_here.rstrip()))
        return here[cut + 2 :].strip() if cut >= 0 else ""

    def add(self, kind: str, name: str, offset: int, **fields: Any) -> None:
        line = self.line_of(offset)
        attributes = fields.pop("attributes", {})
        if self.package:
            attributes = {**attributes, "package": self.package}
        self.elements.append(
            Element(
                kind, name, "proto", line, description=self.comment(line), attributes=attributes, **fields
            )
        )

    def container(self, items: Sequence[Any], scope: str, parent: str, start: int, end: int) -> None:
        """Elements of a file, message or oneof body, searched for from ``start`` in source order."""
        cursor = start
        for item in items:
            if isinstance(item, ast.Message):
                cursor = self.message(item, scope, parent, cursor, end)
            elif isinstance(item, ast.Enum):
                cursor = self.enum(item, scope, parent, cursor, end)
            elif isinstance(item, ast.Service):
                cursor = self.service(item, scope, cursor, end)
            elif isinstance(item, ast.Field | ast.MapField):
                cursor = self.field(item, scope, cursor, end, oneof="")
            elif isinstance(item, ast.OneOf | ast.Group | ast.Extension):
                word = {ast.OneOf: "oneof", ast.Group: "group", ast.Extension: "extend"}[type(item)]
                name = getattr(item, "name", getattr(item, "typeName", ""))
                at, _ = self.find(rf"\b{word}\s+\.?{re.escape(name)}\b", cursor, end)
                inner = self.body(at, end)
                if isinstance(item, ast.OneOf):
                    for sub in item.elements:
                        if isinstance(sub, ast.Field):
                            self.field(sub, scope, inner[0], inner[1], oneof=item.name)
                cursor = inner[1] + 1 if inner[1] > at else cursor

    def message(self, item: ast.Message, scope: str, parent: str, cursor: int, end: int) -> int:
        full = _join(scope, item.name)
        at, _ = self.find(rf"\bmessage\s+{re.escape(item.name)}\b", cursor, end)
        inner = self.body(at, end)
        fields = [e for e in item.elements if isinstance(e, ast.Field | ast.MapField)]
        fields += [
            f
            for o in item.elements
            if isinstance(o, ast.OneOf)
            for f in o.elements
            if isinstance(f, ast.Field)
        ]
        reserved = [r for e in item.elements if isinstance(e, ast.Reserved) for r in (*e.ranges, *e.names)]
        attributes: dict[str, Any] = {"fields": [f.name for f in fields]}
        if reserved:
            attributes["reserved"] = [str(r) for r in reserved]
        used = [f.value_type if isinstance(f, ast.MapField) else f.type for f in fields]
        refs = tuple(dict.fromkeys(self.resolve(t, full) for t in used if t not in SCALARS))
        self.add("message", full, at, type="message", parent=parent, references=refs, attributes=attributes)
        self.container(item.elements, full, full, inner[0], inner[1])
        return inner[1] + 1 if inner[1] > at else cursor

    def field(self, item: ast.Field | ast.MapField, scope: str, cursor: int, end: int, oneof: str) -> int:
        at, after = self.find(rf"\b{re.escape(item.name)}\s*=\s*(?:0[xX][0-9a-fA-F]+|\d+)", cursor, end)
        attributes: dict[str, Any] = {"number": item.number}
        if isinstance(item, ast.MapField):
            kind = f"map<{item.key_type}, {item.value_type}>"
            attributes.update(key_type=item.key_type, value_type=item.value_type, label="map")
            used = [item.value_type]
        else:
            kind = item.type
            attributes["label"] = item.cardinality.value.lower() if item.cardinality else ""
            used = [item.type]
        if oneof:
            attributes["oneof"] = oneof
        options = {o.name: str(o.value) for o in item.options}
        if options:
            attributes["options"] = options
        refs = tuple(self.resolve(t, scope) for t in used if t not in SCALARS)
        self.add(
            "field",
            _join(scope, item.name),
            at,
            type=kind,
            parent=scope,
            references=refs,
            attributes=attributes,
        )
        return after if after > at else cursor

    def enum(self, item: ast.Enum, scope: str, parent: str, cursor: int, end: int) -> int:
        full = _join(scope, item.name)
        at, _ = self.find(rf"\benum\s+{re.escape(item.name)}\b", cursor, end)
        inner = self.body(at, end)
        values = {v.name: v.number for v in item.elements if isinstance(v, ast.EnumValue)}
        self.add("enum", full, at, type="enum", parent=parent, attributes={"values": values})
        return inner[1] + 1 if inner[1] > at else cursor

    def service(self, item: ast.Service, scope: str, cursor: int, end: int) -> int:
        full = _join(scope, item.name)
        at, _ = self.find(rf"\bservice\s+{re.escape(item.name)}\b", cursor, end)
        inner = self.body(at, end)
        methods = [m for m in item.elements if isinstance(m, ast.Method)]
        self.add("service", full, at, type="service", attributes={"rpcs": [m.name for m in methods]})
        inside = inner[0]
        for method in methods:
            m_at, m_after = self.find(rf"\brpc\s+{re.escape(method.name)}\b", inside, inner[1])
            request = self.resolve(method.input_type.type, scope)
            response = self.resolve(method.output_type.type, scope)
            streams = (method.input_type.stream, method.output_type.stream)
            style = {
                (False, False): "unary",
                (True, False): "client_streaming",
                (False, True): "server_streaming",
            }
            attributes = {
                "request": request,
                "response": response,
                "client_streaming": streams[0],
                "server_streaming": streams[1],
            }
            kind = style.get(streams, "bidi_streaming")
            refs = tuple(dict.fromkeys((request, response)))
            self.add(
                "rpc",
                _join(full, method.name),
                m_at,
                type=kind,
                parent=full,
                references=refs,
                attributes=attributes,
            )
            inside = m_after if m_after > m_at else inside
        return inner[1] + 1 if inner[1] > at else cursor


def _join(scope: str, name: str) -> str:
    return f"{scope}.{name}" if scope else name
