"""YAML and JSON documents as plain values that remember their lines.

PyYAML's composer gives every node its position; :func:`load_documents` turns the node tree into
:class:`LDict` / :class:`LList` (a ``dict`` / ``list`` with a ``line`` and the line of each entry)
and scalars, so a parser can say on which line a policy, a rule or an RBAC rule starts. JSON is
read by the same composer (JSON is YAML); a JSON file PyYAML cannot read (an escape YAML 1.1 does
not know) falls back to :mod:`json`, every line then being the line of the first key found.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

try:  # the C composer when PyYAML was built with libyaml
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


class LDict(dict[str, Any]):
    line: int = 1
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.lines.get(key, self.line)


class LList(list[Any]):
    line: int = 1
    lines: list[int]

    def line_at(self, i: int) -> int:
        return self.lines[i] if i < len(self.lines) else self.line


def _value(node: yaml.Node, loader: Any, depth: int = 0) -> Any:
    if depth > 200:
        raise ValueError("nesting deeper than 200 levels")
    if isinstance(node, yaml.MappingNode):
        out = LDict()
        out.line, out.lines = node.start_mark.line + 1, {}
        for k, v in node.value:
            key = (
                str(_scalar(k, loader))
                if isinstance(k, yaml.ScalarNode)
                else str(_value(k, loader, depth + 1))
            )
            out[key] = _value(v, loader, depth + 1)
            out.lines[key] = k.start_mark.line + 1
        return out
    if isinstance(node, yaml.SequenceNode):
        seq = LList(_value(v, loader, depth + 1) for v in node.value)
        seq.line, seq.lines = node.start_mark.line + 1, [v.start_mark.line + 1 for v in node.value]
        return seq
    return _scalar(node, loader)


def _scalar(node: yaml.Node, loader: Any) -> Any:
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, TypeError):
        return node.value


def load_documents(text: str, fmt: str) -> list[Any]:
    """The documents of a YAML stream (one for JSON), as line-aware values; raises
    ``yaml.YAMLError`` / ``ValueError`` for text that is not YAML (or JSON)."""
    try:
        loader = _Loader(text)
        try:
            docs = []
            while loader.check_node():
                node = loader.get_node()
                docs.append(None if node is None else _value(node, loader))
            return docs
        finally:
            loader.dispose()
    except yaml.YAMLError:
        if fmt != "json":
            raise
        return [_from_json(json.loads(text), text)]


def _from_json(value: Any, text: str) -> Any:
    if isinstance(value, dict):
        out = LDict()
        out.line, out.lines = 1, {}
        for k, v in value.items():
            out[str(k)] = _from_json(v, text)
            m = re.search(r'"' + re.escape(str(k)) + r'"\s*:', text)
            out.lines[str(k)] = text.count("\n", 0, m.start()) + 1 if m else 1
        return out
    if isinstance(value, list):
        seq = LList(_from_json(v, text) for v in value)
        seq.line, seq.lines = 1, [1] * len(seq)
        return seq
    return value


def problem_line(exc: Exception) -> int | None:
    """The 1-based line a YAML error points at, if it says."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is not None:
        return int(mark.line) + 1
    lineno = getattr(exc, "lineno", None)
    return int(lineno) if lineno else None


def line_of(value: Any, default: int) -> int:
    return int(getattr(value, "line", default))


def flatten(value: Any, prefix: str = "", limit: int = 200) -> list[str]:
    """``key.sub: value`` lines of a nested value (at most ``limit``): what a structured policy's
    text says about it."""
    out: list[str] = []

    def walk(v: Any, path: str) -> None:
        if len(out) >= limit:
            return
        if isinstance(v, dict):
            for k, sub in v.items():
                walk(sub, f"{path}.{k}" if path else str(k))
        elif isinstance(v, list) and any(isinstance(x, dict | list) for x in v):
            for i, sub in enumerate(v):
                walk(sub, f"{path}[{i}]")
        elif isinstance(v, list):
            out.append(f"{path}: {', '.join(str(x) for x in v)}")
        else:
            out.append(f"{path}: {v}")

    walk(value, prefix)
    return out
