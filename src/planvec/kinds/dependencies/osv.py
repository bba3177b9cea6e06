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

import functools
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .mavenversion import MavenVersion
from .versions import VersionError, comparable, encodable

RANGE_TYPES = ("ECOSYSTEM", "SEMVER", "GIT")
_EVENT_KEYS = ("introduced", "fixed", "last_affected", "limit")


# An interval: [low, high, high_inclusive, introduced, fixed, last_affected] — low and high are
# sort keys (versions.comparable; None: unbounded), the three texts as the advisory writes them
# (fixed or last_affected None when the interval does not end with one). Plain lists: the import
# stores them as JSON and the audit reads them back without building an object per range.
Interval = list
LOW, HIGH, INCLUSIVE, INTRODUCED, FIXED, LAST_AFFECTED = range(6)


def inside(iv: Interval, v: Any) -> bool:
    """Whether the sort key ``v`` lies in the interval."""
    low, high = iv[LOW], iv[HIGH]
    if low is not None and v < low:
        return False
    if high is None:
        return True
    return bool(v <= high) if iv[INCLUSIVE] else bool(v < high)


class Entry(NamedTuple):
    """One ``affected`` entry of one advisory, its ranges compiled for one ecosystem. (A named
    tuple: an audit builds one per advisory range set of every package it checks.)"""

    advisory_id: str
    aliases: tuple[str, ...]
    summary: str
    modified: str
    ordering: tuple[tuple[str, list[Interval]], ...]  # (ordering, intervals) per range
    versions: tuple[str, ...]
    version_keys: tuple[Any, ...]  # sort keys of the readable ones
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


def _intervals(events: Sequence[Mapping[str, str]], ordering: str) -> list[Interval]:
    keyed = []
    for ev in events:
        ((kind, value),) = ev.items()
        if kind == "limit":
            continue
        key = None if kind == "introduced" and value == "0" else comparable(ordering, value)
        keyed.append((key, kind, value))
    # "0" sorts first; at one version, an introduced event comes before the event that closes it
    keyed.sort(key=functools.cmp_to_key(_event_order))
    out: list[Interval] = []
    low: Any = None
    intro: str | None = None
    for key, kind, value in keyed:
        if kind == "introduced":
            if intro is None:
                low, intro = key, value
        elif intro is not None:
            last = kind == "last_affected"
            out.append([low, key, last, intro, None if last else value, value if last else None])
            intro = None
    if intro is not None:
        out.append([low, None, False, intro, None, None])
    return out


def _event_order(a: tuple[Any, str, str], b: tuple[Any, str, str]) -> int:
    if a[0] is None or b[0] is None:
        return (a[0] is not None) - (b[0] is not None)
    if a[0] != b[0]:
        return -1 if a[0] < b[0] else 1
    return (a[1] != "introduced") - (b[1] != "introduced")


def compile_ranges(ecosystem: str, ranges: Sequence[Mapping[str, Any]], versions: Sequence[str]) -> Any:
    """The ranges and versions of an affected entry with their sort keys, as JSON-ready data: the
    import stores it, so an audit parses no advisory version again (Maven keys, parsed versions,
    are stored as their text and item lists)."""
    compiled, git, bad = _compile(ecosystem, ranges)
    keys = _version_keys(ecosystem, versions)
    if not encodable(ecosystem):
        compiled = [(o, [[*map(_maven_out, iv[:2]), *iv[2:]] for iv in ivs]) for o, ivs in compiled]
        keys = [_maven_out(k) for k in keys]
    return {"r": compiled, "git": git, "bad": bad, "v": keys, "vs": list(versions)}


def _maven_out(key: Any) -> Any:
    return None if key is None else [str(key), list(key.items)]


def _maven_in(stored: Any) -> Any:
    return None if stored is None else MavenVersion(stored[0], tuple(stored[1]))


def _compile(ecosystem: str, ranges: Sequence[Mapping[str, Any]]) -> tuple[list[Any], int, int]:
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
        except (VersionError, TypeError, ValueError):
            unreadable += 1
    return compiled, git, unreadable


def _version_keys(ecosystem: str, versions: Sequence[str]) -> list[Any]:
    out = []
    for v in versions:
        try:
            out.append(comparable(ecosystem, v))
        except VersionError:
            continue
    return out


def compile_entry(
    ecosystem: str,
    advisory: Mapping[str, Any],
    ranges: Sequence[Mapping[str, Any]],
    versions: Sequence[str],
    compiled: Any = None,
) -> Entry:
    """An entry ready to match versions of ``ecosystem`` (planvec's name: pypi, npm, ...), from
    what :func:`compile_ranges` stored when there is that."""
    if compiled is None:
        ordered, git, bad = _compile(ecosystem, ranges)
        keys = _version_keys(ecosystem, versions)
    else:
        ordered = compiled["r"]
        git, bad, keys, versions = compiled["git"], compiled["bad"], compiled["v"], compiled["vs"]
        if not encodable(ecosystem):
            ordered = [(o, [[*map(_maven_in, iv[:2]), *iv[2:]] for iv in ivs]) for o, ivs in ordered]
            keys = [_maven_in(k) for k in keys]
    return Entry(
        advisory_id=str(advisory["id"]),
        aliases=tuple(advisory.get("aliases") or ()),
        summary=str(advisory.get("summary") or ""),
        modified=str(advisory.get("modified") or ""),
        ordering=tuple((o, ivs) for o, ivs in ordered),
        versions=tuple(versions),
        version_keys=tuple(keys),
        git_ranges=git,
        unreadable_ranges=bad,
    )


class Keys:
    """One version's sort key under each ordering, computed once (None: not readable)."""

    def __init__(self, ecosystem: str, version: str) -> None:
        self.ecosystem, self.version = ecosystem, version
        self._keys: dict[str, Any] = {}

    def get(self, ordering: str) -> Any:
        if ordering not in self._keys:
            text = self.version.removeprefix("v") if ordering == "semver" else self.version
            try:
                self._keys[ordering] = comparable(ordering, text)
            except VersionError:
                self._keys[ordering] = None
        return self._keys[ordering]


def match(entry: Entry, keys: Keys) -> tuple[bool, tuple[str, ...]]:
    """(affected, the fixing versions of the intervals that hold it) for one version."""
    own = keys.get(keys.ecosystem)
    hit = keys.version in entry.versions or (own is not None and own in entry.version_keys)
    fixed: list[str] = []
    for ordering, intervals in entry.ordering:
        key = own if ordering == keys.ecosystem else keys.get(ordering)
        if key is None:
            continue
        for iv in intervals:
            if inside(iv, key):
                hit = True
                if iv[FIXED]:
                    fixed.append(iv[FIXED])
    return hit, tuple(dict.fromkeys(fixed))


def named_versions(entry: Entry) -> list[str]:
    """The versions an entry names: its lists and its interval bounds (candidates of a range)."""
    out = list(entry.versions)
    for _, intervals in entry.ordering:
        for iv in intervals:
            if iv[LOW] is not None:
                out.append(iv[INTRODUCED])
            if iv[LAST_AFFECTED]:
                out.append(iv[LAST_AFFECTED])
    return out
