"""Maven versions (the rules of Maven's ``ComparableVersion``) and Maven version ranges.

Hand-written: no Python library implements Maven's ordering. A version is split into items at
``.``, ``-`` and each switch between digits and letters; ``-`` (and a switch) opens a sub-list;
trailing "null" items (``0``, ``""``, ``final``, ``ga``, ``release``) are dropped. Qualifiers order
alpha < beta < milestone < rc (= cr) < snapshot < "" (release) < sp < any other (alphabetically);
``a1``, ``b1``, ``m1`` are alpha-1, beta-1, milestone-1. A range is ``[1.0,2.0)``, ``(,1.0]``,
``[1.2]`` or a comma-separated union of those; a bare version (``1.0``) is Maven's *soft*
requirement: any version satisfies it (Maven's mediation picks one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

QUALIFIERS = ("alpha", "beta", "milestone", "rc", "snapshot", "", "sp")
ALIASES = {"ga": "", "final": "", "release": "", "cr": "rc"}
_RELEASE = str(QUALIFIERS.index(""))


class MavenVersionError(ValueError):
    """A Maven version or range this module does not read."""


def _qualifier_key(q: str) -> str:
    return str(QUALIFIERS.index(q)) if q in QUALIFIERS else f"{len(QUALIFIERS)}-{q}"


# Items: int, str (a qualifier, already aliased) or list (a sub-list).
Item = int | str | list


def _is_null(item: Item) -> bool:
    return item == 0 or item == "" or item == []


def _cmp(a: Item | None, b: Item | None) -> int:
    """Maven's Item.compareTo, ``None`` standing for a missing item."""
    if a is None:
        return -_cmp(b, None) if b is not None else 0
    if isinstance(a, int):
        if b is None:
            return 0 if a == 0 else 1
        if isinstance(b, int):
            return (a > b) - (a < b)
        return 1  # 1.1 > 1-sp, 1.1 > 1-1
    if isinstance(a, str):
        if b is None:
            ka, kb = _qualifier_key(a), _RELEASE
        elif isinstance(b, str):
            ka, kb = _qualifier_key(a), _qualifier_key(b)
        elif isinstance(b, int):
            return -1
        else:
            return -1  # 1-rc < 1-1
        return (ka > kb) - (ka < kb)
    if b is None:
        for item in a:
            c = _cmp(item, None)
            if c:
                return c
        return 0
    if isinstance(b, int):
        return -1
    if isinstance(b, str):
        return 1
    for i in range(max(len(a), len(b))):
        c = _cmp(a[i] if i < len(a) else None, b[i] if i < len(b) else None)
        if c:
            return c
    return 0


def _item(text: str, digit: bool, followed_by_digit: bool = False) -> Item:
    if digit:
        return int(text)
    if followed_by_digit and len(text) == 1:
        text = {"a": "alpha", "b": "beta", "m": "milestone"}.get(text, text)
    return ALIASES.get(text, text)


def _normalize(items: list) -> None:
    for i in range(len(items) - 1, -1, -1):
        if _is_null(items[i]):
            del items[i]
        elif not isinstance(items[i], list):
            break


def parse_items(version: str) -> list:
    """The item list of ``version``, as ComparableVersion.parseVersion builds it."""
    text = version.strip().lower()
    if not text or any(c.isspace() for c in text):
        raise MavenVersionError(f"not a Maven version: {version!r}")
    top: list = []
    cur, stack = top, [top]
    digit, start = False, 0

    def open_list() -> None:
        nonlocal cur
        sub: list = []
        cur.append(sub)
        cur = sub
        stack.append(sub)

    for i, c in enumerate(text):
        if c in ".-":
            cur.append(0 if i == start else _item(text[start:i], digit))
            start = i + 1
            if c == "-":
                open_list()
        elif c.isdigit():
            if not digit and i > start:
                cur.append(_item(text[start:i], False, followed_by_digit=True))
                start = i
                open_list()
            digit = True
        else:
            if digit and i > start:
                cur.append(_item(text[start:i], True))
                start = i
                open_list()
            digit = False
    if len(text) > start:
        cur.append(_item(text[start:], digit))
    while stack:
        _normalize(stack.pop())
    return top


@total_ordering
@dataclass(frozen=True, slots=True, eq=False)
class MavenVersion:
    text: str
    items: tuple

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MavenVersion) and _cmp(list(self.items), list(other.items)) == 0

    def __lt__(self, other: MavenVersion) -> bool:
        return _cmp(list(self.items), list(other.items)) < 0

    def __hash__(self) -> int:
        return hash(repr(self.items))

    def __str__(self) -> str:
        return self.text


def parse_maven(version: str) -> MavenVersion:
    if "${" in version:
        raise MavenVersionError(f"an unresolved property: {version!r}")
    return MavenVersion(version.strip(), tuple(parse_items(version)))


@dataclass(frozen=True, slots=True)
class Interval:
    low: MavenVersion | None
    low_inclusive: bool
    high: MavenVersion | None
    high_inclusive: bool

    def contains(self, v: MavenVersion) -> bool:
        if self.low is not None and (v < self.low or (v == self.low and not self.low_inclusive)):
            return False
        return not (self.high is not None and (v > self.high or (v == self.high and not self.high_inclusive)))


_RANGE_RE = re.compile(r"([\[(])([^\[\]()]*)([\])])")


def parse_range(spec: str) -> list[Interval] | None:
    """The intervals of a Maven range; None for a soft requirement (a bare version)."""
    text = spec.strip()
    if not text:
        return None
    if text[0] not in "[(":
        parse_maven(text)  # still a readable version
        return None
    out, pos = [], 0
    for m in _RANGE_RE.finditer(text):
        if text[pos : m.start()].strip(" ,"):
            raise MavenVersionError(f"not a Maven range: {spec!r}")
        pos = m.end()
        out.append(_interval(m.group(1), m.group(2), m.group(3), spec))
    if not out or text[pos:].strip(" ,"):
        raise MavenVersionError(f"not a Maven range: {spec!r}")
    return out


def _interval(open_: str, body: str, close: str, spec: str) -> Interval:
    parts = [p.strip() for p in body.split(",")]
    if len(parts) == 1:
        if open_ != "[" or close != "]" or not parts[0]:
            raise MavenVersionError(f"a single-version range must be [x]: {spec!r}")
        v = parse_maven(parts[0])
        return Interval(v, True, v, True)
    if len(parts) != 2:
        raise MavenVersionError(f"not a Maven range: {spec!r}")
    low = parse_maven(parts[0]) if parts[0] else None
    high = parse_maven(parts[1]) if parts[1] else None
    if low is not None and high is not None and high < low:
        raise MavenVersionError(f"range upper bound below its lower bound: {spec!r}")
    return Interval(low, open_ == "[", high, close == "]")


def range_tokens(spec: str) -> list[str]:
    """The versions a range names (its bounds)."""
    return [t for t in re.split(r"[\[\](),\s]+", spec) if t]
