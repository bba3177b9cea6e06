"""Pipenv's ``Pipfile`` (TOML, ``tomllib``) and ``Pipfile.lock`` (JSON, ``json``) into dependencies.

``[packages]`` / ``default`` are runtime, ``[dev-packages]`` / ``develop`` dev; other categories
(Pipenv's custom package categories) are dev with the category as group.
"""

from __future__ import annotations

import json
from typing import Any

from packaging.markers import InvalidMarker, Marker
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from ..base import Source
from .python_common import (
    PYPI,
    Collected,
    Req,
    TomlLines,
    check_specifier,
    exact_version,
    extras_of,
    first_line,
    load_toml,
    spec_text,
)
from .records import Dependency, DepFile

_NOT_PACKAGES = frozenset(("source", "requires", "pipenv", "scripts"))
# Pipfile tables may name a marker variable as a key: ``{sys_platform = "== 'linux'"}``.
_MARKER_KEYS = frozenset(
    [
        "os_name",
        "sys_platform",
        "platform_machine",
        "platform_python_implementation",
        "platform_release",
        "platform_system",
        "platform_version",
        "python_version",
        "python_full_version",
        "implementation_name",
        "implementation_version",
    ]
)


def _section_type(section: str, lock: bool) -> tuple[str, str]:
    """(dep_type, group) of a Pipfile table or Pipfile.lock section."""
    if section == ("default" if lock else "packages"):
        return "runtime", ""
    if section == ("develop" if lock else "dev-packages"):
        return "dev", ""
    return "dev", section


def _specifier(text: str) -> str:
    """A Pipfile version (``*``, ``==1.2``, a bare ``1.2``) as a PEP 440 specifier; ValueError."""
    text = text.strip()
    if text in ("", "*"):
        return ""
    spec = check_specifier(text)
    if isinstance(spec, str):
        try:
            return f"=={Version(text)}"
        except InvalidVersion:
            raise ValueError(spec) from None
    return spec_text(spec)


def _marker(table: dict[str, Any]) -> str:
    parts = [str(table["markers"])] if table.get("markers") else []
    parts += [f"{k} {v}" for k, v in table.items() if k in _MARKER_KEYS and isinstance(v, str)]
    text = parts[0] if len(parts) == 1 else " and ".join(f"({p})" for p in parts)
    if not text:
        return ""
    try:
        return str(Marker(text))
    except InvalidMarker as exc:
        raise ValueError(f"invalid markers {text!r}: {first_line(str(exc))}") from None


def _origin(table: dict[str, Any]) -> str:
    prefix = "-e " if table.get("editable") else ""
    if table.get("git"):
        ref = table.get("ref")
        return f"{prefix}git+{table['git']}" + (f"@{ref}" if ref else "")
    for key in ("path", "file"):
        if table.get(key):
            return f"{prefix}{table[key]}"
    return ""


def pipenv_req(name: str, value: Any) -> Req:
    """One Pipfile / Pipfile.lock entry (a version string or a table); ValueError when unusable."""
    table = {"version": value} if isinstance(value, str) else value
    if not isinstance(table, dict):
        raise ValueError(f"{name!r}: expected a version string or a table")
    try:
        spec = _specifier(str(table.get("version", "")))
        marker, extras = _marker(table), extras_of(table)
    except ValueError as exc:
        raise ValueError(f"{name!r}: {exc}") from None
    checked = check_specifier(spec)
    version = exact_version(checked) if not isinstance(checked, str) else None
    return Req(canonicalize_name(name), spec, version, marker, extras, _origin(table))


def parse_pipfile(source: Source) -> DepFile:
    data = load_toml(source.text, source.rel)
    if not isinstance(data, dict):
        return DepFile(source.rel, "Pipfile", False, warnings=source.warnings, problems=(data,))
    lines = TomlLines(source.text)
    out = Collected(source.rel)
    for section, table in data.items():
        if section in _NOT_PACKAGES or not isinstance(table, dict):
            continue
        dep_type, group = _section_type(section, lock=False)
        for name, value in table.items():
            line = lines.locate([section, name]) + 1
            try:
                out.deps.append(pipenv_req(name, value).dep(dep_type, line, group))
            except ValueError as exc:
                out.problem(str(exc), line)
    return DepFile(
        source.rel,
        "Pipfile",
        False,
        dependencies=tuple(out.deps),
        warnings=source.warnings,
        problems=tuple(out.problems),
    )


def _lock_dep(req: Req, dep_type: str, line: int, group: str) -> Dependency:
    return Dependency(
        PYPI,
        req.name,
        req.specifier,
        req.version,
        dep_type,
        False,
        line,
        group,
        req.marker,
        req.source,
        extras=req.extras,
    )


def parse_pipfile_lock(source: Source) -> DepFile:
    out = Collected(source.rel)
    try:
        data = json.loads(source.text)
    except json.JSONDecodeError as exc:
        out.problem(f"invalid JSON: {exc.msg}", exc.lineno)
        problems = tuple(out.problems)
        return DepFile(source.rel, "Pipfile.lock", True, warnings=source.warnings, problems=problems)
    if not isinstance(data, dict):
        out.problem("Pipfile.lock must be a JSON object", 1)
        data = {}
    lines = source.text.split("\n")
    for section, table in data.items():
        if section == "_meta" or not isinstance(table, dict):
            continue
        dep_type, group = _section_type(section, lock=True)
        at = next((i for i, ln in enumerate(lines) if f'"{section}"' in ln), 0)
        for name, value in table.items():
            # json keeps no positions: the line is the next ``"name": {`` after the previous entry.
            found = _find(lines, at, f'"{name}": {{') or _find(lines, at, f'"{name}"')
            at = found - 1 if found else at
            try:
                out.deps.append(_lock_dep(pipenv_req(name, value), dep_type, found or at + 1, group))
            except ValueError as exc:
                out.problem(str(exc), found or at + 1)
    return DepFile(
        source.rel,
        "Pipfile.lock",
        True,
        dependencies=tuple(out.deps),
        warnings=source.warnings,
        problems=tuple(out.problems),
    )


def _find(lines: list[str], start: int, needle: str) -> int | None:
    """1-based line of the first line at or after ``start`` (0-based) holding ``needle``."""
    return next((i + 1 for i in range(start, len(lines)) if needle in lines[i]), None)
