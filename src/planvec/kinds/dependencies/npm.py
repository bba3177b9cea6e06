"""npm manifests and lockfiles into :class:`DepFile` records.

``package.json`` and ``package-lock.json`` (also ``npm-shrinkwrap.json``) are JSON: the json module
reads them and :func:`~.eco_common.json_lines` gives each key its line (json has no positions).
``yarn.lock`` v1 is its own line format with no maintained Python parser: :func:`parse_yarn_lock`
reads it by hand (headers ``"a@^1", a@~1.2:``, then indented ``version``/``resolved`` fields).
A yarn berry (v2+) ``yarn.lock`` (``__metadata:``) is YAML, read with PyYAML's node API for the
lines; its ``npm:`` protocol is dropped from the ranges, the project's own ``workspace:.`` entry is
not a dependency, other workspaces and non-registry resolutions are kept as ``source``.

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
import json
import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import yaml

from ...errors import PlanvecError
from ...parsing import read_text
from ...records import FileProblem
from ..base import Source
from .eco_common import beside, failed, from_root, guarded, json_lines, load_json, sort_into
from .records import Dependency, DepFile

ECOSYSTEM = "npm"
SECTIONS = (
    ("dependencies", "runtime"),
    ("devDependencies", "dev"),
    ("peerDependencies", "peer"),
    ("optionalDependencies", "optional"),
)
_EXACT = re.compile(r"=?\s*v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)")
_SOURCE_PREFIXES = (
    "npm:", "git:", "git+", "github:", "gitlab:", "bitbucket:", "gist:",
    "file:", "link:", "workspace:", "portal:", "patch:", "http://", "https://",
)  # fmt: skip
_GITHUB_SHORTHAND = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+(#.*)?")

Lines = Mapping[tuple[str | int, ...], int]


def exact_version(spec: str) -> str | None:
    """The version an npm specifier pins exactly, None for a range, a tag or a URL."""
    spec = spec.strip()
    if spec.startswith("npm:"):
        spec = spec.rpartition("@")[2] if "@" in spec[5:] else ""
    m = _EXACT.fullmatch(spec)
    return m.group(1) if m else None


def spec_source(spec: str) -> str:
    """The specifier itself when it names a non-registry origin, else ``""``."""
    spec = spec.strip()
    if spec.startswith(_SOURCE_PREFIXES) or _GITHUB_SHORTHAND.fullmatch(spec):
        return spec
    return ""


def _lock_source(resolved: Any) -> str:
    """A lockfile ``resolved`` that is not a registry tarball (git, file, a path)."""
    if not isinstance(resolved, str) or not resolved:
        return ""
    if resolved.startswith(("http://", "https://")) and resolved.split("#", 1)[0].endswith(".tgz"):
        return ""
    return resolved


class Installed:
    """Descriptions of the installed copies (``<folder>/package.json`` below the parsed file's
    folder, ``node_modules/...``), read offline; nothing when the file was parsed from text alone
    or nothing is installed beside it."""

    def __init__(self, source: Source) -> None:
        self.base: Path | None = None
        if source.root:
            base = Path(source.root) / posixpath.dirname(source.rel)
            if (base / "node_modules").is_dir():
                self.base = base

    def describe(self, folder: str, version: str | None = None) -> str:
        """The description of the package installed at ``folder`` ("" when there is none, or when
        ``version`` is given and another version is installed there)."""
        folder = posixpath.normpath(folder)
        if self.base is None or folder.startswith(("..", "/")):
            return ""
        try:
            text, _ = read_text(self.base / folder / "package.json")
            data = json.loads(text)
        except (PlanvecError, ValueError, RecursionError):
            return ""
        if not isinstance(data, dict) or (version is not None and data.get("version") != version):
            return ""
        desc = data.get("description")
        return " ".join(desc.split())[:300] if isinstance(desc, str) else ""

    def add(self, dep: Dependency, folder: str, same_version: bool = True) -> Dependency:
        """``dep`` with the description of the copy at ``folder`` (of its version, by default)."""
        if self.base is None:
            return dep
        desc = self.describe(folder, dep.version if same_version else None)
        return replace(dep, description=desc) if desc else dep


# --------------------------------------------------------------------------------------------------
# package.json


def declared(data: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (dep_type, specifier) the manifest (or a lockfile's root entry) declares; the first
    section naming a package wins (``dependencies`` before ``devDependencies`` ...)."""
    out: dict[str, tuple[str, str]] = {}
    for section, dep_type in SECTIONS:
        table = data.get(section)
        if isinstance(table, dict):
            for name, spec in table.items():
                if isinstance(spec, str):
                    out.setdefault(name, (dep_type, spec))
    return out


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
    source = _lock_source(entry.get("resolved"))
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
    manifest = _manifest_beside(source)
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
    source = _lock_source(entry.get("resolved"))
    if version is not None and not _EXACT.fullmatch(version):
        source, version = source or version, None  # git / file / link: the "version" is the origin
    group = "bundled" if entry.get("bundled") is True else ""
    return Dependency(
        ECOSYSTEM, name, spec or "", version, _flag_type(entry), spec is not None, line, group, source=source
    )


