"""Configuration files (YAML, JSON, TOML, ``.env``, INI, docker-compose, Kubernetes manifests) into
:class:`SchemaFile` records.

One ``config_file`` element per file (name = the file's path; its top-level scalar keys in
``attributes["keys"]``) and one ``config_section`` per top-level section, named ``path#section``:
a top-level key holding a mapping or a list (YAML, JSON, TOML tables); a ``[section]`` (INI); a
Kubernetes object (``path#Deployment/auth-server``, one per YAML document); a docker-compose
service (``path#services.web``, with its image, ports and environment); a block of a ``.env`` file
(lines up to a blank line, named by the comment heading it, else by its first key). A section's
``attributes["keys"]`` holds its flattened ``key: value`` pairs (values cut at 200 characters),
``attributes["key_lines"]`` their lines, and its description is a short text of the keys for
embedding. Values are redacted by key name (:mod:`.config_keys`) before they reach any record; a
Kubernetes ``Secret``'s ``data`` and ``stringData`` are redacted whole.

Libraries: YAML and JSON through :mod:`.positions` (lines per key), TOML ``tomllib`` and INI
``configparser`` (lines found by searching the text: neither gives them), ``.env`` python-dotenv's
parser (its lines). A ``ConfigMap`` value under a ``*.yaml``/``*.json`` key is parsed too, so the
configuration it carries is searchable and redacted key by key. Comments and trailing commas are
allowed where the convention has them (``*.jsonc``, ``tsconfig*.json``, ``.vscode/*.json``).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import PurePosixPath
from typing import Any

from ...records import FileProblem
from ..base import Source
from .config_keys import Flat, LineOf, flatten, scalar, secret_for
from .config_sources import Section, dotenv_sections, ini_sections
from .positions import Doc, PositionError, bounded, load_json, load_yaml_all
from .records import Element, SchemaFile

_DESCRIPTION = 600  # characters of a section's description
_SHORT_VALUE = 40  # values up to this long are part of the description


def syntax_of(rel: str) -> str:
    """``yaml``, ``json``, ``toml``, ``env``, ``ini`` by the file's name, "" when none."""
    name = PurePosixPath(rel).name.lower()
    if name == ".env" or name.startswith(".env.") or name.endswith(".env"):
        return "env"
    suffix = PurePosixPath(name).suffix
    return {
        ".yaml": "yaml",
        ".yml": "yaml",
        ".json": "json",
        ".jsonc": "json",
        ".toml": "toml",
        ".ini": "ini",
        ".cfg": "ini",
        ".conf": "ini",
    }.get(suffix, "")


def looks_like(rel: str, text: str) -> bool:
    """A configuration file by its name (lockfiles excluded: they are data, not configuration)."""
    name = PurePosixPath(rel).name.lower()
    return bool(syntax_of(rel)) and not name.endswith(("-lock.json", ".lock", "lock.yaml"))


@bounded("config")
def parse_config(source: Source) -> SchemaFile:
    rel = source.rel
    syntax = syntax_of(rel)
    problems: list[FileProblem] = []
    top = Flat()
    sections: list[Section] = []
    flavor = ""
    if syntax in ("yaml", "json"):
        flavor = _structured(source, syntax, top, sections, problems)
    elif syntax == "toml":
        _toml(source, top, sections, problems)
    elif syntax == "env":
        sections = dotenv_sections(source.text, problems, rel)
    elif syntax == "ini":
        sections = ini_sections(source.text, problems, rel)
    else:
        reason = "not a configuration format planvec reads (YAML, JSON, TOML, .env, INI)"
        return SchemaFile(rel, "config", problems=(FileProblem(rel, reason),))
    if problems and not sections and not top.keys:
        # Nothing could be read: the file is a problem, its points from a previous run are kept.
        return SchemaFile(rel, "config", problems=tuple(problems))
    return _file(rel, syntax, flavor, top, sections, problems)


