"""Conflicts between the dependency declarations of several manifests and lockfiles.

Two levels, as syncpack and pip see them:

* *mismatch*: one package (ecosystem + name) declared with different specifiers in different
  manifests (``^4.17.0`` here, ``^4.18.1`` there): not wrong, but the versions drift apart;
* *incompatible*: no version satisfies every manifest's specifier (``>=2`` and ``<2``), or a lockfile
  locks a package at a version that another manifest's specifier excludes (the lockfile holds none
  of the versions that specifier admits).

Go follows minimal version selection: two go.mod files requiring different versions of one module
are only a mismatch (the build takes the highest). What can conflict in Go is one module required
at two major versions (``example.com/m`` and ``example.com/m/v2``: two copies in one build) and
``replace``: one module replaced by different targets, or replaced by a version below what another
go.mod requires. A go dependency whose ``source`` starts with ``=>`` is a replaced module; its source is
the replacement as written (``=> ../local`` or ``=> example.com/fork v1.2.3``); ``exclude``
directives (source ``exclude``) take no part.

A specifier that the ecosystem's syntax does not read (a tag, a URL, an unresolved property) cannot
take part in the incompatible check: it is listed in ``skipped`` with the reason, never dropped.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from itertools import combinations
from typing import Any

from .records import Dependency, DepFile
from .versions import VersionError, check_specifier, intersect, parse_lenient, satisfies

MISMATCH, INCOMPATIBLE = "mismatch", "incompatible"
_GO_MAJOR = re.compile(r"^(.+)/v([2-9]|[1-9]\d+)$")


@dataclass(frozen=True, slots=True)
class Side:
    """One declaration taking part in a conflict."""

    file: str
    line: int
    specifier: str
    version: str | None = None
    lockfile: bool = False
    name: str = ""  # the declared name when it differs from the conflict's (Go major paths)
    source: str = ""

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"where": self.where}


@dataclass(frozen=True, slots=True)
class Conflict:
    level: str  # MISMATCH or INCOMPATIBLE
    reason: str  # specifiers_differ, no_common_version, locked_outside, major_paths, replace_*
    ecosystem: str
    name: str
    message: str
    sides: tuple[Side, ...]
    # no_common_version: the pairs of ``sides`` (indexes) that admit no common version
    pairs: tuple[tuple[int, int], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["sides"] = [s.to_dict() for s in self.sides]
        d["pairs"] = [list(p) for p in self.pairs]
        return d


@dataclass(frozen=True, slots=True)
class Skipped:
    file: str
    line: int
    ecosystem: str
    name: str
    specifier: str
    reason: str


@dataclass(slots=True)
class ConflictResult:
    conflicts: list[Conflict] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def incompatible(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.level == INCOMPATIBLE]

    @property
    def mismatches(self) -> list[Conflict]:
        return [c for c in self.conflicts if c.level == MISMATCH]


Entry = tuple[DepFile, Dependency]


def _side(f: DepFile, d: Dependency, name: str = "") -> Side:
    return Side(f.path, d.line, d.specifier, d.version, f.lockfile, name, d.source)


def find_conflicts(files: Iterable[DepFile]) -> ConflictResult:
    """Every mismatch and incompatibility between the files' declarations (see the module docstring)."""
    groups: dict[tuple[str, str], list[Entry]] = defaultdict(list)
    for f in files:
        for d in f.dependencies:
            groups[(d.ecosystem, d.name)].append((f, d))
    out = ConflictResult()
    for (eco, name), entries in sorted(groups.items()):
        if eco == "go":
            _go_versions(name, entries, out)
        else:
            _group(eco, name, entries, out)
    _go_majors(groups, out)
    return out


def _declared(entries: Sequence[Entry]) -> list[Entry]:
    """Manifest declarations that constrain a registry version."""
    return [(f, d) for f, d in entries if not f.lockfile and d.specifier.strip() and not d.source]


