"""JSON and YAML documents as plain Python data plus the 1-based line of every mapping key.

The schema and configuration parsers work on plain data (what ``referencing`` resolves ``$ref``s in)
and look lines up by path: ``doc.line_at(("properties", "status"))`` is the line of the ``status``
key, or of its nearest ancestor with a known line.

YAML: PyYAML's ``compose`` (the C loader when built) gives a node tree with ``start_mark``s; this
module turns nodes into values itself (scalars through PyYAML's own constructor, so ``1``, ``true``,
``~`` and dates resolve as usual) and records each key's line on the way. Aliases share one value;
a recursive alias and an alias bomb are errors (see :class:`_YamlBuilder`). Tags PyYAML does not
know (``!Ref`` in CloudFormation) are read as their plain node kind instead of failing. Keys are
kept as written (``on:`` stays ``"on"``, not YAML 1.1's ``True``; ``200:`` stays ``"200"``): every
reader here wants names, never typed keys.

JSON: not through YAML. PyYAML reads YAML 1.1, where JSON's ``1e5`` is a string, tabs are refused in
places JSON allows them and a lone ``\\uD83D`` surrogate passes silently; JSON is decoded by the
standard library's own scanner (``json.scanner.py_make_scanner``, its number and string rules and
its error messages) with one hook: objects are read by :func:`_parse_object`, a copy of
``json.decoder.JSONObject`` that also notes where each key starts. The stdlib offers no position
hook, which is why this one function is hand-written.
"""

from __future__ import annotations

import bisect
import contextlib
import functools
import json
import json.decoder
import json.scanner
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from ...records import FileProblem
from .records import SchemaFile

Path = tuple[Any, ...]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_WS = json.decoder.WHITESPACE.match  # type: ignore[attr-defined]
_WS_CHARS = " \t\n\r"
MAX_EXPANDED = 1_000_000  # values one YAML document may hold once its aliases are expanded