def _file(
    rel: str, syntax: str, flavor: str, top: Flat, sections: list[Section], problems: list[FileProblem]
) -> SchemaFile:
    names = _unique([s.key for s in sections])
    file_attributes: dict[str, Any] = {"syntax": syntax, "sections": [f"{rel}#{n}" for n in names]}
    if flavor:
        file_attributes["flavor"] = flavor
    if top.keys:
        file_attributes.update(keys=top.keys, key_lines=top.lines)
    what = f"{flavor or syntax} configuration file {rel}"
    parts = [what, f"sections: {', '.join(names)}" if names else "", _key_text(top)]
    elements = [
        Element(
            "config_file",
            rel,
            "config",
            1,
            type=syntax,
            description=_cut(". ".join(p for p in parts if p)),
            attributes=file_attributes,
        )
    ]
    warnings = []
    for section, name in zip(sections, names, strict=True):
        attributes = {**section.attributes, "keys": section.flat.keys, "key_lines": section.flat.lines}
        if section.flat.dropped:
            kept = len(section.flat.keys)
            warnings.append(f"section {name}: {section.flat.dropped} keys past the first {kept} not kept")
        elements.append(
            Element(
                "config_section",
                f"{rel}#{name}",
                "config",
                section.line,
                type=flavor or syntax,
                description=_cut(". ".join(p for p in (section.title, _key_text(section.flat)) if p)),
                parent=rel,
                attributes=attributes,
            )
        )
    return SchemaFile(rel, "config", tuple(elements), warnings=tuple(warnings), problems=tuple(problems))


