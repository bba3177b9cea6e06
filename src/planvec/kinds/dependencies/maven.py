"""Maven POMs into :class:`DepFile` records.

The POM is read with defusedxml's SAX driver (``DefusedExpatParser``): entity declarations (the
"billion laughs" bomb) and external references (XXE) are refused, and the SAX locator gives the
line of every start tag, which ElementTree does not keep. The handler builds a small tree of
elements (local names: a namespace prefix is dropped) with their lines.

What becomes a record (``name`` is ``groupId:artifactId``, ``line`` the line of its element):

- ``<dependencies>``: scope ``compile``/``runtime`` -> runtime, ``test`` -> dev, ``provided`` and
  ``system`` -> build (on the compile class path, not shipped with the artifact), ``<optional>true``
  -> optional (test wins over optional); a version left to ``<dependencyManagement>`` takes the
  managed version of this file;
- ``<dependencyManagement>`` entries: group "managed" (constraints, not dependencies of their own);
- ``<build><plugins>`` (group "plugin") and ``<pluginManagement>`` (group "managed-plugin"), type
  build, ``groupId`` defaulting to ``org.apache.maven.plugins``; a plugin's own dependencies too;
- ``<parent>``: type build, group "parent";
- the same inside ``<profiles><profile>``, the group prefixed by ``profile:<id>``.

``${name}`` is interpolated from ``<properties>``, ``project.*``/``pom.*`` (groupId, artifactId,
version, falling back to the parent's) and ``project.parent.*``; a property this file does not
define stays as written and is a warning. ``specifier`` is the version as declared (after
interpolation); ``version`` is set for a plain version (Maven's "soft" requirement, the one it
picks unless mediation finds another) and for a hard pin ``[1.2.3]``, not for a range.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from xml.sax import SAXParseException
from xml.sax.handler import ContentHandler
from xml.sax.xmlreader import Locator

from defusedxml import DefusedXmlException
from defusedxml.expatreader import DefusedExpatParser

from ...records import FileProblem
from ..base import Source
from .eco_common import failed, guarded
from .records import Dependency, DepFile

ECOSYSTEM = "maven"
FORMAT = "pom.xml"
_PROPERTY = re.compile(r"\$\{([^}]*)\}")
_PLAIN = re.compile(r"[^\[\]\(\),\s$]+")
_PIN = re.compile(r"\[([^\[\]\(\),\s$]+)\]")


@dataclass(slots=True)
class _Node:
    tag: str
    line: int
    text: str = ""
    children: list[_Node] = field(default_factory=list)

    def child(self, tag: str) -> _Node | None:
        return next((c for c in self.children if c.tag == tag), None)

    def all(self, *path: str) -> list[_Node]:
        """The elements at ``path`` below this one (every match at each step)."""
        nodes = [self]
        for tag in path:
            nodes = [c for n in nodes for c in n.children if c.tag == tag]
        return nodes

    def value(self, tag: str) -> str | None:
        node = self.child(tag)
        return node.text.strip() if node is not None else None


class _TreeBuilder(ContentHandler):
    """Elements with the line of their start tag. ``feed`` never hands the handler a locator (only
    ``parse`` does), so the builder asks the parser itself, which is one."""

    def __init__(self, locator: Locator) -> None:
        super().__init__()
        self.root: _Node | None = None
        self._stack: list[_Node] = []
        self._locator = locator

    def startElement(self, name: str, attrs: object) -> None:  # the SAX API's names
        line = self._locator.getLineNumber()
        node = _Node(name.rpartition(":")[2], line or 1)
        if self._stack:
            self._stack[-1].children.append(node)
        else:
            self.root = node
        self._stack.append(node)

    def endElement(self, name: str) -> None:
        self._stack.pop()

    def characters(self, content: str) -> None:
        if self._stack:
            self._stack[-1].text += content


_REFUSED = {
    "EntitiesForbidden": "it declares XML entities (an entity expansion bomb or XXE risk)",
    "ExternalReferenceForbidden": "it references an external entity (XXE risk)",
    "DTDForbidden": "it has a document type declaration",
}


def _parse_xml(text: str) -> _Node | tuple[str, int | None]:
    """The root element, or why the XML cannot be read and the line where it stops."""
    parser = DefusedExpatParser()  # forbids entity declarations and external references
    builder = _TreeBuilder(parser)
    parser.setContentHandler(builder)
    try:
        parser.feed(text)
        parser.close()
    except SAXParseException as exc:
        return f"invalid XML: {exc.getMessage()}", exc.getLineNumber() or None
    except DefusedXmlException as exc:
        why = _REFUSED.get(type(exc).__name__, type(exc).__name__)
        return f"refused: {why}; planvec does not expand entities", parser.getLineNumber() or None
    if builder.root is None:
        return "invalid XML: no root element", None
    return builder.root


@dataclass(slots=True)
class _Pom:
    rel: str
    props: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    problems: list[FileProblem] = field(default_factory=list)

    def interpolate(self, value: str, line: int, what: str) -> str:
        for _ in range(10):  # properties may name properties; a cycle stops here
            new = _PROPERTY.sub(lambda m: self.props.get(m.group(1).strip(), m.group(0)), value)
            if new == value:
                break
            value = new
        for name in _PROPERTY.findall(value):
            self.warnings.append(
                f"line {line}: {what}: ${{{name}}} is not defined in this POM (kept as written)"
            )
        return value


def _properties(project: _Node) -> dict[str, str]:
    props: dict[str, str] = {}
    for node in project.all("properties"):
        for prop in node.children:
            props[prop.tag] = prop.text.strip()
    parent = project.child("parent")
    for key in ("groupId", "artifactId", "version"):
        own = project.value(key)
        inherited = parent.value(key) if parent is not None else None
        value = own if own is not None or key == "artifactId" else inherited
        if value is not None:
            props.setdefault(f"project.{key}", value)
            props.setdefault(f"pom.{key}", value)
        if inherited is not None:
            props.setdefault(f"project.parent.{key}", inherited)
            props.setdefault(f"parent.{key}", inherited)
    return props


def exact_version(spec: str) -> str | None:
    """The version a Maven version spec names: ``1.2.3`` (soft) or ``[1.2.3]`` (hard), not a range."""
    spec = spec.strip()
    if _PLAIN.fullmatch(spec):
        return spec
    m = _PIN.fullmatch(spec)
    return m.group(1) if m else None


def _dep_type(node: _Node, default: str) -> str:
    scope = (node.value("scope") or "").lower()
    if scope == "test":
        return "dev"
    if (node.value("optional") or "").lower() == "true":
        return "optional"
    if scope in ("provided", "system"):
        return "build"
    return default


def _record(
    pom: _Pom, node: _Node, group: str, default_type: str, managed: dict[str, str], default_group_id: str = ""
) -> Dependency | None:
    group_id = pom.interpolate(node.value("groupId") or default_group_id, node.line, "groupId")
    artifact = pom.interpolate(node.value("artifactId") or "", node.line, "artifactId")
    if not group_id or not artifact:
        missing = "groupId" if not group_id else "artifactId"
        pom.problems.append(FileProblem(pom.rel, f"<{node.tag}> without {missing} (ignored)", node.line))
        return None
    name = f"{group_id}:{artifact}"
    raw = node.value("version")
    spec = pom.interpolate(raw, node.line, name) if raw else managed.get(name, "")
    dep_type = _dep_type(node, default_type)
    version = exact_version(spec) if spec else None
    return Dependency(ECOSYSTEM, name, spec, version, dep_type, True, node.line, group)


def _managed_versions(pom: _Pom, project: _Node) -> dict[str, str]:
    """``groupId:artifactId`` -> version of the file's ``<dependencyManagement>``, interpolated
    quietly (their own records warn)."""
    out: dict[str, str] = {}
    quiet = _Pom(pom.rel, pom.props)
    for node in project.all("dependencyManagement", "dependencies", "dependency"):
        g, a, v = (
            quiet.interpolate(node.value(k) or "", node.line, k) for k in ("groupId", "artifactId", "version")
        )
        if g and a and v:
            out.setdefault(f"{g}:{a}", v)
    return out


def _section(pom: _Pom, base: _Node, prefix: str, managed: dict[str, str]) -> Iterator[Dependency | None]:
    """The records of a project or a profile: dependencies, managed ones, plugins."""

    def grouped(name: str) -> str:
        return " ".join(p for p in (prefix, name) if p)

    for node in base.all("dependencies", "dependency"):
        yield _record(pom, node, grouped(""), "runtime", managed)
    for node in base.all("dependencyManagement", "dependencies", "dependency"):
        yield _record(pom, node, grouped("managed"), "runtime", {})
    for path, name in (
        (("build", "plugins"), "plugin"),
        (("build", "pluginManagement", "plugins"), "managed-plugin"),
    ):
        for plugin in base.all(*path, "plugin"):
            yield _record(pom, plugin, grouped(name), "build", {}, "org.apache.maven.plugins")
            for node in plugin.all("dependencies", "dependency"):
                yield _record(pom, node, grouped(name), "build", managed)


@guarded(FORMAT, False)
def parse_pom(source: Source) -> DepFile:
    project = _parse_xml(source.text)
    if isinstance(project, tuple):
        return failed(source, FORMAT, False, *project)
    if project.tag != "project":
        return failed(
            source, FORMAT, False, f"the root element is <{project.tag}>, not <project>", project.line
        )
    pom = _Pom(source.rel, _properties(project))
    managed = _managed_versions(pom, project)
    items: list[Dependency | None] = []
    parent = project.child("parent")
    if parent is not None:
        items.append(_record(pom, parent, "parent", "build", {}))
    items.extend(_section(pom, project, "", managed))
    for profile in project.all("profiles", "profile"):
        items.extend(_section(pom, profile, f"profile:{profile.value('id') or '?'}", managed))
    group_id = pom.props.get("project.groupId", "")
    artifact = project.value("artifactId") or ""
    return DepFile(
        source.rel,
        FORMAT,
        False,
        tuple(d for d in items if d is not None),
        project=":".join(p for p in (group_id, artifact) if p),
        warnings=tuple(pom.warnings),
        problems=tuple(pom.problems),
    )