def _normal(eco: str, spec: str) -> str:
    if eco == "pypi":
        try:
            from packaging.specifiers import SpecifierSet

            return str(SpecifierSet(spec))
        except ValueError:
            pass
    return " ".join(spec.split())


def _group(eco: str, name: str, entries: Sequence[Entry], out: ConflictResult) -> None:
    declared = _declared(entries)
    readable: list[Entry] = []
    for f, d in declared:
        try:
            check_specifier(eco, d.specifier)
            readable.append((f, d))
        except VersionError as e:
            out.skipped.append(Skipped(f.path, d.line, eco, name, d.specifier, str(e)))
    by_spec: dict[str, Entry] = {}
    for f, d in declared:
        by_spec.setdefault(_normal(eco, d.specifier), (f, d))
    if len(by_spec) > 1 and len({f.path for f, _ in declared}) > 1:
        specs = ", ".join(f"{s!r}" for s in by_spec)
        sides = tuple(_side(f, d) for f, d in by_spec.values())
        out.conflicts.append(
            Conflict(MISMATCH, "specifiers_differ", eco, name, f"{name} is declared as {specs}", sides)
        )
    _no_common_version(eco, name, readable, out)
    _locked_outside(eco, name, entries, readable, out)


def _no_common_version(eco: str, name: str, readable: Sequence[Entry], out: ConflictResult) -> None:
    """One conflict per package: the declarations that some other manifest's specifier excludes
    entirely, each pair that admits no common version named in ``pairs``."""
    unique: dict[str, Entry] = {}
    for f, d in readable:
        unique.setdefault(_normal(eco, d.specifier), (f, d))
    items = list(unique.values())
    pairs = [
        (i, j)
        for i, j in combinations(range(len(items)), 2)
        if items[i][0].path != items[j][0].path
        and not intersect(eco, [items[i][1].specifier, items[j][1].specifier])
    ]
    if not pairs:
        if len(items) > 2 and not intersect(eco, [d.specifier for _, d in items]):
            specs = ", ".join(repr(d.specifier) for _, d in items)
            sides = tuple(_side(f, d) for f, d in items)
            msg = f"no version of {name} satisfies all of {specs}"
            out.conflicts.append(Conflict(INCOMPATIBLE, "no_common_version", eco, name, msg, sides))
        return
    involved = sorted({k for pair in pairs for k in pair})
    index = {k: n for n, k in enumerate(involved)}
    sides = tuple(_side(*items[k]) for k in involved)
    shown = "; ".join(f"{items[i][1].specifier!r} and {items[j][1].specifier!r}" for i, j in pairs[:3])
    more = f" (and {len(pairs) - 3} more pairs)" if len(pairs) > 3 else ""
    msg = f"no version of {name} satisfies both {shown}{more}"
    out.conflicts.append(
        Conflict(
            INCOMPATIBLE,
            "no_common_version",
            eco,
            name,
            msg,
            sides,
            tuple((index[i], index[j]) for i, j in pairs),
        )
    )


def _locked_outside(
    eco: str, name: str, entries: Sequence[Entry], readable: Sequence[Entry], out: ConflictResult
) -> None:
    """One conflict per lockfile that locks a package at versions some manifest's specifier
    excludes (none of the lockfile's versions of it satisfies that specifier)."""
    locks: dict[str, list[Entry]] = defaultdict(list)
    for f, d in entries:
        if f.lockfile and d.version:
            locks[f.path].append((f, d))
    for path, locked in sorted(locks.items()):
        violated: list[Entry] = []
        for f, d in readable:
            if f.path == path:
                continue
            try:
                ok = any(satisfies(eco, ld.version or "", d.specifier, prereleases=True) for _, ld in locked)
            except VersionError as e:
                lf, ld = locked[0]
                out.skipped.append(Skipped(lf.path, ld.line, eco, name, ld.version or "", str(e)))
                break
            if not ok:
                violated.append((f, d))
        if violated:
            versions = ", ".join(sorted({ld.version or "" for _, ld in locked}))
            specs = ", ".join(f"{d.specifier!r} of {f.path}" for f, d in violated)
            msg = f"{path} locks {name} {versions}, outside {specs}"
            sides = (*(_side(f, d) for f, d in violated), *(_side(lf, ld) for lf, ld in locked))
            out.conflicts.append(Conflict(INCOMPATIBLE, "locked_outside", eco, name, msg, sides))