def _unique(keys: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
        out.append(key if seen[key] == 1 else f"{key}@{seen[key]}")
    return out


def _key_text(flat: Flat) -> str:
    parts = [f"{k}={v}" if len(v) <= _SHORT_VALUE else k for k, v in flat.keys.items()]
    return f"keys: {'; '.join(parts)}" if parts else ""


def _cut(text: str) -> str:
    return text if len(text) <= _DESCRIPTION else text[: _DESCRIPTION - 1] + "…"


# --- YAML and JSON ------------------------------------------------------------------------------


def _structured(
    source: Source, syntax: str, top: Flat, sections: list[Section], problems: list[FileProblem]
) -> str:
    """Sections of a YAML stream or a JSON document; returns the flavor (kubernetes, docker-compose)."""
    if syntax == "json":
        try:
            docs = [load_json(source.text, comments=_jsonc(source.rel))]
        except PositionError as err:
            problems.append(FileProblem(source.rel, err.reason, err.line))
            return ""
    else:
        docs, error = load_yaml_all(source.text)
        if error is not None:
            problems.append(FileProblem(source.rel, error.reason, error.line))
    flavors = set()
    many = len(docs) > 1
    for i, doc in enumerate(docs, start=1):
        suffix = f"@{i}" if many and i > 1 else ""
        flavors.add(_document(source.rel, doc, suffix, top, sections))
    flavors.discard("")
    return "kubernetes" if "kubernetes" in flavors else next(iter(flavors), "")


def _document(rel: str, doc: Doc, suffix: str, top: Flat, sections: list[Section]) -> str:
    """Sections of one document into ``sections``, its top-level scalars into ``top``; its flavor."""
    data = doc.data
    line_of: LineOf = doc.line_at
    if data is None:
        return ""
    if _is_k8s(data):
        sections.append(_k8s(data, doc))
        return "kubernetes"
    if isinstance(data, list):
        for i, item in enumerate(data):
            label = (
                item.get("name") if isinstance(item, dict) and isinstance(item.get("name"), str) else f"[{i}]"
            )
            flat = Flat()
            flatten(item, flat, line_of, "", (i,), embedded=_embedded)
            sections.append(Section(f"{label}{suffix}", f"item {label}", doc.line_at((i,)), flat))
        return ""
    if not isinstance(data, dict):
        top.put(f"document{suffix or '@1'}", scalar(data, False), doc.line)
        return ""
    compose = _is_compose(rel, data)
    for key, value in data.items():
        if compose and key == "services" and isinstance(value, dict):
            sections.extend(_service(name, svc, doc, suffix) for name, svc in value.items())
        elif isinstance(value, dict | list):
            flat = Flat()
            # A list's items have no keys of their own: they are keys under the list's name.
            prefix = str(key) if isinstance(value, list) else ""
            flatten(value, flat, line_of, prefix, (key,), secret=secret_for(key, value), embedded=_embedded)
            sections.append(Section(f"{key}{suffix}", str(key), doc.line_at((key,)), flat))
        else:
            flatten(value, top, line_of, f"{key}{suffix}", (key,), secret=secret_for(key, value))
    return "docker-compose" if compose else ""


def _jsonc(rel: str) -> bool:
    """JSON files that allow comments by convention (TypeScript, VS Code, dev containers)."""
    path = PurePosixPath(rel.lower())
    return (
        path.suffix == ".jsonc"
        or path.name.startswith(("tsconfig", "jsconfig"))
        or ".vscode" in path.parts
        or path.name in ("devcontainer.json", ".devcontainer.json")
    )


def _is_k8s(data: Any) -> bool:
    return (
        isinstance(data, dict)
        and isinstance(data.get("apiVersion"), str)
        and isinstance(data.get("kind"), str)
    )


def _k8s(data: dict[str, Any], doc: Doc) -> Section:
    kind = data["kind"]
    meta: dict[str, Any] = data["metadata"] if isinstance(data.get("metadata"), dict) else {}
    name = str(meta.get("name") or meta.get("generateName") or "")
    namespace = str(meta.get("namespace") or "")
    flat = Flat()
    for key, value in data.items():
        hidden = secret_for(key, value) or (kind == "Secret" and key in ("data", "stringData"))
        flatten(value, flat, doc.line_at, str(key), (key,), secret=hidden, embedded=_embedded)
    title = f"Kubernetes {kind} {name}" + (f" in namespace {namespace}" if namespace else "")
    attributes = {"kind": kind, "api_version": data["apiVersion"], "k8s_name": name, "namespace": namespace}
    return Section(f"{kind}/{name}", title, doc.line, flat, attributes)


def _is_compose(rel: str, data: dict[str, Any]) -> bool:
    name = PurePosixPath(rel).name.lower()
    if re.match(r"(docker-)?compose([.-].*)?\.ya?ml$", name):
        return True
    services = data.get("services")
    return isinstance(services, dict) and any(
        isinstance(s, dict) and ("image" in s or "build" in s) for s in services.values()
    )


def _service(name: Any, svc: Any, doc: Doc, suffix: str) -> Section:
    path = ("services", name)
    flat = Flat()
    flatten(svc, flat, doc.line_at, "", path, embedded=_embedded)
    attributes: dict[str, Any] = {"service": str(name)}
    if isinstance(svc, dict):
        if svc.get("image") is not None:
            attributes["image"] = scalar(svc["image"], False)
        if isinstance(svc.get("ports"), list):
            attributes["ports"] = [scalar(p, False) for p in svc["ports"] if not isinstance(p, dict | list)]
        env = [k.split(".", 1)[1] for k in flat.keys if k.startswith("environment.")]
        if env:
            attributes["environment"] = {k: flat.keys[f"environment.{k}"] for k in env}
    image = f" (image {attributes['image']})" if "image" in attributes else ""
    return Section(
        f"services.{name}{suffix}",
        f"docker-compose service {name}{image}",
        doc.line_at(path),
        flat,
        attributes,
    )


def _embedded(key: str, text: str) -> tuple[Any, LineOf] | None:
    """A ``*.yaml`` / ``*.yml`` / ``*.json`` value (ConfigMap data) parsed, with its lines."""
    lower = key.lower()
    try:
        if lower.endswith(".json"):
            doc = load_json(text)
        elif lower.endswith((".yaml", ".yml")):
            docs, error = load_yaml_all(text)
            if error is not None or len(docs) != 1:
                return None
            doc = docs[0]
        else:
            return None
    except PositionError:
        return None
    return (doc.data, doc.line_at) if isinstance(doc.data, dict | list) else None


# --- TOML ---------------------------------------------------------------------------------------


def _toml(source: Source, top: Flat, sections: list[Section], problems: list[FileProblem]) -> None:
    try:
        data = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as err:
        found = re.search(r"at line (\d+)", str(err))
        problems.append(FileProblem(source.rel, f"invalid TOML: {err}", int(found[1]) if found else None))
        return
    lines = source.text.split("\n")
    headers = _headers(lines)
    for key, value in data.items():
        if isinstance(value, dict) or (
            isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        ):
            start = _toml_line(lines, key, 0)
            flat = Flat()
            prefix = str(key) if isinstance(value, list) else ""
            flatten(
                value,
                flat,
                _toml_lines(lines, key, start, headers),
                prefix,
                (key,),
                secret=secret_for(key, value),
            )
            sections.append(Section(str(key), str(key), start or 1, flat))
        else:
            flatten(
                value,
                top,
                _toml_lines(lines, key, _toml_line(lines, key, 0), headers),
                str(key),
                (key,),
                secret=secret_for(key, value),
            )


def _toml_line(lines: list[str], key: Any, start: int) -> int | None:
    """The first line from ``start`` (0-based) that defines ``key``: ``[key]``, ``[[key]]``,
    ``[key.sub]``, ``key =`` or ``key.sub =`` (quoted or bare), as a 1-based line."""
    k = re.escape(str(key))
    pattern = re.compile(rf'^\s*(\[\[?\s*)?["\']?{k}["\']?\s*(\.|=|\]|$)')
    for i in range(start, len(lines)):
        if pattern.match(lines[i]):
            return i + 1
    return None


def _nth_table(lines: list[str], section: Any, n: int) -> int | None:
    header = re.compile(rf'^\s*\[\[\s*["\']?{re.escape(str(section))}["\']?\s*\]\]')
    seen = [i + 1 for i, line in enumerate(lines) if header.match(line)]
    return seen[n] if n < len(seen) else None


_TOML_HEADER = re.compile(r"^\s*\[\[?\s*(.+?)\s*\]\]?\s*(#.*)?$")
_TOML_KEY_PART = re.compile(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|([A-Za-z0-9_-]+)')


def _headers(lines: list[str]) -> dict[tuple[str, ...], int]:
    """Each table header's dotted key (``[tool."my.x"]`` -> ``("tool", "my.x")``) -> its first line."""
    out: dict[tuple[str, ...], int] = {}
    for i, line in enumerate(lines):
        match = _TOML_HEADER.match(line)
        if match:
            parts = tuple(
                next(g for g in m.groups() if g is not None) for m in _TOML_KEY_PART.finditer(match[1])
            )
            out.setdefault(parts, i + 1)
    return out


def _toml_lines(
    lines: list[str], section: Any, start: int | None, headers: dict[tuple[str, ...], int]
) -> LineOf:
    """Lines of a top-level table's keys: the deepest ``[table.header]`` on the key's path, then
    each remaining key searched for after it."""

    def line_of(path: tuple[Any, ...]) -> int | None:
        if len(path) > 1 and isinstance(path[1], int):  # the n-th [[section]]
            found = _nth_table(lines, section, path[1]) or start
            keys = [str(k) for k in path[2:] if not isinstance(k, int)]
        else:
            keys = [str(k) for k in path if not isinstance(k, int)]
            depth = next((n for n in range(len(keys), 1, -1) if tuple(keys[:n]) in headers), 1)
            found = headers[tuple(keys[:depth])] if depth > 1 else start
            keys = keys[depth:]
        for key in keys:
            found = _toml_line(lines, key, (found or 1) - 1) or found
        return found

    return line_of
