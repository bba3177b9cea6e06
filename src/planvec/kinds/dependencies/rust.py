"""Rust (Cargo) manifests and lockfiles into :class:`DepFile` records.

Both files are TOML, read with ``tomllib``; tomllib gives no positions, so :func:`_key_lines`
finds each table header and key in the raw text (once tomllib has accepted it) for the lines.

``Cargo.toml``:

- ``[dependencies]`` runtime (``optional = true``: optional), ``[dev-dependencies]`` dev,
  ``[build-dependencies]`` build, the same under ``[target.'cfg(…)'.…]`` with the cfg (or target
  triple) as ``marker``;
- a dependency is a version requirement string or a table: ``specifier`` is its ``version`` as
  written (``""`` for a git or path dependency without one), ``version`` is set only for an exact
  ``=1.2.3`` requirement (a bare ``1.2.3`` means ``^1.2.3`` to Cargo); ``source`` is
  ``git+URL[?branch=|?tag=|?rev=…]``, ``path:DIR`` or ``registry:NAME``; ``package = "real"``
  renames: the record's name is the crate's real name;
- ``{ workspace = true }`` takes the entry of the workspace root's ``[workspace.dependencies]``: the
  manifest itself when it has ``[workspace]``, else the nearest ``Cargo.toml`` with one in a parent
  folder under the root; none found is a warning and the specifier ``workspace``;
- a root's own ``[workspace.dependencies]`` are records with group "workspace", its ``members``
  globs are ``includes`` (relative to the root); ``[patch]`` and ``[replace]`` are not recorded (a
  warning says so).

``Cargo.lock``: every ``[[package]]`` is a locked dependency (not direct: the lockfile does not say
which are); crates.io's registry is no ``source``, a git or other registry source is kept as
written, a package with no source (a workspace member or a path dependency) has source ``path``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...records import FileProblem
from ..base import Source
from .eco_common import beside, from_root, guarded, load_toml, sort_into
from .records import Dependency, DepFile

ECOSYSTEM = "cargo"
TABLES = (
    ("dependencies", "runtime"),
    ("dev-dependencies", "dev"),
    ("dev_dependencies", "dev"),
    ("build-dependencies", "build"),
    ("build_dependencies", "build"),
)
CRATES_IO = ("registry+https://github.com/rust-lang/crates.io-index", "sparse+https://index.crates.io/")
_KEY_PART = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)""")
_HEADER = re.compile(r"\s*\[(\[)?(.+?)\]?\]\s*(?:#.*)?$")
_EXACT = re.compile(r"=\s*(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)")

KeyLines = dict[tuple[str, ...], int]


def _split_key(text: str) -> tuple[str, ...] | None:
    parts, pos = [], 0
    while pos < len(text):
        m = _KEY_PART.match(text, pos)
        if not m or m.end() == pos:
            return None
        parts.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    return tuple(parts)


def _key_before_equals(line: str) -> str | None:
    """The text before the first ``=`` outside quotes (the key of ``key = value``), if any."""
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == "=":
            return line[:i].strip()
        elif ch == "#":
            return None
    return None


