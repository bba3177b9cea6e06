"""What the Python parsers share: PEP 508 requirements into :class:`Dependency` fields, TOML loading
with the decoder's line on error, and finding the line of a TOML key or value in the raw text.

``tomllib`` gives values without positions, so lines come from searching the raw text: the header
(or key) of the table a value sits in, then the first line at or after it that mentions the value.
No maintained TOML library both parses to plain values and reports positions; ``tomllib`` stays the
parser and this search only places what it found.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name

from ...records import FileProblem
from .records import Dependency

PYPI = "pypi"
_TOML_LINE_RE = re.compile(r"at line (\d+)")
_OP_ORDER = {"===": 0, "==": 1, "~=": 2, ">=": 3, ">": 4, "<=": 5, "<": 6, "!=": 7}


@dataclass
class Collected:
    """Dependencies and problems gathered while one file is parsed."""

    path: str
    deps: list[Dependency] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def problem(self, reason: str, line: int | None, path: str | None = None) -> None:
        self.problems.append(FileProblem(path or self.path, reason, line))


@dataclass(frozen=True, slots=True)
class Req:
    """The fields of one parsed requirement, before its file gives type, line and group."""

    name: str
    specifier: str = ""
    version: str | None = None
    marker: str = ""
    extras: tuple[str, ...] = ()
    source: str = ""

    def dep(self, dep_type: str, line: int, group: str = "", direct: bool = True) -> Dependency:
        return Dependency(
            PYPI,
            self.name,
            self.specifier,
            self.version,
            dep_type,
            direct,
            line,
            group=group,
            marker=self.marker,
            source=self.source,
            extras=self.extras,
        )


def extras_of(table: dict[str, Any]) -> tuple[str, ...]:
    """The ``extras = [...]`` of a dependency table, sorted; ValueError when it is not a list."""
    extras = table.get("extras") or []
    if not isinstance(extras, list):
        raise ValueError("extras must be a list")
    return tuple(sorted(str(e) for e in extras))


def first_line(message: str) -> str:
    """packaging's errors span several lines (the input, then a caret): the first says what is wrong."""
    return message.strip().splitlines()[0] if message.strip() else "invalid"


def spec_text(spec: SpecifierSet) -> str:
    """A specifier set as one stable text, lower bounds first (``>=1.2,<2``): ``packaging`` keeps
    no order (a set) and sorts its own text by operator character (``<2,>=1.2``)."""
    return ",".join(str(s) for s in sorted(spec, key=lambda s: (_OP_ORDER.get(s.operator, 9), s.version)))


def exact_version(spec: SpecifierSet) -> str | None:
    """The version an ``==X`` (not ``==X.*``) or ``===X`` pin names, else None."""
    for s in spec:
        if s.operator == "===" or (s.operator == "==" and not s.version.endswith(".*")):
            return s.version
    return None


def parse_pep508(text: str) -> Req | str:
    """A PEP 508 requirement string as :class:`Req`, or the reason it is not one."""
    try:
        req = Requirement(text)
    except InvalidRequirement as exc:
        return f"invalid requirement {text.strip()!r}: {first_line(str(exc))}"
    return Req(
        canonicalize_name(req.name),
        spec_text(req.specifier),
        exact_version(req.specifier),
        str(req.marker) if req.marker is not None else "",
        tuple(sorted(req.extras)),
        req.url or "",
    )


def check_specifier(text: str) -> SpecifierSet | str:
    """``text`` as a PEP 440 specifier set, or the reason it is not one."""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as exc:
        return f"invalid version specifier {text!r}: {first_line(str(exc))}"


def load_toml(text: str, path: str) -> dict[str, Any] | FileProblem:
    """The TOML document, or a FileProblem with the decoder's line."""
    try:
        return tomllib.loads(text.lstrip("\ufeff"))
    except tomllib.TOMLDecodeError as exc:
        m = _TOML_LINE_RE.search(str(exc))
        return FileProblem(path, f"invalid TOML: {exc}", int(m.group(1)) if m else None)


def _key_parts(text: str) -> list[str]:
    """A TOML dotted key as its parts, quotes removed (dots inside quoted keys are not split)."""
    parts = re.findall(r'"([^"]*)"|\'([^\']*)\'|([^.\s"\']+)', text)
    return [a or b or c for a, b, c in parts]


class TomlLines:
    """Lines of TOML keys and values, found in the raw text (see the module docstring)."""

    def __init__(self, text: str) -> None:
        self.lines = text.split("\n")
        self._headers: list[tuple[int, list[str], bool]] = []  # (index, key parts, array of tables)
        for i, raw in enumerate(self.lines):
            s = raw.strip()
            if s.startswith("[["):
                self._headers.append((i, _key_parts(s[2 : s.find("]]")]), True))
            elif s.startswith("["):
                self._headers.append((i, _key_parts(s[1 : s.find("]")]), False))

    def header(self, keys: list[str]) -> int | None:
        """0-based index of the ``[a.b]`` header of ``keys``, None when there is none."""
        return next((i for i, parts, arr in self._headers if not arr and parts == keys), None)

    def array_headers(self, keys: list[str]) -> list[int]:
        """0-based indexes of every ``[[a.b]]`` header of ``keys``, in order."""
        return [i for i, parts, arr in self._headers if arr and parts == keys]

    def key(self, start: int, key: str) -> int | None:
        """0-based index of the first line at or after ``start`` that assigns ``key`` (bare, quoted or
        as the head of a dotted key)."""
        pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*[=.]")
        return next((i for i in range(start, len(self.lines)) if pattern.match(self.lines[i])), None)

    def locate(self, keys: list[str]) -> int:
        """0-based index where the value at ``keys`` is declared: the deepest header that names a
        prefix of ``keys``, then each remaining key after it (0 when nothing is found)."""
        start, rest = 0, keys
        for n in range(len(keys), 0, -1):
            found = self.header(keys[:n])
            if found is not None:
                start, rest = found, keys[n:]
                break
        for k in rest:
            found = self.key(start, k)
            if found is None:
                break
            start = found
        return start

    def find(self, start: int, needle: str) -> int | None:
        """0-based index of the first line at or after ``start`` that contains ``needle``."""
        return next((i for i in range(start, len(self.lines)) if needle in self.lines[i]), None)


class Cursor:
    """Lines of the items of one TOML list or table, in order: each search starts at the line of the
    previous item, so the same text in an earlier table never takes the line."""

    def __init__(self, lines: TomlLines, keys: list[str]) -> None:
        self.lines = lines
        self.at = lines.locate(keys)

    def line(self, *needles: str) -> int:
        """1-based line of the first of ``needles`` found at or after the cursor (else the cursor's)."""
        for needle in needles:
            found = self.lines.find(self.at, needle) if needle else None
            if found is not None:
                self.at = found
                break
        return self.at + 1