def _manifest_beside(source: Source) -> dict[str, tuple[str, str]] | None:
    found = beside(source, "package.json")
    if found is None:
        return None
    _, text = found
    data, bad = load_json(Source(found[0], text), "package.json", False)
    return None if bad is not None else declared(data)


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


# --------------------------------------------------------------------------------------------------
# yarn.lock (v1)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1].replace('\\"', '"')
    return text


def _split_spec(entry: str) -> tuple[str, str] | None:
    """``"@scope/a@^1"`` -> ("@scope/a", "^1"); ``a@npm:b@^2`` -> ("a", "npm:b@^2")."""
    at = entry.find("@", 1)
    if at <= 0:
        return None
    return entry[:at], entry[at + 1 :]


class _YarnBlock:
    __slots__ = ("fields", "line", "specs")

    def __init__(self, specs: list[tuple[str, str]], line: int) -> None:
        self.specs = specs
        self.line = line
        self.fields: dict[str, str] = {}


def _yarn_blocks(text: str, rel: str) -> tuple[list[_YarnBlock], list[FileProblem]]:
    blocks: list[_YarnBlock] = []
    problems: list[FileProblem] = []
    current: _YarnBlock | None = None
    for n, raw in enumerate(text.split("\n"), 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip(" "))
        line = raw.strip()
        if indent == 0:
            current = None
            specs = (
                [_split_spec(_unquote(part)) for part in line[:-1].split(",")]
                if line.endswith(":")
                else [None]
            )
            if any(s is None for s in specs):
                problems.append(FileProblem(rel, f"expected a 'name@range:' header, found {line[:80]!r}", n))
                continue
            current = _YarnBlock([s for s in specs if s is not None], n)
            blocks.append(current)
        elif current is not None and indent == 2 and not line.endswith(":"):
            key, _, value = line.partition(" ")
            if not value.strip():
                problems.append(FileProblem(rel, f"expected 'field value', found {line[:80]!r}", n))
                continue
            current.fields[_unquote(key)] = _unquote(value)
        elif current is None and indent == 2:
            problems.append(FileProblem(rel, "a field outside any package entry (ignored)", n))
    return blocks, problems


