"""``poetry.lock`` and ``uv.lock`` into locked dependencies (``tomllib``; each ``[[package]]``'s line
is the line of its header, counted in the raw text).

Every package is recorded with ``direct`` False: the kind marks the ones its manifest declares when
it pairs the manifest and the lock.
"""

from __future__ import annotations

from typing import Any

from packaging.utils import canonicalize_name

from ..base import Source
from .python_common import PYPI, Collected, TomlLines, load_toml
from .records import Dependency, DepFile


def _packages(out: Collected, lines: TomlLines, data: dict[str, Any]) -> list[tuple[int, dict[str, Any]]]:
    """(1-based line, table) of each ``[[package]]`` that has a name and a version."""
    packages = data.get("package", [])
    if not isinstance(packages, list):
        out.problem("package must be an array of tables ([[package]])", lines.locate(["package"]) + 1)
        return []
    heads = lines.array_headers(["package"])
    found = []
    for i, pkg in enumerate(packages):
        line = heads[i] + 1 if i < len(heads) else 1
        if not isinstance(pkg, dict) or not isinstance(pkg.get("name"), str):
            out.problem("[[package]] without a name", line)
            continue
        found.append((line, pkg))
    return found


def _locked(pkg: dict[str, Any], dep_type: str, line: int, group: str, source: str) -> Dependency:
    marker = pkg.get("markers")
    return Dependency(
        PYPI,
        canonicalize_name(pkg["name"]),
        "",
        str(pkg["version"]) if pkg.get("version") is not None else None,
        dep_type,
        False,
        line,
        group=group,
        marker=marker if isinstance(marker, str) else "",
        source=source,
        description=str(pkg.get("description") or ""),
    )


def _poetry_source(pkg: dict[str, Any]) -> str:
    src = pkg.get("source")
    if not isinstance(src, dict) or src.get("type") in (None, "legacy"):  # legacy: a package index
        return ""
    url = str(src.get("url") or "")
    if src.get("type") == "git":
        ref = src.get("resolved_reference") or src.get("reference")
        return f"git+{url}" + (f"@{ref}" if ref else "")
    return url


def _poetry_type(pkg: dict[str, Any]) -> str:
    """Poetry < 1.5 writes ``category`` ("main"/"dev"), Poetry 2 ``groups``; older locks neither."""
    groups = pkg.get("groups")
    dev = pkg.get("category") == "dev" or (isinstance(groups, list) and groups and "main" not in groups)
    if dev:
        return "dev"
    return "optional" if pkg.get("optional") is True else "runtime"


def parse_poetry_lock(source: Source) -> DepFile:
    data = load_toml(source.text, source.rel)
    if not isinstance(data, dict):
        return DepFile(source.rel, "poetry.lock", True, warnings=source.warnings, problems=(data,))
    lines = TomlLines(source.text)
    out = Collected(source.rel)
    for line, pkg in _packages(out, lines, data):
        groups = pkg.get("groups")
        group = ",".join(g for g in groups if g != "main") if isinstance(groups, list) else ""
        out.deps.append(_locked(pkg, _poetry_type(pkg), line, group, _poetry_source(pkg)))
    return DepFile(
        source.rel,
        "poetry.lock",
        True,
        dependencies=tuple(out.deps),
        warnings=source.warnings,
        problems=tuple(out.problems),
    )


def _uv_source(pkg: dict[str, Any]) -> tuple[str, str]:
    """(kind, origin as written) of a uv package: registry, git, path, directory, editable, virtual, url."""
    src = pkg.get("source")
    if not isinstance(src, dict) or not src:
        return "", ""
    kind, value = next(iter(src.items()))
    if kind == "registry":
        return kind, ""
    origin = {"git": f"git+{value}", "editable": f"-e {value}"}.get(kind, str(value))
    return kind, origin


def _names(entries: Any) -> list[str]:
    """Package names of a uv dependency list (``[{name = "x", ...}]``)."""
    if not isinstance(entries, list):
        return []
    return [
        canonicalize_name(e["name"])
        for e in entries
        if isinstance(e, dict) and isinstance(e.get("name"), str)
    ]


def _closure(start: list[str], edges: dict[str, set[str]]) -> list[str]:
    seen: dict[str, None] = {}
    todo = list(start)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen[name] = None
            todo.extend(edges.get(name, ()))
    return list(seen)


def _uv_kinds(packages: list[tuple[int, dict[str, Any]]], roots: set[str]) -> dict[str, tuple[str, str]]:
    """name -> (dep_type, group) from what the root packages pull in: their dependencies (runtime),
    their optional-dependencies (optional, group = the extra), their dev-dependencies (dev, group =
    the group); runtime wins over optional, optional over dev."""
    edges: dict[str, set[str]] = {}
    for _, pkg in packages:
        deps = set(_names(pkg.get("dependencies")))
        extras = pkg.get("optional-dependencies")
        for extra in extras.values() if isinstance(extras, dict) else ():
            deps.update(_names(extra))  # an extra asked for by a dependent pulls these in
        edges.setdefault(canonicalize_name(pkg["name"]), set()).update(deps)
    kinds: dict[str, tuple[str, str]] = {}
    for _, pkg in packages:
        if canonicalize_name(pkg["name"]) not in roots:
            continue
        for name in _closure(_names(pkg.get("dependencies")), edges):
            kinds[name] = ("runtime", "")
        for table, dep_type in (("optional-dependencies", "optional"), ("dev-dependencies", "dev")):
            value = pkg.get(table)
            for group, entries in value.items() if isinstance(value, dict) else ():
                for name in _closure(_names(entries), edges):
                    kinds.setdefault(name, (dep_type, str(group)))
    return kinds


def parse_uv_lock(source: Source) -> DepFile:
    data = load_toml(source.text, source.rel)
    if not isinstance(data, dict):
        return DepFile(source.rel, "uv.lock", True, warnings=source.warnings, problems=(data,))
    lines = TomlLines(source.text)
    out = Collected(source.rel)
    packages = _packages(out, lines, data)
    manifest = data.get("manifest")
    members = manifest.get("members") if isinstance(manifest, dict) else None
    if isinstance(members, list) and members:
        roots: set[str] = {canonicalize_name(str(m)) for m in members}
    else:  # a single project: the package uv locks from the directory itself
        roots = {
            canonicalize_name(p["name"])
            for _, p in packages
            if _uv_source(p)[0] in ("editable", "virtual") and _uv_source(p)[1].removeprefix("-e ") == "."
        }
    kinds = _uv_kinds(packages, roots)
    project = ""
    for line, pkg in packages:
        name = canonicalize_name(pkg["name"])
        origin = _uv_source(pkg)[1]
        if name in roots:
            project = project or (name if origin.removeprefix("-e ") == "." else "")
            continue
        dep_type, group = kinds.get(name, ("runtime", ""))
        out.deps.append(_locked(pkg, dep_type, line, group, origin))
    return DepFile(
        source.rel,
        "uv.lock",
        True,
        dependencies=tuple(out.deps),
        project=project,
        warnings=source.warnings,
        problems=tuple(out.problems),
    )
