"""Schema elements read back from the store: what ``schemas show``, ``schemas drift`` and the listing
answer from, without parsing any file again.

The store's scroll has no payload filter, so a read takes every point of the collection with the
structural payload fields only (no vectors, no embedded text) and the callers select in memory: a
schemas collection holds thousands of points, not millions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import CollectionNotFound
from ...store.base import VectorStore

FIELDS = (
    "root",
    "file",
    "source",
    "line",
    "element",
    "name",
    "short",
    "format",
    "type",
    "description",
    "parent",
    "references",
    "attributes",
    "title",
    "section",
)


@dataclass(frozen=True, slots=True)
class StoredElement:
    """One point of the schemas collection, as its payload describes the element."""

    point_id: str
    element: str
    name: str
    short: str
    format: str
    file: str
    line: int
    root: str = ""
    source: str = ""  # the parsed file (or migrations folder) the point belongs to
    type: str = ""
    description: str = ""
    parent: str = ""
    references: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)
    title: str = ""
    section: str = ""

    @classmethod
    def of(cls, point_id: str, p: Mapping[str, Any]) -> StoredElement:
        refs = p.get("references")
        attrs = p.get("attributes")
        name = str(p.get("name") or "")
        line = p.get("line")
        return cls(
            point_id=point_id,
            element=str(p.get("element") or ""),
            name=name,
            short=str(p.get("short") or name),
            format=str(p.get("format") or ""),
            file=str(p.get("file") or ""),
            line=int(line) if isinstance(line, int | float) else 0,
            root=str(p.get("root") or ""),
            source=str(p.get("source") or p.get("file") or ""),
            type=str(p.get("type") or ""),
            description=str(p.get("description") or ""),
            parent=str(p.get("parent") or ""),
            references=tuple(str(r) for r in refs) if isinstance(refs, list | tuple) else (),
            attributes=attrs if isinstance(attrs, Mapping) else {},
            title=str(p.get("title") or ""),
            section=str(p.get("section") or ""),
        )

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "point_id": self.point_id,
            "element": self.element,
            "name": self.name,
            "short": self.short,
            "format": self.format,
            "file": self.file,
            "line": self.line,
            "root": self.root,
            "source": self.source,
            "type": self.type,
            "description": self.description,
            "parent": self.parent,
            "references": list(self.references),
            "attributes": dict(self.attributes),
            "title": self.title,
            "section": self.section,
        }


def read_elements(store: VectorStore, collection: str) -> list[StoredElement]:
    """Every element of ``collection``, sorted by root, file, line and name."""
    if store.collection_info(collection) is None:
        raise CollectionNotFound(
            f"collection {collection!r} does not exist: no schema or configuration file is indexed",
            hint="index them first: planvec index PATH (or --kind schemas)",
        )
    found = [StoredElement.of(p.id, p.payload) for p in store.scroll(collection, fields=FIELDS)]
    return sorted(found, key=lambda e: (e.root, e.file, e.line, e.name, e.element))


MemberIndex = dict[tuple[str, str, str], list["StoredElement"]]


def member_index(elements: Sequence[StoredElement]) -> MemberIndex:
    """(root, parsed file, parent name) → the elements under that parent, in file order."""
    out: MemberIndex = {}
    for e in elements:
        if e.parent:
            out.setdefault((e.root, e.source, e.parent), []).append(e)
    return out


def members_of(container: StoredElement, index: MemberIndex) -> list[StoredElement]:
    """The elements whose parent is ``container``, from the same parsed file."""
    return index.get((container.root, container.source, container.name), [])