def _yarn_deps(
    blocks: list[_YarnBlock], manifest: dict[str, tuple[str, str]] | None, rel: str
) -> Iterator[Dependency | FileProblem]:
    for block in blocks:
        version = block.fields.get("version")
        if version is None:
            yield FileProblem(rel, "a package entry without a version (ignored)", block.line)
            continue
        by_name: dict[str, list[str]] = {}
        for name, spec in block.specs:
            by_name.setdefault(name, []).append(spec)
        for name, specs in by_name.items():
            mine = manifest.get(name) if manifest else None
            direct = mine is not None and mine[1] in specs
            dep_type = mine[0] if direct and mine else "runtime"
            source = _lock_source(block.fields.get("resolved")) or next(
                filter(None, map(spec_source, specs)), ""
            )
            yield Dependency(
                ECOSYSTEM, name, " || ".join(specs), version, dep_type, direct, block.line, source=source
            )


def _berry_nodes(source: Source) -> yaml.MappingNode | tuple[str, int | None]:
    """The top mapping of a yarn berry lockfile (YAML), or why it cannot be read and where. The
    base loader keeps every scalar a string: ``version: 1.10`` stays "1.10", not the float 1.1."""
    loader = yaml.BaseLoader(source.text)
    try:
        node = loader.get_single_node()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return f"invalid YAML: {getattr(exc, 'problem', None) or exc}", mark.line + 1 if mark else None
    finally:
        loader.dispose()
    if not isinstance(node, yaml.MappingNode):
        return "a yarn berry lockfile is a mapping of package entries", 1
    return node


def _berry_blocks(top: yaml.MappingNode, rel: str) -> tuple[list[_YarnBlock], list[FileProblem]]:
    blocks, problems = [], []
    for key, value in top.value:
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode) or key.value == "__metadata":
            continue
        specs = [_split_spec(part.strip()) for part in key.value.split(",")]
        if not isinstance(value, yaml.MappingNode) or any(s is None for s in specs):
            problems.append(FileProblem(rel, f"expected a package entry, found {key.value[:80]!r}", line))
            continue
        block = _YarnBlock([(n, r.removeprefix("npm:")) for n, r in filter(None, specs)], line)
        for k, v in value.value:
            if isinstance(k, yaml.ScalarNode) and isinstance(v, yaml.ScalarNode):
                block.fields[k.value] = v.value
        resolution = block.fields.get("resolution", "")
        origin = (
            resolution.partition("@")[2]
            if not resolution.startswith("@")
            else resolution[1:].partition("@")[2]
        )
        if origin.startswith("workspace:"):
            if origin != "workspace:.":  # the project itself is no dependency; its members are links
                block.fields["resolved"] = origin
                blocks.append(block)
            continue
        if not origin.startswith("npm:") and not (origin.startswith("patch:") and "@npm%3A" in origin):
            block.fields["resolved"] = origin  # git, file, portal, link ...: kept as written
        blocks.append(block)
    return blocks, problems


def _yarn_read(source: Source) -> tuple[list[_YarnBlock], list[FileProblem]] | DepFile:
    if not re.search(r"^__metadata:", source.text, re.MULTILINE):
        return _yarn_blocks(source.text, source.rel)
    top = _berry_nodes(source)
    if isinstance(top, tuple):
        return failed(source, "yarn.lock", True, *top)
    return _berry_blocks(top, source.rel)


@guarded("yarn.lock", True)
def parse_yarn_lock(source: Source) -> DepFile:
    read = _yarn_read(source)
    if isinstance(read, DepFile):
        return read
    blocks, problems = read
    manifest = _manifest_beside(source)
    warnings = (
        [] if manifest is not None else ["no package.json beside this yarn.lock: no entry is known as direct"]
    )
    deps: list[Dependency] = []
    for item in _yarn_deps(blocks, manifest, source.rel):
        sort_into(item, deps, problems)
    installed = Installed(source)  # yarn v1 hoists: the copy at the top, when its version matches
    deps = [installed.add(d, f"node_modules/{d.name}") for d in deps]
    return DepFile(
        source.rel, "yarn.lock", True, tuple(deps), warnings=tuple(warnings), problems=tuple(problems)
    )


__all__ = ["exact_version", "parse_package_json", "parse_package_lock", "parse_yarn_lock", "spec_source"]