# -- Go --------------------------------------------------------------------------------------------
def _go_versions(name: str, entries: Sequence[Entry], out: ConflictResult) -> None:
    required = [(f, d) for f, d in entries if not f.lockfile and d.specifier.strip() and not d.source]
    by_version: dict[str, Entry] = {}
    for f, d in required:
        by_version.setdefault(d.specifier.strip(), (f, d))
    if len(by_version) > 1 and len({f.path for f, _ in required}) > 1:
        sides = tuple(_side(f, d) for f, d in by_version.values())
        msg = f"{name} is required at {', '.join(by_version)} (minimal version selection takes the highest)"
        out.conflicts.append(Conflict(MISMATCH, "specifiers_differ", "go", name, msg, sides))
    _go_replaces(name, entries, required, out)


def _replacement(source: str) -> tuple[str, str | None]:
    """(target path, target version or None) of a replace's ``source``."""
    parts = source.strip().removeprefix("=>").split()
    if not parts:
        return "", None
    return parts[0], parts[1] if len(parts) > 1 and parts[1].startswith("v") else None


def _go_replaces(name: str, entries: Sequence[Entry], required: Sequence[Entry], out: ConflictResult) -> None:
    replaced = [(f, d) for f, d in entries if not f.lockfile and d.source.strip().startswith("=>")]
    targets: dict[tuple[str, str | None], Entry] = {}
    for f, d in replaced:
        targets.setdefault(_replacement(d.source), (f, d))
    if len(targets) > 1 and len({f.path for f, _ in replaced}) > 1:
        sides = tuple(_side(f, d) for f, d in targets.values())
        msg = f"{name} is replaced by different targets: " + ", ".join(d.source for _, d in targets.values())
        out.conflicts.append(Conflict(INCOMPATIBLE, "replace_targets_differ", "go", name, msg, sides))
    for (target, version), (rf, rd) in targets.items():
        if version is None:
            continue  # a local directory: no version to compare
        for f, d in required:
            if f.path == rf.path:
                continue
            try:
                below = parse_lenient("go", version) < parse_lenient("go", d.specifier.strip())
            except VersionError as e:
                out.skipped.append(Skipped(f.path, d.line, "go", name, d.specifier, str(e)))
                continue
            if below:
                msg = (
                    f"{rf.path} replaces {name} by {target} {version}, "
                    f"below {d.specifier} that {f.path} requires"
                )
                sides = (_side(rf, rd), _side(f, d))
                out.conflicts.append(Conflict(INCOMPATIBLE, "replace_below_required", "go", name, msg, sides))


def _go_majors(groups: dict[tuple[str, str], list[Entry]], out: ConflictResult) -> None:
    by_base: dict[str, dict[str, list[Entry]]] = defaultdict(dict)
    for (eco, name), entries in groups.items():
        if eco != "go":
            continue
        m = _GO_MAJOR.match(name)
        required = [(f, d) for f, d in entries if not f.lockfile and not d.source]
        if required:
            by_base[m.group(1) if m else name][name] = required
    for base, paths in sorted(by_base.items()):
        files = {f.path for entries in paths.values() for f, _ in entries}
        if len(paths) < 2 or len(files) < 2:
            continue
        sides = tuple(_side(f, d, name) for name, entries in sorted(paths.items()) for f, d in entries)
        msg = f"{base} is required at {len(paths)} major versions: " + ", ".join(sorted(paths))
        out.conflicts.append(Conflict(INCOMPATIBLE, "major_paths", "go", base, msg, sides))
