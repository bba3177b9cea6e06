"""``pyproject.toml`` into dependencies: PEP 621 ``[project]`` dependencies and optional-dependencies,
PEP 735 ``[dependency-groups]`` (``include-group`` followed), ``[build-system] requires`` and
Poetry's ``[tool.poetry]`` tables. ``tomllib`` parses; lines are found in the raw text
(:class:`~.python_common.TomlLines`)."""

from __future__ import annotations

from typing import Any

from packaging.utils import canonicalize_name

from ..base import Source
from .python_common import Collected, Cursor, TomlLines, load_toml, parse_pep508
from .python_poetry import poetry_dependency
from .records import DepFile


def parse_pyproject(source: Source) -> DepFile:
    data = load_toml(source.text, source.rel)
    if not isinstance(data, dict):
        return DepFile(source.rel, "pyproject", False, warnings=source.warnings, problems=(data,))
    lines = TomlLines(source.text)
    out = Collected(source.rel)
    project = _table(out, lines, data, ["project"])
    _pep508_list(out, lines, ["project", "dependencies"], project.get("dependencies"), "runtime", "")
    dynamic = project.get("dynamic")
    if isinstance(dynamic, list) and "dependencies" in dynamic:
        out.warnings.append("[project] dependencies are dynamic (declared by the build backend)")
    for extra, items in _table(out, lines, project, ["project", "optional-dependencies"]).items():
        _pep508_list(out, lines, ["project", "optional-dependencies", extra], items, "optional", extra)
    _dependency_groups(out, lines, _table(out, lines, data, ["dependency-groups"]))
    build = _table(out, lines, data, ["build-system"])
    _pep508_list(out, lines, ["build-system", "requires"], build.get("requires"), "build", "")
    poetry = _table(out, lines, _table(out, lines, data, ["tool"]), ["tool", "poetry"])
    _poetry(out, lines, poetry)
    name = project.get("name") or poetry.get("name") or ""
    return DepFile(
        source.rel,
        "pyproject",
        False,
        dependencies=tuple(out.deps),
        project=canonicalize_name(name) if isinstance(name, str) and name else "",
        warnings=(*source.warnings, *out.warnings),
        problems=tuple(out.problems),
    )


def _table(out: Collected, lines: TomlLines, parent: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """The table at the last of ``keys`` under ``parent`` ({} when absent; a problem when it is not
    a table)."""
    value = parent.get(keys[-1], {})
    if isinstance(value, dict):
        return value
    out.problem(f"{'.'.join(keys)} must be a table", lines.locate(keys) + 1)
    return {}


def _pep508_list(
    out: Collected, lines: TomlLines, keys: list[str], items: Any, dep_type: str, group: str
) -> None:
    if items is None:
        return
    if not isinstance(items, list):
        out.problem(f"{'.'.join(keys)} must be a list of requirement strings", lines.locate(keys) + 1)
        return
    cursor = Cursor(lines, keys)
    for item in items:
        if not isinstance(item, str):
            out.problem(f"{'.'.join(keys)}: {item!r} is not a requirement string", cursor.line())
            continue
        line = cursor.line(f'"{item}"', f"'{item}'", item)
        found = parse_pep508(item)
        if isinstance(found, str):
            out.problem(found, line)
        else:
            out.deps.append(found.dep(dep_type, line, group))


def _dependency_groups(out: Collected, lines: TomlLines, groups: dict[str, Any]) -> None:
    """PEP 735 groups (dev dependencies, group = the group's name); an ``{include-group = "x"}``
    adds x's dependencies on the include's line."""
    names: dict[str, str] = {canonicalize_name(k): k for k in groups}
    for key in groups:
        _group(out, lines, groups, names, (key,), None)


def _group(
    out: Collected,
    lines: TomlLines,
    groups: dict[str, Any],
    names: dict[str, str],
    stack: tuple[str, ...],
    via: int | None,
) -> None:
    """Dependencies of group ``stack[-1]`` for group ``stack[0]``; problems of an entry are reported
    once, when its group is walked for itself (``via`` None), a loop once per include line."""
    keys = ["dependency-groups", stack[-1]]
    items = groups[stack[-1]]
    if not isinstance(items, list):
        if via is None:
            out.problem(f"dependency group {stack[-1]!r} must be a list", lines.locate(keys) + 1)
        return
    cursor = Cursor(lines, keys)
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("include-group"), str):
            line = cursor.line("include-group")
            target = names.get(canonicalize_name(item["include-group"]))
            if target is None and via is None:
                out.problem(f"include-group {item['include-group']!r}: no such dependency group", line)
            elif target in stack:
                reason = f"include-group loop: {' -> '.join([*stack, str(target)])}"
                if not any(p.line == line and p.reason.startswith("include-group") for p in out.problems):
                    out.problem(reason, line)
            elif target is not None:
                _group(out, lines, groups, names, (*stack, target), via if via is not None else line)
            continue
        if not isinstance(item, str):
            if via is None:
                out.problem(f"dependency group {stack[-1]!r}: {item!r} is not a requirement", cursor.line())
            continue
        line = cursor.line(f'"{item}"', f"'{item}'", item)
        found = parse_pep508(item)
        if isinstance(found, str):
            if via is None:
                out.problem(found, line)
        else:
            out.deps.append(found.dep("dev", via if via is not None else line, stack[0]))


def _poetry(out: Collected, lines: TomlLines, poetry: dict[str, Any]) -> None:
    """``[tool.poetry.dependencies]`` (runtime; ``optional = true``: optional, group = the extras that
    list it), ``[tool.poetry.dev-dependencies]`` and ``[tool.poetry.group.<g>.dependencies]`` (dev
    unless g is main)."""
    base = ["tool", "poetry"]
    extras: dict[str, list[str]] = {}
    for extra, members in _table(out, lines, poetry, [*base, "extras"]).items():
        for member in members if isinstance(members, list) else ():
            extras.setdefault(canonicalize_name(str(member)), []).append(extra)
    _poetry_table(out, lines, [*base, "dependencies"], poetry, "runtime", "", extras)
    _poetry_table(out, lines, [*base, "dev-dependencies"], poetry, "dev", "dev", extras)
    for name, group in _table(out, lines, poetry, [*base, "group"]).items():
        if not isinstance(group, dict):
            out.problem(f"tool.poetry.group.{name} must be a table", lines.locate([*base, "group", name]) + 1)
            continue
        keys = [*base, "group", name, "dependencies"]
        _poetry_table(out, lines, keys, group, "runtime" if name == "main" else "dev", name, extras)


def _poetry_table(
    out: Collected,
    lines: TomlLines,
    keys: list[str],
    parent: dict[str, Any],
    dep_type: str,
    group: str,
    extras: dict[str, list[str]],
) -> None:
    for name, value in _table(out, lines, parent, keys).items():
        line = lines.locate([*keys, name]) + 1
        found = poetry_dependency(name, value)
        for reason in found.problems:
            out.problem(reason, line)
        out.warnings.extend(found.warnings)
        for req, optional in found.reqs:
            if optional and dep_type == "runtime":
                out.deps.append(req.dep("optional", line, ",".join(extras.get(req.name, ()))))
            else:
                out.deps.append(req.dep(dep_type, line, group))
