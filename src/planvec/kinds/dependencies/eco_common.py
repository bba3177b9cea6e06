"""What the npm, Go, Rust and Maven parsers share: the never-raise guard, JSON with key lines, TOML
errors with their line, reading a file beside the one parsed."""

from __future__ import annotations

import functools
import json
import posixpath
import re
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from ...errors import PlanvecError
from ...parsing import read_text
from ...records import FileProblem
from ..base import Source
from .records import Dependency, DepFile

Parser = Callable[[Source], DepFile]


def guarded(fmt: str, lockfile: bool) -> Callable[[Parser], Parser]:
    """A parser that never raises (an unexpected exception becomes a whole-file problem) and
    whose warnings start, once, with what reading the file repaired (``source.warnings``): every
    ecosystem's entry points are made with it."""

    def wrap(parse: Parser) -> Parser:
        @functools.wraps(parse)
        def run(source: Source) -> DepFile:
            try:
                parsed = parse(source)
            except Exception as exc:  # a parser's contract: never raise
                reason = f"cannot parse {fmt}: {type(exc).__name__}: {exc}"
                parsed = failed(source, fmt, lockfile, reason)
            repaired = tuple(source.warnings)
            if repaired and parsed.warnings[: len(repaired)] != repaired:
                parsed = replace(parsed, warnings=(*repaired, *parsed.warnings))
            return parsed

        return run

    return wrap


def failed(source: Source, fmt: str, lockfile: bool, reason: str, line: int | None = None) -> DepFile:
    """The DepFile of a file that cannot be parsed at all: no dependencies, one problem."""
    return DepFile(source.rel, fmt, lockfile, problems=(FileProblem(source.rel, reason, line),))


def load_json(source: Source, fmt: str, lockfile: bool) -> tuple[Any, DepFile | None]:
    """``(data, None)``, or ``(None, failed DepFile)`` with the line the decoder stopped at."""
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as exc:
        return None, failed(
            source, fmt, lockfile, f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno
        )
    except RecursionError:
        return None, failed(source, fmt, lockfile, "invalid JSON: nested too deeply")
    if not isinstance(data, dict):
        return None, failed(source, fmt, lockfile, f"expected a JSON object, found {type(data).__name__}", 1)
    return data, None


# A JSON string (with a ':' after it when it is a key) or a structural character.
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?|[{}\[\],]')


def json_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """The 1-based line of every key (and array item) of the JSON ``text``, by its path.

    The json module gives values but no positions, and no maintained library gives both for plain
    JSON; so once ``json.loads`` has accepted ``text``, one pass over its strings and brackets maps
    each path (object keys, array indices) to the line its key or item starts on. A key that occurs
    twice keeps its last line, as ``json.loads`` keeps its last value.
    """
    out: dict[tuple[str | int, ...], int] = {}
    path: list[str | int] = []
    kinds: list[str] = []  # '{' or '[' of each open container (the root included)
    index: list[int] = []  # item index of each open array
    key: str | int | None = None  # the path element of the value about to start
    line, pos = 1, 0
    for m in _JSON_TOKEN.finditer(text):
        start = m.start()
        line += text.count("\n", pos, start)
        pos = start
        tok = m.group()
        if tok[0] == '"':
            if m.group(1):
                raw = tok[: len(tok) - len(m.group(1))]
                key = json.loads(raw) if "\\" in raw else raw[1:-1]
                out[(*path, key)] = line
            elif kinds and kinds[-1] == "[":
                out[(*path, index[-1])] = line
        elif tok in "{[":
            if kinds:
                elem = index[-1] if kinds[-1] == "[" else key
                if elem is not None:
                    path.append(elem)
                    if kinds[-1] == "[":
                        out[tuple(path)] = line
            kinds.append(tok)
            if tok == "[":
                index.append(0)
        elif tok in "}]":
            if kinds:
                if kinds.pop() == "[":
                    index.pop()
                if kinds and path:
                    path.pop()
        elif tok == "," and kinds and kinds[-1] == "[":
            index[-1] += 1
    return out


_TOML_AT = re.compile(r"\(at line (\d+), column (\d+)\)")


def load_toml(source: Source, fmt: str, lockfile: bool) -> tuple[dict[str, Any], DepFile | None]:
    """``(data, None)``, or ``({}, failed DepFile)`` with the line tomllib names in its message."""
    try:
        return tomllib.loads(source.text), None
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        at = _TOML_AT.search(msg)
        line = int(at.group(1)) if at else None
        reason = _TOML_AT.sub("", msg).strip() if at else msg
        return {}, failed(source, fmt, lockfile, f"invalid TOML: {reason}", line)


def beside(source: Source, rel: str) -> tuple[str, str] | None:
    """``(rel path from the root, text)`` of the file ``rel`` relative to the parsed file's folder,
    None when the source was parsed from text alone or the file cannot be read."""
    if not source.root:
        return None
    target = posixpath.normpath(posixpath.join(posixpath.dirname(source.rel), rel))
    if target.startswith("../") or target == "..":
        return None
    path = Path(source.root) / target
    if not path.is_file():
        return None
    try:
        text, _ = read_text(path)
    except PlanvecError:
        return None
    return target, text


def from_root(source: Source, rel: str) -> str:
    """``rel`` (relative to the parsed file's folder) relative to the root, POSIX."""
    return posixpath.normpath(posixpath.join(posixpath.dirname(source.rel), rel))


def sort_into(item: Dependency | FileProblem, deps: list[Dependency], problems: list[FileProblem]) -> None:
    """Append what a record generator yields to the records or to the problems."""
    if isinstance(item, Dependency):
        deps.append(item)
    else:
        problems.append(item)
