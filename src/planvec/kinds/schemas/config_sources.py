"""Sections of ``.env`` files (python-dotenv's parser) and INI files (``configparser``), for
:mod:`.config`. Both redact by key name (:mod:`.config_keys`) as they read."""

from __future__ import annotations

import ast
import configparser
import contextlib
import io
import re
from dataclasses import dataclass, field
from typing import Any

from dotenv.parser import parse_stream

from ...records import FileProblem
from .config_keys import Flat, is_secret_group, is_secret_key, scalar

_HEADING = re.compile(r"[^\w\s./:()&+-]", re.UNICODE)


@dataclass
class Section:
    """One section before it becomes an element."""

    key: str  # the part of its name after '#'
    title: str  # what it is, in words (for the description)
    line: int
    flat: Flat
    attributes: dict[str, Any] = field(default_factory=dict)


def dotenv_sections(text: str, problems: list[FileProblem], rel: str) -> list[Section]:
    """One section per block of ``KEY=value`` lines (a blank line ends a block), named by the comment
    that heads it; a line that is not ``KEY=value`` is a problem with its line."""
    sections: list[Section] = []
    heading: list[str] = []
    current: Section | None = None
    for binding in parse_stream(io.StringIO(text)):
        raw = binding.original.string
        line = binding.original.line
        if binding.error:
            problems.append(FileProblem(rel, f"not KEY=value: {raw.strip()[:60]!r}", line))
        elif binding.key is None:
            # Blank lines come glued to the comment that follows them.
            for part in raw.split("\n")[: max(raw.count("\n"), 1)]:
                if not part.strip():
                    current, heading = None, []
                elif current is None:
                    heading.append(_heading(part))
        else:
            if current is None:
                titles = [h for h in heading if h]
                name = titles[-1] if titles else binding.key
                current = Section(name, ". ".join(titles) or binding.key, line, Flat())
                sections.append(current)
            current.flat.put(binding.key, scalar(binding.value or "", is_secret_key(binding.key)), line)
    return sections


def _heading(comment: str) -> str:
    """``# 🗄️ QDrant Configuration`` -> ``QDrant Configuration`` (emoji and marks dropped)."""
    return " ".join(_HEADING.sub(" ", comment.strip().lstrip("#")).split())


def ini_sections(text: str, problems: list[FileProblem], rel: str) -> list[Section]:
    """One section per ``[section]`` (keys before any header go to ``DEFAULT``); lines by search.
    configparser reads past bad lines and reports them all at the end: each one is a problem."""
    parser = configparser.RawConfigParser(strict=False, interpolation=None, allow_no_value=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keep the keys' case
    shift = 0
    try:
        parser.read_string(text)
    except configparser.MissingSectionHeaderError:
        parser = configparser.RawConfigParser(strict=False, interpolation=None, allow_no_value=False)
        parser.optionxform = str  # type: ignore[assignment,method-assign]
        shift = 1
        try:
            parser.read_string("[DEFAULT]\n" + text)
        except configparser.ParsingError as err:
            _ini_problems(err, shift, problems, rel)
    except configparser.ParsingError as err:
        _ini_problems(err, shift, problems, rel)
    except configparser.Error as err:
        problems.append(FileProblem(rel, f"invalid INI: {err}", getattr(err, "lineno", None)))
        return []
    lines = text.split("\n")
    out = []
    defaults = parser.defaults()
    if defaults:
        out.append(_ini_section("DEFAULT", dict(defaults), lines, None))
    for name in parser.sections():
        own = {k: v for k, v in parser.items(name, raw=True) if k not in defaults or defaults[k] != v}
        out.append(_ini_section(name, own, lines, _ini_line(lines, rf"\[\s*{re.escape(name)}\s*\]", 0)))
    return out


def _ini_problems(err: configparser.ParsingError, shift: int, problems: list[FileProblem], rel: str) -> None:
    for lineno, shown in err.errors:
        bad = str(shown)
        with contextlib.suppress(ValueError, SyntaxError):
            bad = str(ast.literal_eval(bad))  # configparser keeps the repr() of the line
        problems.append(FileProblem(rel, f"not key = value: {bad.strip()[:60]!r}", lineno - shift))


def _ini_section(name: str, values: dict[str, Any], lines: list[str], start: int | None) -> Section:
    flat = Flat()
    for key, value in values.items():
        line = _ini_line(lines, rf"{re.escape(key)}\s*([=:]|$)", (start or 1) - 1)
        flat.put(key, scalar(value, is_secret_key(key) or is_secret_group(name)), line)
    return Section(name, f"[{name}]", start or 1, flat)


def _ini_line(lines: list[str], pattern: str, start: int) -> int | None:
    compiled = re.compile(rf"^\s*{pattern}")
    for i in range(start, len(lines)):
        if compiled.match(lines[i]):
            return i + 1
    return None