def _key_lines(text: str) -> KeyLines:
    """Line of each table header (its path) and of each key (table path + dotted key parts).
    ``[[array]]`` tables get their index: ``("package", 3)`` is the fourth ``[[package]]``."""
    out: KeyLines = {}
    table: tuple[str, ...] = ()
    arrays: dict[tuple[str, ...], int] = {}
    in_string: str | None = None  # the delimiter of an open multi-line string
    for n, line in enumerate(text.split("\n"), 1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER.match(line) if line.lstrip().startswith("[") else None
        if header:
            path = _split_key(header.group(2).strip())
            if path is not None:
                if header.group(1):
                    arrays[path] = arrays.get(path, -1) + 1
                    path = (*path, str(arrays[path]))
                table = path
                for end in range(1, len(path) + 1):  # [a.b] also defines [a]
                    out.setdefault(path[:end], n)
            continue
        raw_key = _key_before_equals(line)
        key = (_split_key(raw_key) if raw_key else None) or ()
        for end in range(1, len(key) + 1):
            out.setdefault((*table, *key[:end]), n)
        for delim in ('"""', "'''"):
            if line.count(delim) % 2 == 1:
                in_string = delim
                break
    return out


@dataclass(slots=True)
class _Manifest:
    source: Source
    lines: KeyLines
    workspace: Mapping[str, Any] | None  # the root's [workspace.dependencies], None: no root found
    warnings: list[str] = field(default_factory=list)
    no_root_warned: bool = False

    def line(self, *path: str) -> int:
        for end in range(len(path), 0, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


def exact_version(spec: str) -> str | None:
    """The version a Cargo requirement pins exactly (``=1.2.3``); a bare ``1.2.3`` is ``^1.2.3``."""
    m = _EXACT.fullmatch(spec.strip())
    return m.group(1) if m else None


def _origin(table: Mapping[str, Any]) -> str:
    if isinstance(table.get("git"), str):
        for ref in ("branch", "tag", "rev"):
            if isinstance(table.get(ref), str):
                return f"git+{table['git']}?{ref}={table[ref]}"
        return f"git+{table['git']}"
    if isinstance(table.get("path"), str):
        return f"path:{table['path']}"
    if isinstance(table.get("registry"), str):
        return f"registry:{table['registry']}"
    return ""


def _inherit(m: _Manifest, key: str, spec: dict[str, Any], where: tuple[str, ...]) -> dict[str, Any] | None:
    """The workspace entry ``key`` merged under this manifest's own keys, None when there is none."""
    if m.workspace is None:
        if not m.no_root_warned:
            m.warnings.append("no workspace root (a parent Cargo.toml with [workspace]) found under the root")
            m.no_root_warned = True
        return None
    entry = m.workspace.get(key)
    if entry is None:
        m.warnings.append(
            f"line {m.line(*where, key)}: {key} = {{ workspace = true }} but the workspace root has no {key}"
        )
        return None
    base = {"version": entry} if isinstance(entry, str) else dict(entry) if isinstance(entry, dict) else {}
    return {**base, **{k: v for k, v in spec.items() if k != "workspace"}}


def _crate(
    m: _Manifest, key: str, spec: Any, dep_type: str, where: tuple[str, ...], marker: str, group: str
) -> Dependency | FileProblem:
    line = m.line(*where, key)
    if isinstance(spec, str):
        spec = {"version": spec}
    if not isinstance(spec, dict):
        return FileProblem(
            m.source.rel, f"{key}: a dependency is a version string or a table (ignored)", line
        )
    specifier: str | None = None
    if spec.get("workspace") is True:
        merged = _inherit(m, key, spec, where)
        specifier = "workspace" if merged is None else None
        spec = merged or spec
    name = spec.get("package") if isinstance(spec.get("package"), str) else key
    version = spec.get("version")
    if specifier is None:
        specifier = version if isinstance(version, str) else ""
    kind = "optional" if spec.get("optional") is True and dep_type == "runtime" else dep_type
    return Dependency(
        ECOSYSTEM, name, specifier, exact_version(specifier), kind, True, line, group, marker, _origin(spec)
    )


def _tables(m: _Manifest, data: Mapping[str, Any]) -> Iterator[Dependency | FileProblem]:
    scopes: list[tuple[tuple[str, ...], Mapping[str, Any], str]] = [((), data, "")]
    targets = data.get("target")
    if isinstance(targets, dict):
        scopes += [(("target", cfg), t, cfg) for cfg, t in targets.items() if isinstance(t, dict)]
    for prefix, scope, marker in scopes:
        for table_name, dep_type in TABLES:
            table = scope.get(table_name)
            if table is None:
                continue
            where = (*prefix, table_name)
            if not isinstance(table, dict):
                yield FileProblem(
                    m.source.rel, f"[{'.'.join(where)}] is not a table (ignored)", m.line(*where)
                )
                continue
            for key, spec in table.items():
                yield _crate(m, key, spec, dep_type, where, marker, "")


def _workspace_of(source: Source, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``[workspace.dependencies]`` of this manifest's workspace root, None when none is found."""
    if isinstance(data.get("workspace"), dict):
        deps = data["workspace"].get("dependencies")
        return deps if isinstance(deps, dict) else {}
    for up in range(1, source.rel.count("/") + 1):
        found = beside(source, "../" * up + "Cargo.toml")
        if found is None:
            continue
        try:
            root = tomllib.loads(found[1])
        except tomllib.TOMLDecodeError:
            continue
        if isinstance(root.get("workspace"), dict):
            deps = root["workspace"].get("dependencies")
            return deps if isinstance(deps, dict) else {}
    return None


def _own_workspace(m: _Manifest, data: Mapping[str, Any]) -> tuple[list[Dependency | FileProblem], list[str]]:
    ws = data.get("workspace")
    if not isinstance(ws, dict):
        return [], []
    items: list[Dependency | FileProblem] = []
    deps = ws.get("dependencies")
    if isinstance(deps, dict):
        plain = _Manifest(m.source, m.lines, {})  # a root's own entries inherit nothing
        items = [
            _crate(plain, k, v, "runtime", ("workspace", "dependencies"), "", "workspace")
            for k, v in deps.items()
        ]
    members = ws.get("members")
    globs = (
        [from_root(m.source, g) for g in members if isinstance(g, str)] if isinstance(members, list) else []
    )
    return items, globs


@guarded("Cargo.toml", False)
def parse_cargo_toml(source: Source) -> DepFile:
    data, bad = load_toml(source, "Cargo.toml", False)
    if bad is not None:
        return bad
    m = _Manifest(source, _key_lines(source.text), _workspace_of(source, data))
    deps: list[Dependency] = []
    problems: list[FileProblem] = []
    for item in _tables(m, data):
        sort_into(item, deps, problems)
    ws_items, includes = _own_workspace(m, data)
    for item in ws_items:
        sort_into(item, deps, problems)
    for section in ("patch", "replace"):
        if section in data:
            m.warnings.append(f"line {m.line(section)}: [{section}] overrides are not recorded")
    package = data.get("package")
    name = package.get("name") if isinstance(package, dict) else None
    return DepFile(
        source.rel,
        "Cargo.toml",
        False,
        tuple(deps),
        project=name if isinstance(name, str) else "",
        includes=tuple(includes),
        warnings=tuple(m.warnings),
        problems=tuple(problems),
    )


@guarded("Cargo.lock", True)
def parse_cargo_lock(source: Source) -> DepFile:
    data, bad = load_toml(source, "Cargo.lock", True)
    if bad is not None:
        return bad
    lines = _key_lines(source.text)
    packages = data.get("package", [])
    if not isinstance(packages, list):
        return DepFile(
            source.rel,
            "Cargo.lock",
            True,
            problems=(FileProblem(source.rel, "package is not an array of tables", 1),),
        )
    deps, problems = [], []
    for i, entry in enumerate(packages):
        line = lines.get(("package", str(i)), 1)
        if not isinstance(entry, dict):
            problems.append(FileProblem(source.rel, "a package entry that is not a table (ignored)", line))
            continue
        name, version = entry.get("name"), entry.get("version")
        if not isinstance(name, str) or not isinstance(version, str):
            problems.append(
                FileProblem(source.rel, "a [[package]] without a name or a version (ignored)", line)
            )
            continue
        origin = entry.get("source")
        src = "path" if not isinstance(origin, str) else "" if origin.startswith(CRATES_IO) else origin
        deps.append(Dependency(ECOSYSTEM, name, "", version, "runtime", False, line, source=src))
    return DepFile(source.rel, "Cargo.lock", True, tuple(deps), problems=tuple(problems))
