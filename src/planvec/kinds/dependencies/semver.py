"""SemVer 2.0 versions and the range syntaxes of npm and Cargo.

Hand-written: no maintained SemVer library is installed with planvec (``packaging`` reads PEP 440
only), and the rules are short. The ranges follow node-semver's documented desugaring (``^``, ``~``,
x-ranges, hyphen ranges, ``||``, comparators) and Cargo's (a bare version is ``^``, ``~``, ``*``,
comma = and). A prerelease version satisfies a range only when one of its comparators names a
prerelease of the same ``major.minor.patch`` (both npm's and Cargo's rule), unless the caller asks
for prereleases (a version a lockfile already holds).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_VERSION_RE = re.compile(
    r"^\s*[=v]*\s*(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?\s*$"
)
_PARTIAL_RE = re.compile(
    r"^[v=]*(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$"
)
_COMPARATOR_RE = re.compile(r"^(<=|>=|<|>|=|\^|~>|~)?\s*(.*)$")
TOKEN_RE = re.compile(r"\d+(?:\.(?:\d+|[xX*]))*(?:-[0-9A-Za-z.-]+)?")


class RangeError(ValueError):
    """A version or range this syntax does not read."""


_RELEASE_KEY = (1,)


def _pre_key(pre: tuple[str, ...]) -> tuple[object, ...]:
    # A release sorts after every prerelease; numeric identifiers before alphanumeric ones.
    if not pre:
        return _RELEASE_KEY
    return (0, tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre))


@dataclass(frozen=True, order=True, slots=True)
class SemVer:
    release: tuple[int, int, int]
    pre_key: tuple[object, ...] = field(default=(1,), repr=False)
    pre: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def make(cls, major: int, minor: int, patch: int, pre: tuple[str, ...] = ()) -> SemVer:
        return cls((major, minor, patch), _pre_key(pre), pre)

    @property
    def is_prerelease(self) -> bool:
        return bool(self.pre)

    def __str__(self) -> str:
        base = ".".join(map(str, self.release))
        return f"{base}-{'.'.join(self.pre)}" if self.pre else base


def parse_semver(text: str) -> SemVer:
    """``1.2.3``, ``v1.2.3-rc.1+build`` (build metadata ignored, as SemVer orders)."""
    m = _VERSION_RE.match(text)
    if not m:
        raise RangeError(f"not a SemVer version: {text!r}")
    pre = tuple(m.group(4).split(".")) if m.group(4) else ()
    return SemVer.make(int(m.group(1)), int(m.group(2)), int(m.group(3)), pre)


# A comparator: (operator, version); a range: a list of comparators ANDed; a range set: ORed.
Comparator = tuple[str, SemVer]
_ANY: list[Comparator] = [(">=", SemVer.make(0, 0, 0))]


@dataclass(frozen=True, slots=True)
class _Partial:
    parts: tuple[int | None, ...]  # major, minor, patch; None where x / * / missing
    pre: tuple[str, ...]

    def low(self) -> SemVer:
        major, minor, patch = (p or 0 for p in self.parts)
        return SemVer.make(major, minor, patch, self.pre)

    @property
    def given(self) -> int:
        """How many leading parts are numbers."""
        n = 0
        for p in self.parts:
            if p is None:
                break
            n += 1
        return n

    def bump(self, level: int) -> SemVer:
        """The lowest prerelease of the next version at ``level`` (0 major, 1 minor, 2 patch)."""
        parts = [p or 0 for p in self.parts]
        parts[level] += 1
        for i in range(level + 1, 3):
            parts[i] = 0
        return SemVer.make(parts[0], parts[1], parts[2], ("0",))


def _partial(text: str) -> _Partial:
    m = _PARTIAL_RE.match(text.strip())
    if not m:
        raise RangeError(f"not a version: {text!r}")
    parts = tuple(None if g is None or g in "xX*" else int(g) for g in m.group(1, 2, 3))
    pre = tuple(m.group(4).split(".")) if m.group(4) and None not in parts else ()
    return _Partial(parts, pre)


def _caret(p: _Partial) -> list[Comparator]:
    n = p.given
    if n == 0:
        return list(_ANY)
    major, minor, patch = (x or 0 for x in p.parts)
    if major != 0 or n == 1:
        high = p.bump(0)
    elif minor != 0 or n == 2:
        high = p.bump(1)
    else:
        high = p.bump(2) if n == 3 else p.bump(1)
    del patch
    return [(">=", p.low()), ("<", high)]


def _tilde(p: _Partial) -> list[Comparator]:
    n = p.given
    if n == 0:
        return list(_ANY)
    return [(">=", p.low()), ("<", p.bump(0 if n == 1 else 1))]


def _primitive(op: str, p: _Partial) -> list[Comparator]:
    n = p.given
    if n == 0:  # >=*, <*: npm reads every operator on * as "any" except the strict ones
        return list(_ANY) if op in (">=", "<=", "=", "") else [("<", SemVer.make(0, 0, 0, ("0",)))]
    if n == 3:
        return [(op or "=", p.low())]
    if op in ("", "="):
        return [(">=", p.low()), ("<", p.bump(n - 1))]
    if op == ">":
        return [(">=", p.bump(n - 1))]
    if op == ">=":
        return [(">=", p.low())]
    if op == "<":
        major, minor, patch = (x or 0 for x in p.parts)
        return [("<", SemVer.make(major, minor, patch, ("0",)))]
    return [("<", p.bump(n - 1))]  # <=


def _hyphen(low: str, high: str) -> list[Comparator]:
    lo, hi = _partial(low), _partial(high)
    out: list[Comparator] = [(">=", lo.low())] if lo.given else []
    if hi.given == 3:
        out.append(("<=", hi.low()))
    elif hi.given:
        out.append(("<", hi.bump(hi.given - 1)))
    return out or list(_ANY)


def _simple(token: str, bare_caret: bool) -> list[Comparator]:
    m = _COMPARATOR_RE.match(token)
    assert m is not None
    op, rest = m.group(1) or "", m.group(2).strip()
    p = _partial(rest)
    if op == "^" or (op == "" and bare_caret):
        return _caret(p)
    if op in ("~", "~>"):
        return _tilde(p)
    return _primitive(op, p)


def _join_operators(text: str) -> list[str]:
    """Space-separated comparators, with ``>= 1.2`` (a space after the operator) read as one."""
    tokens = text.split()
    out: list[str] = []
    for tok in tokens:
        if out and re.fullmatch(r"<=|>=|<|>|=|\^|~>|~", out[-1]):
            out[-1] += tok
        else:
            out.append(tok)
    return out


def parse_npm_range(text: str) -> list[list[Comparator]]:
    """An npm range set (``||`` of space-separated comparators, hyphen ranges, x-ranges)."""
    spec = text.strip()
    if spec.startswith("npm:") and "@" in spec[5:]:  # an alias: npm:real-name@range
        spec = spec[4:].rsplit("@", 1)[1]
    if spec.startswith("workspace:"):
        spec = spec[len("workspace:") :]
    if re.search(r"[a-wyzA-WYZ]", re.sub(r"-[0-9A-Za-z.-]+", "", spec).replace("v", "")):
        raise RangeError(f"not a version range (a tag, URL or path?): {text!r}")
    out = []
    for part in spec.split("||"):
        part = part.strip()
        hyphen = re.fullmatch(r"(\S+)\s+-\s+(\S+)", part)
        if hyphen:
            out.append(_hyphen(hyphen.group(1), hyphen.group(2)))
        elif not part or part in ("*", "x", "X", "latest"):
            out.append(list(_ANY))
        else:
            out.append([c for tok in _join_operators(part) for c in _simple(tok, bare_caret=False)])
    return out


def parse_cargo_range(text: str) -> list[list[Comparator]]:
    """A Cargo requirement: comparators separated by commas, a bare version meaning ``^``."""
    spec = text.strip()
    if not spec or spec == "*":
        return [list(_ANY)]
    comps: list[Comparator] = []
    for part in spec.split(","):
        part = part.strip().replace(" ", "")
        if not part:
            raise RangeError(f"empty comparator in {text!r}")
        comps += _simple(part, bare_caret=True)
    return [comps]


def _holds(op: str, v: SemVer, bound: SemVer) -> bool:
    if op == "<":
        return v < bound
    if op == "<=":
        return v <= bound
    if op == ">":
        return v > bound
    if op == ">=":
        return v >= bound
    return v == bound


def _admits_prerelease(comps: list[Comparator], v: SemVer) -> bool:
    # (the "-0" bounds of desugared ranges open no prerelease)
    return any(b.is_prerelease and b.release == v.release and b.pre != ("0",) for _, b in comps)


def range_allows(ranges: list[list[Comparator]], v: SemVer, *, prereleases: bool = False) -> bool:
    """Whether ``v`` satisfies one of the ANDed comparator lists."""
    for comps in ranges:
        if not all(_holds(op, v, bound) for op, bound in comps):
            continue
        if v.is_prerelease and not prereleases and not _admits_prerelease(comps, v):
            continue
        return True
    return False


def neighbours(v: SemVer) -> list[SemVer]:
    """Versions next to ``v`` that a range may start at or just after: ``v``, its release, and the
    next patch, minor and major releases."""
    major, minor, patch = v.release
    return [
        v,
        SemVer.make(major, minor, patch),
        SemVer.make(major, minor, patch + 1),
        SemVer.make(major, minor + 1, 0),
        SemVer.make(major + 1, 0, 0),
    ]
