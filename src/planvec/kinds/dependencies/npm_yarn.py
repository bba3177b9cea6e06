"""yarn.lock into :class:`DepFile` records.

yarn v1 lockfiles are their own line format with no maintained Python parser, so they are read by
hand: headers ``"a@^1", a@~1.2:`` then indented ``version``/``resolved`` fields (the nested
``dependencies:`` maps of each entry are the entry's own requirements, not the project's). A yarn
berry (v2+) lockfile (``__metadata:``) is YAML, read with PyYAML's node API for the lines; its
``npm:`` protocol is dropped from the ranges, the project's own ``workspace:.`` entry is not a
dependency, other workspaces and non-registry resolutions are kept as ``source``. Direct entries
are those whose name and range the ``package.json`` beside the lockfile declares (none, with a
warning, when there is no such manifest).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import yaml

from ...records import FileProblem
from ..base import Source
from .eco_common import failed, guarded, sort_into
from .npm_common import ECOSYSTEM, Installed, lock_source, manifest_beside, spec_source
from .records import Dependency, DepFile

_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)  # libyaml when PyYAML was built with it


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
            source = lock_source(block.fields.get("resolved")) or next(
                filter(None, map(spec_source, specs)), ""
            )
            yield Dependency(
                ECOSYSTEM, name, " || ".join(specs), version, dep_type, direct, block.line, source=source
            )


def _berry_nodes(source: Source) -> yaml.MappingNode | tuple[str, int | None]:
    """The top mapping of a yarn berry lockfile (YAML), or why it cannot be read and where. The
    base loader keeps every scalar a string: ``version: 1.10`` stays "1.10", not the float 1.1."""
    loader = _LOADER(source.text)
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
    manifest = manifest_beside(source)
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
