"""OSV records: their checking on import and the matching of a version against them.

OSV's rules (https://ossf.github.io/osv-schema/): an ``affected`` entry names one package and gives
``ranges`` (each of a ``type`` and ``events``) and an explicit ``versions`` list. A version is
affected when it is in ``versions`` or inside one interval of one range. The events of a range,
sorted by version (``introduced: "0"`` first), open an interval at ``introduced`` (inclusive) and
close it at ``fixed`` (exclusive) or ``last_affected`` (inclusive); an interval left open has no
upper bound. ``ECOSYSTEM`` ranges use the package ecosystem's ordering, ``SEMVER`` ranges SemVer
2.0; ``GIT`` ranges name commits, which no manifest holds: they are skipped and counted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .versions import VersionError, parse_lenient

RANGE_TYPES = ("ECOSYSTEM", "SEMVER", "GIT")
_EVENT_KEYS = ("introduced", "fixed", "last_affected", "limit")


@dataclass(frozen=True, slots=True)
class Interval:
    low: Any  # comparable version, None: from the lowest version
    high: Any  # None: no upper bound
    high_inclusive: bool  # True: last_affected, False: fixed
    introduced: str
    fixed: str | None  # the fixing version as written, when the interval ends with one

    def contains(self, v: Any) -> bool:
        if self.low is not None and v < self.low:
            return False
        if self.high is None:
            return True
        return bool(v <= self.high) if self.high_inclusive else bool(v < self.high)


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``affected`` entry of one advisory, its ranges compiled for one ecosystem."""

    advisory_id: str
    aliases: tuple[str, ...]
    summary: str
    modified: str
    ordering: tuple[tuple[str, tuple[Interval, ...]], ...]  # (ordering, intervals) per range
    versions: tuple[str, ...]
    git_ranges: int
    unreadable_ranges: int  # ranges whose versions the ordering does not read


def check_record(obj: Any) -> str | None:
    """Why ``obj`` is not an OSV record planvec can import (None: it is)."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    if not isinstance(obj.get("id"), str) or not obj["id"].strip():
        return "no 'id'"
    if not isinstance(obj.get("modified"), str):
        return "no 'modified' date"
    for key in ("aliases",):
        if key in obj and not (isinstance(obj[key], list) and all(isinstance(a, str) for a in obj[key])):
            return f"'{key}' is not a list of strings"
    affected = obj.get("affected", [])
    if not isinstance(affected, list):
        return "'affected' is not a list"
    for i, a in enumerate(affected):
        reason = _check_affected(a)
        if reason:
            return f"affected[{i}]: {reason}"
    return None


def _check_affected(a: Any) -> str | None:
    if not isinstance(a, dict):
        return "not an object"
    pkg = a.get("package")
    if (
        not isinstance(pkg, dict)
        or not isinstance(pkg.get("ecosystem"), str)
        or not isinstance(pkg.get("name"), str)
    ):
        return "no package ecosystem and name"
    versions = a.get("versions", [])
    if not isinstance(versions, list) or not all(isinstance(v, str) for v in versions):
        return "'versions' is not a list of strings"
    ranges = a.get("ranges", [])
    if not isinstance(ranges, list):
        return "'ranges' is not a list"
    for j, r in enumerate(ranges):
        if not isinstance(r, dict) or not isinstance(r.get("type"), str):
            return f"ranges[{j}] has no type"
        events = r.get("events")
        if not isinstance(events, list) or not events:
            return f"ranges[{j}] has no events"
        for ev in events:
            if not isinstance(ev, dict) or len(ev) != 1:
                return f"ranges[{j}]: an event is not one of {', '.join(_EVENT_KEYS)}"
            ((k, v),) = ev.items()
            if k not in _EVENT_KEYS or not isinstance(v, str):
                return f"ranges[{j}]: an event is not one of {', '.join(_EVENT_KEYS)}"
    return None


def _intervals(events: Sequence[Mapping[str, str]], ordering: str) -> tuple[Interval, ...]:
    keyed = []
    for ev in events:
        ((kind, value),) = ev.items()
        if kind == "limit":
            continue
        key = None if kind == "introduced" and value == "0" else parse_lenient(ordering, value)
        keyed.append((key, kind, value))
    # "0" sorts first; at one version, an introduced event comes before the event that closes it
    keyed.sort(key=lambda t: (t[0] is not None, t[0] if t[0] is not None else 0, t[1] != "introduced"))
    out: list[Interval] = []
    low: Any = None
    intro: str | None = None
    for key, kind, value in keyed:
        if kind == "introduced":
            if intro is None:
                low, intro = key, value
        elif intro is not None:
            fixed = value if kind == "fixed" else None
            out.append(Interval(low, key, kind == "last_affected", intro, fixed))
            intro = None
    if intro is not None:
        out.append(Interval(low, None, False, intro, None))
    return tuple(out)


def compile_entry(
    ecosystem: str, advisory: Mapping[str, Any], ranges: Sequence[Mapping[str, Any]], versions: Sequence[str]
) -> Entry:
    """An entry ready to match versions of ``ecosystem`` (planvec's name: pypi, npm, ...)."""
    compiled = []
    git = unreadable = 0
    for r in ranges:
        kind = r.get("type")
        if kind == "GIT":
            git += 1
            continue
        ordering = "semver" if kind == "SEMVER" else ecosystem
        try:
            compiled.append((ordering, _intervals(r.get("events", []), ordering)))
        except (VersionError, TypeError):
            unreadable += 1
    return Entry(
        advisory_id=str(advisory["id"]),
        aliases=tuple(advisory.get("aliases") or ()),
        summary=str(advisory.get("summary") or ""),
        modified=str(advisory.get("modified") or ""),
        ordering=tuple(compiled),
        versions=tuple(versions),
        git_ranges=git,
        unreadable_ranges=unreadable,
    )


class Keys:
    """One version's comparable form under each ordering, parsed once (None: not readable)."""

    def __init__(self, ecosystem: str, version: str) -> None:
        self.ecosystem, self.version = ecosystem, version
        self._keys: dict[str, Any] = {}

    def get(self, ordering: str) -> Any:
        if ordering not in self._keys:
            text = self.version.removeprefix("v") if ordering == "semver" else self.version
            try:
                self._keys[ordering] = parse_lenient(ordering, text)
            except VersionError:
                self._keys[ordering] = None
        return self._keys[ordering]


def match(entry: Entry, keys: Keys) -> tuple[bool, tuple[str, ...]]:
    """(affected, the fixing versions of the intervals that hold it) for one version."""
    if keys.version in entry.versions:
        hit = True
    else:
        own = keys.get(keys.ecosystem)
        hit = own is not None and any(_same(keys.ecosystem, v, own) for v in entry.versions)
    fixed: list[str] = []
    for ordering, intervals in entry.ordering:
        key = keys.get(ordering)
        if key is None:
            continue
        for iv in intervals:
            if iv.contains(key):
                hit = True
                if iv.fixed:
                    fixed.append(iv.fixed)
    return hit, tuple(dict.fromkeys(fixed))


def _same(ecosystem: str, text: str, key: Any) -> bool:
    try:
        return bool(parse_lenient(ecosystem, text) == key)
    except VersionError:
        return False


def named_versions(entry: Entry) -> list[str]:
    """The versions an entry names: its lists and its interval bounds (candidates of a range)."""
    out = list(entry.versions)
    for _, intervals in entry.ordering:
        for iv in intervals:
            if iv.low is not None:
                out.append(iv.introduced)
            if iv.high is not None and iv.high_inclusive:
                out.append(str(iv.high))
    return out
