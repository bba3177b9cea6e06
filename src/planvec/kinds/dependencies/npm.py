"""npm manifests and lockfiles into :class:`DepFile` records.

``package.json`` and ``package-lock.json`` (also ``npm-shrinkwrap.json``) are JSON: the json module
reads them and :func:`~.eco_common.json_lines` gives each key its line (json has no positions).
``yarn.lock`` (v1 and berry) is read by :mod:`.npm_yarn`, re-exported here.

Rules the records follow:

- ``specifier`` is the range as written; ``version`` is set in a manifest only for an exact pin
  (``1.2.3``, ``=1.2.3``, ``v1.2.3``, ``npm:real@1.2.3``), in a lockfile to the locked version.
- ``source`` holds a non-registry origin as written: ``npm:real@range`` aliases (the name stays the
  alias the project imports), ``git+…``/``github:``/``user/repo``, ``file:``, ``link:``,
  ``workspace:``, tarball URLs; a lockfile's ``link: true`` entry is ``link:<resolved>``.
- ``package.json`` ``workspaces`` (an array or ``{"packages": [...]}``) are the globs of the member
  folders, put in ``includes`` relative to the root.
- Direct dependencies of a lockfile: v2/v3, the packages the root entry (``""``) or a workspace
  member's entry declares, at the copy that entry resolves to (its own ``node_modules`` first, then
  the root's); v1 and ``yarn.lock``, the names the ``package.json`` beside the lockfile declares
  (v1 without one: every top-level entry, with a warning; yarn without one: none, with a warning).
- Every copy of a package in a v2/v3 lockfile is kept (``node_modules/a/node_modules/b`` is another
  ``b``); a package installed under a workspace member has that member's folder as ``group``.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

from ...records import FileProblem
from ..base import Source
from .eco_common import from_root, guarded, json_lines, load_json, sort_into
from .npm_common import (
    ECOSYSTEM,
    EXACT,
    SECTIONS,
    Installed,
    Lines,
    declared,
    exact_version,
    lock_source,
    manifest_beside,
    spec_source,
)
from .npm_yarn import parse_yarn_lock
from .records import Dependency, DepFile

__all__ = ["exact_version", "parse_package_json", "parse_package_lock", "parse_yarn_lock", "spec_source"]


# --------------------------------------------------------------------------------------------------
# package.json


def _section(
    data: Mapping[str, Any], section: str, dep_type: str, lines: Lines, rel: str
) -> Iterator[Dependency | FileProblem]:
    table = data.get(section)
    if table is None:
        return
    if not isinstance(table, dict):
        yield FileProblem(rel, f"{section} is not an object (ignored)", lines.get((section,)))
        return
    peer_meta = data.get("peerDependenciesMeta") if dep_type == "peer" else None
    for name, spec in table.items():
        line = lines.get((section, name), 1)
        if not isinstance(spec, str):
            yield FileProblem(rel, f"{section}.{name}: the specifier is not a string (ignored)", line)
            continue
        group = ""
        if isinstance(peer_meta, dict) and isinstance(peer_meta.get(name), dict):
            group = "optional" if peer_meta[name].get("optional") is True else ""
        yield Dependency(
            ECOSYSTEM,
            name,
            spec,
            exact_version(spec),
            dep_type,
            True,
            line,
            group=group,
            source=spec_source(spec),
        )


def _bundled(
    data: Mapping[str, Any], deps: list[Dependency], lines: Lines, rel: str
) -> Iterator[Dependency | FileProblem]:
    """``bundledDependencies`` (names only): the declared ones get group "bundled" (in ``deps``),
    the others become runtime dependencies with no specifier."""
    key = "bundledDependencies" if "bundledDependencies" in data else "bundleDependencies"
    names = data.get(key)
    if names is None or names is False:
        return
    if names is True:
        names = [d.name for d in deps if d.dep_type in ("runtime", "optional")]
    if not isinstance(names, list):
        yield FileProblem(rel, f"{key} is neither a list nor a boolean (ignored)", lines.get((key,)))
        return
    for i, name in enumerate(names):
        line = lines.get((key, i), 1)
        if not isinstance(name, str):
            yield FileProblem(rel, f"{key}[{i}] is not a package name (ignored)", line)
            continue
        hits = [j for j, d in enumerate(deps) if d.name == name and d.dep_type in ("runtime", "optional")]
        for j in hits:
            deps[j] = replace(deps[j], group="bundled")
        if not hits:
            yield Dependency(ECOSYSTEM, name, "", None, "runtime", True, line, group="bundled")


def _workspaces(data: Mapping[str, Any], source: Source, lines: Lines) -> tuple[list[str], list[FileProblem]]:
    spec = data.get("workspaces")
    path: tuple[str, ...] = ("workspaces",)
    if isinstance(spec, dict):
        spec, path = spec.get("packages"), ("workspaces", "packages")
    if spec is None:
        return [], []
    if not isinstance(spec, list):
        return [], [
            FileProblem(source.rel, "workspaces is not a list of globs (ignored)", lines.get(("workspaces",)))
        ]
    globs, problems = [], []
    for i, item in enumerate(spec):
        if isinstance(item, str) and item.strip():
            globs.append(from_root(source, item.strip()))
        else:
            problems.append(
                FileProblem(source.rel, f"workspaces[{i}] is not a glob (ignored)", lines.get((*path, i)))
            )
    return globs, problems


@guarded("package.json", False)
def parse_package_json(source: Source) -> DepFile:
    data, bad = load_json(source, "package.json", False)
    if bad is not None:
        return bad
    lines = json_lines(source.text)
    deps: list[Dependency] = []
    problems: list[FileProblem] = []
    for section, dep_type in SECTIONS:
        for item in _section(data, section, dep_type, lines, source.rel):
            sort_into(item, deps, problems)
    for item in list(_bundled(data, deps, lines, source.rel)):
        sort_into(item, deps, problems)
    globs, more = _workspaces(data, source, lines)
    installed = Installed(source)
    deps = [installed.add(d, f"node_modules/{d.name}", same_version=False) for d in deps]
    name = data.get("name")
    return DepFile(
        source.rel,
        "package.json",
        False,
        tuple(deps),
        project=name if isinstance(name, str) else "",
        includes=tuple(globs),
        problems=(*problems, *more),
    )


# --------------------------------------------------------------------------------------------------
# package-lock.json


def _flag_type(entry: Mapping[str, Any]) -> str:
    if entry.get("dev") is True:
        return "dev"
    if entry.get("optional") is True or entry.get("devOptional") is True:
        return "optional"  # devOptional: optional in production too, so installed without dev
    if entry.get("peer") is True:
        return "peer"
    return "runtime"


def _marker(entry: Mapping[str, Any]) -> str:
    parts = []
    for key in ("os", "cpu"):
        value = entry.get(key)
        if isinstance(value, list) and value:
            parts.append(f"{key}={','.join(str(v) for v in value)}")
    return " ".join(parts)


def _owner(key: str) -> str:
    """The folder a ``packages`` key is installed under: "" (the root's node_modules) or another."""
    return key.split("/node_modules/", 1)[0] if not key.startswith("node_modules/") else ""


def _members(packages: Mapping[str, Any]) -> set[str]:
    """The project folders: the root ("") and the folders its ``workspaces`` globs match (a
    ``file:`` link elsewhere is a dependency, not a part of the project)."""
    root = packages.get("")
    globs = root.get("workspaces") if isinstance(root, dict) else None
    globs = globs.get("packages") if isinstance(globs, dict) else globs
    patterns = [g.strip().rstrip("/") for g in globs if isinstance(g, str)] if isinstance(globs, list) else []
    folders = {k for k in packages if k and "node_modules/" not in k}
    return {""} | {f for f in folders if any(fnmatch.fnmatchcase(f, p) for p in patterns)}


def _direct_keys(packages: Mapping[str, Any], members: set[str]) -> dict[str, str]:
    """``packages`` key -> declared specifier of each copy a project folder resolves its declared
    dependencies to: ``<folder>/node_modules/<name>``, else the root's ``node_modules/<name>``."""
    out: dict[str, str] = {}
    for folder in members:
        entry = packages.get(folder)
        if not isinstance(entry, dict):
            continue
        for name, (_, spec) in declared(entry).items():
            own = f"{folder}/node_modules/{name}" if folder else f"node_modules/{name}"
            key = own if own in packages else f"node_modules/{name}"
            if key in packages:
                out.setdefault(key, spec)
    return out


def _lock_entry(
    key: str,
    entry: Mapping[str, Any],
    packages: Mapping[str, Any],
    spec: str | None,
    line: int,
    members: set[str],
) -> Dependency:
    name = key.rpartition("node_modules/")[2]
    version = entry.get("version") if isinstance(entry.get("version"), str) else None
    source = lock_source(entry.get("resolved"))
    if entry.get("link") is True:
        target = entry.get("resolved")
        source = f"link:{target}" if isinstance(target, str) else "link:"
        linked = packages.get(target) if isinstance(target, str) else None
        if isinstance(linked, dict) and isinstance(linked.get("version"), str):
            version = linked["version"]
    real = entry.get("name")
    if isinstance(real, str) and real != name and not source:
        source = f"npm:{real}@{version}"  # an alias: installed as ``name``, published as ``real``
    owner = _owner(key)
    group = owner if owner in members else ""
    group = group or ("bundled" if entry.get("inBundle") is True else "")
    direct = spec is not None
    return Dependency(
        ECOSYSTEM, name, spec or "", version, _flag_type(entry), direct, line, group, _marker(entry), source
    )


def _lock_v2(
    data: Mapping[str, Any], lines: Lines, rel: str, installed: Installed
) -> tuple[list[Dependency], list[FileProblem]]:
    packages = data["packages"]
    if not isinstance(packages, dict):
        return [], [FileProblem(rel, "packages is not an object", lines.get(("packages",)))]
    members = _members(packages)
    direct = _direct_keys(packages, members)
    deps, problems = [], []
    for key, entry in packages.items():
        line = lines.get(("packages", key), 1)
        if "node_modules/" not in key:
            continue  # the root and the workspace members themselves: their links are the records
        if not isinstance(entry, dict):
            problems.append(FileProblem(rel, f"packages[{key!r}] is not an object (ignored)", line))
            continue
        dep = _lock_entry(key, entry, packages, direct.get(key), line, members)
        deps.append(installed.add(dep, key))
    return deps, problems


def _lock_v1(
    data: Mapping[str, Any], lines: Lines, source: Source
) -> tuple[list[Dependency], list[FileProblem], list[str]]:
    manifest = manifest_beside(source)
    warnings = []
    if manifest is None:
        warnings.append("no package.json beside this lockfile: every top-level entry is taken as direct")
    deps, problems = [], []
    installed = Installed(source)
    stack: list[tuple[tuple[str, ...], Any]] = [(("dependencies",), data.get("dependencies"))]
    while stack:
        path, table = stack.pop()
        if not isinstance(table, dict):
            problems.append(
                FileProblem(source.rel, f"{'.'.join(path)} is not an object (ignored)", lines.get(path))
            )
            continue
        nested = []
        for name, entry in table.items():
            line = lines.get((*path, name), 1)
            if not isinstance(entry, dict):
                problems.append(
                    FileProblem(source.rel, f"{name}: the entry is not an object (ignored)", line)
                )
                continue
            top = len(path) == 1
            spec = None
            if top:
                spec = "" if manifest is None else (manifest[name][1] if name in manifest else None)
            folder = "/".join(f"node_modules/{p}" for p in (*path[1::2], name))
            deps.append(installed.add(_v1_entry(name, entry, spec, line), folder))
            if "dependencies" in entry:
                nested.append(((*path, name, "dependencies"), entry["dependencies"]))
        stack.extend(reversed(nested))
    return deps, problems, warnings


def _v1_entry(name: str, entry: Mapping[str, Any], spec: str | None, line: int) -> Dependency:
    raw = entry.get("version")
    version: str | None = raw if isinstance(raw, str) else None
    source = lock_source(entry.get("resolved"))
    if version is not None and not EXACT.fullmatch(version):
        source, version = source or version, None  # git / file / link: the "version" is the origin
    group = "bundled" if entry.get("bundled") is True else ""
    return Dependency(
        ECOSYSTEM, name, spec or "", version, _flag_type(entry), spec is not None, line, group, source=source
    )


@guarded("package-lock.json", True)
def parse_package_lock(source: Source) -> DepFile:
    data, bad = load_json(source, "package-lock.json", True)
    if bad is not None:
        return bad
    lines = json_lines(source.text)
    version = data.get("lockfileVersion")
    warnings: list[str] = []
    if version not in (1, 2, 3):
        warnings.append(
            f"lockfileVersion {version!r} is not one planvec knows (1, 2, 3): read as the closest"
        )
    if "packages" in data:
        deps, problems = _lock_v2(data, lines, source.rel, Installed(source))
    elif "dependencies" in data:
        deps, problems, more = _lock_v1(data, lines, source)
        warnings.extend(more)
    else:
        deps, problems = [], []
        warnings.append("no packages and no dependencies: nothing is locked")
    name = data.get("name")
    return DepFile(
        source.rel,
        "package-lock.json",
        True,
        tuple(deps),
        project=name if isinstance(name, str) else "",
        warnings=tuple(warnings),
        problems=tuple(problems),
    )