class PositionError(ValueError):
    """A document that cannot be read at all: the reason and its 1-based line."""

    def __init__(self, reason: str, line: int | None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass(slots=True)
class Doc:
    """One document: its data and the line of every mapping key by path (list items by index)."""

    data: Any
    line: int = 1  # where the document starts
    lines: dict[Path, int] = field(default_factory=dict)

    def line_at(self, path: Path) -> int:
        """The line of ``path``, else of its nearest ancestor with a known line, else the start."""
        for end in range(len(path), 0, -1):
            found = self.lines.get(tuple(path[:end]))
            if found is not None:
                return found
        return self.line


def bounded(fmt: str) -> Callable[[Callable[[Any], SchemaFile]], Callable[[Any], SchemaFile]]:
    """A parser ``(source) -> SchemaFile`` that returns a problem instead of raising when the
    document nests deeper than Python's stack allows (the walkers recurse over the data)."""

    def wrap(parse: Callable[[Any], SchemaFile]) -> Callable[[Any], SchemaFile]:
        @functools.wraps(parse)
        def parse_bounded(source: Any) -> SchemaFile:
            try:
                return parse(source)
            except RecursionError:
                return SchemaFile(
                    source.rel, fmt, problems=(FileProblem(source.rel, "nested too deeply to index"),)
                )

        return parse_bounded

    return wrap


# --- JSON ---------------------------------------------------------------------------------------


class _LineIndex:
    def __init__(self, text: str) -> None:
        self._starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


_JSONC_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|//[^\n]*|/\*.*?\*/', re.S)
_JSONC_COMMA = re.compile(r'"(?:[^"\\\n]|\\.)*"|,(?=\s*[}\]])')


def without_comments(text: str) -> str:
    """JSON with comments (``tsconfig.json``, ``.vscode/*.json``, ``*.jsonc``) as JSON: ``//`` and
    ``/* */`` comments and trailing commas become spaces, so offsets and lines stay true. No
    maintained JSONC reader is among the project's libraries, hence these two expressions."""

    def blank(match: re.Match[str]) -> str:
        found = match.group()
        return found if found.startswith('"') else re.sub(r"[^\n]", " ", found)

    return _JSONC_COMMA.sub(blank, _JSONC_COMMENT.sub(blank, text))


def load_json(text: str, comments: bool = False) -> Doc:
    """``text`` as one JSON document with key lines; :class:`PositionError` when it is not JSON.
    ``comments``: JSON with comments and trailing commas (:func:`without_comments`)."""
    text = without_comments(text) if comments else text
    index = _LineIndex(text)
    key_lines: dict[tuple[int, str], int] = {}
    decoder = json.JSONDecoder()
    decoder.parse_object = _object_parser(index, key_lines)  # type: ignore[attr-defined]
    scan = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    start = _WS(text, 0).end()
    try:
        if start == len(text):
            raise json.JSONDecodeError("Expecting value", text, start)
        data, end = scan(text, start)
        end = _WS(text, end).end()
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
    except StopIteration as exc:
        err = json.JSONDecodeError("Expecting value", text, exc.value)
        raise PositionError(f"invalid JSON: {err.msg}", err.lineno) from None
    except json.JSONDecodeError as err:
        raise PositionError(f"invalid JSON: {err.msg}", err.lineno) from None
    except RecursionError:
        raise PositionError("invalid JSON: nested too deeply", None) from None
    doc = Doc(data, index.line(start))
    _collect_json_lines(data, (), key_lines, doc.lines)
    return doc


def _object_parser(index: _LineIndex, key_lines: dict[tuple[int, str], int]) -> Any:
    scanstring = json.decoder.scanstring  # type: ignore[attr-defined]

    def parse_object(s_and_end: tuple[str, int], strict: bool, scan_once: Any, *_: Any) -> tuple[dict, int]:
        s, end = s_and_end
        obj: dict[str, Any] = {}
        nextchar = s[end : end + 1]
        if nextchar != '"':
            if nextchar in _WS_CHARS:
                end = _WS(s, end).end()
                nextchar = s[end : end + 1]
            if nextchar == "}":
                return obj, end + 1
            if nextchar != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", s, end)
        end += 1
        while True:
            key_at = end - 1
            key, end = scanstring(s, end, strict)
            if s[end : end + 1] != ":":
                end = _WS(s, end).end()
                if s[end : end + 1] != ":":
                    raise json.JSONDecodeError("Expecting ':' delimiter", s, end)
            end = _WS(s, end + 1).end()
            try:
                value, end = scan_once(s, end)
            except StopIteration as err:
                raise json.JSONDecodeError("Expecting value", s, err.value) from None
            obj[key] = value
            key_lines[(id(obj), key)] = index.line(key_at)
            end = _WS(s, end).end()
            nextchar = s[end : end + 1]
            end += 1
            if nextchar == "}":
                return obj, end
            if nextchar != ",":
                raise json.JSONDecodeError("Expecting ',' delimiter", s, end - 1)
            end = _WS(s, end).end()
            if s[end : end + 1] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", s, end)
            end += 1

    return parse_object


def _collect_json_lines(
    value: Any, path: Path, key_lines: dict[tuple[int, str], int], out: dict[Path, int]
) -> None:
    if isinstance(value, dict):
        for key, child in value.items():
            line = key_lines.get((id(value), key))
            if line is not None:
                out[(*path, key)] = line
            _collect_json_lines(child, (*path, key), key_lines, out)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _collect_json_lines(child, (*path, i), key_lines, out)
            # An object item starts (near enough) at its first key.
            if isinstance(child, dict) and child:
                out[(*path, i)] = out.get((*path, i, next(iter(child))), 0) or out.get(path, 0)


# --- YAML ---------------------------------------------------------------------------------------


def load_yaml_all(text: str) -> tuple[list[Doc], PositionError | None]:
    """Every document of ``text`` (multi-document streams) and the error that stopped reading, if
    any: the documents before a syntax error are kept."""
    docs: list[Doc] = []
    loader = _Loader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            doc = Doc(None, node.start_mark.line + 1)
            doc.data = _YamlBuilder(loader, doc.lines).build(node)
            docs.append(doc)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        reason = " ".join(part for part in (err.context, err.problem) if part)
        return docs, PositionError(f"invalid YAML: {reason}", mark.line + 1 if mark else None)
    except yaml.YAMLError as err:
        return docs, PositionError(f"invalid YAML: {err}", None)
    except PositionError as err:
        return docs, err
    except RecursionError:
        return docs, PositionError("invalid YAML: nested too deeply", None)
    finally:
        loader.dispose()
    return docs, None


def load_yaml(text: str) -> Doc:
    """The first document of ``text``; :class:`PositionError` when it cannot be read."""
    docs, error = load_yaml_all(text)
    if error is not None:
        raise error
    return docs[0] if docs else Doc(None)


class _YamlBuilder:
    """Values of one document's nodes. Aliases share one value; a recursive alias (a node inside
    itself) and aliases that expand past MAX_EXPANDED values (an alias bomb) stop the document,
    so every value handed on is a finite tree the parsers can walk without a cycle guard."""

    def __init__(self, loader: Any, lines: dict[Path, int]) -> None:
        self.loader = loader
        self.lines = lines
        self.memo: dict[int, tuple[Any, int]] = {}  # id(node) -> (value, expanded size)
        self.building: set[int] = set()

    def build(self, node: Any) -> Any:
        value, size = self.value(node, ())
        if size > MAX_EXPANDED:
            raise PositionError(
                f"invalid YAML: aliases expand to over {MAX_EXPANDED} values", node.start_mark.line + 1
            )
        return value

    def value(self, node: Any, path: Path) -> tuple[Any, int]:
        known = self.memo.get(id(node))
        if known is not None:
            return known
        if id(node) in self.building:
            raise PositionError(
                "invalid YAML: a recursive alias (a node inside itself)", node.start_mark.line + 1
            )
        if isinstance(node, yaml.MappingNode):
            self.building.add(id(node))
            with contextlib.suppress(yaml.YAMLError):
                self.loader.flatten_mapping(node)  # resolves ``<<`` merge keys in place
            out: dict[Any, Any] = {}
            size = 1
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
                self.lines[(*path, key)] = key_node.start_mark.line + 1
                out[key], inner = self.value(value_node, (*path, key))
                size += inner
            return self.done(node, out, size)
        if isinstance(node, yaml.SequenceNode):
            self.building.add(id(node))
            items: list[Any] = []
            size = 1
            for i, item in enumerate(node.value):
                self.lines[(*path, i)] = item.start_mark.line + 1
                value, inner = self.value(item, (*path, i))
                items.append(value)
                size += inner
            return self.done(node, items, size)
        return self.scalar(node), 1

    def done(self, node: Any, value: Any, size: int) -> tuple[Any, int]:
        if size > MAX_EXPANDED:
            raise PositionError(
                f"invalid YAML: aliases expand to over {MAX_EXPANDED} values", node.start_mark.line + 1
            )
        self.building.discard(id(node))
        self.memo[id(node)] = (value, size)
        return value, size

    def scalar(self, node: Any) -> Any:
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            return node.value
